"""Exact derivatives of the boost factor and S11 against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from test_booster import random_booster

from emboost.booster.gradients import PARAMETER_KINDS, booster_gradients
from emboost.booster.model import Booster, solve_transmission_line
from emboost.core.errors import InputError

FIELDS = {"gap": "gaps", "thickness": "thickness", "permittivity": "permittivity", "loss_tangent": "loss_tangent"}
STEP = {"gap": 2e-8, "thickness": 2e-8, "permittivity": 2e-4, "loss_tangent": 2e-6}


def central_difference(b: Booster, f: np.ndarray, kind: str, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Richardson's extrapolation of two differences (steps h and h/2): truncation O(h^4)."""
    d1 = simple_difference(b, f, kind, i, STEP[kind])
    d2 = simple_difference(b, f, kind, i, STEP[kind] / 2)
    return (4 * d2[0] - d1[0]) / 3, (4 * d2[1] - d1[1]) / 3


def simple_difference(b: Booster, f: np.ndarray, kind: str, i: int, h: float) -> tuple[np.ndarray, np.ndarray]:
    """d(amplitude)/dp and d(S11)/dp by a central difference of step h (rounding ~1e-16 times the phase of the
    stack / h relative: ~1e-8 for the steps used); one-sided second order at a bound."""
    x = np.array(np.broadcast_to(getattr(b, FIELDS[kind]), (b.n_disks,)), float)
    lower = 1.0 if kind == "permittivity" else 0.0

    def at(dx: float) -> tuple[np.ndarray, np.ndarray]:
        y = x.copy()
        y[i] += dx
        return solve_transmission_line(b.replace(**{FIELDS[kind]: y}), f)

    if x[i] - h >= lower:
        (ap, sp), (am, sm) = at(h), at(-h)
        return (ap - am) / (2 * h), (sp - sm) / (2 * h)
    # at the bound (tan d = 0, eps = 1): the one-sided second-order formula
    (a0, s0), (a1, s1), (a2, s2) = at(0.0), at(h), at(2 * h)
    return (-3 * a0 + 4 * a1 - a2) / (2 * h), (-3 * s0 + 4 * s1 - s2) / (2 * h)


def check(b: Booster, f: np.ndarray, rtol: float = 1e-6, disks: list[int] | None = None) -> None:
    g = booster_gradients(b, f)
    amp, s11 = solve_transmission_line(b, f)
    assert np.allclose(g.boost_amplitude, amp, rtol=1e-10) and np.allclose(g.s11, s11, rtol=1e-10, atol=1e-13)
    for kind in PARAMETER_KINDS:
        for i in range(b.n_disks) if disks is None else disks:
            da, ds = central_difference(b, f, kind, i)
            row = g.parameters.index(f"{kind}_{i + 1}")
            assert row in range(*g.block(kind).indices(len(g.parameters)))
            # relative to the largest derivative over the band (a derivative can cross zero inside it), with
            # the rounding floor of the differences (1e-14 of the value / step) for derivatives that vanish,
            # e.g. S11 against a gap deep behind lossy disks
            floor_a = 1e-14 * np.max(np.abs(amp)) / STEP[kind]
            floor_s = 1e-14 * np.max(np.abs(s11)) / STEP[kind]
            assert np.max(np.abs(g.d_amplitude[row] - da)) <= rtol * np.max(np.abs(da)) + floor_a, (kind, i)
            assert np.max(np.abs(g.d_s11[row] - ds)) <= rtol * np.max(np.abs(ds)) + floor_s, (kind, i)
            dbf = 2 * b.eta_a * np.real(np.conj(amp) * da)
            floor_b = 2 * floor_a * np.max(np.abs(amp))
            assert np.max(np.abs(g.d_boost[row] - dbf)) <= rtol * np.max(np.abs(dbf)) + floor_b


def test_gradients_equal_central_differences_on_random_boosters():
    rng = np.random.default_rng(8080)
    done = 0
    while done < 12:
        b = random_booster(rng, max_disks=5)
        if b.n_disks == 0:
            continue
        f = np.sort(rng.uniform(max(12e9, 1.05 * b.cutoff_frequency), 30e9, 11))
        check(b, f)
        done += 1


@pytest.mark.parametrize("closed", [False, True])
def test_gradients_of_a_20_disk_booster_at_its_resonance(closed):
    kw = {"radius": 0.15, "wall_conductivity": 3.5e7} if closed else {}
    b = Booster.from_disks(np.full(20, 7.0e-3), 1e-3, 24.0, 5e-5, mirror_conductivity=3.5e7, **kw)
    f = np.linspace(21.9e9, 22.1e9, 7)
    check(b, f)


def test_gradients_through_the_rescaling_of_a_bragg_stack(monkeypatch):
    # 500 quarter-wave eps = 25 disks at 20 GHz: the homogeneous solution grows by 5 per period, 5^500 = 1e349,
    # beyond double precision, so the chain must rescale it; the derivatives stay exact (deep and outer disks)
    b = Booster.from_disks(np.full(500, 3.75e-3), 0.75e-3, 25.0, 0.0)
    f = np.array([19.9e9, 20e9, 20.1e9])
    check(b, f, disks=[0, 250, 499])
    import emboost.booster.gradients as gradients_module

    monkeypatch.setattr(gradients_module, "RENORM_EVERY", 10**9)  # without the rescaling: overflow
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(booster_gradients(b, f).d_amplitude))


def test_gradients_refuse_a_batch():
    b = Booster.from_disks(np.full((2, 3), 8e-3), 1e-3, 9.4)
    with pytest.raises(InputError, match="batch"):
        booster_gradients(b, np.array([19e9]))
    with pytest.raises(InputError, match="kind"):
        booster_gradients(b.replace(gaps=np.full(3, 8e-3)), np.array([19e9])).block("gaps")


def test_compiled_adjoint_equals_numpy_reference():
    rng = np.random.default_rng(77)
    for _ in range(20):
        b = random_booster(rng, max_disks=9)
        f = np.sort(rng.uniform(max(12e9, 1.05 * b.cutoff_frequency), 30e9, 13))
        g1, g2 = booster_gradients(b, f, backend="numba"), booster_gradients(b, f, backend="numpy")
        pairs = ((g1.d_amplitude, g2.d_amplitude), (g1.d_s11, g2.d_s11), (g1.boost_amplitude, g2.boost_amplitude))
        for x1, x2 in pairs:
            assert np.allclose(x1, x2, rtol=1e-10, atol=1e-10 * max(np.max(np.abs(x2), initial=0.0), 1e-300))
