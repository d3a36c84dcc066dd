"""Laterally inhomogeneous regions of the multi-mode solver: a dielectric disk smaller than the cylinder.

A disk of radius ``a`` smaller than the cylinder radius ``R`` leaves a vacuum annulus, so its layer is not a
homogeneous guide: its modes are the hybrid modes of a two-region (dielectric core, vacuum annulus) circular
waveguide. They are computed here as a Galerkin (coupled-mode) expansion in the empty guide's modes
(docs/physics.md §5.5). With ``E_t = sum a_n e_n`` and ``Z0 H_t = sum b_n (z x e_n)`` in a z-invariant layer of
permittivity ``eps(x, y)``, Maxwell's equations projected on the modes give, for fields ``exp(-j beta z)``,

    beta a = P b,   P = k0 I - (1/k0) D_TM K D_TM,   K = [1/eps] on the TM potentials psi
    beta b = Q a,   Q = k0 E - (1/k0) D_TE,          E = [eps] on the transverse fields e

(``D`` the diagonal of ``kc^2`` on the TM or TE modes, ``psi`` the normalised potentials), so ``beta^2`` and
``a`` are the eigenpairs of ``P Q`` and ``b = Q a / beta``. For a homogeneous layer ``E = eps I`` and the
eigenpairs are the empty modes with ``beta^2 = eps k0^2 - kc^2``. The uniform axion current forces the
z-independent field ``p = k0 Q^-1 s`` (``s`` the overlaps with the uniform field), with no transverse H.
The layer is axisymmetric, so modes of different azimuthal order and parity do not couple: the eigenproblem is
solved block by block, each block coupling the TE and TM modes of one ``(m, parity)``.

The overlaps with the core are integrated exactly on a Gauss-Legendre quadrature of ``[0, a]``. How the
permittivity step enters decides the convergence (the factorisation rules of Fourier modal methods): E_phi and
E_z are continuous across ``r = a`` while E_r jumps (eps E_r is continuous), so the azimuthal part of ``E`` is
the plain overlap ``<e_phi| eps |e_phi>`` (Laurent's rule), the radial part is
``G_r <e_r| 1/eps |e_r>^-1 G_r`` (the inverse rule, ``G_r = <e_r|e_r>``), and ``K = N <psi| eps |psi>^-1 N``
(``N = <psi|psi>``; ``eps E_z`` jumps, ``E_z`` does not). With the plain overlaps everywhere the boost factor
converges several times more slowly (docs/booster3d.md).

>>> import numpy as np
>>> from emboost.booster.multimode import mode_basis
>>> basis = mode_basis(0.02, 300.0)
>>> core = core_overlaps(basis, 0.02)   # a core filling the guide: the overlaps are the identity
>>> bool(np.allclose(core.gram, np.eye(basis.size), atol=1e-12))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from emboost.core.errors import PhysicsError
from emboost.core.reprs import short_repr

if TYPE_CHECKING:
    from emboost.booster.multimode_basis import ModeBasis

__all__ = ["CoreOverlaps", "core_overlaps", "LayerModes", "layer_modes"]


@dataclass(frozen=True, eq=False)
class CoreOverlaps:
    """Overlaps of the empty-guide modes over a centred core of radius ``radius`` [m]: ``gram`` (N, N)
    ``int_core e_m . e_n`` (dimensionless: the modes are normalised), ``gram_r`` the same for the radial
    components alone, ``full_r`` the radial Gram matrix over the whole cross-section, ``potential`` (N, N)
    ``int_core psi_m psi_n`` [m^2], and ``blocks`` the index sets that an axisymmetric layer couples."""

    radius: float
    gram: np.ndarray
    gram_r: np.ndarray
    full_r: np.ndarray
    potential: np.ndarray
    blocks: tuple[np.ndarray, ...]

    __repr__ = short_repr


def core_overlaps(basis: ModeBasis, radius: float, n_r: int | None = None) -> CoreOverlaps:
    """Overlap integrals of the modes of ``basis`` (a :class:`~emboost.booster.multimode_basis.ModeBasis`) over
    the disk ``r < radius`` [m] (Gauss-Legendre in r on ``[0, radius]``, uniform in phi: exact for the modes'
    angular products, converged to rounding in r)."""
    n_r = n_r or int(basis.kc.max() * radius) + 24
    n_phi = 2 * int(basis.m.max()) + 16
    xg, wg = np.polynomial.legendre.leggauss(n_r)
    r = 0.5 * radius * (xg + 1.0)
    wr = 0.5 * radius * wg * r
    phi = 2 * np.pi * (np.arange(n_phi) + 0.5) / n_phi
    rr, pp = (g.ravel() for g in np.meshgrid(r, phi, indexing="ij"))
    w = np.repeat(wr * (2 * np.pi / n_phi), n_phi)
    ex, ey, psi = basis.fields_at(rr, pp)
    er = ex * np.cos(pp)[:, None] + ey * np.sin(pp)[:, None]
    wex, wey = ex * w[:, None], ey * w[:, None]
    gram = wex.T @ ex + wey.T @ ey
    gram_r = (er * w[:, None]).T @ er
    pot = (psi * w[:, None]).T @ psi
    phi_b = np.arctan2(basis.y, basis.x)
    er_b = basis.ex * np.cos(phi_b)[:, None] + basis.ey * np.sin(phi_b)[:, None]
    full_r = (er_b * basis.w[:, None]).T @ er_b
    keys = np.stack([basis.m, basis.even.astype(int)], axis=1)
    blocks = tuple(np.nonzero(np.all(keys == k, axis=1))[0] for k in np.unique(keys, axis=0))
    return CoreOverlaps(float(radius), gram, gram_r, full_r, pot, blocks)


@dataclass(frozen=True, eq=False)
class LayerModes:
    """Modes of a layer at F frequencies: ``beta`` (F, N) [1/m] (Im <= 0), ``e`` (F, N, N) the E coefficients
    of each mode (column) on the empty modes, ``h`` (F, N, N) its H coefficients (Z0 H on ``z x e_m``, forward
    wave), ``particular`` (F, N) the axion-forced field on the empty modes (per unit air plane-wave amplitude)."""

    beta: np.ndarray
    e: np.ndarray
    h: np.ndarray
    particular: np.ndarray

    __repr__ = short_repr


def layer_modes(basis: ModeBasis, core: CoreOverlaps, eps: np.ndarray, k0: np.ndarray) -> LayerModes:
    """Modes of the layer "core of permittivity ``eps`` (F,) in vacuum" at wavenumbers ``k0`` (F,) [1/m]."""
    nf, n = k0.size, basis.size
    kc2 = basis.kc**2
    tm = basis.kind == 1
    eye = np.eye(n)
    e_ = eps[:, None, None]
    # E_phi and E_z are continuous across r = a, E_r jumps (eps E_r is continuous): Laurent's rule for the
    # azimuthal part, the inverse rule for the radial part and for 1/eps acting on the potentials
    full_phi = eye - core.full_r
    core_phi = core.gram - core.gram_r
    e_phi = full_phi[None] + (e_ - 1.0) * core_phi[None]
    # the radial parts of the TE and TM modes are nearly dependent (G_r is singular): on the range of G_r,
    # G_r = U S U^T, the inverse rule is U S^1/2 (I + (1/eps - 1) S^-1/2 U^T C_r U S^-1/2)^-1 S^1/2 U^T, whose
    # middle matrix has its eigenvalues in [1, eps] (C_r the core part of G_r): well conditioned, symmetric
    sv, uv = np.linalg.eigh(core.full_r)
    keep = sv > 1e-11 * sv.max()
    us = uv[:, keep] * np.sqrt(sv[keep])                   # U S^1/2
    uc = uv[:, keep] / np.sqrt(sv[keep])                   # U S^-1/2
    cs = uc.T @ core.gram_r @ uc
    m_s = np.eye(cs.shape[0])[None] + (1.0 / e_ - 1.0) * cs[None]
    m_s = _sym_inverse(m_s)
    e_r = us[None] @ m_s @ us.T[None]
    emat = e_phi + e_r
    # K on the TM potentials, scaled by kc (the potentials' norms are 1/kc^2): I + (eps - 1) kc Psi_core kc
    tmi = np.nonzero(tm)[0]
    kct = basis.kc[tmi]
    eps_psi = np.eye(tmi.size)[None] + (e_ - 1.0) * (kct[:, None] * core.potential[np.ix_(tmi, tmi)] * kct)[None]
    kmat = np.zeros((k0.size, n, n), dtype=complex)
    kmat[:, tmi[:, None], tmi[None, :]] = _sym_inverse(eps_psi) / (kct[:, None] * kct[None, :])
    dtm = np.where(tm, kc2, 0.0)
    dte = np.where(tm, 0.0, kc2)
    k = k0[:, None, None]
    pmat = k * eye[None] - (dtm[:, None] * kmat * dtm[None, :]) / k
    qmat = k * emat - np.diag(dte)[None] / k
    beta = np.zeros((nf, n), dtype=complex)
    vec = np.zeros((nf, n, n), dtype=complex)
    for idx in core.blocks:
        sub = np.ix_(idx, idx)
        m = pmat[(slice(None),) + sub] @ qmat[(slice(None),) + sub]
        lam, v = np.linalg.eig(m)
        b = np.sqrt(lam.astype(complex))  # principal root: Re >= 0
        # evanescent modes decay (Im < 0); a propagating mode of a lossless layer keeps Re > 0 whatever the sign
        # of the rounding in Im(lam)
        b = np.where(b.imag > 1e-9 * np.abs(b), -b, b)
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        beta[:, idx] = b
        vec[(slice(None),) + sub] = v
    if np.any(np.abs(beta) < 1e-6 * k0[:, None]):
        raise PhysicsError("a mode of a small-disk layer lies at its cutoff: move the frequency or change kc_max")
    h = (qmat @ vec) / beta[:, None, :]
    part = k0[:, None] * np.linalg.solve(qmat, np.broadcast_to(basis.source, (nf, n))[..., None])[..., 0]
    return LayerModes(beta, vec, h, part)


def _sym_inverse(m: np.ndarray) -> np.ndarray:
    """Inverse of a batch of complex-symmetric, well-conditioned matrices, symmetric to rounding."""
    x = np.linalg.inv(m)
    return 0.5 * (x + np.swapaxes(x, -1, -2))
