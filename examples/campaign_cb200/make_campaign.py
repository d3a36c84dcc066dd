"""Generate the SYNTHETIC CB200-like measurement campaign in examples/campaign_cb200/data/ (seeded).

    python3 examples/campaign_cb200/make_campaign.py

The truth is a stored FEM solution, not the 1-D model that the analysis fits: the booster is the NGSolve
2-D axisymmetric reference of a closed 3-disk booster whose disk 1 is non-planar (fem/sweep.csv, a dense
sweep of validation/booster_nonplanar; fem/sweep_drift.csv the same booster with the mirror moved by
60 um, the configuration of the run). The receiver follows the conventions of
examples/make_synthetic_receiver.py: LNA noise sources (sqrt S_v, sqrt S_i, rho) in front of a smooth LNA
reflection, a lossless booster-LNA line of one-way delay tau, a noise source with an ENR certificate
behind a 3 dB attenuator, and a receiver gain. Every spectrum is made from the same truth:

* data/vna_s11.s1p             booster S11 (FEM, nominal mirror position) + complex Gaussian noise
* data/lna_s11.s1p             LNA input reflection
* data/standards_tsys.csv      T_sys [K] with short / open / matched load behind their lines
* data/enr.csv, data/yfactor.csv  ENR table; receiver output power [W] with the noise source on / off
* data/tsys_broadband.csv      receiver output power [W] with the booster (nominal position) connected
* data/tsys_narrowband.csv     the same around the booster mode during the run (mirror drifted)
* truth.json, truth.csv        every true value; the true delivered boost factor and T_sys of the run

None of these are measurements (each file says so).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from emboost.core.constants import k_B
from emboost.core.output import atomic_write_csv, atomic_write_text
from emboost.fit.noise import delivered_boost_factor, standards_temperatures
from emboost.noise.amplifier import NoiseSources, system_temperature
from emboost.noise.calibration import hot_cold_temperatures
from emboost.noise.spectra import write_spectrum_csv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "examples"))

from make_synthetic_receiver import TRUE_SOURCES, lna_gamma, write_touchstone  # noqa: E402

DATA = HERE / "data"
SEED = 20261122
LABEL = "SYNTHETIC data made by examples/campaign_cb200/make_campaign.py (not a measurement)"

VNA_SIGMA = 0.003                       # per real and imaginary part of S11
TAU_OPEN, TAU_SHORT = 1.2043e-9, 1.1987e-9
T_STANDARDS, STANDARDS_NOISE = 295.0, 0.005
TAU_BOOSTER, T_BOOSTER, BOOSTER_NOISE = 2.345e-9, 294.0, 0.003
RBW, ATT_DB, T_NOISE_SOURCE, YFACTOR_NOISE = 100e3, 3.0, 296.0, 0.002
ENR_F = np.array([10e9, 14e9, 18e9, 20e9, 22e9, 26.5e9])
ENR_DB = np.array([15.32, 15.18, 15.05, 14.97, 14.90, 14.71])


def gain(f: np.ndarray) -> np.ndarray:
    """Receiver power gain (linear): 62 dB at 19 GHz with a 2 dB/GHz slope."""
    return 10 ** ((62 + 2 * (f - 19e9) / 1e9) / 10)


def read_sweep(path: Path) -> dict[str, np.ndarray]:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    names = lines[0].split(",")
    data = np.array([[float(x) for x in ln.split(",")] for ln in lines[1:]])
    return {n: data[:, i] for i, n in enumerate(names)}


def main() -> None:
    rng = np.random.default_rng(SEED)
    DATA.mkdir(parents=True, exist_ok=True)
    src = NoiseSources(**TRUE_SOURCES)
    nominal = read_sweep(HERE / "fem" / "sweep.csv")
    drift = read_sweep(HERE / "fem" / "sweep_drift.csv")
    f_vna = nominal["f_hz"]
    s11 = nominal["re_s11"] + 1j * nominal["im_s11"]
    fd = drift["f_hz"]
    s11_d = drift["re_s11"] + 1j * drift["im_s11"]

    # VNA reflectivity of the booster
    noisy = s11 + VNA_SIGMA * (rng.standard_normal(f_vna.size) + 1j * rng.standard_normal(f_vna.size))
    lines = [f"! {LABEL}", "! booster reflection S11 at the port reference plane: FEM (fem/sweep.csv) + complex "
             f"Gaussian noise sigma {VNA_SIGMA} per part, seed {SEED}", "# Hz S RI R 50"]
    lines += [f"{a:.1f} {b.real:.9f} {b.imag:.9f}" for a, b in zip(f_vna, noisy)]
    atomic_write_text(DATA / "vna_s11.s1p", "\n".join(lines) + "\n")

    # LNA reflection
    f_lna = np.linspace(16e9, 22e9, 241)
    write_touchstone(DATA / "lna_s11.s1p", f_lna, lna_gamma(f_lna))

    # standards (T_sys in K, calibrated)
    fs = np.linspace(18e9, 20e9, 401)
    t = standards_temperatures(fs, src, lna_gamma(fs), T_STANDARDS, TAU_OPEN, TAU_SHORT)
    write_spectrum_csv(DATA / "standards_tsys.csv", fs,
                       {k: t[k] * (1 + STANDARDS_NOISE * rng.standard_normal(fs.size))
                        for k in ("short", "open", "load")},
                       {"short": "K", "open": "K", "load": "K"},
                       comments=(LABEL, f"T_sys with short/open/load standards at {T_STANDARDS} K, "
                                 f"{STANDARDS_NOISE:.1%} Gaussian noise, seed {SEED}"))

    # Y-factor calibration: T_rec is the LNA's own noise with a matched source (consistent with the noise model)
    atomic_write_text(DATA / "enr.csv", f"# {LABEL}\n# noise source ENR certificate table (sigma 0.1 dB)\n"
                      "frequency [GHz], enr [dB]\n" + "".join(f"{a / 1e9:g}, {b:.2f}\n" for a, b in zip(ENR_F, ENR_DB)))
    fy = np.linspace(18.5e9, 19.5e9, 601)
    gl = lna_gamma(fy)
    t_rec = system_temperature(fy, 0.0, 0.0, src, gl)
    enr = 10 ** (np.interp(fy, ENR_F, ENR_DB) / 10)
    t_on, t_off = hot_cold_temperatures(enr, T_NOISE_SOURCE, 10 ** (ATT_DB / 10))
    mis = 1 - np.abs(gl) ** 2
    p_on = gain(fy) * k_B * RBW * (mis * t_on + t_rec)
    p_off = gain(fy) * k_B * RBW * (mis * t_off + t_rec)
    write_spectrum_csv(DATA / "yfactor.csv", fy,
                       {"p_on": p_on * (1 + YFACTOR_NOISE * rng.standard_normal(fy.size)),
                        "p_off": p_off * (1 + YFACTOR_NOISE * rng.standard_normal(fy.size))},
                       {"p_on": "W", "p_off": "W"},
                       comments=(LABEL, f"noise source on/off behind {ATT_DB} dB at {T_NOISE_SOURCE} K, "
                                 f"{YFACTOR_NOISE:.1%} noise, seed {SEED}"), resolution_bandwidth=RBW)

    # booster + line + LNA: receiver output power, T_sys = c_cal P with c_cal = 1 / (G k RBW)
    tb = system_temperature(f_vna, s11, T_BOOSTER, src, lna_gamma(f_vna), delay=TAU_BOOSTER)
    pb = tb * gain(f_vna) * k_B * RBW
    write_spectrum_csv(DATA / "tsys_broadband.csv", f_vna,
                       {"power": pb * (1 + BOOSTER_NOISE * rng.standard_normal(f_vna.size))}, {"power": "W"},
                       comments=(LABEL, f"booster (FEM, nominal mirror position) at {T_BOOSTER} K + line "
                                 f"{TAU_BOOSTER} s + LNA, {BOOSTER_NOISE:.1%} noise, seed {SEED}"),
                       resolution_bandwidth=RBW)
    tn = system_temperature(fd, s11_d, T_BOOSTER, src, lna_gamma(fd), delay=TAU_BOOSTER)
    pn = tn * gain(fd) * k_B * RBW
    write_spectrum_csv(DATA / "tsys_narrowband.csv", fd,
                       {"power": pn * (1 + BOOSTER_NOISE * rng.standard_normal(fd.size))}, {"power": "W"},
                       comments=(LABEL, "as tsys_broadband.csv during the run: mirror moved by 60 um "
                                 f"(fem/sweep_drift.csv), seed {SEED}"), resolution_bandwidth=RBW)

    # truth of the run (drifted configuration)
    delivered = delivered_boost_factor(fd, drift["boost_factor"], s11_d, lna_gamma(fd), TAU_BOOSTER)
    atomic_write_csv(HERE / "truth.csv", {"frequency_Hz": fd, "boost_factor_fem": drift["boost_factor"],
                                          "delivered_boost_factor": delivered, "t_sys_K": tn},
                     comments=[LABEL, "TRUE values of the run (mirror drifted by 60 um): FEM boost factor, the boost "
                               "factor delivered to the LNA (FEM boost x (1 - |G_L|^2) / |1 - G_B G_L exp(-2jwt)|^2 "
                               "with the true LNA reflection and tau) and the true T_sys"])
    k = int(np.argmax(delivered))
    meta = {"label": LABEL, "synthetic": True, "generator": "examples/campaign_cb200/make_campaign.py", "seed": SEED,
            "booster": {"source": "fem/sweep.csv (VNA, broadband T_sys) and fem/sweep_drift.csv (run, narrowband "
                                  "T_sys); NGSolve 2-D axisymmetric, non-planar disk 1, see fem/meta.toml",
                        "mirror_drift_m": 60e-6, "t_booster_K": T_BOOSTER},
            "vna_sigma_per_part": VNA_SIGMA,
            "lna_sources_SI": TRUE_SOURCES, "lna_gamma": "0.24 + 0.06 (f - 19 GHz)/3 GHz, phase 0.7 - 2 pi f 80 ps",
            "tau_booster_s": TAU_BOOSTER, "tau_open_s": TAU_OPEN, "tau_short_s": TAU_SHORT,
            "t_standards_K": T_STANDARDS, "standards_noise_relative": STANDARDS_NOISE,
            "booster_spectra_noise_relative": BOOSTER_NOISE,
            "calibration": {"gain_dB": "62 + 2 (f - 19 GHz)/GHz", "resolution_bandwidth_Hz": RBW,
                            "c_cal_K_per_W": "1 / (gain k_B RBW)", "t_rec_K": "LNA noise with a matched source",
                            "attenuation_dB": ATT_DB, "t_noise_source_K": T_NOISE_SOURCE,
                            "noise_relative": YFACTOR_NOISE, "enr_sigma_dB": 0.1},
            "run_truth": {"file": "truth.csv", "peak_delivered_boost_factor": float(delivered[k]),
                          "peak_frequency_Hz": float(fd[k]),
                          "peak_fem_boost_factor": float(np.max(drift["boost_factor"]))}}
    atomic_write_text(HERE / "truth.json", json.dumps(meta, indent=2) + "\n")
    print(f"wrote {DATA} and truth: delivered peak {delivered[k]:.2f} at {fd[k] / 1e9:.4f} GHz")


if __name__ == "__main__":
    main()
