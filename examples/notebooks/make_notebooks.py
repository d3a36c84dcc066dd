"""Write the gallery notebooks (examples/notebooks/*.ipynb) from the cells below, without outputs.

Run ``python3 examples/notebooks/make_notebooks.py`` after editing a cell; tests/test_notebooks.py executes the
notebooks. Every data set in them is SYNTHETIC, generated in the notebook with its true values.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

BOOSTER = [
    ("md", """# Booster: boost factor, S11 and a reflectivity fit

The CB200-like 3-disk booster of `models/cb200_config1.toml`: its boost factor and S11, then a fit of its
three gaps to **synthetic** noisy S11 (truth printed below) and the fitted boost factor with its uncertainty."""),
    ("code", """%matplotlib inline
import numpy as np

import emboost as eb
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11
from emboost.report.plots_booster import booster_response_figure
from emboost.report.plots_smith import s11_smith_polar_figure
from emboost.rf.skrf_bridge import booster_network

setup = eb.load_booster_setup("../../models/cb200_config1.toml")
r = setup.booster.response(setup.frequencies)
i = int(np.argmax(r.boost_factor))
print(f"peak boost factor {r.boost_factor[i]:.0f} at {setup.frequencies[i] / 1e9:.4f} GHz")
booster_response_figure(setup.frequencies, r.boost_factor, r.reflected_power_db, r.group_delay, title=setup.name)"""),
    ("md", """## Synthetic measurement and fit

S11 of the booster with shifted gaps plus complex Gaussian noise of sigma 0.003 (seeded)."""),
    ("code", """f = np.linspace(16e9, 21e9, 161)
free = ["gap_1", "gap_2", "gap_3"]
truth = {"gap_1": 8.455e-3, "gap_2": 12.320e-3, "gap_3": 12.610e-3}
base = setup.booster
rng = np.random.default_rng(42)
sigma = 3e-3
s_meas = base.with_gaps(np.array([truth[n] for n in free])).reflectivity(f)
s_meas = s_meas + sigma * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))

start = {n: float(v) for n, v in zip(free, base.gaps)}
specs = booster_parameter_specs(base, free, initial=start)
res = fit_booster(f, observables_from_s11(f, s_meas), base, specs, [Observable("s11", sigma)])
for n in free:
    print(f"{n}: fitted {res.fit.value(n) * 1e3:.4f} +- {res.fit.error(n) * 1e3:.4f} mm, "
          f"true {truth[n] * 1e3:.4f} mm, pull {(res.fit.value(n) - truth[n]) / res.fit.error(n):+.2f}")
print("converged:", res.fit.converged, " reduced chi^2:", round(res.fit.redchi, 3))
assert res.fit.converged"""),
    ("code", """bf, sbf = res.boost_factor(setup.frequencies, with_error=True)
k = int(np.argmax(bf))
print(f"fitted peak boost factor {bf[k]:.0f} +- {sbf[k]:.0f} at {setup.frequencies[k] / 1e9:.4f} GHz")
s11_smith_polar_figure({"measured": (f, s_meas), "fitted": booster_network(res.booster().response(f))},
                       title="CB200-like booster, synthetic S11")"""),
    ("md", """## Design and tuning

Three LaAlO3-like disks (eps 24, 1 mm) placed for the largest minimum boost factor over 21.95-22.05 GHz, then a
**synthetic** measured S11 of the same booster with its disks 10-20 um off the design (truth below): the fit of
the present gaps and the disk moves that restore the design."""),
    ("code", """from emboost.booster.design import DesignSpec, design_booster
from emboost.booster.tuning import tune_booster

design = design_booster(eb.Booster.from_disks(np.full(3, 7e-3), 1e-3, 24.0, 1e-4),
                        DesignSpec(21.95e9, 22.05e9, n_starts=2, seed=0))
print(f"in-band beta^2 {design.band_minimum:.1f}..{design.band_maximum:.1f}, tolerances "
      f"{np.round(design.tolerance * 1e6, 1)} um for a 10 % drop, verdict ok: {design.verdict.ok}")
offsets = np.array([15e-6, -10e-6, 20e-6])                       # SYNTHETIC truth of the displacement
present = design.booster.with_gaps(design.gaps + offsets)
fm = np.linspace(21.5e9, 22.5e9, 401)
noise = np.random.default_rng(1).normal(0, 3e-4, (2, fm.size))
t = tune_booster(fm, present.reflectivity(fm) + noise[0] + 1j * noise[1], design.booster, design.booster,
                 sigma=3e-4, band=(21.95e9, 22.05e9))
band = np.linspace(21.95e9, 22.05e9, 101)
restored = present.with_gaps(present.gaps + t.gap_changes)
print("fitted gap changes [um]:", np.round(t.gap_changes * 1e6, 1), " truth:", np.round(-offsets * 1e6, 1))
worst = np.max(np.abs(restored.boost_factor(band) / design.booster.boost_factor(band) - 1))
print(f"restored beta^2 within {100 * worst:.2f} % of the design")"""),
]

RESONANCE = [
    ("md", """# A cavity resonance fit in reflection

A **synthetic** reflection resonance (truth: f0 = 8.4 GHz, loaded Q 12000, circle diameter 0.7) with complex
Gaussian noise of sigma 0.002: the fit, the derived Q and coupling, lmfit's report, and an emcee check that the
covariance errors describe the posterior."""),
    ("code", """%matplotlib inline
import numpy as np

from emboost.fit.resonance import fit_resonance, resonance_response
from emboost.report.plots_smith import s11_smith_polar_figure

f = np.linspace(8.396e9, 8.404e9, 161)
truth = dict(f0=8.4e9, q_loaded=12000.0, diameter=0.7)
s_true = resonance_response(f, truth["f0"], truth["q_loaded"], truth["diameter"], 0.4, 0.8 + 0.3j, 2e-9, 8.4e9,
                            "reflection")
rng = np.random.default_rng(1)
s = s_true + 2e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
fit = fit_resonance(f, s, "reflection", sigma=2e-3)
for name in ("f0", "loaded_q", "diameter"):
    print(f"{name}: {fit.fit.value(name):.6g} +- {fit.fit.error(name):.2g}")
print(f"unloaded Q {fit.unloaded_q:.0f}, coupling beta {fit.coupling:.3f} ({fit.regime})")
assert fit.fit.converged"""),
    ("code", """print(fit.fit.lmfit_result.fit_report(min_correl=0.5))"""),
    ("code", """import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lmfit's advice on chain length; the chain is short on purpose here
    samples, names, run = fit.fit.lmfit_result.emcee(steps=400, nwalkers=32, burn=150, seed=3)
ratio = samples.std(axis=0, ddof=1) / np.array([fit.fit.error(n) for n in names])
print("posterior width / covariance error:", dict(zip(names, ratio.round(2))))"""),
    ("code", """curves = {"measured": (f, s), "fitted": (f, fit.model())}
s11_smith_polar_figure(curves, title="synthetic resonance")"""),
    ("md", """## Every measurement type

The same **synthetic** resonator (f0 = 8.4 GHz, loaded Q 12000, circle diameter 0.6) seen in reflection, in
transmission, as a notch (hanger, impedance-mismatch rotation 0.3 rad) and as an absorption dip, each fitted
without a start value by naming only its type. For the notch, Q0 is the internal Q and |Qc| the coupling Q."""),
    ("code", """for kind, rotation, background in (("reflection", 0.4, 0.8 + 0.3j), ("transmission", 0.0, 0.5),
                                   ("notch", 0.3, 0.9 - 0.2j), ("absorption", 0.0, 0.9 - 0.2j)):
    s_k = resonance_response(f, 8.4e9, 12000.0, 0.6, rotation, background, 1e-9, 8.4e9, kind)
    s_k = s_k + 1e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    r = fit_resonance(f, s_k, kind, sigma=1e-3)
    extra = (f", |Qc| {r.derived['coupling_q_abs']:.0f}" if "coupling_q_abs" in r.derived else "")
    print(f"{kind:12s} f0 {r.f0 / 1e9:.7f} GHz, Q_L {r.loaded_q:.0f} +- {r.fit.error('loaded_q'):.0f} "
          f"(truth 12000), Q0 {r.unloaded_q:.0f}{extra}, {r.regime}; verdict {'ok' if r.verdict().ok else 'FAILED'}")
    assert abs(r.loaded_q / 12000 - 1) < 5 * r.fit.error("loaded_q") / 12000"""),
]

NOISE = [
    ("md", """# Noise calibration: Y-factor and LNA noise sources

A **synthetic** receiver (gain about 60 dB, T_rec 80 K +- 20 K ripple) calibrated with a noise source of
ENR about 15 dB behind a 6 dB attenuator, then the fit of an LNA's noise sources to the system temperatures
measured with a short, an open and a load at its input (truth printed next to the fit)."""),
    ("code", """import numpy as np

from emboost.core.constants import k_B
from emboost.noise.calibration import ENRTable, calibrate_receiver, hot_cold_temperatures

f = np.linspace(17e9, 21e9, 401)
rbw = 1e5
gain = 10 ** ((60 + 3 * np.sin(f / 1e9)) / 10)
t_rec = 80 + 20 * np.cos(f / 7e8)
enr = ENRTable(np.array([10e9, 30e9]), np.array([15.5, 14.5]), sigma_db=0.1)
t_on, t_off = hot_cold_temperatures(enr.linear(f), 297.0, 10 ** 0.6)
rng = np.random.default_rng(7)
p_on = gain * k_B * rbw * (t_on + t_rec) * (1 + 1e-3 * rng.standard_normal(f.size))
p_off = gain * k_B * rbw * (t_off + t_rec) * (1 + 1e-3 * rng.standard_normal(f.size))
cal = calibrate_receiver(f, p_on, p_off, enr, 297.0, rbw, attenuation_db=6.0, attenuation_range_db=(5.8, 6.2))
dev = (cal.t_rec - t_rec) / cal.sigma_t_rec
print(f"T_rec median {np.median(cal.t_rec):.1f} K (truth {np.median(t_rec):.1f} K), "
      f"median relative sigma of c_cal {np.median(cal.sigma_c_cal / cal.c_cal):.2%}, "
      f"rms (fit - truth)/sigma {np.sqrt(np.mean(dev ** 2)):.2f} (sigma includes the ENR and attenuator "
      "systematics, common to all bins)")"""),
    ("code", """from emboost.fit.noise import fit_standards, standards_temperatures
from emboost.noise.amplifier import NoiseSources

truth = NoiseSources(371e-12, 7.4e-12, 0.35, 0.8)
fs = np.linspace(17e9, 21e9, 201)
t_std = standards_temperatures(fs, truth, 0.2, 295.0, 1.2e-9, 1.1e-9)
sig = {k: np.full(fs.size, 0.05) for k in t_std}
data = {k: t_std[k] + 0.05 * rng.standard_normal(fs.size) for k in t_std}
nf = fit_standards(fs, data, sig, 0.2, 295.0, (1.0e-9, 1.4e-9), (0.9e-9, 1.3e-9))
for name, true in zip(("sqrt_sv", "sqrt_si", "rho_mag"), (truth.sqrt_sv, truth.sqrt_si, truth.rho_mag)):
    print(f"{name}: {nf.result.value(name):.4g} +- {nf.result.error(name):.2g} (truth {true:.4g})")
assert nf.result.converged"""),
]


RADES = [
    ("md", """# RADES: a five-cavity chain and the analysis of its spectra

The iris-coupled chain of five sub-cavities of `models/cast_rades_2018.toml`: its modes, the in-phase (axion)
mode's form factor and its S-parameters as a scikit-rf network; then the haloscope analysis of **synthetic**
magnet-on and magnet-off spectra with an axion injected (truth printed below): grand unified spectrum, candidate,
limits."""),
    ("code", """%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from emboost.cavity.design import load_model
from emboost.core.constants import GeV
from emboost.rf.skrf_bridge import cavity_network
from emboost.search.analysis import SearchSettings, run_search
from emboost.search.synthetic import PAPER_CAVITY, synthetic_run

model = load_model("../../models/cast_rades_2018.toml")   # geometry, irises and ports with their sources
chain = model.chain
modes = chain.modes(model.band)
ax = modes.axion_index
print("mode frequencies [GHz]:", [round(f / 1e9, 4) for f in modes.frequency])
print(f"axion (in-phase) mode {ax + 1}: {modes.axion_frequency / 1e9:.4f} GHz, form factor "
      f"{modes.form_factor[ax]:.3f}, next mode {modes.separation() / 1e6:.1f} MHz away")"""),
    ("md", """## Spectra to limits (synthetic data)

200 magnet-on and 200 magnet-off spectra of 256 bins, an axion of |g| = 2e-12 GeV^-1 injected 92 kHz above the
cavity frequency; the search finds it as its strongest candidate, and gives the observed and expected limits."""),
    ("code", """run = synthetic_run(n_on=200, n_off=200, n_bins=256, seed=1, g_gev=2e-12, f_a=PAPER_CAVITY.f0 + 92e3)
res = run_search(run.raw, SearchSettings(n_sim=200), cavity=PAPER_CAVITY)
best = res.candidates[0]
print(f"SYNTHETIC truth: axion at {run.truth['f_a_hz'] / 1e9:.7f} GHz, |g| = {run.truth['g_gev']:.1e} GeV^-1")
print(f"strongest candidate {best.frequency / 1e9:.7f} GHz, {best.local_z:.1f} sigma local")
print(f"expected limit at f0: {np.nanmin(res.expected_g) * GeV:.2e} GeV^-1")
assert abs(best.frequency - run.truth["f_a_hz"]) < 3 * run.truth["bin_width_hz"]
f_gus = res.gus.frequency
fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
a1.plot((f_gus - PAPER_CAVITY.f0) / 1e3, res.gus.delta / res.gus.sigma, lw=0.8)
a1.axvline((run.truth["f_a_hz"] - PAPER_CAVITY.f0) / 1e3, color="C3", ls=":", label="injected (synthetic)")
a1.set_ylabel("grand unified spectrum / sigma")
a1.legend()
fs = res.scan.frequency
a2.semilogy((fs - PAPER_CAVITY.f0) / 1e3, res.limit_g * GeV, label="observed limit")
a2.semilogy((fs - PAPER_CAVITY.f0) / 1e3, res.expected_g * GeV, label="expected limit")
a2.set_xlabel("frequency - f0 [kHz]")
a2.set_ylabel("|g| [GeV$^{-1}$]")
a2.legend()"""),
    ("md", """## The chain as a scikit-rf network"""),
    ("code", """f = np.linspace(*model.band, 801)
ntw = cavity_network(chain, f)
k = int(np.argmax(np.abs(ntw.s[:, 1, 0])))
print(f"{ntw.nports}-port network; |S21| peaks at {f[k] / 1e9:.4f} GHz ({20 * np.log10(abs(ntw.s[k, 1, 0])):.1f} dB)")
ntw.plot_s_db(m=1, n=0)"""),
]

DMRADIO = [
    ("md", """# DMRadio-m3: live time of the scan

The coaxial pickup of `models/dmradio_m3.toml` (a toy transmission-line model: the design numbers the
publications do not give are stated assumptions in the model file), tuned at each frequency: the live time to
scan each band to DFSZ or KSVZ, beside the published numbers, and its breakdown into factors."""),
    ("code", """%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from emboost.pickup.breakdown import ratio_breakdown
from emboost.pickup.setup import live_time_table, load_pickup_model

model = load_pickup_model("../../models/dmradio_m3.toml")
rows = live_time_table(model)
for r in rows:
    paper = "" if r["paper_years"] is None else f"  paper {r['paper_years']:.2f} yr, ratio {r['ratio']:.2f}"
    print(f"{r['band']:<22} {r['copper']:<34} eta {r['eta']:<16} {r['years']:8.2f} yr{paper}")"""),
    ("code", """base = [r for r in rows if r["copper"].startswith("baseline") and r["eta"] != "SQUID model"]
x = np.arange(len(base))
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.bar(x - 0.2, [r["years"] for r in base], 0.4, label="emboost (baseline copper)")
ax.bar(x + 0.2, [np.nan if r["paper_years"] is None else r["paper_years"] for r in base], 0.4, label="paper")
ax.set_xticks(x, [r["band"] for r in base], rotation=20)
ax.set_yscale("log")
ax.set_ylabel("live time [yr]")
ax.legend()"""),
    ("md", """## Where the ratio to the paper comes from"""),
    ("code", """for b in ratio_breakdown(model):
    parts = ", ".join(f"{f['name']} x{f['factor']:.3g}" for f in b["factors"])
    print(f"{b['band']:<22} ratio {b['ratio']:.3g} = {parts}, remaining x{b['remaining']:.3g}")"""),
]


def write(name: str, cells: list[tuple[str, str]]) -> Path:
    nb = new_notebook(cells=[new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "language_info": {"name": "python"}})
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


NOTEBOOKS = {"booster_boost_and_fit": BOOSTER, "resonance_fit": RESONANCE, "noise_calibration": NOISE,
             "rades_analysis": RADES, "dmradio_live_time": DMRADIO}

if __name__ == "__main__":
    for nb_name, nb_cells in NOTEBOOKS.items():
        print(write(nb_name, nb_cells))
