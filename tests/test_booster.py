"""The dielectric booster: closed forms, worked values of physics.md §2, two solvers, batching."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from emboost.booster.model import Booster, solve_transfer_matrix, solve_transmission_line
from emboost.core.constants import ETA_A_TE11, P11_PRIME, c
from emboost.core.errors import InputError, PhysicsError
from emboost.rf.materials import hagen_rubens_reflectivity

F19 = np.array([19e9])


def single_disk_closed_form(f: np.ndarray, n: float, gap: float, d: float) -> np.ndarray:
    """Boost amplitude of one lossless disk before a perfect mirror, 1-D (physics convention).

    Solved by hand from the five matching conditions (E and dE/dz continuous, E = 0 on the mirror,
    no incoming wave), independently of both solvers; u = exp(i k gap), v = exp(i n k d), phase
    reference on the outer disk face.
    """
    k = 2 * np.pi * f / c
    u, v = np.exp(1j * k * gap), np.exp(1j * n * k * d)
    num = n * (n * n - 1) * (1 - u * u) * (1 - v * v) + (n * n - 1) * (1 - v) ** 2 * (1 + u * u) + 4 * n * n * u * v
    den = n * (n * n * (1 - u * u) * (1 - v * v) + 2 * n * (1 + v * v) + (1 + u * u) * (1 - v * v))
    return num / den


def test_bare_perfect_mirror_gives_one_in_every_geometry():
    f = np.linspace(10e9, 30e9, 7)
    for kwargs in ({}, {"radius": 0.1}, {"radius": 0.05, "source": "eps_eff"}, {"output_length": 0.3}):
        b = Booster.bare_mirror(**kwargs)
        r = b.response(f)
        assert np.allclose(r.boost_factor / b.eta_a, 1.0, rtol=1e-12, atol=0)
        assert np.allclose(np.abs(r.s11), 1.0, rtol=1e-12)


def test_lossy_mirror_matches_hagen_rubens():
    # the surface impedance (1+j)Rs reproduces Hagen-Rubens to first order in sqrt(w eps0/sigma); the two
    # differ at second order, (1-R)^2/2 = 1.2e-7 here, so the bound is (1-R)^2
    f = np.array([19e9])
    r = Booster.bare_mirror(mirror_conductivity=3.5e7).response(f)
    hr = float(hagen_rubens_reflectivity(19e9, 3.5e7))
    assert abs(float(r.reflected_power[0]) - hr) < (1 - hr) ** 2
    assert float(hagen_rubens_reflectivity(19e9, 3.5e7)) == pytest.approx(0.999508, abs=1e-6)


@pytest.mark.parametrize("n2,gap,d", [(9.4, 8.2023e-3, 1e-3), (24.0, 5e-3, 0.5e-3), (2.1, 12e-3, 3e-3)])
def test_single_disk_matches_closed_form(n2, gap, d):
    f = np.linspace(10e9, 30e9, 301)
    b = Booster.from_disks([gap], d, n2)
    amp = b.response(f).boost_amplitude
    exact = single_disk_closed_form(f, np.sqrt(n2), gap, d)
    assert np.allclose(amp, np.conj(exact), rtol=1e-10, atol=1e-12)


def _best_gap(d: float, eps: float, f: float = 19e9) -> tuple[float, float]:
    res = minimize_scalar(lambda g: -Booster.from_disks([g], d, eps).boost_factor(np.array([f]))[0],
                          bounds=(6e-3, 10e-3), method="bounded", options={"xatol": 1e-10})
    return res.x, -res.fun


def test_worked_single_disk_and_quarter_wave_values():
    # physics.md §2.5, worked to 1e-3 relative (gaps to 1e-3 mm)
    gap, peak = _best_gap(1e-3, 9.4)
    assert peak == pytest.approx(30.048, rel=1e-3)
    assert gap == pytest.approx(8.2023e-3, abs=1e-6)
    qw = 299792458.0 / 19e9 / (4 * np.sqrt(9.4))
    gap, peak = _best_gap(qw, 9.4)
    assert peak == pytest.approx(34.510, rel=1e-3)
    assert gap == pytest.approx(7.9306e-3, abs=1e-6)
    r = Booster.from_disks([8.2023e-3], 1e-3, 9.4).response(F19)
    # engineering-convention amplitude and reflection (conjugates of the physics values)
    assert r.boost_amplitude[0].imag == pytest.approx(5.47431, rel=1e-3)
    assert r.s11[0] == pytest.approx(0.99467 - 0.10309j, abs=3e-4)


def test_worked_three_disk_values():
    f = np.linspace(21.7e9, 22.1e9, 4001)
    b = Booster.from_disks([8e-3] * 3, 1e-3, 9.4)
    r = b.response(f)
    i = int(np.argmax(r.boost_factor))
    assert r.boost_factor[i] == pytest.approx(284.21, rel=1e-3)
    assert f[i] == pytest.approx(21.8955e9, abs=0.2e6)
    assert r.group_delay[i] == pytest.approx(2.165e-9, rel=2e-3)
    lossy = Booster.from_disks([8e-3] * 3, 1e-3, 9.4, 1e-4, mirror_conductivity=3.5e7)
    assert lossy.boost_factor(f).max() == pytest.approx(282.35, rel=1e-3)
    wide = np.linspace(15e9, 25e9, 20001)
    integral = np.trapezoid(b.boost_factor(wide), wide)
    assert integral == pytest.approx(1.427e11, rel=2e-3)


def test_te11_single_disk_and_source_normalisations():
    b = Booster.from_disks([8.2023e-3], 1e-3, 9.4, radius=0.1)
    assert b.eta_a == pytest.approx(0.836835, abs=1e-6)
    tl = b.boost_factor(F19)[0] / b.eta_a
    assert tl == pytest.approx(30.077, rel=1e-3)
    eff = b.replace(source="eps_eff").boost_factor(F19)[0] / b.eta_a
    # physics.md quotes 30.213 for modal sources without normalising to the guided bare mirror;
    # emboost divides by the bare-mirror value (k0^2/beta_air^2)^2 so that a bare mirror gives 1
    k0 = 2 * np.pi * 19e9 / c
    s_air = k0**2 / (k0**2 - (P11_PRIME / 0.1) ** 2)
    assert eff * s_air**2 == pytest.approx(30.213, rel=1e-3)
    assert eff / tl - 1 == pytest.approx(0.0002, abs=0.002)  # the ~0.5 % effect is mostly the normalisation


def random_booster(rng: np.random.Generator, max_disks: int = 5) -> Booster:
    """A random closed or open, lossy or lossless booster of 0 to ``max_disks`` disks (also used by other tests)."""
    n = int(rng.integers(0, max_disks + 1))
    closed = rng.random() < 0.6
    return Booster.from_disks(
        rng.uniform(0.5e-3, 15e-3, n), rng.uniform(0.1e-3, 3e-3, n), rng.uniform(1.0, 25.0, n),
        rng.choice([0.0, 1e-4, 1e-2]) * rng.random(n),
        radius=float(rng.uniform(0.02, 0.2)) if closed else None,
        wall_conductivity=float(rng.uniform(1e6, 6e7)) if closed and rng.random() < 0.5 else None,
        mirror_conductivity=float(rng.uniform(1e5, 6e7)) if rng.random() < 0.5 else None,
        output_length=float(rng.uniform(0, 0.05)),
        source="eps_eff" if rng.random() < 0.3 else "eps",
    )


def test_transmission_line_equals_transfer_matrix_on_random_lossy_stacks():
    rng = np.random.default_rng(20261122)
    for _ in range(60):
        b = random_booster(rng)
        f = np.sort(rng.uniform(max(12e9, 1.05 * b.cutoff_frequency), 30e9, 40))
        a1, s1 = solve_transmission_line(b, f)
        a2, s2 = solve_transfer_matrix(b, f)
        scale = np.maximum(np.abs(a1), 1.0)
        assert np.max(np.abs(a1 - a2) / scale) < 1e-9
        assert np.max(np.abs(s1 - s2)) < 1e-9


def test_lossless_closed_stack_reflects_everything_and_loss_only_attenuates():
    f = np.linspace(17e9, 21e9, 401)
    lossless = Booster.from_disks([8e-3, 9e-3, 7e-3], 1e-3, 9.4, radius=0.1)
    assert np.allclose(np.abs(lossless.reflectivity(f)), 1.0, atol=1e-12)
    lossy = lossless.replace(loss_tangent=np.full(3, 1e-3), wall_conductivity=3.5e7, mirror_conductivity=3.5e7)
    r = np.abs(lossy.reflectivity(f))
    assert np.all(r < 1.0) and np.all(r > 0.0)
    # more loss, less boost at the peak; never more
    bl, bll = lossless.boost_factor(f), lossy.boost_factor(f)
    assert bll.max() < bl.max()


def test_batch_axis_equals_one_by_one():
    rng = np.random.default_rng(3)
    gaps = rng.uniform(7e-3, 9e-3, (4, 5, 3))
    b = Booster(gaps, np.full(3, 1e-3), np.full(3, 9.4), np.full(3, 3e-5), radius=0.1,
                wall_conductivity=3.5e7, mirror_conductivity=3.5e7)
    f = np.linspace(18e9, 22e9, 101)
    r = b.response(f)
    assert r.boost_factor.shape == (4, 5, 101)
    for i in range(4):
        for j in range(5):
            one = b.with_gaps(gaps[i, j]).response(f)
            assert np.allclose(r.boost_factor[i, j], one.boost_factor, rtol=1e-13)
            assert np.allclose(r.s11[i, j], one.s11, rtol=1e-13)
    # large batches take the region-by-region path; same numbers
    big = Booster(rng.uniform(7e-3, 9e-3, (800, 3)), 1e-3 * np.ones(3), 9.4 * np.ones(3), np.zeros(3))
    fb = np.linspace(18e9, 22e9, 1000)
    rb = big.response(fb)
    assert np.allclose(rb.boost_factor[17], big.with_gaps(big.gaps[17]).boost_factor(fb), rtol=1e-12)


def test_with_mirror_gap_batches_only_the_first_gap():
    b = Booster.from_disks([8e-3, 8e-3, 8e-3], 1e-3, 9.4)
    bb = b.with_mirror_gap(np.array([7e-3, 8e-3, 9e-3]))
    assert bb.gaps.shape == (3, 3)
    assert np.all(bb.gaps[:, 1:] == 8e-3) and np.allclose(bb.gaps[:, 0], [7e-3, 8e-3, 9e-3])
    assert b.gaps[0] == 8e-3  # the original is unchanged (frozen, read-only arrays)
    with pytest.raises(ValueError):
        b.gaps[0] = 1.0


def test_overlap_factor_is_applied_to_closed_boosters_only():
    assert Booster.from_disks([8e-3], 1e-3, 9.4).eta_a == 1.0
    assert Booster.from_disks([8e-3], 1e-3, 9.4, radius=0.1).eta_a == pytest.approx(ETA_A_TE11)
    assert Booster.from_disks([8e-3], 1e-3, 9.4, radius=0.1, overlap=0.9).eta_a == 0.9


@pytest.mark.parametrize("kwargs,key", [
    ({"gaps": [-1e-3]}, "gaps"), ({"thickness": -1e-3}, "thickness"), ({"permittivity": 0.5}, "permittivity"),
    ({"loss_tangent": -1e-4}, "loss_tangent"), ({"radius": -0.1}, "radius"), ({"source": "bogus"}, "source"),
    ({"output_length": -1.0}, "output_length"), ({"gaps": [np.nan]}, "gaps"),
])
def test_bad_booster_arguments_are_named(kwargs, key):
    args = {"gaps": [8e-3], "thickness": 1e-3, "permittivity": 9.4}
    args.update(kwargs)
    with pytest.raises(InputError) as exc:
        Booster.from_disks(**args)
    assert exc.value.key == key


def test_band_below_cutoff_is_an_error_not_nan():
    b = Booster.from_disks([8e-3], 1e-3, 9.4, radius=0.01)  # cutoff 8.8 GHz
    with pytest.raises(PhysicsError, match="cutoff"):
        b.response(np.array([5e9, 19e9]))
    with pytest.raises(InputError):
        b.response(np.array([[19e9]]))
