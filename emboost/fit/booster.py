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
the same finite-difference operator on data and model; its noise, a finite difference of the phase noise,
correlated between neighbouring points: :class:`GroupDelayWhitening`), ``s11`` (complex, stacked as Re, Im).

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

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np

from emboost.booster.gradients import GradientEvaluator
from emboost.booster.model import Booster, solve_transmission_line
from emboost.core.errors import FitError, InputError
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
    errors_and_correlation,
    internal_parameters,
    least_squares,
    parameters_at_bound,
    propagate,
    relative_error_check,
    runs_check,
    stack_complex,
)
from emboost.fit.lmfit_result import LazyLmfitResult, LmfitResult
from emboost.rf.network import group_delay

__all__ = ["Observable", "OBSERVABLE_KINDS", "NOISE_MODELS", "group_delay_operator", "GroupDelayWhitening",
           "observables_from_s11", "booster_parameter_defaults",
           "booster_parameter_specs", "fit_booster", "BoosterFitResult", "natural_scales", "LOSS_TANGENT_FLOOR",
           "JACOBIANS", "MultiStart", "model_s11_jacobian"]

#: how a booster fit gets its Jacobian: "exact" (adjoint derivatives of the transmission-line model, chain rule
#: to each observable), "numeric" (lmfit's finite differences), or "auto" (the default: "exact" for every
#: observable, pull-tested for complex S11, reflected power, group delay and power + group delay)
JACOBIANS = ("auto", "exact", "numeric")

OBSERVABLE_KINDS = ("reflected_power_db", "group_delay", "s11")

#: smallest natural size of the loss tangent [1]: below it, tan delta is compared with this floor in the
#: ``precision`` check (a booster's reflectivity hardly constrains a loss tangent of 1e-5 relative to itself)
LOSS_TANGENT_FLOOR = 1e-4


#: how the noise of an observable is modelled: "independent" (every point independent, variance sigma^2) or, for the
#: group delay only, "phase" (the group delay is the finite difference of the S11 phase, whose noise is
#: independent from point to point: neighbouring group-delay points are then correlated, see
#: :class:`GroupDelayWhitening`)
NOISE_MODELS = ("independent", "phase")


@dataclass(frozen=True)
class Observable:
    """One fitted observable: ``kind`` (see :data:`OBSERVABLE_KINDS`) with noise ``sigma``
    (dB, s or linear) or, without sigma, a relative ``weight``.

    ``noise`` (:data:`NOISE_MODELS`; None: "phase" for the group delay, else "independent"): with "phase" the
    group delay's ``sigma`` is its noise at an interior point of the grid (what its scatter shows) and the fit
    uses the full covariance of a finite difference of independent phase noise (:class:`GroupDelayWhitening`).
    """

    kind: str
    sigma: float | None = None
    weight: float = 1.0
    noise: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in OBSERVABLE_KINDS:
            raise InputError(f"observable {self.kind!r}; expected one of {list(OBSERVABLE_KINDS)}", key="kind")
        if self.sigma is not None and not (math.isfinite(self.sigma) and self.sigma > 0):
            raise InputError(f"sigma of {self.kind} must be > 0, got {self.sigma!r}", key="sigma")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise InputError(f"weight of {self.kind} must be > 0, got {self.weight!r}", key="weight")
        if self.noise is None:
            object.__setattr__(self, "noise", "phase" if self.kind == "group_delay" else "independent")
        elif self.noise not in NOISE_MODELS:
            raise InputError(f"noise model {self.noise!r} of {self.kind}; expected one of {list(NOISE_MODELS)}",
                             key="noise")
        elif self.noise == "phase" and self.kind != "group_delay":
            raise InputError(f"noise = 'phase' is the group delay's; {self.kind} has independent noise", key="noise")

    @property
    def correlated(self) -> bool:
        """True for a group delay with the "phase" noise model (whitened by :class:`GroupDelayWhitening`)."""
        return self.noise == "phase"


def group_delay_operator(f: np.ndarray) -> np.ndarray:
    """The matrix ``D`` ``(nf, nf)`` [s/rad] with ``group_delay = D @ unwrapped phase``: numpy's second-order
    gradient (central differences inside, one-sided second-order differences at the two ends) divided by
    ``-2 pi``, as :func:`emboost.rf.network.group_delay`. Its null space is the constant phase.

    >>> f = np.linspace(1e9, 2e9, 6)
    >>> bool(np.allclose(group_delay_operator(f) @ (-2 * np.pi * f * 3e-9), 3e-9))
    True
    """
    f = np.asarray(f, float)
    return -np.asarray(np.gradient(np.eye(f.size), 2 * np.pi * f, axis=0, edge_order=2))


def _group_delay_sparse(f: np.ndarray) -> Any:
    """:func:`group_delay_operator` as a sparse matrix, built in O(nf): each row reaches three neighbouring columns
    at most, so the gradient of the combs of every third point gives every entry (the same numbers)."""
    from scipy.sparse import csr_matrix

    n = f.size
    i = np.arange(n)
    lo = np.clip(i - 1, 0, n - 3)  # the first column each row reaches
    rows, cols, vals = [], [], []
    for c in range(3):
        comb = (i % 3 == c).astype(float)
        rows.append(i)
        cols.append(lo + (c - lo) % 3)
        vals.append(-np.gradient(comb, 2 * np.pi * f, edge_order=2))
    return csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


class GroupDelayWhitening:
    """Whitened residuals of a group delay made from noisy S11 (the observable's noise model "phase").

    Derivation. S11 with independent complex noise of sigma_s per part has independent phase noise
    ``sigma_phi = sigma_s / |S11|`` (uncorrelated with the amplitude noise, so power and group delay are independent
    to first order), taken equal at every point (a booster reflects nearly fully: ``|S11|`` near 1). The group delay
    is ``D @ phase`` (:func:`group_delay_operator`), so its noise has the covariance ``C = sigma_phi^2 D D^T``:
    points two apart inside a uniform grid are anti-correlated (-1/2) and the one-sided end points have 13 times
    the variance of an interior point. ``C`` has rank ``nf - 1`` (``D`` removes a constant phase), and with its
    pseudo-inverse ``chi^2 = r^T C^+ r = |D^+ r|^2 / sigma_phi^2`` for a residual ``r = D phase_model - data``. As
    ``D^+ D`` projects out the constant, ``D^+ r = (phase_model - mean(phase_model)) - D^+ data``: the fit of the
    group delay with its full covariance is a fit of the unwrapped phase with a free constant, against the phase
    ``psi = D^+ data`` recovered once from the measured group delay (exactly the measured phase, mean removed,
    when the group delay was made by :func:`observables_from_s11`). The observable's ``sigma`` is the group delay's
    noise at an interior point, ``sigma = q sigma_phi`` with ``q^2`` the mean over interior rows of
    ``sum_j D_ij^2`` (``q = 1 / (2 pi sqrt(2) df)`` on a uniform grid), so the whitened residual is
    ``q ((phase_model - mean) - psi) / sigma``; its ``nf`` entries sum to zero (one degree of freedom fewer) and
    keep the frequency order (the runs test still applies). Cost: one sparse solve per fit, then O(nf) per step.

    >>> f = np.linspace(18e9, 19e9, 7)
    >>> s = np.exp(-2j * np.pi * f * 1e-9 + 0.3j * np.sin(f / 1e8))           # a model S11
    >>> data = group_delay(f, np.exp(-2j * np.pi * f * 1.1e-9))                # a measured group delay
    >>> w = GroupDelayWhitening(f, data)
    >>> d = group_delay_operator(f)
    >>> by_pinv = w.q * np.linalg.pinv(d) @ (group_delay(f, s) - data)        # q D^+ r, the definition
    >>> bool(np.allclose(w.residual(s), by_pinv, rtol=0, atol=1e-9))
    True
    """

    def __init__(self, f: np.ndarray, data: np.ndarray) -> None:
        from scipy.linalg import solveh_banded

        f = np.asarray(f, float)
        d = _group_delay_sparse(f)
        self.q = math.sqrt(float(np.mean(np.asarray(d.multiply(d).sum(axis=1)).ravel()[1:-1])))
        # the least-squares solutions of D x = data are x0 + c (D removes a constant): x0 from D without its first
        # column (full column rank; its normal matrix is banded, |j - k| <= 2), the minimum-norm one by removing
        # the mean
        d1 = (d / self.q).tocsc()[:, 1:]
        a = (d1.T @ d1).todia()
        ab = np.zeros((3, f.size - 1))
        for k in range(3):
            ab[2 - k, k:] = a.diagonal(k)
        g = np.asarray(data, float) / self.q
        y = solveh_banded(ab, d1.T @ g)
        y = y + solveh_banded(ab, d1.T @ (g - d1 @ y))  # one refinement step (the normal equations square the
        x = np.concatenate([[0.0], y])                  # condition number of an uneven grid)
        self.psi = x - x.mean()

    def residual(self, s: np.ndarray) -> np.ndarray:
        """``q D^+ (group_delay(model) - data)`` [s] for the model S11 ``s`` (divide by sigma to whiten)."""
        phase = np.unwrap(np.angle(s))
        return self.q * (phase - phase.mean() - self.psi)

    def jacobian(self, s: np.ndarray, ds: np.ndarray) -> np.ndarray:
        """d :meth:`residual` / d p ``(nf, k)`` from ``ds = dS/dp`` ``(nf, k)``: ``q (Im(dS/S) - its mean)``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            dphi = (ds / s[:, None]).imag
        return self.q * (dphi - dphi.mean(axis=0))


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


def model_s11_jacobian(base: Booster, names: Sequence[str], values: np.ndarray, f: np.ndarray,
                       f_ref: float) -> tuple[np.ndarray, np.ndarray]:
    """Model S11 ``(nf,)`` and its exact Jacobian ``(nf, len(names))`` for the full parameter vector ``values``
    (SI, the order of :func:`booster_parameter_defaults`).

    From :func:`emboost.booster.gradients.booster_gradients` (one adjoint pass for every parameter): ``dS/dgap_i``
    directly, ``dS/dphase_thickness = sum_i dS/dt_i / sqrt(eps_i)`` (eps stays at the setup's value),
    ``dS/dtan d = sum_i dS/dtan d_i``, and the line terms (delay, background) in closed form.

    >>> base = Booster.from_disks([8e-3] * 2, 1e-3, 9.4, 1e-4)
    >>> names = tuple(booster_parameter_defaults(base))
    >>> v = np.array([s.value for s in booster_parameter_specs(base, [])])
    >>> s, jac = model_s11_jacobian(base, names, v, np.linspace(18e9, 19e9, 5), 18.5e9)
    >>> s.shape, jac.shape
    ((5,), (5, 7))
    """
    return _ExactModel(base, tuple(names), np.asarray(f, float), float(f_ref))(np.asarray(values, float))


class _ExactModel:
    """:func:`model_s11_jacobian` for one base booster, parameter list and grid, called many times (a fit): the
    indices, the line factors' frequency terms and the setup's media are prepared once
    (:class:`~emboost.booster.gradients.GradientEvaluator`)."""

    def __init__(self, base: Booster, names: tuple[str, ...], f: np.ndarray, f_ref: float) -> None:
        n = base.n_disks
        self.names = names
        self.f = f
        self.gi = [names.index(f"gap_{i + 1}") for i in range(n)]
        self.per_disk = n > 0 and "phase_thickness_1" in names
        self.pi = [names.index(f"phase_thickness_{i + 1}") for i in range(n)] if self.per_disk else \
            [names.index("phase_thickness")] * n
        self.ti = names.index("loss_tangent")
        self.sqrt_eps = np.sqrt(np.broadcast_to(base.permittivity, (n,)))
        self.li = [names.index(k) for k in ("electrical_delay", "background_re", "background_im")]
        self.w = -2j * np.pi * (f - f_ref)
        self.evaluator = GradientEvaluator(base, f)
        g = self.evaluator.names
        self.rows_gap = [g.index(f"gap_{i + 1}") for i in range(n)]
        self.rows_t = [g.index(f"thickness_{i + 1}") for i in range(n)]
        self.rows_tan = [g.index(f"loss_tangent_{i + 1}") for i in range(n)]

    def __call__(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.gi)
        g = self.evaluator(v[self.gi], v[self.pi] / self.sqrt_eps, np.full(n, v[self.ti]), s11_only=True)
        tau, bre, bim = (float(v[i]) for i in self.li)
        ph = np.exp(self.w * tau)
        line = (bre + 1j * bim) * ph
        sb = g.s11
        d = g.d_s11
        jac = np.zeros((self.f.size, len(self.names)), complex)
        jac[:, self.gi] = (d[self.rows_gap] * line).T
        dt = d[self.rows_t] * line / self.sqrt_eps[:, None]
        if self.per_disk:
            jac[:, self.pi] = dt.T
        elif n:
            jac[:, self.pi[0]] = dt.sum(axis=0)
        jac[:, self.ti] = line * d[self.rows_tan].sum(axis=0)
        s = line * sb
        jac[:, self.li[0]] = s * self.w
        jac[:, self.li[1]] = ph * sb
        jac[:, self.li[2]] = 1j * ph * sb
        return s, jac


def _observe_jacobian(f: np.ndarray, s: np.ndarray, ds: np.ndarray, kind: str) -> np.ndarray:
    """``d observable / d p`` from the complex ``ds = dS/dp`` ``(nf, k)`` by the chain rule (complex for "s11").

    ``20 log10|S|``: ``(20 / ln 10) Re(dS / S)``; the group delay ``-d arg S / d omega`` (unwrapped phase, then
    numpy's second-order gradient, a linear operator): the same gradient applied to ``d arg S = Im(dS / S)``."""
    if kind == "s11":
        return ds
    with np.errstate(divide="ignore", invalid="ignore"):
        q = ds / s[:, None]
    if kind == "reflected_power_db":
        return (20 / math.log(10)) * q.real
    return -np.gradient(q.imag, 2 * np.pi * f, axis=0, edge_order=2)


@dataclass(frozen=True)
class MultiStart:
    """The starts of a multi-start booster fit (:func:`fit_booster` with ``starts > 1``).

    ``starts`` ``(k, n_free)`` [SI, order ``fit.free``]: row 0 is the given start, the others seeded draws around
    it; ``chisqr`` ``(k,)`` each start's final chi^2 (``inf`` for a start whose fit failed); ``best`` the index
    kept (the lowest chi^2); ``tolerance``: chi^2 differences below ``max(1, 1e-6 chi^2)`` count as the same
    minimum; ``given_is_best``: the given start's end point is the best within that tolerance; ``seed``,
    ``spread``: how the other starts were drawn.
    """

    __repr__ = short_repr

    starts: np.ndarray
    chisqr: np.ndarray
    best: int
    seed: int
    spread: float

    @property
    def tolerance(self) -> float:
        return max(1.0, 1e-6 * float(self.chisqr[self.best]))

    @property
    def given_is_best(self) -> bool:
        return bool(self.chisqr[0] <= self.chisqr[self.best] + self.tolerance)

    def check(self) -> Check:
        """The ``multistart`` check of the verdict: passes when the given start's end point is the best."""
        k = self.chisqr.size
        if self.given_is_best:
            return Check("multistart", True, f"the given start reached the lowest chi^2 ({self.chisqr[0]:.6g}) of "
                         f"{k} starts (seed {self.seed}, spread {self.spread:g})")
        return Check("multistart", False, f"another start (index {self.best} of 0..{k - 1}, seed {self.seed}) "
                     f"reached chi^2 {self.chisqr[self.best]:.6g}, below the given start's {self.chisqr[0]:.6g}: the "
                     "given start lies in another basin; the best is reported, rerun from it to confirm")

    def to_dict(self) -> dict[str, Any]:
        return {"starts": self.starts, "chisqr": self.chisqr, "best": self.best, "seed": self.seed,
                "spread": self.spread, "given_is_best": self.given_is_best}


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
    #: "exact" or "numeric": how the fit's Jacobian (and so its covariance) was computed
    jacobian: str = "numeric"
    #: the starts of a multi-start fit (``starts > 1``), else None
    multistart: MultiStart | None = None

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
        thicknesses > 0, loss tangent >= 0); with several starts, ``multistart`` (the given start's end point is
        the lowest chi^2 of every start within ``max(1, 1e-6 chi^2)``: otherwise it fails, naming the better start;
        the result is the best start's, :class:`MultiStart`).
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
        if self.multistart is not None:
            checks.append(self.multistart.check())
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
        out: dict[str, Any] = {
            "fit": self.fit.to_dict(),
            "jacobian": self.jacobian,
            "observables": [{"kind": o.kind, "sigma": o.sigma, "weight": o.weight, "noise": o.noise}
                            for o in self.observables],
            "f_ref": self.f_ref,
            "fitted_booster": {"gaps_m": b.gaps, "thickness_m": b.thickness, "permittivity": b.permittivity,
                               "phase_thickness_m": b.phase_thickness, "loss_tangent": b.loss_tangent},
            "boost_factor": {"peak": bf[k], "peak_stderr": sbf[k], "peak_frequency_Hz": f[k],
                             "integral_Hz": float(np.sum(0.5 * (bf[1:] + bf[:-1]) * np.diff(f))),
                             "band_Hz": [f[0], f[-1]]},
        }
        if self.multistart is not None:
            out["multistart"] = self.multistart.to_dict()
        return out

    def to_network(self, f: Any = None, **kwargs: Any) -> Any:
        """The fitted model's S11 (``which="data"``: the measured one) as a ``skrf.Network``.

        Through :func:`emboost.rf.skrf_bridge.to_network`; keyword arguments (``s_def``, ``z0``, ...) go to it.
        """
        from emboost.rf.skrf_bridge import to_network

        return to_network(self, f, **kwargs)

def _check_inputs(f: np.ndarray, data: dict[str, np.ndarray], base: Booster, specs: Sequence[ParameterSpec],
                  observables: tuple[Observable, ...]) -> np.ndarray:
    f = base.check_band(f)
    if f.size < 8 or np.any(np.diff(f) <= 0):
        raise InputError("a booster fit needs >= 8 strictly increasing frequencies")
    if not observables:
        raise InputError("no observables to fit: give at least one of " + ", ".join(OBSERVABLE_KINDS))
    for o in observables:
        if o.kind not in data or np.shape(data[o.kind]) != f.shape:
            raise InputError(f"data for observable {o.kind!r} missing or not of shape {f.shape}")
        if not np.all(np.isfinite(data[o.kind])):
            raise InputError(f"data for observable {o.kind!r} are not finite (|S11| = 0 in dB?)")
    names = tuple(s.name for s in specs)
    expected = tuple(booster_parameter_defaults(base, "phase_thickness_1" in names))
    if names != expected:
        raise InputError(f"booster fit parameters must be {expected}, got {names}")
    return f


def fit_booster(f: np.ndarray, data: dict[str, np.ndarray], base: Booster, specs: Sequence[ParameterSpec],
                observables: Sequence[Observable], *, method: str = "least_squares",
                max_nfev: int | None = None, prefit: bool = False, jacobian: str = "auto", starts: int = 1,
                seed: int = 0, spread: float = 0.05) -> BoosterFitResult:
    """Fit ``base`` (with ``specs``) to the measured ``data`` (``{kind: array}``, see :func:`observables_from_s11`).

    ``prefit``: first fit the complex S11 (better conditioned than power and group delay, which lose
    the phase and differentiate the noise) and start the requested fit from its result.

    ``jacobian``: "numeric" (lmfit with finite differences, ``method`` "least_squares" or "leastsq") or "exact"
    (scipy's Levenberg-Marquardt with the adjoint Jacobian of :func:`model_s11_jacobian`, carried to every
    observable by the chain rule; if it leaves the bounds or fails, the bounded trust-region method continues from
    its end point). Both return the same :class:`BoosterFitResult`; with "exact" the covariance is
    ``(J^T J)^-1`` of the exact Jacobian and ``fit.lmfit_result`` is built on first use (lmfit restarted at the
    solution, :class:`~emboost.fit.lmfit_result.LazyLmfitResult`). "auto" (default): "exact", for every observable
    (pull studies, docs/fitting.md and tests/test_pulls_fits.py: scatter/sigma 0.86-1.07 for complex S11, 0.87-1.03
    for the reflected power, 0.93-1.10 for the group delay and 1.06-1.12 for power + group delay, 100 seeds each).
    The exact errors equal those of an independent central-difference Jacobian (within 2e-5); lmfit's
    finite-difference ones are off by up to 38 % for power and a group delay taken as independent points.

    Noise of the group delay: made from S11 (:func:`observables_from_s11`), it is a finite difference of the
    phase, so its noise is correlated between neighbouring points (and larger at the two ends). By default
    (``Observable("group_delay", sigma)``, noise model "phase") the fit uses that covariance
    (:class:`GroupDelayWhitening`; ``sigma`` is the noise of an interior point, ``sigma_s / |S11| / (2 pi sqrt(2)
    df)`` on a uniform grid for S11 noise sigma_s per part) and counts one degree of freedom fewer;
    ``noise="independent"`` treats the points as independent, which for a group delay made from S11 misreports
    the errors (scatter/sigma 0.86-1.42 in the pull study).

    ``starts``: run the fit from the given start and from ``starts - 1`` seeded (``seed``) starts drawn around it
    (each free parameter moved by ``spread`` times its natural size, :func:`natural_scales`, times N(0, 1),
    clipped to its bounds) and keep the lowest chi^2; ``result.multistart`` records the starts and the verdict
    gains the ``multistart`` check.

    >>> base = Booster.from_disks([8e-3] * 2, 1e-3, 9.4, 1e-4)
    >>> f = np.linspace(21.4e9, 22.4e9, 81)
    >>> data = observables_from_s11(f, base.with_gaps([8.05e-3, 7.97e-3]).reflectivity(f))
    >>> specs = booster_parameter_specs(base, ["gap_1", "gap_2"])
    >>> r = fit_booster(f, data, base, specs, [Observable("s11", 1e-3)], jacobian="exact", starts=3)
    >>> np.round(r.fit.free_values * 1e3, 6).tolist(), r.multistart.chisqr.size, r.jacobian
    ([8.05, 7.97], 3, 'exact')
    """
    observables = tuple(observables)
    specs = list(specs)
    f = _check_inputs(f, data, base, specs, observables)
    if jacobian not in JACOBIANS:
        raise InputError(f"jacobian {jacobian!r}; expected one of {list(JACOBIANS)}", key="jacobian")
    if isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or starts < 1:
        raise InputError(f"starts must be an integer >= 1, got {starts!r}", key="starts")
    if not (math.isfinite(spread) and spread > 0):
        raise InputError(f"spread must be > 0, got {spread!r}", key="spread")
    auto = jacobian == "auto"
    if auto:
        jacobian = "exact"
    if starts == 1:
        return _fit_once(f, data, base, specs, observables, method, max_nfev, prefit, jacobian, auto)
    rng = np.random.default_rng(seed)
    size = [sp.step for sp in natural_scales(f, data, specs)]
    free_idx = [i for i, sp in enumerate(specs) if sp.vary]
    rows: list[list[float]] = []
    results: list[BoosterFitResult | None] = []
    for k in range(int(starts)):
        sp = specs if k == 0 else [
            ParameterSpec(s.name, float(np.clip(s.value + spread * size[i] * rng.standard_normal(), s.minimum,
                                                s.maximum)), s.minimum, s.maximum, s.vary, s.unit, s.scale, s.offset)
            if s.vary else s for i, s in enumerate(specs)]
        rows.append([sp[i].value for i in free_idx])
        try:
            results.append(_fit_once(f, data, base, sp, observables, method, max_nfev, prefit, jacobian, auto))
        except FitError:
            if k == 0:
                raise
            results.append(None)
    chi = np.array([r.fit.chisqr if r is not None and r.fit.converged and math.isfinite(r.fit.chisqr) else math.inf
                    for r in results])
    best = int(np.argmin(chi)) if np.any(np.isfinite(chi)) else 0
    chosen = results[best]
    assert chosen is not None  # start 0 either returned or raised
    ms = MultiStart(starts=np.array(rows, float), chisqr=chi, best=best, seed=int(seed), spread=float(spread))
    return dataclasses.replace(chosen, multistart=ms)


def _fit_once(f: np.ndarray, data: dict[str, np.ndarray], base: Booster, specs: list[ParameterSpec],
              observables: tuple[Observable, ...], method: str, max_nfev: int | None, prefit: bool,
              jacobian: str, auto: bool = False) -> BoosterFitResult:
    names = tuple(s.name for s in specs)
    mapper = _Mapper(base, names)
    f_ref = float(0.5 * (f[0] + f[-1]))
    scale_covar = any(o.sigma is None for o in observables)
    # without sigma, a weight w means sigma = 1/sqrt(w) in dB, ns or linear units (errors scaled by chi^2)
    unit = {"reflected_power_db": 1.0, "group_delay": 1e-9, "s11": 1.0}
    inv = [1.0 / (o.sigma if o.sigma is not None else unit[o.kind] / math.sqrt(o.weight)) for o in observables]
    if prefit and not any(o.kind == "s11" for o in observables):
        if "s11" not in data or np.shape(data["s11"]) != f.shape:
            raise InputError("prefit needs the complex S11 data (key 's11')")
        first = _fit_once(f, data, base, specs, (Observable("s11"),), method, max_nfev, False,
                          "exact" if auto else jacobian)
        if first.fit.converged:
            specs = [ParameterSpec(s.name, float(np.clip(v, s.minimum, s.maximum)), s.minimum, s.maximum, s.vary,
                                   s.unit, s.scale, s.offset) for s, v in zip(specs, first.fit.values)]
    nres = sum(f.size * (2 if o.kind == "s11" else 1) for o in observables)
    # a group delay with the "phase" noise model: residuals whitened by the pseudo-inverse of its covariance (one
    # degree of freedom fewer each: a constant phase leaves the group delay unchanged)
    whiten = [GroupDelayWhitening(f, data[o.kind]) if o.correlated else None for o in observables]
    lost = sum(w is not None for w in whiten)
    # with the exact Jacobian, one adjoint pass gives S11 and its derivatives: Levenberg-Marquardt asks for the
    # Jacobian at almost every point whose residual it computed, so the pass is made with the residual and kept
    last: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    exact = _ExactModel(base, names, f, f_ref) if jacobian == "exact" else None

    def exact_model(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(p, float).tobytes()
        if key not in last:
            assert exact is not None
            last.clear()
            last[key] = exact(np.asarray(p, float))
        return last[key]

    def residual(p: np.ndarray) -> np.ndarray:
        try:
            s = mapper.s11(p, f, f_ref) if jacobian == "numeric" else exact_model(p)[0]
        except InputError:  # e.g. a negative thickness from a wild step: very bad, not fatal
            return np.full(nres, 1e150 if jacobian == "numeric" else 1e50)
        parts = []
        with np.errstate(divide="ignore"):
            for o, w, wm in zip(observables, inv, whiten):
                if wm is not None:
                    parts.append(wm.residual(s) * w)
                    continue
                d = _observe(f, s, o.kind) - data[o.kind]
                parts.append(stack_complex(d, 1 / w) if o.kind == "s11" else d * w)
        return np.concatenate(parts)

    def jac(p: np.ndarray) -> np.ndarray:
        """d residual / d p, (nres, n_all)."""
        try:
            s, ds = exact_model(p)
        except InputError:
            return np.zeros((nres, len(names)))
        parts = []
        for o, w, wm in zip(observables, inv, whiten):
            j = (wm.jacobian(s, ds) if wm is not None else _observe_jacobian(f, s, ds, o.kind)) * w
            parts.append(np.vstack([j.real, j.imag]) if o.kind == "s11" else j)
        return np.vstack(parts)

    specs = natural_scales(f, data, specs)
    if jacobian == "numeric":
        fit = _dof_lost(least_squares(residual, specs, scale_covar=scale_covar, method=method, max_nfev=max_nfev),
                        lost)
    else:
        fit = _exact_least_squares(residual, jac, specs, scale_covar=scale_covar, method=method, max_nfev=max_nfev,
                                   lost_dof=lost)
    s = mapper.s11(fit.values, f, f_ref)
    model = observables_from_s11(f, s)
    return BoosterFitResult(fit=fit, base=base, frequency=f, f_ref=f_ref, observables=observables,
                            data={k: np.asarray(v) for k, v in data.items()}, model=model, jacobian=jacobian)


def _dof_lost(fit: FitResult, lost: int) -> FitResult:
    """``fit`` with ``lost`` degrees of freedom fewer (constraints among the residuals): ``nfree``, the reduced
    chi^2 and, with a covariance scaled by it, the covariance and errors."""
    if not lost:
        return fit
    nfree = fit.nfree - lost
    if nfree <= 0:
        raise InputError(f"{fit.ndata} residuals for {len(fit.free)} free parameters: need more data points")
    cov = fit.covariance * (fit.nfree / nfree if fit.scale_covar else 1.0)
    free_idx = np.array([fit.names.index(n) for n in fit.free], int)
    stderr, corr = errors_and_correlation(cov, free_idx, len(fit.names))
    return dataclasses.replace(fit, nfree=nfree, redchi=fit.chisqr / nfree, covariance=cov, stderr=stderr,
                               correlation=corr)


def _exact_least_squares(residual: Callable[[np.ndarray], np.ndarray], jac: Callable[[np.ndarray], np.ndarray],
                         specs: list[ParameterSpec], *, scale_covar: bool, method: str,
                         max_nfev: int | None, lost_dof: int = 0) -> FitResult:
    """Least squares with the exact Jacobian ``jac`` (SI parameters in, ``(nres, n_all)`` out) on the internal
    parameters ``u = (SI - offset) / scale``; the same :class:`FitResult` as :func:`~emboost.fit.core.least_squares`
    (``lost_dof``: constraints among the residuals, subtracted from the degrees of freedom)."""
    from scipy.optimize import least_squares as scipy_ls

    from emboost.fit.core import METHODS

    if method not in METHODS:
        raise InputError(f"fit method {method!r}; expected one of {list(METHODS)}", key="method")
    par = internal_parameters(specs, "no parameter varies: set vary = true (or give bounds) for at least one")
    names, vals, scales, free, lo, hi = par.names, par.values, par.scales, par.free, par.lower, par.upper
    kfree = par.nfree
    full = par.full

    def fun(u: np.ndarray) -> np.ndarray:
        r = residual(full(u))
        return np.where(np.isfinite(r), r, 1e50)

    def jfun(u: np.ndarray) -> np.ndarray:
        j = jac(full(u))[:, free] * scales[free]
        return np.where(np.isfinite(j), j, 0.0)

    u0 = par.start()
    r0 = fun(u0)
    if r0.size - lost_dof <= kfree:
        raise InputError(f"{r0.size} residuals for {kfree} free parameters: need more data points")
    tol = {"xtol": 1e-10, "ftol": 1e-10, "gtol": 1e-10}
    nmax = max_nfev or 1000 * (kfree + 1)
    try:
        with np.errstate(all="ignore"):
            # Levenberg-Marquardt (unbounded; unphysical points come back as huge residuals) needs fewer steps than
            # the bounded trust-region method from a poor start; if it leaves the bounds or fails, the bounded
            # method continues from its end point, clipped into them
            out = scipy_ls(fun, u0, jac=jfun, method="lm", x_scale="jac", max_nfev=nmax, **tol)
            nfev = int(out.nfev)
            if not (np.all(out.x >= lo) and np.all(out.x <= hi)) or not out.success:
                out = scipy_ls(fun, np.clip(out.x, lo, hi), jac=jfun, bounds=(lo, hi), method="trf", x_scale="jac",
                               max_nfev=nmax, **tol)
                nfev += int(out.nfev)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"the fit failed: {exc}") from None
    u = out.x
    p = full(u)
    r = fun(u)
    chisqr = float(r @ r)
    nfree = int(r.size - kfree - lost_dof)
    jm = jfun(u)
    cov_u = np.full((kfree, kfree), np.nan)
    have_cov = False
    try:
        cov_u = np.linalg.inv(jm.T @ jm)
        if scale_covar:
            cov_u = cov_u * chisqr / nfree
        have_cov = bool(np.all(np.isfinite(cov_u)) and np.all(np.diag(cov_u) > 0))
    except np.linalg.LinAlgError:
        pass
    sf = scales[free]
    cov = cov_u * np.outer(sf, sf)
    free_idx = np.flatnonzero(free)
    stderr, corr = errors_and_correlation(cov, free_idx, len(names))
    bounds = np.array([[sp.minimum, sp.maximum] for sp in specs])
    at_bound = parameters_at_bound(p, specs, free_idx)
    success = bool(out.success)

    def lmfit_view() -> LmfitResult:
        """lmfit restarted at this solution on the same residuals and internal parameters (the same chi^2)."""
        at = [ParameterSpec(s.name, float(np.clip(p[i], s.minimum, s.maximum)), s.minimum, s.maximum, s.vary, s.unit,
                            s.scale, s.offset) for i, s in enumerate(specs)]
        return least_squares(residual, at, scale_covar=scale_covar, method=method).lmfit_result

    free_names = tuple(n for n, v in zip(names, free) if v)
    return FitResult(names=names, values=p, stderr=stderr, initial=vals, free=free_names, covariance=cov,
                     correlation=corr, chisqr=chisqr, redchi=chisqr / nfree, ndata=int(r.size),
                     nfree=nfree, nfev=nfev, method=method, scale_covar=scale_covar, success=success,
                     converged=success and have_cov and bool(np.all(np.isfinite(r)) and np.all(np.abs(r) < 1e49)),
                     at_bound=at_bound, message=str(out.message), units=tuple(s.unit for s in specs),
                     bounds=bounds, residual=r, lmfit_result=LazyLmfitResult(lmfit_view))
