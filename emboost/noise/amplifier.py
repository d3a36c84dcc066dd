"""Low-noise amplifier (LNA) model and system temperature of a device read out by it.

The LNA is a noiseless one-port of input reflection ``Gamma_L`` (measured, from a Touchstone
file) preceded by two correlated noise sources at its input (chain representation, physics.md
§2.6): a series voltage ``v_n`` and a shunt current ``i_n`` with one-sided spectral densities
``S_v`` [V^2/Hz], ``S_i`` [A^2/Hz] and correlation ``rho = <v_n i_n*> / sqrt(S_v S_i)``. The four
fit parameters are ``sqrt(S_v)``, ``sqrt(S_i)``, ``|rho|`` and ``arg(rho)``.

The system temperature ``T_sys`` is the noise power delivered to the LNA one-port, as a temperature
(the convention of the power calibration, physics.md (A.8)): the device one-port, an optional line,
and the noise sources are connected with :mod:`emboost.noise.network` and the power into ``Gamma_L`` is
read out. It equals physics.md's closed form

``T_sys = [4 k T Re Z_s + S_v + |Z_s|^2 S_i + 2 sqrt(S_v S_i) Re(rho* Z_s)] Re Z_L / (k |Z_s + Z_L|^2)``

for a passive source at uniform temperature (tested). Conversions to and from the IEEE noise
parameters (``T_min``, ``R_n``, ``Gamma_opt``) use ``T_0 = 290 K`` as the normalisation of ``R_n``.

>>> src = NoiseSources(371e-12, 7.4e-12, 0.0, 0.0)          # physics.md §2.6 check values
>>> round(float(src.noise_temperature(50.0)), 2)            # T_e with a 50 ohm source
99.42
>>> import numpy as np
>>> f = np.array([19e9])
>>> round(float(system_temperature(f, 0.0, 290.0, src, 0.0)[0]), 2)   # matched load at 290 K
389.42
>>> round(float(system_temperature(f, -1.0, 290.0, src, 0.0)[0]), 1)  # a short at the LNA plane
199.4
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emboost.core.constants import T0_IEEE, k_B
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError, PhysicsError
from emboost.noise.network import (
    NoisyNetwork,
    Occupation,
    delivered_temperature,
    line_two_port,
    noise_temperature,
    one_port,
    terminate,
)

__all__ = ["NoiseSources", "NoiseParameters", "LNA", "noise_adapter", "system_temperature"]


def _arr(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


@dataclass(frozen=True)
class NoiseSources:
    """Correlated input noise sources of an amplifier (chain representation).

    Parameters (each may be an array with a batch shape)
    ----------
    sqrt_sv:
        ``sqrt(S_v)`` [V/sqrt(Hz)], series noise voltage density.
    sqrt_si:
        ``sqrt(S_i)`` [A/sqrt(Hz)], shunt noise current density.
    rho_mag, rho_phase:
        ``|rho|`` (0..1) and ``arg(rho)`` [rad] of ``rho = <v i*> / sqrt(S_v S_i)``.
    """

    sqrt_sv: ArrayLike
    sqrt_si: ArrayLike
    rho_mag: ArrayLike = 0.0
    rho_phase: ArrayLike = 0.0

    def __post_init__(self) -> None:
        if np.any(_arr(self.sqrt_sv) < 0) or np.any(_arr(self.sqrt_si) < 0):
            raise InputError("sqrt_sv and sqrt_si must be >= 0")
        m = _arr(self.rho_mag)
        if np.any(m < 0) or np.any(m > 1):
            raise InputError(f"|rho| must lie in [0, 1], got {self.rho_mag}")

    @property
    def sv(self) -> np.ndarray:
        """``S_v`` [V^2/Hz]."""
        return _arr(self.sqrt_sv) ** 2

    @property
    def si(self) -> np.ndarray:
        """``S_i`` [A^2/Hz]."""
        return _arr(self.sqrt_si) ** 2

    @property
    def rho(self) -> np.ndarray:
        """Complex correlation coefficient ``rho``."""
        return _arr(self.rho_mag) * np.exp(1j * _arr(self.rho_phase))

    @property
    def cross(self) -> np.ndarray:
        """``<v i*> = rho sqrt(S_v S_i)`` [W/Hz]."""
        return self.rho * _arr(self.sqrt_sv) * _arr(self.sqrt_si)

    def chain_correlation(self) -> np.ndarray:
        """``[[S_v, <v i*>], [<i v*>, S_i]]``, shape ``(..., 2, 2)``."""
        sv, si, c = np.broadcast_arrays(self.sv + 0j, self.si + 0j, self.cross)
        return np.stack([np.stack([sv, c], -1), np.stack([np.conj(c), si], -1)], -2)

    def noise_temperature(self, z_source: ArrayLike) -> np.ndarray:
        """Equivalent input noise temperature ``T_e(Z_s)`` [K] for a source impedance [ohm].

        ``[S_v + |Z_s|^2 S_i + 2 Re(<v i*>* Z_s)] / (4 k Re Z_s)`` (physics.md §2.6).
        """
        z = np.asarray(z_source, dtype=complex)
        num = self.sv + np.abs(z) ** 2 * self.si + 2 * np.real(np.conj(self.cross) * z)
        return num / (4 * k_B * z.real)

    def to_parameters(self, z0: float = 50.0) -> NoiseParameters:
        """IEEE noise parameters (``T_min``, ``R_n``, ``Gamma_opt``) referred to ``z0``."""
        sv, si, c = self.sv, self.si, self.cross
        if np.any(sv <= 0):
            raise PhysicsError("noise parameters need S_v > 0")
        r_n = sv / (4 * k_B * T0_IEEE)
        y_c = np.conj(c) / sv
        g_u = (si - np.abs(c) ** 2 / sv) / (4 * k_B * T0_IEEE)
        g_opt = np.sqrt(np.maximum(g_u / r_n + y_c.real**2, 0.0))
        y_opt = g_opt - 1j * y_c.imag
        t_min = 2 * T0_IEEE * r_n * (g_opt + y_c.real)
        gamma_opt = (1 - z0 * y_opt) / (1 + z0 * y_opt)
        return NoiseParameters(t_min=t_min, r_n=r_n, gamma_opt=gamma_opt, z0=z0)

    @classmethod
    def from_parameters(cls, p: NoiseParameters) -> NoiseSources:
        """The sources of IEEE noise parameters (inverse of :meth:`to_parameters`)."""
        return p.to_sources()


@dataclass(frozen=True)
class NoiseParameters:
    """IEEE noise parameters: ``t_min`` [K], ``r_n`` [ohm], ``gamma_opt`` (vs ``z0`` [ohm]).

    >>> p = NoiseParameters(t_min=10.0, r_n=5.0, gamma_opt=0.3 * np.exp(0.5j))
    >>> q = p.to_sources().to_parameters()
    >>> bool(np.allclose([q.t_min, q.r_n, q.gamma_opt], [10.0, 5.0, 0.3 * np.exp(0.5j)]))
    True
    """

    t_min: ArrayLike
    r_n: ArrayLike
    gamma_opt: ArrayLike
    z0: float = 50.0

    @property
    def y_opt(self) -> np.ndarray:
        """Optimum source admittance [S]."""
        g = np.asarray(self.gamma_opt, dtype=complex)
        return (1 - g) / (self.z0 * (1 + g))

    @property
    def f_min_db(self) -> np.ndarray:
        """Minimum noise figure [dB]."""
        return 10 * np.log10(1 + _arr(self.t_min) / T0_IEEE)

    def noise_temperature(self, gamma_source: ArrayLike) -> np.ndarray:
        """``T_e = T_min + T_0 R_n |Y_s - Y_opt|^2 / G_s`` [K] for a source reflection."""
        gs = np.asarray(gamma_source, dtype=complex)
        ys = (1 - gs) / (self.z0 * (1 + gs))
        return _arr(self.t_min) + T0_IEEE * _arr(self.r_n) * np.abs(ys - self.y_opt) ** 2 / ys.real

    def to_sources(self) -> NoiseSources:
        """Correlated sources (``sqrt(S_v)``, ``sqrt(S_i)``, ``|rho|``, ``arg rho``)."""
        y_opt = self.y_opt
        r_n = _arr(self.r_n)
        if np.any(r_n <= 0):
            raise PhysicsError("R_n must be > 0")
        sv = 4 * k_B * T0_IEEE * r_n
        g_c = _arr(self.t_min) / (2 * T0_IEEE * r_n) - y_opt.real
        y_c = g_c - 1j * y_opt.imag
        g_u = r_n * (y_opt.real**2 - g_c**2)
        if np.any(g_u < -1e-12 * np.abs(y_opt) ** 2 * r_n):
            raise PhysicsError("these noise parameters need |rho| > 1 (T_min too large for R_n and Gamma_opt)")
        si = 4 * k_B * T0_IEEE * np.maximum(g_u, 0.0) + np.abs(y_c) ** 2 * sv
        cross = np.conj(y_c) * sv
        rho = cross / np.sqrt(sv * si)
        return NoiseSources(np.sqrt(sv), np.sqrt(si), np.minimum(np.abs(rho), 1.0), np.angle(rho))


def noise_adapter(sources: NoiseSources, f: ArrayLike, z0: float = 50.0) -> NoisyNetwork:
    """The noise sources as a noisy thru two-port (port 1: source side, port 2: LNA side).

    With no incident waves the sources emit ``b1 = (v - Z0 i) / (2 sqrt Z0)`` and
    ``b2 = -(v + Z0 i) / (2 sqrt Z0)``; ``C = T C_A T^H / k_B`` [K]. Shape ``(..., nf, 2, 2)``.
    """
    nf = np.asarray(f).shape[-1]
    sv, si, c = sources.sv[..., None], sources.si[..., None], sources.cross[..., None]
    den = 4 * z0 * k_B
    c11 = (sv + z0**2 * si - 2 * z0 * c.real) / den
    c22 = (sv + z0**2 * si + 2 * z0 * c.real) / den
    c12 = (-sv + z0**2 * si - 2j * z0 * c.imag) / den
    shape = np.broadcast_shapes(np.shape(c11)[:-1] + (nf,))
    cm = np.empty(shape + (2, 2), dtype=complex)
    cm[..., 0, 0] = c11
    cm[..., 1, 1] = c22
    cm[..., 0, 1] = c12
    cm[..., 1, 0] = np.conj(c12)
    s = np.zeros(shape + (2, 2), dtype=complex)
    s[..., 0, 1] = 1.0
    s[..., 1, 0] = 1.0
    return NoisyNetwork(s, cm)


def system_temperature(f: ArrayLike, gamma_device: ArrayLike, t_device: ArrayLike, sources: NoiseSources,
                       gamma_lna: ArrayLike, delay: ArrayLike = 0.0, line_loss_db: ArrayLike = 0.0,
                       t_line: ArrayLike | None = None, occupation: Occupation = "rayleigh_jeans",
                       z0: float = 50.0) -> np.ndarray:
    """System temperature [K] of a passive device read out by the LNA through a line.

    Parameters
    ----------
    f:
        Frequencies [Hz], ``(nf,)``.
    gamma_device:
        Device reflection at its port, broadcastable to ``(..., nf)``.
    t_device:
        Physical temperature of the device [K] (uniform: Bosma, emission ``T (1 - |Gamma|^2)``).
    sources:
        LNA input noise sources (may carry a batch shape ``(...)``).
    gamma_lna:
        LNA input reflection, broadcastable to ``(..., nf)``.
    delay, line_loss_db, t_line:
        One-way delay [s], loss [dB] and physical temperature [K] of the line between device and
        LNA (batch-shaped parameters; ``t_line`` defaults to ``t_device``).
    occupation:
        ``"rayleigh_jeans"`` or ``"quantum"`` for the thermal noise of device and line.
    """
    f = np.asarray(f, dtype=float)
    g = np.asarray(gamma_device, dtype=complex)
    t_dev = _arr(t_device)
    tn = noise_temperature(f, t_dev[..., None] if t_dev.ndim else t_dev, occupation)
    dev = one_port(np.broadcast_to(g, np.broadcast_shapes(g.shape, f.shape)), tn * (1 - np.abs(g) ** 2))
    t_line = t_dev if t_line is None else _arr(t_line)
    line = line_two_port(f, delay, line_loss_db, t_line, occupation)
    at_lna = terminate(line, dev)
    seen = terminate(noise_adapter(sources, f, z0), at_lna)
    return delivered_temperature(seen, gamma_lna)


@dataclass(frozen=True, eq=False)
class LNA:
    """An amplifier: noise sources and a measured input reflection ``gamma`` on ``frequency`` [Hz]."""

    sources: NoiseSources
    frequency: np.ndarray
    gamma: np.ndarray
    z0: float = 50.0
    source_file: str = ""

    def __post_init__(self) -> None:
        f = np.asarray(self.frequency, dtype=float)
        g = np.asarray(self.gamma, dtype=complex)
        if f.ndim != 1 or f.shape != g.shape or f.size < 2:
            raise InputError(f"LNA frequency and gamma must be 1-D of equal length >= 2, got {f.shape}, {g.shape}")
        if np.any(np.diff(f) <= 0):
            raise InputError("LNA frequencies must increase strictly", path=self.source_file or None)
        object.__setattr__(self, "frequency", f)
        object.__setattr__(self, "gamma", g)

    @classmethod
    def from_touchstone(cls, path: str | os.PathLike[str], sources: NoiseSources, parameter: str = "S11") -> LNA:
        """Read the LNA input reflection from a Touchstone file (``S11`` by default)."""
        from emboost.rf.touchstone import read_s_parameter

        f, g = read_s_parameter(Path(path), parameter)
        return cls(sources, f, g, source_file=str(path))

    def with_sources(self, sources: NoiseSources) -> LNA:
        """A copy with other noise sources (e.g. a Monte-Carlo batch)."""
        return LNA(sources, self.frequency, self.gamma, self.z0, self.source_file)

    def gamma_at(self, f: ArrayLike) -> np.ndarray:
        """Input reflection at ``f`` [Hz], linear interpolation of real and imaginary parts."""
        f = np.asarray(f, dtype=float)
        lo, hi = self.frequency[0], self.frequency[-1]
        if np.any(f < lo * (1 - 1e-12)) or np.any(f > hi * (1 + 1e-12)):
            raise InputError(f"frequencies {f.min():.6g}..{f.max():.6g} Hz reach outside the LNA data "
                             f"{lo:.6g}..{hi:.6g} Hz (no extrapolation)", path=self.source_file or None)
        return np.interp(f, self.frequency, self.gamma.real) + 1j * np.interp(f, self.frequency, self.gamma.imag)

    def system_temperature(self, f: ArrayLike, gamma_device: ArrayLike, t_device: ArrayLike,
                           **line: object) -> np.ndarray:
        """:func:`system_temperature` with this LNA's reflection interpolated to ``f``."""
        return system_temperature(f, gamma_device, t_device, self.sources, self.gamma_at(f), z0=self.z0,
                                  **line)  # type: ignore[arg-type]
