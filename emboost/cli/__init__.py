"""The ``emboost`` command: one program with a subcommand per job.

Each subcommand lives in its own module of this package and provides ``register(subparsers)``,
which adds its parser and sets ``func`` to the function that runs it. Shared option names are
added with :func:`emboost.cli.common.add_common_options`.

The command line is the one place that selects a matplotlib backend (:func:`select_backend`): the
library builds figures without pyplot and leaves the backend to whoever runs it.
"""

from __future__ import annotations

import argparse
import importlib
import os
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


def select_backend() -> str:
    """Select matplotlib's non-interactive "Agg" backend for the command line's plots; returns the backend.

    Left alone when the user chose one through the ``MPLBACKEND`` environment variable, or when
    :mod:`matplotlib.pyplot` is already in use in this process (``main`` called from a program or a
    notebook that has its own figures: switching would close them).
    """
    import matplotlib

    if not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    return str(matplotlib.get_backend())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    select_backend()
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
