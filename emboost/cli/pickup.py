"""``emboost pickup MODEL --output DIR``: series-RLC table, scan rate and live times of a coax pickup.

Writes ``rlc_table.csv`` (per coax and frequency: R_PU, L_PU, C_PU, tuner, L_eff, R_eff, Q, |V_PU|,
scan rate for DFSZ), ``ratio_breakdown.json`` (emboost / paper per band in factors, :mod:`emboost.pickup.breakdown`),
``live_times.csv`` / ``live_times.json`` (each band, baseline and frequency-scaled
copper, with the paper's numbers and the ratio), ``provenance.json`` and plots (``q_leff.png``,
``scan_rate.png``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.axion import axion_current_density
from emboost.core.output import atomic_write_csv, atomic_write_json, prepare_output_dir, provenance
from emboost.pickup.breakdown import ratio_breakdown
from emboost.pickup.coax import TunedPickup, tune
from emboost.pickup.scanrate import coupling_function, rates
from emboost.pickup.setup import live_time_table, load_pickup_model

from .common import add_common_options, say


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pickup", help="DMRadio-style coax pickup: series RLC, scan rate, live times",
        description="Series-RLC equivalent of each coax pickup vs frequency, the scan rate and the live "
                    "time of each band (baseline and frequency-scaled copper).",
        epilog="example: emboost pickup models/dmradio_m3.toml --output out/pickup")
    p.add_argument("model", help="pickup model file (TOML), e.g. models/dmradio_m3.toml")
    add_common_options(p)
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    model = load_pickup_model(args.model)
    out = prepare_output_dir(args.output, overwrite=args.overwrite)
    setup = model.setup
    f = model.rlc_frequencies
    g = coupling_function("dfsz")(f)
    j_a = axion_current_density(g, setup.b_field, setup.rho)
    rate = rates(setup, f, "dfsz")
    cols: dict[str, list[float]] = {k: [] for k in (
        "coax", "f_hz", "r_pu_ohm", "l_pu_h", "c_pu_f", "capacitive_tuner", "tuner_value", "l_eff_h",
        "r_eff_ohm", "q", "v_pu_abs_v", "te111_hz", "scan_rate_dfsz_hz_per_s")}
    per_coax = []
    for k, p in enumerate(setup.pickups):
        fk = f
        t = tune(p, fk, setup.tuning, strict=False)
        v = np.abs(p.voltage(fk, j_a))
        per_coax.append((p.name, fk, t, rate[k]))
        for name, arr in (("coax", np.full(fk.size, k + 1)), ("f_hz", fk), ("r_pu_ohm", t.pickup.resistance),
                          ("l_pu_h", t.pickup.inductance), ("c_pu_f", t.pickup.capacitance),
                          ("capacitive_tuner", t.capacitive.astype(float)), ("tuner_value", t.tuner_value),
                          ("l_eff_h", t.l_eff), ("r_eff_ohm", t.r_eff), ("q", t.q), ("v_pu_abs_v", v),
                          ("te111_hz", np.full(fk.size, p.te111_frequency())),
                          ("scan_rate_dfsz_hz_per_s", rate[k])):
            cols[name].extend(np.asarray(arr, dtype=float).tolist())
    atomic_write_csv(out / "rlc_table.csv", cols, comments=[
        f"model: {args.model}; SI units; NaN where no series RLC exists (dX/dw <= |X|/w)",
        "scan rate for the DFSZ coupling with eta from the amplifier-chain table; 0 above TE111 and outside "
        "the coax's ranges of the scan plan"])

    rows: list[dict[str, Any]] = live_time_table(model)
    atomic_write_csv(out / "live_times.csv", {
        "band": list(range(1, len(rows) + 1)),
        "scaled_copper": [float("scaled" in r["copper"]) for r in rows],
        "squid_eta": [float(r["eta"] == "SQUID model") for r in rows],
        "years": [r["years"] for r in rows],
        "paper_years": [np.nan if r["paper_years"] is None else r["paper_years"] for r in rows],
        "ratio": [np.nan if r["ratio"] is None else r["ratio"] for r in rows]},
        comments=[f"{i + 1}: {r['band']} / {r['copper']} / eta {r['eta']}" for i, r in enumerate(rows)])
    atomic_write_json(out / "live_times.json", [{k: v for k, v in r.items() if k != "result"} for r in rows])
    per = [(i + 1, c) for i, r in enumerate(rows) for c in r["per_coax"]]
    atomic_write_csv(out / "live_times_per_coax.csv", {
        "band": [float(i) for i, _ in per],
        "coax": [float(model.setup.pickups.index(next(p for p in model.setup.pickups if p.name == c["coax"])) + 1)
                 for _, c in per],
        "f_min_hz": [c["f_min_hz"] for _, c in per], "f_max_hz": [c["f_max_hz"] for _, c in per],
        "years": [c["years"] for _, c in per]},
        comments=["time each coax spends on its part of each band (band numbers as in live_times.csv)"])
    atomic_write_json(out / "ratio_breakdown.json", ratio_breakdown(model))
    atomic_write_json(out / "provenance.json", provenance([args.model]))
    for r in rows:
        paper = "" if r["paper_years"] is None else f"   paper {r['paper_years']:.1f} yr  ratio {r['ratio']:.2f}"
        say(args, f"{r['band']:<24} {r['copper']:<34} eta {r['eta']:<12} {r['years']:8.2f} yr{paper}")
    if not args.no_plots:
        _plots(out, per_coax, rows)
    say(args, f"wrote {out}")
    return 0


def _plots(out: Path, per_coax: list[tuple[str, np.ndarray, TunedPickup, np.ndarray]],
           rows: list[dict[str, Any]]) -> None:
    """``q_leff.png`` (Q and L_eff of each coax) and ``scan_rate.png`` (per coax; best coax per baseline band)."""
    from emboost.report.plots import pickup_q_leff_figure, pickup_scan_rate_figure, save_figure

    q_leff = [(name, fk, t.q, t.l_eff) for name, fk, t, _ in per_coax]
    save_figure(pickup_q_leff_figure(q_leff), out / "q_leff.png", dpi=100)
    bands = [(r["result"].frequency, r["result"].rate) for r in rows if "baseline" in r["copper"]]
    save_figure(pickup_scan_rate_figure([(name, fk, rk) for name, fk, _, rk in per_coax], bands),
                out / "scan_rate.png", dpi=100)
