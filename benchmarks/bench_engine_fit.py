"""Speed of the 3-disk booster reflectivity fit: the exact Jacobian against finite differences, same process.

Run: ``python3 benchmarks/bench_engine_fit.py``. The CB200 configuration-1 booster with five free parameters
(three gaps, the phase thickness, tan delta) on 801 points of SYNTHETIC complex S11 (noise 0.003 per part,
seed 1, true values below), started 5 % off (alternately low and high). Both runs are
:func:`emboost.fit.booster.fit_booster`, the one booster fit: ``jacobian="numeric"`` (lmfit, finite-difference
Jacobian) is the reference, ``jacobian="exact"`` (the adjoint Jacobian; the default, "auto") the
candidate; the ratio of their times (best and median of 3 and 7 runs) is the figure (target for the exact fit:
<= 0.3 s). Then the same data fitted as reflected power and group delay with each Jacobian, then the
multi-start fit (4 starts, 5 % spread) with each Jacobian, and the second-basin start of
tests/test_engine_fit.py (a single start ends at chi^2 1702.6, three starts find 1635.1).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from timing import best_with_result

from emboost.booster.setup import load_booster_setup  # noqa: E402
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11  # noqa: E402


def times(fn, repeat: int) -> list[float]:
    """The times [s] of ``repeat`` single calls."""
    out = []
    for _ in range(repeat):
        out.append(best_with_result(fn, 1)[0])
    return out


ROOT = Path(__file__).resolve().parents[1]


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
    obs = [Observable("s11", 0.003)]
    start = {k: v * (1.05 if i % 2 else 0.95) for i, (k, v) in enumerate(truth.items())}
    specs = booster_parameter_specs(base, list(truth), initial=start)
    res, t = {}, {}
    for jac in ("numeric", "exact"):
        res[jac] = fit_booster(f, data, base, specs, obs, jacobian=jac)  # also compiles and warms the caches
        t[jac] = times(lambda: fit_booster(f, data, base, specs, obs, jacobian=jac), 3 if jac == "numeric" else 7)  # noqa: B023
    sig = np.sqrt(np.diag(res["numeric"].fit.covariance))
    dv = np.max(np.abs(res["exact"].fit.free_values - res["numeric"].fit.free_values) / sig)
    print("3-disk fit from 5 % off, 801 points (fit_booster)")
    for jac in ("numeric", "exact"):
        r = res[jac]
        print(f"  jacobian={jac:8s} best {min(t[jac]):.3f} s, median {np.median(t[jac]):.3f} s ({len(t[jac])} runs), "
              f"{r.fit.nfev} residual evaluations ({1e3 * min(t[jac]) / r.fit.nfev:.2f} ms each), chi^2 "
              f"{r.fit.chisqr:.4f}, verdict {'ok' if r.verdict().ok else r.verdict().reason}")
    print(f"  numeric / exact time ratio {min(t['numeric']) / min(t['exact']):.1f}x (best), "
          f"{np.median(t['numeric']) / np.median(t['exact']):.1f}x (median); target for the exact fit <= 0.3 s: "
          f"{'met' if np.median(t['exact']) <= 0.3 else 'NOT met'}; values differ by at most {dv:.2g} sigma")
    # the same data as power and group delay (the group delay's "phase" noise model), started at the truth
    sdb = 20 / np.log(10) * 0.003
    sgd = 0.003 / (2 * np.pi * np.sqrt(2) * (f[1] - f[0]))
    obs_pg = [Observable("reflected_power_db", sdb), Observable("group_delay", sgd)]
    at_truth = booster_parameter_specs(base, list(truth), initial=truth)
    tp = {}
    for jac in ("numeric", "exact"):
        r = fit_booster(f, data, base, at_truth, obs_pg, jacobian=jac)
        tp[jac] = times(lambda: fit_booster(f, data, base, at_truth, obs_pg, jacobian=jac), 3)  # noqa: B023
        print(f"power + group delay from the truth, jacobian={jac:8s} best {min(tp[jac]):.3f} s, {r.fit.nfev} "
              f"evaluations, chi^2 {r.fit.chisqr:.2f}")
    print(f"  numeric / exact time ratio {min(tp['numeric']) / min(tp['exact']):.1f}x (best)")
    for jac in ("numeric", "exact"):
        t0 = time.perf_counter()
        m = fit_booster(f, data, base, specs, obs, jacobian=jac, starts=4, seed=0)
        assert m.multistart is not None
        print(f"multi-start, 4 starts, 5 % spread, jacobian={jac}: {time.perf_counter() - t0:.2f} s, chi^2 per start "
              f"{np.round(m.multistart.chisqr, 1).tolist()}, given start best: {m.multistart.given_is_best}")
    basin = booster_parameter_specs(base, list(truth), initial=dict(zip(truth, [8.17750e-3, 13.7794e-3, 12.5468e-3,
                                                                                3.1991e-3, 2.670e-4])))
    one = fit_booster(f, data, base, basin, obs)
    m = fit_booster(f, data, base, basin, obs, starts=3, seed=0)
    print(f"second-basin start: one start chi^2 {one.fit.chisqr:.1f} (verdict ok: {one.verdict().ok}); 3 starts "
          f"chi^2 {m.fit.chisqr:.1f}, verdict: {m.verdict().reason}")


if __name__ == "__main__":
    main()
