"""Plots of emboost results (matplotlib, non-interactive Agg backend), written atomically.

Each function takes arrays in SI units and writes a PNG; it returns nothing.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .output import atomic_savefig  # noqa: E402


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
    for a in ax:
        a.grid(alpha=0.3)
    if title:
        ax[0].set_title(title)
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=110)
    plt.close(fig)
