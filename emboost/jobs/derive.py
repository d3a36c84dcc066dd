"""The whole analysis of a dielectric-haloscope campaign, from Touchstone and spectra to a boost-factor report.

A campaign recipe (``kind = "campaign"``, see docs/derive.md) names every measurement of a booster run:
the booster reflectivity (Touchstone), the LNA reflection, the T_sys spectra of the short/open/load
standards, the Y-factor calibration (ENR table, noise-source on/off spectra), the broadband and narrowband
receiver spectra with the booster connected, the setup file and the Monte-Carlo and sensitivity settings.
:func:`derive` runs the stages of MADMAX's procedure (physics.md §2.1, §2.6-§2.8) in order:

1. ``calibration``  Y-factor gain, T_rec and calibration factor ``c_cal`` with uncertainties (A.9)-(A.11);
2. ``booster_fit``  the reflectivity fit of gaps, phase thickness and tan delta (with covariance);
3. ``noise_fit``    the four LNA noise parameters and the standards' delays; their 1-sigma combines the fit
   error with the spread of fits to the +-1 sigma calibration band (paper §4.3);
4. ``line_delay``   the booster-LNA delay tau from the broadband T_sys (= ``c_cal`` x power);
5. ``mirror_gap``   the mirror gap from the narrowband T_sys taken during the run;
6. ``montecarlo``   the delivered boost-factor band (:func:`emboost.mc.engine.run_montecarlo`);
7. ``sensitivity``  the |g_ag| reach (MADMAX eq. 1.1) per sample, with the calibration's T_sys uncertainty.

Every stage stores its result in ``stages/<name>.json`` with the SHA-256 of its input files, of its
settings and of the stages it depends on. With ``resume=True`` a stage whose key is unchanged is read
back instead of rerun; the Monte-Carlo continues from its chunk checkpoint (``montecarlo/samples/``).
A changed input file or setting recomputes that stage and every later one, and says which file changed.
A fit that fails stops the job (:class:`~emboost.core.errors.FitError`) with the earlier stages' results kept;
each fit's verdict (:class:`~emboost.fit.core.Verdict`) is recorded in its stage result, and a failed one makes
the exit status 3 (after every output is written) with one line naming the stage and the check.
The folder then receives ``report.html`` (:mod:`emboost.jobs.derive_report`), the PNGs, ``results.json``,
CSV files and ``results.nc``. The stages are the functions of :mod:`emboost.jobs.stages`, the same ones
that ``emboost fit`` and ``emboost mc`` call; every input file is read once per job
(:class:`~emboost.jobs.inputs.Inputs`), and the cache key of a stage includes the emboost version.

>>> [s.name for s in STAGES][:3], len(STAGES)
(['calibration', 'booster_fit', 'noise_fit'], 7)
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from emboost.core.errors import DataFileError, InputError
from emboost.jobs.campaign import CampaignRecipe, load_campaign, read_truth
from emboost.jobs.derive_multimode import run_booster3d
from emboost.jobs.derive_results import (
    STAGE_UNITS,
    UNIT_SUFFIXES,
    CampaignResults,
    TruthComparison,
    compare_truth,
    t_sys_at_peak,
    to_json,
)
from emboost.jobs.derive_stages import RUNNERS, STAGES, Context, Progress, Stage, failed_verdicts, hash_json, truth_on
from emboost.jobs.inputs import Inputs

if TYPE_CHECKING:
    from emboost.report.html import Section

__all__ = ["Stage", "STAGES", "CampaignRecipe", "load_campaign", "derive", "DeriveResult", "read_truth",
           "stage_key"]

FORMAT = "emboost-derive-2"  # 2: booster parameters in their SI unit, the uncertainty budget


# -------------------------------------------------------------------------------------------- the cache
def _check_file(p: Path) -> str:
    from emboost.core.output import file_sha256

    if not p.exists():
        raise DataFileError("input file not found", path=p)
    if not p.is_file():
        raise DataFileError("input is not a file", path=p)
    return file_sha256(p)


def stage_key(ctx: Context, stage: Stage) -> tuple[str, dict[str, Any]]:
    """The cache key of a stage: hashes of its input files' content, its recipe tables, the emboost version
    and the keys of the stages it uses."""
    from emboost import __version__

    r = ctx.recipe
    # content, not location: a moved campaign folder keeps its cache
    inputs = {k: ctx.hashes[str(p)] for k, p in r.stage_files(stage.name).items()}
    settings: dict[str, Any] = {k: r.raw.get(k) for k in stage.settings}
    if stage.name == "montecarlo":
        settings["_cli"] = {"samples": ctx.samples, "seed": ctx.seed}
    ident = {"format": FORMAT, "emboost": __version__, "stage": stage.name, "inputs": inputs,
             "settings": hash_json(settings), "upstream": {n: ctx.keys[n] for n in stage.needs}}
    return hash_json(ident), ident


def _stage_path(out: Path, name: str) -> Path:
    return out / "stages" / f"{name}.json"


def _load_cached(ctx: Context, stage: Stage, key: str, ident: dict[str, Any]) -> dict[str, Any] | None:
    from emboost.core.output import file_sha256

    p = _stage_path(ctx.out, stage.name)
    if not p.exists():
        return None
    try:
        doc = json.loads(p.read_text())
        old = doc["identity"]
    except (OSError, ValueError, KeyError, TypeError):
        ctx.changed[stage.name] = "its cached result is unreadable"
        return None
    if doc.get("key") != key:
        why = []
        files = ctx.recipe.stage_files(stage.name)
        for k, h in ident["inputs"].items():
            if old.get("inputs", {}).get(k) != h:
                why.append(f"input file {files[k]} changed")
        if old.get("settings") != ident["settings"]:
            why.append("its recipe settings changed")
        for n, k in ident["upstream"].items():
            if old.get("upstream", {}).get(n) != k:
                why.append(f"stage '{n}' was recomputed")
        ctx.changed[stage.name] = "; ".join(why) or "its identity changed"
        return None
    for f, h in doc.get("outputs", {}).items():
        q = ctx.out / f
        if not q.exists() or file_sha256(q) != h:
            ctx.changed[stage.name] = f"its output {f} is missing or was modified"
            return None
    return doc


def _store(ctx: Context, stage: Stage, key: str, ident: dict[str, Any], result: dict[str, Any],
           outputs: list[str], seconds: float) -> dict[str, Any]:
    from emboost.core.output import atomic_write_json, file_sha256

    doc = {"format": FORMAT, "stage": stage.name, "title": stage.title, "key": key, "identity": ident,
           "seconds": seconds, "outputs": {f: file_sha256(ctx.out / f) for f in outputs}, "result": result}
    p = _stage_path(ctx.out, stage.name)
    atomic_write_json(p, doc)
    return json.loads(p.read_text())



# ------------------------------------------------------------------------------------------------ driver
@dataclass(frozen=True)
class DeriveResult:
    """What :func:`derive` did: the output folder, per-stage status (``"computed"`` or ``"cached"``) and
    seconds, the headline results and the exit status (0; 3 when the Monte-Carlo mean did not converge or a fit's
    recorded verdict failed)."""

    out: Path
    status: int
    stages: dict[str, str]
    seconds: dict[str, float]
    summary: dict[str, Any]


def derive(recipe: str | os.PathLike[str], out: str | os.PathLike[str], *, samples: int | None = None,
           seed: int | None = None, workers: int | None = None, resume: bool = False, overwrite: bool = False,
           quiet: bool = True, on_chunk: Callable[[int], None] | None = None,
           stream: IO[str] | None = None, inputs: Inputs | None = None, scheduler: str | None = None,
           client: Any = None) -> DeriveResult:
    """Run a campaign recipe into the folder ``out`` (see the module docstring); returns a :class:`DeriveResult`.

    ``samples``/``seed`` override the recipe's Monte-Carlo settings, ``workers`` its process count.
    ``resume`` reuses the stages whose inputs and settings are unchanged and continues the Monte-Carlo
    from its checkpoint; without it a non-empty ``out`` needs ``overwrite``. ``on_chunk(i)`` is called after
    each stored Monte-Carlo chunk (tests use it to interrupt a run). ``inputs`` is the job's load-once input
    cache (a new one by default; after the run its ``reads`` count the parses per file).
    ``scheduler`` runs the Monte-Carlo stage on a Dask cluster: a scheduler address (``"tcp://host:8786"``), the
    path of a scheduler file, or ``"local"``; ``client`` a ``dask.distributed.Client`` of the caller (not closed).
    Every worker must import the same emboost version (checked before submitting, a one-line error names the bad
    worker); the samples are bit-identical to a local run (docs/ecosystem.md).
    """
    from emboost.core.output import finish_output_dir, prepare_output_dir
    from emboost.jobs.recipes import required_source

    inputs = inputs if inputs is not None else Inputs()
    r = load_campaign(recipe, inputs)
    required_source(r.raw, "montecarlo.field_shape_sigma", r.path)  # an assumed sigma states where it comes from
    n = r.montecarlo.samples if samples is None else int(samples)
    if not 2 <= n <= 1_000_000:
        raise InputError(f"--samples must be between 2 and 1000000, got {n}", key="samples")
    s = r.montecarlo.seed if seed is None else int(seed)
    if s < 0:
        raise InputError(f"--seed must be >= 0, got {s}", key="seed")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be >= 1, got {workers}", key="workers")
    if scheduler is not None and client is not None:
        raise InputError("give either a scheduler (address or scheduler file) or a Dask client, not both")
    if resume and overwrite:
        raise InputError("--resume continues the cached stages and --overwrite discards them: give one of them")
    progress = Progress(quiet, stream)
    hashes = {}
    for p in sorted(set(r.files.values()) | ({r.truth.file} if r.truth else set())):
        hashes[str(p)] = _check_file(p)  # every input exists before anything is written
    job_inputs: list[str | os.PathLike[str]] = [r.path, *hashes]
    outp = prepare_output_dir(out, overwrite=overwrite, resume=resume, inputs=job_inputs)
    ctx = Context(recipe=r, out=outp, resume=resume, quiet=quiet, samples=n, seed=s, workers=workers,
                  progress=progress, inputs=inputs, on_chunk=on_chunk, hashes=hashes,
                  scheduler=client if client is not None else scheduler)
    status: dict[str, str] = {}
    seconds: dict[str, float] = {}
    t_all = time.perf_counter()
    progress.say(f"emboost derive: {r.name} -> {outp}")
    for i, stage in enumerate(STAGES, 1):
        key, ident = stage_key(ctx, stage)
        ctx.keys[stage.name] = key
        head = f"[{i}/{len(STAGES)}] {stage.title}"
        cached = _load_cached(ctx, stage, key, ident) if resume else None
        if cached is not None:
            ctx.results[stage.name] = cached["result"]
            status[stage.name] = "cached"
            seconds[stage.name] = 0.0
            progress.say(f"{head}: cached (inputs and settings unchanged)")
            continue
        if resume and stage.name in ctx.changed:
            progress.say(f"{head}: recomputing, {ctx.changed[stage.name]}")
        else:
            progress.say(f"{head} ...")
        t0 = time.perf_counter()
        result, outputs = RUNNERS[stage.name](ctx, stage)
        dt = time.perf_counter() - t0
        doc = _store(ctx, stage, key, ident, result, outputs, dt)
        ctx.results[stage.name] = doc["result"]
        status[stage.name] = "computed"
        seconds[stage.name] = dt
        progress.say(f"{head}: done in {dt:.1f} s")
    t0 = time.perf_counter()
    results = CampaignResults.from_json(ctx.results)
    summary, truth = _summary(ctx, results)
    extra = []
    if r.booster3d is not None:  # optional [booster3d]: the 3-D tolerance band (emboost.jobs.derive_multimode)
        summary["booster3d"], section3d = run_booster3d(ctx, r.booster3d)
        extra.append(section3d)
    _write_outputs(ctx, results, summary, truth, status, seconds, extra)
    seconds["report"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_all
    conv = ctx.montecarlo().convergence
    code = 0 if conv.converged else 3
    failed = failed_verdicts(ctx.results)
    if failed:  # every output is written; the failed checks are flagged in results.json and here
        code = 3
        err = stream if stream is not None else sys.stderr
        err.write(f"emboost derive: {r.name}: verdict failed: {failed[0]}"
                  + (f" (+{len(failed) - 1} more stages)" if len(failed) > 1 else "") + "\n")
    b3 = summary.get("booster3d", {})
    if not b3.get("ok", True):
        code = 3
    progress.say(f"report: {outp / 'report.html'} ({seconds['report']:.1f} s); total {seconds['total']:.1f} s")
    pk = summary["boost_factor"]
    progress.say(f"peak delivered boost factor {pk['mean']:.4g}, Monte-Carlo std {pk['std']:.4g}, at "
                 f"{pk['frequency_Hz'] / 1e9:.5f} GHz (95 % band {pk['q2_5']:.4g}..{pk['q97_5']:.4g})"
                 + ("" if "truth" not in summary else f"; truth {summary['truth']['peak']:.4g}"
                    f" ({'inside' if summary['truth']['peak_inside_95'] else 'OUTSIDE'} the band)"))
    if "uncertainty_budget_at_peak" in summary:
        b = summary["uncertainty_budget_at_peak"]
        progress.say("1-sigma at the peak by contribution (linear, boost-factor units): " + ", ".join(
            f"{n} {b['sources'][n]:.3g}" for n in b["sources"]) + f"; total {b['total_linear']:.4g}; Monte-Carlo "
            f"std {b['mc_std']:.4g}, without the field-shape factor {b['mc_std_without_field_shape']:.3g}")
    if code:
        for why in ([] if conv.converged else [conv.message]) + ([b3["reason"]] if not b3.get("ok", True) else []):
            progress.say(f"WARNING: {why}")
    finish_output_dir(outp)
    return DeriveResult(out=outp, status=code, stages=status, seconds=seconds, summary=summary)


def _summary(ctx: Context, R: CampaignResults) -> tuple[dict[str, Any], TruthComparison | None]:
    """The headline results (``results.json`` summary) and the comparison with the truth, if any."""
    mc, pk = R.montecarlo, R.montecarlo.peak
    out: dict[str, Any] = {
        "recipe": {"name": ctx.recipe.name, "path": str(ctx.recipe.path), "description": ctx.recipe.description},
        "boost_factor": {k: getattr(pk, k) for k in ("frequency_Hz", "mean", "std", "q2_5", "q97_5", "nominal",
                                                     "linear_std")},
        # conditional fit sigma: the fit error at fixed booster and LNA; Monte-Carlo spread: the std of the
        # per-sample refits over the drawn booster and LNA parameters (what the band carries)
        "line_delay_s": {"value": R.line_delay.tau, "conditional_fit_sigma": R.line_delay.sigma_tau,
                         "montecarlo_mean": mc.tau_mean, "montecarlo_spread": mc.tau_std},
        "mirror_gap_m": {"value": R.mirror_gap.gap, "conditional_fit_sigma": R.mirror_gap.sigma_gap,
                         "montecarlo_mean": mc.gap_mean, "montecarlo_spread": mc.gap_std},
        "t_sys_at_peak_K": t_sys_at_peak(R),
        "reach_best": to_json(R.sensitivity.best),
        "convergence": to_json(mc.convergence),
    }
    bud = mc.budget
    k = int(np.argmin(np.abs(mc.frequency - pk.frequency_Hz)))
    if bud is not None:
        at = bud.at(k)
        out["uncertainty_budget_at_peak"] = {
            "unit": "1 (boost factor)", "frequency_Hz": pk.frequency_Hz, "nominal": float(mc.nominal[k]),
            "sources": {n: at[f"source_{n}"] for n in bud.sources},
            "paths": {n: at[f"path_{n}"] for n in bud.paths},
            "path_cross_variance": at["path_cross_variance"],
            "conditional_not_in_band": {n: at[f"conditional_{n}"] for n in bud.conditional},
            "total_linear": at["total_linear"], "mc_std": at["mc_std"],
            "mc_std_without_field_shape": at["mc_std_without_field_shape"],
            "field_shape_sigma": {"value": bud.field_shape_sigma, "unit": "1", "source": bud.field_shape_source},
            "frequency_sigma_Hz": {"value": bud.frequency_sigma_Hz, "source": bud.frequency_sigma_source},
            "refit_linear_spread": {"tau_s": bud.tau_sigma_s, "gap_m": bud.gap_sigma_m}}
        share = {n: float(np.median(v**2 / bud.total_linear**2)) for n, v in bud.sources.items()}
        out["uncertainty_budget_band"] = {
            "unit": "1 (fraction of the linear variance)",
            "median_variance_share": share,
            "max_std": {n: float(np.max(v)) for n, v in bud.sources.items()}}
    tc = None
    if ctx.recipe.truth is not None:
        truth = truth_on(ctx, mc.frequency)
        if truth is not None:
            tc = compare_truth(mc, truth, ctx.recipe.truth.label, str(ctx.recipe.truth.file))
            out["truth"] = to_json(tc)
            if bud is not None:
                ratio = {"with_field_shape": _ratio_band(mc.mean, mc.quantile(0.025), mc.quantile(0.975), truth, k),
                         "without_field_shape": _ratio_band(bud.mc_mean_without_shape,
                                                            bud.mc_quantiles_without_shape["0.025"],
                                                            bud.mc_quantiles_without_shape["0.975"], truth, k)}
                out["truth"]["recovered_over_true_at_peak"] = ratio
    return out, tc


def _ratio_band(mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, truth: np.ndarray, k: int) -> dict[str, Any]:
    """recovered/true at index ``k`` with its 95 % band, and where the truth lies inside the band."""
    inside = (truth >= lo) & (truth <= hi)
    return {"ratio": float(mean[k] / truth[k]), "ratio_q2_5": float(lo[k] / truth[k]),
            "ratio_q97_5": float(hi[k] / truth[k]), "truth_inside_95_at_peak": bool(inside[k]),
            "fraction_of_band_inside_95": float(np.mean(inside))}


def _write_outputs(ctx: Context, R: CampaignResults, summary: dict[str, Any], tc: TruthComparison | None,
                   status: dict[str, str], seconds: dict[str, float], extra: Sequence[Section] = ()) -> None:
    from emboost.core.output import atomic_write_json, provenance
    from emboost.jobs.derive_report import TruthCurves, build_campaign_report
    from emboost.jobs.files import write_csv

    mc = R.montecarlo
    f = mc.frequency
    inputs = [ctx.recipe.path] + sorted({Path(p) for p in ctx.hashes})
    prov = provenance(inputs)
    doc = {"format": FORMAT, "summary": summary,
           "stages": {s.name: {"status": status[s.name], "seconds": seconds.get(s.name, 0.0),
                               "result": {k: v for k, v in ctx.results[s.name].items()
                                          if not isinstance(v, list) or len(v) < 50}}
                      for s in STAGES},
           "units": {"convention": "SI numbers (docs/units.md); a key's unit is its suffix (suffixes), else the "
                                   "table keys (dotted below stages.<name>.result), else a 'unit' field beside the "
                                   "number, else dimensionless",
                     "suffixes": UNIT_SUFFIXES, "keys": STAGE_UNITS},
           "provenance": prov}
    atomic_write_json(ctx.out / "results.json", doc)
    bud = mc.budget
    if bud is not None:
        cols: dict[str, Any] = {"frequency_Hz": f, "nominal": mc.nominal, "mc_std": bud.mc_std,
                                "mc_std_without_field_shape": bud.mc_std_without_shape,
                                "total_linear_std": bud.total_linear}
        cols.update({f"{n}_std": v for n, v in bud.sources.items()})
        cols.update({f"path_{n}_std": v for n, v in bud.paths.items()})
        cols["path_cross_variance"] = bud.path_cross_variance
        cols.update({f"conditional_{n}_std": v for n, v in bud.conditional.items()})
        write_csv(ctx.out / "budget.csv", cols, comments=[
            f"emboost derive {ctx.recipe.name}: 1-sigma of the delivered boost factor by contribution (boost-factor "
            "units, linear propagation); sources add in quadrature to total_linear_std; the path_* columns split "
            "booster_fit and lna by the way they act (path_cross_variance: their correlations, a variance); the "
            "conditional_* columns are the conditional fit sigma of tau and gap, not in the band",
            f"field_shape_sigma {bud.field_shape_sigma:g} (source: {bud.field_shape_source}); frequency_sigma "
            f"{bud.frequency_sigma_Hz:g} Hz (source: {bud.frequency_sigma_source})"])
    _write_netcdf(ctx, R, prov)
    curves = None
    if ctx.recipe.truth is not None:
        curves = TruthCurves(ctx.recipe.truth.label, truth_on(ctx, f),
                             truth_on(ctx, f, ctx.recipe.truth.t_sys_column) if ctx.recipe.truth.t_sys_column
                             else None)
    build_campaign_report(ctx.out / "report.html", ctx.recipe, R, tc, curves, status, seconds, prov, list(STAGES),
                          extra_sections=extra)


def read_samples(out: Path) -> dict[str, np.ndarray] | None:
    """The per-sample arrays of a derive run (``montecarlo/boost_samples.npz``, and the per-sample reach
    ``g`` of ``montecarlo/reach_samples.npz``), or None when the run stored none."""
    p = out / "montecarlo" / "boost_samples.npz"
    if not p.is_file():
        return None
    with np.load(p) as z:
        d = {k: np.asarray(z[k]) for k in z.files}
    g = out / "montecarlo" / "reach_samples.npz"
    if g.is_file():
        with np.load(g) as z:
            d.update({k: np.asarray(z[k]) for k in ("g", "g_nominal") if k in z.files})
    return d


def _write_netcdf(ctx: Context, R: CampaignResults, prov: dict[str, Any]) -> None:
    """``results.nc``: the band, the reach, the budget and every sample (schema of :mod:`emboost.mc.ncschema`)."""
    from emboost.jobs.files import write_results
    from emboost.jobs.mc import _si_units
    from emboost.mc.ncschema import global_attributes

    fit = ctx.booster_fit()
    variables = R.variables(read_samples(ctx.out), list(fit.fit.free), _si_units(fit))
    failed = failed_verdicts(ctx.results)
    attrs = global_attributes(f"emboost derive: {ctx.recipe.name}", "emboost derive (emboost.jobs.derive)",
                              prov["inputs"], samples=R.montecarlo.samples, seed=R.montecarlo.seed,
                              converged=int(R.montecarlo.convergence.converged),
                              verdicts="ok" if not failed else "; ".join(failed))
    write_results(ctx.out / "results.nc", variables, attrs, say=ctx.progress.say)
