"""Single-resonance fits of cavity reflection (S11) and transmission (S21) data (physics.md §3.1).

Model (engineering convention exp(+jwt), detuning ``t = f/f0 - f0/f``, ``f_ref`` the window centre)::

    reflection:    S(f) = B exp(-j 2 pi (f - f_ref) tau) [1 - D exp(j phi) / (1 + j Q_L t)]
    transmission:  S(f) =   exp(-j 2 pi (f - f_ref) tau) [B + D exp(j phi) / (1 + j Q_L t)]

``B`` is the complex background (the detuned reflection, or the leakage in transmission), ``tau``
an electrical delay, ``D`` the diameter of the resonance circle (in reflection relative to ``|B|``)
and ``phi`` its rotation. This is the six-coefficient model of NPL MAT 58 with a line delay.
Derived, following MAT 58 with a scale factor ``A`` (the inverse of the detuned magnitude, or a
given number, 1 for calibrated data): circle diameter ``d``; in reflection ``beta = d / (2 - d)``,
``Q0 = Q_L (1 + beta)``; in transmission (equal couplings) ``Q0 = Q_L / (1 - d)``.

Under- or over-coupling is decided from the phase: the complex fit sees whether the circle encloses
the origin of the background-normalised plane (``d > 1``: over-coupled), and the sign of the
measured excess group delay at resonance, ``-D/(1-D) Q_L/(pi f0)``, is reported as an independent
check (negative under-coupled, positive over-coupled). ``|S11|`` at resonance alone fits both
``beta`` and ``1/beta``; that quick estimate (RADES eq. 4) is reported beside the fit.

>>> f = np.linspace(4.99e9, 5.01e9, 201)
>>> s = resonance_response(f, 5e9, 1000.0, 2 * 0.5 / 1.5, 0.0, 0.9 + 0.1j, 0.0, 5e9, "reflection")
>>> r = fit_resonance(f, s + 1e-4, sigma=1e-3)
>>> round(r.f0 / 1e9, 6), round(r.loaded_q, 1), round(r.coupling, 3), r.regime
(5.0, 1000.0, 0.5, 'undercoupled')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from emboost.core.conventions import ArrayLike
from emboost.core.errors import FitError, InputError
from emboost.core.reprs import short_repr
from emboost.fit.core import (
    Check,
    FitResult,
    ParameterDefault,
    ParameterSpec,
    Verdict,
    least_squares,
    propagate,
    runs_test_z,
    stack_complex,
)
from emboost.rf.network import group_delay

__all__ = ["resonance_response", "initial_guess", "fit_resonance", "ResonanceFit", "skrf_qfactor",
           "default_parameters", "quick_coupling"]

Kind = Literal["reflection", "transmission"]
NAMES = ("f0", "loaded_q", "diameter", "rotation", "background_re", "background_im", "delay")


def resonance_response(f: np.ndarray, f0: ArrayLike, q_loaded: ArrayLike, diameter: ArrayLike, rotation: ArrayLike,
                       background: ArrayLike, delay: ArrayLike, f_ref: float,
                       kind: Kind = "reflection") -> np.ndarray:
    """Complex S of one resonance (see the module docstring) at ``f`` [Hz]: ``f0`` [Hz], ``q_loaded``,
    ``diameter``, ``rotation`` [rad], complex ``background``, ``delay`` [s]; parameters may carry a batch
    axis ``(m, 1)``."""
    f0, q_loaded, diameter, rotation = (np.asarray(x) for x in (f0, q_loaded, diameter, rotation))
    background, delay = np.asarray(background), np.asarray(delay)
    t = f / f0 - f0 / f
    lor = diameter * np.exp(1j * rotation) / (1 + 1j * q_loaded * t)
    line = np.exp(-2j * np.pi * (f - f_ref) * delay)
    if kind == "reflection":
        return background * line * (1 - lor)
    return line * (background + lor)


def _linear_circle(f: np.ndarray, z: np.ndarray, f0: float) -> tuple[complex, complex, float]:
    """``z = B + C/(1 + j Q t)`` solved for B, C, Q at fixed f0, linearised as z = P + R t - j Q t z."""
    t = f / f0 - f0 / f
    one = np.ones_like(t)
    # unknowns: Re P, Im P, Re R, Im R, Q
    rows_re = np.column_stack([one, 0 * one, t, 0 * one, (t * z).imag])
    rows_im = np.column_stack([0 * one, one, 0 * one, t, -(t * z).real])
    a = np.vstack([rows_re, rows_im])
    b = np.concatenate([z.real, z.imag])
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    p, r, q = x[0] + 1j * x[1], x[2] + 1j * x[3], x[4]
    bg = r / (1j * q) if q != 0 else z[0]
    return complex(bg), complex(p - bg), float(q)


def initial_guess(f: np.ndarray, s: np.ndarray, kind: Kind = "reflection", delay: float = 0.0,
                  f_ref: float | None = None, method: Literal["linear", "skrf"] = "linear") -> dict[str, float]:
    """Starting values of the model parameters (SI) from the data.

    ``linear``: f0 at the largest departure from the edge background, then the linearised circle
    fit ``z (1 + j Q t) = B (1 + j Q t) + C``. ``skrf``: scikit-rf's ``Qfactor`` (NLQFIT7) for f0
    and Q_L, then B, C by linear least squares.
    """
    f = np.asarray(f, float)
    f_ref = float(np.mean(f[[0, -1]])) if f_ref is None else f_ref
    z = np.asarray(s) * np.exp(2j * np.pi * (f - f_ref) * delay)
    n = max(2, f.size // 20)
    edge = np.mean(np.concatenate([z[:n], z[-n:]]))
    if method == "skrf":
        cross = skrf_qfactor(f, z, kind)
        f0, q = float(cross["f_loaded"]), float(cross["loaded_q"])
        t = f / f0 - f0 / f
        a = np.column_stack([np.ones_like(t), 1 / (1 + 1j * q * t)])
        (bg, c), *_ = np.linalg.lstsq(a, z, rcond=None)
    else:
        f0 = float(f[np.argmax(np.abs(z - edge))])
        bg, c, q = _linear_circle(f, z, f0)
        width = f[-1] - f[0]
        if not (math.isfinite(q) and q > f0 / width):
            q = 4 * f0 / width
            t = f / f0 - f0 / f
            a = np.column_stack([np.ones_like(t), 1 / (1 + 1j * q * t)])
            (bg, c), *_ = np.linalg.lstsq(a, z, rcond=None)
    if kind == "reflection":
        if abs(bg) == 0:
            bg = edge if abs(edge) > 0 else 1.0
        dphi = -c / bg
    else:
        dphi = c
    return {"f0": float(f0), "loaded_q": float(q), "diameter": float(abs(dphi)), "rotation": float(np.angle(dphi)),
            "background_re": float(np.real(bg)), "background_im": float(np.imag(bg)), "delay": float(delay)}


def default_parameters(f: np.ndarray, guess: dict[str, float], kind: str) -> dict[str, ParameterDefault]:
    """The resonance parameters with defaults (start values from ``guess``) and bounds (SI) for ``f`` [Hz]."""
    span = f[-1] - f[0]
    dmax = 2.0 if kind == "reflection" else math.inf
    return {
        "f0": ParameterDefault("frequency", "GHz", guess["f0"], f[0] - 0.1 * span, f[-1] + 0.1 * span, True),
        "loaded_q": ParameterDefault("dimensionless", "1", guess["loaded_q"], 1e-3, math.inf, True),
        "diameter": ParameterDefault("dimensionless", "1", min(guess["diameter"], 0.999 * dmax) if
                                     math.isfinite(dmax) else guess["diameter"], 0.0, dmax, True),
        "rotation": ParameterDefault("angle", "deg", guess["rotation"], -math.pi, math.pi, True),
        "background_re": ParameterDefault("dimensionless", "1", guess["background_re"], -math.inf, math.inf, True),
        "background_im": ParameterDefault("dimensionless", "1", guess["background_im"], -math.inf, math.inf, True),
        "delay": ParameterDefault("time", "ns", guess["delay"], -math.inf, math.inf, True),
    }


def _natural_scales(f: np.ndarray, s: np.ndarray, specs: list[ParameterSpec]) -> list[ParameterSpec]:
    """The parameters with the optimiser's scale set by each one's natural size, not by its start value.

    A start value near zero (a delay or a rotation of 0) would otherwise make the finite-difference step
    round-off-sized or far too large, and the covariance wrong. Scales: f0 by the linewidth f0/Q_L around its
    start; Q_L by itself; the rotation by pi; the diameter and the background by the data's magnitude; the
    delay by 1/span around its start.
    """
    span = float(f[-1] - f[0])
    mag = float(np.median(np.abs(s))) or 1.0
    q = max(specs[1].value, 1.0)
    natural = {"f0": (specs[0].value / q, specs[0].value), "loaded_q": (max(abs(specs[1].value), 1.0), 0.0),
               "diameter": (mag, 0.0), "rotation": (math.pi, 0.0), "background_re": (mag, 0.0),
               "background_im": (mag, 0.0), "delay": (1.0 / span, specs[6].value)}
    return [ParameterSpec(sp.name, sp.value, sp.minimum, sp.maximum, sp.vary, sp.unit,
                          scale=natural[sp.name][0], offset=natural[sp.name][1]) for sp in specs]


@dataclass(frozen=True, eq=False)
class ResonanceFit:
    """Result of :func:`fit_resonance`: the fit, and the derived resonator quantities with errors.

    ``coupling`` is beta (reflection) or the per-port beta of a symmetric two-port (transmission);
    ``regime`` "undercoupled"/"overcoupled" (reflection; from the fitted circle, i.e. the phase);
    ``regime_from_delay`` the same decision from the sign of the measured excess group delay;
    ``quick_beta`` the RADES eq. (4) estimate for the chosen regime, ``quick_beta_both`` both branches.
    """

    __repr__ = short_repr

    kind: str
    fit: FitResult
    f_ref: float
    scale: float | None
    derived: dict[str, float]
    derived_stderr: dict[str, float]
    regime: str
    regime_from_delay: str
    excess_delay_data: float
    excess_delay_model: float
    quick_beta: float
    quick_beta_both: tuple[float, float]
    frequency: np.ndarray = field(repr=False)
    data: np.ndarray = field(repr=False)

    @property
    def f0(self) -> float:
        return self.fit.value("f0")

    @property
    def loaded_q(self) -> float:
        return self.fit.value("loaded_q")

    @property
    def unloaded_q(self) -> float:
        return self.derived["unloaded_q"]

    @property
    def coupling(self) -> float:
        return self.derived["coupling"]

    @property
    def circle_diameter(self) -> float:
        return self.derived["circle_diameter"]

    @property
    def ok(self) -> bool:
        return self.fit.ok

    def verdict(self, cross_check: dict[str, Any] | None = None, *, max_relative_error: float = 0.1,
                min_chi2_probability: float = 1e-3, max_runs_z: float = 4.0,
                max_cross_check_deviation: float = 0.2, max_structure: float = 0.02) -> Verdict:
        """Whether this resonance can be trusted (docs/fitting.md, "Verdicts"); every threshold is an argument.

        Checks: the fit converged; no parameter on a bound; f0 inside the data, and the data cover at least one
        linewidth on each side of it; relative errors of Q_L and Q0 below ``max_relative_error``; the residuals:
        chi^2 probability above ``min_chi2_probability`` when sigma was given; otherwise structure (a runs test
        |z| of ``max_runs_z`` or more) is accepted only while the residual rms stays below ``max_structure`` of the
        resonance circle (real data always show small systematic misfits); physical values (Q_L > 0, Q0 > 0,
        beta >= 0, a passive circle for reflection); and,
        when ``cross_check`` (scikit-rf's Q factor on the same data, :func:`skrf_qfactor`) is given, Q_L within
        ``max_cross_check_deviation`` of it.
        """
        fr = self.fit
        f = self.frequency
        checks = [Check("converged", fr.converged, "the optimiser converged with a covariance" if fr.converged
                        else f"the optimiser did not converge ({fr.message})"),
                  Check("bounds", not fr.at_bound, "no parameter on a bound" if not fr.at_bound
                        else f"parameter(s) {', '.join(fr.at_bound)} ended on a bound")]
        f0, ql = self.f0, self.loaded_q
        width = f0 / ql if ql > 0 else math.inf
        inside = bool(f[0] + width <= f0 <= f[-1] - width)
        checks.append(Check("location", inside, f"f0 = {f0 / 1e9:.9g} GHz lies inside the data with a linewidth "
                            "to spare" if inside else f"f0 = {f0 / 1e9:.9g} GHz is not inside the data "
                            f"[{f[0] / 1e9:.9g}, {f[-1] / 1e9:.9g}] GHz with one linewidth ({width / 1e9:.3g} GHz) "
                            "to spare on each side"))
        rel = {"Q_L": self.derived_stderr.get("loaded_q", math.nan) / ql if ql else math.inf,
               "Q0": self.derived_stderr.get("unloaded_q", math.nan) / self.unloaded_q if self.unloaded_q
               else math.inf}
        worst = max(rel, key=lambda k: rel[k] if math.isfinite(rel[k]) else math.inf)
        rel_ok = all(math.isfinite(v) and v < max_relative_error for v in rel.values())
        checks.append(Check("precision", rel_ok, f"relative errors Q_L {rel['Q_L']:.2g}, Q0 {rel['Q0']:.2g} "
                            f"(limit {max_relative_error:g})" if rel_ok else f"relative error of {worst} is "
                            f"{rel[worst]:.3g}, above {max_relative_error:g}"))
        if not fr.scale_covar:
            prob = fr.chi2_probability
            good = prob is not None and prob > min_chi2_probability
            checks.append(Check("residuals", good, f"chi^2 probability {prob:.3g} with the given sigma" if good
                                else f"chi^2 = {fr.chisqr:.4g} for {fr.nfree} degrees of freedom: probability "
                                f"{prob if prob is not None else math.nan:.3g} below {min_chi2_probability:g} "
                                "(model does not describe the data within the given sigma)"))
        else:
            half = fr.residual.size // 2  # [Re, Im] stacked: test each along frequency
            z = min(runs_test_z(fr.residual[:half]), runs_test_z(fr.residual[half:]))
            rms = float(np.sqrt(np.mean(fr.residual**2)))
            bg = abs(complex(fr.value("background_re"), fr.value("background_im")))
            size = fr.value("diameter") * (bg if self.kind == "reflection" else 1.0)  # the circle in data units
            share = rms / size if size > 0 else math.inf
            good = abs(z) < max_runs_z or share < max_structure
            checks.append(Check("residuals", good, f"runs test z = {z:.2f}, residual rms {share:.2%} of the "
                                "resonance circle" if good else f"the residuals have structure (runs test z = "
                                f"{z:.2f}) of {share:.1%} of the resonance circle (limit {max_structure:.0%}): the "
                                "model misses a shape in the data"))
        d = self.circle_diameter
        phys = ql > 0 and self.unloaded_q > 0 and self.coupling >= 0 and (self.kind != "reflection" or d <= 2.0)
        checks.append(Check("physical", phys, "Q_L, Q0 > 0, beta >= 0" + (", circle diameter <= 2"
                            if self.kind == "reflection" else "") if phys else
                            f"unphysical result: Q_L {ql:.4g}, Q0 {self.unloaded_q:.4g}, beta {self.coupling:.4g}, "
                            f"diameter {d:.4g}"))
        if cross_check is not None and "loaded_q" in cross_check:
            q_ref = float(cross_check["loaded_q"])
            dev = abs(ql - q_ref) / abs(q_ref) if q_ref else math.inf
            good = q_ref > 0 and dev <= max_cross_check_deviation
            checks.append(Check("cross-check", good, f"Q_L within {dev:.1%} of scikit-rf's Q factor ({q_ref:.5g})"
                                if good else f"Q_L {ql:.5g} differs from scikit-rf's Q factor {q_ref:.5g} by "
                                f"{dev:.1%} (limit {max_cross_check_deviation:.0%})"))
        elif cross_check is not None:
            checks.append(Check("cross-check", False, f"scikit-rf's Q factor failed on the same data: "
                                f"{cross_check.get('error', 'no result')}"))
        return Verdict(tuple(checks))

    def model(self, f: np.ndarray | None = None, values: np.ndarray | None = None) -> np.ndarray:
        """The model S at ``f`` (default: the data grid) for all-parameter vector(s) ``values`` (default: best)."""
        f = self.frequency if f is None else np.asarray(f, float)
        v = self.fit.values if values is None else np.asarray(values, float)
        p = [v[..., i, None] for i in range(len(NAMES))]
        kind: Kind = "transmission" if self.kind == "transmission" else "reflection"
        return resonance_response(f, p[0], p[1], p[2], p[3], p[4] + 1j * p[5], p[6], self.f_ref, kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "f_ref": self.f_ref, "scale_A": self.scale, "fit": self.fit.to_dict(),
            "derived": {k: {"value": v, "stderr": self.derived_stderr.get(k)} for k, v in self.derived.items()},
            "coupling_regime": {"from_fit_phase": self.regime, "from_group_delay_sign": self.regime_from_delay,
                                "consistent": self.regime == self.regime_from_delay or self.kind != "reflection",
                                "excess_group_delay_at_f0_data_s": self.excess_delay_data,
                                "excess_group_delay_at_f0_model_s": self.excess_delay_model},
            "quick_estimate_rades_eq4": {"beta": self.quick_beta, "beta_if_undercoupled": self.quick_beta_both[0],
                                         "beta_if_overcoupled": self.quick_beta_both[1]},
        }


def _derived(values: np.ndarray, kind: str, scale: float | None) -> np.ndarray:
    """(…, 7) parameter vectors -> (…, 3): circle diameter d, coupling beta, Q0."""
    q, dd = values[..., 1], values[..., 2]
    bg = np.hypot(values[..., 4], values[..., 5])
    if kind == "reflection":
        d = dd if scale is None else scale * bg * dd
        beta = d / (2 - d)
        q0 = q * (1 + beta)
    else:
        d = dd * (1.0 if scale is None else scale)
        beta = d / (2 * (1 - d))
        q0 = q / (1 - d)
    return np.stack([d, beta, q0], axis=-1)


def quick_coupling(s_at_f0: float) -> tuple[float, float]:
    """RADES eq. (4): beta from a linear ``|S11|`` at resonance, (under-coupled, over-coupled) branches.

    >>> [round(b, 3) for b in quick_coupling(1 / 3)]
    [0.5, 2.0]
    """
    m = float(s_at_f0)
    if m >= 1:
        return 0.0, math.inf
    return (1 - m) / (1 + m), (1 + m) / (1 - m)


def fit_resonance(f: np.ndarray, s: np.ndarray, kind: Kind = "reflection", *, sigma: float | None = None,
                  scale: float | None = None, specs: list[ParameterSpec] | None = None,
                  method: str = "least_squares", guess: Literal["linear", "skrf"] = "linear",
                  delay: float = 0.0, max_nfev: int | None = None) -> ResonanceFit:
    """Fit one resonance to complex data ``s`` at ``f`` [Hz].

    ``sigma``: noise of each real and imaginary part (known noise: errors from the covariance
    unscaled); ``None`` scales the covariance by the reduced chi^2. ``scale``: MAT 58's ``A``
    (None: normalise to the fitted background). ``specs`` overrides the parameters (see
    :func:`parameter_specs`); without it every parameter varies from :func:`initial_guess`.
    """
    f = np.asarray(f, float)
    s = np.asarray(s, complex)
    if kind not in ("reflection", "transmission"):
        raise InputError(f"resonance kind {kind!r}; expected 'reflection' or 'transmission'", key="type")
    if f.ndim != 1 or f.shape != s.shape or f.size < 8:
        raise InputError(f"need matching 1-D frequency and data arrays with >= 8 points, got {f.shape}, {s.shape}")
    if np.any(np.diff(f) <= 0) or not np.all(np.isfinite(s)):
        raise InputError("frequencies must increase strictly and the data must be finite")
    if sigma is not None and not (sigma > 0 and math.isfinite(sigma)):
        raise InputError(f"sigma must be > 0, got {sigma!r}", key="sigma")
    f_ref = float(0.5 * (f[0] + f[-1]))
    if specs is None:
        g = initial_guess(f, s, kind, delay=delay, f_ref=f_ref, method=guess)
        specs = [ParameterSpec(n, v, d.minimum, d.maximum, True, d.unit) for n, (v, d) in
                 zip(NAMES, ((g[n], d) for n, d in default_parameters(f, g, kind).items()))]
    specs = list(specs)
    if tuple(sp.name for sp in specs) != NAMES:
        raise InputError(f"resonance parameters must be {NAMES}, got {tuple(sp.name for sp in specs)}")
    # f0 in linewidths from its start, so that lmfit's steps are meaningful
    specs = _natural_scales(f, s, specs)
    w = 1.0 if sigma is None else sigma

    def residual(p: np.ndarray) -> np.ndarray:
        m = resonance_response(f, p[0], p[1], p[2], p[3], p[4] + 1j * p[5], p[6], f_ref, kind)
        return stack_complex(m - s, w)

    fit = least_squares(residual, specs, scale_covar=sigma is None, method=method, max_nfev=max_nfev)
    v = fit.values
    dvals = _derived(v, kind, scale)
    derr = np.full(3, np.nan)
    if np.all(np.isfinite(fit.covariance)):
        _, derr = propagate(lambda x: _derived(fit.full_vector(x), kind, scale), fit.free_values, fit.covariance)
    names = ("circle_diameter", "coupling", "unloaded_q")
    derived = {n: float(x) for n, x in zip(names, dvals)}
    derived_err = {n: float(x) for n, x in zip(names, derr)}
    derived["loaded_q"] = fit.value("loaded_q")
    derived_err["loaded_q"] = fit.error("loaded_q")
    # phase-based decision and the group-delay check
    bg = v[4] + 1j * v[5]
    line = np.exp(2j * np.pi * (f - f_ref) * v[6])
    k0 = int(np.argmin(np.abs(f - v[0])))
    sl = slice(max(k0 - 1, 0), min(k0 + 2, f.size))
    model = resonance_response(f, v[0], v[1], v[2], v[3], bg, v[6], f_ref, kind)
    if kind == "reflection":
        zn, mn = s * line / bg, model * line / bg
        regime = "overcoupled" if derived["circle_diameter"] > 1 else "undercoupled"
        ex_d = float(np.mean(group_delay(f, zn)[sl]))
        ex_m = float(np.mean(group_delay(f, mn)[sl]))
        regime_gd = "overcoupled" if ex_d > 0 else "undercoupled"
        mag = float(abs(np.interp(v[0], f, np.abs(s))) * (scale if scale is not None else 1 / abs(bg)))
        both = quick_coupling(mag)
        quick = both[1] if regime == "overcoupled" else both[0]
    else:
        regime = regime_gd = "n/a"
        ex_d = ex_m = float("nan")
        both = (float("nan"), float("nan"))
        quick = float("nan")
    return ResonanceFit(kind=kind, fit=fit, f_ref=f_ref, scale=scale, derived=derived, derived_stderr=derived_err,
                        regime=regime, regime_from_delay=regime_gd, excess_delay_data=ex_d, excess_delay_model=ex_m,
                        quick_beta=float(quick), quick_beta_both=(float(both[0]), float(both[1])), frequency=f, data=s)


def skrf_qfactor(f: np.ndarray, s: np.ndarray, kind: Kind = "reflection", scale: float | None = None,
                 method: str = "NLQFIT7", timeout: float | None = 20.0) -> dict[str, float | str]:
    """scikit-rf's ``Qfactor`` (NPL MAT 58 algorithms) on the same data: f_L, Q_L, Q0, circle diameter
    (and the ``method`` used).

    scikit-rf's iteration has no limit of its own and can run forever on data without a resonance, so it runs in a
    daemon thread and gives up after ``timeout`` seconds (:class:`FitError`; the thread is abandoned and ends with
    the process). ``None`` waits as long as it takes.
    """
    import threading

    import skrf
    from skrf.qfactor import Qfactor

    ntwk = skrf.Network(frequency=skrf.Frequency.from_f(np.asarray(f, float), unit="Hz"),
                        s=np.asarray(s, complex).reshape(-1, 1, 1))
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            q = Qfactor(ntwk, kind)
            res = q.fit(method=method)
            a = scale if scale is not None else (None if kind == "reflection" else 1.0)
            box["result"] = {"f_loaded": float(res.f_L), "loaded_q": float(res.Q_L),
                             "unloaded_q": float(q.Q_unloaded(res, A=a)),
                             "circle_diameter": float(q.Q_circle(res, A=a)[0]), "method": method}
        except Exception as exc:  # scikit-rf's own checks (e.g. no resonance found)
            box["error"] = f"{type(exc).__name__}: {exc}"

    with np.errstate(all="ignore"):
        thread = threading.Thread(target=work, name="skrf-qfactor", daemon=True)
        thread.start()
        thread.join(timeout)
    if thread.is_alive():
        raise FitError(f"scikit-rf Qfactor did not finish within {timeout:g} s (no resonance in the data?)")
    if "error" in box:
        raise FitError(f"scikit-rf Qfactor failed: {box['error']}")
    return dict(box["result"])
