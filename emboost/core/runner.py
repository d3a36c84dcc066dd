"""Seeded, chunked, checkpointed execution of a pure function over pre-drawn samples.

A run evaluates ``func(context, samples[a:b])`` for fixed chunks ``[a, b)`` of ``n`` samples and
concatenates the returned arrays in sample order. Everything random is drawn *before* the run, from
one stream of ``numpy.random.SeedSequence(seed)`` in sample order (:func:`seeded_generator`,
:func:`standard_normals`), and the chunk bounds depend only on ``n`` and ``chunk_size``; so running
the chunks in this process, in a pool of local processes, or on a Dask cluster gives bit-identical
results, and a longer run starts with the samples of a shorter one.

Backends (:func:`run_chunks`): ``workers=1`` runs in this process; ``workers > 1`` uses a
``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method (``context`` and ``func``
are pickled once and sent to every worker); ``scheduler`` a Dask scheduler address, a scheduler file, a
``dask.distributed.Client``, or ``"local"`` for a ``dask.distributed.LocalCluster`` (see
:mod:`emboost.core.dask_cluster`: workers are checked before anything is submitted, every wait has a
timeout). Local workers end themselves when the process that started
them dies (``PR_SET_PDEATHSIG`` on Linux, and on every system a watchdog thread that polls the parent).

Checkpoints (:class:`Checkpoint`): with a folder, every finished chunk is written atomically to
``folder/samples/chunk_NNNNN.npz`` beside ``manifest.json`` (the settings that fix the samples). Each
chunk carries a stamp: the seed, the caller's run key (a hash of the model or recipe and its inputs),
its sample bounds and the emboost version. On a restart a chunk is reused only when its stamp matches
the run exactly; a chunk of another run is refused with a one-line
:class:`~emboost.core.errors.InputError` naming the file and what differs (or, if the caller asks,
recomputed), and a damaged or truncated chunk is recomputed with a warning line.

>>> import numpy as np
>>> def square(ctx, x):
...     return {"y": ctx * x**2}
>>> x = standard_normals(7, 10, 1)[:, 0]
>>> out = run_chunks(square, 2.0, x, 10, seed=7, chunk_size=4, workers=1)
>>> bool(np.array_equal(out.data["y"], 2.0 * x**2)), out.computed, [c.stop for c in chunk_bounds(10, 4)]
(True, 3, [4, 8, 10])
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from emboost.core.errors import InputError

__all__ = [
    "Chunk",
    "chunk_bounds",
    "seeded_generator",
    "standard_normals",
    "chunk_stamp",
    "Checkpoint",
    "Progress",
    "RunOutput",
    "run_chunks",
    "exit_with_parent",
]

#: the key under which a chunk file stores its stamp (JSON text)
STAMP_KEY = "__stamp__"
#: the stamp format written with every chunk
STAMP_FORMAT = "emboost-chunk-1"

Mismatch = Literal["error", "recompute"]


# ------------------------------------------------------------------------------------------ seeding
def seeded_generator(seed: int | Sequence[int]) -> np.random.Generator:
    """The generator every draw of a run comes from: PCG64 seeded by ``SeedSequence(seed)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


def standard_normals(seed: int | Sequence[int], n: int, width: int) -> np.ndarray:
    """``(n, width)`` standard normals in sample order: row ``i`` holds the normals
    ``i width .. (i + 1) width - 1`` of the stream of ``seed``, so it depends only on ``seed`` and ``i``.

    >>> a, b = standard_normals(3, 4, 2), standard_normals(3, 6, 2)
    >>> bool(np.array_equal(a, b[:4]))
    True
    """
    return seeded_generator(seed).standard_normal((n, width))


def _jsonable_seed(seed: Any) -> Any:
    """The seed as it is stored in manifests and stamps (tuples become lists, numpy ints plain ints)."""
    if isinstance(seed, np.ndarray):
        seed = seed.tolist()
    return json.loads(json.dumps(seed, default=int))


# ------------------------------------------------------------------------------------------- chunks
@dataclass(frozen=True)
class Chunk:
    """Chunk ``index`` holds the samples ``start .. stop - 1``."""

    index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def chunk_bounds(n: int, size: int) -> list[Chunk]:
    """Consecutive chunks of ``size`` samples (the last one shorter) covering ``0 .. n - 1``."""
    if size < 1:
        raise InputError(f"chunk_size must be >= 1, got {size}", key="chunk_size")
    return [Chunk(c, a, min(a + size, n)) for c, a in enumerate(range(0, n, size))]


def _take(samples: Any, start: int, stop: int) -> Any:
    """Samples ``start .. stop - 1``: ``samples.slice(start, stop)`` if it has one, else ``samples[start:stop]``."""
    sl = getattr(samples, "slice", None)
    return sl(start, stop) if callable(sl) else samples[start:stop]


def _version() -> str:
    from emboost.core.version import __version__

    return str(__version__)


def chunk_stamp(seed: Any, run_key: str, chunk: Chunk) -> dict[str, Any]:
    """What a stored chunk must match to be reused: seed, run key, bounds and emboost version."""
    return {"format": STAMP_FORMAT, "seed": _jsonable_seed(seed), "run_key": str(run_key),
            "start": int(chunk.start), "stop": int(chunk.stop), "emboost": _version()}


def _short(v: Any) -> str:
    s = json.dumps(v)
    return s if len(s) <= 20 else s[:17] + "..."


def _describe_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    labels = {"seed": "seed", "run_key": "run key (model, recipe or inputs)", "emboost": "emboost version",
              "format": "chunk format"}
    parts = []
    if (old.get("start"), old.get("stop")) != (new["start"], new["stop"]):
        parts.append(f"samples {old.get('start')}..{old.get('stop')} stored, {new['start']}..{new['stop']} expected")
    for k, label in labels.items():
        if old.get(k) != new[k]:
            parts.append(f"{label} {_short(old.get(k))} stored, {_short(new[k])} now")
    return "; ".join(parts)


def _default_warn(quiet: bool, stream: Any = None) -> Callable[[str], None]:
    def warn(msg: str) -> None:
        if not quiet:
            s = sys.stderr if stream is None else stream
            s.write(msg + "\n")
            s.flush()

    return warn


# ------------------------------------------------------------------------------------- checkpoints
class Checkpoint:
    """Finished chunks in ``folder/<subdir>/chunk_NNNNN.npz`` plus ``folder/<subdir>/manifest.json``.

    ``settings`` (JSON-able) are the settings that determine the samples; opening a folder whose manifest
    disagrees raises :class:`~emboost.core.errors.InputError` naming the keys that differ. ``seed`` and
    ``run_key`` go into the stamp of every chunk (default: ``settings["seed"]`` and a hash of ``settings``).
    ``fresh`` discards what is there. ``on_mismatch``: ``"error"`` refuses a chunk whose stamp differs
    from this run's, ``"recompute"`` recomputes it (with a warning line through ``warn``).
    """

    def __init__(self, folder: str | os.PathLike[str], settings: dict[str, Any], *, fresh: bool = False,
                 seed: Any = None, run_key: str | None = None, on_mismatch: Mismatch = "error",
                 warn: Callable[[str], None] | None = None, subdir: str = "samples") -> None:
        if on_mismatch not in ("error", "recompute"):
            raise InputError(f"on_mismatch must be 'error' or 'recompute', got {on_mismatch!r}")
        self.dir = Path(folder) / subdir
        self.settings = json.loads(json.dumps(settings))
        self.seed = _jsonable_seed(self.settings.get("seed") if seed is None else seed)
        if run_key is None:
            import hashlib

            run_key = hashlib.sha256(json.dumps(self.settings, sort_keys=True).encode()).hexdigest()
        self.run_key = run_key
        self.on_mismatch = on_mismatch
        self.warn = warn if warn is not None else _default_warn(False)
        self.damaged = 0
        self.mismatched = 0
        manifest = self.dir / "manifest.json"
        if fresh and self.dir.exists():
            for p in [*self.dir.glob("chunk_*.npz"), *self.dir.glob(".chunk_*.tmp"), manifest]:
                if p.exists():
                    p.unlink()
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except (OSError, ValueError):
                raise InputError("the checkpoint manifest is unreadable; use a new --output or --overwrite",
                                 path=manifest) from None
            if old != self.settings:
                diff = sorted(k for k in set(old) | set(self.settings) if old.get(k) != self.settings.get(k))
                raise InputError(f"the checkpoint here was made with different settings ({', '.join(diff)} "
                                 "differ); resume only with the same recipe, inputs, seed and chunk size, or "
                                 "use a new --output (or --overwrite to start again)", path=manifest)
        else:
            from emboost.core.output import atomic_write_json

            atomic_write_json(manifest, self.settings)

    def path(self, index: int) -> Path:
        return self.dir / f"chunk_{index:05d}.npz"

    def stamp(self, chunk: Chunk) -> dict[str, Any]:
        return chunk_stamp(self.seed, self.run_key, chunk)

    def load(self, chunk: Chunk) -> dict[str, np.ndarray] | None:
        """The stored arrays of ``chunk``, or ``None`` when it must be computed (missing or damaged).

        Raises :class:`~emboost.core.errors.InputError` for a chunk of another run (``on_mismatch="error"``).
        """
        p = self.path(chunk.index)
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                data = {k: np.asarray(z[k]) for k in z.files}
            raw = data.pop(STAMP_KEY, None)
            stamp = None if raw is None else json.loads(str(raw))
        except Exception as exc:  # BadZipFile, CRC errors, truncation, bad JSON: the file is damaged
            self.damaged += 1
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.warn(f"warning: {p}: damaged checkpoint chunk ({reason}); recomputing it")
            return None
        want = self.stamp(chunk)
        if not isinstance(stamp, dict):
            what = "it carries no run stamp (written by an older emboost or by something else)"
        elif any(stamp.get(k) != v for k, v in want.items()):
            what = _describe_difference(stamp, want)
        else:
            return data
        self.mismatched += 1
        if self.on_mismatch == "recompute":
            self.warn(f"warning: {p}: checkpoint chunk of another run ({what}); recomputing it")
            return None
        raise InputError(f"checkpoint chunk of another run ({what}); resume only with the same inputs and "
                         "settings, or use a new --output (or --overwrite to start again)", path=p)

    def save(self, chunk: Chunk, data: dict[str, np.ndarray]) -> None:
        """Store ``data`` with this run's stamp (atomically)."""
        from emboost.core.output import atomic_write_bytes

        if STAMP_KEY in data:
            raise InputError(f"a chunk result may not use the reserved name {STAMP_KEY!r}")
        buf = io.BytesIO()
        arrays: dict[str, Any] = {**data, STAMP_KEY: np.array(json.dumps(self.stamp(chunk)))}
        np.savez(buf, **arrays)
        atomic_write_bytes(self.path(chunk.index), buf.getvalue())


# ---------------------------------------------------------------------------------------- progress
class Progress:
    """Progress of a run of ``total`` items on ``stream`` (stderr), silent when ``quiet``.

    On a terminal a tqdm bar (rate, elapsed and remaining time), redrawn at most every ``interval`` seconds.
    Anywhere else (a log file, a pipe, CI) no carriage-return redraws: one plain line when the run ends,
    ``"<label>: <done>/<total> <unit> in <t> s"``, so logs stay readable.
    """

    def __init__(self, total: int, label: str = "mc", quiet: bool = False, stream: Any = None,
                 interval: float = 0.25, unit: str = "samples") -> None:
        self.total, self.label, self.quiet, self.unit = total, label, quiet, unit
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self.t0 = time.perf_counter()
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty()) if callable(isatty) else False
        self._bar: Any = None
        self._closed = False
        if not quiet and self.tty:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit=f" {unit}", file=self.stream, mininterval=interval,
                             dynamic_ncols=True, leave=True, smoothing=0.1)

    def update(self, n: int, force: bool = False) -> None:
        """Count ``n`` more items done (``force`` redraws the bar at once)."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            if force:
                self._bar.refresh()

    def close(self) -> None:
        """End the display: close the bar, or write the one summary line when not on a terminal."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif not self.quiet:
            self.stream.write(f"{self.label}: {self.done}/{self.total} {self.unit} in "
                              f"{time.perf_counter() - self.t0:.1f} s\n")
            self.stream.flush()


# ------------------------------------------------------------------------------ parent-death guard
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else (EPERM)
        return True
    return True


def _watch_parent(pid: int, interval: float) -> None:
    parent = os.getppid()
    while True:
        time.sleep(interval)
        if os.getppid() != parent or not _alive(pid):
            os._exit(70)


def exit_with_parent(pid: int, interval: float = 0.5, *, kernel: bool = True) -> None:
    """Make this (worker) process end when process ``pid`` (its parent) ends.

    On Linux (``kernel``) ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` lets the kernel kill it at once when its
    parent dies; on every system a daemon thread also polls every ``interval`` seconds whether the parent
    changed or ``pid`` is gone, and exits if so.
    """
    if kernel and sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except Exception:  # pragma: no cover - no libc prctl: the watchdog below still works
            pass
    if not _alive(pid):  # the parent died before the guard was in place
        os._exit(70)
    threading.Thread(target=_watch_parent, args=(pid, interval), name="emboost-parent-watch", daemon=True).start()


# ------------------------------------------------------------------------------------------- running
@dataclass(frozen=True, eq=False)
class RunOutput:
    """The concatenated chunk results ``data`` (every array joined along its first axis, in sample
    order), and how the run went: chunks ``computed`` and ``reused``, ``damaged`` chunks recomputed,
    ``workers`` and ``wall_s`` [s]."""

    data: dict[str, np.ndarray]
    computed: int
    reused: int
    damaged: int
    workers: int
    wall_s: float


_WORKER: tuple[Callable[[Any, Any], dict[str, np.ndarray]], Any] | None = None


def _init_worker(payload: bytes, parent: int | None = None) -> None:
    import pickle

    global _WORKER
    if parent is not None:
        exit_with_parent(parent)
    _WORKER = pickle.loads(payload)


def _process_chunk(samples: Any) -> dict[str, np.ndarray]:
    assert _WORKER is not None, "worker not initialised"
    func, context = _WORKER
    return func(context, samples)


def _dask_chunk(func: Callable[[Any, Any], dict[str, np.ndarray]], context: Any, samples: Any) -> dict[str, np.ndarray]:
    return func(context, samples)


def _dask_guard(pid: int) -> bool:
    exit_with_parent(pid, kernel=False)  # the Dask nanny's helper thread, not this process, started the worker
    return True


#: Seconds to start local worker processes that import emboost (spawn): 2.3-2.5 s measured on a 2-core
#: machine by benchmarks/bench_executor.py; the automatic executor choice weighs chunks against it.
PROCESS_START_S = 2.5


def parallel_pays(chunk_seconds: float, chunks_left: int, workers: int,
                  start_seconds: float | None = None) -> bool:
    """Whether spreading ``chunks_left`` chunks of ``chunk_seconds`` each over ``workers`` new processes
    finishes sooner than running them here: ``start + T / min(workers, chunks) < T`` with ``T`` the serial time
    and ``start`` [s] :data:`PROCESS_START_S` unless given.

    >>> parallel_pays(0.05, 7, 2)     # 0.35 s of work: the processes would not even have started
    False
    >>> parallel_pays(2.0, 7, 2)      # 14 s of work: 2.5 + 7 s in parallel
    True
    """
    if chunks_left < 1 or workers < 2:
        return False
    start = PROCESS_START_S if start_seconds is None else start_seconds
    serial = chunk_seconds * chunks_left
    return start + serial / min(workers, chunks_left) < serial


def run_chunks(func: Callable[[Any, Any], dict[str, np.ndarray]], context: Any, samples: Any, n: int, *,
               seed: Any, chunk_size: int = 25, run_key: str | None = None, workers: int | None = None,
               scheduler: str | None = None, checkpoint: str | os.PathLike[str] | None = None,
               settings: dict[str, Any] | None = None, fresh: bool = False, on_mismatch: Mismatch = "error",
               quiet: bool = True, label: str = "run", unit: str = "samples",
               on_chunk: Callable[[int], None] | None = None, warn: Callable[[str], None] | None = None,
               stream: Any = None) -> RunOutput:
    """Evaluate ``func(context, samples[a:b])`` over the chunks of ``n`` samples and join the results.

    ``func`` must be a pure, picklable (module-level) function returning a dict of arrays whose first
    axis runs over the chunk's samples; ``samples`` is anything with ``slice(a, b)`` or ``[a:b]`` holding
    the pre-drawn random inputs of ``seed``. ``workers``: local processes (1 runs in this process); default
    automatic: the first chunk runs here and is timed, and the rest go to as many processes as CPUs only when
    that beats their start-up (:func:`parallel_pays`), so short runs stay serial. Results do not depend on it.
    ``scheduler``: a Dask scheduler address or ``"local"``. ``checkpoint``: folder for
    finished chunks, with ``settings`` for its manifest (default: seed, chunk size and run key), ``fresh``
    to discard an old checkpoint, ``on_mismatch`` for chunks of another run (see :class:`Checkpoint`).
    ``on_chunk(index)`` is called after each chunk is stored (tests use it to stop a run); warnings go
    to ``warn`` (default: a line on stderr unless ``quiet``).
    """
    t_start = time.perf_counter()
    if n < 1:
        raise InputError(f"the number of samples must be >= 1, got {n}", key="samples")
    chunks = chunk_bounds(n, chunk_size)
    warn = warn if warn is not None else _default_warn(quiet, stream)
    results: dict[int, dict[str, np.ndarray]] = {}
    store = None
    if checkpoint is not None:
        key = run_key if run_key is not None else ""
        manifest = settings if settings is not None else {"seed": _jsonable_seed(seed), "chunk_size": chunk_size,
                                                          "run_key": key}
        store = Checkpoint(checkpoint, manifest, fresh=fresh, seed=seed, run_key=key, on_mismatch=on_mismatch,
                           warn=warn)
        for ch in chunks:
            got = store.load(ch)
            if got is not None:
                results[ch.index] = got
    todo = [ch for ch in chunks if ch.index not in results]
    progress = Progress(n, label, quiet, stream=stream, unit=unit)
    progress.update(sum(ch.size for ch in chunks if ch.index in results), force=True)
    by_index = {ch.index: ch for ch in chunks}

    def finish(c: int, data: dict[str, np.ndarray]) -> None:
        results[c] = data
        if store is not None:
            store.save(by_index[c], data)
        progress.update(by_index[c].size)
        if on_chunk is not None:
            on_chunk(c)

    n_workers = max(1, int(workers if workers is not None else (os.cpu_count() or 1)))
    try:
        if todo and scheduler:
            _run_dask(func, context, samples, todo, scheduler, n_workers, finish)
        elif todo and n_workers > 1 and len(todo) > 1:
            if workers is None:  # automatic: measure one chunk here, then spawn only if it pays
                t_chunk = time.perf_counter()
                finish(todo[0].index, func(context, _take(samples, todo[0].start, todo[0].stop)))
                todo_rest = todo[1:]
                if not parallel_pays(time.perf_counter() - t_chunk, len(todo_rest), n_workers):
                    n_workers = 1
            else:
                todo_rest = todo
            if n_workers > 1:
                _run_processes(func, context, samples, todo_rest, min(n_workers, len(todo_rest)), finish)
            else:
                for ch in todo_rest:
                    finish(ch.index, func(context, _take(samples, ch.start, ch.stop)))
        else:
            for ch in todo:
                finish(ch.index, func(context, _take(samples, ch.start, ch.stop)))
    finally:
        progress.close()
    parts = [results[ch.index] for ch in chunks]
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return RunOutput(data=data, computed=len(todo), reused=len(chunks) - len(todo),
                     damaged=0 if store is None else store.damaged, workers=n_workers,
                     wall_s=time.perf_counter() - t_start)


def _run_processes(func: Callable[[Any, Any], dict[str, np.ndarray]], context: Any, samples: Any,
                   todo: list[Chunk], workers: int, finish: Callable[[int, dict[str, np.ndarray]], None]) -> None:
    import multiprocessing
    import pickle
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    payload = pickle.dumps((func, context))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(payload, os.getpid())) as pool:
        pending = {pool.submit(_process_chunk, _take(samples, ch.start, ch.stop)): ch.index for ch in todo}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    c = pending.pop(fut)
                    finish(c, fut.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(func: Callable[[Any, Any], dict[str, np.ndarray]], context: Any, samples: Any, todo: list[Chunk],
              scheduler: Any, workers: int, finish: Callable[[int, dict[str, np.ndarray]], None]) -> None:
    from emboost.core.dask_cluster import chunk_timeout, connect

    client, cluster, owned = connect(scheduler, workers)
    if cluster is not None:
        client.run(_dask_guard, os.getpid())  # the local workers end with this process
    from dask.distributed import TimeoutError as DaskTimeoutError
    from dask.distributed import wait

    try:
        shared = client.scatter(context, broadcast=True)
        futures = {client.submit(_dask_chunk, func, shared, _take(samples, ch.start, ch.stop), pure=False): ch.index
                   for ch in todo}
        pending = set(futures)
        limit = chunk_timeout()
        try:
            while pending:
                try:
                    done, pending = wait(pending, timeout=limit, return_when="FIRST_COMPLETED")
                except (TimeoutError, DaskTimeoutError):
                    raise InputError(f"no Monte-Carlo chunk finished on the Dask cluster within {limit:g} s "
                                     f"({len(pending)} chunks pending): are its workers alive? (set "
                                     "EMBOOST_DASK_CHUNK_TIMEOUT to wait longer)") from None
                for fut in done:
                    finish(futures[fut], fut.result())
        except BaseException:
            client.cancel(list(futures))
            raise
    finally:
        if owned:
            client.close()
        if cluster is not None:
            cluster.close()
