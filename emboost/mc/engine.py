"""Monte-Carlo uncertainty of the delivered boost factor (MADMAX §4.3, physics.md §2.8), and its sensitivity.

For every sample ``i`` (all draws seeded, made up front in sample order):

1. booster parameters ``theta_i ~ N(theta_hat, Sigma)`` from the reflectivity fit's covariance;
2. LNA noise parameters (``sqrt S_v``, ``sqrt S_i``, ``|rho|``, ``arg rho``) each from its own normal
   (``|rho|`` clipped to [0, 1], the densities to >= 0);
3. the booster-LNA line delay ``tau_i`` refitted to the measured broadband T_sys
   (:func:`emboost.fit.noise.fit_line_delay`, searched in a window around the nominal delay) and,
   where asked, the mirror gap refitted to a narrowband T_sys (:func:`emboost.fit.noise.refit_mirror_gap`);
4. the delivered boost factor ``beta^2 (1 - |G_L|^2) / |1 - G_B G_L exp(-2 j w tau)|^2``
   (:func:`emboost.fit.noise.delivered_boost_factor`), multiplied by a field-shape factor
   ``s_i ~ N(1, sigma_shape)`` and shifted in frequency by ``df_i ~ N(0, sigma_f)``:
   ``beta^2_i(f) = s_i beta^2_deliv,i(f - df_i)``.

The ensemble gives per-frequency mean, standard deviation and quantiles (:class:`MonteCarloResult`), a
convergence check (:func:`convergence`: the running mean over the last ``window`` samples, as in the
paper, reported and never assumed), and, through the radiometer equation
(:func:`emboost.reach.sensitivity.booster_coupling_reach`), a band of the reachable coupling. Independent runs
combine as uncorrelated (:func:`combine_reach`, sample by sample, ``g^-4 = sum_r g_r^-4``).
:func:`linear_propagation` is the fast cross-check: the Jacobian of the whole pipeline (refits included)
by central differences, with the field-shape and frequency terms added analytically.

Execution (:func:`run_montecarlo`) is the foundation's seeded chunked runner
(:func:`emboost.core.runner.run_chunks`): samples are cut into fixed chunks of ``chunk_size``; each chunk is
one batched booster evaluation plus its refits. Chunks run in this process (``workers=1``), in a pool of
local processes (``workers > 1``), or on a Dask cluster (``scheduler`` an address, or ``"local"`` for a
``dask.distributed.LocalCluster``). Because the draws are made up front and the chunk boundaries do not
depend on the number of workers, every backend gives bit-identical samples. With ``checkpoint`` a folder,
every finished chunk is written atomically (``samples/chunk_NNNNN.npz``, stamped with the seed, the run
key, its sample bounds and the emboost version) beside a manifest holding the model's fingerprint, the
seed and the chunk size; a restart continues with the missing chunks, refuses a manifest made with other
settings or a chunk of another run, and recomputes a damaged chunk.

>>> import numpy as np
>>> x = np.array([[1.0, 2.0], [3.0, 2.0], [2.0, 2.0]])
>>> s = band_statistics(x, quantiles=(0.5,))
>>> s["mean"].tolist(), s["std"].tolist(), s["quantiles"].tolist()
([2.0, 2.0], [1.0, 0.0], [[2.0, 2.0]])
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from emboost.core.errors import InputError, RecipeError
from emboost.core.reprs import short_repr
from emboost.core.runner import Checkpoint, Progress, run_chunks, standard_normals
from emboost.fit.noise import delivered_boost_factor, fit_line_delay, refit_mirror_gap
from emboost.noise.amplifier import LNA, NoiseSources

__all__ = [
    "LNA_PARAMETERS",
    "TsysSpectrum",
    "MonteCarloModel",
    "Draws",
    "draw_samples",
    "evaluate_samples",
    "prepare_model",
    "MonteCarloResult",
    "Convergence",
    "convergence",
    "band_statistics",
    "linear_propagation",
    "LinearPropagation",
    "UncertaintyBudget",
    "BUDGET_TERMS",
    "uncertainty_budget",
    "run_montecarlo",
    "Checkpoint",
    "reach_samples",
    "combine_reach",
    "combined_relative_uncertainty",
    "Progress",
]

#: the LNA noise parameters drawn per sample, in this order (SI: V/sqrt(Hz), A/sqrt(Hz), 1, rad)
LNA_PARAMETERS = ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase")

DEFAULT_QUANTILES = (0.025, 0.16, 0.5, 0.84, 0.975)


# ------------------------------------------------------------------------------------------- model
@dataclass(frozen=True, eq=False)
class TsysSpectrum:
    """A measured system-temperature spectrum: ``frequency`` [Hz], ``t_sys`` and per-bin ``sigma`` [K],
    and the LNA reflection ``gamma_lna`` at those frequencies, all of shape ``(n,)``."""

    frequency: np.ndarray
    t_sys: np.ndarray
    sigma: np.ndarray
    gamma_lna: np.ndarray

    def __post_init__(self) -> None:
        f = np.asarray(self.frequency, float)
        arrays = {"t_sys": np.asarray(self.t_sys, float), "sigma": np.asarray(self.sigma, float),
                  "gamma_lna": np.asarray(self.gamma_lna, complex)}
        if f.ndim != 1 or f.size < 10 or np.any(np.diff(f) <= 0):
            raise InputError(f"a T_sys spectrum needs >= 10 increasing frequencies, got shape {f.shape}")
        for k, a in arrays.items():
            if a.shape != f.shape or not np.all(np.isfinite(a)):
                raise InputError(f"T_sys spectrum {k} must be finite with the shape of the frequencies {f.shape}")
        if np.any(arrays["sigma"] <= 0):
            raise InputError("T_sys spectrum sigma must be > 0")
        object.__setattr__(self, "frequency", f)
        for k, a in arrays.items():
            object.__setattr__(self, k, a)


@dataclass(frozen=True, eq=False)
class MonteCarloModel:
    """Everything one sample needs (picklable: it is sent once to every worker).

    Parameters
    ----------
    booster_fit:
        Object with ``booster(x)`` turning free-parameter vectors ``(m, k)`` into a batched
        :class:`~emboost.booster.model.Booster` (e.g. :class:`emboost.fit.booster.BoosterFitResult`).
    center, covariance, parameter_names:
        Best values ``(k,)`` and covariance ``(k, k)`` of the booster parameters (SI).
    lna:
        The LNA: measured reflection and the *mean* noise sources.
    lna_sigma:
        1-sigma of ``LNA_PARAMETERS`` (SI), ``(4,)``; 0 keeps a parameter fixed.
    t_phys:
        Physical temperature of the booster [K].
    broadband:
        The T_sys spectrum the delay is refitted to.
    delay_bounds:
        Range [s] of the per-sample delay search (see :func:`prepare_model`).
    frequency:
        Output frequencies [Hz], uniformly spaced, ``(nf,)``.
    field_shape_sigma, frequency_sigma:
        sigma of the field-shape factor (dimensionless) and of the frequency shift [Hz].
    narrowband, gap_bounds, gap_grid:
        Narrowband T_sys spectrum, gap range [m] and grid points of the mirror-gap refit (``None``: no refit).
    line_loss_db:
        Loss of the booster-LNA line [dB].
    """

    booster_fit: Any
    center: np.ndarray
    covariance: np.ndarray
    parameter_names: tuple[str, ...]
    lna: LNA
    lna_sigma: np.ndarray
    t_phys: float
    broadband: TsysSpectrum
    delay_bounds: tuple[float, float]
    frequency: np.ndarray
    field_shape_sigma: float = 0.0
    frequency_sigma: float = 0.0
    narrowband: TsysSpectrum | None = None
    gap_bounds: tuple[float, float] | None = None
    gap_grid: int = 41
    line_loss_db: float = 0.0

    def __post_init__(self) -> None:
        c = np.asarray(self.center, float)
        cov = np.asarray(self.covariance, float)
        if c.ndim != 1 or cov.shape != (c.size, c.size) or not np.all(np.isfinite(cov)):
            raise InputError(f"booster covariance must be finite of shape {(c.size, c.size)}, got {cov.shape} "
                             "(did the reflectivity fit converge?)")
        if len(self.parameter_names) != c.size:
            raise InputError("one parameter name per booster parameter")
        ls = np.asarray(self.lna_sigma, float)
        if ls.shape != (4,) or np.any(ls < 0) or not np.all(np.isfinite(ls)):
            raise InputError(f"lna_sigma must be 4 finite values >= 0 ({', '.join(LNA_PARAMETERS)})")
        f = np.asarray(self.frequency, float)
        if f.ndim != 1 or f.size < 2 or np.any(np.diff(f) <= 0):
            raise InputError("output frequencies must be >= 2 increasing values")
        step = (f[-1] - f[0]) / (f.size - 1)
        if not np.allclose(np.diff(f), step, rtol=1e-6, atol=0):
            raise InputError("output frequencies must be uniformly spaced (the frequency shift interpolates)")
        for name in ("field_shape_sigma", "frequency_sigma", "t_phys"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be finite and >= 0, got {v!r}", key=name)
        lo, hi = self.delay_bounds
        if not 0 <= lo < hi:
            raise InputError(f"delay bounds must satisfy 0 <= min < max, got {self.delay_bounds}")
        if (self.narrowband is None) != (self.gap_bounds is None):
            raise InputError("a mirror-gap refit needs both a narrowband spectrum and gap bounds")
        for k, v in (("center", c), ("covariance", cov), ("lna_sigma", ls), ("frequency", f)):
            v = v.copy()
            v.setflags(write=False)
            object.__setattr__(self, k, v)

    @property
    def n_booster(self) -> int:
        return int(self.center.size)

    @property
    def refit_gap(self) -> bool:
        return self.narrowband is not None

    @property
    def lna_mean(self) -> np.ndarray:
        s = self.lna.sources
        return np.array([float(np.asarray(getattr(s, k))) for k in LNA_PARAMETERS])

    @property
    def step(self) -> float:
        f = self.frequency
        return float((f[-1] - f[0]) / (f.size - 1))

    def fingerprint(self) -> str:
        """SHA-256 over everything that changes a sample (not over the booster object's identity)."""
        h = hashlib.sha256()
        base = self.booster_fit.booster(self.center)
        parts: list[Any] = [self.center, self.covariance, self.lna_sigma, self.lna_mean, self.lna.frequency,
                            self.lna.gamma, self.frequency, np.array(self.delay_bounds), base.gaps, base.thickness,
                            base.permittivity, base.loss_tangent]
        for spec in (self.broadband, self.narrowband):
            if spec is not None:
                parts += [spec.frequency, spec.t_sys, spec.sigma, spec.gamma_lna]
        for p in parts:
            a = np.ascontiguousarray(p)
            h.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
        scalars = [self.parameter_names, self.t_phys, self.field_shape_sigma, self.frequency_sigma,
                   self.gap_bounds, self.gap_grid, self.line_loss_db, base.radius, base.wall_conductivity,
                   base.mirror_conductivity, base.output_length, base.source, base.overlap]
        h.update(repr(scalars).encode())
        return h.hexdigest()


@dataclass(frozen=True, eq=False)
class Draws:
    """Random inputs of samples ``start .. start + n - 1``: booster ``(n, k)``, lna ``(n, 4)``,
    shape and shift ``(n,)``."""

    start: int
    booster: np.ndarray
    lna: np.ndarray
    shape: np.ndarray
    shift: np.ndarray

    def __len__(self) -> int:
        return int(self.shape.size)

    def slice(self, a: int, b: int) -> Draws:
        """Samples ``a .. b - 1`` (absolute indices)."""
        i, j = a - self.start, b - self.start
        return Draws(a, self.booster[i:j], self.lna[i:j], self.shape[i:j], self.shift[i:j])


def _sqrt_cov(cov: np.ndarray) -> np.ndarray:
    """A matrix ``L`` with ``L L^T = cov`` (symmetric square root; tolerates a singular covariance)."""
    w, v = np.linalg.eigh(0.5 * (cov + cov.T))
    if np.any(w < -1e-9 * max(float(np.max(np.abs(w))), 1e-300)):
        raise InputError("the booster covariance is not positive semi-definite")
    return v * np.sqrt(np.clip(w, 0.0, None))


def draw_samples(model: MonteCarloModel, n: int, seed: int | Sequence[int]) -> Draws:
    """All random inputs of ``n`` samples, from one seeded stream in sample order.

    Sample ``i`` uses the standard normals ``i (k + 6) .. (i + 1)(k + 6) - 1`` of the stream of
    ``numpy.random.SeedSequence(seed)``, so it depends only on the seed and ``i``: a longer run starts
    with the samples of a shorter one, and splitting the samples over workers changes nothing.
    """
    if n < 1:
        raise InputError(f"the number of samples must be >= 1, got {n}", key="samples")
    k = model.n_booster
    z = standard_normals(seed, n, k + 6)
    booster = model.center + z[:, :k] @ _sqrt_cov(model.covariance).T
    lna = model.lna_mean + z[:, k:k + 4] * model.lna_sigma
    lna[:, 0:2] = np.clip(lna[:, 0:2], 0.0, None)
    lna[:, 2] = np.clip(lna[:, 2], 0.0, 1.0)
    shape = 1.0 + model.field_shape_sigma * z[:, k + 4]
    shift = model.frequency_sigma * z[:, k + 5]
    return Draws(0, booster, lna, shape, shift)


def _extended_grid(model: MonteCarloModel, max_shift: float) -> tuple[np.ndarray, int]:
    """The output grid padded on both sides by enough steps for shifts up to ``max_shift`` [Hz]
    (plus three, so that the interpolating spline is never evaluated in its end intervals)."""
    step = model.step
    pad = int(math.ceil(max_shift / step)) + 3 if max_shift > 0 else 0
    nf = model.frequency.size
    return model.frequency[0] + step * np.arange(-pad, nf + pad), pad


def _shifted(values: np.ndarray, pad: int, nf: int, shift: np.ndarray, step: float) -> np.ndarray:
    """``values(f - shift)`` on the output grid: a cubic spline per sample on the padded uniform grid.

    ``values`` ``(m, nf + 2 pad)``, ``shift`` ``(m,)`` [Hz]. The spline's error is O(h^4): for CB200's
    375 kHz grid against a ~10 MHz wide mode, ~1e-6 relative (linear interpolation would give ~1e-3).
    """
    from scipy.interpolate import CubicSpline

    n_ext = values.shape[-1]
    c = np.moveaxis(CubicSpline(np.arange(n_ext, dtype=float), values, axis=-1).c, 2, 1)  # (4, m, n_ext - 1)
    u = pad - np.asarray(shift, float)[:, None] / step + np.arange(nf)[None, :]          # fractional index
    i = np.clip(np.floor(u).astype(int), 0, n_ext - 2)
    dx = u - i
    ck = np.take_along_axis(c, np.broadcast_to(i, (4,) + i.shape), axis=2)
    return ((ck[0] * dx + ck[1]) * dx + ck[2]) * dx + ck[3]


def evaluate_samples(model: MonteCarloModel, draws: Draws) -> dict[str, np.ndarray]:
    """Run the pipeline for a block of samples (one batched booster solve plus one refit per sample).

    Returns ``index`` ``(m,)``, ``boost`` ``(m, nf)`` (delivered, shape factor and shift applied), the
    refitted ``tau`` [s], ``gap`` [m] (NaN without a gap refit), the refits' reduced chi^2 and
    ``on_bound`` flags (1 when a refit ended on the edge of its search range).
    """
    m = len(draws)
    f_bb = model.broadband.frequency
    boosters = model.booster_fit.booster(draws.booster)
    gb = boosters.response(f_bb).s11
    lo, hi = model.delay_bounds
    tau = np.empty(m)
    tau_chi = np.empty(m)
    gap = np.full(m, np.nan)
    gap_chi = np.full(m, np.nan)
    on_bound = np.zeros(m, dtype=np.int8)
    sources = [NoiseSources(*row) for row in draws.lna]
    for j in range(m):
        d = fit_line_delay(f_bb, gb[j], model.t_phys, sources[j], model.broadband.gamma_lna, model.broadband.t_sys,
                           model.broadband.sigma, (lo, hi), line_loss_db=model.line_loss_db)
        tau[j], tau_chi[j] = d.tau, d.redchi
        on_bound[j] |= int(d.on_bound)
    if model.refit_gap:
        nb, gap_bounds = model.narrowband, model.gap_bounds
        assert nb is not None and gap_bounds is not None  # refit_gap
        for j in range(m):
            single = model.booster_fit.booster(draws.booster[j])
            g = refit_mirror_gap(nb.frequency, single, tau[j], model.t_phys, sources[j], nb.gamma_lna, nb.t_sys,
                                 nb.sigma, gap_bounds, n_grid=model.gap_grid, line_loss_db=model.line_loss_db)
            gap[j], gap_chi[j] = g.gap, g.redchi
            on_bound[j] |= 2 * int(g.on_bound)
        boosters = boosters.with_mirror_gap(gap)
    max_shift = float(np.max(np.abs(draws.shift))) if m else 0.0
    f_ext, pad = _extended_grid(model, max_shift)
    resp = boosters.response(f_ext)
    b2 = delivered_boost_factor(f_ext, resp.boost_factor, resp.s11, model.lna.gamma_at(f_ext), tau)
    nf = model.frequency.size
    if pad:
        b2 = _shifted(b2, pad, nf, draws.shift, model.step)
    boost = draws.shape[:, None] * b2
    return {"index": draws.start + np.arange(m), "boost": boost, "tau": tau, "tau_redchi": tau_chi, "gap": gap,
            "gap_redchi": gap_chi, "on_bound": on_bound}


def prepare_model(model: MonteCarloModel, delay_range: tuple[float, float], delay_window: float | None = None,
                  gap_window: float | None = None) -> tuple[MonteCarloModel, dict[str, float]]:
    """Nominal refits at the best parameters, and the per-sample search windows around them.

    The delay is first searched over the whole ``delay_range`` [s]; each sample then searches
    ``tau_0 +- delay_window`` (clipped to the range; ``None``: the whole range). The window should hold
    several ripple aliases (they are ``1 / (2 f)`` apart, ~27 ps at 18.5 GHz) so that a sample may still
    move to another one; a sample that ends on the window's edge is flagged in ``on_bound``. The mirror
    gap likewise (``gap_window`` [m] around the nominal refit). Returns the model and the nominal values.
    """
    wide = dataclasses.replace(model, delay_bounds=(float(delay_range[0]), float(delay_range[1])))
    zero = Draws(0, model.center[None, :], model.lna_mean[None, :], np.ones(1), np.zeros(1))
    nominal = evaluate_samples(wide, zero)
    tau0 = float(nominal["tau"][0])
    lo, hi = delay_range
    if delay_window is not None:
        lo, hi = max(lo, tau0 - delay_window), min(hi, tau0 + delay_window)
    changes: dict[str, Any] = {"delay_bounds": (lo, hi)}
    info = {"tau": tau0, "tau_redchi": float(nominal["tau_redchi"][0]), "gap": float(nominal["gap"][0]),
            "gap_redchi": float(nominal["gap_redchi"][0])}
    if model.gap_bounds is not None and gap_window is not None:
        g0 = info["gap"]
        glo, ghi = model.gap_bounds
        changes["gap_bounds"] = (max(glo, g0 - gap_window), min(ghi, g0 + gap_window))
    return dataclasses.replace(model, **changes), info


# ---------------------------------------------------------------------------------------- statistics
def band_statistics(samples: np.ndarray, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> dict[str, np.ndarray]:
    """Per-frequency ``mean``, ``std`` (ddof 1) and ``quantiles`` ``(nq, nf)`` of samples ``(n, nf)``."""
    x = np.asarray(samples, float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise InputError(f"band statistics need >= 2 samples of shape (n, nf), got {x.shape}")
    q = np.asarray(quantiles, float)
    return {"mean": np.mean(x, axis=0), "std": np.std(x, axis=0, ddof=1),
            "quantiles": np.quantile(x, q, axis=0) if q.size else np.empty((0, x.shape[1]))}


@dataclass(frozen=True)
class Convergence:
    """Whether the running mean was stable over the last ``window`` samples.

    ``max_relative_change``: ``max_{N-window <= n < N} max_f |mean_n(f) - mean_N(f)| / |mean_N(f)|``
    (``worst_frequency`` [Hz] where it occurs); ``std_relative_change`` the same for the standard
    deviation (reported, not tested). ``converged`` when the first is <= ``tolerance``.
    """

    __repr__ = short_repr

    converged: bool
    samples: int
    window: int
    tolerance: float
    max_relative_change: float
    worst_frequency: float
    std_relative_change: float
    message: str


def convergence(samples: np.ndarray, frequency: np.ndarray, window: int = 25,
                tolerance: float = 0.01) -> Convergence:
    """Check the per-frequency mean for stability over the last ``window`` samples (paper §4.3).

    >>> x = np.ones((60, 3))
    >>> convergence(x, np.arange(3.0)).converged
    True
    >>> y = np.arange(1.0, 61.0)[:, None] * np.ones((1, 3))
    >>> c = convergence(y, np.arange(3.0))
    >>> c.converged, round(c.max_relative_change, 3)   # running mean (n + 1) / 2: |18 - 30.5| / 30.5
    (False, 0.41)
    """
    x = np.asarray(samples, float)
    n = x.shape[0]
    if window < 1 or n <= window + 1:
        return Convergence(False, n, window, tolerance, math.inf, math.nan, math.inf,
                           f"too few samples ({n}) for a convergence window of {window}")
    cs = np.cumsum(x, axis=0)
    counts = np.arange(n - window, n + 1)
    means = cs[counts - 1] / counts[:, None]                       # running means, n = N-window .. N
    final = means[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(means[:-1] - final) / np.abs(final)
    rel = np.where(np.isfinite(rel), rel, 0.0)
    worst = np.unravel_index(int(np.argmax(rel)), rel.shape)
    change = float(rel[worst])
    cs2 = np.cumsum(x**2, axis=0)
    var = (cs2[counts - 1] - cs[counts - 1] ** 2 / counts[:, None]) / (counts[:, None] - 1)
    sd = np.sqrt(np.clip(var, 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        srel = np.abs(sd[:-1] - sd[-1]) / sd[-1]
    srel = np.where(np.isfinite(srel), srel, 0.0)
    ok = change <= tolerance
    msg = (f"mean {'stable' if ok else 'NOT stable'} over the last {window} of {n} samples: max relative change "
           f"{change:.2e} (tolerance {tolerance:g}) at {float(frequency[worst[1]]):.6g} Hz")
    return Convergence(bool(ok), n, window, tolerance, change, float(frequency[worst[1]]), float(np.max(srel)), msg)


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Samples of the delivered boost factor and what produced them.

    ``boost`` ``(n, nf)``; ``tau``, ``gap``, ``tau_redchi``, ``gap_redchi``, ``on_bound`` ``(n,)``;
    ``draws`` the random inputs; ``nominal`` the delivered boost factor at the best parameters
    (no shape factor, no shift); ``nominal_info`` the nominal refits; ``seed`` as given.
    """

    __repr__ = short_repr

    frequency: np.ndarray
    boost: np.ndarray
    tau: np.ndarray
    gap: np.ndarray
    tau_redchi: np.ndarray
    gap_redchi: np.ndarray
    on_bound: np.ndarray
    draws: Draws
    nominal: np.ndarray
    nominal_info: dict[str, float]
    seed: Any
    chunk_size: int
    fingerprint: str
    timing: dict[str, float] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return int(self.boost.shape[0])

    def statistics(self, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> dict[str, np.ndarray]:
        return band_statistics(self.boost, quantiles)

    def convergence(self, window: int = 25, tolerance: float = 0.01) -> Convergence:
        return convergence(self.boost, self.frequency, window, tolerance)

    def to_xarray(self, quantiles: Sequence[float] = DEFAULT_QUANTILES,
                  parameter_names: Sequence[str] | None = None, parameter_units: Sequence[str] | None = None,
                  attrs: dict[str, Any] | None = None) -> Any:
        """The band and the per-sample curves as an ``xarray.Dataset`` in emboost's NetCDF schema
        (:mod:`emboost.mc.ncschema`: ``boost_mean``, ``boost_std``, ``boost_quantiles``, ``boost_nominal`` on
        ``frequency``; ``boost``, ``line_delay``, ``mirror_gap``... on ``sample``). The drawn booster parameters
        are included as ``booster_<name>`` when ``parameter_names`` (the model's ``parameter_names``) is given.
        Needs xarray (``pip install 'emboost[netcdf]'``), imported here only.

        >>> import numpy as np
        >>> r = MonteCarloResult(np.array([1e9, 2e9]), np.ones((3, 2)), np.zeros(3), np.zeros(3), np.ones(3),
        ...                      np.ones(3), np.zeros(3, bool), Draws(0, np.zeros((3, 1)), np.zeros((3, 4)),
        ...                      np.ones(3), np.zeros(3)), np.ones(2), {}, 1, 3, "")
        >>> ds = r.to_xarray(parameter_names=["gap_1"])  # doctest: +SKIP
        >>> ds["boost"].dims, ds["booster_gap_1"].attrs["units"]  # doctest: +SKIP
        (('sample', 'frequency'), 'm')
        """
        from emboost.mc.ncschema import global_attributes, sample_variables, to_dataset

        q = list(quantiles)
        stats = band_statistics(self.boost, q)
        v: dict[str, Any] = {
            "frequency": (("frequency",), self.frequency), "quantile": (("quantile",), np.asarray(q, float)),
            "boost_mean": (("frequency",), stats["mean"]), "boost_std": (("frequency",), stats["std"]),
            "boost_quantiles": (("quantile", "frequency"), np.asarray(stats["quantiles"])),
            "boost_nominal": (("frequency",), self.nominal)}
        names = list(parameter_names) if parameter_names is not None else []
        booster = self.draws.booster if names else np.zeros((self.samples, 0))
        v.update(sample_variables(self.boost, self.tau, self.gap, self.tau_redchi, self.draws.shape,
                                  self.draws.shift, self.on_bound, booster, names, parameter_units, self.draws.lna))
        a = global_attributes("emboost Monte-Carlo: delivered boost-factor band", "emboost.mc.engine.run_montecarlo",
                              seed=json.dumps(self.seed), samples=self.samples, chunk_size=self.chunk_size,
                              model_fingerprint=self.fingerprint)
        return to_dataset(v, a | (attrs or {}))


# ----------------------------------------------------------------------------------- linear propagation
@dataclass(frozen=True, eq=False)
class LinearPropagation:
    """Linear (covariance) propagation: ``nominal`` beta^2 ``(nf,)`` and its ``std``, with the
    contributions ``booster``, ``lna``, ``shape`` and ``frequency`` (each a std ``(nf,)``) and the Jacobian
    ``jacobian`` ``(k + 4, nf)`` with respect to the booster and LNA parameters."""

    __repr__ = short_repr

    frequency: np.ndarray
    nominal: np.ndarray
    std: np.ndarray
    parts: dict[str, np.ndarray]
    jacobian: np.ndarray


def _central_points(model: MonteCarloModel, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``2 na + 1`` parameter points of a central-difference Jacobian in the booster and LNA parameters.

    Returns ``(x, active, h)``: the points (centre first, then +h and -h for each parameter with sigma > 0),
    the indices of those parameters and their steps (``step`` sigma).
    """
    sig = np.concatenate([np.sqrt(np.clip(np.diag(model.covariance), 0, None)), model.lna_sigma])
    x0 = np.concatenate([model.center, model.lna_mean])
    active = np.nonzero(sig > 0)[0]
    h = step * sig[active]
    pts = [x0]
    for sign in (1.0, -1.0):
        for a, ha in zip(active, h):
            p = x0.copy()
            p[a] += sign * ha
            pts.append(p)
    return np.array(pts), active, h


def linear_propagation(model: MonteCarloModel, step: float = 0.1) -> LinearPropagation:
    """Propagate the covariance linearly through the whole pipeline (refits included).

    The Jacobian of the delivered beta^2(f) with respect to the ``k`` booster and 4 LNA parameters comes
    from central differences of :func:`evaluate_samples` with steps ``step`` sigma (one batch of
    ``2 (k + 4) + 1`` points); then ``var = J Sigma J^T + (sigma_shape beta^2)^2 + (sigma_f d beta^2/df)^2``.
    """
    k = model.n_booster
    x, active, h = _central_points(model, step)
    n = x.shape[0]
    draws = Draws(0, x[:, :k], x[:, k:], np.ones(n), np.zeros(n))
    y = evaluate_samples(dataclasses.replace(model, frequency_sigma=0.0), draws)["boost"]
    na = active.size
    jac = np.zeros((k + 4, y.shape[1]))
    jac[active] = (y[1:1 + na] - y[1 + na:]) / (2 * h[:, None])
    cov = np.zeros((k + 4, k + 4))
    cov[:k, :k] = model.covariance
    cov[k:, k:] = np.diag(model.lna_sigma**2)
    nominal = y[0]
    var_b = np.einsum("if,ij,jf->f", jac[:k], cov[:k, :k], jac[:k])
    var_l = np.einsum("if,ij,jf->f", jac[k:], cov[k:, k:], jac[k:])
    var_s = (model.field_shape_sigma * nominal) ** 2
    slope = np.gradient(nominal, model.frequency)
    var_f = (model.frequency_sigma * slope) ** 2
    parts = {"booster": np.sqrt(np.abs(var_b)), "lna": np.sqrt(np.abs(var_l)), "shape": np.sqrt(var_s),
             "frequency": np.sqrt(var_f)}
    return LinearPropagation(model.frequency, nominal, np.sqrt(np.abs(var_b + var_l) + var_s + var_f), parts, jac)


# ------------------------------------------------------------------------------------- uncertainty budget
#: the contributions of :func:`uncertainty_budget`, in table order
BUDGET_TERMS = ("booster_fit", "lna", "tau_refit", "gap_refit", "field_shape", "frequency_shift")


@dataclass(frozen=True, eq=False)
class UncertaintyBudget:
    """The 1-sigma of the delivered boost factor split by contribution, on ``frequency`` [Hz] ``(nf,)``.

    ``sources`` holds the independent inputs of the Monte-Carlo, whose variances add up to ``total``
    (``total**2 = sum(sources[k]**2)``; it equals :func:`linear_propagation`'s std):

    * ``booster_fit``: the booster parameters drawn from the reflectivity fit's covariance, *with* the
      delay and mirror gap refitted as they move;
    * ``lna``: the four LNA noise parameters; they enter beta^2 only through the refits of tau and the gap;
    * ``field_shape``: the field-shape factor, ``sigma_shape * beta^2``;
    * ``frequency_shift``: the frequency shift, ``sigma_f |d beta^2 / df|``.

    ``channels`` splits the first two by the path they take (linear chain rule at the best values):
    ``direct`` (the booster parameters at fixed tau and gap), ``tau_refit`` (``d beta^2/d tau`` times the
    spread of the refitted tau), ``gap_refit`` (likewise for the mirror gap); ``channel_cross`` is the signed
    remainder (the correlations between the three paths, a variance), so that
    ``direct**2 + tau_refit**2 + gap_refit**2 + channel_cross == booster_fit**2 + lna**2``.
    ``tau_sigma`` [s] and ``gap_sigma`` [m] are the linear spreads of the refits over the drawn inputs;
    ``conditional`` holds, for reference, what the conditional fit sigma of tau and the gap (the fit errors
    at fixed booster and LNA, from the T_sys noise) would add; they are not part of the Monte-Carlo band.
    Every std is in boost-factor units (dimensionless).
    """

    __repr__ = short_repr

    frequency: np.ndarray
    nominal: np.ndarray
    sources: dict[str, np.ndarray]
    channels: dict[str, np.ndarray]
    channel_cross: np.ndarray
    total: np.ndarray
    tau_sigma: float
    gap_sigma: float
    conditional: dict[str, np.ndarray]


def _delivered_fixed(model: MonteCarloModel, booster: np.ndarray, tau: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """beta^2 on the output grid for booster parameters ``(m, k)``, delay ``tau`` ``(m,)`` [s] and mirror gap
    ``gap`` ``(m,)`` [m] held fixed (no refit, no shape factor, no shift)."""
    boosters = model.booster_fit.booster(booster)
    if model.refit_gap:
        boosters = boosters.with_mirror_gap(gap)
    f = model.frequency
    resp = boosters.response(f)
    return np.asarray(delivered_boost_factor(f, resp.boost_factor, resp.s11, model.lna.gamma_at(f), tau))


def uncertainty_budget(model: MonteCarloModel, step: float = 0.1, *, fit_sigma_tau: float = 0.0,
                       fit_sigma_gap: float = 0.0) -> UncertaintyBudget:
    """Split the linear 1-sigma of the delivered boost factor by contribution (see :class:`UncertaintyBudget`).

    The Jacobian with respect to the booster and LNA parameters is that of :func:`linear_propagation`
    (central differences of :func:`evaluate_samples`, refits included, ``step`` sigma), together with the
    derivatives of the refitted tau and gap; ``d beta^2/d tau`` and ``d beta^2/d gap`` are central differences
    at fixed parameters (steps 0.01 ps and 10 nm, far below the refits' spreads and the 27 ps ripple period).
    ``fit_sigma_tau`` [s] and ``fit_sigma_gap`` [m]: the conditional fit errors, for ``conditional``.
    One batch of ``2 (k + 4) + 1`` pipeline evaluations and one of 5 fixed-refit evaluations.
    """
    k = model.n_booster
    x, active, h = _central_points(model, step)
    n = x.shape[0]
    ev = evaluate_samples(dataclasses.replace(model, frequency_sigma=0.0),
                          Draws(0, x[:, :k], x[:, k:], np.ones(n), np.zeros(n)))
    na = active.size
    nf = model.frequency.size
    jac = np.zeros((k + 4, nf))
    jac[active] = (ev["boost"][1:1 + na] - ev["boost"][1 + na:]) / (2 * h[:, None])
    refit_gap = model.refit_gap
    tau0 = float(ev["tau"][0])
    gap0 = float(ev["gap"][0]) if refit_gap else math.nan
    jt = np.zeros(k + 4)
    jg = np.zeros(k + 4)
    jt[active] = (ev["tau"][1:1 + na] - ev["tau"][1 + na:]) / (2 * h)
    if refit_gap:
        jg[active] = (ev["gap"][1:1 + na] - ev["gap"][1 + na:]) / (2 * h)
    # d beta^2 / d tau and d beta^2 / d gap at the best values, refits held fixed
    ht, hg = 1e-14, 1e-8
    c = np.repeat(model.center[None, :], 5, axis=0)
    taus = np.array([tau0, tau0 + ht, tau0 - ht, tau0, tau0])
    gaps = np.array([gap0, gap0, gap0, gap0 + hg, gap0 - hg]) if refit_gap else np.full(5, np.nan)
    y = _delivered_fixed(model, c, taus, gaps)
    d_tau = (y[1] - y[2]) / (2 * ht)
    d_gap = (y[3] - y[4]) / (2 * hg) if refit_gap else np.zeros(nf)
    direct = jac - jt[:, None] * d_tau[None, :] - jg[:, None] * d_gap[None, :]
    cov = np.zeros((k + 4, k + 4))
    cov[:k, :k] = model.covariance
    cov[k:, k:] = np.diag(model.lna_sigma**2)

    def var(j: np.ndarray, c_: np.ndarray) -> np.ndarray:
        return np.einsum("if,ij,jf->f", j, c_, j)

    cb, cl = np.zeros_like(cov), np.zeros_like(cov)
    cb[:k, :k] = cov[:k, :k]
    cl[k:, k:] = cov[k:, k:]
    var_b, var_l = var(jac, cb), var(jac, cl)
    var_t = float(jt @ cov @ jt)
    var_g = float(jg @ cov @ jg)
    v_direct = var(direct, cb)
    v_lna_direct = var(direct, cl)
    v_tau = d_tau**2 * var_t
    v_gap = d_gap**2 * var_g
    nominal = ev["boost"][0]
    var_s = (model.field_shape_sigma * nominal) ** 2
    slope = np.gradient(nominal, model.frequency)
    var_f = (model.frequency_sigma * slope) ** 2
    sources = {"booster_fit": np.sqrt(np.abs(var_b)), "lna": np.sqrt(np.abs(var_l)), "field_shape": np.sqrt(var_s),
               "frequency_shift": np.sqrt(var_f)}
    channels = {"direct": np.sqrt(np.abs(v_direct)), "lna_direct": np.sqrt(np.abs(v_lna_direct)),
                "tau_refit": np.sqrt(v_tau), "gap_refit": np.sqrt(v_gap)}
    cross = var_b + var_l - v_direct - v_lna_direct - v_tau - v_gap
    conditional = {"tau_fit": np.abs(d_tau) * fit_sigma_tau, "gap_fit": np.abs(d_gap) * fit_sigma_gap}
    return UncertaintyBudget(model.frequency, nominal, sources, channels, cross,
                             np.sqrt(np.abs(var_b + var_l) + var_s + var_f), math.sqrt(var_t), math.sqrt(var_g),
                             conditional)


# ------------------------------------------------------------------------------------------ execution
def run_montecarlo(model: MonteCarloModel, samples: int, seed: int | Sequence[int], *, chunk_size: int = 25,
                   workers: int | None = None, scheduler: str | None = None,
                   checkpoint: str | os.PathLike[str] | None = None, fresh: bool = False, quiet: bool = True,
                   label: str = "mc", on_chunk: Callable[[int], None] | None = None,
                   extra_settings: dict[str, Any] | None = None, run_key: str | None = None,
                   on_mismatch: Literal["error", "recompute"] = "error",
                   warn: Callable[[str], None] | None = None) -> MonteCarloResult:
    """Draw ``samples`` samples with ``seed`` and run them; see the module docstring for the backends.

    ``workers``: local processes (default: the CPU count; 1 runs in this process). ``scheduler``: a
    Dask scheduler address (``"tcp://host:8786"``) or ``"local"`` for a LocalCluster of ``workers``
    single-threaded processes. ``checkpoint``: folder for finished chunks (``fresh`` discards an old
    checkpoint there). ``on_chunk(index)`` is called after each chunk is stored (tests use it to stop a run).
    ``run_key``: what identifies the run's inputs in every stored chunk (e.g. a hash of the recipe and its
    input files; default: the model's fingerprint and ``extra_settings``); a stored chunk of another run
    is refused (``on_mismatch="error"``) or recomputed (``"recompute"``), a damaged one recomputed with a
    warning through ``warn`` (see :class:`emboost.core.runner.Checkpoint`).
    """
    if chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}", key="chunk_size")
    t_start = time.perf_counter()
    draws = draw_samples(model, samples, seed)
    fp = model.fingerprint()
    settings = {"format": "emboost-montecarlo-1", "fingerprint": fp, "seed": json.loads(json.dumps(seed)),
                "chunk_size": chunk_size, **(extra_settings or {})}
    if run_key is None:
        run_key = hashlib.sha256(json.dumps({k: v for k, v in settings.items() if k not in ("seed", "chunk_size")},
                                            sort_keys=True, default=str).encode()).hexdigest()
    out = run_chunks(evaluate_samples, model, draws, samples, seed=seed, chunk_size=chunk_size, run_key=run_key,
                     workers=workers, scheduler=scheduler, checkpoint=checkpoint, settings=settings, fresh=fresh,
                     on_mismatch=on_mismatch, quiet=quiet, label=label, on_chunk=on_chunk, warn=warn)
    cat = out.data
    if not np.array_equal(cat["index"], np.arange(samples)):
        raise RecipeError("internal error: Monte-Carlo chunks do not cover the samples")  # pragma: no cover
    nominal_draw = Draws(0, model.center[None, :], model.lna_mean[None, :], np.ones(1), np.zeros(1))
    nominal = evaluate_samples(dataclasses.replace(model, frequency_sigma=0.0), nominal_draw)
    info = {"tau": float(nominal["tau"][0]), "gap": float(nominal["gap"][0])}
    timing: dict[str, float] = {"wall_s": time.perf_counter() - t_start, "computed_chunks": out.computed,
                                "reused_chunks": out.reused, "workers": out.workers}
    if out.damaged:
        timing["damaged_chunks_recomputed"] = out.damaged
    return MonteCarloResult(frequency=model.frequency, boost=cat["boost"], tau=cat["tau"], gap=cat["gap"],
                            tau_redchi=cat["tau_redchi"], gap_redchi=cat["gap_redchi"], on_bound=cat["on_bound"],
                            draws=draws, nominal=nominal["boost"][0], nominal_info=info, seed=seed,
                            chunk_size=chunk_size, fingerprint=fp, timing=timing)


# ------------------------------------------------------------------------------------------ sensitivity
def reach_samples(boost: np.ndarray, frequency: np.ndarray, t_sys: np.ndarray | float, area: float, b_field: float,
                  time: float, *, snr: float, rho: float, linewidth: np.ndarray | None = None) -> np.ndarray:
    """|g_ag| [GeV^-1] for every sample of the boost factor ``(n, nf)`` (MADMAX eq. 1.1,
    :func:`emboost.reach.sensitivity.booster_coupling_reach`); non-positive boost factors give ``inf``."""
    from emboost.reach.sensitivity import booster_coupling_reach

    b = np.asarray(boost, float)
    ref = booster_coupling_reach(1.0, t_sys, area, b_field, frequency, time, snr=snr, rho=rho, linewidth=linewidth)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = ref / np.sqrt(b)
    return np.where(b > 0, g, np.inf)


def combine_reach(frequency: np.ndarray, runs: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Combine independent runs sample by sample: ``g^-4 = sum_r g_r^-4`` on the grid ``frequency`` [Hz].

    ``runs``: ``(f_r, g_r)`` with ``g_r`` of shape ``(n_r, nf_r)``; sample ``j`` of every run is combined
    with sample ``j`` of the others (independent draws, so the runs' uncertainties add as uncorrelated).
    A run contributes nothing outside its own band. Returns ``(min n_r, nf)`` (``inf`` where no run covers).

    >>> f = np.array([1.0, 2.0])
    >>> g = combine_reach(f, [(f, np.full((3, 2), 2.0)), (f, np.full((4, 2), 2.0))])
    >>> g.shape, round(float(g[0, 0]), 6)   # two equal runs: 2 * 2^(-1/4)
    ((3, 2), 1.681793)
    """
    if not runs:
        raise InputError("combine_reach needs at least one run")
    n = min(np.asarray(g).shape[0] for _, g in runs)
    inv4 = np.zeros((n, np.asarray(frequency).size))
    for fr, g in runs:
        g = np.asarray(g, float)[:n]
        with np.errstate(divide="ignore"):
            x = g**-4.0
        inv4 += np.stack([np.interp(frequency, fr, row, left=0.0, right=0.0) for row in x])
    with np.errstate(divide="ignore"):
        return inv4**-0.25


def combined_relative_uncertainty(reach: Sequence[np.ndarray], boost_relative_std: Sequence[np.ndarray]) -> np.ndarray:
    """Linear relative std of the combined reach of uncorrelated runs on a common grid.

    ``g^-4 = sum c_r beta_r^4`` gives ``sigma_g / g = 1/2 sqrt(sum_r w_r^2 (sigma_r / beta^2_r)^2)``
    with ``w_r = g_r^-4 / sum g^-4``.
    """
    inv = [np.asarray(g, float) ** -4.0 for g in reach]
    tot = sum(inv)
    return 0.5 * np.sqrt(sum((w / tot) ** 2 * np.asarray(r, float) ** 2 for w, r in zip(inv, boost_relative_std)))
