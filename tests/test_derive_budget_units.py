"""Every number that ``emboost derive`` and ``emboost fit`` write carries the label of its unit, and the label is
right: the labelled number, converted to SI by its label, equals the estimator's SI value (docs/units.md).

The derive run (bundled SYNTHETIC campaign, 20 samples) is checked in each output: results.json (keys with a
unit suffix, ``unit`` fields), report.html (the value, conditional fit sigma and Monte-Carlo spread of tau and
the mirror gap, the budget), budget.csv, results.nc (``units`` attributes) and the console; the estimators' SI
values come from the stage results and the Monte-Carlo samples (montecarlo/boost_samples.npz).
"""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from emboost.core.units import unit_factor
from emboost.jobs.campaign import load_campaign
from emboost.jobs.derive import derive
from emboost.jobs.inputs import Inputs
from emboost.jobs.recipes import si_unit

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "fits" / "cb200_campaign.toml"
DIM = {"s": "time", "ns": "time", "ps": "time", "fs": "time", "m": "length", "mm": "length", "µm": "length",
       "um": "length", "Hz": "frequency", "MHz": "frequency", "GHz": "frequency", "K": "temperature"}


def _si(value: float, unit: str) -> float:
    return float(value) * unit_factor(unit, DIM[unit])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    stream = io.StringIO()
    res = derive(RECIPE, tmp_path_factory.mktemp("units") / "out", samples=20, workers=1, quiet=False, stream=stream)
    doc = json.loads((res.out / "results.json").read_text())
    with np.load(res.out / "montecarlo" / "boost_samples.npz") as z:
        samples = {k: z[k] for k in ("tau", "gap", "shape", "boost")}
    return res, doc, samples, stream.getvalue()


def test_results_json_labels_match_the_estimators(run):
    res, doc, samples, _ = run
    r = load_campaign(RECIPE, Inputs())
    s = doc["summary"]
    st = doc["stages"]
    # keys with a unit suffix hold SI numbers in that unit: the estimators' values and the recipe's SI ranges
    ld, mg = s["line_delay_s"], s["mirror_gap_m"]
    assert ld["value"] == st["line_delay"]["result"]["tau"] and ld["conditional_fit_sigma"] == st["line_delay"][
        "result"]["sigma_tau"]
    assert r.delay.bounds[0] < ld["value"] < r.delay.bounds[1]
    assert ld["montecarlo_spread"] == pytest.approx(np.std(samples["tau"], ddof=1), rel=1e-12)
    assert mg["montecarlo_spread"] == pytest.approx(np.nanstd(samples["gap"], ddof=1), rel=1e-12)
    assert r.tsys.gap_range[0] < mg["value"] < r.tsys.gap_range[1]
    assert r.band is not None and r.band.start <= s["boost_factor"]["frequency_Hz"] <= r.band.stop
    # conditional fit sigma and Monte-Carlo spread are different things, both in the key's unit
    assert ld["montecarlo_spread"] > 10 * ld["conditional_fit_sigma"]
    # every "unit" field is the SI unit of the number beside it: the booster parameters against the recipe
    specs = {p.name: p for p in r.booster_specs}
    for name, p in st["booster_fit"]["result"]["parameters"].items():
        assert p["unit"] == si_unit(p["display_unit"]), name
        assert p["initial"] == pytest.approx(specs[name].value, rel=1e-12), name  # SI start of the recipe
        assert specs[name].minimum <= p["value"] <= specs[name].maximum, name
    fs = s["uncertainty_budget_at_peak"]["field_shape_sigma"]
    assert fs["unit"] == "1" and fs["value"] == r.montecarlo.field_shape_sigma and fs["source"]


def test_report_values_match_their_labels(run):
    res, doc, _, _ = run
    text = html.unescape(re.sub(r"<[^>]+>", " ", (res.out / "report.html").read_text()))
    text = re.sub(r"\s+", " ", text)
    s = doc["summary"]
    num = r"([-+0-9.eE]+) (ns|ps|fs|mm|µm)"
    for label, key in (("booster-LNA line delay τ (value; conditional fit σ; Monte-Carlo spread)", "line_delay_s"),
                       ("mirror gap during the run (value; conditional fit σ; Monte-Carlo spread)", "mirror_gap_m")):
        m = re.search(re.escape(label) + f" {num}; {num}; {num}", text)
        assert m, label
        shown = [_si(m.group(i), m.group(i + 1)) for i in (1, 3, 5)]
        want = [s[key]["value"], s[key]["conditional_fit_sigma"], s[key]["montecarlo_spread"]]
        for a, b in zip(shown, want):
            assert a == pytest.approx(b, rel=6e-3), (label, shown, want)  # 3 significant digits shown
        # the value and its two sigmas never share one unit with a mismatched scale
        assert m.group(4) == m.group(6)
    # the budget's field-shape row at the peak
    b = s["uncertainty_budget_at_peak"]
    m = re.search(r"field-shape factor N\(1, 0\.1\) \[[^\]]*\] source ([0-9.]+)", text)
    assert m and float(m.group(1)) == pytest.approx(b["sources"]["field_shape"], rel=1e-3)


def test_csv_netcdf_and_console_labels(run):
    import xarray as xr

    res, doc, _, console = run
    r = load_campaign(RECIPE, Inputs())
    assert r.band is not None
    f = r.band.frequencies()
    lines = [x for x in (res.out / "budget.csv").read_text().splitlines() if not x.startswith("#")]
    header = lines[0].split(",")
    data = np.array([[float(v) for v in x.split(",")] for x in lines[1:]])
    np.testing.assert_allclose(data[:, header.index("frequency_Hz")], f, rtol=1e-12)
    k = int(np.argmin(np.abs(f - doc["summary"]["boost_factor"]["frequency_Hz"])))
    b = doc["summary"]["uncertainty_budget_at_peak"]
    assert data[k, header.index("field_shape_std")] == pytest.approx(b["sources"]["field_shape"], rel=1e-12)
    with xr.open_dataset(res.out / "results.nc") as v:
        assert v["frequency"].attrs["units"] == "Hz"
        np.testing.assert_allclose(v["frequency"].values, f, rtol=1e-12)
        assert v["t_sys"].attrs["units"] == "K" and 10 < float(v["t_sys"].min()) < float(v["t_sys"].max()) < 1e4
        assert v["budget_field_shape_std"].attrs["units"] == "1"
    m = re.search(r"at ([0-9.]+) (GHz)", console)
    assert m and _si(m.group(1), m.group(2)) == pytest.approx(doc["summary"]["boost_factor"]["frequency_Hz"])
    assert "Monte-Carlo std" in console and "+-" not in console.split("peak delivered boost factor")[1].split("\n")[0]


def test_fit_console_prints_values_in_their_recipe_units(tmp_path, capsys):
    from emboost.cli import main

    out = tmp_path / "fit"
    assert main(["fit", str(ROOT / "fits" / "cb200_reflectivity.toml"), "--output", str(out)]) in (0, 3)
    printed = capsys.readouterr().out
    fit = json.loads((out / "fit.json").read_text())["fit"]["parameters"]
    seen = 0
    for m in re.finditer(r"^\s+(\w+) = ([-+0-9.eE]+) \+- ([-+0-9.eE]+)(?: (\S+))? \(1-sigma from the fit covariance\)",
                         printed, re.M):
        name, value, unit = m.group(1), float(m.group(2)), m.group(4) or "1"
        p = fit[name]
        assert unit == p["display_unit"]
        factor = 1.0 if unit == "1" else unit_factor(unit, DIM[unit])
        assert value * factor == pytest.approx(p["value"], rel=1e-5), name  # 6 significant digits printed
        seen += 1
    assert seen >= 5 and "(SI)" not in printed


# ------------------------------------------------------------------------------------------- the budget
def test_budget_sources_add_up_and_match_the_band(run):
    res, doc, samples, _ = run
    b = doc["summary"]["uncertainty_budget_at_peak"]
    src = b["sources"]
    # the independent sources add in quadrature to the linear total, which is the band's linear propagation
    assert sum(v**2 for v in src.values()) == pytest.approx(b["total_linear"] ** 2, rel=1e-9)
    assert b["total_linear"] == pytest.approx(doc["summary"]["boost_factor"]["linear_std"], rel=1e-9)
    # field-shape term: sigma_shape x nominal, closed form
    assert src["field_shape"] == pytest.approx(0.1 * b["nominal"], rel=1e-12)
    # the paths of the booster and LNA terms, with their correlation, give back those two sources
    paths = sum(v**2 for v in b["paths"].values()) + b["path_cross_variance"]
    assert paths == pytest.approx(src["booster_fit"] ** 2 + src["lna"] ** 2, rel=1e-6, abs=1e-9)
    # Monte-Carlo without the field-shape factor: the samples divided by their drawn factor
    k = int(np.argmax(np.mean(samples["boost"], axis=0)))
    assert b["mc_std_without_field_shape"] == pytest.approx(
        np.std(samples["boost"][:, k] / samples["shape"], ddof=1), rel=1e-9)
    assert b["mc_std_without_field_shape"] < 0.2 * b["mc_std"]
    # the linear spread of the refits agrees with the Monte-Carlo spread (20 samples: within 40 %)
    assert b["refit_linear_spread"]["tau_s"] == pytest.approx(doc["summary"]["line_delay_s"]["montecarlo_spread"],
                                                              rel=0.4)
    ratio = doc["summary"]["truth"]["recovered_over_true_at_peak"]
    assert set(ratio) == {"with_field_shape", "without_field_shape"}
    assert ratio["with_field_shape"]["ratio_q2_5"] < ratio["without_field_shape"]["ratio_q2_5"]
    text = (res.out / "report.html").read_text()
    assert 'id="budget"' in text and "budget.png" in text and "recovered_over_true.png" in text


def test_field_shape_sigma_needs_a_stated_source(tmp_path):
    from emboost.core.errors import InputError

    text = RECIPE.read_text().replace('"../', f'"{ROOT}/')
    src = re.search(r'field_shape_sigma = \{[^}]*\}', text)
    assert src
    for bad, why in (('field_shape_sigma = { value = 0.10, unit = "1" }', "source"),
                     ("field_shape_sigma = 0.1", "unit"),  # refused earlier still: a number without its unit
                     ('field_shape_sigma = { value = 0.10, unit = "1", source = " " }', "source")):
        p = tmp_path / "campaign.toml"
        p.write_text(text.replace(src.group(0), bad))
        with pytest.raises(InputError, match=why) as err:
            derive(p, tmp_path / "out", samples=5)
        assert err.value.key == "montecarlo.field_shape_sigma"
        assert not (tmp_path / "out").exists()  # refused before anything is written


def test_every_stage_number_has_a_unit_and_the_time_and_length_units_are_right(run):
    from emboost.jobs.derive_results import STAGE_UNITS, stage_unit

    res, doc, samples, _ = run
    st = {k: v["result"] for k, v in doc["stages"].items()}
    assert doc["units"]["keys"] == STAGE_UNITS

    def get(path: str) -> object:
        node: object = st
        for part in path.split("."):
            assert isinstance(node, dict) and part in node, f"units table names {path}, which is not in results.json"
            node = node[part]
        return node

    # every entry of the table exists, and its time/length/frequency numbers have the size of their SI unit
    for path, unit in STAGE_UNITS.items():
        v = get(path)
        if v is None and path == "montecarlo.convergence.worst_frequency":
            continue  # 20 samples are too few for the convergence window: no worst frequency (NaN)
        assert isinstance(v, float), path
        if unit == "s" and "stderr" not in path and "sigma" not in path and "std" not in path:
            assert 1e-10 < v < 1e-8, (path, v)   # delays of ns: a number in ns or ps would be > 1e-8
        if unit == "m" and "sigma" not in path and "std" not in path:
            assert 5e-3 < v < 2e-2, (path, v)    # gaps of ~1 cm
        if unit == "V/sqrt(Hz)" and path.startswith("noise_fit.sources"):
            assert 1e-11 < v < 1e-8, (path, v)   # the recipe's 300 pV/sqrt(Hz) start
    # the estimators' values: the Monte-Carlo refits against the stored samples
    assert get("montecarlo.tau_mean") == pytest.approx(np.mean(samples["tau"]), rel=1e-12)
    assert get("montecarlo.gap_std") == pytest.approx(np.nanstd(samples["gap"], ddof=1), rel=1e-12)
    assert stage_unit("montecarlo.tau_std") == "s" and stage_unit("sensitivity.best.g_median_GeV") == "GeV^-1"
