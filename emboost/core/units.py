"""Units, parsed only where data enters emboost (setup files, recipes, data headers).

Inside emboost every number is SI. A quantity in a TOML file is an inline table::

    thickness = { value = 1.0, unit = "mm", source = "CB200 nominal disk, MADMAX 2025" }
    gaps = { values = [8.0, 8.0, 8.0], unit = "mm", source = "..." }

or, for brevity, a string ``"1.0 mm"``. The ``source`` says where the number comes from.

>>> parse_quantity({"value": 1.0, "unit": "mm"}, "length")
0.001
>>> parse_quantity("18.5 GHz", "frequency")
18500000000.0
>>> parse_quantity("2.5μm", "length") == parse_quantity("2.5 µm", "length")   # Greek mu or micro sign
True
>>> parse_quantity({"value": 1.0, "unit": "GHz"}, "length", path="m.toml", key="gap")
Traceback (most recent call last):
...
emboost.core.errors.UnitError: m.toml: key 'gap': unit 'GHz' is a frequency, expected a length (one of: ...
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np

from emboost.core.constants import GEV_PER_CM3, GeV, eV
from emboost.core.errors import UnitError

#: unit name as written in the tables below -> (dimension, factor to SI)
_UNITS: dict[str, tuple[str, float]] = {}
#: normalised spelling (see :func:`_normalise`) -> unit name of ``_UNITS``
_SPELLINGS: dict[str, str] = {}


def _normalise(unit: str) -> str:
    """NFKC form with single spaces: the micro sign U+00B5 and the Greek mu U+03BC (and the ohm sign
    U+2126 and the Greek omega) spell the same unit; full-width and compatibility characters fold."""
    return " ".join(unicodedata.normalize("NFKC", unit).split())


def _add(dimension: str, table: Mapping[str, float]) -> None:
    for name, factor in table.items():
        _UNITS[name] = (dimension, factor)
        _SPELLINGS[_normalise(name)] = name


_add("length", {"m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9, "km": 1e3,
                "in": 0.0254, "mil": 2.54e-5})
_add("area", {"m2": 1.0, "m^2": 1.0, "cm2": 1e-4, "cm^2": 1e-4, "mm2": 1e-6, "mm^2": 1e-6})
_add("volume", {"m3": 1.0, "m^3": 1.0, "L": 1e-3, "l": 1e-3, "cm3": 1e-6, "cm^3": 1e-6})
_add("frequency", {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9, "THz": 1e12})
_add("time", {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12, "fs": 1e-15,
              "min": 60.0, "h": 3600.0, "d": 86400.0, "day": 86400.0, "yr": 365.25 * 86400.0})
_add("dimensionless", {"1": 1.0, "dimensionless": 1.0, "%": 1e-2, "ppm": 1e-6})
_add("conductivity", {"S/m": 1.0, "MS/m": 1e6})
_add("resistance", {"ohm": 1.0, "Ohm": 1.0, "Ω": 1.0, "mohm": 1e-3, "mOhm": 1e-3, "mΩ": 1e-3,
                    "kohm": 1e3, "kOhm": 1e3, "kΩ": 1e3})
_add("inductance", {"H": 1.0, "mH": 1e-3, "uH": 1e-6, "µH": 1e-6, "nH": 1e-9, "pH": 1e-12})
_add("capacitance", {"F": 1.0, "uF": 1e-6, "µF": 1e-6, "nF": 1e-9, "pF": 1e-12, "fF": 1e-15})
_add("temperature", {"K": 1.0, "mK": 1e-3})
_add("magnetic_field", {"T": 1.0, "mT": 1e-3, "G": 1e-4})
_add("energy", {"J": 1.0, "eV": eV, "meV": 1e-3 * eV, "ueV": 1e-6 * eV, "µeV": 1e-6 * eV,
                "neV": 1e-9 * eV, "keV": 1e3 * eV, "GeV": GeV})
_add("energy_density", {"J/m3": 1.0, "J/m^3": 1.0, "GeV/cm3": GEV_PER_CM3, "GeV/cm^3": GEV_PER_CM3})
_add("coupling", {"1/J": 1.0, "J^-1": 1.0, "1/GeV": 1.0 / GeV, "GeV^-1": 1.0 / GeV})
_add("velocity", {"m/s": 1.0, "km/s": 1e3})
_add("helioscope_fom", {"T^2 m^4": 1.0, "T2m4": 1.0})
_add("haloscope_fom", {"T^2 m^3": 1.0, "T2m3": 1.0})
_add("angle", {"rad": 1.0, "mrad": 1e-3, "deg": math.pi / 180.0})
_add("power", {"W": 1.0, "mW": 1e-3, "uW": 1e-6, "nW": 1e-9, "pW": 1e-12, "fW": 1e-15})
_add("voltage", {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6, "nV": 1e-9, "pV": 1e-12})
_add("voltage_noise", {"V/sqrt(Hz)": 1.0, "nV/sqrt(Hz)": 1e-9, "pV/sqrt(Hz)": 1e-12})
_add("current_noise", {"A/sqrt(Hz)": 1.0, "nA/sqrt(Hz)": 1e-9, "pA/sqrt(Hz)": 1e-12})
_add("surface_resistance", {"ohm/sq": 1.0, "mohm/sq": 1e-3})

DIMENSIONS = sorted({d for d, _ in _UNITS.values()})

_ARTICLE = {"area": "an area", "energy": "an energy", "energy_density": "an energy density",
            "inductance": "an inductance", "angle": "an angle"}


#: said after every list of units: how the spellings are compared
_SPELLING_NOTE = "; \u00b5 (micro sign) and \u03bc (Greek mu) alike, the space before the unit optional"


def _describe(dimension: str) -> str:
    return _ARTICLE.get(dimension, "a " + dimension.replace("_", " "))


def unit_factor(unit: str, dimension: str, *, path: str | PathLike[str] | None = None,
                key: str | None = None) -> float:
    """Return the factor that turns a value in ``unit`` into SI, checking its ``dimension``.

    >>> unit_factor("GHz", "frequency")
    1000000000.0
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    choices = ", ".join(u for u, (d, _) in _UNITS.items() if d == dimension)
    if not isinstance(unit, str):
        raise UnitError(f"unit must be a string, got {unit!r}; expected one of: {choices}",
                        path=path, key=key)
    name = _SPELLINGS.get(_normalise(unit))
    if name is None:
        raise UnitError(f"unknown unit {unit.strip()[:40]!r}; expected {_describe(dimension)} (one of: {choices}"
                        f"{_SPELLING_NOTE})", path=path, key=key)
    dim, factor = _UNITS[name]
    unit = name
    if dim != dimension:
        raise UnitError(f"unit {unit!r} is {_describe(dim)}, expected {_describe(dimension)} "
                        f"(one of: {choices}{_SPELLING_NOTE})", path=path, key=key)
    return factor


def _short(x: Any) -> str:
    """``repr`` of a value cut to 40 characters (a 400-digit integer stays one readable line)."""
    r = repr(x)
    return r if len(r) <= 40 else r[:37] + "..."


def _number(x: Any, *, path: Any, key: str | None) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise UnitError(f"expected a number, got {_short(x)}", path=path, key=key)
    try:
        v = float(x)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v):
        raise UnitError(f"expected a finite number, got {_short(x)}", path=path, key=key)
    return v


def _scaled(value: Any, factor: float, *, path: Any, key: str | None) -> Any:
    """``value * factor``, refusing a result that overflows the float range (e.g. 1e300 GHz)."""
    with np.errstate(over="ignore"):
        out = np.asarray(value) * factor
    if not np.all(np.isfinite(out)):
        raise UnitError("value out of range: it overflows the floating-point range once converted to SI",
                        path=path, key=key)
    return out if isinstance(value, np.ndarray) else float(out)


#: '<number><optional spaces><unit>'; nan and inf are matched so that they get the 'finite' message
_NUMBER_UNIT = re.compile(r"\s*([+-]?(?:infinity|inf|nan|(?:\d+(?:_\d+)*)?\.?\d*(?:[eE][+-]?\d+)?))\s*(\S.*?)\s*",
                          re.IGNORECASE)


def parse_quantity(entry: Any, dimension: str, *, path: str | PathLike[str] | None = None,
                   key: str | None = None) -> float | np.ndarray:
    """Parse one quantity of a setup file or recipe into SI.

    Parameters
    ----------
    entry:
        ``{"value": x, "unit": u}``, ``{"values": [...], "unit": u}`` (returns an array) or a string
        ``"x u"``. A ``source`` key is allowed (and recommended) beside them.
    dimension:
        The expected dimension, e.g. ``"length"``, ``"frequency"``, ``"dimensionless"``.
    path, key:
        Where the entry comes from, for error messages.
    """
    if isinstance(entry, str):
        m = _NUMBER_UNIT.fullmatch(unicodedata.normalize("NFKC", entry))
        number = m.group(1) if m else ""
        try:
            value = float(number.replace("_", ""))
        except ValueError:
            raise UnitError(f"expected '<number> <unit>' such as '1.0 mm' or '18.5GHz', got {_short(entry)}",
                            path=path, key=key) from None
        assert m is not None
        factor = unit_factor(m.group(2), dimension, path=path, key=key)
        return _scaled(_number(value, path=path, key=key), factor, path=path, key=key)
    if isinstance(entry, (int, float)) and not isinstance(entry, bool):
        raise UnitError(f"missing unit: write {{ value = {entry}, unit = \"...\" }} with "
                        f"{_describe(dimension)} unit", path=path, key=key)
    if not isinstance(entry, Mapping):
        raise UnitError(f"expected {{ value = ..., unit = ... }}, got {entry!r}", path=path, key=key)
    allowed = {"value", "values", "unit", "source", "note"}
    extra = sorted(set(entry) - allowed)
    if extra:
        raise UnitError(f"unknown field(s) {extra} in a quantity; allowed: {sorted(allowed)}",
                        path=path, key=key)
    if "unit" not in entry:
        raise UnitError(f"missing unit: expected {_describe(dimension)} unit", path=path, key=key)
    factor = unit_factor(entry["unit"], dimension, path=path, key=key)
    if ("value" in entry) == ("values" in entry):
        raise UnitError("give exactly one of 'value' or 'values'", path=path, key=key)
    if "value" in entry:
        return _scaled(_number(entry["value"], path=path, key=key), factor, path=path, key=key)
    vals = entry["values"]
    if not isinstance(vals, list) or not vals:
        raise UnitError(f"'values' must be a non-empty list of numbers, got {_short(vals)}", path=path, key=key)
    return _scaled(np.array([_number(v, path=path, key=f"{key}[{i}]") for i, v in enumerate(vals)]), factor,
                   path=path, key=key)
