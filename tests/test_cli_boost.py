"""'emboost boost': files written, numbers equal to the API, readable failures, no silent overwrite."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from emboost.booster.setup import load_booster_setup
from emboost.cli import main


def read_csv(path):
    with open(path) as fh:
        rows = [r for r in fh if not r.startswith("#")]
    data = list(csv.reader(rows))
    return data[0], np.array(data[1:], dtype=float)


def test_boost_writes_csv_png_summary_equal_to_api(root, tmp_path):
    model = root / "models" / "cb200_config1.toml"
    out = tmp_path / "cb200"
    assert main(["boost", str(model), "--output", str(out), "--quiet"]) == 0
    header, data = read_csv(out / "boost.csv")
    assert header[:2] == ["frequency_Hz", "boost_factor"]
    s = load_booster_setup(model)
    r = s.booster.response(s.frequencies)
    assert np.allclose(data[:, 0], s.frequencies) and np.allclose(data[:, 1], r.boost_factor, rtol=1e-14)
    assert (out / "boost.png").stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["peak_boost_factor"] == pytest.approx(r.boost_factor.max())
    assert summary["provenance"]["inputs"][str(model)] == s.sha256
    assert summary["provenance"]["versions"]["emboost"]


def test_boost_refuses_to_overwrite_and_names_bad_files(root, tmp_path, capsys):
    model = root / "models" / "open_booster_20disk.toml"
    out = tmp_path / "o"
    assert main(["boost", str(model), "-o", str(out), "-q"]) == 0
    before = (out / "boost.csv").read_bytes()
    _, tl = read_csv(out / "boost.csv")
    assert main(["boost", str(model), "-o", str(out), "-q", "--solver", "tm"]) == 1
    assert "not empty" in capsys.readouterr().err
    assert (out / "boost.csv").read_bytes() == before
    assert main(["boost", str(model), "-o", str(out), "-q", "--overwrite", "--solver", "tm"]) == 0
    _, tm = read_csv(out / "boost.csv")
    # the solvers agree through the CLI too; 1e-6 because this 20-disk resonance (boost 3e5) amplifies rounding
    assert np.allclose(tm[:, 1], tl[:, 1], rtol=1e-6)
    bad = root / "tests" / "data" / "setup_bad_negative_thickness.toml"
    assert main(["boost", str(bad), "-o", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "setup_bad_negative_thickness.toml" in err and "disks.thickness" in err
    assert not (tmp_path / "x").exists()  # nothing created for a bad input


def test_console_script_runs_as_a_module(root, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "emboost", "boost", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "examples:" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "emboost", "boost", str(root / "nope.toml"), "-o",
                           str(tmp_path / "y")], capture_output=True, text=True)
    assert proc.returncode == 1 and "nope.toml" in proc.stderr and "Traceback" not in proc.stderr
