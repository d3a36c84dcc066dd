"""``emboost mc``: Monte-Carlo boost-factor band and sensitivity from a recipe (``fits/*montecarlo*.toml``).

Runs the booster reflectivity fit named by the recipe (or reads its fit.json), then draws booster and
LNA parameters, refits the line delay (and the mirror gap) per sample, and writes the band, the
g_ag reach, NetCDF results and plots. Samples run in local processes (``--workers``), or on a Dask
cluster with ``--scheduler ADDRESS`` or ``--scheduler FILE`` (a scheduler file; ``--scheduler local`` starts a
LocalCluster); every worker must run the same emboost version (checked first: a one-line error names the worker).

Finished samples are checkpointed in DIR/samples/; after an interruption, run the same command with
``--resume`` to continue where it stopped (refused if the recipe, its inputs, the seed or the chunk
size changed). Exit status: 0 success; 3 when the Monte-Carlo mean did not converge or the booster fit
is flagged (results are written); 1 on bad input.
"""

from __future__ import annotations

import argparse

from emboost.core.errors import InputError

from .common import add_common_options

EXAMPLES = """examples:
  emboost mc fits/cb200_montecarlo.toml --output out/mc
  emboost mc fits/cb200_montecarlo.toml --samples 1000 --seed 7 --output out/mc1000 --workers 2
  emboost mc fits/cb200_montecarlo.toml --output out/mc1000 --resume          # after an interruption
  emboost mc fits/cb200_montecarlo.toml --output out/mc --scheduler tcp://scheduler-host:8786
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mc", help="Monte-Carlo boost-factor uncertainty and sensitivity (recipe)",
                       description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipe", help="Monte-Carlo recipe (TOML, kind = \"montecarlo\")")
    add_common_options(p, samples=True)
    p.add_argument("--seed", type=int, default=None, help="seed of every random draw (default: the recipe's)")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: the recipe's, else automatic; 1 = this process)")
    p.add_argument("--scheduler", metavar="ADDRESS|FILE", default=None,
                   help="run on a Dask cluster: a scheduler address (tcp://host:8786), a scheduler file (dask "
                        "scheduler --scheduler-file, dask-jobqueue), or 'local' for a LocalCluster")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in --output from its checkpoint (same settings only)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from emboost.core.output import finish_output_dir, prepare_output_dir
    from emboost.jobs.mc import run_recipe
    from emboost.jobs.recipes import load_recipe, recipe_input_files

    kind, top = load_recipe(args.recipe)  # fail on a bad recipe before creating the output folder
    if kind != "montecarlo":
        raise InputError(f"'emboost mc' runs recipes of kind 'montecarlo', this one is {kind!r} "
                         "(use 'emboost fit')", path=args.recipe, key="recipe.kind")
    if args.samples is not None and not 2 <= args.samples <= 1_000_000:
        raise InputError(f"--samples must be between 2 and 1000000, got {args.samples}")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    if args.resume and args.overwrite:
        raise InputError("--resume continues a checkpoint and --overwrite discards it: give one of them")
    out = prepare_output_dir(args.output, overwrite=args.overwrite, resume=args.resume,
                             inputs=recipe_input_files(args.recipe))
    status = run_recipe(Path(args.recipe), top, out, quiet=args.quiet, samples=args.samples, seed=args.seed,
                        workers=args.workers, scheduler=args.scheduler, resume=args.resume)
    finish_output_dir(out)
    return status
