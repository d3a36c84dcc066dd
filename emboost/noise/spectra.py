"""Spectrum and ENR-table files: readers that name the file, line and column of every problem.

Spectra (CSV)::

    # any comment; optional metadata lines "# key = value unit":
    # resolution_bandwidth = 100 kHz
    frequency [GHz], p_on [W], p_off [dBm]
    18.0, 1.2e-12, -89.2
    ...

The header row names every column with its unit in brackets. ``frequency`` (Hz, kHz, MHz, GHz)
is required and must increase strictly; data columns are powers (W, mW, uW, nW, pW, fW or dBm,
returned in W, never negative) or temperatures (K, mK, returned in K, never negative).
Separators: comma, semicolon, tab or spaces. Spectra (NPZ) hold one 1-D array per column plus a
string entry ``units``, a JSON object ``{"frequency": "Hz", "power": "W", ...}`` (and optionally
``resolution_bandwidth`` in Hz).

ENR tables (the two columns of a noise-source certificate)::

    # Noise source ... serial ...
    frequency [GHz], enr [dB]
    10.0, 15.21
    18.0, 15.02

emboost's own output tables (``emboost mc``, ``derive``, ``fit``...) name the unit by a suffix instead
(``frequency_Hz, t_sys_K, g_median_GeV``); :func:`read_spectrum` accepts that form too when the first column is
``frequency_<unit>`` (``Hz``, ``kHz``, ``MHz``, ``GHz``, any case): the columns whose suffix is a power or
temperature unit (``_W``, ``_mW``, ``_dBm``, ``_K``, ``_mK``) become the spectrum's columns (named without the
suffix), the others (dimensionless, couplings, text) are left out and listed in ``metadata["other_columns"]``.
Every output table, spectrum or not, reads back with :func:`emboost.jobs.files.read_table`.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
>>> _ = p.write_text("# resolution_bandwidth = 10 kHz\\nfrequency [GHz], t_sys [K]\\n18, 300\\n19, 310\\n")
>>> s = read_spectrum(p)
>>> s.frequency.tolist(), s.column("t_sys").tolist(), s.resolution_bandwidth
([18000000000.0, 19000000000.0], [300.0, 310.0], 10000.0)
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import DataFileError, UnitError
from emboost.core.textfile import decode_utf8, read_bytes, refuse_binary
from emboost.core.units import parse_quantity, unit_factor

__all__ = ["Spectrum", "read_spectrum", "read_enr_table", "write_spectrum_csv"]

_HEADER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\]]*)\s*\])?\s*$")
_SPLIT = re.compile(r"\s*[,;\t]\s*|\s+")


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A measured spectrum: ``frequency`` [Hz] and named columns in SI (W or K)."""

    frequency: np.ndarray
    columns: dict[str, np.ndarray]
    kinds: dict[str, str]
    resolution_bandwidth: float | None = None
    path: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> np.ndarray:
        """One column (SI); an unknown name is a :class:`DataFileError` listing the columns."""
        if name not in self.columns:
            raise DataFileError(f"unknown column {name!r}; the file has {sorted(self.columns)}",
                                path=self.path or None, key=name)
        return self.columns[name]


def _column_kind(name: str, unit: str | None, path: Path, line: int | None) -> tuple[str, float | None]:
    """(kind, factor) of a column; factor None means dBm."""
    if not unit:
        raise UnitError(f"column {name!r} has no unit: write '{name} [unit]' (e.g. [Hz], [W], [dBm], [K])",
                        path=path, line=line, key=name)
    if name == "frequency":
        return "frequency", unit_factor(unit, "frequency", path=path, key=name)
    if isinstance(unit, str) and unit.strip() == "dBm":
        return "power", None
    for kind in ("power", "temperature"):
        try:
            return kind, unit_factor(unit, kind)
        except UnitError:
            continue
    raise UnitError(f"column {name!r}: unit {unit!r} is neither a power (W, mW, uW, nW, pW, fW, dBm) nor a "
                    "temperature (K, mK)", path=path, line=line, key=name)


def _to_si(values: np.ndarray, factor: float | None, *, path: Path, key: str,
           lines: list[int] | None = None) -> np.ndarray:
    """Values in SI (dBm -> W when ``factor`` is None); a value that overflows (e.g. 4000 dBm) is an error."""
    with np.errstate(over="ignore"):
        out = 1e-3 * 10.0 ** (values / 10.0) if factor is None else values * factor
    bad = np.nonzero(~np.isfinite(out))[0]
    if bad.size:
        i = int(bad[0])
        unit = "dBm" if factor is None else "its unit"
        raise DataFileError(f"value {values[i]:g} in {unit} overflows the floating-point range once converted "
                            "to SI", path=path, line=None if lines is None else lines[i], key=key)
    return out


def _check(path: Path, names: list[str], kinds: list[str], data: np.ndarray, where: list[str]) -> None:
    """Sorted frequencies, non-negative data; ``where[i]`` says how to name row i in an error."""
    f = data[:, 0]
    bad = np.nonzero(np.diff(f) <= 0)[0]
    if bad.size:
        i = int(bad[0]) + 1
        raise DataFileError(f"{where[i]}: frequency {f[i]:.9g} Hz is not above the previous {f[i - 1]:.9g} Hz "
                            "(frequencies must increase strictly: unsorted or duplicate)", path=path, key="frequency")
    if f[0] <= 0:
        raise DataFileError(f"{where[0]}: frequency must be > 0 Hz", path=path, key="frequency")
    for j in range(1, len(names)):
        neg = np.nonzero(data[:, j] < 0)[0]
        if neg.size:
            i = int(neg[0])
            raise DataFileError(f"{where[i]}: negative {kinds[j]} {data[i, j]:g} in column {names[j]!r} "
                                f"(a {kinds[j]} spectrum cannot be negative)", path=path, key=names[j])


def _read_text_table(path: Path) -> tuple[list[str], list[str | None], int, list[list[str]], list[int], dict]:
    what = "a text table 'frequency [unit], ...'"
    blob = read_bytes(path, "a text table")
    refuse_binary(blob, path, what)
    text = decode_utf8(blob, path, what)
    header: list[str] | None = None
    units: list[str | None] = []
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    meta: dict[str, tuple[str, int]] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s:
            continue
        if s[0] in "#!%":
            m = re.match(r"^[#!%]\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$", s)
            if m:
                meta[m.group(1)] = (m.group(2), n)
            continue
        if header is None:
            fields = [x for x in re.split(r"\s*[,;\t]\s*", s) if x] if re.search(r"[,;\t]", s) else \
                re.findall(r"[A-Za-z_][A-Za-z0-9_]*\s*(?:\[[^\]]*\])?", s)
            header, units = [], []
            for fld in fields:
                m = _HEADER.match(fld)
                if not m:
                    raise DataFileError(f"header field {fld!r} is not 'name [unit]'", path=path, line=n)
                header.append(m.group(1))
                units.append(m.group(2))
            header_line = n
            if len(set(header)) != len(header):
                raise DataFileError(f"duplicate column names in header {header}", path=path, line=n)
            continue
        rows.append([x for x in _SPLIT.split(s) if x])
        lines.append(n)
    if header is None:
        raise DataFileError("no header row 'frequency [unit], name [unit], ...' found", path=path)
    return header, units, header_line, rows, lines, meta


def _parse_rows(path: Path, header: list[str], rows: list[list[str]], lines: list[int]) -> np.ndarray:
    if not rows:
        raise DataFileError("no data rows after the header", path=path)
    data = np.empty((len(rows), len(header)))
    for i, (row, n) in enumerate(zip(rows, lines)):
        if len(row) != len(header):
            raise DataFileError(f"expected {len(header)} values ({', '.join(header)}), got {len(row)}",
                                path=path, line=n)
        for j, x in enumerate(row):
            try:
                v = float(x)
            except ValueError:
                raise DataFileError(f"{x!r} is not a number", path=path, line=n, key=header[j]) from None
            if not np.isfinite(v):
                raise DataFileError(f"{x!r} is not a finite number", path=path, line=n, key=header[j])
            data[i, j] = v
    return data


def _rbw(meta: dict, path: Path) -> float | None:
    if "resolution_bandwidth" not in meta:
        return None
    value, n = meta["resolution_bandwidth"]
    try:
        rbw = float(parse_quantity(value, "frequency", path=path, key="resolution_bandwidth"))
    except UnitError as exc:
        raise UnitError(exc.reason, path=path, line=n, key="resolution_bandwidth") from None
    if rbw <= 0:
        raise DataFileError("resolution_bandwidth must be > 0", path=path, line=n, key="resolution_bandwidth")
    return rbw


_FREQ_SUFFIX = {"hz": "Hz", "khz": "kHz", "mhz": "MHz", "ghz": "GHz"}
_DATA_SUFFIX = ("W", "mW", "uW", "nW", "pW", "fW", "dBm", "K", "mK")


def _split_suffix(name: str) -> tuple[str, str | None]:
    """``"t_sys_K"`` -> ``("t_sys", "K")``; a name without a power/temperature suffix -> ``(name, None)``."""
    base, _, suffix = name.rpartition("_")
    if base and suffix in _DATA_SUFFIX:
        return base, suffix
    return name, None


def _suffix_style(header: list[str], units: list[str | None], rows: list[list[str]], lines: list[int],
                  meta: dict, path: Path, hline: int) -> tuple[list[str], list[str | None], list[list[str]], dict]:
    """An emboost output table (first column ``frequency_<unit>``, units as suffixes) as a bracket-style
    spectrum: the power/temperature columns kept, the other columns left out (``other_columns``)."""
    base, _, suffix = header[0].rpartition("_")
    if units[0] is not None or base != "frequency" or suffix.lower() not in _FREQ_SUFFIX:
        return header, units, rows, meta
    keep = [0]
    names: list[str] = ["frequency"]
    new_units: list[str | None] = [_FREQ_SUFFIX[suffix.lower()]]
    other = []
    for j, (nm, u) in enumerate(zip(header[1:], units[1:]), start=1):
        b, su = _split_suffix(nm) if u is None else (nm, u)
        if su is None or b in names:
            other.append(nm)
            continue
        keep.append(j)
        names.append(b)
        new_units.append(su)
    for row, n in zip(rows, lines):
        if len(row) != len(header):
            raise DataFileError(f"expected {len(header)} values ({', '.join(header)}), got {len(row)}",
                                path=path, line=n)
    meta = dict(meta)
    if other:
        meta["other_columns"] = (",".join(other), hline)
    return names, new_units, [[row[j] for j in keep] for row in rows], meta


def read_spectrum(path: str | os.PathLike[str], columns: list[str] | tuple[str, ...] | None = None) -> Spectrum:
    """Read a spectrum (``.csv``/``.txt``/``.dat`` or ``.npz``); ``columns`` lists the columns required."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        spec = _read_npz(path)
    else:
        header, units, hline, rows, lines, meta = _read_text_table(path)
        header, units, rows, meta = _suffix_style(header, units, rows, lines, meta, path, hline)
        if header[0] != "frequency":
            raise DataFileError(f"the first column must be 'frequency [unit]', got {header[0]!r}",
                                path=path, line=hline, key=header[0])
        kinds, factors = zip(*(_column_kind(nm, u, path, hline) for nm, u in zip(header, units)))
        data = _parse_rows(path, header, rows, lines)
        for j, fac in enumerate(factors):
            data[:, j] = _to_si(data[:, j], fac, path=path, key=header[j], lines=lines)
        _check(path, header, list(kinds), data, [f"line {n}" for n in lines])
        spec = Spectrum(frequency=data[:, 0].copy(), columns={nm: data[:, j].copy() for j, nm in
                                                              enumerate(header) if j},
                        kinds={nm: k for nm, k in zip(header[1:], kinds[1:])}, resolution_bandwidth=_rbw(meta, path),
                        path=str(path), metadata={k: v for k, (v, _) in meta.items()})
    for name in columns or ():
        spec.column(name)
    return spec


def _npz_entry(z: Any, name: str, path: Path) -> np.ndarray:
    """One entry of an open ``.npz`` archive, with every archive or format problem as a DataFileError."""
    try:
        return np.asarray(z[name])
    except MemoryError:
        raise DataFileError(f"entry {name!r} is too large to load", path=path, key=name) from None
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataFileError(f"entry {name!r} holds pickled Python objects, which are never loaded; expected "
                                "a numeric array", path=path, key=name) from None
        raise DataFileError(f"entry {name!r} is not a readable array: {_one_line(exc)}", path=path,
                            key=name) from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, RuntimeError) as exc:
        raise DataFileError(f"entry {name!r} is damaged (truncated or corrupt archive): {_one_line(exc)}",
                            path=path, key=name) from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _read_npz(path: Path) -> Spectrum:
    try:
        z = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataFileError("file not found", path=path) from None
    except IsADirectoryError:
        raise DataFileError("is a folder, expected a .npz file", path=path) from None
    except ValueError as exc:
        what = "pickled data, which is never loaded" if "pickle" in str(exc) else _one_line(exc)
        raise DataFileError(f"not a readable .npz archive ({what}); expected numpy.savez arrays", path=path) from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError) as exc:
        raise DataFileError(f"not a readable .npz archive (truncated or corrupt: {_one_line(exc)})",
                            path=path) from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise DataFileError("a single .npy array, not an .npz archive of named arrays; expected numpy.savez output",
                            path=path)
    with z:
        if "units" not in z.files:
            raise UnitError("missing unit: the .npz file needs a 'units' entry, a JSON object "
                            "such as {\"frequency\": \"Hz\", \"power\": \"W\"}", path=path, key="units")
        u = _npz_entry(z, "units", path)
        if u.ndim != 0 or u.dtype.kind not in "US":
            raise DataFileError(f"'units' must be one string (a JSON object), got shape {u.shape} {u.dtype}",
                                path=path, key="units")
        try:
            units = json.loads(str(u.item() if u.dtype.kind == "U" else u.item().decode("utf-8")))
        except (ValueError, UnicodeDecodeError, RecursionError):
            units = None
        if not isinstance(units, dict):
            raise DataFileError("'units' must be a JSON object mapping column names to units", path=path,
                                key="units")
        names = [n for n in z.files if n not in ("units", "resolution_bandwidth")]
        if "frequency" not in names:
            raise DataFileError(f"no 'frequency' array; the file has {names}", path=path, key="frequency")
        names.remove("frequency")
        names = ["frequency"] + names
        arrays = []
        for nm in names:
            a = _npz_entry(z, nm, path)
            if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
                raise DataFileError(f"array {nm!r} must be 1-D real numbers, got shape {a.shape} {a.dtype}",
                                    path=path, key=nm)
            if a.size == 0:
                raise DataFileError(f"array {nm!r} is empty", path=path, key=nm)
            a = a.astype(float)
            if not np.all(np.isfinite(a)):
                raise DataFileError(f"array {nm!r} holds non-finite values (NaN or inf)", path=path, key=nm)
            arrays.append(a)
        n0 = arrays[0].size
        for nm, a in zip(names, arrays):
            if a.size != n0:
                raise DataFileError(f"array {nm!r} has {a.size} values but 'frequency' has {n0} "
                                    "(mismatched lengths)", path=path, key=nm)
        kinds = []
        for j, nm in enumerate(names):
            kind, fac = _column_kind(nm, units.get(nm), path, None)
            kinds.append(kind)
            arrays[j] = _to_si(arrays[j], fac, path=path, key=nm)
        rbw = None
        if "resolution_bandwidth" in z.files:
            r = _npz_entry(z, "resolution_bandwidth", path)
            if r.size != 1 or not (np.issubdtype(r.dtype, np.integer) or np.issubdtype(r.dtype, np.floating)):
                raise DataFileError(f"'resolution_bandwidth' must be one number in Hz, got shape {r.shape} {r.dtype}",
                                    path=path, key="resolution_bandwidth")
            rbw = float(r.ravel()[0])
            if not (math.isfinite(rbw) and rbw > 0):
                raise DataFileError(f"'resolution_bandwidth' must be > 0 Hz and finite, got {rbw!r}", path=path,
                                    key="resolution_bandwidth")
    data = np.stack(arrays, axis=1)
    _check(path, names, kinds, data, [f"index {i}" for i in range(n0)])
    return Spectrum(frequency=data[:, 0].copy(), columns={nm: data[:, j].copy() for j, nm in enumerate(names) if j},
                    kinds=dict(zip(names[1:], kinds[1:])), resolution_bandwidth=rbw, path=str(path))


def read_enr_table(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies [Hz] and ENR [dB] of a noise-source certificate table (two columns).

    The header is ``frequency [unit], enr [dB]`` (or ``enr [1]`` for a linear ENR, converted to dB).
    """
    path = Path(path)
    header, units, hline, rows, lines, _ = _read_text_table(path)
    if len(header) != 2 or header[0] != "frequency" or header[1] != "enr":
        raise DataFileError(f"an ENR table has two columns 'frequency [unit], enr [dB]', got {header}",
                            path=path, line=hline)
    if not units[0]:
        raise UnitError("column 'frequency' has no unit: write 'frequency [GHz]'", path=path, line=hline,
                        key="frequency")
    ff = unit_factor(units[0], "frequency", path=path, key="frequency")
    if units[1] not in ("dB", "1"):
        raise UnitError(f"column 'enr' needs the unit [dB] or [1] (linear), got {units[1]!r}", path=path,
                        line=hline, key="enr")
    data = _parse_rows(path, header, rows, lines)
    data[:, 0] = _to_si(data[:, 0], ff, path=path, key="frequency", lines=lines)
    where = [f"line {n}" for n in lines]
    if units[1] == "1":
        neg = np.nonzero(data[:, 1] <= 0)[0]
        if neg.size:
            raise DataFileError(f"linear ENR must be > 0, got {data[neg[0], 1]:g}", path=path,
                                line=lines[int(neg[0])], key="enr")
        data[:, 1] = 10 * np.log10(data[:, 1])
    _check(path, ["frequency"], ["frequency"], data[:, :1], where)
    return data[:, 0].copy(), data[:, 1].copy()


def write_spectrum_csv(path: str | os.PathLike[str], frequency: np.ndarray, columns: dict[str, np.ndarray],
                       units: dict[str, str], comments: tuple[str, ...] = (),
                       resolution_bandwidth: float | None = None) -> None:
    """Write a spectrum CSV (frequency in Hz) atomically, readable by :func:`read_spectrum`."""
    from emboost.core.output import atomic_write_text

    lines = [f"# {c}" for c in comments]
    if resolution_bandwidth is not None:
        lines.append(f"# resolution_bandwidth = {resolution_bandwidth!r} Hz")
    lines.append(", ".join(["frequency [Hz]"] + [f"{k} [{units[k]}]" for k in columns]))
    arrs = [np.asarray(frequency, dtype=float)] + [np.asarray(v, dtype=float) for v in columns.values()]
    for row in zip(*arrs):
        lines.append(", ".join(repr(float(v)) for v in row))
    atomic_write_text(path, "\n".join(lines) + "\n")
