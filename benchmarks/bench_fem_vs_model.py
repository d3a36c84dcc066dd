"""FEM time per frequency point (stored in validation/booster_*/meta.toml) vs the 1-D model's time.

For each booster reference: the NGSolve wall time per frequency (one factorisation, two solves, the
TE11 projections; one thread) as recorded when the reference was made, against the measured time of
the 1-D transmission-line model for the same sweep (and, in the same process, the straightforward
transfer-matrix loop as a second reference). Run: ``python3 benchmarks/bench_fem_vs_model.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from timing import best_time

from emboost.jobs.validate import booster_model, load_reference

ROOT = Path(__file__).resolve().parents[1] / "validation"


def main() -> None:
    print(f"{'case':<18} {'formulation':<26} {'ndof':>8} {'points':>6} {'FEM s/point':>12} "
          f"{'1-D sweep [s]':>14} {'1-D s/point':>12} {'FEM/1-D per point':>18} {'TM loop s/pt':>13}")
    for case in ("booster_ideal", "booster_nonplanar", "booster_tilt"):
        if not (ROOT / case / "meta.toml").exists():
            continue
        ref = load_reference(ROOT / case)
        t = ref.table("sweep.csv")
        f = np.unique(np.real(t["f_hz"]))
        s = ref.meta["solver"]
        model = booster_model(ref)
        t_tl = best_time(lambda m=model, x=f: m.response(x), repeat=7, number=20)
        t_tm = best_time(lambda m=model, x=f: m.response(x, solver="tm"), repeat=7, number=20)
        fem = float(s["seconds_per_frequency"])
        form = "2-D axisym. m=1" if "axisymmetric" in s["formulation"] else "3-D half model"
        print(f"{case:<18} {form:<26} {s['ndof']:>8} {f.size:>6} {fem:>12.3g} {t_tl:>14.3g} "
              f"{t_tl / f.size:>12.3g} {fem / (t_tl / f.size):>18.3g} {t_tm / f.size:>13.3g}")
    print("FEM: NGSolve with OMP_NUM_THREADS=1 (the 3-D factorisation still ran a second thread), per frequency: "
          "assembly of K - k0^2 M, sparse Cholesky factorisation, two solves"
          " (axion source, TE11 port), projections. 1-D: Booster.response (transmission line) for the whole sweep.")


if __name__ == "__main__":
    main()
