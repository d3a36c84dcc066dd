"""Reading declarative TOML files (setup files in ``models/``, recipes in ``fits/``).

:func:`read_toml` parses a file and reports syntax errors with the file and line.
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
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import InputError, SetupFileError, UnitError
from emboost.core.units import parse_quantity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["read_toml", "Table"]

_MISSING = object()


def read_toml(path: str | os.PathLike[str], error: type[InputError] = SetupFileError) -> dict[str, Any]:
    """Parse a TOML file; a missing file or a syntax error raises ``error`` naming file and line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error("not a UTF-8 text file (expected TOML)", path=path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise error(f"invalid TOML: {exc}", path=path, line=int(m.group(1)) if m else None) from None


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
            raise self.fail(name, f"expected a string, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(name, f"expected one of {list(choices)}, got {value!r}")
        return value

    def number(self, name: str, default: Any = _MISSING, *, integer: bool = False,
               minimum: float | None = None) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok or not np.isfinite(value):
            raise self.fail(name, f"expected {'an integer' if integer else 'a number'}, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"must be >= {minimum}, got {value!r}")
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {value!r}")
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
