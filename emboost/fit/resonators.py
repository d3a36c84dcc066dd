"""Resonator response models, the algebraic circle fit that starts them, weights, and the least-squares engine
behind :func:`emboost.fit.resonance.fit_resonance`.

One model covers the four measurement types (engineering convention exp(+jwt); ``x = (f - f_ref)/f_ref`` the
fractional offset from the window centre ``f_ref``; ``t`` the detuning, ``f/f0 - f0/f`` ("exact") or
``2 (f/f0 - 1)`` ("linear", NPL MAT 58's)::

    lor(f)          = D exp(j phi) / (1 + j Q_L t)
    line(f)         = exp(-j 2 pi (f - f_ref) tau) (1 + m x)             electrical delay, magnitude slope m
    reflection,
    notch, absorption:  S = line [B (1 - lor) + K x]                      B complex background (detuned S)
    transmission:       S = line [B + K x + lor]                          B the leakage, K its slope

``D`` is the circle diameter relative to ``|B|`` for reflection, notch and absorption and in data units for
transmission; ``phi`` its rotation (for a notch Probst et al.'s impedance-mismatch angle phi0). ``K`` is a
leakage linear in frequency (NPL MAT 58's NLQFIT8 term). A linear *phase* slope of the background is the
delay ``tau`` itself.

>>> f = np.linspace(5.99e9, 6.01e9, 101)
>>> p = Config("notch").vector(f0=6e9, loaded_q=2e4, diameter=0.6, rotation=0.2, background_re=0.5)
>>> s = response(f, p, Config("notch"), 6e9)
>>> g = circle_guess(f, s, Config("notch"), 6e9)
>>> round(g["f0"] / 1e9, 5), round(g["loaded_q"], -2), round(g["diameter"], 2)
(6.0, 20000.0, 0.6)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from emboost.core.errors import FitError, InputError
from emboost.fit.core import (
    FitResult,
    ParameterDefault,
    ParameterSpec,
    errors_and_correlation,
    internal_parameters,
    least_squares,
    parameters_at_bound,
)
from emboost.fit.lmfit_result import LazyLmfitResult, LmfitResult

__all__ = ["KINDS", "BASE_NAMES", "Config", "response", "circle_guess", "angular_weights", "solve",
           "parameter_defaults", "natural_scales", "estimate_delay", "jacobian"]

KINDS = ("reflection", "transmission", "notch", "absorption")
SCAN_POINTS = 256
BASE_NAMES = ("f0", "loaded_q", "diameter", "rotation", "background_re", "background_im", "delay")
Kind = Literal["reflection", "transmission", "notch", "absorption"]


@dataclass(frozen=True)
class Config:
    """Which model: measurement ``kind``, ``background`` ("constant" or "slope": a linear magnitude slope),
    ``leakage`` ("none", "constant" or "linear"; for reflection, notch and absorption a constant leakage is the
    background itself, so only "none" and "linear" exist there), ``detuning`` ("exact" or "linear")."""

    kind: str = "reflection"
    background: str = "constant"
    leakage: str = "auto"
    detuning: str = "linear"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"resonance type {self.kind!r}; expected one of {list(KINDS)}", key="type")
        if self.background not in ("constant", "slope"):
            raise InputError(f"background {self.background!r}; expected 'constant' or 'slope'", key="background")
        if self.leakage == "auto":
            object.__setattr__(self, "leakage", "constant" if self.kind == "transmission" else "none")
        allowed = ("none", "constant", "linear") if self.kind == "transmission" else ("none", "linear")
        if self.leakage not in allowed:
            why = "" if self.kind == "transmission" else (" (a constant leakage in a reflection-type measurement is "
                                                          "the complex background itself)")
            raise InputError(f"leakage {self.leakage!r} for {self.kind}; expected one of {list(allowed)}{why}",
                             key="leakage")
        if self.detuning not in ("exact", "linear"):
            raise InputError(f"detuning {self.detuning!r}; expected 'exact' or 'linear'", key="detuning")

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names of this model, in vector order."""
        extra: tuple[str, ...] = ()
        if self.background == "slope":
            extra += ("magnitude_slope",)
        if self.leakage == "linear":
            extra += ("leakage_slope_re", "leakage_slope_im")
        return BASE_NAMES + extra

    @property
    def reflection_like(self) -> bool:
        return self.kind != "transmission"

    def vector(self, **values: float) -> np.ndarray:
        """A parameter vector from keyword values (missing ones 0; ``loaded_q`` and ``f0`` are required)."""
        bad = set(values) - set(self.names)
        if bad:
            raise InputError(f"unknown parameter(s) {sorted(bad)}; expected {list(self.names)}")
        return np.array([float(values.get(n, 0.0)) for n in self.names])


def response(f: np.ndarray, p: np.ndarray, cfg: Config, f_ref: float) -> np.ndarray:
    """The model S at ``f`` [Hz] for parameter vector(s) ``p`` (``(..., n)`` in :attr:`Config.names` order)."""
    p = np.asarray(p, float)
    c = [p[..., i, None] for i in range(p.shape[-1])]
    f0, q, d, phi, b, tau = c[0], c[1], c[2], c[3], c[4] + 1j * c[5], c[6]
    t = f / f0 - f0 / f if cfg.detuning == "exact" else 2 * (f / f0 - 1)
    lor = d * np.exp(1j * phi) / (1 + 1j * q * t)
    x = (f - f_ref) / f_ref
    line = np.exp(-2j * np.pi * (f - f_ref) * tau)
    k = 7
    if cfg.background == "slope":
        line = line * (1 + c[k] * x)
        k += 1
    leak = (c[k] + 1j * c[k + 1]) * x if cfg.leakage == "linear" else 0.0
    if cfg.reflection_like:
        return line * (b * (1 - lor) + leak)
    return line * (b + leak + lor)


def angular_weights(f: np.ndarray, f0: float, q_loaded: float) -> np.ndarray:
    """NPL MAT 58 eq. (28): ``W = 1 / (1 + (2 Q_L (f - f0)/f0)^2)``, the rate of change of the angle around the
    circle, so that points crowded on the circle far from resonance do not outweigh the few near it."""
    return 1.0 / (1.0 + (2 * q_loaded * (f - f0) / f0) ** 2)


def estimate_delay(f: np.ndarray, s: np.ndarray, fraction: float = 0.15) -> float:
    """Electrical delay [s] from the phase slope of the outer ``fraction`` of the points on each side (the
    off-resonance background), the start of a free delay."""
    n = max(3, int(fraction * f.size))
    idx = np.r_[0:n, f.size - n:f.size]
    ph = np.unwrap(np.angle(s))[idx]
    slope = np.polyfit(f[idx] - f.mean(), ph, 1)[0]
    return float(-slope / (2 * np.pi))


def _bilinear(f: np.ndarray, z: np.ndarray, f0: float, detuning: str,
              q_weights: float) -> tuple[complex, complex, float, float]:
    """Algebraic circle fit ``z = (P + R t)/(1 + g t)`` (linear in P, R, g, all complex) at trial f0, rows
    weighted by the angular weights of ``q_weights`` (so that a long sloping background does not outweigh the
    resonance).

    Returns the background ``B = R/g``, the circle coefficient ``C`` at the centre, Q_L and the corrected f0:
    with ``1/g = -j/Q - t_c`` the centre sits at ``t_c``.
    """
    t = f / f0 - f0 / f if detuning == "exact" else 2 * (f / f0 - 1)
    one = np.ones_like(t)
    a = np.column_stack([one, t, -t * z])  # complex unknowns P, R, g
    wr = np.sqrt(angular_weights(f, f0, q_weights))
    x, *_ = np.linalg.lstsq(a * wr[:, None], z * wr, rcond=None)
    p, r, g = (complex(v) for v in x)
    if g == 0 or not np.isfinite(g):
        raise FitError("circle fit: no resonance found")
    inv = 1 / g
    tc, q = -inv.real, -1 / inv.imag if inv.imag != 0 else math.inf
    b = r / g
    c = (p - b) * (1 - 1j * q * tc)
    f0n = f0 * (tc / 2 + math.sqrt(1 + tc * tc / 4)) if detuning == "exact" else f0 * (1 + tc / 2)
    return b, c, float(q), float(f0n)


def _guess_at(f: np.ndarray, s: np.ndarray, cfg: Config, f_ref: float, tau: float,
              f0: float | None) -> tuple[float, dict[str, float]]:
    """The circle-fit start at a trial delay ``tau`` and the misfit of the model it describes."""
    z = s * np.exp(2j * np.pi * (f - f_ref) * tau)
    n = max(2, f.size // 20)
    edge = np.mean(np.concatenate([z[:n], z[-n:]]))
    dep = np.abs(z - edge)
    k = int(np.argmax(dep)) if f0 is None else int(np.argmin(np.abs(f - f0)))
    fc = float(f[k]) if f0 is None else float(f0)
    width = float(f[-1] - f[0])
    # Q from the width where the departure from the background exceeds 1/sqrt(2) of its peak
    above = dep >= dep[k] / math.sqrt(2)
    lo_i, hi_i = k, k
    while lo_i > 0 and above[lo_i - 1]:
        lo_i -= 1
    while hi_i < f.size - 1 and above[hi_i + 1]:
        hi_i += 1
    q = fc / max(float(f[hi_i] - f[lo_i]), float(np.min(np.diff(f))))
    try:
        for _ in range(4):
            b, c, q, fn = _bilinear(f, z, fc, cfg.detuning, q)
            if not (math.isfinite(q) and q > 0.25 * fc / width and f[0] <= fn <= f[-1]):
                raise FitError("circle fit out of range")
            fc = fn
    except (FitError, np.linalg.LinAlgError):
        q = 4 * fc / width
    # at this f0, Q_L and delay the rest is linear: background, circle and leakage slope by least squares
    t = f / fc - fc / f if cfg.detuning == "exact" else 2 * (f / fc - 1)
    x = (f - f_ref) / f_ref
    cols = [np.ones_like(t), 1 / (1 + 1j * q * t)] + ([x] if cfg.leakage == "linear" else [])
    a = np.column_stack(cols)
    coef, *_ = np.linalg.lstsq(a, z, rcond=None)
    cost = float(np.sum(np.abs(a @ coef - z) ** 2))
    b, c = complex(coef[0]), complex(coef[1])
    if cfg.reflection_like:
        if abs(b) == 0:
            b = complex(edge) if abs(edge) > 0 else 1.0
        dphi = -c / b
    else:
        dphi = c
    g = {"f0": fc, "loaded_q": q, "diameter": float(abs(dphi)), "rotation": float(np.angle(dphi)),
         "background_re": float(np.real(b)), "background_im": float(np.imag(b)), "delay": float(tau)}
    for n_ in cfg.names[7:]:
        g[n_] = 0.0
    if cfg.leakage == "linear":
        g["leakage_slope_re"], g["leakage_slope_im"] = float(coef[2].real), float(coef[2].imag)
    return cost, g


def circle_guess(f: np.ndarray, s: np.ndarray, cfg: Config, f_ref: float, delay: float | None = None,
                 f0: float | None = None) -> dict[str, float]:
    """Start values of every parameter from the data alone (no f0 needed): f0 at the largest departure from
    the edge background, Q_L from the width of that departure, then rounds of the algebraic circle fit (rows
    weighted towards the resonance), each moving f0 to the circle's centre.

    ``delay``: a known delay [s]; otherwise the delay whose removal makes the data most circle-like: a scan of 17
    delays up to twice the edge-phase estimate (or two turns over the span), refined by a bounded 1-D search.
    """
    from scipy.optimize import minimize_scalar

    f = np.asarray(f, float)
    s = np.asarray(s, complex)
    if delay is not None:
        return _guess_at(f, s, cfg, f_ref, float(delay), f0)[1]
    span = float(f[-1] - f[0])
    est = estimate_delay(f, s)
    tmax = max(2 * abs(est) if np.isfinite(est) else 0.0, 2.0 / span)
    grid = np.unique(np.concatenate([np.linspace(-tmax, tmax, 17), [0.0, est if np.isfinite(est) else 0.0]]))
    # the scan on at most SCAN_POINTS points spread over the data (the delay is a property of the whole span)
    sub = np.unique(np.linspace(0, f.size - 1, min(f.size, SCAN_POINTS)).round().astype(int))
    fs, ss = f[sub], s[sub]
    scored = [(_guess_at(fs, ss, cfg, f_ref, float(tau), f0)[0], float(tau)) for tau in grid]
    cost, tau0 = min(scored)
    step = 2 * tmax / 16
    with np.errstate(all="ignore"):
        res = minimize_scalar(lambda x: _guess_at(fs, ss, cfg, f_ref, float(x), f0)[0],
                              bounds=(tau0 - step, tau0 + step), method="bounded",
                              options={"xatol": step / 100, "maxiter": 14})
    tau = float(res.x) if res.fun < cost else tau0
    return _guess_at(f, s, cfg, f_ref, tau, f0)[1]


def parameter_defaults(f: np.ndarray, guess: dict[str, float], cfg: Config) -> dict[str, ParameterDefault]:
    """The parameters with start values from ``guess`` and bounds (SI) for data at ``f`` [Hz]."""
    span = f[-1] - f[0]
    dmax = {"reflection": 2.0, "transmission": math.inf, "notch": math.inf, "absorption": 1.0}[cfg.kind]
    d0 = min(guess["diameter"], 0.999 * dmax)
    out = {
        "f0": ParameterDefault("frequency", "GHz", guess["f0"], f[0] - 0.1 * span, f[-1] + 0.1 * span, True),
        "loaded_q": ParameterDefault("dimensionless", "1", max(guess["loaded_q"], 2e-3), 1e-3, math.inf, True),
        "diameter": ParameterDefault("dimensionless", "1", d0, 0.0, dmax, True),
        "rotation": ParameterDefault("angle", "deg", guess["rotation"], -math.pi, math.pi, True),
        "background_re": ParameterDefault("dimensionless", "1", guess["background_re"], -math.inf, math.inf, True),
        "background_im": ParameterDefault("dimensionless", "1", guess["background_im"], -math.inf, math.inf, True),
        "delay": ParameterDefault("time", "ns", guess["delay"], -math.inf, math.inf, True),
    }
    for n in cfg.names[7:]:
        out[n] = ParameterDefault("dimensionless", "1", guess.get(n, 0.0), -math.inf, math.inf, True)
    return out


def natural_scales(f: np.ndarray, s: np.ndarray, specs: Sequence[ParameterSpec], f_ref: float) -> list[ParameterSpec]:
    """The parameters with the optimiser's scale set by each one's natural size, not by its start value:
    f0 by the linewidth around its start, Q_L by itself, the rotation by pi, the diameter and the background by
    the data's magnitude, the delay by 1/span, slopes by the inverse fractional span."""
    span = float(f[-1] - f[0])
    mag = float(np.median(np.abs(s))) or 1.0
    by = {sp.name: sp for sp in specs}
    q = max(by["loaded_q"].value, 1.0)
    xs = f_ref / span
    natural = {"f0": (by["f0"].value / q, by["f0"].value), "loaded_q": (max(abs(by["loaded_q"].value), 1.0), 0.0),
               "diameter": (mag, 0.0), "rotation": (math.pi, 0.0), "background_re": (mag, 0.0),
               "background_im": (mag, 0.0), "delay": (1.0 / span, by["delay"].value),
               "magnitude_slope": (xs, 0.0), "leakage_slope_re": (mag * xs, 0.0), "leakage_slope_im": (mag * xs, 0.0)}
    return [ParameterSpec(sp.name, sp.value, sp.minimum, sp.maximum, sp.vary, sp.unit,
                          scale=natural[sp.name][0], offset=natural[sp.name][1]) for sp in specs]


def jacobian(f: np.ndarray, p: np.ndarray, cfg: Config, f_ref: float) -> np.ndarray:
    """Analytic derivatives ``dS/dp`` of :func:`response`, shape ``(f.size, n)`` (complex; SI parameters)."""
    f0, q, d, phi, bre, bim, tau = (float(v) for v in p[:7])
    b = bre + 1j * bim
    if cfg.detuning == "exact":
        t, dt = f / f0 - f0 / f, -f / f0**2 - 1 / f
    else:
        t, dt = 2 * (f / f0 - 1), -2 * f / f0**2
    y = 1 / (1 + 1j * q * t)
    e = np.exp(1j * phi)
    lor = d * e * y
    x = (f - f_ref) / f_ref
    line = np.exp(-2j * np.pi * (f - f_ref) * tau)
    k = 7
    mag: np.ndarray | float = 1.0
    if cfg.background == "slope":
        mag = 1 + p[k] * x
        k += 1
    leak = (p[k] + 1j * p[k + 1]) * x if cfg.leakage == "linear" else 0.0
    if cfg.reflection_like:
        core, dlor, dbg = b * (1 - lor) + leak, -b, 1 - lor
    else:
        core, dlor, dbg = b + leak + lor, 1.0, np.ones_like(t) + 0j
    lm = line * mag
    cols = [lm * dlor * d * e * (-1j * q * y * y) * dt,        # f0
            lm * dlor * d * e * (-1j * t * y * y),             # Q_L
            lm * dlor * e * y,                                 # diameter
            lm * dlor * 1j * lor,                              # rotation
            lm * dbg, lm * 1j * dbg,                           # background
            -2j * np.pi * (f - f_ref) * lm * core]             # delay
    if cfg.background == "slope":
        cols.append(line * x * core)
    if cfg.leakage == "linear":
        cols += [lm * x, lm * 1j * x]
    return np.column_stack(cols)


def solve(f: np.ndarray, s: np.ndarray, cfg: Config, f_ref: float, specs: Sequence[ParameterSpec],
          w: np.ndarray, *, noise_known: bool, sandwich: np.ndarray | None = None, max_nfev: int | None = None,
          method: str = "least_squares") -> FitResult:
    """Weighted least squares of the model to ``s``: minimise ``sum |w (model - s)|^2`` over the free parameters.

    ``w`` [1/noise] per point. The covariance is ``(J^T J)^-1`` of the weighted residuals; with ``sandwich``
    (the per-point weights that are *not* inverse noise, e.g. angular weights on data with uniform noise) it is
    the sandwich ``(J^T J)^-1 J^T diag(sandwich) J (J^T J)^-1`` that stays right when the weights are not the
    noise. Without known noise, it is scaled by the reduced chi^2 of the unweighted-by-``sandwich`` residuals.
    The reported ``residual`` (and chi^2) are ``(model - s) w / sqrt(sandwich)``: residuals in units of the
    noise.
    """
    from scipy.optimize import least_squares as scipy_ls

    specs = list(specs)
    names = tuple(sp.name for sp in specs)
    if names != cfg.names:
        raise InputError(f"resonance parameters must be {cfg.names}, got {names}")
    par = internal_parameters(specs)
    vals, scales, free, lo, hi = par.values, par.scales, par.free, par.lower, par.upper
    kfree = par.nfree
    if 2 * f.size <= kfree:
        raise InputError(f"{2 * f.size} residuals for {kfree} free parameters: need more data points")
    u0 = par.start()
    full = par.full

    def batch(u: np.ndarray) -> np.ndarray:
        r = (response(f, full(u), cfg, f_ref) - s) * w
        out = np.concatenate([r.real, r.imag], axis=-1)
        return np.where(np.isfinite(out), out, 1e150)

    def fun(u: np.ndarray) -> np.ndarray:
        return batch(u[None, :])[0]

    wscale = np.concatenate([w, w])[:, None] * scales[free][None, :]

    def jac(u: np.ndarray) -> np.ndarray:
        jc = jacobian(f, full(u), cfg, f_ref)[:, free]
        return np.vstack([jc.real, jc.imag]) * wscale

    meth = "trf" if (np.isfinite(lo).any() or np.isfinite(hi).any() or method != "leastsq") else "lm"
    try:
        with np.errstate(all="ignore"):
            out = scipy_ls(fun, u0, jac=jac, bounds=(lo, hi) if meth == "trf" else (-np.inf, np.inf),
                           method=meth, x_scale=1.0, ftol=1e-10, xtol=1e-10, gtol=1e-10,
                           max_nfev=max_nfev or 200 * (kfree + 1))
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"the fit failed: {exc}") from None
    u = out.x
    p = full(u)
    with np.errstate(all="ignore"):
        jm = jac(u)
    r = fun(u)
    sw = np.ones(r.size) if sandwich is None else np.concatenate([sandwich, sandwich])
    noise_r = r / np.sqrt(sw)  # residuals in units of the noise
    chisqr = float(np.sum(noise_r**2))
    nfree = int(r.size - kfree)
    cov_u = np.full((kfree, kfree), np.nan)
    have_cov = False
    if np.all(np.isfinite(jm)):
        try:
            jtj_inv = np.linalg.inv(jm.T @ jm)
            cov_u = jtj_inv if sandwich is None else jtj_inv @ (jm.T @ (jm * sw[:, None])) @ jtj_inv
            if not noise_known:
                cov_u = cov_u * chisqr / nfree
            have_cov = bool(np.all(np.isfinite(cov_u)) and np.all(np.diag(cov_u) > 0))
        except np.linalg.LinAlgError:
            have_cov = False
    sf = scales[free]
    cov = cov_u * np.outer(sf, sf)
    free_idx = np.flatnonzero(free)
    stderr, corr = errors_and_correlation(cov, free_idx, len(names))
    bounds = np.array([[sp.minimum, sp.maximum] for sp in specs])
    at_bound = parameters_at_bound(p, specs, free_idx)
    success = bool(out.status > 0)
    free_names = tuple(n for n, v in zip(names, free) if v)
    noise_w = np.concatenate([w, w]) / np.sqrt(sw)

    def lmfit_view() -> LmfitResult:
        """lmfit from this solution on the residuals in units of the noise (the same chi^2)."""
        def resid(pv: np.ndarray) -> np.ndarray:
            d = response(f, pv[None, :], cfg, f_ref)[0] - s
            return np.concatenate([d.real, d.imag]) * noise_w
        start = [dataclasses.replace(sp, value=float(np.clip(p[i], sp.minimum, sp.maximum)))
                 for i, sp in enumerate(specs)]
        return least_squares(resid, start, scale_covar=not noise_known, method="least_squares").lmfit_result

    return FitResult(names=names, values=p, stderr=stderr, initial=vals, free=free_names,
                     covariance=cov, correlation=corr, chisqr=chisqr, redchi=chisqr / nfree, ndata=int(r.size),
                     nfree=nfree, nfev=int(out.nfev), method=method, scale_covar=not noise_known, success=success,
                     converged=success and have_cov and bool(np.all(np.isfinite(r))), at_bound=at_bound,
                     message=str(out.message), units=tuple(sp.unit for sp in specs), bounds=bounds,
                     residual=noise_r, lmfit_result=LazyLmfitResult(lmfit_view))
