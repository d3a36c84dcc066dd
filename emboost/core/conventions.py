"""The conventions of emboost, written once. Tests in ``tests/test_conventions.py`` pin each of them.

Units
    SI everywhere inside emboost: Hz, m, s, ohm, S/m, K, T, J. Units are parsed only where data
    enters (:mod:`emboost.core.units`, setup files, recipes, data-file headers).

Time dependence
    Circuit code uses the engineering convention: fields and voltages vary as ``exp(+j w t)``,
    a wave travelling in +z as ``exp(-gamma z)`` with ``gamma = alpha + j beta``. The physics
    literature (Millar et al., BoostFractor) uses ``exp(-i w t)``; its complex amplitudes are the
    complex conjugates of ours, and ``|beta|^2``, ``|S11|^2`` and group delays are identical.
    :func:`emboost.booster.model.boost_amplitude_transfer_matrix` works in the physics convention
    internally and returns conjugated (engineering) amplitudes.

Sign of loss
    Complex relative permittivity ``eps = eps' (1 - j tan(delta))``; attenuation constant
    ``alpha >= 0`` in Np/m; power decays as ``exp(-2 alpha z)``; surface impedance of a conductor
    ``Zs = (1 + j) Rs``. A lossy layer attenuates and never amplifies.

Group delay
    ``tau_g = -d arg(S11) / d omega`` of the unwrapped phase, computed with second-order finite
    differences that are exact for quadratic phase on non-uniform grids (:func:`emboost.rf.network.group_delay`).

Boost factor
    ``beta^2(f) = P_sig(f) / P_0``: the axion-induced power leaving the booster into a matched
    output, divided by the power ``P_0 = A |E_0|^2 / (2 Z_0)`` that a bare, perfect mirror of the same
    area ``A`` emits (no factor 1/2 beyond the time average; physics.md §1.7). A bare perfect mirror
    gives exactly 1. In a closed (TE11) booster the transverse overlap ``eta_A`` multiplies the
    transmission-line result.

Noise
    Power spectral densities are one-sided (per Hz of positive frequency): the Johnson voltage
    noise of a resistor R at temperature T is ``4 k T R``. Noise temperatures are in kelvin.

Arrays
    Frequencies have shape ``(nf,)``. Network matrices have shape ``(..., nf, 2, 2)`` and spectra
    ``(..., nf)``, where the leading ``...`` is a batch axis (Monte-Carlo samples, sweeps). Any
    parameter of a model may be an array that broadcasts against the batch axis.

>>> complex_permittivity(9.4, 1e-4)
(9.4-0.0009400000000000001j)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike


def complex_permittivity(eps_r: ArrayLike, loss_tangent: ArrayLike = 0.0) -> np.ndarray | complex:
    """Complex relative permittivity ``eps' (1 - j tan(delta))`` in the exp(+jwt) convention."""
    out = np.asarray(eps_r, dtype=float) * (1.0 - 1j * np.asarray(loss_tangent, dtype=float))
    return complex(out) if out.ndim == 0 else out
