"""``emboost validate [CASE ...] --output DIR``: the fast models against the stored FEM references.

Runs the registered comparison of every case under ``validation/`` (or the ones named), prints a
table (case, quantity, max deviation, tolerance, pass/fail) and writes ``report.md`` (with the
reason for every tolerance), ``summary.json``, ``provenance.json`` and one overlay PNG per quantity.
Exit status 0 when everything passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from emboost.core.output import atomic_write_json, prepare_output_dir, provenance
from emboost.jobs.validate import CASES, default_root, format_table, run_validation, write_report

from .common import add_common_options, say


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate", help="compare the models with the stored FEM references (validation/)",
        description="Compare every model with its stored full-wave reference, quantity by quantity, each "
                    f"with a tolerance and its reason. Cases: {', '.join(CASES)}.",
        epilog="example: emboost validate booster_ideal booster_tilt --output out/validation")
    p.add_argument("cases", nargs="*", metavar="CASE", help="cases to run (default: all with a folder)")
    p.add_argument("--root", default=None, help="folder holding the references (default: the installed package "
                                                "data, or the checkout's validation/)")
    p.add_argument("--no-plots", action="store_true", help="skip the overlay PNGs")
    add_common_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.root) if args.root else default_root()
    out = prepare_output_dir(args.output, overwrite=args.overwrite)
    rows = run_validation(args.cases or None, root)
    say(args, format_table(rows))
    report = write_report(rows, out, plots=not args.no_plots)
    atomic_write_json(out / "provenance.json",
                      provenance([p for c in (args.cases or CASES) for p in sorted((root / c).glob("*"))
                                  if p.is_file()], command="emboost validate"))
    say(args, f"report: {report}")
    return 0 if all(r.passed for r in rows) else 1
