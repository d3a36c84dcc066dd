"""Conductors: surface resistance, mirror reflectivity, and the cryogenic anomalous-skin factor.

All functions broadcast over their arguments. Frequencies in Hz, conductivities in S/m,
resistances in ohm.

>>> round(float(surface_resistance(19e9, 3.5e7)) * 1e3, 2)   # mOhm, aluminium at 19 GHz
46.29
>>> round(float(hagen_rubens_reflectivity(19e9, 3.5e7)), 6)
0.999508
>>> [round(float(anomalous_factor(f)), 2) for f in (5e6, 30e6, 200e6)]
[13.82, 10.25, 7.47]
"""

from __future__ import annotations

import numpy as np

from emboost.core.constants import eps0, mu0
from emboost.core.conventions import ArrayLike

#: conductivity of annealed copper at room temperature [S/m]
SIGMA_CU_RT = 5.8e7
#: conductivity of aluminium at room temperature [S/m] (physics.md §2.9: 3.5-3.8e7)
SIGMA_AL_RT = 3.5e7
#: measured ratio R_s(RT)/R_s(cryogenic, anomalous limit) of copper at 2.85 GHz (Cahill et al. 2016)
R_REF_CU = 4.8
#: frequency at which :data:`R_REF_CU` was measured [Hz]
F_REF_CU = 2.85e9


def surface_resistance(f: ArrayLike, conductivity: ArrayLike) -> np.ndarray:
    """Normal-skin-effect surface resistance ``R_s = sqrt(w mu0 / (2 sigma))`` [ohm]."""
    f = np.asarray(f, dtype=float)
    sigma = np.asarray(conductivity, dtype=float)
    return np.sqrt(np.pi * f * mu0 / sigma)


def surface_impedance(f: ArrayLike, conductivity: ArrayLike) -> np.ndarray:
    """Surface impedance ``Z_s = (1 + j) R_s`` of a good conductor, exp(+jwt) convention [ohm]."""
    return (1.0 + 1.0j) * surface_resistance(f, conductivity)


def hagen_rubens_reflectivity(f: ArrayLike, conductivity: ArrayLike) -> np.ndarray:
    """Hagen-Rubens power reflectivity ``1 - 2 sqrt(2 w eps0 / sigma)`` of a metal mirror."""
    w = 2 * np.pi * np.asarray(f, dtype=float)
    return 1.0 - 2.0 * np.sqrt(2.0 * w * eps0 / np.asarray(conductivity, dtype=float))


def anomalous_factor(f: ArrayLike, r_ref: float = R_REF_CU, f_ref: float = F_REF_CU,
                     magnetoresistance: float = 0.0) -> np.ndarray:
    """Cryogenic improvement ``r(f) = R_s,RT / R_s,cold`` of copper in the anomalous-skin regime.

    ``r(f) = r_ref (f_ref / f)^(1/6) (1 - magnetoresistance)`` (physics.md §4.6, eq. 13): the
    room-temperature surface resistance grows as f^(1/2), the extreme-anomalous one as f^(2/3).
    ``magnetoresistance`` is the fractional penalty (0.2 for the 20 % the DMRadio paper uses).
    The quality factor of a copper resonator improves by r; an RT FEM conductivity by r^2.
    """
    f = np.asarray(f, dtype=float)
    return r_ref * (f_ref / f) ** (1.0 / 6.0) * (1.0 - magnetoresistance)
