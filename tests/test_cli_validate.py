"""``emboost validate``: table, report files, exit status 0 / 1, and errors."""

from __future__ import annotations

import json
import shutil

import numpy as np

from emboost.cli import main


def test_validate_passes_and_writes_report(root, tmp_path, capsys):
    out = tmp_path / "v"
    status = main(["validate", "booster_ideal", "--output", str(out)])
    text = capsys.readouterr().out
    assert status == 0
    assert "boost_factor_nominal" in text and "bare_mirror_amplitude" in text and "0 failed" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["passed"] is True
    assert {r["case"] for r in summary["rows"]} == {"booster_ideal"}
    assert all(r["reason"] for r in summary["rows"])  # every tolerance states its reason
    report = (out / "report.md").read_text()
    assert "| booster_ideal | boost_factor_nominal |" in report
    assert (out / "booster_ideal__boost_factor_nominal.png").stat().st_size > 1000  # overlay plot
    assert (out / "provenance.json").exists()


def test_validate_fails_on_a_tampered_reference(root, tmp_path, capsys):
    vroot = tmp_path / "refs"
    shutil.copytree(root / "validation" / "booster_ideal", vroot / "booster_ideal")
    p = vroot / "booster_ideal" / "sweep.csv"
    lines = p.read_text().splitlines()
    out = []
    for ln in lines:
        if ln[:1].isdigit():
            v = ln.split(",")
            v[1] = repr(float(v[1]) * 1.05)  # boost factor 5 % high
            ln = ",".join(v)
        out.append(ln)
    p.write_text("\n".join(out) + "\n")
    status = main(["validate", "--root", str(vroot), "--output", str(tmp_path / "o"), "--no-plots", "-q"])
    assert status == 1
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    failed = [r["quantity"] for r in summary["rows"] if not r["passed"]]
    assert "boost_factor_nominal" in failed
    dev = [r["max_deviation"] for r in summary["rows"] if r["quantity"] == "boost_factor_nominal"][0]
    assert np.isclose(dev, 0.05 / 1.05, rtol=1e-3)  # the 1-D model is the exact value: 5 % of the reference


def test_validate_unknown_case(tmp_path, capsys):
    status = main(["validate", "nonexistent_case", "--output", str(tmp_path / "o")])
    assert status == 1
    assert "unknown validation case" in capsys.readouterr().err


def test_no_references_is_an_error(tmp_path, capsys):
    """A wrong --root (or an installation without the references) is a one-line error, not '0 passed'."""
    from emboost.cli import main

    status = main(["validate", "--root", str(tmp_path / "empty"), "--output", str(tmp_path / "out"), "--no-plots"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1 and "no validation references under" in err[0]
