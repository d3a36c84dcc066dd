"""``emboost search``: the axion search on raw haloscope spectra, from a recipe (kind = "rades_search").

Runs the chain of docs/search.md (two-LO division, Savitzky-Golay filters, grand unified spectrum,
magnet-off subtraction, windowed fit of the filtered SHM lineshape, local and global significance,
Bayesian limits with expected bands from simulated spectra, conversion to g_agamma) and writes the
grand unified spectrum, the significance scan, candidates, limits, an exclusion plot and results.json
into --output. Exit status 0; 1 on bad input.
"""

from __future__ import annotations

import argparse

from .common import add_common_options, say

EXAMPLES = """examples:
  emboost search fits/rades_search.toml --output out/search                  # bundled SYNTHETIC run
  emboost search fits/rades_search.toml --output out/search --simulations 200 --seed 3 --overwrite
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="axion search on raw spectra: grand unified spectrum, candidates, limits",
                       description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recipe", help="search recipe (TOML, kind = \"rades_search\")")
    add_common_options(p)
    p.add_argument("--simulations", type=int, default=None,
                   help="white-noise spectra for the expected limit (default: the recipe's)")
    p.add_argument("--seed", type=int, default=None, help="seed of the simulated spectra (default: the recipe's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from emboost.core.constants import GeV
    from emboost.jobs.search import search

    res = search(args.recipe, args.output, overwrite=args.overwrite, simulations=args.simulations, seed=args.seed)
    sig = res.significance
    say(args, f"largest excess {sig.max_z:.2f} sigma local ({sig.global_z:.2f} global) at "
              f"{res.scan.frequency[sig.max_index] / 1e9:.6f} GHz; {len(res.candidates)} candidate(s)")
    if res.limit_g is not None and res.expected_g is not None:
        import numpy as np

        say(args, f"best limit g < {np.nanmin(res.limit_g) * GeV:.3g} GeV^-1 "
                  f"(expected {np.nanmin(res.expected_g) * GeV:.3g}); results in {args.output}")
    return 0
