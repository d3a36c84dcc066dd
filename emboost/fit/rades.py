"""From cavity measurements to an axion sensitivity (physics.md §1.4-1.6, §3.1-3.2; RADES eqs. 1-15).

* port coupling from the reflection on resonance (RADES eq. 4) and from a full fit of the complex
  reflection (:func:`emboost.fit.resonance.fit_resonance`); :func:`reflection_model` is the ideal one-port
  ``Gamma = g0 (beta - 1 - j Q0 d) / (beta + 1 + j Q0 d)``, ``d = f/f0 - f0/f``;
* Q_L from a Lorentzian on a background fitted to a power spectrum (lmfit, covariance kept);
* Q0 from Q_L and the port couplings; Dicke SNR and noise per bin (:func:`dicke_snr`, :func:`noise_power`,
  from :mod:`emboost.core.radiometry`); the expected spread of a grand unified spectrum;
* the amplitude fit of the grand spectrum to a lineshape template (eq. 12) and the Bayesian upper
  limit with a flat prior on A >= 0 (eqs. 13-15), in closed form and by numerical integration;
* the coupling limit from the power limit (Sikivie power, :func:`emboost.core.axion.sikivie_power`).

>>> round(beta_from_s11(1 / 3), 6)
0.5
>>> round(bayesian_upper_limit(0.0, 1.0), 4), round(bayesian_upper_limit(1.0, 1.0), 4)
(1.96, 2.7272)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special

from emboost.core.axion import shm_bin_fractions, sikivie_power
from emboost.core.conventions import ArrayLike
from emboost.core.errors import FitError, InputError
from emboost.core.radiometry import dicke_snr, noise_power  # the shared radiometer helpers, re-exported

__all__ = [
    "beta_from_s11", "s11_from_beta", "reflection_model", "beta_from_reflection",
    "lorentzian", "LorentzianFit", "fit_lorentzian", "q0_from_loaded", "noise_power",
    "dicke_snr", "gus_sigma", "AmplitudeFit", "fit_amplitude", "bayesian_upper_limit",
    "bayesian_upper_limit_numeric", "coupling_limit", "ExpectedLimit", "expected_limit",
]


def beta_from_s11(s11_mag: ArrayLike, overcoupled: bool = False) -> np.ndarray | float:
    """Port coupling from the linear |S11| on resonance (RADES eq. 4).

    ``beta = (1 - |S11|)/(1 + |S11|)`` undercoupled, ``(1 + |S11|)/(1 - |S11|)`` overcoupled.
    """
    s = np.asarray(s11_mag, dtype=float)
    if np.any((s < 0) | (s >= 1)):
        raise InputError(f"|S11| must lie in [0, 1), got {s}")
    out = (1 + s) / (1 - s) if overcoupled else (1 - s) / (1 + s)
    return float(out) if out.ndim == 0 else out


def s11_from_beta(beta: ArrayLike) -> np.ndarray | float:
    """``|S11| = |1 - beta| / (1 + beta)`` on resonance."""
    b = np.asarray(beta, dtype=float)
    out = np.abs(1 - b) / (1 + b)
    return float(out) if out.ndim == 0 else out


def reflection_model(f: ArrayLike, f0: float, q0: float, beta: float, g0: complex = 1.0) -> np.ndarray:
    """One-port reflection near a resonance (exp(+jwt)): ``g0 (beta - 1 - j2Q0 d)/(beta + 1 + j2Q0 d)``."""
    d = np.asarray(f, dtype=float) / f0 - f0 / np.asarray(f, dtype=float)
    return g0 * (beta - 1 - 1j * q0 * d) / (beta + 1 + 1j * q0 * d)


def beta_from_reflection(f: ArrayLike, s11: ArrayLike, sigma: float | None = None) -> tuple[float, float, float]:
    """``(beta, Q0, Q_L)`` from a full single-resonance fit of complex S11
    (:func:`emboost.fit.resonance.fit_resonance`)."""
    from emboost.fit.resonance import fit_resonance

    r = fit_resonance(np.asarray(f, dtype=float), np.asarray(s11, dtype=complex), "reflection", sigma=sigma)
    return float(r.coupling), float(r.loaded_q * (1 + r.coupling)), float(r.loaded_q)


def lorentzian(f: ArrayLike, f0: float, q_loaded: float, amplitude: float, background: float,
               slope: float = 0.0) -> np.ndarray:
    """``P_bg + s (f - f0) + A / (1 + 4 Q_L^2 (f/f0 - 1)^2)`` (physics.md §3.1)."""
    f = np.asarray(f, dtype=float)
    return background + slope * (f - f0) + amplitude / (1 + 4 * q_loaded**2 * (f / f0 - 1) ** 2)


@dataclass(frozen=True)
class LorentzianFit:
    f0: float
    q_loaded: float
    amplitude: float
    background: float
    slope: float
    stderr: dict
    covariance: np.ndarray | None


def fit_lorentzian(f: ArrayLike, power: ArrayLike, sigma: ArrayLike | None = None,
                   slope: bool = False) -> LorentzianFit:
    """Fit :func:`lorentzian` to a power spectrum with lmfit; ``sigma`` known per-point errors
    (then the covariance is not rescaled), else errors from the residual scatter."""
    import lmfit

    f = np.asarray(f, dtype=float)
    p = np.asarray(power, dtype=float)
    if f.shape != p.shape or f.size < 6:
        raise InputError("fit_lorentzian needs matching f and power arrays with at least 6 points")
    bg = float(np.median(np.concatenate([p[: f.size // 10 + 1], p[-(f.size // 10 + 1):]])))
    k = int(np.argmax(p))
    amp = float(p[k] - bg)
    above = p - bg > 0.5 * amp
    width = max(float(np.ptp(f[above])) if above.sum() > 1 else (f[-1] - f[0]) / 10, float(f[1] - f[0]))
    model = lmfit.Model(lorentzian)
    params = model.make_params(f0=f[k], q_loaded=f[k] / width, amplitude=amp, background=bg, slope=0.0)
    params["q_loaded"].min = 1.0
    params["slope"].vary = slope
    weights = None if sigma is None else 1.0 / np.broadcast_to(np.asarray(sigma, dtype=float), f.shape)
    try:
        res = model.fit(p, params, f=f, weights=weights, scale_covar=sigma is None)
    except Exception as exc:
        raise FitError(f"Lorentzian fit failed: {exc}") from None
    if not res.success:
        raise FitError(f"Lorentzian fit did not converge: {res.message}")
    v = res.params
    return LorentzianFit(v["f0"].value, v["q_loaded"].value, v["amplitude"].value, v["background"].value,
                         v["slope"].value, {n: (v[n].stderr if v[n].stderr is not None else np.nan)
                                            for n in ("f0", "q_loaded", "amplitude", "background")},
                         res.covar)


def q0_from_loaded(q_loaded: ArrayLike, *betas: ArrayLike) -> np.ndarray | float:
    """``Q0 = Q_L (1 + sum beta_k)`` (since ``1/Q_L = 1/Q0 + sum beta_k / Q0``)."""
    out = np.asarray(q_loaded, dtype=float) * (1 + sum(np.asarray(b, dtype=float) for b in betas))
    return float(out) if out.ndim == 0 else out


def gus_sigma(bin_width: float, t_on: float, t_off: float | None = None) -> float:
    """Expected standard deviation of the normalised grand spectrum: ``1/sqrt(dnu_b t)``, with a
    magnet-off subtraction added in quadrature (physics.md §3.6: 5.11e-5 for 103 h + 30 h at 4577 Hz)."""
    v = 1.0 / (bin_width * t_on)
    if t_off is not None:
        v += 1.0 / (bin_width * t_off)
    return float(np.sqrt(v))


@dataclass(frozen=True)
class AmplitudeFit:
    amplitude: float
    sigma: float


def fit_amplitude(delta: ArrayLike, sigma: ArrayLike, template: ArrayLike) -> AmplitudeFit:
    """Weighted least-squares amplitude ``A`` of ``delta_k = A L_k`` (RADES eq. 12)."""
    d, s, t = (np.asarray(x, dtype=float) for x in (delta, sigma, template))
    d, s, t = np.broadcast_arrays(d, s, t)
    if np.any(s <= 0):
        raise InputError("sigma must be positive")
    w = t**2 / s**2
    den = w.sum()
    if den <= 0:
        raise InputError("the template is zero in the fit window")
    return AmplitudeFit(float((d * t / s**2).sum() / den), float(1 / np.sqrt(den)))


def bayesian_upper_limit(a_hat: ArrayLike, sigma_a: ArrayLike, cl: float = 0.95) -> np.ndarray | float:
    """Upper limit of A with a Gaussian likelihood and a flat prior on A >= 0 (RADES eqs. 13-15).

    ``A_UL = A_hat + sqrt(2) sigma erfinv((1 - alpha)(1 + e) - e)``, ``e = erf(A_hat/(sqrt 2 sigma))``.
    """
    a = np.asarray(a_hat, dtype=float)
    s = np.asarray(sigma_a, dtype=float)
    e = special.erf(a / (np.sqrt(2) * s))
    # written with erfc for stability when a_hat << 0: (cl)(1+e) - e = 1 - (1-cl)(1+e)
    arg = 1 - (1 - cl) * (1 + e)
    out = a + np.sqrt(2) * s * special.erfinv(arg)
    return float(out) if out.ndim == 0 else out


def bayesian_upper_limit_numeric(delta: ArrayLike, sigma: ArrayLike, template: ArrayLike,
                                 cl: float = 0.95) -> float:
    """The same limit by integrating the posterior ``exp(-chi^2(A)/2)`` on A >= 0 numerically."""
    d, s, t = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (delta, sigma, template)))
    fit = fit_amplitude(d, s, t)
    hi = max(fit.amplitude, 0.0) + 12 * fit.sigma
    chi2_min = np.sum((d - fit.amplitude * t) ** 2 / s**2)

    def post(a):
        return np.exp(-0.5 * (np.sum((d - a * t) ** 2 / s**2) - chi2_min))

    norm, _ = integrate.quad(post, 0.0, hi, limit=200, epsabs=0, epsrel=1e-11)

    def g(u):
        val, _ = integrate.quad(post, 0.0, u, limit=200, epsabs=0, epsrel=1e-11)
        return val / norm - cl

    return float(optimize.brentq(g, 0.0, hi, xtol=1e-12 * hi))


def coupling_limit(power_limit: ArrayLike, power_per_g2: ArrayLike) -> np.ndarray | float:
    """``g_UL = sqrt(P_UL / (P/g^2))``; units of g follow ``power_per_g2``."""
    out = np.sqrt(np.asarray(power_limit, dtype=float) / np.asarray(power_per_g2, dtype=float))
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class ExpectedLimit:
    """Inputs and results of :func:`expected_limit` (SI; g in 1/J)."""

    sigma_gus: float
    sum_k2: float
    sigma_a: float
    a_ul: float
    noise_per_bin: float
    power_limit: float
    power_per_g2: float
    g_limit: float


def expected_limit(*, f_a: float, bin_width: float, t_on: float, t_off: float | None, t_sys: float,
                   b_field: float, volume: float, form_factor: float, q_loaded: float, beta: float,
                   rho: float, n_bins: int = 6, signal_efficiency: float = 1.0, a_hat: float = 0.0,
                   cl: float = 0.95, v_lab: float | None = None) -> ExpectedLimit:
    """Expected 95 % limit on g for zero fitted amplitude (physics.md §3.6).

    ``sigma_A = sigma_GUS / sqrt(sum K_j^2)`` with the SHM bin fractions K_j (f_a on a bin edge),
    ``P_UL = A_UL k_B T_sys dnu_b / eff``, ``g_UL = sqrt(P_UL / (P/g^2))``.
    """
    kw = {} if v_lab is None else {"v_lab": v_lab}
    k = shm_bin_fractions(f_a, bin_width, n_bins, **kw)
    s_gus = gus_sigma(bin_width, t_on, t_off)
    s_a = s_gus / np.sqrt(np.sum(k**2))
    a_ul = bayesian_upper_limit(a_hat * s_a, s_a, cl)
    pn = float(noise_power(t_sys, bin_width))
    p_ul = a_ul * pn / signal_efficiency
    p_g2 = float(sikivie_power(1.0, rho, b_field, volume, form_factor, q_loaded, beta, f_a))
    return ExpectedLimit(s_gus, float(np.sum(k**2)), float(s_a), float(a_ul), pn, float(p_ul), p_g2,
                         float(coupling_limit(p_ul, p_g2)))
