"""Writing a job's tables: columns of arrays as CSV (atomically, through :mod:`emboost.core.output`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

import numpy as np

__all__ = ["write_csv"]


def write_csv(path: str | os.PathLike[str], columns: Mapping[str, np.ndarray | Sequence[float]],
              comments: Iterable[str] = ()) -> None:
    """Equal-length columns (arrays or sequences of numbers) as CSV with ``#`` comment lines first."""
    from emboost.core.output import atomic_write_csv

    atomic_write_csv(path, cast(Mapping[str, Sequence[float]], columns), comments=comments)
