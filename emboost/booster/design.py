"""Booster design: disk positions (optionally thicknesses) for a target boost factor over a band.

Targets: the largest minimum of beta^2 over ``[f_lo, f_hi]`` (a box-like response), or, with
``shape``, the largest ``t`` such that ``beta^2(f) >= t shape(f)`` over the band (a given shape up to
its scale). Constraints: a smallest (and largest) gap, a largest total length (mirror to the outer face
of the last disk), disks held at their positions in the base booster.

Method (exact gradients from :mod:`emboost.booster.gradients` throughout):

1. Starts.

   * Up to ``grow_from`` (default 32) disks: a batch scan of equal gaps over one wavelength picks the
     equal-gap booster with the largest mean ``log beta^2`` over the band; every start is that booster with
     seeded random gap offsets (the first start without).
   * Continuation in the number of disks, for ``n >= grow_from`` identical, free disks: the same problem
     is first solved (by this function, recursively, from its unperturbed first start alone) for
     ``m = max(8, ceil(n / grow_factor))`` (default ``grow_factor`` 4) disks over a band narrower by
     ``m / n`` about the same centre (the same bandwidth per disk). The area law (the integral of beta^2
     over frequency grows about linearly with the number of disks, Millar et al. 2017) makes that the
     same level of beta^2; the small design already has the structure a box needs:
     a nearly uniform, slightly chirped interior and a few irregular gaps at both ends that match the
     stack to the mirror and to free space. It is grown to ``n`` disks by keeping the mirror gap and the
     last ``k`` gaps and stretching the interior by linear interpolation (``k = 0 .. m // 2``); all these
     profiles are scored in one batch by the soft minimum (q = 4) on the design grid and the
     ``n_starts`` best are the starts. (Random offsets are no use for many disks: a hundredth of a
     wavelength, or even a four-hundredth, on 80 disks destroys any box. The small design keeps to its
     equal-gap start because that gives a smooth profile; a better small optimum from a random start can
     carry a defect, such as one gap shorter by about half a wavelength, that does not stretch.)
     The small design has no length limit and no thickness variation (the grown starts keep the base
     thicknesses; a length limit acts from step 2 on).
   * With fixed disks: the base booster's gaps and seeded random offsets.

2. SLSQP maximises a soft minimum of ``y_k = log(beta^2(f_k) / shape_k)`` over the design frequencies
   (``-(1/q) log mean exp(-q y_k)``, q = 4, 16, 64 in turn); a start whose minimum after the first stage
   is below half of the best start's is discarded;
3. SLSQP maximises ``tau`` subject to ``y_k >= tau`` (the exact max-min problem, started from step 2).
   When SLSQP stops in its line search or at its iteration limit (it zigzags at the kinks of the max-min
   problem), the point is accepted only if it is first-order optimal: a linear program finds no step that
   raises every nearly active ``y_k``. A point at the iteration limit that fails this test is finished by
   sequential linear programming with a trust region (:func:`_slp`) and tested again.

The result is checked on a grid four times finer than the design grid; the band edges are where the
boost factor falls to half the in-band minimum; the tolerance of each disk is the smallest move of that
disk alone (the gaps on both sides change, the others stay) that lowers the in-band minimum by 10 %,
found by a batched scan and bisection. The verdict checks convergence, the constraints, the fine-grid
minimum against the design grid's, how box-like the result is (for the box target) and whether
another start reached the same minimum.

>>> import numpy as np
>>> from emboost.booster.model import Booster
>>> base = Booster.from_disks(np.full(3, 7e-3), 1e-3, 24.0)
>>> r = design_booster(base, DesignSpec(21.95e9, 22.05e9, n_starts=2))
>>> r.verdict.ok, r.band_minimum > 10
(True, True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import linprog, minimize

from emboost.booster.gradients import booster_gradients
from emboost.booster.model import Booster
from emboost.core.constants import c
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr

__all__ = ["DesignSpec", "DesignCheck", "DesignVerdict", "DesignResult", "design_booster", "disk_tolerances",
           "band_metrics"]


@dataclass(frozen=True)
class DesignSpec:
    """What to design for.

    ``f_lo, f_hi`` [Hz]: the band. ``shape``: ``(frequencies [Hz], relative beta^2)`` of a target shape
    (interpolated linearly; ``None``: a box). ``n_frequencies``: design grid over the band (default
    ``max(24, 3 n_disks)``). ``min_gap`` / ``max_gap`` [m] (default: 1 mm; the smallest gap plus one
    wavelength at the band centre). ``max_total_length`` [m]. ``fixed_disks``: 1-based indices of disks
    held at their positions in the base booster. ``vary_thickness`` with ``thickness_bounds`` [m].
    ``n_starts`` starts from ``seed``; ``start_spread`` [m]: the standard deviation of the random gap offsets
    (default: a hundredth of the wavelength). ``grow_from``: boosters of at least this many identical,
    free disks start from a grown design of ``1 / grow_factor`` as many disks (``None``: never; see the
    module docstring).
    """

    f_lo: float
    f_hi: float
    shape: tuple[np.ndarray, np.ndarray] | None = None
    n_frequencies: int | None = None
    min_gap: float = 1e-3
    max_gap: float | None = None
    max_total_length: float | None = None
    fixed_disks: tuple[int, ...] = ()
    vary_thickness: bool = False
    thickness_bounds: tuple[float, float] | None = None
    n_starts: int = 4
    seed: int = 0
    start_spread: float | None = None
    max_iterations: int = 400
    grow_from: int | None = 32
    grow_factor: int = 4

    def __post_init__(self) -> None:
        if not (math.isfinite(self.f_lo) and math.isfinite(self.f_hi) and 0 < self.f_lo < self.f_hi):
            raise InputError(f"design band must have 0 < f_lo < f_hi, got {self.f_lo!r}, {self.f_hi!r}", key="band")
        if not (self.min_gap >= 0 and math.isfinite(self.min_gap)):
            raise InputError(f"min_gap must be >= 0 m, got {self.min_gap!r}", key="min_gap")
        if self.max_gap is not None and not self.max_gap > self.min_gap:
            raise InputError(f"max_gap {self.max_gap!r} must exceed min_gap {self.min_gap!r}", key="max_gap")
        if self.n_starts < 1:
            raise InputError("n_starts must be >= 1", key="n_starts")
        if self.grow_from is not None and self.grow_from < 2:
            raise InputError("grow_from must be >= 2 or None", key="grow_from")
        if self.grow_factor < 2:
            raise InputError("grow_factor must be >= 2", key="grow_factor")
        if self.n_frequencies is not None and self.n_frequencies < 3:
            raise InputError("n_frequencies must be >= 3", key="n_frequencies")
        if self.shape is not None:
            fs, vs = (np.asarray(x, float) for x in self.shape)
            if fs.ndim != 1 or fs.shape != vs.shape or fs.size < 2 or np.any(np.diff(fs) <= 0) or np.any(vs <= 0):
                raise InputError("shape must be (increasing frequencies, positive values) of equal length",
                                 key="shape")
            if fs[0] > self.f_lo or fs[-1] < self.f_hi:
                raise InputError("the target shape must cover the band", key="shape")

    def shape_at(self, f: np.ndarray) -> np.ndarray:
        """Relative target at ``f`` (ones for a box)."""
        if self.shape is None:
            return np.ones_like(f)
        fs, vs = (np.asarray(x, float) for x in self.shape)
        return np.interp(f, fs, vs)


@dataclass(frozen=True)
class DesignCheck:
    """One test of a design's verdict."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class DesignVerdict:
    """Every check must pass; ``reason`` is the one-line explanation of the first failure."""

    checks: tuple[DesignCheck, ...]

    @property
    def ok(self) -> bool:
        return all(ch.passed for ch in self.checks)

    @property
    def reason(self) -> str:
        bad = [ch for ch in self.checks if not ch.passed]
        return "" if not bad else f"{bad[0].name}: {bad[0].detail}" + (f" (+{len(bad) - 1} more)"
                                                                        if len(bad) > 1 else "")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reason": self.reason,
                "checks": [{"name": ch.name, "passed": ch.passed, "detail": ch.detail} for ch in self.checks]}


@dataclass(frozen=True, eq=False)
class DesignResult:
    """A designed booster and what it achieves.

    ``frequency`` / ``boost_factor``: a fine grid over the band widened by half its width on each side.
    ``band_minimum`` / ``band_mean`` / ``band_maximum``: beta^2 (divided by the shape, for a shape
    target) over the band on the fine grid; ``band_edges`` [Hz]: where beta^2 falls to half the in-band
    minimum below ``f_lo`` and above ``f_hi`` (``nan`` if not inside the fine grid). ``tolerance`` [m],
    ``(n,)``: the smallest move of each disk alone that lowers the in-band minimum by 10 %.
    ``start_minima``: the in-band minimum reached from each start (design grid); ``best_start``;
    ``messages``: the optimiser's message per start; ``start_origin``: how the starts were made.
    """

    __repr__ = short_repr

    booster: Booster
    spec: DesignSpec
    frequency: np.ndarray
    boost_factor: np.ndarray
    band_minimum: float
    band_mean: float
    band_maximum: float
    band_edges: tuple[float, float]
    tolerance: np.ndarray
    start_minima: np.ndarray
    best_start: int
    evaluations: int
    elapsed_s: float
    verdict: DesignVerdict
    messages: tuple[str, ...] = field(default=())
    start_origin: str = ""

    @property
    def gaps(self) -> np.ndarray:
        return np.asarray(self.booster.gaps)

    @property
    def positions(self) -> np.ndarray:
        """Position of each disk's mirror-side face from the mirror [m]."""
        return disk_positions(self.booster)

    def to_dict(self) -> dict[str, Any]:
        return {
            "band_Hz": [self.spec.f_lo, self.spec.f_hi],
            "target": "box" if self.spec.shape is None else "shape",
            "gaps_m": self.gaps.tolist(),
            "thickness_m": np.broadcast_to(self.booster.thickness, (self.booster.n_disks,)).tolist(),
            "positions_m": self.positions.tolist(),
            "band_minimum": self.band_minimum, "band_mean": self.band_mean, "band_maximum": self.band_maximum,
            "band_edges_Hz": list(self.band_edges),
            "tolerance_m": self.tolerance.tolist(),
            "start_minima": self.start_minima.tolist(), "best_start": self.best_start,
            "start_origin": self.start_origin,
            "evaluations": self.evaluations, "elapsed_s": self.elapsed_s,
            "verdict": self.verdict.to_dict(),
        }


def disk_positions(b: Booster) -> np.ndarray:
    """Mirror-side face of each disk [m] (gaps and thicknesses before it)."""
    g = np.asarray(b.gaps, float)
    t = np.broadcast_to(b.thickness, g.shape)
    return np.cumsum(g, axis=-1) + np.cumsum(t, axis=-1) - t


def band_metrics(f: np.ndarray, bf: np.ndarray, f_lo: float, f_hi: float,
                 shape: np.ndarray | None = None) -> tuple[float, float, float, tuple[float, float]]:
    """In-band minimum, mean and maximum of ``bf / shape`` and the half-minimum band edges [Hz]."""
    rel = bf if shape is None else bf / shape
    inside = (f >= f_lo) & (f <= f_hi)
    lo_v, mean_v, hi_v = float(np.min(rel[inside])), float(np.mean(rel[inside])), float(np.max(rel[inside]))
    half = 0.5 * lo_v
    edges = [math.nan, math.nan]
    below = np.nonzero((f < f_lo) & (rel < half))[0]
    if below.size:
        k = int(below[-1])
        edges[0] = float(np.interp(half, [rel[k], rel[k + 1]], [f[k], f[k + 1]]))
    above = np.nonzero((f > f_hi) & (rel < half))[0]
    if above.size:
        k = int(above[0])
        edges[1] = float(np.interp(half, [rel[k], rel[k - 1]], [f[k], f[k - 1]]))
    return lo_v, mean_v, hi_v, (edges[0], edges[1])


def _moved(b: Booster, disk: int, delta: np.ndarray) -> Booster:
    """Batch of boosters with disk ``disk`` (0-based) moved by ``delta`` [m] (the gap before grows)."""
    n = b.n_disks
    g = np.broadcast_to(b.gaps, (delta.size, n)).copy()
    g[:, disk] += delta
    if disk + 1 < n:
        g[:, disk + 1] -= delta
    return b.with_gaps(np.maximum(g, 0.0))


def disk_tolerances(b: Booster, f: np.ndarray, f_lo: float, f_hi: float, drop: float = 0.1,
                    shape: np.ndarray | None = None) -> np.ndarray:
    """Smallest move [m] of each disk alone that lowers the in-band minimum of ``beta^2 / shape`` by ``drop``.

    A batch scan of moves from 1 nm to 1 mm (both signs, 48 log steps) brackets the first crossing; 30
    bisections refine it (to < 1e-9 relative). ``inf`` if no move up to 1 mm does it.
    """
    inside = (f >= f_lo) & (f <= f_hi)
    fi = f[inside]
    sh = None if shape is None else shape[inside]

    def minimum(bb: Booster) -> np.ndarray:
        v = bb.boost_factor(fi)
        return np.min(v if sh is None else v / sh, axis=-1)

    ref = float(minimum(b)[()])
    limit = (1 - drop) * ref
    steps = np.geomspace(1e-9, 1e-3, 48)
    out = np.full(b.n_disks, np.inf)
    for i in range(b.n_disks):
        best = np.inf
        for sign in (1.0, -1.0):
            mins = minimum(_moved(b, i, sign * steps))
            bad = np.nonzero(mins < limit)[0]
            if not bad.size:
                continue
            k = int(bad[0])
            lo, hi = (0.0 if k == 0 else steps[k - 1]), steps[k]
            for _ in range(30):
                mid = 0.5 * (lo + hi)
                if float(minimum(_moved(b, i, np.array([sign * mid])))[0]) < limit:
                    hi = mid
                else:
                    lo = mid
            best = min(best, hi)
        out[i] = best
    return out


class _Problem:
    """Variables: free gaps (and thicknesses) in units of ``scale`` [m]; values and Jacobians of
    ``y_k = log(beta^2(f_k) / shape_k)``, cached for the last point."""

    def __init__(self, base: Booster, spec: DesignSpec, f: np.ndarray, scale: float) -> None:
        self.base = base
        self.spec = spec
        self.f = f
        self.scale = scale
        self.log_shape = np.log(spec.shape_at(f))
        n = base.n_disks
        self.n = n
        self.thick0 = np.array(np.broadcast_to(base.thickness, (n,)), float)
        self.nvar = n * (2 if spec.vary_thickness else 1)
        self.evaluations = 0
        self._key: bytes | None = None
        self._val: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros((0, 0)))

    def booster(self, x: np.ndarray) -> Booster:
        gaps = x[:self.n] * self.scale
        if self.spec.vary_thickness:
            return self.base.replace(gaps=gaps, thickness=x[self.n:] * self.scale)
        return self.base.with_gaps(gaps)

    def y(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = x.tobytes()
        if key != self._key:
            g = booster_gradients(self.booster(x), self.f)
            bf = g.boost_factor
            dbf = g.d_boost[:self.n] if not self.spec.vary_thickness else np.concatenate(
                [g.d_boost[g.block("gap")], g.d_boost[g.block("thickness")]])
            y = np.log(np.maximum(bf, 1e-300)) - self.log_shape
            jac = (dbf / np.maximum(bf, 1e-300)).T * self.scale  # (nf, nvar)
            self._key, self._val = key, (y, jac)
            self.evaluations += 1
        return self._val

    def constraints(self) -> list[dict[str, Any]]:
        n, s = self.n, self.scale
        cons: list[dict[str, Any]] = []
        vt = self.spec.vary_thickness
        if self.spec.max_total_length is not None:
            lmax = self.spec.max_total_length

            def total(x: np.ndarray) -> float:
                t = x[n:] * s if vt else self.thick0
                return float(lmax - np.sum(x[:n]) * s - np.sum(t))

            grad = -np.ones(self.nvar) * s
            cons.append({"type": "ineq", "fun": total, "jac": lambda x, grad=grad: grad})
        pos0 = disk_positions(self.base)
        for k in self.spec.fixed_disks:
            i = k - 1

            def pos(x: np.ndarray, i: int = i) -> float:
                t = x[n:] * s if vt else self.thick0
                return float((np.sum(x[:i + 1]) * s + np.sum(t[:i]) - pos0[i]) / s)

            grad = np.zeros(self.nvar)
            grad[:i + 1] = 1.0
            if vt:
                grad[n:n + i] = 1.0
            cons.append({"type": "eq", "fun": pos, "jac": lambda x, grad=grad: grad})
        return cons


def _soft_min(problem: _Problem, x0: np.ndarray, bounds: list[tuple[float, float]], q: float,
              maxiter: int) -> np.ndarray:
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        y, jac = problem.y(x)
        ymin = float(np.min(y))
        w = np.exp(-q * (y - ymin))
        sw = float(np.sum(w))
        value = ymin - math.log(sw / y.size) / q
        grad = (w / sw) @ jac
        return -value, -grad

    res = minimize(fun, x0, jac=True, method="SLSQP", bounds=bounds, constraints=problem.constraints(),
                   options={"maxiter": maxiter, "ftol": 1e-10})
    return np.asarray(res.x, float)


def _max_min(problem: _Problem, x0: np.ndarray, bounds: list[tuple[float, float]],
             maxiter: int) -> tuple[np.ndarray, bool, str]:
    y0, _ = problem.y(x0)
    z0 = np.append(x0, float(np.min(y0)))

    def obj(z: np.ndarray) -> tuple[float, np.ndarray]:
        g = np.zeros_like(z)
        g[-1] = -1.0
        return -float(z[-1]), g

    def cons_fun(z: np.ndarray) -> np.ndarray:
        y, _ = problem.y(z[:-1])
        return y - z[-1]

    def cons_jac(z: np.ndarray) -> np.ndarray:
        _, jac = problem.y(z[:-1])
        return np.hstack([jac, -np.ones((jac.shape[0], 1))])

    cons = [{"type": "ineq", "fun": cons_fun, "jac": cons_jac}]
    for ch in problem.constraints():
        cons.append({"type": ch["type"], "fun": lambda z, fn=ch["fun"]: fn(z[:-1]),
                     "jac": lambda z, jc=ch["jac"]: np.append(jc(z[:-1]), 0.0)})
    res = minimize(obj, z0, jac=True, method="SLSQP", bounds=bounds + [(None, None)], constraints=cons,
                   options={"maxiter": maxiter, "ftol": 1e-12})
    return np.asarray(res.x[:-1], float), bool(res.success), str(res.message)


def _slp(problem: _Problem, x: np.ndarray, bounds: list[tuple[float, float]], maxiter: int) -> np.ndarray:
    """Sequential linear programming with a trust region for the max-min problem, from ``x``: each step
    maximises the linearised minimum ``min_k y_k + J_k dx`` over ``|dx_i| <= delta`` (and the linearised
    constraints); a step is taken if the true minimum rises, and ``delta`` shrinks (by 4) when the rise is
    below a quarter of the predicted one and doubles when it is above three quarters at a full step. At a
    vertex optimum (as many active frequencies as free variables plus one) this converges fast where
    SLSQP zigzags."""
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    y, jac = problem.y(x)
    t = float(np.min(y))
    delta = 1e-3
    nv = x.size
    for _ in range(maxiter):
        a_ub = np.hstack([-jac, np.ones((jac.shape[0], 1))])
        b_ub = y.copy()
        a_eq, b_eq = [], []
        for ch in problem.constraints():
            g = np.asarray(ch["jac"](x), float)
            v = float(ch["fun"](x))
            if ch["type"] == "eq":
                a_eq.append(np.append(g, 0.0))
                b_eq.append(-v)
            else:
                a_ub = np.vstack([a_ub, np.append(-g, 0.0)])
                b_ub = np.append(b_ub, v)
        lims = [(max(-delta, lo[i] - x[i]), min(delta, hi[i] - x[i])) for i in range(nv)]
        res = linprog(np.append(np.zeros(nv), -1.0), A_ub=a_ub, b_ub=b_ub, A_eq=np.array(a_eq) if a_eq else None,
                      b_eq=np.array(b_eq) if b_eq else None, bounds=lims + [(None, None)], method="highs")
        if not res.success:
            break
        dx, pred = res.x[:nv], float(res.x[-1]) - t
        if pred < 1e-12:
            break
        xn = np.clip(x + dx, lo, hi)
        yn, jn = problem.y(xn)
        gain = float(np.min(yn)) - t
        if gain > 0:
            x, y, jac, t = xn, yn, jn, float(np.min(yn))
        if gain < 0.25 * pred:
            delta /= 4
        elif gain > 0.75 * pred and np.max(np.abs(dx)) >= 0.99 * delta:
            delta *= 2
        if delta < 1e-10:
            break
    problem.y(x)
    return x


def _ascent_rate(problem: _Problem, x: np.ndarray, bounds: list[tuple[float, float]], active: float = 1e-5) -> float:
    """First-order optimality of the max-min problem at ``x``: the largest rate ``s`` at which a step
    ``dx`` (``|dx_i| <= 1``, inward at active bounds, along the equality constraints, not across an active
    length limit) raises every nearly active ``y_k`` (within ``active`` of the minimum) -- a linear program.
    0 at a max-min optimum."""
    y, jac = problem.y(x)
    act = y <= y.min() + active
    nv = x.size
    a_ub = np.hstack([-jac[act], np.ones((int(act.sum()), 1))])  # s - grad_k . dx <= 0
    b_ub = np.zeros(int(act.sum()))
    a_eq, b_eq = [], []
    for ch in problem.constraints():
        g = np.asarray(ch["jac"](x), float)
        if ch["type"] == "eq":
            a_eq.append(np.append(g, 0.0))
            b_eq.append(0.0)
        elif ch["fun"](x) <= 1e-9:
            a_ub = np.vstack([a_ub, np.append(-g, 0.0)])
            b_ub = np.append(b_ub, 0.0)
    lims = []
    for xi, (lo, hi) in zip(x, bounds):
        lims.append((0.0 if xi <= lo + 1e-12 else -1.0, 0.0 if xi >= hi - 1e-12 else 1.0))
    res = linprog(np.append(np.zeros(nv), -1.0), A_ub=a_ub, b_ub=b_ub, A_eq=np.array(a_eq) if a_eq else None,
                  b_eq=np.array(b_eq) if b_eq else None, bounds=lims + [(None, 1.0)], method="highs")
    return float(-res.fun) if res.success else math.inf


def _equal_gap_start(base: Booster, spec: DesignSpec, f: np.ndarray, gmin: float, gmax: float) -> float:
    """The equal gap in [gmin, gmax] with the largest mean log beta^2 over the band (batched scan)."""
    cand = np.linspace(gmin, gmax, 400)
    b = base.with_gaps(np.repeat(cand[:, None], base.n_disks, axis=1))
    y = np.log(np.maximum(b.boost_factor(f), 1e-300)) - np.log(spec.shape_at(f))
    return float(cand[int(np.argmax(np.mean(y, axis=1)))])


def _identical_disks(b: Booster) -> bool:
    return all(bool(np.all(np.asarray(a) == np.asarray(a).ravel()[0]))
               for a in (b.thickness, b.permittivity, b.loss_tangent))


def _grown_profiles(gaps: np.ndarray, n: int) -> np.ndarray:
    """Candidate gap profiles of ``n`` disks grown from a design of ``m = gaps.size`` disks, one per row.

    The design is kept at both ends (the mirror gap and the last ``k`` gaps, the sections that match the
    stack to the mirror and to free space) and its interior ``gaps[1:m-k]`` is stretched by linear
    interpolation over the ``n - 1 - k`` interior gaps of the larger booster; ``k = 0 .. m // 2``.
    """
    m = gaps.size
    rows = []
    for k in range(0, m // 2 + 1):
        inner = gaps[1:m - k] if m - k > 1 else gaps[:1]
        stretched = np.interp(np.linspace(0, inner.size - 1, n - 1 - k), np.arange(inner.size), inner)
        rows.append(np.concatenate([gaps[:1], stretched, gaps[m - k:]]))
    return np.array(rows)


def _starts(base: Booster, spec: DesignSpec, f: np.ndarray, gmin: float, gmax: float,
            lam: float) -> tuple[list[np.ndarray], str, int]:
    """The gap vectors [m] to start from, a sentence saying how they were made and the gradient evaluations
    spent on them (by the smaller design)."""
    n = base.n_disks
    rng = np.random.default_rng(spec.seed)
    spread = spec.start_spread if spec.start_spread is not None else lam / 100
    if spec.fixed_disks:
        g = np.array(np.broadcast_to(base.gaps, (n,)), float)
        return ([g] + [g + rng.normal(0, spread, n) for _ in range(spec.n_starts - 1)],
                "the base booster's gaps (fixed disks) and seeded random offsets", 0)
    if spec.grow_from is not None and n >= spec.grow_from and _identical_disks(base):
        m = max(min(8, n - 1), -(-n // spec.grow_factor))
        fc, half = 0.5 * (spec.f_lo + spec.f_hi), 0.5 * (spec.f_hi - spec.f_lo) * m / n
        shape = None
        if spec.shape is not None:  # the same shape over the narrower band
            fs, vs = (np.asarray(a, float) for a in spec.shape)
            shape = (fc + (fs - fc) * m / n, vs)
        small = Booster(np.full(m, 7e-3), np.broadcast_to(base.thickness, (n,))[:m].copy(),
                        np.broadcast_to(base.permittivity, (n,))[:m].copy(),
                        np.broadcast_to(base.loss_tangent, (n,))[:m].copy(), radius=base.radius,
                        wall_conductivity=base.wall_conductivity, mirror_conductivity=base.mirror_conductivity,
                        output_length=base.output_length, source=base.source, overlap=base.overlap)
        sub = design_booster(small, replace(spec, f_lo=fc - half, f_hi=fc + half, shape=shape,
                                            n_frequencies=None, max_total_length=None, fixed_disks=(),
                                            vary_thickness=False, thickness_bounds=None, n_starts=1))
        cand = np.clip(_grown_profiles(np.asarray(sub.gaps, float), n), gmin, gmax)
        y = np.log(np.maximum(base.with_gaps(cand).boost_factor(f), 1e-300)) - np.log(spec.shape_at(f))
        score = np.min(y, axis=1) - np.log(np.mean(np.exp(-4.0 * (y - np.min(y, axis=1)[:, None])), axis=1)) / 4
        order = np.argsort(-score)[:spec.n_starts]
        return ([cand[i] for i in order],
                f"grown from a {m}-disk design over {2 * half / 1e6:.4g} MHz (in-band minimum "
                f"{sub.band_minimum:.4g}): the {order.size} best of {len(cand)} stretched gap profiles",
                sub.evaluations)
    g0 = _equal_gap_start(base, spec, f, gmin, gmax)
    return ([np.full(n, g0) + (rng.normal(0, spread, n) if s else 0.0) for s in range(spec.n_starts)],
            f"equal gaps {g0 * 1e3:.4f} mm (best mean log beta^2) and seeded random offsets", 0)


def design_booster(base: Booster, spec: DesignSpec) -> DesignResult:
    """Design the gaps (and thicknesses) of ``base`` for ``spec``; see the module docstring.

    ``base`` fixes the materials, the number of disks, the geometry (open or closed) and, for fixed
    disks, their positions; its gaps are otherwise only a fallback.
    """
    t0 = time.perf_counter()
    if base.batch_shape or base.n_disks == 0:
        raise InputError("design needs a booster with >= 1 disk and no batch axis")
    n = base.n_disks
    for k in spec.fixed_disks:
        if not 1 <= k <= n:
            raise InputError(f"fixed disk {k} out of range 1..{n}", key="fixed_disks")
    fc = 0.5 * (spec.f_lo + spec.f_hi)
    lam = c / fc
    scale = lam / (2 * np.pi)
    gmin = spec.min_gap
    gmax = spec.max_gap if spec.max_gap is not None else gmin + lam
    nfd = spec.n_frequencies or max(24, 3 * n)
    f = np.linspace(spec.f_lo, spec.f_hi, nfd)
    base.check_band(f)
    problem = _Problem(base, spec, f, scale)
    bounds = [(gmin / scale, gmax / scale)] * n
    if spec.vary_thickness:
        tb = spec.thickness_bounds or (0.5 * float(np.min(problem.thick0)), 1.5 * float(np.max(problem.thick0)))
        bounds += [(tb[0] / scale, tb[1] / scale)] * n
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    starts, origin, sub_evaluations = _starts(base, spec, f, gmin, gmax, lam)
    results: list[tuple[float, np.ndarray, bool, str]] = []
    best_soft = -math.inf
    for gaps in starts:
        x = np.clip(gaps, gmin, gmax) / scale
        if spec.vary_thickness:
            x = np.concatenate([x, problem.thick0 / scale])
        x = np.clip(x, lo, hi)
        soft = -math.inf
        for q in (4.0, 16.0, 64.0):
            x = np.clip(_soft_min(problem, x, bounds, q, spec.max_iterations), lo, hi)
            y, _ = problem.y(x)
            soft = float(np.min(y))
            if q == 4.0 and soft < best_soft - math.log(2.0):
                break  # early discard: after the first stage, below half of the best start's minimum
        if soft < best_soft - math.log(2.0):
            results.append((float(np.exp(soft)), x, False, "discarded after the soft-minimum stage "
                            "(below half of the best start)"))
            continue
        best_soft = max(best_soft, soft)
        x, ok, msg = _max_min(problem, x, bounds, spec.max_iterations)
        x = np.clip(x, lo, hi)
        if not ok and (msg.startswith("Positive directional derivative") or msg.startswith("Iteration limit")):
            # SLSQP stalls in its line search or runs out of iterations at a kink of the max-min problem:
            # accept the point if it is first-order optimal (no step raises every nearly active y_k)
            rate = _ascent_rate(problem, x, bounds)
            ok = rate < 1e-3
            msg += f"; first-order ascent rate {rate:.2g} (optimal below 1e-3)"
            if not ok and msg.startswith("Iteration limit"):
                # SLSQP zigzags: finish by sequential linear programming, then check again
                x = _slp(problem, x, bounds, spec.max_iterations)
                rate = _ascent_rate(problem, x, bounds)
                ok = rate < 1e-3
                msg += f"; then sequential linear programming: ascent rate {rate:.2g}"
        y, _ = problem.y(x)
        best_soft = max(best_soft, float(np.min(y)))
        results.append((float(np.exp(np.min(y))), x, ok, msg))
    minima = np.array([r[0] for r in results])
    best = int(np.argmax(minima))
    _, xb, ok, msg = results[best]
    designed = problem.booster(xb)
    # fine check grid: the band widened by half its width on each side, 4x the design density
    width = spec.f_hi - spec.f_lo
    ff = np.linspace(spec.f_lo - 0.5 * width, spec.f_hi + 0.5 * width, 8 * nfd + 1)
    ff = ff[ff > designed.cutoff_frequency * (1 + 1e-6)]
    bf = designed.boost_factor(ff)
    sh = spec.shape_at(np.clip(ff, spec.f_lo, spec.f_hi))
    bmin, bmean, bmax, edges = band_metrics(ff, bf, spec.f_lo, spec.f_hi, sh)
    tol = disk_tolerances(designed, ff, spec.f_lo, spec.f_hi, 0.1, sh)
    checks = _checks(spec, designed, ok, msg, minima, best, bmin, bmax, gmin, gmax)
    return DesignResult(booster=designed, spec=spec, frequency=ff, boost_factor=bf, band_minimum=bmin,
                        band_mean=bmean, band_maximum=bmax, band_edges=edges, tolerance=tol, start_minima=minima,
                        best_start=best, evaluations=problem.evaluations + sub_evaluations,
                        elapsed_s=time.perf_counter() - t0,
                        verdict=DesignVerdict(tuple(checks)), messages=tuple(r[3] for r in results),
                        start_origin=origin)


def _checks(spec: DesignSpec, b: Booster, ok: bool, msg: str, minima: np.ndarray, best: int, bmin: float,
            bmax: float, gmin: float, gmax: float) -> list[DesignCheck]:
    gaps = np.asarray(b.gaps, float)
    checks = [DesignCheck("converged", ok, f"SLSQP on the best start: {msg}")]
    tol = 1e-9
    inside = bool(np.all(gaps >= gmin - tol) and np.all(gaps <= gmax + tol))
    total = float(b.total_length)
    length_ok = spec.max_total_length is None or total <= spec.max_total_length + tol
    checks.append(DesignCheck("constraints", inside and length_ok,
                              f"gaps {gaps.min() * 1e3:.4f}..{gaps.max() * 1e3:.4f} mm within "
                              f"[{gmin * 1e3:.4f}, {gmax * 1e3:.4f}] mm; total length {total * 1e3:.3f} mm"
                              + ("" if spec.max_total_length is None else
                                 f" <= {spec.max_total_length * 1e3:.3f} mm")))
    design_min = float(minima[best])
    checks.append(DesignCheck("fine grid", bmin >= 0.95 * design_min,
                              f"in-band minimum {bmin:.4g} on the fine grid vs {design_min:.4g} on the design grid"))
    if spec.shape is None:
        checks.append(DesignCheck("box-like", bmin >= 0.5 * bmax,
                                  f"in-band minimum / maximum {bmin / bmax:.3f} (>= 0.5 for a box)"))
    if minima.size > 1:
        close = int(np.sum(minima >= 0.95 * design_min))
        checks.append(DesignCheck("repeatable", close >= 2,
                                  f"{close} of {minima.size} starts within 5 % of the best in-band minimum "
                                  f"{design_min:.4g}"))
    return checks
