"""Smith-chart and polar figures of reflection coefficients: measured against fitted S11.

The Smith grid (circles of constant normalised resistance ``r`` and arcs of constant normalised reactance
``x`` of ``Gamma = (z - 1) / (z + 1)``) is drawn here with plain matplotlib, clipped to the unit circle.
Curves are given as ``(f, s11)`` pairs (Hz, complex), as a ``skrf.Network`` or an
:class:`~emboost.rf.touchstone.SParameterData` (their S11), so measured files and emboost's fits plot alike.
As everywhere in the report layer, figures are made without pyplot and drawn into the caller's axes if given.

>>> import numpy as np
>>> f = np.linspace(8.39e9, 8.41e9, 101)
>>> x = (f - 8.4e9) / 8.4e9 * 2 * 4000
>>> s = 1 - 2 * 0.6 / (1 + 0.6) / (1 + 1j * x)            # a resonance circle, undercoupled
>>> fig = s11_smith_polar_figure({"measured": (f, s + 0.01), "fitted": (f, s)}, title="TE101")
>>> [a.name for a in fig.axes], fig.axes[0].get_title()
(['rectilinear', 'polar'], 'TE101')
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from emboost.core.errors import InputError
from emboost.report.plots_base import save_figure
from emboost.rf.skrf_bridge import is_network
from emboost.rf.touchstone import SParameterData

__all__ = ["smith_grid", "smith_figure", "polar_figure", "s11_smith_polar_figure", "s11_smith_polar_png",
           "as_curve"]

_R = (0.0, 0.2, 0.5, 1.0, 2.0, 5.0)
_X = (0.2, 0.5, 1.0, 2.0, 5.0)
_DOTS: dict[str, Any] = {"ls": "none", "marker": ".", "ms": 3}
_STYLE: dict[str, dict[str, Any]] = {"measured": _DOTS, "data": _DOTS}


def as_curve(curve: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(f [Hz], S11)`` of a ``(f, s11)`` pair, a ``skrf.Network`` or an ``SParameterData``."""
    if is_network(curve):
        return np.asarray(curve.f, dtype=float), np.asarray(curve.s[:, 0, 0], dtype=complex)
    if isinstance(curve, SParameterData):
        return curve.frequency, curve.parameter("S11")
    try:
        f, s = curve
    except (TypeError, ValueError):
        raise InputError(f"a curve is an (f, s11) pair, a skrf.Network or SParameterData; got "
                         f"{type(curve).__name__}") from None
    f, s = np.asarray(f, dtype=float).reshape(-1), np.asarray(s, dtype=complex).reshape(-1)
    if f.size != s.size:
        raise InputError(f"a curve has {f.size} frequencies and {s.size} values")
    return f, s


def smith_grid(ax: Axes, *, r_values: Sequence[float] = _R, x_values: Sequence[float] = _X,
               labels: bool = True) -> None:
    """Draw a Smith chart (impedance grid) into ``ax``: unit circle, constant-r circles, constant-x arcs."""
    t = np.linspace(0, 2 * np.pi, 721)
    clip = Circle((0, 0), 1.0, transform=ax.transData, fill=False, lw=0)
    ax.add_patch(clip)
    style: dict[str, Any] = {"color": "0.8", "lw": 0.6, "zorder": 0}
    ax.plot(np.cos(t), np.sin(t), color="0.5", lw=0.8, zorder=0)
    ax.plot([-1, 1], [0, 0], **style)
    for r in r_values:
        c, rad = r / (1 + r), 1 / (1 + r)
        ax.plot(c + rad * np.cos(t), rad * np.sin(t), **style)
        if labels and r > 0:
            ax.text(c - rad, 0.01, f"{r:g}", fontsize=6, color="0.45", ha="right", va="bottom")
    for x in x_values:
        for sign in (1, -1):
            (line,) = ax.plot(1 + np.cos(t) / x, sign / x + np.sin(t) / x, **style)
            line.set_clip_path(clip)
            if labels:
                g = (1j * sign * x - 1) / (1j * sign * x + 1)
                ax.text(1.06 * g.real, 1.06 * g.imag, f"{sign * x:+g}j", fontsize=6, color="0.45",
                        ha="center", va="center")
    ax.set_aspect("equal")
    ax.set_xlim(-1.12, 1.12)
    ax.set_ylim(-1.12, 1.12)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _draw(ax: Axes, curves: Mapping[str, Any], polar: bool) -> None:
    for label, c in curves.items():
        _, s = as_curve(c)
        style = _STYLE.get(label.lower(), {"lw": 1.2})
        if polar:
            ax.plot(np.angle(s), np.abs(s), label=label, **style)
        else:
            ax.plot(s.real, s.imag, label=label, **style)


def smith_figure(curves: Mapping[str, Any], title: str = "", *, ax: Axes | None = None) -> Figure:
    """S11 curves (label -> curve, see :func:`as_curve`) on a Smith chart; new 5 x 5 inch figure unless ``ax``."""
    if ax is None:
        fig = Figure(figsize=(5, 5), layout="tight")
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    smith_grid(ax)
    _draw(ax, curves, polar=False)
    ax.legend(loc="lower left", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def polar_figure(curves: Mapping[str, Any], title: str = "", *, ax: Axes | None = None) -> Figure:
    """S11 curves as magnitude against phase on polar axes (``ax`` must have the polar projection)."""
    if ax is None:
        fig = Figure(figsize=(5, 5), layout="tight")
        ax = fig.add_subplot(1, 1, 1, projection="polar")
    elif ax.name != "polar":
        raise InputError("polar_figure draws into polar axes (projection='polar')", key="ax")
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    _draw(ax, curves, polar=True)
    ax.set_ylim(0, max(1.0, max(float(np.max(np.abs(as_curve(c)[1]))) for c in curves.values())))
    ax.legend(loc="upper right", fontsize=8, bbox_to_anchor=(1.2, 1.08))
    if title:
        ax.set_title(title)
    return fig


def s11_smith_polar_figure(curves: Mapping[str, Any], title: str = "") -> Figure:
    """Two panels side by side: the Smith chart and the polar chart of the same S11 curves, e.g.
    ``{"measured": network, "fitted": (f, fit.model())}``."""
    if not curves:
        raise InputError("no curve to plot")
    fig = Figure(figsize=(10, 5), layout="tight")
    smith_figure(curves, title, ax=fig.add_subplot(1, 2, 1))
    polar_figure(curves, ax=fig.add_subplot(1, 2, 2, projection="polar"))
    return fig


def s11_smith_polar_png(path: str | os.PathLike[str], curves: Mapping[str, Any], title: str = "") -> None:
    """:func:`s11_smith_polar_figure` written atomically to ``path``."""
    save_figure(s11_smith_polar_figure(curves, title), path)
