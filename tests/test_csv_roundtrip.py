"""Every CSV table emboost writes reads back into emboost: :func:`emboost.jobs.files.read_table` for any table
(numbers exact, text categories as text, units from the name suffix) and, for the tables with T_sys or power
columns, the spectrum reader :func:`emboost.noise.spectra.read_spectrum` (suffix-unit headers accepted)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from emboost.core.errors import UnitError
from emboost.jobs.files import read_table, write_csv
from emboost.noise.spectra import read_spectrum

ROOT = Path(__file__).resolve().parents[1]


def test_write_read_exact_with_text_and_flags(tmp_path):
    rng = np.random.default_rng(5)
    f = np.sort(rng.uniform(1e9, 2e9, 7))
    cols = {"frequency_Hz": f, "t_sys_K": rng.uniform(5, 300, 7), "boost": rng.normal(size=7),
            "mode": np.arange(1, 8), "axion_mode": np.arange(7) == 2,
            "label": ["TE011", "TE012", "TM010", "a b", "x,y", "q\"t", "z"]}
    write_csv(tmp_path / "t.csv", cols, comments=["a comment"])
    t = read_table(tmp_path / "t.csv")
    np.testing.assert_array_equal(t.columns["frequency_Hz"], f)  # repr: exact
    np.testing.assert_array_equal(t.columns["boost"], cols["boost"])
    np.testing.assert_array_equal(t.columns["mode"], np.arange(1, 8))
    assert t.columns["axion_mode"].tolist() == ["false", "false", "true", "false", "false", "false", "false"]
    assert t.columns["label"].tolist() == cols["label"]  # quoting survives commas and quotes
    assert t.units == {"frequency_Hz": "Hz", "t_sys_K": "K", "boost": "1", "mode": "1", "axion_mode": "1",
                       "label": "1"}
    assert t.comments == ("a comment",)
    assert "1.0" not in (tmp_path / "t.csv").read_text().splitlines()[2].split(",")[3]  # integers stay integers


def test_read_spectrum_accepts_suffix_headers_and_leaves_other_columns_out(tmp_path):
    write_csv(tmp_path / "r.csv", {"frequency_Hz": [1e9, 2e9, 3e9], "t_sys_K": [10.0, 11.0, 12.0],
                                   "g_median_GeV": [1e-12, 2e-12, 3e-12], "p_W": [1e-15, 2e-15, 3e-15],
                                   "ratio": [0.1, 0.2, 0.3]})
    s = read_spectrum(tmp_path / "r.csv", ["t_sys", "p"])
    assert s.frequency.tolist() == [1e9, 2e9, 3e9] and s.column("t_sys").tolist() == [10.0, 11.0, 12.0]
    assert s.kinds == {"t_sys": "temperature", "p": "power"}
    assert s.metadata["other_columns"] == "g_median_GeV,ratio"
    # the bracket convention still reads, and still refuses a column without a unit
    (tmp_path / "b.csv").write_text("frequency [GHz], t [K], x\n1, 2, 3\n")
    with pytest.raises(UnitError, match="no unit"):
        read_spectrum(tmp_path / "b.csv")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every CSV of an mc run, a derive run, a booster fit and a cavity run (SYNTHETIC data, few samples)."""
    from test_mc_recipe import write_recipe

    from emboost.cli import main
    from emboost.jobs.derive import derive
    from emboost.jobs.mc import run_recipe
    from emboost.jobs.recipes import load_recipe

    d = tmp_path_factory.mktemp("csv")
    recipe = write_recipe(d / "mc.toml", f'recipe = "{ROOT / "fits" / "cb200_reflectivity.toml"}"')
    (d / "mc").mkdir()
    _, top = load_recipe(recipe)
    run_recipe(recipe, top, d / "mc", quiet=True)
    derive(ROOT / "fits" / "cb200_campaign.toml", d / "derive", samples=4, workers=1, quiet=True,
           stream=io.StringIO())
    assert main(["cavity", str(ROOT / "tests" / "data" / "cavity_small.toml"), "--output", str(d / "cav"),
                 "--quiet", "--no-plots"]) == 0
    return sorted(p for p in d.rglob("*.csv") if "samples" not in p.parts)


def test_every_output_csv_reads_back(outputs):
    names = {p.name for p in outputs}
    assert {"band.csv", "reach.csv", "boost_band.csv", "budget.csv", "booster_fit.csv", "modes.csv",
            "fields.csv"} <= names
    spectra = 0
    for p in outputs:
        t = read_table(p)
        assert t.columns, p
        numeric = {k for k, v in t.columns.items() if v.dtype.kind == "f"}
        assert numeric, p
        freq = [k for k in t.columns if k.startswith("frequency") or k.endswith(("_Hz", "_hz"))]
        if not freq or not freq[0].startswith("frequency"):
            continue
        assert t.units[freq[0]] == "Hz", p
        # a table with T_sys / power columns is a spectrum: read_spectrum takes it, numbers unchanged
        if any(k.endswith(("_K", "_W", "_dBm")) for k in t.columns) and list(t.columns)[0] == freq[0]:
            s = read_spectrum(p)
            spectra += 1
            np.testing.assert_array_equal(s.frequency, t.columns[freq[0]])
            for name, v in s.columns.items():
                np.testing.assert_array_equal(v, t.columns[f"{name}_{'K' if s.kinds[name] == 'temperature' else 'W'}"])
    assert spectra >= 2  # reach.csv of mc and derive carry t_sys_K


def test_category_columns_are_text(outputs):
    modes = read_table(next(p for p in outputs if p.name == "modes.csv")).columns
    assert set(modes["axion_mode"].tolist()) <= {"true", "false"} and modes["axion_mode"].tolist().count("true") == 1
    assert set(modes["in_phase"].tolist()) <= {"true", "false"}
    assert modes["mode"].tolist() == [1.0, 2.0]
