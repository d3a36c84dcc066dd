"""Reach of a haloscope placed in a host magnet: the coupling it reaches and the time to scan a band.

Three kinds of haloscope can be put in a magnet of the catalogue (:mod:`emboost.reach.magnets`):

* :class:`TM010Cavity` — an empty copper cylinder of radius ``R`` and length ``L`` in its TM010 mode,
  ``f0 = chi01 c / (2 pi R)`` (``chi01 = 2.40483``, the first zero of J0), form factor for a field along
  the axis ``C = 4 / chi01^2 = 0.6917`` (from ``E_z ~ J0(chi01 r / R)``: ``int E dV = 2 pi R^2 L J1/chi01``,
  ``int E^2 dV = pi R^2 L J1^2``), conductor quality factor
  ``Q_c = chi01 Z0 / (2 R_s (1 + R/L))`` (Pozar's TM010 result; the magnetic energy ``pi R^2 L J1^2``
  over the wall loss of the side ``2 pi R L J1^2`` and the two end caps ``2 pi R^2 J1^2``). ``R_s`` is
  the normal-skin value divided by the cryogenic anomalous-skin factor ``r(f)``
  (:func:`emboost.rf.materials.anomalous_factor`). A tuning mechanism covers ``[t_lo, t_hi] * f0``; over
  that range C and Q0 are **held at their empty-cavity values** — an approximation (tuning rods lower
  C and Q by tens of per cent in real cavities).
  A cavity "filling a bore" has the bore radius minus a wall allowance and the magnet's field length.
  The magnet must be a transverse dipole for a RADES chain, an axial field (solenoid) for a TM010
  cavity in a real installation; here both see the catalogue's central field ``B`` as uniform and
  parallel to the mode's electric field (an assumption stated in the scenario file).
* :class:`RadesChain` — an iris-coupled chain (:mod:`emboost.cavity.chain`) of ``N`` sub-cavities of cross
  section ``a x b`` whose lengths are re-designed at every frequency for a flat field
  (:func:`emboost.cavity.design.flat_field_lengths`); C and Q0 come from the circuit. Filling a bore
  (:func:`fill_bore`) means as many chains as fit, each with its own readout, **combined
  incoherently**: independent SNR^2 add, so ``n`` equal chains reach ``g_1 n^(-1/4)`` and scan ``n``
  times faster. Packing: chains of outer section ``(a + 2w) x (b + 2w)`` (``w`` the wall) in rows
  across the circular bore section (:func:`rectangles_in_circle`), and end to end along the field
  length with a gap between chains.
* :class:`BoosterInMagnet` — a dielectric booster from a setup file (:mod:`emboost.booster.setup`) with
  the magnet's field replacing the file's; reach from :func:`emboost.reach.sensitivity.booster_coupling_reach`.

Physics of the reach (physics.md §1.6, §2.2): the Dicke radiometer with the axion linewidth
``dnu_a = f / Q_a`` (``Q_a`` the standard-halo effective value 6.78e5) gives the coupling reached with
signal-to-noise ``SNR`` in a time ``dt`` per tuning step. The cavity scan rate for amplifier-noise-
dominated, continuously tuned cavities with ``Q_L << Q_a`` is

    dnu/dt = (pi/4) (Q_a / Q_L) (P_a / (k T_sys))^2 / SNR^2 ,

``P_a`` the Sikivie power on resonance at the target coupling (:func:`emboost.core.axion.sikivie_power`),
and the scan time of a band is ``int df / (dnu/dt)``. A booster's rate is the full width at half
maximum of its boost factor divided by the time a step needs for the target coupling at half the
peak boost factor (the response shape is assumed to move rigidly with the disk spacing).

>>> cav = TM010Cavity(radius=0.1, length=1.0)
>>> round(cav.f0 / 1e6, 3), round(cav.form_factor, 4)
(1147.425, 0.6917)
>>> rectangles_in_circle(1.0, 1.0, 2.0 * 2 ** 0.5)   # 2 x 2 unit squares fit a circle of radius sqrt 2
4
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import integrate, special

from emboost.core.axion import frequency_to_mass, shm_q_eff, sikivie_power
from emboost.booster.setup import BoosterSetup, load_booster_setup
from emboost.core.constants import GEV_PER_CM3, Z0, GeV, c, k_B, mu0
from emboost.core.constants import h as h_planck
from emboost.core.conventions import ArrayLike
from emboost.core.errors import EmboostError, InputError, PhysicsError, SetupFileError
from emboost.reach.magnets import Magnet, load_magnets
from emboost.rf.materials import SIGMA_CU_RT, anomalous_factor
from emboost.pickup.scanrate import YEAR, coupling_function
from emboost.reach.sensitivity import booster_coupling_reach, cavity_coupling_reach
from emboost.core.setupfile import Table, read_toml

__all__ = [
    "CHI01", "tm010_frequency", "tm010_radius", "tm010_form_factor", "tm010_form_factor_numeric",
    "tm010_q_conductor", "tm010_q_numeric", "cold_surface_resistance", "CavityFigures", "TM010Cavity",
    "RadesChain", "rectangles_in_circle", "Packing", "fill_bore", "BoosterInMagnet", "cavity_scan_rate",
    "booster_scan_rate", "scan_time", "axion_q", "Haloscope", "ReachResult", "evaluate", "ReachScenario",
    "load_scenario", "scan_years", "PUBLISHED_LIMITS",
]

#: first zero of J0
CHI01: float = float(special.jn_zeros(0, 1)[0])

#: published limits drawn on reach plots: (label, mass ranges [eV], |g| [GeV^-1], source)
PUBLISHED_LIMITS: tuple[dict, ...] = (
    {"label": "CAST-RADES 2021", "masses_ev": ((34.6738e-6, 34.6771e-6),), "g_gev": 4e-13,
     "source": "g ≳ 4e-13 GeV^-1 (95 %), arXiv:2104.13798"},
    {"label": "MADMAX CB200", "masses_ev": ((76.56e-6, 76.82e-6), (79.31e-6, 79.53e-6)), "g_gev": 2e-11,
     "source": "|g| ≳ 2e-11 GeV^-1 (95 %), PRL 135 041001 / arXiv:2409.11777"},
)


# ------------------------------------------------------------------------------------------ TM010
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
    f = np.asarray(f, dtype=float)
    rs = np.sqrt(np.pi * f * mu0 / conductivity)
    if anomalous == "cahill":
        r = anomalous_factor(f, magnetoresistance=magnetoresistance)
    else:
        r = float(anomalous) * (1.0 - magnetoresistance)
    return rs / r


@dataclass(frozen=True)
class CavityFigures:
    """Cavity parameters at frequencies ``frequency`` (nf,): ``volume`` [m^3] of one unit, ``form_factor``,
    ``q0``, ``q_loaded`` (all (nf,)), and the number of parallel ``units``."""

    frequency: np.ndarray
    volume: np.ndarray
    form_factor: np.ndarray
    q0: np.ndarray
    q_loaded: np.ndarray
    units: int = 1


@dataclass(frozen=True)
class TM010Cavity:
    """Empty copper cylinder in its TM010 mode (see the module docstring for the formulas).

    ``radius``, ``length`` [m]; ``conductivity`` [S/m] at room temperature; ``anomalous`` the
    cryogenic factor r (a number or ``"cahill"``); ``tuning`` = (lowest, highest) frequency as
    multiples of the empty-cavity f0 (C and Q0 held over it); ``q_loaded`` an optional measured or
    assumed loaded Q that replaces ``Q0 / (1 + beta)``.
    """

    radius: float
    length: float
    conductivity: float = SIGMA_CU_RT
    anomalous: float | str = "cahill"
    magnetoresistance: float = 0.0
    tuning: tuple[float, float] = (1.0, 1.0)
    q_loaded: float | None = None

    def __post_init__(self) -> None:
        if not (self.radius > 0 and self.length > 0 and self.conductivity > 0):
            raise InputError("TM010 cavity: radius, length and conductivity must be > 0")
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
        return tm010_frequency(self.radius)

    @property
    def form_factor(self) -> float:
        return tm010_form_factor()

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
        """Parameters at tuned frequencies ``f`` [Hz]; :class:`PhysicsError` outside the tuning range."""
        f = np.atleast_1d(np.asarray(f, dtype=float))
        lo, hi = self.tuning_band
        if np.any(f < lo * (1 - 1e-12)) or np.any(f > hi * (1 + 1e-12)):
            raise PhysicsError(f"TM010 cavity of radius {self.radius:g} m tunes over {lo / 1e6:.6g}-{hi / 1e6:.6g} MHz "
                               f"({frequency_to_mass(lo) * 1e6:.4g}-{frequency_to_mass(hi) * 1e6:.4g} ueV); "
                               f"asked for {f.min() / 1e6:.6g}-{f.max() / 1e6:.6g} MHz")
        one = np.ones_like(f)
        q0 = self.q0 * one
        ql = q0 / (1 + coupling) if self.q_loaded is None else self.q_loaded * one
        return CavityFigures(f, self.volume * one, self.form_factor * one, q0, ql, 1)


# ------------------------------------------------------------------------------------------ RADES
@dataclass(frozen=True)
class RadesChain:
    """A RADES chain of ``n_cavities`` sub-cavities in a ``a x b`` guide with equal thin inductive
    irises of ``iris_window`` [m], flat-field lengths designed at each frequency. Walls: copper of
    ``conductivity`` with the anomalous factor ``anomalous``; ``q_loaded`` optionally replaces
    ``Q0 / (1 + beta)`` (e.g. a measured value)."""

    a: float
    b: float
    n_cavities: int
    iris_window: float
    conductivity: float = SIGMA_CU_RT
    anomalous: float | str = 4.0
    q_loaded: float | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.b > 0 and self.iris_window > 0 and self.conductivity > 0):
            raise InputError("RADES chain: a, b, iris_window and conductivity must be > 0")
        if int(self.n_cavities) != self.n_cavities or self.n_cavities < 1:
            raise InputError(f"RADES chain: n_cavities must be a positive integer, got {self.n_cavities!r}")

    @property
    def cutoff_frequency(self) -> float:
        return c / (2 * self.a)

    def design(self, f: float):
        """``(chain, modes, mode_q)`` of the flat-field chain whose in-phase mode is at ``f`` [Hz]."""
        from emboost.cavity.chain import CavityChain
        from emboost.cavity.design import flat_field_lengths
        from emboost.cavity.iris import Iris

        key = round(float(f), 3)
        if key in self._cache:
            return self._cache[key]
        if f <= self.cutoff_frequency:
            raise PhysicsError(f"{f / 1e9:.6g} GHz is at or below the TE10 cutoff "
                               f"{self.cutoff_frequency / 1e9:.6g} GHz of a = {self.a * 1e3:g} mm")
        irises = [Iris("inductive", window=self.iris_window)] * (self.n_cavities - 1)
        lengths = flat_field_lengths(self.a, self.b, irises, f) if irises else [_te101(f, self.a)]
        chain = CavityChain(a=self.a, b=self.b, lengths=lengths, irises=irises, conductivity=self.conductivity,
                            anomalous=self.anomalous)
        band = (max(self.cutoff_frequency * 1.0001, 0.97 * f), 1.03 * f)
        modes = chain.modes(band)
        fa = modes.axion_frequency
        if abs(fa / f - 1) > 1e-6:
            raise PhysicsError(f"the flat-field design did not put the axion mode at {f / 1e9:.6g} GHz "
                               f"(got {fa / 1e9:.6g} GHz)")
        q = chain.mode_q(np.array([fa]))[0]
        out = (chain, modes, q)
        self._cache[key] = out
        return out

    def figures(self, f: ArrayLike, coupling: float) -> CavityFigures:
        """Volume, C, Q0, Q_L of the chain re-designed at each ``f`` [Hz]."""
        f = np.atleast_1d(np.asarray(f, dtype=float))
        vol, cf, q0 = (np.empty(f.shape) for _ in range(3))
        for j, fj in enumerate(f):
            chain, modes, q = self.design(fj)
            vol[j], cf[j], q0[j] = chain.volume, modes.form_factor[modes.axion_index], q.q0
        ql = q0 / (1 + coupling) if self.q_loaded is None else np.full(f.shape, float(self.q_loaded))
        return CavityFigures(f, vol, cf, q0, ql, 1)

    def length(self, f: float) -> float:
        """Wall-to-wall length [m] of the chain designed at ``f``."""
        return self.design(f)[0].total_length


def _te101(f: float, a: float) -> float:
    from emboost.cavity.chain import te101_length

    return te101_length(f, a)


def rectangles_in_circle(width: float, height: float, diameter: float, offsets: int = 64) -> int:
    """Most ``width x height`` rectangles, in rows, inside a circle of ``diameter``.

    Rows of height ``height`` are stacked across the circle; each row holds ``floor(chord / width)``
    side-by-side rectangles, the chord taken at the row edge farthest from the centre. The row offset
    is scanned over ``offsets`` values in ``[0, height)`` plus the two placements symmetric about the
    centre, and the best count is returned (a lower bound of the optimum packing; rows of parallel
    chains are what a real array would use).
    """
    if not (width > 0 and height > 0 and diameter > 0):
        raise InputError("rectangles_in_circle: width, height and diameter must be > 0")
    rad = diameter / 2
    best = 0
    nrows = int(np.ceil(diameter / height)) + 1
    # the scan plus the two symmetric placements: a row boundary on the centre line, a row centred on it
    special_offsets = [rad % height, (rad - height / 2) % height]
    for off in np.concatenate([special_offsets, np.linspace(0.0, height, offsets, endpoint=False)]):
        lo = -rad + off + height * np.arange(-1, nrows)
        hi = lo + height
        far = np.maximum(np.abs(lo), np.abs(hi))
        inside = (lo >= -rad - 1e-15) & (hi <= rad + 1e-15)
        chord = 2 * np.sqrt(np.clip(rad**2 - far**2, 0.0, None))
        count = int(np.sum(np.where(inside, np.floor(chord / width + 1e-12), 0)))
        best = max(best, count)
    return best


@dataclass(frozen=True)
class Packing:
    """How many units fill a magnet: ``across`` per bore section x ``along`` the length x ``bores``."""

    across: int
    along: int
    bores: int
    wall: float
    gap: float
    unit_length: float

    @property
    def units(self) -> int:
        return self.across * self.along * self.bores


def fill_bore(chain: RadesChain, f: float, magnet: Magnet, wall: float, gap: float, bores: int = 1) -> Packing:
    """Chains designed at ``f`` filling ``bores`` bores of ``magnet`` (packing rules in the module docstring)."""
    if bores > magnet.bores:
        raise InputError(f"{magnet.name} has {magnet.bores} bore(s), asked to fill {bores}")
    across = rectangles_in_circle(chain.a + 2 * wall, chain.b + 2 * wall, magnet.bore_diameter)
    length = chain.length(f) + 2 * wall
    along = int(np.floor((magnet.length + gap) / (length + gap) + 1e-12))
    if across == 0 or along == 0:
        raise PhysicsError(f"a chain ({(chain.a + 2 * wall) * 1e3:g} x {(chain.b + 2 * wall) * 1e3:g} mm, "
                           f"{length:g} m long) does not fit in the {magnet.name} bore")
    return Packing(across, along, bores, wall, gap, length)


# ------------------------------------------------------------------------------------------ booster
@dataclass(frozen=True)
class BoosterInMagnet:
    """A booster setup placed in a magnet of field ``b_field`` [T] (replacing the file's field)."""

    setup: BoosterSetup
    b_field: float

    def boost_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """``(f, beta^2(f))`` on the setup file's band."""
        f = self.setup.frequencies
        return f, np.asarray(self.setup.booster.boost_factor(f))

    def half_power_width(self) -> tuple[float, float, float]:
        """``(peak boost factor, peak frequency, FWHM [Hz])`` of the boost factor on the file's band."""
        f, b2 = self.boost_curve()
        i = int(np.argmax(b2))
        half = b2[i] / 2
        lo, hi = i, i
        while lo > 0 and b2[lo - 1] >= half:
            lo -= 1
        while hi < b2.size - 1 and b2[hi + 1] >= half:
            hi += 1
        if lo == 0 or hi == b2.size - 1:
            raise PhysicsError(f"the boost factor of {self.setup.name!r} does not fall to half its peak inside the "
                               "file's band: widen [band] in the setup file")

        def cross(j0, j1):  # linear interpolation of the half-power crossing between j0 and j1
            return f[j0] + (half - b2[j0]) * (f[j1] - f[j0]) / (b2[j1] - b2[j0])

        return float(b2[i]), float(f[i]), float(cross(hi, hi + 1) - cross(lo - 1, lo))


# ------------------------------------------------------------------------------------------ rates
def axion_q() -> float:
    """Effective axion quality factor ``Q_a`` of the standard halo (v_lab = 232 km/s): 6.78e5."""
    return float(shm_q_eff(1e9))


def cavity_scan_rate(g: ArrayLike, volume: ArrayLike, form_factor: ArrayLike, q_loaded: ArrayLike,
                     coupling: float, t_sys: float, b_field: float, f: ArrayLike, *, snr: float, rho: float,
                     units: int = 1, q_a: float | None = None) -> np.ndarray:
    """``dnu/dt = units (pi/4) (Q_a/Q_L) (P_a/(k T_sys))^2 / SNR^2`` [Hz/s] (physics.md §1.6).

    ``g`` in 1/J (the target coupling at each ``f``), ``rho`` in J/m^3. Valid for ``Q_L << Q_a``,
    amplifier noise dominating, continuous tuning; ``units`` equal cavities tuned together and combined
    incoherently multiply the rate.
    """
    qa = axion_q() if q_a is None else q_a
    p = sikivie_power(g, rho, b_field, volume, form_factor, q_loaded, coupling, f)
    return units * (np.pi / 4) * (qa / np.asarray(q_loaded)) * (p / (k_B * t_sys)) ** 2 / snr**2


def booster_scan_rate(g: ArrayLike, peak_boost: float, width: float, t_sys: float, area: float, b_field: float,
                      f: ArrayLike, *, snr: float, rho: float, q_a: float | None = None) -> np.ndarray:
    """Booster rate ``FWHM / dt_step`` [Hz/s], ``dt_step`` the Dicke time for ``g`` [1/J] at half the peak
    boost factor: ``dt = SNR^2 (k T_sys / P)^2 dnu_a``, ``P = (beta^2_peak/2) A g^2 B^2 rho hbar c^4/(mu0 w^2)``."""
    from emboost.core.axion import mirror_power_per_area

    qa = axion_q() if q_a is None else q_a
    f = np.asarray(f, dtype=float)
    p = 0.5 * peak_boost * area * mirror_power_per_area(g, b_field, rho, f)
    dt = snr**2 * (k_B * t_sys / p) ** 2 * f / qa
    return width / dt


def scan_time(f: ArrayLike, rate: ArrayLike) -> float:
    """``int df / rate`` [s] by the trapezoid rule on the grid ``f`` (one point: 0)."""
    f = np.asarray(f, dtype=float)
    r = np.asarray(rate, dtype=float)
    if f.size < 2:
        return 0.0
    return float(np.trapezoid(1.0 / r, f))


# ------------------------------------------------------------------------------------------ haloscopes
@dataclass(frozen=True)
class Haloscope:
    """A haloscope in a magnet and its run parameters (SI): ``detector`` (:class:`TM010Cavity`,
    :class:`RadesChain` or :class:`BoosterInMagnet`), ``b_field`` [T], ``band`` [Hz], ``points`` of the
    reach grid, ``t_sys`` [K], port ``coupling`` beta (cavities), ``time_per_step`` [s], ``snr``, ``rho``
    [J/m^3], ``target`` ("ksvz", "dfsz" or a coupling in 1/J), and for chains filling a bore the
    :class:`Packing` (else one unit)."""

    name: str
    kind: str
    detector: object
    magnet: Magnet
    b_field: float
    band: tuple[float, float]
    points: int
    t_sys: float
    time_per_step: float
    snr: float
    rho: float
    target: str | float
    coupling: float = 1.0
    packing: Packing | None = None
    notes: tuple[str, ...] = ()

    @property
    def units(self) -> int:
        return 1 if self.packing is None else self.packing.units

    def grid(self) -> np.ndarray:
        f1, f2 = self.band
        return np.array([f1]) if f2 == f1 else np.linspace(f1, f2, self.points)


@dataclass(frozen=True)
class ReachResult:
    """Reach of one haloscope: on ``frequency`` (nf,) [Hz] the combined ``g_reach`` and per-unit
    ``g_unit`` [GeV^-1] for ``time_per_step``, the target coupling ``g_target`` [GeV^-1], the scan
    ``rate`` [Hz/s] at the target, cavity figures (NaN for a booster), ``boost_factor`` (NaN for
    cavities), and the ``scan_seconds`` over the band. ``reach_frequency``/``reach_g`` is the curve
    drawn (for a booster: its response on the setup file's band)."""

    haloscope: Haloscope
    frequency: np.ndarray
    g_reach: np.ndarray
    g_unit: np.ndarray
    g_target: np.ndarray
    rate: np.ndarray
    volume: np.ndarray
    form_factor: np.ndarray
    q0: np.ndarray
    q_loaded: np.ndarray
    boost_factor: np.ndarray
    scan_seconds: float
    extra: dict = field(default_factory=dict)


def evaluate(h: Haloscope) -> ReachResult:
    """Reach g(f) at ``h.time_per_step`` and the scan rate and time over ``h.band`` at the target."""
    f = h.grid()
    g_target = coupling_function(h.target)(f)  # 1/J
    nan = np.full(f.shape, np.nan)
    if isinstance(h.detector, BoosterInMagnet):
        bm = h.detector
        peak, f_peak, width = bm.half_power_width()
        area = bm.setup.area
        fb, b2 = bm.boost_curve()
        g_curve = booster_coupling_reach(b2, h.t_sys, area, h.b_field, fb, h.time_per_step, snr=h.snr, rho=h.rho)
        rate = booster_scan_rate(g_target, peak, width, h.t_sys, area, h.b_field, f, snr=h.snr, rho=h.rho)
        gt_b = coupling_function(h.target)(fb)
        rate_b = booster_scan_rate(gt_b, peak, width, h.t_sys, area, h.b_field, fb, snr=h.snr, rho=h.rho)
        nb = np.full(fb.shape, np.nan)
        extra = {"peak_boost_factor": peak, "peak_frequency_hz": f_peak, "fwhm_hz": width, "area_m2": area,
                 "band_frequency_hz": f, "band_rate_hz_per_s": rate}
        return ReachResult(h, fb, g_curve, g_curve, gt_b * GeV, rate_b, nb, nb, nb, nb, b2, scan_time(f, rate), extra)
    fig = h.detector.figures(f, h.coupling)
    g1 = cavity_coupling_reach(fig.volume, fig.form_factor, fig.q_loaded, h.coupling, h.t_sys, h.b_field, f,
                               h.time_per_step, snr=h.snr, rho=h.rho)
    g = g1 * float(h.units) ** -0.25  # incoherent combination: g^-4 = sum over units
    rate = cavity_scan_rate(g_target, fig.volume, fig.form_factor, fig.q_loaded, h.coupling, h.t_sys, h.b_field, f,
                            snr=h.snr, rho=h.rho, units=h.units)
    extra = {}
    if isinstance(h.detector, TM010Cavity):
        extra = {"f0_hz": h.detector.f0, "radius_m": h.detector.radius, "length_m": h.detector.length,
                 "nearest_mode_hz": h.detector.nearest_mode_separation()}
    return ReachResult(h, f, g, g1, g_target * GeV, rate, fig.volume, fig.form_factor, fig.q0, fig.q_loaded, nan,
                       scan_time(f, rate), extra)


# ------------------------------------------------------------------------------------------ scenario files
@dataclass(frozen=True)
class ReachScenario:
    """A reach scenario file: its ``name``, the ``magnets`` catalogue and the ``haloscopes``."""

    name: str
    path: Path
    magnets_path: Path
    magnets: dict[str, Magnet]
    haloscopes: tuple[Haloscope, ...]
    inputs: tuple[Path, ...]


def _anomalous(t: Table, default: float | str) -> float | str:
    raw = t.raw("anomalous_factor", default)
    if raw == "cahill" or raw is default:
        return raw
    return float(t.quantity("anomalous_factor", "dimensionless", minimum=0.0, exclusive=True))


def _target(t: Table, default):
    raw = t.raw("target_coupling", default)
    if raw is default:
        return default
    if isinstance(raw, str) and raw.lower() in ("ksvz", "dfsz"):
        return raw.lower()
    return float(t.quantity("target_coupling", "coupling", minimum=0.0, exclusive=True))


def load_scenario(path: str | os.PathLike[str]) -> ReachScenario:
    """Read a reach scenario (TOML; format in docs/reach.md). Errors name the file and the key."""
    path = Path(path)
    top = Table(read_toml(path), path=path)
    sc = top.table("scenario")
    name = sc.string("name", path.stem)
    sc.string("description", "")
    mpath = path.parent / sc.string("magnets")
    if not mpath.is_file():
        raise sc.fail("magnets", f"magnet catalogue {str(mpath)!r} not found")
    magnets = load_magnets(mpath)
    defaults = {
        "time_per_step": sc.quantity("time_per_step", "time", None, minimum=0.0, exclusive=True),
        "snr": sc.quantity("snr", "dimensionless", None, minimum=0.0, exclusive=True),
        "dm_density": sc.quantity("dm_density", "energy_density", 0.45 * GEV_PER_CM3, minimum=0.0, exclusive=True),
        "target_coupling": _target(sc, "ksvz"),
    }
    sc.finish()
    inputs = [path, mpath]
    out = []
    for k, t in enumerate(top.tables("haloscope")):
        out.append(_haloscope(t, k, magnets, defaults, path, inputs))
    names = [h.name for h in out]
    if len(set(names)) != len(names):
        raise top.fail("haloscope", f"haloscope names must be unique, got {names}")
    top.finish()
    return ReachScenario(name, path, mpath, magnets, tuple(out), tuple(inputs))


def _band(t: Table) -> np.ndarray:
    """``band`` as two frequencies [Hz]; given in a frequency unit, or as axion masses in an energy unit."""
    raw = t.raw("band")
    unit = raw.get("unit") if isinstance(raw, dict) else None
    dim = "energy" if isinstance(unit, str) and unit.strip() in ("eV", "meV", "ueV", "µeV", "neV") else "frequency"
    q = np.atleast_1d(np.asarray(t.quantity("band", dim, minimum=0.0, exclusive=True), dtype=float))
    return q / h_planck if dim == "energy" else q


def _haloscope(t: Table, k: int, magnets: dict[str, Magnet], defaults: dict, path: Path, inputs: list) -> Haloscope:
    name = t.string("name")
    kind = t.string("kind", choices=("tm010", "rades_chain", "booster"))
    mname = t.string("magnet")
    if mname not in magnets:
        raise t.fail("magnet", f"unknown magnet {mname!r}; the catalogue has {sorted(magnets)}")
    magnet = magnets[mname]
    b_field = float(t.quantity("b_field", "magnetic_field", magnet.field, minimum=0.0, exclusive=True))
    band = _band(t)
    if band.shape != (2,) or band[1] < band[0]:
        raise t.fail("band", "expected { values = [f_low, f_high], unit = ... } with f_low <= f_high")
    points = int(t.number("points", 5, integer=True, minimum=1))
    t_sys = float(t.quantity("t_sys", "temperature", minimum=0.0, exclusive=True))
    per = {}
    for key, dim in (("time_per_step", "time"), ("snr", "dimensionless"), ("dm_density", "energy_density")):
        per[key] = t.quantity(key, dim, defaults[key], minimum=0.0, exclusive=True)
        if per[key] is None:
            raise t.fail(key, f"missing: give {key} here or in [scenario]")
    target = _target(t, defaults["target_coupling"])
    fill = t.string("fill", "single", choices=("single", "bore"))
    coupling = 1.0
    packing = None
    notes: list[str] = []
    try:
        if kind == "booster":
            coupling = float("nan")
            setup_path = path.parent / t.string("setup")
            if not setup_path.is_file():
                raise t.fail("setup", f"booster setup file {str(setup_path)!r} not found")
            setup = load_booster_setup(setup_path)
            inputs.append(setup_path)
            if fill != "single":
                raise t.fail("fill", "a booster is placed as one unit (fill = 'single')")
            det: object = BoosterInMagnet(setup, b_field)
            fc = setup.booster.cutoff_frequency
            if band[0] <= fc:
                raise t.fail("band", f"band starts at {band[0] / 1e9:.6g} GHz, at or below the TE11 cutoff "
                                     f"{fc / 1e9:.6g} GHz of the booster")
            if setup.area != setup.area:
                raise t.fail("setup", "an open booster (no [cylinder]) has no finite area for a reach")
            if setup.b_field is not None and setup.b_field != b_field:
                notes.append(f"setup file field {setup.b_field:g} T replaced by {b_field:g} T")
        else:
            coupling = float(t.quantity("coupling", "dimensionless", minimum=0.0, exclusive=True))
            if kind == "tm010":
                det = _tm010(t.table("cavity"), magnet, fill, band)
            else:
                det = _chain(t.table("chain"))
                if fill == "bore":
                    pk = t.table("packing")
                    wall = float(pk.quantity("wall", "length", minimum=0.0))
                    gap = float(pk.quantity("gap", "length", minimum=0.0))
                    bores = int(pk.number("bores", 1, integer=True, minimum=1))
                    if bores > magnet.bores:
                        raise pk.fail("bores", f"{magnet.name} has {magnet.bores} bore(s), asked to fill {bores}")
                    pk.finish()
                    packing = fill_bore(det, float(np.mean(band)), magnet, wall, gap, bores)
                if band[0] <= det.cutoff_frequency:
                    raise t.fail("band", f"band starts at {band[0] / 1e9:.6g} GHz, at or below the TE10 cutoff "
                                         f"{det.cutoff_frequency / 1e9:.6g} GHz of the chain (a = {det.a * 1e3:g} mm)")
    except EmboostError as exc:
        if isinstance(exc, SetupFileError):
            raise
        reason = getattr(exc, "reason", str(exc))
        raise SetupFileError(reason, path=path,
                             key=t.key("band") if isinstance(exc, PhysicsError) else t.prefix) from None
    t.finish()
    h = Haloscope(name=name, kind=kind, detector=det, magnet=magnet, b_field=b_field,
                  band=(float(band[0]), float(band[1])), points=points, t_sys=t_sys,
                  time_per_step=float(per["time_per_step"]), snr=float(per["snr"]), rho=float(per["dm_density"]),
                  target=target, coupling=coupling, packing=packing, notes=tuple(notes))
    if kind == "tm010":  # the band must lie inside the tuning range: check now, naming the key
        try:
            det.figures(h.grid(), coupling)
        except PhysicsError as exc:
            raise SetupFileError(f"band outside the cavity's range: {exc}", path=path, key=t.key("band")) from None
    if kind == "rades_chain":
        for fj in (band[0], band[1]):
            try:
                det.design(float(fj))
            except EmboostError as exc:
                raise SetupFileError(f"no chain design at the band edge: {exc}", path=path, key=t.key("band")) from None
    return h


def _tm010(t: Table, magnet: Magnet, fill: str, band: np.ndarray) -> TM010Cavity:
    if fill == "bore":
        wall = float(t.quantity("wall", "length", minimum=0.0))
        radius = magnet.bore_diameter / 2 - wall
        if radius <= 0:
            raise t.fail("wall", f"wall allowance {wall:g} m leaves no room in the {magnet.bore_diameter:g} m bore")
        length = float(t.quantity("length", "length", magnet.length, minimum=0.0, exclusive=True))
        if length > magnet.length:
            raise t.fail("length", f"{length:g} m is longer than the {magnet.name} field length {magnet.length:g} m")
    else:
        radius = float(t.quantity("radius", "length", minimum=0.0, exclusive=True))
        length = float(t.quantity("length", "length", minimum=0.0, exclusive=True))
        if 2 * radius > magnet.bore_diameter:
            raise t.fail("radius", f"a {2 * radius:g} m diameter cavity does not fit the {magnet.bore_diameter:g} m "
                                   f"bore of {magnet.name}")
    tuning = t.quantity("tuning", "dimensionless", (1.0, 1.0), minimum=0.0, exclusive=True)
    tuning = tuple(np.atleast_1d(np.asarray(tuning, dtype=float)).tolist())
    if len(tuning) != 2 or tuning[1] < tuning[0]:
        raise t.fail("tuning", "expected { values = [low, high], unit = \"1\" } as multiples of f0, low <= high")
    cav = TM010Cavity(radius=radius, length=length,
                      conductivity=float(t.quantity("conductivity", "conductivity", SIGMA_CU_RT, minimum=0.0,
                                                    exclusive=True)),
                      anomalous=_anomalous(t, "cahill"),
                      magnetoresistance=float(t.quantity("magnetoresistance", "dimensionless", 0.0, minimum=0.0,
                                                         maximum=0.99)),
                      tuning=tuning,
                      q_loaded=t.quantity("q_loaded", "dimensionless", None, minimum=0.0, exclusive=True))
    t.finish()
    return cav


def _chain(t: Table) -> RadesChain:
    ch = RadesChain(a=float(t.quantity("a", "length", minimum=0.0, exclusive=True)),
                    b=float(t.quantity("b", "length", minimum=0.0, exclusive=True)),
                    n_cavities=int(t.number("n_cavities", integer=True, minimum=1)),
                    iris_window=float(t.quantity("iris_window", "length", minimum=0.0, exclusive=True)),
                    conductivity=float(t.quantity("conductivity", "conductivity", SIGMA_CU_RT, minimum=0.0,
                                                  exclusive=True)),
                    anomalous=_anomalous(t, 4.0),
                    q_loaded=t.quantity("q_loaded", "dimensionless", None, minimum=0.0, exclusive=True))
    if ch.iris_window >= ch.a:
        raise t.fail("iris_window", f"window {ch.iris_window * 1e3:g} mm must be narrower than a = {ch.a * 1e3:g} mm")
    t.finish()
    return ch


def scan_years(result: ReachResult) -> float:
    """Scan time of a result in Julian years."""
    return result.scan_seconds / YEAR
