"""The ``emboost cavity`` command: outputs and clear errors for malformed model files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import skrf

from emboost.cli import main


def test_cavity_cli_outputs(tmp_path, test_data):
    out = tmp_path / "out"
    assert main(["cavity", str(test_data / "cavity_small.toml"), "--output", str(out), "--quiet"]) == 0
    for name in ("modes.csv", "modes.json", "fields.csv", "sparams.s2p", "design.json", "provenance.json",
                 "fields.png", "sparams.png"):
        assert (out / name).is_file(), name
    rows = list(csv.DictReader(line for line in (out / "modes.csv").open() if not line.startswith("#")))
    assert len(rows) == 2 and rows[0]["axion_mode"] == "true" and rows[0]["in_phase"] == "true"
    assert float(rows[0]["q_ext_1"]) == pytest.approx(1.5e4, rel=1e-6)  # external_q honoured
    ntw = skrf.Network(str(out / "sparams.s2p"))
    assert ntw.s.shape == (201, 2, 2)
    assert np.all(np.abs(ntw.s) <= 1 + 1e-9)
    design = json.loads((out / "design.json").read_text())
    assert design["axion_frequency_hz"] == pytest.approx(8.5e9, rel=1e-9)
    # existing output folder is never reused silently
    assert main(["cavity", str(test_data / "cavity_small.toml"), "--output", str(out), "--quiet"]) == 1


@pytest.mark.parametrize("model", ["models/cast_rades_2018.toml", "models/rades_alternating.toml"])
def test_bundled_models_run(tmp_path, root, model):
    assert main(["cavity", str(root / model), "--output", str(tmp_path / "o"), "--quiet", "--no-plots"]) == 0
    info = json.loads((tmp_path / "o" / "modes.json").read_text())
    ax = info["modes"][info["axion_mode"] - 1]
    assert ax["in_phase"] == 1.0 and 0.5 < ax["form_factor"] < 0.8


@pytest.mark.parametrize("fixture, key, words", [
    ("cavity_bad_iris_wide.toml", "irises[0].window", "narrower than the guide"),
    ("cavity_bad_negative_length.toml", "cavities.lengths", "must be positive"),
    ("cavity_bad_band_cutoff.toml", "analysis.band", "cutoff"),
    ("cavity_bad_unknown_key.toml", "analysis.pointz", "unknown key"),
    ("cavity_bad_missing_unit.toml", "guide.a", "missing unit"),
])
def test_bad_model_files(tmp_path, test_data, capsys, fixture, key, words):
    status = main(["cavity", str(test_data / fixture), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 1
    assert fixture in err and f"key '{key}'" in err and words in err
    assert len(err.strip().splitlines()) == 1
