"""``emboost derive``: the whole analysis of a booster run, from Touchstone and spectra to a boost-factor report.

Runs calibration -> booster fit -> noise-parameter fit -> line-delay fit -> mirror-gap refit -> Monte-Carlo
-> sensitivity on the files named by a campaign recipe (``kind = "campaign"``, see docs/derive.md) and
writes DIR/report.html (self-contained: tables, figures, input hashes, versions), the PNGs, results.json,
CSV files and results.nc. Each stage is cached in DIR/stages/ with the hashes of its inputs and settings:
after an interruption or a changed input, the same command with ``--resume`` skips the unchanged stages
and continues the Monte-Carlo from its checkpoint. A fit that fails stops the job with a one-line reason
and keeps the earlier stages' results. Exit status: 0 success; 3 when the Monte-Carlo mean did not
converge or a fit's verdict failed (results written and flagged, one line names the stage and check); 1 on bad
input or a failed fit.
"""

from __future__ import annotations

import argparse

from .common import add_common_options

EXAMPLES = """examples:
  emboost derive fits/cb200_campaign.toml --output out/derive                 # bundled SYNTHETIC campaign
  emboost derive fits/cb200_campaign.toml --samples 1000 --seed 7 --output out/derive1000
  emboost derive fits/cb200_campaign.toml --output out/derive --resume        # after an interruption or an edit
  emboost derive fits/cb200_campaign.toml --output out/derive --overwrite --quiet
  emboost derive fits/cb200_campaign.toml --output out/derive --scheduler tcp://scheduler-host:8786
  emboost derive fits/cb200_campaign.toml --output out/derive --scheduler ~/scheduler.json   # dask-jobqueue
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("derive", help="campaign analysis: calibration to boost-factor band, T_sys and reach (report)",
                       description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipe", help="campaign recipe (TOML, kind = \"campaign\")")
    add_common_options(p, samples=True)
    p.add_argument("--seed", type=int, default=None, help="seed of every random draw (default: the recipe's)")
    p.add_argument("--workers", type=int, default=None,
                   help="Monte-Carlo worker processes (default: the recipe's, else automatic; 1 = this process)")
    p.add_argument("--scheduler", metavar="ADDRESS|FILE", default=None,
                   help="run the Monte-Carlo on a Dask cluster: a scheduler address (tcp://host:8786), a scheduler "
                        "file (dask scheduler --scheduler-file, dask-jobqueue), or 'local' for a LocalCluster")
    p.add_argument("--resume", action="store_true",
                   help="reuse the cached stages in --output whose inputs are unchanged and continue the Monte-Carlo")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emboost.jobs.derive import derive

    res = derive(args.recipe, args.output, samples=args.samples, seed=args.seed, workers=args.workers,
                 resume=args.resume, overwrite=args.overwrite, quiet=args.quiet, scheduler=args.scheduler)
    return res.status
