"""Recipe kind ``montecarlo``: the boost-factor band, its sensitivity, and several runs combined.

A Monte-Carlo recipe names the booster reflectivity fit (a ``booster_reflectivity`` recipe, which is run,
or the ``fit.json`` of an earlier run), the receiver (a ``tsys_line_delay`` recipe: T_sys spectra, LNA
reflection and mean noise parameters, booster temperature, delay range, optional narrowband spectrum
for the mirror-gap refit), the 1-sigma of each LNA noise parameter, the Monte-Carlo settings and the
sensitivity settings; see docs/montecarlo.md for the format. :func:`run_recipe` writes, per run,
``band.csv``, ``reach.csv``, ``results.nc`` (NetCDF3), ``summary.json`` and three PNGs, and for several
runs ``combined_reach.csv`` / ``combined_reach.png``; finished samples are checkpointed in
``samples/`` of each run's folder.

>>> from pathlib import Path
>>> r = load_mc_recipe(Path(__file__).parents[2] / "fits" / "cb200_montecarlo.toml")
>>> r.samples, [run.name for run in r.runs]
(150, ['run-1.1', 'run-1.2'])
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import EmboostError, InputError, RecipeError
from emboost.core.setupfile import Table, read_toml

__all__ = ["ReceiverRecipe", "RunSettings", "MonteCarloRecipe", "load_receiver_recipe", "load_mc_recipe",
           "load_booster_fit_json", "build_model", "run_recipe"]


# ------------------------------------------------------------------------------------- receiver recipe
@dataclass(frozen=True, eq=False)
class ReceiverRecipe:
    """The parts of a ``tsys_line_delay`` recipe the Monte-Carlo needs (paths resolved, SI values)."""

    path: Path
    spectrum: Path
    column: str
    lna_s11: Path
    t_phys: float
    lna: tuple[float, float, float, float]
    delay_range: tuple[float, float]
    line_loss_db: float
    narrowband: Path | None
    narrowband_column: str
    gap_range: tuple[float, float] | None
    gap_grid: int
    savgol: tuple[int, int, bool]

    def inputs(self) -> list[Path]:
        return [self.path, self.spectrum, self.lna_s11] + ([self.narrowband] if self.narrowband else [])


def load_receiver_recipe(path: str | Path) -> ReceiverRecipe:
    """Read a ``tsys_line_delay`` recipe (see docs/noise.md) for its data and receiver settings."""
    from emboost.fit.noise import delay_settings, lna_sources_from_table, narrowband_settings
    from emboost.jobs.recipes import recipe_header, resolve_path

    path = Path(path)
    top, _ = recipe_header(path, None, "tsys_line_delay")
    data = top.table("data")
    spectrum = resolve_path(path, data.string("spectrum"))
    column = data.string("column", "t_sys")
    lna_s11 = resolve_path(path, data.string("lna_s11"))
    # the booster comes from the Monte-Carlo recipe's reflectivity fit, whichever the T_sys recipe names
    data.string("booster_fit" if "booster_fit" in data else "booster")
    data.finish()
    bt = top.table("booster")
    t_phys = float(bt.quantity("t_phys", "temperature", minimum=0.0))
    bt.finish()
    src = lna_sources_from_table(top.table("lna"))
    lna = (src.sqrt_sv, src.sqrt_si, src.rho_mag, src.rho_phase)
    lo, hi, loss = delay_settings(top)
    nb = narrowband_settings(top, path)
    nb_path, nb_col, gap_range, grid = (None, "t_sys", None, 201) if nb is None else (
        nb.spectrum, nb.column, nb.gap_range, nb.grid_points)
    window, order, robust = 11, 3, True
    noise = top.table("noise", None)
    if noise is not None:
        window = noise.number("savgol_window", window, integer=True, minimum=5)
        order = noise.number("savgol_order", order, integer=True, minimum=1)
        robust = noise.boolean("robust", robust)
        noise.finish()
        if window % 2 == 0 or order >= window:
            raise noise.fail("savgol_window", f"must be odd and larger than savgol_order, got {window}, {order}")
    top.table("window", None)  # a window of the line-delay fit does not apply to the spectra here
    top.finish()
    return ReceiverRecipe(path, spectrum, column, lna_s11, t_phys, lna, (lo, hi), loss, nb_path, nb_col, gap_range,
                          int(grid), (int(window), int(order), bool(robust)))


# ------------------------------------------------------------------------------------------ MC recipe
@dataclass(frozen=True)
class RunSettings:
    """One physics run: its receiver recipe, frequency sigma [Hz], gap refit, integration time [s], T_sys."""

    name: str
    receiver: ReceiverRecipe
    frequency_sigma: float
    refit_mirror_gap: bool
    time: float
    t_sys: float | None


@dataclass(frozen=True, eq=False)
class MonteCarloRecipe:
    """A parsed ``kind = "montecarlo"`` recipe (paths resolved, SI values)."""

    path: Path
    name: str
    booster_recipe: Path | None
    booster_fit: Path | None
    lna_sigma: tuple[float, float, float, float]
    band: tuple[float, float, int] | None
    samples: int
    seed: int
    chunk_size: int
    workers: int | None
    field_shape_sigma: float
    delay_window: float | None
    gap_window: float | None
    gap_grid: int | None
    convergence_window: int
    convergence_tolerance: float
    quantiles: tuple[float, ...]
    linear_check: bool
    snr: float
    b_field: float | None
    dm_density: float | None
    area: float | None
    q_a: float | None
    runs: tuple[RunSettings, ...]
    multi: bool


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return s or "run"


def load_mc_recipe(path: str | Path, top: Table | None = None) -> MonteCarloRecipe:
    """Parse and check a Monte-Carlo recipe (reads the receiver recipes, not the data)."""
    from emboost.jobs.recipes import resolve_path

    path = Path(path)
    if top is None:
        top = Table(read_toml(path, error=RecipeError), path=path, error=RecipeError)
    head = top.table("recipe")
    head.string("kind", choices=("montecarlo",))
    name = head.string("name", path.stem)
    head.string("description", "")
    head.finish()

    bt = top.table("booster")
    b_recipe = bt.string("recipe", None)
    b_fit = bt.string("fit", None)
    bt.finish()
    if (b_recipe is None) == (b_fit is None):
        raise bt.fail(None, "give exactly one of recipe (a booster_reflectivity recipe to run) or fit "
                            "(the fit.json of an earlier run)")
    b_recipe_p = resolve_path(path, b_recipe) if b_recipe else None
    b_fit_p = resolve_path(path, b_fit) if b_fit else None

    rt = top.table("receiver", None)
    default_receiver = None
    if rt is not None:
        default_receiver = resolve_path(path, rt.string("recipe"))
        rt.finish()

    ls = top.table("lna_sigma")
    lna_sigma = (float(ls.quantity("sqrt_sv", "voltage_noise", minimum=0.0)),
                 float(ls.quantity("sqrt_si", "current_noise", minimum=0.0)),
                 float(ls.quantity("rho_mag", "dimensionless", minimum=0.0)),
                 float(ls.quantity("rho_phase", "angle", minimum=0.0)))
    ls.finish()

    band = None
    if "band" in top:
        b = top.table("band")
        start = float(b.quantity("start", "frequency", minimum=0.0, exclusive=True))
        stop = float(b.quantity("stop", "frequency", minimum=0.0, exclusive=True))
        points = int(b.number("points", integer=True, minimum=3))
        b.finish()
        if stop <= start:
            raise b.fail("stop", "must be above band.start")
        band = (start, stop, points)

    mt = top.table("montecarlo")
    samples = int(mt.number("samples", integer=True, minimum=2))
    seed = int(mt.number("seed", integer=True, minimum=0))
    chunk = int(mt.number("chunk_size", 25, integer=True, minimum=1))
    workers = mt.number("workers", None, integer=True, minimum=1)
    shape_sigma = float(mt.quantity("field_shape_sigma", "dimensionless", minimum=0.0))
    freq_sigma = float(mt.quantity("frequency_sigma", "frequency", minimum=0.0))
    refit_gap = mt.boolean("refit_mirror_gap", False)
    delay_window = mt.quantity("delay_window", "time", None, minimum=0.0, exclusive=True)
    gap_window = mt.quantity("gap_window", "length", None, minimum=0.0, exclusive=True)
    gap_grid = mt.number("gap_grid_points", None, integer=True, minimum=5)
    conv_window = int(mt.number("convergence_window", 25, integer=True, minimum=2))
    conv_tol = float(mt.number("convergence_tolerance", 0.01, minimum=0.0))
    q = mt.raw("quantiles", [0.025, 0.16, 0.5, 0.84, 0.975])
    if not (isinstance(q, list) and q and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                               and 0 < x < 1 for x in q)):
        raise mt.fail("quantiles", f"expected a list of numbers in (0, 1), got {q!r}")
    linear = mt.boolean("linear_check", True)
    mt.finish()

    st = top.table("sensitivity")
    time_default = st.quantity("time", "time", None, minimum=0.0, exclusive=True)
    snr = float(st.number("snr", 5.0, minimum=0.0))
    if snr <= 0:
        raise st.fail("snr", "must be > 0")
    b_field = st.quantity("b_field", "magnetic_field", None, minimum=0.0, exclusive=True)
    rho = st.quantity("dm_density", "energy_density", None, minimum=0.0, exclusive=True)
    area = st.quantity("area", "area", None, minimum=0.0, exclusive=True)
    t_sys_default = st.quantity("t_sys", "temperature", None, minimum=0.0, exclusive=True)
    q_a = st.number("q_a", None, minimum=1.0)
    st.finish()

    receivers: dict[Path, ReceiverRecipe] = {}

    def receiver(p: Path) -> ReceiverRecipe:
        if p not in receivers:
            receivers[p] = load_receiver_recipe(p)
        return receivers[p]

    def settings(t: Table | None, name: str) -> RunSettings:
        def get(key: str, fn: Any, default: Any) -> Any:
            return fn(t, key) if t is not None and key in t else default

        rec_path = get("receiver", lambda tt, k: resolve_path(path, tt.string(k)), default_receiver)
        if rec_path is None:
            raise (t or top).fail("receiver", "name the receiver (tsys_line_delay) recipe: [receiver] recipe = ...")
        rec = receiver(rec_path)
        fs = float(get("frequency_sigma", lambda tt, k: tt.quantity(k, "frequency", minimum=0.0), freq_sigma))
        gap = bool(get("refit_mirror_gap", lambda tt, k: tt.boolean(k), refit_gap))
        tm = get("time", lambda tt, k: tt.quantity(k, "time", minimum=0.0, exclusive=True), time_default)
        if tm is None:
            raise (t or st).fail("time", "give the integration time (e.g. time = \"3 d\")")
        ts = get("t_sys", lambda tt, k: tt.quantity(k, "temperature", minimum=0.0, exclusive=True), t_sys_default)
        if gap and rec.narrowband is None:
            raise (t or mt).fail("refit_mirror_gap", f"the receiver recipe {rec.path} has no [narrowband] spectrum")
        return RunSettings(name, rec, fs, gap, float(tm), None if ts is None else float(ts))

    runs: list[RunSettings] = []
    multi = "runs" in top
    if multi:
        seen = set()
        for t in top.tables("runs"):
            nm = t.string("name")
            if _slug(nm) in seen:
                raise t.fail("name", f"run name {nm!r} is used twice")
            seen.add(_slug(nm))
            runs.append(settings(t, nm))
            t.finish()
        if not runs:
            raise top.fail("runs", "list at least one [[runs]] table")
    else:
        runs.append(settings(None, name))
    top.finish()
    return MonteCarloRecipe(path=path, name=name, booster_recipe=b_recipe_p, booster_fit=b_fit_p,
                            lna_sigma=lna_sigma, band=band, samples=samples, seed=seed, chunk_size=chunk,
                            workers=None if workers is None else int(workers), field_shape_sigma=shape_sigma,
                            delay_window=None if delay_window is None else float(delay_window),
                            gap_window=None if gap_window is None else float(gap_window),
                            gap_grid=None if gap_grid is None else int(gap_grid), convergence_window=conv_window,
                            convergence_tolerance=conv_tol, quantiles=tuple(float(x) for x in q),
                            linear_check=linear, snr=snr, b_field=None if b_field is None else float(b_field),
                            dm_density=None if rho is None else float(rho), area=None if area is None else float(area),
                            q_a=None if q_a is None else float(q_a), runs=tuple(runs), multi=multi)


# ------------------------------------------------------------------------------------- booster fit
def load_booster_fit_json(path: str | Path) -> Any:
    """Rebuild a :class:`~emboost.fit.booster.BoosterFitResult` (parameters, covariance, setup) from the
    ``fit.json`` written by a ``booster_reflectivity`` recipe. Data and model curves are not restored."""
    from emboost.booster.setup import load_booster_setup
    from emboost.fit.booster import BoosterFitResult
    from emboost.fit.core import FitResult

    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise RecipeError("file not found", path=path) from None
    except (OSError, ValueError) as exc:
        raise RecipeError(f"not a readable JSON file: {exc}", path=path) from None
    try:
        if doc["recipe"]["kind"] != "booster_reflectivity":
            raise RecipeError(f"expected the fit.json of a booster_reflectivity recipe, got kind "
                              f"{doc['recipe']['kind']!r}", path=path, key="recipe.kind")
        setup = load_booster_setup(doc["recipe"]["setup"])
        fit = doc["fit"]
        params = fit["parameters"]
        names = tuple(params)

        def col(key: str) -> np.ndarray:
            return np.array([np.nan if params[n][key] is None else float(params[n][key]) for n in names])

        free = tuple(fit["free"])
        cov = np.array(fit["covariance"], dtype=float)
        corr = np.array(fit["correlation"], dtype=float)
        stats = fit["statistics"]
        result = FitResult(names=names, values=col("value"), stderr=col("stderr"), initial=col("initial"), free=free,
                           covariance=cov, correlation=corr, chisqr=float(stats["chisqr"]),
                           redchi=float(stats["redchi"]), ndata=int(stats["ndata"]),
                           nfree=int(stats["degrees_of_freedom"]), nfev=int(stats["nfev"]), method=fit["method"],
                           scale_covar=bool(fit["scale_covar"]), success=bool(fit["success"]),
                           converged=bool(fit["converged"]), at_bound=tuple(fit["at_bound"]), message=fit["message"],
                           units=tuple(params[n]["display_unit"] for n in names),
                           bounds=np.column_stack([col("min"), col("max")]), residual=np.zeros(0))
        return BoosterFitResult(fit=result, base=setup.booster, frequency=setup.frequencies,
                                f_ref=float(doc["f_ref"]), observables=(), data={}, model={}), setup
    except (KeyError, TypeError, ValueError) as exc:
        raise RecipeError(f"not a booster fit result (missing or malformed {exc})", path=path) from None


def _booster_fit(r: MonteCarloRecipe) -> tuple[Any, Any, dict[str, Any], list[Path]]:
    """The booster fit (run or loaded), its setup, a JSON summary and the input files."""
    if r.booster_fit is not None:
        res, setup = load_booster_fit_json(r.booster_fit)
        return res, setup, {"source": str(r.booster_fit)}, [r.booster_fit]
    from emboost.fit.booster import fit_recipe

    res, br = fit_recipe(r.booster_recipe)
    doc = {"recipe": {"name": br.name, "kind": "booster_reflectivity", "setup": str(br.setup.path),
                      "data_parameter": br.data.parameter}}
    doc.update(res.to_dict(br.setup.frequencies))
    doc["converged"] = res.fit.converged
    doc["at_bound"] = list(res.fit.at_bound)
    return res, br.setup, doc, [r.booster_recipe, br.setup.path, br.data.path]


# ------------------------------------------------------------------------------------------ the model
def build_model(r: MonteCarloRecipe, run: RunSettings, fit: Any, setup: Any) -> tuple[Any, dict[str, Any]]:
    """The :class:`~emboost.mc.engine.MonteCarloModel` of one run, prepared (nominal refits, windows)."""
    from emboost.mc.engine import MonteCarloModel, TsysSpectrum, prepare_model
    from emboost.noise.amplifier import LNA, NoiseSources
    from emboost.noise.calibration import savgol_noise
    from emboost.noise.spectra import read_spectrum

    rec = run.receiver
    lna = LNA.from_touchstone(rec.lna_s11, NoiseSources(*rec.lna))
    window, order, robust = rec.savgol

    def spectrum(p: Path, column: str) -> TsysSpectrum:
        s = read_spectrum(p, columns=[column])
        y = s.column(column)
        return TsysSpectrum(s.frequency, y, savgol_noise(y, window, order, relative=True, robust=robust),
                            lna.gamma_at(s.frequency))

    if r.band is None:
        f = setup.frequencies
    else:
        f = np.linspace(*r.band)
    broadband = spectrum(rec.spectrum, rec.column)
    narrow = spectrum(rec.narrowband, rec.narrowband_column) if run.refit_mirror_gap else None
    try:
        setup.booster.check_band(f)
        lna.gamma_at(f[0] - 6 * run.frequency_sigma - f[1] + f[0])
        lna.gamma_at(f[-1] + 6 * run.frequency_sigma + f[1] - f[0])
    except EmboostError as exc:
        raise RecipeError(f"the band {f[0]:.6g}..{f[-1]:.6g} Hz (padded by 6 frequency sigma) does not suit the "
                          f"model or the LNA data: {exc.reason}", path=r.path, key="band") from None
    if not np.all(np.isfinite(fit.fit.covariance)):
        raise RecipeError("the booster fit has no covariance (not converged): nothing to sample from",
                          path=r.path, key="booster")
    model = MonteCarloModel(
        booster_fit=fit, center=fit.fit.free_values, covariance=fit.fit.covariance, parameter_names=fit.fit.free,
        lna=lna, lna_sigma=np.array(r.lna_sigma), t_phys=rec.t_phys, broadband=broadband,
        delay_bounds=rec.delay_range, frequency=f, field_shape_sigma=r.field_shape_sigma,
        frequency_sigma=run.frequency_sigma, narrowband=narrow,
        gap_bounds=rec.gap_range if run.refit_mirror_gap else None,
        gap_grid=(r.gap_grid or rec.gap_grid), line_loss_db=rec.line_loss_db)
    return prepare_model(model, rec.delay_range, r.delay_window, r.gap_window if run.refit_mirror_gap else None)


def _t_sys_band(run: RunSettings, model: Any) -> np.ndarray:
    """T_sys [K] on the output band: the run's value, or the measured broadband spectrum interpolated."""
    f = model.frequency
    if run.t_sys is not None:
        return np.full(f.shape, run.t_sys)
    bb = model.broadband
    if f[0] < bb.frequency[0] or f[-1] > bb.frequency[-1]:
        raise RecipeError(f"the band {f[0]:.6g}..{f[-1]:.6g} Hz reaches outside the measured T_sys spectrum; "
                          "give [sensitivity] t_sys", key="sensitivity.t_sys")
    return np.interp(f, bb.frequency, bb.t_sys)


# ---------------------------------------------------------------------------------------------- output
def _write_netcdf(path: Path, f: np.ndarray, variables: dict[str, tuple[tuple[str, ...], np.ndarray, str]],
                  dims: dict[str, int], attrs: dict[str, Any]) -> None:
    import io

    from scipy.io import netcdf_file

    from emboost.core.output import atomic_write_bytes

    buf = io.BytesIO()
    nc = netcdf_file(buf, "w", version=2)
    for k, v in attrs.items():
        setattr(nc, k, v if isinstance(v, (int, float, str)) else json.dumps(v))
    for d, n in dims.items():
        nc.createDimension(d, n)
    for name, (dd, values, unit) in variables.items():
        var = nc.createVariable(name, "d" if np.asarray(values).dtype.kind == "f" else "i", dd)
        var[:] = values
        var.units = unit
    nc.flush()
    atomic_write_bytes(path, buf.getvalue())
    del f


def _qname(q: float) -> str:
    return f"q{100 * q:g}".replace(".", "_")


def _run_one(r: MonteCarloRecipe, run: RunSettings, index: int, fit: Any, setup: Any, out: Path, *, samples: int,
             seed: int, workers: int | None, scheduler: str | None, fresh: bool, quiet: bool,
             inputs: list[Path]) -> tuple[dict[str, Any], Any, np.ndarray, np.ndarray]:
    from emboost.core.output import atomic_write_csv, atomic_write_json, provenance
    from emboost.mc.engine import band_statistics, linear_propagation, reach_samples
    from emboost.mc.engine import run_montecarlo as run_mc
    from emboost.reach.sensitivity import axion_linewidth, qcd_lines
    from emboost.report.plots import band_png, relative_uncertainty_png

    model, nominal_info = build_model(r, run, fit, setup)
    run_seed: Any = [seed, index] if r.multi else seed
    res = run_mc(model, samples, run_seed, chunk_size=r.chunk_size, workers=workers, scheduler=scheduler,
                 checkpoint=out, fresh=fresh, quiet=quiet, label=run.name)
    f = res.frequency
    stats = band_statistics(res.boost, r.quantiles)
    conv = res.convergence(r.convergence_window, r.convergence_tolerance)
    mean, std = stats["mean"], stats["std"]
    lin = linear_propagation(model) if r.linear_check else None
    # sensitivity
    area = r.area if r.area is not None else setup.area
    b_field = r.b_field if r.b_field is not None else setup.b_field
    rho = r.dm_density if r.dm_density is not None else setup.dm_density
    if b_field is None or not math.isfinite(area):
        raise RecipeError("the sensitivity needs b_field and area: give them in [sensitivity] or in the setup's "
                          "[experiment] / [cylinder]", path=r.path, key="sensitivity")
    t_sys = _t_sys_band(run, model)
    dnu = axion_linewidth(f, r.q_a)
    g = reach_samples(res.boost, f, t_sys, area, b_field, run.time, snr=r.snr, rho=rho, linewidth=dnu)
    g_nom = reach_samples(res.nominal[None, :], f, t_sys, area, b_field, run.time, snr=r.snr, rho=rho,
                          linewidth=dnu)[0]
    g_q = np.quantile(g, r.quantiles, axis=0)
    lines = qcd_lines(f)
    # files
    cols: dict[str, Any] = {"frequency_Hz": f, "mean": mean, "std": std,
                            "relative_std": std / mean, "nominal": res.nominal}
    for q, v in zip(r.quantiles, stats["quantiles"]):
        cols[_qname(q)] = v
    if lin is not None:
        cols["linear_std"] = lin.std
        for k, v in lin.parts.items():
            cols[f"linear_std_{k}"] = v
    atomic_write_csv(out / "band.csv", cols, comments=[
        f"emboost montecarlo {r.name} / {run.name}: delivered boost factor, {samples} samples, seed {run_seed}",
        "mean, std (ddof 1) and quantiles per frequency; nominal = best-fit parameters without shape factor or shift",
        conv.message])
    rc: dict[str, Any] = {"frequency_Hz": f, "t_sys_K": t_sys, "g_nominal_GeV": g_nom,
                          "g_median_GeV": np.median(g, axis=0)}
    for q, v in zip(r.quantiles, g_q):
        rc[f"g_{_qname(q)}_GeV"] = v
    rc["ksvz_GeV"] = lines["KSVZ"]
    rc["dfsz_GeV"] = lines["DFSZ"]
    atomic_write_csv(out / "reach.csv", rc, comments=[
        f"emboost montecarlo {r.name} / {run.name}: |g_ag| reach (MADMAX eq. 1.1) per boost-factor sample",
        f"SNR {r.snr:g}, time {run.time:g} s, B {b_field:g} T, area {area:g} m^2, rho {rho:g} J/m^3, "
        f"linewidth f/{(r.q_a or f[0] / dnu[0]):.4g}"])
    k = int(np.argmax(mean))
    on_bound = int(np.count_nonzero(res.on_bound))
    summary: dict[str, Any] = {
        "run": run.name, "samples": samples, "seed": run_seed, "chunk_size": r.chunk_size,
        "receiver_recipe": str(run.receiver.path), "refit_mirror_gap": run.refit_mirror_gap,
        "field_shape_sigma": r.field_shape_sigma, "frequency_sigma_Hz": run.frequency_sigma,
        "lna_sigma_SI": dict(zip(("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase"), r.lna_sigma)),
        "delay_search_s": list(model.delay_bounds), "gap_search_m": model.gap_bounds,
        "nominal_refits": nominal_info,
        "refits": {"tau_mean_s": float(np.mean(res.tau)), "tau_std_s": float(np.std(res.tau, ddof=1)),
                   "tau_redchi_median": float(np.median(res.tau_redchi)),
                   "gap_mean_m": float(np.mean(res.gap)) if run.refit_mirror_gap else None,
                   "gap_std_m": float(np.std(res.gap, ddof=1)) if run.refit_mirror_gap else None,
                   "samples_on_search_edge": on_bound},
        "convergence": dataclasses.asdict(conv),
        "peak": {"frequency_Hz": f[k], "mean": mean[k], "std": std[k], "relative_std": std[k] / mean[k],
                 "nominal": res.nominal[k], "linear_std": None if lin is None else lin.std[k],
                 "mc_over_linear_std": None if lin is None else std[k] / lin.std[k],
                 "g_median_GeV": float(np.median(g[:, k])), "g_nominal_GeV": g_nom[k],
                 "ksvz_GeV": lines["KSVZ"][k], "dfsz_GeV": lines["DFSZ"][k]},
        "sensitivity": {"snr": r.snr, "time_s": run.time, "b_field_T": b_field, "area_m2": area,
                        "dm_density_J_per_m3": rho, "t_sys": "given" if run.t_sys is not None else "measured"},
        "timing": res.timing,
        "provenance": provenance(inputs + run.receiver.inputs()),
    }
    if r.multi:
        atomic_write_json(out / "summary.json", summary)
    nq = len(r.quantiles)
    variables: dict[str, Any] = {
        "frequency": (("frequency",), f, "Hz"), "quantile": (("quantile",), np.array(r.quantiles), "1"),
        "mean": (("frequency",), mean, "1"), "std": (("frequency",), std, "1"),
        "quantiles": (("quantile", "frequency"), stats["quantiles"], "1"),
        "nominal": (("frequency",), res.nominal, "1"),
        "t_sys": (("frequency",), t_sys, "K"), "g_nominal": (("frequency",), g_nom, "GeV-1"),
        "g_quantiles": (("quantile", "frequency"), g_q, "GeV-1"),
        "sample_tau": (("sample",), res.tau, "s"), "sample_gap": (("sample",), res.gap, "m"),
        "sample_tau_redchi": (("sample",), res.tau_redchi, "1"),
        "sample_shape_factor": (("sample",), res.draws.shape, "1"),
        "sample_frequency_shift": (("sample",), res.draws.shift, "Hz"),
        "sample_on_bound": (("sample",), res.on_bound.astype(np.int32), "1"),
        "sample_peak_boost": (("sample",), res.boost[:, k], "1"),
        "sample_booster_parameters": (("sample", "booster_parameter"), res.draws.booster, "SI"),
        "sample_lna_parameters": (("sample", "lna_parameter"), res.draws.lna, "SI"),
    }
    if lin is not None:
        variables["linear_std"] = (("frequency",), lin.std, "1")
    _write_netcdf(out / "results.nc", f, variables,
                  {"frequency": f.size, "quantile": nq, "sample": samples,
                   "booster_parameter": model.n_booster, "lna_parameter": 4},
                  {"title": f"emboost montecarlo: {r.name} / {run.name}", "seed": json.dumps(run_seed),
                   "samples": samples, "converged": int(conv.converged),
                   "convergence_max_relative_change": conv.max_relative_change,
                   "booster_parameters": ",".join(model.parameter_names),
                   "lna_parameters": "sqrt_sv,sqrt_si,rho_mag,rho_phase"})
    title = f"{r.name}: {run.name} ({samples} samples)"
    band_png(out / "boost_band.png", f, stats, r.quantiles, res.nominal, title=title)
    curves = {"Monte-Carlo": std / mean}
    if lin is not None:
        curves["linear propagation"] = lin.std / lin.nominal
    relative_uncertainty_png(out / "boost_relative_uncertainty.png", f, curves, title=title)
    gstats = {"mean": np.median(g, axis=0), "quantiles": g_q}
    band_png(out / "reach.png", f, gstats, r.quantiles, None, title=title + f", SNR {r.snr:g}",
             ylabel=r"$|g_{a\gamma}|$ reach [GeV$^{-1}$]", log=True, lines=lines, center_label="Monte-Carlo median")
    if not quiet:
        lin_txt = "" if lin is None else f", linear {lin.std[k]:.4g} (MC/linear {std[k] / lin.std[k]:.3f})"
        print(f"{run.name}: peak boost factor {mean[k]:.4g} +- {std[k]:.4g} ({100 * std[k] / mean[k]:.1f} %) at "
              f"{f[k] / 1e9:.5f} GHz{lin_txt}")
        print(f"{run.name}: |g_ag| median {np.median(g[:, k]):.3g} GeV^-1 at the peak (KSVZ {lines['KSVZ'][k]:.3g})")
        print(f"{run.name}: {conv.message}")
        if on_bound:
            print(f"{run.name}: WARNING {on_bound} samples ended on the edge of a refit search window")
        for what in ("tau", "gap"):
            chi = nominal_info[f"{what}_redchi"]
            if math.isfinite(chi) and chi > 10:
                print(f"{run.name}: WARNING the {what} refit at the best booster parameters has reduced chi^2 "
                      f"{chi:.3g}: the fitted booster does not describe this T_sys spectrum well")
    return summary, res, g, dnu


def run_recipe(path: Path, top: Table, out: Path, quiet: bool = False, *, samples: int | None = None,
               seed: int | None = None, workers: int | None = None, scheduler: str | None = None,
               resume: bool = False) -> int:
    """Run a Monte-Carlo recipe into ``out``; returns 0, or 3 when a run did not converge or the booster
    fit is not ok (results are written and flagged). Without ``resume`` an old checkpoint in ``out`` is
    discarded; with it, finished chunks are reused (refused if the settings differ)."""
    from emboost.core.output import atomic_write_csv, atomic_write_json, provenance
    from emboost.mc.engine import band_statistics, combine_reach
    from emboost.reach.sensitivity import qcd_lines
    from emboost.report.plots import band_png

    r = load_mc_recipe(path, top)
    n = r.samples if samples is None else int(samples)
    if n < 2:
        raise InputError(f"--samples must be >= 2, got {n}", key="samples")
    s = r.seed if seed is None else int(seed)
    if s < 0:
        raise InputError(f"--seed must be >= 0, got {s}", key="seed")
    w = workers if workers is not None else r.workers
    fit, setup, fit_doc, inputs = _booster_fit(r)
    inputs = [path] + inputs
    if r.booster_recipe is not None:
        atomic_write_json(out / "booster_fit.json", fit_doc | {"provenance": provenance(inputs[1:])})
    status = 0 if fit.fit.ok else 3
    if status and not quiet:
        print(f"WARNING: booster fit not converged or on a bound: {list(fit.fit.at_bound)} {fit.fit.message}")
    summaries, reaches = [], []
    for i, run in enumerate(r.runs):
        run_out = out / _slug(run.name) if r.multi else out
        run_out.mkdir(parents=True, exist_ok=True)
        summ, res, g, _ = _run_one(r, run, i, fit, setup, run_out, samples=n, seed=s, workers=w,
                                   scheduler=scheduler, fresh=not resume, quiet=quiet, inputs=inputs)
        summaries.append(summ)
        reaches.append((res.frequency, g))
        if not summ["convergence"]["converged"]:
            status = 3
    doc: dict[str, Any] = {"recipe": {"name": r.name, "kind": "montecarlo", "path": str(path)},
                           "booster_fit": {"free": list(fit.fit.free), "values": fit.fit.free_values,
                                           "covariance": fit.fit.covariance, "ok": fit.fit.ok},
                           "runs": summaries}
    if r.multi:
        fc = np.unique(np.concatenate([fr for fr, _ in reaches]))
        gc = combine_reach(fc, reaches)
        gstats = band_statistics(gc, r.quantiles)
        lines = qcd_lines(fc)
        cols: dict[str, Any] = {"frequency_Hz": fc, "g_median_GeV": np.median(gc, axis=0)}
        for q, v in zip(r.quantiles, gstats["quantiles"]):
            cols[f"g_{_qname(q)}_GeV"] = v
        cols["ksvz_GeV"], cols["dfsz_GeV"] = lines["KSVZ"], lines["DFSZ"]
        atomic_write_csv(out / "combined_reach.csv", cols, comments=[
            f"emboost montecarlo {r.name}: runs {', '.join(x.name for x in r.runs)} combined as uncorrelated, "
            "sample by sample, g^-4 = sum g_run^-4"])
        band_png(out / "combined_reach.png", fc, {"mean": np.median(gc, axis=0), "quantiles": gstats["quantiles"]},
                 r.quantiles, None, title=f"{r.name}: {len(r.runs)} runs combined", log=True, lines=lines,
                 ylabel=r"$|g_{a\gamma}|$ reach [GeV$^{-1}$]", center_label="Monte-Carlo median")
        k = int(np.argmin(np.median(gc, axis=0)))
        doc["combined"] = {"runs": [x.name for x in r.runs], "best_frequency_Hz": fc[k],
                           "g_median_GeV": float(np.median(gc[:, k])),
                           "g_relative_std": float(np.std(gc[:, k], ddof=1) / np.mean(gc[:, k]))}
        if not quiet:
            print(f"combined ({len(r.runs)} runs): best |g_ag| median {doc['combined']['g_median_GeV']:.3g} GeV^-1 "
                  f"at {fc[k] / 1e9:.5f} GHz")
    atomic_write_json(out / "summary.json", doc | {"provenance": provenance(inputs)})
    if not quiet:
        print(f"results in {out}")
    return status
