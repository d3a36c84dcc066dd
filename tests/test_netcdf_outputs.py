"""``results.nc`` of ``emboost mc`` and ``emboost derive``: one CF-1.10 schema (emboost.mc.ncschema), NetCDF4
through xarray + h5netcdf, the per-sample curves included, read back by emboost (read_results) and by xarray;
``to_xarray`` of the result objects gives the same numbers; without xarray/h5netcdf the NetCDF3 fallback keeps
the names and attributes. Runs on the bundled SYNTHETIC data with a few samples."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")

from emboost.jobs.derive import derive, read_samples  # noqa: E402
from emboost.jobs.derive_results import CampaignResults  # noqa: E402
from emboost.jobs.files import read_results, read_table, write_results  # noqa: E402
from emboost.jobs.mc import run_recipe  # noqa: E402
from emboost.jobs.recipes import load_recipe  # noqa: E402
from emboost.mc.ncschema import VARIABLES, describe  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BAND = {"frequency", "quantile", "sample", "boost_mean", "boost_std", "boost_quantiles", "boost_nominal", "t_sys",
        "g_nominal", "g_median", "g_quantiles", "boost", "g", "line_delay", "mirror_gap", "field_shape_factor",
        "frequency_shift", "on_search_edge", "budget_total_linear_std", "boost_linear_std",
        "boost_std_without_field_shape", "budget_field_shape_std", "lna_sqrt_sv"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from test_mc_recipe import write_recipe

    d = tmp_path_factory.mktemp("nc")
    recipe = write_recipe(d / "mc.toml", f'recipe = "{ROOT / "fits" / "cb200_reflectivity.toml"}"')
    mc = d / "mc"
    mc.mkdir()
    _, top = load_recipe(recipe)
    run_recipe(recipe, top, mc, quiet=True)
    res = derive(ROOT / "fits" / "cb200_campaign.toml", d / "derive", samples=6, workers=1, quiet=True,
                 stream=io.StringIO())
    return mc, res.out


def _cf_problems(ds, files: bool = True) -> list[str]:
    """Every variable (coordinates too) has units and long_name; the CF and emboost global attributes (input
    hashes only for a job's file: an object made in the API has no input files)."""
    bad = [f"{k}: no {a}" for k, v in ds.variables.items() for a in ("units", "long_name") if not v.attrs.get(a)]
    if ds.attrs.get("Conventions") != "CF-1.10":
        bad.append(f"Conventions {ds.attrs.get('Conventions')!r}")
    for a in ("title", "history", "source", "emboost_version", "code_revision") + (("input_sha256",) if files else ()):
        if not ds.attrs.get(a):
            bad.append(f"global attribute {a} missing")
    return bad


def test_both_files_are_cf_netcdf4_with_one_schema(runs):
    mc, der = runs
    with open(mc / "results.nc", "rb") as fh:
        assert fh.read(4) == b"\x89HDF"  # NetCDF4 = HDF5
    a, b = xr.open_dataset(mc / "results.nc"), xr.open_dataset(der / "results.nc")
    assert _cf_problems(a) == [] and _cf_problems(b) == []
    assert BAND <= set(a.variables) and BAND <= set(b.variables)
    for k in set(a.variables) & set(b.variables):  # shared names mean the same thing
        assert a[k].dims == b[k].dims and a[k].attrs == b[k].attrs, k
    # cf_xarray finds the frequency axis by its CF standard name
    cfx = pytest.importorskip("cf_xarray")
    assert cfx is not None and a.cf["radiation_frequency"].name == "frequency"
    assert a.cf.standard_names == {"radiation_frequency": ["frequency"]}
    # input hashes: every input file of the derive run, with its SHA-256
    lines = b.attrs["input_sha256"].splitlines()
    assert len(lines) >= 8 and all(len(x.rsplit(" ", 1)[1]) == 64 for x in lines)


def test_per_sample_curves_reproduce_the_band(runs):
    mc, der = runs
    for out in (mc, der):
        arrays, attrs = read_results(out / "results.nc")
        boost = arrays["boost"]
        assert boost.shape == (attrs["samples"], arrays["frequency"].size)
        np.testing.assert_allclose(arrays["boost_mean"], boost.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(arrays["boost_std"], boost.std(axis=0, ddof=1), rtol=1e-12)
        np.testing.assert_allclose(arrays["g_median"], np.median(arrays["g"], axis=0), rtol=1e-12)
        k = int(np.argmax(arrays["boost_mean"]))
        if "peak_boost" in arrays:
            np.testing.assert_array_equal(arrays["peak_boost"], boost[:, k])
    band = read_table(mc / "band.csv").columns
    arrays, _ = read_results(mc / "results.nc")
    np.testing.assert_array_equal(arrays["boost_mean"], band["mean"])
    np.testing.assert_array_equal(arrays["frequency"], band["frequency_Hz"])


def test_to_xarray_matches_the_written_file(runs):
    _, der = runs
    results = {p.stem: json.loads(p.read_text())["result"] for p in (der / "stages").glob("*.json")}
    R = CampaignResults.from_json(results)
    disk = xr.open_dataset(der / "results.nc")
    ds = R.to_xarray(read_samples(der), [k[8:] for k in disk.data_vars if k.startswith("booster_")])
    for k in ds.variables:
        np.testing.assert_array_equal(ds[k].values, disk[k].values, err_msg=k)
        assert ds[k].attrs == disk[k].attrs, k
    # the Monte-Carlo result object: the same band from the same samples
    from emboost.mc.engine import Draws, MonteCarloResult

    s = read_samples(der)
    assert s is not None
    n = s["boost"].shape[0]
    r = MonteCarloResult(R.montecarlo.frequency, s["boost"], s["tau"], s["gap"], s["tau_redchi"], np.ones(n),
                         s["on_bound"], Draws(0, s["booster"], s["lna"], s["shape"], s["shift"]),
                         R.montecarlo.nominal, {}, R.montecarlo.seed, 5, "")
    mx = r.to_xarray(quantiles=[float(q) for q in R.montecarlo.quantiles])
    np.testing.assert_allclose(mx["boost_std"].values, disk["boost_std"].values, rtol=1e-12)
    np.testing.assert_allclose(mx["boost_quantiles"].values, disk["boost_quantiles"].values, rtol=1e-12)
    assert _cf_problems(mx, files=False) == [] and mx.attrs["input_sha256"] == ""


def test_netcdf3_fallback_keeps_names_and_attributes(runs, tmp_path, monkeypatch):
    mc, _ = runs
    import emboost.jobs.files as files

    arrays, attrs = read_results(mc / "results.nc")
    disk = xr.open_dataset(mc / "results.nc")
    variables = {k: (disk[k].dims, arrays[k], disk[k].attrs["units"]) for k in disk.variables}
    said: list[str] = []
    monkeypatch.setattr(files, "netcdf4_available", lambda: False)
    assert write_results(tmp_path / "r3.nc", variables, attrs, say=said.append) == "NETCDF3_CLASSIC"
    assert len(said) == 1 and "NetCDF3" in said[0] and "emboost[netcdf]" in said[0]
    with open(tmp_path / "r3.nc", "rb") as fh:
        assert fh.read(3) == b"CDF"
    back, battrs = read_results(tmp_path / "r3.nc")
    assert set(back) == set(arrays) and battrs["Conventions"] == "CF-1.10"
    for k in arrays:
        np.testing.assert_array_equal(back[k], arrays[k], err_msg=k)
    d3 = xr.open_dataset(tmp_path / "r3.nc", engine="scipy")
    assert _cf_problems(d3) == []
    for k in d3.variables:
        assert d3[k].attrs["units"] == disk[k].attrs["units"] and d3[k].attrs["long_name"] == disk[k].attrs[
            "long_name"], k


def test_schema_describes_every_name_it_declares():
    for name, (units, long_name, _) in VARIABLES.items():
        assert describe(name) == VARIABLES[name] and units and long_name
    assert describe("budget_path_tau_refit_std")[1].endswith("through the tau_refit path")
    assert describe("lna_rho_phase")[0] == "rad"
    with pytest.raises(KeyError):
        describe("no_such_variable")


def test_mc_judges_the_booster_fit_by_its_verdict(runs, tmp_path, capsys):
    """A booster fit whose verdict failed makes ``emboost mc`` exit 3 with one line naming the check; the
    outputs are written and carry the verdict (summary.json, results.nc)."""
    from test_mc_recipe import write_recipe

    mc, _ = runs
    doc = json.loads((mc / "booster_fit.json").read_text())
    assert doc["verdict"]["ok"] is True
    doc["verdict"] = {"ok": False, "reason": "precision: gap_1 stderr 0.2 of its natural size (limit 0.1)",
                      "checks": [{"name": "precision", "passed": False, "detail": "gap_1 stderr 0.2"}]}
    fit_json = tmp_path / "fit.json"
    fit_json.write_text(json.dumps(doc))
    recipe = write_recipe(tmp_path / "r.toml", f'fit = "{fit_json}"')
    out = tmp_path / "out"
    out.mkdir()
    _, top = load_recipe(recipe)
    capsys.readouterr()
    assert run_recipe(recipe, top, out, quiet=True) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["emboost mc: test: verdict failed: booster fit: precision: gap_1 stderr 0.2 of its natural size "
                   "(limit 0.1)"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["booster_fit"]["verdict"]["ok"] is False
    _, attrs = read_results(out / "results.nc")
    assert attrs["booster_fit_verdict_ok"] == 0 and attrs["booster_fit_verdict"].startswith("precision:")
