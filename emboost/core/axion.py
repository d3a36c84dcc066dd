"""Axion physics shared by every detector family (physics.md §1), in SI units.

Couplings are in 1/J inside emboost (``g[1/J] = g[1/GeV] / GeV``); the helpers below take and
return GeV^-1 where their names say so. Dark-matter densities are in J/m^3 (``rho_gev_cm3 *
GEV_PER_CM3``).

>>> round(mass_to_frequency(34.67e-6) / 1e9, 5)
8.38317
>>> round(g_ksvz_gev(1.0) * 1e10, 4), round(g_dfsz_gev(1.0) * 1e10, 4)   # per eV of mass
(3.9265, 1.5156)
>>> from emboost.core.constants import GeV
>>> g = g_qcd_gev(100e-6, c_ag=1.0) / GeV          # C_ag = 1 at 100 ueV, in 1/J
>>> P = mirror_power_per_area(g, 10.0, 0.3 * GEV_PER_CM3, mass_to_frequency(100e-6))
>>> round(float(P) * 1e27, 3)
2.29
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special

from emboost.core.constants import GEV_PER_CM3, alpha_fs, c, eV, h, hbar, mu0
from emboost.core.conventions import ArrayLike

__all__ = [
    "GEV_PER_CM3",
    "mass_to_frequency",
    "frequency_to_mass",
    "g_qcd_gev",
    "g_ksvz_gev",
    "g_dfsz_gev",
    "axion_current_density",
    "mirror_field_amplitude",
    "mirror_power_per_area",
    "sikivie_power",
    "shm_lineshape",
    "shm_bin_fractions",
    "shm_q_eff",
    "V_RMS_SHM",
    "V_LAB_DEFAULT",
]

#: m_a f_a for the QCD axion (Gorghetto-Villadoro 2019): 5.691 ueV at f_a = 1e12 GeV [eV GeV]
MA_FA = 5.691e-6 * 1e12
#: E/N-independent part of C_ag (Gorghetto-Villadoro 2019: 1.92(4); 1.924 reproduces the quoted KSVZ/DFSZ slopes)
C_AG_QCD = 1.924
#: rms speed of the standard halo, sqrt(<v^2>) = sqrt(3/2) v_c with v_c = 220 km/s [m/s]
#: (RADES quotes the rounded 270 km/s; the exact value reproduces physics.md §1.4's Q_eff = 6.78e5)
V_RMS_SHM = 1.5**0.5 * 220e3
#: speed of the laboratory relative to the halo [m/s] (physics.md §1.4; Brubaker uses 220 km/s)
V_LAB_DEFAULT = 232e3


def mass_to_frequency(mass_ev: ArrayLike) -> np.ndarray | float:
    """Photon frequency ``f = m c^2 / h`` [Hz] of an axion of mass ``mass_ev`` [eV]."""
    out = np.asarray(mass_ev, dtype=float) * eV / h
    return float(out) if out.ndim == 0 else out


def frequency_to_mass(f: ArrayLike) -> np.ndarray | float:
    """Axion mass [eV] whose photon has frequency ``f`` [Hz]."""
    out = np.asarray(f, dtype=float) * h / eV
    return float(out) if out.ndim == 0 else out


def g_qcd_gev(mass_ev: ArrayLike, e_over_n: float | None = None, *, c_ag: float | None = None) -> np.ndarray | float:
    """|g_ag| [GeV^-1] of a QCD axion of mass ``mass_ev`` [eV].

    ``g = alpha / (2 pi f_a) |C_ag|`` with ``C_ag = E/N - 1.92`` (or ``c_ag`` given directly) and
    ``f_a = 5.691e6 GeV eV / m``.
    """
    if c_ag is None:
        if e_over_n is None:
            raise ValueError("give e_over_n or c_ag")
        c_ag = e_over_n - C_AG_QCD
    fa = MA_FA / np.asarray(mass_ev, dtype=float)
    out = alpha_fs / (2 * np.pi * fa) * abs(c_ag)
    return float(out) if np.ndim(out) == 0 else out


def g_ksvz_gev(mass_ev: ArrayLike) -> np.ndarray | float:
    """KSVZ coupling (E/N = 0) [GeV^-1]."""
    return g_qcd_gev(mass_ev, 0.0)


def g_dfsz_gev(mass_ev: ArrayLike) -> np.ndarray | float:
    """DFSZ coupling (E/N = 8/3) [GeV^-1]."""
    return g_qcd_gev(mass_ev, 8.0 / 3.0)


def axion_current_density(g: ArrayLike, b_field: ArrayLike, rho: ArrayLike) -> np.ndarray:
    """Amplitude of the axion-induced current ``|J_a| = g sqrt(2 rho hbar c) B / mu0`` [A/m^2].

    ``g`` in 1/J, ``b_field`` in T, ``rho`` in J/m^3.
    """
    return np.asarray(g) * np.sqrt(2 * np.asarray(rho) * hbar * c) * np.asarray(b_field) / mu0


def mirror_field_amplitude(g: ArrayLike, b_field: ArrayLike, rho: ArrayLike, f: ArrayLike) -> np.ndarray:
    """``E_0 = |J_a| / (eps0 w)``: the amplitude of the wave a perfect mirror emits [V/m]."""
    w = 2 * np.pi * np.asarray(f, dtype=float)
    return c**2 * np.asarray(g) * np.asarray(b_field) * np.sqrt(2 * np.asarray(rho) * hbar * c) / w


def mirror_power_per_area(g: ArrayLike, b_field: ArrayLike, rho: ArrayLike, f: ArrayLike) -> np.ndarray:
    """``P_0 / A = g^2 B^2 rho hbar c^4 / (mu0 w^2)`` [W/m^2] of a bare perfect mirror.

    Equal to ``|E_0|^2 / (2 Z0)``; no further factor 1/2 (physics.md §1.7).
    """
    w = 2 * np.pi * np.asarray(f, dtype=float)
    return np.asarray(g) ** 2 * np.asarray(b_field) ** 2 * np.asarray(rho) * hbar * c**4 / (mu0 * w**2)


def sikivie_power(g: ArrayLike, rho: ArrayLike, b_field: ArrayLike, volume: ArrayLike,
                  form_factor: ArrayLike, q_loaded: ArrayLike, coupling: ArrayLike, f: ArrayLike) -> np.ndarray:
    """Cavity haloscope signal power on resonance [W] (physics.md §1.6).

    ``P = g^2 rho B^2 V C Q_L (beta / (1 + beta)) hbar c^3 / (mu0 w)``; ``g`` in 1/J, ``rho`` in
    J/m^3, ``b_field`` in T, ``volume`` in m^3, ``coupling`` the port coupling beta.
    """
    w = 2 * np.pi * np.asarray(f, dtype=float)
    beta = np.asarray(coupling, dtype=float)
    return (np.asarray(g) ** 2 * np.asarray(rho) * np.asarray(b_field) ** 2 * np.asarray(volume)
            * np.asarray(form_factor) * np.asarray(q_loaded) * beta / (1 + beta) * hbar * c**3 / (mu0 * w))


def shm_lineshape(f: ArrayLike, f_a: float, v_lab: float = V_LAB_DEFAULT, v_rms: float = V_RMS_SHM) -> np.ndarray:
    """Standard-halo-model power spectrum F(f) [1/Hz], normalised to 1 (RADES eq. 10).

    Zero below ``f_a``. ``v_lab`` is the lab speed relative to the halo, ``v_rms = sqrt(<v^2>)``.
    """
    f = np.asarray(f, dtype=float)
    b2 = (v_rms / c) ** 2
    r = v_lab / v_rms
    x = np.clip((f - f_a) / (f_a * b2), 0.0, None)
    arg = 3 * r * np.sqrt(2 * x)
    # sinh(arg) exp(-3x - 3r^2/2) written to avoid overflow for large x
    val = 0.5 * (np.exp(arg - 3 * x - 1.5 * r**2) - np.exp(-arg - 3 * x - 1.5 * r**2))
    out = (2 / np.sqrt(np.pi)) * np.sqrt(1.5) / (r * f_a * b2) * val
    return np.where(f > f_a, out, 0.0)


def _shm_cdf(df: np.ndarray, f_a: float, v_lab: float, v_rms: float) -> np.ndarray:
    """Fraction of the SHM power between f_a and f_a + df (closed form via erf)."""
    b2 = (v_rms / c) ** 2
    r = v_lab / v_rms
    x = np.clip(np.asarray(df, dtype=float) / (f_a * b2), 0.0, None)
    u = np.sqrt(3 * x)  # speed in units of sqrt(<v^2>/3)
    a = r * np.sqrt(1.5)
    # integral of the boosted Maxwellian speed distribution from 0 to u
    return 0.5 * (special.erf(u - a) + special.erf(u + a)) - (
        np.exp(-((u - a) ** 2)) - np.exp(-((u + a) ** 2))) / (2 * np.sqrt(np.pi) * a)


def shm_bin_fractions(f_a: float, bin_width: float, n_bins: int, offset: float = 0.0,
                      v_lab: float = V_LAB_DEFAULT, v_rms: float = V_RMS_SHM) -> np.ndarray:
    """K_j: fraction of the axion power in each of ``n_bins`` bins of ``bin_width`` [Hz] (RADES eq. 11).

    The first bin starts ``offset`` Hz below ``f_a`` (0: f_a sits on a bin edge).
    """
    edges = np.arange(n_bins + 1) * bin_width - offset
    return np.diff(_shm_cdf(edges, f_a, v_lab, v_rms))


def shm_q_eff(f_a: float, v_lab: float = V_LAB_DEFAULT, v_rms: float = V_RMS_SHM) -> float:
    """Effective axion quality factor ``f_a * integral F^2 df`` (6.78e5 for 232 km/s)."""
    scale = f_a * (v_rms / c) ** 2
    val, _ = integrate.quad(lambda x: shm_lineshape(f_a + x * scale, f_a, v_lab, v_rms) ** 2 * scale,
                            0.0, 40.0, limit=200)
    return float(f_a * val)
