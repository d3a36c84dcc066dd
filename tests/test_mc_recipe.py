"""Monte-Carlo recipes: parsing, the fit.json route, outputs (CSV, NetCDF, PNG, JSON), several runs, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from emboost.core.errors import RecipeError
from emboost.jobs.files import read_results
from emboost.jobs.mc import load_booster_fit_json, load_mc_recipe, run_recipe
from emboost.jobs.recipes import load_recipe

ROOT = Path(__file__).resolve().parents[1]


def write_recipe(path: Path, booster: str, extra: str = "", runs: str = "", band: str = "",
                 t_sys_sigma: float = 0.0) -> Path:
    """A small montecarlo recipe on the bundled SYNTHETIC data (41 frequencies, a few samples); without a
    T_sys uncertainty unless ``t_sys_sigma`` is given, so that the reach follows the boost factor exactly."""
    band = band or 'start = "18.40 GHz"\nstop = "18.60 GHz"\npoints = 41'
    path.write_text(f"""
[recipe]
kind = "montecarlo"
name = "test"

[booster]
{booster}

[receiver]
recipe = "{ROOT / 'fits' / 'cb200_tsys_delay.toml'}"

[lna_sigma]
sqrt_sv = "6 pV/sqrt(Hz)"
sqrt_si = "0.15 pA/sqrt(Hz)"
rho_mag = {{ value = 0.03, unit = "1" }}
rho_phase = "0.05 rad"

[band]
{band}

[montecarlo]
samples = 10
seed = 3
chunk_size = 5
workers = 1
field_shape_sigma = {{ value = 0.1, unit = "1" }}
frequency_sigma = "1 MHz"
delay_window = "0.1 ns"
gap_window = "0.03 mm"
gap_grid_points = 11
convergence_window = 5
{extra}

[sensitivity]
time = "3 d"
snr = 5.0
t_sys_relative_sigma = {{ value = {t_sys_sigma}, unit = "1" }}
{runs}
""")
    return path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[Path, Path]:
    """Run a recipe that runs the booster fit itself; its booster_fit.json feeds the other tests."""
    d = tmp_path_factory.mktemp("mc")
    recipe = write_recipe(d / "run_fit.toml", f'recipe = "{ROOT / "fits" / "cb200_reflectivity.toml"}"')
    out = d / "out"
    out.mkdir()
    _, top = load_recipe(recipe)
    status = run_recipe(recipe, top, out, quiet=True)
    assert status in (0, 3)
    return out, out / "booster_fit.json"


def read_csv(path: Path) -> dict[str, np.ndarray]:
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    rows = list(csv.reader(lines))
    return {k: np.array([float(r[i]) for r in rows[1:]]) for i, k in enumerate(rows[0])}


def test_bundled_recipe_parses():
    r = load_mc_recipe(ROOT / "fits" / "cb200_montecarlo.toml")
    assert r.booster_recipe.name == "cb200_reflectivity.toml"
    assert r.multi and [x.refit_mirror_gap for x in r.runs] == [True, False]
    assert r.runs[0].frequency_sigma == pytest.approx(1.5e6) and r.runs[1].time == pytest.approx(2 * 86400)
    assert r.field_shape_sigma == pytest.approx(0.1) and r.delay_window == pytest.approx(1e-10)


def test_outputs_are_written_and_consistent(fitted):
    out, _ = fitted
    for name in ("band.csv", "reach.csv", "results.nc", "summary.json", "boost_band.png",
                 "boost_relative_uncertainty.png", "reach.png", "booster_fit.json", "samples/manifest.json"):
        assert (out / name).is_file(), name
    band = read_csv(out / "band.csv")
    assert band["frequency_Hz"].size == 41
    assert np.all(band["q2_5"] <= band["q50"]) and np.all(band["q50"] <= band["q97_5"])
    assert np.all(band["std"] > 0) and np.all(band["linear_std"] > 0)
    # the field-shape factor (10 %) dominates: the relative spread is of that size (10 samples: loose)
    assert 0.04 < np.median(band["relative_std"]) < 0.2
    nc, _ = read_results(out / "results.nc")
    assert np.array_equal(nc["boost_mean"], band["mean"])
    assert nc["line_delay"].shape == (10,) and nc["boost"].shape == (10, 41)
    assert sum(k.startswith("booster_") for k in nc) == 5
    reach = read_csv(out / "reach.csv")
    # g ~ (beta^2)^-1/2: the reach at the median boost factor is the median reach
    assert np.allclose(reach["g_q50_GeV"], reach["g_nominal_GeV"] * np.sqrt(band["nominal"] / band["q50"]), rtol=1e-9)
    assert np.all(reach["ksvz_GeV"] < reach["g_q50_GeV"])
    summary = json.loads((out / "summary.json").read_text())
    run = summary["runs"][0]
    # 10 samples with a window of 5: the check runs and its outcome is reported (not assumed)
    assert set(run["convergence"]) >= {"converged", "max_relative_change", "window", "tolerance"}
    assert run["nominal_refits"]["tau"] == pytest.approx(2.345e-9, abs=2e-12)   # synthetic truth
    assert run["refits"]["samples_on_search_edge"] == 0


def test_fit_json_route_rebuilds_the_booster_fit(fitted, tmp_path):
    out, fit_json = fitted
    res, setup = load_booster_fit_json(fit_json)
    doc = json.loads(fit_json.read_text())
    assert list(res.fit.free) == doc["fit"]["free"]
    assert np.allclose(res.fit.covariance, doc["fit"]["covariance"], rtol=1e-12)
    assert res.booster().boost_factor(setup.frequencies).max() == pytest.approx(doc["boost_factor"]["peak"], rel=1e-9)
    # the same recipe through the fit.json gives the same samples as through the booster recipe
    recipe = write_recipe(tmp_path / "from_json.toml", f'fit = "{fit_json}"')
    o2 = tmp_path / "o2"
    o2.mkdir()
    _, top = load_recipe(recipe)
    run_recipe(recipe, top, o2, quiet=True)
    assert read_csv(o2 / "band.csv")["mean"].tolist() == read_csv(out / "band.csv")["mean"].tolist()


def test_several_runs_are_combined(fitted, tmp_path):
    _, fit_json = fitted
    runs = """
[[runs]]
name = "a"
refit_mirror_gap = true
[[runs]]
name = "b"
time = "1 d"
frequency_sigma = "0.5 MHz"
"""
    recipe = write_recipe(tmp_path / "runs.toml", f'fit = "{fit_json}"', extra="linear_check = false", runs=runs)
    out = tmp_path / "o"
    out.mkdir()
    _, top = load_recipe(recipe)
    status = run_recipe(recipe, top, out, quiet=True, samples=6)
    assert status in (0, 3)
    ga = read_csv(out / "a" / "reach.csv")["g_q50_GeV"]
    gb = read_csv(out / "b" / "reach.csv")["g_q50_GeV"]
    gc = read_csv(out / "combined_reach.csv")["g_q50_GeV"]
    assert np.all(gc < np.minimum(ga, gb))                            # combining always helps
    assert np.allclose(gc, (ga**-4 + gb**-4) ** -0.25, rtol=0.1)      # 6 samples: medians loosely
    summary = json.loads((out / "summary.json").read_text())
    assert [r["run"] for r in summary["runs"]] == ["a", "b"] and summary["combined"]["g_median_GeV"] > 0
    ra = json.loads((out / "a" / "summary.json").read_text())
    assert ra["refits"]["gap_mean_m"] is not None and ra["seed"] != summary["runs"][1]["seed"]
    assert (out / "combined_reach.png").is_file()


@pytest.mark.parametrize("booster, extra, runs, match", [
    ('recipe = "x.toml"\nfit = "y.json"', "", "", "exactly one of"),
    ('fit = "missing.json"', "", "", "file not found"),
    ('fit = "y.json"', "frequency_sigma2 = 1", "", "unknown key"),
    ('fit = "y.json"', "", '[[runs]]\nname = "a"\nrefit_mirror_gap = true\n[[runs]]\nname = "a"', "used twice"),
])
def test_bad_recipes_name_the_key(tmp_path, booster, extra, runs, match):
    recipe = write_recipe(tmp_path / "bad.toml", booster, extra=extra.replace("frequency_sigma2 = 1",
                                                                              "frequency_sigma2 = \"1 Hz\""), runs=runs)
    _, top = load_recipe(recipe)
    with pytest.raises(RecipeError, match=match) as info:
        run_recipe(recipe, top, tmp_path, quiet=True)
    assert "bad.toml" in str(info.value) or "missing.json" in str(info.value)


def test_band_outside_the_lna_data_is_refused(fitted, tmp_path):
    _, fit_json = fitted
    recipe = write_recipe(tmp_path / "b.toml", f'fit = "{fit_json}"',
                          band='start = "15.9 GHz"\nstop = "16.2 GHz"\npoints = 11')
    _, top = load_recipe(recipe)
    with pytest.raises(RecipeError, match="LNA"):
        run_recipe(recipe, top, tmp_path, quiet=True)
