"""Reading declarative TOML files (setup files in ``models/``, recipes in ``fits/``).

:func:`read_toml` parses a file and reports syntax errors with the file and line (a UTF-8 byte-order mark
is accepted).
:class:`Table` wraps one table of it: every access names the dotted key in its errors, and
:meth:`Table.finish` rejects keys that were never read (a misspelt key is an error, not a silent
default).

>>> t = Table({"radius": {"value": 10, "unit": "cm", "source": "drawing"}}, path="m.toml", prefix="guide")
>>> t.quantity("radius", "length")
0.1
>>> t.finish()
>>> t = Table({"radius": "1 cm", "radus": 2}, path="m.toml", prefix="guide")
>>> t.quantity("radius", "length")
0.01
>>> t.finish()
Traceback (most recent call last):
...
emboost.core.errors.SetupFileError: m.toml: key 'guide.radus': unknown key; expected one of ['radius']

Integers read with ``number(..., integer=True)`` are sizes (points, samples, counts) and are bounded
by :data:`MAX_COUNT` unless the caller gives its own ``maximum`` (``seed`` is exempt), so that a typo
such as ``points = 2_000_000_000`` is a one-line error, not a 15 GiB allocation:

>>> Table({"points": 2_000_000_000}, path="m.toml", prefix="band").number("points", integer=True)
Traceback (most recent call last):
...
emboost.core.errors.SetupFileError: m.toml: key 'band.points': must be <= 1000000, got 2000000000
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import InputError, SetupFileError, UnitError
from emboost.core.textfile import decode_utf8, read_bytes
from emboost.core.units import parse_quantity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["read_toml", "Table", "MAX_COUNT"]

_MISSING = object()

#: upper bound of integer sizes (points, samples, grid points, counts) unless a caller gives its own
MAX_COUNT = 1_000_000
#: integer keys that are not sizes and so get no default upper bound
_UNBOUNDED_INTEGERS = frozenset({"seed"})


def _short(x: Any) -> str:
    r = repr(x)
    return r if len(r) <= 40 else r[:37] + "..."


def read_toml(path: str | os.PathLike[str], error: type[InputError] = SetupFileError) -> dict[str, Any]:
    """Parse a TOML file; a missing file or a syntax error raises ``error`` naming file and line.

    A UTF-8 byte-order mark (written by some Windows editors) is accepted.
    """
    path = Path(path)
    text = decode_utf8(read_bytes(path, "a TOML file", error), path, "TOML", error)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise error(f"invalid TOML: {exc}", path=path, line=int(m.group(1)) if m else None) from None
    except RecursionError:
        raise error("invalid TOML: arrays or tables nested too deeply", path=path) from None


class Table:
    """One table of a TOML file, with key tracking and unit-aware accessors."""

    def __init__(self, data: Any, *, path: str | os.PathLike[str] | None, prefix: str = "",
                 error: type[InputError] = SetupFileError) -> None:
        self.path = None if path is None else str(path)
        self.prefix = prefix
        self.error = error
        if not isinstance(data, Mapping):
            raise error(f"expected a table, got {type(data).__name__}", path=path, key=prefix or None)
        self.data = dict(data)
        self._used: set[str] = set()

    def key(self, name: str) -> str:
        """The dotted key of ``name`` inside this table."""
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str | None, message: str) -> InputError:
        """An error about key ``name`` of this table (returned, for ``raise``)."""
        return self.error(message, path=self.path, key=self.key(name) if name else (self.prefix or None))

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        """The raw value of ``name``; missing without a default is an error."""
        self._used.add(name)
        if name not in self.data:
            if default is _MISSING:
                raise self.fail(name, "missing required key")
            return default
        return self.data[name]

    def table(self, name: str, default: Any = _MISSING) -> Table:
        """A sub-table."""
        value = self.raw(name, default)
        if value is None:
            return None  # type: ignore[return-value]
        return Table(value, path=self.path, prefix=self.key(name), error=self.error)

    def tables(self, name: str) -> list[Table]:
        """An array of tables (``[[name]]``)."""
        value = self.raw(name)
        if not isinstance(value, list):
            raise self.fail(name, "expected an array of tables ([[...]])")
        return [Table(v, path=self.path, prefix=f"{self.key(name)}[{i}]", error=self.error)
                for i, v in enumerate(value)]

    def string(self, name: str, default: Any = _MISSING, choices: tuple[str, ...] | None = None) -> str:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise self.fail(name, f"expected a string, got {_short(value)}")
        if choices is not None and value not in choices:
            raise self.fail(name, f"expected one of {list(choices)}, got {_short(value)}")
        return value

    def number(self, name: str, default: Any = _MISSING, *, integer: bool = False,
               minimum: float | None = None, maximum: float | None = None) -> Any:
        """A plain number (no unit): a count, an order, a seed.

        With ``integer=True`` the value is a size and is bounded by :data:`MAX_COUNT` unless ``maximum``
        is given (keys in ``_UNBOUNDED_INTEGERS`` such as ``seed`` are only checked to fit 64 bits).
        """
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            raise self.fail(name, f"expected {'an integer' if integer else 'a number'}, got {_short(value)}")
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an integer beyond the float range
            finite = False
        if not finite:
            raise self.fail(name, f"expected a finite {'integer' if integer else 'number'} within the float range, "
                                  f"got {_short(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"must be >= {minimum}, got {_short(value)}")
        if maximum is None and integer:
            maximum = 2**63 - 1 if name in _UNBOUNDED_INTEGERS else MAX_COUNT
        if maximum is not None and value > maximum:
            raise self.fail(name, f"must be <= {maximum}, got {_short(value)}")
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {_short(value)}")
        return value

    def quantity(self, name: str, dimension: str, default: Any = _MISSING, *,
                 minimum: float | None = None, exclusive: bool = False, maximum: float | None = None) -> Any:
        """A quantity with a unit (see :func:`emboost.core.units.parse_quantity`), in SI.

        ``minimum``/``maximum`` bound the SI value(s); ``exclusive`` makes the minimum strict.
        """
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            q = parse_quantity(value, dimension, path=self.path, key=self.key(name))
        except UnitError as exc:
            if isinstance(exc, self.error):
                raise
            raise self.error(exc.reason, path=self.path, key=self.key(name)) from None
        arr = np.asarray(q)
        if minimum is not None:
            bad = arr <= minimum if exclusive else arr < minimum
            if np.any(bad):
                rel = ">" if exclusive else ">="
                raise self.fail(name, f"must be {rel} {minimum:g} (SI), got {arr[bad].ravel()[0]:g}")
        if maximum is not None and np.any(arr > maximum):
            raise self.fail(name, f"must be <= {maximum:g} (SI), got {arr[arr > maximum].ravel()[0]:g}")
        return q

    def finish(self) -> None:
        """Raise if the table holds keys that were never read."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            more = f" (and {unknown[1:]})" if len(unknown) > 1 else ""
            raise self.fail(unknown[0], f"unknown key{more}; expected one of {sorted(self._used)}")
