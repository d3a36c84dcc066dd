"""``emboost boost``: boost factor, reflectivity and group delay of a booster setup file.

Writes ``boost.csv``, ``boost.s1p`` (S11 as Touchstone v1, Hz, RI, full precision), ``boost.png``,
``boost_smith.png`` (S11 on Smith and polar charts) and ``summary.json``.
"""

from __future__ import annotations

import argparse

import numpy as np

from emboost.booster.setup import load_booster_setup
from emboost.core.errors import PhysicsError
from emboost.core.output import atomic_write_csv, atomic_write_json, prepare_output_dir, provenance
from emboost.report.plots import booster_response_png
from emboost.report.plots_smith import s11_smith_polar_png
from emboost.rf.skrf_bridge import booster_network, write_touchstone

from .common import add_common_options, say

EXAMPLES = """examples:
  emboost boost models/cb200_config1.toml --output out/cb200
  emboost boost models/open_booster_20disk.toml --output out/open20 --solver tm
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("boost", help="boost factor, S11 and group delay of a booster setup file",
                       description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("setup", help="booster setup file (models/*.toml)")
    p.add_argument("--solver", choices=("tl", "tm"), default="tl",
                   help="transmission line with sources (tl, default) or Millar transfer matrices (tm)")
    add_common_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    setup = load_booster_setup(args.setup)
    r = setup.booster.response(setup.frequencies, solver=args.solver)
    f = r.frequency
    gd = r.group_delay
    for name, x in (("boost factor", r.boost_factor), ("S11", r.s11), ("group delay", gd)):
        if not np.all(np.isfinite(x)):
            raise PhysicsError(f"{setup.path.name}: the {name} is not finite at {int(np.sum(~np.isfinite(x)))} of "
                               f"{f.size} frequencies; nothing written")
    out = prepare_output_dir(args.output, overwrite=args.overwrite, inputs=[args.setup])
    atomic_write_csv(out / "boost.csv", {
        "frequency_Hz": f.tolist(),
        "boost_factor": r.boost_factor.tolist(),
        "s11_re": r.s11.real.tolist(),
        "s11_im": r.s11.imag.tolist(),
        "reflected_power_dB": r.reflected_power_db.tolist(),
        "group_delay_s": gd.tolist(),
    }, comments=[f"emboost boost {setup.path.name} ({setup.name}); solver {args.solver}",
                 f"setup sha256 {setup.sha256}",
                 "boost factor relative to a bare perfect mirror of the same area; S11 in exp(+jwt)"])
    booster_response_png(out / "boost.png", f, r.boost_factor, r.reflected_power_db, gd, title=setup.name)
    ntw = booster_network(r, name=setup.name)
    write_touchstone(ntw, out / "boost.s1p", comments=(
        f"emboost boost {setup.path.name} ({setup.name}); solver {args.solver}; setup sha256 {setup.sha256}",
        "S11 at the port reference plane, exp(+jwt), pseudo-waves of the output line, labelled 50 ohm"))
    s11_smith_polar_png(out / "boost_smith.png", {"model S11": ntw}, title=f"{setup.name}: S11")
    i = int(np.argmax(r.boost_factor))
    summary = {
        "setup": setup.name,
        "peak_boost_factor": float(r.boost_factor[i]),
        "peak_frequency_Hz": float(f[i]),
        "overlap_eta_A": r.overlap,
        "min_reflected_power_dB": float(np.min(r.reflected_power_db)),
        "solver": args.solver,
        "provenance": provenance([setup.path]),
    }
    atomic_write_json(out / "summary.json", summary)
    say(args, f"{setup.name}: peak boost factor {summary['peak_boost_factor']:.1f} at "
              f"{summary['peak_frequency_Hz'] / 1e9:.4f} GHz")
    say(args, f"wrote {out / 'boost.csv'}, {out / 'boost.s1p'}, {out / 'boost.png'}, {out / 'boost_smith.png'}, "
              f"{out / 'summary.json'}")
    return 0
