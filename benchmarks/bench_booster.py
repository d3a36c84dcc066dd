"""Speed of the booster model against a straightforward scikit-rf cascade of the same network.

Run: ``python3 benchmarks/bench_booster.py [--quick]``. Prints times measured in this process and
their ratios; nothing here is a pass/fail test.

The scikit-rf reference builds one ``Network`` per region (``DefinedGammaZ0.line`` with the same
gamma and Z as emboost), terminates the mirror end with a short (``Media.short``) and cascades the
list (``cascade_list``); it yields S11 only, since scikit-rf has no driven (source) networks. emboost
computes S11 *and* the boost factor in one pass. The last column is the largest S11 difference between
the two on the same stack with lossless walls (real port impedance). Targets (one core): 20-disk booster at 10^3
frequencies <= 1 ms; <= 1 ms per variant in a 1000-variant batch; >= 20x faster than scikit-rf;
cost linear in layers x frequencies.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import skrf  # noqa: E402
from skrf.media import DefinedGammaZ0  # noqa: E402
from timing import best_time  # noqa: E402

from emboost.booster.model import Booster, _media  # noqa: E402


def booster(n_disks: int, closed: bool = True) -> Booster:
    rng = np.random.default_rng(n_disks)
    return Booster.from_disks(rng.uniform(7e-3, 9e-3, n_disks), 1e-3, 9.4, 3e-5,
                              radius=0.1 if closed else None, wall_conductivity=3.5e7 if closed else None,
                              mirror_conductivity=3.5e7)


def skrf_s11(b: Booster, f: np.ndarray) -> np.ndarray:
    """S11 of the same booster as a scikit-rf cascade of line networks ending in the mirror."""
    freq = skrf.Frequency.from_f(f, unit="Hz")
    eps_c, length, eps_r = b.regions()
    g, z = _media(b, f, eps_c[:, None], eps_r[:, None])
    nets = []
    zport = z[-1]
    for i in range(eps_c.size - 1, -1, -1):  # from the port toward the mirror
        m = DefinedGammaZ0(freq, z0_port=zport, z0=z[i], gamma=g[i])
        nets.append(m.line(length[i], "m"))
    m = DefinedGammaZ0(freq, z0_port=zport, z0=z[0], gamma=g[0])
    from emboost.rf.materials import surface_impedance

    zs = surface_impedance(f, b.mirror_conductivity)
    nets.append(m.load((zs - zport) / (zs + zport), nports=1))
    return skrf.network.cascade_list(nets).s[:, 0, 0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (for a smoke run)")
    args = ap.parse_args()
    sizes = (1000, 10000) if args.quick else (1000, 10000, 100000)
    print(f"numpy {np.__version__}, scikit-rf {skrf.__version__}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    print(f"{'disks':>5} {'freqs':>7} {'emboost [ms]':>13} {'scikit-rf [ms]':>15} {'ratio':>7}  max|dS11|")
    points = []
    for nd in (3, 20):
        b = booster(nd)
        for nf in sizes:
            f = np.linspace(17e9, 21e9, nf)
            ours = best_time(lambda b=b, f=f: b.response(f).boost_factor, repeat=3 if nf > 10000 else 5)
            ref_fn = lambda b=b, f=f: skrf_s11(b, f)  # noqa: E731
            ref = best_time(ref_fn, repeat=1 if nf > 10000 else 3, min_time=0.0 if nf > 10000 else 0.2)
            # accuracy on the same stack with lossless walls: with wall loss the port impedance is complex
            # and scikit-rf's power-wave S11 differs (by ~1e-3 here) from emboost's travelling-wave S11
            real_port = b.replace(wall_conductivity=None)
            err = np.max(np.abs(skrf_s11(real_port, f) - real_port.reflectivity(f)))
            points.append((2 * nd + 1, nf, ours))
            print(f"{nd:>5} {nf:>7} {ours * 1e3:>13.3f} {ref * 1e3:>15.2f} {ref / ours:>6.0f}x  {err:.1e}")
    work = np.array([m * nf for m, nf, _ in points], dtype=float)
    times = np.array([t for *_, t in points])
    big = work >= 1e4 * 7
    slope = np.polyfit(np.log(work[big]), np.log(times[big]), 1)[0]
    print(f"cost ~ (regions x frequencies)^{slope:.2f} (fitted over the larger runs; 1.00 = linear)")

    nvar = 200 if args.quick else 1000
    rng = np.random.default_rng(1)
    base = booster(20)
    gaps = base.gaps + rng.normal(0, 20e-6, (nvar, 20))
    batch = base.with_gaps(gaps)
    f = np.linspace(17e9, 21e9, 1000)
    t_batch = best_time(lambda: batch.response(f).boost_factor, repeat=2, min_time=0.0)
    t_one = best_time(lambda: base.response(f).boost_factor)
    print(f"{nvar} variants of the 20-disk booster at 1000 frequencies as one batch: {t_batch:.3f} s "
          f"= {t_batch / nvar * 1e3:.3f} ms per variant (single evaluation {t_one * 1e3:.3f} ms)")
    check = base.with_gaps(gaps[123]).boost_factor(f)
    print(f"batch row 123 equals its single evaluation: {np.allclose(batch.boost_factor(f)[123], check, rtol=1e-10)}")


if __name__ == "__main__":
    main()
