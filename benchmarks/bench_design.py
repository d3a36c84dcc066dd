"""Time of the booster design: 20 disks (eps 24, 1 mm) for a 50 MHz box at 22 GHz, and 80 disks for 200 MHz.

Run: ``python3 benchmarks/bench_design.py [--full]`` (``--full`` adds the 80-disk design, minutes). Prints
wall and CPU time, evaluations, the in-band minimum, the ripple, the band edges, the minimum reached from
each start, how the starts were made, the area (integral of beta^2 over frequency, which grows about
linearly with the number of disks) with the share inside the band, the in-band minimum by the independent
transfer-matrix solver and the tightest tolerance.
Targets: 20 disks <= 30 s, 80 disks <= 5 min (one core).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from emboost.booster.design import DesignSpec, design_booster  # noqa: E402
from emboost.booster.model import Booster  # noqa: E402


def run(n: int, f_lo: float, f_hi: float, starts: int) -> None:
    base = Booster.from_disks(np.full(n, 7e-3), 1e-3, 24.0)
    t, cpu = time.perf_counter(), time.process_time()
    r = design_booster(base, DesignSpec(f_lo, f_hi, n_starts=starts, seed=1))
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(f"{n} disks, {(f_hi - f_lo) / 1e6:.0f} MHz at {0.5 * (f_lo + f_hi) / 1e9:.3f} GHz, {starts} starts: "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU, {r.evaluations} gradient evaluations")
    print(f"  in-band beta^2 min {r.band_minimum:.4g}, mean {r.band_mean:.4g}, max {r.band_maximum:.4g} "
          f"(min/max {r.band_minimum / r.band_maximum:.2f}); half-minimum edges {r.band_edges[0] / 1e9:.5f} .. "
          f"{r.band_edges[1] / 1e9:.5f} GHz; start minima {np.round(r.start_minima, 1).tolist()}")
    print(f"  starts: {r.start_origin}")
    # area law: the integral of beta^2 over frequency (20-24 GHz, 0.1 MHz steps) grows ~ linearly with n
    f = np.linspace(20e9, 24e9, 40001)
    area = float(np.sum(r.booster.boost_factor(f)) * (f[1] - f[0]))
    band = (r.frequency >= f_lo) & (r.frequency <= f_hi)
    tm = r.booster.response(r.frequency[band], solver="tm").boost_factor
    print(f"  area: integral of beta^2 df over 20-24 GHz {area / 1e6:.4g} MHz ({area / 1e6 / n:.4g} MHz per disk), "
          f"{100 * r.band_mean * (f_hi - f_lo) / area:.0f} % of it in the band; in-band minimum by the "
          f"transfer-matrix solver {tm.min():.4g}")
    print(f"  tolerance for a 10 % drop: {r.tolerance.min() * 1e6:.2f} .. {r.tolerance.max() * 1e6:.2f} um; "
          f"verdict {'ok' if r.verdict.ok else r.verdict.reason}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full", action="store_true", help="also the 80-disk design (minutes)")
    args = ap.parse_args()
    run(20, 21.975e9, 22.025e9, 3)
    if args.full:
        run(80, 21.9e9, 22.1e9, 4)


if __name__ == "__main__":
    main()
