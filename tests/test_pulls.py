"""Pull studies: the reported standard errors match the scatter of the fitted values over seeded
re-simulations (SYNTHETIC data: the model at known values plus seeded Gaussian noise), on noisy data and on
data whose noise is 1e-9 of the signal; and the reported covariance equals the one from an independent
central-difference Jacobian at the truth.

Criterion: scatter / mean reported sigma in [0.8, 1.25] for every parameter over 100 seeds (the ratio itself
scatters by about 7 % at 100 seeds).
"""

from __future__ import annotations

import numpy as np
import pytest

from emboost.fit.resonance import NAMES, fit_resonance, resonance_response

F0, QL = 5.0e9, 2000.0
F = np.linspace(F0 * (1 - 4 / QL), F0 * (1 + 4 / QL), 121)
BG, TAU = 0.8 * np.exp(0.6j), 0.7e-9
F_REF = 0.5 * (F[0] + F[-1])
TRUTH = np.array([F0, QL, 2 * 0.5 / 1.5, 0.05, BG.real, BG.imag, TAU])


def _model(x: np.ndarray, kind: str) -> np.ndarray:
    return resonance_response(F, x[0], x[1], x[2], x[3], x[4] + 1j * x[5], x[6], F_REF, kind)


@pytest.mark.parametrize("kind", ["reflection", "transmission"])
@pytest.mark.parametrize("relative_noise", [2e-3, 1e-9])
def test_resonance_pull_study(kind: str, relative_noise: float) -> None:
    s0 = _model(TRUTH, kind)
    sigma = relative_noise * np.abs(s0).max()
    values, errors = [], []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        r = fit_resonance(F, s0 + sigma * (rng.standard_normal(F.size) + 1j * rng.standard_normal(F.size)), kind,
                          sigma=sigma)
        assert r.fit.converged
        values.append([r.fit.value(n) for n in NAMES])
        errors.append([r.fit.error(n) for n in NAMES])
    v, e = np.array(values), np.array(errors)
    ratio = v.std(axis=0, ddof=1) / e.mean(axis=0)
    assert np.all((0.8 <= ratio) & (ratio <= 1.25)), dict(zip(NAMES, ratio.round(3)))
    pulls = (v - TRUTH) / e
    assert np.all(np.abs(pulls.mean(axis=0)) < 0.4), dict(zip(NAMES, pulls.mean(axis=0).round(3)))


@pytest.mark.parametrize("kind", ["reflection", "transmission"])
def test_resonance_covariance_equals_an_independent_jacobian(kind: str) -> None:
    """Noise-free data: the reported errors equal those of (J^T J)^-1 from a central-difference Jacobian with
    steps of 1e-6 of each parameter's natural size, within 1 %."""
    s0 = _model(TRUTH, kind)
    sigma = 1e-9 * np.abs(s0).max()
    natural = np.array([F0 / QL, QL, 1.0, np.pi, 1.0, 1.0, 1.0 / (F[-1] - F[0])])
    cols = []
    for i in range(TRUTH.size):
        h = np.zeros(TRUTH.size)
        h[i] = 1e-6 * natural[i]
        d = (_model(TRUTH + h, kind) - _model(TRUTH - h, kind)) / (2 * h[i])
        cols.append(np.concatenate([d.real, d.imag]) / sigma)
    jac = np.array(cols).T
    independent = np.sqrt(np.diag(np.linalg.inv(jac.T @ jac)))
    r = fit_resonance(F, s0, kind, sigma=sigma, weighting="uniform")
    reported = np.array([r.fit.error(n) for n in NAMES])
    np.testing.assert_allclose(reported, independent, rtol=0.01)


@pytest.mark.parametrize("index", range(5))
def test_every_model_option_covariance_equals_an_independent_jacobian(index: int) -> None:
    """The synthetic cases of every type and option (tests/resonator_synthetic.py; SYNTHETIC, noise-free here):
    the reported errors with uniform weights equal those of (J^T J)^-1 from central differences of the model,
    within 1 % (checks the analytic Jacobian of slopes, leakage and delay too)."""
    from resonator_synthetic import CASES

    from emboost.fit.resonators import response

    case = CASES[index]
    f, cfg = case.frequency, case.config
    f_ref = float(0.5 * (f[0] + f[-1]))
    truth = cfg.vector(**case.truth)
    opts = {k: v for k, v in case.fit.items() if k != "known_noise"}
    r = fit_resonance(f, case.clean(), case.kind, sigma=case.sigma, weighting="uniform", **opts)
    free = [cfg.names.index(n) for n in r.fit.free]
    span = f[-1] - f[0]
    scale = {"f0": truth[0] / truth[1], "loaded_q": truth[1], "rotation": np.pi, "delay": 1 / span}
    cols = []
    for i in free:
        h = np.zeros(truth.size)
        h[i] = 1e-6 * scale.get(cfg.names[i], max(abs(truth[i]), 1.0))
        d = (response(f, truth + h, cfg, f_ref) - response(f, truth - h, cfg, f_ref)) / (2 * h[i])
        cols.append(np.concatenate([d.real, d.imag]) / case.sigma)
    jac = np.array(cols).T
    independent = np.sqrt(np.diag(np.linalg.inv(jac.T @ jac)))
    reported = np.array([r.fit.error(cfg.names[i]) for i in free])
    np.testing.assert_allclose(reported, independent, rtol=0.01)
