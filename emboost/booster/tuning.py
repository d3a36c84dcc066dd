"""Tuning a booster from its measured reflectivity: fit the present gaps, then the moves to the design.

1. **Present state**: the gaps of the booster (and, optionally, the line to the reference plane: an
   electrical delay and a complex background factor, ``S11 = (bg_re + j bg_im) exp(-j 2 pi (f - f_ref) tau)
   S11_booster``) are fitted to the measured complex S11 by Levenberg-Marquardt with the exact Jacobian
   of :mod:`emboost.booster.gradients`. The covariance is ``sigma^2 (J^T J)^-1`` with the given noise
   ``sigma`` per real and imaginary part (or, without one, the residual scatter).
2. **Moves**: the design's gaps minus the fitted ones; each disk's move is the sum of the gap changes in
   front of it. Their covariance is the fit's (the design is exact), so each move carries a 1-sigma.
3. **Prediction**: the boost factor after the moves is the design's (to first order in the fit error), with
   the uncertainty ``sqrt(diag(G C G^T))`` from the gradient ``G`` of beta^2 with respect to the gaps.

The verdict checks convergence, the reduced chi^2 (0.5 .. 2 with a given sigma), that no gap ended on
its bound, and that the predicted in-band minimum minus twice its uncertainty stays within 10 % of the
design's.

>>> import numpy as np
>>> from emboost.booster.model import Booster
>>> design = Booster.from_disks([7.0e-3, 7.2e-3, 7.1e-3], 1e-3, 24.0, 1e-4)
>>> truth = design.with_gaps(design.gaps + np.array([20e-6, -15e-6, 10e-6]))
>>> f = np.linspace(21.5e9, 22.5e9, 201)
>>> noise = np.random.default_rng(0).normal(0, 1e-3, (2, 201))  # SYNTHETIC data: sigma 1e-3 per part
>>> s11 = truth.reflectivity(f) + noise[0] + 1j * noise[1]
>>> r = tune_booster(f, s11, design, design, sigma=1e-3, band=(21.9e9, 22.1e9))
>>> err = r.gap_changes - (design.gaps - truth.gaps)
>>> bool(np.all(np.abs(err) < 5 * np.sqrt(np.diag(r.covariance)))), r.verdict.ok
(True, True)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from emboost.booster.design import DesignCheck, DesignVerdict
from emboost.booster.gradients import booster_gradients
from emboost.booster.model import Booster
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr

__all__ = ["TuningResult", "tune_booster", "tune_from_touchstone"]


@dataclass(frozen=True, eq=False)
class TuningResult:
    """Fitted present state, the moves to the design and the predicted boost factor.

    ``fitted_gaps`` [m] with ``covariance`` ``(n, n)`` [m^2]; ``gap_changes`` = design - fitted [m];
    ``disk_moves`` [m]: the move of each disk (positive: away from the mirror) with ``disk_move_sigma``;
    ``delay`` [s] and ``background`` (complex) if fitted, else 0 and 1; ``reduced_chi2``;
    ``frequency`` / ``predicted_boost`` / ``predicted_boost_sigma`` / ``design_boost`` over the band;
    ``present_boost``: the fitted present state's beta^2 there.
    """

    __repr__ = short_repr

    fitted: Booster
    fitted_gaps: np.ndarray
    covariance: np.ndarray
    gap_changes: np.ndarray
    disk_moves: np.ndarray
    disk_move_sigma: np.ndarray
    delay: float
    background: complex
    reduced_chi2: float
    frequency: np.ndarray
    present_boost: np.ndarray
    predicted_boost: np.ndarray
    predicted_boost_sigma: np.ndarray
    design_boost: np.ndarray
    evaluations: int
    verdict: DesignVerdict

    def to_dict(self) -> dict[str, Any]:
        return {"fitted_gaps_m": self.fitted_gaps.tolist(),
                "fitted_gap_sigma_m": np.sqrt(np.diag(self.covariance)).tolist(),
                "gap_changes_m": self.gap_changes.tolist(), "disk_moves_m": self.disk_moves.tolist(),
                "disk_move_sigma_m": self.disk_move_sigma.tolist(), "delay_s": self.delay,
                "background": [self.background.real, self.background.imag], "reduced_chi2": self.reduced_chi2,
                "band_minimum": {"present": float(self.present_boost.min()),
                                 "predicted": float(self.predicted_boost.min()),
                                 "design": float(self.design_boost.min())},
                "evaluations": self.evaluations, "verdict": self.verdict.to_dict()}


def tune_booster(f: np.ndarray, s11: np.ndarray, current: Booster, design: Booster | np.ndarray, *,
                 sigma: float | None = None, band: tuple[float, float] | None = None, fit_line: bool = False,
                 max_move: float = 1e-3, delay_guess: float = 0.0) -> TuningResult:
    """Fit the present gaps of ``current`` to the measured ``s11`` at ``f`` [Hz] and compute the moves to
    ``design`` (a booster or its gaps [m]).

    ``sigma``: noise per real and imaginary part of S11 (``None``: from the residuals). ``band`` [Hz]: where
    the boost factor is predicted (default: the measured span). ``fit_line``: also fit an electrical delay
    and a complex background, starting from ``delay_guess`` [s] (the delay must be known to a fraction of
    ``1 / span``: the phase wraps otherwise). ``max_move`` [m]: the fitted gaps stay within this of
    ``current``'s.
    """
    f = current.check_band(f)
    s11 = np.asarray(s11, complex)
    if s11.shape != f.shape or not np.all(np.isfinite(s11)):
        raise InputError(f"S11 must be finite with the shape of the frequencies {f.shape}", key="s11")
    if current.batch_shape:
        raise InputError("the current booster must not carry a batch axis")
    n = current.n_disks
    g_design = np.asarray(design.gaps if isinstance(design, Booster) else design, float)
    if g_design.shape != (n,):
        raise InputError(f"the design must have {n} gaps, got shape {g_design.shape}", key="design")
    if sigma is not None and not (math.isfinite(sigma) and sigma > 0):
        raise InputError(f"sigma must be > 0, got {sigma!r}", key="sigma")
    g0 = np.array(np.broadcast_to(current.gaps, (n,)), float)
    scale = 1e-6  # fit in micrometres
    f_ref = float(0.5 * (f[0] + f[-1]))
    w = 1.0 / (sigma if sigma is not None else 1.0)
    counter = [0]

    def model(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gaps = g0 + p[:n] * scale
        g = booster_gradients(current.with_gaps(gaps), f)
        counter[0] += 1
        sb, dsb = g.s11, g.d_s11[:n] * scale
        if not fit_line:
            return sb, dsb.T
        tau, bre, bim = p[n] * 1e-9, p[n + 1], p[n + 2]
        ph = np.exp(-2j * np.pi * (f - f_ref) * tau)
        bg = bre + 1j * bim
        s = bg * ph * sb
        jac = np.empty((f.size, n + 3), complex)
        jac[:, :n] = (bg * ph)[:, None] * dsb.T
        jac[:, n] = s * (-2j * np.pi * (f - f_ref)) * 1e-9
        jac[:, n + 1] = ph * sb
        jac[:, n + 2] = 1j * ph * sb
        return s, jac

    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def cached(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = p.tobytes()
        if k not in cache:
            cache.clear()
            cache[k] = model(p)
        return cache[k]

    def residual(p: np.ndarray) -> np.ndarray:
        d = (cached(p)[0] - s11) * w
        return np.concatenate([d.real, d.imag])

    def jacobian(p: np.ndarray) -> np.ndarray:
        j = cached(p)[1] * w
        return np.vstack([j.real, j.imag])

    p0 = np.zeros(n + (3 if fit_line else 0))
    lo = np.full(p0.size, -np.inf)
    hi = np.full(p0.size, np.inf)
    lo[:n] = np.maximum(-max_move, -g0) / scale
    hi[:n] = max_move / scale
    if fit_line:
        p0[n] = delay_guess * 1e9
        p0[n + 1] = 1.0
    res = least_squares(residual, p0, jac=jacobian, bounds=(lo, hi), method="trf", x_scale="jac",
                        xtol=1e-10, ftol=1e-10, gtol=1e-10, max_nfev=2000)
    p = res.x
    r = residual(p)
    dof = max(r.size - p.size, 1)
    chi2 = float(r @ r)
    red = chi2 / dof
    jm = jacobian(p)
    try:
        cov_p = np.linalg.inv(jm.T @ jm)
    except np.linalg.LinAlgError:
        cov_p = np.full((p.size, p.size), np.nan)
    if sigma is None:
        cov_p = cov_p * red
    cov = cov_p[:n, :n] * scale**2
    fitted_gaps = g0 + p[:n] * scale
    fitted = current.with_gaps(fitted_gaps)
    changes = g_design - fitted_gaps
    lower = np.tril(np.ones((n, n)))  # disk i moves by the sum of the gap changes 1..i
    moves = lower @ changes
    move_cov = lower @ cov @ lower.T
    fb = f if band is None else np.linspace(band[0], band[1], 201)
    target = current.with_gaps(g_design)
    gd = booster_gradients(target, fb)
    grad = gd.d_boost[:n]  # (n, nf)
    pred_sigma = np.sqrt(np.maximum(np.einsum("if,ij,jf->f", grad, cov, grad), 0.0))
    design_bf = gd.boost_factor
    present = fitted.boost_factor(fb)
    # the booster after the moves is the design plus the fit error: beta^2 as designed, within pred_sigma
    predicted = design_bf
    at_bound = bool(np.any(np.isclose(p[:n], lo[:n], atol=1e-6) | np.isclose(p[:n], hi[:n], atol=1e-6)))
    checks = [DesignCheck("converged", bool(res.success), f"least squares: {res.message}")]
    if sigma is not None:
        checks.append(DesignCheck("chi2", 0.5 <= red <= 2.0, f"reduced chi^2 {red:.3g} (0.5 .. 2 with sigma given)"))
    checks.append(DesignCheck("bounds", not at_bound, "no fitted gap on its +-max_move bound" if not at_bound
                              else f"a fitted gap ended on its bound (+-{max_move * 1e3:g} mm from the setup)"))
    bmin_design = float(design_bf.min())
    k = int(np.argmin(predicted - 2 * pred_sigma))
    worst = float(predicted[k] - 2 * pred_sigma[k])
    finite = bool(np.all(np.isfinite(cov)))
    checks.append(DesignCheck("prediction", finite and worst >= 0.9 * bmin_design,
                              f"predicted in-band minimum - 2 sigma {worst:.4g} vs design {bmin_design:.4g}"))
    return TuningResult(fitted=fitted, fitted_gaps=fitted_gaps, covariance=cov, gap_changes=changes,
                        disk_moves=moves, disk_move_sigma=np.sqrt(np.maximum(np.diag(move_cov), 0.0)),
                        delay=float(p[n] * 1e-9) if fit_line else 0.0,
                        background=complex(p[n + 1], p[n + 2]) if fit_line else 1.0 + 0j, reduced_chi2=red,
                        frequency=fb, present_boost=present, predicted_boost=predicted,
                        predicted_boost_sigma=pred_sigma, design_boost=design_bf, evaluations=counter[0],
                        verdict=DesignVerdict(tuple(checks)))


def tune_from_touchstone(path: str | os.PathLike[str], current: Booster, design: Booster | np.ndarray,
                         **kwargs: Any) -> TuningResult:
    """:func:`tune_booster` on the S11 of a Touchstone file (``.s1p``/``.s2p``/``.ts``)."""
    from emboost.rf.touchstone import read_touchstone

    data = read_touchstone(path)
    return tune_booster(data.frequency, data.parameter("S11"), current, design, **kwargs)
