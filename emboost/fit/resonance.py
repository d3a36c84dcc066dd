"""Single-resonance fits of reflection (S11), transmission (S21), notch/hanger and absorption data
(physics.md §3.1; NPL MAT 58; Probst et al., Rev. Sci. Instrum. 86, 024706 (2015)).

The models (:mod:`emboost.fit.resonators`; engineering convention exp(+jwt), ``t`` the detuning)::

    reflection, notch, absorption:  S = line(f) [B (1 - D exp(j phi)/(1 + j Q_L t)) + K x]
    transmission:                   S = line(f) [B + K x + D exp(j phi)/(1 + j Q_L t)]

``line`` is the electrical delay ``exp(-j 2 pi (f - f_ref) tau)`` times an optional magnitude slope, ``B`` the
complex background (the leakage in transmission), ``K`` an optional leakage linear in frequency (MAT 58's
NLQFIT8). Derived, with MAT 58's scale ``A`` (``scale``; for reflection-like types default ``1/|B|``, for
transmission ``1/|S21 thru|`` or 1) and the circle diameter ``d``:

* reflection: ``beta = d/(2 - d)``, ``Q0 = Q_L (1 + beta)``; over-coupled when the circle encloses the origin
  (``d > 1``), checked by the sign of the excess group delay at resonance;
* transmission (two equal ports): ``Q0 = Q_L/(1 - d)``, per-port ``beta = d/(2(1 - d))``;
* notch/hanger (Probst et al.): ``|Qc| = Q_L/d``, ``Re(1/Qc) = d cos(phi0)/Q_L`` (the diameter correction for the
  impedance-mismatch rotation ``phi0 = phi``), ``1/Q0 = 1/Q_L - Re(1/Qc)``, ``beta = Q0 Re(1/Qc)``;
* absorption (MAT 58): ``Q0 = Q_L/(1 - d)``, ``beta = d/(1 - d)``, ``|Qc| = Q_L/d``.

Weights: uniform, NPL angular weights (MAT 58 eq. 28, iterated as its fit-weight-fit plan, covariance by the
sandwich formula so it stays right when the weights are not the noise), or a sigma per point.

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
from emboost.fit.core import Check, FitResult, ParameterDefault, ParameterSpec, Verdict, propagate, runs_test_z
from emboost.fit.resonators import (
    BASE_NAMES,
    KINDS,
    Config,
    angular_weights,
    circle_guess,
    natural_scales,
    parameter_defaults,
    response,
    solve,
)
from emboost.rf.network import group_delay

__all__ = ["resonance_response", "initial_guess", "fit_resonance", "fit_network", "ResonanceFit", "skrf_qfactor",
           "default_parameters", "quick_coupling", "NAMES", "KINDS", "Config"]

Kind = Literal["reflection", "transmission", "notch", "absorption"]
NAMES = BASE_NAMES
C0 = 299_792_458.0
DERIVED = ("circle_diameter", "coupling", "unloaded_q", "external_q", "coupling_q_abs", "coupling_q_re_inverse")


def resonance_response(f: np.ndarray, f0: ArrayLike, q_loaded: ArrayLike, diameter: ArrayLike, rotation: ArrayLike,
                       background: ArrayLike, delay: ArrayLike, f_ref: float,
                       kind: Kind = "reflection") -> np.ndarray:
    """Complex S of one resonance (constant background, no leakage slope) at ``f`` [Hz]: ``f0`` [Hz],
    ``q_loaded``, ``diameter``, ``rotation`` [rad], complex ``background``, ``delay`` [s]; parameters may
    carry a batch axis ``(m, 1)``. :func:`emboost.fit.resonators.response` has every model option."""
    b = np.asarray(background)
    parts = np.broadcast_arrays(*(np.asarray(x, float) for x in (f0, q_loaded, diameter, rotation)),
                                b.real, b.imag, np.asarray(delay, float))
    p = np.stack([np.asarray(x)[..., 0] if np.ndim(x) > 0 and np.shape(x)[-1] == 1 else np.asarray(x)
                  for x in parts], axis=-1)
    return response(np.asarray(f, float), p, Config(kind), f_ref)


def initial_guess(f: np.ndarray, s: np.ndarray, kind: Kind = "reflection", delay: float | None = None,
                  f_ref: float | None = None, method: Literal["linear", "skrf"] = "linear",
                  config: Config | None = None) -> dict[str, float]:
    """Starting values of the model parameters (SI) from the data, without a start value from the user.

    ``linear``: the algebraic circle fit (:func:`emboost.fit.resonators.circle_guess`). ``skrf``: scikit-rf's
    ``Qfactor`` (NLQFIT7) for f0 and Q_L, then the circle fit at that f0.
    """
    f = np.asarray(f, float)
    s = np.asarray(s, complex)
    cfg = config if config is not None else Config(kind)
    f_ref = float(0.5 * (f[0] + f[-1])) if f_ref is None else f_ref
    f0 = None
    if method == "skrf":
        z = s if delay is None else s * np.exp(2j * np.pi * (f - f_ref) * delay)
        f0 = float(skrf_qfactor(f, z, cfg.kind)["f_loaded"])  # type: ignore[arg-type]
    return circle_guess(f, s, cfg, f_ref, delay=delay, f0=f0)


def default_parameters(f: np.ndarray, guess: dict[str, float], kind: str,
                       config: Config | None = None) -> dict[str, ParameterDefault]:
    """The resonance parameters with defaults (start values from ``guess``) and bounds (SI) for ``f`` [Hz]."""
    return parameter_defaults(np.asarray(f, float), guess, config if config is not None else Config(kind))


def quick_coupling(s_at_f0: float) -> tuple[float, float]:
    """RADES eq. (4): beta from a linear ``|S11|`` at resonance, (under-coupled, over-coupled) branches.

    >>> [round(b, 3) for b in quick_coupling(1 / 3)]
    [0.5, 2.0]
    """
    m = float(s_at_f0)
    if m >= 1:
        return 0.0, math.inf
    return (1 - m) / (1 + m), (1 + m) / (1 - m)


def _derived(values: np.ndarray, cfg: Config, scale: float | None, touching_circle: bool = False) -> np.ndarray:
    """(…, n) parameter vectors -> (…, 6): d, beta, Q0, Q_ext, |Qc|, Re(1/Qc) (the last two NaN where they do
    not apply). ``touching_circle``: reflection Q0 by MAT 58's Method 2 (needs ``scale``): the coupling circle
    of a lossy coupling touches the circle of diameter ``(1 - |S_V|^2)/(1 - |S_V| cos phi)`` instead of 2."""
    q, dd, phi = values[..., 1], values[..., 2], values[..., 3]
    bg = np.hypot(values[..., 4], values[..., 5])
    nan = np.full_like(q, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if cfg.kind == "transmission":
            d = dd * (1.0 if scale is None else scale)
            q0 = q / (1 - d)
            beta = d / (2 * (1 - d))
            qc, reinv = nan, nan
        else:
            d = dd if scale is None else scale * bg * dd
            if cfg.kind == "reflection":
                touching = 2.0
                if touching_circle and scale is not None:  # MAT 58 Method 2 (lossy coupling, calibrated data)
                    gv = scale * bg
                    gt = gv * np.abs(1 - dd * np.exp(1j * phi))
                    cosphi = (gv**2 + d**2 - gt**2) / (2 * gv * d)
                    touching = (1 - gv**2) / (1 - gv * cosphi)
                beta = d / (touching - d)
                q0 = q * (1 + beta)
                qc, reinv = nan, nan
            elif cfg.kind == "notch":
                reinv = d * np.cos(phi) / q
                qc = q / d
                q0 = 1 / (1 / q - reinv)
                beta = q0 * reinv
            else:
                q0 = q / (1 - d)
                beta = d / (1 - d)
                qc, reinv = q / d, d / q
        qe = 1 / (1 / q - 1 / q0)
    return np.stack([d, beta, q0, qe, qc, reinv], axis=-1)


@dataclass(frozen=True, eq=False)
class ResonanceFit:
    """Result of :func:`fit_resonance`: the fit, and the derived resonator quantities with errors.

    ``derived`` / ``derived_stderr``: ``circle_diameter`` d, ``coupling`` (beta; per port for transmission),
    ``unloaded_q`` (Q0; the internal Q of a notch), ``external_q``, ``loaded_q``, and for notch and absorption
    ``coupling_q_abs`` |Qc| and ``coupling_q_re_inverse`` Re(1/Qc). ``regime`` "undercoupled"/"overcoupled"
    (reflection: from the fitted circle, i.e. the phase; otherwise beta below or above 1);
    ``regime_from_delay`` the reflection's decision from the sign of the measured excess group delay;
    ``quick_beta`` the RADES eq. (4) estimate (reflection), ``quick_beta_both`` both branches.
    ``noise`` is the noise of each real and imaginary part: the given sigma, or the one estimated from the
    residuals; ``weighting`` "uniform", "angular" or "sigma"; ``delay_mode`` "free", "fixed" or "removed"
    (``cable_delay`` [s] removed from the data beforehand).
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
    config: Config = field(default_factory=Config)
    weighting: str = "uniform"
    noise: float = math.nan
    noise_given: bool = False
    delay_mode: str = "free"
    cable_delay: float = 0.0
    q0_method: str = "diameter"
    model_choice: str = ""

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
        beta >= 0, a passive circle); and,
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
            size = fr.value("diameter") * (bg if self.kind != "transmission" else 1.0)  # the circle in data units
            share = rms / size if size > 0 else math.inf
            good = abs(z) < max_runs_z or share < max_structure
            checks.append(Check("residuals", good, f"runs test z = {z:.2f}, residual rms {share:.2%} of the "
                                "resonance circle" if good else f"the residuals have structure (runs test z = "
                                f"{z:.2f}) of {share:.1%} of the resonance circle (limit {max_structure:.0%}): the "
                                "model misses a shape in the data"))
        d = self.circle_diameter
        limit = {"reflection": (2.0, "circle diameter <= 2"), "absorption": (1.0, "circle diameter < 1"),
                 "transmission": (1.0, "circle diameter < 1"), "notch": (math.inf, "d cos(phi0) < 1")}[self.kind]
        phys = (ql > 0 and self.unloaded_q > 0 and self.coupling >= 0 and d <= limit[0]
                and (self.kind != "transmission" or self.scale is None or d < 1))
        checks.append(Check("physical", phys, f"Q_L, Q0 > 0, beta >= 0, {limit[1]}" if phys else
                            f"unphysical result: Q_L {ql:.4g}, Q0 {self.unloaded_q:.4g}, beta {self.coupling:.4g}, "
                            f"diameter {d:.4g} ({limit[1]} expected)"))
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
        """The model S at ``f`` [Hz] (default: the data grid) for all-parameter vector(s) ``values`` (default:
        best), including a cable delay removed beforehand (so it compares with the data as given)."""
        f = self.frequency if f is None else np.asarray(f, float)
        v = self.fit.values if values is None else np.asarray(values, float)
        return response(f, v, self.config, self.f_ref) * np.exp(-2j * np.pi * f * self.cable_delay)

    def off_resonance(self) -> complex:
        """The detuned point of the circle at f0 (the background ``B`` with the delay; for transmission the
        leakage): where the circle meets the background."""
        v = self.fit.values
        b = complex(v[4], v[5])
        line = np.exp(-2j * np.pi * (self.f0 - self.f_ref) * v[6] - 2j * np.pi * self.f0 * self.cable_delay)
        mag = 1.0 + (v[7] * (self.f0 - self.f_ref) / self.f_ref if self.config.background == "slope" else 0.0)
        return complex(b * line * mag)

    def network(self, f: np.ndarray | None = None, name: str = "resonance model", parameter: str = "S11") -> Any:
        """The fitted model as a scikit-rf ``Network`` at ``f`` [Hz] (default: the data grid): a one-port, or with
        ``parameter`` such as "S21" the smallest network with the model there (and at its reciprocal "S12"),
        the other parameters 0."""
        import skrf

        from emboost.rf.touchstone import parse_parameter_name

        f = self.frequency if f is None else np.asarray(f, float)
        i, j = parse_parameter_name(parameter, 99, key="parameter")
        n = max(i, j) + 1
        s = np.zeros((f.size, n, n), complex)
        m = self.model(f)
        s[:, i, j] = m
        s[:, j, i] = m
        return skrf.Network(frequency=skrf.Frequency.from_f(f, unit="Hz"), s=s, name=name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "f_ref": self.f_ref, "scale_A": self.scale, "fit": self.fit.to_dict(),
            "model": {"background": self.config.background, "leakage": self.config.leakage,
                      "detuning": self.config.detuning, "weighting": self.weighting, "delay": self.delay_mode,
                      "cable_delay_removed_s": self.cable_delay, "q0_method": self.q0_method,
                      "automatic_choice": self.model_choice},
            "noise_per_component": {"value": self.noise, "given": self.noise_given},
            "derived": {k: {"value": v, "stderr": self.derived_stderr.get(k)} for k, v in self.derived.items()},
            "coupling_regime": {"regime": self.regime, "from_fit_phase": self.regime,
                                "from_group_delay_sign": self.regime_from_delay,
                                "consistent": self.regime == self.regime_from_delay or self.kind != "reflection",
                                "excess_group_delay_at_f0_data_s": self.excess_delay_data,
                                "excess_group_delay_at_f0_model_s": self.excess_delay_model},
            "quick_estimate_rades_eq4": {"beta": self.quick_beta, "beta_if_undercoupled": self.quick_beta_both[0],
                                         "beta_if_overcoupled": self.quick_beta_both[1]},
        }

    def to_network(self, f: Any = None, **kwargs: Any) -> Any:
        """The fitted model (reflection; ``which="data"``: the measured data) as a ``skrf.Network``.

        Through :func:`emboost.rf.skrf_bridge.to_network`; keyword arguments (``s_def``, ``z0``, ...) go to it.
        """
        from emboost.rf.skrf_bridge import to_network

        return to_network(self, f, **kwargs)

AUTO_DELAY_LINEWIDTHS = 10.0
LEAKAGE_CHI2_GAIN = 25.0
DELAY_CHI2_GAIN = 25.0


def _delay_mode(delay: str | float, cfg: Config) -> tuple[str, float]:
    """("free" | "fixed" | "auto", value) for the delay option ("auto" stays only for notch and absorption)."""
    if isinstance(delay, (int, float)) and not isinstance(delay, bool):
        if not math.isfinite(delay):
            raise InputError(f"delay must be finite, got {delay!r}", key="delay")
        return "fixed", float(delay)
    if delay in ("free", "fixed"):
        return str(delay), 0.0
    if delay != "auto":
        raise InputError(f"delay {delay!r}; expected 'auto', 'free', 'fixed' or a value in seconds", key="delay")
    if cfg.leakage == "linear":
        # MAT 58's NLQFIT8 has no delay: to first order across the window a delay is a leakage slope
        return "fixed", 0.0
    return ("free", 0.0) if cfg.kind in ("reflection", "transmission") else ("auto", 0.0)  # MAT 58: NLQFIT7


def _run(f: np.ndarray, z: np.ndarray, cfg: Config, f_ref: float, specs: list[ParameterSpec] | None, mode: str,
         tau: float, w0: np.ndarray, known: bool, weighting: str, guess: Literal["linear", "skrf"], method: str,
         max_nfev: int | None, rounds: int = 6, previous: FitResult | None = None) -> FitResult:
    """One fit with the delay ``mode`` ("free" or "fixed" at ``tau``) and the weighting (at most ``rounds``
    weighted fits; ``previous``: a fit of the same model to continue from)."""
    user_specs = specs is not None
    if previous is not None:
        specs = [ParameterSpec(n, float(np.clip(previous.value(n), lo, hi)), lo, hi, n in previous.free, u)
                 for n, (lo, hi), u in zip(previous.names, previous.bounds, previous.units)]
    elif specs is None:
        g = initial_guess(f, z, cfg.kind, delay=None if mode == "free" else tau,  # type: ignore[arg-type]
                          f_ref=f_ref, method=guess, config=cfg)
        specs = [ParameterSpec(n, d.value if d.value is not None else 0.0, d.minimum, d.maximum,
                               n != "delay" or mode == "free", d.unit)
                 for n, d in parameter_defaults(f, g, cfg).items()]
    specs = natural_scales(f, z, list(specs), f_ref)
    if weighting != "angular":
        return solve(f, z, cfg, f_ref, specs, w0, noise_known=known, max_nfev=max_nfev, method=method)
    # MAT 58's plan (fit, weights, fit, weights, fit to convergence), started from weights of the circle fit:
    # weights from the last fit and a fit, until the weights no longer move Q_L by 1 % of its error
    by = {sp.name: sp.value for sp in specs}
    f0_w, q_w = by["f0"], by["loaded_q"]
    fit = None
    if user_specs and previous is None:  # a start from the user may be far off: unweighted steps before weights
        fit = solve(f, z, cfg, f_ref, specs, w0, noise_known=known, max_nfev=8, method=method)
        f0_w, q_w = fit.value("f0"), fit.value("loaded_q")
    for _ in range(rounds):
        wa = angular_weights(f, f0_w, max(q_w, 1e-3))
        start = specs if fit is None else [
            ParameterSpec(sp.name, float(np.clip(fit.value(sp.name), sp.minimum, sp.maximum)), sp.minimum,
                          sp.maximum, sp.vary, sp.unit, sp.scale, sp.offset) for sp in specs]
        new = solve(f, z, cfg, f_ref, start, w0 * np.sqrt(wa), noise_known=known, sandwich=wa,
                    max_nfev=max_nfev, method=method)
        moved = abs(new.value("loaded_q") - q_w) / max(new.error("loaded_q"), 1e-300)
        fit = new
        f0_w, q_w = fit.value("f0"), fit.value("loaded_q")
        if not moved > 1e-2:
            break
    assert fit is not None
    return fit


def fit_resonance(f: np.ndarray, s: np.ndarray, kind: Kind = "reflection", *,
                  sigma: float | np.ndarray | None = None, scale: float | None = None,
                  specs: list[ParameterSpec] | None = None, method: str = "least_squares",
                  guess: Literal["linear", "skrf"] = "linear", delay: str | float = "auto",
                  cable_length: float | None = None, velocity_factor: float = 1.0,
                  background: str = "constant", leakage: str = "auto", weighting: str = "angular",
                  detuning: str = "linear", touching_circle: bool = True, max_nfev: int | None = None) -> ResonanceFit:
    """Fit one resonance to complex data ``s`` at ``f`` [Hz]; no start value needed.

    ``kind``: "reflection", "transmission", "notch" (hanger; Probst's diameter correction) or "absorption".
    ``sigma``: noise of each real and imaginary part, a number or one per point (known noise: errors from the
    unscaled covariance); ``None`` estimates it from the residuals. ``scale``: MAT 58's ``A`` (reflection-like:
    None normalises to the fitted background; transmission: ``1/|S21 thru|``, None means 1).
    ``delay``: "auto" (free for reflection and transmission, MAT 58's NLQFIT7; fixed at 0 with a linear leakage,
    which absorbs a delay to first order, as MAT 58's NLQFIT8; for notch and absorption fixed at 0 on a window
    narrower than 10 fitted linewidths, else free when freeing it improves chi^2 by more than 25 noise units),
    "free", "fixed" (0) or a fixed value [s]; ``cable_length`` [m] (with ``velocity_factor``) removes a known line
    delay from the data beforehand (what remains is then fixed at 0 unless ``delay`` says "free"). ``background``:
    "constant" or "slope" (linear magnitude slope; the phase slope is the delay);
    ``leakage``: "none", "constant" (transmission) or "linear" (a leakage linear in frequency, MAT 58's
    NLQFIT8); "auto": for transmission both, the linear one taken when it improves chi^2 by more than 25 in units
    of the noise, else none/constant. ``weighting``: "angular" (NPL MAT 58 eq. 28, iterated), "uniform", or
    "sigma" (only the given sigma). ``detuning``: "linear" ``2(f/f0 - 1)`` (MAT 58's) or "exact"
    ``f/f0 - f0/f``. ``touching_circle``: a reflection with a given ``scale`` (calibrated data) gets Q0 by
    MAT 58's Method 2 (lossy coupling). ``specs`` overrides the parameters (:func:`default_parameters`).
    """
    f = np.asarray(f, float)
    s = np.asarray(s, complex)
    if kind not in KINDS:
        raise InputError(f"resonance kind {kind!r}; expected one of {list(KINDS)}", key="type")
    if f.ndim != 1 or f.shape != s.shape or f.size < 8:
        raise InputError(f"need matching 1-D frequency and data arrays with >= 8 points, got {f.shape}, {s.shape}")
    if np.any(np.diff(f) <= 0) or not np.all(np.isfinite(s)) or not np.all(np.isfinite(f)):
        raise InputError("frequencies must increase strictly and the data must be finite")
    sig: np.ndarray | None = None
    if sigma is not None:
        sig = np.broadcast_to(np.asarray(sigma, float), f.shape).copy() if np.ndim(sigma) else np.full(f.shape,
                                                                                                       float(sigma))
        if sig.shape != f.shape or not np.all((sig > 0) & np.isfinite(sig)):
            raise InputError(f"sigma must be > 0 and finite (a number or one per point), got {sigma!r}", key="sigma")
    if weighting not in ("angular", "uniform", "sigma"):
        raise InputError(f"weighting {weighting!r}; expected 'angular', 'uniform' or 'sigma'", key="weighting")
    if weighting == "sigma" and sig is None:
        raise InputError("weighting 'sigma' needs sigma per point", key="sigma")
    cfg = Config(kind, background, leakage, detuning)
    cable = 0.0
    if cable_length is not None:
        if not (math.isfinite(cable_length) and cable_length >= 0 and 0 < velocity_factor <= 1):
            raise InputError(f"cable_length must be >= 0 m and velocity_factor in (0, 1], got {cable_length!r}, "
                             f"{velocity_factor!r}", key="cable_length")
        cable = cable_length / (velocity_factor * C0)
    z = s * np.exp(2j * np.pi * f * cable)
    f_ref = float(0.5 * (f[0] + f[-1]))
    known = sig is not None
    w0 = 1.0 / sig if sig is not None else np.ones(f.size)
    opts = (w0, known, weighting, guess, method, max_nfev)

    def fit_with(c: Config) -> tuple[FitResult, str]:
        mode, tau = _delay_mode(delay, c)
        if cable_length is not None and delay == "auto":
            mode, tau = "fixed", 0.0
        if mode != "auto":
            return _run(f, z, c, f_ref, specs, mode, tau, *opts), mode
        first = _run(f, z, c, f_ref, specs, "free", tau, *opts, rounds=1)
        fixed = _run(f, z, c, f_ref, specs, "fixed", tau, *opts)
        if (f[-1] - f[0]) < AUTO_DELAY_LINEWIDTHS * first.value("f0") / max(first.value("loaded_q"), 1e-3):
            # notch/absorption on a window narrower than 10 linewidths: the off-resonance data do not show the
            # delay, and a free delay trades against the resonance's own phase; fix it at 0
            return fixed, "fixed"
        free = _run(f, z, c, f_ref, specs, "free", tau, *opts, previous=first)
        var = min(free.redchi, fixed.redchi)
        if not (free.converged and (fixed.chisqr - free.chisqr) / (var if var > 0 else 1.0) > DELAY_CHI2_GAIN):
            return fixed, "fixed"  # the data do not ask for a delay
        return free, "free"

    fit, mode = fit_with(cfg)
    choice = ""
    if kind == "transmission" and leakage == "auto" and specs is None:
        # a leakage that varies across the band (MAT 58's NLQFIT8 case) is taken when it improves chi^2 by more
        # than LEAKAGE_CHI2_GAIN in units of the noise (the better model's residual variance)
        alt = Config(kind, background, "linear", detuning)
        fit2, mode2 = fit_with(alt)
        var = min(fit.redchi, fit2.redchi) if min(fit.redchi, fit2.redchi) > 0 else 1.0
        gain = (fit.chisqr - fit2.chisqr) / var
        if fit2.converged and gain > LEAKAGE_CHI2_GAIN:
            cfg, fit, mode = alt, fit2, mode2
        choice = f"leakage {cfg.leakage}: the linear leakage improves chi^2 by {gain:.4g} noise units " \
                 f"(taken above {LEAKAGE_CHI2_GAIN:g})"
    return _result(fit, f, s, cfg, f_ref, scale, weighting if sig is None or weighting != "uniform" else "sigma",
                   sig, mode if cable_length is None else ("removed" if mode == "fixed" else "removed, rest free"),
                   cable, touching_circle, choice)


def _result(fit: FitResult, f: np.ndarray, s: np.ndarray, cfg: Config, f_ref: float, scale: float | None,
            weighting: str, sig: np.ndarray | None, mode: str, cable: float, method2: bool,
            choice: str = "") -> ResonanceFit:
    v = fit.values
    touch = method2 and cfg.kind == "reflection" and scale is not None
    dvals = _derived(v, cfg, scale, touch)
    derr = np.full(dvals.shape, np.nan)
    if np.all(np.isfinite(fit.covariance)):
        with np.errstate(all="ignore"):
            _, derr = propagate(lambda x: _derived(fit.full_vector(x), cfg, scale, touch), fit.free_values,
                                fit.covariance)
    derived = {n: float(x) for n, x in zip(DERIVED, dvals)}
    derived_err = {n: float(x) for n, x in zip(DERIVED, derr)}
    if cfg.kind in ("reflection", "transmission"):
        for n in ("coupling_q_abs", "coupling_q_re_inverse"):
            derived.pop(n)
            derived_err.pop(n)
    derived["loaded_q"] = fit.value("loaded_q")
    derived_err["loaded_q"] = fit.error("loaded_q")
    noise = float(np.mean(sig)) if sig is not None else float(math.sqrt(fit.redchi))
    z = s * np.exp(2j * np.pi * f * cable)
    bg = v[4] + 1j * v[5]
    line = np.exp(2j * np.pi * (f - f_ref) * v[6])
    ex_d = ex_m = math.nan
    both = (math.nan, math.nan)
    quick = math.nan
    regime_gd = "n/a"
    if cfg.kind == "reflection":
        k0 = int(np.argmin(np.abs(f - v[0])))
        sl = slice(max(k0 - 1, 0), min(k0 + 2, f.size))
        model = response(f, v, cfg, f_ref)
        zn, mn = z * line / bg, model * line / bg
        regime = "overcoupled" if derived["circle_diameter"] > 1 else "undercoupled"
        ex_d = float(np.mean(group_delay(f, zn)[sl]))
        ex_m = float(np.mean(group_delay(f, mn)[sl]))
        regime_gd = "overcoupled" if ex_d > 0 else "undercoupled"
        mag = float(abs(np.interp(v[0], f, np.abs(z))) * (scale if scale is not None else 1 / abs(bg)))
        both = quick_coupling(mag)
        quick = both[1] if regime == "overcoupled" else both[0]
    else:
        regime = "overcoupled" if derived["coupling"] > 1 else "undercoupled"
    return ResonanceFit(kind=cfg.kind, fit=fit, f_ref=f_ref, scale=scale, derived=derived, derived_stderr=derived_err,
                        regime=regime, regime_from_delay=regime_gd, excess_delay_data=ex_d, excess_delay_model=ex_m,
                        quick_beta=float(quick), quick_beta_both=(float(both[0]), float(both[1])), frequency=f,
                        data=s, config=cfg, weighting=weighting, noise=noise, noise_given=sig is not None,
                        delay_mode=mode, cable_delay=cable, q0_method="touching circle (MAT 58 Method 2)" if touch
                        else "diameter", model_choice=choice)


def fit_network(network: Any, kind: Kind = "reflection", parameter: str = "S11", **options: Any) -> ResonanceFit:
    """:func:`fit_resonance` on one S-parameter (``"S21"``, …) of a scikit-rf ``Network``."""
    from emboost.rf.touchstone import parse_parameter_name

    try:
        f = np.asarray(network.frequency.f, float)
        s_all = np.asarray(network.s, complex)
    except AttributeError:
        raise InputError("expected a scikit-rf Network (with .frequency.f and .s)", key="network") from None
    i, j = parse_parameter_name(parameter, s_all.shape[1], key="parameter")
    return fit_resonance(f, s_all[:, i, j], kind, **options)


def skrf_qfactor(f: np.ndarray, s: np.ndarray, kind: Kind = "reflection", scale: float | None = None,
                 method: str = "NLQFIT7", timeout: float | None = 20.0,
                 loop_plan: str = "fwfwc") -> dict[str, float | str]:
    """scikit-rf's ``Qfactor`` (NPL MAT 58 algorithms) on the same data: f_L, Q_L, Q0, circle diameter
    (and the ``method`` used). A notch is given to scikit-rf as "absorption" (its Q0 then has no diameter
    correction for the rotation phi0).

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
            q = Qfactor(ntwk, "absorption" if kind == "notch" else kind)
            res = q.fit(method=method, loop_plan=loop_plan)
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
