"""Figure plumbing shared by the plot modules: new figures without pyplot, caller-supplied axes, saving.

Figures are built as :class:`matplotlib.figure.Figure` objects directly, never through
:mod:`matplotlib.pyplot`: no backend is selected and no figure enters pyplot's global registry, so
a notebook's ``plt.show()`` and the caller's backend choice are left alone, and a figure is freed
when the last reference to it goes. Rendering to a file goes through :func:`save_figure`, which
needs no backend (matplotlib picks the canvas from the file suffix).

>>> fig, (ax,), own = new_axes(None, 1, figsize=(3, 2))
>>> own, fig is figure_of(ax)
(True, True)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from emboost.core.errors import InputError
from emboost.core.output import atomic_savefig

__all__ = ["new_axes", "figure_of", "finish", "save_figure"]


def figure_of(ax: Axes) -> Figure:
    """The top-level :class:`~matplotlib.figure.Figure` that holds ``ax`` (also through a sub-figure)."""
    fig = ax.figure
    while not isinstance(fig, Figure):
        fig = fig.figure  # a SubFigure: go up to the figure that holds it
    return fig


def new_axes(axes: Axes | Sequence[Axes] | None, n: int, *, figsize: tuple[float, float],
             layout: Literal["tight", "constrained"] = "tight",
             **subplots: Any) -> tuple[Figure, list[Axes], bool]:
    """``(figure, n panels, created)``: the caller's axes, or a new figure of ``n`` stacked panels.

    ``axes`` may be one :class:`~matplotlib.axes.Axes` (when ``n == 1``) or a sequence of ``n``; the
    figure returned is the one that holds the first. ``created`` tells whether the figure is new
    (only a new figure gets the ``layout`` engine, "tight" or "constrained", and the default size ``figsize`` [inch]).
    ``subplots`` go to :meth:`Figure.subplots` (``sharex``, ``gridspec_kw``) for a new figure.
    """
    if axes is None:
        fig = Figure(figsize=figsize, layout=layout)
        grid = fig.subplots(n, 1, squeeze=False, **subplots)
        return fig, [a for a in grid[:, 0]], True
    panels = [axes] if isinstance(axes, Axes) else list(axes)
    if len(panels) != n or not all(isinstance(a, Axes) for a in panels):
        raise InputError(f"this figure draws into {n} matplotlib Axes; got {len(panels)} object(s)", key="axes")
    return figure_of(panels[0]), panels, False


def finish(axes: Sequence[Axes], title: str = "", *, grid: bool = True, title_size: float | None = None) -> None:
    """Light grid on every panel and ``title`` on the first (if given)."""
    if grid:
        for a in axes:
            a.grid(alpha=0.3)
    if title and title_size is None:
        axes[0].set_title(title)
    elif title:
        axes[0].set_title(title, fontsize=title_size)


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: float = 100) -> Path:
    """Write ``fig`` to ``path`` atomically (format from the suffix: png, pdf, svg, ...); returns the path.

    Works for any figure, whatever backend (if any) the session has chosen.
    """
    atomic_savefig(fig, path, dpi=dpi)
    return Path(path)
