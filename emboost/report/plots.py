"""Plots of emboost results (matplotlib, non-interactive Agg backend), written atomically.

Each function takes arrays in SI units and writes a PNG; it returns nothing.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from emboost.rf.network import group_delay  # noqa: E402
from emboost.core.output import atomic_savefig  # noqa: E402


def booster_response_png(path: str | os.PathLike[str], f: np.ndarray, boost: np.ndarray,
                         reflected_db: np.ndarray, delay: np.ndarray, title: str = "") -> None:
    """Three panels against frequency [GHz]: boost factor, |S11|^2 [dB], group delay [ns]."""
    fig, ax = plt.subplots(3, 1, figsize=(7, 8), sharex=True)
    fg = np.asarray(f) / 1e9
    ax[0].plot(fg, boost)
    ax[0].set_ylabel(r"boost factor $\beta^2$")
    ax[1].plot(fg, reflected_db)
    ax[1].set_ylabel(r"$|S_{11}|^2$ [dB]")
    ax[2].plot(fg, np.asarray(delay) * 1e9)
    ax[2].set_ylabel("group delay [ns]")
    ax[2].set_xlabel("frequency [GHz]")
    _finish(fig, ax, path, title, dpi=110)


def _finish(fig: plt.Figure, ax: np.ndarray, path: str | os.PathLike[str], title: str, dpi: int) -> None:
    """Grid every panel, title the first, save atomically and release the figure."""
    for a in ax:
        a.grid(alpha=0.3)
    if title:
        ax[0].set_title(title)
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=dpi)
    plt.close(fig)


def power_delay_png(path: str | os.PathLike[str], f: np.ndarray, data: np.ndarray, model: np.ndarray,
                    title: str = "", power_db: tuple[np.ndarray, np.ndarray] | None = None,
                    delay: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Reflected power [dB] and group delay [ns] of data and model, each with its residuals (PNG).

    ``power_db`` / ``delay`` give (data, model) directly; by default both follow from the complex
    ``data`` and ``model`` (group delay: -d arg S / d omega).
    """
    pd, pm = power_db if power_db is not None else (20 * np.log10(np.abs(data)), 20 * np.log10(np.abs(model)))
    gd, gm = delay if delay is not None else (group_delay(f, data), group_delay(f, model))
    fg = np.asarray(f) / 1e9
    fig, ax = plt.subplots(4, 1, figsize=(7, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1, 3, 1]})
    ax[0].plot(fg, pd, ".", ms=3, label="data")
    ax[0].plot(fg, pm, "-", label="model")
    ax[0].set_ylabel("reflected power [dB]")
    ax[0].legend()
    ax[1].plot(fg, pd - pm, ".", ms=3)
    ax[1].set_ylabel("resid. [dB]")
    ax[2].plot(fg, np.asarray(gd) * 1e9, ".", ms=3, label="data")
    ax[2].plot(fg, np.asarray(gm) * 1e9, "-", label="model")
    ax[2].set_ylabel("group delay [ns]")
    ax[3].plot(fg, (np.asarray(gd) - np.asarray(gm)) * 1e9, ".", ms=3)
    ax[3].set_ylabel("resid. [ns]")
    ax[3].set_xlabel("frequency [GHz]")
    _finish(fig, ax, path, title, dpi=100)
