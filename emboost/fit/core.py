"""A thin layer over lmfit shared by emboost's fits: parameter specs, residual stacking, results.

* :class:`ParameterSpec` — one model parameter in SI with bounds, whether it varies, and the
  affine map ``internal = (SI - offset) / scale`` under which lmfit sees numbers of order one (so
  finite-difference steps and tolerances mean the same thing for a 10 mm gap and a 1e-5 loss tangent).
* :class:`ParameterDefault` — what a model says about a parameter (dimension, display unit, default, bounds);
  recipes' ``[parameters]`` tables are read against these by :func:`emboost.jobs.sections.parameter_specs`.
* :func:`stack_complex` — complex residuals as ``[Re, Im]`` with real weights.
* :func:`least_squares` — run lmfit and return a frozen :class:`FitResult` that keeps the
  covariance (SI), the correlation matrix, chi^2, reduced chi^2, and ``converged`` / ``at_bound`` flags.
  With known noise (``scale_covar=False``) the covariance is ``(J^T J)^-1``; with weights only it is
  scaled by the reduced chi^2.

>>> import numpy as np
>>> x = np.linspace(0, 1, 21)
>>> y = 2.0 * x + 0.5
>>> specs = [ParameterSpec("a", 1.0), ParameterSpec("b", 0.0, scale=1.0)]
>>> r = least_squares(lambda p: (p[0] * x + p[1] - y) / 0.1, specs, scale_covar=False)
>>> [round(float(v), 9) for v in r.values], r.converged, r.at_bound
([2.0, 0.5], True, ())
>>> round(float(r.stderr[0]), 6)  # sigma_a = 0.1 / sqrt(sum (x - mean)^2)
0.072075
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emboost.core.errors import FitError, InputError
from emboost.core.reprs import short_repr

__all__ = ["ParameterSpec", "InternalParameters", "internal_parameters", "ParameterDefault", "FitResult",
           "stack_complex", "least_squares", "propagate", "Check", "Verdict", "runs_test_z", "converged_check",
           "bounds_check", "chi2_check", "runs_check", "relative_error_check"]

METHODS = ("least_squares", "leastsq")


@dataclass(frozen=True)
class ParameterSpec:
    """A fit parameter. ``value``, ``minimum`` and ``maximum`` are SI; ``unit`` is for display."""

    name: str
    value: float
    minimum: float = -math.inf
    maximum: float = math.inf
    vary: bool = True
    unit: str = "1"
    scale: float | None = None
    offset: float = 0.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise InputError(f"initial value of {self.name} must be finite, got {self.value!r}", key=self.name)
        if not self.minimum < self.maximum:
            raise InputError(f"{self.name}: min ({self.minimum:g}) must be below max ({self.maximum:g})",
                             key=self.name)
        if not self.minimum <= self.value <= self.maximum:
            raise InputError(f"{self.name}: initial value {self.value:g} is outside [{self.minimum:g}, "
                             f"{self.maximum:g}]", key=self.name)
        scale = self.scale
        if scale is None:
            s = abs(self.value - self.offset)
            scale = s if s > 0 else 1.0
            object.__setattr__(self, "scale", scale)
        if not (math.isfinite(scale) and scale > 0):
            raise InputError(f"{self.name}: scale must be > 0", key=self.name)

    @property
    def step(self) -> float:
        """The scale (set in ``__post_init__``)."""
        assert self.scale is not None
        return self.scale

    def internal(self, v: float) -> float:
        return (v - self.offset) / self.step

    def external(self, u: float) -> float:
        return u * self.step + self.offset


@dataclass(frozen=True, eq=False)
class InternalParameters:
    """The parameters of a fit in a solver's internal units ``u = (value - offset) / step`` (:class:`ParameterSpec`).

    ``values``, ``scales``, ``offsets`` are per parameter (SI); ``free`` the mask of varied parameters;
    ``lower``, ``upper`` the bounds of the free ones in internal units.

    >>> p = internal_parameters([ParameterSpec("a", 2.0, 0.0, 4.0), ParameterSpec("b", 1.0, vary=False)])
    >>> p.start().tolist(), p.full(np.array([1.5])).tolist()
    ([1.0], [3.0, 1.0])
    """

    names: tuple[str, ...]
    values: np.ndarray
    scales: np.ndarray
    offsets: np.ndarray
    free: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def nfree(self) -> int:
        return int(self.free.sum())

    def start(self) -> np.ndarray:
        """The initial values of the free parameters in internal units, clipped into their bounds."""
        return np.clip(((self.values - self.offsets) / self.scales)[self.free], self.lower, self.upper)

    def full(self, u: np.ndarray) -> np.ndarray:
        """SI values of every parameter with the free ones at internal ``u`` (``(..., nfree)`` -> ``(..., n)``)."""
        p = np.broadcast_to(self.values, u.shape[:-1] + self.values.shape).copy()
        p[..., self.free] = u * self.scales[self.free] + self.offsets[self.free]
        return p


def internal_parameters(specs: Sequence[ParameterSpec],
                        none_free: str = "no parameter varies: set vary = true for at least one") -> \
        InternalParameters:
    """:class:`InternalParameters` of ``specs``; :class:`InputError` ``none_free`` when no parameter varies."""
    specs = list(specs)
    free = np.array([s.vary for s in specs], dtype=bool)
    if not free.any():
        raise InputError(none_free)
    return InternalParameters(
        names=tuple(s.name for s in specs), values=np.array([s.value for s in specs], float),
        scales=np.array([s.step for s in specs]), offsets=np.array([s.offset for s in specs]), free=free,
        lower=np.array([(s.minimum - s.offset) / s.step for s in specs])[free],
        upper=np.array([(s.maximum - s.offset) / s.step for s in specs])[free])


@dataclass(frozen=True)
class ParameterDefault:
    """What a recipe may say about a parameter: its dimension, display unit, default value and bounds (SI)."""

    dimension: str
    unit: str
    value: float | None = None
    minimum: float = -math.inf
    maximum: float = math.inf
    vary: bool = False


@dataclass(frozen=True)
class Check:
    """One test of a fit's verdict: its ``name``, whether it ``passed``, and a one-line ``detail``."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """Whether a fit result can be trusted: every :class:`Check` must pass. ``reason`` is the one-line
    explanation of the first failure ("" when every check passes)."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def reason(self) -> str:
        bad = [c for c in self.checks if not c.passed]
        return "" if not bad else f"{bad[0].name}: {bad[0].detail}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1
                                                                        else "")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reason": self.reason,
                "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks]}


def runs_test_z(residual: np.ndarray) -> float:
    """Wald-Wolfowitz runs test of the residual signs: the z-score of the number of runs (about N(0, 1) for
    structureless residuals; strongly negative when the model misses a shape in the data)."""
    r = np.asarray(residual, dtype=float)
    signs = r[r != 0] > 0
    n1, n2 = int(signs.sum()), int((~signs).sum())
    n = n1 + n2
    if n1 == 0 or n2 == 0:
        return -math.inf
    runs = 1 + int(np.count_nonzero(signs[1:] != signs[:-1]))
    mean = 2.0 * n1 * n2 / n + 1.0
    var = 2.0 * n1 * n2 * (2.0 * n1 * n2 - n) / (n**2 * (n - 1.0))
    return float((runs - mean) / math.sqrt(var)) if var > 0 else 0.0


def converged_check(fit: FitResult) -> Check:
    """The ``converged`` check of a least-squares fit: the optimiser succeeded and a covariance exists."""
    return Check("converged", fit.converged, "the optimiser converged with a covariance" if fit.converged
                 else f"the optimiser did not converge or has no covariance ({fit.message})")


def bounds_check(fit: FitResult) -> Check:
    """The ``bounds`` check: no free parameter ended on (within 1e-6 of the range of) a bound."""
    return Check("bounds", not fit.at_bound, "no parameter on a bound" if not fit.at_bound
                 else f"parameter(s) {', '.join(fit.at_bound)} ended on a bound")


def chi2_check(chisqr: float, dof: int, min_probability: float) -> Check:
    """The ``residuals`` check with known noise: P(chi^2 >= observed) for ``dof`` degrees of freedom above
    ``min_probability``."""
    from scipy.stats import chi2

    prob = float(chi2.sf(chisqr, dof)) if dof > 0 and math.isfinite(chisqr) else math.nan
    good = prob > min_probability
    return Check("residuals", good, f"chi^2 = {chisqr:.4g} for {dof} degrees of freedom, probability {prob:.3g}"
                 if good else f"chi^2 = {chisqr:.4g} for {dof} degrees of freedom: probability {prob:.3g} below "
                 f"{min_probability:g} (the model does not describe the data within the given sigma)")


def runs_check(blocks: Sequence[np.ndarray], max_z: float) -> Check:
    """The ``residuals`` check without known noise: the runs test of each residual block (one observable, or the
    real or imaginary part, along frequency) has |z| below ``max_z``."""
    z = [runs_test_z(b) for b in blocks if np.size(b) > 1]
    worst = min(z, key=lambda v: -abs(v)) if z else math.nan
    good = bool(z) and all(abs(v) < max_z for v in z)
    return Check("residuals", good, f"runs test |z| <= {abs(worst):.2f} (limit {max_z:g})" if good
                 else f"the residuals have structure (runs test z = {worst:.2f}, limit |z| < {max_z:g}): the model "
                 "misses a shape in the data")


def relative_error_check(errors: dict[str, float], sizes: dict[str, float],
                         limit: float | dict[str, float]) -> Check:
    """The ``precision`` check: each standard error over its parameter's natural size (``sizes``) is below
    ``limit`` (one number, or one per parameter); a missing or non-finite error fails."""
    lim = {n: float(limit[n]) if isinstance(limit, dict) else float(limit) for n in errors}
    rel = {n: errors[n] / sizes[n] if sizes[n] > 0 and math.isfinite(errors[n]) else math.inf for n in errors}
    if not rel:
        return Check("precision", True, "no free parameter")
    share = {n: rel[n] / lim[n] for n in rel}
    worst = max(share, key=lambda n: share[n] if math.isfinite(share[n]) else math.inf)
    good = all(math.isfinite(v) and v < 1 for v in share.values())
    return Check("precision", good, f"relative errors within their limits, closest {worst} {rel[worst]:.3g} "
                 f"(limit {lim[worst]:g})" if good
                 else f"relative error of {worst} is {rel[worst]:.3g}, above {lim[worst]:g}")


def stack_complex(residual: np.ndarray, sigma: float | np.ndarray = 1.0) -> np.ndarray:
    """``[Re r / sigma, Im r / sigma]`` along the last axis: lmfit needs real residuals.

    >>> stack_complex(np.array([1 + 2j, 3 - 1j]), 0.5).tolist()
    [2.0, 6.0, 4.0, -2.0]
    """
    r = np.asarray(residual) / sigma
    return np.concatenate([r.real, r.imag], axis=-1)


@dataclass(frozen=True, eq=False)
class FitResult:
    """Outcome of a least-squares fit. Values, errors and covariance are SI.

    ``names``/``values``/``stderr`` cover every parameter (fixed ones have ``stderr`` NaN);
    ``free`` lists the varied ones, in the order of ``covariance`` and ``correlation``.
    ``converged`` is False when the optimiser reported failure or the covariance could not be
    computed; ``at_bound`` names the free parameters that ended on (within 1e-6 of the range of) a bound.
    """

    __repr__ = short_repr

    names: tuple[str, ...]
    values: np.ndarray
    stderr: np.ndarray
    initial: np.ndarray
    free: tuple[str, ...]
    covariance: np.ndarray
    correlation: np.ndarray
    chisqr: float
    redchi: float
    ndata: int
    nfree: int
    nfev: int
    method: str
    scale_covar: bool
    success: bool
    converged: bool
    at_bound: tuple[str, ...]
    message: str
    units: tuple[str, ...]
    bounds: np.ndarray = field(repr=False)
    residual: np.ndarray = field(repr=False)
    #: lmfit's Minimizer and result (:class:`emboost.fit.lmfit_result.LmfitResult`): fit_report, conf_interval, emcee
    lmfit_result: Any = field(default=None, repr=False, compare=False)

    @property
    def chi2_probability(self) -> float | None:
        """P(chi^2 >= observed) for known noise (``scale_covar`` False); tiny values mean a poor
        model or a local minimum. ``None`` when the noise was not given."""
        if self.scale_covar:
            return None
        from scipy.stats import chi2

        return float(chi2.sf(self.chisqr, self.nfree))

    @property
    def ok(self) -> bool:
        """Converged and no parameter on a bound."""
        return self.converged and not self.at_bound

    def value(self, name: str) -> float:
        return float(self.values[self.names.index(name)])

    def error(self, name: str) -> float:
        return float(self.stderr[self.names.index(name)])

    @property
    def free_values(self) -> np.ndarray:
        """Best values of the free parameters (SI), in the order of ``free``."""
        return np.array([self.value(n) for n in self.free])

    def full_vector(self, free_values: np.ndarray) -> np.ndarray:
        """Every parameter (SI) for free-parameter vector(s) ``(..., n_free)``: shape ``(..., n_all)``."""
        x = np.asarray(free_values, dtype=float)
        if x.shape[-1:] != (len(self.free),):
            raise InputError(f"expected {len(self.free)} free-parameter values {self.free}, got shape {x.shape}")
        out = np.broadcast_to(self.values, x.shape[:-1] + (len(self.names),)).copy()
        for k, n in enumerate(self.free):
            out[..., self.names.index(n)] = x[..., k]
        return out

    def sample(self, n: int, seed: int) -> np.ndarray:
        """``n`` free-parameter vectors drawn from N(best, covariance), shape ``(n, n_free)``, seeded."""
        if not np.all(np.isfinite(self.covariance)):
            raise FitError("no covariance to sample from (the fit did not converge)")
        return np.random.default_rng(seed).multivariate_normal(self.free_values, self.covariance, size=n)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (SI values; units say which SI unit)."""
        params = {}
        for i, n in enumerate(self.names):
            params[n] = {"value": self.values[i], "stderr": self.stderr[i], "initial": self.initial[i],
                         "min": self.bounds[i, 0], "max": self.bounds[i, 1], "vary": n in self.free,
                         "at_bound": n in self.at_bound, "display_unit": self.units[i]}
        return {
            "parameters": params,
            "free": list(self.free),
            "covariance": self.covariance,
            "correlation": self.correlation,
            "statistics": {"chisqr": self.chisqr, "redchi": self.redchi, "ndata": self.ndata,
                           "degrees_of_freedom": self.nfree, "nfev": self.nfev,
                           "chi2_probability": self.chi2_probability},
            "method": self.method,
            "scale_covar": self.scale_covar,
            "success": self.success,
            "converged": self.converged,
            "at_bound": list(self.at_bound),
            "message": self.message,
        }


def errors_and_correlation(cov: np.ndarray, free_idx: Sequence[int] | np.ndarray,
                           n: int) -> tuple[np.ndarray, np.ndarray]:
    """The standard error of each of ``n`` parameters (NaN where fixed) and the correlation matrix, from the
    covariance ``cov`` of the free parameters ``free_idx`` (SI)."""
    stderr = np.full(n, np.nan)
    d = np.sqrt(np.abs(np.diag(cov)))
    stderr[np.asarray(free_idx, dtype=int)] = d
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(d, d)
    return stderr, corr


def parameters_at_bound(values: np.ndarray, specs: Sequence[ParameterSpec],
                        free_idx: Sequence[int] | np.ndarray) -> tuple[str, ...]:
    """The free parameters whose fitted ``values`` (SI) sit within 1e-6 of their bound interval's width of a
    bound (of their size or scale where the interval is unbounded)."""
    out = []
    for i in np.asarray(free_idx, dtype=int):
        sp, v = specs[i], float(values[i])
        lo, hi = sp.minimum, sp.maximum
        width = (hi - lo) if math.isfinite(hi - lo) else max(abs(v), sp.step)
        if (math.isfinite(lo) and v - lo <= 1e-6 * width) or (math.isfinite(hi) and hi - v <= 1e-6 * width):
            out.append(sp.name)
    return tuple(out)


def least_squares(residual: Callable[[np.ndarray], np.ndarray], specs: Sequence[ParameterSpec], *,
                  scale_covar: bool, method: str = "least_squares", max_nfev: int | None = None,
                  tolerance: float = 1e-10) -> FitResult:
    """Minimise ``sum(residual(p)**2)`` over the free parameters with lmfit.

    ``residual`` takes the vector of every parameter in SI (the order of ``specs``) and returns a
    real 1-D array (weighted residuals, i.e. already divided by sigma). ``method``: "least_squares"
    (scipy trust-region reflective, native bounds) or "leastsq" (MINPACK Levenberg-Marquardt).
    """
    import lmfit

    from emboost.fit.lmfit_result import LmfitResult

    if method not in METHODS:
        raise InputError(f"fit method {method!r}; expected one of {list(METHODS)}", key="method")
    specs = list(specs)
    names = tuple(s.name for s in specs)
    params = lmfit.Parameters()
    for s in specs:
        params.add(s.name, value=s.internal(s.value), vary=s.vary, min=s.internal(s.minimum),
                   max=s.internal(s.maximum))
    current = np.array([s.value for s in specs], dtype=float)
    free_idx = [i for i, s in enumerate(specs) if s.vary]
    scales = np.array([s.scale for s in specs])
    offsets = np.array([s.offset for s in specs])
    if not free_idx:
        raise InputError("no parameter varies: set vary = true (or give bounds) for at least one")

    def fcn(p: Any) -> np.ndarray:
        u = np.fromiter((p[n].value for n in names), dtype=float, count=len(names))
        r = residual(u * scales + offsets)
        if not np.all(np.isfinite(r)):
            # a non-finite model point: push the optimiser away instead of crashing it
            return np.where(np.isfinite(r), r, 1e150)
        return r

    r0 = fcn(params)
    if r0.ndim != 1 or r0.size <= len(free_idx):
        raise InputError(f"{r0.size} residuals for {len(free_idx)} free parameters: need more data points")
    # with weights only (covariance scaled by the reduced chi^2) the residuals' overall size is arbitrary:
    # bring it to order one so that the optimiser's tolerances mean something; chi^2 is reported unscaled
    norm = 1.0
    if scale_covar:
        rms = float(np.sqrt(np.mean(r0**2)))
        norm = 1.0 / rms if 0 < rms < 1e100 else 1.0

    def fcn_scaled(p: Any) -> np.ndarray:
        return fcn(p) * norm
    kws: dict[str, float | int | str] = {}
    if method == "least_squares":
        kws = {"x_scale": "jac", "ftol": tolerance, "xtol": tolerance, "gtol": tolerance}
        if max_nfev:
            kws["max_nfev"] = max_nfev
    else:
        kws = {"ftol": tolerance, "xtol": tolerance}
        if max_nfev:
            kws["maxfev"] = max_nfev
    mini = lmfit.Minimizer(fcn_scaled, params, scale_covar=scale_covar, nan_policy="raise")
    try:
        out = mini.minimize(method=method, **kws)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"the fit failed: {exc}") from None
    values = np.array([out.params[n].value for n in names]) * scales + offsets
    init = current
    free = tuple(names[i] for i in free_idx)
    k = len(free)
    cov = np.full((k, k), np.nan)
    have_cov = bool(out.covar is not None and np.all(np.isfinite(out.covar)))
    if have_cov:
        order = [out.var_names.index(n) for n in free]
        c = np.asarray(out.covar)[np.ix_(order, order)]
        sf = scales[free_idx]
        cov = c * np.outer(sf, sf)
        have_cov = bool(np.all(np.diag(cov) > 0))
    stderr, corr = errors_and_correlation(cov, free_idx, len(names))
    bounds = np.array([[s.minimum, s.maximum] for s in specs])
    at_bound = parameters_at_bound(values, specs, free_idx)
    resid = np.asarray(out.residual, dtype=float) / norm
    chisqr = float(np.sum(resid**2))
    nfree = int(resid.size - k)
    success = bool(out.success)
    return FitResult(names=names, values=values, stderr=stderr, initial=init, free=free, covariance=cov,
                     correlation=corr, chisqr=chisqr, redchi=chisqr / nfree, ndata=int(resid.size), nfree=nfree,
                     nfev=int(out.nfev), method=method, scale_covar=scale_covar, success=success,
                     converged=success and have_cov and bool(np.all(np.isfinite(resid))),
                     at_bound=at_bound, message=str(out.message), units=tuple(s.unit for s in specs),
                     bounds=bounds, residual=resid,
                     lmfit_result=LmfitResult(mini, out, dict(zip(names, map(float, scales))),
                                              dict(zip(names, map(float, offsets))), scale_covar, norm))


def propagate(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray, covariance: np.ndarray,
              rel_step: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Linear error propagation: ``func(x)`` and its standard deviation from ``covariance`` of ``x``.

    ``func`` maps a batch ``(m, k)`` of parameter vectors to ``(m, ...)``; it is called once with the
    ``2k + 1`` points of a central-difference Jacobian.

    >>> f, s = propagate(lambda v: v[:, 0] * v[:, 1], np.array([2.0, 3.0]), np.diag([0.01, 0.04]))
    >>> float(f), round(float(s), 6)  # sqrt(3^2 0.01 + 2^2 0.04)
    (6.0, 0.5)
    """
    x = np.asarray(x, dtype=float)
    k = x.size
    h = rel_step * np.maximum(np.abs(x), np.sqrt(np.abs(np.diag(covariance))) + 1e-300)
    pts = np.vstack([x, x + np.diag(h), x - np.diag(h)])
    y = np.asarray(func(pts), dtype=float)
    jac = (y[1:k + 1] - y[k + 1:]) / (2 * h.reshape((k,) + (1,) * (y.ndim - 1)))
    j2 = jac.reshape(k, -1)
    var = np.einsum("im,ij,jm->m", j2, covariance, j2)
    return y[0], np.sqrt(np.abs(var)).reshape(y.shape[1:])
