"""Mode basis of the multi-mode solver: the TE and TM modes of a circular PEC guide on a polar quadrature, and
the projections of phase-shifted modes on a displaced surface (:mod:`emboost.booster.multimode`).

>>> b = mode_basis(0.02, 300.0)
>>> b.size, int(b.kind[b.te11]), int(b.m[b.te11])
(9, 0, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from emboost.core.errors import InputError
from emboost.core.reprs import short_repr

__all__ = ["ModeBasis", "mode_basis"]


@dataclass(frozen=True, eq=False)
class ModeBasis:
    """Modes of a circular PEC guide of radius ``radius`` [m], sampled on a polar quadrature.

    ``kind`` 0 = TE, 1 = TM; ``m``, ``n`` the azimuthal and radial orders; ``kc`` [1/m] the cutoff wavenumbers
    (ascending); ``ex``, ``ey`` shape ``(Q, N)`` the transverse E field of each mode, orthonormal under the
    quadrature weights ``w`` [m^2] at points ``x``, ``y`` [m]; ``psi`` (Q, N) the scalar potential of each mode
    with the same normalisation (``e = z x grad psi`` for TE, ``grad psi`` for TM), which gives the longitudinal
    fields; ``source`` (N,) the overlap of each mode with a uniform unit field along x (``sum(source**2)`` tends
    to the area); ``scale`` (N,) the normalisation of the Bessel-function fields (:meth:`fields_at`).
    """

    radius: float
    kind: np.ndarray
    m: np.ndarray
    n: np.ndarray
    even: np.ndarray
    kc: np.ndarray
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    psi: np.ndarray
    source: np.ndarray
    scale: np.ndarray

    __repr__ = short_repr

    def fields_at(self, r: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(e_x, e_y, psi)`` of every mode, normalised as on the quadrature, at polar points ``r`` [m],
        ``phi`` [rad] (1-D, same length): shape (len(r), N) each."""
        ex, ey, psi = _mode_fields(self.kc, self.kind, self.m, self.even, np.asarray(r, float),
                                   np.asarray(phi, float))
        return ex * self.scale, ey * self.scale, psi * self.scale

    @property
    def size(self) -> int:
        return int(self.kc.size)

    @property
    def te11(self) -> int:
        """Index of the x-polarised TE11 mode."""
        hit = np.nonzero((self.kind == 0) & (self.m == 1) & (self.n == 1) & self.even)[0]
        return int(hit[0])

    def project(self, vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
        """Coefficients of a transverse field ``(vx, vy)`` sampled at the quadrature points: shape (..., N)."""
        return (vx * self.w) @ self.ex + (vy * self.w) @ self.ey

    def mixing(self, phase: np.ndarray) -> np.ndarray:
        """``M_mn = <e_m| exp(phase_n(x, y)) |e_n>`` for phases of shape (..., Q, N): shape (..., N, N)."""
        g = np.moveaxis(np.exp(phase), -2, 0)  # (Q, ..., N)
        lead = g.shape[1:-1]
        g = g.reshape(g.shape[0], -1, g.shape[-1])
        ex, ey = self.ex[:, None, :], self.ey[:, None, :]
        out = _gemm(self.ex * self.w[:, None], g * ex) + _gemm(self.ey * self.w[:, None], g * ey)
        return out.reshape(lead + out.shape[-2:])


def _gemm(test: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``sum_q test[q, m] cols[q, f, n]`` for a real (Q, N) ``test`` and a complex (Q, F, N) ``cols``: (F, N, N).

    The complex columns are read as interleaved real pairs, so the whole batch is one real GEMM with no copy."""
    q, nf, n = cols.shape
    c = np.ascontiguousarray(cols)
    out = (np.ascontiguousarray(test.T) @ c.reshape(q, nf * n).view(np.float64)).view(np.complex128)
    return np.ascontiguousarray(out.reshape(test.shape[1], nf, n).transpose(1, 0, 2))


#: the series of :func:`_phase_projection` is used while ``max |(beta - beta_0) h|`` stays below this
_SERIES_LIMIT = 1.0


def _phase_projection(test: np.ndarray, cols: np.ndarray, h: np.ndarray,
                      beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P[n, f, m] = sum_q test[q, m] cols[q, n] exp(-+j beta[f, n] h[q])`` for both signs: two (N, F, M) arrays.

    ``test`` (Q, M) and ``cols`` (Q, N) are real, ``h`` (Q,) the surface height [m], ``beta`` (F, N) [1/m].
    Over a band the phases change little with frequency, so around the real ``beta_0 = Re mean_f beta`` the
    exponential is ``exp(-+j beta_0 h) sum_k (-+j (beta - beta_0) h)^k / k!``: a few frequency-independent
    moments ``sum_q test cols h^k exp(-j beta_0 h)`` (one GEMM each; those of the other sign are their complex
    conjugates) times per-frequency coefficients, exact to 1e-15 relative in the series; where
    ``|(beta - beta_0) h|`` exceeds 1 the exponential is evaluated directly.
    """
    beta0 = beta.real.mean(axis=0)
    d = beta - beta0[None, :]
    x = float(np.max(np.abs(d))) * float(np.max(np.abs(h)))
    if x > _SERIES_LIMIT:
        g = np.exp(-1j * h[:, None, None] * beta[None, :, :])                      # (Q, F, N)
        return (_gemm(test, cols[:, None, :] * g).transpose(2, 0, 1),
                _gemm(test, cols[:, None, :] / g).transpose(2, 0, 1))
    base = cols * np.exp(-1j * h[:, None] * beta0[None, :])                          # (Q, N)
    tt = np.ascontiguousarray(test.T)
    moments, coefs = [], []
    hk = np.ones_like(h)
    coef = np.ones_like(d)
    k, term = 0, 1.0
    while True:
        moments.append(tt @ (base * hk[:, None]))                                   # (M, N)
        coefs.append(coef)
        k += 1
        term *= x / k
        if term < 1e-16:
            break
        hk = hk * h
        coef = coef * (-1j * d) / k
    # out[f, m, n] = sum_k coefs[k][f, n] moments[k][m, n]: one batched GEMM over n per sign; the + sign has
    # the conjugate moments and the coefficients with the sign of every odd power flipped
    sign = (-1.0) ** np.arange(len(coefs))
    c_minus = np.stack(coefs).transpose(2, 1, 0)                                     # (N, F, K)
    m_minus = np.stack(moments).transpose(2, 0, 1)                                   # (N, K, M)
    return c_minus @ m_minus, (c_minus * sign) @ np.conj(m_minus)


def _zeros(m: int, count: int, derivative: bool) -> np.ndarray:
    return special.jnp_zeros(m, count) if derivative else special.jn_zeros(m, count)


def mode_basis(radius: float, kc_max: float, *, symmetric: bool = True, n_r: int | None = None,
               n_phi: int | None = None, orders: Sequence[int] | None = None) -> ModeBasis:
    """All modes with cutoff ``kc < kc_max`` [1/m] of a PEC cylinder of radius ``radius`` [m].

    ``symmetric`` keeps only the family excited by an x-polarised source and coupled by surfaces that are even in
    ``y`` (TE with sin(m phi), TM with cos(m phi)); ``False`` keeps both polarisations (any surface). ``n_r``,
    ``n_phi``: quadrature size (default: enough to integrate products of the modes exactly in phi and to a few
    ulp in r). ``orders``: keep only these azimuthal orders (``(1,)``: the modes that an x-polarised source
    excites and an axisymmetric structure keeps).

    >>> b = mode_basis(0.02, 300.0)
    >>> [(int(k), int(m), int(n)) for k, m, n in zip(b.kind, b.m, b.n)][:3]
    [(0, 1, 1), (1, 0, 1), (0, 2, 1)]
    >>> round(float(b.source[b.te11] ** 2 / (np.pi * 0.02**2)), 6)
    0.836835
    """
    if not (np.isfinite(radius) and radius > 0):
        raise InputError(f"radius must be > 0 m, got {radius!r}", key="radius")
    if not (np.isfinite(kc_max) and kc_max * radius > special.jnp_zeros(1, 1)[0]):
        raise InputError(f"kc_max {kc_max!r} 1/m keeps no mode (TE11 needs kc_max > {1.8412 / radius:.4g} 1/m)",
                         key="kc_max")
    xmax = kc_max * radius
    entries: list[tuple[float, int, int, int, bool]] = []
    m = 0
    while True:
        found = False
        if orders is not None and m not in orders:
            if m > max(orders):
                break
            m += 1
            continue
        for kind, deriv in ((0, True), (1, False)):
            # the zeros of J_m and J_m' are spaced by about pi: this many cover [0, xmax] with room to spare
            zs = _zeros(m, int(xmax / np.pi) + 3, deriv)
            while zs[-1] < xmax:  # pragma: no cover - the estimate above always suffices
                zs = _zeros(m, 2 * zs.size, deriv)
            for n_idx, z in enumerate(zs[zs < xmax], start=1):
                found = True
                for even in ((True,) if symmetric else (True, False)):
                    # even family: TE sin(m phi) (m >= 1), TM cos(m phi); odd: TE cos, TM sin (m >= 1)
                    uses_sin = (kind == 0) == even
                    if (uses_sin and m == 0) or (orders is not None and m not in orders):
                        continue
                    entries.append((float(z) / radius, kind, m, n_idx, even))
        if not found and m > 0:
            break
        m += 1
        if m > 400:  # pragma: no cover - kc_max is bounded by the zero search above
            break
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    kc = np.array([e[0] for e in entries])
    kinds = np.array([e[1] for e in entries])
    ms = np.array([e[2] for e in entries])
    ns = np.array([e[3] for e in entries])
    evens = np.array([e[4] for e in entries])
    m_max = int(ms.max())
    n_phi = n_phi or 2 * m_max + 16
    n_r = n_r or int(xmax) + 16
    xg, wg = np.polynomial.legendre.leggauss(n_r)
    r = 0.5 * radius * (xg + 1.0)
    wr = 0.5 * radius * wg * r
    phi = 2 * np.pi * (np.arange(n_phi) + 0.5) / n_phi
    r_grid, p_grid = np.meshgrid(r, phi, indexing="ij")
    R, P = r_grid.ravel(), p_grid.ravel()
    W = np.repeat(wr * (2 * np.pi / n_phi), n_phi)
    fx, fy, fpsi = _mode_fields(kc, kinds, ms, evens, R, P)
    norm = np.sqrt(W @ (fx**2 + fy**2))
    src = W @ fx
    scale = np.where(src < 0, -1.0, 1.0) / norm
    ex, ey, psi = fx * scale, fy * scale, fpsi * scale
    src = src * scale
    src[np.abs(src) < 1e-12 * np.abs(src).max()] = 0.0
    x, y = R * np.cos(P), R * np.sin(P)
    W = np.ascontiguousarray(W)
    for a in (kinds, ms, ns, evens, kc, x, y, W, ex, ey, psi, src, scale):
        a.setflags(write=False)
    return ModeBasis(float(radius), kinds, ms, ns, evens, kc, x, y, W, ex, ey, psi, src, scale)


def _mode_fields(kc: np.ndarray, kinds: np.ndarray, ms: np.ndarray, evens: np.ndarray, r: np.ndarray,
                 phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unnormalised ``(e_x, e_y, psi)`` of the modes at the polar points ``(r, phi)``: shape (Q, N) each."""
    ex = np.empty((r.size, kc.size))
    ey = np.empty((r.size, kc.size))
    psi = np.empty((r.size, kc.size))
    for j, (k, kind, mm, even) in enumerate(zip(kc, kinds, ms, evens)):
        uses_sin = (kind == 0) == even
        ang = np.sin(mm * phi) if uses_sin else np.cos(mm * phi)
        dang = mm * np.cos(mm * phi) if uses_sin else -mm * np.sin(mm * phi)
        jm = special.jv(mm, k * r)
        djm = k * special.jvp(mm, k * r)
        if kind == 0:  # e = z x grad(psi): e_r = -(1/r) dpsi/dphi, e_phi = dpsi/dr
            er, ephi = -jm * dang / r, djm * ang
        else:  # e = grad(psi)
            er, ephi = djm * ang, jm * dang / r
        ex[:, j] = er * np.cos(phi) - ephi * np.sin(phi)
        ey[:, j] = er * np.sin(phi) + ephi * np.cos(phi)
        psi[:, j] = jm * ang
    return ex, ey, psi
