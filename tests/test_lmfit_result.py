"""FitResult.lmfit_result: lmfit's report, confidence intervals and emcee reachable for every fit kind that goes
through emboost.fit.core.least_squares (resonance, booster reflectivity, noise standards). All data SYNTHETIC,
generated here with the true values next to them."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from emboost.booster.setup import load_booster_setup
from emboost.core.errors import FitError
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11
from emboost.fit.core import ParameterSpec, least_squares
from emboost.fit.lmfit_result import LazyLmfitResult
from emboost.fit.noise import fit_standards, standards_temperatures
from emboost.fit.resonance import fit_resonance, resonance_response
from emboost.noise.amplifier import NoiseSources

ROOT = Path(__file__).resolve().parents[1]

# synthetic reflection resonance: truth
F_RES = np.linspace(8.396e9, 8.404e9, 161)
TRUE_RES = dict(f0=8.4e9, q=12000.0, diameter=0.7, rotation=0.4, background=0.8 + 0.3j, delay=2e-9)
SIGMA_RES = 2e-3


def _resonance_fit(seed: int = 1, weighting: str = "uniform"):
    t = TRUE_RES
    s = resonance_response(F_RES, t["f0"], t["q"], t["diameter"], t["rotation"], t["background"], t["delay"],
                           8.4e9, "reflection")
    rng = np.random.default_rng(seed)
    s = s + SIGMA_RES * (rng.standard_normal(F_RES.size) + 1j * rng.standard_normal(F_RES.size))
    # uniform weights: with known uniform noise this is the likelihood's own estimator, the one lmfit's report and
    # emcee describe (the default angular weights are another estimator with a sandwich covariance; its
    # lmfit_result is lmfit's view from the same solution, tested in test_lmfit_view_of_an_angular_fit)
    return fit_resonance(F_RES, s, "reflection", sigma=SIGMA_RES, weighting=weighting)


def _booster_fit():
    base = load_booster_setup(ROOT / "models" / "cb200_config1.toml").booster
    f = np.linspace(16e9, 21e9, 81)
    free = ["gap_1", "gap_2", "gap_3"]
    truth = {"gap_1": 8.455e-3, "gap_2": 12.320e-3, "gap_3": 12.610e-3}
    s11 = base.with_gaps(np.array([truth[n] for n in free])).reflectivity(f)
    rng = np.random.default_rng(2)
    s11 = s11 + 3e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    specs = booster_parameter_specs(base, free, initial=truth)
    return fit_booster(f, observables_from_s11(f, s11), base, specs, [Observable("s11", 3e-3)])


def _noise_fit():
    f = np.linspace(17e9, 21e9, 201)
    truth = NoiseSources(371e-12, 7.4e-12, 0.35, 0.8)
    t = standards_temperatures(f, truth, 0.2, 295.0, 1.2e-9, 1.1e-9)
    rng = np.random.default_rng(3)
    sigma = {k: np.full(f.size, 0.05) for k in t}
    data = {k: t[k] + 0.05 * rng.standard_normal(f.size) for k in t}
    return fit_standards(f, data, sigma, 0.2, 295.0, (1.0e-9, 1.4e-9), (0.9e-9, 1.3e-9)).result


@pytest.mark.parametrize("make", [lambda: _resonance_fit().fit, lambda: _booster_fit().fit, _noise_fit],
                         ids=["resonance", "booster", "noise_standards"])
def test_fit_report_for_every_fit_kind(make):
    fit = make()
    assert fit.converged
    lm = fit.lmfit_result
    report = lm.fit_report()
    assert "[[Fit Statistics]]" in report and "[[Variables]]" in report
    for name in fit.free:
        # the report's value of each free parameter is the SI value of the FitResult (to the report's digits)
        m = re.search(rf"^\s+{re.escape(name)}:\s+(\S+)\s+\+/-\s+(\S+)", report, re.MULTILINE)
        assert m, (name, report)
        assert float(m.group(1)) == pytest.approx(fit.value(name), rel=1e-6)
        assert float(m.group(2)) == pytest.approx(fit.error(name), rel=1e-2)
    # anything else is the MinimizerResult's own
    assert lm.nfev == lm.result.nfev and lm.params is lm.result.params
    # fits through fit.core.least_squares are lmfit's own run; the resonance solver's view is a second lmfit run
    assert isinstance(lm, LazyLmfitResult) or lm.nfev == fit.nfev
    assert repr(fit).count("lmfit") == 0  # excluded from the FitResult's repr


def test_fit_result_pickles_without_the_minimizer():
    fit = _resonance_fit().fit
    back = pickle.loads(pickle.dumps(fit))
    assert back.lmfit_result.minimizer is None and "[[Variables]]" in back.lmfit_result.fit_report()
    with pytest.raises(FitError, match="minimizer"):
        back.lmfit_result.emcee(steps=10)


def test_conf_interval_matches_stderr_on_a_linear_model():
    x = np.linspace(0, 1, 41)
    y = 2.0 * x + 0.5 + 0.1 * np.random.default_rng(4).standard_normal(x.size)
    fit = least_squares(lambda p: (p[0] * x + p[1] - y) / 0.1,
                        [ParameterSpec("a", 1.0), ParameterSpec("b", 0.1, scale=1.0)], scale_covar=False)
    ci = fit.lmfit_result.conf_interval(sigmas=(1,))
    for name in ("a", "b"):
        lo, best, hi = sorted(v for _, v in ci[name])
        assert best == pytest.approx(fit.value(name), rel=1e-9)
        # a linear model: the profile interval is the covariance one, scaled as lmfit's F-test scales it by the
        # observed reduced chi^2 (known noise or not) and about 1.5 % wider for F(1, 39)
        assert (hi - lo) / 2 == pytest.approx(fit.error(name) * np.sqrt(fit.redchi) * 1.015, rel=0.02)


def test_emcee_posterior_agrees_with_the_covariance():
    pytest.importorskip("emcee")
    fit = _resonance_fit().fit
    with pytest.warns(UserWarning, match="emcee: The chain is shorter"):  # lmfit's advice, passed on as a warning
        samples, names, run = fit.lmfit_result.emcee(steps=700, nwalkers=32, burn=300, thin=2, seed=5)
    assert names == fit.free and samples.shape == (32 * 200, len(fit.free))
    assert 0.15 < float(np.mean(run.acceptance_fraction)) < 0.9
    mean, std = samples.mean(axis=0), samples.std(axis=0, ddof=1)
    err = np.array([fit.error(n) for n in names])
    best = np.array([fit.value(n) for n in names])
    ratio = std / err
    # a well-determined resonance is close to Gaussian: the posterior width equals the covariance's within 20 %
    # (the chain's own sampling error, 6400 correlated draws, is a few per cent) and the mean is the best fit
    assert np.all(np.abs(ratio - 1) < 0.2), dict(zip(names, ratio.round(3)))
    assert np.all(np.abs(mean - best) < 0.3 * err), dict(zip(names, ((mean - best) / err).round(3)))


def test_lmfit_view_of_an_angular_fit():
    """The default (angular-weighted) resonance fit is solved by emboost's own solver; its lmfit_result is lmfit
    run from that solution on the residuals in units of the noise: it lands on the likelihood's optimum, within
    one (sandwich) sigma of emboost's values, with lmfit's smaller likelihood errors."""
    fit = _resonance_fit(weighting="angular").fit
    lm = fit.lmfit_result
    assert "[[Variables]]" in lm.fit_report()
    for name in fit.free:
        assert abs(lm.to_si(name, lm.params[name].value) - fit.value(name)) < fit.error(name)
        assert lm.to_si(name, lm.params[name].value + lm.params[name].stderr) - lm.to_si(
            name, lm.params[name].value) <= fit.error(name) * 1.05
