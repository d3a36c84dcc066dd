"""The Monte-Carlo of ``emboost derive`` on a separately started Dask cluster (``dask scheduler`` and
``dask worker`` subprocesses, one worker, one thread): a scheduler file (CLI ``--scheduler``) and a Client
(API ``client=``) give samples bit-identical to a local run; a worker that cannot import emboost stops the
run with one line naming the worker, well within a set time; an unreachable scheduler times out with a
message. SYNTHETIC campaign, 4 samples."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

from emboost.core.errors import InputError  # noqa: E402
from emboost.jobs.derive import derive  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "fits" / "cb200_campaign.toml"
SAMPLES = 4


def _env(pythonpath: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONPATH": pythonpath, "OMP_NUM_THREADS": "1", "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
                "MPLBACKEND": "Agg"})
    return env


def _cluster(d: Path, worker_pythonpath: str) -> tuple[Path, list[subprocess.Popen]]:
    """A scheduler (scheduler file in ``d``) and one single-threaded worker started with ``worker_pythonpath``."""
    sf = d / "scheduler.json"
    log = open(d / "cluster.log", "w")
    exe = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [subprocess.Popen(exe + ["--scheduler-file", str(sf), "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard"], stdout=log, stderr=log, env=_env(str(ROOT)))]
    t0 = time.monotonic()
    while not sf.exists() and time.monotonic() - t0 < 30:
        time.sleep(0.1)
    assert sf.exists(), (d / "cluster.log").read_text()
    procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(sf),
                                   "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--no-nanny",
                                   "--host", "127.0.0.1"],
                                  stdout=log, stderr=log, env=_env(worker_pythonpath), cwd=d))  # not ROOT: -m puts
    # the working folder first on sys.path
    return sf, procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        p.terminate()
    for p in reversed(procs):
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    d = tmp_path_factory.mktemp("dask")
    sf, procs = _cluster(d, str(ROOT))
    yield sf
    _stop(procs)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    derive(RECIPE, out, samples=SAMPLES, workers=1, quiet=True, stream=io.StringIO())
    return out


def _samples(out: Path) -> dict[str, np.ndarray]:
    with np.load(out / "montecarlo" / "boost_samples.npz") as z:
        return {k: z[k] for k in z.files}


def _same(a: Path, b: Path) -> None:
    sa, sb = _samples(a), _samples(b)
    assert set(sa) == set(sb)
    for k in sa:
        assert np.array_equal(sa[k], sb[k], equal_nan=True), k  # bit-identical


def test_cli_scheduler_file_is_bit_identical_to_local(cluster, local, tmp_path):
    from emboost.cli import main

    out = tmp_path / "dist"
    t0 = time.monotonic()
    code = main(["derive", str(RECIPE), "--samples", str(SAMPLES), "--output", str(out), "--quiet",
                 "--scheduler", str(cluster)])
    assert code in (0, 3), code
    assert time.monotonic() - t0 < 60
    _same(local, out)


def test_api_client_is_bit_identical_and_left_open(cluster, local, tmp_path):
    from dask.distributed import Client

    with Client(scheduler_file=str(cluster), timeout="10s") as client:
        res = derive(RECIPE, tmp_path / "dist", samples=SAMPLES, quiet=True, stream=io.StringIO(), client=client)
        assert client.status == "running"  # the caller's client is not closed
    _same(local, res.out)
    with pytest.raises(InputError, match="not both"):
        derive(RECIPE, tmp_path / "x", samples=SAMPLES, scheduler=str(cluster), client=object())


def test_worker_without_emboost_is_named_in_one_line(tmp_path, capsys):
    """A worker whose Python finds a broken ``emboost`` first on its path (PYTHONPATH) cannot run the samples."""
    bad = tmp_path / "shadow" / "emboost"
    bad.mkdir(parents=True)
    (bad / "__init__.py").write_text('raise ImportError("emboost is not installed on this worker (test shadow)")\n')
    sf, procs = _cluster(tmp_path, str(bad.parent))
    try:
        from emboost.cli import main

        t0 = time.monotonic()
        code = main(["derive", str(RECIPE), "--samples", str(SAMPLES), "--output", str(tmp_path / "o"), "--quiet",
                     "--scheduler", str(sf)])
        dt = time.monotonic() - t0
    finally:
        _stop(procs)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    assert "Dask worker tcp://127.0.0.1:" in err[0] and "cannot run emboost" in err[0] and "test shadow" in err[0]
    assert dt < 45


def test_unreachable_scheduler_times_out_with_a_message(monkeypatch):
    from emboost.core import dask_cluster

    monkeypatch.setitem(dask_cluster.TIMEOUTS, "connect", 2.0)
    t0 = time.monotonic()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        dask_cluster.connect("tcp://127.0.0.1:9", 1)
    assert time.monotonic() - t0 < 15
    with pytest.raises(InputError, match="scheduler file .* not found"):
        dask_cluster.connect(str(ROOT / "no-such-scheduler.json"), 1)


def test_tolerance_montecarlo_on_the_cluster_is_bit_identical(cluster):
    """The 3-D tolerance Monte-Carlo (derive's [booster3d] band) runs on the same scheduler, same numbers."""
    from dask.distributed import Client

    from emboost.booster.model import Booster
    from emboost.booster.tolerances import MechanicalTolerances, tolerance_montecarlo

    b = Booster.from_disks([8.2023e-3], 1e-3, 9.4, radius=0.1)
    f = np.linspace(18.95e9, 19.05e9, 3)
    tol = MechanicalTolerances(mirror_tilt=1e-3)
    serial = tolerance_montecarlo(b, f, tol, samples=12, seed=4, workers=1, kc_max=60.0)
    with Client(scheduler_file=str(cluster), timeout="10s") as client:
        dist = tolerance_montecarlo(b, f, tol, samples=12, seed=4, kc_max=60.0, scheduler=client)
    assert np.array_equal(serial.samples, dist.samples)
