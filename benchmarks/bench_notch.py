"""Speed of a notch (hanger) resonator fit: 1000 points, covariance included, against scikit-rf's Qfactor.

Target: <= 50 ms for emboost's fit (circle-fit start, angular weights iterated as NPL MAT 58's plan, the delay
decision, the sandwich covariance and the derived Qi, |Qc| with errors). Reference in the same process:
scikit-rf's ``Qfactor`` ("absorption", NLQFIT7, plan "fwfwc", no covariance) on the same SYNTHETIC data (the
notch model at known values plus seeded noise). Both are timed best of 7 with OMP_NUM_THREADS=1 recommended.

    OMP_NUM_THREADS=1 python3 benchmarks/bench_notch.py
"""

from __future__ import annotations

import functools

import numpy as np
from timing import best_of as _best_of

from emboost.fit.resonance import fit_resonance, skrf_qfactor
from emboost.fit.resonators import Config, response

best_of = functools.partial(_best_of, repeat=7)


def main() -> None:
    cfg = Config("notch")
    ql, qc, phi = 5e4, 8e4, 0.4
    f0 = 6.1e9
    f = np.linspace(f0 * (1 - 4 / ql), f0 * (1 + 4 / ql), 1000)
    truth = cfg.vector(f0=f0, loaded_q=ql, diameter=ql / qc, rotation=phi, background_re=0.3, background_im=-0.2)
    rng = np.random.default_rng(1)
    s = response(f, truth, cfg, float(0.5 * (f[0] + f[-1])))
    s = s + 2e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))   # SYNTHETIC
    r = fit_resonance(f, s, "notch")
    sk = skrf_qfactor(f, s, "notch", timeout=None)
    t_em = best_of(lambda: fit_resonance(f, s, "notch"))
    t_sk = best_of(lambda: skrf_qfactor(f, s, "notch", timeout=None))
    qi = 1 / (1 / ql - np.cos(phi) / qc)
    print(f"notch, 1000 points: emboost {t_em * 1e3:.1f} ms (target <= 50 ms; covariance, Qi and |Qc| with errors), "
          f"scikit-rf Qfactor {t_sk * 1e3:.1f} ms (no covariance): ratio scikit-rf / emboost = {t_sk / t_em:.2f}")
    print(f"  Q_L: truth {ql:.0f}, emboost {r.loaded_q:.0f} +- {r.derived_stderr['loaded_q']:.0f}, "
          f"scikit-rf {float(sk['loaded_q']):.0f}; Qi: truth {qi:.0f}, emboost {r.unloaded_q:.0f} +- "
          f"{r.derived_stderr['unloaded_q']:.0f} (scikit-rf's absorption Q0 without the phi0 correction: "
          f"{float(sk['unloaded_q']):.0f}); verdict ok: {r.verdict().ok}")


if __name__ == "__main__":
    main()
