"""The foundation's seeded chunked runner: identical results on every backend, resumable checkpoints that
refuse chunks of another run and recompute damaged ones, and workers that end with their parent."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import emboost
import emboost.core.version
from emboost.core import runner
from emboost.core.errors import InputError
from emboost.core.runner import Checkpoint, Chunk, chunk_bounds, run_chunks, standard_normals

ROOT = Path(__file__).resolve().parents[1]


def affine(ctx: dict[str, float], x: np.ndarray) -> dict[str, np.ndarray]:
    """A pure function of a chunk of pre-drawn normals ``(m, 2)`` (module level: workers import it)."""
    return {"y": ctx["a"] * x[:, 0] + ctx["b"] * np.sin(x[:, 1]), "z": x[:, :1] ** 2}


CTX = {"a": 2.0, "b": 0.5}


def run(seed: int, folder: Path | None = None, n: int = 10, chunk: int = 3, **kw):
    x = standard_normals(seed, n, 2)
    kw.setdefault("workers", 1)
    return run_chunks(affine, CTX, x, n, seed=seed, chunk_size=chunk, run_key="key-A", checkpoint=folder, **kw)


def expected(seed: int, n: int = 10) -> np.ndarray:
    x = standard_normals(seed, n, 2)
    return 2.0 * x[:, 0] + 0.5 * np.sin(x[:, 1])


def test_draws_follow_the_seed_in_sample_order():
    a = standard_normals(5, 6, 3)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5)))
    assert np.array_equal(a, rng.standard_normal((6, 3)))          # one stream, row by row
    assert np.array_equal(standard_normals(5, 9, 3)[:6], a)         # a longer run starts with the shorter one
    assert not np.allclose(standard_normals(6, 6, 3), a)
    assert [(c.start, c.stop) for c in chunk_bounds(7, 3)] == [(0, 3), (3, 6), (6, 7)]
    with pytest.raises(InputError, match="chunk_size"):
        chunk_bounds(7, 0)


def test_serial_processes_and_dask_are_bit_identical():
    serial = run(11, workers=1)
    assert np.array_equal(serial.data["y"], expected(11)) and serial.data["z"].shape == (10, 1)
    pooled = run(11, workers=2)
    assert pooled.workers == 2 and pooled.computed == 4
    assert np.array_equal(serial.data["y"], pooled.data["y"]) and np.array_equal(serial.data["z"], pooled.data["z"])
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        dask = run(11, scheduler=c.scheduler_address, workers=None)
    assert np.array_equal(serial.data["y"], dask.data["y"])
    local = run(11, scheduler="local", workers=2)          # a LocalCluster of its own, guarded like the pool
    assert np.array_equal(serial.data["y"], local.data["y"])


def slow_affine(ctx: dict[str, float], x: np.ndarray) -> dict[str, np.ndarray]:
    """``affine`` taking ``ctx["sleep"]`` seconds per chunk (for the executor choice)."""
    time.sleep(ctx["sleep"])
    return affine(ctx, x)


def test_automatic_executor_stays_serial_when_start_up_dominates(monkeypatch):
    """workers=None: one chunk is timed here; short runs stay in this process, long ones spread (same numbers)."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: the automatic choice is always serial")
    quick = run(11, workers=None)
    assert quick.workers == 1 and np.array_equal(quick.data["y"], expected(11))
    # chunks of 0.3 s with a process start-up declared as 0.1 s: spreading pays, and changes no number
    monkeypatch.setattr(runner, "PROCESS_START_S", 0.1)
    x = standard_normals(11, 10, 2)
    slow = run_chunks(slow_affine, CTX | {"sleep": 0.3}, x, 10, seed=11, chunk_size=3, workers=None)
    assert slow.workers > 1 and np.array_equal(slow.data["y"], expected(11))
    assert not runner.parallel_pays(0.05, 7, 2, start_seconds=2.5) and runner.parallel_pays(2.0, 7, 2, 2.5)


def test_interrupted_run_resumes_exactly(tmp_path):
    class Stop(Exception):
        pass

    def stop(c: int) -> None:
        if c == 1:
            raise Stop

    with pytest.raises(Stop):
        run(3, tmp_path, on_chunk=stop)
    assert sorted(p.name for p in (tmp_path / "samples").glob("chunk_*.npz")) == ["chunk_00000.npz",
                                                                                 "chunk_00001.npz"]
    res = run(3, tmp_path, workers=2)
    assert (res.reused, res.computed) == (2, 2)
    assert np.array_equal(res.data["y"], expected(3))


def _two_runs(tmp_path: Path) -> tuple[Path, Path]:
    """Folders of finished runs with seeds 1 and 2 (same key, same chunk size)."""
    a, b = tmp_path / "seed1", tmp_path / "seed2"
    run(1, a)
    run(2, b)
    return a, b


def test_chunk_of_another_seed_is_refused_naming_file_and_difference(tmp_path):
    a, b = _two_runs(tmp_path)
    stray = b / "samples" / "chunk_00001.npz"
    shutil.copy(a / "samples" / "chunk_00001.npz", stray)           # a chunk of the seed-1 run in the seed-2 folder
    with pytest.raises(InputError) as exc:
        run(2, b)
    msg = str(exc.value)
    assert str(stray) in msg and "seed 1 stored, 2 now" in msg and "\n" not in msg
    # asked to, the runner recomputes it instead, with a warning line, and gets the clean seed-2 result
    lines: list[str] = []
    res = run(2, b, on_mismatch="recompute", warn=lines.append)
    assert len(lines) == 1 and str(stray) in lines[0] and "recomputing" in lines[0]
    assert (res.reused, res.computed) == (3, 1)
    assert np.array_equal(res.data["y"], expected(2))
    assert run(2, b).reused == 4                                     # the recomputed chunk now carries seed 2


def test_chunk_of_another_key_bounds_or_version_is_refused(tmp_path, monkeypatch):
    a, _ = _two_runs(tmp_path)
    with pytest.raises(InputError, match="run key"):
        run_chunks(affine, CTX, standard_normals(1, 10, 2), 10, seed=1, chunk_size=3, run_key="key-B",
                   checkpoint=a, settings={"seed": 1, "chunk_size": 3, "run_key": "key-A"})
    # a chunk of a run with another chunk size
    other = tmp_path / "chunk4"
    run(1, other, chunk=4)
    shutil.copy(other / "samples" / "chunk_00000.npz", a / "samples" / "chunk_00000.npz")
    with pytest.raises(InputError, match=r"samples 0\.\.4 stored, 0\.\.3 expected"):
        run(1, a)
    shutil.copy(tmp_path / "seed1" / "samples" / "chunk_00001.npz", tmp_path / "keep.npz")
    run(1, a, on_mismatch="recompute", warn=lambda m: None)
    monkeypatch.setattr(emboost.core.version, "__version__", "99.0")
    with pytest.raises(InputError, match="emboost version"):
        run(1, a)


def test_chunk_without_stamp_is_refused(tmp_path):
    a, _ = _two_runs(tmp_path)
    p = a / "samples" / "chunk_00002.npz"
    with np.load(p) as z:
        data = {k: z[k] for k in z.files if k != runner.STAMP_KEY}
    np.savez(p, **data)                                               # as written by an older emboost
    with pytest.raises(InputError, match="no run stamp"):
        run(1, a)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_chunk_is_recomputed_with_a_warning(tmp_path, damage):
    a, _ = _two_runs(tmp_path)
    p = a / "samples" / "chunk_00001.npz"
    raw = p.read_bytes()
    p.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"x" * 100, "empty": b""}[damage])
    lines: list[str] = []
    res = run(1, a, warn=lines.append)
    assert (res.reused, res.computed, res.damaged) == (3, 1, 1)
    assert np.array_equal(res.data["y"], expected(1))
    assert len(lines) == 1 and str(p) in lines[0] and "damaged" in lines[0] and "\n" not in lines[0]
    assert run(1, a).reused == 4


def test_default_warning_goes_to_stderr_unless_quiet(tmp_path, capsys):
    a, _ = _two_runs(tmp_path)
    p = a / "samples" / "chunk_00000.npz"
    p.write_bytes(p.read_bytes()[:50])
    run(1, a, quiet=True)
    assert capsys.readouterr().err == ""
    p.write_bytes(p.read_bytes()[:50])
    run(1, a, quiet=False)
    err = capsys.readouterr().err
    assert f"warning: {p}: damaged checkpoint chunk" in err


def test_manifest_with_other_settings_is_refused(tmp_path):
    a, _ = _two_runs(tmp_path)
    with pytest.raises(InputError, match="different settings"):
        run(2, a)
    ck = Checkpoint(a, {"seed": 5}, fresh=True)        # fresh discards the chunks and the manifest
    assert ck.load(Chunk(0, 0, 3)) is None and not list((a / "samples").glob("chunk_*.npz"))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # an orphan that died but was not reaped yet
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait_for_pids(folder: Path, count: int, proc: subprocess.Popen, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while len(files := list(folder.glob("worker_*"))) < count:
        assert proc.poll() is None, "the run ended early"
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    return [int(p.name.split("_")[1]) for p in files]


SCRIPT = '''
import os, sys, time
from pathlib import Path
import numpy as np
from emboost.core.runner import run_chunks

def slow(folder, x):
    Path(folder, f"worker_{os.getpid()}").write_text("")
    time.sleep(300)
    return {"x": x}

if __name__ == "__main__":
    run_chunks(slow, sys.argv[1], np.zeros((4, 1)), 4, seed=0, chunk_size=1, workers=2)
'''


def test_pool_workers_end_when_the_parent_is_killed(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env)
    try:
        pids = _wait_for_pids(tmp_path, 2, proc)
        assert not any(_gone(p) for p in pids)
        os.kill(proc.pid, signal.SIGKILL)                      # the parent only, not its process group
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while not all(_gone(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in pids if not _gone(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
    for p in left:  # do not leave them behind if the test fails
        os.kill(p, signal.SIGKILL)
    assert not left, f"worker processes {left} outlived their parent"


WATCH = '''
import os, sys, time
from emboost.core.runner import exit_with_parent
exit_with_parent(os.getppid(), 0.1, kernel=False)    # the portable watchdog alone
open(os.path.join(sys.argv[1], f"worker_{os.getpid()}"), "w").close()
time.sleep(300)
'''

MIDDLE = '''
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
time.sleep(300)
'''


def test_watchdog_alone_ends_a_worker_whose_parent_died(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", MIDDLE, WATCH, str(tmp_path)], env=env)
    try:
        (pid,) = _wait_for_pids(tmp_path, 1, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = not _gone(pid)
    finally:
        if proc.poll() is None:
            proc.kill()
    if alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive
