"""SYNTHETIC CAST-RADES-like raw spectra (for tests, examples and benchmarks; never measured data).

Each spectrum is ``P_ij = G_i(if_j) k_B T(f_ij) dnu (1 + s_ij) (1 + sigma_0 n_ij)`` with

* ``T(f) = T_sys (1 + contrast / (1 + 4 Q_L^2 (f/f0 - 1)^2))``: the cavity's Lorentzian on the
  electronic background;
* ``G_i(if) = g0 (1 + ripple(if)) (1 + drift_i) (1 + slope_i x)``: a fixed IF ripple of the electronics and
  a random-walk gain drift (level and slope) from spectrum to spectrum;
* ``sigma_0 = 1/sqrt(dnu t)`` the radiometer noise of one spectrum, ``n_ij`` standard normal;
* ``s_ij`` (magnet-on only): an axion of coupling ``g`` at ``f_a`` (moved to the nearest bin edge) with
  the SHM lineshape, fractional excess ``P_a(g) K_j lor(f_a) / (k_B T(f_a) dnu)`` (Sikivie power with
  the cavity's beta, Q_L, C, V, B).

Spectra alternate between two LOs ``lo_1 = f0 - if_centre - shift/2``, ``lo_2 = lo_1 + shift``
(``shift`` a whole number of bins); magnet-on spectra first, then magnet-off.

>>> run = synthetic_run(n_on=8, n_off=4, n_bins=128, seed=3)
>>> run.raw.power.shape, bool(run.raw.magnet_on[:8].all())
((12, 128), True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emboost.core.axion import V_LAB_DEFAULT, V_RMS_SHM, shm_bin_fractions
from emboost.core.constants import GeV, k_B
from emboost.core.errors import InputError
from emboost.search.scan import CavityParameters
from emboost.search.spectra import RawSpectra

__all__ = ["SyntheticRun", "synthetic_run", "signal_amplitude", "PAPER_CAVITY"]

#: the CAST-RADES 2018 inputs used by default (see models/cast_rades_2018.toml for their sources)
PAPER_CAVITY = CavityParameters(f0=8.384e9, q_loaded=11300.0, beta=0.5, form_factor=0.62, volume=2.8e-5,
                                b_field=8.8, t_sys=7.8, rho=0.45 * 1.602176634e-10 / 1e-6)


@dataclass(frozen=True)
class SyntheticRun:
    """Raw spectra and the truth they were made from (``truth``: JSON-ready dict, SI units)."""

    raw: RawSpectra
    truth: dict[str, Any] = field(default_factory=dict)


def signal_amplitude(g_gev: float, f_a: float, cavity: CavityParameters, bin_width: float,
                     contrast: float = 0.0) -> float:
    """Total axion power in units of one bin's noise power at ``f_a`` (the A of the fit) for ``g`` [1/GeV]."""
    g = g_gev / GeV
    t = cavity.t_sys * (1 + contrast / (1 + 4 * cavity.q_loaded**2 * (f_a / cavity.f0 - 1) ** 2))
    return float(g**2 * cavity.power_per_g2(np.array([f_a]))[0] / (k_B * t * bin_width))


def synthetic_run(*, n_on: int = 400, n_off: int = 120, n_bins: int = 512, bin_width: float = 4577.0,
                  t_spectrum: float = 90.0, if_centre: float = 140e6, lo_shift_bins: int = 40,
                  cavity: CavityParameters = PAPER_CAVITY, contrast: float = 0.1, ripple: float = 0.05,
                  drift: float = 2e-3, g_gev: float = 0.0, f_a: float | None = None, seed: int = 0,
                  dtype: Any = np.float32, out: np.ndarray | None = None) -> SyntheticRun:
    """Make a SYNTHETIC run (see module docstring). ``out``: an (n_on + n_off, n_bins) array (e.g. a
    ``numpy.lib.format.open_memmap``) to fill block by block instead of allocating."""
    if n_on < 2 or n_off < 2 or n_bins < 16:
        raise InputError(f"need n_on, n_off >= 2 and n_bins >= 16, got {n_on}, {n_off}, {n_bins}")
    rng = np.random.default_rng(seed)
    n = n_on + n_off
    shift = lo_shift_bins * bin_width
    if_f = if_centre + bin_width * (np.arange(n_bins) - (n_bins - 1) / 2)
    lo1 = cavity.f0 - if_centre - shift / 2
    los = np.where(np.arange(n) % 2 == 0, lo1, lo1 + shift)
    on = np.arange(n) < n_on
    x = (if_f - if_centre) / (if_f[-1] - if_f[0])
    g_if = 1 + ripple * np.sin(2 * np.pi * 3.3 * x + 0.4) + 0.5 * ripple * x**2
    level = 1 + np.cumsum(rng.normal(0, drift, n))
    slope = np.cumsum(rng.normal(0, drift / 3, n))
    sigma0 = 1 / np.sqrt(bin_width * t_spectrum)
    amp = 0.0
    k = np.zeros(0)
    if g_gev > 0:
        if f_a is None:
            raise InputError("an injected signal needs f_a")
        edge0 = lo1 + if_f[0] - 0.5 * bin_width
        f_a = float(edge0 + round((f_a - edge0) / bin_width) * bin_width)  # on a bin edge
        amp = signal_amplitude(g_gev, f_a, cavity, bin_width, contrast)
        k = shm_bin_fractions(f_a, bin_width, 20, v_lab=V_LAB_DEFAULT, v_rms=V_RMS_SHM)
    power = out if out is not None else np.empty((n, n_bins), dtype=dtype)
    if power.shape != (n, n_bins):
        raise InputError(f"'out' must have shape {(n, n_bins)}, got {power.shape}")
    block = 256
    for i in range(0, n, block):
        sl = slice(i, min(i + block, n))
        f = los[sl, None] + if_f[None, :]
        temp = cavity.t_sys * (1 + contrast / (1 + 4 * cavity.q_loaded**2 * (f / cavity.f0 - 1) ** 2))
        p = (g_if[None, :] * level[sl, None] * (1 + slope[sl, None] * x[None, :]) * k_B * temp * bin_width
             * 1e12)  # pW-scale numbers, comfortably inside float32
        if amp > 0:
            s = np.zeros_like(p)
            lower = f - 0.5 * bin_width
            j0 = np.argmin(np.abs(lower - f_a), axis=1)
            for r in range(p.shape[0]):
                if on[sl][r]:
                    m = min(k.size, n_bins - j0[r])
                    s[r, j0[r]:j0[r] + m] = amp * k[:m]
            p = p * (1 + s)
        p = p * (1 + sigma0 * rng.standard_normal(p.shape))
        power[sl] = p
    raw = RawSpectra(power=power, timestamp=np.arange(n) * t_spectrum, lo_frequency=los, magnet_on=on,
                     if_frequency=if_f, integration_time=t_spectrum, source="synthetic")
    truth = {"synthetic": True, "seed": seed, "g_gev": g_gev, "f_a_hz": f_a, "amplitude_A": amp,
             "n_on": n_on, "n_off": n_off, "n_bins": n_bins, "bin_width_hz": bin_width,
             "t_spectrum_s": t_spectrum, "lo_hz": [float(lo1), float(lo1 + shift)], "sigma0": sigma0,
             "cavity": {k_: float(getattr(cavity, k_)) for k_ in ("f0", "q_loaded", "beta", "form_factor",
                                                                   "volume", "b_field", "t_sys", "rho")},
             "contrast": contrast, "ripple": ripple, "drift": drift}
    return SyntheticRun(raw, truth)
