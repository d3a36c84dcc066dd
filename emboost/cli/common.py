"""Options shared by the subcommands, so that every command spells them the same way."""

from __future__ import annotations

import argparse


def add_common_options(p: argparse.ArgumentParser, *, seed: bool = False, samples: bool = False) -> None:
    """``--output DIR``, ``--overwrite``, ``--quiet`` and optionally ``--seed``/``--samples``."""
    p.add_argument("--output", "-o", metavar="DIR", required=True,
                   help="folder for the results (created; must be empty unless --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="allow replacing files in a non-empty --output")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    if seed:
        p.add_argument("--seed", type=int, default=12345, help="seed of every random draw (default 12345)")
    if samples:
        p.add_argument("--samples", type=int, default=None, help="number of Monte-Carlo samples")


def say(args: argparse.Namespace, *msg: object) -> None:
    """Print unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(*msg)
