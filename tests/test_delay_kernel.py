"""The compiled line-delay search and the batched mirror-gap refinement against their reference paths.

Tolerances: the delay and gap agree within 2e-3 of their standard error (the reference stops its polish at
1e-3 sigma, the fast paths at 1e-6 and 1e-3 sigma); sigma within 1e-6 relative (both are Gauss-Newton values,
the reference with a central-difference derivative); chi^2 within 1e-9 relative and never worse than the
reference by more than that (both minimise the same sum; the grid chi^2 by recurrence agrees with numpy to
1e-9 relative: the phase factors agree to ~1e-13, and residuals of 1 % noise amplify that by 1/sigma = 100).
"""

from __future__ import annotations

import numpy as np
import pytest

from emboost.booster.model import Booster
from emboost.core.errors import InputError
from emboost.fit import delay_kernel
from emboost.fit.noise import _tau_grid, fit_line_delay, refit_mirror_gap
from emboost.noise.amplifier import NoiseSources, noise_adapter, system_temperature
from emboost.noise.network import noise_temperature

pytestmark = pytest.mark.skipif(not delay_kernel.HAVE_NUMBA, reason="numba not installed")

SRC = NoiseSources(371e-12, 7.4e-12, 0.35, 0.8)


def _case(seed: int, nf: int = 401, uniform: bool = True, scalar_gl: bool = True):
    """A SYNTHETIC T_sys spectrum of a random lossy 2-disk booster behind a line; true delay returned."""
    rng = np.random.default_rng(seed)
    f = np.linspace(18e9, 20e9, nf)
    if not uniform:
        f = np.sort(rng.uniform(18e9, 20e9, nf))
    b = Booster.from_disks(gaps=rng.uniform(7.8e-3, 8.4e-3, 2), thickness=1e-3, permittivity=9.4,
                           loss_tangent=rng.uniform(1e-4, 3e-3))
    gb = b.response(f).s11
    gl = 0.2 * np.exp(1j * rng.uniform(0, 6)) if scalar_gl else 0.2 * np.exp(1j * (0.7 + 1e-10 * (f - 18e9)))
    tau = rng.uniform(1.2e-9, 2.8e-9)
    t = system_temperature(f, gb, 295.0, SRC, gl, delay=tau)
    y = t * (1 + 0.01 * rng.standard_normal(nf))
    return f, gb, gl, y, 0.01 * t, tau


@pytest.mark.parametrize("seed, uniform, scalar_gl", [(1, True, True), (2, True, False), (3, False, True),
                                                      (4, False, False), (5, True, True), (6, True, True)])
def test_compiled_delay_search_equals_reference(seed, uniform, scalar_gl):
    f, gb, gl, y, s, tau = _case(seed, uniform=uniform, scalar_gl=scalar_gl)
    ref = fit_line_delay(f, gb, 295.0, SRC, gl, y, s, (0.5e-9, 3e-9), engine="numpy")
    fast = fit_line_delay(f, gb, 295.0, SRC, gl, y, s, (0.5e-9, 3e-9), engine="compiled")
    assert abs(fast.tau - ref.tau) <= 2e-3 * ref.sigma_tau
    assert fast.sigma_tau == pytest.approx(ref.sigma_tau, rel=1e-6)
    assert fast.chi2 == pytest.approx(ref.chi2, rel=1e-9) and fast.chi2 <= ref.chi2 * (1 + 1e-9)
    assert abs(fast.tau - tau) < 4 * fast.sigma_tau
    assert fast.on_bound == ref.on_bound and fast.bounds == ref.bounds
    auto = fit_line_delay(f, gb, 295.0, SRC, gl, y, s, (0.5e-9, 3e-9))
    assert auto.tau == fast.tau


def test_compiled_delay_search_at_the_edge_of_its_range():
    """A range that excludes the truth: both paths end on the same edge and flag it."""
    f, gb, gl, y, s, tau = _case(7)
    bounds = (tau + 3e-12, tau + 40e-12)
    ref = fit_line_delay(f, gb, 295.0, SRC, gl, y, s, bounds, engine="numpy")
    fast = fit_line_delay(f, gb, 295.0, SRC, gl, y, s, bounds, engine="compiled")
    assert fast.tau == pytest.approx(ref.tau, abs=2e-3 * ref.sigma_tau)
    assert fast.chi2 == pytest.approx(ref.chi2, rel=1e-9)
    assert fast.tau >= bounds[0]


def test_grid_chi2_equals_numpy():
    f, gb, gl, y, s, _ = _case(8, nf=301)
    cm = noise_adapter(SRC, f).c
    base = cm[:, 1, 1].real + noise_temperature(f, 295.0) * (1 - np.abs(gb) ** 2) + np.abs(gb) ** 2 * cm[:, 0, 0].real
    mis = (1 - abs(gl) ** 2) * np.ones(f.size)
    a = gb * cm[:, 0, 1]
    grid = _tau_grid((0.5e-9, 3e-9), f.max())  # > 256 points: crosses re-anchors of the recurrence
    assert grid.size > 2 * delay_kernel.ANCHOR_STEPS
    chi = delay_kernel.grid_chi2(-4 * np.pi * f, grid[0], grid[1] - grid[0], grid.size, gb, a, base, mis,
                                 gl * np.ones(f.size), y, 1 / s)
    ref = np.array([np.sum(((system_temperature(f, gb, 295.0, SRC, gl, delay=t) - y) / s) ** 2) for t in grid])
    assert np.max(np.abs(chi / ref - 1)) < 1e-9  # phase rounding ~1e-13, times 1/sigma = 100 in the residuals


def test_refinement_derivatives_match_finite_differences():
    """The kernel's J^T r and curvature against central differences of its own chi^2 (via one-point brackets)."""
    f, gb, gl, y, s, tau = _case(9, nf=201)
    cm = noise_adapter(SRC, f).c
    base = cm[:, 1, 1].real + noise_temperature(f, 295.0) * (1 - np.abs(gb) ** 2) + np.abs(gb) ** 2 * cm[:, 0, 0].real
    args = (gb, gb * cm[:, 0, 1], base, (1 - abs(gl) ** 2) * np.ones(f.size), gl * np.ones(f.size), y, 1 / s)
    w = -4 * np.pi * f
    t0 = tau + 0.3e-12
    h = 1e-16

    def chi(t: float) -> float:
        return float(delay_kernel.refine_minima(w, [t], [t], [t], *args, xtol=np.inf, max_iter=0)[0, 1])

    # one Newton step from t0 (exact derivative and curvature) lands where the finite-difference Newton step does
    one = delay_kernel.refine_minima(w, [t0 - 5e-12], [t0 + 5e-12], [t0], *args, xtol=0.0, max_iter=1)[0]
    g = (chi(t0 + h) - chi(t0 - h)) / (2 * h)
    c2 = (chi(t0 + h) - 2 * chi(t0) + chi(t0 - h)) / h**2
    assert one[0] == pytest.approx(t0 - g / c2, abs=1e-3 * abs(one[0] - t0) + 1e-18)
    assert abs(one[0] - t0) > 1e-15  # a real step was taken


def test_batched_gap_refinement_equals_reference():
    rng = np.random.default_rng(11)
    f = np.linspace(18.9e9, 19.2e9, 201)
    true = Booster.from_disks(gaps=[8.55e-3, 8.1e-3], thickness=1e-3, permittivity=9.4, loss_tangent=2e-4)
    t = system_temperature(f, true.response(f).s11, 294.0, SRC, 0.1, delay=1.7e-9)
    for k in range(3):
        y = t * (1 + 0.003 * rng.standard_normal(f.size))
        start = true.with_mirror_gap(np.array(8.55e-3 + 10e-6 * (k - 1)))
        ref = refit_mirror_gap(f, start, 1.7e-9, 294.0, SRC, 0.1, y, 0.003 * t, (8.45e-3, 8.65e-3), n_grid=41,
                               refine="scalar")
        fast = refit_mirror_gap(f, start, 1.7e-9, 294.0, SRC, 0.1, y, 0.003 * t, (8.45e-3, 8.65e-3), n_grid=41)
        assert abs(fast.gap - ref.gap) <= 2e-3 * ref.sigma_gap
        assert fast.sigma_gap == pytest.approx(ref.sigma_gap, rel=1e-5)
        assert fast.chi2 == pytest.approx(ref.chi2, rel=1e-9)
        assert abs(fast.gap - 8.55e-3) < 4 * fast.sigma_gap


def test_engine_and_refine_arguments_are_checked():
    f, gb, gl, y, s, _ = _case(12, nf=51)
    with pytest.raises(InputError, match="engine"):
        fit_line_delay(f, gb, 295.0, SRC, gl, y, s, (1e-9, 2e-9), engine="fast")
    with pytest.raises(InputError, match="lossless"):
        fit_line_delay(f, gb, 295.0, SRC, gl, y, s, (1e-9, 2e-9), engine="compiled", line_loss_db=0.5)
    b = Booster.from_disks(gaps=[8e-3], thickness=1e-3, permittivity=9.4)
    with pytest.raises(InputError, match="refine"):
        refit_mirror_gap(f, b, 1e-9, 295.0, SRC, gl, y, s, (7e-3, 9e-3), refine="newton")


def test_kernels_give_the_same_bits_for_read_only_and_writable_inputs():
    """Read-only arrays (broadcasts, arrays unpickled on a worker) get their own compiled specialisation; it must
    give the same bits. (Bit-identity across processes with a cold compilation cache is checked end to end by
    tests/test_dask_scheduler.py, which caught fast-math reductions giving different last bits there.)"""
    f, gb, gl, y, s, _ = _case(13, nf=203)
    w = -4 * np.pi * f
    args = [gb, 0.1 * gb, 300 + 0 * f, 0.99 + 0 * f, gl * np.ones(f.size), y, 1 / s]
    frozen = [np.array(a) for a in args]
    for a in frozen:
        a.flags.writeable = False
    wf = np.array(w)
    wf.flags.writeable = False
    g1 = delay_kernel.grid_chi2(w, 1.4e-9, 1e-12, 300, *args)
    g2 = delay_kernel.grid_chi2(wf, 1.4e-9, 1e-12, 300, *frozen)
    assert np.array_equal(g1, g2)
    lo, hi, x0 = [1.5e-9], [1.6e-9], [1.55e-9]
    r1 = delay_kernel.refine_minima(w, lo, hi, x0, *args, xtol=0.0)
    r2 = delay_kernel.refine_minima(wf, lo, hi, x0, *frozen, xtol=0.0)
    assert np.array_equal(r1, r2)
