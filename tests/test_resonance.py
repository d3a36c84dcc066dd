"""Single-resonance fits: synthetic recovery, error calibration over seeds, NPL MAT 58 measurements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emboost.fit.resonance import fit_resonance, resonance_response, skrf_qfactor
from emboost.rf.touchstone import read_columns, read_s_parameter

F0, QL = 5.0e9, 2000.0
F = np.linspace(F0 * (1 - 4 / QL), F0 * (1 + 4 / QL), 121)  # small grid: +-8 half-widths
BG, TAU, SIGMA = 0.8 * np.exp(0.6j), 0.7e-9, 2e-3


def _truth(beta: float) -> dict[str, float]:
    return {"f0": F0, "loaded_q": QL, "diameter": 2 * beta / (1 + beta), "rotation": 0.05,
            "background_re": BG.real, "background_im": BG.imag, "delay": TAU}


def _synthetic(beta: float, seed: int) -> np.ndarray:
    """SYNTHETIC reflection data: the model at the true values plus seeded complex noise."""
    t = _truth(beta)
    s = resonance_response(F, t["f0"], t["loaded_q"], t["diameter"], t["rotation"], BG, TAU, 0.5 * (F[0] + F[-1]))
    rng = np.random.default_rng(seed)
    return s + SIGMA * (rng.standard_normal(F.size) + 1j * rng.standard_normal(F.size))


@pytest.mark.parametrize("beta,regime", [(0.4, "undercoupled"), (2.5, "overcoupled")])
def test_recovery_and_error_calibration(beta: float, regime: str) -> None:
    truth = _truth(beta)
    names = list(truth)
    vals, errs = [], []
    for seed in range(60):
        r = fit_resonance(F, _synthetic(beta, seed), sigma=SIGMA)
        assert r.fit.ok and r.regime == regime
        vals.append([r.fit.value(n) for n in names])
        errs.append([r.fit.error(n) for n in names])
        if seed == 0:
            # every value within 3 sigma of the truth
            for n in names:
                assert abs(r.fit.value(n) - truth[n]) < 3 * r.fit.error(n), n
            assert r.regime_from_delay == regime  # the group-delay sign agrees with the phase decision
            assert r.coupling == pytest.approx(beta, rel=0.05)
            lo, hi = r.quick_beta_both
            assert (lo if regime == "undercoupled" else hi) == pytest.approx(beta, rel=0.1)
    vals, errs = np.array(vals), np.array(errs)
    ratio = vals.std(axis=0, ddof=1) / errs.mean(axis=0)
    # reported errors match the scatter over 60 seeds within 30 % (the scatter itself is uncertain by ~9 %)
    assert np.all(np.abs(ratio - 1) < 0.3), dict(zip(names, ratio.round(3)))


def test_start_five_percent_off_converges() -> None:
    from emboost.fit.core import ParameterSpec
    from emboost.fit.resonance import NAMES

    truth = _truth(0.4)
    s = _synthetic(0.4, 123)
    lw = F0 / QL
    start = {n: v * 1.05 for n, v in truth.items()}
    start["f0"] = F0 + 0.05 * lw * 10  # f0 5 % of the span away
    bounds = {"diameter": (0, 2), "rotation": (-np.pi, np.pi)}
    specs = [ParameterSpec(n, start[n], *bounds.get(n, (-np.inf, np.inf)), unit="1") for n in NAMES]
    r = fit_resonance(F, s, sigma=SIGMA, specs=specs)
    assert r.fit.ok
    for n in NAMES:
        assert abs(r.fit.value(n) - truth[n]) < 3 * r.fit.error(n), n


def test_no_resonance_is_flagged() -> None:
    rng = np.random.default_rng(5)
    s = 0.9 + SIGMA * (rng.standard_normal(F.size) + 1j * rng.standard_normal(F.size))
    r = fit_resonance(F, s, sigma=SIGMA, max_nfev=300)
    assert not r.verdict().ok  # a bound, no covariance, or (here) Q0 without precision


def test_npl_reflection_reproduces_published(shared_data: Path) -> None:
    f, s = read_s_parameter(shared_data / "npl_mat58" / "Table6c27_S11_derived.s1p")
    r = fit_resonance(f, s, scale=1.0)
    assert r.fit.ok and r.regime == "undercoupled" and r.regime_from_delay == "undercoupled"
    # published (MAT 58 Table 6c): f_L 3.65293800 GHz, Q_L 708, Q0 862, diameter 0.3573.
    # Tolerances: f0 2e-6 (MAT 58's f_L comes from a fit with a different weighting: we get 3.652931 GHz);
    # Q_L and Q0 0.5 % (published to 3 digits; the line-delay and weighting choices move them by ~0.1 %);
    # diameter 2 % (MAT 58 quotes 0.3573; its NLQFIT7 on this file in scikit-rf gives 0.3538, as we do)
    assert r.f0 == pytest.approx(3.65293800e9, rel=2e-6)
    assert r.loaded_q == pytest.approx(708, rel=5e-3)
    assert r.unloaded_q == pytest.approx(862, rel=5e-3)
    assert r.circle_diameter == pytest.approx(0.3573, rel=0.02)
    cross = skrf_qfactor(f, s, "reflection", scale=1.0)
    assert r.loaded_q == pytest.approx(cross["loaded_q"], rel=2e-3)  # same model family as NLQFIT7


def test_npl_transmission_reproduces_published(shared_data: Path) -> None:
    f, s = read_columns(shared_data / "npl_mat58" / "Figure6b.txt", ["f", "re", "im"], "GHz")
    r = fit_resonance(f, s, "transmission", scale=1 / 0.874)
    assert r.fit.converged
    # published: f_L 3.987848 GHz, Q_L 7454, Q0 7546 (A = 1/0.874), diameter 0.0121; tolerances as above,
    # diameter 1 % (printed to 3 digits)
    assert r.f0 == pytest.approx(3.987848e9, rel=1e-6)
    assert r.loaded_q == pytest.approx(7454, rel=5e-3)
    assert r.unloaded_q == pytest.approx(7546, rel=5e-3)
    assert r.circle_diameter == pytest.approx(0.0121, rel=0.01)
