"""Readers for the ASCII tables that full-wave solvers export (COMSOL, CST) and for plain CSV.

What users bring to a validation is rarely a clean CSV: COMSOL writes ``%``-comment headers whose
last comment line names the columns with their units in parentheses (``freq (GHz)``,
``abs(emw.S11) (1)``) and writes complex numbers as ``0.45-0.86i``; CST writes ``#``-comment
headers with quoted column titles such as ``"Frequency / GHz"`` and ``"S1,1 (Re) [Lin]"``, tab
separated. Both are read into an :class:`ExportTable` whose columns are converted to SI (GHz -> Hz,
mm -> m, ns -> s; dimensionless, dB, degrees and other units are kept as they are and reported).

Every malformed input raises :class:`~emboost.core.errors.DataFileError` naming the file, the line and
what was expected. Both tools use the engineering convention exp(+jwt), as emboost does.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "s11.txt"
>>> _ = p.write_text("% Model: b.mph\\n% freq (GHz)   emw.S11 (1)\\n19.0  0.5-0.25i\\n19.1  0.6+0.1i\\n")
>>> f, s = s11_from_table(read_export(p))
>>> f.tolist(), s.tolist()
([19000000000.0, 19100000000.0], [(0.5-0.25j), (0.6+0.1j)])
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from emboost.core.errors import DataFileError
from emboost.core.textfile import read_bytes, refuse_binary

__all__ = ["ExportTable", "read_export", "read_comsol", "read_cst", "read_reference_csv", "s11_from_table",
           "column_scale", "frequency_column"]

ExportFormat = Literal["auto", "comsol", "cst", "csv"]

#: unit -> factor to SI for the units that are converted; other known units are kept (factor 1)
_SCALES = {
    "hz": 1.0, "khz": 1e3, "mhz": 1e6, "ghz": 1e9, "thz": 1e12,
    "m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9,
    "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12,
    "rad/s": 1.0,
}
_KEPT = {"1", "", "lin", "db", "deg", "rad", "ohm", "Ω", "v", "v/m", "a", "w", "a/m", "a/m^2", "w/m^2", "s/m",
         "f/m", "h/m", "k", "dbm", "mag", "re", "im", "phase"}


@dataclass(frozen=True)
class ExportTable:
    """Columns of an exported table, converted to SI.

    ``columns`` maps the column title (without its unit) to a 1-D array (complex where the file
    had complex numbers); ``units`` gives the unit as written; ``source`` is ``"comsol"``,
    ``"cst"`` or ``"csv"``.
    """

    path: str
    source: str
    columns: dict[str, np.ndarray]
    units: dict[str, str] = field(default_factory=dict)
    header: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.columns[name]
        except KeyError:
            raise DataFileError(f"no column {name!r}; the file has {self.names}", path=self.path,
                                key=name) from None


def column_scale(unit: str, *, path: str | os.PathLike[str] | None = None, key: str | None = None) -> float:
    """Factor converting a value in ``unit`` to SI (1 for dimensionless and kept units).

    >>> column_scale("GHz"), column_scale("mm"), column_scale("1")
    (1000000000.0, 0.001, 1.0)
    """
    u = unit.strip().lower().replace(" ", "")
    if u in _SCALES:
        return _SCALES[u]
    if u in _KEPT or u.startswith("db"):
        return 1.0
    raise DataFileError(f"unknown unit {unit!r}; expected e.g. Hz, kHz, MHz, GHz, m, mm, s, ns, 1, dB, deg",
                        path=path, key=key)


_UNIT_PAREN = re.compile(r"^(?P<name>.*?)\s*[\(\[](?P<unit>[^\(\)\[\]]*)[\)\]]\s*$")


def _split_unit(title: str) -> tuple[str, str]:
    """``'freq (GHz)'`` / ``'Frequency / GHz'`` / ``'S1,1 [Lin]'`` -> (name, unit)."""
    t = title.strip().strip('"').strip()
    if " / " in t:  # CST: "Frequency / GHz"
        name, unit = t.rsplit(" / ", 1)
        return name.strip(), unit.strip()
    m = _UNIT_PAREN.match(t)
    if m and m.group("name"):
        return m.group("name").strip(), m.group("unit").strip()
    return t, ""


def _parse_number(tok: str, path: str, line: int, col: str) -> complex | float:
    t = tok.strip()
    try:
        return float(t)
    except ValueError:
        pass
    if t.endswith(("i", "j")):
        try:
            return complex(t[:-1].replace(" ", "") + "j")
        except ValueError:
            pass
    raise DataFileError(f"column {col!r}: {tok!r} is not a number (real, or complex like 0.5-0.25i)",
                        path=path, line=line, key=col)


def _is_data_line(s: str) -> bool:
    s = s.strip()
    if not s:
        return False
    try:
        float(re.split(r"[,\s;]+", s)[0])
        return True
    except ValueError:
        return False


def _tokens(s: str) -> list[str]:
    s = s.strip()
    if "," in s:
        return [x.strip() for x in s.split(",")]
    if "\t" in s:
        return [x.strip() for x in s.split("\t") if x.strip()]
    if ";" in s:
        return [x.strip() for x in s.split(";")]
    return s.split()


def _split_titles(s: str, n: int | None) -> list[str]:
    s = s.strip()
    if '"' in s:
        return re.findall(r'"([^"]*)"', s)
    if "\t" in s:
        return [x.strip() for x in s.split("\t") if x.strip()]
    if "," in s:
        return [x.strip() for x in s.split(",")]
    # COMSOL: titles separated by two or more spaces
    parts = [x.strip() for x in re.split(r"\s{2,}", s) if x.strip()]
    if n is not None and len(parts) != n:
        parts = s.split()
    return parts


def _read_lines(path: Path) -> list[str]:
    raw = read_bytes(path, "an exported table", prefix="cannot read the file: ")
    refuse_binary(raw, path, "an exported text table")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.splitlines()


def _build(path: Path, source: str, titles: list[str], rows: list[tuple[int, list[str]]],
           header: list[str]) -> ExportTable:
    p = str(path)
    if not rows:
        raise DataFileError("no data rows (only comments or an empty file)", path=p)
    if not titles:
        raise DataFileError("no column header: expected a last comment line naming the columns, "
                            "e.g. '% freq (GHz)  emw.S11 (1)' or '#\"Frequency / GHz\"\\t\"S1,1 [Lin]\"'", path=p)
    n = len(titles)
    names, units = [], {}
    for t in titles:
        name, unit = _split_unit(t)
        if not name:
            raise DataFileError(f"empty column title in the header {titles}", path=p)
        if name in names:
            raise DataFileError(f"column {name!r} appears twice in the header", path=p, key=name)
        names.append(name)
        units[name] = unit
    data: list[list[complex | float]] = [[] for _ in range(n)]
    for line, toks in rows:
        if len(toks) != n:
            raise DataFileError(f"{len(toks)} values in this row, but the header names {n} columns {names}",
                                path=p, line=line)
        for k, tok in enumerate(toks):
            v = _parse_number(tok, p, line, names[k])
            if not (math.isfinite(v.real) and math.isfinite(v.imag)):
                raise DataFileError(f"column {names[k]!r}: value {tok!r} is not finite", path=p, line=line,
                                    key=names[k])
            data[k].append(v)
    cols = {}
    for name, vals in zip(names, data):
        arr = np.array(vals)
        if np.iscomplexobj(arr) and np.all(arr.imag == 0) and not any(isinstance(v, complex) for v in vals):
            arr = arr.real
        with np.errstate(over="ignore", invalid="ignore"):
            cols[name] = arr * column_scale(units[name], path=p, key=name)
        bad = np.nonzero(~np.isfinite(cols[name]))[0]
        if bad.size:
            i = int(bad[0])
            raise DataFileError(f"column {name!r}: value {rows[i][1][names.index(name)]!r} overflows the "
                                f"floating-point range once converted from {units[name]!r} to SI", path=p,
                                line=rows[i][0], key=name)
    fcol = frequency_column(names)
    if fcol is not None:
        f = np.real(cols[fcol])
        if np.any(f <= 0):
            raise DataFileError(f"frequency column {fcol!r} has values <= 0", path=p, key=fcol)
        resets = np.nonzero(np.diff(f) <= 0)[0] + 1
        if resets.size and not _is_parameter_sweep(cols, fcol, resets):
            i = int(resets[0])
            raise DataFileError(f"frequencies must increase strictly; row {i + 1} ({f[i]:.9g} Hz) does not "
                                "(a parameter sweep needs a column that is constant within each block)",
                                path=p, line=rows[i][0], key=fcol)
    return ExportTable(p, source, cols, units, tuple(header))


def _is_parameter_sweep(cols: dict[str, np.ndarray], fcol: str, resets: np.ndarray) -> bool:
    """Blocks of increasing frequency, each labelled by a column that is constant within it and changes
    at every block boundary (e.g. ``tilt_deg``)."""
    n = cols[fcol].size
    edges = np.concatenate([[0], resets, [n]])
    for name, c in cols.items():
        if name == fcol:
            continue
        blocks = [c[a:b] for a, b in zip(edges[:-1], edges[1:])]
        if all(np.all(b == b[0]) for b in blocks) and all(c[i] != c[i - 1] for i in resets):
            return True
    return False


def frequency_column(names: list[str]) -> str | None:
    """The column that holds frequencies (title starting with 'freq' or equal to 'f', 'f_hz')."""
    for n in names:
        low = n.lower()
        if low.startswith("freq") or low in ("f", "f_hz", "frequency_hz"):
            return n
    return None


def read_comsol(path: str | os.PathLike[str]) -> ExportTable:
    """Read a COMSOL ASCII export (``%`` comment header; the last comment line names the columns)."""
    path = Path(path)
    header, rows = [], []
    titles: list[str] = []
    for i, s in enumerate(_read_lines(path), start=1):
        if s.lstrip().startswith("%"):
            header.append(s.lstrip()[1:].strip())
            continue
        if not s.strip():
            continue
        if not _is_data_line(s):
            raise DataFileError(f"expected a row of numbers or a '%' comment, got {s.strip()[:60]!r}", path=path,
                                line=i)
        rows.append((i, _tokens(s)))
    if header:
        titles = _split_titles(header[-1], len(rows[0][1]) if rows else None)
        if rows and ":" in header[-1] and len(titles) != len(rows[0][1]):
            titles = []  # the last comment is metadata ("% Date: ..."), not a column header
    return _build(path, "comsol", titles, rows, header)


def read_cst(path: str | os.PathLike[str]) -> ExportTable:
    """Read a CST ASCII plot export (``#``-comment header with quoted titles, ``#----`` rule).

    Files with several parameter blocks (``#Parameters = {...}``) are rejected: export one block.
    """
    path = Path(path)
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    titles: list[str] = []
    for i, s in enumerate(_read_lines(path), start=1):
        st = s.strip()
        if st.startswith("#"):
            body = st[1:].strip()
            if body.startswith("Parameters") and rows:
                raise DataFileError("several parameter blocks in one export; export a single result", path=path,
                                    line=i)
            if body and not set(body) <= {"-"}:
                header.append(body)
                if '"' in body and not body.startswith("Parameters"):
                    titles = _split_titles(body, None)
            continue
        if not st:
            continue
        if not _is_data_line(s):
            raise DataFileError(f"expected a row of numbers or a '#' comment, got {st[:60]!r}", path=path, line=i)
        rows.append((i, _tokens(s)))
    return _build(path, "cst", titles, rows, header)


def read_reference_csv(path: str | os.PathLike[str]) -> ExportTable:
    """Read emboost's own reference CSV (``#`` comments, then a header row of column names).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = p.write_text("# note\\nf_hz,boost_factor\\n1e9,2.0\\n2e9,3.0\\n")
    >>> read_reference_csv(p)["boost_factor"].tolist()
    [2.0, 3.0]
    """
    path = Path(path)
    header, rows = [], []
    titles: list[str] = []
    for i, s in enumerate(_read_lines(path), start=1):
        st = s.strip()
        if st.startswith("#"):
            header.append(st[1:].strip())
            continue
        if not st:
            continue
        if not titles:
            if _is_data_line(st):
                raise DataFileError("expected a header row of column names before the data", path=path, line=i)
            titles = [x.strip() for x in st.split(",")]
            continue
        rows.append((i, _tokens(st)))
    return _build(path, "csv", titles, rows, header)


def read_export(path: str | os.PathLike[str], format: ExportFormat = "auto") -> ExportTable:
    """Read a COMSOL, CST or emboost CSV table; ``format="auto"`` looks at the comment character."""
    path = Path(path)
    if format == "comsol":
        return read_comsol(path)
    if format == "cst":
        return read_cst(path)
    if format == "csv":
        return read_reference_csv(path)
    if format != "auto":
        raise DataFileError(f"unknown export format {format!r}; expected auto, comsol, cst or csv", path=path)
    lines = [s.strip() for s in _read_lines(path) if s.strip()]
    if not lines:
        raise DataFileError("the file is empty", path=path)
    if lines[0].startswith("%"):
        return read_comsol(path)
    if lines[0].startswith("#") and any(ln.startswith("#") and '"' in ln for ln in lines[:20]):
        return read_cst(path)
    return read_reference_csv(path)


def _find(names: list[str], *patterns: str) -> str | None:
    for pat in patterns:
        rx = re.compile(pat, re.IGNORECASE)
        for n in names:
            if rx.search(n):
                return n
    return None


def s11_from_table(table: ExportTable, parameter: str = "S11") -> tuple[np.ndarray, np.ndarray]:
    """Frequencies [Hz] and complex S11 from an export, whichever way it was written.

    Recognised: one complex column (COMSOL ``emw.S11``); real and imaginary parts (``real(...)``/
    ``imag(...)``, CST ``(Re)``/``(Im)``, ``re_s11``/``im_s11``); magnitude (linear or dB) with
    phase in degrees. Magnitude alone is refused (S11 needs its phase).
    """
    names = table.names
    if not re.fullmatch(r"[sS][1-9][1-9]", parameter):
        raise DataFileError(f"S-parameter name {parameter!r} not understood; expected 'S<i><j>' such as 'S11'",
                            path=table.path, key="parameter")
    fcol = frequency_column(names)
    if fcol is None:
        raise DataFileError(f"no frequency column (a title starting with 'freq'); columns are {names}",
                            path=table.path)
    f = np.real(table[fcol])
    i, j = parameter[1], parameter[2]
    tag = rf"(s{i}{j}|s{i},{j}|s_{i}{j}|s\({i},{j}\))"
    rest = [n for n in names if n != fcol]
    re_c = _find(rest, rf"real\(.*{tag}", rf"{tag}.*\(re\)", rf"^re_?{tag}$", rf"^re\b.*{tag}")
    im_c = _find(rest, rf"imag\(.*{tag}", rf"{tag}.*\(im\)", rf"^im_?{tag}$", rf"^im\b.*{tag}")
    if re_c and im_c:
        return f, np.real(table[re_c]) + 1j * np.real(table[im_c])
    cx = [n for n in rest if np.iscomplexobj(table[n]) and re.search(tag, n, re.IGNORECASE)]
    if cx:
        return f, np.asarray(table[cx[0]], dtype=complex)
    mag = _find(rest, rf"abs\(.*{tag}", rf"{tag}.*(magnitude|mag)", rf"^\|?{tag}\|?$")
    db = _find(rest, rf"{tag}.*db|db.*{tag}")
    ph = _find(rest, rf"arg\(.*{tag}", rf"{tag}.*(phase|arg)")
    if (mag or db) and ph:
        with np.errstate(over="ignore"):
            m = np.real(table[mag]) if mag else 10 ** (np.real(table[db or ""]) / 20)
        unit = table.units.get(ph, "deg").lower()
        phase = np.real(table[ph]) * (1.0 if unit == "rad" else math.pi / 180)
        s = m * np.exp(1j * phase)
        if not np.all(np.isfinite(s)):
            raise DataFileError(f"{parameter} overflows once converted from dB (values far above 0 dB)",
                                path=table.path, key=db or mag)
        return f, s
    raise DataFileError(f"cannot find {parameter} in columns {names}: expected a complex column, real/imag parts, "
                        "or magnitude and phase", path=table.path, key=parameter)
