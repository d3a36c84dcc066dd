"""Compiled line-delay search: the chi^2 scan over a uniform delay grid and its Newton refinement in one pass.

The T_sys model of a booster behind a lossless line of one-way delay ``tau`` (physics.md §2.6) depends on
``tau`` only through the phase factor ``z = exp(w tau)``, ``w = -4 j pi f``::

    T(f, tau) = mis (base + 2 Re(a z)) / |1 - b z|^2,   a = G_B c12,  b = G_B G_L,

with ``base = c22 + T_src + |G_B|^2 c11`` and ``mis = 1 - |G_L|^2`` fixed per frequency
(:func:`emboost.fit.noise.fit_line_delay` builds them). Over a uniform grid ``tau_j = tau_0 + j d`` the
factors form a geometric sequence, so each frequency needs one complex multiply per grid point (re-anchored
with an exact exponential every :data:`ANCHOR_STEPS` points, as in :func:`emboost.fit.noise.phase_factors`),
and the chi^2 of every grid point is accumulated in place: no ``(grid, frequency)`` arrays at all.

At a single ``tau`` the kernel returns ``chi^2``, ``J^T r`` and ``J^T J`` of the weighted residuals with the
exact derivative ``dT/dtau``; the refinement is a safeguarded Gauss-Newton iteration on ``dchi^2/dtau``
inside the bracket of two grid steps around each local grid minimum (a Newton step that leaves the bracket is
replaced by bisection on the sign of the derivative).

The kernels use no fast-math and sum in a fixed order (eight interleaved partial sums), so every compiled
specialisation in every process gives the same bits: Monte-Carlo runs stay bit-identical across workers.

The pure-numpy path of :func:`emboost.fit.noise.fit_line_delay` (``engine="numpy"``) is the reference; the
tests hold the two equal (delay within 1e-3 of its standard error, chi^2 and sigma to 1e-9 relative).

>>> import numpy as np
>>> f = np.linspace(18e9, 19e9, 5)
>>> w = -4 * np.pi * f
>>> gb = 0.9 * np.exp(-1j * w * 0.3e-9)
>>> ones = np.ones(5)
>>> chi = grid_chi2(w, 1e-9, 1e-11, 3, gb, 0.1 * gb, 300 * ones, 0.99 * ones, 0.1 * gb, 300 * ones, ones)
>>> chi.shape
(3,)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emboost.booster.engine import HAVE_NUMBA

__all__ = ["HAVE_NUMBA", "ANCHOR_STEPS", "grid_chi2", "refine_minima"]

#: grid steps between exact re-anchors of the phase recurrence (rounding error about 2 x this x 1.1e-16)
ANCHOR_STEPS = 256

if HAVE_NUMBA:  # pragma: no branch - numba is a dependency; the guard keeps a numpy-only install importable
    import numba as _numba

    @_numba.njit(cache=True, nogil=True, error_model="numpy")
    def _lanesum(x: Any) -> float:  # pragma: no cover - compiled
        # the sum in a fixed order (8 interleaved partial sums, then the tail), whatever the compiler vectorises:
        # the kernels use no fast-math, so every specialisation (read-only or writable arrays, any process) gives
        # the same bits, and a Monte-Carlo run is bit-identical across workers
        lanes = np.zeros(8)
        m = x.size - x.size % 8
        for k in range(0, m, 8):
            for j in range(8):
                lanes[j] += x[k + j]
        total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
        for k in range(m, x.size):
            total += x[k]
        return total

    @_numba.njit(cache=True, nogil=True, error_model="numpy")
    def _grid_chi2(w: Any, t0: float, dt: float, n: int, ar: Any, ai: Any, br: Any, bi: Any, base: Any, mis: Any,
                   y: Any, wt: Any, anchor: int, out: Any) -> None:  # pragma: no cover - compiled
        # grid points outer, frequencies inner (independent: the loop vectorises); the phase factors of every
        # frequency advance by one multiply per grid point and are re-anchored exactly every ``anchor`` points
        nf = w.size
        zr = np.empty(nf)
        zi = np.empty(nf)
        sr = np.empty(nf)
        si = np.empty(nf)
        dd = np.empty(nf)
        for k in range(nf):
            st = np.exp(1j * (w[k] * dt))
            sr[k] = st.real
            si[k] = st.imag
        for j in range(n):
            if j % anchor == 0:
                for k in range(nf):
                    z = np.exp(1j * (w[k] * (t0 + j * dt)))
                    zr[k] = z.real
                    zi[k] = z.imag
            for k in range(nf):  # element-wise (no reduction): vectorises without fast-math
                xr = zr[k]
                xi = zi[k]
                qr = 1.0 - (br[k] * xr - bi[k] * xi)
                qi = br[k] * xi + bi[k] * xr
                d = (mis[k] * (base[k] + 2.0 * (ar[k] * xr - ai[k] * xi)) / (qr * qr + qi * qi) - y[k]) * wt[k]
                dd[k] = d * d
            out[j] = _lanesum(dd)
            for k in range(nf):
                xr = zr[k]
                zr[k] = xr * sr[k] - zi[k] * si[k]
                zi[k] = xr * si[k] + zi[k] * sr[k]

    @_numba.njit(cache=True, nogil=True, error_model="numpy")
    def _point(w: Any, tau: float, ar: Any, ai: Any, br: Any, bi: Any, base: Any, mis: Any, y: Any, wt: Any,
               dw: float, anchor: int, zr: Any, zi: Any,
               work: Any) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
        # chi^2, J^T r, J^T J and the exact second derivative sum(J^2 + r d2r) at ``tau``; with ``dw`` != 0 the
        # frequencies are uniform (w[k] = w[0] + k dw) and the phase factors follow by recurrence over k (into
        # the workspace zr, zi); the terms go to ``work`` and are summed in a fixed order
        nf = w.size
        if dw == 0.0:
            for k in range(nf):
                z = np.exp(1j * (w[k] * tau))
                zr[k] = z.real
                zi[k] = z.imag
        else:
            step = np.exp(1j * (dw * tau))
            z = 1.0 + 0j
            for k in range(nf):
                if k % anchor == 0:
                    z = np.exp(1j * (w[k] * tau))
                zr[k] = z.real
                zi[k] = z.imag
                z = z * step
        for k in range(nf):
            wk = w[k]
            xr = zr[k]
            xi = zi[k]
            # a z, b z and their tau-derivatives (dz = j w z, d2z = -w^2 z)
            azr = ar[k] * xr - ai[k] * xi
            azi = ar[k] * xi + ai[k] * xr
            bzr = br[k] * xr - bi[k] * xi
            bzi = br[k] * xi + bi[k] * xr
            num = base[k] + 2.0 * azr
            dnum = -2.0 * wk * azi
            d2num = -2.0 * wk * wk * azr
            qr = 1.0 - bzr
            qi = -bzi
            dqr = wk * bzi
            dqi = -wk * bzr
            d2qr = wk * wk * bzr
            d2qi = wk * wk * bzi
            den = qr * qr + qi * qi
            dden = 2.0 * (qr * dqr + qi * dqi)
            d2den = 2.0 * (dqr * dqr + dqi * dqi + qr * d2qr + qi * d2qi)
            m = num / den
            dm = (dnum - m * dden) / den
            d2m = (d2num - 2.0 * dm * dden - m * d2den) / den
            r = (mis[k] * m - y[k]) * wt[k]
            jk = mis[k] * dm * wt[k]
            work[0, k] = r * r
            work[1, k] = jk * r
            work[2, k] = jk * jk
            work[3, k] = jk * jk + r * mis[k] * d2m * wt[k]
        return _lanesum(work[0]), _lanesum(work[1]), _lanesum(work[2]), _lanesum(work[3])

    @_numba.njit(cache=True, nogil=True, error_model="numpy")
    def _refine(w: Any, lo_b: Any, hi_b: Any, x0: Any, ar: Any, ai: Any, br: Any, bi: Any, base: Any, mis: Any,
                y: Any, wt: Any, dw: float, anchor: int, xtol: float, max_iter: int,
                out: Any) -> None:  # pragma: no cover - compiled
        nf = w.size
        zr = np.empty(nf)
        zi = np.empty(nf)
        work = np.empty((4, nf))
        for s in range(x0.size):
            lo = lo_b[s]
            hi = hi_b[s]
            x = x0[s]
            chi, jr, jj, hh = _point(w, x, ar, ai, br, bi, base, mis, y, wt, dw, anchor, zr, zi, work)
            evals = 1
            for _ in range(max_iter):
                # Newton with the exact curvature where it is positive, else Gauss-Newton
                curv = hh if hh > 0.0 else jj
                if jr == 0.0 or (curv > 0.0 and abs(jr / curv) * np.sqrt(jj) <= 1e-6):
                    break  # the next step would be below 1e-6 standard errors
                # the minimum of chi^2 lies where J^T r changes sign from - to +
                if jr > 0.0:
                    hi = x
                else:
                    lo = x
                xn = x - jr / curv if curv > 0.0 else 0.5 * (lo + hi)
                if not (lo < xn < hi):
                    xn = 0.5 * (lo + hi)  # bisection when the step would leave the bracket
                dx = xn - x
                x = xn
                chi, jr, jj, hh = _point(w, x, ar, ai, br, bi, base, mis, y, wt, dw, anchor, zr, zi, work)
                evals += 1
                if abs(dx) <= xtol or hi - lo <= xtol:
                    break
            out[s, 0] = x
            out[s, 1] = chi
            out[s, 2] = jj
            out[s, 3] = evals


def _parts(gb: np.ndarray, a: np.ndarray, gl: np.ndarray, *reals: np.ndarray) -> list[np.ndarray]:
    """Contiguous real arrays for the kernels: Re/Im of ``a`` and of ``b = G_B G_L``, then ``reals``."""
    a = np.asarray(a, complex)
    b = np.asarray(gb, complex) * np.asarray(gl, complex)
    return [np.ascontiguousarray(v, dtype=float) for v in (a.real, a.imag, b.real, b.imag, *reals)]


def grid_chi2(w: np.ndarray, t0: float, dt: float, n: int, gb: np.ndarray, a: np.ndarray, base: np.ndarray,
              mis: np.ndarray, gl: np.ndarray, y: np.ndarray, wt: np.ndarray,
              anchor: int = ANCHOR_STEPS) -> np.ndarray:
    """chi^2 ``(n,)`` of the delay grid ``t0 + j dt`` [s]; ``w = -4 pi f`` [rad/s] (real), the per-frequency
    arrays ``(nf,)`` as in the module docstring, ``y`` the measured T_sys [K], ``wt = 1 / sigma`` [1/K]."""
    if not HAVE_NUMBA:  # pragma: no cover
        raise RuntimeError("numba is not installed: use the numpy path (engine='numpy')")
    out = np.empty(int(n))
    kernel: Any = _grid_chi2
    kernel(np.ascontiguousarray(w, dtype=float), float(t0), float(dt), int(n),
           *_parts(gb, a, gl, base, mis, y, wt), int(anchor), out)
    return out


def refine_minima(w: np.ndarray, lo: np.ndarray, hi: np.ndarray, x0: np.ndarray, gb: np.ndarray, a: np.ndarray,
                  base: np.ndarray, mis: np.ndarray, gl: np.ndarray, y: np.ndarray, wt: np.ndarray, xtol: float,
                  max_iter: int = 60, anchor: int = ANCHOR_STEPS) -> np.ndarray:
    """Safeguarded Newton refinement from each ``x0`` inside ``[lo, hi]`` [s].

    Returns rows ``(tau, chi^2, J^T J, evaluations)``. Each step is Newton's with the exact second derivative of
    chi^2 where it is positive (else Gauss-Newton's), replaced by bisection of the bracket on the sign of
    ``dchi^2/dtau`` when it would leave the bracket; it stops when the next Newton step would be below 1e-6
    standard errors, or a step or the bracket below ``xtol`` [s]. On a uniform frequency grid the phase factors
    over frequency follow by recurrence (re-anchored every ``anchor`` frequencies).
    """
    if not HAVE_NUMBA:  # pragma: no cover
        raise RuntimeError("numba is not installed: use the numpy path (engine='numpy')")
    out = np.empty((np.size(x0), 4))
    f_w = np.ascontiguousarray(w, dtype=float)
    dw = 0.0
    if f_w.size > 2:
        step = (f_w[-1] - f_w[0]) / (f_w.size - 1)
        if np.allclose(np.diff(f_w), step, rtol=1e-9, atol=0.0):
            dw = float(step)
    kernel: Any = _refine
    kernel(f_w, *(np.ascontiguousarray(v, dtype=float) for v in (lo, hi, x0)), *_parts(gb, a, gl, base, mis, y, wt),
           dw, int(anchor), float(xtol), int(max_iter), out)
    return out
