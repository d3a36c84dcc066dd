"""Fitting a booster model to VNA reflectivity (physics.md §2.3): spacings, phase thickness, tan delta.

Free parameters (any subset; the rest keep the setup file's values):

* ``gap_1`` ... ``gap_n`` [m] — ``gap_1`` is the mirror-to-first-disk gap (vary it alone for a
  mirror-position fit);
* ``phase_thickness`` [m] — ``sqrt(eps) t`` of every disk (or ``phase_thickness_1`` ... per disk).
  Permittivity and thickness are degenerate in the reflectivity, so eps stays at the setup value and
  ``t = phase_thickness / sqrt(eps)``;
* ``loss_tangent`` — one effective tan delta for every disk;
* ``electrical_delay`` [s] and ``background_re`` / ``background_im`` — the line to the reference
  plane and a complex background factor, ``S11 = (bg_re + j bg_im) exp(-j 2 pi (f - f_ref) tau) S11_booster``
  (default fixed at 0 and 1).

Observables, fitted jointly, each with its noise sigma (or a weight, then the covariance is scaled by
the reduced chi^2): ``reflected_power_db`` (``20 log10 |S11|``), ``group_delay`` (``-d arg S11/d omega``,
the same finite-difference operator on data and model), ``s11`` (complex, stacked as Re, Im).

>>> import numpy as np
>>> base = Booster.from_disks([8e-3] * 3, 1e-3, 9.4, 1e-4)
>>> f = np.linspace(21.4e9, 22.4e9, 101)
>>> truth = base.with_gaps([8.05e-3, 7.97e-3, 8.02e-3])
>>> data = observables_from_s11(f, truth.reflectivity(f))
>>> specs = booster_parameter_specs(base, ["gap_1", "gap_2", "gap_3"])
>>> r = fit_booster(f, data, base, specs, [Observable("s11", sigma=1e-3)])
>>> np.round(r.fit.free_values * 1e3, 6).tolist(), r.fit.ok
([8.05, 7.97, 8.02], True)
>>> r.booster(np.array([[8e-3, 8e-3, 8e-3], [8.1e-3, 8e-3, 8e-3]])).gaps.shape
(2, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np

from emboost.booster.model import Booster, solve_transmission_line
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr
from emboost.fit.core import (
    Check,
    FitResult,
    ParameterDefault,
    ParameterSpec,
    Verdict,
    bounds_check,
    chi2_check,
    converged_check,
    least_squares,
    propagate,
    relative_error_check,
    runs_check,
    stack_complex,
)
from emboost.rf.network import group_delay

__all__ = ["Observable", "OBSERVABLE_KINDS", "observables_from_s11", "booster_parameter_defaults",
           "booster_parameter_specs", "fit_booster", "BoosterFitResult", "natural_scales", "LOSS_TANGENT_FLOOR"]

OBSERVABLE_KINDS = ("reflected_power_db", "group_delay", "s11")

#: smallest natural size of the loss tangent [1]: below it, tan delta is compared with this floor in the
#: ``precision`` check (a booster's reflectivity hardly constrains a loss tangent of 1e-5 relative to itself)
LOSS_TANGENT_FLOOR = 1e-4


@dataclass(frozen=True)
class Observable:
    """One fitted observable: ``kind`` (see :data:`OBSERVABLE_KINDS`) with noise ``sigma``
    (dB, s or linear) or, without sigma, a relative ``weight``."""

    kind: str
    sigma: float | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in OBSERVABLE_KINDS:
            raise InputError(f"observable {self.kind!r}; expected one of {list(OBSERVABLE_KINDS)}", key="kind")
        if self.sigma is not None and not (math.isfinite(self.sigma) and self.sigma > 0):
            raise InputError(f"sigma of {self.kind} must be > 0, got {self.sigma!r}", key="sigma")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise InputError(f"weight of {self.kind} must be > 0, got {self.weight!r}", key="weight")


def _observe(f: np.ndarray, s: np.ndarray, kind: str) -> np.ndarray:
    if kind == "reflected_power_db":
        return 20 * np.log10(np.abs(s))
    if kind == "group_delay":
        return group_delay(f, s)
    return s


def observables_from_s11(f: np.ndarray, s11: np.ndarray) -> dict[str, np.ndarray]:
    """Every observable computed from complex S11 data: ``{kind: array (nf,)}``."""
    f = np.asarray(f, float)
    s11 = np.asarray(s11, complex)
    with np.errstate(divide="ignore"):
        return {k: _observe(f, s11, k) for k in OBSERVABLE_KINDS}


def _disk_names(n: int) -> tuple[list[str], list[str]]:
    return [f"gap_{i + 1}" for i in range(n)], [f"phase_thickness_{i + 1}" for i in range(n)]


def booster_parameter_defaults(base: Booster, per_disk_thickness: bool = False) -> dict[str, ParameterDefault]:
    """The parameters a booster fit knows, with the setup's values as defaults (all fixed)."""
    if base.batch_shape:
        raise InputError("the base booster of a fit must not carry a batch axis")
    n = base.n_disks
    gaps = np.broadcast_to(base.gaps, (n,))
    pt = np.broadcast_to(base.phase_thickness, (n,))
    tand = np.broadcast_to(base.loss_tangent, (n,))
    g, p = _disk_names(n)
    d: dict[str, ParameterDefault] = {}
    for i in range(n):
        d[g[i]] = ParameterDefault("length", "mm", float(gaps[i]), 0.0, math.inf)
    if per_disk_thickness:
        for i in range(n):
            d[p[i]] = ParameterDefault("length", "mm", float(pt[i]), 0.0, math.inf)
    else:
        d["phase_thickness"] = ParameterDefault("length", "mm", float(np.mean(pt)), 0.0, math.inf)
    d["loss_tangent"] = ParameterDefault("dimensionless", "1", float(np.mean(tand)), 0.0, 1.0)
    d["electrical_delay"] = ParameterDefault("time", "ns", 0.0)
    d["background_re"] = ParameterDefault("dimensionless", "1", 1.0)
    d["background_im"] = ParameterDefault("dimensionless", "1", 0.0)
    return d


def booster_parameter_specs(base: Booster, free: Sequence[str], per_disk_thickness: bool = False,
                            initial: dict[str, float] | None = None) -> list[ParameterSpec]:
    """Specs with the named parameters free (initial values from ``initial`` or the setup)."""
    d = booster_parameter_defaults(base, per_disk_thickness)
    unknown = [n for n in free if n not in d]
    if unknown:
        raise InputError(f"unknown booster fit parameter(s) {unknown}; expected from {list(d)}")
    initial = initial or {}
    specs = []
    for n, x in d.items():
        v = initial.get(n, x.value)
        assert v is not None  # every booster parameter has a default
        specs.append(ParameterSpec(n, float(v), x.minimum, x.maximum, n in free, x.unit,
                                   None if v != 0 else 1e-9 if x.dimension == "time" else 1.0))
    return specs


def natural_scales(f: np.ndarray, data: dict[str, np.ndarray], specs: Sequence[ParameterSpec]) -> list[ParameterSpec]:
    """The booster parameters with the optimiser's scale set by each one's natural size and the offset at its
    start (internal value 0 at the start), so that a start near zero (a delay or a background of 0, a loss tangent
    of 0) neither makes the finite-difference step round-off-sized nor loosens the tolerances.

    Scales: gaps and phase thicknesses their start value (a quarter wavelength at the band centre if that is 0);
    the loss tangent its start but at least :data:`LOSS_TANGENT_FLOOR`; the electrical delay ``1/span``; the
    background parts the data's magnitude (median ``|S11|``, from the dB data without complex data).

    >>> f = np.linspace(18e9, 20e9, 11)
    >>> sp = natural_scales(f, {"s11": 0.5 * np.ones(11, complex)}, [ParameterSpec("electrical_delay", 0.0),
    ...                                                              ParameterSpec("background_im", 0.0)])
    >>> [(round(p.step, 15), p.offset) for p in sp]
    [(5e-10, 0.0), (0.5, 0.0)]
    """
    span = float(f[-1] - f[0])
    quarter = 299792458.0 / (4 * 0.5 * (f[0] + f[-1]))
    if "s11" in data and np.shape(data["s11"]) == np.shape(f):
        mag = float(np.median(np.abs(data["s11"])))
    elif "reflected_power_db" in data and np.shape(data["reflected_power_db"]) == np.shape(f):
        mag = float(10 ** (np.median(data["reflected_power_db"]) / 20))
    else:
        mag = 1.0
    mag = mag if math.isfinite(mag) and mag > 0 else 1.0
    out = []
    for sp in specs:
        v = abs(sp.value)
        if sp.name.startswith(("gap_", "phase_thickness")):
            scale = v if v > 0 else quarter
        elif sp.name == "loss_tangent":
            scale = max(v, LOSS_TANGENT_FLOOR)
        elif sp.name == "electrical_delay":
            scale = 1.0 / span
        elif sp.name.startswith("background_"):
            scale = mag
        else:
            scale = sp.step
        out.append(ParameterSpec(sp.name, sp.value, sp.minimum, sp.maximum, sp.vary, sp.unit, scale=scale,
                                 offset=sp.value))
    return out


class _Mapper:
    """Parameter vectors (…, n_all) -> Booster fields (batched)."""

    def __init__(self, base: Booster, names: tuple[str, ...]) -> None:
        self.base = base
        self.names = names
        n = base.n_disks
        g, p = _disk_names(n)
        self.gi = [names.index(x) for x in g]
        self.per_disk = p[0] in names if n else False
        self.pi = [names.index(x) for x in p] if self.per_disk else [names.index("phase_thickness")] * n
        self.ti = names.index("loss_tangent")
        self.sqrt_eps = np.sqrt(np.broadcast_to(base.permittivity, (n,)))
        self.extra = [names.index(x) for x in ("electrical_delay", "background_re", "background_im")]

    def booster(self, v: np.ndarray) -> Booster:
        v = np.asarray(v, float)
        n = self.base.n_disks
        gaps = v[..., self.gi]
        thick = v[..., self.pi] / self.sqrt_eps
        tand = np.broadcast_to(v[..., self.ti, None], v.shape[:-1] + (n,))
        return self.base.replace(gaps=gaps, thickness=thick, loss_tangent=tand)

    def s11(self, v: np.ndarray, f: np.ndarray, f_ref: float) -> np.ndarray:
        b = self.booster(v)
        _, s = solve_transmission_line(b, f)
        tau, bre, bim = (np.asarray(v[..., i], float)[..., None] for i in self.extra)
        return (bre + 1j * bim) * np.exp(-2j * np.pi * (f - f_ref) * tau) * s


@dataclass(frozen=True, eq=False)
class BoosterFitResult:
    """A booster reflectivity fit: the lmfit result (covariance in SI) and what rebuilds the model.

    :meth:`booster` turns free-parameter vector(s) of shape ``(n_free,)`` or ``(m, n_free)`` (order:
    ``fit.free``) into a :class:`~emboost.booster.model.Booster` with that batch axis, e.g. for samples drawn
    from ``fit.covariance`` (``fit.sample(n, seed)``).
    """

    __repr__ = short_repr

    fit: FitResult
    base: Booster
    frequency: np.ndarray
    f_ref: float
    observables: tuple[Observable, ...]
    data: dict[str, np.ndarray] = field(repr=False)
    model: dict[str, np.ndarray] = field(repr=False)

    @property
    def _mapper(self) -> _Mapper:
        return _Mapper(self.base, self.fit.names)

    @property
    def ok(self) -> bool:
        return self.fit.ok

    def natural_sizes(self) -> dict[str, float]:
        """Each free parameter's natural size (SI), the yardstick of the ``precision`` check: gaps and phase
        thicknesses their value (a quarter wavelength at the band centre if that is 0), the loss tangent its value
        but at least :data:`LOSS_TANGENT_FLOOR`, the delay ``1/span``, the background its magnitude."""
        f = self.frequency
        quarter = 299792458.0 / (4 * 0.5 * (f[0] + f[-1]))
        bg = math.hypot(self.fit.value("background_re"), self.fit.value("background_im"))
        out = {}
        for n in self.fit.free:
            v = abs(self.fit.value(n))
            if n.startswith(("gap_", "phase_thickness")):
                out[n] = v if v > 0 else quarter
            elif n == "loss_tangent":
                out[n] = max(v, LOSS_TANGENT_FLOOR)
            elif n == "electrical_delay":
                out[n] = 1.0 / float(f[-1] - f[0])
            else:
                out[n] = bg if bg > 0 else 1.0
        return out

    def verdict(self, *, max_relative_error: float = 0.1, max_loss_tangent_error: float = 1.0,
                min_chi2_probability: float = 1e-3, max_runs_z: float = 4.0) -> Verdict:
        """Whether this booster fit can be trusted (docs/fitting.md, "Verdicts"); every threshold is an argument.

        Checks: ``converged`` (optimiser success and a covariance); ``bounds`` (no free parameter on a bound);
        ``location`` (the fitted booster's boost-factor peak lies inside the data band, not on its first or last
        point: the data see the booster mode); ``precision`` (each standard error below ``max_relative_error`` of
        the parameter's natural size, :meth:`natural_sizes`; the loss tangent, weakly constrained by a reflectivity,
        below ``max_loss_tangent_error`` of it: the data must show the loss at all); ``residuals`` (with every
        sigma given: chi^2 probability above ``min_chi2_probability``; otherwise a runs test |z| below
        ``max_runs_z`` on each observable's residuals along frequency); ``physical`` (finite values, gaps and
        thicknesses > 0, loss tangent >= 0).
        """
        fr = self.fit
        f = self.frequency
        checks = [converged_check(fr), bounds_check(fr)]
        try:
            bf = np.asarray(self.booster().boost_factor(f), float)
            k = int(np.argmax(bf))
            inside = bool(np.all(np.isfinite(bf)) and 0 < k < f.size - 1)
            where = f"{f[k] / 1e9:.6g} GHz"
        except Exception as exc:  # an unphysical fitted booster: the physical check says why
            inside, where = False, f"not computable ({exc})"
        checks.append(Check("location", inside, f"the boost-factor peak ({where}) lies inside the data band"
                            if inside else f"the boost-factor peak ({where}) is not inside the data band "
                            f"[{f[0] / 1e9:.6g}, {f[-1] / 1e9:.6g}] GHz: the data do not see the booster mode"))
        limits = {n: max_loss_tangent_error if n == "loss_tangent" else max_relative_error for n in fr.free}
        checks.append(relative_error_check({n: fr.error(n) for n in fr.free}, self.natural_sizes(), limits))
        if not fr.scale_covar:
            checks.append(chi2_check(fr.chisqr, fr.nfree, min_chi2_probability))
        else:
            blocks, i = [], 0
            for o in self.observables:
                for _ in range(2 if o.kind == "s11" else 1):
                    blocks.append(fr.residual[i:i + f.size])
                    i += f.size
            checks.append(runs_check(blocks, max_runs_z))
        b = self.booster()
        gaps, thick = np.asarray(b.gaps, float), np.asarray(b.thickness, float)
        tand = np.asarray(b.loss_tangent, float)
        phys = bool(np.all(np.isfinite(fr.values)) and np.all(gaps > 0) and np.all(thick > 0) and np.all(tand >= 0))
        checks.append(Check("physical", phys, "finite values, gaps and thicknesses > 0, loss tangent >= 0" if phys
                            else f"unphysical result: gaps {gaps.tolist()} m, thicknesses {thick.tolist()} m, loss "
                            f"tangent {tand.tolist()}"))
        return Verdict(tuple(checks))

    def booster(self, free_values: np.ndarray | None = None) -> Booster:
        """The booster for free-parameter vector(s) (default: the best fit)."""
        x = self.fit.free_values if free_values is None else np.asarray(free_values, float)
        return self._mapper.booster(self.fit.full_vector(x))

    def s11(self, f: np.ndarray | None = None, free_values: np.ndarray | None = None) -> np.ndarray:
        """Model S11 including electrical delay and background, shape ``(..., nf)``."""
        f = self.frequency if f is None else np.asarray(f, float)
        x = self.fit.free_values if free_values is None else np.asarray(free_values, float)
        return self._mapper.s11(self.fit.full_vector(x), f, self.f_ref)

    @overload
    def boost_factor(self, f: np.ndarray | None = None, with_error: Literal[False] = False) -> np.ndarray: ...

    @overload
    def boost_factor(self, f: np.ndarray | None, with_error: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...

    @overload
    def boost_factor(self, f: np.ndarray | None = None, *,
                     with_error: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...

    def boost_factor(self, f: np.ndarray | None = None,
                     with_error: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Boost factor of the fitted model at ``f`` (default: the data grid), shape ``(nf,)``; with
        ``with_error`` also its linear-propagated 1-sigma (same shape)."""
        f = self.frequency if f is None else np.asarray(f, float)
        if not with_error:
            return self.booster().boost_factor(f)
        if not np.all(np.isfinite(self.fit.covariance)):
            bf = self.booster().boost_factor(f)
            return bf, np.full_like(bf, np.nan)
        return propagate(lambda x: self.booster(x).boost_factor(f), self.fit.free_values, self.fit.covariance)

    def to_dict(self, f_band: np.ndarray | None = None) -> dict[str, Any]:
        f = self.frequency if f_band is None else f_band
        bf, sbf = self.boost_factor(f, with_error=True)
        k = int(np.argmax(bf))
        b = self.booster()
        return {
            "fit": self.fit.to_dict(),
            "observables": [{"kind": o.kind, "sigma": o.sigma, "weight": o.weight} for o in self.observables],
            "f_ref": self.f_ref,
            "fitted_booster": {"gaps_m": b.gaps, "thickness_m": b.thickness, "permittivity": b.permittivity,
                               "phase_thickness_m": b.phase_thickness, "loss_tangent": b.loss_tangent},
            "boost_factor": {"peak": bf[k], "peak_stderr": sbf[k], "peak_frequency_Hz": f[k],
                             "integral_Hz": float(np.sum(0.5 * (bf[1:] + bf[:-1]) * np.diff(f))),
                             "band_Hz": [f[0], f[-1]]},
        }


def fit_booster(f: np.ndarray, data: dict[str, np.ndarray], base: Booster, specs: Sequence[ParameterSpec],
                observables: Sequence[Observable], *, method: str = "least_squares",
                max_nfev: int | None = None, prefit: bool = False) -> BoosterFitResult:
    """Fit ``base`` (with ``specs``) to the measured ``data`` (``{kind: array}``, see :func:`observables_from_s11`).

    ``prefit``: first fit the complex S11 (better conditioned than power and group delay, which lose
    the phase and differentiate the noise) and start the requested fit from its result.
    """
    f = base.check_band(f)
    if f.size < 8 or np.any(np.diff(f) <= 0):
        raise InputError("a booster fit needs >= 8 strictly increasing frequencies")
    observables = tuple(observables)
    if not observables:
        raise InputError("no observables to fit: give at least one of " + ", ".join(OBSERVABLE_KINDS))
    for o in observables:
        if o.kind not in data or np.shape(data[o.kind]) != f.shape:
            raise InputError(f"data for observable {o.kind!r} missing or not of shape {f.shape}")
        if not np.all(np.isfinite(data[o.kind])):
            raise InputError(f"data for observable {o.kind!r} are not finite (|S11| = 0 in dB?)")
    specs = list(specs)
    names = tuple(s.name for s in specs)
    expected = tuple(booster_parameter_defaults(base, "phase_thickness_1" in names))
    if names != expected:
        raise InputError(f"booster fit parameters must be {expected}, got {names}")
    mapper = _Mapper(base, names)
    f_ref = float(0.5 * (f[0] + f[-1]))
    scale_covar = any(o.sigma is None for o in observables)
    # without sigma, a weight w means sigma = 1/sqrt(w) in dB, ns or linear units (errors scaled by chi^2)
    unit = {"reflected_power_db": 1.0, "group_delay": 1e-9, "s11": 1.0}
    inv = [1.0 / (o.sigma if o.sigma is not None else unit[o.kind] / math.sqrt(o.weight)) for o in observables]
    if prefit and not any(o.kind == "s11" for o in observables):
        if "s11" not in data or np.shape(data["s11"]) != f.shape:
            raise InputError("prefit needs the complex S11 data (key 's11')")
        first = fit_booster(f, data, base, specs, [Observable("s11")], method=method, max_nfev=max_nfev,
                            prefit=False)
        if first.fit.converged:
            specs = [ParameterSpec(s.name, float(np.clip(v, s.minimum, s.maximum)), s.minimum, s.maximum, s.vary,
                                   s.unit, s.scale, s.offset) for s, v in zip(specs, first.fit.values)]

    def residual(p: np.ndarray) -> np.ndarray:
        try:
            s = mapper.s11(p, f, f_ref)
        except InputError:  # e.g. a negative thickness from a wild step: very bad, not fatal
            return np.full(sum(f.size * (2 if o.kind == "s11" else 1) for o in observables), 1e150)
        parts = []
        with np.errstate(divide="ignore"):
            for o, w in zip(observables, inv):
                m = _observe(f, s, o.kind)
                d = m - data[o.kind]
                parts.append(stack_complex(d, 1 / w) if o.kind == "s11" else d * w)
        return np.concatenate(parts)

    specs = natural_scales(f, data, specs)
    fit = least_squares(residual, specs, scale_covar=scale_covar, method=method, max_nfev=max_nfev)
    s = mapper.s11(fit.values, f, f_ref)
    model = observables_from_s11(f, s)
    return BoosterFitResult(fit=fit, base=base, frequency=f, f_ref=f_ref, observables=observables,
                            data={k: np.asarray(v) for k, v in data.items()}, model=model)
