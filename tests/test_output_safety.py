"""Output folders: a lock against a second job, never holding the job's inputs, --overwrite that never mixes
two runs, and OS errors while writing as one-line errors."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from emboost.cli import main
from emboost.core import output
from emboost.core.errors import EmboostError, InputError
from emboost.core.output import (
    LOCK_NAME,
    OutputError,
    atomic_write_text,
    check_output_apart_from_inputs,
    finish_output_dir,
    prepare_output_dir,
    release_output_dir,
)

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "open_booster_20disk.toml"
ENV = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))

HOLD = """
import sys, time
from emboost.core.output import prepare_output_dir
prepare_output_dir(sys.argv[1])
print("ready", flush=True)
time.sleep(300)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process that prepared (and so locked) the folder ``tmp_path / 'out'``."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], env=ENV, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield out, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_second_job_on_a_folder_is_refused_naming_lock_and_pid(holder):
    out, proc = holder
    for kw in ({}, {"resume": True}, {"overwrite": True}):
        with pytest.raises(InputError) as exc:
            prepare_output_dir(out, **kw)
        msg = str(exc.value)
        assert str(out / LOCK_NAME) in msg and f"PID {proc.pid}" in msg and "\n" not in msg
    # the refused attempts changed nothing: the holder's lock is intact
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == proc.pid
    # through the command line: exit 1 and the same one line
    r = subprocess.run([sys.executable, "-m", "emboost", "boost", str(MODEL), "-o", str(out), "-q", "--overwrite"],
                       env=ENV, capture_output=True, text=True)
    assert r.returncode == 1 and f"PID {proc.pid}" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_lock_of_a_killed_job_is_taken_over(holder):
    out, proc = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert (out / LOCK_NAME).exists()                     # left behind: no chance to clean up
    assert prepare_output_dir(out, resume=True) == out
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == os.getpid()
    release_output_dir(out)
    assert not (out / LOCK_NAME).exists()


def test_stale_lock_without_flock_is_decided_by_its_pid(tmp_path, monkeypatch):
    """Where flock is not available (or not supported by the file system) the recorded PID decides."""
    monkeypatch.setattr(output, "_try_flock", lambda fd: None)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": _dead_pid()}))
    assert prepare_output_dir(out) == out                  # a dead PID: taken over
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == os.getpid()
    release_output_dir(out)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        (out / LOCK_NAME).write_text(json.dumps({"pid": live.pid}))
        with pytest.raises(InputError, match=f"PID {live.pid}"):
            prepare_output_dir(out)
    finally:
        live.kill()
        live.wait()


def test_same_process_may_prepare_again_and_the_lock_is_not_content(tmp_path):
    out = prepare_output_dir(tmp_path / "run")
    assert (out / LOCK_NAME).exists()
    assert prepare_output_dir(out) == out                  # only the lock in it: still empty
    (out / "a.csv").write_text("1")
    with pytest.raises(InputError, match="not empty"):
        prepare_output_dir(out)
    assert prepare_output_dir(out, resume=True) == out and (out / "a.csv").exists()
    release_output_dir(out)
    release_output_dir(out)                                # releasing twice is harmless


def test_output_folder_holding_an_input_is_refused(tmp_path, monkeypatch):
    setup = tmp_path / "setup.toml"
    setup.write_text("x")
    nested = tmp_path / "data" / "deep" / "t.csv"
    nested.parent.mkdir(parents=True)
    nested.write_text("1")
    check_output_apart_from_inputs(tmp_path / "out", [setup, nested])          # siblings are fine
    check_output_apart_from_inputs(tmp_path / "data2", [nested])               # a name prefix is not a parent
    with pytest.raises(InputError, match="contains this input file") as exc:
        check_output_apart_from_inputs(tmp_path / "data", [setup, nested])
    assert str(nested) in str(exc.value)
    with pytest.raises(InputError, match="is this input file"):
        check_output_apart_from_inputs(setup, [setup])
    monkeypatch.chdir(tmp_path)                                                # relative paths are resolved
    with pytest.raises(InputError, match="contains this input file"):
        check_output_apart_from_inputs(".", ["setup.toml"])
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputError):
        prepare_output_dir(tmp_path, overwrite=True, inputs=[setup])
    assert sorted(p.name for p in tmp_path.iterdir()) == before                # nothing moved, no lock


def test_boost_refuses_an_output_folder_holding_its_setup(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    setup = out / "model.toml"
    setup.write_bytes(MODEL.read_bytes())
    assert main(["boost", str(setup), "-o", str(out), "-q", "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "contains this input file" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == ["model.toml"] and setup.read_bytes() == MODEL.read_bytes()


def test_overwrite_moves_the_earlier_run_aside_and_never_mixes_runs(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    prev = tmp_path / "o.previous"
    assert main(["boost", str(MODEL), "-o", str(out), "-q"]) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.name != LOCK_NAME}
    assert {"boost.csv", "boost.png", "summary.json"} <= set(first)
    # the second run fails after writing its first output (the figure cannot be made)
    import emboost.cli.boost as boost_cli

    def broken(*a, **k):
        raise EmboostError("figure failed")

    monkeypatch.setattr(boost_cli, "booster_response_png", broken)
    assert main(["boost", str(MODEL), "-o", str(out), "-q", "--overwrite", "--solver", "tm"]) == 1
    assert "figure failed" in capsys.readouterr().err
    now = {p.name for p in out.iterdir() if p.name != LOCK_NAME}
    assert now == {"boost.csv"}                            # only the new run's file: no stale summary.json
    assert (out / "boost.csv").read_bytes() != first["boost.csv"]
    kept = {p.name: p.read_bytes() for p in prev.iterdir() if p.name != output.PREVIOUS_NOTE}
    assert kept == first                                   # the earlier run, whole, beside it
    assert "--overwrite" in (prev / output.PREVIOUS_NOTE).read_text()
    # a successful overwrite: the failed partial run is moved aside in turn, then finishing removes it
    monkeypatch.undo()
    assert main(["boost", str(MODEL), "-o", str(out), "-q", "--overwrite"]) == 0
    assert {p.name for p in prev.iterdir()} == {"boost.csv", output.PREVIOUS_NOTE}
    assert {p.name for p in out.iterdir() if p.name != LOCK_NAME} == set(first)
    finish_output_dir(out)
    assert not prev.exists() and not (out / LOCK_NAME).exists() and (out / "summary.json").exists()


def test_overwrite_never_removes_a_previous_folder_it_did_not_make(tmp_path):
    out = prepare_output_dir(tmp_path / "o")
    (out / "a.txt").write_text("new")
    foreign = tmp_path / "o.previous"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match="not made by emboost"):
        prepare_output_dir(out, overwrite=True)
    assert (foreign / "mine.txt").read_text() == "keep" and (out / "a.txt").read_text() == "new"
    release_output_dir(out)


# ------------------------------------------------------------------------------------- OS errors
def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and isinstance(exc.value, EmboostError)
    return msg


def test_output_under_a_regular_file_is_a_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "plain.txt"
    blocker.write_text("x")
    with pytest.raises(OutputError) as exc:
        prepare_output_dir(blocker / "sub" / "out")
    assert f"{blocker} is a regular file, not a folder" in _one_line(exc)
    with pytest.raises(OutputError) as exc:
        atomic_write_text(blocker / "a.txt", "1")
    assert str(blocker / "a.txt") in _one_line(exc)
    assert main(["boost", str(MODEL), "-o", str(blocker / "out"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "is a regular file" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("code, words", [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied")])
def test_read_only_folder_is_a_one_line_error(tmp_path, monkeypatch, code, words):
    """Simulated (the tests may run as root, who can write anywhere): creating a file fails with ``code``."""
    target = tmp_path / "r.txt"
    atomic_write_text(target, "old")

    def refuse(*a, **k):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError) as exc:
        atomic_write_text(target, "new")
    assert str(target) in _one_line(exc) and words in str(exc.value)
    assert target.read_text() == "old"
    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(OutputError, match=words):
        prepare_output_dir(tmp_path / "fresh")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_really_read_only_folder(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            atomic_write_text(d / "a.txt", "1")
    finally:
        d.chmod(0o755)


def test_disk_full_is_a_one_line_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "band.csv"
    atomic_write_text(target, "old")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as exc:
        atomic_write_text(target, "new" * 1000)
    assert str(target) in _one_line(exc) and "no space left" in str(exc.value)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["band.csv"]   # no temporary file left


def test_jobs_refuse_an_output_folder_holding_their_inputs(root, tmp_path, capsys):
    """derive, mc and fit name the input a chosen --output would hold (the campaign's own data folder here),
    and leave the measurement files untouched."""
    import shutil

    from emboost.cli import main

    camp = tmp_path / "campaign"
    shutil.copytree(root / "examples" / "campaign_cb200", camp)
    recipe = tmp_path / "campaign.toml"
    text = (root / "fits" / "cb200_campaign.toml").read_text().replace("../examples/campaign_cb200/", "campaign/")
    recipe.write_text(text)
    for d in ("fits", "models"):  # a scratch copy: a refusal that failed would move these aside
        shutil.copytree(root / d, tmp_path / d)
    shutil.copytree(root / "examples" / "data", tmp_path / "examples" / "data")
    before = {p.name: p.read_bytes() for p in (camp / "data").iterdir()}
    for argv in (["derive", str(recipe), "--output", str(camp / "data"), "--overwrite", "--quiet"],
                 ["mc", str(tmp_path / "fits" / "cb200_montecarlo.toml"), "--output", str(tmp_path / "examples"),
                  "--overwrite", "--quiet"],
                 ["fit", str(tmp_path / "fits" / "cb200_reflectivity.toml"), "--output", str(tmp_path / "examples"),
                  "--overwrite", "--quiet"]):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "the output folder contains this input file" in err[0], err
    assert {p.name: p.read_bytes() for p in (camp / "data").iterdir()} == before
