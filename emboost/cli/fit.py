"""``emboost fit``: run a fit recipe (``fits/*.toml``) and write its results.

Every fit carries a verdict (converged, bounds, location, precision, residuals, physical; docs/fitting.md),
written into ``fit.json`` and printed. Exit status: 0 on success; 3 when a verdict failed (the results are
written and flagged in ``fit.json``; one line on stderr names the failed check); 1 on bad input.
"""

from __future__ import annotations

import argparse

from emboost.core.output import prepare_output_dir
from emboost.jobs.recipes import RECIPE_KINDS, run_recipe

from .common import add_common_options

EXAMPLES = """examples:
  emboost fit fits/cb200_reflectivity.toml --output out/fit-cb200
  emboost fit fits/npl_cavity_resonance.toml --output out/npl

recipe kinds: """ + ", ".join(RECIPE_KINDS)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="run a fit recipe (fits/*.toml)", description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipe", help="fit recipe (TOML)")
    add_common_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emboost.core.output import finish_output_dir
    from emboost.jobs.recipes import load_recipe, recipe_input_files

    load_recipe(args.recipe)  # fail on a bad recipe before creating the output folder
    out = prepare_output_dir(args.output, overwrite=args.overwrite, inputs=recipe_input_files(args.recipe))
    status = run_recipe(args.recipe, out, quiet=args.quiet)
    finish_output_dir(out)
    return status
