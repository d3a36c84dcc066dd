"""Figures of a haloscope search (:mod:`emboost.search`): matplotlib Figure objects, no pyplot, no backend.

Each function takes a :class:`emboost.search.analysis.SearchResult` and an optional Axes; without one it
makes a new :class:`matplotlib.figure.Figure`. It returns the Figure (save it with
:func:`emboost.core.output.atomic_savefig`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from emboost.core.constants import GeV
from emboost.report.plots_base import new_axes
from emboost.search.analysis import SearchResult

__all__ = ["gus_figure", "histogram_figure", "significance_figure", "exclusion_figure"]


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> tuple[Figure, Axes]:
    fig, axes, _ = new_axes(ax, 1, figsize=size, layout="constrained")
    return fig, axes[0]


def _ghz(f: np.ndarray) -> np.ndarray:
    return np.asarray(f) / 1e9


def gus_figure(res: SearchResult, ax: Axes | None = None) -> Figure:
    """The grand unified spectrum ``delta/sigma`` against frequency."""
    fig, ax = _axes(ax)
    g = res.gus
    ax.plot(_ghz(g.frequency), g.normalised, lw=0.7, color="C0")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("frequency [GHz]")
    ax.set_ylabel(r"$\delta / \sigma$")
    ax.set_title("grand unified spectrum (magnet on - off)")
    return fig


def histogram_figure(res: SearchResult, ax: Axes | None = None) -> Figure:
    """Histogram of ``delta/sigma`` with the standard normal for comparison."""
    fig, ax = _axes(ax, (5.0, 4.0))
    z = res.gus.normalised
    z = z[np.isfinite(z)]
    ax.hist(z, bins=40, density=True, histtype="step", color="C0", label=f"{z.size} bins")
    x = np.linspace(-5, 5, 201)
    ax.plot(x, stats.norm.pdf(x), color="k", lw=0.8, label="N(0, 1)")
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1)
    ax.set_xlabel(r"$\delta / \sigma$")
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    return fig


def significance_figure(res: SearchResult, ax: Axes | None = None) -> Figure:
    """Local significance of the windowed fit, with the candidate threshold and the largest excess."""
    fig, ax = _axes(ax)
    sc, sig = res.scan, res.significance
    ax.plot(_ghz(sc.frequency), sc.z, lw=0.7, color="C0")
    thr = res.settings.candidate_threshold
    ax.axhline(thr, color="C3", lw=0.8, ls="--", label=f"candidate threshold {thr:g}")
    i = sig.max_index
    ax.plot(_ghz(sc.frequency[i:i + 1]), [sig.max_z], "o", color="C3", mfc="none",
            label=f"max {sig.max_z:.2f} local, {sig.global_z:.2f} global")
    ax.set_xlabel("axion frequency [GHz]")
    ax.set_ylabel("local significance [sigma]")
    ax.legend(frameon=False, loc="lower right")
    return fig


def exclusion_figure(res: SearchResult, ax: Axes | None = None, **kw: Any) -> Figure:
    """Observed 95 % limit on g_agamma [1/GeV] against the axion mass [ueV], with the expected bands."""
    from emboost.core.axion import frequency_to_mass

    fig, ax = _axes(ax)
    if res.limit_g is None or res.expected_g is None or res.band_1sigma_g is None or res.band_2sigma_g is None:
        ax.text(0.5, 0.5, "no cavity parameters: limits in A only", ha="center", transform=ax.transAxes)
        return fig
    m = np.asarray(frequency_to_mass(res.scan.frequency)) * 1e6
    ax.fill_between(m, res.band_2sigma_g[0] * GeV, res.band_2sigma_g[1] * GeV, color="#ffe680", lw=0,
                    label=r"expected $\pm 2\sigma$")
    ax.fill_between(m, res.band_1sigma_g[0] * GeV, res.band_1sigma_g[1] * GeV, color="#7fd17f", lw=0,
                    label=r"expected $\pm 1\sigma$")
    ax.plot(m, res.limit_g * GeV, color="C0", lw=0.5, label="observed")
    ax.plot(m, res.expected_g * GeV, color="k", lw=0.8, ls="--", label="expected (median)")
    ax.set_yscale("log")
    ax.set_xlabel(r"$m_a$ [$\mu$eV]")
    ax.set_ylabel(r"$g_{a\gamma}$ [GeV$^{-1}$] (95 % credibility)")
    ax.ticklabel_format(axis="x", useOffset=False)
    ax.legend(frameon=False, **kw)
    return fig
