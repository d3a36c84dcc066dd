"""Noise, scan rate and live time of a tuned-resonator (DMRadio-style) search (physics.md §4.3-4.5).

* :func:`occupation`: ``n(f, T) = 1 / (exp(hf/kT) - 1)`` (with :func:`coupling_function` and ``YEAR``
  from :mod:`emboost.core.radiometry`);
* :class:`AmplifierChain` / :class:`SquidNoise`: the SQUID noise parameter ``eta(f) = k T_N / (h f / 2)``
  (eq. 8) as a table per amplifier chain (e.g. "Low BW" 5-75 MHz, "Medium BW" 75-200 MHz);
* :func:`xi`: ``xi(f, T) = max_x [(4 n_eff + eta^2/x + x)^(3/2) x^(1/2)]^-1``, ``n_eff = n + 1/2``;
* :func:`scan_rate`: eq. (5), ``dnu/dt = |V|^4 Q Q_eff xi / (64 pi SNR^2 L_eff^2 h^2 nu^4)`` with
  ``Q_eff = nu int F^2 dnu`` of the standard-halo lineshape (:func:`emboost.core.axion.shm_q_eff`,
  6.78e5 for v_lab = 232 km/s). The prefactor ``Q_eff / (64 pi)`` and this xi are derived (physics.md
  §4.3, tag DER); the paper's own prefactor may differ by O(1).
* :func:`live_time`: ``t = int dnu / max_k rate_k(nu)`` over a band, at each frequency the best pickup
  whose TE111 mode lies above it.

>>> [round(float(occupation(f, 0.02)), 2) for f in (5e6, 30e6, 200e6)]
[82.85, 13.4, 1.62]
>>> round(float(xi(30e6, 0.02, 20.0)), 7), round(float(xi(200e6, 0.0, 1.0)), 4)
(0.0002928, 0.1481)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emboost.core.axion import V_LAB_DEFAULT, axion_current_density, shm_q_eff
from emboost.core.constants import h, k_B
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError
from emboost.core.radiometry import YEAR, coupling_function, occupation  # shared helpers, re-exported
from emboost.pickup.coax import Tuning, tune

__all__ = [
    "occupation",
    "eta_from_noise_temperature",
    "AmplifierChain",
    "SquidNoise",
    "optimal_coupling",
    "xi",
    "scan_rate",
    "ScanSetup",
    "BandResult",
    "rates",
    "live_time",
    "coupling_function",
    "YEAR",
]

def eta_from_noise_temperature(f: ArrayLike, noise_temperature: ArrayLike) -> np.ndarray:
    """Eq. (8): ``eta = k T_N / (h f / 2)`` (1 at the standard quantum limit)."""
    return k_B * np.asarray(noise_temperature, dtype=float) / (h * np.asarray(f, dtype=float) / 2)


@dataclass(frozen=True)
class AmplifierChain:
    """One SQUID amplifier chain: eta tabulated at ``frequencies`` [Hz] (linear interpolation, flat
    beyond the end points) and used on ``[f_min, f_max)``."""

    name: str
    f_min: float
    f_max: float
    frequencies: np.ndarray
    eta: np.ndarray

    def __post_init__(self) -> None:
        f = np.atleast_1d(np.asarray(self.frequencies, dtype=float))
        e = np.atleast_1d(np.asarray(self.eta, dtype=float))
        if f.shape != e.shape or f.size == 0:
            raise InputError(f"amplifier chain {self.name!r}: frequencies and eta need the same length")
        if np.any(np.diff(f) <= 0):
            raise InputError(f"amplifier chain {self.name!r}: frequencies must increase strictly")
        if np.any(e < 1):
            raise InputError(f"amplifier chain {self.name!r}: eta >= 1 (the quantum limit), got {e.min()}")
        if not self.f_max > self.f_min:
            raise InputError(f"amplifier chain {self.name!r}: f_max must exceed f_min")

    def __call__(self, f: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(f, dtype=float), np.atleast_1d(self.frequencies), np.atleast_1d(self.eta))


@dataclass(frozen=True)
class SquidNoise:
    """eta(f) from a set of amplifier chains (the chain whose range holds f; swapped at its edges).

    >>> lo = AmplifierChain("Low BW", 5e6, 75e6, np.array([5e6, 75e6]), np.array([5.0, 8.0]))
    >>> hi = AmplifierChain("Medium BW", 75e6, 200e6, np.array([75e6, 200e6]), np.array([8.0, 15.0]))
    >>> SquidNoise((lo, hi)).eta([40e6, 75e6, 200e6]).round(3).tolist()
    [6.5, 8.0, 15.0]
    """

    chains: tuple[AmplifierChain, ...]

    def eta(self, f: ArrayLike) -> np.ndarray:
        f = np.atleast_1d(np.asarray(f, dtype=float))
        out = np.full(f.shape, np.nan)
        for ch in self.chains:
            sel = (f >= ch.f_min) & ((f < ch.f_max) | ((f == ch.f_max) & (ch.f_max == self._top)))
            sel &= np.isnan(out)
            out[sel] = ch(f[sel])
        if np.any(np.isnan(out)):
            bad = f[np.isnan(out)][0]
            raise InputError(f"no amplifier chain covers {bad:.6g} Hz "
                             f"(chains: {[(c.name, c.f_min, c.f_max) for c in self.chains]})", key="noise.chain")
        return out

    @property
    def _top(self) -> float:
        return max(ch.f_max for ch in self.chains)


def optimal_coupling(n_eff: ArrayLike, eta: ArrayLike) -> np.ndarray:
    """``x* = (-4 n_eff + sqrt(16 n_eff^2 + 32 eta^2)) / 8``, the amplifier coupling maximising the rate."""
    n = np.asarray(n_eff, dtype=float)
    e = np.asarray(eta, dtype=float)
    return 4 * e**2 / (4 * n + np.sqrt(16 * n**2 + 32 * e**2))  # same value, no cancellation


def xi(f: ArrayLike, temperature: ArrayLike, eta: ArrayLike) -> np.ndarray:
    """Noise factor ``xi(nu, T)`` of eq. (5) at the optimal coupling (physics.md §4.3).

    Thermal limit (n_eff >> eta): ``1 / (6 sqrt(3) n_eff eta)``; quantum limit (n = 0, eta = 1): 0.1481.
    """
    n_eff = occupation(f, temperature) + 0.5
    e = np.asarray(eta, dtype=float)
    x = optimal_coupling(n_eff, e)
    return 1.0 / ((4 * n_eff + e**2 / x + x) ** 1.5 * np.sqrt(x))


def scan_rate(v_pu: ArrayLike, q: ArrayLike, l_eff: ArrayLike, f: ArrayLike, temperature: ArrayLike,
              eta: ArrayLike, snr: float = 3.0, q_eff: float | None = None) -> np.ndarray:
    """Eq. (5): ``dnu/dt = |V_PU|^4 Q Q_eff xi / (64 pi SNR^2 L_eff^2 h^2 nu^4)`` [Hz/s].

    ``v_pu`` peak EMF [V], ``l_eff`` [H], ``f`` [Hz], ``temperature`` [K]; ``q_eff`` defaults to
    :func:`emboost.core.axion.shm_q_eff` (v_lab = 232 km/s).

    >>> round(float(scan_rate(2.16e-14, 1.02e5, 7.91e-7, 30e6, 0.02, 20.0)), 5)
    0.01095
    """
    if q_eff is None:
        q_eff = _q_eff_default()
    f = np.asarray(f, dtype=float)
    return (np.abs(np.asarray(v_pu)) ** 4 * np.asarray(q) * q_eff * xi(f, temperature, eta)
            / (64 * np.pi * snr**2 * np.asarray(l_eff) ** 2 * h**2 * f**4))


_Q_EFF_CACHE: dict[float, float] = {}


def _q_eff_default(v_lab: float = V_LAB_DEFAULT) -> float:
    if v_lab not in _Q_EFF_CACHE:
        _Q_EFF_CACHE[v_lab] = shm_q_eff(1e8, v_lab)  # independent of f_a
    return _Q_EFF_CACHE[v_lab]


@dataclass(frozen=True)
class ScanSetup:
    """Everything the scan rate needs besides the coupling: pickups (each with a ``voltage(f, j_a)``,
    ``te111_frequency()`` and impedance), tuning, field ``b_field`` [T], density ``rho`` [J/m^3],
    ``temperature`` [K], amplifier ``noise``, ``snr``, lab speed ``v_lab`` [m/s]."""

    pickups: tuple
    tuning: Tuning
    b_field: float
    rho: float
    temperature: float
    noise: SquidNoise | float
    snr: float = 3.0
    v_lab: float = V_LAB_DEFAULT

    def eta(self, f: np.ndarray) -> np.ndarray:
        if isinstance(self.noise, SquidNoise):
            return self.noise.eta(f)
        return np.full(np.shape(f), float(self.noise))


def rates(setup: ScanSetup, f: ArrayLike, coupling: str | float, eta: ArrayLike | None = None) -> np.ndarray:
    """Scan rate of every pickup, shape ``(n_pickups, nf)`` [Hz/s]; 0 where a pickup may not be used
    (TE111 at or below f, no series RLC, or no tuning element fits)."""
    f = np.atleast_1d(np.asarray(f, dtype=float))
    g = coupling_function(coupling)(f)
    j_a = axion_current_density(g, setup.b_field, setup.rho)
    e = setup.eta(f) if eta is None else np.broadcast_to(np.asarray(eta, dtype=float), f.shape)
    q_eff = _q_eff_default(setup.v_lab)
    out = np.zeros((len(setup.pickups), f.size))
    for k, p in enumerate(setup.pickups):
        allowed = f < p.te111_frequency()
        if not np.any(allowed):
            continue
        fa = f[allowed]
        t = tune(p, fa, setup.tuning, strict=False)
        v = p.voltage(fa, j_a[allowed])
        r = scan_rate(v, t.q, t.l_eff, fa, setup.temperature, e[allowed], setup.snr, q_eff)
        out[k, allowed] = np.nan_to_num(r, nan=0.0)
    return out


@dataclass(frozen=True)
class BandResult:
    """Live time of one band: ``seconds``, the frequency grid, best rate and the pickup index used."""

    name: str
    f_min: float
    f_max: float
    seconds: float
    frequency: np.ndarray
    rate: np.ndarray
    pickup_index: np.ndarray

    @property
    def years(self) -> float:
        return self.seconds / YEAR


def live_time(setup: ScanSetup, f_min: float, f_max: float, coupling: str | float, *,
              eta: ArrayLike | None = None, points: int = 2000, name: str = "") -> BandResult:
    """``t = int_{f_min}^{f_max} df / max_k rate_k(f)`` [s] on a log-spaced grid (trapezoid rule in
    log f). Raises :class:`~emboost.core.errors.InputError` if some frequency has no usable pickup."""
    if not (0 < f_min < f_max):
        raise InputError(f"band {name!r}: need 0 < f_min < f_max, got {f_min}, {f_max}")
    if points < 3:
        raise InputError(f"band {name!r}: points must be >= 3")
    f = np.geomspace(f_min, f_max, points)
    r = rates(setup, f, coupling, eta)
    best = r.max(axis=0)
    if np.any(best <= 0):
        bad = f[best <= 0][0]
        raise InputError(f"band {name!r}: no pickup can scan {bad:.6g} Hz (TE111 below it, or no RLC)")
    integrand = f / best  # dt/dlnf
    seconds = float(np.trapezoid(integrand, np.log(f)))
    return BandResult(name, f_min, f_max, seconds, f, best, np.argmax(r, axis=0))


def live_time_loop(setup: ScanSetup, f_min: float, f_max: float, coupling: str | float, *,
                   eta: float | None = None, points: int = 2000) -> float:
    """Reference implementation (one frequency at a time) of :func:`live_time`, for benchmarks."""
    fs = np.geomspace(f_min, f_max, points)
    best = [float(rates(setup, np.array([fi]), coupling, eta)[:, 0].max()) for fi in fs]
    integrand = fs / np.array(best)
    return float(np.trapezoid(integrand, np.log(fs)))

