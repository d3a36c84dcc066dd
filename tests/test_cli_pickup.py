"""`emboost pickup` end to end, model-file errors, the docs example and the live-time example."""

from __future__ import annotations

import json
import re
import runpy

import pytest

from emboost.cli import main
from emboost.core.errors import InputError, SetupFileError
from emboost.pickup.setup import live_time_table, load_pickup_model


def test_cli_writes_outputs(tmp_path, test_data, capsys):
    out = tmp_path / "out"
    assert main(["pickup", str(test_data / "pickup_small.toml"), "--output", str(out), "--no-plots"]) == 0
    for name in ("rlc_table.csv", "live_times.csv", "live_times.json", "provenance.json"):
        assert (out / name).is_file()
    rows = json.loads((out / "live_times.json").read_text())
    assert len(rows) == 6 and {r["copper"].split()[0] for r in rows} == {"baseline", "scaled"}
    assert "DFSZ 30-200 MHz" in capsys.readouterr().out
    # never overwrite silently
    assert main(["pickup", str(test_data / "pickup_small.toml"), "--output", str(out), "--no-plots"]) == 1
    assert "not empty" in capsys.readouterr().err


def test_cli_plots(tmp_path, test_data):
    out = tmp_path / "p"
    assert main(["pickup", str(test_data / "pickup_small.toml"), "--output", str(out), "--quiet"]) == 0
    assert (out / "scan_rate.png").stat().st_size > 1000 and (out / "q_leff.png").is_file()


@pytest.mark.parametrize("name, error, match", [
    ("pickup_bad_radii.toml", SetupFileError, r"pickup_bad_radii.toml: key 'coax_defaults.r_outer': must exceed"),
    ("pickup_bad_length.toml", SetupFileError, r"pickup_bad_length.toml: key 'coax\[0\].length': must be positive"),
    ("pickup_bad_unknown_key.toml", SetupFileError, r"key 'operation.snrr': unknown key"),
    ("pickup_bad_missing_unit.toml", InputError, r"key 'axion.b_field': missing unit"),
])
def test_bad_model_files(test_data, name, error, match):
    with pytest.raises(error, match=match):
        load_pickup_model(test_data / name)


def test_table_beyond_range_names_file_and_key(tmp_path, test_data, capsys):
    with pytest.raises(InputError, match=r"pickup_short_table.csv: key 'f': impedance: f = .* beyond the table"):
        live_time_table(load_pickup_model(test_data / "pickup_bad_table_range.toml"))
    assert main(["pickup", str(test_data / "pickup_bad_table_range.toml"), "--output", str(tmp_path / "x"),
                 "--no-plots"]) == 1
    assert "beyond the table" in capsys.readouterr().err


def test_baseline_model_lands_in_range(root):
    rows = live_time_table(load_pickup_model(root / "models" / "dmradio_m3.toml"))
    dfsz = [r for r in rows if r["band"].startswith("DFSZ")]
    for r in dfsz:  # physics.md §4.4: an order-of-magnitude reproduction of the paper's 2.9 (2.6) yr
        assert 0.3 <= r["years"] <= 30
        assert r["paper_years"] in (2.9, 2.6)
    scaled, base = (next(r for r in dfsz if r["copper"].startswith(k)) for k in ("scaled", "baseline"))
    assert scaled["years"] < base["years"]  # r(f) x 0.8 > 6 above 30 MHz except near 200 MHz


def test_example_prints_paper_value(root, capsys):
    runpy.run_path(str(root / "examples" / "dmradio_live_time.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert re.search(r"DFSZ 30-200 MHz.*paper 2\.9 yr.*ratio", out)


