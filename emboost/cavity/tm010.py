"""TM010 mode of an empty copper cylinder: frequency, form factor, conductor Q, and the cavity as a detector.

:class:`TM010Cavity` — an empty copper cylinder of radius ``R`` and length ``L`` in its TM010 mode,
``f0 = chi01 c / (2 pi R)`` (``chi01 = 2.40483``, the first zero of J0), form factor for a field along
the axis ``C = 4 / chi01^2 = 0.6917`` (from ``E_z ~ J0(chi01 r / R)``: ``int E dV = 2 pi R^2 L J1/chi01``,
``int E^2 dV = pi R^2 L J1^2``), conductor quality factor
``Q_c = chi01 Z0 / (2 R_s (1 + R/L))`` (Pozar's TM010 result; the magnetic energy ``pi R^2 L J1^2``
over the wall loss of the side ``2 pi R L J1^2`` and the two end caps ``2 pi R^2 J1^2``). ``R_s`` is
the normal-skin value divided by the cryogenic anomalous-skin factor ``r(f)``
(:func:`emboost.rf.materials.anomalous_factor`). A tuning mechanism covers ``[t_lo, t_hi] * f0``; over
that range C and Q0 are **held at their empty-cavity values** — an approximation (tuning rods lower
C and Q by tens of per cent in real cavities).

**Field direction.** The form factor is the overlap of the mode's electric field with the direction of the
magnet's field, ``C = |int E . b dV|^2 / (V int |E|^2 dV)`` (:func:`form_factor_overlap` on sampled
fields). The TM010 field is ``E_z`` only, so a field at an angle to the cavity axis gives
``C = (4 / chi01^2) b_z^2``, with ``b`` the unit field direction in the cavity frame
(:attr:`TM010Cavity.field_direction`, z = the axis): a TM010 cylinder along the bore of a transverse dipole
has ``C = 0``.

The cavity is a detector of the reach layer (:class:`emboost.reach.detector.Detector`, kind ``"tm010"``):
:meth:`TM010Cavity.response` gives the coupling reached and the scan rate for a
:class:`~emboost.core.search.Run` (:func:`emboost.core.search.resonant_reach`).

>>> cav = TM010Cavity(radius=0.1, length=1.0)
>>> round(cav.f0 / 1e6, 3), round(cav.form_factor, 4)
(1147.425, 0.6917)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import integrate, special

from emboost.core.axion import frequency_to_mass
from emboost.core.constants import Z0, c, mu0
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError, PhysicsError
from emboost.core.search import CavityFigures, DetectorReach, Run, resonant_reach
from emboost.rf.materials import SIGMA_CU_RT, anomalous_factor

__all__ = [
    "CHI01", "tm010_frequency", "tm010_radius", "tm010_form_factor", "tm010_form_factor_numeric",
    "tm010_q_conductor", "tm010_q_numeric", "cold_surface_resistance", "TM010Cavity", "form_factor_overlap",
    "unit_direction", "MISALIGNED_FORM_FACTOR",
]

#: form factors below this are reported as a detector that does not couple to the magnet's field
MISALIGNED_FORM_FACTOR: float = 1e-6


def unit_direction(direction: ArrayLike) -> np.ndarray:
    """``direction`` (3,) normalised; :class:`InputError` for a zero or non-finite vector."""
    d = np.asarray(direction, dtype=float).reshape(-1)
    n = float(np.linalg.norm(d)) if d.size == 3 and np.all(np.isfinite(d)) else 0.0
    if n == 0.0:
        raise InputError(f"a field direction must be a finite non-zero 3-vector, got {direction!r}")
    return d / n


def form_factor_overlap(e_field: ArrayLike, weights: ArrayLike, b_direction: ArrayLike) -> float:
    """``C = |sum w E . b|^2 / (sum w * sum w |E|^2)`` for a mode sampled at N points.

    ``e_field`` (3, N) the (real) mode field, ``weights`` (N,) the quadrature volume elements [m^3] (their sum
    is the volume), ``b_direction`` (3,) the direction of a uniform magnet field.

    >>> x = (np.arange(400) + 0.5) / 400                       # midpoints of [0, 1]
    >>> e = np.vstack([0 * x, np.sin(np.pi * x), 0 * x])      # a half sine along y: C = 8 / pi^2
    >>> w = np.full(x.size, 1.0 / 400)
    >>> round(form_factor_overlap(e, w, (0, 1, 0)), 4), form_factor_overlap(e, w, (1, 0, 0))
    (0.8106, 0.0)
    """
    e = np.asarray(e_field, dtype=float)
    w = np.asarray(weights, dtype=float)
    if e.ndim != 2 or e.shape[0] != 3 or w.shape != e.shape[1:]:
        raise InputError(f"form_factor_overlap: e_field must be (3, N) and weights (N,), got {e.shape}, {w.shape}")
    b = unit_direction(b_direction)
    num = float(np.sum(w * (b @ e))) ** 2
    den = float(np.sum(w)) * float(np.sum(w * np.sum(e * e, axis=0)))
    if den <= 0:
        raise InputError("form_factor_overlap: the sampled field has no energy")
    return num / den

#: first zero of J0
CHI01: float = float(special.jn_zeros(0, 1)[0])


def tm010_frequency(radius: ArrayLike) -> np.ndarray | float:
    """TM010 frequency ``chi01 c / (2 pi R)`` [Hz] of an empty cylinder of radius ``radius`` [m]."""
    out = CHI01 * c / (2 * np.pi * np.asarray(radius, dtype=float))
    return float(out) if np.ndim(out) == 0 else out


def tm010_radius(f: ArrayLike) -> np.ndarray | float:
    """Radius [m] whose TM010 mode is at ``f`` [Hz]."""
    out = CHI01 * c / (2 * np.pi * np.asarray(f, dtype=float))
    return float(out) if np.ndim(out) == 0 else out


def tm010_form_factor() -> float:
    """Closed form ``4 / chi01^2`` of the TM010 form factor for a uniform axial field.

    >>> round(tm010_form_factor(), 5)
    0.69166
    """
    return 4.0 / CHI01**2


def tm010_form_factor_numeric() -> float:
    """The same form factor by quadrature of ``E_z = J0(chi01 r / R)`` over the cross-section (R = 1)."""
    num, _ = integrate.quad(lambda r: special.j0(CHI01 * r) * r, 0.0, 1.0, epsabs=0, epsrel=1e-13)
    den, _ = integrate.quad(lambda r: special.j0(CHI01 * r) ** 2 * r, 0.0, 1.0, epsabs=0, epsrel=1e-13)
    # C = |2 pi L num|^2 / (pi L * 2 pi L den) = 2 num^2 / den  (R = 1)
    return float(2 * num**2 / den)


def tm010_q_conductor(f: ArrayLike, radius: float, length: float, rs: ArrayLike) -> np.ndarray | float:
    """Conductor Q ``chi01 Z0 / (2 R_s (1 + R/L))`` of a TM010 cylinder with wall resistance ``rs`` [ohm].

    ``f`` is only used for broadcasting (the TM010 Q depends on f through ``R_s`` alone).

    >>> round(tm010_q_conductor(1e9, 0.1147, 1e9, 1.0), 2)   # long cylinder, R_s = 1 ohm
    452.99
    """
    out = np.broadcast_to(CHI01 * Z0 / (2 * np.asarray(rs, dtype=float) * (1 + radius / length)),
                          np.shape(f)).astype(float)
    return float(out) if out.ndim == 0 else out


def tm010_q_numeric(radius: float, length: float, rs: float) -> float:
    """TM010 conductor Q from the fields by quadrature: ``w mu0 int |H|^2 dV / (R_s oint |H_t|^2 dS)``.

    Independent of :func:`tm010_q_conductor` (used by the tests): ``H_phi ~ J1(chi01 r / R)``.
    """
    w = 2 * np.pi * tm010_frequency(radius)
    hr, _ = integrate.quad(lambda r: special.j1(CHI01 * r / radius) ** 2 * r, 0.0, radius, epsabs=0, epsrel=1e-13)
    stored = w * mu0 * 2 * np.pi * length * hr
    side = 2 * np.pi * radius * length * special.j1(CHI01) ** 2
    caps = 2 * 2 * np.pi * hr
    # H = (E0 / Z0) J1 and E_z = E0 J0 with w mu0 = k Z0: the common factor (E0/Z0)^2 cancels
    return float(stored / (rs * (side + caps)))


def cold_surface_resistance(f: ArrayLike, conductivity: float = SIGMA_CU_RT, anomalous: float | str = "cahill",
                            magnetoresistance: float = 0.0) -> np.ndarray:
    """``R_s = sqrt(pi f mu0 / sigma) / r`` [ohm], ``r`` a number or ``"cahill"`` for r(f) (physics.md §4.6)."""
    fa = np.asarray(f, dtype=float)
    rs = np.sqrt(np.pi * fa * mu0 / conductivity)
    r: np.ndarray | float
    if anomalous == "cahill":
        r = anomalous_factor(fa, magnetoresistance=magnetoresistance)
    else:
        r = float(anomalous) * (1.0 - magnetoresistance)
    return rs / r


@dataclass(frozen=True)
class TM010Cavity:
    """Empty copper cylinder in its TM010 mode (see the module docstring for the formulas).

    ``radius``, ``length`` [m]; ``conductivity`` [S/m] at room temperature; ``anomalous`` the
    cryogenic factor r (a number or ``"cahill"``); ``field_direction`` the magnet field's direction in the
    cavity frame (z = the axis; default along the axis); ``tuning`` = (lowest, highest) frequency as
    multiples of the empty-cavity f0 (C and Q0 held over it); ``q_loaded`` an optional measured or
    assumed loaded Q that replaces ``Q0 / (1 + beta)``.
    """

    kind: ClassVar[str] = "tm010"

    radius: float
    length: float
    conductivity: float = SIGMA_CU_RT
    anomalous: float | str = "cahill"
    magnetoresistance: float = 0.0
    tuning: tuple[float, float] = (1.0, 1.0)
    q_loaded: float | None = None
    field_direction: tuple[float, float, float] = (0.0, 0.0, 1.0)

    def __post_init__(self) -> None:
        if not (self.radius > 0 and self.length > 0 and self.conductivity > 0):
            raise InputError("TM010 cavity: radius, length and conductivity must be > 0")
        object.__setattr__(self, "field_direction", tuple(float(x) for x in unit_direction(self.field_direction)))
        if self.anomalous != "cahill" and not float(self.anomalous) > 0:
            raise InputError("TM010 cavity: the anomalous factor must be > 0 or 'cahill'")
        if not 0 <= self.magnetoresistance < 1:
            raise InputError("TM010 cavity: magnetoresistance must lie in [0, 1)")
        t = tuple(float(x) for x in self.tuning)
        if len(t) != 2 or not 0 < t[0] <= t[1]:
            raise InputError(f"TM010 cavity: tuning must be two increasing positive factors, got {self.tuning!r}")
        object.__setattr__(self, "tuning", t)

    @property
    def f0(self) -> float:
        """Empty-cavity TM010 frequency [Hz]."""
        return float(tm010_frequency(self.radius))

    @property
    def alignment(self) -> float:
        """``b_z^2``: the fraction of the field along the axis, where the TM010 E field points."""
        return float(self.field_direction[2] ** 2)

    @property
    def form_factor(self) -> float:
        """``(4 / chi01^2) b_z^2`` (0.6917 in an axial field, 0 in a transverse one)."""
        return tm010_form_factor() * self.alignment

    @property
    def volume(self) -> float:
        return float(np.pi * self.radius**2 * self.length)

    @property
    def tuning_band(self) -> tuple[float, float]:
        """Frequencies [Hz] the tuning reaches."""
        return self.tuning[0] * self.f0, self.tuning[1] * self.f0

    @property
    def q0(self) -> float:
        """Unloaded Q at f0 (held over the tuning range)."""
        rs = cold_surface_resistance(self.f0, self.conductivity, self.anomalous, self.magnetoresistance)
        return float(tm010_q_conductor(self.f0, self.radius, self.length, rs))

    def nearest_mode_separation(self) -> float:
        """Distance [Hz] from TM010 to the nearest other mode of the empty cylinder (TE/TM_{0-3,1-3,p})."""
        fs = []
        kmax = 4 * 2 * np.pi * self.f0 / c  # modes up to 4 f0 in transverse k
        for n in range(4):
            for kind, zeros in (("TM", special.jn_zeros(n, 3)), ("TE", special.jnp_zeros(n, 3))):
                for m, x in enumerate(zeros, start=1):
                    kc = x / self.radius
                    if kc > kmax:
                        continue
                    p = np.arange(0 if kind == "TM" else 1, int(4 * self.f0 * 2 * self.length / c) + 2)
                    f = c / (2 * np.pi) * np.sqrt(kc**2 + (p * np.pi / self.length) ** 2)
                    if kind == "TM" and n == 0 and m == 1:
                        f = f[p != 0]
                    fs.append(f)
        allf = np.concatenate(fs)
        return float(np.min(np.abs(allf - self.f0)))

    def figures(self, f: ArrayLike, coupling: float) -> CavityFigures:
        """Parameters at tuned frequencies ``f`` [Hz] for a port ``coupling`` beta; :class:`PhysicsError`
        outside the tuning range."""
        fa = np.atleast_1d(np.asarray(f, dtype=float))
        lo, hi = self.tuning_band
        if np.any(fa < lo * (1 - 1e-12)) or np.any(fa > hi * (1 + 1e-12)):
            raise PhysicsError(f"TM010 cavity of radius {self.radius:g} m tunes over {lo / 1e6:.6g}-{hi / 1e6:.6g} MHz "
                               f"({frequency_to_mass(lo) * 1e6:.4g}-{frequency_to_mass(hi) * 1e6:.4g} ueV); "
                               f"asked for {fa.min() / 1e6:.6g}-{fa.max() / 1e6:.6g} MHz")
        one = np.ones_like(fa)
        q0 = self.q0 * one
        ql = q0 / (1 + coupling) if self.q_loaded is None else self.q_loaded * one
        return CavityFigures(fa, self.volume * one, self.form_factor * one, q0, ql, 1)

    # ---------------------------------------------------------------- the Detector protocol of emboost.reach
    def check_band(self, f: np.ndarray) -> None:
        """:class:`PhysicsError` if the reach grid ``f`` [Hz] leaves the tuning range."""
        try:
            self.figures(f, 1.0)
        except PhysicsError as exc:
            raise PhysicsError(f"band outside the cavity's range: {exc}") from None

    def response(self, f: np.ndarray, run: Run) -> DetectorReach:
        """Reach and scan rate on the tuned frequencies ``f`` [Hz] (:func:`emboost.core.search.resonant_reach`),
        with f0, the dimensions, the distance to the nearest other mode and the tuning band as details."""
        extra = {"f0_hz": self.f0, "radius_m": self.radius, "length_m": self.length,
                 "nearest_mode_hz": self.nearest_mode_separation(), "tuning_band_hz": list(self.tuning_band),
                 "field_direction_in_cavity_frame": list(self.field_direction)}
        with np.errstate(divide="ignore", invalid="ignore"):  # C = 0 (misaligned): infinite g, zero rate
            return resonant_reach(self.figures(f, run.coupling), run, extra)


