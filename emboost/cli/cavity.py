"""``emboost cavity MODEL --output DIR``: modes, form factors, Q and S-parameters of a RADES chain.

Writes ``modes.csv`` / ``modes.json`` (per mode: lossless and loaded frequency, form factor, Q0, Q_L,
Q_ext and beta of each port, sub-cavity amplitudes, in-phase flag, series RLC at the readout port),
``fields.csv`` (V(z) of every mode), ``sparams.s2p`` (two ports) or ``sparams.s1p`` (one port: Touchstone
through :func:`emboost.rf.skrf_bridge.write_touchstone` of :func:`~emboost.rf.skrf_bridge.cavity_network`),
``provenance.json``,
``design.json`` (if the model has a target frequency: flat-field lengths and mode separation),
``tuning.csv`` (if the model has a ``[tuning]`` table: the axion mode's f, C, Q0 and separation vs the
tuning parameter), ``checks.json`` (the checks of the axion mode and of the tuning curve) and the plots
``sparams.png`` and ``fields.png``.

Exit status: 0 on success; 3 when a check fails (the results are written, ``checks.json`` says which, and
one line on stderr gives the reason); 1 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from emboost.cavity.chain import CavityChain, ChainModes
from emboost.cavity.checks import axion_mode_checks, checks_to_dict, first_failure
from emboost.cavity.design import flat_field_lengths, load_model
from emboost.cavity.tuning import tuning_curve
from emboost.core.errors import EmboostError, PhysicsError
from emboost.core.output import atomic_write_json, prepare_output_dir, provenance
from emboost.jobs.files import write_csv

from .common import add_common_options, say


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "cavity", help="iris-coupled multi-cavity (RADES) haloscope: modes, form factors, Q, S-parameters",
        description="Solve the 1-D TE10 circuit of an iris-coupled chain of sub-cavities: modes, field "
                    "profiles, form factors, unloaded/loaded/external Q, S-parameters between the ports.",
        epilog="example: emboost cavity models/cast_rades_2018.toml --output out/rades")
    p.add_argument("model", help="cavity model file (TOML), e.g. models/cast_rades_2018.toml")
    add_common_options(p)
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    chain = model.chain
    out = prepare_output_dir(args.output, overwrite=args.overwrite)
    modes = chain.modes(model.band)
    q = chain.mode_q(modes.frequency)
    n = chain.n_cavities
    cols: dict[str, list] = {"mode": [], "f_lossless_hz": [], "f_loaded_hz": [], "form_factor": [],
                             "in_phase": [], "axion_mode": [], "q0": [], "q_loaded": []}
    for k in range(len(chain.ports)):
        cols[f"q_ext_{k + 1}"], cols[f"beta_{k + 1}"] = [], []
    for j in range(n):
        cols[f"amp_{j + 1}"] = []
    cols.update({"rlc_r_ohm": [], "rlc_l_h": [], "rlc_c_f": []})
    records = []
    for m in range(modes.frequency.size):
        qm = q[m]
        rlc = (np.nan, np.nan, np.nan)
        if chain.ports and chain.ports[0].location in ("left", "right"):
            try:
                r = chain.mode_rlc(qm.frequency)
                rr, rl, rc = (float(np.asarray(x)) for x in (r.resistance, r.inductance, r.capacitance))
                rlc = (rr, rl, rc)
            except PhysicsError:
                pass
        row = {"mode": m + 1, "f_lossless_hz": float(modes.frequency[m]), "f_loaded_hz": qm.frequency,
               "form_factor": float(modes.form_factor[m]), "in_phase": bool(modes.in_phase[m]),
               "axion_mode": bool(m == modes.axion_index), "q0": qm.q0, "q_loaded": qm.q_loaded}
        for k in range(len(chain.ports)):
            row[f"q_ext_{k + 1}"], row[f"beta_{k + 1}"] = qm.q_external[k], qm.beta[k]
        for j in range(n):
            row[f"amp_{j + 1}"] = float(modes.amplitude[m, j])
        row.update({"rlc_r_ohm": rlc[0], "rlc_l_h": rlc[1], "rlc_c_f": rlc[2]})
        for key in cols:
            cols[key].append(row[key])
        records.append(row)
    write_csv(out / "modes.csv", cols, comments=[
        f"model: {args.model}; SI units; amp_j: signed sub-cavity amplitude (max |.| = 1); in_phase, axion_mode: "
        "true/false",
        "q0: walls only; q_loaded: walls and ports; q_ext_k, beta_k: port k; rlc_*: series RLC at port 1"])
    atomic_write_json(out / "modes.json", {"model": model.name, "volume_m3": chain.volume,
                                           "axion_mode": modes.axion_index + 1,
                                           "separation_hz": modes.separation(), "modes": records})
    fields: dict[str, list[float]] = {}
    for m, fm in enumerate(modes.frequency):
        z, v = chain.field_profile(fm)
        fields.setdefault("z_m", z.tolist())
        fields[f"v_mode{m + 1}"] = v.tolist()
    write_csv(out / "fields.csv", fields, comments=["normalised mode voltage V(z) along the chain"])
    f = np.linspace(*model.band, model.points)
    s = None
    if chain.ports:
        from emboost.rf.skrf_bridge import cavity_network, write_touchstone

        ntw = cavity_network(chain, f, name=model.name)
        write_touchstone(ntw, out / f"sparams.s{ntw.nports}p", comments=(
            f"emboost cavity {model.name}: S-parameters of the chain (walls lossy), model {args.model}",))
        if ntw.nports == 2:
            s = chain.s_parameters(f)
    if model.target_frequency is not None:
        try:
            ls = flat_field_lengths(chain.a, chain.b, chain.irises, model.target_frequency)
            flat = chain.with_lengths(ls).modes(model.band)
            atomic_write_json(out / "design.json", {
                "target_frequency_hz": model.target_frequency, "flat_field_lengths_m": ls,
                "axion_frequency_hz": flat.axion_frequency, "form_factor": float(flat.form_factor[flat.axion_index]),
                "separation_hz": flat.separation()})
        except EmboostError as exc:
            say(args, f"flat-field design not possible: {exc}")
    checks = list(axion_mode_checks(chain, modes, q))
    if model.tuning is not None:
        kind, values = model.tuning
        t = tuning_curve(chain, kind, values, model.band)
        unit = "gap [m]" if kind == "split_gap" else "relative length change [1]"
        write_csv(out / "tuning.csv", {
            "parameter_m" if kind == "split_gap" else "parameter_1": t.parameter.tolist(),
            "f_Hz": t.frequency.tolist(), "form_factor_1": t.form_factor.tolist(), "q0_1": t.q0.tolist(),
            "separation_Hz": t.separation.tolist(), "in_phase": t.in_phase.astype(bool).tolist(),
            "q0_one_te101_cavity_1": t.q_single.tolist()},
            comments=[f"tuning '{kind}' of the axion mode; parameter: {unit}; "
                      "q0_one_te101_cavity: closed form at the same f and width"])
        checks += [replace(c, name=f"tuning_{c.name}") for c in t.checks]
        say(args, f"tuning '{kind}': {t.frequency[0] / 1e9:.4f} -> {t.frequency[-1] / 1e9:.4f} GHz "
                  f"(range {t.tuning_range / 1e6:.1f} MHz)")
    atomic_write_json(out / "checks.json", checks_to_dict(checks))
    atomic_write_json(out / "provenance.json", provenance([args.model]))
    ax = modes.axion_index
    say(args, f"{model.name}: {modes.frequency.size} modes; axion mode {ax + 1} at "
              f"{modes.axion_frequency / 1e9:.6f} GHz, C = {modes.form_factor[ax]:.4f}, "
              f"Q0 = {q[ax].q0:.4g}, Q_L = {q[ax].q_loaded:.4g}, next mode {modes.separation() / 1e6:.2f} MHz away")
    if not args.no_plots:
        _plots(out, chain, modes, f, s)
    say(args, f"wrote {out}")
    reason = first_failure(checks)
    if reason:
        print(f"emboost cavity: {model.name}: check failed: {reason}", file=sys.stderr)
        return 3
    return 0


def _plots(out: Path, chain: CavityChain, modes: ChainModes, f: np.ndarray, s: np.ndarray | None) -> None:
    """``fields.png`` (V(z) of every mode) and, for a two-port, ``sparams.png``."""
    from emboost.report.plots import cavity_fields_figure, cavity_sparams_figure, save_figure

    profiles = [chain.field_profile(fm) for fm in modes.frequency]
    save_figure(cavity_fields_figure(modes.frequency, profiles, modes.axion_index), out / "fields.png", dpi=100)
    if s is not None:
        save_figure(cavity_sparams_figure(f, s), out / "sparams.png", dpi=100)
