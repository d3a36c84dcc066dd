"""Sensitivity: the coupling g_ag a haloscope reaches, from its boost factor or cavity parameters.

Dielectric haloscope (MADMAX eq. 1.1, physics.md §2.2): the signal ``P = beta^2 P_0`` with
``P_0 = A g^2 B^2 rho hbar c^4 / (mu0 w^2)`` and the Dicke radiometer
``SNR = P / (k T_sys) sqrt(dt / dnu_a)`` give

    g^2 = SNR k T_sys sqrt(dnu_a / dt) mu0 w^2 / (beta^2 A B^2 rho hbar c^4)

with ``beta^2`` the boost factor *including* the transverse overlap and the receiver mismatch, ``A``
the disk area, ``dnu_a = f / Q_a`` the axion linewidth (by default ``Q_a`` from the standard halo,
:func:`emboost.core.axion.shm_q_eff`). Runs of independent data combine as ``g^-4 = sum g_i^-4`` (their
SNR^2 add). Couplings are returned in GeV^-1. The formulas live in :mod:`emboost.core.radiometry`
(shared by every detector family) and are re-exported here.

>>> from emboost.core.constants import GEV_PER_CM3
>>> g = booster_coupling_reach(1000.0, 300.0, np.pi * 0.1**2, 1.6, 19.2e9, 3 * 86400, snr=1.0,
...                            rho=0.3 * GEV_PER_CM3, linewidth=19.2e9 / 6.8e5)
>>> round(float(g) * 1e11, 2)
1.4
"""

from __future__ import annotations

import numpy as np

from emboost.core.axion import frequency_to_mass, g_dfsz_gev, g_ksvz_gev
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError
from emboost.core.radiometry import axion_linewidth, booster_coupling_reach, cavity_coupling_reach, dicke_snr

__all__ = ["booster_coupling_reach", "cavity_coupling_reach", "combine_runs", "dicke_snr",
           "qcd_lines", "axion_linewidth"]


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
