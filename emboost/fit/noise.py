"""Fits of the receiver noise model: standards, line delay, mirror-gap refit, delivered boost factor.

* :func:`fit_standards` — the four LNA noise parameters (``sqrt S_v``, ``sqrt S_i``, ``|rho|``,
  ``arg rho``) and the one-way delays of the lines to the open and short standards, fitted together
  to T_sys spectra measured with a short, an open and a matched load (physics.md §2.6). T_sys is
  linear in ``(S_v, S_i, Re <v i*>, Im <v i*>)`` for fixed delays, so the start comes from a grid
  over the delays with a linear solve at each point (variable projection); lmfit then polishes all
  six parameters, with the spectrum noise known (``scale_covar=False``).
* :func:`fit_line_delay` — the delay ``tau`` of the booster-LNA line alone, from a broadband T_sys
  spectrum: T_sys ripple makes the likelihood in ``tau`` multi-modal, so a batched grid
  (step ``1 / (40 f_max)``, a fraction of the ripple) is followed by bounded 1-D refinements of its best
  local minima and a
  Gauss-Newton standard error. Built to be called many times (Monte-Carlo): arrays in, no lmfit.
* :func:`refit_mirror_gap` — the mirror gap alone, against a narrowband T_sys spectrum, to follow a
  drifted booster mode (the same grid-then-refine strategy over a batch of boosters).
* :func:`delivered_boost_factor` — ``beta^2 (1 - |G_L|^2) / |1 - G_B G_L exp(-2 j w tau)|^2``.
* :func:`standards_parameter_defaults` — units, starts and bounds of the standards fit's parameters.

>>> import numpy as np
>>> f = np.array([19e9])
>>> round(float(delivered_boost_factor(f, 30.048, 0.0, 0.2 * np.exp(0.7j), 0.0)[0]), 3)  # matched booster
28.846
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from emboost.booster.model import Booster
from emboost.core.constants import k_B
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr
from emboost.fit import delay_kernel
from emboost.fit.core import (
    Check,
    FitResult,
    ParameterDefault,
    Verdict,
    bounds_check,
    chi2_check,
    converged_check,
    relative_error_check,
)
from emboost.noise.amplifier import NoiseSources, system_temperature
from emboost.noise.network import Occupation

__all__ = [
    "STANDARDS",
    "standards_temperatures",
    "StandardsFit",
    "fit_standards",
    "DelayFit",
    "fit_line_delay",
    "GapFit",
    "refit_mirror_gap",
    "delivered_boost_factor",
    "standards_parameter_defaults",
    "phase_factors",
]

#: reflection of the ideal standards at their own reference plane
STANDARDS: dict[str, complex] = {"short": -1.0 + 0j, "open": 1.0 + 0j, "load": 0.0 + 0j}

_NAMES = ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase", "tau_open", "tau_short")


def delivered_boost_factor(f: ArrayLike, beta2: ArrayLike, gamma_booster: ArrayLike, gamma_lna: ArrayLike,
                           delay: ArrayLike) -> np.ndarray:
    """Boost factor as delivered to a mismatched LNA through a lossless line of one-way ``delay`` [s].

    ``beta^2 (1 - |G_L|^2) / |1 - G_B G_L exp(-2 j w tau)|^2`` (physics.md §2.6, §5.1). ``delay``
    may carry a batch shape (a frequency axis is appended).
    """
    f = np.asarray(f, dtype=float)
    gl = np.asarray(gamma_lna, dtype=complex)
    ph = np.exp(-4j * np.pi * f * np.asarray(delay, dtype=float)[..., None])
    return np.asarray(beta2) * (1 - np.abs(gl) ** 2) / np.abs(1 - np.asarray(gamma_booster) * gl * ph) ** 2


def standards_temperatures(f: ArrayLike, sources: NoiseSources, gamma_lna: ArrayLike, t_phys: float,
                           tau_open: ArrayLike, tau_short: ArrayLike, gamma_load: ArrayLike = 0.0,
                           occupation: Occupation = "rayleigh_jeans") -> dict[str, np.ndarray]:
    """Model T_sys [K] of the short, open (behind lossless lines of one-way delays [s]) and the load."""
    out = {}
    for name, g, tau in (("short", -1.0, tau_short), ("open", 1.0, tau_open), ("load", gamma_load, 0.0)):
        out[name] = system_temperature(f, g, t_phys, sources, gamma_lna, delay=tau, occupation=occupation)
    return out


def _basis(gamma_s: np.ndarray, gamma_l: np.ndarray, z0: float) -> np.ndarray:
    """T_sys per unit (S_v, S_i, Re<v i*>, Im<v i*>) for a source reflection ``gamma_s``: (..., nf, 4)."""
    m = (1 - np.abs(gamma_l) ** 2) / (np.abs(1 - gamma_s * gamma_l) ** 2 * 4 * z0 * k_B)
    g2 = np.abs(gamma_s) ** 2
    cols = [np.abs(1 - gamma_s) ** 2, z0**2 * np.abs(1 + gamma_s) ** 2, 2 * z0 * (1 - g2),
            4 * z0 * gamma_s.imag * np.ones_like(g2)]
    return np.stack([c * m for c in cols], axis=-1)


def _thermal(gamma_s: np.ndarray, gamma_l: np.ndarray, t: float) -> np.ndarray:
    return t * (1 - np.abs(gamma_s) ** 2) * (1 - np.abs(gamma_l) ** 2) / np.abs(1 - gamma_s * gamma_l) ** 2


def _linear_solve(a: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched weighted linear least squares: a (..., N, 4), y (..., N) -> x (..., 4), chi2 (...)."""
    ata = np.einsum("...ni,...nj->...ij", a, a)
    aty = np.einsum("...ni,...n->...i", a, y)
    scale = np.sqrt(np.einsum("...ii->...i", ata))
    x = np.linalg.solve(ata / scale[..., :, None] / scale[..., None, :], (aty / scale)[..., None])[..., 0] / scale
    r = y - np.einsum("...ni,...i->...n", a, x)
    return x, np.sum(r**2, axis=-1)


#: steps of the phase-factor recurrence between exact re-anchors (error <= about 2 x this x 1.1e-16 relative)
PHASE_ANCHOR_STEPS = 256


def phase_factors(w: ArrayLike, grid: np.ndarray, anchor_steps: int = PHASE_ANCHOR_STEPS) -> np.ndarray:
    """``exp(w * grid[:, None])`` for a uniform ``grid`` (n,) and complex rates ``w`` (nf,): shape (n, nf).

    Along a uniform grid the factors form a geometric sequence, so they are computed by recurrence instead of
    one complex exponential each: the powers ``r^j = exp(w d)^j`` for ``j < anchor_steps`` once (a cumulative
    product), times an exact anchor ``exp(w grid[b anchor_steps])`` per block. Each product adds a rounding
    error of about 1e-16, so the error grows with ``j`` and is reset at every anchor (at most ~3e-14 for the
    default 256 steps); against ``np.exp`` the difference stays below 1e-12 (about 3e-13 at phases of 1000 rad,
    where ``np.exp``'s own rounding of the argument dominates). Non-uniform grids fall back to ``np.exp``.

    >>> w = -4j * np.pi * np.linspace(18e9, 19e9, 5)
    >>> g = np.linspace(1e-9, 2e-9, 1001)
    >>> bool(np.max(np.abs(phase_factors(w, g) - np.exp(w * g[:, None]))) < 1e-12)
    True
    """
    w = np.asarray(w)
    grid = np.asarray(grid, dtype=float)
    n = grid.size
    if n < 3:
        return np.exp(w * grid[:, None])
    d = (grid[-1] - grid[0]) / (n - 1)
    if not np.allclose(np.diff(grid), d, rtol=1e-9, atol=0.0):
        return np.exp(w * grid[:, None])
    k = max(1, min(int(anchor_steps), n))
    powers = np.empty((k, w.size), dtype=complex)
    powers[0] = 1.0
    if k > 1:
        powers[1:] = np.exp(w * d)
        np.cumprod(powers, axis=0, out=powers)
    starts = grid[0] + d * np.arange(0, n, k)  # exact anchors at the block starts
    anchors = np.exp(w * starts[:, None])
    out = (anchors[:, None, :] * powers[None, :, :]).reshape(-1, w.size)
    return out[:n]


def _tau_grid(bounds: tuple[float, float], f_max: float, max_points: int = 20001) -> np.ndarray:
    lo, hi = bounds
    n = int(np.clip(np.ceil((hi - lo) * 40 * f_max) + 1, 3, max_points))
    return np.linspace(lo, hi, n)


@dataclass(frozen=True, eq=False)
class StandardsFit:
    """Result of :func:`fit_standards`: the lmfit result and the fitted sources and delays."""

    __repr__ = short_repr

    result: FitResult
    sources: NoiseSources
    tau_open: float
    tau_short: float
    model: dict[str, np.ndarray]
    sigma: dict[str, np.ndarray]

    def natural_sizes(self) -> dict[str, float]:
        """Each free parameter's natural size (SI), the yardstick of the ``precision`` check: the noise amplitudes
        and the delays their value, ``rho_mag`` 1 (its range), ``rho_phase`` pi."""
        r = self.result
        size = {"rho_mag": 1.0, "rho_phase": np.pi}
        return {n: size.get(n, abs(r.value(n))) for n in r.free}

    def verdict(self, *, max_relative_error: float = 0.1, min_chi2_probability: float = 1e-3,
                location_margin: float = 3.0) -> Verdict:
        """Whether this standards fit can be trusted (docs/fitting.md, "Verdicts"); every threshold is an argument.

        Checks: ``converged``; ``bounds`` (no free parameter on a bound); ``location`` (each free delay lies
        inside its search range by ``location_margin`` standard errors); ``precision`` (each standard error below
        ``max_relative_error`` of the natural size, :meth:`natural_sizes`); ``residuals`` (chi^2 probability with
        the spectra's sigma above ``min_chi2_probability``); ``physical`` (finite values, sqrt S_v > 0,
        sqrt S_i > 0, 0 <= |rho| <= 1, T_min > 0 at 50 ohm, delays >= 0).
        """
        r = self.result
        checks = [converged_check(r), bounds_check(r)]
        bad = []
        for n in ("tau_open", "tau_short"):
            if n not in r.free:
                continue
            lo, hi = r.bounds[r.names.index(n)]
            x, e = r.value(n), r.error(n)
            m = location_margin * e if np.isfinite(e) else np.inf
            if not lo + m <= x <= hi - m:
                bad.append(f"{n} = {x * 1e9:.6g} ns is not inside [{lo * 1e9:.6g}, {hi * 1e9:.6g}] ns by "
                           f"{location_margin:g} sigma ({e * 1e9:.3g} ns)")
        checks.append(Check("location", not bad, f"the delays lie inside their search ranges by {location_margin:g} "
                            "sigma" if not bad else "; ".join(bad)))
        checks.append(relative_error_check({n: r.error(n) for n in r.free}, self.natural_sizes(), max_relative_error))
        checks.append(chi2_check(r.chisqr, r.nfree, min_chi2_probability))
        try:
            t_min = float(np.asarray(self.sources.to_parameters(50.0).t_min))
        except (ValueError, ZeroDivisionError, FloatingPointError):
            t_min = float("nan")
        v = {n: r.value(n) for n in r.names}
        phys = bool(np.all(np.isfinite(r.values)) and v["sqrt_sv"] > 0 and v["sqrt_si"] > 0
                    and 0 <= v["rho_mag"] <= 1 and t_min > 0 and v["tau_open"] >= 0 and v["tau_short"] >= 0)
        checks.append(Check("physical", phys, f"noise amplitudes > 0, |rho| <= 1, T_min = {t_min:.4g} K > 0, delays "
                            ">= 0" if phys else f"unphysical result: sqrt S_v {v['sqrt_sv']:.4g}, sqrt S_i "
                            f"{v['sqrt_si']:.4g}, |rho| {v['rho_mag']:.4g}, T_min {t_min:.4g} K, delays "
                            f"{v['tau_open']:.4g}, {v['tau_short']:.4g} s"))
        return Verdict(tuple(checks))

    def noise_parameters(self, z0: float = 50.0) -> dict[str, float]:
        p = self.sources.to_parameters(z0)
        g = complex(np.asarray(p.gamma_opt))
        return {"t_min": float(np.asarray(p.t_min)), "r_n": float(np.asarray(p.r_n)), "gamma_opt_mag": abs(g),
                "gamma_opt_phase": float(np.angle(g)), "f_min_db": float(np.asarray(p.f_min_db))}


def fit_standards(f: ArrayLike, data: dict[str, np.ndarray], sigma: dict[str, np.ndarray], gamma_lna: ArrayLike,
                  t_phys: float, tau_open_bounds: tuple[float, float], tau_short_bounds: tuple[float, float], *,
                  specs: list | None = None, gamma_load: ArrayLike = 0.0, z0: float = 50.0,
                  method: str = "least_squares") -> StandardsFit:
    """Fit noise sources and standard delays to T_sys spectra ``data['short'|'open'|'load']`` [K].

    ``sigma`` holds the per-bin standard deviations [K] (known noise: the covariance is not rescaled).
    ``specs`` (:class:`emboost.fit.core.ParameterSpec` for the names ``sqrt_sv, sqrt_si, rho_mag,
    rho_phase, tau_open, tau_short``) give bounds and which parameters vary; their values are replaced
    by the variable-projection start for the free ones.
    """
    from emboost.fit.core import ParameterSpec, least_squares

    f = np.asarray(f, dtype=float)
    gl = np.broadcast_to(np.asarray(gamma_lna, dtype=complex), f.shape)
    gload = np.broadcast_to(np.asarray(gamma_load, dtype=complex), f.shape)
    for k in STANDARDS:
        if k not in data or np.shape(data[k]) != f.shape:
            raise InputError(f"standards data needs '{k}' with the shape of f {f.shape}", key=k)
    y = {k: np.asarray(data[k], dtype=float) / sigma[k] for k in STANDARDS}
    w = {k: 1.0 / np.asarray(sigma[k], dtype=float) for k in STANDARDS}
    a_load = _basis(gload, gl, z0) * w["load"][:, None]
    y_load = y["load"] - _thermal(gload, gl, t_phys) * w["load"]

    def rows(name: str, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tau = np.asarray(tau)
        phase = phase_factors(-4j * np.pi * f, tau) if tau.ndim == 1 else np.exp(-4j * np.pi * f * tau[..., None])
        gs = STANDARDS[name] * phase
        return _basis(gs, gl, z0) * w[name][:, None], np.broadcast_to(y[name], gs.shape)

    def scan(name: str, grid: np.ndarray, fixed: list[tuple[np.ndarray, np.ndarray]]) -> float:
        a, yy = rows(name, grid)
        a_all = np.concatenate([a] + [np.broadcast_to(fa, (grid.size,) + fa.shape) for fa, _ in fixed], axis=-2)
        y_all = np.concatenate([yy] + [np.broadcast_to(fy, (grid.size,) + fy.shape) for _, fy in fixed], axis=-1)
        _, chi2 = _linear_solve(a_all, y_all)
        return float(grid[int(np.argmin(chi2))])

    fmax = float(f.max())
    g_short, g_open = _tau_grid(tau_short_bounds, fmax), _tau_grid(tau_open_bounds, fmax)
    load = (a_load, y_load)
    ts = scan("short", g_short, [load])
    to = scan("open", g_open, [load, rows("short", np.array(ts))])
    ts = scan("short", g_short, [load, rows("open", np.array(to))])
    a = np.concatenate([a_load, rows("short", np.array(ts))[0], rows("open", np.array(to))[0]])
    yy = np.concatenate([y_load, y["short"], y["open"]])
    (sv, si, cr, ci), _ = _linear_solve(a, yy)
    sv, si = max(sv, 1e-30), max(si, 1e-40)
    c = complex(cr, ci)
    start = {"sqrt_sv": np.sqrt(sv), "sqrt_si": np.sqrt(si), "rho_mag": min(abs(c) / np.sqrt(sv * si), 0.95),
             "rho_phase": float(np.angle(c)), "tau_open": to, "tau_short": ts}
    if specs is None:
        lo = dict(zip(_NAMES, (0.0, 0.0, 0.0, -2 * np.pi, tau_open_bounds[0], tau_short_bounds[0])))
        hi = dict(zip(_NAMES, (np.inf, np.inf, 1.0, 2 * np.pi, tau_open_bounds[1], tau_short_bounds[1])))
        specs = [ParameterSpec(n, float(np.clip(start[n], lo[n], hi[n])), lo[n], hi[n]) for n in _NAMES]
    names = [s.name for s in specs]
    if sorted(names) != sorted(_NAMES):
        raise InputError(f"specs must name exactly {list(_NAMES)}, got {names}")
    specs = [dataclasses.replace(s, value=float(np.clip(start[s.name], s.minimum, s.maximum)), scale=None)
             if s.vary else s for s in specs]
    # the optimiser's scale by each parameter's natural size, offset at the start: the noise amplitudes by their
    # start, |rho| by 0.1, its phase by pi, the delays by 1/(4 pi f_max) (one radian of the standards' phase)
    natural = {"rho_mag": 0.1, "rho_phase": np.pi, "tau_open": 1 / (4 * np.pi * fmax),
               "tau_short": 1 / (4 * np.pi * fmax)}
    specs = [dataclasses.replace(s, scale=natural.get(s.name, abs(s.value) or 1.0), offset=s.value)
             if s.vary else s for s in specs]
    idx = [names.index(n) for n in _NAMES]
    ydata = np.concatenate([np.asarray(data[k], dtype=float) for k in ("short", "open", "load")])
    sig = np.concatenate([np.asarray(sigma[k], dtype=float) for k in ("short", "open", "load")])

    def model(p: np.ndarray) -> dict[str, np.ndarray]:
        v = p[idx]
        src = NoiseSources(v[0], v[1], v[2], v[3])
        return standards_temperatures(f, src, gl, t_phys, v[4], v[5], gload)

    def residual(p: np.ndarray) -> np.ndarray:
        m = model(p)
        return (np.concatenate([m["short"], m["open"], m["load"]]) - ydata) / sig

    res = least_squares(residual, specs, scale_covar=False, method=method)
    v = res.values[idx]
    phase = float(np.angle(np.exp(1j * v[3])))
    src = NoiseSources(float(v[0]), float(v[1]), float(v[2]), phase)
    return StandardsFit(result=res, sources=src, tau_open=float(v[4]), tau_short=float(v[5]), model=model(res.values),
                        sigma={k: np.asarray(sigma[k], dtype=float) for k in STANDARDS})


@dataclass(frozen=True)
class DelayFit:
    """Result of :func:`fit_line_delay`: ``tau`` and ``sigma_tau`` [s], ``chi2``, ``redchi``, ``ndata``."""

    __repr__ = short_repr

    tau: float
    sigma_tau: float
    chi2: float
    redchi: float
    ndata: int
    on_bound: bool
    bounds: tuple[float, float] | None = None

    def verdict(self, *, max_relative_error: float = 0.1, min_chi2_probability: float = 1e-3,
                location_margin: float = 3.0) -> Verdict:
        """Whether this delay can be trusted (docs/fitting.md, "Verdicts"): ``converged`` (a finite curvature),
        ``location`` (tau inside the search range, not on its edge, by ``location_margin`` sigma),
        ``precision`` (sigma_tau / tau below ``max_relative_error``), ``residuals`` (chi^2 probability with the
        spectrum's sigma above ``min_chi2_probability``), ``physical`` (finite, tau >= 0)."""
        return _scalar_verdict("tau", self.tau, self.sigma_tau, self.chi2, self.ndata, self.on_bound, self.bounds,
                               1e9, "ns", max_relative_error, min_chi2_probability, location_margin)


def _scalar_verdict(name: str, x: float, sigma: float, chi2: float, ndata: int, on_bound: bool,
                    bounds: tuple[float, float] | list[float] | None, unit_factor: float, unit: str,
                    max_relative_error: float, min_chi2_probability: float, location_margin: float) -> Verdict:
    """The verdict of a one-parameter scan-and-refine fit (:class:`DelayFit`, :class:`GapFit`)."""
    conv = bool(np.isfinite(x) and np.isfinite(sigma) and sigma > 0 and np.isfinite(chi2))
    checks = [Check("converged", conv, "a finite minimum with a finite curvature" if conv else
                    f"no finite minimum or curvature ({name} = {x:.6g}, sigma = {sigma:.3g}): the spectrum does not "
                    f"constrain {name}")]
    lo, hi = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))
    m = location_margin * sigma if conv else 0.0
    inside = bool(not on_bound and lo + m <= x <= hi - m)
    checks.append(Check("location", inside, f"{name} = {x * unit_factor:.7g} {unit} lies inside the search range "
                        f"[{lo * unit_factor:.6g}, {hi * unit_factor:.6g}] {unit} by {location_margin:g} sigma"
                        if inside else f"{name} = {x * unit_factor:.7g} {unit} is on the edge of the search range "
                        f"[{lo * unit_factor:.6g}, {hi * unit_factor:.6g}] {unit} (within {location_margin:g} sigma "
                        f"= {m * unit_factor:.3g} {unit}): widen the range or check the data"))
    checks.append(relative_error_check({name: sigma}, {name: abs(x)}, max_relative_error))
    checks.append(chi2_check(chi2, ndata - 1, min_chi2_probability))
    phys = bool(np.isfinite(x) and (x >= 0 if name == "tau" else x > 0))
    checks.append(Check("physical", phys, f"{name} finite and {'>= 0' if name == 'tau' else '> 0'}" if phys
                        else f"unphysical {name} = {x:.6g} (SI)"))
    return Verdict(tuple(checks))


def _grid_minima(chi: np.ndarray, n_starts: int) -> np.ndarray:
    """Indices of the ``n_starts`` lowest local minima of a grid chi^2 (edges included), best first."""
    n = chi.size
    if n < 2:
        return np.zeros(n, dtype=int)
    interior = (chi[1:-1] <= chi[:-2]) & (chi[1:-1] <= chi[2:])
    minima = np.concatenate([[0] if chi[0] <= chi[1] else [], np.nonzero(interior)[0] + 1,
                             [n - 1] if chi[-1] <= chi[-2] else []]).astype(int)
    pick = minima[np.argsort(chi[minima], kind="stable")][:n_starts]
    return pick if pick.size else np.array([int(np.argmin(chi))])


def _scan_refine(chi2_batch: Callable[[np.ndarray], np.ndarray], chi2_one: Callable[[float], float],
                 resid_one: Callable[[float], np.ndarray], grid: np.ndarray,
                 bounds: tuple[float, float], chunk: int, n_starts: int = 6) -> tuple[float, float, float, bool]:
    chi = np.concatenate([chi2_batch(grid[i:i + chunk]) for i in range(0, grid.size, chunk)])
    # the likelihood is multi-modal (ripple): refine the best few local minima of the grid, keep the best
    best_x, best_chi = float(grid[int(np.argmin(chi))]), float(np.min(chi))
    for i in _grid_minima(chi, n_starts):
        lo = grid[max(i - 1, 0)]
        hi = grid[min(i + 1, grid.size - 1)]
        opt = minimize_scalar(chi2_one, bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-6 * (grid[1] - grid[0])})
        if opt.fun < best_chi:
            best_x, best_chi = float(opt.x), float(opt.fun)
    x = best_x
    step = 1e-3 * (grid[1] - grid[0])
    # Gauss-Newton polish: the bounded scalar search stops at a tolerance of the grid step, which on very quiet
    # data is larger than the statistical error; a few Newton steps on the residuals reach the true minimum
    for _ in range(4):
        r0 = resid_one(x)
        jac = (resid_one(x + step) - resid_one(x - step)) / (2 * step)
        jtj = float(np.sum(jac**2))
        if not jtj > 0:
            break
        dx = -float(np.sum(jac * r0)) / jtj
        xn = float(np.clip(x + dx, bounds[0], bounds[1]))
        if not chi2_one(xn) <= float(np.sum(r0**2)):
            break
        x = xn
        if abs(dx) <= 1e-3 / np.sqrt(jtj):
            break
    jac = (resid_one(x + step) - resid_one(x - step)) / (2 * step)
    jtj = float(np.sum(jac**2))
    sigma = 1.0 / np.sqrt(jtj) if jtj > 0 else float("inf")
    width = bounds[1] - bounds[0]
    on_bound = min(x - bounds[0], bounds[1] - x) <= 1e-6 * width
    return x, sigma, float(chi2_one(x)), on_bound


def _scan_refine_batched(resid_batch: Callable[[np.ndarray], np.ndarray], grid: np.ndarray,
                         bounds: tuple[float, float], chunk: int, n_starts: int = 6,
                         max_iter: int = 30) -> tuple[float, float, float, bool]:
    """:func:`_scan_refine` with every refinement step of every start in one batched model call.

    ``resid_batch(xs)`` gives the weighted residuals ``(len(xs), n)``. From each of the ``n_starts`` best local
    minima of the grid chi^2, a safeguarded Newton iteration runs inside the bracket of its two grid neighbours:
    each step evaluates ``x`` and ``x +- h`` (``h`` = 1e-3 grid steps) of all unfinished starts in one call; the
    curvature is the central second difference of chi^2 where positive, else Gauss-Newton's ``2 J^T J``; a step
    that would leave the bracket is replaced by bisection on the sign of ``dchi^2/dx``. A start stops when its next
    step is below 1e-3 standard errors (the reference's polish threshold) or its bracket below 1e-9 grid steps.
    ``sigma`` is the Gauss-Newton value ``1 / sqrt(J^T J)`` with the central-difference ``J``, as in the reference.
    """
    def chi2_rows(xs: np.ndarray) -> np.ndarray:
        return np.concatenate([np.sum(resid_batch(xs[i:i + chunk]) ** 2, axis=-1)
                               for i in range(0, xs.size, chunk)])

    chi = chi2_rows(grid)
    n = grid.size
    dx_grid = grid[1] - grid[0]
    pick = _grid_minima(chi, n_starts)
    x = grid[pick].astype(float)
    lo = grid[np.maximum(pick - 1, 0)].astype(float)
    hi = grid[np.minimum(pick + 1, n - 1)].astype(float)
    h = 1e-3 * dx_grid
    active = np.ones(x.size, dtype=bool)
    chi_x = np.full(x.size, np.inf)
    jj_x = np.zeros(x.size)
    for _ in range(max_iter + 1):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        xs = x[idx]
        r = resid_batch(np.concatenate([xs, xs + h, xs - h]))
        k = idx.size
        r0, rp, rm = r[:k], r[k:2 * k], r[2 * k:]
        c0, cp, cm = (np.sum(v**2, axis=-1) for v in (r0, rp, rm))
        jac = (rp - rm) / (2 * h)
        jj = np.sum(jac**2, axis=-1)
        g = np.sum(jac * r0, axis=-1)  # half the derivative of chi^2
        curv = (cp - 2 * c0 + cm) / (2 * h * h)  # half the second derivative
        curv = np.where(curv > 0, curv, jj)
        chi_x[idx], jj_x[idx] = c0, jj
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = np.where(curv > 0, -g / curv, np.nan)
            done = (g == 0) | (np.abs(newton) * np.sqrt(jj) <= 1e-3)
        hi[idx] = np.where(g > 0, xs, hi[idx])
        lo[idx] = np.where(g < 0, xs, lo[idx])
        xn = xs + newton
        bad = ~((lo[idx] < xn) & (xn < hi[idx]))
        xn = np.where(bad, 0.5 * (lo[idx] + hi[idx]), xn)
        narrow = hi[idx] - lo[idx] <= 1e-9 * dx_grid
        stop = done | narrow
        x[idx] = np.where(stop, xs, xn)
        active[idx[stop]] = False
    best = int(np.argmin(chi_x))
    xb = float(x[best])
    if not chi_x[best] <= float(np.min(chi)):  # the refinement never loses against the grid
        xb = float(grid[int(np.argmin(chi))])
    r = resid_batch(np.array([xb, xb + h, xb - h]))
    jac = (r[1] - r[2]) / (2 * h)
    jtj = float(np.sum(jac**2))
    sigma = 1.0 / np.sqrt(jtj) if jtj > 0 else float("inf")
    width = bounds[1] - bounds[0]
    on_bound = min(xb - bounds[0], bounds[1] - xb) <= 1e-6 * width
    return xb, sigma, float(np.sum(r[0] ** 2)), on_bound


def fit_line_delay(f: ArrayLike, gamma_booster: ArrayLike, t_phys: float, sources: NoiseSources,
                   gamma_lna: ArrayLike, t_sys: ArrayLike, sigma: ArrayLike, bounds: tuple[float, float], *,
                   line_loss_db: float = 0.0, occupation: Occupation = "rayleigh_jeans",
                   chunk: int = 256, engine: str = "auto") -> DelayFit:
    """Fit the one-way delay ``tau`` [s] of the booster-LNA line to a measured T_sys spectrum.

    Arrays ``gamma_booster``, ``gamma_lna``, ``t_sys`` and ``sigma`` [K] have the shape of ``f``
    [Hz]. Global grid over ``bounds`` (step ``1/(40 f_max)``) with batched model evaluation, then
    bounded scalar refinements around the six best local minima of the grid (the best one wins); ``sigma_tau`` from the
    Gauss-Newton curvature (known noise).

    ``engine``: "numpy" (the reference: batched model over grid chunks, scipy's bounded scalar search, a
    Gauss-Newton polish with a numeric derivative), "compiled" (:mod:`emboost.fit.delay_kernel`: the same grid
    scanned in one compiled pass with the phase recurrence, then a safeguarded Gauss-Newton refinement with the
    exact derivative; tested equal to the reference) or "auto" (default: "compiled" for a lossless line when numba
    is installed, else "numpy").

    >>> import numpy as np
    >>> f = np.linspace(18e9, 19e9, 401)
    >>> src = NoiseSources(371e-12, 7.4e-12, 0.3, 0.5)
    >>> gb = 0.9 * np.exp(-4j * np.pi * f * 0.3e-9)
    >>> t = system_temperature(f, gb, 295.0, src, 0.1, delay=1.234e-9)
    >>> r = fit_line_delay(f, gb, 295.0, src, 0.1, t, 0.01 * t, (0.5e-9, 3e-9))
    >>> round(r.tau * 1e9, 6)
    1.234
    """
    f = np.asarray(f, dtype=float)
    gb = np.asarray(gamma_booster, dtype=complex)
    gl = np.asarray(gamma_lna, dtype=complex)
    y = np.asarray(t_sys, dtype=float)
    w = 1.0 / np.asarray(sigma, dtype=float)
    lo, hi = bounds
    if not lo < hi:
        raise InputError(f"tau bounds must be increasing, got {bounds}")

    if engine not in ("auto", "numpy", "compiled"):
        raise InputError(f"engine must be 'auto', 'numpy' or 'compiled', got {engine!r}")
    if engine == "compiled" and (line_loss_db != 0 or not delay_kernel.HAVE_NUMBA):
        raise InputError("the compiled delay search needs a lossless line (line_loss_db = 0) and numba")
    compiled = engine == "compiled" or (engine == "auto" and line_loss_db == 0 and delay_kernel.HAVE_NUMBA)
    if line_loss_db == 0:
        # lossless line: only the phase of the source reflection depends on tau; the noise-wave
        # terms of the connected network are taken from the engine once (tested equal to it)
        from emboost.noise.amplifier import noise_adapter
        from emboost.noise.network import noise_temperature

        cm = noise_adapter(sources, f).c
        c11, c22, c12 = cm[..., 0, 0].real, cm[..., 1, 1].real, cm[..., 0, 1]
        t_src = noise_temperature(f, t_phys, occupation) * (1 - np.abs(gb) ** 2)
        mis = 1 - np.abs(gl) ** 2
        base = c22 + t_src + np.abs(gb) ** 2 * c11
        w4 = -4j * np.pi * f
        if compiled:
            return _line_delay_compiled(f, gb, gl, c12, base, mis, y, w, bounds, n_starts=6)

        def model(tau: ArrayLike) -> np.ndarray:
            t = np.asarray(tau, dtype=float)
            gs = gb * (phase_factors(w4, t) if t.ndim == 1 else np.exp(w4 * t[..., None]))
            return (base + 2 * np.real(gs * c12)) * mis / np.abs(1 - gs * gl) ** 2
    else:
        def model(tau: ArrayLike) -> np.ndarray:
            return system_temperature(f, gb, t_phys, sources, gl, delay=tau, line_loss_db=line_loss_db,
                                      occupation=occupation)

    def resid(tau: float) -> np.ndarray:
        return (model(tau) - y) * w

    def chi2_batch(taus: np.ndarray) -> np.ndarray:
        return np.sum(((model(taus) - y) * w) ** 2, axis=-1)

    def chi2_one(tau: float) -> float:
        return float(np.sum(resid(tau) ** 2))

    x, s, chi2, on_bound = _scan_refine(chi2_batch, chi2_one, resid, _tau_grid(bounds, float(f.max())),
                                        bounds, chunk)
    n = int(f.size)
    return DelayFit(tau=x, sigma_tau=s, chi2=chi2, redchi=chi2 / max(n - 1, 1), ndata=n, on_bound=on_bound,
                    bounds=(float(lo), float(hi)))


def _line_delay_compiled(f: np.ndarray, gb: np.ndarray, gl: np.ndarray, c12: np.ndarray, base: np.ndarray,
                         mis: np.ndarray, y: np.ndarray, wt: np.ndarray, bounds: tuple[float, float],
                         n_starts: int) -> DelayFit:
    """The compiled path of :func:`fit_line_delay` (lossless line): same grid, same choice of minima."""
    nf = f.size
    gb, gl, c12, base, mis, y, wt = (np.broadcast_to(v, (nf,)) for v in (gb, gl, c12, base, mis, y, wt))
    w = -4 * np.pi * f
    a = gb * c12
    grid = _tau_grid(bounds, float(f.max()))
    n = grid.size
    dt = (grid[-1] - grid[0]) / (n - 1)
    chi = delay_kernel.grid_chi2(w, grid[0], dt, n, gb, a, base, mis, gl, y, wt)
    pick = _grid_minima(chi, n_starts)
    lo = grid[np.maximum(pick - 1, 0)]
    hi = grid[np.minimum(pick + 1, n - 1)]
    rows = delay_kernel.refine_minima(w, lo, hi, grid[pick], gb, a, base, mis, gl, y, wt, xtol=1e-9 * dt)
    best = int(np.argmin(rows[:, 1]))
    x, chi2, jj = (float(v) for v in rows[best, :3])
    if not chi2 <= float(np.min(chi)):  # the refinement never loses against the grid
        i = int(np.argmin(chi))
        x, chi2, jj = (float(v) for v in delay_kernel.refine_minima(
            w, grid[i:i + 1], grid[i:i + 1], grid[i:i + 1], gb, a, base, mis, gl, y, wt, xtol=np.inf,
            max_iter=0)[0, :3])
    sigma = 1.0 / np.sqrt(jj) if jj > 0 else float("inf")
    lo_b, hi_b = bounds
    on_bound = min(x - lo_b, hi_b - x) <= 1e-6 * (hi_b - lo_b)
    return DelayFit(tau=x, sigma_tau=sigma, chi2=chi2, redchi=chi2 / max(nf - 1, 1), ndata=int(nf),
                    on_bound=bool(on_bound), bounds=(float(lo_b), float(hi_b)))


@dataclass(frozen=True)
class GapFit:
    """Result of :func:`refit_mirror_gap`: ``gap`` and ``sigma_gap`` [m], ``chi2``, ``redchi``, ``ndata``."""

    __repr__ = short_repr

    gap: float
    sigma_gap: float
    chi2: float
    redchi: float
    ndata: int
    on_bound: bool
    bounds: tuple[float, float] | None = None

    def verdict(self, *, max_relative_error: float = 0.1, min_chi2_probability: float = 1e-3,
                location_margin: float = 3.0) -> Verdict:
        """Whether this mirror gap can be trusted (docs/fitting.md, "Verdicts"): ``converged`` (a finite
        curvature), ``location`` (the gap inside its search range, not on its edge, by ``location_margin`` sigma),
        ``precision`` (sigma_gap / gap below ``max_relative_error``), ``residuals`` (chi^2 probability with the
        spectrum's sigma above ``min_chi2_probability``), ``physical`` (finite, gap > 0)."""
        return _scalar_verdict("gap", self.gap, self.sigma_gap, self.chi2, self.ndata, self.on_bound, self.bounds,
                               1e3, "mm", max_relative_error, min_chi2_probability, location_margin)


def refit_mirror_gap(f: ArrayLike, booster: Booster, delay: float, t_phys: float, sources: NoiseSources,
                     gamma_lna: ArrayLike, t_sys: ArrayLike, sigma: ArrayLike, bounds: tuple[float, float], *,
                     n_grid: int = 201, line_loss_db: float = 0.0,
                     occupation: Occupation = "rayleigh_jeans", refine: str = "batched") -> GapFit:
    """Fit only the mirror-to-first-disk gap [m] of ``booster`` to a narrowband T_sys spectrum.

    ``delay`` [s] is the (already fitted) booster-LNA line. A batch of ``n_grid`` boosters over
    ``bounds`` is solved in one call, then the best point is refined and ``sigma_gap`` taken from the
    Gauss-Newton curvature.

    ``refine``: "batched" (default: every Newton step of every candidate minimum in one batched booster solve,
    :func:`_scan_refine_batched`) or "scalar" (the reference: scipy's bounded scalar search per candidate, one
    booster solve per evaluation, then a Gauss-Newton polish); the tests hold the two equal.
    """
    f = np.asarray(f, dtype=float)
    gl = np.asarray(gamma_lna, dtype=complex)
    y = np.asarray(t_sys, dtype=float)
    w = 1.0 / np.asarray(sigma, dtype=float)
    lo, hi = bounds
    if not 0 <= lo < hi:
        raise InputError(f"gap bounds must satisfy 0 <= min < max, got {bounds}")

    def model(gap: ArrayLike) -> np.ndarray:
        gb = booster.with_mirror_gap(np.asarray(gap, dtype=float)).response(f).s11
        return system_temperature(f, gb, t_phys, sources, gl, delay=delay, line_loss_db=line_loss_db,
                                  occupation=occupation)

    def resid(gap: float) -> np.ndarray:
        return (model(gap) - y) * w

    def chi2_batch(gaps: np.ndarray) -> np.ndarray:
        return np.sum(((model(gaps) - y) * w) ** 2, axis=-1)

    def chi2_one(gap: float) -> float:
        return float(np.sum(resid(gap) ** 2))

    if refine not in ("batched", "scalar"):
        raise InputError(f"refine must be 'batched' or 'scalar', got {refine!r}")
    grid = np.linspace(lo, hi, n_grid)
    if refine == "batched":
        x, s, chi2, on_bound = _scan_refine_batched(lambda gaps: (model(gaps) - y) * w, grid, bounds, 64)
    else:
        x, s, chi2, on_bound = _scan_refine(chi2_batch, chi2_one, resid, grid, bounds, 64)
    n = int(f.size)
    return GapFit(gap=x, sigma_gap=s, chi2=chi2, redchi=chi2 / max(n - 1, 1), ndata=n, on_bound=on_bound,
                  bounds=(float(lo), float(hi)))


def standards_parameter_defaults() -> dict[str, ParameterDefault]:
    """Defaults (unit, start, bounds) of the standards fit's parameters, for recipe ``[parameters]`` tables."""
    return {
        "sqrt_sv": ParameterDefault("voltage_noise", "pV/sqrt(Hz)", 300e-12, 0.0, 1e-8, True),
        "sqrt_si": ParameterDefault("current_noise", "pA/sqrt(Hz)", 5e-12, 0.0, 1e-9, True),
        "rho_mag": ParameterDefault("dimensionless", "1", 0.1, 0.0, 1.0, True),
        "rho_phase": ParameterDefault("angle", "rad", 0.0, -2 * np.pi, 2 * np.pi, True),
        "tau_open": ParameterDefault("time", "ns", None, vary=True),
        "tau_short": ParameterDefault("time", "ns", None, vary=True),
    }
