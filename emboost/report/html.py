"""Self-contained HTML reports: sections of text, tables and figures, every PNG embedded as base64.

The page needs nothing beside itself (no external style sheet, script, font or image), so it can be
mailed or archived as one file. :func:`render_html` turns :class:`Section` objects into the page;
:func:`build_campaign_report` lays out the report of ``emboost derive`` (:mod:`emboost.jobs.derive`).

>>> s = Section("fit", "Fit", paragraphs=("a <b> c",), tables=(ReportTable(("x", "y"), (("1", "2"),)),))
>>> html = render_html("Demo", [s])
>>> '<section id="fit">' in html, "a &lt;b&gt; c" in html, "http" in html
(True, True, False)
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ReportTable", "Figure", "Section", "render_html", "write_report", "fmt", "fmt_pm",
           "build_campaign_report", "CAMPAIGN_SECTIONS"]

#: section ids of the campaign report, in page order ("truth" only when the recipe names a truth file)
CAMPAIGN_SECTIONS = ("summary", "truth", "calibration", "booster_fit", "noise_fit", "line_delay", "mirror_gap",
                     "montecarlo", "tsys", "sensitivity", "stages", "inputs", "provenance")


@dataclass(frozen=True)
class ReportTable:
    """A table: ``header`` and ``rows`` of already formatted strings, optional ``caption``."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A PNG file to embed, with its caption."""

    path: Path
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """A report section: ``id`` (HTML anchor), ``title``, paragraphs (plain text, escaped), tables, figures."""

    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[Figure, ...] = ()


def fmt(x: Any, digits: int = 4, unit: str = "") -> str:
    """A number with ``digits`` significant digits (``-`` for None/NaN) and an optional unit."""
    if x is None:
        return "-"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "-"
    s = f"{v:.{digits}g}"
    return f"{s} {unit}".strip()


def fmt_pm(value: Any, error: Any, scale: float = 1.0, unit: str = "", digits: int = 2) -> str:
    """``value +- error`` in ``unit`` (both divided by ``scale``), rounded to the error's ``digits`` digits.

    >>> fmt_pm(9.7512345e-3, 2.3e-6, 1e-3, "mm")
    '9.7512 ± 0.0023 mm'
    """
    if value is None or error is None or not math.isfinite(float(error)) or float(error) <= 0:
        return fmt(None if value is None else float(value) / scale, 6, unit)
    v, e = float(value) / scale, float(error) / scale
    dec = max(0, digits - 1 - int(math.floor(math.log10(abs(e)))))
    return f"{v:.{dec}f} ± {e:.{dec}f} {unit}".strip()


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #446;padding-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;
border-bottom:1px solid #ccd}table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #bbc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#eef}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}figure{margin:1em 0}
figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.85em;color:#444}
nav ul{columns:3;font-size:.9em}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;
word-break:break-all}
"""


def _png_data_uri(path: Path) -> str:
    data = Path(path).read_bytes()
    if not data.startswith(b"\x89PNG"):
        raise ValueError(f"{path} is not a PNG file")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def render_html(title: str, sections: Sequence[Section], subtitle: str = "") -> str:
    """The whole page as a string (UTF-8, self-contained)."""
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    if subtitle:
        out.append(f"<p>{e(subtitle)}</p>")
    out.append("<nav><ul>" + "".join(f'<li><a href="#{e(s.id)}">{e(s.title)}</a></li>' for s in sections)
               + "</ul></nav>")
    for s in sections:
        out.append(f'<section id="{e(s.id)}"><h2>{e(s.title)}</h2>')
        for p in s.paragraphs:
            out.append(f"<p>{e(p)}</p>")
        for t in s.tables:
            out.append("<table>")
            if t.caption:
                out.append(f"<caption>{e(t.caption)}</caption>")
            out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in t.header) + "</tr>")
            for row in t.rows:
                out.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
            out.append("</table>")
        for fig in s.figures:
            out.append(f'<figure><img alt="{e(fig.caption or fig.path.name)}" src="{_png_data_uri(fig.path)}">'
                       f"<figcaption>{e(fig.caption)} ({e(fig.path.name)})</figcaption></figure>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(path: str | os.PathLike[str], title: str, sections: Sequence[Section], subtitle: str = "") -> Path:
    """Render and write the page atomically; returns its path."""
    from emboost.core.output import atomic_write_text

    path = Path(path)
    atomic_write_text(path, render_html(title, sections, subtitle))
    return path


# ------------------------------------------------------------------------------------- campaign report
def _truth_png(path: Path, f: np.ndarray, mc: dict[str, Any], truth: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emboost.core.output import atomic_savefig

    fg = f / 1e9
    q = mc["quantiles"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.fill_between(fg, q["0.025"], q["0.975"], color="C0", alpha=0.2, lw=0, label="recovered 95 % band")
    if "0.16" in q and "0.84" in q:
        ax.fill_between(fg, q["0.16"], q["0.84"], color="C0", alpha=0.35, lw=0, label="recovered 68 % band")
    ax.plot(fg, mc["mean"], color="C0", label="recovered (Monte-Carlo mean)")
    ax.plot(fg, truth["boost"], "k--", lw=1.5, label=truth["label"])
    ax.set_xlabel("frequency [GHz]")
    ax.set_ylabel(r"delivered boost factor $\beta^2$")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("recovered boost-factor band against the stored truth", fontsize=10)
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=100)
    plt.close(fig)


def _tsys_png(path: Path, f: np.ndarray, sn: dict[str, Any], truth: dict[str, Any] | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emboost.core.output import atomic_savefig

    fg = f / 1e9
    t = np.asarray(sn["t_sys"])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(fg, t, label=f"measured ({sn['t_sys_source']}, smoothed)")
    if truth is not None and truth.get("t_sys") is not None:
        ax.plot(fg, truth["t_sys"], "k--", lw=1, label=f"{truth['label']}")
    ax.set_xlabel("frequency [GHz]")
    ax.set_ylabel(r"$T_\mathrm{sys}$ [K]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("system temperature used for the sensitivity", fontsize=10)
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=100)
    plt.close(fig)


def build_campaign_report(path: Path, recipe: Any, R: dict[str, dict[str, Any]], summary: dict[str, Any],
                          status: dict[str, str], seconds: dict[str, float], prov: dict[str, Any],
                          truth: dict[str, Any] | None, stages: Sequence[Any]) -> Path:
    """The report of ``emboost derive``: one section per stage plus summary, truth, inputs and provenance."""
    out = Path(path).parent
    cal, bf, nf, ld, mg, mc, sn = (R[k] for k in ("calibration", "booster_fit", "noise_fit", "line_delay",
                                                   "mirror_gap", "montecarlo", "sensitivity"))
    f = np.asarray(mc["frequency"])
    pk = summary["boost_factor"]
    secs: list[Section] = []
    rows = [("peak delivered boost factor (Monte-Carlo mean ± std)", fmt_pm(pk["mean"], pk["std"])),
            ("95 % band at the peak", f"{fmt(pk['q2_5'])} .. {fmt(pk['q97_5'])}"),
            ("peak frequency", fmt(pk["frequency_Hz"] / 1e9, 7, "GHz")),
            ("best-fit (nominal) boost factor at the peak", fmt(pk["nominal"])),
            ("linear-propagation std at the peak", fmt(pk["linear_std"])),
            ("booster-LNA line delay τ", fmt_pm(ld["tau"], ld["sigma_tau"], 1e-9, "ns")),
            ("mirror gap during the run", fmt_pm(mg["gap"], mg["sigma_gap"], 1e-3, "mm")),
            ("T_sys at the peak", fmt(summary["t_sys_at_peak_K"], 4, "K")),
            ("best |g_aγ| reach (median, 95 % band)",
             f"{fmt(sn['best']['g_median_GeV'], 3)} GeV⁻¹ ({fmt(sn['best']['g_q2_5_GeV'], 3)} .. "
             f"{fmt(sn['best']['g_q97_5_GeV'], 3)}) at {fmt(sn['best']['frequency_Hz'] / 1e9, 6)} GHz"),
            ("KSVZ / DFSZ there", f"{fmt(sn['best']['ksvz_GeV'], 3)} / {fmt(sn['best']['dfsz_GeV'], 3)} GeV⁻¹"),
            ("Monte-Carlo samples, seed", f"{mc['samples']}, {mc['seed']}"),
            ("convergence", mc["convergence"]["message"])]
    secs.append(Section("summary", "Summary", (
        f"Campaign recipe {recipe.path.name}: {recipe.name}. {recipe.description}".strip(),
        "Procedure (MADMAX, physics.md §2.1, §2.6-§2.8): Y-factor calibration, booster reflectivity fit, LNA noise "
        "fit to the standards, line-delay fit to the broadband T_sys, mirror-gap refit to the narrowband T_sys, "
        "Monte-Carlo of the delivered boost factor, sensitivity."),
        (ReportTable(("quantity", "value"), tuple(rows)),)))
    if truth is not None and truth.get("boost") is not None and "truth" in summary:
        tr = summary["truth"]
        _truth_png(out / "boost_vs_truth.png", f, mc, truth)
        secs.append(Section("truth", "Recovered band against the truth", (
            f"The inputs are {tr['label']}: the true delivered boost factor is stored beside them ({tr['file']}).",),
            (ReportTable(("quantity", "value"), (
                ("true peak delivered boost factor",
                 f"{fmt(tr['peak'])} at {fmt(tr['peak_frequency_Hz'] / 1e9, 7)} GHz"),
                ("recovered 95 % band at the true peak", f"{fmt(tr['band_at_true_peak'][0])} .. "
                                                         f"{fmt(tr['band_at_true_peak'][1])}"),
                ("true peak inside the recovered 95 % band", "yes" if tr["peak_inside_95"] else "NO"),
                ("recovered peak / true peak", fmt(tr["recovered_over_true_peak"], 4)),
                ("recovered peak frequency - true", fmt((tr["recovered_peak_frequency_Hz"] - tr["peak_frequency_Hz"])
                                                        / 1e6, 3, "MHz")),
                ("fraction of the band where the truth lies inside the 95 % band",
                 fmt(tr["fraction_of_band_inside_95"], 3)))),),
            (Figure(out / "boost_vs_truth.png", "recovered band and truth"),)))
    budget = ", ".join(f"{k} {100 * v:.3g} %" for k, v in cal["c_cal_relative_budget_median"].items())
    secs.append(Section("calibration", "Y-factor calibration", (
        "Gain, receiver temperature and calibration factor c_cal = 1/(G k Δν) from the noise source on/off spectra "
        "(physics.md A.9-A.11); T_sys = c_cal × P. Spectra Savitzky-Golay smoothed; ENR, attenuator, physical "
        "temperature and spectrum noise propagated as uncorrelated.",),
        (ReportTable(("quantity", "median over the band"), (
            ("gain", fmt(cal["gain_median_dB"], 5, "dB")), ("T_rec", fmt(cal["t_rec_median_K"], 4, "K")),
            ("relative σ(c_cal)", fmt(100 * cal["c_cal_relative_sigma_median"], 3, "%")),
            ("σ(c_cal) budget", budget or "-"),
            ("resolution bandwidth", fmt(cal["resolution_bandwidth_Hz"] / 1e3, 4, "kHz")))),),
        (Figure(out / "calibration.png", "gain, T_rec and c_cal with their 1σ bands"),)))
    prow = tuple((n, fmt_pm(p["value"], p["stderr"], *( (1e-3, "mm") if p["unit"] == "mm" else (1.0, ""))),
                  fmt(p["initial"] / (1e-3 if p["unit"] == "mm" else 1.0), 6, p["unit"] if p["unit"] == "mm" else ""))
                 for n, p in bf["parameters"].items())
    secs.append(Section("booster_fit", "Booster reflectivity fit", (
        f"Complex S11 over {fmt(bf['band_Hz'][0] / 1e9, 5)}-{fmt(bf['band_Hz'][1] / 1e9, 5)} GHz ({bf['points']} "
        f"points) fitted with the 1-D model of {Path(str(recipe.setup)).name}: reduced χ² {fmt(bf['redchi'], 4)}, "
        f"rms |ΔS11| {fmt(bf['rms_s11'], 3)}. Matched-output peak boost factor of the fit "
        f"{fmt_pm(bf['peak_boost_matched'], bf['peak_boost_matched_stderr'])} at "
        f"{fmt(bf['peak_frequency_Hz'] / 1e9, 6)} GHz (setup-file values: {fmt(bf['nominal_peak_boost'])} at "
        f"{fmt(bf['nominal_peak_frequency_Hz'] / 1e9, 6)} GHz).",),
        (ReportTable(("parameter", "fitted value", "start"), prow, "fitted parameters (1σ from the covariance)"),),
        (Figure(out / "booster_fit.png", "reflected power and group delay: data, model, residuals"),
         Figure(out / "booster_model.png", "the fitted booster model"))))
    names = ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase")
    units = {"sqrt_sv": (1e-12, "pV/√Hz"), "sqrt_si": (1e-12, "pA/√Hz"), "rho_mag": (1.0, ""),
             "rho_phase": (1.0, "rad")}
    nrows = tuple((n, fmt_pm(nf["sources"][n], nf["stderr"][n], *units[n]),
                   fmt(nf["calibration_band_half_spread"][n] / units[n][0], 3, units[n][1]),
                   fmt(nf["lna_sigma"][n] / units[n][0], 3, units[n][1])) for n in names)
    np50 = nf["noise_parameters_z0_50"]
    secs.append(Section("noise_fit", "Receiver noise parameters", (
        f"LNA noise sources fitted to the T_sys of short, open and load (physics.md §2.6): reduced χ² "
        f"{fmt(nf['redchi'], 4)}; open/short delays {fmt_pm(nf['tau_open'], nf['tau_open_stderr'], 1e-9, 'ns')} / "
        f"{fmt_pm(nf['tau_short'], nf['tau_short_stderr'], 1e-9, 'ns')}. T_e with a 50 Ω source "
        f"{fmt(nf['t_e_50ohm_K'], 4, 'K')}; T_min {fmt(np50['t_min'], 4, 'K')}, R_n {fmt(np50['r_n'], 4, 'Ω')}. "
        "The Monte-Carlo σ of each parameter combines the fit error with half the spread of fits to the ±1σ "
        f"calibration band (±{fmt(100 * nf['calibration_relative_sigma'], 3)} %).",),
        (ReportTable(("parameter", "fit", "calibration-band half spread", "Monte-Carlo σ"), nrows),),
        (Figure(out / "noise_standards.png", "T_sys of the standards with the fitted noise model"),)))
    secs.append(Section("line_delay", "Line delay", (
        f"τ = {fmt_pm(ld['tau'], ld['sigma_tau'], 1e-9, 'ns')} from the broadband T_sys with the fitted booster "
        f"(reduced χ² {fmt(ld['redchi'], 4)}, {ld['ndata']} points).",), (),
        (Figure(out / "tsys_broadband.png", "broadband T_sys and the combined booster + line + LNA model"),)))
    secs.append(Section("mirror_gap", "Mirror-gap refit", (
        f"Mirror gap during the run {fmt_pm(mg['gap'], mg['sigma_gap'], 1e-3, 'mm')} (fitted at the VNA "
        f"measurement: {fmt(mg['fitted_gap_1_m'] * 1e3, 6, 'mm')}; reduced χ² {fmt(mg['redchi'], 4)}).",), (),
        (Figure(out / "tsys_narrowband.png", "narrowband T_sys during the run and the model"),)))
    conv = mc["convergence"]
    nr = mc["nominal_refits"]
    secs.append(Section("montecarlo", "Monte-Carlo boost-factor band", (
        f"{mc['samples']} samples (seed {mc['seed']}): booster parameters from the fit covariance, LNA noise "
        "parameters from independent normals, τ and mirror gap refitted per sample, field-shape factor "
        f"N(1, {fmt(recipe.montecarlo['field_shape_sigma'], 3)}) and frequency shift "
        f"N(0, {fmt(recipe.montecarlo['frequency_sigma'] / 1e6, 3)} MHz) (physics.md §2.8). {conv['message']}.",
        f"Refits: τ {fmt(mc['tau_mean'] * 1e9, 6)} ± {fmt(mc['tau_std'] * 1e12, 3)} ps, gap "
        f"{fmt(mc['gap_mean'] * 1e3, 6)} ± {fmt(mc['gap_std'] * 1e6, 3)} µm; nominal refit reduced χ² τ "
        f"{fmt(nr['tau_redchi'], 4)}, gap {fmt(nr['gap_redchi'], 4)}; {mc['samples_on_search_edge']} samples on a "
        "search-window edge.",),
        (ReportTable(("quantity", "value"), (
            ("peak mean ± std", fmt_pm(pk["mean"], pk["std"])),
            ("relative std at the peak", fmt(100 * pk["std"] / pk["mean"], 3, "%")),
            ("linear propagation std (cross-check)", fmt(pk["linear_std"])),
            ("Monte-Carlo wall time", fmt(mc["timing"]["wall_s"], 3, "s")),
            ("chunks computed / reused", f"{mc['timing']['computed_chunks']} / {mc['timing']['reused_chunks']}"))),),
        (Figure(out / "boost_band.png", "delivered boost-factor band (68 % and 95 %)"),
         Figure(out / "boost_relative_uncertainty.png", "relative uncertainty, Monte-Carlo and linear"))))
    _tsys_png(out / "tsys_band.png", f, sn, truth)
    secs.append(Section("tsys", "System temperature", (
        f"T_sys on the analysis band from the {sn['t_sys_source']} spectrum (c_cal × power, Savitzky-Golay "
        "smoothed); the broadband and narrowband spectra with their models are in the line-delay and mirror-gap "
        "sections.",), (), (Figure(out / "tsys_band.png", "T_sys used for the sensitivity"),)))
    st = sn["settings"]
    secs.append(Section("sensitivity", "Sensitivity", (
        f"|g_aγ| reached with SNR {fmt(st['snr'])} in {fmt(st['time_s'] / 86400, 4)} d (MADMAX eq. 1.1) for every "
        "boost-factor sample, with the calibration uncertainty of T_sys drawn per sample: "
        f"B = {fmt(st['b_field_T'])} T, "
        f"A = {fmt(st['area_m2'], 4)} m², ρ = {fmt(st['dm_density_J_per_m3'] / 1.602176634e-10 * 1e-6, 3)} GeV/cm³.",),
        (ReportTable(("quantity", "value"), (
            ("best reach (median)", fmt(sn["best"]["g_median_GeV"], 4, "GeV⁻¹")),
            ("95 % band", f"{fmt(sn['best']['g_q2_5_GeV'], 3)} .. {fmt(sn['best']['g_q97_5_GeV'], 3)} GeV⁻¹"),
            ("at", fmt(sn["best"]["frequency_Hz"] / 1e9, 7, "GHz")),
            ("KSVZ, DFSZ", f"{fmt(sn['best']['ksvz_GeV'], 3)}, {fmt(sn['best']['dfsz_GeV'], 3)} GeV⁻¹"))),),
        (Figure(out / "reach.png", "coupling reach with the KSVZ and DFSZ lines"),)))
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
        "Machine-readable results: results.json, boost_band.csv, reach.csv, results.nc, calibration.csv, "
        "booster_fit.json, noise_standards.csv, tsys_broadband.csv, tsys_narrowband.csv."),
        (ReportTable(("package", "version"), tuple((k, str(v)) for k, v in vers.items())),)))
    return write_report(path, f"emboost derive: {recipe.name}", secs,
                        "Boost factor, system temperature and sensitivity of a dielectric haloscope run.")
