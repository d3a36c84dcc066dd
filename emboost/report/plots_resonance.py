"""The one-call overview figure of a resonance fit (:class:`emboost.fit.resonance.ResonanceFit`).

Five stacked panels: the complex plane (data, the model drawn densely, the resonance f0 and the off-resonance
point marked), then magnitude [dB] and phase [deg] against frequency, each with its residual (data - model at
the data points). Axis labels and the title follow the measurement type (``S11`` for a reflection, ``S21``
otherwise, or the S-parameter name given).

>>> import numpy as np
>>> from emboost.fit.resonance import fit_resonance, resonance_response
>>> f = np.linspace(4.99e9, 5.01e9, 201)                                  # SYNTHETIC
>>> s = resonance_response(f, 5e9, 2e3, 0.4, 0.3, 0.7 + 0.2j, 0.0, 5e9, "notch")
>>> fig = resonance_overview(fit_resonance(f, s + 1e-4, "notch"))
>>> [a.get_ylabel() for a in fig.axes][:2]
['Im S21', '|S21| [dB]']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from emboost.report.plots_base import finish, new_axes, save_figure

__all__ = ["resonance_overview", "resonance_overview_png", "MEASUREMENT_WORDS"]

MEASUREMENT_WORDS = {"reflection": "reflection", "transmission": "transmission", "notch": "notch (hanger) transmission",
                     "absorption": "absorption transmission"}


def _phase(z: np.ndarray, ref: complex) -> np.ndarray:
    """Unwrapped phase [deg] of ``z`` relative to the phase of ``ref`` (so data and model share a branch)."""
    return np.rad2deg(np.unwrap(np.angle(z / ref)) + np.angle(ref))


def resonance_overview(res: Any, *, axes: Sequence[Axes] | None = None, title: str = "",
                       parameter: str | None = None, dense: int = 2001) -> Figure:
    """The overview of ``res`` (a ``ResonanceFit``) in a new figure, or into five given ``axes``.

    ``parameter``: the S-parameter name for the labels (default ``S11`` for a reflection, ``S21`` otherwise);
    ``dense``: points of the model curve across the data span.
    """
    fig, (ac, am, amr, ap, apr), _ = new_axes(axes, 5, figsize=(7.0, 13.0),
                                                gridspec_kw={"height_ratios": [3.2, 2, 1, 2, 1]})
    f = np.asarray(res.frequency, float)
    s = np.asarray(res.data, complex)
    fd = np.linspace(f[0], f[-1], max(int(dense), f.size))
    md, mf = res.model(fd), res.model()
    p = parameter or ("S11" if res.kind == "reflection" else "S21")
    f0 = res.f0
    s0 = complex(res.model(np.array([f0]))[0])
    off = res.off_resonance()
    ac.plot(s.real, s.imag, ".", ms=3, color="C0", label="data")
    ac.plot(md.real, md.imag, "-", lw=1.2, color="C1", label="model")
    ac.plot([s0.real], [s0.imag], "o", color="C3", label=f"f0 = {f0 / 1e9:.9g} GHz")
    ac.plot([off.real], [off.imag], "s", color="C2", label="off resonance")
    ac.set_aspect("equal", adjustable="datalim")
    ac.set_xlabel(f"Re {p}")
    ac.set_ylabel(f"Im {p}")
    ac.legend(fontsize=8, loc="best")
    fg, fdg = f / 1e9, fd / 1e9
    with np.errstate(divide="ignore"):
        am.plot(fg, 20 * np.log10(np.abs(s)), ".", ms=3, color="C0", label="data")
        am.plot(fdg, 20 * np.log10(np.abs(md)), "-", lw=1.2, color="C1", label="model")
        amr.plot(fg, 20 * np.log10(np.abs(s)) - 20 * np.log10(np.abs(mf)), ".", ms=3, color="C0")
    am.set_ylabel(f"|{p}| [dB]")
    amr.set_ylabel("data - model [dB]")
    ref = complex(mf[np.argmin(np.abs(f - f0))]) or 1.0
    ap.plot(fg, _phase(s, ref), ".", ms=3, color="C0", label="data")
    ap.plot(fdg, _phase(md, ref), "-", lw=1.2, color="C1", label="model")
    apr.plot(fg, np.rad2deg(np.angle(s / mf)), ".", ms=3, color="C0")
    ap.set_ylabel(f"arg {p} [deg]")
    apr.set_ylabel("data - model [deg]")
    apr.set_xlabel("frequency [GHz]")
    for a in (am, amr, ap, apr):
        a.axvline(f0 / 1e9, color="C3", lw=0.8, ls=":")
    for a in (amr, apr):
        a.axhline(0.0, color="k", lw=0.6)
    am.legend(fontsize=8)
    d = res.derived
    head = title or f"{MEASUREMENT_WORDS.get(res.kind, res.kind)} resonance"
    finish([ac, am, amr, ap, apr], f"{head}\nQ_L = {res.loaded_q:.6g}, Q0 = {d['unloaded_q']:.6g}, "
           f"coupling {d['coupling']:.4g} ({res.regime})", title_size=10)
    return fig


def resonance_overview_png(path: str | os.PathLike[str], res: Any, *, title: str = "",
                           parameter: str | None = None) -> None:
    """:func:`resonance_overview` written to ``path`` (100 dpi)."""
    save_figure(resonance_overview(res, title=title, parameter=parameter), path, dpi=100)
