"""Connecting to a Dask cluster for the Monte-Carlo: address, scheduler file or Client; worker checks; timeouts.

``scheduler`` may be a scheduler address (``"tcp://host:8786"``), the path of a scheduler file (the JSON that
``dask scheduler --scheduler-file`` or dask-jobqueue writes), ``"local"`` for a LocalCluster, or a
``dask.distributed.Client`` made by the caller (then it is used as is and not closed). Before any sample is
submitted every worker is asked (``client.run``) for its emboost and numpy versions; a worker that cannot import
emboost, runs another emboost version or lacks numpy stops the run with a one-line
:class:`~emboost.core.errors.InputError` naming the worker. Each wait has a timeout, so an unreachable scheduler,
a cluster without workers or a stalled computation ends with a message instead of hanging.

>>> scheduler_kind("tcp://10.0.0.1:8786"), scheduler_kind("local"), scheduler_kind("/no/such/file.json")
('address', 'local', 'file')
"""

from __future__ import annotations

import os
from typing import Any

from emboost.core.errors import InputError

__all__ = ["scheduler_kind", "connect", "check_workers", "worker_environment", "TIMEOUTS"]

#: seconds: reaching the scheduler, the first worker appearing, the environment check, and the longest wait
#: for the next finished chunk (``EMBOOST_DASK_CHUNK_TIMEOUT`` overrides the last; 0 = no limit)
TIMEOUTS = {"connect": 10.0, "workers": 30.0, "check": 30.0, "chunk": 3600.0}


def scheduler_kind(scheduler: Any) -> str:
    """``"client"`` (a Client object), ``"local"``, ``"address"`` (``proto://...`` or ``host:port``) or
    ``"file"`` (a path to a scheduler file)."""
    if not isinstance(scheduler, str):
        return "client"
    if scheduler == "local":
        return "local"
    if "://" in scheduler:
        return "address"
    if os.path.exists(scheduler) or scheduler.endswith((".json", ".yaml", ".yml")) or os.sep in scheduler:
        return "file"
    return "address"


def worker_environment() -> dict[str, str]:
    """What a worker runs (executed on each worker by :func:`check_workers`): emboost and numpy versions."""
    import numpy

    from emboost.core.version import __version__  # imports the emboost package first

    return {"emboost": str(__version__), "numpy": str(numpy.__version__)}


def _timeout(name: str) -> float:
    if name == "chunk" and os.environ.get("EMBOOST_DASK_CHUNK_TIMEOUT"):
        try:
            return float(os.environ["EMBOOST_DASK_CHUNK_TIMEOUT"])
        except ValueError:
            raise InputError("EMBOOST_DASK_CHUNK_TIMEOUT must be a number of seconds",
                             key="EMBOOST_DASK_CHUNK_TIMEOUT") from None
    return TIMEOUTS[name]


def _first_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_workers(client: Any, timeout: float | None = None) -> dict[str, dict[str, str]]:
    """Ask every worker of ``client`` for :func:`worker_environment`; raise a one-line InputError naming the
    first worker that cannot import emboost, runs another emboost version, or does not answer in ``timeout`` s."""
    import concurrent.futures as cf

    from emboost.core.version import __version__

    t = _timeout("check") if timeout is None else timeout
    try:
        client.wait_for_workers(1, timeout=_timeout("workers"))
    except Exception:  # distributed raises its own TimeoutError
        raise InputError(f"the Dask cluster at {client.scheduler.address} has no worker after "
                         f"{_timeout('workers'):g} s") from None
    pool = cf.ThreadPoolExecutor(1)
    try:
        answers = pool.submit(client.run, worker_environment, on_error="return").result(timeout=t)
    except cf.TimeoutError:
        raise InputError(f"the Dask workers did not answer the environment check within {t:g} s") from None
    finally:
        pool.shutdown(wait=False)
    for worker, got in sorted(answers.items()):
        if isinstance(got, BaseException):
            raise InputError(f"Dask worker {worker} cannot run emboost ({_first_line(got)}): install emboost "
                             f"{__version__} and numpy in the workers' environment")
        if not isinstance(got, dict) or got.get("emboost") != __version__:
            have = got.get("emboost") if isinstance(got, dict) else got
            raise InputError(f"Dask worker {worker} runs emboost {have}, this process {__version__}: the samples "
                             "would not be reproducible; install the same version on every worker")
    return answers


def connect(scheduler: Any, workers: int) -> tuple[Any, Any, bool]:
    """``(client, cluster or None, owned)``: a Client for ``scheduler`` (see the module docstring), its
    workers checked. ``owned``: the caller must close the client (and the cluster) afterwards."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler needs dask.distributed: pip install 'emboost[dist]'") from None
    kind = scheduler_kind(scheduler)
    cluster = None
    if kind == "client":
        client = scheduler
    elif kind == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        t = _timeout("connect")
        try:
            if kind == "file":
                if not os.path.isfile(scheduler):
                    raise InputError(f"scheduler file {scheduler} not found (give a scheduler address "
                                     "tcp://host:port or the file written by 'dask scheduler --scheduler-file')")
                client = Client(scheduler_file=scheduler, timeout=f"{t:g}s")
            else:
                client = Client(scheduler, timeout=f"{t:g}s")
        except OSError as exc:  # includes TimeoutError
            raise InputError(f"cannot reach the Dask scheduler at {scheduler!r} within {t:g} s: "
                             f"{_first_line(exc)}") from None
        except ValueError as exc:
            raise InputError(f"not a Dask scheduler file or address: {scheduler!r} ({_first_line(exc)})") from None
    try:
        check_workers(client)
    except BaseException:
        if kind != "client":
            client.close()
            if cluster is not None:
                cluster.close()
        raise
    return client, cluster, kind != "client"


def chunk_timeout() -> float | None:
    """The longest wait [s] for the next finished chunk (None: no limit)."""
    t = _timeout("chunk")
    return t if t > 0 else None
