"""``emboost reach SCENARIO --output DIR``: coupling reach and scan time of haloscopes in host magnets.

Writes ``reach.csv`` (per haloscope and frequency: the coupling reached in the time per step, per unit
and combined, the target coupling and the scan rate at it, the cavity figures or the boost factor),
``scan_times.json`` (per haloscope: the time to scan its band at the target coupling, with the inputs
and assumptions), ``provenance.json`` and ``reach.png`` (|g| against the axion mass with the KSVZ and
DFSZ lines and the published CAST-RADES and MADMAX CB200 limits).

Exit status: 0 on success; 3 (outputs still written, one line on stderr naming the first failed check) when a
plausibility check of a reach fails: a form factor outside [0, 1], a field-profile factor outside [0, 1], a
combination gain above its bound, a non-finite reach where the mode couples, or Q_L >= Q_a.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emboost.cavity.tm010 import MISALIGNED_FORM_FACTOR
from emboost.core.axion import frequency_to_mass
from emboost.core.constants import GEV_PER_CM3, GeV
from emboost.core.output import atomic_write_json, atomic_write_text, prepare_output_dir, provenance
from emboost.core.radiometry import YEAR, axion_q
from emboost.reach.projections import PUBLISHED_LIMITS, ReachResult, evaluate, load_scenario

from .common import add_common_options, say

EXAMPLES = """example:
  emboost reach models/reach_babyiaxo.toml --output out/reach
"""

ASSUMPTIONS = (
    "Reach: Dicke radiometer, SNR = P/(k T_sys) sqrt(dt/dnu_a), dnu_a = f/Q_a, Q_a = 6.78e5 (standard halo).",
    "Cavity scan rate: dnu/dt = (pi/4)(Q_a/Q_L)(P_a/(k T_sys))^2/SNR^2 — amplifier-noise dominated, continuous "
    "tuning, valid for Q_L << Q_a.",
    "Units (chains filling a bore, copies end to end) each have their own readout and are combined incoherently, "
    "by power sum (g = g_1 n^(-1/4), rate = n rate_1), unless the haloscope says combination = 'coherent' "
    "(amplitudes add: g = g_1 / sqrt(n eta), rate = (n eta)^2 rate_1, eta the expected phase efficiency for "
    "the phase error rms).",
    "With a [field_profile] the field along the bore is the magnet's profile: each unit's form factor is "
    "normalised to its largest field, C = C_uniform kappa, and it counts with B_eff = B_max sqrt(kappa).",
    "Packing: rows of chain sections (plus walls) across the circular bore section, chains end to end "
    "along the field length with a gap.",
    "Without a [field_profile], the magnet field is uniform at the catalogue's central value (or the haloscope's "
    "b_field) along the bore; its "
    "direction is the magnet's (dipole/toroid: transverse, solenoid: axial) and the form factor is the overlap "
    "of the mode's E field with it (a TM010 cylinder along a dipole bore: C = 0, listed under 'warnings').",
    "TM010 tuning: C and Q0 held at the empty-cavity values over the tuning range (approximation).",
    "Booster: response shape moves rigidly with the disk spacing; each step lasts until the target is reached "
    "at half the peak boost factor; the step is the FWHM.",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reach", help="g_ag reach and scan time of haloscopes placed in host magnets",
                       description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="reach scenario file (TOML), e.g. models/reach_babyiaxo.toml")
    add_common_options(p)
    p.add_argument("--no-plot", action="store_true", help="skip reach.png")
    p.set_defaults(func=run)


def _csv(results: Sequence[ReachResult]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    buf.write("# emboost reach: one row per haloscope and frequency; SI units unless the column says otherwise\n")
    buf.write("# g_reach_gev: combined over all units for time_per_step; g_unit_gev: one unit; "
              "scan_rate_hz_per_s: at g_target_gev\n")
    cols = ["haloscope", "kind", "magnet", "frequency_hz", "mass_ueV", "g_reach_gev", "g_unit_gev", "units",
            "g_target_gev", "scan_rate_hz_per_s", "b_field_t", "volume_m3", "form_factor", "q0", "q_loaded",
            "boost_factor"]
    w.writerow(cols)
    for r in results:
        h = r.haloscope
        m = np.asarray(frequency_to_mass(r.frequency)) * 1e6
        for j in range(r.frequency.size):
            w.writerow([h.name, h.kind, h.magnet.name] + [repr(float(x)) for x in (
                r.frequency[j], m[j], r.g_reach[j], r.g_unit[j], h.units, r.g_target[j], r.rate[j], h.b_field,
                r.volume[j], r.form_factor[j], r.q0[j], r.q_loaded[j], r.boost_factor[j])])
    return buf.getvalue()


def _summary(r: ReachResult) -> dict[str, Any]:
    h = r.haloscope
    f1, f2 = h.band
    mid = r.frequency.size // 2
    notes = list(h.notes)
    row: dict[str, Any] = {
        "name": h.name, "kind": h.kind, "magnet": h.magnet.name, "b_field_T": h.b_field,
        "band_hz": [f1, f2], "band_ueV": [frequency_to_mass(f1) * 1e6, frequency_to_mass(f2) * 1e6],
        "target": h.target if isinstance(h.target, str) else {"g_gev": h.target * GeV},
        "t_sys_K": h.t_sys, "snr": h.snr, "dm_density_GeV_cm3": h.rho / GEV_PER_CM3,
        "time_per_step_s": h.time_per_step, "units": h.units,
        "reach_at_band_centre": {"frequency_hz": float(r.frequency[mid]), "g_gev": float(r.g_reach[mid]),
                                 "g_per_unit_gev": float(r.g_unit[mid]), "g_target_gev": float(r.g_target[mid])},
        "scan_time_s": r.scan_seconds, "scan_time_days": r.scan_seconds / 86400.0,
        "scan_time_years": r.scan_seconds / YEAR, "notes": notes,
    }
    if h.packing is not None:
        p = h.packing
        row["packing"] = {"per_bore_section": p.across, "along_length": p.along, "bores": p.bores,
                          "wall_m": p.wall, "gap_m": p.gap, "unit_length_m": p.unit_length}
    if not np.all(np.isnan(r.q_loaded)):  # a resonant detector: its port coupling and cavity figures
        qa = axion_q()
        row.update({"coupling_beta": h.coupling, "volume_per_unit_m3": float(r.volume[mid]),
                    "form_factor": float(r.form_factor[mid]), "q0": float(r.q0[mid]),
                    "q_loaded": float(r.q_loaded[mid]), "q_loaded_over_q_a": float(r.q_loaded[mid]) / qa})
        if float(r.q_loaded[mid]) / qa > 0.1:
            notes.append(f"Q_L/Q_a = {float(r.q_loaded[mid]) / qa:.2f}: the Q_L << Q_a scan-rate formula "
                         "overestimates the rate")
    warnings = [n for n in notes if n.startswith("MISALIGNED")]
    if not np.all(np.isnan(r.form_factor)) and float(np.nanmax(r.form_factor)) < MISALIGNED_FORM_FACTOR:
        warnings = warnings or [f"form factor {float(np.nanmax(r.form_factor)):.3g}: the mode does not couple "
                                "to the magnet's field"]
    row["warnings"] = warnings
    row["checks"] = {k: {"ok": ok, "detail": d} for k, (ok, d) in r.checks.items()}
    row["checks_passed"] = not r.failed_checks
    row["details"] = {k: v for k, v in r.extra.items() if k not in ("band_rate_hz_per_s", "band_frequency_hz")}
    return row


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    out = prepare_output_dir(args.output, overwrite=args.overwrite)
    results = [evaluate(h) for h in sc.haloscopes]
    atomic_write_text(out / "reach.csv", _csv(results))
    summary: dict[str, Any] = {"scenario": sc.name, "file": str(sc.path), "assumptions": list(ASSUMPTIONS),
                               "published_limits": [{k: v for k, v in lim.items() if k != "curves"}
                                                    for lim in (sc.limits or PUBLISHED_LIMITS)],
                               "haloscopes": [_summary(r) for r in results]}
    atomic_write_json(out / "scan_times.json", summary)
    atomic_write_json(out / "provenance.json", provenance(sc.inputs, scenario=sc.name))
    for s in summary["haloscopes"]:
        c = s["reach_at_band_centre"]
        say(args, f"{s['name']}: {s['units']} unit(s), g = {c['g_gev']:.3g} GeV^-1 at "
                  f"{c['frequency_hz'] / 1e9:.6g} GHz in {s['time_per_step_s'] / 3600:.4g} h/step; "
                  f"scan of {s['band_ueV'][0]:.4g}-{s['band_ueV'][1]:.4g} ueV at the target: "
                  f"{s['scan_time_days']:.4g} d")
    if not args.no_plot:
        _plot(out, results, sc.name, sc.limits or PUBLISHED_LIMITS)
    say(args, f"wrote {out}")
    failed = [f"{r.haloscope.name}: {msg}" for r in results for msg in r.failed_checks]
    if failed:
        print(f"emboost reach: check failed: {failed[0]}" + (f" (and {len(failed) - 1} more, see scan_times.json)"
                                                            if len(failed) > 1 else ""), file=sys.stderr)
        return 3
    return 0


def _plot(out: Path, results: list[ReachResult], title: str, limits: Sequence[dict[str, Any]]) -> None:
    """``reach.png``: |g| against the axion mass with the KSVZ/DFSZ lines and the published limits."""
    from emboost.report.plots import reach_figure, save_figure

    save_figure(reach_figure(results, title, limits), out / "reach.png", dpi=110)
