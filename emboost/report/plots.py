"""Plots of emboost results: functions that build and return a :class:`matplotlib.figure.Figure`.

Every ``*_figure`` function takes arrays (or result objects) in SI units, draws into the ``ax`` (or
``axes``, for several panels) it is given or else into a new figure, and returns the figure, which
the caller may adjust, show or save. The library never selects a matplotlib backend and never uses
:mod:`matplotlib.pyplot`: figures are created directly, so they do not enter pyplot's figure
registry (in a notebook, display one by evaluating it, or draw into axes from ``plt.subplots``).
:func:`save_figure` writes a figure atomically; the ``*_png`` functions are figure + save in one call.

By topic: booster and Monte-Carlo figures (:mod:`emboost.report.plots_booster`), cavity chains and
coax pickups (:mod:`emboost.report.plots_detectors`), the reach (:mod:`emboost.report.plots_reach`),
model-against-reference overlays (:mod:`emboost.report.plots_validation`); all are importable from here.

>>> import numpy as np
>>> from matplotlib.figure import Figure
>>> f = np.linspace(18e9, 19e9, 11)
>>> fig = relative_uncertainty_figure(f, {"Monte-Carlo": np.full(11, 0.05)}, title="demo")
>>> ax = Figure().add_subplot()
>>> relative_uncertainty_figure(f, {"linear": np.full(11, 0.04)}, ax=ax) is ax.figure
True
"""

from __future__ import annotations

from emboost.report.plots_base import figure_of, save_figure
from emboost.report.plots_booster import (
    band_figure,
    band_png,
    booster_response_figure,
    booster_response_png,
    power_delay_figure,
    power_delay_png,
    relative_uncertainty_figure,
    relative_uncertainty_png,
)
from emboost.report.plots_detectors import (
    cavity_fields_figure,
    cavity_sparams_figure,
    pickup_q_leff_figure,
    pickup_scan_rate_figure,
)
from emboost.report.plots_reach import reach_figure
from emboost.report.plots_validation import overlay_figure

__all__ = [
    "save_figure", "figure_of",
    "booster_response_figure", "booster_response_png", "power_delay_figure", "power_delay_png",
    "band_figure", "band_png", "relative_uncertainty_figure", "relative_uncertainty_png",
    "cavity_fields_figure", "cavity_sparams_figure", "pickup_q_leff_figure", "pickup_scan_rate_figure",
    "reach_figure", "overlay_figure",
]
