"""Physical constants (SI, CODATA 2018 via :mod:`scipy.constants`) and a few derived numbers.

Every module of emboost takes its constants from here, so that a change of value happens once.

>>> round(Z0, 3)
376.73
>>> round(P11_PRIME, 6)
1.841184
"""

from __future__ import annotations

import scipy.constants as _sc
from scipy.special import jnp_zeros as _jnp_zeros

c: float = _sc.c  #: speed of light in vacuum [m/s]
mu0: float = _sc.mu_0  #: vacuum permeability [H/m]
eps0: float = _sc.epsilon_0  #: vacuum permittivity [F/m]
Z0: float = (_sc.mu_0 / _sc.epsilon_0) ** 0.5  #: impedance of free space [ohm]
h: float = _sc.h  #: Planck constant [J s]
hbar: float = _sc.hbar  #: reduced Planck constant [J s]
k_B: float = _sc.k  #: Boltzmann constant [J/K]
e: float = _sc.e  #: elementary charge [C]
alpha_fs: float = _sc.fine_structure  #: fine-structure constant

eV: float = _sc.e  #: one electronvolt [J]
GeV: float = 1e9 * _sc.e  #: one gigaelectronvolt [J]
hbar_c: float = _sc.hbar * _sc.c  #: hbar c [J m]

T0_IEEE: float = 290.0  #: reference temperature of noise figures and ENR [K]

P11_PRIME: float = float(_jnp_zeros(1, 1)[0])  #: first zero of J1', cutoff constant of TE11 (1.841184)
ETA_A_TE11: float = 2.0 / (P11_PRIME**2 - 1.0)  #: transverse overlap of ideal TE11 with a uniform source

GEV_PER_CM3: float = GeV * 1e6  #: 1 GeV/cm^3 expressed in J/m^3
