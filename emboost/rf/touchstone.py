"""Reading VNA measurements: Touchstone (v1 and v2) through scikit-rf, and plain column files.

scikit-rf parses the numbers; this module first checks the file's structure line by line so that a
malformed file raises one :class:`~emboost.core.errors.DataFileError` naming the file, the line when
known, and what was expected, instead of whatever exception the parser happens to hit. Checked:
empty file, missing option line, unknown option tokens, keywords of Touchstone 2, tokens that are
not numbers, NaN/inf, truncated or over-long records (the record length follows from the port
count of the extension ``.sNp`` or ``[Number of Ports]``), non-increasing or duplicated
frequencies, the declared number of frequencies, and (Touchstone 2 two-ports) the ``[Two-Port Data
Order]`` keyword that the specification requires there. A UTF-8 byte-order mark is accepted, and the
text already decoded is what scikit-rf parses. A v1 two-port noise block (a 5-value row whose
frequency does not increase) and a v2 ``[Noise Data]`` block are accepted and ignored.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "dut.s1p"
>>> _ = p.write_text("# GHz S RI R 50\\n1.0 0.5 0.0\\n2.0 0.0 0.5\\n")
>>> f, s11 = read_s_parameter(p)
>>> f.tolist(), s11.tolist()
([1000000000.0, 2000000000.0], [(0.5+0j), 0.5j])
>>> _ = p.write_text("# GHz S RI R 50\\n1.0 0.5 0.0\\n1.0 0.0 0.5\\n")
>>> read_s_parameter(p)
Traceback (most recent call last):
...
emboost.core.errors.DataFileError: ...dut.s1p:3: duplicated frequency 1 GHz (the row before has the same); ...
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from emboost.core.errors import DataFileError, InputError
from emboost.core.output import file_sha256
from emboost.core.reprs import short_repr
from emboost.core.textfile import decode_utf8, read_bytes, refuse_binary

if TYPE_CHECKING:
    import skrf

__all__ = ["SParameterData", "read_touchstone", "read_s_parameter", "read_columns", "parse_parameter_name",
           "COLUMN_KINDS"]

_FREQ_UNITS = {"hz": 1.0, "khz": 1e3, "mhz": 1e6, "ghz": 1e9, "thz": 1e12}
_FORMATS = ("ri", "ma", "db")
_OPTION_HELP = "an option line '# <Hz|kHz|MHz|GHz> S <RI|MA|DB> R <ohm>'"


@dataclass(frozen=True, eq=False)
class SParameterData:
    """S-parameters read from a file.

    ``frequency`` [Hz], shape ``(nf,)``; ``s`` complex, shape ``(nf, n, n)``; ``z0`` reference
    impedances [ohm], shape ``(nf, n)``; ``version`` 1 or 2; ``data_format`` the file's number
    format ("ri", "ma" or "db"); ``sha256`` of the file's bytes.
    """

    __repr__ = short_repr

    path: Path
    frequency: np.ndarray
    s: np.ndarray
    z0: np.ndarray
    version: int
    data_format: str
    sha256: str

    @property
    def nports(self) -> int:
        return int(self.s.shape[-1])

    def parameter(self, name: str = "S11") -> np.ndarray:
        """One S-parameter such as ``"S21"`` (``"S1,10"`` beyond 9 ports), complex, shape ``(nf,)``."""
        i, j = parse_parameter_name(name, self.nports, path=self.path)
        return self.s[:, i, j]


def parse_parameter_name(name: str, nports: int, *, path: str | os.PathLike[str] | None = None,
                         key: str | None = None) -> tuple[int, int]:
    """Zero-based indices of an S-parameter name (``"S11"``, ``"s21"``, ``"S1,10"``).

    >>> parse_parameter_name("S21", 2)
    (1, 0)
    """
    m = re.fullmatch(r"[sS](\d+),(\d+)|[sS](\d)(\d)", str(name).strip())
    if not m:
        raise DataFileError(f"S-parameter name {name!r} not understood; expected 'S<i><j>' such as 'S11' or "
                            "'S21' (or 'S<i>,<j>' beyond 9 ports)", path=path, key=key)
    i, j = (int(g) for g in m.groups() if g is not None)
    if not (1 <= i <= nports and 1 <= j <= nports):
        raise DataFileError(f"{name} does not exist in a {nports}-port file (ports 1..{nports})",
                            path=path, key=key)
    return i - 1, j - 1


def _fmt_freq(f: float) -> str:
    for unit, factor in (("GHz", 1e9), ("MHz", 1e6), ("kHz", 1e3)):
        if abs(f) >= factor:
            return f"{f / factor:.12g} {unit}"
    return f"{f:.12g} Hz"


def _number(tok: str, path: Path, line: int, what: str) -> float:
    try:
        v = float(tok)
    except ValueError:
        raise DataFileError(f"{tok[:40]!r} is not a number; expected {what}", path=path, line=line) from None
    if not math.isfinite(v):
        raise DataFileError(f"non-finite value {tok!r}; expected {what} (finite numbers only)",
                            path=path, line=line)
    return v


@dataclass
class _Layout:
    nports: int
    version: int
    unit: float
    fmt: str
    record: int  # values per frequency record
    nfreq: int | None  # declared ([Number of Frequencies])


def _decode(path: Path) -> str:
    raw = read_bytes(path, "a data file")
    refuse_binary(raw, path, "a text data file")
    return decode_utf8(raw, path, "a text data file")  # a byte-order mark (some exporters write one) is accepted


def _ports_from_extension(path: Path) -> int | None:
    m = re.fullmatch(r"\.s(\d+)p", path.suffix.lower())
    return int(m.group(1)) if m else None


def _parse_option(content: str, path: Path, line: int) -> tuple[float, str]:
    toks = content[1:].split()
    unit, param, fmt = 1e9, "s", "ma"  # Touchstone defaults
    i = 0
    while i < len(toks):
        t = toks[i].lower()
        if t in _FREQ_UNITS:
            unit = _FREQ_UNITS[t]
        elif t in ("s", "y", "z", "h", "g"):
            param = t
        elif t in _FORMATS:
            fmt = t
        elif t == "r":
            if i + 1 >= len(toks):
                raise DataFileError(f"'R' must be followed by the reference impedance in ohm; expected {_OPTION_HELP}",
                                    path=path, line=line)
            z = _number(toks[i + 1], path, line, "the reference impedance in ohm after 'R'")
            if z <= 0:
                raise DataFileError(f"reference impedance {z:g} ohm must be > 0", path=path, line=line)
            i += 1
        else:
            raise DataFileError(f"unknown option {toks[i][:40]!r}; expected {_OPTION_HELP}", path=path, line=line)
        i += 1
    if param != "s":
        raise DataFileError(f"{param.upper()}-parameters are not supported; expected S-parameters "
                            f"({_OPTION_HELP})", path=path, line=line)
    return unit, fmt


def _check_structure(path: Path, text: str) -> _Layout:
    """Walk the file once; raise DataFileError at the first structural problem."""
    ext_ports = _ports_from_extension(path)
    lines = text.splitlines()
    contents = [(i + 1, ln.split("!", 1)[0].strip()) for i, ln in enumerate(lines)]
    contents = [(n, c) for n, c in contents if c]
    if not contents:
        raise DataFileError(f"empty file (no option line and no data); expected {_OPTION_HELP} and data rows",
                            path=path)
    version = 2 if contents[0][1].lower().startswith("[version]") else 1
    if version == 1 and any(c.startswith("[") for _, c in contents):
        n, c = next((n, c) for n, c in contents if c.startswith("["))
        raise DataFileError(f"keyword {c.split(']')[0][:40]}] in a file without '[Version] 2.0' as its first "
                            "keyword; expected a Touchstone 1 file (no keywords) or a Touchstone 2 file", path=path,
                            line=n)
    if version == 1 and ext_ports is None:
        raise DataFileError(f"cannot tell the number of ports from the extension {path.suffix!r}; expected "
                            "'.s<N>p' (e.g. .s1p, .s2p) or a Touchstone 2 file with [Number of Ports]", path=path)
    unit, fmt, option_seen = 1e9, "ma", False
    nports = ext_ports
    nfreq: int | None = None
    matrix = "full"
    order: str | None = None
    section = "network" if version == 1 else "header"
    freqs: list[tuple[float, int]] = []
    record: list[str] = []
    record_line = 0
    rec_len = 0
    noise = False

    def need_layout(n: int) -> int:
        if not option_seen:
            raise DataFileError(f"data before the option line; expected {_OPTION_HELP} before the first data row",
                                path=path, line=n)
        if nports is None:
            raise DataFileError("data before [Number of Ports]; expected '[Number of Ports] <n>'", path=path, line=n)
        return 1 + (2 * nports * nports if matrix == "full" else nports * (nports + 1))

    def describe(r: int) -> str:
        pairs = (r - 1) // 2
        return f"{r} values per frequency for a {nports}-port file (frequency and {pairs} complex pairs)"

    def close_record(n: int) -> None:
        vals = [_number(t, path, n, "a number") for t in record]
        f = vals[0]
        if f < 0:
            raise DataFileError(f"negative frequency {vals[0]:g}; expected frequencies >= 0", path=path,
                                line=record_line)
        if freqs and f <= freqs[-1][0]:
            fs = _fmt_freq(f * unit)
            if f == freqs[-1][0]:
                msg = f"duplicated frequency {fs} (the row before has the same); frequencies must increase strictly"
            else:
                msg = (f"frequency {fs} is below the previous one ({_fmt_freq(freqs[-1][0] * unit)}, line "
                       f"{freqs[-1][1]}); frequencies must increase strictly")
            raise DataFileError(msg, path=path, line=record_line)
        freqs.append((f, record_line))

    for n, c in contents:
        if c.startswith("#"):
            if not option_seen:
                unit, fmt = _parse_option(c, path, n)
                option_seen = True
            continue
        if c.startswith("["):
            m = re.match(r"\[([^\]]*)\]\s*(.*)$", c)
            if not m:
                raise DataFileError(f"unterminated keyword {c[:40]!r}; expected '[Keyword] value'", path=path, line=n)
            kw, arg = m.group(1).strip().lower(), m.group(2).strip()
            if record:
                raise DataFileError(f"truncated record starting at line {record_line}: {len(record)} of "
                                    f"{describe(rec_len)}", path=path, line=record_line)
            if kw == "version":
                if arg not in ("2.0", "2.1"):
                    raise DataFileError(f"[Version] {arg[:20]!r} not supported; expected 2.0 or 2.1", path=path, line=n)
            elif kw == "number of ports":
                if not re.fullmatch(r"\d+", arg) or int(arg) < 1:
                    raise DataFileError(f"[Number of Ports] {arg[:20]!r}; expected a positive integer", path=path,
                                        line=n)
                nports = int(arg)
                if ext_ports is not None and ext_ports != nports:
                    raise DataFileError(f"[Number of Ports] {nports} disagrees with the extension {path.suffix} "
                                        f"({ext_ports} ports)", path=path, line=n)
            elif kw == "number of frequencies":
                if not re.fullmatch(r"\d+", arg) or int(arg) < 1:
                    raise DataFileError(f"[Number of Frequencies] {arg[:20]!r}; expected a positive integer",
                                        path=path, line=n)
                nfreq = int(arg)
            elif kw == "two-port data order":
                if arg not in ("12_21", "21_12"):
                    raise DataFileError(f"[Two-Port Data Order] {arg[:20]!r}; expected 12_21 or 21_12", path=path,
                                        line=n)
                order = arg
            elif kw == "matrix format":
                if arg.lower() not in ("full", "lower", "upper"):
                    raise DataFileError(f"[Matrix Format] {arg[:20]!r}; expected Full, Lower or Upper", path=path,
                                        line=n)
                matrix = arg.lower()
            elif kw == "network data":
                section = "network"
                rec_len = need_layout(n)
                if nports == 2 and order is None:
                    raise DataFileError("a Touchstone 2 two-port needs '[Two-Port Data Order] 12_21' or '21_12' "
                                        "before [Network Data] (the specification requires it; the order of S12 and "
                                        "S21 cannot be guessed)", path=path, line=n)
            elif kw == "noise data":
                section = "noise"
            elif kw in ("end",):
                section = "end"
            elif kw in ("reference", "number of noise frequencies", "begin information", "end information"):
                section = "reference" if kw == "reference" else ("info" if kw == "begin information" else section)
                if kw == "end information":
                    section = "header"
                for t in arg.split():
                    _number(t, path, n, f"a number after [{m.group(1).strip()}]")
            elif kw == "mixed-mode order":
                raise DataFileError("mixed-mode Touchstone files are not supported; expected single-ended data",
                                    path=path, line=n)
            else:
                raise DataFileError(f"unknown keyword [{m.group(1).strip()[:40]}]", path=path, line=n)
            continue
        toks = c.split()
        if version == 2 and section in ("header", "reference", "info", "end"):
            if section == "reference":
                for t in toks:
                    _number(t, path, n, "a reference impedance in ohm")
                continue
            if section == "info":
                continue
            raise DataFileError("data outside [Network Data]; expected a keyword such as [Network Data]",
                                path=path, line=n)
        if version == 2 and section == "noise" or noise:
            for t in toks:
                _number(t, path, n, "a noise-parameter value")
            continue
        rec_len = need_layout(n)
        ports = int(nports or 0)
        if version == 1 and ports == 2 and len(toks) == 5 and freqs and not record:
            f = _number(toks[0], path, n, "a frequency")
            if f <= freqs[-1][0]:
                noise = True  # v1 noise block: a frequency that does not increase starts it
                for t in toks:
                    _number(t, path, n, "a noise-parameter value")
                continue
        if not record:
            record_line = n
        if ports <= 2 and len(toks) != rec_len:
            kind = "truncated row" if len(toks) < rec_len else "too many values"
            raise DataFileError(f"{kind}: expected {describe(rec_len)} on one line, got {len(toks)}",
                                path=path, line=n)
        record.extend(toks)
        if len(record) > rec_len:
            raise DataFileError(f"too many values: the record starting at line {record_line} has more than "
                                f"{describe(rec_len)}", path=path, line=n)
        if len(record) == rec_len:
            close_record(n)
            record = []
    if not option_seen:
        raise DataFileError(f"missing option line; expected {_OPTION_HELP} before the data", path=path)
    if record:
        raise DataFileError(f"truncated record at the end of the file: {len(record)} of {describe(rec_len)}",
                            path=path, line=record_line)
    if not freqs:
        raise DataFileError("no data rows; expected at least one frequency with its S-parameters", path=path)
    if nfreq is not None and nfreq != len(freqs):
        raise DataFileError(f"[Number of Frequencies] is {nfreq} but the file has {len(freqs)}", path=path)
    assert nports is not None  # need_layout ran for the first data row
    return _Layout(nports=nports, version=version, unit=unit, fmt=fmt, record=rec_len, nfreq=len(freqs))


def read_touchstone(path: str | os.PathLike[str] | skrf.Network) -> SParameterData:
    """Read a Touchstone v1 (``.sNp``) or v2 (``.ts``/``.sNp``) file; S-parameters only.

    A ``skrf.Network`` is taken as it is (:func:`emboost.rf.skrf_bridge.from_network`).
    Raises :class:`~emboost.core.errors.DataFileError` naming the file (and line) for any malformed input.
    """
    if not isinstance(path, (str, os.PathLike)):
        from emboost.rf.skrf_bridge import from_network, is_network

        if is_network(path):
            return from_network(path)
        raise InputError(f"expected a Touchstone file path or a skrf.Network, got {type(path).__name__}")
    path = Path(path)
    text = _decode(path)
    layout = _check_structure(path, text)
    import skrf

    stream = io.StringIO(text)
    stream.name = path.name  # scikit-rf reads the port count of a v1 file from the extension
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ntwk = skrf.Network(stream)
    except Exception as exc:  # the structure checks passed; report the parser's own complaint
        raise DataFileError(f"scikit-rf could not read the file: {type(exc).__name__}: {exc}", path=path) from None
    f = np.asarray(ntwk.f, dtype=float)
    s = np.asarray(ntwk.s, dtype=complex)
    if f.shape != (layout.nfreq,) or s.shape[1:] != (layout.nports, layout.nports):
        raise DataFileError(f"scikit-rf read {f.size} frequencies x {s.shape[1:]} ports, the file has "
                            f"{layout.nfreq} x {layout.nports} ports", path=path)
    if not np.all(np.isfinite(f)):
        raise DataFileError("non-finite frequencies once converted to Hz (values beyond the float range)", path=path)
    if not np.all(np.isfinite(s)):
        raise DataFileError("non-finite S-parameters after conversion (check the data format; a dB value beyond "
                            "about 6000 overflows)", path=path)
    z0 = np.broadcast_to(np.asarray(ntwk.z0, dtype=complex), (f.size, layout.nports)).real.copy()
    for a in (f, s, z0):
        a.setflags(write=False)
    return SParameterData(path=path, frequency=f, s=s, z0=z0, version=layout.version, data_format=layout.fmt,
                          sha256=file_sha256(path))


def read_s_parameter(path: str | os.PathLike[str] | skrf.Network,
                     parameter: str = "S11") -> tuple[np.ndarray, np.ndarray]:
    """Frequencies [Hz] and one complex S-parameter (e.g. ``"S11"``, ``"S21"``) from a Touchstone file."""
    data = read_touchstone(path)
    return data.frequency, data.parameter(parameter)


#: column kinds of :func:`read_columns`
COLUMN_KINDS = ("f", "re", "im", "mag", "db", "deg", "rad", "skip")


def read_columns(path: str | os.PathLike[str], columns: tuple[str, ...] | list[str] = ("f", "re", "im"),
                 frequency_unit: str = "Hz", comments: str = "#%!", header: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies [Hz] and a complex response from a text/CSV file of columns.

    ``columns`` names each column: ``f``, then ``re`` and ``im``, or ``mag`` (linear) / ``db``
    (20 log10) with ``deg`` / ``rad``; ``skip`` ignores a column. Separators: whitespace, comma or
    semicolon. Lines starting with any character of ``comments`` are skipped, as are empty lines;
    the first ``header`` lines of the file are skipped whatever they hold (a header line such as
    ``freq,re,im`` without a comment character).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s11.csv"
    >>> _ = p.write_text("% f, dB, deg\\n1.0, -6.0206, 90\\n1.5, 0, 180\\n")
    >>> f, s = read_columns(p, ("f", "db", "deg"), frequency_unit="GHz")
    >>> f.tolist(), np.round(s, 6).tolist()
    ([1000000000.0, 1500000000.0], [0.5j, (-1+0j)])
    """
    path = Path(path)
    cols = [str(c).lower() for c in columns]
    bad = [c for c in cols if c not in COLUMN_KINDS]
    if bad or cols.count("f") != 1:
        raise InputError(f"columns {list(columns)} not understood; expected exactly one 'f' and names from "
                         f"{list(COLUMN_KINDS)}", path=path, key="columns")
    pairs = [{"re", "im"}, {"mag", "deg"}, {"mag", "rad"}, {"db", "deg"}, {"db", "rad"}]
    used = {c for c in cols if c not in ("f", "skip")}
    if used not in pairs or any(cols.count(c) > 1 for c in used):
        raise InputError(f"columns {list(columns)}: expected one pair of re/im, mag/deg, mag/rad, db/deg or "
                         "db/rad", path=path, key="columns")
    if frequency_unit.lower() not in _FREQ_UNITS:
        raise InputError(f"frequency unit {frequency_unit!r}; expected one of Hz, kHz, MHz, GHz, THz",
                         path=path, key="frequency_unit")
    if not (isinstance(header, int) and not isinstance(header, bool) and header >= 0):
        raise InputError(f"header must be a number of lines >= 0, got {header!r}", path=path, key="header")
    text = _decode(path)
    rows: list[list[float]] = []
    lines: list[int] = []
    for n, ln in enumerate(text.splitlines(), 1):
        c = ln.strip()
        if n <= header or not c or c[0] in comments:
            continue
        toks = [t for t in re.split(r"[\s,;]+", c) if t]
        if len(toks) != len(cols):
            raise DataFileError(f"expected {len(cols)} columns ({', '.join(cols)}), got {len(toks)}", path=path,
                                line=n)
        hint = " (a header line? give the number of header lines: header)" if not rows else ""
        rows.append([_number(t, path, n, f"a number in column '{k}'{hint}") for t, k in zip(toks, cols)])
        lines.append(n)
    if not rows:
        raise DataFileError(f"no data rows; expected columns {', '.join(cols)}", path=path)
    a = np.array(rows)
    with np.errstate(over="ignore", invalid="ignore"):
        f = a[:, cols.index("f")] * _FREQ_UNITS[frequency_unit.lower()]
    if not np.all(np.isfinite(f)):
        k = int(np.argmax(~np.isfinite(f)))
        raise DataFileError(f"frequency {a[k, cols.index('f')]:g} {frequency_unit} overflows once converted to Hz",
                            path=path, line=lines[k])
    d = np.diff(f)
    if np.any(d <= 0):
        k = int(np.argmax(d <= 0)) + 1
        what = "duplicated frequency" if d[k - 1] == 0 else "frequency below the previous one"
        raise DataFileError(f"{what} {_fmt_freq(f[k])}; frequencies must increase strictly", path=path,
                            line=lines[k])
    col = {k: a[:, i] for i, k in enumerate(cols)}
    s: np.ndarray
    if "re" in col:
        s = col["re"] + 1j * col["im"]
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            mag = col["mag"] if "mag" in col else 10 ** (col["db"] / 20)
            ph = np.deg2rad(col["deg"]) if "deg" in col else col["rad"]
            s = mag * np.exp(1j * ph)
    if not np.all(np.isfinite(s)):
        k = int(np.argmax(~np.isfinite(s)))
        raise DataFileError("the response overflows once converted to a complex number (a dB value beyond about "
                            "6000?)", path=path, line=lines[k])
    return f, s
