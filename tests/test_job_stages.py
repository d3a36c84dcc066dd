"""One stage, one result: 'emboost fit', 'emboost mc' and 'emboost derive' call the same stage functions.

Every test feeds the three commands the same inputs (the bundled SYNTHETIC campaign, examples/campaign_cb200/)
and requires identical numbers. The T_sys spectra that 'emboost derive' makes from its calibration (c_cal x
power) are handed to the recipe kinds as the temperature spectra they read, written with full precision.
A derive run also reads every input file once, and the recipe sections share one set of rules.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from emboost.cli import main
from emboost.core.errors import RecipeError
from emboost.jobs.derive import derive

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = ROOT / "fits" / "cb200_campaign.toml"
DATA = ROOT / "examples" / "campaign_cb200" / "data"
SETUP = ROOT / "examples" / "campaign_cb200" / "setup.toml"
SAMPLES = 10
SEED = 20261122


def _csv(path: Path) -> dict[str, np.ndarray]:
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    rows = list(csv.reader(lines))
    return {k: np.array([float(r[i]) for r in rows[1:]]) for i, k in enumerate(rows[0])}


def _spectrum(path: Path, f: np.ndarray, t: np.ndarray) -> Path:
    """A T_sys spectrum file in the reader's format, every value written with full precision."""
    path.write_text("frequency [Hz], t_sys [K]\n" + "".join(f"{float(a)!r}, {float(b)!r}\n" for a, b in zip(f, t)))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One derive run (input reads counted), then the recipe kinds and a Monte-Carlo recipe on its inputs."""
    import emboost.booster.setup as setup_mod
    import emboost.noise.spectra as spectra_mod
    import emboost.rf.touchstone as ts_mod

    d = tmp_path_factory.mktemp("stages")
    reads: Counter[str] = Counter()
    mc_reads: Counter[str] = Counter()
    counter = [reads]

    def counted(module, name):
        orig = getattr(module, name)

        def wrapper(path, *a, **k):
            counter[0][str(Path(path).resolve())] += 1
            return orig(path, *a, **k)
        return wrapper

    mp = pytest.MonkeyPatch()
    for mod, name in ((ts_mod, "read_touchstone"), (spectra_mod, "read_spectrum"),
                      (spectra_mod, "read_enr_table"), (setup_mod, "load_booster_setup")):
        mp.setattr(mod, name, counted(mod, name))
    try:
        res = derive(CAMPAIGN, d / "derive", samples=SAMPLES, workers=1)
    except BaseException:
        mp.undo()
        raise
    out = res.out
    st = {p.stem: json.loads(p.read_text())["result"] for p in (out / "stages").glob("*.json")}
    nf = st["noise_fit"]
    bb, nb = _csv(out / "tsys_broadband.csv"), _csv(out / "tsys_narrowband.csv")
    bb_path = _spectrum(d / "broadband_K.csv", bb["frequency_Hz"], bb["t_sys_K"])
    nb_path = _spectrum(d / "narrowband_K.csv", nb["frequency_Hz"], nb["t_sys_K"])
    params = """
gap_1 = { value = 9.75, unit = "mm", min = 9.2, max = 10.3 }
gap_2 = { value = 9.75, unit = "mm", min = 9.2, max = 10.3 }
gap_3 = { value = 9.75, unit = "mm", min = 9.2, max = 10.3 }
phase_thickness = { value = 3.066, unit = "mm", min = 2.8, max = 3.4 }
loss_tangent = { value = 5e-4, unit = "1", min = 0, max = 1e-2 }
"""
    booster = d / "booster.toml"
    booster.write_text(f"""[recipe]
kind = "booster_reflectivity"
[data]
file = "{DATA / 'vna_s11.s1p'}"
[model]
setup = "{SETUP}"
[[observables]]
kind = "s11"
sigma = 0.003
[parameters]{params}
[fit]
prefit_complex = false
""")
    src = nf["sources"]
    receiver = d / "receiver.toml"
    receiver.write_text(f"""[recipe]
kind = "tsys_line_delay"
[data]
spectrum = "{bb_path}"
lna_s11 = "{DATA / 'lna_s11.s1p'}"
booster_fit = "{booster}"
[booster]
t_phys = "294 K"
[lna]
sqrt_sv = {{ value = {src['sqrt_sv']!r}, unit = "V/sqrt(Hz)" }}
sqrt_si = {{ value = {src['sqrt_si']!r}, unit = "A/sqrt(Hz)" }}
rho_mag = {{ value = {src['rho_mag']!r}, unit = "1" }}
rho_phase = {{ value = {src['rho_phase']!r}, unit = "rad" }}
[delay]
min = "1.0 ns"
max = "4.0 ns"
[narrowband]
spectrum = "{nb_path}"
gap_min = "9.45 mm"
gap_max = "10.05 mm"
grid_points = 121
[noise]
savgol_window = 11
savgol_order = 3
robust = true
""")
    standards = d / "standards.toml"
    standards.write_text(f"""[recipe]
kind = "noise_standards"
[data]
spectra = "{DATA / 'standards_tsys.csv'}"
lna_s11 = "{DATA / 'lna_s11.s1p'}"
[standards]
t_phys = "295 K"
[parameters]
sqrt_sv = {{ value = 300, unit = "pV/sqrt(Hz)", min = 1, max = 5000 }}
sqrt_si = {{ value = 5, unit = "pA/sqrt(Hz)", min = 0.01, max = 500 }}
rho_mag = {{ value = 0.1, unit = "1", min = 0, max = 1 }}
rho_phase = {{ value = 0, unit = "rad", min = -6.2832, max = 6.2832 }}
tau_open = {{ value = 1.2, unit = "ns", min = 1.0, max = 1.4 }}
tau_short = {{ value = 1.2, unit = "ns", min = 1.0, max = 1.4 }}
""")
    ls = nf["lna_sigma"]
    mc = d / "mc.toml"
    mc.write_text(f"""[recipe]
kind = "montecarlo"
[booster]
recipe = "{booster}"
[receiver]
recipe = "{receiver}"
[lna_sigma]
sqrt_sv = {{ value = {ls['sqrt_sv']!r}, unit = "V/sqrt(Hz)" }}
sqrt_si = {{ value = {ls['sqrt_si']!r}, unit = "A/sqrt(Hz)" }}
rho_mag = {{ value = {ls['rho_mag']!r}, unit = "1" }}
rho_phase = {{ value = {ls['rho_phase']!r}, unit = "rad" }}
[band]
start = "18.8 GHz"
stop = "19.2 GHz"
points = 241
[montecarlo]
samples = {SAMPLES}
seed = {SEED}
chunk_size = 25
workers = 1
field_shape_sigma = {{ value = 0.10, unit = "1" }}
frequency_sigma = {{ value = 1.0, unit = "MHz" }}
refit_mirror_gap = true
delay_window = "0.1 ns"
gap_window = "0.05 mm"
gap_grid_points = 21
quantiles = [0.025, 0.16, 0.5, 0.84, 0.975]
[sensitivity]
snr = 5.0
time = "3 d"
t_sys_relative_sigma = {{ value = 0.024, unit = "1" }}
""")
    outs = {}
    try:
        counter[0] = Counter()
        for name, recipe in (("booster", booster), ("receiver", receiver), ("standards", standards)):
            outs[name] = d / f"fit-{name}"
            assert main(["fit", str(recipe), "--output", str(outs[name]), "--quiet"]) in (0, 3)
        counter[0] = mc_reads
        outs["mc"] = d / "mc"
        assert main(["mc", str(mc), "--output", str(outs["mc"]), "--quiet"]) in (0, 3)
    finally:
        mp.undo()
    return {"derive": out, "stages": st, "reads": reads, "mc_reads": mc_reads, **outs}


def test_derive_reads_each_input_file_once(runs):
    files = [DATA / n for n in ("enr.csv", "yfactor.csv", "vna_s11.s1p", "lna_s11.s1p", "standards_tsys.csv",
                                "tsys_broadband.csv", "tsys_narrowband.csv")] + [SETUP]
    for p in files:
        assert runs["reads"][str(p.resolve())] == 1, (p, runs["reads"])
    assert max(runs["reads"].values()) == 1


def test_mc_reads_each_input_file_once(runs):
    # the booster recipe's data and setup, the LNA file, both T_sys spectra: each parsed once per job
    assert runs["mc_reads"][str((DATA / "vna_s11.s1p").resolve())] == 1
    assert runs["mc_reads"][str((DATA / "lna_s11.s1p").resolve())] == 1
    assert max(runs["mc_reads"].values()) == 1, runs["mc_reads"]


def test_stage_cache_key_includes_the_emboost_version(monkeypatch, tmp_path):
    import emboost
    from emboost.jobs.derive import STAGES, load_campaign, stage_key
    from emboost.jobs.derive_stages import Context, Progress
    from emboost.jobs.inputs import Inputs

    r = load_campaign(CAMPAIGN)
    ctx = Context(recipe=r, out=tmp_path, resume=True, quiet=True, samples=4, seed=1, workers=1,
                  progress=Progress(True), inputs=Inputs(), hashes={str(p): "sha" for p in r.files.values()})
    key, ident = stage_key(ctx, STAGES[0])
    assert ident["emboost"] == emboost.__version__
    monkeypatch.setattr(emboost, "__version__", "999.0")
    other, _ = stage_key(ctx, STAGES[0])
    assert other != key


def test_booster_fit_stage_is_the_same_in_fit_mc_and_derive(runs):
    derived = json.loads((runs["derive"] / "booster_fit.json").read_text())["fit"]
    fitted = json.loads((runs["booster"] / "fit.json").read_text())["fit"]
    mc = json.loads((runs["mc"] / "booster_fit.json").read_text())["fit"]
    for other in (fitted, mc):
        assert other["free"] == derived["free"]
        for n, p in derived["parameters"].items():
            assert other["parameters"][n]["value"] == p["value"], n
            assert other["parameters"][n]["stderr"] == p["stderr"], n
        assert other["covariance"] == derived["covariance"]
        assert other["statistics"]["chisqr"] == derived["statistics"]["chisqr"]


def test_noise_standards_stage_is_the_same_in_fit_and_derive(runs):
    # 'emboost mc' takes the LNA parameters as given: it has no standards stage
    nf = runs["stages"]["noise_fit"]
    fit = json.loads((runs["standards"] / "fit.json").read_text())["fit"]["parameters"]
    for n in ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase"):
        assert fit[n]["stderr"] == nf["stderr"][n], n
    # the phase is reported wrapped to (-pi, pi] by the stage; the raw fit value may differ by 2 pi
    assert fit["sqrt_sv"]["value"] == nf["sources"]["sqrt_sv"] and fit["rho_mag"]["value"] == nf["sources"]["rho_mag"]
    assert np.angle(np.exp(1j * fit["rho_phase"]["value"])) == pytest.approx(nf["sources"]["rho_phase"], abs=0)
    assert fit["tau_open"]["value"] == nf["tau_open"] and fit["tau_short"]["value"] == nf["tau_short"]


def test_line_delay_stage_is_the_same_in_fit_mc_and_derive(runs):
    ld = runs["stages"]["line_delay"]
    fit = json.loads((runs["receiver"] / "fit.json").read_text())["delay"]
    assert fit == ld
    mc = json.loads((runs["mc"] / "summary.json").read_text())["runs"][0]["nominal_refits"]
    assert mc["tau"] == ld["tau"] == runs["stages"]["montecarlo"]["nominal_refits"]["tau"]


def test_mirror_gap_stage_is_the_same_in_fit_mc_and_derive(runs):
    mg = runs["stages"]["mirror_gap"]
    fit = json.loads((runs["receiver"] / "fit.json").read_text())["mirror_gap"]
    for k in ("gap", "sigma_gap", "chi2", "redchi", "ndata", "on_bound"):
        assert fit[k] == mg[k], k
    # the Monte-Carlo's nominal refit searches the same range on its own grid ([montecarlo] gap_grid_points):
    # the same in both jobs
    mc = json.loads((runs["mc"] / "summary.json").read_text())["runs"][0]["nominal_refits"]
    assert mc["gap"] == runs["stages"]["montecarlo"]["nominal_refits"]["gap"]


def test_montecarlo_stage_is_the_same_in_mc_and_derive(runs):
    d = _csv(runs["derive"] / "boost_band.csv")
    m = _csv(runs["mc"] / "band.csv")
    assert np.array_equal(d["frequency_Hz"], m["frequency_Hz"])
    for k in ("mean", "std", "nominal", "q2_5", "q50", "q97_5", "linear_std"):
        assert np.array_equal(d[k], m[k]), k


def test_reach_stage_draws_t_sys_the_same_way_in_mc_and_derive(runs):
    from emboost.jobs.stages import reach_stage

    with np.load(runs["derive"] / "montecarlo" / "boost_samples.npz") as z:
        f, boost = z["frequency"], z["boost"]
    nominal = _csv(runs["derive"] / "boost_band.csv")["nominal"]
    from emboost.booster.setup import load_booster_setup

    s = load_booster_setup(SETUP)
    assert s.b_field is not None
    setup = dict(area=s.area, b_field=s.b_field, rho=s.dm_density, time=3 * 86400.0, snr=5.0, q_a=None,
                 quantiles=(0.025, 0.16, 0.5, 0.84, 0.975))
    for reach_csv, rel_of in ((runs["derive"] / "reach.csv", lambda c: c["t_sys_relative_sigma"]),
                              (runs["mc"] / "reach.csv", lambda c: 0.024)):
        c = _csv(reach_csv)
        r = reach_stage(boost, nominal, f, c["t_sys_K"], rel_of(c), SEED, **setup)
        assert np.allclose(r.g_median, c["g_median_GeV"], rtol=1e-12, atol=0), reach_csv
        assert np.allclose(r.g_quantiles[2], c["g_q50_GeV"], rtol=1e-12, atol=0), reach_csv
    # with the T_sys uncertainty the reach quantiles are wider than the boost factor's alone
    c = _csv(runs["mc"] / "reach.csv")
    no_tsys = reach_stage(boost, nominal, f, c["t_sys_K"], 0.0, SEED, **setup)
    k = int(np.argmin(c["g_median_GeV"]))
    assert c["g_q97_5_GeV"][k] - c["g_q2_5_GeV"][k] > no_tsys.g_quantiles[4][k] - no_tsys.g_quantiles[0][k]


def test_window_minimum_and_units_are_shared(tmp_path):
    from emboost.jobs.fit_recipes import load_booster_fit_recipe, load_line_delay_recipe, load_resonance_recipe
    from emboost.jobs.sections import MIN_WINDOW_POINTS

    res = tmp_path / "res.toml"
    res.write_text(f"""[recipe]
kind = "resonance"
[data]
file = "{DATA / 'vna_s11.s1p'}"
format = "columns"
columns = ["f", "re", "im"]
[model]
type = "reflection"
""")
    with pytest.raises(RecipeError, match="data.frequency_unit"):
        load_resonance_recipe(res)
    # a window with fewer points than the shared minimum: the same message in every kind
    narrow = '[window]\nstart = "18.9 GHz"\nstop = "18.900001 GHz"\n'   # 1 kHz: at most one point
    b = tmp_path / "b.toml"
    b.write_text((ROOT / "fits" / "cb200_reflectivity.toml").read_text().replace(
        "../examples/data/cb200_synthetic_s11.s1p", str(DATA / "vna_s11.s1p")).replace(
        "../models/cb200_config1.toml", str(SETUP)).split("[window]")[0] + narrow
        + "[[observables]]\nkind = \"s11\"\nsigma = 0.003\n[parameters]\ngap_1 = { value = 9.75, unit = \"mm\" }\n")
    with pytest.raises(RecipeError, match=f"need at least {MIN_WINDOW_POINTS}"):
        load_booster_fit_recipe(b)
    ld = tmp_path / "ld.toml"
    ld.write_text((ROOT / "fits" / "cb200_tsys_delay.toml").read_text().replace(
        '"../examples/', f'"{ROOT}/examples/').replace('"cb200_reflectivity.toml"',
                                                       f'"{ROOT}/fits/cb200_reflectivity.toml"') + narrow)
    from emboost.jobs.fit_recipes import broadband_spectrum
    from emboost.jobs.inputs import Inputs

    with pytest.raises(RecipeError, match=f"need at least {MIN_WINDOW_POINTS}"):
        broadband_spectrum(load_line_delay_recipe(ld), Inputs())


def test_old_campaign_delay_keys_are_refused_with_the_new_ones_named(tmp_path):
    from emboost.jobs.campaign import load_campaign

    text = CAMPAIGN.read_text().replace("[delay]", "[delay_moved]").replace(
        'gap_min = "9.45 mm"', 'delay_min = "1.0 ns"\ndelay_max = "4.0 ns"\ngap_min = "9.45 mm"')
    p = tmp_path / "fits" / "c.toml"
    p.parent.mkdir()
    p.write_text(text)
    with pytest.raises(RecipeError, match=r"tsys.delay_min.*moved to \[delay\] min"):
        load_campaign(p)


def test_campaign_booster_takes_the_fit_options(tmp_path):
    """[booster] of a campaign takes the booster fit's jacobian, starts, seed and spread (as [fit] does)."""
    from emboost.jobs.campaign import load_campaign

    text = CAMPAIGN.read_text().replace("../examples/", str(ROOT / "examples") + "/").replace(
        'parameter = "S11"\n', 'parameter = "S11"\njacobian = "numeric"\nstarts = 3\nseed = 5\nspread = 0.02\n', 1)
    p = tmp_path / "c.toml"
    p.write_text(text)
    opts = load_campaign(p).booster.options
    assert (opts.jacobian, opts.starts, opts.seed, opts.spread) == ("numeric", 3, 5, 0.02)
    p.write_text(text.replace('jacobian = "numeric"', 'jacobian = "analytic"'))
    with pytest.raises(RecipeError, match="booster.jacobian"):
        load_campaign(p)
