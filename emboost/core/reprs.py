"""Short ``repr`` for frozen result dataclasses: arrays are summarised, not printed.

A result such as a booster response holds arrays of thousands of points; the dataclass default ``repr`` prints all
of them. :func:`short_repr` prints each array field as its shape and range instead, and nested results one level
deep. Use it as ``__repr__ = short_repr`` in the class body of a dataclass (the dataclass decorator keeps a
``__repr__`` defined in the class).

>>> from dataclasses import dataclass
>>> import numpy as np
>>> @dataclass(frozen=True)
... class Result:
...     frequency: np.ndarray
...     peak: float
...     __repr__ = short_repr
>>> Result(np.linspace(18e9, 19e9, 801), 284.2)
Result(frequency=array(801,) 1.8e+10..1.9e+10, peak=284.2)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["short_repr", "summarise"]

_MAX_SCALAR_SEQUENCE = 6


def summarise(value: Any, depth: int = 0) -> str:
    """A one-line summary of ``value``: arrays by shape and range, long sequences by length."""
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return repr(value.item())
        shape = "(" + ",".join(str(s) for s in value.shape) + (",)" if value.ndim == 1 else ")")
        if value.size == 0:
            return f"array{shape}"
        if np.iscomplexobj(value):
            mag = np.abs(value)
            return f"array{shape} complex |.| {np.nanmin(mag):.4g}..{np.nanmax(mag):.4g}"
        if value.dtype.kind in "fiub":
            return f"array{shape} {np.nanmin(value):.4g}..{np.nanmax(value):.4g}"
        return f"array{shape} {value.dtype}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if depth >= 1:
            return f"{type(value).__name__}(...)"
        return short_repr(value, depth + 1)
    if isinstance(value, (list, tuple)) and len(value) > _MAX_SCALAR_SEQUENCE:
        return f"{type(value).__name__}(len={len(value)})"
    if isinstance(value, dict) and len(value) > _MAX_SCALAR_SEQUENCE:
        return f"dict(len={len(value)}, keys={list(value)[:_MAX_SCALAR_SEQUENCE]}...)"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def short_repr(self: Any, depth: int = 0) -> str:
    """``ClassName(field=summary, ...)`` over the dataclass fields shown in ``repr``."""
    parts = [f"{f.name}={summarise(getattr(self, f.name), depth)}"
             for f in dataclasses.fields(self) if f.repr]
    return f"{type(self).__name__}(" + ", ".join(parts) + ")"
