"""Transmission-line media: propagation constant and characteristic (wave) impedance vs frequency.

Every medium returns, for frequencies ``f`` of shape ``(nf,)`` and parameters that may carry a
batch shape ``(...)``, arrays of shape ``(..., nf)``:

* ``gamma = alpha + j beta`` [1/m], with ``alpha >= 0`` (exp(+jwt), waves ``exp(-gamma z)``);
* ``Z`` [ohm], the wave impedance of the mode (TE: ``j w mu0 / gamma``, with gamma including the
  wall loss, so that the TE relation Z gamma = j w mu0 holds exactly; TEM: ``sqrt(Z'/Y')``).

Below cutoff a waveguide section is evanescent: ``gamma`` is (nearly) real and ``Z`` imaginary;
the numbers stay finite (exactly at cutoff ``gamma`` is nudged by 1e-9 k0 so that Z is finite).

The wall-loss formulas are Pozar's perturbative ones (physics.md (2.3) for TE11, Pozar 3.96 for
TE10), valid for a propagating mode; an evanescent section gets no extra wall loss.

>>> import numpy as np
>>> te11 = CircularTE11(radius=0.1)
>>> round(te11.cutoff_frequency / 1e9, 6)
0.878492
>>> round(float(te11.impedance(np.array([19e9]))[0].real), 3)
377.134
>>> round(float(CircularTE11(0.1, eps_r=9.4).impedance(np.array([19e9]))[0].real), 3)
122.89
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emboost.core.constants import P11_PRIME, Z0, c, eps0, mu0
from emboost.core.conventions import ArrayLike, complex_permittivity
from emboost.rf.materials import surface_resistance
from emboost.rf.network import line_abcd

__all__ = [
    "CUTOFF_RELATIVE_MARGIN",
    "PlaneWave",
    "CircularTE11",
    "RectangularTE10",
    "Coax",
    "plane_wave_gamma_impedance",
    "te_gamma_impedance",
]

_NUDGE = 1e-9  # relative nudge of gamma at exact cutoff

#: Relative distance from a waveguide cutoff inside which a guided-mode solve is refused
#: (``f <= f_c (1 + CUTOFF_RELATIVE_MARGIN)``). Near cutoff ``beta = k_c sqrt(2 x)`` with
#: ``x = f / f_c - 1``, so the wave impedance ``~ 1/sqrt(x)`` and the phase of every section depend on
#: ``x``, whose absolute rounding error is ~1e-16 (the ulp of ``f`` and ``f_c``, and the cancellation
#: in ``k0^2 - kc^2``): at ``x = 1e-9`` ``beta`` and Z carry ~1e-7 relative error (9e-8 measured for
#: TE11), at ``x = 1e-15`` 10 %, at a few ulp nothing of the physics. 1e-9 is also far below any real
#: band edge (a 1e-9 fraction of 1 GHz is 1 Hz).
CUTOFF_RELATIVE_MARGIN = 1e-9


def _fb(x: ArrayLike) -> np.ndarray:
    """Append a frequency axis to a (batch-shaped) parameter."""
    return np.asarray(x)[..., None]


def _f(f: ArrayLike) -> np.ndarray:
    f = np.asarray(f, dtype=float)
    if f.ndim != 1:
        raise ValueError(f"frequencies must be a 1-D array of Hz, got shape {f.shape}")
    return f


def plane_wave_gamma_impedance(f: np.ndarray, eps_c: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``gamma`` and ``Z`` of a TEM plane wave in a medium of complex permittivity ``eps_c``.

    Pure broadcasting: the caller shapes ``f`` and ``eps_c``.
    """
    k0 = 2 * np.pi * f / c
    n = np.sqrt(np.asarray(eps_c, dtype=complex))  # Im(n) <= 0 for loss in exp(+jwt)
    return 1j * k0 * n, Z0 / n


def te_gamma_impedance(f: np.ndarray, eps_c: ArrayLike, kc: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``gamma = sqrt(kc^2 - eps_c k0^2)`` (Re >= 0) and TE wave impedance ``j w mu0 / gamma``.

    Pure broadcasting. At exact cutoff gamma is nudged so that Z stays finite.
    """
    k0 = 2 * np.pi * f / c
    g = np.sqrt(np.asarray(kc, dtype=float) ** 2 - np.asarray(eps_c, dtype=complex) * k0**2 + 0j)
    tiny = _NUDGE * k0
    g = np.where(np.abs(g) < tiny, tiny + 0j, g)
    return g, 1j * (2 * np.pi * f) * mu0 / g


class _Medium:
    """Shared behaviour: a line section of this medium as an ABCD matrix."""

    def gamma_impedance(self, f: ArrayLike) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def gamma(self, f: ArrayLike) -> np.ndarray:
        """Propagation constant ``alpha + j beta`` [1/m], shape ``(..., nf)``."""
        return self.gamma_impedance(f)[0]

    def impedance(self, f: ArrayLike) -> np.ndarray:
        """Characteristic (wave) impedance [ohm], shape ``(..., nf)``."""
        return self.gamma_impedance(f)[1]

    def attenuation(self, f: ArrayLike) -> np.ndarray:
        """Attenuation constant ``alpha = Re(gamma)`` [Np/m]."""
        return self.gamma(f).real

    def line(self, f: ArrayLike, length: ArrayLike) -> np.ndarray:
        """ABCD matrix of a section of ``length`` metres, shape ``(..., nf, 2, 2)``."""
        g, z = self.gamma_impedance(f)
        return line_abcd(g, z, _fb(length))


@dataclass(frozen=True)
class PlaneWave(_Medium):
    """A TEM plane wave in a homogeneous dielectric (the 1-D model of an open booster).

    Parameters: ``eps_r`` relative permittivity (real part), ``loss_tangent`` tan(delta).
    """

    eps_r: ArrayLike = 1.0
    loss_tangent: ArrayLike = 0.0

    def gamma_impedance(self, f: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        return plane_wave_gamma_impedance(_f(f), _fb(complex_permittivity(self.eps_r, self.loss_tangent)))


def te11_wall_attenuation(f: np.ndarray, radius: ArrayLike, eps_r: ArrayLike,
                          conductivity: ArrayLike) -> np.ndarray:
    """Conductor attenuation of TE11 in a circular guide, physics.md (2.3) [Np/m].

    ``alpha_c = R_s (kc^2 + eps k0^2 / (p'^2 - 1)) / (a k0 Z0 beta)`` for a propagating mode
    (``k eta = k0 Z0`` whatever the filling); zero for an evanescent one. Pure broadcasting.
    """
    k0 = 2 * np.pi * f / c
    a = np.asarray(radius, dtype=float)
    kc = P11_PRIME / a
    eps_r = np.asarray(eps_r, dtype=float)
    beta2 = eps_r * k0**2 - kc**2
    prop = beta2 > 0
    beta = np.sqrt(np.where(prop, beta2, 1.0))
    rs = surface_resistance(f, conductivity)
    alpha = rs * (kc**2 + eps_r * k0**2 / (P11_PRIME**2 - 1.0)) / (a * k0 * Z0 * beta)
    return np.where(prop, alpha, 0.0)


@dataclass(frozen=True)
class CircularTE11(_Medium):
    """The TE11 mode of a circular metal waveguide of ``radius`` a [m], physics.md (2.1)-(2.4).

    ``eps_r``, ``loss_tangent`` describe the filling; ``wall_conductivity`` [S/m] (None: perfect
    walls) adds the wall loss (2.3). The dielectric loss enters exactly through the complex
    permittivity inside gamma, which reduces to (2.4) for small tan(delta).
    """

    radius: ArrayLike
    eps_r: ArrayLike = 1.0
    loss_tangent: ArrayLike = 0.0
    wall_conductivity: ArrayLike | None = None

    @property
    def cutoff_wavenumber(self) -> np.ndarray | float:
        """``kc = p'11 / a`` [1/m]."""
        return P11_PRIME / np.asarray(self.radius, dtype=float)

    @property
    def cutoff_frequency(self) -> np.ndarray | float:
        """Cutoff frequency of the filled guide ``kc c / (2 pi sqrt(eps_r))`` [Hz]."""
        out = self.cutoff_wavenumber * c / (2 * np.pi * np.sqrt(np.asarray(self.eps_r, dtype=float)))
        return float(out) if np.ndim(out) == 0 else out

    def gamma_impedance(self, f: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        f = _f(f)
        eps_c = _fb(complex_permittivity(self.eps_r, self.loss_tangent))
        g, z = te_gamma_impedance(f, eps_c, _fb(self.cutoff_wavenumber))
        if self.wall_conductivity is not None:
            g = g + te11_wall_attenuation(f, _fb(self.radius), _fb(self.eps_r), _fb(self.wall_conductivity))
            z = 1j * (2 * np.pi * f) * mu0 / g  # TE wave impedance of the (slightly) lossy mode
        return g, z


@dataclass(frozen=True)
class RectangularTE10(_Medium):
    """The TE10 mode of a rectangular guide, broad side ``a``, narrow side ``b`` [m].

    Wall loss from ``wall_conductivity`` [S/m] or directly from ``surface_resistance`` [ohm]
    (e.g. a cryogenic value R_s,RT / r(f)), Pozar (3.96):
    ``alpha_c = R_s (2 b pi^2 + a^3 k^2) / (a^3 b beta k eta)``.
    """

    a: ArrayLike
    b: ArrayLike
    eps_r: ArrayLike = 1.0
    loss_tangent: ArrayLike = 0.0
    wall_conductivity: ArrayLike | None = None
    surface_resistance: ArrayLike | None = None

    @property
    def cutoff_frequency(self) -> np.ndarray | float:
        """TE10 cutoff ``c / (2 a sqrt(eps_r))`` [Hz]."""
        out = c / (2 * np.asarray(self.a, dtype=float) * np.sqrt(np.asarray(self.eps_r, dtype=float)))
        return float(out) if np.ndim(out) == 0 else out

    def _rs(self, f: np.ndarray) -> np.ndarray | None:
        if self.surface_resistance is not None:
            return np.broadcast_to(_fb(self.surface_resistance), np.broadcast_shapes(
                np.shape(_fb(self.surface_resistance)), f.shape)).astype(float)
        if self.wall_conductivity is not None:
            return surface_resistance(f, _fb(self.wall_conductivity))
        return None

    def gamma_impedance(self, f: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        f = _f(f)
        a = _fb(np.asarray(self.a, dtype=float))
        b = _fb(np.asarray(self.b, dtype=float))
        eps_r = _fb(np.asarray(self.eps_r, dtype=float))
        eps_c = _fb(complex_permittivity(self.eps_r, self.loss_tangent))
        g, z = te_gamma_impedance(f, eps_c, np.pi / a)
        rs = self._rs(f)
        if rs is not None:
            k0 = 2 * np.pi * f / c
            k2 = eps_r * k0**2
            beta2 = k2 - (np.pi / a) ** 2
            prop = beta2 > 0
            beta = np.sqrt(np.where(prop, beta2, 1.0))
            alpha = rs * (2 * b * np.pi**2 + a**3 * k2) / (a**3 * b * beta * k0 * Z0)
            g = g + np.where(prop, alpha, 0.0)
            z = 1j * (2 * np.pi * f) * mu0 / g
        return g, z


@dataclass(frozen=True)
class Coax(_Medium):
    """TEM mode of a coaxial line with inner radius ``r_inner`` and outer radius ``r_outer`` [m].

    Distributed parameters: ``L' = mu0 ln(b/a) / 2pi``, ``C' = 2 pi eps0 eps_r / ln(b/a)``,
    ``G' = w C' tan(delta)``, ``R' = R_s (1/a + 1/b) / 2pi`` with ``R_s`` from ``conductivity``
    [S/m] or given directly as ``surface_resistance`` [ohm] (scalar or callable of f).
    ``gamma = sqrt((R' + j w L')(G' + j w C'))``, ``Z = sqrt((R' + j w L') / (G' + j w C'))``.

    >>> round(float(Coax(0.20, 0.45).characteristic_impedance), 2)
    48.62
    """

    r_inner: ArrayLike
    r_outer: ArrayLike
    eps_r: ArrayLike = 1.0
    loss_tangent: ArrayLike = 0.0
    conductivity: ArrayLike | None = None
    surface_resistance: ArrayLike | None = None

    def __post_init__(self) -> None:
        if np.any(np.asarray(self.r_inner) <= 0) or np.any(np.asarray(self.r_outer) <= np.asarray(self.r_inner)):
            raise ValueError("a coax needs 0 < r_inner < r_outer")

    @property
    def log_ratio(self) -> np.ndarray:
        return np.log(np.asarray(self.r_outer, dtype=float) / np.asarray(self.r_inner, dtype=float))

    @property
    def inductance_per_length(self) -> np.ndarray:
        """``L'`` [H/m]."""
        return mu0 * self.log_ratio / (2 * np.pi)

    @property
    def capacitance_per_length(self) -> np.ndarray:
        """``C'`` [F/m]."""
        return 2 * np.pi * eps0 * np.asarray(self.eps_r, dtype=float) / self.log_ratio

    @property
    def characteristic_impedance(self) -> np.ndarray:
        """Lossless ``Z_c = sqrt(L'/C') = (Z0 / 2 pi sqrt(eps_r)) ln(b/a)`` [ohm]."""
        return np.sqrt(self.inductance_per_length / self.capacitance_per_length)

    def resistance_per_length(self, f: ArrayLike) -> np.ndarray:
        """``R'(f)`` [ohm/m], shape ``(..., nf)``."""
        f = _f(f)
        if self.surface_resistance is not None:
            rs = self.surface_resistance(f) if callable(self.surface_resistance) else _fb(self.surface_resistance)
        elif self.conductivity is not None:
            rs = surface_resistance(f, _fb(self.conductivity))
        else:
            return np.zeros(np.broadcast_shapes(np.shape(_fb(self.r_inner)), f.shape))
        a = _fb(np.asarray(self.r_inner, dtype=float))
        b = _fb(np.asarray(self.r_outer, dtype=float))
        return rs * (1 / a + 1 / b) / (2 * np.pi)

    def gamma_impedance(self, f: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        f = _f(f)
        w = 2 * np.pi * f
        zs = self.resistance_per_length(f) + 1j * w * _fb(self.inductance_per_length)
        cp = _fb(self.capacitance_per_length)
        yp = w * cp * _fb(np.asarray(self.loss_tangent, dtype=float)) + 1j * w * cp
        return np.sqrt(zs * yp), np.sqrt(zs / yp)
