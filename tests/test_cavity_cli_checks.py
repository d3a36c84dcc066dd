"""``emboost cavity``: the checks of the axion mode and of a tuning curve, exit status 3 with one line."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from emboost.cli import main

MODEL = """
[model]
name = "five thick-iris cells, split-gap tuned"
[guide]
a = { value = 22.86, unit = "mm", source = "WR-90" }
b = { value = 10.16, unit = "mm", source = "WR-90" }
[cavities]
lengths = { values = [23.9, 23.9, 23.9, 23.9, 23.9], unit = "mm", source = "FEM reference geometry" }
%s
[walls]
conductivity = { value = 5.8e7, unit = "S/m", source = "room-temperature copper" }
[analysis]
band = { values = [%s], unit = "GHz", source = "test" }
points = 51
[tuning]
kind = "split_gap"
values = { values = [0.0, 1.0, 2.0, 3.0], unit = "mm", source = "test" }
"""
IRIS = """[[irises]]
type = "inductive"
window = { value = 8.0, unit = "mm", source = "test" }
thickness = { value = 2.0, unit = "mm", source = "test" }
""" * 4


def test_checks_and_tuning_written(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(MODEL % (IRIS, "7.0, 9.5"))
    out = tmp_path / "o"
    assert main(["cavity", str(model), "--output", str(out), "--quiet", "--no-plots"]) == 0
    checks = json.loads((out / "checks.json").read_text())
    assert checks["ok"] and checks["reason"] == ""
    names = {c["name"] for c in checks["checks"]}
    assert {"axion_in_phase", "form_factor_range", "q0_plausible", "tuning_monotonic", "tuning_separated"} <= names
    assert "tuning_all_in_phase" not in names
    rows = list(csv.DictReader(line for line in (out / "tuning.csv").open() if not line.startswith("#")))
    f = np.array([float(r["f_Hz"]) for r in rows])
    assert f.size == 4 and np.all(np.diff(f) < 0) and f[0] == pytest.approx(8.591e9, rel=1e-3)


def test_failed_check_is_exit_3_with_one_line(tmp_path, capsys):
    model = tmp_path / "m.toml"
    model.write_text(MODEL % (IRIS, "8.0, 9.5"))  # the tuned mode leaves the band below 8 GHz
    out = tmp_path / "o"
    assert main(["cavity", str(model), "--output", str(out), "--quiet", "--no-plots"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "check failed: tuning_axion_mode_found" in err[0]
    assert not json.loads((out / "checks.json").read_text())["ok"]


def test_bad_tuning_table_is_a_one_line_error(tmp_path, capsys):
    model = tmp_path / "m.toml"
    model.write_text((MODEL % (IRIS, "7.0, 9.5")).replace('kind = "split_gap"', 'kind = "piston"'))
    assert main(["cavity", str(model), "--output", str(tmp_path / "o"), "--quiet", "--no-plots"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tuning" in err[0] and "kind" in err[0]
