"""Generate the SYNTHETIC notch (hanger) resonator used by fits/synthetic_notch_resonance.toml.

The data are NOT a measurement: S21 of a resonator side-coupled to a feed line (the notch model of
emboost.fit.resonators with an impedance-mismatch rotation phi0, Probst et al. 2015), behind a feed line
with a magnitude slope, plus seeded complex Gaussian noise. Values unlike the fit's defaults: a high-Q,
over-coupled notch (Qi > |Qc|) on a window of 6 linewidths. The true values are written beside the data.

    python3 examples/make_synthetic_notch.py    # rewrites examples/data/synthetic_notch_s21.csv (+ .json)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from emboost.fit.resonators import Config, response

HERE = Path(__file__).resolve().parent
SEED = 20261202
SIGMA = 1.5e-3  # per real and imaginary part of S21 (linear)
POINTS = 401
Q_I, Q_C_ABS, PHI0 = 2.0e5, 9.0e4, 0.25  # internal Q, |Qc|, mismatch rotation [rad]
F0 = 5.8172e9
Q_L = 1 / (1 / Q_I + np.cos(PHI0) / Q_C_ABS)
BACKGROUND = 0.42 * np.exp(1j * np.deg2rad(-75.0))
TRUTH = {"f0": F0, "loaded_q": float(Q_L), "diameter": float(Q_L / Q_C_ABS), "rotation": PHI0,
         "background_re": float(BACKGROUND.real), "background_im": float(BACKGROUND.imag), "delay": 0.0,
         "magnitude_slope": 60.0}


def main() -> None:
    cfg = Config("notch", background="slope")
    f = np.linspace(F0 * (1 - 3 / Q_L), F0 * (1 + 3 / Q_L), POINTS)
    s = response(f, cfg.vector(**TRUTH), cfg, float(0.5 * (f[0] + f[-1])))
    rng = np.random.default_rng(SEED)
    s = s + SIGMA * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    rows = "".join(f"{x / 1e9:.10f},{v.real:.9f},{v.imag:.9f}\n" for x, v in zip(f, s))
    # a header line without a comment character, as many instruments write it
    (HERE / "data" / "synthetic_notch_s21.csv").write_text("freq_GHz,re_S21,im_S21\n" + rows)
    meta = {"synthetic": True, "generator": "examples/make_synthetic_notch.py", "seed": SEED,
            "sigma_per_part": SIGMA, "points": POINTS, "model": "notch, background slope, delay 0",
            "truth_SI": TRUTH, "internal_q": Q_I, "coupling_q_abs": Q_C_ABS}
    (HERE / "data" / "synthetic_notch_s21.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
