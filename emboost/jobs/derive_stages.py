"""The stage runners of ``emboost derive``: each calls one stage of :mod:`emboost.jobs.stages` on the
campaign's inputs (loaded once, :class:`~emboost.jobs.inputs.Inputs`), writes its CSV/PNG/JSON files and
returns the JSON-ready result that the stage cache stores (``stages/<name>.json``).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from emboost.core.errors import DataFileError, FitError, RecipeError
from emboost.fit.booster import BoosterFitResult, Observable
from emboost.fit.core import Verdict
from emboost.fit.noise import STANDARDS, DelayFit
from emboost.jobs.campaign import CampaignRecipe, read_truth
from emboost.jobs.derive_results import (
    JSON,
    BandPeak,
    BoosterFitSummary,
    BudgetSummary,
    CalibrationResult,
    FittedParameter,
    MirrorGapSummary,
    MonteCarloSummary,
    NoiseFitSummary,
    ReachBest,
    ReachSettings,
    SensitivitySummary,
    to_json,
)
from emboost.jobs.files import write_csv
from emboost.jobs.inputs import Inputs
from emboost.jobs.stages import (
    LNA_NAMES,
    CalibrationCurve,
    MeasuredData,
    booster_fit_stage,
    calibration_stage,
    line_delay_stage,
    mirror_gap_stage,
    montecarlo_model,
    montecarlo_stage,
    noise_standards_stage,
    reach_stage,
    spectrum_tsys,
    standards_data,
    tsys_spectrum,
)
from emboost.mc.engine import MonteCarloModel, TsysSpectrum
from emboost.noise.amplifier import NoiseSources

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

__all__ = ["Stage", "STAGES", "Context", "Progress", "RUNNERS", "hash_json", "failed_verdicts"]

#: a stage result as stored in stages/<name>.json
Result = JSON


def hash_json(obj: object) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Stage:
    """One step of the analysis: ``name`` (cache file), ``title`` (progress, report), its recipe tables
    (``settings``) and the earlier stages it uses (``needs``)."""

    name: str
    title: str
    settings: tuple[str, ...]
    needs: tuple[str, ...]


STAGES = (
    Stage("calibration", "Y-factor calibration", ("calibration",), ()),
    Stage("booster_fit", "booster reflectivity fit", ("setup", "booster"), ()),
    Stage("noise_fit", "LNA noise-parameter fit", ("receiver", "noise"), ("calibration",)),
    Stage("line_delay", "booster-LNA line delay (tau) fit", ("tsys", "noise", "receiver", "delay"),
          ("calibration", "booster_fit", "noise_fit")),
    Stage("mirror_gap", "mirror-gap refit", ("tsys", "noise", "receiver", "delay"),
          ("calibration", "booster_fit", "noise_fit", "line_delay")),
    Stage("montecarlo", "Monte-Carlo boost-factor band", ("montecarlo", "band", "delay", "booster3d"),
          ("calibration", "booster_fit", "noise_fit", "line_delay", "mirror_gap")),
    Stage("sensitivity", "sensitivity (coupling reach)", ("sensitivity",), ("calibration", "montecarlo")),
)


class Progress:
    """Stage lines on stderr (nothing when quiet)."""

    def __init__(self, quiet: bool, stream: IO[str] | None = None) -> None:
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream

    def say(self, msg: str) -> None:
        if not self.quiet:
            self.stream.write(msg + "\n")
            self.stream.flush()


@dataclass
class Context:
    """One derive job: the recipe, its inputs (loaded once), the stage results so far."""

    recipe: CampaignRecipe
    out: Path
    resume: bool
    quiet: bool
    samples: int
    seed: int
    workers: int | None
    progress: Progress
    inputs: Inputs
    on_chunk: Callable[[int], None] | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)
    changed: dict[str, str] = field(default_factory=dict)
    #: results computed once per job outside the stages (the optional 3-D tolerance band)
    extras: dict[str, Any] = field(default_factory=dict)
    fitted_booster: BoosterFitResult | None = None
    boost_samples: tuple[np.ndarray, np.ndarray] | None = None
    #: the Monte-Carlo on a Dask cluster: a scheduler address, a scheduler-file path, "local", or a Client
    scheduler: Any = None

    # typed views of the earlier stages' results (read back from the cache when they were not computed now)
    def calibration_result(self) -> CalibrationResult:
        return CalibrationResult.from_json(self.results["calibration"])

    def calibration(self) -> CalibrationCurve:
        c = self.calibration_result()
        return CalibrationCurve(c.frequency, c.c_cal, c.sigma_c_cal)

    def noise_fit(self) -> NoiseFitSummary:
        return NoiseFitSummary.from_json(self.results["noise_fit"])

    def line_delay(self) -> DelayFit:
        kept = {f.name for f in dataclasses.fields(DelayFit)}
        return DelayFit(**{k: v for k, v in self.results["line_delay"].items() if k in kept})  # type: ignore[arg-type]

    def montecarlo(self) -> MonteCarloSummary:
        return MonteCarloSummary.from_json(self.results["montecarlo"])

    def booster_fit(self) -> BoosterFitResult:
        if self.fitted_booster is None:
            from emboost.jobs.mc import load_booster_fit_json

            self.fitted_booster, _ = load_booster_fit_json(self.out / "booster_fit.json", self.inputs)
        return self.fitted_booster

    def sources(self) -> NoiseSources:
        v = self.noise_fit().sources
        return NoiseSources(v["sqrt_sv"], v["sqrt_si"], v["rho_mag"], v["rho_phase"])

    def tsys(self, which: str) -> TsysSpectrum:
        """The broadband or narrowband T_sys spectrum (c_cal x power) with sigma and LNA reflection."""
        r = self.recipe
        path, col = ((r.tsys.broadband, r.tsys.broadband_column) if which == "broadband"
                     else (r.tsys.narrowband, r.tsys.narrowband_column))
        return tsys_spectrum(self.inputs.spectrum(path, [col]), col, self.calibration(), r.noise,
                             self.inputs.lna(r.receiver.lna_s11))

    def fail(self, stage: Stage, what: str) -> FitError:
        done = [s.name for s in STAGES if s.name in self.results]
        kept = f"; results of the earlier stages ({', '.join(done)}) are kept in {self.out}" if done else ""
        return FitError(f"stage '{stage.name}' ({stage.title}) failed: {what}{kept}")


def _save(fig: MplFigure, path: Path) -> None:
    from emboost.core.output import atomic_savefig

    atomic_savefig(fig, path, dpi=100)


def _with_verdict(result: Result, verdict: Verdict) -> Result:
    """A stage result with the verdict of its fit (``result["verdict"]``: ok, reason, checks)."""
    out = dict(result)
    out["verdict"] = verdict.to_dict()
    return out


def failed_verdicts(results: dict[str, Result]) -> list[str]:
    """One line per stage whose recorded fit verdict failed: ``"<stage>: <check>: <why>"`` (stage order)."""
    bad = []
    for s in STAGES:
        v = results.get(s.name, {}).get("verdict")
        if isinstance(v, dict) and not v.get("ok", True):
            bad.append(f"{s.name}: {v.get('reason', '')}")
    return bad


# -------------------------------------------------------------------------------------------- the stages
def _calibration(ctx: Context, stage: Stage) -> tuple[Result, list[str]]:
    from emboost.report.campaign_figures import calibration_figure

    r, c = ctx.recipe, ctx.recipe.calibration
    spec = ctx.inputs.spectrum(c.yfactor, [c.on_column, c.off_column])
    cal = calibration_stage(spec, ctx.inputs.enr(c.enr, c.enr_sigma_db), ctx.inputs.lna(r.receiver.lna_s11), c)
    f = spec.frequency
    write_csv(ctx.out / "calibration.csv", {
        "frequency_Hz": f, "gain": cal.gain, "gain_sigma": cal.sigma_gain, "t_rec_K": cal.t_rec,
        "t_rec_sigma_K": cal.sigma_t_rec, "c_cal_K_per_W": cal.c_cal, "c_cal_sigma_K_per_W": cal.sigma_c_cal},
        comments=["emboost derive: Y-factor calibration (physics.md A.9-A.11), spectra Savitzky-Golay smoothed"])
    _save(calibration_figure(f, cal.gain, cal.sigma_gain, cal.t_rec, cal.sigma_t_rec, cal.c_cal, cal.sigma_c_cal),
          ctx.out / "calibration.png")
    rel = cal.sigma_c_cal / cal.c_cal
    budget = {k: float(np.median(v["c_cal"] / cal.c_cal)) for k, v in cal.budget.items()}
    res = CalibrationResult(f, cal.c_cal, cal.sigma_c_cal, cal.t_rec, cal.sigma_t_rec, cal.gain,
                            float(cal.resolution_bandwidth), float(np.median(rel)), budget,
                            float(np.median(cal.t_rec)), float(np.median(10 * np.log10(cal.gain))))
    return to_json(res), ["calibration.csv", "calibration.png"]


def _booster_fit(ctx: Context, stage: Stage) -> tuple[Result, list[str]]:
    from emboost.core.output import atomic_write_json, provenance
    from emboost.jobs.fit_recipes import booster_fit_document
    from emboost.jobs.recipes import si_unit
    from emboost.report.plots import booster_response_png, power_delay_png
    from emboost.rf.touchstone import parse_parameter_name

    r, b = ctx.recipe, ctx.recipe.booster
    setup = ctx.inputs.setup(r.setup)
    ts = ctx.inputs.touchstone(b.reflectivity)
    i, j = parse_parameter_name(b.parameter, ts.nports, path=r.path, key="booster.parameter")
    f, s = ts.frequency, ts.s[:, i, j]
    if b.window is not None:
        keep = b.window.mask(f)
        f, s = f[keep], s[keep]
    res = booster_fit_stage(MeasuredData(b.reflectivity, f, s, b.parameter), setup.booster, r.booster_specs,
                            [Observable("s11", sigma=b.sigma)], b.options)
    if not res.fit.converged or not np.all(np.isfinite(res.fit.covariance)):
        raise ctx.fail(stage, f"the reflectivity fit did not converge ({res.fit.message})")
    if res.fit.at_bound:
        raise ctx.fail(stage, f"parameter(s) {list(res.fit.at_bound)} ended on a bound; widen "
                              "[booster.parameters] min/max or check the data")
    doc = booster_fit_document(res, r.name, setup, b.parameter)
    doc["provenance"] = provenance([r.setup, b.reflectivity])
    atomic_write_json(ctx.out / "booster_fit.json", doc)
    ctx.fitted_booster = res
    data, m = res.data, res.model
    write_csv(ctx.out / "booster_fit.csv", {
        "frequency_Hz": f, "data_re": s.real, "data_im": s.imag, "model_re": m["s11"].real, "model_im": m["s11"].imag,
        "data_power_db": data["reflected_power_db"], "model_power_db": m["reflected_power_db"],
        "data_group_delay_s": data["group_delay"], "model_group_delay_s": m["group_delay"]},
        comments=[f"emboost derive {r.name}: booster reflectivity data and fitted model"])
    power_delay_png(ctx.out / "booster_fit.png", f, s, m["s11"], title="booster reflectivity: data and fit",
                    power_db=(data["reflected_power_db"], m["reflected_power_db"]),
                    delay=(data["group_delay"], m["group_delay"]))
    from emboost.jobs.fit_recipes import write_s11_outputs

    s11_files = write_s11_outputs(ctx.out, f, s, m["s11"], f"emboost derive {r.name}: booster reflectivity",
                                  prefix="booster_")
    fb = setup.frequencies
    resp = res.booster().response(fb)
    booster_response_png(ctx.out / "booster_model.png", fb, resp.boost_factor, resp.reflected_power_db,
                         resp.group_delay, title="fitted booster model (matched output)")
    bf, sbf = res.boost_factor(fb, with_error=True)
    k = int(np.argmax(bf))
    nominal = setup.booster.boost_factor(fb)
    fit = res.fit
    verdict = res.verdict()
    out = BoosterFitSummary(
        parameters={n: FittedParameter(fit.value(n), fit.error(n), si_unit(fit.units[fit.names.index(n)]),
                                       fit.units[fit.names.index(n)], float(fit.initial[fit.names.index(n)]))
                    for n in fit.free},
        redchi=fit.redchi, chi2=fit.chisqr, ndata=fit.ndata, chi2_probability=fit.chi2_probability,
        rms_s11=float(np.sqrt(np.mean(np.abs(s - m["s11"]) ** 2))), points=int(f.size),
        band_Hz=[float(f[0]), float(f[-1])], peak_boost_matched=float(bf[k]), peak_boost_matched_stderr=float(sbf[k]),
        peak_frequency_Hz=float(fb[k]), nominal_peak_boost=float(np.max(nominal)),
        nominal_peak_frequency_Hz=float(fb[int(np.argmax(nominal))]))
    return _with_verdict(to_json(out), verdict), ["booster_fit.json", "booster_fit.csv", "booster_fit.png",
                                                  "booster_model.png", *s11_files]


def _noise_fit(ctx: Context, stage: Stage) -> tuple[Result, list[str]]:
    from emboost.report.campaign_figures import spectrum_fit_figure

    r = ctx.recipe
    f, meas = standards_data(ctx.inputs.spectrum(r.receiver.standards, list(STANDARDS)), ctx.calibration())
    gl = ctx.inputs.lna(r.receiver.lna_s11).gamma_at(f)
    r_cal = ctx.calibration_result().c_cal_relative_sigma_median
    st = noise_standards_stage(f, meas, r.noise, gl, r.receiver.t_standards, r.receiver_specs,
                               calibration_relative_sigma=r_cal if r.receiver.calibration_band else 0.0)
    res = st.result
    if not res.converged:
        raise ctx.fail(stage, f"the noise-parameter fit did not converge ({res.message})")
    if res.at_bound:
        raise ctx.fail(stage, f"parameter(s) {list(res.at_bound)} ended on a bound; widen [receiver.parameters]")
    fit = st.fit
    cols: dict[str, Any] = {"frequency_Hz": f}
    for k in STANDARDS:
        cols[f"{k}_K"], cols[f"{k}_model_K"], cols[f"{k}_sigma_K"] = meas[k], fit.model[k], st.sigma[k]
    write_csv(ctx.out / "noise_standards.csv", cols,
                     comments=[f"emboost derive {r.name}: T_sys of the standards, data and fitted noise model"])
    _save(spectrum_fit_figure(f, [(k, meas[k], fit.model[k]) for k in STANDARDS],
                              "receiver noise: T_sys of the standards and the fitted LNA noise model"),
          ctx.out / "noise_standards.png")
    out = NoiseFitSummary(st.values(), dict(st.stderr), dict(st.calibration_band), dict(st.lna_sigma), fit.tau_open,
                          fit.tau_short, res.error("tau_open"), res.error("tau_short"), res.redchi, res.ndata,
                          fit.noise_parameters(), float(fit.sources.noise_temperature(50.0)), r_cal)
    return _with_verdict(to_json(out), fit.verdict()), ["noise_standards.csv", "noise_standards.png"]


def _line_delay(ctx: Context, stage: Stage) -> tuple[Result, list[str]]:
    from emboost.report.campaign_figures import spectrum_fit_figure

    r = ctx.recipe
    bb = ctx.tsys("broadband")
    ld = line_delay_stage(bb, ctx.booster_fit().booster(), r.tsys.t_booster, ctx.sources(), r.delay)
    d = ld.fit
    if d.on_bound or not math.isfinite(d.sigma_tau):
        raise ctx.fail(stage, f"tau = {d.tau:.6g} s ended on the edge of [delay] min..max or is unconstrained")
    write_csv(ctx.out / "tsys_broadband.csv", {"frequency_Hz": bb.frequency, "t_sys_K": bb.t_sys,
                                                      "model_K": ld.model, "sigma_K": bb.sigma},
                     comments=[f"emboost derive {r.name}: broadband T_sys = c_cal x power, model with "
                               f"tau = {d.tau:.6e} s"])
    _save(spectrum_fit_figure(bb.frequency, [("broadband", bb.t_sys, ld.model)],
                              rf"broadband $T_\mathrm{{sys}}$ and the combined model ($\tau$ = {d.tau * 1e9:.4f} ns)"),
          ctx.out / "tsys_broadband.png")
    return _with_verdict(to_json(d), d.verdict()), ["tsys_broadband.csv", "tsys_broadband.png"]


def _mirror_gap(ctx: Context, stage: Stage) -> tuple[Result, list[str]]:
    from emboost.report.campaign_figures import spectrum_fit_figure

    r = ctx.recipe
    nb = ctx.tsys("narrowband")
    booster = ctx.booster_fit().booster()
    tau = ctx.line_delay().tau
    mg = mirror_gap_stage(nb, booster, tau, r.tsys.t_booster, ctx.sources(), r.tsys.gap_range,
                          r.tsys.gap_grid_points, r.delay.line_loss_db)
    g = mg.fit
    if g.on_bound or not math.isfinite(g.sigma_gap):
        raise ctx.fail(stage, f"the mirror gap {g.gap:.6g} m ended on the edge of [tsys] gap_min..gap_max or is "
                              "unconstrained")
    write_csv(ctx.out / "tsys_narrowband.csv", {"frequency_Hz": nb.frequency, "t_sys_K": nb.t_sys,
                                                       "model_K": mg.model, "sigma_K": nb.sigma},
                     comments=[f"emboost derive {r.name}: narrowband T_sys, model with mirror gap {g.gap:.6e} m"])
    _save(spectrum_fit_figure(nb.frequency, [("narrowband", nb.t_sys, mg.model)],
                              rf"narrowband $T_\mathrm{{sys}}$ during the run and the model (mirror gap "
                              rf"{g.gap * 1e3:.4f} mm)"), ctx.out / "tsys_narrowband.png")
    kept = {f.name for f in dataclasses.fields(MirrorGapSummary)}
    out = MirrorGapSummary(**{k: v for k, v in dataclasses.asdict(g).items() if k in kept},
                           fitted_gap_1_m=float(np.ravel(booster.gaps)[0]))
    return _with_verdict(to_json(out), g.verdict()), ["tsys_narrowband.csv", "tsys_narrowband.png"]


def mc_model(ctx: Context) -> tuple[MonteCarloModel, dict[str, float]]:
    """The prepared Monte-Carlo model of the campaign (the same stage as ``emboost mc``)."""
    r, mc = ctx.recipe, ctx.recipe.montecarlo
    lna = ctx.inputs.lna(r.receiver.lna_s11, ctx.sources())
    bb, nb = ctx.tsys("broadband"), ctx.tsys("narrowband")
    f = band_frequencies(ctx)
    ls = ctx.noise_fit().lna_sigma
    shape = field_shape(ctx)
    if shape[0] != mc.field_shape_sigma:
        mc = dataclasses.replace(mc, field_shape_sigma=shape[0])
    return montecarlo_model(ctx.booster_fit(), lna, [ls[k] for k in LNA_NAMES], r.tsys.t_booster, bb, nb, r.delay, f,
                            mc, mc.frequency_sigma, r.tsys.gap_range, int(mc.gap_grid_points or 21), where=r.path)


def band_frequencies(ctx: Context) -> np.ndarray:
    """The frequencies [Hz] of the boost-factor band: the recipe's ``[band]``, else the narrowband spectrum's."""
    r = ctx.recipe
    return r.band.frequencies() if r.band is not None else ctx.tsys("narrowband").frequency


def field_shape(ctx: Context) -> tuple[float, str]:
    """The field-shape sigma the Monte-Carlo uses and its source: ``[montecarlo] field_shape_sigma`` as stated,
    or, with ``[booster3d] field_shape = true``, the relative spread at the peak of the 3-D tolerance band."""
    from emboost.jobs.recipes import required_source

    r = ctx.recipe
    b3 = r.booster3d
    if b3 is None or not b3.field_shape:
        return r.montecarlo.field_shape_sigma, required_source(r.raw, "montecarlo.field_shape_sigma", r.path)
    from emboost.jobs.derive_multimode import booster3d_band

    band = booster3d_band(ctx, b3)
    return float(band.relative_std_at_peak), (
        f"emboost 3-D tolerance Monte-Carlo ([booster3d]: {b3.samples} samples, seed {b3.seed}): relative std at "
        f"its peak; it replaces the recipe's assumed {r.montecarlo.field_shape_sigma:g}")


def _montecarlo(ctx: Context, stage: Stage) -> tuple[Result, list[str]]:
    from emboost.core.output import atomic_write_bytes, atomic_write_json
    from emboost.report.plots import band_png, relative_uncertainty_png

    r, mc = ctx.recipe, ctx.recipe.montecarlo
    model, nominal = mc_model(ctx)
    ck = ctx.out / "montecarlo"
    marker = ck / "identity.json"
    ident = hash_json({"fingerprint": model.fingerprint(), "seed": ctx.seed, "chunk_size": mc.chunk_size})
    fresh = True
    if ctx.resume and marker.exists():
        try:
            fresh = json.loads(marker.read_text()).get("identity") != ident
        except (OSError, ValueError):
            fresh = True
        if fresh:
            ctx.progress.say("  the Monte-Carlo checkpoint was made with other inputs or settings: starting afresh")
    atomic_write_json(marker, {"identity": ident})
    band = montecarlo_stage(model, ctx.samples, ctx.seed, mc, workers=ctx.workers if ctx.workers is not None
                            else mc.workers, scheduler=ctx.scheduler, checkpoint=ck, fresh=fresh, quiet=ctx.quiet,
                            label="  Monte-Carlo", on_chunk=ctx.on_chunk)
    res, f, q, lin = band.result, band.frequency, mc.quantiles, band.linear
    buf = io.BytesIO()
    np.savez(buf, frequency=f, boost=res.boost, tau=res.tau, gap=res.gap, shape=res.draws.shape,
             shift=res.draws.shift, booster=res.draws.booster, lna=res.draws.lna, tau_redchi=res.tau_redchi,
             on_bound=res.on_bound)
    atomic_write_bytes(ck / "boost_samples.npz", buf.getvalue())
    ctx.boost_samples = (f, res.boost)
    mean, std = band.mean, band.std
    cols: dict[str, Any] = {"frequency_Hz": f, "mean": mean, "std": std, "relative_std": std / mean,
                            "nominal": res.nominal}
    for qq, v in zip(q, band.quantiles):
        cols[f"q{100 * qq:g}".replace(".", "_")] = v
    if lin is not None:
        cols["linear_std"] = lin.std
    write_csv(ctx.out / "boost_band.csv", cols, comments=[
        f"emboost derive {r.name}: delivered boost factor, {ctx.samples} samples, seed {ctx.seed}",
        band.convergence_message])
    stats = {"mean": mean, "std": std, "quantiles": band.quantiles}
    band_png(ctx.out / "boost_band.png", f, stats, q, res.nominal, title=f"{r.name}: delivered boost factor "
             f"({ctx.samples} samples)")
    curves = {"Monte-Carlo": std / mean}
    if lin is not None:
        curves["linear propagation"] = lin.std / lin.nominal
    relative_uncertainty_png(ctx.out / "boost_relative_uncertainty.png", f, curves, title="relative uncertainty")
    k = band.peak
    budget = _budget(ctx, model, res.boost, res.draws.shape)
    out = MonteCarloSummary(
        frequency=f, mean=mean, std=std, quantiles=dict(zip([str(x) for x in q], band.quantiles)),
        nominal=res.nominal, linear_std=None if lin is None else lin.std,
        linear_parts_at_peak=None if lin is None else {kk: float(v[k]) for kk, v in lin.parts.items()},
        samples=ctx.samples, seed=ctx.seed, convergence=band.convergence,
        nominal_refits=nominal, tau_mean=float(np.mean(res.tau)), tau_std=float(np.std(res.tau, ddof=1)),
        gap_mean=float(np.nanmean(res.gap)), gap_std=float(np.nanstd(res.gap, ddof=1)),
        samples_on_search_edge=int(np.count_nonzero(res.on_bound)), timing=res.timing,
        peak=BandPeak(float(f[k]), float(mean[k]), float(std[k]), float(res.nominal[k]),
                      float(band.quantiles[q.index(0.025)][k]), float(band.quantiles[q.index(0.975)][k]),
                      None if lin is None else float(lin.std[k])), budget=budget)
    return to_json(out), ["boost_band.csv", "boost_band.png", "boost_relative_uncertainty.png",
                          "montecarlo/boost_samples.npz"]


def _budget(ctx: Context, model: MonteCarloModel, boost: np.ndarray, shape: np.ndarray) -> BudgetSummary:
    """The uncertainty budget of the band (:func:`emboost.mc.engine.uncertainty_budget`) with the samples
    with and without their field-shape factor, and the stated sources of the assumed sigmas."""
    from emboost.jobs.derive_results import budget_summary
    from emboost.mc.engine import uncertainty_budget

    r = ctx.recipe
    ub = uncertainty_budget(model, fit_sigma_tau=ctx.line_delay().sigma_tau,
                            fit_sigma_gap=float(ctx.results["mirror_gap"]["sigma_gap"]))  # type: ignore[arg-type]
    mc = r.montecarlo
    sigma, source = field_shape(ctx)
    return budget_summary(ub, boost, shape, mc.quantiles, source, mc.frequency_sigma,
                          _source_or(r.raw, "montecarlo.frequency_sigma"), sigma)


def _source_or(raw: dict[str, Any], dotted: str) -> str:
    node: Any = raw
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    src = node.get("source") if isinstance(node, dict) else None
    return src if isinstance(src, str) and src.strip() else "not stated in the recipe"


def truth_on(ctx: Context, f: np.ndarray, column: str | None = None) -> np.ndarray | None:
    """The truth curve (column of the recipe's truth file) on ``f``, or None outside its range."""
    t = ctx.recipe.truth
    if t is None:
        return None
    d = read_truth(t.file, ctx.inputs)
    col = column or t.column
    if col not in d:
        raise DataFileError(f"no column {col!r}; the file has {list(d)}", path=t.file)
    ft = d["frequency_Hz"]
    if f[0] < ft[0] or f[-1] > ft[-1]:
        return None
    from scipy.interpolate import CubicSpline

    return np.asarray(CubicSpline(ft, d[col])(f))


def _sensitivity(ctx: Context, stage: Stage) -> tuple[Result, list[str]]:
    from scipy.signal import savgol_filter

    from emboost.report.plots import band_png

    r, sn = ctx.recipe, ctx.recipe.sensitivity
    mc = ctx.montecarlo()
    if ctx.boost_samples is None:
        with np.load(ctx.out / "montecarlo" / "boost_samples.npz") as z:
            ctx.boost_samples = (z["frequency"], z["boost"])
    f, boost = ctx.boost_samples
    setup = ctx.inputs.setup(r.setup)
    area = sn.area if sn.area is not None else setup.area
    b_field = sn.b_field if sn.b_field is not None else setup.b_field
    rho = sn.dm_density if sn.dm_density is not None else setup.dm_density
    if b_field is None or not math.isfinite(area):
        raise RecipeError("the sensitivity needs b_field and area: give them in [sensitivity] or the setup file",
                          path=r.path, key="sensitivity")
    assert sn.time is not None
    # T_sys of the run: the narrowband spectrum where it covers the band, else the broadband one
    cal = ctx.calibration()
    source = "narrowband"
    fs, ts = spectrum_tsys(ctx.inputs.spectrum(r.tsys.narrowband), r.tsys.narrowband_column, cal)
    if f[0] < fs[0] or f[-1] > fs[-1]:
        source = "broadband"
        fs, ts = spectrum_tsys(ctx.inputs.spectrum(r.tsys.broadband), r.tsys.broadband_column, cal)
        if f[0] < fs[0] or f[-1] > fs[-1]:
            raise RecipeError("the band reaches outside both T_sys spectra", path=r.path, key="band")
    t_sys = np.interp(f, fs, savgol_filter(ts, r.noise.savgol_window, r.noise.savgol_order))
    rel = np.interp(f, cal.frequency, cal.relative_sigma)
    q = r.montecarlo.quantiles
    reach = reach_stage(boost, mc.nominal, f, t_sys, rel, mc.seed, area=area, b_field=b_field,
                        rho=rho, time=sn.time, snr=sn.snr, q_a=sn.q_a, quantiles=q)
    g, gq, lines = reach.g, reach.g_quantiles, reach.lines
    g_med = np.median(g, axis=0)
    from emboost.core.output import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, frequency=f, g=g, g_nominal=reach.g_nominal)  # the per-sample reach, for results.nc
    atomic_write_bytes(ctx.out / "montecarlo" / "reach_samples.npz", buf.getvalue())
    cols: dict[str, Any] = {"frequency_Hz": f, "t_sys_K": t_sys, "t_sys_relative_sigma": rel,
                            "g_nominal_GeV": reach.g_nominal, "g_median_GeV": g_med}
    for qq, v in zip(q, gq):
        cols[f"g_q{100 * qq:g}_GeV".replace(".", "_")] = v
    cols["ksvz_GeV"], cols["dfsz_GeV"] = lines["KSVZ"], lines["DFSZ"]
    write_csv(ctx.out / "reach.csv", cols, comments=[
        f"emboost derive {r.name}: |g_ag| reach (MADMAX eq. 1.1) per boost-factor sample, T_sys of the {source} "
        f"spectrum with the calibration uncertainty drawn per sample; SNR {sn.snr:g}, time {sn.time:g} s, "
        f"B {b_field:g} T, area {area:g} m^2"])
    band_png(ctx.out / "reach.png", f, {"mean": g_med, "quantiles": gq}, q, None,
             title=f"{r.name}: coupling reach, SNR {sn.snr:g}, {sn.time / 86400:g} d", log=True, lines=dict(lines),
             ylabel=r"$|g_{a\gamma}|$ reach [GeV$^{-1}$]", center_label="Monte-Carlo median")
    k = int(np.argmin(g_med))
    out = SensitivitySummary(
        frequency=f, t_sys=t_sys, t_sys_source=source, g_median=g_med, g_quantiles=dict(zip([str(x) for x in q], gq)),
        ksvz=lines["KSVZ"], dfsz=lines["DFSZ"],
        best=ReachBest(float(f[k]), float(np.median(g[:, k])), float(gq[q.index(0.025)][k]),
                       float(gq[q.index(0.975)][k]), float(lines["KSVZ"][k]), float(lines["DFSZ"][k]),
                       float(t_sys[k])),
        settings=ReachSettings(sn.snr, sn.time, float(b_field), float(area), float(rho), sn.q_a))
    return to_json(out), ["reach.csv", "reach.png", "montecarlo/reach_samples.npz"]


RUNNERS: dict[str, Callable[[Context, Stage], tuple[Result, list[str]]]] = {
    "calibration": _calibration, "booster_fit": _booster_fit, "noise_fit": _noise_fit,
    "line_delay": _line_delay, "mirror_gap": _mirror_gap, "montecarlo": _montecarlo,
    "sensitivity": _sensitivity,
}
