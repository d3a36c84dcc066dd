"""Local series-RLC equivalent of any one-port impedance (physics.md §4.2, eqs. 6-7).

Given ``Z(w0) = R + jX`` and ``dX/dw`` at ``w0``, the series RLC that reproduces X and its slope is
``L = (X' + X/w0) / 2``, ``C = 2 / (w0 (w0 X' - X))``, ``R = Re Z(w0)``. It exists (L, C > 0) only
where ``X' > |X| / w0``, which Foster's theorem guarantees for a passive, nearly lossless structure
away from its internal resonances; elsewhere :class:`~emboost.core.errors.PhysicsError` is raised.

One implementation serves the DMRadio pickup, every RADES cavity mode and the booster mode: the
impedance may come from a model, an FEM table (:func:`series_rlc_from_samples`, cubic splines as
the DMRadio paper does), or a Touchstone S11 converted to Z.

>>> import numpy as np
>>> rlc = SeriesRLC(resistance=1.0, inductance=1e-6, capacitance=1e-9)
>>> f = np.linspace(4e6, 6e6, 201)
>>> back = series_rlc_from_samples(f, rlc.impedance(f), 5e6)
>>> bool(np.isclose(back.inductance, 1e-6, rtol=1e-6) and np.isclose(back.capacitance, 1e-9, rtol=1e-6))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError, PhysicsError

__all__ = ["SeriesRLC", "series_rlc_from_derivative", "series_rlc_from_samples"]


@dataclass(frozen=True)
class SeriesRLC:
    """A series R-L-C: ``Z(w) = R + j (w L - 1/(w C))``. SI units; fields may be arrays."""

    resistance: ArrayLike
    inductance: ArrayLike
    capacitance: ArrayLike

    @property
    def resonance_frequency(self) -> np.ndarray:
        """``1 / (2 pi sqrt(L C))`` [Hz]."""
        return 1.0 / (2 * np.pi * np.sqrt(np.asarray(self.inductance) * np.asarray(self.capacitance)))

    @property
    def quality_factor(self) -> np.ndarray:
        """``w_r L / R`` at the RLC's own resonance."""
        return 2 * np.pi * self.resonance_frequency * np.asarray(self.inductance) / np.asarray(self.resistance)

    def impedance(self, f: ArrayLike) -> np.ndarray:
        """``Z(f)`` [ohm], broadcasting the fields' shapes against ``f``."""
        w = 2 * np.pi * np.asarray(f, dtype=float)
        return (np.asarray(self.resistance) + 1j * (w * np.asarray(self.inductance)
                                                    - 1.0 / (w * np.asarray(self.capacitance))))

    def in_series(self, other: SeriesRLC) -> SeriesRLC:
        """The series connection: L and R add, 1/C add."""
        return SeriesRLC(np.asarray(self.resistance) + np.asarray(other.resistance),
                         np.asarray(self.inductance) + np.asarray(other.inductance),
                         1.0 / (1.0 / np.asarray(self.capacitance) + 1.0 / np.asarray(other.capacitance)))


def series_rlc_from_derivative(f0: ArrayLike, z0: ArrayLike, dx_domega: ArrayLike) -> SeriesRLC:
    """Series RLC matching ``Z(f0)`` and ``dX/dw`` at ``f0`` [Hz] (eq. 6).

    Raises :class:`PhysicsError` where ``dX/dw <= |X|/w0`` (no positive L and C exist there).
    """
    w0 = 2 * np.pi * np.asarray(f0, dtype=float)
    z0 = np.asarray(z0, dtype=complex)
    x, xp = z0.imag, np.asarray(dx_domega, dtype=float)
    bad = ~(xp > np.abs(x) / w0)
    if np.any(bad):
        fb = np.broadcast_to(np.asarray(f0, dtype=float), bad.shape)[bad]
        raise PhysicsError(
            f"no series RLC at f0 = {fb.ravel()[0]:.6g} Hz: dX/dw must exceed |X|/w0 (Foster), which "
            "fails near an internal resonance of the structure; choose f0 away from it")
    return SeriesRLC(resistance=z0.real, inductance=0.5 * (xp + x / w0),
                     capacitance=2.0 / (w0 * (w0 * xp - x)))


def series_rlc_from_samples(f: ArrayLike, z: ArrayLike, f0: ArrayLike) -> SeriesRLC:
    """Series RLC at ``f0`` from a sampled impedance ``z(f)`` (e.g. an FEM table).

    Cubic splines through Re Z and Im Z versus w give Z(w0) and dX/dw. ``f`` strictly increasing;
    ``f0`` must lie inside the table (no extrapolation).
    """
    f = np.asarray(f, dtype=float)
    z = np.asarray(z, dtype=complex)
    if f.ndim != 1 or f.size < 4 or np.any(np.diff(f) <= 0):
        raise InputError("impedance table needs >= 4 strictly increasing frequencies")
    f0 = np.asarray(f0, dtype=float)
    if np.any(f0 < f[0]) or np.any(f0 > f[-1]):
        raise InputError(f"f0 outside the impedance table [{f[0]:.6g}, {f[-1]:.6g}] Hz; no extrapolation")
    w = 2 * np.pi * f
    sr = CubicSpline(w, z.real, axis=-1)
    sx = CubicSpline(w, z.imag, axis=-1)
    w0 = 2 * np.pi * f0
    return series_rlc_from_derivative(f0, sr(w0) + 1j * sx(w0), sx(w0, 1))
