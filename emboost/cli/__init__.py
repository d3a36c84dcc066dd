"""The ``emboost`` command: one program with a subcommand per job.

Each subcommand lives in its own module of this package and provides ``register(subparsers)``,
which adds its parser and sets ``func`` to the function that runs it. Shared option names are
added with :func:`emboost.cli.common.add_common_options`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from emboost import __version__
from emboost.core.errors import EmboostError

#: subcommand modules, in the order ``--help`` lists them
SUBCOMMANDS = ("boost", "fit", "noise", "mc", "derive", "cavity", "pickup", "reach", "validate", "search")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emboost",
        description="Transmission-line and noise models of axion haloscopes.",
        epilog="Run 'emboost <command> --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"emboost {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # this subcommand is not part of this installation
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except EmboostError as exc:
        print(f"emboost {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"emboost {args.command}: interrupted; finished outputs were kept", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
