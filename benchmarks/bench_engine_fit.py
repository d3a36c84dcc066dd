"""Speed of the 3-disk booster reflectivity fit: exact Jacobian against finite differences, same process.

Run: ``python3 benchmarks/bench_engine_fit.py``. The CB200 configuration-1 booster with five free parameters
(three gaps, the phase thickness, tan delta) on 801 points of SYNTHETIC complex S11 (noise 0.003 per part,
seed 1, true values below), started 5 % off (alternately low and high). Reference: ``fit_booster`` of
emboost.fit.booster (lmfit, finite-difference Jacobian). Target: <= 0.3 s.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from emboost.booster.setup import load_booster_setup  # noqa: E402
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11  # noqa: E402
from emboost.fit.booster_fast import fit_booster_s11, multistart_booster_fit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    base = load_booster_setup(ROOT / "models" / "cb200_config1.toml").booster
    f = np.linspace(16e9, 21e9, 801)
    truth = {"gap_1": 8.455e-3, "gap_2": 12.320e-3, "gap_3": 12.610e-3,
             "phase_thickness": 1.03 * np.sqrt(9.4) * 1e-3, "loss_tangent": 3e-4}
    b_true = base.replace(gaps=np.array([truth["gap_1"], truth["gap_2"], truth["gap_3"]]),
                          thickness=np.full(3, truth["phase_thickness"] / np.sqrt(9.4)),
                          loss_tangent=np.full(3, truth["loss_tangent"]))
    rng = np.random.default_rng(1)
    s = b_true.reflectivity(f) + 0.003 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    data = observables_from_s11(f, s)
    start = {k: v * (1.05 if i % 2 else 0.95) for i, (k, v) in enumerate(truth.items())}
    specs = booster_parameter_specs(base, list(truth), initial=start)
    ref = fit_booster(f, data, base, specs, [Observable("s11", 0.003)])
    t_ref = best_of(lambda: fit_booster(f, data, base, specs, [Observable("s11", 0.003)]))
    fast = fit_booster_s11(f, s, base, specs, sigma=0.003)
    t_fast = best_of(lambda: fit_booster_s11(f, s, base, specs, sigma=0.003))
    print(f"3-disk fit from 5 % off, 801 points: finite differences (lmfit) {t_ref:.3f} s, {ref.fit.nfev} evaluations, "
          f"chi^2 {ref.fit.chisqr:.1f}")
    print(f"                                    exact Jacobian         {t_fast:.3f} s, {fast.nfev} evaluations + "
          f"{fast.njev} Jacobians, chi^2 {fast.chisqr:.1f}  -> {t_ref / t_fast:.1f}x (target <= 0.3 s)")
    t0 = time.perf_counter()
    m = multistart_booster_fit(f, s, base, specs, sigma=0.003, n_starts=4, spread=0.05, seed=0)
    print(f"multi-start (4 starts, 5 % spread): {time.perf_counter() - t0:.2f} s, chi^2 per start "
          f"{np.round(m.chisqr, 1).tolist()}, another start lower: {m.improved}")


if __name__ == "__main__":
    main()
