"""``emboost mc``: runs a recipe, is reproducible, quiet when asked, and resumes a killed run exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emboost.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def recipes(tmp_path_factory) -> dict[str, Path]:
    """A booster fit.json (from the bundled SYNTHETIC reflectivity recipe) and a small MC recipe using it."""
    d = tmp_path_factory.mktemp("cli_mc")
    assert main(["fit", str(ROOT / "fits" / "cb200_reflectivity.toml"), "--output", str(d / "fit"), "--quiet"]) == 0
    recipe = d / "mc.toml"
    recipe.write_text(f"""
[recipe]
kind = "montecarlo"
name = "cli test"
[booster]
fit = "{d / 'fit' / 'fit.json'}"
[receiver]
recipe = "{ROOT / 'fits' / 'cb200_tsys_delay.toml'}"
[lna_sigma]
sqrt_sv = "6 pV/sqrt(Hz)"
sqrt_si = "0.15 pA/sqrt(Hz)"
rho_mag = {{ value = 0.03, unit = "1" }}
rho_phase = "0.05 rad"
[band]
start = "18.42 GHz"
stop = "18.50 GHz"
points = 21
[montecarlo]
samples = 12
seed = 1
chunk_size = 3
field_shape_sigma = {{ value = 0.1, unit = "1" }}
frequency_sigma = "1 MHz"
delay_window = "0.1 ns"
convergence_window = 5
linear_check = false
[sensitivity]
time = "1 d"
t_sys_relative_sigma = {{ value = 0.02, unit = "1" }}
""")
    return {"dir": d, "recipe": recipe}


@pytest.fixture(scope="module")
def reference(recipes) -> tuple[int, Path]:
    """An uninterrupted run in this process with one worker, --quiet."""
    out = recipes["dir"] / "reference"
    return main(["mc", str(recipes["recipe"]), "--output", str(out), "--workers", "1", "--quiet"]), out


def test_runs_quietly_and_reproducibly(recipes, reference, tmp_path, capsys):
    r = str(recipes["recipe"])
    s1, ref = reference
    assert s1 in (0, 3)
    s2 = main(["mc", r, "--output", str(tmp_path / "b"), "--workers", "2"])
    out = capsys.readouterr()
    assert s2 == s1
    assert "peak boost factor" in out.out and "samples" in out.err        # progress goes to stderr
    band_a = (ref / "band.csv").read_text()
    assert band_a == (tmp_path / "b" / "band.csv").read_text()           # 1 and 2 workers: identical
    main(["mc", r, "--output", str(tmp_path / "c"), "--seed", "2", "--samples", "6", "--quiet"])
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""                               # --quiet: nothing at all
    assert (tmp_path / "c" / "band.csv").read_text() != band_a
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert summary["runs"][0]["samples"] == 6 and summary["runs"][0]["seed"] == 2


def test_errors_are_one_line_and_exit_1(recipes, tmp_path, capsys):
    r = str(recipes["recipe"])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    assert main(["mc", r, "--output", str(tmp_path / "full")]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["mc", str(ROOT / "fits" / "cb200_reflectivity.toml"), "--output", str(tmp_path / "y")]) == 1
    assert "emboost fit" in capsys.readouterr().err
    assert main(["mc", r, "--output", str(tmp_path / "z"), "--resume", "--overwrite"]) == 1


def test_killed_run_resumes_to_the_uninterrupted_result(recipes, reference, tmp_path, capsys):
    r = str(recipes["recipe"])
    ref = reference[1]
    out = tmp_path / "killed"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "emboost", "mc", r, "--output", str(out), "--workers", "1",
                             "--quiet"], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "samples" / "chunk_00000.npz").exists():
            assert proc.poll() is None, "the run ended before the first chunk was stored"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)                                # no chance to clean up
    finally:
        proc.wait(timeout=30)
    done = sorted((out / "samples").glob("chunk_*.npz"))
    assert 1 <= len(done) < 4 and not (out / "band.csv").exists()
    # a restart with another seed is refused; the same settings continue where the run stopped
    assert main(["mc", r, "--output", str(out), "--resume", "--seed", "9", "--quiet"]) == 1
    assert "different settings" in capsys.readouterr().err
    assert main(["mc", r, "--output", str(out), "--resume", "--workers", "1", "--quiet"]) in (0, 3)
    assert (out / "band.csv").read_text() == (ref / "band.csv").read_text()
    assert (out / "reach.csv").read_text() == (ref / "reach.csv").read_text()
    timing = json.loads((out / "summary.json").read_text())["runs"][0]["timing"]
    assert timing["reused_chunks"] == len(done) and timing["computed_chunks"] == 4 - len(done)


def test_band_below_cutoff_is_a_one_line_error(recipes, tmp_path, capsys):
    """A [band] below the waveguide cutoff of the booster: exit 1 with a one-line reason, no traceback."""
    text = recipes["recipe"].read_text().replace('start = "18.42 GHz"', 'start = "1.0 GHz"').replace(
        'stop = "18.50 GHz"', 'stop = "1.2 GHz"')
    bad = tmp_path / "below_cutoff.toml"
    bad.write_text(text)
    capsys.readouterr()
    status = main(["mc", str(bad), "--output", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "below_cutoff.toml" in lines[0] and "band" in lines[0] and "cutoff" in lines[0]
    assert "Traceback" not in err and "AttributeError" not in err
