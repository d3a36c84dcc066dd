"""Independent check of the wall-loss Q0 of the FEM reference structure (validation/rades_5cavity) by a 2-D
finite-volume solution, converged in the mesh size.

The H-plane filter (inductive irises over the full height) has fields uniform along y: E_y(x, z) solves
``-lap E = k^2 E`` with E = 0 on the metal, and for copper walls
``1/Q0 = delta/b + (delta/2) oint |dE/dn|^2 dl / int |grad E|^2 dA`` (the broad walls, then the walls whose
normal lies in the x-z plane). Half the guide width is meshed (dE/dx = 0 at x = a/2) on a rectilinear grid
that follows every corner. The wall integral near the iris corners (fields ~ r^(-1/3)) converges slowly,
so four grids are solved and the limit is extrapolated geometrically from the last three.

    python3 benchmarks/check_iris_q0_fd2d.py          # a few minutes on one core

Prints Q0 of the five modes per grid, the extrapolated values, the FEM's and the circuit's.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

C0 = 299792458.0
MU0 = 4e-7 * np.pi
SIG = 5.8e7
MM = 1e-3
A, B, W, T, L, N = 22.86 * MM, 10.16 * MM, 8 * MM, 2 * MM, 23.9 * MM, 5
FEM_Q0 = np.array([6989.2, 7284.0, 7740.3, 7999.5, 8237.9])


def _segment(lo: float, hi: float, h: float) -> np.ndarray:
    return np.linspace(lo, hi, max(1, int(round((hi - lo) / h))) + 1)


def _dual(c: np.ndarray) -> np.ndarray:
    d = np.zeros(c.size)
    d[1:] += 0.5 * np.diff(c)
    d[:-1] += 0.5 * np.diff(c)
    return d


def solve(h: float, n_modes: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies [Hz] and Q0 of the lowest ``n_modes`` modes on a grid of spacing about ``h`` [m]."""
    xe = (A - W) / 2
    xn = np.unique(np.concatenate([_segment(0, xe, h), _segment(xe, A / 2, h)]))
    parts, irises, z = [], [], 0.0
    for i in range(N):
        parts.append(_segment(z, z + L, h))
        z += L
        if i < N - 1:
            parts.append(_segment(z, z + T, h))
            irises.append((z, z + T))
            z += T
    zn = np.unique(np.concatenate(parts))
    nx, nz = xn.size, zn.size
    X, Z = np.meshgrid(xn, zn, indexing="ij")
    metal = np.zeros((nx, nz), bool)
    metal[0, :] = metal[:, 0] = metal[:, -1] = True
    for z0, z1 in irises:
        metal |= (X <= xe + 1e-12) & (Z >= z0 - 1e-12) & (Z <= z1 + 1e-12)
    free = ~metal
    idx = -np.ones((nx, nz), int)
    idx[free] = np.arange(free.sum())
    dx, dz = _dual(xn), _dual(zn)
    ii, jj = np.nonzero(free)
    mass = np.zeros(free.sum())
    mass[idx[ii, jj]] = dx[ii] * dz[jj]
    rows, cols, vals, edges = [], [], [], []
    for axis in (0, 1):
        if axis == 0:
            i0, j0 = np.meshgrid(np.arange(nx - 1), np.arange(nz), indexing="ij")
            i1, j1, ln, wgt = i0 + 1, j0, np.diff(xn)[i0], dz[j0]
        else:
            i0, j0 = np.meshgrid(np.arange(nx), np.arange(nz - 1), indexing="ij")
            i1, j1, ln, wgt = i0, j0 + 1, np.diff(zn)[j0], dx[i0]
        coef = wgt / ln
        p, q = idx[i0, j0], idx[i1, j1]
        for a_, b_ in ((p, q), (q, p)):
            m = a_ >= 0
            rows += [a_[m]]
            cols += [a_[m]]
            vals += [coef[m]]
            m2 = m & (b_ >= 0)
            rows += [a_[m2]]
            cols += [b_[m2]]
            vals += [-coef[m2]]
            edges.append((a_[m & (b_ < 0)], ln[m & (b_ < 0)], wgt[m & (b_ < 0)]))
    n = int(free.sum())
    K = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    M = sp.diags(mass).tocsc()
    k0 = 2 * np.pi * 8.55e9 / C0
    lam, vec = sla.eigsh(K, k=n_modes, M=M, sigma=k0**2, which="LM")
    order = np.argsort(lam)
    lam, vec = lam[order], vec[:, order]
    f = np.sqrt(lam) * C0 / (2 * np.pi)
    q0 = np.empty(n_modes)
    for k in range(n_modes):
        u = vec[:, k]
        energy = u @ (K @ u)
        wall = sum(np.sum((u[a_] / ln) ** 2 * wgt) for a_, ln, wgt in edges)
        delta = np.sqrt(2 / (2 * np.pi * f[k] * MU0 * SIG))
        q0[k] = 1 / (delta / B + 0.5 * delta * wall / energy)
    return f, q0


def main() -> None:
    from emboost.cavity.chain import CavityChain
    from emboost.cavity.iris import Iris

    qs = []
    for h in (0.4, 0.2, 0.1, 0.05):
        t0 = time.perf_counter()
        f, q = solve(h * MM)
        qs.append(q)
        print(f"h = {h:4.2f} mm: f/GHz {np.round(f / 1e9, 5)}  Q0 {np.round(q, 1)}  ({time.perf_counter() - t0:.0f} s)",
              flush=True)
    q1, q2, q3 = qs[-3:]
    r = (q3 - q2) / (q2 - q1)
    q_inf = q3 + (q3 - q2) * r / (1 - r)
    chain = CavityChain(a=A, b=B, lengths=(L,) * N, irises=(Iris("inductive", window=W, thickness=T),) * (N - 1),
                        conductivity=SIG)
    qc = np.array([m.q0 for m in chain.mode_q(chain.modes((8.0e9, 9.5e9)).frequency)])
    print(f"convergence ratio per halving {np.round(r, 2)}")
    print(f"extrapolated Q0        {np.round(q_inf, 0)}")
    print(f"FEM (stored) Q0        {FEM_Q0}")
    print(f"circuit with iris loss {np.round(qc, 0)}  vs extrapolated: {np.round(100 * (qc / q_inf - 1), 1)} %")


if __name__ == "__main__":
    main()
