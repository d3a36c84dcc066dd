"""The reach figure: coupling |g_agamma| against axion mass with the QCD lines and published limits.

>>> fig = reach_figure([], title="no haloscope")
>>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
['KSVZ', 'DFSZ']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from emboost.core.axion import frequency_to_mass, g_dfsz_gev, g_ksvz_gev
from emboost.reach.projections import PUBLISHED_LIMITS, ReachResult
from emboost.report.plots_base import new_axes

__all__ = ["reach_figure"]

#: mass range always shown [ueV]: it holds the CAST-RADES and MADMAX CB200 limits
_DEFAULT_MASSES_UEV = (34.6, 80.0)


def reach_figure(results: Sequence[ReachResult], title: str = "",
                 limits: Sequence[Mapping[str, Any]] = PUBLISHED_LIMITS, *, ax: Axes | None = None) -> Figure:
    """|g| [GeV^-1] reached by each haloscope against the axion mass [ueV], log-log.

    One curve per :class:`~emboost.reach.projections.ReachResult` (a booster only where its boost
    factor is above 10 % of its peak), the KSVZ and DFSZ lines, and ``limits`` (mappings with
    ``label``, ``masses_ev`` (ranges [eV]), ``g_gev`` and ``source``; default: the published limits)
    as bars with a star at their centre, or, where a limit has ``curves`` (:mod:`emboost.reach.limits`), as
    curves with the excluded region above them shaded. The mass axis spans the haloscopes' bands and 34.6-80 ueV,
    with a factor 2 margin.
    """
    fig, (a,), _ = new_axes(ax, 1, figsize=(8, 5.5))
    masses = [np.asarray(frequency_to_mass(r.frequency), dtype=float) * 1e6 for r in results]
    lo = min([float(np.min(m)) for m in masses] + [_DEFAULT_MASSES_UEV[0]]) / 2
    hi = max([float(np.max(m)) for m in masses] + [_DEFAULT_MASSES_UEV[1]]) * 2
    mline = np.geomspace(lo, hi, 200)
    a.plot(mline, g_ksvz_gev(mline * 1e-6), "k-", lw=1.2, label="KSVZ")
    a.plot(mline, g_dfsz_gev(mline * 1e-6), "k--", lw=1.2, label="DFSZ")
    markers = "osD^v<>"
    for k, (r, m) in enumerate(zip(results, masses)):
        h = r.haloscope
        step = (f"{h.time_per_step / 86400:.3g} d" if h.time_per_step >= 2 * 86400 else
                f"{h.time_per_step / 3600:.3g} h")
        label = f"{h.name} ({h.units} unit{'s' if h.units > 1 else ''}, {step}/step, SNR {h.snr:g})"
        show = np.ones(m.shape, dtype=bool)
        if h.kind == "booster":  # the useful part of the response: boost factor above 10 % of its peak
            show = r.boost_factor >= 0.1 * np.nanmax(r.boost_factor)
        a.plot(m[show], r.g_reach[show], "-", marker=markers[k % len(markers)], ms=5, zorder=3,
               markevery=max(1, int(show.sum()) // 8), label=label)
    colours = ("tab:red", "tab:purple")
    for i, lim in enumerate(limits):
        col = colours[i % len(colours)]
        if lim.get("curves"):  # a limit curve per mass window, the excluded region above it shaded
            approx = " (approximate shape)" if str(lim.get("status", "")).upper().startswith("APPROX") else ""
            for j, (mev, g) in enumerate(lim["curves"]):
                mu = np.asarray(mev, dtype=float) * 1e6
                a.plot(mu, g, "-", color=col, lw=1.8, zorder=2,
                       label=f"published {lim['label']}{approx}" if j == 0 else None)
                a.fill_between(mu, g, np.full(mu.shape, 3 * float(np.max(g))), color=col, alpha=0.25, lw=0, zorder=1)
            continue
        for j, (m1, m2) in enumerate(lim["masses_ev"]):
            a.plot([m1 * 1e6, m2 * 1e6], [lim["g_gev"]] * 2, "-", color=col, lw=4, solid_capstyle="butt")
            a.plot([(m1 + m2) / 2 * 1e6], [lim["g_gev"]], "*", color=col, ms=13, mfc="none", zorder=2,
                   label=f"published {lim['label']}: {lim['source']}" if j == 0 else None)
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlim(lo, hi)
    a.set_xlabel("axion mass m_a [µeV]")
    a.set_ylabel("|g_aγ| [GeV⁻¹]")
    if title:
        a.set_title(title, fontsize=10)
    a.grid(True, which="both", alpha=0.25)
    a.legend(fontsize=6.5, loc="upper left")
    return fig
