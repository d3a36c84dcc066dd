"""Figures of the campaign report (``emboost derive``), built from arrays.

Every function returns a :class:`matplotlib.figure.Figure` made directly (no pyplot, no backend
selection); with ``ax`` (or ``axes``) given it draws into those instead and returns their figure.
Frequencies are in Hz (plotted in GHz), temperatures in K.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from emboost.report.plots_base import new_axes

__all__ = ["calibration_figure", "spectrum_fit_figure", "truth_band_figure", "tsys_band_figure", "budget_figure",
           "recovered_over_true_figure"]


def _fig(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    fig, axes, _ = new_axes(ax, 1, figsize=figsize)
    return fig, axes[0]


def calibration_figure(f: np.ndarray, gain: np.ndarray, sigma_gain: np.ndarray, t_rec: np.ndarray,
                       sigma_t_rec: np.ndarray, c_cal: np.ndarray, sigma_c_cal: np.ndarray,
                       axes: Sequence[Axes] | None = None) -> Figure:
    """Gain [dB], T_rec [K] and c_cal [K/W] with their 1-sigma bands, three panels over ``f`` [Hz]."""
    if axes is None:
        fig = Figure(figsize=(7, 7))
        axs = fig.subplots(3, 1, sharex=True)
    else:
        axs = list(axes)
        got = axs[0].get_figure()
        assert isinstance(got, Figure)
        fig = got
    fg = np.asarray(f) / 1e9
    for a, y, s, lab in ((axs[0], 10 * np.log10(gain), 10 / np.log(10) * sigma_gain / gain, "gain [dB]"),
                         (axs[1], t_rec, sigma_t_rec, r"$T_\mathrm{rec}$ [K]"),
                         (axs[2], c_cal, sigma_c_cal, r"$c_\mathrm{cal}$ [K/W]")):
        a.plot(fg, y, lw=1)
        a.fill_between(fg, y - s, y + s, alpha=0.3, lw=0, label=r"$\pm 1\sigma$")
        a.set_ylabel(lab)
        a.grid(alpha=0.3)
    axs[0].legend(fontsize=8)
    axs[2].set_xlabel("frequency [GHz]")
    axs[0].set_title("Y-factor calibration", fontsize=10)
    fig.tight_layout()
    return fig


def spectrum_fit_figure(f: np.ndarray, curves: Sequence[tuple[str, np.ndarray, np.ndarray]], title: str,
                        ylabel: str = r"$T_\mathrm{sys}$ [K]", axes: Sequence[Axes] | None = None) -> Figure:
    """Data (points) and model (line) of each named curve ``(name, data, model)``, relative residuals below."""
    if axes is None:
        fig = Figure(figsize=(7, 5.5))
        ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        ax = list(axes)
        got = ax[0].get_figure()
        assert isinstance(got, Figure)
        fig = got
    fg = np.asarray(f) / 1e9
    for i, (name, data, model) in enumerate(curves):
        ax[0].plot(fg, data, ".", ms=2.5, color=f"C{i}", label=f"{name} data")
        ax[0].plot(fg, model, "-", lw=1, color=f"C{i}", label=f"{name} model")
        ax[1].plot(fg, 100 * (data - model) / model, ".", ms=2, color=f"C{i}")
    ax[0].set_ylabel(ylabel)
    ax[1].set_ylabel("resid. [%]")
    ax[1].set_xlabel("frequency [GHz]")
    for a in ax:
        a.grid(alpha=0.3)
    ax[0].legend(fontsize=7, ncol=2)
    ax[0].set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def truth_band_figure(f: np.ndarray, mean: np.ndarray, quantiles: Mapping[float, np.ndarray], truth: np.ndarray,
                      label: str, ax: Axes | None = None) -> Figure:
    """The recovered band (95 %, and 68 % when the 0.16/0.84 quantiles exist), its mean and the true curve."""
    fig, ax = _fig(ax, (7, 4.5))
    fg = np.asarray(f) / 1e9
    ax.fill_between(fg, quantiles[0.025], quantiles[0.975], color="C0", alpha=0.2, lw=0, label="recovered 95 % band")
    if 0.16 in quantiles and 0.84 in quantiles:
        ax.fill_between(fg, quantiles[0.16], quantiles[0.84], color="C0", alpha=0.35, lw=0,
                        label="recovered 68 % band")
    ax.plot(fg, mean, color="C0", label="recovered (Monte-Carlo mean)")
    ax.plot(fg, truth, "k--", lw=1.5, label=label)
    ax.set_xlabel("frequency [GHz]")
    ax.set_ylabel(r"delivered boost factor $\beta^2$")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("recovered boost-factor band against the stored truth", fontsize=10)
    fig.tight_layout()
    return fig


def tsys_band_figure(f: np.ndarray, t_sys: np.ndarray, source: str, truth: np.ndarray | None = None,
                     truth_label: str = "", ax: Axes | None = None) -> Figure:
    """The T_sys [K] used for the sensitivity (and the true one, if given)."""
    fig, ax = _fig(ax, (7, 4))
    fg = np.asarray(f) / 1e9
    ax.plot(fg, t_sys, label=f"measured ({source}, smoothed)")
    if truth is not None:
        ax.plot(fg, truth, "k--", lw=1, label=truth_label)
    ax.set_xlabel("frequency [GHz]")
    ax.set_ylabel(r"$T_\mathrm{sys}$ [K]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("system temperature used for the sensitivity", fontsize=10)
    fig.tight_layout()
    return fig


def budget_figure(f: np.ndarray, sources: Mapping[str, np.ndarray], labels: Mapping[str, str],
                  paths: Mapping[str, np.ndarray], path_labels: Mapping[str, str], mc_std: np.ndarray | None = None,
                  mc_std_without: np.ndarray | None = None, axes: Sequence[Axes] | None = None) -> Figure:
    """The uncertainty budget over ``f`` [Hz]: top, the variances of the independent ``sources`` stacked (as
    std of the boost factor: the top edge is the total linear std, every layer's thickness in variance is its
    share) with the Monte-Carlo std (with and without the field-shape factor) as lines; bottom, the std of each
    of the ``paths`` (not additive). ``labels``/``path_labels`` name the curves. All in boost-factor units."""
    fig, ax, _ = new_axes(axes, 2, figsize=(7, 7), sharex=True)
    fg = np.asarray(f) / 1e9
    cum = np.zeros_like(fg)
    for i, (n, v) in enumerate(sources.items()):
        new = cum + np.asarray(v) ** 2
        ax[0].fill_between(fg, np.sqrt(cum), np.sqrt(new), color=f"C{i}", alpha=0.6, lw=0, label=labels.get(n, n))
        cum = new
    if mc_std is not None:
        ax[0].plot(fg, mc_std, "k-", lw=1.2, label="Monte-Carlo std (all terms)")
    if mc_std_without is not None:
        ax[0].plot(fg, mc_std_without, "k--", lw=1.2, label="Monte-Carlo std without the field-shape factor")
    ax[0].set_ylabel(r"1$\sigma$ of $\beta^2$ (stacked in variance)")
    ax[0].legend(fontsize=7)
    ax[0].set_title("uncertainty budget of the delivered boost factor", fontsize=10)
    for i, (n, v) in enumerate(paths.items()):
        ax[1].plot(fg, v, color=f"C{i + len(sources)}", label=path_labels.get(n, n))
    ax[1].set_ylabel(r"1$\sigma$ of $\beta^2$ by path")
    ax[1].set_xlabel("frequency [GHz]")
    ax[1].legend(fontsize=7)
    for a in ax:
        a.grid(alpha=0.3)
    return fig


def recovered_over_true_figure(f: np.ndarray, truth: np.ndarray,
                               bands: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
                               ax: Axes | None = None) -> Figure:
    """recovered/true over ``f`` [Hz] for each ``(label, mean, q2_5, q97_5)``: the ratio of the mean and its
    95 % band to the ``truth`` (SYNTHETIC campaigns), with the line at 1."""
    fig, ax = _fig(ax, (7, 4.5))
    fg = np.asarray(f) / 1e9
    t = np.asarray(truth)
    for i, (label, mean, lo, hi) in enumerate(bands):
        ax.fill_between(fg, np.asarray(lo) / t, np.asarray(hi) / t, color=f"C{i}", alpha=0.25, lw=0,
                        label=f"95 % band, {label}")
        ax.plot(fg, np.asarray(mean) / t, color=f"C{i}", lw=1.2, label=f"mean / true, {label}")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xlabel("frequency [GHz]")
    ax.set_ylabel("recovered / true delivered boost factor")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("recovered over true, with and without the field-shape term", fontsize=10)
    return fig
