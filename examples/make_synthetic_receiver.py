"""Generate the SYNTHETIC receiver example data in examples/data/ (seeded; true values in JSON).

    python3 examples/make_synthetic_receiver.py

Writes
* receiver_lna_s11.s1p          synthetic LNA input reflection (Touchstone v1, 16-22 GHz)
* receiver_standards_tsys.csv   T_sys with short / open / matched load, 17-21 GHz, 0.5 % noise
* receiver_enr.csv              noise-source ENR table (certificate style)
* receiver_yfactor.csv          noise source on/off power spectra behind a 3 dB attenuator
* receiver_truth.json           every true value used above
* tsys_booster_broadband.csv    T_sys of the true CB200-like booster of make_synthetic_vna.py (the same booster
                                as the synthetic VNA data) + line + LNA, 17.5-19.5 GHz
* tsys_booster_narrowband.csv   the same around the booster mode after a mirror-gap drift
* tsys_truth.json               the true delay, gaps and noise level

None of these are measurements: they are made from the models in emboost with known parameters
and seeded Gaussian noise, for tests, examples and the bundled fit recipes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from emboost.core.constants import k_B
from emboost.core.output import atomic_write_text
from emboost.fit.noise import standards_temperatures
from emboost.noise.amplifier import NoiseSources, system_temperature
from emboost.noise.calibration import hot_cold_temperatures
from emboost.noise.spectra import write_spectrum_csv

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "data"
SEED = 20240611
LABEL = "SYNTHETIC data made by examples/make_synthetic_receiver.py (not a measurement)"

TRUE_SOURCES = {"sqrt_sv": 371e-12, "sqrt_si": 7.4e-12, "rho_mag": 0.35, "rho_phase": 0.8}
TAU_OPEN, TAU_SHORT = 1.2043e-9, 1.1987e-9
T_STANDARDS = 295.0
NOISE_REL = 0.005
TAU_BOOSTER, T_BOOSTER, BOOSTER_NOISE_REL = 2.345e-9, 294.0, 0.003
GAP_DRIFT = 30e-6


def lna_gamma(f: np.ndarray) -> np.ndarray:
    """Smooth synthetic LNA input reflection: |G| 0.18..0.30 with a 80 ps phase slope."""
    x = (f - 19e9) / 3e9
    return (0.24 + 0.06 * x) * np.exp(1j * (0.7 - 2 * np.pi * f * 80e-12))


def write_touchstone(path: Path, f: np.ndarray, g: np.ndarray) -> None:
    lines = [f"! {LABEL}", "! LNA input reflection S11", "# Hz S RI R 50"]
    lines += [f"{fi:.1f} {gi.real:.9f} {gi.imag:.9f}" for fi, gi in zip(f, g)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    src = NoiseSources(**TRUE_SOURCES)

    f_lna = np.linspace(16e9, 22e9, 241)
    write_touchstone(OUT / "receiver_lna_s11.s1p", f_lna, lna_gamma(f_lna))

    # standards
    f = np.linspace(17e9, 21e9, 801)
    t = standards_temperatures(f, src, lna_gamma(f), T_STANDARDS, TAU_OPEN, TAU_SHORT)
    noisy = {k: v * (1 + NOISE_REL * rng.standard_normal(f.size)) for k, v in t.items()}
    write_spectrum_csv(OUT / "receiver_standards_tsys.csv", f, {k: noisy[k] for k in ("short", "open", "load")},
                       {"short": "K", "open": "K", "load": "K"},
                       comments=(LABEL, f"T_sys with short/open/load standards at {T_STANDARDS} K, "
                                 f"{NOISE_REL:.1%} Gaussian noise, seed {SEED}"))

    # Y-factor calibration
    f_enr = np.array([10e9, 14e9, 18e9, 20e9, 22e9, 26.5e9])
    enr_db = np.array([15.32, 15.18, 15.05, 14.97, 14.90, 14.71])
    atomic_write_text(OUT / "receiver_enr.csv", f"# {LABEL}\n# noise source ENR certificate table\n"
                      "frequency [GHz], enr [dB]\n" + "".join(f"{a / 1e9:g}, {b:.2f}\n" for a, b in zip(f_enr, enr_db)))
    rbw, att_db, t_phys = 100e3, 3.0, 296.0
    gain = 10 ** ((62 + 2 * (f - 19e9) / 1e9) / 10)
    t_rec = 95 + 10 * np.sin(2 * np.pi * (f - 17e9) / 1.7e9)
    g_rec = np.abs(lna_gamma(f))
    enr = 10 ** (np.interp(f, f_enr, enr_db) / 10)
    t_on, t_off = hot_cold_temperatures(enr, t_phys, 10 ** (att_db / 10))
    p_on = gain * k_B * rbw * ((1 - g_rec**2) * t_on + t_rec)
    p_off = gain * k_B * rbw * ((1 - g_rec**2) * t_off + t_rec)
    cal_noise = 0.002
    p_on_n = p_on * (1 + cal_noise * rng.standard_normal(f.size))
    p_off_n = p_off * (1 + cal_noise * rng.standard_normal(f.size))
    write_spectrum_csv(OUT / "receiver_yfactor.csv", f, {"p_on": p_on_n, "p_off": p_off_n}, {"p_on": "W", "p_off": "W"},
                       comments=(LABEL, f"noise source on/off behind {att_db} dB at {t_phys} K, "
                                 f"{cal_noise:.1%} noise, seed {SEED}"), resolution_bandwidth=rbw)

    truth = {"label": LABEL, "seed": SEED, "lna_sources": TRUE_SOURCES,
             "lna_sources_units": {"sqrt_sv": "V/sqrt(Hz)", "sqrt_si": "A/sqrt(Hz)", "rho_mag": "1",
                                   "rho_phase": "rad"},
             "tau_open_s": TAU_OPEN, "tau_short_s": TAU_SHORT, "t_standards_K": T_STANDARDS,
             "standards_noise_relative": NOISE_REL,
             "lna_gamma": "0.24 + 0.06 (f - 19 GHz)/3 GHz, phase 0.7 - 2 pi f 80 ps",
             "yfactor": {"resolution_bandwidth_Hz": rbw, "attenuation_dB": att_db, "t_phys_K": t_phys,
                         "gain_dB": "62 + 2 (f - 19 GHz)/GHz", "t_rec_K": "95 + 10 sin(2 pi (f - 17 GHz)/1.7 GHz)",
                         "gamma_rec": "the LNA reflection above", "noise_relative": cal_noise}}
    atomic_write_text(OUT / "receiver_truth.json", json.dumps(truth, indent=2) + "\n")

    # booster + line + LNA: the same true booster as the synthetic VNA data, so that a booster fitted to
    # that data describes these spectra too
    import sys

    sys.path.insert(0, str(ROOT / "examples"))
    from make_synthetic_vna import true_booster

    b = true_booster()
    fb = np.linspace(17.5e9, 19.5e9, 2001)
    tb = system_temperature(fb, b.response(fb).s11, T_BOOSTER, src, lna_gamma(fb), delay=TAU_BOOSTER)
    tb_n = tb * (1 + BOOSTER_NOISE_REL * rng.standard_normal(fb.size))
    write_spectrum_csv(OUT / "tsys_booster_broadband.csv", fb, {"t_sys": tb_n}, {"t_sys": "K"},
                       comments=(LABEL, f"true booster of make_synthetic_vna.py at {T_BOOSTER} K + line "
                                 f"{TAU_BOOSTER} s + LNA, "
                                 f"{BOOSTER_NOISE_REL:.1%} noise, seed {SEED}"))
    gap0 = float(b.gaps[0])
    moved = b.with_mirror_gap(gap0 + GAP_DRIFT)
    fn = np.linspace(18.40e9, 18.60e9, 401)
    tn = system_temperature(fn, moved.response(fn).s11, T_BOOSTER, src, lna_gamma(fn), delay=TAU_BOOSTER)
    tn_n = tn * (1 + BOOSTER_NOISE_REL * rng.standard_normal(fn.size))
    write_spectrum_csv(OUT / "tsys_booster_narrowband.csv", fn, {"t_sys": tn_n}, {"t_sys": "K"},
                       comments=(LABEL, f"as tsys_booster_broadband.csv, mirror gap {gap0 + GAP_DRIFT:.6e} m "
                                 f"(true {gap0:.6e} m before the drift), seed {SEED}"))
    tsys_truth = {"label": LABEL, "seed": SEED, "booster_model": "true booster of examples/make_synthetic_vna.py",
                  "tau_s": TAU_BOOSTER, "t_booster_K": T_BOOSTER, "noise_relative": BOOSTER_NOISE_REL,
                  "mirror_gap_before_drift_m": gap0, "mirror_gap_true_m": gap0 + GAP_DRIFT, "lna_sources": TRUE_SOURCES}
    atomic_write_text(OUT / "tsys_truth.json", json.dumps(tsys_truth, indent=2) + "\n")


if __name__ == "__main__":
    main()
