"""``emboost design``: disk positions (optionally thicknesses) of a booster for a target over a band.

Reads a design recipe (kind = "booster_design", see emboost/jobs/design.py and docs/design.md): the
booster setup, the band, the target (box or shape) and the constraints. Writes design.json, design.csv
and design.png into --output. Exit status 0; 3 when the design fails a check of its verdict (results
written, the reason printed in one line); 1 on bad input.
"""

from __future__ import annotations

import argparse
import sys

from .common import add_common_options, say

EXAMPLES = """examples:
  emboost design models/design_20disk_22ghz.toml --output out/design20
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("design", help="design booster disk positions for a target boost factor over a band",
                       description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipe", help="design recipe (TOML, kind = \"booster_design\")")
    add_common_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emboost.jobs.design import run_design

    r = run_design(args.recipe, args.output, overwrite=args.overwrite)
    lo, hi = r.band_edges
    say(args, f"in-band beta^2 minimum {r.band_minimum:.4g} (mean {r.band_mean:.4g}, max {r.band_maximum:.4g}); "
              f"half-minimum edges {lo / 1e9:.5f}..{hi / 1e9:.5f} GHz; tightest disk tolerance "
              f"{r.tolerance.min() * 1e6:.3g} um; {r.evaluations} evaluations in {r.elapsed_s:.1f} s")
    if not r.verdict.ok:
        print(f"emboost design: check failed: {r.verdict.reason}", file=sys.stderr)
        return 3
    say(args, f"wrote {args.output}/design.json, design.csv, design.png")
    return 0
