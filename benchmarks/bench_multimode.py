"""Multi-mode booster solver: time per frequency point against the FEM, and a 3-D Monte-Carlo estimate.

For the stored references (validation/booster_tilt, 3-D; validation/booster_nonplanar and booster_smalldisk,
2-D axisymmetric) the NGSolve wall time per frequency recorded in their meta.toml is set against the multi-mode
solver's measured time per point for the same geometry, with the mode count and the accuracy against the FEM
(no fit). The last line
estimates a 1000-sample Monte-Carlo over mechanical tolerances (random mirror tilt per sample) on 801 frequencies
from the measured per-sample time. Run: ``python3 benchmarks/bench_multimode.py``.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import tomllib

from emboost.booster.model import Booster
from emboost.booster.multimode import MultiModeSolver, radial_profile, tilt

ROOT = Path(__file__).resolve().parents[1] / "validation"


def _csv(path: Path) -> np.ndarray:
    rows = [r for r in csv.reader(path.open()) if r and not r[0].startswith("#")]
    return np.array([[float(x) for x in r] for r in rows[1:]])


def best_time(fn, repeat: int = 5) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    b = Booster.from_disks([9.75e-3] * 3, 1e-3, 9.4, 5e-4, radius=0.02, output_length=0.01, source="eps_eff")
    print(f"{'case':<26} {'modes':>5} {'points':>6} {'s/point':>10} {'FEM s/point':>12} {'FEM/multi-mode':>15} "
          f"{'max dev / FEM peak':>19}")
    tilt_meta = tomllib.loads((ROOT / "booster_tilt" / "meta.toml").read_text())
    tilt_data = _csv(ROOT / "booster_tilt" / "sweep.csv")
    for deg in (1.0, 2.0, 3.0):
        d = tilt_data[tilt_data[:, 0] == deg]
        for kc in (300.0, 600.0):
            solver = MultiModeSolver(b, {0: tilt(np.radians(deg))}, kc_max=kc)
            f = d[:, 1]
            per_point = best_time(lambda s=solver, x=f: s.response(x)) / f.size
            dev = np.max(np.abs(solver.response(f).boost_factor - d[:, 2])) / d[:, 2].max()
            fem = float(tilt_meta["solver"]["seconds_per_frequency"])
            print(f"{f'mirror tilt {deg:g} deg (3-D)':<26} {solver.basis.size:>5} {f.size:>6} {per_point:>10.2e} "
                  f"{fem:>12.1f} {fem / per_point:>15.0f} {dev:>19.2%}")
            cons = MultiModeSolver(b, {0: tilt(np.radians(deg))}, kc_max=kc, conserving=True)
            cons_point = best_time(lambda s=cons, x=f: s.response(x)) / f.size
            dev = np.max(np.abs(cons.response(f).boost_factor - d[:, 2])) / d[:, 2].max()
            print(f"{'  conserving=True':<26} {cons.basis.size:>5} {f.size:>6} {cons_point:>10.2e} "
                  f"{fem:>12.1f} {fem / cons_point:>15.0f} {dev:>19.2%}   "
                  f"(time / plain matching {cons_point / per_point:.2f}; benchmarks/bench_multimode_conserving.py)")
    np_meta = tomllib.loads((ROOT / "booster_nonplanar" / "meta.toml").read_text())
    prof = _csv(ROOT / "booster_nonplanar" / "profile.csv")
    d = _csv(ROOT / "booster_nonplanar" / "sweep.csv")
    for kc in (300.0, 600.0):
        solver = MultiModeSolver(b, {2: radial_profile(prof[:, 0], prof[:, 1] - 1e-3)}, kc_max=kc)
        per_point = best_time(lambda s=solver, x=d[:, 0]: s.response(x)) / d.shape[0]
        dev = np.max(np.abs(solver.response(d[:, 0]).boost_factor - d[:, 1])) / d[:, 1].max()
        fem = float(np_meta["solver"]["seconds_per_frequency"])
        print(f"{'non-planar disk (2-D)':<26} {solver.basis.size:>5} {d.shape[0]:>6} {per_point:>10.2e} "
              f"{fem:>12.2f} {fem / per_point:>15.0f} {dev:>19.2%}")
    # disks smaller than the cylinder against the 2-D FEM (validation/booster_smalldisk), default kc_max
    sd_meta = tomllib.loads((ROOT / "booster_smalldisk" / "meta.toml").read_text())
    sd = _csv(ROOT / "booster_smalldisk" / "sweep.csv")
    for a_mm in (17.0, 14.0):
        d = sd[sd[:, 0] == a_mm]
        solver = MultiModeSolver(b, disk_radius=a_mm * 1e-3)
        per_point = best_time(lambda s=solver, x=d[:, 1]: s.boost_factor(x), repeat=2) / d.shape[0]
        dev = np.max(np.abs(solver.boost_factor(d[:, 1]) - d[:, 2])) / d[:, 2].max()
        fem = float(sd_meta["solver"]["seconds_per_frequency"])
        print(f"{f'disks of {a_mm:g} mm (2-D)':<26} {solver.basis.size:>5} {d.shape[0]:>6} {per_point:>10.2e} "
              f"{fem:>12.2f} {fem / per_point:>15.0f} {dev:>19.2%}")
    # the 3-D Monte-Carlo over mechanical tolerances: time per sample of 801 frequencies, one process
    from emboost.booster.tolerances import MechanicalTolerances, tolerance_montecarlo

    f = np.linspace(18.5e9, 19.5e9, 801)
    for label, tol in (("mirror tilt only", MechanicalTolerances(mirror_tilt=np.radians(0.5))),
                       ("mirror and disk tilts, disk bulges", MechanicalTolerances(
                           mirror_tilt=np.radians(0.5), disk_tilt=np.radians(0.5), disk_bulge=10e-6))):
        n = 6
        t0 = time.perf_counter()
        tolerance_montecarlo(b, f, tol, samples=n, seed=1, workers=1)
        per_sample = (time.perf_counter() - t0) / n
        print(f"3-D Monte-Carlo ({label}): {per_sample:.3f} s per sample of 801 frequencies; 1000 samples "
              f"~ {1000 * per_sample / 60:.1f} min on one core, ~ {1000 * per_sample / 120:.1f} min on two")


if __name__ == "__main__":
    main()
