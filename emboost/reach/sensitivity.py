"""Sensitivity: the coupling g_ag a haloscope reaches, from its boost factor or cavity parameters.

Dielectric haloscope (MADMAX eq. 1.1, physics.md §2.2): the signal ``P = beta^2 P_0`` with
``P_0 = A g^2 B^2 rho hbar c^4 / (mu0 w^2)`` and the Dicke radiometer
``SNR = P / (k T_sys) sqrt(dt / dnu_a)`` give

    g^2 = SNR k T_sys sqrt(dnu_a / dt) mu0 w^2 / (beta^2 A B^2 rho hbar c^4)

with ``beta^2`` the boost factor *including* the transverse overlap and the receiver mismatch, ``A``
the disk area, ``dnu_a = f / Q_a`` the axion linewidth (by default ``Q_a`` from the standard halo,
:func:`emboost.core.axion.shm_q_eff`). Runs of independent data combine as ``g^-4 = sum g_i^-4`` (their
SNR^2 add). Couplings are returned in GeV^-1.

>>> from emboost.core.constants import GEV_PER_CM3
>>> g = booster_coupling_reach(1000.0, 300.0, np.pi * 0.1**2, 1.6, 19.2e9, 3 * 86400, snr=1.0,
...                            rho=0.3 * GEV_PER_CM3, linewidth=19.2e9 / 6.8e5)
>>> round(float(g) * 1e11, 2)
1.4
"""

from __future__ import annotations

import numpy as np

from emboost.core.axion import GEV_PER_CM3, frequency_to_mass, g_dfsz_gev, g_ksvz_gev, shm_q_eff
from emboost.core.constants import GeV, c, hbar, k_B, mu0
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError

__all__ = ["booster_coupling_reach", "cavity_coupling_reach", "combine_runs", "dicke_snr",
           "qcd_lines", "axion_linewidth"]


def _positive(name: str, x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise InputError(f"{name} must be finite and > 0", key=name)
    return a


def axion_linewidth(f: ArrayLike, q_a: float | None = None) -> np.ndarray:
    """Axion linewidth ``f / Q_a`` [Hz]; ``Q_a`` defaults to the SHM effective value (6.78e5)."""
    f = np.asarray(f, dtype=float)
    return f / (shm_q_eff(1e9) if q_a is None else q_a)


def dicke_snr(signal_power: ArrayLike, t_sys: ArrayLike, time: ArrayLike, bandwidth: ArrayLike) -> np.ndarray:
    """Radiometer SNR ``P / (k T_sys) sqrt(dt / dnu)`` (RADES eq. 3)."""
    return np.asarray(signal_power) / (k_B * np.asarray(t_sys)) * np.sqrt(np.asarray(time) / np.asarray(bandwidth))


def booster_coupling_reach(boost_factor: ArrayLike, t_sys: ArrayLike, area: float, b_field: float,
                           f: ArrayLike, time: float, *, snr: float = 5.0, rho: float = 0.3 * GEV_PER_CM3,
                           linewidth: ArrayLike | None = None) -> np.ndarray:
    """|g_ag| [GeV^-1] reached with signal-to-noise ``snr`` in ``time`` [s] (MADMAX eq. 1.1).

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


def cavity_coupling_reach(volume: float, form_factor: ArrayLike, q_loaded: ArrayLike, coupling: ArrayLike,
                          t_sys: ArrayLike, b_field: float, f: ArrayLike, time: float, *, snr: float = 5.0,
                          rho: float = 0.45 * GEV_PER_CM3, linewidth: ArrayLike | None = None) -> np.ndarray:
    """|g_ag| [GeV^-1] for a cavity haloscope on resonance (Sikivie power, physics.md §1.6)."""
    f = _positive("frequency", f)
    dnu = axion_linewidth(f) if linewidth is None else _positive("linewidth", linewidth)
    beta = np.asarray(coupling, dtype=float)
    w = 2 * np.pi * f
    per_g2 = (rho * b_field**2 * volume * np.asarray(form_factor) * np.asarray(q_loaded) * beta / (1 + beta)
              * hbar * c**3 / (mu0 * w))
    g2 = snr * k_B * np.asarray(t_sys) * np.sqrt(dnu / time) / per_g2
    return np.sqrt(g2) * GeV


def combine_runs(*reaches: ArrayLike) -> np.ndarray:
    """Combined reach of independent runs on a common grid: ``g^-4 = sum_i g_i^-4`` (SNR^2 add)."""
    if not reaches:
        raise InputError("combine_runs needs at least one run")
    inv4 = sum(np.asarray(g, dtype=float) ** -4.0 for g in reaches)
    return inv4 ** -0.25


def qcd_lines(f: ArrayLike) -> dict[str, np.ndarray]:
    """KSVZ and DFSZ |g_ag| [GeV^-1] at frequencies ``f`` [Hz], for comparison plots."""
    m = frequency_to_mass(np.asarray(f, dtype=float))
    return {"KSVZ": np.asarray(g_ksvz_gev(m)), "DFSZ": np.asarray(g_dfsz_gev(m))}
