"""3-D tolerance Monte-Carlo: time per sample of the multi-mode solver against the previous implementation.

The previous implementation is kept here as the reference path (``ReferenceSolver``: the interface S-matrix
solved for all 2N columns and cascaded with a second solve, every surface projection computed separately for
each sign and component, the port reflection always formed). Both paths evaluate the same seeded samples of the
mechanical tolerances (mirror and disk tilts about both axes, disk bulges) on 801 frequencies in this process,
alternating sample by sample; the script prints the time per sample of each, their ratio, the largest
difference of the boost factors, and the end-to-end time of ``tolerance_montecarlo`` on two processes, with the
1000-sample extrapolation (stated as such). Run: ``python3 benchmarks/bench_multimode_mc.py [samples]``
(default 50); ``python3 benchmarks/bench_multimode_mc.py 1000 --end-to-end`` skips the comparison and times
the whole ``tolerance_montecarlo`` run of that many samples on two processes (no extrapolation).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from emboost.booster import multimode as mm
from emboost.booster import multimode_basis as mb
from emboost.booster.model import Booster
from emboost.booster.tolerances import MechanicalTolerances, _surfaces, tolerance_montecarlo
from emboost.core.runner import standard_normals


def _phase_projection_reference(test: np.ndarray, cols: np.ndarray, h: np.ndarray, beta: np.ndarray,
                                sign: int) -> np.ndarray:
    """One sign, shape (F, M, N): the previous moment series (complex centre, one GEMM per moment and sign)."""
    beta0 = beta.mean(axis=0)
    d = beta - beta0[None, :]
    x = float(np.max(np.abs(d))) * float(np.max(np.abs(h)))
    if x > mb._SERIES_LIMIT:
        g = np.exp(1j * sign * h[:, None, None] * beta[None, :, :])
        return mb._gemm(test, cols[:, None, :] * g)
    base = cols * np.exp(1j * sign * h[:, None] * beta0[None, :])
    tt = np.ascontiguousarray(test.T)
    moments, coefs = [], []
    hk = np.ones_like(h)
    coef = np.ones_like(d)
    k, term = 0, 1.0
    while True:
        moments.append(tt @ (base * hk[:, None]))
        coefs.append(coef)
        k += 1
        term *= x / k
        if term < 1e-16:
            break
        hk = hk * h
        coef = coef * (1j * sign * d) / k
    c_stack = np.ascontiguousarray(np.stack(coefs).transpose(2, 1, 0))
    m_stack = np.ascontiguousarray(np.stack(moments).transpose(2, 0, 1))
    return np.ascontiguousarray((c_stack @ m_stack).transpose(1, 2, 0))


class ReferenceSolver(mm.MultiModeSolver):
    """The previous implementation of the surface projections and of the interface step."""

    def _surface(self, k, beta, y):  # type: ignore[no-untyped-def]
        hs = self.heights.get(k)
        if hs is None or not np.any(hs[0]):
            return None
        h, hx, hy = hs
        bs = self.basis
        tm = (bs.kind == 1)[None, :]
        kc2 = bs.kc[None, :] ** 2
        cz = np.where(tm, 1j * kc2 / beta, 0.0)
        dz = np.where(tm, 0.0, -1j * y * kc2 / beta)
        w = bs.w[:, None]
        e_dot_grad = w * (bs.ex * hx[:, None] + bs.ey * hy[:, None])
        ze_dot_grad = w * (bs.ex * hy[:, None] - bs.ey * hx[:, None])
        we_x, we_y = bs.ex * w, bs.ey * w
        pp = _phase_projection_reference
        mix_f = pp(we_x, bs.ex, h, beta, -1) + pp(we_y, bs.ey, h, beta, -1)
        mix_b = pp(we_x, bs.ex, h, beta, +1) + pp(we_y, bs.ey, h, beta, +1)
        gf, gb = pp(e_dot_grad, bs.psi, h, beta, -1), pp(e_dot_grad, bs.psi, h, beta, +1)
        zf, zb = pp(ze_dot_grad, bs.psi, h, beta, -1), pp(ze_dot_grad, bs.psi, h, beta, +1)
        return (mix_f + gf * cz[:, None, :], mix_b - gb * cz[:, None, :],
                mix_f * y[:, None, :] + zf * dz[:, None, :], -mix_b * y[:, None, :] + zb * dz[:, None, :])

    def _interface(self, R, src, left, right, zl, zr, pl, pr, need_reflection=True):  # type: ignore[no-untyped-def]
        if left is None and right is None:
            return super()._interface(R, src, left, right, zl, zr, pl, pr)
        nm = src.shape[-1]
        left = left if left is not None else mm._flat_faces(1.0 / zl)
        right = right if right is not None else mm._flat_faces(1.0 / zr)
        if R.ndim == 2:
            R = R[:, :, None] * np.eye(nm)
        efl, ebl, hfl, hbl = left
        efr, ebr, hfr, hbr = right
        dp = pr - pl
        A = np.block([[ebl, -efr], [hbl, -hfr]])
        B = np.block([[-efl, ebr], [-hfl, hbr]])
        cvec = np.concatenate([dp, np.zeros_like(dp)], axis=1)
        sol = np.linalg.solve(A, np.concatenate([B, cvec[..., None]], axis=2))
        S, s = sol[..., :-1], sol[..., -1]
        s11, s12, s21, s22 = S[:, :nm, :nm], S[:, :nm, nm:], S[:, nm:, :nm], S[:, nm:, nm:]
        sl, sr = s[:, :nm], s[:, nm:]
        m = np.eye(nm) - R @ s11
        x = np.linalg.solve(m, np.concatenate([R @ s12, (np.einsum("fmn,fn->fm", R, sl) + src)[..., None]], axis=2))
        return s21 @ x[..., :-1] + s22, np.einsum("fmn,fn->fm", s21, x[..., -1]) + sr

    def boost_factor(self, f):  # type: ignore[no-untyped-def]
        return self.response(f).boost_factor  # the previous Monte-Carlo formed the full response


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 50
    b = Booster.from_disks([9.75e-3] * 3, 1e-3, 9.4, 5e-4, radius=0.02, output_length=0.01, source="eps_eff")
    f = np.linspace(18.5e9, 19.5e9, 801)
    tol = MechanicalTolerances(mirror_tilt=np.radians(0.5), disk_tilt=np.radians(0.5), disk_bulge=10e-6)
    if "--end-to-end" in sys.argv:
        t0 = time.perf_counter()
        band = tolerance_montecarlo(b, f, tol, samples=n, seed=7, workers=2)
        wall = time.perf_counter() - t0
        print(f"tolerance_montecarlo, {n} samples, 801 frequencies, 2 processes: {wall / 60:.2f} min "
              f"({wall / n:.3f} s/sample); relative std at the peak {band.relative_std_at_peak:.4f}")
        return
    draws = standard_normals(7, n, 2 + 3 * b.n_disks)
    geoms = [_surfaces(d, tol, b.n_disks, 0.02) for d in draws]
    # the two paths alternate sample by sample, so a change of the machine's load affects both alike
    labels = {"reference (previous)": ReferenceSolver, "present": mm.MultiModeSolver}
    times = dict.fromkeys(labels, 0.0)
    results: dict[str, list[np.ndarray]] = {k: [] for k in labels}
    for g in geoms:
        for label, cls in labels.items():
            t0 = time.perf_counter()
            results[label].append(cls(b, g).boost_factor(f))
            times[label] += (time.perf_counter() - t0) / n
    ref, new = times["reference (previous)"], times["present"]
    r_ref, r_new = np.array(results["reference (previous)"]), np.array(results["present"])
    diff = np.max(np.abs(r_new - r_ref) / r_ref.max(axis=1, keepdims=True))
    modes = mm.MultiModeSolver(b, geoms[0]).basis.size
    print(f"3-D Monte-Carlo, full mechanical tolerances, 801 frequencies, {modes} modes, {n} samples, one process:")
    print(f"  reference (previous): {ref:.3f} s/sample;  present: {new:.3f} s/sample;  ratio {ref / new:.2f}")
    print(f"  largest difference of the boost factors / peak: {diff:.1e}")
    t0 = time.perf_counter()
    tolerance_montecarlo(b, f, tol, samples=n, seed=7, workers=2)
    end2end = (time.perf_counter() - t0) / n
    print(f"  tolerance_montecarlo on 2 processes: {end2end:.3f} s/sample (measured on {n} samples); "
          f"extrapolated to 1000 samples: {1000 * end2end / 60:.1f} min")


if __name__ == "__main__":
    main()
