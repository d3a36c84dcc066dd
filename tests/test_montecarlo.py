"""Monte-Carlo boost-factor engine: reproducibility, linear cross-check, analytic cases, checkpoints, runs."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from emboost.booster.model import Booster
from emboost.core.constants import GEV_PER_CM3
from emboost.core.errors import InputError
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11
from emboost.fit.noise import delivered_boost_factor
from emboost.mc import engine as mc
from emboost.noise.amplifier import LNA, NoiseSources, system_temperature

TAU = 1.5e-9
SOURCES = NoiseSources(371e-12, 7.4e-12, 0.35, 0.8)
GAMMA_LNA = 0.2 * np.exp(0.7j)


@pytest.fixture(scope="module")
def small_model() -> mc.MonteCarloModel:
    """SYNTHETIC: a 3-disk open booster fitted to noise-free S11 with sigma 1e-3, a T_sys spectrum of the
    true booster behind a 1.5 ns line (0.3 % seeded noise), LNA sigma ~1 %, on a 61-point band."""
    base = Booster.from_disks([8e-3] * 3, 1e-3, 9.4, 1e-4)
    truth = base.with_gaps([8.05e-3, 7.97e-3, 8.02e-3])
    f = np.linspace(21.4e9, 22.4e9, 101)
    specs = booster_parameter_specs(base, ["gap_1", "gap_2", "gap_3"])
    fit = fit_booster(f, observables_from_s11(f, truth.reflectivity(f)), base, specs, [Observable("s11", sigma=1e-3)])
    assert fit.ok
    fl = np.linspace(20e9, 24e9, 41)
    lna = LNA(SOURCES, fl, np.full(fl.shape, GAMMA_LNA))
    fb = np.linspace(21e9, 23e9, 201)
    t = system_temperature(fb, truth.reflectivity(fb), 295.0, SOURCES, GAMMA_LNA, delay=TAU)
    t = t * (1 + 0.003 * np.random.default_rng(5).standard_normal(fb.size))
    bb = mc.TsysSpectrum(fb, t, 0.003 * t, lna.gamma_at(fb))
    model = mc.MonteCarloModel(fit, fit.fit.free_values, fit.fit.covariance, fit.fit.free, lna,
                               np.array([4e-12, 0.08e-12, 0.005, 0.01]), 295.0, bb, (1e-9, 2e-9),
                               np.linspace(21.6e9, 22.2e9, 61), field_shape_sigma=0.1, frequency_sigma=2e6)
    prepared, info = mc.prepare_model(model, (1e-9, 2e-9), delay_window=0.1e-9)
    assert abs(info["tau"] - TAU) < 2e-12  # the nominal refit finds the true line (noise 0.3 %)
    return prepared


def test_draws_are_seeded_and_prefix_stable(small_model):
    a = mc.draw_samples(small_model, 30, 7)
    b = mc.draw_samples(small_model, 50, 7)
    c = mc.draw_samples(small_model, 30, 8)
    assert np.array_equal(a.booster, b.booster[:30]) and np.array_equal(a.shift, b.shift[:30])
    assert not np.allclose(a.booster, c.booster)
    # the booster draws follow the fit covariance (10^4 draws: 3 % on the variances)
    big = mc.draw_samples(small_model, 10000, 1)
    cov = np.cov(big.booster.T)
    assert np.allclose(np.diag(cov), np.diag(small_model.covariance), rtol=0.06)
    assert abs(np.std(big.shape) - 0.1) < 0.003 and abs(np.std(big.shift) - 2e6) < 0.06e6


def test_same_seed_identical_across_workers_and_different_seed_differs(small_model):
    serial = mc.run_montecarlo(small_model, 24, 11, chunk_size=6, workers=1)
    pooled = mc.run_montecarlo(small_model, 24, 11, chunk_size=6, workers=2)
    again = mc.run_montecarlo(small_model, 24, 11, chunk_size=6, workers=1)
    other = mc.run_montecarlo(small_model, 24, 12, chunk_size=6, workers=1)
    for r in (pooled, again):
        assert np.array_equal(serial.boost, r.boost)   # bit-identical, not merely close
        assert np.array_equal(serial.tau, r.tau)
    assert pooled.timing["workers"] == 2
    assert not np.allclose(serial.boost, other.boost)


def test_dask_cluster_gives_identical_samples(small_model):
    """Through a scheduler address, as for a remote cluster (here a LocalCluster on this machine)."""
    distributed = pytest.importorskip("dask.distributed")
    serial = mc.run_montecarlo(small_model, 12, 3, chunk_size=4, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        dask = mc.run_montecarlo(small_model, 12, 3, chunk_size=4, scheduler=c.scheduler_address)
    assert np.array_equal(serial.boost, dask.boost) and np.array_equal(serial.tau, dask.tau)


def test_monte_carlo_agrees_with_linear_propagation(small_model):
    """Small uncertainties: the std of 400 samples within 10 % of the linear propagation.

    400 samples estimate a std to ~3.5 % (1 sigma), so 10 % leaves ~3 sigma of statistical room.
    """
    # booster sigma 10x the fit's (gaps ~4-14 um), shape 0.5 %, 0.5 MHz: the four terms are of similar size
    model = dataclasses.replace(small_model, covariance=100 * small_model.covariance, field_shape_sigma=0.005,
                                frequency_sigma=0.5e6)
    res = mc.run_montecarlo(model, 400, 2024, chunk_size=100, workers=1)
    lin = mc.linear_propagation(model)
    stats = res.statistics()
    k = int(np.argmax(lin.nominal))
    ratio = stats["std"] / lin.std
    assert abs(ratio[k] - 1) < 0.10
    strong = lin.std > 0.3 * lin.std.max()
    assert abs(np.median(ratio[strong]) - 1) < 0.10
    # every term matters (the LNA noise parameters act only through the delay refit): the check is not one term
    for part in ("booster", "lna", "shape", "frequency"):
        assert lin.parts[part][strong].max() > 0.3 * lin.std[strong].max()
    assert np.ptp(res.tau) > 0
    assert np.allclose(stats["mean"][k], lin.nominal[k], rtol=0.01)
    assert np.allclose(res.nominal, lin.nominal, rtol=1e-12)


def test_pure_field_shape_factor_is_reproduced(small_model):
    """Only the field-shape factor varies: beta^2_i = s_i beta^2_0 exactly, so std / mean = sigma_shape."""
    k = small_model.n_booster
    model = dataclasses.replace(small_model, covariance=np.zeros((k, k)), lna_sigma=np.zeros(4),
                                field_shape_sigma=0.1, frequency_sigma=0.0)
    res = mc.run_montecarlo(model, 400, 9, chunk_size=200, workers=1)
    assert np.allclose(res.boost, res.draws.shape[:, None] * res.nominal[None, :], rtol=1e-12, atol=0)
    st = res.statistics(quantiles=(0.16, 0.84))
    # the relative std of 400 normal draws scatters by 1/sqrt(2 * 400) = 3.5 % (1 sigma): 10.5 % allowed
    assert np.allclose(st["std"] / st["mean"], 0.1, rtol=0.105)
    # the 16/84 % quantiles of a normal are mean -+ 0.9945 sigma (quantile scatter ~5 %): 15 % allowed
    half = 0.5 * (st["quantiles"][1] - st["quantiles"][0])
    assert np.allclose(half / (0.1 * res.nominal), 0.9945, rtol=0.15)


def test_pure_frequency_shift_matches_direct_evaluation(small_model):
    """Only the frequency shift varies: each sample equals the model evaluated directly at f - df_i
    (cubic spline on the 10 MHz grid of a ~100 MHz wide curve: O((h/w)^4) ~ 1e-4; 5e-4 allowed)."""
    k = small_model.n_booster
    model = dataclasses.replace(small_model, covariance=np.zeros((k, k)), lna_sigma=np.zeros(4),
                                field_shape_sigma=0.0, frequency_sigma=5e6)
    res = mc.run_montecarlo(model, 5, 4, chunk_size=5, workers=1)
    b = small_model.booster_fit.booster(small_model.center)
    for i in range(5):
        fs = model.frequency - res.draws.shift[i]
        r = b.response(fs)
        direct = delivered_boost_factor(fs, r.boost_factor, r.s11, model.lna.gamma_at(fs), res.tau[i])
        assert np.allclose(res.boost[i], direct, rtol=5e-4)
        fw = model.frequency + res.draws.shift[i]       # the opposite sign is clearly wrong
        rw = b.response(fw)
        wrong = delivered_boost_factor(fw, rw.boost_factor, rw.s11, model.lna.gamma_at(fw), res.tau[i])
        if abs(res.draws.shift[i]) > 1e6:
            assert np.max(np.abs(res.boost[i] / wrong - 1)) > 10 * np.max(np.abs(res.boost[i] / direct - 1))
    assert np.ptp(res.tau) == 0.0  # nothing else varied, so the refit is the same for every sample


def test_interrupted_run_resumes_to_the_same_result(small_model, tmp_path):
    full = mc.run_montecarlo(small_model, 20, 5, chunk_size=4, workers=1)

    class Killed(Exception):
        pass

    def stop_after_two(c: int) -> None:
        if c == 1:
            raise Killed

    with pytest.raises(Killed):
        mc.run_montecarlo(small_model, 20, 5, chunk_size=4, workers=1, checkpoint=tmp_path, on_chunk=stop_after_two)
    assert sorted(p.name for p in (tmp_path / "samples").glob("chunk_*.npz")) == ["chunk_00000.npz",
                                                                                 "chunk_00001.npz"]
    resumed = mc.run_montecarlo(small_model, 20, 5, chunk_size=4, workers=2, checkpoint=tmp_path)
    assert resumed.timing["reused_chunks"] == 2 and resumed.timing["computed_chunks"] == 3
    assert np.array_equal(full.boost, resumed.boost) and np.array_equal(full.tau, resumed.tau)
    # a restart with other settings is refused, with a message that says why
    with pytest.raises(InputError, match="seed"):
        mc.run_montecarlo(small_model, 20, 6, chunk_size=4, workers=1, checkpoint=tmp_path)
    with pytest.raises(InputError, match="fingerprint"):
        mc.run_montecarlo(dataclasses.replace(small_model, field_shape_sigma=0.2), 20, 5, chunk_size=4, workers=1,
                          checkpoint=tmp_path)
    # fresh discards the old checkpoint
    again = mc.run_montecarlo(small_model, 8, 6, chunk_size=4, workers=1, checkpoint=tmp_path, fresh=True)
    assert again.timing["reused_chunks"] == 0


def test_chunk_of_another_run_is_refused_and_a_damaged_one_recomputed(small_model, tmp_path):
    a, b = tmp_path / "seed5", tmp_path / "seed8"
    ref = mc.run_montecarlo(small_model, 8, 5, chunk_size=4, workers=1, checkpoint=a)
    mc.run_montecarlo(small_model, 8, 8, chunk_size=4, workers=1, checkpoint=b)
    stray = a / "samples" / "chunk_00001.npz"
    shutil.copy(b / "samples" / "chunk_00001.npz", stray)       # a chunk of a --seed 8 run among seed-5 chunks
    with pytest.raises(InputError, match=r"chunk_00001\.npz: .*seed 8 stored, 5 now"):
        mc.run_montecarlo(small_model, 8, 5, chunk_size=4, workers=1, checkpoint=a)
    stray.write_bytes(stray.read_bytes()[:200])                  # truncated: recomputed, with a warning line
    lines: list[str] = []
    res = mc.run_montecarlo(small_model, 8, 5, chunk_size=4, workers=1, checkpoint=a, warn=lines.append)
    assert res.timing["damaged_chunks_recomputed"] == 1 and res.timing["reused_chunks"] == 1
    assert len(lines) == 1 and "damaged" in lines[0] and str(stray) in lines[0]
    assert np.array_equal(res.boost, ref.boost) and np.array_equal(res.tau, ref.tau)
    # the caller's run key (e.g. a hash of the recipe and its input files) must match too
    with pytest.raises(InputError, match="run key"):
        mc.run_montecarlo(small_model, 8, 5, chunk_size=4, workers=1, checkpoint=a, run_key="other inputs")


def test_convergence_check_is_reported():
    f = np.arange(4.0)
    rng = np.random.default_rng(0)
    stable = 100 + rng.standard_normal((400, 4))
    c = mc.convergence(stable, f, window=25, tolerance=0.01)
    assert c.converged and c.max_relative_change < 1e-3
    drifting = stable + np.linspace(0, 50, 400)[:, None]          # a trend never converges
    d = mc.convergence(drifting, f, window=25, tolerance=0.01)
    assert not d.converged and "NOT stable" in d.message
    few = mc.convergence(stable[:20], f, window=25)
    assert not few.converged and "too few" in few.message


def test_combined_runs_are_uncorrelated():
    """Two independent runs: the sample-by-sample combination reproduces the linear formula for the
    relative std of g (within 10 %: 4000 samples) and the g^-4 sum of the medians."""
    rng = np.random.default_rng(3)
    f = np.linspace(18e9, 18.1e9, 5)
    b1 = 1000 * (1 + 0.10 * rng.standard_normal((4000, 5)))
    b2 = 1500 * (1 + 0.05 * rng.standard_normal((4000, 5)))
    kw = {"area": np.pi * 0.1**2, "b_field": 1.6, "snr": 5.0, "rho": 0.3 * GEV_PER_CM3}
    g1 = mc.reach_samples(b1, f, 300.0, time=86400.0, **kw)
    g2 = mc.reach_samples(b2, f, 250.0, time=2 * 86400.0, **kw)
    gc = mc.combine_reach(f, [(f, g1), (f, g2)])
    rel_mc = np.std(gc, axis=0, ddof=1) / np.mean(gc, axis=0)
    g1n, g2n = np.median(g1, axis=0), np.median(g2, axis=0)
    rel_lin = mc.combined_relative_uncertainty([g1n, g2n], [np.full(5, 0.10), np.full(5, 0.05)])
    assert np.allclose(rel_mc, rel_lin, rtol=0.10)
    assert np.allclose(np.median(gc, axis=0), (g1n**-4 + g2n**-4) ** -0.25, rtol=0.01)
    # a run outside the band contributes nothing
    only = mc.combine_reach(f, [(f, g1), (f + 1e9, g2)])
    assert np.array_equal(only, g1)


def test_reach_samples_reproduce_physics_worked_numbers_and_scalings():
    """physics.md §2.2: beta^2 = 1000 / 2000, T_sys = 300 K, 3 d, 1.6 T, r = 0.1 m, SNR 1, rho 0.3,
    linewidth f / 6.8e5 at 19.2 GHz -> 1.40e-11 and 9.9e-12 GeV^-1 (rounded to 2 digits there)."""
    f = np.array([19.2e9])
    kw = {"area": np.pi * 0.1**2, "b_field": 1.6, "snr": 1.0, "rho": 0.3 * GEV_PER_CM3,
          "linewidth": f / 6.8e5}
    g = mc.reach_samples(np.array([[1000.0], [2000.0], [4000.0], [-1.0]]), f, 300.0, time=3 * 86400.0, **kw)
    assert g[0, 0] == pytest.approx(1.40e-11, rel=5e-3)
    assert g[1, 0] == pytest.approx(9.9e-12, rel=5e-3)
    assert g[2, 0] / g[0, 0] == pytest.approx(0.5, rel=1e-12)          # g ~ beta^-1 = (beta^2)^-1/2
    assert np.isinf(g[3, 0])                                            # a non-positive sample has no reach
    g_b = mc.reach_samples(np.array([[1000.0]]), f, 300.0, time=3 * 86400.0, **(kw | {"b_field": 3.2}))
    g_t = mc.reach_samples(np.array([[1000.0]]), f, 1200.0, time=3 * 86400.0, **kw)
    g_dt = mc.reach_samples(np.array([[1000.0]]), f, 300.0, time=48 * 86400.0, **kw)
    assert g_b[0, 0] / g[0, 0] == pytest.approx(0.5, rel=1e-12)        # B^-1
    assert g_t[0, 0] / g[0, 0] == pytest.approx(2.0, rel=1e-12)        # T_sys^1/2
    assert g_dt[0, 0] / g[0, 0] == pytest.approx(0.5, rel=1e-12)       # dt^-1/4


def test_bad_inputs_are_clear_errors(small_model):
    with pytest.raises(InputError, match="samples"):
        mc.draw_samples(small_model, 0, 1)
    with pytest.raises(InputError, match="covariance"):
        dataclasses.replace(small_model, covariance=np.full((3, 3), np.nan))
    with pytest.raises(InputError, match="uniformly"):
        dataclasses.replace(small_model, frequency=np.array([21.7e9, 21.8e9, 22.0e9]))
    with pytest.raises(InputError, match="chunk_size"):
        mc.run_montecarlo(small_model, 4, 1, chunk_size=0)
