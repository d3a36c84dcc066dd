"""Speed of the fits: 3-disk booster on 801 points, single resonance with covariance.

Targets: booster fit <= 1 s, resonance fit <= 50 ms. References run in the same process: the booster
fit is compared with a loop of scikit-rf Network cascades evaluating the same model once (the cost of
one model evaluation done the object way); the resonance fit with scikit-rf's Qfactor (NLQFIT7, no
covariance) on the same data.

    python3 benchmarks/bench_fit.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from timing import best_of

from emboost.booster.setup import load_booster_setup
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11
from emboost.fit.resonance import fit_resonance, resonance_response, skrf_qfactor

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    base = load_booster_setup(ROOT / "models" / "cb200_config1.toml").booster
    f = np.linspace(16e9, 21e9, 801)
    truth = {"gap_1": 8.455e-3, "gap_2": 12.320e-3, "gap_3": 12.610e-3,
             "phase_thickness": 1.03 * np.sqrt(9.4) * 1e-3, "loss_tangent": 3e-4}
    free = list(truth)
    b_true = base.replace(gaps=np.array([truth["gap_1"], truth["gap_2"], truth["gap_3"]]),
                          thickness=np.full(3, truth["phase_thickness"] / np.sqrt(9.4)),
                          loss_tangent=np.full(3, truth["loss_tangent"]))
    rng = np.random.default_rng(1)
    s = b_true.reflectivity(f) + 0.003 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    data = observables_from_s11(f, s)
    obs = [Observable("s11", 0.003)]

    t_eval = best_of(lambda: base.reflectivity(f), 20)
    print(f"booster model, 801 points: {t_eval * 1e3:.2f} ms per evaluation")
    for label, start in (("start 1 % off", {k: v * 1.01 for k, v in truth.items()}),
                         ("start 5 % off (+-)", {k: v * (1.05 if i % 2 else 0.95) for i, (k, v) in
                                                 enumerate(truth.items())})):
        specs = booster_parameter_specs(base, free, initial=start)
        res = fit_booster(f, data, base, specs, obs)
        t = best_of(lambda sp=specs: fit_booster(f, data, base, sp, obs), 3)
        print(f"3-disk booster fit, 801 points, complex S11, {label}: {t:.3f} s  (target <= 1 s), "
              f"nfev {res.fit.nfev}, {t / res.fit.nfev * 1e3:.2f} ms per evaluation incl. overhead, ok={res.ok}")
    sp2 = booster_parameter_specs(base, free, initial={k: v * 1.01 for k, v in truth.items()})
    obs2 = [Observable("reflected_power_db", 0.027), Observable("group_delay", 0.054e-9)]
    t = best_of(lambda: fit_booster(f, data, base, sp2, obs2, prefit=True), 3)
    print(f"3-disk booster fit, 801 points, power + group delay with complex prefit, start 1 % off: {t:.3f} s")

    # reference: the same booster S11 evaluated once with scikit-rf Network objects per section
    import skrf

    from emboost.booster.model import solve_transmission_line
    from emboost.core.constants import P11_PRIME
    from emboost.rf.media import te_gamma_impedance

    def skrf_cascade() -> np.ndarray:
        eps_c, length, _ = base.regions()
        freq = skrf.Frequency.from_f(f, unit="Hz")
        nets = []
        for k in range(eps_c.shape[-1]):
            g, z = te_gamma_impedance(f, np.array([[eps_c[k]]]), P11_PRIME / base.radius)
            g, z = g[0], z[0]
            th = g * length[k]
            a = np.empty((f.size, 2, 2), complex)
            a[:, 0, 0] = np.cosh(th)
            a[:, 0, 1] = z * np.sinh(th)
            a[:, 1, 0] = np.sinh(th) / z
            a[:, 1, 1] = np.cosh(th)
            nets.append(skrf.Network(frequency=freq, a=a, z0=50))
        return skrf.network.cascade_list(nets).s

    t_ref = best_of(skrf_cascade, 3)
    t_tl = best_of(lambda: solve_transmission_line(base, f), 20)
    print(f"reference: one S-matrix of the 7-section stack via scikit-rf Network cascade {t_ref * 1e3:.2f} ms vs "
          f"emboost batched solver {t_tl * 1e3:.2f} ms (ratio {t_ref / t_tl:.1f}x)")

    # single resonance, 201 points, with covariance
    fr = np.linspace(4.99e9, 5.01e9, 201)
    sr = resonance_response(fr, 5e9, 1500.0, 0.6, 0.05, 0.8 * np.exp(0.6j), 0.5e-9, 5e9)
    sr = sr + 2e-3 * (rng.standard_normal(fr.size) + 1j * rng.standard_normal(fr.size))
    fit_resonance(fr, sr, sigma=2e-3)
    t_res = best_of(lambda: fit_resonance(fr, sr, sigma=2e-3), 10)
    t_q = best_of(lambda: skrf_qfactor(fr, sr), 10)
    r = fit_resonance(fr, sr, sigma=2e-3)
    print(f"single-resonance fit with covariance, 201 points: {t_res * 1e3:.1f} ms (target <= 50 ms), "
          f"nfev {r.fit.nfev}; scikit-rf Qfactor NLQFIT7 (no covariance) {t_q * 1e3:.1f} ms "
          f"(ratio {t_res / t_q:.2f})")
    npl = ROOT / "examples" / "data" / "npl_mat58_Table6c27_S11.s1p"
    from emboost.rf.touchstone import read_s_parameter

    fn, sn = read_s_parameter(npl)
    t_npl = best_of(lambda: fit_resonance(fn, sn, scale=1.0), 10)
    print(f"NPL MAT 58 Table 6c file (201 points): {t_npl * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
