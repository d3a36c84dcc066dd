"""The overlay of a fast model on a stored full-wave reference (one compared quantity).

>>> import numpy as np
>>> x = np.arange(5.0)
>>> fig = overlay_figure(x, x**2, x**2 + 0.1, xlabel="x", ylabel="y", title="case: y")
>>> [line.get_label() for line in fig.axes[0].get_lines()]
['reference', 'model']
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from emboost.report.plots_base import finish, new_axes

__all__ = ["overlay_figure"]


def overlay_figure(x: ArrayLike, reference: ArrayLike, model: ArrayLike, *, xlabel: str = "", ylabel: str = "",
                   title: str = "", ax: Axes | None = None) -> Figure:
    """Reference values as dots and the model as a line against ``x`` (all shape ``(n,)``, units as labelled)."""
    fig, (a,), _ = new_axes(ax, 1, figsize=(6.4, 4.0))
    a.plot(np.asarray(x), np.asarray(reference), "o", ms=4, label="reference")
    a.plot(np.asarray(x), np.asarray(model), "-", label="model")
    a.set_xlabel(xlabel)
    a.set_ylabel(ylabel)
    a.legend()
    finish([a], title, grid=False, title_size=9)
    return fig
