"""One parser per recipe section, shared by every recipe kind and by the campaign file.

Each parser takes the recipe's top-level :class:`~emboost.core.setupfile.Table` (or the section's table),
reads and finishes its section, and returns a frozen settings object in SI units. The keys, types,
units and defaults are tabulated in docs/recipes.md.

>>> from emboost.core.setupfile import Table
>>> top = Table({"delay": {"min": "1 ns", "max": "4 ns"}}, path="r.toml")
>>> delay_section(top)
DelaySettings(minimum=1e-09, maximum=4e-09, line_loss_db=0.0)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emboost.core.errors import InputError, RecipeError
from emboost.core.setupfile import Table
from emboost.core.units import parse_quantity, unit_factor
from emboost.fit.booster import JACOBIANS, NOISE_MODELS, OBSERVABLE_KINDS, Observable
from emboost.fit.core import ParameterDefault, ParameterSpec
from emboost.jobs.recipes import resolve_path
from emboost.noise.amplifier import NoiseSources

__all__ = ["MIN_WINDOW_POINTS", "FIT_METHODS", "resolve_path", "WindowSettings", "window_section",
           "FitOptions", "fit_section", "parameter_specs", "lna_section", "DelaySettings", "delay_section",
           "NarrowbandSettings", "narrowband_section", "NoiseSigmaSettings", "noise_section", "BandSettings",
           "band_section", "DataSettings", "data_section", "MonteCarloSettings", "montecarlo_section",
           "SensitivitySettings", "sensitivity_section", "quantiles_value", "observables_section"]

#: the fewest data points a [window] may keep (every fit kind)
MIN_WINDOW_POINTS = 10
FIT_METHODS = ("least_squares", "leastsq")


# ---------------------------------------------------------------------------------------------- [window]
@dataclass(frozen=True)
class WindowSettings:
    """``[window]``: the frequency range [Hz] kept for a fit (``None``: the data's own edge)."""

    start: float | None
    stop: float | None
    path: str | None = None

    def mask(self, f: np.ndarray) -> np.ndarray:
        """Boolean mask of the kept frequencies; fails when fewer than :data:`MIN_WINDOW_POINTS` remain."""
        f = np.asarray(f, dtype=float)
        lo = float(f[0]) if self.start is None else self.start
        hi = float(f[-1]) if self.stop is None else self.stop
        keep = (f >= lo) & (f <= hi)
        n = int(np.count_nonzero(keep))
        if n < MIN_WINDOW_POINTS:
            raise RecipeError(f"only {n} data points in [{lo:g}, {hi:g}] Hz (the data span {f[0]:g}..{f[-1]:g} Hz); "
                              f"need at least {MIN_WINDOW_POINTS}", path=self.path, key="window")
        return keep


def window_section(top: Table, name: str = "window") -> WindowSettings | None:
    """The optional ``[window]`` table: ``start``, ``stop`` (frequencies, both optional)."""
    if name not in top:
        return None
    w = top.table(name)
    start = w.quantity("start", "frequency", None)
    stop = w.quantity("stop", "frequency", None)
    w.finish()
    lo = None if start is None else float(np.asarray(start).ravel()[0])
    hi = None if stop is None else float(np.asarray(stop).ravel()[0])
    if lo is not None and hi is not None and not lo < hi:
        raise w.fail("stop", f"must be above start ({lo:g} Hz), got {hi:g} Hz")
    return WindowSettings(lo, hi, None if w.path is None else str(w.path))


def _check_points(f: np.ndarray, path: str | os.PathLike[str] | None) -> None:
    if f.size < MIN_WINDOW_POINTS:
        raise RecipeError(f"only {f.size} data points; a fit needs at least {MIN_WINDOW_POINTS}", path=path)


# ------------------------------------------------------------------------------------------------- [fit]
@dataclass(frozen=True)
class FitOptions:
    """``[fit]``: the lmfit ``method``, ``max_nfev`` and the kind-specific switches (booster fits: ``prefit_complex``,
    ``jacobian``, ``starts``, ``seed``, ``spread``; resonance fits: ``guess``, ``cross_check``)."""

    method: str = "least_squares"
    max_nfev: int | None = None
    prefit_complex: bool = True
    guess: str = "linear"
    cross_check: bool = True
    jacobian: str = "auto"
    starts: int = 1
    seed: int = 0
    spread: float = 0.05


def fit_section(top: Table, *, prefit: bool = False, resonance: bool = False) -> FitOptions:
    """``[fit]`` (optional): ``method``, ``max_nfev``; for booster fits ``prefit_complex``, ``jacobian`` ("auto",
    "exact" or "numeric"), ``starts`` (number of seeded starts, >= 1), ``seed`` and ``spread`` (of the extra starts,
    in natural sizes; see :func:`emboost.fit.booster.fit_booster`); ``guess`` and ``cross_check`` for resonance fits."""
    t = top.table("fit", {})
    method = t.string("method", "least_squares", choices=FIT_METHODS)
    max_nfev = t.number("max_nfev", None, integer=True, minimum=1)
    opts = FitOptions(method, None if max_nfev is None else int(max_nfev))
    if prefit:
        opts = FitOptions(method, opts.max_nfev, prefit_complex=t.boolean("prefit_complex", True),
                          jacobian=t.string("jacobian", "auto", choices=JACOBIANS),
                          starts=int(t.number("starts", 1, integer=True, minimum=1)),
                          seed=int(t.number("seed", 0, integer=True, minimum=0)),
                          spread=float(t.number("spread", 0.05, minimum=0.0)))
        if not opts.spread > 0:
            raise t.fail("spread", "spread must be > 0 (the extra starts' spread in natural sizes)")
    if resonance:
        opts = FitOptions(method, opts.max_nfev, guess=t.string("guess", "linear", choices=("linear", "skrf")),
                          cross_check=t.boolean("cross_check", True))
    t.finish()
    return opts


# ------------------------------------------------------------------------------------------ [parameters]
def parameter_specs(table: Table | None, defaults: Mapping[str, ParameterDefault]) -> list[ParameterSpec]:
    """Parameters of a recipe's ``[parameters]`` table, merged with ``defaults`` (in their order).

    Each entry is ``name = { value = 8.4, unit = "mm", min = 7.5, max = 9.5, vary = true }``; every key
    but ``unit`` is optional (``value`` defaults to the model's value, ``vary`` to true when the entry
    is present). A listed parameter varies unless ``vary = false``. Names not in ``defaults`` are
    errors, as are bounds that exclude the initial value.
    """
    entries: dict[str, Table] = {}
    if table is not None:
        for name in list(table.data):
            if name not in defaults:
                raise table.fail(name, f"unknown parameter; expected one of {list(defaults)}")
            entries[name] = table.table(name)
        table.finish()
    specs = []
    for name, d in defaults.items():
        value: float | None = d.value
        lo: float | None = d.minimum
        hi: float | None = d.maximum
        vary, unit = d.vary, d.unit
        if name in entries:
            t = entries[name]
            unit = t.string("unit", d.unit)
            try:
                unit_factor(unit, d.dimension, path=t.path, key=t.key("unit"))
            except InputError as exc:
                raise t.error(exc.reason, path=t.path, key=t.key("unit")) from None
            value = _entry_quantity(t, "value", value, unit, d.dimension)
            lo = _entry_quantity(t, "min", lo, unit, d.dimension)
            hi = _entry_quantity(t, "max", hi, unit, d.dimension)
            vary = t.boolean("vary", True)
            t.raw("source", None)
            t.raw("note", None)
            t.finish()
            if value is None:
                raise t.fail("value", "no default for this parameter: give its initial value")
            assert lo is not None and hi is not None
            if not lo < hi:
                raise t.fail("max", f"must be above min ({lo:g} SI), got {hi:g}")
            if not lo <= value <= hi:
                raise t.fail("value", f"initial value {value:g} (SI) is outside [min, max] = [{lo:g}, {hi:g}]")
        elif value is None:
            continue
        assert lo is not None and hi is not None
        try:
            sc = unit_factor(unit, d.dimension) if value == 0 else None
            specs.append(ParameterSpec(name, float(value), float(lo), float(hi), bool(vary), unit, sc))
        except InputError as exc:
            raise (table.fail(name, exc.reason) if table is not None else exc) from None
    return specs


def _entry_quantity(t: Table, k: str, default: float | None, unit: str, dimension: str) -> float | None:
    v = t.raw(k, None)
    if v is None:
        return default
    return float(parse_quantity({"value": v, "unit": unit}, dimension, path=t.path, key=t.key(k)))


# ------------------------------------------------------------------------------------------------ [lna]
def lna_section(t: Table) -> NoiseSources:
    """``[lna]``: the four LNA noise parameters (``sqrt_sv``, ``sqrt_si``, ``rho_mag``, ``rho_phase``), SI."""
    src = NoiseSources(float(t.quantity("sqrt_sv", "voltage_noise", minimum=0.0)),
                       float(t.quantity("sqrt_si", "current_noise", minimum=0.0)),
                       float(t.quantity("rho_mag", "dimensionless", minimum=0.0, maximum=1.0)),
                       float(t.quantity("rho_phase", "angle")))
    t.finish()
    return src


# ---------------------------------------------------------------------------------------------- [delay]
@dataclass(frozen=True)
class DelaySettings:
    """``[delay]``: range of the global booster-LNA line-delay search [s] and the line loss [dB]."""

    minimum: float
    maximum: float
    line_loss_db: float = 0.0

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.minimum, self.maximum)


def delay_section(top: Table) -> DelaySettings:
    """``[delay] min, max, line_loss`` (the same keys in recipes and campaigns)."""
    dt = top.table("delay")
    lo = float(dt.quantity("min", "time", minimum=0.0))
    hi = float(dt.quantity("max", "time", minimum=0.0))
    loss = float(dt.quantity("line_loss", "dimensionless", 0.0, minimum=0.0)) if "line_loss" in dt else 0.0
    dt.finish()
    if hi <= lo:
        raise dt.fail("max", "must be above delay.min")
    return DelaySettings(lo, hi, loss)


# ----------------------------------------------------------------------------------------- [narrowband]
@dataclass(frozen=True)
class NarrowbandSettings:
    """``[narrowband]``: the spectrum after the mode drifted and the mirror-gap search range [m]."""

    spectrum: Path
    column: str
    gap_range: tuple[float, float]
    grid_points: int


def narrowband_section(top: Table, recipe: Path) -> NarrowbandSettings | None:
    """The optional ``[narrowband]`` table (paths relative to the recipe), or None."""
    if "narrowband" not in top:
        return None
    nb = top.table("narrowband")
    spectrum = resolve_path(recipe, nb.string("spectrum"))
    column = nb.string("column", "t_sys")
    g_lo = float(nb.quantity("gap_min", "length", minimum=0.0))
    g_hi = float(nb.quantity("gap_max", "length", minimum=0.0))
    grid = int(nb.number("grid_points", 201, integer=True, minimum=5))
    nb.finish()
    if g_hi <= g_lo:
        raise nb.fail("gap_max", "must be above narrowband.gap_min")
    return NarrowbandSettings(spectrum, column, (g_lo, g_hi), grid)


# ---------------------------------------------------------------------------------------------- [noise]
@dataclass(frozen=True)
class NoiseSigmaSettings:
    """``[noise]``: per-bin sigma of a spectrum from the Savitzky-Golay residual (physics.md (4.1))."""

    savgol_window: int = 11
    savgol_order: int = 3
    robust: bool = True

    def sigma(self, y: np.ndarray) -> np.ndarray:
        """Per-bin standard deviation of ``y`` (same unit and shape)."""
        from emboost.noise.calibration import savgol_noise

        return np.asarray(savgol_noise(y, self.savgol_window, self.savgol_order, relative=True, robust=self.robust))


def noise_section(top: Table) -> NoiseSigmaSettings:
    """The optional ``[noise]`` table: ``savgol_window`` (odd), ``savgol_order``, ``robust``."""
    d = NoiseSigmaSettings()
    if "noise" not in top:
        return d
    t = top.table("noise")
    window = int(t.number("savgol_window", d.savgol_window, integer=True, minimum=5))
    order = int(t.number("savgol_order", d.savgol_order, integer=True, minimum=1))
    robust = t.boolean("robust", d.robust)
    t.finish()
    if window % 2 == 0 or order >= window:
        raise t.fail("savgol_window", f"must be odd and larger than savgol_order, got {window}, {order}")
    return NoiseSigmaSettings(window, order, robust)


# ----------------------------------------------------------------------------------------------- [band]
@dataclass(frozen=True)
class BandSettings:
    """``[band]``: the output frequency grid, ``points`` from ``start`` to ``stop`` [Hz]."""

    start: float
    stop: float
    points: int

    def frequencies(self) -> np.ndarray:
        return np.linspace(self.start, self.stop, self.points)


def band_section(top: Table) -> BandSettings | None:
    """The optional ``[band]`` table."""
    if "band" not in top:
        return None
    b = top.table("band")
    start = float(b.quantity("start", "frequency", minimum=0.0, exclusive=True))
    stop = float(b.quantity("stop", "frequency", minimum=0.0, exclusive=True))
    points = int(b.number("points", integer=True, minimum=3))
    b.finish()
    if stop <= start:
        raise b.fail("stop", "must be above band.start")
    return BandSettings(start, stop, points)


# ----------------------------------------------------------------------------------------------- [data]
@dataclass(frozen=True)
class DataSettings:
    """``[data]`` of a reflectivity or resonance recipe: the file and how to read it."""

    file: Path
    format: str
    parameter: str
    columns: tuple[str, ...] | None
    frequency_unit: str | None
    recipe: Path


def data_section(top: Table, recipe: Path) -> DataSettings:
    """``[data]``: ``file`` (``fallback`` read when ``file`` does not exist), ``parameter`` (Touchstone,
    default "S11") or ``format = "columns"`` with ``columns`` and ``frequency_unit`` (required)."""
    from emboost.rf.touchstone import COLUMN_KINDS

    data = top.table("data")
    file = resolve_path(recipe, data.string("file"))
    fallback = data.string("fallback", None)
    if fallback is not None and not file.exists():
        file = resolve_path(recipe, fallback)
    fmt = data.string("format", "touchstone", choices=("touchstone", "columns"))
    parameter = data.string("parameter", "S11")
    cols: tuple[str, ...] | None = None
    unit: str | None = None
    if fmt == "columns":
        raw = data.raw("columns")
        if not (isinstance(raw, list) and all(isinstance(c, str) for c in raw)):
            raise data.fail("columns", f"expected a list of column names from {list(COLUMN_KINDS)}")
        cols = tuple(raw)
        if "frequency_unit" not in data:
            raise data.fail("frequency_unit", "give the unit of the frequency column (Hz, kHz, MHz, GHz or THz)")
        unit = data.string("frequency_unit")
    data.finish()
    return DataSettings(file, fmt, parameter, cols, unit, recipe)


# ----------------------------------------------------------------------------------------- [montecarlo]
def quantiles_value(t: Table, default: tuple[float, ...] = (0.025, 0.16, 0.5, 0.84, 0.975)) -> tuple[float, ...]:
    q = t.raw("quantiles", list(default))
    if not (isinstance(q, list) and q and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                               and 0 < x < 1 for x in q)):
        raise t.fail("quantiles", f"expected a list of numbers in (0, 1), got {q!r}")
    return tuple(float(x) for x in q)


@dataclass(frozen=True)
class MonteCarloSettings:
    """``[montecarlo]``: sampling, per-sample refit windows [s, m], convergence check and quantiles."""

    samples: int
    seed: int
    chunk_size: int
    workers: int | None
    field_shape_sigma: float
    frequency_sigma: float
    refit_mirror_gap: bool
    delay_window: float | None
    gap_window: float | None
    gap_grid_points: int | None
    convergence_window: int
    convergence_tolerance: float
    quantiles: tuple[float, ...]
    linear_check: bool


def montecarlo_section(top: Table, *, campaign: bool = False) -> MonteCarloSettings:
    """``[montecarlo]``; in a campaign the mirror gap is always refitted (no ``refit_mirror_gap`` key),
    ``gap_grid_points`` defaults to 21 and the quantiles must include 0.025 and 0.975 (the report's band)."""
    mt = top.table("montecarlo")
    samples = int(mt.number("samples", integer=True, minimum=2))
    seed = int(mt.number("seed", integer=True, minimum=0))
    chunk = int(mt.number("chunk_size", 25, integer=True, minimum=1))
    workers = mt.number("workers", None, integer=True, minimum=1)
    shape_sigma = float(mt.quantity("field_shape_sigma", "dimensionless", minimum=0.0))
    freq_sigma = float(mt.quantity("frequency_sigma", "frequency", minimum=0.0))
    refit_gap = True if campaign else mt.boolean("refit_mirror_gap", False)
    delay_window = mt.quantity("delay_window", "time", None, minimum=0.0, exclusive=True)
    gap_window = mt.quantity("gap_window", "length", None, minimum=0.0, exclusive=True)
    gap_grid = mt.number("gap_grid_points", 21 if campaign else None, integer=True, minimum=5)
    conv_window = int(mt.number("convergence_window", 25, integer=True, minimum=2))
    conv_tol = float(mt.number("convergence_tolerance", 0.01, minimum=0.0))
    q = quantiles_value(mt)
    if campaign:
        for need in (0.025, 0.975):
            if need not in q:
                raise mt.fail("quantiles", "the report's 95 % band needs 0.025 and 0.975 among the quantiles")
    linear = mt.boolean("linear_check", True)
    mt.finish()
    return MonteCarloSettings(samples, seed, chunk, None if workers is None else int(workers), shape_sigma,
                              freq_sigma, refit_gap, None if delay_window is None else float(delay_window),
                              None if gap_window is None else float(gap_window),
                              None if gap_grid is None else int(gap_grid), conv_window, conv_tol, q, linear)


# ---------------------------------------------------------------------------------------- [sensitivity]
@dataclass(frozen=True)
class SensitivitySettings:
    """``[sensitivity]``: MADMAX eq. (1.1) settings (SI); ``None`` means "from the setup file" (B, rho,
    area), "per run" (time) or "measured" (t_sys)."""

    time: float | None
    snr: float
    b_field: float | None
    dm_density: float | None
    area: float | None
    t_sys: float | None
    q_a: float | None
    t_sys_relative_sigma: float | None = None


def sensitivity_section(top: Table, *, time_required: bool = False, allow_t_sys: bool = True,
                        t_sys_sigma: bool = False) -> SensitivitySettings:
    """``[sensitivity]``: ``time``, ``snr`` (default 5), ``b_field``, ``dm_density``, ``area``, ``t_sys``, ``q_a``;
    with ``t_sys_sigma`` also the required ``t_sys_relative_sigma`` (relative 1-sigma of T_sys, the
    calibration's scale uncertainty, drawn once per sample as in a campaign)."""
    st = top.table("sensitivity")
    tm = st.quantity("time", "time", *(() if time_required else (None,)), minimum=0.0, exclusive=True)
    snr = float(st.number("snr", 5.0, minimum=0.0))
    if snr <= 0:
        raise st.fail("snr", "must be > 0")
    b_field = st.quantity("b_field", "magnetic_field", None, minimum=0.0, exclusive=True)
    rho = st.quantity("dm_density", "energy_density", None, minimum=0.0, exclusive=True)
    area = st.quantity("area", "area", None, minimum=0.0, exclusive=True)
    t_sys = st.quantity("t_sys", "temperature", None, minimum=0.0, exclusive=True) if allow_t_sys else None
    q_a = st.number("q_a", None, minimum=1.0)
    rel = None
    if t_sys_sigma:
        if "t_sys_relative_sigma" not in st:
            raise st.fail("t_sys_relative_sigma", "missing required key: the relative 1-sigma of T_sys (the "
                          "calibration's, e.g. 0.024; 0 for none) is drawn per sample into the reach")
        rel = float(st.quantity("t_sys_relative_sigma", "dimensionless", minimum=0.0))
    st.finish()

    return SensitivitySettings(_opt(tm), snr, _opt(b_field), _opt(rho), _opt(area), _opt(t_sys), _opt(q_a), rel)


def _opt(x: float | None) -> float | None:
    return None if x is None else float(x)


# ---------------------------------------------------------------------------------------- [[observables]]
def observables_section(top: Table) -> tuple[Observable, ...]:
    """``[[observables]]`` of a booster reflectivity recipe: ``kind`` with ``sigma`` (known noise: dB,
    a time for the group delay, linear for s11) or ``weight``, and optionally ``noise`` ("independent", or
    "phase" for a group delay made from measured S11: the default for it, :class:`Observable`)."""
    obs = []
    seen = set()
    for t in top.tables("observables"):
        kind = t.string("kind", choices=OBSERVABLE_KINDS)
        if kind in seen:
            raise t.fail("kind", f"observable {kind!r} listed twice")
        seen.add(kind)
        sigma = None
        if "sigma" in t:
            if kind == "group_delay":
                sigma = float(np.asarray(t.quantity("sigma", "time", minimum=0.0, exclusive=True)).ravel()[0])
            else:
                sigma = t.number("sigma", minimum=0.0)
                if sigma <= 0:
                    raise t.fail("sigma", f"must be > 0 ({'dB' if kind != 's11' else 'linear'})")
        weight = t.number("weight", 1.0, minimum=0.0)
        if sigma is not None and "weight" in t:
            raise t.fail("weight", "give either sigma (known noise) or weight, not both")
        if weight <= 0:
            raise t.fail("weight", "must be > 0")
        noise = None
        if "noise" in t:
            noise = t.string("noise", choices=NOISE_MODELS)
            if noise == "phase" and kind != "group_delay":
                raise t.fail("noise", f"'phase' is the group delay's noise model; {kind} has independent noise")
        t.finish()
        obs.append(Observable(kind, sigma, float(weight), noise))
    if not obs:
        raise top.fail("observables", "list at least one [[observables]] table")
    return tuple(obs)
