"""The uncertainty budget of the Monte-Carlo engine (``emboost.mc.engine.uncertainty_budget``): closed forms, its
total against the linear propagation, the chain rule of its paths, and the tau path against a brute-force
derivative of the delivered boost factor. No mirror-gap refit here (the campaign tests cover it)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_montecarlo import small_model  # noqa: F401  (SYNTHETIC model fixture, tests/ is on the path)

from emboost.fit.noise import delivered_boost_factor
from emboost.mc import engine as mc


def test_total_is_the_linear_propagation_and_sources_add_up(small_model):  # noqa: F811
    b = mc.uncertainty_budget(small_model)
    lin = mc.linear_propagation(small_model)
    np.testing.assert_allclose(b.total, lin.std, rtol=1e-12)
    np.testing.assert_allclose(sum(v**2 for v in b.sources.values()), b.total**2, rtol=1e-9)
    # closed forms: sigma_shape beta^2 and sigma_f |d beta^2 / df|
    np.testing.assert_allclose(b.sources["field_shape"], 0.1 * b.nominal, rtol=1e-12)
    np.testing.assert_allclose(b.sources["frequency_shift"], 2e6 * np.abs(np.gradient(b.nominal, b.frequency)),
                               rtol=1e-12)
    # the paths recombine to the booster and LNA sources (chain rule with the correlation term)
    paths = sum(v**2 for v in b.channels.values()) + b.channel_cross
    np.testing.assert_allclose(paths, b.sources["booster_fit"] ** 2 + b.sources["lna"] ** 2, rtol=1e-8, atol=1e-12)
    # the LNA noise parameters do not enter beta^2 at fixed tau: no direct path (finite differences of the refits)
    assert np.max(b.channels["lna_direct"]) < 1e-4 * np.max(b.sources["lna"])  # the refits' tolerance
    assert np.all(np.isnan(b.conditional["gap_fit"]) | (b.conditional["gap_fit"] == 0))


def test_tau_path_is_the_tau_derivative_times_the_refit_spread(small_model):  # noqa: F811
    b = mc.uncertainty_budget(small_model, fit_sigma_tau=1e-13)
    m = small_model
    tau0 = mc.evaluate_samples(dataclasses.replace(m, frequency_sigma=0.0),
                               mc.Draws(0, m.center[None, :], m.lna_mean[None, :], np.ones(1), np.zeros(1)))["tau"][0]
    f = m.frequency
    resp = m.booster_fit.booster(m.center).response(f)
    h = 2e-14
    up, dn = (delivered_boost_factor(f, resp.boost_factor, resp.s11, m.lna.gamma_at(f), tau0 + s * h) for s in (1, -1))
    d_tau = (up - dn) / (2 * h)
    np.testing.assert_allclose(b.channels["tau_refit"], np.abs(d_tau) * b.tau_sigma, rtol=1e-3,
                               atol=1e-6 * np.max(b.channels["tau_refit"]))
    np.testing.assert_allclose(b.conditional["tau_fit"], np.abs(d_tau) * 1e-13, rtol=1e-3,
                               atol=1e-6 * np.max(b.conditional["tau_fit"]))
    # the linear spread of tau agrees with the Monte-Carlo spread of the refits (200 samples: 15 %)
    res = mc.run_montecarlo(m, 200, 3, chunk_size=50, workers=1)
    assert b.tau_sigma == pytest.approx(np.std(res.tau, ddof=1), rel=0.15)
