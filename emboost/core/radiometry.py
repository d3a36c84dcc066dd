"""Radiometry of an axion search: thermal noise, the Dicke radiometer, the axion linewidth, and from a
signal power the coupling a haloscope reaches and the rate at which it scans (physics.md §1.5-1.6, §2.2).

One home for the helpers every detector family shares; :mod:`emboost.fit.rades`,
:mod:`emboost.reach.sensitivity`, :mod:`emboost.reach.projections`, :mod:`emboost.pickup.scanrate` and
:mod:`emboost.noise.network` re-export them under their former names (the same objects).

* :func:`occupation` ``n = 1 / (exp(hf/kT) - 1)``; :func:`noise_power` ``k_B T dnu``;
* the Dicke radiometer ``SNR = P / (k_B T_sys) sqrt(t / dnu_a)`` (:func:`dicke_snr`) and its inverse
  :func:`dicke_time`, with the axion linewidth ``dnu_a = f / Q_a`` (:func:`axion_linewidth`, ``Q_a`` the
  standard-halo value 6.78e5, :func:`axion_q`);
* the coupling reached for a signal power per g^2 (:func:`coupling_reach`), and its two closed forms:
  a dielectric booster (:func:`booster_coupling_reach`, MADMAX eq. 1.1) and a cavity on resonance
  (:func:`cavity_coupling_reach`, Sikivie power);
* scan rates of a cavity (:func:`cavity_scan_rate`) and of a booster (:func:`booster_scan_rate`), the
  scan time of a band (:func:`scan_time`) and the target coupling of a scan (:func:`coupling_function`).

Couplings: ``g`` in 1/J inside (``g [GeV^-1] = g [1/J] * GeV``), returned in GeV^-1 by the ``*_reach``
functions. A signal power per g^2 is in W J^2 (the power at g = 1/J).

>>> round(float(occupation(5e6, 0.02)), 2)      # physics.md §1.5 quotes 82.9
82.85
>>> round(noise_power(7.8, 4577.0) * 1e19, 3)
4.929
>>> t = dicke_time(1e-22, 5.0, 1e4, 3.0)          # 1e-22 W, 5 K, 10 kHz linewidth, SNR 3
>>> round(dicke_snr(1e-22, 5.0, t, 1e4), 12)
3.0
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from emboost.core.axion import (
    GEV_PER_CM3,
    V_LAB_DEFAULT,
    frequency_to_mass,
    g_dfsz_gev,
    g_ksvz_gev,
    mirror_power_per_area,
    shm_q_eff,
    sikivie_power,
)
from emboost.core.constants import GeV, c, h, hbar, k_B, mu0
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError

__all__ = [
    "YEAR", "occupation", "noise_power", "dicke_snr", "dicke_time", "axion_q", "axion_linewidth",
    "coupling_function", "coupling_reach", "booster_coupling_reach", "cavity_coupling_reach",
    "cavity_scan_rate", "booster_scan_rate", "scan_time",
]

YEAR = 365.25 * 86400.0  #: one Julian year [s]


# ------------------------------------------------------------------------------------------ noise
def occupation(f: ArrayLike, temperature: ArrayLike) -> np.ndarray:
    """Bose-Einstein occupation ``1 / (exp(h f / k T) - 1)`` (0 at T = 0) of a mode at ``f`` [Hz] and
    ``temperature`` [K]; broadcasts ``f`` against ``temperature``.

    >>> [round(float(occupation(f, 0.02)), 2) for f in (5e6, 30e6, 200e6)]
    [82.85, 13.4, 1.62]
    """
    f = np.asarray(f, dtype=float)
    t = np.asarray(temperature, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        x = h * f / (k_B * t)
        return np.where(t > 0, 1.0 / np.expm1(np.where(t > 0, x, 1.0)), 0.0)


def noise_power(t_sys: ArrayLike, bandwidth: ArrayLike) -> np.ndarray | float:
    """``k_B T_sys dnu`` [W] for a system temperature ``t_sys`` [K] in ``bandwidth`` [Hz] (RADES eq. 2).

    >>> round(noise_power(7.8, 4577.0) * 1e19, 3)
    4.929
    """
    out = k_B * np.asarray(t_sys, dtype=float) * np.asarray(bandwidth, dtype=float)
    return float(out) if out.ndim == 0 else out


def dicke_snr(signal_power: ArrayLike, t_sys: ArrayLike, time: ArrayLike, bandwidth: ArrayLike) -> np.ndarray | float:
    """Radiometer ``SNR = P / (k_B T_sys) sqrt(t / dnu)`` (RADES eq. 3).

    ``signal_power`` P [W], ``t_sys`` [K], integration ``time`` [s], ``bandwidth`` dnu [Hz] (the axion
    linewidth); all broadcast. A float for scalar inputs.
    """
    out = (np.asarray(signal_power, dtype=float) / (k_B * np.asarray(t_sys, dtype=float))
           * np.sqrt(np.asarray(time, dtype=float) / np.asarray(bandwidth, dtype=float)))
    return float(out) if out.ndim == 0 else out


def dicke_time(signal_power: ArrayLike, t_sys: ArrayLike, bandwidth: ArrayLike, snr: ArrayLike) -> np.ndarray | float:
    """Integration time [s] to reach ``snr``: ``t = SNR^2 (k_B T_sys / P)^2 dnu`` (:func:`dicke_snr` inverted).

    ``signal_power`` [W], ``t_sys`` [K], ``bandwidth`` [Hz]. A float for scalar inputs.
    """
    out = (np.asarray(snr, dtype=float) ** 2 * (k_B * np.asarray(t_sys, dtype=float)
                                                / np.asarray(signal_power, dtype=float)) ** 2
           * np.asarray(bandwidth, dtype=float))
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------------------------------------ the axion line
_AXION_Q: dict[float, float] = {}


def axion_q(v_lab: float = V_LAB_DEFAULT) -> float:
    """Effective axion quality factor ``Q_a`` of the standard halo (6.78e5 for v_lab = 232 km/s [m/s]).

    :func:`emboost.core.axion.shm_q_eff` at 1 GHz (it does not depend on the frequency), cached.
    """
    if v_lab not in _AXION_Q:
        _AXION_Q[v_lab] = float(shm_q_eff(1e9, v_lab))
    return _AXION_Q[v_lab]


def axion_linewidth(f: ArrayLike, q_a: float | None = None) -> np.ndarray:
    """Axion linewidth ``f / Q_a`` [Hz] at ``f`` [Hz]; ``Q_a`` defaults to the SHM effective value (6.78e5)."""
    f = np.asarray(f, dtype=float)
    return f / (axion_q() if q_a is None else q_a)


def coupling_function(spec: str | float) -> Callable[[np.ndarray], np.ndarray]:
    """``g(f)`` [1/J] of a scan target: ``"dfsz"``, ``"ksvz"`` or a constant coupling in 1/J."""
    if isinstance(spec, str):
        fun = {"dfsz": g_dfsz_gev, "ksvz": g_ksvz_gev}.get(spec.lower())
        if fun is None:
            raise InputError(f"unknown coupling {spec!r}; expected 'dfsz', 'ksvz' or a value in GeV^-1")
        return lambda f: np.asarray(fun(frequency_to_mass(f))) / GeV
    value = float(spec)
    if not value > 0:
        raise InputError(f"coupling must be positive, got {value}")
    return lambda f: np.full(np.shape(f), value)


# ------------------------------------------------------------------------------------------ reach
def _positive(name: str, x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise InputError(f"{name} must be finite and > 0", key=name)
    return a


def coupling_reach(power_per_g2: ArrayLike, t_sys: ArrayLike, time: ArrayLike, bandwidth: ArrayLike, *,
                   snr: float = 5.0) -> np.ndarray:
    """|g_ag| [GeV^-1] reached with signal-to-noise ``snr`` in ``time`` [s], for any detector.

    ``power_per_g2`` is the signal power at g = 1/J [W J^2], ``t_sys`` [K], ``bandwidth`` the axion
    linewidth [Hz]: ``g^2 = SNR k_B T_sys sqrt(dnu / t) / (P / g^2)`` (:func:`dicke_snr` solved for g).
    """
    g2 = (snr * k_B * np.asarray(t_sys, dtype=float) * np.sqrt(np.asarray(bandwidth, dtype=float) / time)
          / _positive("power_per_g2", power_per_g2))
    return np.sqrt(g2) * GeV


def booster_coupling_reach(boost_factor: ArrayLike, t_sys: ArrayLike, area: float, b_field: float,
                           f: ArrayLike, time: float, *, snr: float = 5.0, rho: float = 0.3 * GEV_PER_CM3,
                           linewidth: ArrayLike | None = None) -> np.ndarray:
    """|g_ag| [GeV^-1] reached with signal-to-noise ``snr`` in ``time`` [s] (MADMAX eq. 1.1).

    ``g^2 = SNR k T_sys sqrt(dnu_a / dt) mu0 w^2 / (beta^2 A B^2 rho hbar c^4)``.
    ``boost_factor`` (including eta_A and mismatch) and ``t_sys`` [K] broadcast against ``f`` [Hz];
    ``area`` [m^2], ``b_field`` [T], ``rho`` [J/m^3], ``linewidth`` [Hz] (default f / Q_eff).
    """
    beta2 = _positive("boost_factor", boost_factor)
    t = _positive("t_sys", t_sys)
    f = _positive("frequency", f)
    dnu = axion_linewidth(f) if linewidth is None else _positive("linewidth", linewidth)
    for name, v in (("area", area), ("b_field", b_field), ("time", time), ("snr", snr), ("rho", rho)):
        _positive(name, v)
    w = 2 * np.pi * f
    g2 = snr * k_B * t * np.sqrt(dnu / time) * mu0 * w**2 / (beta2 * area * b_field**2 * rho * hbar * c**4)
    return np.sqrt(g2) * GeV


def cavity_coupling_reach(volume: ArrayLike, form_factor: ArrayLike, q_loaded: ArrayLike, coupling: ArrayLike,
                          t_sys: ArrayLike, b_field: float, f: ArrayLike, time: float, *, snr: float = 5.0,
                          rho: float = 0.45 * GEV_PER_CM3, linewidth: ArrayLike | None = None) -> np.ndarray:
    """|g_ag| [GeV^-1] for a cavity haloscope on resonance (Sikivie power, physics.md §1.6).

    ``volume`` [m^3], ``form_factor``, loaded Q ``q_loaded``, port ``coupling`` beta, ``t_sys`` [K],
    ``b_field`` [T], ``f`` [Hz], ``time`` [s] per step, ``rho`` [J/m^3], ``linewidth`` [Hz] (default f / Q_eff).
    """
    f = _positive("frequency", f)
    dnu = axion_linewidth(f) if linewidth is None else _positive("linewidth", linewidth)
    beta = np.asarray(coupling, dtype=float)
    w = 2 * np.pi * f
    per_g2 = (rho * b_field**2 * np.asarray(volume) * np.asarray(form_factor) * np.asarray(q_loaded) * beta
              / (1 + beta) * hbar * c**3 / (mu0 * w))
    g2 = snr * k_B * np.asarray(t_sys) * np.sqrt(dnu / time) / per_g2
    return np.sqrt(g2) * GeV


# ------------------------------------------------------------------------------------------ scan rates
def cavity_scan_rate(g: ArrayLike, volume: ArrayLike, form_factor: ArrayLike, q_loaded: ArrayLike,
                     coupling: float, t_sys: float, b_field: float, f: ArrayLike, *, snr: float, rho: float,
                     units: int = 1, q_a: float | None = None) -> np.ndarray:
    """``dnu/dt = units (pi/4) (Q_a/Q_L) (P_a/(k T_sys))^2 / SNR^2`` [Hz/s] (physics.md §1.6).

    ``g`` in 1/J (the target coupling at each ``f`` [Hz]), ``rho`` in J/m^3. Valid for ``Q_L << Q_a``,
    amplifier noise dominating, continuous tuning; ``units`` equal cavities tuned together and combined
    incoherently multiply the rate.
    """
    qa = axion_q() if q_a is None else q_a
    p = sikivie_power(g, rho, b_field, volume, form_factor, q_loaded, coupling, f)
    return units * (np.pi / 4) * (qa / np.asarray(q_loaded)) * (p / (k_B * t_sys)) ** 2 / snr**2


def booster_scan_rate(g: ArrayLike, peak_boost: float, width: float, t_sys: float, area: float, b_field: float,
                      f: ArrayLike, *, snr: float, rho: float, q_a: float | None = None) -> np.ndarray:
    """Booster rate ``FWHM / dt_step`` [Hz/s], ``dt_step`` the Dicke time for ``g`` [1/J] at half the peak
    boost factor: ``dt = SNR^2 (k T_sys / P)^2 dnu_a``, ``P = (beta^2_peak/2) A g^2 B^2 rho hbar c^4/(mu0 w^2)``.

    ``width`` the FWHM [Hz], ``t_sys`` [K], ``area`` [m^2], ``b_field`` [T], ``f`` [Hz], ``rho`` [J/m^3].
    """
    qa = axion_q() if q_a is None else q_a
    f = np.asarray(f, dtype=float)
    p = 0.5 * peak_boost * area * mirror_power_per_area(g, b_field, rho, f)
    dt = snr**2 * (k_B * t_sys / p) ** 2 * f / qa
    return width / dt


def scan_time(f: ArrayLike, rate: ArrayLike) -> float:
    """``int df / rate`` [s] by the trapezoid rule on the grid ``f`` [Hz] (one point: 0); ``rate`` [Hz/s]."""
    f = np.asarray(f, dtype=float)
    r = np.asarray(rate, dtype=float)
    if f.size < 2:
        return 0.0
    return float(np.trapezoid(1.0 / r, f))
