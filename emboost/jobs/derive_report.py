"""The report of ``emboost derive``: one section per stage plus summary, truth, inputs and provenance.

Lays out :class:`emboost.report.html.Section` objects from the stage results of a campaign and writes the
self-contained page (:func:`emboost.report.html.write_report`); the figures come from
:mod:`emboost.report.campaign_figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emboost.jobs.campaign import CampaignRecipe
from emboost.jobs.derive_results import (
    BudgetSummary,
    CampaignResults,
    FittedParameter,
    TruthComparison,
    t_sys_at_peak,
)
from emboost.jobs.derive_stages import Stage
from emboost.jobs.recipes import display_value
from emboost.report.campaign_figures import (
    budget_figure,
    recovered_over_true_figure,
    truth_band_figure,
    tsys_band_figure,
)
from emboost.report.html import Figure, ReportTable, Section, fmt, fmt_pm, write_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

__all__ = ["build_campaign_report", "CAMPAIGN_SECTIONS", "TruthCurves", "SOURCE_LABELS", "PATH_LABELS"]

#: names of the budget's independent sources (:class:`emboost.jobs.derive_results.BudgetSummary`)
SOURCE_LABELS = {"booster_fit": "booster fit covariance (τ and gap refitted)",
                 "lna": "LNA noise parameters (through the τ and gap refits)",
                 "field_shape": "field-shape factor", "frequency_shift": "frequency shift"}
#: names of the paths by which the booster and LNA terms act
PATH_LABELS = {"direct": "booster parameters at fixed τ and gap", "tau_refit": "τ refit",
               "gap_refit": "mirror-gap refit"}

#: section ids of the campaign report, in page order ("truth" only when the recipe names a truth file)
CAMPAIGN_SECTIONS = ("summary", "truth", "calibration", "booster_fit", "noise_fit", "line_delay", "mirror_gap",
                     "montecarlo", "budget", "tsys", "sensitivity", "stages", "inputs", "provenance")


@dataclass(frozen=True, eq=False)
class TruthCurves:
    """The stored true curves on the band (SYNTHETIC campaigns): delivered boost factor and T_sys [K]."""

    label: str
    boost: np.ndarray | None
    t_sys: np.ndarray | None


def _save(fig: MplFigure, path: Path) -> None:
    from emboost.core.output import atomic_savefig

    atomic_savefig(fig, path, dpi=100)


def _budget_section(out: Path, recipe: CampaignRecipe, R: CampaignResults, bud: BudgetSummary, k: int,
                    truth: TruthCurves | None) -> Section:
    """The uncertainty budget: table at the peak and across the band, stacked plot, recovered/true panel."""
    mc = R.montecarlo
    f = mc.frequency
    tot = bud.total_linear
    tk = float(tot[k])

    def row(name: str, v: np.ndarray, kind: str) -> tuple[str, ...]:
        share = {"source": f"{fmt(100 * float(v[k]) ** 2 / tk ** 2, 3)} %", "path": "(not additive)",
                 "total": "-"}[kind]
        return (name, kind, fmt(float(v[k]), 4), share, fmt(float(np.median(v)), 3), fmt(float(np.max(v)), 3))

    lab = SOURCE_LABELS
    rows = [row(f"{lab['booster_fit']}", bud.sources["booster_fit"], "source"),
            row(f"{lab['lna']}", bud.sources["lna"], "source"),
            row(f"  path: {PATH_LABELS['direct']}", bud.paths["direct"], "path"),
            row(f"  path: τ refit (linear spread of τ {fmt(bud.tau_sigma_s / 1e-12, 3, 'ps')})",
                bud.paths["tau_refit"], "path"),
            row(f"  path: mirror-gap refit (linear spread of the gap {fmt(bud.gap_sigma_m / 1e-6, 3, 'µm')})",
                bud.paths["gap_refit"], "path"),
            ("  path correlations (signed variance)", "path", fmt(float(bud.path_cross_variance[k]), 4),
             "(not additive)", fmt(float(np.median(bud.path_cross_variance)), 3), "-"),
            row(f"field-shape factor N(1, {fmt(bud.field_shape_sigma, 3)}) [{bud.field_shape_source}]",
                bud.sources["field_shape"], "source"),
            row(f"frequency shift N(0, {fmt(bud.frequency_sigma_Hz / 1e6, 3, 'MHz')}) [{bud.frequency_sigma_source}]",
                bud.sources["frequency_shift"], "source"),
            row("total (linear propagation)", tot, "total"),
            row("Monte-Carlo std (all terms)", bud.mc_std, "total"),
            row("Monte-Carlo std without the field-shape factor", bud.mc_std_without_shape, "total"),
            ("not in the band: conditional fit σ of τ (T_sys noise)", "conditional",
             fmt(float(bud.conditional["tau_fit"][k]), 3), "-", fmt(float(np.median(bud.conditional["tau_fit"])), 3),
             fmt(float(np.max(bud.conditional["tau_fit"])), 3)),
            ("not in the band: conditional fit σ of the mirror gap (T_sys noise)", "conditional",
             fmt(float(bud.conditional["gap_fit"][k]), 3), "-", fmt(float(np.median(bud.conditional["gap_fit"])), 3),
             fmt(float(np.max(bud.conditional["gap_fit"])), 3))]
    _save(budget_figure(f, bud.sources, SOURCE_LABELS, bud.paths, PATH_LABELS, bud.mc_std, bud.mc_std_without_shape),
          out / "budget.png")
    figs = [Figure(out / "budget.png", "1σ by source, stacked in variance, and the booster/LNA terms by path")]
    text = [
        f"Every entry is a 1σ of the delivered boost factor (boost-factor units) at the peak "
        f"{fmt(f[k] / 1e9, 7, 'GHz')} (nominal {fmt(float(mc.nominal[k]))}), with its median and maximum over the band "
        f"{fmt(f[0] / 1e9, 5)}-{fmt(f[-1] / 1e9, 5)} GHz; linear propagation through the whole pipeline (refits "
        "included, emboost.mc.engine.uncertainty_budget) unless marked Monte-Carlo. The sources are independent: "
        "their variances add up to the total. The booster and LNA terms act through three paths (the booster "
        "parameters at fixed τ and gap, the τ refit, the mirror-gap refit); the gap refit largely cancels the direct "
        "path (it pins the mode to the measured T_sys), so the paths are listed with their correlation term and are "
        "not additive.",
        f"The field-shape factor is an assumed input, σ = {fmt(bud.field_shape_sigma, 3)}, source: "
        f"{bud.field_shape_source} (recipe key montecarlo.field_shape_sigma). At the peak it is "
        f"{fmt(100 * float(bud.sources['field_shape'][k]) ** 2 / tk ** 2, 3)} % of the variance; without it the "
        f"Monte-Carlo std would be {fmt(float(bud.mc_std_without_shape[k]), 3)} instead of "
        f"{fmt(float(bud.mc_std[k]), 3)}."]
    if truth is not None and truth.boost is not None:
        t = truth.boost
        lo, hi = mc.quantile(0.025), mc.quantile(0.975)
        nlo, nhi = bud.mc_quantiles_without_shape["0.025"], bud.mc_quantiles_without_shape["0.975"]
        _save(recovered_over_true_figure(f, t, [("with the field-shape term", mc.mean, lo, hi),
                                                ("without the field-shape term", bud.mc_mean_without_shape, nlo,
                                                 nhi)]), out / "recovered_over_true.png")
        figs.append(Figure(out / "recovered_over_true.png", "recovered/true with and without the field-shape term"))
        ins = float(np.mean((t >= lo) & (t <= hi)))
        ins_n = float(np.mean((t >= nlo) & (t <= nhi)))
        text.append(
            f"Against the stored truth ({truth.label}): at the peak recovered/true = "
            f"{fmt(float(mc.mean[k] / t[k]), 4)} (95 % band {fmt(float(lo[k] / t[k]), 4)} .. "
            f"{fmt(float(hi[k] / t[k]), 4)}) with the field-shape term and "
            f"{fmt(float(bud.mc_mean_without_shape[k] / t[k]), 4)} "
            f"({fmt(float(nlo[k] / t[k]), 4)} .. {fmt(float(nhi[k] / t[k]), 4)}) without it; the truth lies inside "
            f"the 95 % band over {fmt(100 * ins, 3)} % of the band with it and {fmt(100 * ins_n, 3)} % without it. "
            "The synthetic campaign has no field-shape error of its own beyond the non-planar disk, so this shows "
            "how much of the band the assumed term carries.")
    return Section("budget", "Uncertainty budget", tuple(text),
                   (ReportTable(("contribution", "kind", "1σ at the peak", "share of the variance at the peak",
                                 "median over the band", "max over the band"), tuple(rows)),), tuple(figs))


def build_campaign_report(path: Path, recipe: CampaignRecipe, R: CampaignResults, tc: TruthComparison | None,
                          truth: TruthCurves | None, status: Mapping[str, str], seconds: Mapping[str, float],
                          prov: Mapping[str, Any], stages: Sequence[Stage],
                          extra_sections: Sequence[Section] = ()) -> Path:
    """The report of ``emboost derive``: one section per stage plus summary, truth, inputs and provenance.

    ``tc`` compares the band with the truth, ``truth`` holds the true curves on the band (SYNTHETIC campaigns);
    ``prov`` is the provenance document (:func:`emboost.core.output.provenance`); ``extra_sections`` (optional
    analyses such as the 3-D tolerance band of emboost.jobs.derive_multimode) come before the stage table.
    """
    out = Path(path).parent
    cal, bf, nf, ld, mg, mc, sn = (R.calibration, R.booster_fit, R.noise_fit, R.line_delay, R.mirror_gap,
                                   R.montecarlo, R.sensitivity)
    f = mc.frequency
    pk = mc.peak
    secs: list[Section] = []
    bud = mc.budget
    kpk = int(np.argmin(np.abs(f - pk.frequency_Hz)))
    rows = [("peak delivered boost factor: Monte-Carlo mean, Monte-Carlo std", f"{fmt(pk.mean)}, {fmt(pk.std, 3)}"),
            ("95 % band at the peak (Monte-Carlo quantiles)", f"{fmt(pk.q2_5)} .. {fmt(pk.q97_5)}"),
            ("peak frequency", fmt(pk.frequency_Hz / 1e9, 7, "GHz")),
            ("best-fit (nominal) boost factor at the peak", fmt(pk.nominal)),
            ("linear-propagation std at the peak", fmt(pk.linear_std))]
    if bud is not None:
        src = {n: float(v[kpk]) for n, v in bud.sources.items()}
        top = max(src, key=lambda n: src[n])
        rows.append(("largest contribution to the std at the peak",
                     f"{SOURCE_LABELS.get(top, top)}: {fmt(src[top], 4)} of {fmt(float(bud.total_linear[kpk]), 4)} "
                     f"(linear; {fmt(100 * src[top] ** 2 / float(bud.total_linear[kpk]) ** 2, 3)} % of the variance); "
                     "see the uncertainty budget"))
        rows.append(("Monte-Carlo std at the peak without the field-shape factor",
                     fmt(float(bud.mc_std_without_shape[kpk]), 3)))
    rows += [("booster-LNA line delay τ (value; conditional fit σ; Monte-Carlo spread)",
              f"{fmt(ld.tau / 1e-9, 7, 'ns')}; {fmt(ld.sigma_tau / 1e-12, 3, 'ps')}; "
              f"{fmt(mc.tau_std / 1e-12, 3, 'ps')}"),
             ("mirror gap during the run (value; conditional fit σ; Monte-Carlo spread)",
              f"{fmt(mg.gap / 1e-3, 7, 'mm')}; {fmt(mg.sigma_gap / 1e-6, 3, 'µm')}; "
              f"{fmt(mc.gap_std / 1e-6, 3, 'µm')}"),
             ("T_sys at the peak", fmt(t_sys_at_peak(R), 4, "K")),
             ("best |g_aγ| reach (median, 95 % band)",
              f"{fmt(sn.best.g_median_GeV, 3)} GeV⁻¹ ({fmt(sn.best.g_q2_5_GeV, 3)} .. "
              f"{fmt(sn.best.g_q97_5_GeV, 3)} GeV⁻¹) at {fmt(sn.best.frequency_Hz / 1e9, 6)} GHz"),
             ("KSVZ / DFSZ there", f"{fmt(sn.best.ksvz_GeV, 3)} / {fmt(sn.best.dfsz_GeV, 3)} GeV⁻¹"),
             ("Monte-Carlo samples, seed", f"{mc.samples}, {mc.seed}"),
             ("convergence", mc.convergence.message)]
    secs.append(Section("summary", "Summary", (
        f"Campaign recipe {recipe.path.name}: {recipe.name}. {recipe.description}".strip(),
        "Procedure (MADMAX, physics.md §2.1, §2.6-§2.8): Y-factor calibration, booster reflectivity fit, LNA noise "
        "fit to the standards, line-delay fit to the broadband T_sys, mirror-gap refit to the narrowband T_sys, "
        "Monte-Carlo of the delivered boost factor, sensitivity.",
        "Two kinds of uncertainty appear in this report and are always labelled: the conditional fit σ (the fit "
        "error of a quantity with everything else held at its best value, from the noise of the data fitted) and "
        "the Monte-Carlo spread (the standard deviation over the samples, where the booster and LNA parameters are "
        "drawn and τ and the mirror gap refitted per sample). The band is built from the Monte-Carlo samples."),
        (ReportTable(("quantity", "value"), tuple(rows)),)))
    if truth is not None and truth.boost is not None and tc is not None:
        tr = tc
        qs = {float(k): v for k, v in mc.quantiles.items()}
        _save(truth_band_figure(f, mc.mean, qs, truth.boost, truth.label), out / "boost_vs_truth.png")
        secs.append(Section("truth", "Recovered band against the truth", (
            f"The inputs are {tr.label}: the true delivered boost factor is stored beside them ({tr.file}).",),
            (ReportTable(("quantity", "value"), (
                ("true peak delivered boost factor",
                 f"{fmt(tr.peak)} at {fmt(tr.peak_frequency_Hz / 1e9, 7)} GHz"),
                ("recovered 95 % band at the true peak", f"{fmt(tr.band_at_true_peak[0])} .. "
                                                         f"{fmt(tr.band_at_true_peak[1])}"),
                ("true peak inside the recovered 95 % band", "yes" if tr.peak_inside_95 else "NO"),
                ("recovered peak / true peak", fmt(tr.recovered_over_true_peak, 4)),
                ("recovered peak frequency - true", fmt((tr.recovered_peak_frequency_Hz - tr.peak_frequency_Hz)
                                                        / 1e6, 3, "MHz")),
                ("fraction of the band where the truth lies inside the 95 % band",
                 fmt(tr.fraction_of_band_inside_95, 3)))),),
            (Figure(out / "boost_vs_truth.png", "recovered band and truth"),)))
    budget = ", ".join(f"{k} {100 * v:.3g} %" for k, v in cal.c_cal_relative_budget_median.items())
    secs.append(Section("calibration", "Y-factor calibration", (
        "Gain, receiver temperature and calibration factor c_cal = 1/(G k Δν) from the noise source on/off spectra "
        "(physics.md A.9-A.11); T_sys = c_cal × P. Spectra Savitzky-Golay smoothed; ENR, attenuator, physical "
        "temperature and spectrum noise propagated as uncorrelated.",),
        (ReportTable(("quantity", "median over the band"), (
            ("gain", fmt(cal.gain_median_dB, 5, "dB")), ("T_rec", fmt(cal.t_rec_median_K, 4, "K")),
            ("relative σ(c_cal)", fmt(100 * cal.c_cal_relative_sigma_median, 3, "%")),
            ("σ(c_cal) budget", budget or "-"),
            ("resolution bandwidth", fmt(cal.resolution_bandwidth_Hz / 1e3, 4, "kHz")))),),
        (Figure(out / "calibration.png", "gain, T_rec and c_cal with their 1σ bands"),)))
    def _shown(p: FittedParameter) -> tuple[float, str]:
        u = "" if p.display_unit == "1" else p.display_unit
        return (1.0 / display_value(1.0, p.display_unit), u)

    prow = tuple((n, fmt_pm(p.value, p.stderr, *_shown(p)), fmt(p.initial / _shown(p)[0], 6, _shown(p)[1]))
                 for n, p in bf.parameters.items())
    secs.append(Section("booster_fit", "Booster reflectivity fit", (
        f"Complex S11 over {fmt(bf.band_Hz[0] / 1e9, 5)}-{fmt(bf.band_Hz[1] / 1e9, 5)} GHz ({bf.points} "
        f"points) fitted with the 1-D model of {Path(str(recipe.setup)).name}: reduced χ² {fmt(bf.redchi, 4)}, "
        f"rms |ΔS11| {fmt(bf.rms_s11, 3)}. Matched-output peak boost factor of the fit "
        f"{fmt_pm(bf.peak_boost_matched, bf.peak_boost_matched_stderr)} at "
        f"{fmt(bf.peak_frequency_Hz / 1e9, 6)} GHz (setup-file values: {fmt(bf.nominal_peak_boost)} at "
        f"{fmt(bf.nominal_peak_frequency_Hz / 1e9, 6)} GHz).",),
        (ReportTable(("parameter", "fitted value ± 1σ (fit covariance)", "start"), prow,
                     "fitted parameters (1σ from the covariance)"),),
        (Figure(out / "booster_fit.png", "reflected power and group delay: data, model, residuals"),
         Figure(out / "booster_model.png", "the fitted booster model"))))
    names = ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase")
    units = {"sqrt_sv": (1e-12, "pV/√Hz"), "sqrt_si": (1e-12, "pA/√Hz"), "rho_mag": (1.0, ""),
             "rho_phase": (1.0, "rad")}
    nrows = tuple((n, fmt_pm(nf.sources[n], nf.stderr[n], *units[n]),
                   fmt(nf.calibration_band_half_spread[n] / units[n][0], 3, units[n][1]),
                   fmt(nf.lna_sigma[n] / units[n][0], 3, units[n][1])) for n in names)
    np50 = nf.noise_parameters_z0_50
    secs.append(Section("noise_fit", "Receiver noise parameters", (
        f"LNA noise sources fitted to the T_sys of short, open and load (physics.md §2.6): reduced χ² "
        f"{fmt(nf.redchi, 4)}; open/short delays {fmt_pm(nf.tau_open, nf.tau_open_stderr, 1e-9, 'ns')} / "
        f"{fmt_pm(nf.tau_short, nf.tau_short_stderr, 1e-9, 'ns')}. T_e with a 50 Ω source "
        f"{fmt(nf.t_e_50ohm_K, 4, 'K')}; T_min {fmt(np50['t_min'], 4, 'K')}, R_n {fmt(np50['r_n'], 4, 'Ω')}. "
        "The Monte-Carlo σ of each parameter combines the fit error with half the spread of fits to the ±1σ "
        f"calibration band (±{fmt(100 * nf.calibration_relative_sigma, 3)} %).",),
        (ReportTable(("parameter", "fit", "calibration-band half spread", "Monte-Carlo σ"), nrows),),
        (Figure(out / "noise_standards.png", "T_sys of the standards with the fitted noise model"),)))
    secs.append(Section("line_delay", "Line delay", (
        f"τ = {fmt(ld.tau / 1e-9, 7, 'ns')} from the broadband T_sys with the fitted booster (reduced χ² "
        f"{fmt(ld.redchi, 4)}, {ld.ndata} points); conditional fit σ {fmt(ld.sigma_tau / 1e-12, 3, 'ps')} (booster "
        f"and LNA at their best values); Monte-Carlo spread {fmt(mc.tau_std / 1e-12, 3, 'ps')} (see the "
        "Monte-Carlo section).",), (),
        (Figure(out / "tsys_broadband.png", "broadband T_sys and the combined booster + line + LNA model"),)))
    secs.append(Section("mirror_gap", "Mirror-gap refit", (
        f"Mirror gap during the run {fmt(mg.gap / 1e-3, 7, 'mm')}, conditional fit σ "
        f"{fmt(mg.sigma_gap / 1e-6, 3, 'µm')}; Monte-Carlo spread {fmt(mc.gap_std / 1e-6, 3, 'µm')} (fitted at "
        f"the VNA measurement: {fmt(mg.fitted_gap_1_m / 1e-3, 6, 'mm')}; reduced χ² {fmt(mg.redchi, 4)}).",), (),
        (Figure(out / "tsys_narrowband.png", "narrowband T_sys during the run and the model"),)))
    conv = mc.convergence
    nr = mc.nominal_refits
    secs.append(Section("montecarlo", "Monte-Carlo boost-factor band", (
        f"{mc.samples} samples (seed {mc.seed}): booster parameters from the fit covariance, LNA noise "
        "parameters from independent normals, τ and mirror gap refitted per sample, field-shape factor "
        f"N(1, {fmt(recipe.montecarlo.field_shape_sigma, 3)})"
        + (f" (source: {mc.budget.field_shape_source})" if mc.budget is not None else "")
        + f" and frequency shift N(0, {fmt(recipe.montecarlo.frequency_sigma / 1e6, 3, 'MHz')}) (physics.md §2.8); "
        f"the uncertainty budget section splits the band's σ by contribution. {conv.message}.",
        f"Refits over the samples: τ mean {fmt(mc.tau_mean / 1e-9, 7, 'ns')}, Monte-Carlo spread "
        f"{fmt(mc.tau_std / 1e-12, 3, 'ps')} (conditional fit σ {fmt(ld.sigma_tau / 1e-12, 3, 'ps')}); gap mean "
        f"{fmt(mc.gap_mean / 1e-3, 7, 'mm')}, Monte-Carlo spread {fmt(mc.gap_std / 1e-6, 3, 'µm')} (conditional fit "
        f"σ {fmt(mg.sigma_gap / 1e-6, 3, 'µm')}); nominal refit reduced χ² τ "
        f"{fmt(nr['tau_redchi'], 4)}, gap {fmt(nr['gap_redchi'], 4)}; {mc.samples_on_search_edge} samples on a "
        "search-window edge.",),
        (ReportTable(("quantity", "value"), (
            ("peak: Monte-Carlo mean, Monte-Carlo std", f"{fmt(pk.mean)}, {fmt(pk.std, 3)}"),
            ("relative Monte-Carlo std at the peak", fmt(100 * pk.std / pk.mean, 3, "%")),
            ("linear propagation std (cross-check)", fmt(pk.linear_std)),
            ("Monte-Carlo wall time", fmt(mc.timing["wall_s"], 3, "s")),
            ("chunks computed / reused", f"{mc.timing['computed_chunks']} / {mc.timing['reused_chunks']}"))),),
        (Figure(out / "boost_band.png", "delivered boost-factor band (68 % and 95 %)"),
         Figure(out / "boost_relative_uncertainty.png", "relative uncertainty, Monte-Carlo and linear"))))
    if bud is not None:
        secs.append(_budget_section(out, recipe, R, bud, kpk, truth))
    _save(tsys_band_figure(f, sn.t_sys, sn.t_sys_source, truth.t_sys if truth is not None else None,
                           truth.label if truth is not None else ""), out / "tsys_band.png")
    secs.append(Section("tsys", "System temperature", (
        f"T_sys on the analysis band from the {sn.t_sys_source} spectrum (c_cal × power, Savitzky-Golay "
        "smoothed); the broadband and narrowband spectra with their models are in the line-delay and mirror-gap "
        "sections.",), (), (Figure(out / "tsys_band.png", "T_sys used for the sensitivity"),)))
    st = sn.settings
    secs.append(Section("sensitivity", "Sensitivity", (
        f"|g_aγ| reached with SNR {fmt(st.snr)} in {fmt(st.time_s / 86400, 4)} d (MADMAX eq. 1.1) for every "
        "boost-factor sample, with the calibration uncertainty of T_sys drawn per sample: "
        f"B = {fmt(st.b_field_T)} T, "
        f"A = {fmt(st.area_m2, 4)} m², ρ = {fmt(st.dm_density_J_per_m3 / 1.602176634e-10 * 1e-6, 3)} GeV/cm³.",),
        (ReportTable(("quantity", "value"), (
            ("best reach (median)", fmt(sn.best.g_median_GeV, 4, "GeV⁻¹")),
            ("95 % band", f"{fmt(sn.best.g_q2_5_GeV, 3)} .. {fmt(sn.best.g_q97_5_GeV, 3)} GeV⁻¹"),
            ("at", fmt(sn.best.frequency_Hz / 1e9, 7, "GHz")),
            ("KSVZ, DFSZ", f"{fmt(sn.best.ksvz_GeV, 3)}, {fmt(sn.best.dfsz_GeV, 3)} GeV⁻¹"))),),
        (Figure(out / "reach.png", "coupling reach with the KSVZ and DFSZ lines"),)))
    secs.extend(extra_sections)
    srows = tuple((s.name, s.title, status[s.name], fmt(seconds.get(s.name, 0.0), 3, "s")) for s in stages)
    srows += (("report", "report and machine-readable results", "computed", fmt(seconds.get("report", 0.0), 3, "s")),)
    secs.append(Section("stages", "Stages", (
        "Each stage's result is cached in stages/<name>.json with the hashes of its inputs and settings; "
        "'emboost derive ... --resume' reuses unchanged stages and continues the Monte-Carlo from its checkpoint.",),
        (ReportTable(("stage", "what", "this run", "time"), srows),)))
    inputs = prov.get("inputs", {})
    secs.append(Section("inputs", "Input files", (), (ReportTable(("file", "SHA-256"), tuple(
        (k, v) for k, v in inputs.items())),)))
    vers = prov.get("versions", {})
    secs.append(Section("provenance", "Provenance", (
        f"Created {prov.get('created', '-')}; command: {prov.get('command', '-')}.",
        "Machine-readable results: results.json, boost_band.csv, budget.csv, reach.csv, results.nc, calibration.csv, "
        "booster_fit.json, noise_standards.csv, tsys_broadband.csv, tsys_narrowband.csv."),
        (ReportTable(("package", "version"), tuple((k, str(v)) for k, v in vers.items())),)))
    return write_report(path, f"emboost derive: {recipe.name}", secs,
                        "Boost factor, system temperature and sensitivity of a dielectric haloscope run.")
