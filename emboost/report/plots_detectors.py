"""Figures of cavity chains (mode fields, S-parameters) and coax pickups (Q, L_eff, scan rate).

Each function takes arrays in SI units, draws into the caller's ``ax`` / ``axes`` if given or else
into a new :class:`~matplotlib.figure.Figure`, and returns the figure; write it with
:func:`~emboost.report.plots_base.save_figure`.

>>> import numpy as np
>>> z = np.linspace(0.0, 0.1, 11)
>>> fig = cavity_fields_figure([8.4e9], [(z, np.sin(np.pi * z / 0.1))], axion_index=0)
>>> fig.axes[0].get_legend().get_texts()[0].get_text()
'8.4000 GHz (axion)'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from emboost.core.errors import InputError
from emboost.report.plots_base import finish, new_axes

__all__ = ["cavity_fields_figure", "cavity_sparams_figure", "pickup_q_leff_figure", "pickup_scan_rate_figure"]


def cavity_fields_figure(frequency: ArrayLike, profiles: Sequence[tuple[ArrayLike, ArrayLike]],
                         axion_index: int | None = None, title: str = "", *, ax: Axes | None = None) -> Figure:
    """Normalised mode voltage V(z) along the chain, z in mm, one curve per mode.

    ``frequency`` (nm,) [Hz] labels the curves; ``profiles``: ``(z [m], V(z))`` of each mode, as
    :meth:`emboost.cavity.chain.CavityChain.field_profile` returns them; mode ``axion_index`` is marked.
    """
    fig, (a,), _ = new_axes(ax, 1, figsize=(7, 4))
    freqs = np.atleast_1d(np.asarray(frequency, dtype=float))
    if freqs.size != len(profiles):
        raise InputError(f"{freqs.size} mode frequencies but {len(profiles)} field profiles", key="profiles")
    for m, (fm, (z, v)) in enumerate(zip(freqs, profiles)):
        a.plot(np.asarray(z) * 1e3, v, label=f"{fm / 1e9:.4f} GHz" + (" (axion)" if m == axion_index else ""))
    a.set_xlabel("z [mm]")
    a.set_ylabel("V(z) (normalised)")
    a.legend(fontsize=7)
    finish([a], title, grid=False)
    return fig


def cavity_sparams_figure(f: ArrayLike, s: ArrayLike, title: str = "", *, ax: Axes | None = None) -> Figure:
    """``|S11|`` and ``|S21|`` [dB] of a two-port against frequency [GHz]; ``s`` has shape ``(nf, 2, 2)``."""
    fig, (a,), _ = new_axes(ax, 1, figsize=(7, 4))
    s = np.asarray(s)
    fg = np.asarray(f) / 1e9
    a.plot(fg, 20 * np.log10(np.abs(s[:, 0, 0]) + 1e-300), label="S11")
    a.plot(fg, 20 * np.log10(np.abs(s[:, 1, 0]) + 1e-300), label="S21")
    a.set_xlabel("f [GHz]")
    a.set_ylabel("dB")
    a.legend()
    finish([a], title, grid=False)
    return fig


def pickup_q_leff_figure(curves: Sequence[tuple[str, ArrayLike, ArrayLike, ArrayLike]], title: str = "", *,
                         axes: Sequence[Axes] | None = None) -> Figure:
    """Quality factor (top) and effective inductance L_eff [H] (bottom) of tuned pickups, log-log against MHz.

    ``curves``: ``(name, frequency [Hz], Q, L_eff [H])`` per pickup, arrays of shape ``(nf,)``.
    """
    fig, (a1, a2), _ = new_axes(axes, 2, figsize=(7, 6), sharex=True)
    for name, fk, q, l_eff in curves:
        fm = np.asarray(fk) / 1e6
        a1.loglog(fm, q, label=name)
        a2.loglog(fm, l_eff, label=name)
    a1.set_ylabel("Q")
    a2.set_ylabel("L_eff [H]")
    a2.set_xlabel("frequency [MHz]")
    a1.legend(fontsize=7)
    finish([a1, a2], title, grid=False)
    return fig


def pickup_scan_rate_figure(curves: Sequence[tuple[str, ArrayLike, ArrayLike]],
                            bands: Sequence[tuple[ArrayLike, ArrayLike]] = (),
                            title: str = "DFSZ, eta table (solid); best coax per band, band coupling and eta (dotted)",
                            *, ax: Axes | None = None) -> Figure:
    """Scan rate [Hz/s] against frequency [MHz], log-log: one solid curve per pickup, a dotted one per band.

    ``curves``: ``(name, frequency [Hz], rate [Hz/s])`` per pickup (points with rate <= 0 are left
    out); ``bands``: ``(frequency [Hz], rate [Hz/s])`` of each scan band, drawn in black.
    """
    fig, (a,), _ = new_axes(ax, 1, figsize=(7, 4))
    for name, fk, rk in curves:
        fk, rk = np.asarray(fk, dtype=float), np.asarray(rk, dtype=float)
        ok = rk > 0
        a.loglog(fk[ok] / 1e6, rk[ok], label=name)
    for fb, rb in bands:
        a.loglog(np.asarray(fb) / 1e6, rb, "k:", lw=1)
    a.set_xlabel("frequency [MHz]")
    a.set_ylabel("scan rate [Hz/s]")
    a.legend(fontsize=7)
    finish([a], title, grid=False, title_size=8)
    return fig
