"""The 'emboost derive' command: help with examples, quiet run, exit statuses and one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from emboost.cli import main

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "fits" / "cb200_campaign.toml"


def test_help_lists_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["derive", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--output", "--seed", "--samples", "--quiet", "--resume", "--overwrite", "--workers"):
        assert opt in text
    assert "emboost derive fits/cb200_campaign.toml --output out/derive" in text


def test_quiet_run_then_resume(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["derive", str(RECIPE), "--output", str(out), "--samples", "30", "--seed", "5", "--workers", "1"]
    assert main(args + ["--quiet"]) in (0, 3)
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == ""
    doc = json.loads((out / "results.json").read_text())
    assert doc["stages"]["montecarlo"]["result"]["seed"] == 5 and doc["stages"]["montecarlo"]["result"]["samples"] == 30
    assert (out / "report.html").exists()
    # a second run into the same folder needs --resume or --overwrite
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not empty" in err
    # --resume: every stage cached, progress on stderr
    assert main(args + ["--resume"]) in (0, 3)
    err = capsys.readouterr().err
    assert err.count("cached (inputs and settings unchanged)") == 7 and "report:" in err


def test_errors_are_one_line_with_status_1(tmp_path, capsys):
    assert main(["derive", str(tmp_path / "none.toml"), "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("emboost derive: error:") and "none.toml" in err and "\n" not in err
    bad = tmp_path / "fits"
    bad.mkdir()
    shutil.copy(RECIPE, bad / RECIPE.name)   # its relative data paths now point nowhere
    assert main(["derive", str(bad / RECIPE.name), "--output", str(tmp_path / "o2")]) == 1
    err = capsys.readouterr().err.strip()
    assert "input file not found" in err and "\n" not in err
    assert not (tmp_path / "o2").exists()   # nothing created before the inputs are checked
