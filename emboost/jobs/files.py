"""Writing a job's tables: columns of arrays as CSV, and the NetCDF results (atomically, through
:mod:`emboost.core.output`); :func:`read_results` reads a results file back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["write_csv", "read_table", "TableFile", "SUFFIX_UNITS", "write_results", "read_results",
           "netcdf4_available"]


def _cells(values: Any) -> list[str]:
    """One column's cells: floats as ``repr`` (round-trip exact), integers as integers, booleans as
    ``true``/``false`` and text as text (category columns stay strings)."""
    a = np.asarray(values)
    if a.dtype.kind == "b":
        return ["true" if v else "false" for v in a]
    if a.dtype.kind in "iu":
        return [str(int(v)) for v in a]
    if a.dtype.kind == "f":
        return [repr(float(v)) for v in a]
    if a.dtype.kind == "c":
        return [repr(complex(v)) for v in a]
    return [str(v) for v in a]


def write_csv(path: str | os.PathLike[str], columns: Mapping[str, Any], comments: Iterable[str] = ()) -> None:
    """Equal-length columns as CSV with ``#`` comment lines first, written atomically.

    Column names carry their unit as a suffix (``frequency_Hz``, ``t_sys_K``; docs/units.md), which
    :func:`read_table` and :func:`emboost.noise.spectra.read_spectrum` read back. Floats are written exactly
    (``repr``), integers as integers, booleans as ``true``/``false``, text as text.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(p, {"frequency_Hz": [1e9, 2e9], "mode": ["TE011", "TM010"], "axion_mode": [True, False]})
    >>> t = read_table(p)
    >>> t.columns["frequency_Hz"].tolist(), t.columns["mode"].tolist(), t.units["frequency_Hz"]
    ([1000000000.0, 2000000000.0], ['TE011', 'TM010'], 'Hz')
    """
    import csv
    import io

    from emboost.core.output import atomic_write_text

    names = list(columns)
    cells = [_cells(columns[n]) for n in names]
    sizes = {len(c) for c in cells}
    if len(sizes) > 1:
        raise ValueError(f"columns have different lengths: {dict(zip(names, (len(c) for c in cells)))}")
    buf = io.StringIO()
    for line in comments:
        buf.write(f"# {line}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    w.writerows(zip(*cells))
    atomic_write_text(path, buf.getvalue())


#: unit suffix of an output column name -> its unit (docs/units.md; ``_GeV`` on a coupling means GeV^-1)
SUFFIX_UNITS = {"Hz": "Hz", "hz": "Hz", "GHz": "GHz", "MHz": "MHz", "kHz": "kHz", "s": "s", "m": "m",
                "K": "K", "mK": "mK", "W": "W", "dBm": "dBm", "dB": "dB", "db": "dB", "T": "T", "m2": "m^2",
                "m3": "m^3", "J_per_m3": "J/m^3", "GeV": "GeV^-1", "gev": "GeV^-1", "ohm": "ohm", "h": "H",
                "f": "F", "rad": "rad", "deg": "deg"}


@dataclass(frozen=True, eq=False)
class TableFile:
    """A CSV table read back: ``columns`` by name (float arrays; text columns as ``str`` arrays), ``units`` by
    name (from ``name [unit]`` or the name's suffix, ``"1"`` when none), the ``#`` comment lines."""

    columns: dict[str, np.ndarray]
    units: dict[str, str]
    comments: tuple[str, ...]


def _unit_of(name: str) -> tuple[str, str]:
    import re

    m = re.match(r"^\s*(.+?)\s*\[\s*([^\]]*?)\s*\]\s*$", name)
    if m:
        return m.group(1), m.group(2) or "1"
    for suffix in sorted(SUFFIX_UNITS, key=len, reverse=True):
        if name.endswith("_" + suffix) and len(name) > len(suffix) + 1:
            return name, SUFFIX_UNITS[suffix]
    return name, "1"


def read_table(path: str | os.PathLike[str]) -> TableFile:
    """Read any CSV table emboost writes (and bracket-unit tables): ``#`` comments, a header row, rows.

    A column whose every cell is a number is a float array, any other column a ``str`` array (categories).
    Problems are :class:`~emboost.core.errors.DataFileError` naming the file and line.
    """
    import csv
    from pathlib import Path

    from emboost.core.errors import DataFileError
    from emboost.core.textfile import decode_utf8, read_bytes, refuse_binary

    path = Path(path)
    blob = read_bytes(path, "a CSV table")
    refuse_binary(blob, path, "a CSV table")
    text = decode_utf8(blob, path, "a CSV table")
    comments: list[str] = []
    body: list[tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            comments.append(line[1:].strip())
        elif line.strip():
            body.append((n, line))
    if not body:
        raise DataFileError("no header row found", path=path)
    rows = list(csv.reader([x for _, x in body]))
    header = [h.strip() for h in rows[0]]
    data = rows[1:]
    for (n, _), row in zip(body[1:], data):
        if len(row) != len(header):
            raise DataFileError(f"expected {len(header)} values ({', '.join(header)}), got {len(row)}",
                                path=path, line=n)
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for j, h in enumerate(header):
        name, unit = _unit_of(h)
        cells = [row[j].strip() for row in data]
        try:
            columns[name] = np.array([float(c) for c in cells], dtype=float)
        except ValueError:
            columns[name] = np.array(cells, dtype=str)
        units[name] = unit
    return TableFile(columns, units, tuple(comments))


# ------------------------------------------------------------------------------------------------ NetCDF
def netcdf4_available() -> bool:
    """True when xarray, h5netcdf and h5py are installed (results are then NetCDF4/HDF5, else NetCDF3)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("xarray", "h5netcdf", "h5py"))


def write_results(path: str | os.PathLike[str], variables: Any, attrs: Mapping[str, Any],
                  say: Callable[[str], None] | None = None) -> str:
    """Write the schema's variables (:mod:`emboost.mc.ncschema`) and global attributes to ``path``, atomically.

    NetCDF4/HDF5 through xarray + h5netcdf when both are installed (``pip install 'emboost[netcdf]'``); else
    NetCDF3 (classic) through scipy with the same variable names, dimensions and CF attributes, and a line
    through ``say`` saying so. Returns ``"NETCDF4"`` or ``"NETCDF3_CLASSIC"``.
    """
    import io
    import tempfile
    from pathlib import Path

    from emboost.core.output import atomic_write_bytes
    from emboost.mc.ncschema import normalise, to_dataset

    path = Path(path)
    if netcdf4_available():
        ds = to_dataset(variables, attrs)
        enc = {k: {"zlib": True, "complevel": 4} for k, v in ds.data_vars.items() if v.ndim >= 1 and v.size > 64}
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".nc-") as tmp:
            t = Path(tmp) / path.name
            ds.to_netcdf(t, engine="h5netcdf", encoding=enc)
            atomic_write_bytes(path, t.read_bytes())
        return "NETCDF4"
    from scipy.io import netcdf_file

    norm = normalise(variables)
    dims: dict[str, int] = {}
    for dd, values, _ in norm.values():
        for d, n in zip(dd, np.shape(values)):
            dims.setdefault(d, n)
    buf = io.BytesIO()
    nc = netcdf_file(buf, "w", version=2)
    for k, v in attrs.items():
        setattr(nc, k, _nc3_attribute(v))
    for d, n in dims.items():
        nc.createDimension(d, n)
    for name, (dd, values, vattrs) in norm.items():
        var = nc.createVariable(name, "d" if values.dtype.kind == "f" else "i", dd)
        var[:] = values
        for k, v in vattrs.items():
            setattr(var, k, v)
    nc.flush()
    atomic_write_bytes(path, buf.getvalue())
    if say is not None:
        say(f"{path.name}: written as NetCDF3 (scipy); install xarray and h5netcdf (pip install 'emboost[netcdf]') "
            "for NetCDF4/HDF5 with compressed per-sample curves")
    return "NETCDF3_CLASSIC"


def _nc3_attribute(v: Any) -> Any:
    """A global attribute NetCDF3 can hold: int32, float64 or text."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v) if -2**31 <= int(v) < 2**31 else float(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    return str(v)


def read_results(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read an emboost ``results.nc`` (NetCDF4 or NetCDF3) back: ``(arrays by variable name, global attributes)``.

    Uses xarray when installed, else scipy (NetCDF3 only). A file that is not readable raises
    :class:`~emboost.core.errors.DataFileError`.
    """
    from pathlib import Path

    from emboost.core.errors import DataFileError

    path = Path(path)
    if not path.is_file():
        raise DataFileError("results file not found", path=path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic[:3] == b"CDF":
            from scipy.io import netcdf_file

            with netcdf_file(path, "r", mmap=False) as nc:
                arrays = {k: np.array(v[:]) for k, v in nc.variables.items()}
                attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in nc._attributes.items()}
            return arrays, attrs
        import xarray as xr

        with xr.open_dataset(path, engine="h5netcdf") as ds:
            arrays = {str(k): np.asarray(v.values) for k, v in ds.variables.items()}
            return arrays, dict(ds.attrs)
    except ImportError:
        raise DataFileError("a NetCDF4 file needs xarray and h5netcdf to read: pip install 'emboost[netcdf]'",
                            path=path) from None
    except (OSError, ValueError, TypeError) as exc:
        raise DataFileError(f"not a readable NetCDF file: {exc}", path=path) from None
