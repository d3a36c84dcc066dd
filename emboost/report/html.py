"""Self-contained HTML reports: sections of text, tables and figures, every PNG embedded as base64.

The page needs nothing beside itself (no external style sheet, script, font or image), so it can be
mailed or archived as one file. :func:`render_html` turns :class:`Section` objects into the page
(the report of ``emboost derive`` is laid out by :mod:`emboost.jobs.derive_report`).

>>> s = Section("fit", "Fit", paragraphs=("a <b> c",), tables=(ReportTable(("x", "y"), (("1", "2"),)),))
>>> html = render_html("Demo", [s])
>>> '<section id="fit">' in html, "a &lt;b&gt; c" in html, "http" in html
(True, True, False)
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ReportTable", "Figure", "Section", "render_html", "write_report", "fmt", "fmt_pm"]


@dataclass(frozen=True)
class ReportTable:
    """A table: ``header`` and ``rows`` of already formatted strings, optional ``caption``."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A PNG file to embed, with its caption."""

    path: Path
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """A report section: ``id`` (HTML anchor), ``title``, paragraphs (plain text, escaped), tables, figures."""

    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[Figure, ...] = ()


def fmt(x: Any, digits: int = 4, unit: str = "") -> str:
    """A number with ``digits`` significant digits (``-`` for None/NaN) and an optional unit."""
    if x is None:
        return "-"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "-"
    s = f"{v:.{digits}g}"
    return f"{s} {unit}".strip()


def fmt_pm(value: Any, error: Any, scale: float = 1.0, unit: str = "", digits: int = 2) -> str:
    """``value +- error`` in ``unit`` (both divided by ``scale``), rounded to the error's ``digits`` digits.

    >>> fmt_pm(9.7512345e-3, 2.3e-6, 1e-3, "mm")
    '9.7512 ± 0.0023 mm'
    """
    if value is None or error is None or not math.isfinite(float(error)) or float(error) <= 0:
        return fmt(None if value is None else float(value) / scale, 6, unit)
    v, e = float(value) / scale, float(error) / scale
    dec = max(0, digits - 1 - int(math.floor(math.log10(abs(e)))))
    return f"{v:.{dec}f} ± {e:.{dec}f} {unit}".strip()


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #446;padding-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;
border-bottom:1px solid #ccd}table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #bbc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#eef}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}figure{margin:1em 0}
figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.85em;color:#444}
nav ul{columns:3;font-size:.9em}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;
word-break:break-all}
"""


def _png_data_uri(path: Path) -> str:
    data = Path(path).read_bytes()
    if not data.startswith(b"\x89PNG"):
        raise ValueError(f"{path} is not a PNG file")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def render_html(title: str, sections: Sequence[Section], subtitle: str = "") -> str:
    """The whole page as a string (UTF-8, self-contained)."""
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    if subtitle:
        out.append(f"<p>{e(subtitle)}</p>")
    out.append("<nav><ul>" + "".join(f'<li><a href="#{e(s.id)}">{e(s.title)}</a></li>' for s in sections)
               + "</ul></nav>")
    for s in sections:
        out.append(f'<section id="{e(s.id)}"><h2>{e(s.title)}</h2>')
        for p in s.paragraphs:
            out.append(f"<p>{e(p)}</p>")
        for t in s.tables:
            out.append("<table>")
            if t.caption:
                out.append(f"<caption>{e(t.caption)}</caption>")
            out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in t.header) + "</tr>")
            for row in t.rows:
                out.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
            out.append("</table>")
        for fig in s.figures:
            out.append(f'<figure><img alt="{e(fig.caption or fig.path.name)}" src="{_png_data_uri(fig.path)}">'
                       f"<figcaption>{e(fig.caption)} ({e(fig.path.name)})</figcaption></figure>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(path: str | os.PathLike[str], title: str, sections: Sequence[Section], subtitle: str = "") -> Path:
    """Render and write the page atomically; returns its path."""
    from emboost.core.output import atomic_write_text

    path = Path(path)
    atomic_write_text(path, render_html(title, sections, subtitle))
    return path
