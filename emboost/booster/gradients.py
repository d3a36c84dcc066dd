"""Exact derivatives of the boost factor and of S11 with respect to every gap, disk thickness, eps and tan delta.

Reverse mode (adjoint) through the one-column chain of :mod:`emboost.booster.engine`: a forward pass
stores the state before every section and the wave difference ``d = a - b`` at every interface; one
backward pass per output (boost amplitude ``A`` and ``S11``, both at once, vectorised over frequency)
gives the derivatives with respect to every section factor ``e_r = exp(-gamma_r l_r)``, every impedance
ratio ``zeta_r`` and every source coefficient ``c_r``. All these operations are complex-analytic, so
the chain rule needs no conjugates. The physical parameters enter through

* ``de_r / dl_r = -gamma_r e_r`` (a gap or a disk thickness);
* ``eps_c = eps (1 - j tan d)`` of a disk, through ``gamma`` (``dgamma/deps_c = gamma / (2 eps_c)`` for
  plane waves, ``-k0^2 / (2 gamma)`` for TE11), ``Z`` (``dZ = -Z dgamma / gamma`` for TE11,
  ``-Z / (2 eps_c)`` for plane waves), the source ``s`` (``-s / eps_c``, or ``-s k0^2 / (eps_c k0^2 - kc^2)``
  for the modal forcing) and, with a lossy wall, the wall attenuation's derivative with respect to
  the real permittivity (physics.md (2.3)).

The boost factor's derivative is ``2 eta Re(conj(A) dA/dp)``. The tests hold every derivative equal
to central finite differences to 1e-6 relative.

>>> import numpy as np
>>> from emboost.booster.model import Booster
>>> b = Booster.from_disks([8.2023e-3], 1e-3, 9.4)
>>> g = booster_gradients(b, np.array([19e9]))
>>> g.parameters
('gap_1', 'thickness_1', 'permittivity_1', 'loss_tangent_1')
>>> bool(abs(g.d_boost[0, 0]) < 1e-3 * g.boost_factor[0] / 1e-6)  # near the optimum gap
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from emboost.booster.engine import HAVE_NUMBA, RENORM_EVERY, exp_sections
from emboost.booster.model import Booster, _media, _source_terms
from emboost.core.constants import P11_PRIME, Z0, c, mu0
from emboost.core.conventions import complex_permittivity
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr
from emboost.rf.materials import surface_impedance, surface_resistance
from emboost.rf.media import te11_wall_attenuation, te_gamma_impedance

__all__ = ["BoosterGradients", "booster_gradients", "GradientEvaluator", "PARAMETER_KINDS"]

PARAMETER_KINDS = ("gap", "thickness", "permittivity", "loss_tangent")


@dataclass(frozen=True, eq=False)
class BoosterGradients:
    """Boost factor, S11 and their derivatives at frequencies ``frequency`` [Hz].

    ``parameters``: ``gap_1..gap_n`` [m], ``thickness_1..n`` [m], ``permittivity_1..n``,
    ``loss_tangent_1..n`` (in that order, ``P = 4 n``). ``d_amplitude`` and ``d_s11`` are complex
    ``(P, nf)`` (per metre for lengths, per unit for eps and tan delta); ``d_boost`` is real ``(P, nf)``.
    """

    __repr__ = short_repr

    frequency: np.ndarray
    parameters: tuple[str, ...]
    boost_amplitude: np.ndarray
    s11: np.ndarray
    d_amplitude: np.ndarray
    d_s11: np.ndarray
    overlap: float

    @property
    def boost_factor(self) -> np.ndarray:
        """``eta |A|^2``, shape ``(nf,)``."""
        return self.overlap * np.abs(self.boost_amplitude) ** 2

    @property
    def d_boost(self) -> np.ndarray:
        """``d beta^2 / dp``, shape ``(P, nf)``."""
        return 2.0 * self.overlap * np.real(np.conj(self.boost_amplitude) * self.d_amplitude)

    def block(self, kind: str) -> slice:
        """Rows of ``kind`` (one of :data:`PARAMETER_KINDS`) in the ``(P, nf)`` arrays."""
        if kind not in PARAMETER_KINDS:
            raise InputError(f"parameter kind {kind!r}; expected one of {list(PARAMETER_KINDS)}", key="kind")
        n = len(self.parameters) // 4
        k = PARAMETER_KINDS.index(kind)
        return slice(k * n, (k + 1) * n)


def _wall_alpha_derivative(f: np.ndarray, radius: float, eps_r: np.ndarray, sigma: float) -> np.ndarray:
    """``d alpha_c / d eps_r`` of :func:`~emboost.rf.media.te11_wall_attenuation` [Np/m]."""
    k0 = 2 * np.pi * f / c
    kc = P11_PRIME / radius
    beta2 = eps_r * k0**2 - kc**2
    prop = beta2 > 0
    beta = np.sqrt(np.where(prop, beta2, 1.0))
    rs = surface_resistance(f, sigma)
    q = k0**2 / (P11_PRIME**2 - 1.0)
    num = kc**2 + eps_r * q
    d = rs / (radius * k0 * Z0) * (q / beta - num * k0**2 / (2 * beta**3))
    return np.where(prop, d, 0.0)


def _medium_derivatives(b: Booster, f: np.ndarray, eps_c: np.ndarray, eps_r: np.ndarray, g: np.ndarray,
                        z: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``dgamma, dZ, ds`` with respect to ``eps_c`` (complex-analytic part) and ``dgamma/deps_r`` from the wall."""
    k0 = 2 * np.pi * f / c
    if b.radius is None:
        n = np.sqrt(eps_c)
        dg = 1j * k0 * n / (2 * eps_c)
        dz = -z / (2 * eps_c)
        ds = -s / eps_c
        dwall = np.zeros_like(dg, dtype=float)
        return dg * np.ones_like(g), dz * np.ones_like(g), ds * np.ones_like(g), dwall * np.ones_like(g.real)
    kc = P11_PRIME / b.radius
    if b.wall_conductivity is not None:
        g_te = g - te11_wall_attenuation(f, b.radius, eps_r, b.wall_conductivity)
        dwall = _wall_alpha_derivative(f, b.radius, eps_r, b.wall_conductivity)
    else:
        g_te = g
        dwall = np.zeros(g.shape)
    dg = -(k0**2) / (2 * g_te)
    dz_per_dg = -z / g
    if b.source == "eps":
        ds = -s / eps_c
    else:
        ds = -s * k0**2 / (eps_c * k0**2 - kc**2)
    return dg, dz_per_dg * dg, ds * np.ones_like(g), dwall


def _adjoint_numpy(a: np.ndarray, bb: np.ndarray, w: np.ndarray, zfac: np.ndarray, e: np.ndarray, zeta: np.ndarray,
                   cj: np.ndarray, s11_only: bool = False) -> tuple[np.ndarray, ...]:
    """Forward pass and the adjoint of the amplitude (row 0) and S11 (row 1), numpy over frequencies.

    Returns ``amp, s11`` ``(nf,)`` and the derivatives with respect to the section factors ``(2, m, nf)``,
    the impedance ratios and the source coefficients ``(2, m - 1, nf)``.
    """
    m, nf = e.shape
    a_pre = np.empty((m, nf), complex)
    w_pre = np.empty((m, nf), complex)
    dstore = np.empty((max(m - 1, 1), nf), complex)
    scales = np.ones((max(m - 1, 1), nf))
    for r in range(m):
        a_pre[r], w_pre[r] = a, w
        a = a * e[r] ** 2
        w = w * e[r]
        if r < m - 1:
            d = a - bb
            dstore[r] = d
            w = w + cj[r] * d
            u = a + bb
            t = zeta[r] * d
            a, bb = 0.5 * (u + t), 0.5 * (u - t)
            if r % RENORM_EVERY == RENORM_EVERY - 1:
                sz = np.abs(bb.real) + np.abs(bb.imag)
                bad = (sz > 1e100) | ((sz < 1e-100) & (sz > 0))
                sc = np.where(bad, 1.0 / np.where(bad, sz, 1.0), 1.0)
                scales[r] = sc
                a, bb, w = a * sc, bb * sc, w * sc
    inv = 1.0 / bb
    amp = zfac * w * inv
    s11 = a * inv
    la = np.stack([np.zeros(nf, complex), inv])
    lb = np.stack([-amp * inv, -s11 * inv])
    lw = np.stack([zfac * inv, np.zeros(nf, complex)])
    g_e = np.empty((2, m, nf), complex)
    g_zeta = np.zeros((2, max(m - 1, 1), nf), complex)
    g_c = np.zeros((2, max(m - 1, 1), nf), complex)
    for r in range(m - 1, -1, -1):
        if r < m - 1:
            sc = scales[r]
            la, lb, lw = la * sc, lb * sc, lw * sc
            d = dstore[r]
            g_zeta[:, r] = 0.5 * (la - lb) * d
            g_c[:, r] = lw * d
            lu = 0.5 * (la + lb)
            ld = 0.5 * (la - lb) * zeta[r] + lw * cj[r]
            la, lb = lu + ld, lu - ld
        g_e[:, r] = la * 2.0 * a_pre[r] * e[r] + lw * w_pre[r]
        la = la * e[r] ** 2
        lw = lw * e[r]
    return amp, s11, g_e, g_zeta, g_c


if HAVE_NUMBA:  # pragma: no branch
    import numba

    @numba.njit(cache=True, nogil=True)
    def _adjoint_kernel(a0: Any, b0: Any, w0: Any, zfac: Any, e: Any, zeta: Any, cj: Any, amp: Any, s11: Any,
                        g_e: Any, g_zeta: Any, g_c: Any, every: int, first: int) -> None:  # pragma: no cover
        m, nf = e.shape
        a_pre = np.empty(m, np.complex128)
        w_pre = np.empty(m, np.complex128)
        dst = np.empty(max(m - 1, 1), np.complex128)
        scl = np.ones(max(m - 1, 1))
        for j in range(nf):
            a = a0[j]
            bb = b0[j]
            w = w0[j]
            for r in range(m):
                a_pre[r] = a
                w_pre[r] = w
                er = e[r, j]
                a = a * (er * er)
                w = w * er
                if r < m - 1:
                    d = a - bb
                    dst[r] = d
                    w = w + cj[r, j] * d
                    u = a + bb
                    t = zeta[r, j] * d
                    a = 0.5 * (u + t)
                    bb = 0.5 * (u - t)
                    sc = 1.0
                    if r % every == every - 1:
                        sz = abs(bb.real) + abs(bb.imag)
                        if sz > 1e100 or (sz < 1e-100 and sz > 0.0):
                            sc = 1.0 / sz
                            a = a * sc
                            bb = bb * sc
                            w = w * sc
                    scl[r] = sc
            inv = 1.0 / bb
            am = zfac[j] * w * inv
            sv = a * inv
            amp[j] = am
            s11[j] = sv
            for o in range(first, 2):
                if o == 0:
                    la = 0j
                    lb = -am * inv
                    lw = zfac[j] * inv
                else:
                    la = inv
                    lb = -sv * inv
                    lw = 0j
                for r in range(m - 1, -1, -1):
                    if r < m - 1:
                        sc = scl[r]
                        la = la * sc
                        lb = lb * sc
                        lw = lw * sc
                        d = dst[r]
                        g_zeta[o, r, j] = 0.5 * (la - lb) * d
                        g_c[o, r, j] = lw * d
                        lu = 0.5 * (la + lb)
                        ld = 0.5 * (la - lb) * zeta[r, j] + lw * cj[r, j]
                        la = lu + ld
                        lb = lu - ld
                    er = e[r, j]
                    g_e[o, r, j] = la * 2.0 * a_pre[r] * er + lw * w_pre[r]
                    la = la * (er * er)
                    lw = lw * er


if HAVE_NUMBA:  # pragma: no branch

    @numba.njit(cache=True, nogil=True)
    def _s11_jacobian_kernel(a0: Any, b0: Any, e: Any, mat: Any, gu: Any, zu: Any, dgu: Any, dzu: Any, dwu: Any,
                             length: Any, tand: Any, perm: Any, wall: bool, every: int, s11: Any,
                             jac: Any) -> None:  # pragma: no cover - compiled
        """S11 and its derivatives ``(4 n, nf)`` in one pass per frequency: the forward and S11 adjoint passes of
        :func:`_adjoint_kernel` (S11 does not depend on the source terms, so the source wave is left out) and the
        chain rule of :meth:`GradientEvaluator.__call__` to gaps, thicknesses, eps and tan delta. Materials by
        index: region ``r`` has ``gu[mat[r]]``, ``zu[mat[r]]``, ...; ``e`` ``(m, nf)`` the section factors."""
        m, nf = e.shape
        n = (m - 1) // 2
        a_pre = np.empty(m, np.complex128)
        dst = np.empty(max(m - 1, 1), np.complex128)
        scl = np.ones(max(m - 1, 1))
        ge = np.empty(m, np.complex128)
        gz = np.zeros(max(m - 1, 1), np.complex128)
        zt = np.ones(max(m - 1, 1), np.complex128)
        for j in range(nf):
            a = a0[j]
            bb = b0[j]
            for r in range(m):
                a_pre[r] = a
                er = e[r, j]
                a = a * (er * er)
                if r < m - 1:
                    d = a - bb
                    dst[r] = d
                    u = a + bb
                    zr = zu[mat[r + 1], j] / zu[mat[r], j]
                    zt[r] = zr
                    t = zr * d
                    a = 0.5 * (u + t)
                    bb = 0.5 * (u - t)
                    sc = 1.0
                    if r % every == every - 1:
                        sz = abs(bb.real) + abs(bb.imag)
                        if sz > 1e100 or (sz < 1e-100 and sz > 0.0):
                            sc = 1.0 / sz
                            a = a * sc
                            bb = bb * sc
                    scl[r] = sc
            inv = 1.0 / bb
            sv = a * inv
            s11[j] = sv
            la = inv
            lb = -sv * inv
            for r in range(m - 1, -1, -1):
                if r < m - 1:
                    sc = scl[r]
                    la = la * sc
                    lb = lb * sc
                    gz[r] = 0.5 * (la - lb) * dst[r]
                    lu = 0.5 * (la + lb)
                    ld = 0.5 * (la - lb) * zt[r]
                    la = lu + ld
                    lb = lu - ld
                er = e[r, j]
                ge[r] = la * 2.0 * a_pre[r] * er
                la = la * (er * er)
            for i in range(n):
                rg = 2 * i
                rd = rg + 1
                kg = mat[rg]
                kd = mat[rd]
                jac[i, j] = ge[rg] * (-gu[kg, j] * e[rg, j])
                jac[n + i, j] = ge[rd] * (-gu[kd, j] * e[rd, j])
                zd = zu[kd, j]
                dout_dg = ge[rd] * (-length[rd] * e[rd, j])
                dout_dz = gz[rg] / zu[kg, j] + gz[rd] * (-zt[rd] / zd)
                dec = dout_dg * dgu[kd, j] + dout_dz * dzu[kd, j]
                dperm = dec * (1 - 1j * tand[i])
                if wall:
                    dperm += (dout_dg + dout_dz * (-zd / gu[kd, j])) * dwu[kd, j]
                jac[2 * n + i, j] = dperm
                jac[3 * n + i, j] = dec * (-1j * perm[i])


def _adjoint_numba(a0: np.ndarray, b0: np.ndarray, w0: np.ndarray, zfac: np.ndarray, e: np.ndarray,
                   zeta: np.ndarray, cj: np.ndarray, s11_only: bool = False) -> tuple[np.ndarray, ...]:
    """The compiled forward and adjoint passes (same contract as :func:`_adjoint_numpy`; ``s11_only``: row 0 of
    the derivatives, the amplitude's, is left unset)."""
    m, nf = e.shape
    amp = np.empty(nf, complex)
    s11 = np.empty(nf, complex)
    g_e = np.empty((2, m, nf), complex)
    g_zeta = np.zeros((2, max(m - 1, 1), nf), complex)
    g_c = np.zeros((2, max(m - 1, 1), nf), complex)
    if m > 1:
        zc, cc = zeta, cj
    else:
        zc = cc = np.zeros((1, nf), complex)
    _adjoint_kernel(a0, b0, w0, zfac, e, zc, cc, amp, s11, g_e, g_zeta, g_c, RENORM_EVERY, int(s11_only))
    return amp, s11, g_e, g_zeta, g_c


def booster_gradients(b: Booster, f: np.ndarray, backend: str = "auto") -> BoosterGradients:
    """Boost amplitude, S11 and their exact derivatives for a booster without a batch axis.

    Cost: one forward and one backward pass over the regions, whatever the number of parameters
    (compiled with numba when installed; ``backend="numpy"`` runs the numpy reference of the same passes).
    For many geometries of one setup on one grid (a fit), :class:`GradientEvaluator` skips the set-up.
    """
    if b.batch_shape:
        raise InputError("gradients need a booster without a batch axis")
    return GradientEvaluator(b, f, backend)(b.gaps, b.thickness, b.loss_tangent)


class GradientEvaluator:
    """:func:`booster_gradients` for many gaps, thicknesses and loss tangents of one setup on one grid.

    The setup (permittivities, radius, walls, mirror, source normalisation, output length) and the frequencies
    [Hz] are fixed at construction (the band checked once); each call takes ``gaps``, ``thickness`` [m] and
    ``loss_tangent`` (per disk, or scalars broadcast to every disk) and returns the same
    :class:`BoosterGradients` as :func:`booster_gradients` of the booster with those values. The media
    (propagation constant, impedance, source term and their derivatives) of each distinct material are kept
    between calls (air always; a disk material until its loss tangent changes), and no ``Booster`` is built.
    Values a ``Booster`` would refuse (a negative length or loss tangent) raise the same ``InputError``.

    >>> from emboost.booster.model import Booster
    >>> b = Booster.from_disks([8e-3] * 2, 1e-3, 9.4, 1e-4)
    >>> f = np.linspace(18e9, 19e9, 5)
    >>> ev = GradientEvaluator(b, f)
    >>> g = ev([8.1e-3, 7.9e-3], 1e-3, 2e-4)
    >>> ref = booster_gradients(b.replace(gaps=np.array([8.1e-3, 7.9e-3]), loss_tangent=np.full(2, 2e-4)), f)
    >>> bool(np.allclose(g.d_s11, ref.d_s11, rtol=1e-12, atol=0))
    True
    """

    def __init__(self, b: Booster, f: np.ndarray, backend: str = "auto") -> None:
        if b.batch_shape:
            raise InputError("gradients need a booster without a batch axis")
        self.base = b
        self.frequency = b.check_band(f)
        self.backend = backend
        self.n = n = b.n_disks
        self.permittivity = np.array(np.broadcast_to(b.permittivity, (n,)), float)
        self.names = tuple(f"{k}_{i + 1}" for k in PARAMETER_KINDS for i in range(n))
        self._media: dict[tuple[complex, float], tuple[np.ndarray, ...]] = {}
        self._walls: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        f = self.frequency
        nf = f.size
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            if b.mirror_conductivity is None:
                self._a0 = np.ones(nf, complex)
                self._b0 = -self._a0
            else:
                zr = surface_impedance(f, b.mirror_conductivity) / self._medium(1.0 + 0j, 1.0)[1]
                self._a0 = np.ascontiguousarray(1.0 - zr, complex)
                self._b0 = np.ascontiguousarray(-(1.0 + zr), complex)

    def _medium(self, ec: complex, er: float) -> tuple[np.ndarray, ...]:
        """``gamma, Z, s, dgamma, dZ, ds, dwall`` ``(nf,)`` of one material (complex eps ``ec``, real ``er``)."""
        key = (complex(ec), float(er))
        got = self._media.get(key)
        if got is not None:
            return got
        b, f = self.base, self.frequency
        nf = f.size
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            if b.radius is not None and b.wall_conductivity is not None:
                # the closed booster with lossy walls, as _media and _medium_derivatives, with the wall terms
                # (which follow the real permittivity only) computed once per material
                wall = self._walls.get(key[1])
                if wall is None:
                    wall = self._walls[key[1]] = (
                        te11_wall_attenuation(f, b.radius, np.array(key[1]), b.wall_conductivity),
                        _wall_alpha_derivative(f, b.radius, np.array(key[1]), b.wall_conductivity))
                k0 = 2 * np.pi * f / c
                kc = P11_PRIME / b.radius
                g_te, _ = te_gamma_impedance(f, key[0], kc)
                g = g_te + wall[0]
                z = 1j * (2 * np.pi * f) * mu0 / g
                s = _source_terms(b, f, np.array(key[0])) * np.ones(nf)
                dg = -(k0**2) / (2 * g_te)
                ds = -s / key[0] if b.source == "eps" else -s * k0**2 / (key[0] * k0**2 - kc**2)
                out: tuple[np.ndarray, ...] = (g, z, s, dg, -z / g * dg, ds, wall[1])
            else:
                e_c, e_r = np.array([[key[0]]]), np.array([[key[1]]])
                g2, z2 = (np.broadcast_to(x, (1, nf)) for x in _media(b, f, e_c, e_r))
                s2 = np.broadcast_to(_source_terms(b, f, e_c), (1, nf))
                d = _medium_derivatives(b, f, e_c, e_r, g2, z2, s2)
                out = tuple(np.array(np.broadcast_to(x, (1, nf))[0]) for x in (g2, z2, s2, *d))
        if len(self._media) > 16:  # keep air (the first entry); drop materials of earlier loss tangents
            first = next(iter(self._media))
            self._media = {first: self._media[first]}
        self._media[key] = out
        return out

    def _s11_compiled(self, eps_c: np.ndarray, eps_r: np.ndarray, length: np.ndarray,
                      tand: np.ndarray) -> BoosterGradients:
        """S11 and its derivatives from :func:`_s11_jacobian_kernel` (the same numbers as the general path)."""
        b, f = self.base, self.frequency
        n, nf = self.n, f.size
        keys: dict[tuple[complex, float], int] = {}
        mat = np.array([keys.setdefault((complex(eps_c[r]), float(eps_r[r])), len(keys)) for r in range(eps_c.size)],
                       np.int64)
        rows = [self._medium(*k) for k in keys]
        gu, zu, dgu, dzu, dwu = (np.ascontiguousarray(np.array([row[k] for row in rows]), dtype=dt)
                                 for k, dt in ((0, complex), (1, complex), (3, complex), (4, complex), (6, float)))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            e = exp_sections(gu[mat], length, "numba")
            s11 = np.empty(nf, complex)
            jac = np.empty((4 * n, nf), complex)
            _s11_jacobian_kernel(self._a0, self._b0, e, mat, gu, zu, dgu, dzu, dwu, length, tand, self.permittivity,
                                 b.wall_conductivity is not None, RENORM_EVERY, s11, jac)
        return BoosterGradients(frequency=f, parameters=self.names, boost_amplitude=np.full(nf, np.nan + 0j),
                                s11=s11, d_amplitude=np.full((4 * n, nf), np.nan + 0j), d_s11=jac, overlap=b.eta_a)

    def __call__(self, gaps: Any, thickness: Any, loss_tangent: Any, s11_only: bool = False) -> BoosterGradients:
        """The gradients at these values; ``s11_only``: only S11 and its derivatives (``boost_amplitude`` and
        ``d_amplitude`` are then NaN; compiled in one kernel with numba)."""
        n = self.n
        gaps, thick, tand = (np.array(np.broadcast_to(np.asarray(x, float), (n,))) for x in
                             (gaps, thickness, loss_tangent))
        for bad, key, msg in ((gaps < 0, "gaps", "an air gap must be >= 0 m"),
                              (thick < 0, "thickness", "a disk thickness must be >= 0 m"),
                              (tand < 0, "loss_tangent", "loss tangent must be >= 0 (passive material)")):
            if np.any(bad):
                raise InputError(msg, key=key)
        b, f, backend = self.base, self.frequency, self.backend
        perm = self.permittivity
        nf = f.size
        m = 2 * n + 1
        length = np.empty(m)
        length[0:2 * n:2] = gaps
        length[1:2 * n:2] = thick
        length[-1] = b.output_length
        eps_r = np.ones(m)
        eps_r[1:2 * n:2] = perm
        tnd = np.zeros(m)
        tnd[1:2 * n:2] = tand
        eps_c = np.asarray(complex_permittivity(eps_r, tnd), dtype=complex)
        if s11_only and (backend == "numba" or (backend == "auto" and HAVE_NUMBA)):
            return self._s11_compiled(eps_c, eps_r, length, tand)
        rows = [self._medium(eps_c[r], eps_r[r]) for r in range(m)]
        g, z, s, dg, dz, ds, dwall = (np.array([row[k] for row in rows]) for k in range(7))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            e = exp_sections(g, length, backend)
            zeta = np.ascontiguousarray(z[1:] / z[:-1])
            cj = np.ascontiguousarray((s[1:] - s[:-1]) / z[:-1])
            z0 = z[0]
            w0 = 2.0 * s[0] / z0
            zfac = -0.5 * z[-1]
            adjoint = _adjoint_numba if (backend == "numba" or (backend == "auto" and HAVE_NUMBA)) else _adjoint_numpy
            amp, s11, g_e, g_zeta, g_c = adjoint(self._a0, self._b0, np.ascontiguousarray(w0 * np.ones(nf), complex),
                                                 np.ascontiguousarray(zfac * np.ones(nf), complex), e, zeta, cj,
                                                 s11_only)
            if s11_only:  # the S11 row alone (the parameter derivatives below are per row)
                g_e, g_zeta, g_c = g_e[1:], g_zeta[1:], g_c[1:]
            # parameters
            jac = np.zeros((g_e.shape[0], 4 * n, nf), complex)
            if n:
                rg, rd = slice(0, 2 * n, 2), slice(1, 2 * n, 2)
                jac[:, :n] = g_e[:, rg] * (-g[rg] * e[rg])
                jac[:, n:2 * n] = g_e[:, rd] * (-g[rd] * e[rd])
                # eps_c of a disk enters its section (gamma), the junction before it (air -> disk:
                # zeta = Z_d / Z_a, c = (s_d - s_a) / Z_a) and the junction after it (zeta = Z_a / Z_d,
                # c = (s_a - s_d) / Z_d)
                de_dg = -length[rd, None] * e[rd]
                zl, zd = z[rg], z[rd]
                zeta_r, cj_r = zeta[rd], cj[rd]
                dout_dg = g_e[:, rd] * de_dg
                dout_dz = g_zeta[:, rg] / zl + g_zeta[:, rd] * (-zeta_r / zd) + g_c[:, rd] * (-cj_r / zd)
                dout_ds = g_c[:, rg] / zl - g_c[:, rd] / zd
                dout_dec = dout_dg * dg[rd] + dout_dz * dz[rd] + dout_ds * ds[rd]
                jac[:, 2 * n:3 * n] = dout_dec * (1 - 1j * tand)[:, None]
                jac[:, 3 * n:] = dout_dec * (-1j * perm)[:, None]
                if b.wall_conductivity is not None:
                    # the wall attenuation follows the real permittivity: gamma += dwall, Z = j w mu0 / gamma
                    dgw = dwall[rd]
                    jac[:, 2 * n:3 * n] += (dout_dg + dout_dz * (-z[rd] / g[rd])) * dgw
        d_amp = np.full((4 * n, nf), np.nan + 0j) if s11_only else jac[0]
        return BoosterGradients(frequency=f, parameters=self.names, boost_amplitude=amp, s11=s11, d_amplitude=d_amp,
                                d_s11=jac[-1], overlap=b.eta_a)
