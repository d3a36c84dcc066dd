"""Speed of the booster engine against two peers and against the cost of a complex exponential.

Run: ``python3 benchmarks/bench_engine.py [--quick]``. Everything is timed in this one process; the
table gives absolute times and ratios. Nothing here is a pass/fail test; the targets are printed next
to the figures.

Peers (same booster, same frequencies):

* ``transfer matrices``: a reference reimplementation, written here from the equations of Millar et al.
  (JCAP 2017, "Dielectric haloscopes to search for axion dark matter: theoretical foundations") as used
  by the 1-D model of the BoostFractor package -- interface matrices ``G_r`` and phase matrices ``P_r``
  multiplied out over the stack for every frequency (numpy ``matmul`` on stacks of 2x2 matrices), the
  axion source terms summed through the partial products, and the outgoing amplitude from the
  "no incoming wave" condition. Not BoostFractor's code: the same algorithm, vectorised over frequency.
* ``scikit-rf``: one ``Network`` per region cascaded (``cascade_list``); S11 only (scikit-rf has no
  driven networks).

Floor: the time of one libm complex exponential (numpy ``exp`` on complex128 and numba's ``cmath.exp``
in a loop), and the cost per region x frequency of the emboost chain.
Targets: 20 disks x 10^3 f <= 0.5 ms (uniform gaps), <= 1 ms (distinct gaps); <= 0.5 ms per variant
in a batch of 1000; cost per region x frequency within 10x of the exponential.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import functools  # noqa: E402

import numpy as np  # noqa: E402
import skrf  # noqa: E402
from skrf.media import DefinedGammaZ0  # noqa: E402
from timing import best_time as _best_time  # noqa: E402

from emboost.booster.engine import HAVE_NUMBA  # noqa: E402
from emboost.booster.model import Booster, _media, _source_terms, solve_transmission_line  # noqa: E402
from emboost.core.constants import Z0, c  # noqa: E402
from emboost.rf.materials import surface_impedance  # noqa: E402

best_time = functools.partial(_best_time, repeat=7, min_time=0.1)


def transfer_matrix_reference(b: Booster, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boost amplitude and S11 by Millar et al.'s transfer matrices multiplied out (reference peer).

    Physics convention exp(-iwt): refractive indices ``n_r``, ``G_r = [[n_r + n_{r+1}, n_{r+1} - n_r],
    [n_{r+1} - n_r, n_r + n_{r+1}]] / (2 n_{r+1})`` at interface r, ``P_r = diag(e^{i d_r}, e^{-i d_r})``,
    ``d_r = n_r k0 l_r``. The total ``T = G_{m-1} P_{m-1} ... G_0 P_0`` and the source sum
    ``M = sum_r (s_{r+1} - s_r)/2 * T_r [1, 1]`` (``T_r`` the product after interface r) give the outgoing
    amplitude ``E = M_R - M_L T_RR... `` from the mirror condition and no incoming wave. Returned
    conjugated (engineering convention) like emboost's solvers.
    """
    eps_c, length, eps_r = b.regions()
    g, z = _media(b, f, eps_c[:, None], eps_r[:, None])
    k0 = 2 * np.pi * f / c
    n_ph = np.conj(-1j * g) / k0 * np.ones_like(k0)
    n_m = np.conj(Z0 / z) * np.ones_like(k0)
    s = np.conj(_source_terms(b, f, eps_c[:, None])) * np.ones_like(k0)
    m = eps_c.size
    nf = f.size
    eye = np.broadcast_to(np.eye(2, dtype=complex), (nf, 2, 2))
    total = eye.copy()
    src = np.zeros((nf, 2), complex)
    if b.mirror_conductivity is None:
        mirror_vec = np.array([-1.0, 1.0])[None, :] * np.ones((nf, 1))  # R + L = 0 (E = 0 on the mirror)
        src0 = np.stack([s[0], np.zeros(nf)], axis=1)  # E = R + L - s0 = 0: R = s0 - L
    else:
        n0 = np.conj(Z0 / surface_impedance(f, b.mirror_conductivity))
        n1 = n_m[0]
        mirror_vec = np.stack([(n1 - n0) / (2 * n1), (n1 + n0) / (2 * n1)], axis=1)
        src0 = np.stack([0.5 * s[0], 0.5 * s[0]], axis=1)
    for r in range(m):
        d = n_ph[r] * k0 * length[r]
        p = np.zeros((nf, 2, 2), complex)
        p[:, 0, 0], p[:, 1, 1] = np.exp(1j * d), np.exp(-1j * d)
        total = p @ total
        src = np.einsum("fij,fj->fi", p, src)
        if r < m - 1:
            n1, n2 = n_m[r], n_m[r + 1]
            gm = np.empty((nf, 2, 2), complex)
            gm[:, 0, 0] = gm[:, 1, 1] = (n2 + n1) / (2 * n2)
            gm[:, 0, 1] = gm[:, 1, 0] = (n2 - n1) / (2 * n2)
            total = gm @ total
            src = np.einsum("fij,fj->fi", gm, src) + 0.5 * (s[r + 1] - s[r])[:, None]
    homog = np.einsum("fij,fj->fi", total, mirror_vec)
    part = np.einsum("fij,fj->fi", total, src0) + src
    x = -part[:, 1] / homog[:, 1]
    return np.conj(part[:, 0] + x * homog[:, 0]), np.conj(homog[:, 0] / homog[:, 1])


def skrf_s11(b: Booster, f: np.ndarray) -> np.ndarray:
    """S11 of the same booster as a scikit-rf cascade of line networks ending in the mirror (peer)."""
    freq = skrf.Frequency.from_f(f, unit="Hz")
    eps_c, length, eps_r = b.regions()
    g, z = _media(b, f, eps_c[:, None], eps_r[:, None])
    g, z = g * np.ones_like(f), z * np.ones_like(f)
    nets = []
    zport = z[-1]
    for i in range(eps_c.size - 1, -1, -1):
        med = DefinedGammaZ0(freq, z0_port=zport, z0=z[i], gamma=g[i])
        nets.append(med.line(length[i], "m"))
    med = DefinedGammaZ0(freq, z0_port=zport, z0=z[0], gamma=g[0])
    zs = 0.0 if b.mirror_conductivity is None else surface_impedance(f, b.mirror_conductivity)
    nets.append(med.load((zs - zport) / (zs + zport), nports=1))
    return skrf.network.cascade_list(nets).s[:, 0, 0]


def exp_floor(nf: int = 1000) -> tuple[float, float]:
    """Seconds per complex exponential: numpy ``exp`` on complex128 and numba ``cmath.exp`` in a loop."""
    rng = np.random.default_rng(0)
    z = -rng.uniform(0, 1e-3, nf) + 1j * rng.uniform(0, 10, nf)
    t_np = best_time(lambda: np.exp(z)) / nf
    t_nb = float("nan")
    if HAVE_NUMBA:
        import cmath

        import numba

        @numba.njit(cache=False)
        def loop(zz: np.ndarray, out: np.ndarray) -> None:
            for i in range(zz.size):
                out[i] = cmath.exp(zz[i])

        out = np.empty(nf, complex)
        t_nb = best_time(lambda: loop(z, out)) / nf
    return t_np, t_nb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer batch variants (smoke run)")
    args = ap.parse_args()
    print(f"numpy {np.__version__}, scikit-rf {skrf.__version__}, numba {'yes' if HAVE_NUMBA else 'no'}, "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    t_exp_np, t_exp_nb = exp_floor()
    t_exp = min(t_exp_np, t_exp_nb) if HAVE_NUMBA else t_exp_np
    print(f"floor: complex exponential {t_exp_np * 1e9:.1f} ns (numpy), {t_exp_nb * 1e9:.1f} ns (numba cmath)")
    f = np.linspace(21.5e9, 22.5e9, 1000)
    rng = np.random.default_rng(20)
    rows = []
    for label, kw in (("open", {}), ("closed", {"radius": 0.1, "wall_conductivity": 3.5e7})):
        for gaps_kind in ("uniform", "distinct"):
            gaps = np.full(20, 7.0e-3) if gaps_kind == "uniform" else rng.uniform(6.5e-3, 7.5e-3, 20)
            b = Booster.from_disks(gaps, 1e-3, 24.0, 3e-5, mirror_conductivity=3.5e7, **kw)
            ours = best_time(lambda b=b: solve_transmission_line(b, f))
            ours_np = best_time(lambda b=b: solve_transmission_line(b, f, backend="numpy"))
            ref = best_time(lambda b=b: transfer_matrix_reference(b, f), repeat=3)
            sk = best_time(lambda b=b: skrf_s11(b, f), repeat=3)
            a0, s0 = solve_transmission_line(b, f)
            a1, s1 = transfer_matrix_reference(b, f)
            err = max(np.max(np.abs(a0 - a1) / np.maximum(np.abs(a1), 1)), np.max(np.abs(s0 - s1)))
            per = ours / (41 * f.size)
            rows.append((f"{label} {gaps_kind}", ours, ours_np, ref, sk, per, err))
    print(f"{'20 disks x 1000 f':<18} {'emboost':>9} {'numpy path':>11} {'transfer m.':>12} {'scikit-rf':>10} "
          f"{'vs TM':>6} {'vs skrf':>8} {'ns/(layer f)':>13} {'/ exp':>6} {'max diff':>9}")
    for name, ours, ours_np, ref, sk, per, err in rows:
        print(f"{name:<18} {ours * 1e3:>7.3f}ms {ours_np * 1e3:>9.3f}ms {ref * 1e3:>10.3f}ms {sk * 1e3:>8.2f}ms "
              f"{ref / ours:>5.1f}x {sk / ours:>7.0f}x {per * 1e9:>13.2f} {per / t_exp:>6.2f} {err:>9.1e}")
    nvar = 200 if args.quick else 1000
    base = Booster.from_disks(rng.uniform(6.5e-3, 7.5e-3, 20), 1e-3, 24.0, 3e-5, mirror_conductivity=3.5e7)
    batch = base.with_gaps(base.gaps + rng.normal(0, 20e-6, (nvar, 20)))
    t_b = best_time(lambda: batch.boost_factor(f), repeat=2, min_time=0.0)
    t_bnp = best_time(lambda: batch.boost_factor(f, backend="numpy"), repeat=2, min_time=0.0)
    t_one = best_time(lambda: base.boost_factor(f))
    t_ref = best_time(lambda: transfer_matrix_reference(base, f), repeat=3)
    print(f"batch of {nvar} variants (gaps differ), 20 disks x 1000 f, boost factor only: "
          f"{t_b / nvar * 1e3:.3f} ms per variant (numpy path {t_bnp / nvar * 1e3:.3f} ms; single "
          f"{t_one * 1e3:.3f} ms; transfer-matrix peer {t_ref * 1e3:.3f} ms = {t_ref / (t_b / nvar):.1f}x); "
          f"{20 * 1000 * t_exp * 1e3:.3f} ms of it is the 20 exponentials per frequency at the floor")


if __name__ == "__main__":
    main()
