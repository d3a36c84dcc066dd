"""Long cylindrical cavities in a transverse field: the TE111 mode of a cylinder lying along a dipole bore.

A TM010 cylinder along a dipole bore does not couple (its E field is axial, the field transverse). The TE111
mode of the same cylinder has a transverse E field with the TE11 pattern, polarised along the magnet's
field, and a longitudinal shape ``sin(pi z / L)``: the low-frequency haloscopes proposed for the BabyIAXO
bores (arXiv:2306.17243: 5 m long cavities tuned by inner turning plates, 1-2 ueV) use this kind of mode.

* frequency ``f = (c / 2 pi) sqrt((p'11 / R)^2 + (pi / L)^2)``, ``p'11 = 1.841184``;
* form factor for a uniform transverse field along the polarisation:
  ``C = [2 / (p'11^2 - 1)] (8 / pi^2) = 0.8368 * 0.8106 = 0.6783`` (the TE11 transverse overlap of
  physics.md §2.4 times the longitudinal ``(int sin)^2 / (L int sin^2)``), times ``1 - b_z^2`` for the
  field's alignment with the bore frame;
* conductor Q (Pozar eq. 6.46, n = 1, l = 1): ``Q_c = (k R)^3 eta R L [1 - 1/p'^2] /
  (4 p'^2 R_s {(R L / 2)[1 + (beta R / p'^2)^2] + (beta R^2 / p')^2 (1 - 1/p'^2)})``, ``beta = pi / L``, with the
  cryogenic surface resistance of :func:`emboost.cavity.tm010.cold_surface_resistance`.

A tuning range (multiples of the empty-cavity frequency) is covered with C and Q0 held at the empty-cavity
values, the same approximation as for TM010 (the turning plates change both by amounts only a field solver
gives).

>>> cav = TE111Cavity(radius=0.346, length=5.0)
>>> round(cav.f0 / 1e6, 2), round(cav.form_factor, 4)
(255.66, 0.6783)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.constants import c

from emboost.cavity.tm010 import MISALIGNED_FORM_FACTOR, cold_surface_resistance
from emboost.core.constants import Z0
from emboost.core.errors import InputError, PhysicsError
from emboost.core.search import CavityFigures, DetectorReach, Run, resonant_reach
from emboost.rf.materials import SIGMA_CU_RT

__all__ = ["P11", "TE111Cavity", "te111_frequency", "te111_form_factor", "te111_q_conductor"]

#: first zero of J1'
P11 = 1.8411837813406593


def te111_frequency(radius: float, length: float) -> float:
    """TE111 resonance [Hz] of a closed cylinder of ``radius`` and ``length`` [m]."""
    return float(c / (2 * np.pi) * np.hypot(P11 / radius, np.pi / length))


def te111_form_factor() -> float:
    """``C = [2 / (p'11^2 - 1)] (8 / pi^2)`` for a uniform field along the TE111 polarisation."""
    return float(2.0 / (P11**2 - 1.0) * 8.0 / np.pi**2)


def te111_q_conductor(radius: float, length: float, rs: ArrayLike) -> np.ndarray | float:
    """Conductor Q of the TE111 mode (Pozar eq. 6.46) for a surface resistance ``rs`` [ohm]."""
    k = np.hypot(P11 / radius, np.pi / length)
    beta = np.pi / length
    p2 = P11**2
    num = (k * radius) ** 3 * Z0 * radius * length * (1 - 1 / p2)
    den = 4 * p2 * np.asarray(rs) * ((radius * length / 2) * (1 + (beta * radius / p2) ** 2)
                                     + (beta * radius**2 / P11) ** 2 * (1 - 1 / p2))
    return num / den


@dataclass(frozen=True)
class TE111Cavity:
    """Copper cylinder along the bore in its TE111 mode, for a transverse field (see the module docstring).

    ``radius``, ``length`` [m]; ``conductivity`` [S/m] at room temperature; ``anomalous`` the cryogenic factor r
    (a number or ``"cahill"``); ``field_direction`` of the magnet in the bore frame (z = the axis): the mode is
    polarised along the transverse part of it; ``tuning`` (low, high) as multiples of f0; ``q_loaded`` an
    optional assumed loaded Q replacing ``Q0 / (1 + beta)``.
    """

    kind: ClassVar[str] = "te111"
    #: longitudinal mode shape, for the field-profile form factor (:mod:`emboost.reach.fieldform`)
    longitudinal_shape: ClassVar[str] = "sine"

    radius: float
    length: float
    conductivity: float = SIGMA_CU_RT
    anomalous: float | str = "cahill"
    tuning: tuple[float, float] = (1.0, 1.0)
    q_loaded: float | None = None
    field_direction: tuple[float, float, float] = (1.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if not (self.radius > 0 and self.length > 0 and self.conductivity > 0):
            raise InputError("TE111 cavity: radius, length and conductivity must be > 0")
        lo, hi = self.tuning
        if not (0 < lo <= hi):
            raise InputError(f"TE111 cavity: tuning must be 0 < low <= high, got {self.tuning!r}")
        d = np.asarray(self.field_direction, dtype=float)
        if d.shape != (3,) or not np.isclose(np.linalg.norm(d), 1.0, atol=1e-9):
            raise InputError(f"TE111 cavity: field_direction must be a unit 3-vector, got {self.field_direction!r}")

    @property
    def f0(self) -> float:
        """Empty-cavity TE111 frequency [Hz]."""
        return te111_frequency(self.radius, self.length)

    @property
    def alignment(self) -> float:
        """``1 - b_z^2``: the transverse share of the field (the mode is polarised along it)."""
        return float(1.0 - self.field_direction[2] ** 2)

    @property
    def form_factor(self) -> float:
        """``C = 0.6783 (1 - b_z^2)``."""
        return te111_form_factor() * self.alignment

    @property
    def volume(self) -> float:
        """``pi R^2 L`` [m^3]."""
        return float(np.pi * self.radius**2 * self.length)

    @property
    def tuning_band(self) -> tuple[float, float]:
        """Lowest and highest frequency [Hz] the tuning reaches."""
        return self.tuning[0] * self.f0, self.tuning[1] * self.f0

    def q0(self, f: ArrayLike) -> np.ndarray:
        """Conductor Q at ``f`` [Hz] (geometry of the empty cavity, R_s at f)."""
        fa = np.asarray(f, dtype=float)
        return np.asarray(te111_q_conductor(self.radius, self.length, cold_surface_resistance(
            fa, self.conductivity, self.anomalous)), dtype=float)

    def figures(self, f: ArrayLike, coupling: float) -> CavityFigures:
        """V, C, Q0 and Q_L on the grid ``f`` [Hz]."""
        fa = np.atleast_1d(np.asarray(f, dtype=float))
        q0 = self.q0(fa)
        ql = q0 / (1 + coupling) if self.q_loaded is None else np.full(fa.shape, float(self.q_loaded))
        return CavityFigures(fa, np.full(fa.shape, self.volume), np.full(fa.shape, self.form_factor), q0, ql, 1)

    # ---------------------------------------------------------------- the Detector protocol of emboost.reach
    def check_band(self, f: np.ndarray) -> None:
        """:class:`PhysicsError` if the grid leaves the tuning band."""
        lo, hi = self.tuning_band
        if f[0] < lo * (1 - 1e-9) or f[-1] > hi * (1 + 1e-9):
            raise PhysicsError(f"band {f[0] / 1e6:.6g}-{f[-1] / 1e6:.6g} MHz leaves the TE111 tuning range "
                               f"{lo / 1e6:.6g}-{hi / 1e6:.6g} MHz of R = {self.radius:g} m, L = {self.length:g} m")

    def response(self, f: np.ndarray, run: Run) -> DetectorReach:
        """Reach and scan rate on the grid ``f`` [Hz] (:func:`emboost.core.search.resonant_reach`)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return resonant_reach(self.figures(f, run.coupling), run,
                                  {"te111_f0_hz": self.f0, "misaligned": self.form_factor < MISALIGNED_FORM_FACTOR})
