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
SUBCOMMANDS = ("boost", "fit", "noise", "mc", "derive", "cavity", "pickup", "reach", "validate", "search", "design")


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


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _os_error(exc: OSError) -> str:
    """``'<file>: <reason>'`` for an operating-system error (the file names the OS reported, if any)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    files = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    return _one_line(f"{' -> '.join(files)}: {reason}" if files else reason)


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
        print(f"emboost {args.command}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"emboost {args.command}: error: out of memory (check the sizes in the input: points, samples, "
              "grids)", file=sys.stderr)
        return 1
    except OSError as exc:  # permission denied, not a directory, disk full, ...
        print(f"emboost {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"emboost {args.command}: interrupted; finished outputs were kept", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
