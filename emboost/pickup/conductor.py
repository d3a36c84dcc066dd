"""A normal-metal conductor for the pickup walls: resistivity from RRR and temperature, magnetoresistance from
Kohler's rule, and the anomalous skin effect in the Reuter-Sondheimer form.

* **Resistivity** (Matthiessen's rule): ``rho(T, B) = [rho_0 + rho_ph(T)] (1 + kohler(B))``. The residual
  ``rho_0 = rho_rt / RRR`` (RRR taken as rho(T_rt) / rho_0; the phonon part at 4 K is ~1e-6 of rho_0 for
  RRR <= 1000 and is neglected in this definition); the phonon part is the Bloch-Grueneisen form
  ``rho_ph(T) = A (T/theta)^5 J5(theta/T)``, ``J5(x) = int_0^x t^5 / ((e^t - 1)(1 - e^-t)) dt``, with ``A``
  fixed by ``rho_0 + rho_ph(T_rt) = rho_rt`` and ``theta`` the Debye temperature (343 K for copper).
* **Magnetoresistance** (Kohler's rule, a power law): ``d rho / rho = a (B S)^n`` with ``S = rho_rt / rho(T)``
  (the RRR at low temperature); ``a`` and ``n`` are inputs; 0 at B = 0.
* **Mean free path** ``l = (rho l) / rho`` with the Fermi-surface constant ``rho l`` (6.6e-16 ohm m^2 for copper).
* **Anomalous skin effect** (Reuter & Sondheimer 1948): the non-local conductivity of a free-electron metal,
  ``sigma(k) = sigma_0 K(k l)``, ``K(x) = 3 / (2 x^3) [(1 + x^2) arctan x - x]`` (``omega tau << 1`` assumed:
  ``tau ~ 1e-11 s`` at RRR 100, ``omega tau < 0.02`` below 200 MHz), and the surface impedance for
  specular reflection ``Z = (2 j w mu0 / pi) int_0^inf dk / (k^2 + j w mu0 sigma(k))`` or for diffuse
  reflection ``Z = j pi w mu0 / int_0^inf ln(1 + j w mu0 sigma(k) / k^2) dk``. Both reduce to the classical
  ``(1 + j) sqrt(w mu0 / 2 sigma)`` for ``l << delta`` and to Pippard's extreme anomalous limit
  ``R_s ~ (rho l)^(1/3) w^(2/3)``, independent of the purity, for ``l >> delta`` (diffuse 9/8 of specular).
  The ratio ``Z / Z_classical`` depends only on ``alpha = l / delta`` and is tabulated once
  (:func:`ase_ratio`).
* **Roughness** (Hammerstad-Jensen): ``R_s`` times ``1 + (2/pi) arctan(1.4 (h / d)^2)``, ``h`` the rms
  roughness and ``d = 2 R_s / (w mu0)`` the depth that carries the current.

:class:`Conductor` has ``surface_resistance(f)`` and ``improvement(f)`` (room-temperature classical
``R_s`` over this one), as :class:`emboost.pickup.coax.CopperModel` has, so a coax takes either.

>>> cu = Conductor(rrr=100, temperature=0.02, b_field=0.0)
>>> round(cu.resistivity() * 1e10, 3), round(cu.mean_free_path() * 1e6, 2)
(1.724, 3.83)
>>> round(float(cu.improvement(30e6)), 2)     # R_s(room temperature) / R_s
8.5
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import integrate
from scipy.interpolate import CubicSpline

from emboost.core.constants import mu0
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError

__all__ = ["Conductor", "ase_ratio", "bloch_gruneisen", "kohler", "REFLECTIONS"]

REFLECTIONS = ("diffuse", "specular")

#: copper at room temperature [ohm m] (annealed copper standard, 1/5.8e7)
RHO_CU_RT = 1.0 / 5.8e7


def bloch_gruneisen(t: ArrayLike, theta: float) -> np.ndarray:
    """``(T/theta)^5 J5(theta/T)`` (dimensionless; ``A`` times this is the phonon resistivity).

    High-temperature limit ``T/(4 theta)``; low-temperature limit ``124.4 (T/theta)^5``.

    >>> round(float(bloch_gruneisen(1e4, 343.0)) / (1e4 / (4 * 343.0)), 4)
    0.9999
    """
    ta = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.zeros(ta.shape)
    for i, ti in enumerate(ta):
        if ti <= 0:
            continue
        x = theta / ti
        j5, _ = integrate.quad(lambda u: u**5 * np.exp(-u) / np.expm1(-u) ** 2 if u > 0 else 0.0, 0.0, x,
                               epsabs=0, epsrel=1e-10, limit=200)
        out[i] = (ti / theta) ** 5 * j5
    return out if np.ndim(t) else out.reshape(())


def kohler(b_field: ArrayLike, ratio: ArrayLike, coefficient: float, exponent: float) -> np.ndarray:
    """Kohler's rule as a power law: ``d rho / rho = coefficient (B ratio)^exponent``, ``B`` [T], ``ratio``
    = rho_rt / rho(T) (0 at B = 0)."""
    x = np.abs(np.asarray(b_field, dtype=float)) * np.asarray(ratio, dtype=float)
    return coefficient * x**exponent


def _kernel(x: np.ndarray) -> np.ndarray:
    """``K(x) = 3 / (2 x^3) [(1 + x^2) arctan x - x]``, series below x = 1e-2."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-2
    xs = np.where(small, 1.0, x)
    full = 3.0 / (2 * xs**3) * ((1 + xs**2) * np.arctan(xs) - xs)
    return np.where(small, 1 - x**2 / 5 + 3 * x**4 / 35, full)


_Q = np.geomspace(1e-8, 1e5, 12001)  # wavenumber in units of 1/delta


def _ratio_direct(alpha: float, reflection: str) -> complex:
    k = _kernel(_Q * alpha)
    s = np.log(_Q)
    if reflection == "specular":
        val = np.trapezoid(_Q / (_Q**2 + 2j * k), s)
        return complex(4j / (np.pi * (1 + 1j)) * val)
    val = np.trapezoid(_Q * np.log1p(2j * k / _Q**2), s)
    return complex(2j * np.pi / ((1 + 1j) * val))


@functools.lru_cache(maxsize=4)
def _table(reflection: str) -> tuple[CubicSpline, CubicSpline]:
    la = np.linspace(-4.0, 7.0, 221)
    z = np.array([_ratio_direct(10.0**a, reflection) for a in la])
    return CubicSpline(la, z.real), CubicSpline(la, z.imag)


def ase_ratio(alpha: ArrayLike, reflection: str = "diffuse") -> np.ndarray:
    """``Z / Z_classical`` (complex) of the anomalous skin effect against ``alpha = l / delta`` (tabulated in
    log10 alpha on [-4, 7], spline; 1 below, :class:`InputError` above). Above 1: for a long mean free path
    the surface resistance stays above the classical value at the same rho, which falls without bound.

    >>> [round(float(ase_ratio(a).real), 3) for a in (1e-4, 1.0, 100.0)]
    [1.0, 1.163, 3.442]
    """
    if reflection not in REFLECTIONS:
        raise InputError(f"reflection must be one of {list(REFLECTIONS)}, got {reflection!r}")
    a = np.asarray(alpha, dtype=float)
    if np.any(a > 1e7):
        raise InputError(f"l/delta = {float(np.max(a)):.3g} is beyond the tabulated 1e7")
    la = np.log10(np.maximum(a, 1e-4))
    re, im = _table(reflection)
    return re(la) + 1j * im(la)


@dataclass(frozen=True)
class Conductor:
    """A normal metal (copper by default numbers; see the module docstring for the physics).

    ``rrr`` residual resistance ratio, ``temperature`` [K] of the walls, ``b_field`` [T] they sit in,
    ``resistivity_rt`` [ohm m] at ``t_rt`` [K], ``debye_temperature`` [K], ``rho_l`` [ohm m^2],
    ``reflection`` ("diffuse" or "specular"), Kohler ``kohler_coefficient`` and ``kohler_exponent``,
    ``roughness`` [m] (rms). ``name`` labels it.
    """

    rrr: float
    temperature: float
    b_field: float
    resistivity_rt: float = RHO_CU_RT
    t_rt: float = 293.0
    debye_temperature: float = 343.0
    rho_l: float = 6.6e-16
    reflection: str = "diffuse"
    kohler_coefficient: float = 0.0
    kohler_exponent: float = 1.0
    roughness: float = 0.0
    name: str = "copper"

    def __post_init__(self) -> None:
        if not (self.rrr >= 1 and self.temperature >= 0 and self.b_field >= 0 and self.resistivity_rt > 0
                and self.t_rt > 0 and self.debye_temperature > 0 and self.rho_l > 0 and self.roughness >= 0
                and self.kohler_coefficient >= 0 and self.kohler_exponent > 0):
            raise InputError(f"conductor {self.name!r}: need rrr >= 1, temperature, b_field, roughness, "
                             "kohler_coefficient >= 0 and positive resistivity, t_rt, debye_temperature, rho_l, "
                             "kohler_exponent")
        if self.reflection not in REFLECTIONS:
            raise InputError(f"conductor {self.name!r}: reflection must be one of {list(REFLECTIONS)}")

    @property
    def residual_resistivity(self) -> float:
        """``rho_0 = rho_rt / RRR`` [ohm m]."""
        return self.resistivity_rt / self.rrr

    def _bg_scale(self) -> float:
        return (self.resistivity_rt - self.residual_resistivity) / float(
            bloch_gruneisen(self.t_rt, self.debye_temperature))

    def resistivity_zero_field(self, temperature: float | None = None) -> float:
        """``rho_0 + rho_ph(T)`` [ohm m] at ``temperature`` (default the conductor's), B = 0."""
        t = self.temperature if temperature is None else temperature
        return self.residual_resistivity + self._bg_scale() * float(bloch_gruneisen(t, self.debye_temperature))

    def magnetoresistance(self, b_field: float | None = None, temperature: float | None = None) -> float:
        """Kohler ``d rho / rho`` at ``b_field`` [T] (default the conductor's)."""
        b = self.b_field if b_field is None else b_field
        r0 = self.resistivity_zero_field(temperature)
        return float(kohler(b, self.resistivity_rt / r0, self.kohler_coefficient, self.kohler_exponent))

    def resistivity(self, temperature: float | None = None, b_field: float | None = None) -> float:
        """``rho(T, B)`` [ohm m]."""
        return self.resistivity_zero_field(temperature) * (1 + self.magnetoresistance(b_field, temperature))

    def mean_free_path(self, temperature: float | None = None, b_field: float | None = None) -> float:
        """``l = (rho l) / rho`` [m]."""
        return self.rho_l / self.resistivity(temperature, b_field)

    def skin_depth(self, f: ArrayLike) -> np.ndarray:
        """Classical ``delta = sqrt(2 rho / (w mu0))`` [m] at the conductor's rho."""
        return np.sqrt(2 * self.resistivity() / (2 * np.pi * np.asarray(f, dtype=float) * mu0))

    def smooth_surface_impedance(self, f: ArrayLike) -> np.ndarray:
        """``Z_s(f)`` [ohm] with the anomalous skin effect, smooth walls."""
        fa = np.asarray(f, dtype=float)
        rho = self.resistivity()
        delta = self.skin_depth(fa)
        z_cl = (1 + 1j) * rho / delta
        return z_cl * ase_ratio(self.mean_free_path() / delta, self.reflection)

    def roughness_factor(self, f: ArrayLike) -> np.ndarray:
        """Hammerstad-Jensen ``1 + (2/pi) arctan(1.4 (h/d)^2)`` (1 for smooth walls)."""
        fa = np.asarray(f, dtype=float)
        if self.roughness == 0:
            return np.ones(fa.shape)
        depth = 2 * self.smooth_surface_impedance(fa).real / (2 * np.pi * fa * mu0)
        return 1 + 2 / np.pi * np.arctan(1.4 * (self.roughness / depth) ** 2)

    def surface_impedance(self, f: ArrayLike) -> np.ndarray:
        """``Z_s(f)`` [ohm] of the walls: the smooth anomalous-skin value times the roughness factor (applied to
        R and X alike)."""
        return self.smooth_surface_impedance(f) * self.roughness_factor(f)

    def surface_resistance(self, f: ArrayLike) -> np.ndarray:
        """``R_s(f) = Re Z_s`` [ohm], roughness included."""
        return self.surface_impedance(f).real

    def improvement(self, f: ArrayLike) -> np.ndarray:
        """``R_s,RT / R_s``: the classical room-temperature value over this one."""
        fa = np.asarray(f, dtype=float)
        rs_rt = np.sqrt(2 * np.pi * fa * mu0 * self.resistivity_rt / 2)
        return rs_rt / self.surface_resistance(fa)
