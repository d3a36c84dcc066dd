"""Figures of booster results: response, reflectivity fit, Monte-Carlo bands and relative uncertainty.

Every ``*_figure`` function takes arrays in SI units (frequency in Hz, delays in s; plotted in GHz
and ns), draws into the caller's ``ax`` / ``axes`` if given or else into a new
:class:`~matplotlib.figure.Figure`, and returns that figure. The ``*_png`` functions build the
figure and write it atomically with :func:`~emboost.report.plots_base.save_figure`.

>>> import numpy as np
>>> f = np.linspace(18e9, 19e9, 5)
>>> fig = booster_response_figure(f, np.ones(5), np.zeros(5), np.zeros(5), title="flat")
>>> len(fig.axes), fig.axes[0].get_title()
(3, 'flat')
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from emboost.report.plots_base import finish, new_axes, save_figure
from emboost.rf.network import group_delay

__all__ = ["booster_response_figure", "booster_response_png", "power_delay_figure", "power_delay_png",
           "band_figure", "band_png", "relative_uncertainty_figure", "relative_uncertainty_png"]


def booster_response_figure(f: ArrayLike, boost: ArrayLike, reflected_db: ArrayLike, delay: ArrayLike,
                            title: str = "", *, axes: Sequence[Axes] | None = None) -> Figure:
    """Three panels against frequency [GHz]: boost factor, ``|S11|^2`` [dB], group delay [ns].

    ``f`` [Hz], ``boost``, ``reflected_db`` [dB] and ``delay`` [s] have shape ``(nf,)``; ``axes``:
    three Axes to draw into (default: a new 7 x 8 inch figure with a shared frequency axis).
    """
    fig, ax, _ = new_axes(axes, 3, figsize=(7, 8), sharex=True)
    fg = np.asarray(f) / 1e9
    ax[0].plot(fg, boost)
    ax[0].set_ylabel(r"boost factor $\beta^2$")
    ax[1].plot(fg, reflected_db)
    ax[1].set_ylabel(r"$|S_{11}|^2$ [dB]")
    ax[2].plot(fg, np.asarray(delay) * 1e9)
    ax[2].set_ylabel("group delay [ns]")
    ax[2].set_xlabel("frequency [GHz]")
    finish(ax, title)
    return fig


def booster_response_png(path: str | os.PathLike[str], f: ArrayLike, boost: ArrayLike, reflected_db: ArrayLike,
                         delay: ArrayLike, title: str = "") -> None:
    """:func:`booster_response_figure` written to ``path`` (110 dpi)."""
    save_figure(booster_response_figure(f, boost, reflected_db, delay, title), path, dpi=110)


def power_delay_figure(f: ArrayLike, data: ArrayLike, model: ArrayLike, title: str = "",
                       power_db: tuple[ArrayLike, ArrayLike] | None = None,
                       delay: tuple[ArrayLike, ArrayLike] | None = None, *,
                       axes: Sequence[Axes] | None = None) -> Figure:
    """Reflected power [dB] and group delay [ns] of data and model, each with its residuals (four panels).

    ``power_db`` / ``delay`` give (data, model) directly ([dB], [s]); by default both follow from the
    complex ``data`` and ``model`` of shape ``(nf,)`` (group delay: -d arg S / d omega). ``axes``: four
    Axes to draw into (default: a new figure, value panels three times the height of the residuals).
    """
    d, m = np.asarray(data), np.asarray(model)
    pd, pm = (np.asarray(power_db[0]), np.asarray(power_db[1])) if power_db is not None else (
        20 * np.log10(np.abs(d)), 20 * np.log10(np.abs(m)))
    gd, gm = (np.asarray(delay[0]), np.asarray(delay[1])) if delay is not None else (
        group_delay(f, d), group_delay(f, m))
    fg = np.asarray(f) / 1e9
    fig, ax, _ = new_axes(axes, 4, figsize=(7, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1, 3, 1]})
    ax[0].plot(fg, pd, ".", ms=3, label="data")
    ax[0].plot(fg, pm, "-", label="model")
    ax[0].set_ylabel("reflected power [dB]")
    ax[0].legend()
    ax[1].plot(fg, pd - pm, ".", ms=3)
    ax[1].set_ylabel("resid. [dB]")
    ax[2].plot(fg, gd * 1e9, ".", ms=3, label="data")
    ax[2].plot(fg, gm * 1e9, "-", label="model")
    ax[2].set_ylabel("group delay [ns]")
    ax[3].plot(fg, (gd - gm) * 1e9, ".", ms=3)
    ax[3].set_ylabel("resid. [ns]")
    ax[3].set_xlabel("frequency [GHz]")
    finish(ax, title)
    return fig


def power_delay_png(path: str | os.PathLike[str], f: ArrayLike, data: ArrayLike, model: ArrayLike,
                    title: str = "", power_db: tuple[ArrayLike, ArrayLike] | None = None,
                    delay: tuple[ArrayLike, ArrayLike] | None = None) -> None:
    """:func:`power_delay_figure` written to ``path`` (100 dpi)."""
    save_figure(power_delay_figure(f, data, model, title, power_db, delay), path, dpi=100)


def band_figure(f: ArrayLike, stats: Mapping[str, np.ndarray], quantiles: Sequence[float],
                nominal: ArrayLike | None = None, title: str = "",
                ylabel: str = r"delivered boost factor $\beta^2$", log: bool = False,
                lines: Mapping[str, ArrayLike] | None = None, center_label: str = "Monte-Carlo mean", *,
                ax: Axes | None = None) -> Figure:
    """A Monte-Carlo band against frequency [GHz].

    ``stats["mean"]`` (shape ``(nf,)``, labelled ``center_label``) with the 68 % and 95 % bands taken
    from ``stats["quantiles"]`` (shape ``(nq, nf)``, rows at the levels ``quantiles``; a band is drawn
    when both its levels are present), an optional dashed ``nominal`` curve and dotted ``lines``
    (name -> curve). ``log``: logarithmic y axis.
    """
    fig, (a,), _ = new_axes(ax, 1, figsize=(7, 4.5))
    fg = np.asarray(f) / 1e9
    q = [float(x) for x in np.round(np.asarray(quantiles, dtype=float), 6)]
    for lo, hi, alpha, lab in ((0.025, 0.975, 0.2, "95 % band"), (0.16, 0.84, 0.35, "68 % band")):
        if lo in q and hi in q:
            a.fill_between(fg, stats["quantiles"][q.index(lo)], stats["quantiles"][q.index(hi)], alpha=alpha,
                           color="C0", lw=0, label=lab)
    a.plot(fg, stats["mean"], color="C0", label=center_label)
    if nominal is not None:
        a.plot(fg, np.asarray(nominal), "--", color="C1", lw=1, label="best fit")
    for i, (name, v) in enumerate((lines or {}).items()):
        a.plot(fg, np.asarray(v), ":", color=f"C{i + 2}", label=name)
    if log:
        a.set_yscale("log")
    a.set_xlabel("frequency [GHz]")
    a.set_ylabel(ylabel)
    a.legend(fontsize=8)
    finish([a], title, title_size=10)
    return fig


def band_png(path: str | os.PathLike[str], f: ArrayLike, stats: Mapping[str, np.ndarray],
             quantiles: Sequence[float], nominal: ArrayLike | None = None, title: str = "",
             ylabel: str = r"delivered boost factor $\beta^2$", log: bool = False,
             lines: Mapping[str, ArrayLike] | None = None, center_label: str = "Monte-Carlo mean") -> None:
    """:func:`band_figure` written to ``path`` (110 dpi)."""
    save_figure(band_figure(f, stats, quantiles, nominal, title, ylabel, log, lines, center_label), path, dpi=110)


def relative_uncertainty_figure(f: ArrayLike, curves: Mapping[str, ArrayLike], title: str = "", *,
                                ax: Axes | None = None) -> Figure:
    """Relative standard deviation [%] against frequency [GHz] of each named curve (linear fractions, ``(nf,)``).

    The first curve is drawn solid, the others dashed.
    """
    fig, (a,), _ = new_axes(ax, 1, figsize=(7, 4))
    fg = np.asarray(f) / 1e9
    for i, (name, v) in enumerate(curves.items()):
        a.plot(fg, 100 * np.asarray(v), "-" if i == 0 else "--", label=name)
    a.set_xlabel("frequency [GHz]")
    a.set_ylabel(r"relative uncertainty $\sigma / \beta^2$ [%]")
    a.legend(fontsize=8)
    finish([a], title, title_size=10)
    return fig


def relative_uncertainty_png(path: str | os.PathLike[str], f: ArrayLike, curves: Mapping[str, ArrayLike],
                             title: str = "") -> None:
    """:func:`relative_uncertainty_figure` written to ``path`` (110 dpi)."""
    save_figure(relative_uncertainty_figure(f, curves, title), path, dpi=110)


def booster3d_band_figure(f: ArrayLike, quantiles: Mapping[float, ArrayLike], mean: ArrayLike,
                          nominal_3d: ArrayLike, nominal_1d: ArrayLike | None = None, title: str = "", *,
                          ax: Axes | None = None) -> Figure:
    """The 3-D tolerance band of the boost factor against frequency [GHz]: the 5-95 % and 16-84 % bands of the
    mechanical-tolerance Monte-Carlo (``quantiles``: level -> curve), its mean, the perfect booster in the
    multi-mode solver (dashed) and, if given, the 1-D model (dotted; equal to the dashed curve for disks that fill
    the cylinder)."""
    fig, (a,), _ = new_axes(ax, 1, figsize=(7, 4.5))
    fg = np.asarray(f) / 1e9
    q = {round(float(k), 6): np.asarray(v) for k, v in quantiles.items()}
    for lo, hi, alpha, lab in ((0.05, 0.95, 0.2, "5-95 % (tolerances)"), (0.16, 0.84, 0.35, "16-84 %")):
        if lo in q and hi in q:
            a.fill_between(fg, q[lo], q[hi], alpha=alpha, color="C2", lw=0, label=lab)
    a.plot(fg, np.asarray(mean), color="C2", label="3-D Monte-Carlo mean")
    a.plot(fg, np.asarray(nominal_3d), "--", color="C1", lw=1, label="perfect booster (multi-mode)")
    if nominal_1d is not None:
        a.plot(fg, np.asarray(nominal_1d), ":", color="k", lw=1, label="1-D model")
    a.set_xlabel("frequency [GHz]")
    a.set_ylabel(r"boost factor $\beta^2$")
    a.legend(fontsize=8)
    finish([a], title, title_size=10)
    return fig
