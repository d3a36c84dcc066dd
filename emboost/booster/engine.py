"""The booster chain at hardware speed: one homogeneous column, no division, reused workspaces.

The transmission line of a booster (physics.md §2.4) is solved with one column. Take the mirror's
homogeneous solution ``H = (V_h, I_h)`` (no axion source, mirror condition at ``z = 0``) and carry it
to the port. Every line section and interface has a unimodular ABCD matrix, so the Wronskian
``W = V_S I_h - V_h I_S`` of the driven solution ``S`` with ``H`` is unchanged by a section and jumps
by ``dV_i I_h(z_i)`` at the series source ``dV_i`` of interface ``i``; at the mirror ``W = s_0``. With a
matched output (``V_S = Z I_S`` at the port) the boost amplitude and the reflectivity are

    ``A = Z W / (Z I_h - V_h) = -Z W / (2 b)``,  ``S11 = a / b``,

where ``a, b`` are the waves of ``H`` towards and away from the port on the output line. So one
column ``(a, b)`` and one accumulator ``W`` carry everything, with the sources entering as
``W += c_i (a - b)``, ``c_i = dV_i / Z_i``.

Stability: in a section of propagation constant ``gamma`` the wave ``b`` grows as ``exp(gamma l)``
and ``a`` decays. Since ``A`` and ``S11`` are ratios, the whole state may be multiplied by any common
factor: each section multiplies ``a`` by ``exp(-2 gamma l)`` and ``W`` by ``exp(-gamma l)`` and leaves
``b`` alone (the true state times ``exp(-gamma l)``), so nothing grows with loss; every eighth
interface the state of each frequency is rescaled to ``|b| = 1`` if it left [1e-100, 1e100]. An
interface from line ``Z_1`` to ``Z_2`` is ``u = a + b``, ``d = a - b``, ``a' = (u + zeta d) / 2``,
``b' = (u - zeta d) / 2`` with ``zeta = Z_2 / Z_1`` precomputed per distinct pair of materials: the
chain itself has no complex division (one per frequency at the very end).

Two interchangeable back ends take the same tables: :func:`chain_numpy` (the pure-numpy reference:
whole arrays of variants x frequencies) and, when numba is installed, :func:`chain_numba` (compiled
loops over frequencies with the state in a reused workspace, exponentials computed in the loop only for
sections whose length varies between variants). The tests hold the two equal to 1e-10.

>>> import numpy as np
>>> from emboost.booster.model import Booster
>>> b = Booster.from_disks([8.2023e-3], 1e-3, 9.4)
>>> round(float(b.boost_factor(np.array([19e9]))[0]), 3)
30.048
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["ChainTables", "chain_numpy", "chain_numba", "HAVE_NUMBA", "run_chain", "RENORM_EVERY", "exp_sections"]

RENORM_EVERY = 8
_BIG, _SMALL = 1e100, 1e-100

try:  # pragma: no cover - exercised when numba is installed
    import numba as _numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _numba = None  # type: ignore[assignment]
    HAVE_NUMBA = False

Output = Literal["both", "boost"]


@dataclass(frozen=True, eq=False)
class ChainTables:
    """Per-frequency tables of one batch chunk (``nms`` material sets: 1, or one per variant).

    Shapes: ``a0, b0, w0, zfac`` ``(nms, nf)`` (mirror state and the output factor ``-Z_out / 2``);
    ``zeta, cj`` ``(nms, J, nf)`` with ``jidx`` ``(m - 1,)`` mapping interfaces to distinct junctions;
    ``gam`` ``(nms, K, nf)`` propagation constants of distinct materials with ``matr`` ``(m,)``;
    ``sec`` ``(Ks, nf)`` exponentials ``exp(-gamma l)`` of sections shared by every variant with
    ``sidx`` ``(m,)`` (``-1``: the section length varies, taken from ``lengths`` ``(nv, m)`` [m]).
    """

    a0: np.ndarray
    b0: np.ndarray
    w0: np.ndarray
    zfac: np.ndarray
    zeta: np.ndarray
    cj: np.ndarray
    jidx: np.ndarray
    gam: np.ndarray
    matr: np.ndarray
    sec: np.ndarray
    sidx: np.ndarray
    lengths: np.ndarray
    eta: float


def chain_numpy(t: ChainTables, out_amp: np.ndarray | None, out_s11: np.ndarray | None,
                out_boost: np.ndarray | None) -> None:
    """Pure-numpy chain over all variants of ``t`` at once; fills the given outputs ``(nv, nf)``."""
    nv = t.lengths.shape[0]
    nf = t.a0.shape[-1]
    m = t.matr.size
    shape = (nv, nf)
    a = np.broadcast_to(t.a0, shape).copy()
    b = np.broadcast_to(t.b0, shape).copy()
    w = np.broadcast_to(t.w0, shape).copy()
    for r in range(m):
        k = int(t.sidx[r])
        e = t.sec[k] if k >= 0 else np.exp(-t.gam[:, t.matr[r], :] * t.lengths[:, r, None])
        a *= e * e
        w *= e
        if r < m - 1:
            q = int(t.jidx[r])
            d = a - b
            w += t.cj[:, q, :] * d
            u = a + b
            d *= t.zeta[:, q, :]
            np.add(u, d, out=a)
            np.subtract(u, d, out=b)
            a *= 0.5
            b *= 0.5
            if r % RENORM_EVERY == RENORM_EVERY - 1:
                s = np.abs(b.real) + np.abs(b.imag)
                bad = (s > _BIG) | ((s < _SMALL) & (s > 0))
                if np.any(bad):
                    scale = np.where(bad, 1.0 / np.where(bad, s, 1.0), 1.0)
                    a *= scale
                    b *= scale
                    w *= scale
    inv = 1.0 / b
    if out_s11 is not None:
        np.multiply(a, inv, out=out_s11)
    amp = t.zfac * w * inv
    if out_amp is not None:
        out_amp[...] = amp
    if out_boost is not None:
        np.multiply(t.eta, amp.real**2 + amp.imag**2, out=out_boost)


if HAVE_NUMBA:  # pragma: no branch

    @_numba.njit(cache=True, nogil=True)
    def _exp_row(gam: Any, ln: float, out: Any) -> None:  # pragma: no cover - compiled
        """``out[j] = exp(-gam[j] ln)`` stepping along the frequency axis (see :func:`exp_sections`)."""
        nf = gam.size
        e = 0j
        prev = 0j
        for j in range(nf):
            z = -gam[j] * ln
            dz = z - prev
            size = abs(dz.real) + abs(dz.imag)
            if j % 32 == 0 or size > 1e-2:
                e = np.exp(z)
            elif size > 1e-3:
                e = e * (1.0 + dz * (1.0 + dz * (0.5 + dz * (1.0 / 6 + dz * (1.0 / 24 + dz * (
                    1.0 / 120 + dz * (1.0 / 720 + dz * (1.0 / 5040))))))))
            else:
                e = e * (1.0 + dz * (1.0 + dz * (0.5 + dz * (1.0 / 6 + dz * (1.0 / 24)))))
            out[j] = e
            prev = z

    @_numba.njit(cache=True, nogil=True)
    def _exp_rows(gam: Any, lengths: Any, out: Any) -> None:  # pragma: no cover - compiled
        for k in range(gam.shape[0]):
            _exp_row(gam[k], lengths[k], out[k])


if HAVE_NUMBA:  # pragma: no branch

    @_numba.njit(cache=True, nogil=True)
    def _kernel(a0: Any, b0: Any, w0: Any, zfac: Any, zeta: Any, cj: Any, jidx: Any, gam: Any, matr: Any,
                sec: Any, sidx: Any, lengths: Any, eta: float, out_amp: Any, out_s11: Any, out_boost: Any,
                mode: int) -> None:  # pragma: no cover - compiled
        nv = lengths.shape[0]
        m = matr.size
        nf = a0.shape[1]
        nms = a0.shape[0]
        a = np.empty(nf, np.complex128)
        b = np.empty(nf, np.complex128)
        w = np.empty(nf, np.complex128)
        ework = np.empty(nf, np.complex128)
        for v in range(nv):
            ms = v if nms > 1 else 0
            for j in range(nf):
                a[j] = a0[ms, j]
                b[j] = b0[ms, j]
                w[j] = w0[ms, j]
            for r in range(m):
                k = sidx[r]
                if k >= 0:
                    for j in range(nf):
                        e = sec[k, j]
                        a[j] = a[j] * (e * e)
                        w[j] = w[j] * e
                else:
                    _exp_row(gam[ms, matr[r]], lengths[v, r], ework)
                    for j in range(nf):
                        e = ework[j]
                        a[j] = a[j] * (e * e)
                        w[j] = w[j] * e
                if r < m - 1:
                    q = jidx[r]
                    for j in range(nf):
                        aj = a[j]
                        bj = b[j]
                        d = aj - bj
                        u = aj + bj
                        w[j] = w[j] + cj[ms, q, j] * d
                        t = zeta[ms, q, j] * d
                        a[j] = 0.5 * (u + t)
                        b[j] = 0.5 * (u - t)
                    if r % 8 == 7:
                        for j in range(nf):
                            s = abs(b[j].real) + abs(b[j].imag)
                            if s > 1e100 or (s < 1e-100 and s > 0.0):
                                g = 1.0 / s
                                a[j] = a[j] * g
                                b[j] = b[j] * g
                                w[j] = w[j] * g
            for j in range(nf):
                inv = 1.0 / b[j]
                amp = zfac[ms, j] * w[j] * inv
                if mode == 0:
                    out_amp[v, j] = amp
                    out_s11[v, j] = a[j] * inv
                else:
                    out_boost[v, j] = eta * (amp.real * amp.real + amp.imag * amp.imag)


def chain_numba(t: ChainTables, out_amp: np.ndarray | None, out_s11: np.ndarray | None,
                out_boost: np.ndarray | None) -> None:
    """The compiled chain (same contract as :func:`chain_numpy`); needs numba."""
    if not HAVE_NUMBA:  # pragma: no cover
        raise RuntimeError("numba is not installed")
    dummy_c = np.empty((1, 1), complex)
    dummy_f = np.empty((1, 1), float)
    mode = 1 if out_amp is None else 0
    _kernel(t.a0, t.b0, t.w0, t.zfac, t.zeta, t.cj, t.jidx, t.gam, t.matr, t.sec, t.sidx, t.lengths,
            float(t.eta), dummy_c if out_amp is None else out_amp, dummy_c if out_s11 is None else out_s11,
            dummy_f if out_boost is None else out_boost, mode)


def run_chain(t: ChainTables, out_amp: np.ndarray | None, out_s11: np.ndarray | None,
              out_boost: np.ndarray | None, backend: str = "auto") -> None:
    """Dispatch to the compiled chain (``backend="auto"`` with numba, or ``"numba"``) or to numpy."""
    if backend == "numpy" or (backend == "auto" and not HAVE_NUMBA):
        chain_numpy(t, out_amp, out_s11, out_boost)
    else:
        chain_numba(t, out_amp, out_s11, out_boost)


def exp_sections(gam: np.ndarray, lengths: np.ndarray, backend: str = "auto") -> np.ndarray:
    """``exp(-gam[k] * lengths[k])`` for rows ``gam`` ``(K, nf)`` and lengths ``(K,)`` [m].

    Compiled: along each row (frequencies in increasing order), the exponential is advanced by the
    Taylor series of ``exp(dz)`` for the step ``dz`` between neighbouring frequencies (degree 4 for
    ``|dz| <= 1e-3``, 7 for ``<= 1e-2``; the first omitted term is below 1e-17 relative), and evaluated
    afresh every 32 frequencies and wherever the step is larger, so the rounding cannot accumulate beyond
    a few 1e-15. Costs a few complex multiplications instead of a libm exponential. numpy: ``np.exp``.
    """
    if backend == "numpy" or (backend == "auto" and not HAVE_NUMBA):
        return np.exp(-gam * lengths[:, None])
    out = np.empty(gam.shape, complex)
    _exp_rows(np.ascontiguousarray(gam, complex), np.ascontiguousarray(lengths, float), out)
    return out
