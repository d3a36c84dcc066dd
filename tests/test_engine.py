"""The booster engine: compiled chain against the numpy reference path and the transfer-matrix solver,
batches in bounded chunks, memory per (variant, frequency)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from test_booster import random_booster

from emboost.booster import model as M
from emboost.booster.engine import HAVE_NUMBA
from emboost.booster.model import Booster, solve_transfer_matrix, solve_transmission_line

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference relative to max(|b|, 1) (a vanishing value is not divided by)."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))


def batched(rng: np.random.Generator, nv: int) -> Booster:
    """A random booster with a batch of ``nv`` variants in gaps, and sometimes thickness or materials."""
    b = random_booster(rng, max_disks=8)
    n = b.n_disks
    gaps = b.gaps + rng.uniform(0, 1e-3, (nv, n))
    changes = {"gaps": gaps}
    if rng.random() < 0.4:
        changes["thickness"] = b.thickness + rng.uniform(0, 1e-4, (nv, n))
    if rng.random() < 0.3:
        changes["loss_tangent"] = b.loss_tangent + rng.uniform(0, 1e-3, (nv, n))
    return b.replace(**changes)


@needs_numba
def test_compiled_chain_equals_numpy_reference_on_random_stacks():
    rng = np.random.default_rng(4401)
    for k in range(60):
        b = random_booster(rng, max_disks=12) if k % 2 else batched(rng, int(rng.integers(1, 6)))
        f = np.sort(rng.uniform(max(12e9, 1.05 * b.cutoff_frequency), 30e9, 37))
        a1, s1 = solve_transmission_line(b, f, backend="numba")
        a2, s2 = solve_transmission_line(b, f, backend="numpy")
        assert a1.shape == a2.shape == b.batch_shape + (f.size,)
        assert rel(a1, a2) < 1e-10 and rel(s1, s2) < 1e-10
        bf = b.boost_factor(f, backend="numba")
        assert np.allclose(bf, b.eta_a * np.abs(a2) ** 2, rtol=1e-10, atol=1e-12)
        a3, s3 = solve_transfer_matrix(b, f)  # the independent solver
        assert rel(a1, a3) < 1e-9 and rel(s1, s3) < 1e-9


@pytest.mark.parametrize("backend", ["numba", "numpy"] if HAVE_NUMBA else ["numpy"])
def test_very_lossy_and_reflective_long_stacks_stay_in_range(backend):
    # tan d = 1e4 (opaque disks, the state falls by exp(-200) per disk) and a 500-disk quarter-wave eps = 25
    # Bragg stack (the homogeneous solution grows by 5^500 = 1e349 at 20 GHz): the rescaling keeps both
    # finite and equal to TM
    f = np.linspace(15e9, 25e9, 51)  # includes 20 GHz
    for b in (Booster.from_disks([8e-3] * 150, 1e-3, 9.4, 1e4),
              Booster.from_disks([3.75e-3] * 500, 0.75e-3, 25.0, 0.0, mirror_conductivity=1e7)):
        a1, s1 = solve_transmission_line(b, f, backend=backend)
        a2, s2 = solve_transfer_matrix(b, f)
        assert np.all(np.isfinite(a1)) and np.all(np.isfinite(s1))
        assert rel(a1, a2) < 1e-9 and rel(s1, s2) < 1e-9


@pytest.mark.parametrize("backend", ["numba", "numpy"] if HAVE_NUMBA else ["numpy"])
def test_chunked_batches_equal_single_evaluations(backend, monkeypatch):
    monkeypatch.setattr(M, "CHUNK_ELEMENTS", 64)  # several chunks, and a ragged last one
    monkeypatch.setattr(M, "CHUNK_TABLE_BYTES", 50_000)
    rng = np.random.default_rng(9)
    base = Booster.from_disks(rng.uniform(7e-3, 9e-3, 5), 1e-3, 9.4, 3e-5, radius=0.1, wall_conductivity=3.5e7)
    f = np.linspace(17e9, 21e9, 23)
    gaps = base.gaps + rng.normal(0, 50e-6, (7, 5))
    tand = rng.uniform(0, 1e-3, (7, 5))
    for b in (base.with_gaps(gaps), base.replace(gaps=gaps, loss_tangent=tand)):
        amp, s11 = solve_transmission_line(b, f, backend=backend)
        bf = b.boost_factor(f, backend=backend)
        for i in range(7):
            one = b.replace(gaps=b.gaps[i], loss_tangent=b.loss_tangent[i] if b.loss_tangent.ndim > 1
                            else b.loss_tangent)
            a1, s1 = solve_transmission_line(one, f, backend=backend)
            assert rel(amp[i], a1) < 1e-12 and rel(s11[i], s1) < 1e-12
            assert np.allclose(bf[i], one.eta_a * np.abs(a1) ** 2, rtol=1e-12)


def test_boost_factor_of_a_large_batch_takes_bounded_memory():
    # 2000 variants x 2000 frequencies: the result is 8 bytes per (variant, frequency); everything
    # else is bounded workspace (< 24 bytes per pair in all, including the 8 of the result)
    rng = np.random.default_rng(3)
    base = Booster.from_disks(rng.uniform(7e-3, 9e-3, 20), 1e-3, 24.0, 3e-5)
    b = base.with_gaps(base.gaps + rng.normal(0, 20e-6, (2000, 20)))
    f = np.linspace(21.9e9, 22.1e9, 2000)
    tracemalloc.start()
    bf = b.boost_factor(f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert bf.shape == (2000, 2000) and np.all(np.isfinite(bf))
    assert peak / bf.size < 24
    assert np.allclose(bf[1234], base.with_gaps(b.gaps[1234]).boost_factor(f), rtol=1e-12)


@pytest.mark.slow
def test_ten_thousand_variants_at_ten_thousand_frequencies_complete():
    rng = np.random.default_rng(4)
    base = Booster.from_disks(rng.uniform(7e-3, 9e-3, 20), 1e-3, 24.0, 3e-5)
    b = base.with_gaps(base.gaps + rng.normal(0, 20e-6, (10_000, 20)))
    f = np.linspace(21.5e9, 22.5e9, 10_000)
    tracemalloc.start()
    bf = b.boost_factor(f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert bf.shape == (10_000, 10_000) and np.all(np.isfinite(bf))
    assert peak / bf.size < 64
