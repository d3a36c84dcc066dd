"""The search chain (emboost.search) on SYNTHETIC spectra: statistics of the grand unified spectrum, the
look-elsewhere effect, limits and their bands, injected signals, the paper's expected limit, the job."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from emboost.core.constants import GeV
from emboost.core.errors import DataFileError, InputError
from emboost.search.analysis import SearchSettings, injection_efficiency, run_search
from emboost.search.scan import (
    CavityParameters,
    bayesian_upper_limit,
    coupling_limits,
    expected_limits,
    filtered_lineshape,
    scan_spectrum,
    scan_spectrum_loop,
)
from emboost.search.spectra import FilterSettings, GrandSpectrum, RawSpectra, grand_unified_spectrum
from emboost.search.synthetic import PAPER_CAVITY, signal_amplitude, synthetic_run

SMALL = {"n_on": 200, "n_off": 200, "n_bins": 256}


def settings(**kw):
    return SearchSettings(filters=FilterSettings(sg2_length=kw.pop("sg2", 109)), n_sim=kw.pop("n_sim", 300), **kw)


def test_grand_unified_spectrum_is_standard_normal():
    run = synthetic_run(n_on=400, n_off=400, n_bins=512, seed=11)
    sp = grand_unified_spectrum(run.raw)
    z = sp.combined.normalised
    z = z[np.isfinite(z)]
    assert z.size > 500
    # statistical errors of the mean and of the standard deviation of ~550 values (3 sigma); the
    # per-bin variance has ~200 degrees of freedom, which adds ~1 % to the spread of delta/sigma
    assert abs(z.mean()) < 3 / np.sqrt(z.size)
    assert abs(z.std() - 1) < 3 / np.sqrt(2 * z.size) + 0.01
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # the per-spectrum spread is the radiometer noise 1/sqrt(bin_width t)
    assert sp.per_spectrum_sigma == pytest.approx(run.truth["sigma0"], rel=0.03)


def test_vectorised_scan_equals_plain_loop():
    rng = np.random.default_rng(0)
    n = 400
    g = GrandSpectrum(8.384e9 + 4577 * np.arange(n), rng.standard_normal(n), 0.5 + rng.random(n),
                      np.full(n, 10), 4577.0)
    g.delta[37] = np.nan
    t = filtered_lineshape(8.384e9, 4577.0).template
    a, b = scan_spectrum(g, t), scan_spectrum_loop(g, t)
    assert np.array_equal(np.isnan(a.amplitude), np.isnan(b.amplitude))
    assert np.nanmax(np.abs(a.amplitude - b.amplitude)) < 1e-12
    assert np.nanmax(np.abs(a.sigma - b.sigma)) < 1e-12


def test_limit_closed_form_matches_the_fit_module():
    from emboost.fit.rades import bayesian_upper_limit as ref

    a = np.linspace(-3, 3, 13)
    assert np.allclose(bayesian_upper_limit(a, np.ones_like(a), 0.9), ref(a, 1.0, 0.9), rtol=1e-12)


def test_filter_efficiency_by_injection_matches_the_linear_filters():
    run = synthetic_run(**SMALL, seed=5)
    s = settings()
    base = run_search(run.raw, s)
    f = float(base.scan.frequency[base.scan.frequency.size // 2])
    inj = injection_efficiency(run.raw, s, f, 20 * float(np.nanmedian(base.scan.sigma)), base)
    assert 0.4 < inj.predicted < 0.8
    assert inj.efficiency == pytest.approx(inj.predicted, abs=0.05)


def test_global_significance_is_uniform_over_seeds():
    p = []
    for seed in range(30):
        run = synthetic_run(**SMALL, seed=100 + seed)
        res = run_search(run.raw, settings(n_sim=200, seed=seed))
        p.append(res.significance.global_p)
    p = np.array(p)
    # under the null the global p-value of the largest excess is uniform on (0, 1)
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert 0.2 < np.mean(p) < 0.8


def test_observed_limit_inside_expected_band_about_95_percent():
    frac = []
    for seed in range(4):
        run = synthetic_run(**SMALL, seed=200 + seed)
        res = run_search(run.raw, settings(seed=seed))
        ok = np.isfinite(res.limit_a)
        lo, hi = res.expected.band_2sigma
        frac.append(np.mean((res.limit_a[ok] >= lo[ok]) & (res.limit_a[ok] <= hi[ok])))
    assert 0.88 < np.mean(frac) < 0.99


def _expected_a(seed: int) -> tuple[float, float]:
    """Median expected A limit and sigma_A near the cavity peak for the SMALL layout."""
    run = synthetic_run(**SMALL, seed=seed)
    res = run_search(run.raw, settings(n_sim=200))
    i = int(np.nanargmin(np.abs(res.scan.frequency - PAPER_CAVITY.f0)))
    return float(res.expected.median[i]), float(res.scan.sigma[i])


def test_injected_signal_three_times_the_limit_is_found():
    a_lim, s_a = _expected_a(7)
    f_a = PAPER_CAVITY.f0 + 20 * 4577.0
    a_target = 3 * a_lim
    g1 = signal_amplitude(1e-12, f_a, PAPER_CAVITY, 4577.0, 0.1)
    g = 1e-12 * np.sqrt(a_target / g1)
    run = synthetic_run(**SMALL, seed=8, g_gev=g, f_a=f_a)
    res = run_search(run.raw, settings())
    f_true = run.truth["f_a_hz"]
    c = res.candidates[0]
    assert abs(c.frequency - f_true) <= 4577.0  # within one bin
    z_expected = run.truth["amplitude_A"] / c.sigma
    assert c.local_z == pytest.approx(z_expected, abs=3.0)
    assert c.amplitude == pytest.approx(run.truth["amplitude_A"], abs=3 * c.sigma)


def test_signal_below_the_limit_is_not_excluded():
    a_lim, _ = _expected_a(9)
    f_a = PAPER_CAVITY.f0 - 30 * 4577.0
    g = 1e-12 * np.sqrt(0.5 * a_lim / signal_amplitude(1e-12, f_a, PAPER_CAVITY, 4577.0, 0.1))
    run = synthetic_run(**SMALL, seed=10, g_gev=g, f_a=f_a)
    res = run_search(run.raw, settings(), cavity=PAPER_CAVITY)
    i = int(np.argmin(np.abs(res.scan.frequency - run.truth["f_a_hz"])))
    assert res.limit_g is not None
    assert res.limit_g[i] * GeV > g


def test_expected_limit_for_the_paper_inputs(root):
    from emboost.core.setupfile import read_toml
    from emboost.jobs.search import read_cavity

    model = root / "models" / "cast_rades_2018.toml"
    cav = read_cavity(model)
    t = read_toml(model)["search"]
    bw = t["bin_width"]["value"]
    t_on, t_off = t["t_on"]["value"] * 3600, t["t_off"]["value"] * 3600
    sigma = np.sqrt(1 / (bw * t_on) + 1 / (bw * t_off))  # 5.11e-5 (physics.md 3.6)
    n = 190  # the paper's 0.87 MHz analysis window
    f = cav.f0 + bw * (np.arange(n) - n // 2)
    gus = GrandSpectrum(f, np.zeros(n), np.full(n, sigma), np.full(n, 4093), bw)
    shape = filtered_lineshape(cav.f0, bw)
    ex = expected_limits(gus, shape.template, 1000, seed=1)
    sc = scan_spectrum(gus, shape.template)
    g = coupling_limits(sc.frequency, ex.median, cav, bw) * GeV
    best = float(np.nanmin(g))
    assert best == pytest.approx(t["published_limit"]["value"], rel=0.25)


def test_streaming_from_a_memory_map_equals_in_memory(tmp_path):
    from emboost.jobs.search import read_spectra

    run = synthetic_run(n_on=60, n_off=40, n_bins=200, seed=3)
    for k in ("power", "timestamp", "lo_frequency", "magnet_on", "if_frequency"):
        np.save(tmp_path / f"{k}.npy", np.asarray(getattr(run.raw, k)))
    mm = read_spectra(tmp_path)
    assert isinstance(mm.power, np.memmap)
    a = grand_unified_spectrum(mm, FilterSettings(sg2_length=51, block=7)).combined
    b = grand_unified_spectrum(run.raw, FilterSettings(sg2_length=51, block=1000)).combined
    assert np.allclose(a.delta, b.delta, equal_nan=True, rtol=1e-9, atol=1e-12)
    assert np.allclose(a.sigma, b.sigma, equal_nan=True, rtol=1e-9)


def test_bad_inputs_give_one_line_errors(tmp_path):
    from emboost.jobs.search import read_spectra

    np.savez(tmp_path / "x.npz", power=np.ones((4, 10)))
    with pytest.raises(DataFileError, match="missing array"):
        read_spectra(tmp_path / "x.npz")
    run = synthetic_run(n_on=4, n_off=4, n_bins=32, seed=0)
    with pytest.raises(InputError, match="exactly two LO"):
        RawSpectra(run.raw.power, run.raw.timestamp, np.full(8, 1e9), run.raw.magnet_on, run.raw.if_frequency)
    with pytest.raises(InputError, match="whole number"):
        grand_unified_spectrum(RawSpectra(run.raw.power, run.raw.timestamp,
                                          run.raw.lo_frequency + (run.raw.lo_frequency > run.raw.los[0]) * 1000.0,
                                          run.raw.magnet_on, run.raw.if_frequency), FilterSettings(sg2_length=21))
    with pytest.raises(InputError, match="odd"):
        FilterSettings(sg2_length=100)
    with pytest.raises(InputError, match="positive"):
        CavityParameters(8e9, 1e4, 0.5, 0.6, -1.0, 8.8, 7.8, 7e-5)


def test_search_job_and_command(root, tmp_path):
    from emboost.cli import main

    out = tmp_path / "out"
    status = main(["search", str(root / "fits" / "rades_search.toml"), "--output", str(out), "--simulations", "100",
                   "--quiet"])
    assert status == 0
    for name in ("gus.csv", "gus_histogram.csv", "scan.csv", "candidates.csv", "results.json", "gus.png",
                 "gus_histogram.png", "significance.png", "exclusion.png"):
        assert (out / name).stat().st_size > 0, name
    res = json.loads((out / "results.json").read_text())
    truth = json.loads((root / "examples" / "rades_search" / "synthetic_small_truth.json").read_text())
    assert truth["synthetic"] is True
    assert abs(res["candidates"][0]["frequency"] - truth["f_a_hz"]) <= truth["bin_width_hz"]
    assert res["injection"]["efficiency"] == pytest.approx(res["lineshape"]["filter_efficiency"], abs=0.05)
    assert "provenance" in res and res["limits"]["simulations"] == 100
    # a second run into the same folder is refused without --overwrite
    assert main(["search", str(root / "fits" / "rades_search.toml"), "--output", str(out), "--quiet"]) == 1
