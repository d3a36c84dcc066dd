"""Published exclusion limits as curves, read from files (``models/limits/*.csv``).

A limit file is a CSV with ``#`` comment lines carrying ``label:``, ``source:`` and ``status:`` (e.g.
"APPROXIMATE ..." for a shape that is not a digitisation of the published curve) and columns ``segment``
(an integer: separate mass windows), ``mass_ueV`` and ``g_gev`` (the excluded |g_agamma| above the curve).
:func:`load_limit` returns the mapping the reach figure draws (:func:`emboost.report.plots_reach.reach_figure`):
``label``, ``source``, ``status``, ``masses_ev`` (the mass range of each window [eV]), ``g_gev`` (the lowest
value) and ``curves`` (one ``(masses_ev, g_gev)`` pair of arrays per window).

>>> from pathlib import Path
>>> lim = load_limit(Path(__file__).parents[2] / "models" / "limits" / "madmax_cb200_2024.csv")
>>> lim["label"], len(lim["curves"]), f"{lim['g_gev']:.3g}"
('MADMAX CB200', 2, '2.22e-11')
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import DataFileError

__all__ = ["load_limit"]


def load_limit(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read one limit file (format in the module docstring); errors name the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError("limit file not found", path=path) from None
    meta: dict[str, str] = {}
    rows = []
    for i, ln in enumerate(text.splitlines(), start=1):
        s = ln.strip()
        if not s:
            continue
        if s.startswith("#"):
            key, sep, val = s.lstrip("#").strip().partition(":")
            if sep and key.strip() in ("label", "source", "status", "generator"):
                meta[key.strip()] = val.strip()
            continue
        rows.append((i, s))
    for key in ("label", "source", "status"):
        if key not in meta:
            raise DataFileError(f"missing '# {key}: ...' comment line", path=path)
    if len(rows) < 3:
        raise DataFileError("expected a header 'segment,mass_ueV,g_gev' and at least 2 data rows", path=path)
    hline, header = rows[0]
    names = [h.strip() for h in next(csv.reader([header]))]
    for col in ("segment", "mass_ueV", "g_gev"):
        if col not in names:
            raise DataFileError(f"missing column {col!r}; header has {names}", path=path, line=hline, key=col)
    js, jm, jg = (names.index(c) for c in ("segment", "mass_ueV", "g_gev"))
    seg: dict[int, list[tuple[float, float]]] = {}
    for lineno, ln in rows[1:]:
        cells = next(csv.reader([ln]))
        try:
            k, m, g = int(cells[js]), float(cells[jm]), float(cells[jg])
        except (ValueError, IndexError):
            raise DataFileError(f"expected an integer segment and two numbers, got {cells}", path=path,
                                line=lineno) from None
        if not (math.isfinite(m) and math.isfinite(g) and m > 0 and g > 0):
            raise DataFileError("mass_ueV and g_gev must be finite and > 0", path=path, line=lineno)
        pts = seg.setdefault(k, [])
        if pts and m <= pts[-1][0]:
            raise DataFileError("mass_ueV must increase within a segment", path=path, line=lineno, key="mass_ueV")
        pts.append((m, g))
    curves = []
    for k in sorted(seg):
        a = np.array(seg[k])
        if a.shape[0] < 2:
            raise DataFileError(f"segment {k} has a single point", path=path)
        curves.append((a[:, 0] * 1e-6, a[:, 1]))
    return {"label": meta["label"], "source": meta["source"], "status": meta["status"], "file": str(path),
            "masses_ev": tuple((float(m[0]), float(m[-1])) for m, _ in curves),
            "g_gev": float(min(float(g.min()) for _, g in curves)), "curves": tuple(curves)}
