"""From measurement to sensitivity (emboost.fit.rades) against physics.md §3.1-3.2, §3.6, §6 items 8-11."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.core.axion import GEV_PER_CM3, shm_bin_fractions, sikivie_power
from emboost.core.constants import GeV
from emboost.fit.rades import (
    bayesian_upper_limit,
    bayesian_upper_limit_numeric,
    beta_from_reflection,
    beta_from_s11,
    dicke_snr,
    expected_limit,
    fit_amplitude,
    fit_lorentzian,
    gus_sigma,
    lorentzian,
    noise_power,
    q0_from_loaded,
    reflection_model,
    s11_from_beta,
)


def test_beta_and_s11():
    assert beta_from_s11(1 / 3) == pytest.approx(0.5, rel=1e-12)
    assert 20 * np.log10(s11_from_beta(0.5)) == pytest.approx(-9.542, abs=1e-3)
    assert 20 * np.log10(s11_from_beta(0.39)) == pytest.approx(-7.15, abs=1e-2)
    assert 20 * np.log10(s11_from_beta(0.61)) == pytest.approx(-12.32, abs=1e-2)
    assert beta_from_s11(1 / 3, overcoupled=True) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        beta_from_s11(1.2)


def test_beta_from_full_reflection_fit():
    f = np.linspace(8.38e9, 8.39e9, 401)
    s = reflection_model(f, 8.384e9, 3.0e4, 0.5, 0.8 * np.exp(0.3j))  # synthetic, noise-free
    beta, q0, ql = beta_from_reflection(f, s)
    assert beta == pytest.approx(0.5, rel=1e-4)
    assert q0 == pytest.approx(3.0e4, rel=1e-4)
    assert q0_from_loaded(ql, beta) == pytest.approx(q0, rel=1e-12)


def test_limit_closed_form_values():
    # physics.md 3.2 / 6.8: 1.9600, 2.7272, 1.4120 sigma_A (4 decimals)
    assert bayesian_upper_limit(0.0, 1.0) == pytest.approx(1.9600, abs=1e-4)
    assert bayesian_upper_limit(1.0, 1.0) == pytest.approx(2.7272, abs=1e-4)
    assert bayesian_upper_limit(-1.0, 1.0) == pytest.approx(1.4120, abs=1e-4)
    assert bayesian_upper_limit(0.0, 2.5) == pytest.approx(2.5 * 1.959964, rel=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_limit_numeric_posterior_matches_closed_form(seed):
    # synthetic grand spectrum (seeded): 14 bins of white noise with an SHM template
    rng = np.random.default_rng(seed)
    k = shm_bin_fractions(8.384e9, 4577.0, 14)
    sigma = np.full(14, 5.11e-5)
    delta = rng.normal(0.0, sigma) + 3e-5 * k
    fit = fit_amplitude(delta, sigma, k)
    assert fit.sigma == pytest.approx(5.11e-5 / np.sqrt(np.sum(k**2)), rel=1e-12)
    ul = bayesian_upper_limit(fit.amplitude, fit.sigma)
    assert bayesian_upper_limit_numeric(delta, sigma, k) == pytest.approx(ul, rel=1e-6)  # quadrature


def test_lorentzian_fit_recovers_q_on_synthetic_spectra():
    # synthetic, seeded: true f0 = 8.384 GHz, Q_L = 11300, A = 0.3, background 1, 2 % noise
    f = np.linspace(8.384e9 - 2e6, 8.384e9 + 2e6, 400)
    truth = dict(f0=8.384e9, q_loaded=11300.0, amplitude=0.3, background=1.0)
    qs, errs = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        p = lorentzian(f, **truth) + rng.normal(0, 0.02, f.size)
        r = fit_lorentzian(f, p, sigma=0.02)
        assert abs(r.q_loaded - 11300) < 3 * r.stderr["q_loaded"]  # within 3 standard errors
        qs.append(r.q_loaded)
        errs.append(r.stderr["q_loaded"])
    # the standard errors describe the scatter across seeds (20 samples: +-40 %)
    assert np.std(qs, ddof=1) / np.mean(errs) == pytest.approx(1.0, abs=0.4)


def test_cast_rades_numbers():
    assert noise_power(7.8, 4577.0) == pytest.approx(4.929e-19, rel=1e-3)
    assert gus_sigma(4577.0, 103 * 3600.0) == pytest.approx(2.427e-5, rel=1e-3)
    assert gus_sigma(4577.0, 103 * 3600.0, 30 * 3600.0) == pytest.approx(5.11e-5, rel=1e-2)
    k = shm_bin_fractions(8.384e9, 4577.0, 6)
    assert np.allclose(k[:3], [0.466, 0.340, 0.135], atol=1e-3)  # physics.md 1.4, 3 decimals
    assert np.sum(k**2) == pytest.approx(0.353, abs=1e-3)
    p = sikivie_power(4e-13 / GeV, 0.45 * GEV_PER_CM3, 8.8, 2.8e-5, 0.62, 11300, 0.5, 8.384e9)
    assert p == pytest.approx(9.77e-23, rel=1e-2)
    snr = dicke_snr(p, 7.8, 90.0, 8.384e9 / 1e6)
    assert snr == pytest.approx(p / (1.380649e-23 * 7.8) * np.sqrt(90.0 / 8384.0), rel=1e-12)


@pytest.mark.parametrize("volume, c_factor, g_ref", [(2.8e-5, 0.62, 3.69e-13), (3.69e-5, 0.66, 3.12e-13)])
def test_expected_limit(volume, c_factor, g_ref):
    r = expected_limit(f_a=8.384e9, bin_width=4577.0, t_on=103 * 3600.0, t_off=30 * 3600.0, t_sys=7.8,
                       b_field=8.8, volume=volume, form_factor=c_factor, q_loaded=11300.0, beta=0.5,
                       rho=0.45 * GEV_PER_CM3)
    assert r.sigma_a == pytest.approx(8.6e-5, rel=1e-2)
    assert r.power_limit == pytest.approx(8.3e-23, rel=1e-2)
    # physics.md 3.6: g_UL = 3.1-4.1e-13 for the (V, C) range; 2 digits quoted
    assert r.g_limit * GeV == pytest.approx(g_ref, rel=1e-2)
