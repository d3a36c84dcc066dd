"""Recipe kind ``montecarlo``: the boost-factor band, its sensitivity, and several runs combined.

A Monte-Carlo recipe names the booster reflectivity fit (a ``booster_reflectivity`` recipe, which is run,
or the ``fit.json`` of an earlier run), the receiver (a ``tsys_line_delay`` recipe: T_sys spectra, LNA
reflection and mean noise parameters, booster temperature, delay range, optional narrowband spectrum
for the mirror-gap refit), the 1-sigma of each LNA noise parameter, the Monte-Carlo settings and the
sensitivity settings; see docs/montecarlo.md and docs/recipes.md for the format. :func:`run_recipe` calls
the stages of :mod:`emboost.jobs.stages` (the same as ``emboost derive``) and writes, per run,
``band.csv``, ``reach.csv``, ``results.nc`` (the schema of :mod:`emboost.mc.ncschema`, shared with ``emboost
derive``: NetCDF4 through xarray + h5netcdf, else NetCDF3), ``summary.json`` and three PNGs, and for several
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

from emboost.booster.setup import BoosterSetup
from emboost.core.errors import InputError, RecipeError
from emboost.core.setupfile import Table, read_toml
from emboost.fit.booster import BoosterFitResult
from emboost.jobs.files import write_csv, write_results
from emboost.jobs.fit_recipes import LineDelayRecipe, load_line_delay_recipe
from emboost.jobs.inputs import Inputs
from emboost.jobs.recipes import recipe_header, resolve_path
from emboost.jobs.sections import (
    BandSettings,
    MonteCarloSettings,
    SensitivitySettings,
    band_section,
    montecarlo_section,
    sensitivity_section,
)
from emboost.jobs.stages import MonteCarloBand, ReachResult
from emboost.mc.engine import MonteCarloModel, UncertaintyBudget, uncertainty_budget
from emboost.mc.ncschema import global_attributes

__all__ = ["RunSettings", "MonteCarloRecipe", "load_mc_recipe", "load_booster_fit_json", "build_model",
           "run_recipe", "mc_variables", "booster_fit_verdict"]


# ------------------------------------------------------------------------------------------ MC recipe
@dataclass(frozen=True)
class RunSettings:
    """One physics run: its receiver recipe, frequency sigma [Hz], gap refit, integration time [s], T_sys."""

    name: str
    receiver: LineDelayRecipe
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
    band: BandSettings | None
    montecarlo: MonteCarloSettings
    sensitivity: SensitivitySettings
    t_sys_relative_sigma: float
    runs: tuple[RunSettings, ...]
    multi: bool

    # the Monte-Carlo settings under their old names
    @property
    def samples(self) -> int:
        return self.montecarlo.samples

    @property
    def seed(self) -> int:
        return self.montecarlo.seed

    @property
    def field_shape_sigma(self) -> float:
        return self.montecarlo.field_shape_sigma

    @property
    def delay_window(self) -> float | None:
        return self.montecarlo.delay_window

    @property
    def quantiles(self) -> tuple[float, ...]:
        return self.montecarlo.quantiles


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return s or "run"


def load_mc_recipe(path: str | Path, top: Table | None = None) -> MonteCarloRecipe:
    """Parse and check a Monte-Carlo recipe (reads the receiver recipes, not the data)."""
    path = Path(path)
    if top is None:
        top = Table(read_toml(path, error=RecipeError), path=path, error=RecipeError)
    top, name = recipe_header(path, top, "montecarlo")

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

    band = band_section(top)
    mc = montecarlo_section(top)
    sens = sensitivity_section(top, t_sys_sigma=True)
    assert sens.t_sys_relative_sigma is not None

    receivers: dict[Path, LineDelayRecipe] = {}

    def receiver(p: Path) -> LineDelayRecipe:
        if p not in receivers:
            receivers[p] = load_line_delay_recipe(p)
        return receivers[p]

    def settings(t: Table | None, name: str) -> RunSettings:
        def has(key: str) -> bool:
            return t is not None and key in t

        rec_path = resolve_path(path, t.string("receiver")) if t is not None and has("receiver") else default_receiver
        if rec_path is None:
            raise (t or top).fail("receiver", "name the receiver (tsys_line_delay) recipe: [receiver] recipe = ...")
        rec = receiver(rec_path)
        fs = float(t.quantity("frequency_sigma", "frequency", minimum=0.0)) if t is not None and has(
            "frequency_sigma") else mc.frequency_sigma
        gap = t.boolean("refit_mirror_gap") if t is not None and has("refit_mirror_gap") else mc.refit_mirror_gap
        tm = float(t.quantity("time", "time", minimum=0.0, exclusive=True)) if t is not None and has(
            "time") else sens.time
        if tm is None:
            raise (t or top).fail("time" if t is not None else "sensitivity.time",
                                  "give the integration time (e.g. time = \"3 d\")")
        ts = float(t.quantity("t_sys", "temperature", minimum=0.0, exclusive=True)) if t is not None and has(
            "t_sys") else sens.t_sys
        if gap and rec.narrowband is None:
            raise (t or top).fail("refit_mirror_gap" if t is not None else "montecarlo.refit_mirror_gap",
                                  f"the receiver recipe {rec.path} has no [narrowband] spectrum")
        return RunSettings(name, rec, fs, bool(gap), float(tm), ts)

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
                            lna_sigma=lna_sigma, band=band, montecarlo=mc, sensitivity=sens,
                            t_sys_relative_sigma=float(sens.t_sys_relative_sigma), runs=tuple(runs), multi=multi)


# ------------------------------------------------------------------------------------- booster fit
def load_booster_fit_json(path: str | Path, inputs: Inputs | None = None) -> tuple[BoosterFitResult, BoosterSetup]:
    """Rebuild a :class:`~emboost.fit.booster.BoosterFitResult` (parameters, covariance, setup) from the
    ``fit.json`` written by a ``booster_reflectivity`` recipe. Data and model curves are not restored."""
    from emboost.core.errors import DataFileError
    from emboost.fit.core import FitResult

    inputs = inputs if inputs is not None else Inputs()
    path = Path(path)
    try:
        doc = json.loads(inputs.text(path))
    except DataFileError as exc:
        raise RecipeError(exc.reason, path=path) from None
    except ValueError as exc:
        raise RecipeError(f"not a readable JSON file: {exc}", path=path) from None
    try:
        if doc["recipe"]["kind"] != "booster_reflectivity":
            raise RecipeError(f"expected the fit.json of a booster_reflectivity recipe, got kind "
                              f"{doc['recipe']['kind']!r}", path=path, key="recipe.kind")
        setup = inputs.setup(doc["recipe"]["setup"])
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


def _booster_fit(r: MonteCarloRecipe, inputs: Inputs) -> tuple[BoosterFitResult, BoosterSetup, dict[str, Any],
                                                              list[Path]]:
    """The booster fit (run or loaded), its setup, a JSON summary and the input files."""
    from emboost.jobs.fit_recipes import booster_fit_document, fit_recipe

    if r.booster_fit is not None:
        res, setup = load_booster_fit_json(r.booster_fit, inputs)
        return res, setup, {"source": str(r.booster_fit)}, [r.booster_fit]
    assert r.booster_recipe is not None
    res, br = fit_recipe(r.booster_recipe, inputs=inputs)
    doc = booster_fit_document(res, br.name, br.setup, br.data.parameter)
    return res, br.setup, doc, [r.booster_recipe, br.setup.path, br.data.path]


def booster_fit_verdict(fit: BoosterFitResult, doc: dict[str, Any], fit_json: Path | None) -> dict[str, Any]:
    """The booster fit's verdict (:meth:`~emboost.fit.booster.BoosterFitResult.verdict`: ok, reason, checks).

    A fit run now is judged here; a fit read from ``fit.json`` keeps the verdict recorded when it was made (its
    data are not stored), or, in a file without one, is judged on what the file holds (convergence, bounds,
    precision, physical values)."""
    if fit_json is None:
        return fit.verdict().to_dict()
    try:
        recorded = json.loads(fit_json.read_text()).get("verdict")
    except (OSError, ValueError):
        recorded = None
    if isinstance(recorded, dict) and "ok" in recorded:
        return {"ok": bool(recorded["ok"]), "reason": str(recorded.get("reason", "")),
                "checks": recorded.get("checks", []), "recorded_in": str(fit_json)}
    from emboost.fit.core import Verdict, bounds_check, converged_check

    v = Verdict((converged_check(fit.fit), bounds_check(fit.fit)))
    return v.to_dict() | {"note": f"{fit_json} holds no verdict: convergence and bounds checked only"}


# ------------------------------------------------------------------------------------------ the model
def build_model(r: MonteCarloRecipe, run: RunSettings, fit: BoosterFitResult, setup: BoosterSetup,
                inputs: Inputs | None = None) -> tuple[MonteCarloModel, dict[str, float]]:
    """The :class:`~emboost.mc.engine.MonteCarloModel` of one run, prepared (nominal refits, windows)."""
    from emboost.jobs.fit_recipes import broadband_spectrum, narrowband_spectrum
    from emboost.jobs.stages import montecarlo_model

    inputs = inputs if inputs is not None else Inputs()
    rec = run.receiver
    lna = inputs.lna(rec.lna_s11, rec.sources)
    f = setup.frequencies if r.band is None else r.band.frequencies()
    broadband = broadband_spectrum(rec, inputs, rec.sources)
    narrow = narrowband_spectrum(rec, inputs) if run.refit_mirror_gap else None
    gap_range = rec.narrowband.gap_range if run.refit_mirror_gap and rec.narrowband is not None else None
    gap_grid = r.montecarlo.gap_grid_points or (rec.narrowband.grid_points if rec.narrowband is not None else 201)
    return montecarlo_model(fit, lna, r.lna_sigma, rec.t_phys, broadband, narrow, rec.delay, f, r.montecarlo,
                            run.frequency_sigma, gap_range, gap_grid, where=r.path)


def _t_sys_band(run: RunSettings, model: MonteCarloModel) -> np.ndarray:
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
def _si_units(fit: BoosterFitResult) -> list[str]:
    """The SI unit of each free booster parameter (the order of the samples' columns)."""
    from emboost.jobs.recipes import si_unit

    return [si_unit(fit.fit.units[fit.fit.names.index(n)]) for n in fit.fit.free]


def top_raw(r: MonteCarloRecipe) -> dict[str, Any]:
    """The recipe's TOML document (for the stated sources of its assumed numbers)."""
    return read_toml(r.path, error=RecipeError)


def _source(raw: dict[str, Any], key: str) -> str:
    v = raw.get("montecarlo", {}).get(key)
    src = v.get("source") if isinstance(v, dict) else None
    return src if isinstance(src, str) and src.strip() else "not stated in the recipe"


def _budget_at(b: UncertaintyBudget, boost: np.ndarray, shape: np.ndarray, k: int) -> dict[str, Any]:
    """The uncertainty budget at band index ``k`` (boost-factor units; docs/derive.md)."""
    return {"unit": "1 (boost factor)", "frequency_Hz": float(b.frequency[k]),
            "sources": {n: float(v[k]) for n, v in b.sources.items()},
            "paths": {n: float(v[k]) for n, v in b.channels.items() if n != "lna_direct"},
            "path_cross_variance": float(b.channel_cross[k] + b.channels["lna_direct"][k] ** 2),
            "total_linear": float(b.total[k]), "mc_std": float(np.std(boost[:, k], ddof=1)),
            "mc_std_without_field_shape": float(np.std(boost[:, k] / shape, ddof=1))}


def _qname(q: float) -> str:
    return f"q{100 * q:g}".replace(".", "_")


def mc_variables(r: MonteCarloRecipe, fit: BoosterFitResult, model: MonteCarloModel, band: MonteCarloBand,
                 reach: ReachResult, t_sys: np.ndarray, budget: UncertaintyBudget,
                 g_quantiles: np.ndarray) -> dict[str, Any]:
    """The variables of a run's ``results.nc`` in the schema shared with ``emboost derive``
    (:mod:`emboost.mc.ncschema`)."""
    from emboost.mc.ncschema import sample_variables

    res, f = band.result, band.frequency
    lin = band.linear
    k = int(np.argmax(band.mean))
    v: dict[str, Any] = {
        "frequency": (("frequency",), f), "quantile": (("quantile",), np.array(r.quantiles, float)),
        "boost_mean": (("frequency",), band.mean), "boost_std": (("frequency",), band.std),
        "boost_quantiles": (("quantile", "frequency"), np.asarray(band.quantiles)),
        "boost_nominal": (("frequency",), res.nominal),
        "boost_std_without_field_shape": (("frequency",),
                                          np.std(res.boost / res.draws.shape[:, None], axis=0, ddof=1)),
        "t_sys": (("frequency",), t_sys), "g_nominal": (("frequency",), reach.g_nominal),
        "g_median": (("frequency",), np.median(reach.g, axis=0)),
        "g_quantiles": (("quantile", "frequency"), np.asarray(g_quantiles)),
        "g": (("sample", "frequency"), reach.g),
        "peak_boost": (("sample",), res.boost[:, k]),
    }
    if lin is not None:
        v["boost_linear_std"] = (("frequency",), lin.std)
    for n, x in budget.sources.items():
        v[f"budget_{n}_std"] = (("frequency",), x)
    for n, x in budget.channels.items():
        if n != "lna_direct":
            v[f"budget_path_{n}_std"] = (("frequency",), x)
    v["budget_total_linear_std"] = (("frequency",), budget.total)
    v.update(sample_variables(res.boost, res.tau, res.gap, res.tau_redchi, res.draws.shape, res.draws.shift,
                              res.on_bound, res.draws.booster, list(model.parameter_names), _si_units(fit),
                              res.draws.lna))
    return v


def _run_one(r: MonteCarloRecipe, run: RunSettings, index: int, fit: BoosterFitResult, setup: BoosterSetup,
             out: Path, *, samples: int, seed: int, workers: int | None, scheduler: str | None, fresh: bool,
             quiet: bool, inputs: list[Path], loaded: Inputs,
             verdict: dict[str, Any]) -> tuple[dict[str, Any], MonteCarloBand, ReachResult]:
    from emboost.core.output import atomic_write_json, provenance
    from emboost.jobs.stages import montecarlo_stage, reach_stage
    from emboost.report.plots import band_png, relative_uncertainty_png

    mcs, sn = r.montecarlo, r.sensitivity
    model, nominal_info = build_model(r, run, fit, setup, loaded)
    run_seed: int | list[int] = [seed, index] if r.multi else seed
    band = montecarlo_stage(model, samples, run_seed, mcs, workers=workers, scheduler=scheduler, checkpoint=out,
                            fresh=fresh, quiet=quiet, label=run.name)
    res = band.result
    f = res.frequency
    stats = {"mean": band.mean, "std": band.std, "quantiles": band.quantiles}
    mean, std = band.mean, band.std
    lin = band.linear
    # sensitivity
    area = sn.area if sn.area is not None else setup.area
    b_field = sn.b_field if sn.b_field is not None else setup.b_field
    rho = sn.dm_density if sn.dm_density is not None else setup.dm_density
    if b_field is None or not math.isfinite(area):
        raise RecipeError("the sensitivity needs b_field and area: give them in [sensitivity] or in the setup's "
                          "[experiment] / [cylinder]", path=r.path, key="sensitivity")
    t_sys = _t_sys_band(run, model)
    reach = reach_stage(res.boost, res.nominal, f, t_sys, r.t_sys_relative_sigma, run_seed, area=area,
                        b_field=b_field, rho=rho, time=run.time, snr=sn.snr, q_a=sn.q_a, quantiles=mcs.quantiles)
    g, g_nom, g_q, dnu, lines = reach.g, reach.g_nominal, reach.g_quantiles, reach.linewidth, reach.lines
    # files
    cols: dict[str, Any] = {"frequency_Hz": f, "mean": mean, "std": std,
                            "relative_std": std / mean, "nominal": res.nominal}
    for q, v in zip(r.quantiles, stats["quantiles"]):
        cols[_qname(q)] = v
    if lin is not None:
        cols["linear_std"] = lin.std
        for part, v in lin.parts.items():
            cols[f"linear_std_{part}"] = v
    budget = uncertainty_budget(model)
    for part, v in budget.channels.items():
        if part != "lna_direct":
            cols[f"path_std_{part}"] = v
    cols["std_without_field_shape"] = np.std(res.boost / res.draws.shape[:, None], axis=0, ddof=1)
    write_csv(out / "band.csv", cols, comments=[
        f"emboost montecarlo {r.name} / {run.name}: delivered boost factor, {samples} samples, seed {run_seed}",
        "mean, std (ddof 1) and quantiles per frequency; nominal = best-fit parameters without shape factor or shift",
        band.convergence_message])
    rc: dict[str, Any] = {"frequency_Hz": f, "t_sys_K": t_sys, "g_nominal_GeV": g_nom,
                          "g_median_GeV": np.median(g, axis=0)}
    for q, v in zip(r.quantiles, g_q):
        rc[f"g_{_qname(q)}_GeV"] = v
    rc["ksvz_GeV"] = lines["KSVZ"]
    rc["dfsz_GeV"] = lines["DFSZ"]
    write_csv(out / "reach.csv", rc, comments=[
        f"emboost montecarlo {r.name} / {run.name}: |g_ag| reach (MADMAX eq. 1.1) per boost-factor sample, "
        f"T_sys drawn per sample with relative 1-sigma {r.t_sys_relative_sigma:g}",
        f"SNR {sn.snr:g}, time {run.time:g} s, B {b_field:g} T, area {area:g} m^2, rho {rho:g} J/m^3, "
        f"linewidth f/{(sn.q_a or f[0] / dnu[0]):.4g}"])
    k = int(np.argmax(mean))
    on_bound = int(np.count_nonzero(res.on_bound))
    summary: dict[str, Any] = {
        "run": run.name, "samples": samples, "seed": run_seed, "chunk_size": mcs.chunk_size,
        "receiver_recipe": str(run.receiver.path), "refit_mirror_gap": run.refit_mirror_gap,
        "field_shape_sigma": r.field_shape_sigma, "field_shape_sigma_source": _source(top_raw(r), "field_shape_sigma"),
        "frequency_sigma_Hz": run.frequency_sigma,
        "lna_sigma_SI": dict(zip(("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase"), r.lna_sigma)),
        "delay_search_s": list(model.delay_bounds), "gap_search_m": model.gap_bounds,
        "nominal_refits": nominal_info,
        "uncertainty_budget_at_peak": _budget_at(budget, res.boost, res.draws.shape, int(np.argmax(mean))),
        "refits": {"tau_mean_s": float(np.mean(res.tau)), "tau_std_s": float(np.std(res.tau, ddof=1)),
                   "tau_redchi_median": float(np.median(res.tau_redchi)),
                   "gap_mean_m": float(np.mean(res.gap)) if run.refit_mirror_gap else None,
                   "gap_std_m": float(np.std(res.gap, ddof=1)) if run.refit_mirror_gap else None,
                   "samples_on_search_edge": on_bound},
        "convergence": dataclasses.asdict(band.convergence),
        "peak": {"frequency_Hz": f[k], "mean": mean[k], "std": std[k], "relative_std": std[k] / mean[k],
                 "nominal": res.nominal[k], "linear_std": None if lin is None else lin.std[k],
                 "mc_over_linear_std": None if lin is None else std[k] / lin.std[k],
                 "g_median_GeV": float(np.median(g[:, k])), "g_nominal_GeV": g_nom[k],
                 "ksvz_GeV": lines["KSVZ"][k], "dfsz_GeV": lines["DFSZ"][k]},
        "sensitivity": {"snr": sn.snr, "time_s": run.time, "b_field_T": b_field, "area_m2": area,
                        "dm_density_J_per_m3": rho, "t_sys": "given" if run.t_sys is not None else "measured",
                        "t_sys_relative_sigma": r.t_sys_relative_sigma},
        "timing": res.timing,
        "provenance": provenance(inputs + run.receiver.inputs()),
    }
    if r.multi:
        atomic_write_json(out / "summary.json", summary)
    variables = mc_variables(r, fit, model, band, reach, t_sys, budget, g_quantiles=g_q)
    attrs = global_attributes(f"emboost montecarlo: {r.name} / {run.name}", "emboost mc (emboost.jobs.mc)",
                              {str(p): h for p, h in summary["provenance"]["inputs"].items()},
                              seed=json.dumps(run_seed), samples=samples, converged=int(band.converged),
                              convergence_max_relative_change=band.convergence.max_relative_change,
                              booster_fit_verdict=verdict.get("reason") or "ok",
                              booster_fit_verdict_ok=int(bool(verdict.get("ok"))))
    write_results(out / "results.nc", variables, attrs, say=None if quiet else print)
    title = f"{r.name}: {run.name} ({samples} samples)"
    band_png(out / "boost_band.png", f, stats, r.quantiles, res.nominal, title=title)
    curves = {"Monte-Carlo": std / mean}
    if lin is not None:
        curves["linear propagation"] = lin.std / lin.nominal
    relative_uncertainty_png(out / "boost_relative_uncertainty.png", f, curves, title=title)
    gstats = {"mean": np.median(g, axis=0), "quantiles": g_q}
    band_png(out / "reach.png", f, gstats, r.quantiles, None, title=title + f", SNR {sn.snr:g}",
             ylabel=r"$|g_{a\gamma}|$ reach [GeV$^{-1}$]", log=True, lines=dict(lines),
             center_label="Monte-Carlo median")
    if not quiet:
        lin_txt = "" if lin is None else f", linear std {lin.std[k]:.4g} (MC/linear {std[k] / lin.std[k]:.3f})"
        print(f"{run.name}: peak boost factor, Monte-Carlo mean {mean[k]:.4g}, Monte-Carlo std {std[k]:.4g} "
              f"({100 * std[k] / mean[k]:.1f} %) at {f[k] / 1e9:.5f} GHz{lin_txt}")
        print(f"{run.name}: |g_ag| median {np.median(g[:, k]):.3g} GeV^-1 at the peak (KSVZ {lines['KSVZ'][k]:.3g})")
        print(f"{run.name}: {band.convergence_message}")
        if on_bound:
            print(f"{run.name}: WARNING {on_bound} samples ended on the edge of a refit search window")
        for what in ("tau", "gap"):
            chi = nominal_info[f"{what}_redchi"]
            if math.isfinite(chi) and chi > 10:
                print(f"{run.name}: WARNING the {what} refit at the best booster parameters has reduced chi^2 "
                      f"{chi:.3g}: the fitted booster does not describe this T_sys spectrum well")
    return summary, band, reach


def run_recipe(path: Path, top: Table, out: Path, quiet: bool = False, *, samples: int | None = None,
               seed: int | None = None, workers: int | None = None, scheduler: str | None = None,
               resume: bool = False) -> int:
    """Run a Monte-Carlo recipe into ``out``; returns 0, or 3 when a run did not converge or the booster
    fit's verdict failed (results are written and flagged; one line on stderr names the failed check).
    Without ``resume`` an old checkpoint in ``out`` is discarded; with it, finished chunks are reused (refused
    if the settings differ)."""
    from emboost.core.output import atomic_write_json, provenance
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
    w = workers if workers is not None else r.montecarlo.workers
    loaded = Inputs()
    fit, setup, fit_doc, inputs = _booster_fit(r, loaded)
    inputs = [path] + inputs
    if r.booster_recipe is not None:
        atomic_write_json(out / "booster_fit.json", fit_doc | {"provenance": provenance(inputs[1:])})
    verdict = booster_fit_verdict(fit, fit_doc, r.booster_fit)
    status = 0 if verdict["ok"] else 3
    if status:  # results are still written and carry the verdict (summary.json, results.nc)
        import sys

        print(f"emboost mc: {r.name}: verdict failed: booster fit: {verdict['reason']}", file=sys.stderr)
    summaries, reaches = [], []
    for i, run in enumerate(r.runs):
        run_out = out / _slug(run.name) if r.multi else out
        run_out.mkdir(parents=True, exist_ok=True)
        summ, band, reach = _run_one(r, run, i, fit, setup, run_out, samples=n, seed=s, workers=w,
                                     scheduler=scheduler, fresh=not resume, quiet=quiet, inputs=inputs, loaded=loaded,
                                     verdict=verdict)
        summaries.append(summ)
        reaches.append((band.frequency, reach.g))
        if not summ["convergence"]["converged"]:
            status = 3
    doc: dict[str, Any] = {"recipe": {"name": r.name, "kind": "montecarlo", "path": str(path)},
                           "booster_fit": {"free": list(fit.fit.free), "values": fit.fit.free_values,
                                           "covariance": fit.fit.covariance, "ok": fit.fit.ok,
                                           "verdict": verdict},
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
        write_csv(out / "combined_reach.csv", cols, comments=[
            f"emboost montecarlo {r.name}: runs {', '.join(x.name for x in r.runs)} combined as uncorrelated, "
            "sample by sample, g^-4 = sum g_run^-4"])
        band_png(out / "combined_reach.png", fc, {"mean": np.median(gc, axis=0), "quantiles": gstats["quantiles"]},
                 r.quantiles, None, title=f"{r.name}: {len(r.runs)} runs combined", log=True, lines=dict(lines),
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
