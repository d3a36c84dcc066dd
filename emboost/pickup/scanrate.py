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
* :func:`live_time`: ``t = int dnu / rate(nu)`` over a band. Without a scan plan, at each frequency the best
  pickup whose TE111 mode lies above it; with a scan plan (:attr:`ScanSetup.plan`: each pickup's frequency
  ranges, e.g. the paper's coax 3 at 100-115 MHz), the band is split at the ranges' edges and each part is
  scanned by the pickup the plan assigns to it (:attr:`BandResult.per_pickup` gives the time per pickup).

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
from emboost.pickup.squid import SquidReadout

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
    "check_plan",
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
    ``temperature`` [K], amplifier ``noise``, ``snr``, lab speed ``v_lab`` [m/s]; ``plan`` (optional): per
    pickup, the frequency ranges [Hz] it scans (one tuple of ``(f_lo, f_hi)`` per pickup; ranges must not
    overlap and must lie below the pickup's TE111 mode, :func:`check_plan`)."""

    pickups: tuple
    tuning: Tuning
    b_field: float
    rho: float
    temperature: float
    noise: SquidNoise | SquidReadout | float
    snr: float = 3.0
    v_lab: float = V_LAB_DEFAULT
    plan: tuple[tuple[tuple[float, float], ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.plan is not None:
            check_plan(self.pickups, self.plan)

    def eta(self, f: np.ndarray) -> np.ndarray:
        """eta(f): from the noise model (anything with ``eta(f)``, e.g. :class:`SquidNoise` or
        :class:`emboost.pickup.squid.SquidReadout`) or the constant."""
        if hasattr(self.noise, "eta"):
            return np.asarray(self.noise.eta(f), dtype=float)
        return np.full(np.shape(f), float(self.noise))


def check_plan(pickups: tuple, plan: tuple[tuple[tuple[float, float], ...], ...]) -> None:
    """:class:`InputError` (key ``coax[i].ranges``) if the plan does not give one list of ranges per pickup, a
    range is empty, reaches the pickup's TE111 mode, or two ranges overlap."""
    if len(plan) != len(pickups):
        raise InputError(f"scan plan: {len(plan)} range lists for {len(pickups)} pickups", key="coax")
    spans = []
    for k, (p, ranges) in enumerate(zip(pickups, plan)):
        te = p.te111_frequency()
        for lo, hi in ranges:
            if not 0 < lo < hi:
                raise InputError(f"{p.name}: range {lo / 1e6:.6g}-{hi / 1e6:.6g} MHz is empty or not positive",
                                 key=f"coax[{k}].ranges")
            if hi >= te:
                raise InputError(f"{p.name}: range {lo / 1e6:.6g}-{hi / 1e6:.6g} MHz reaches its TE111 mode at "
                                 f"{te / 1e6:.6g} MHz", key=f"coax[{k}].ranges")
            spans.append((lo, hi, k))
    spans.sort()
    for (lo1, hi1, k1), (lo2, hi2, k2) in zip(spans, spans[1:]):
        if lo2 < hi1:
            raise InputError(f"scan plan: {pickups[k1].name} {lo1 / 1e6:.6g}-{hi1 / 1e6:.6g} MHz overlaps "
                             f"{pickups[k2].name} {lo2 / 1e6:.6g}-{hi2 / 1e6:.6g} MHz", key=f"coax[{k2}].ranges")


def _plan_mask(setup: ScanSetup, k: int, f: np.ndarray) -> np.ndarray:
    if setup.plan is None:
        return np.ones(f.shape, dtype=bool)
    m = np.zeros(f.shape, dtype=bool)
    for lo, hi in setup.plan[k]:
        m |= (f >= lo * (1 - 1e-12)) & (f <= hi * (1 + 1e-12))
    return m


def rates(setup: ScanSetup, f: ArrayLike, coupling: str | float, eta: ArrayLike | None = None) -> np.ndarray:
    """Scan rate of every pickup, shape ``(n_pickups, nf)`` [Hz/s]; 0 where a pickup may not be used
    (TE111 at or below f, outside its ranges of the scan plan, no series RLC, or no tuning element fits)."""
    f = np.atleast_1d(np.asarray(f, dtype=float))
    g = coupling_function(coupling)(f)
    j_a = axion_current_density(g, setup.b_field, setup.rho)
    e = setup.eta(f) if eta is None else np.broadcast_to(np.asarray(eta, dtype=float), f.shape)
    q_eff = _q_eff_default(setup.v_lab)
    out = np.zeros((len(setup.pickups), f.size))
    for k, p in enumerate(setup.pickups):
        allowed = (f < p.te111_frequency()) & _plan_mask(setup, k, f)
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
    """Live time of one band: ``seconds``, the frequency grid, best rate and the pickup index used;
    ``per_pickup``: ``(pickup name, f_lo, f_hi, seconds)`` for each part of the band [Hz, s]."""

    name: str
    f_min: float
    f_max: float
    seconds: float
    frequency: np.ndarray
    rate: np.ndarray
    pickup_index: np.ndarray
    per_pickup: tuple[tuple[str, float, float, float], ...] = ()

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
    if setup.plan is None:
        f = np.geomspace(f_min, f_max, points)
        r = rates(setup, f, coupling, eta)
        best = r.max(axis=0)
        if np.any(best <= 0):
            bad = f[best <= 0][0]
            raise InputError(f"band {name!r}: no pickup can scan {bad:.6g} Hz (TE111 below it, or no RLC)")
        integrand = f / best  # dt/dlnf
        seconds = float(np.trapezoid(integrand, np.log(f)))
        idx = np.argmax(r, axis=0)
        per: list[tuple[str, float, float, float]] = []
        for k in np.unique(idx):  # trapezoid intervals attributed to the pickup at their left end
            sel = idx[:-1] == k
            part = 0.5 * (integrand[:-1] + integrand[1:]) * np.diff(np.log(f))
            per.append((setup.pickups[k].name, float(f[:-1][sel].min()), float(f[1:][sel].max()),
                        float(part[sel].sum())))
        return BandResult(name, f_min, f_max, seconds, f, best, idx, tuple(per))
    # a scan plan: split the band at the ranges' edges, each part scanned by its pickup
    parts = sorted((max(lo, f_min), min(hi, f_max), k) for k, ranges in enumerate(setup.plan)
                   for lo, hi in ranges if min(hi, f_max) > max(lo, f_min))
    edge = f_min
    for lo, hi, _ in parts:
        if lo > edge * (1 + 1e-12):
            raise InputError(f"band {name!r}: the scan plan leaves {edge / 1e6:.6g}-{lo / 1e6:.6g} MHz to no coax")
        edge = max(edge, hi)
    if edge < f_max * (1 - 1e-12):
        raise InputError(f"band {name!r}: the scan plan leaves {edge / 1e6:.6g}-{f_max / 1e6:.6g} MHz to no coax")
    fs, bs, ks, per = [], [], [], []
    total = 0.0
    for lo, hi, k in parts:
        n = max(50, int(np.ceil(points * np.log(hi / lo) / np.log(f_max / f_min))))
        fk = np.geomspace(lo, hi, n)
        rk = rates(setup, fk, coupling, None if eta is None else eta)[k]
        bad = rk <= 0
        if np.any(bad):  # a grid point within ~1e-5 of the pole of X_PU at c/4l has no Laurent RLC (the
            # numerical slope straddles the pole): take the rate 1e-4 off it, where it is smooth
            nudged = fk[bad] * (1 + 1e-4 * np.where(fk[bad] * (1 + 1e-4) < hi, 1, -1))
            rk[bad] = rates(setup, nudged, coupling, None if eta is None else eta)[k]
        if np.any(rk <= 0):
            bad = fk[rk <= 0][0]
            raise InputError(f"band {name!r}: {setup.pickups[k].name} cannot scan {bad:.6g} Hz (no RLC or tuner)")
        sec = float(np.trapezoid(fk / rk, np.log(fk)))
        total += sec
        per.append((setup.pickups[k].name, float(lo), float(hi), sec))
        fs.append(fk)
        bs.append(rk)
        ks.append(np.full(fk.size, k))
    return BandResult(name, f_min, f_max, total, np.concatenate(fs), np.concatenate(bs), np.concatenate(ks),
                      tuple(per))


def live_time_loop(setup: ScanSetup, f_min: float, f_max: float, coupling: str | float, *,
                   eta: float | None = None, points: int = 2000) -> float:
    """Reference implementation (one frequency at a time) of :func:`live_time`, for benchmarks."""
    fs = np.geomspace(f_min, f_max, points)
    best = [float(rates(setup, np.array([fi]), coupling, eta)[:, 0].max()) for fi in fs]
    integrand = fs / np.array(best)
    return float(np.trapezoid(integrand, np.log(fs)))

