"""Writing results: atomic files, output folders that never silently overwrite or mix runs, and provenance.

Every file is written to a temporary name in the target folder and renamed into place, so a run
that is interrupted leaves either the old file or the new one, never half of one. An operating-system
error while writing (read-only folder, a parent that is a regular file, a full disk) becomes a one-line
:class:`OutputError` naming the file.

Output folders (:func:`prepare_output_dir`) are locked for the job using them (``.emboost.lock`` in the
folder, holding the PID), refuse to hold the job's own input files, and with ``overwrite`` move the
earlier run's files aside to the sibling ``<folder>.previous`` so that a folder never mixes two runs.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(d / "a.txt", "hello")
>>> (d / "a.txt").read_text()
'hello'
"""

from __future__ import annotations

import atexit
import csv
import datetime as _dt
import errno
import hashlib
import io
import json
import os
import platform
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import EmboostError, InputError

_UMASK = os.umask(0)
os.umask(_UMASK)

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_write_csv",
    "atomic_savefig",
    "file_sha256",
    "provenance",
    "prepare_output_dir",
    "check_output_apart_from_inputs",
    "finish_output_dir",
    "release_output_dir",
    "OutputError",
    "LOCK_NAME",
    "PREVIOUS_SUFFIX",
]

#: the lock file a job holds in its output folder
LOCK_NAME = ".emboost.lock"
#: the sibling folder ``<output><PREVIOUS_SUFFIX>`` that ``overwrite`` moves an earlier run's files to
PREVIOUS_SUFFIX = ".previous"
#: the note inside such a folder that marks it as made by emboost (so that it may later be removed)
PREVIOUS_NOTE = "EARLIER_RUN.txt"


class OutputError(EmboostError):
    """An output could not be written (permissions, read-only or full file system, a path under a file)."""


def _first_file_parent(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is not a folder, if any."""
    for p in [path, *path.parents]:
        if p.exists() or p.is_symlink():
            return None if p.is_dir() else p
    return None


def _output_error(exc: OSError, path: Path, what: str = "cannot write") -> OutputError:
    """A one-line :class:`OutputError` for an OS error met while writing ``path``."""
    code = exc.errno
    if code in (errno.ENOTDIR, errno.EEXIST) and (blocker := _first_file_parent(path)) is not None:
        reason = f"{blocker} is a regular file, not a folder"
    elif code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        reason = "no space left on the device (disk full or quota exceeded)"
    elif code == errno.EROFS:
        reason = "the file system is read-only"
    elif code in (errno.EACCES, errno.EPERM):
        reason = "permission denied (the folder is not writable)"
    else:
        reason = exc.strerror or str(exc) or type(exc).__name__
    return OutputError(f"{path}: {what}: {reason}")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _output_error(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            try:
                os.unlink(tmp)
            except OSError:  # pragma: no cover - nothing more can be done
                pass
        if isinstance(exc, OSError):
            raise _output_error(exc, path) from None
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write text (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if np.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, complex):
        return {"re": obj.real, "im": obj.imag}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON (numpy arrays and scalars converted; NaN/inf become null)."""
    atomic_write_text(path, json.dumps(_jsonable(obj), indent=2, sort_keys=False) + "\n")


def atomic_write_csv(path: str | os.PathLike[str], columns: Mapping[str, Sequence[float]],
                     comments: Iterable[str] = ()) -> None:
    """Write equal-length columns as CSV, with ``# ``-prefixed comment lines first."""
    names = list(columns)
    arrays = [np.asarray(columns[n]) for n in names]
    n = {a.shape[0] for a in arrays}
    if len(n) != 1:
        raise ValueError(f"columns have different lengths: {dict(zip(names, (a.shape for a in arrays)))}")
    buf = io.StringIO()
    for line in comments:
        buf.write(f"# {line}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for row in zip(*arrays):
        w.writerow([repr(float(v)) if np.isrealobj(v) else repr(complex(v)) for v in row])
    atomic_write_text(path, buf.getvalue())


def atomic_savefig(fig: Any, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Save a matplotlib figure atomically (format from the suffix)."""
    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".") or "png", **kwargs)
    atomic_write_bytes(path, buf.getvalue())


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def provenance(inputs: Iterable[str | os.PathLike[str]] = (), **extra: Any) -> dict[str, Any]:
    """What a result was made from: emboost and dependency versions, input hashes, time, command."""
    from emboost.core.version import __version__, code_revision

    versions = {"emboost": __version__, "emboost_revision": code_revision(), "python": platform.python_version()}
    for mod in ("numpy", "scipy", "skrf", "lmfit", "matplotlib"):
        m = sys.modules.get(mod)
        if m is None:
            try:
                m = __import__(mod)
            except Exception:  # pragma: no cover - optional
                continue
        versions[mod] = getattr(m, "__version__", "unknown")
    return {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "versions": versions,
        "inputs": {str(p): file_sha256(p) for p in inputs},
        **extra,
    }


# ----------------------------------------------------------------------------------------- locking
try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows: the PID check alone
    _fcntl = None  # type: ignore[assignment]

#: locks this process holds: resolved folder -> (file descriptor or -1, lock path, PID of the holder)
_HELD: dict[str, tuple[int, Path, int]] = {}


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    try:  # a zombie (dead, not yet reaped) holds nothing
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _read_holder(lock: Path) -> dict[str, Any]:
    try:
        doc = json.loads(lock.read_text())
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def _holder_text() -> bytes:
    doc = {"pid": os.getpid(), "host": socket.gethostname(),
           "since": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "command": " ".join(sys.argv)}
    return (json.dumps(doc) + "\n").encode()


def _try_flock(fd: int) -> bool | None:
    """Take an exclusive ``flock`` without waiting: True taken, False held elsewhere, None unsupported."""
    if _fcntl is None:  # pragma: no cover
        return None
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        return None  # e.g. ENOLCK, EOPNOTSUPP: fall back to the PID check
    return True


def _in_use(lock: Path, folder: Path) -> InputError:
    h = _read_holder(lock)
    who = f"PID {h.get('pid', '?')}" + (f" on {h['host']}" if h.get("host") not in (None, socket.gethostname())
                                       else "")
    return InputError(f"output folder {folder} is in use by another emboost job ({who} holds this lock); wait "
                      "for it to end or choose another --output", path=lock)


def _lock_folder(folder: Path) -> bool:
    """Take the lock of ``folder`` for this process; False if this process already held it."""
    key = str(folder.resolve())
    lock = folder / LOCK_NAME
    held = _HELD.get(key)
    if held is not None:
        fd, path, pid = held
        try:
            same = pid == os.getpid() and (fd < 0 or os.fstat(fd).st_ino == os.stat(path).st_ino)
        except OSError:
            same = False
        if same:
            return False
        _drop(key, unlink=False)
    for _ in range(10):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
        except OSError as exc:
            raise _output_error(exc, lock, "cannot create the lock of the output folder") from None
        got = _try_flock(fd)
        if got is False:
            os.close(fd)
            raise _in_use(lock, folder)
        if got is None:  # no flock here: the recorded PID decides
            os.close(fd)
            fd = -1
            h = _read_holder(lock)
            other = h.get("pid")
            if (isinstance(other, int) and other != os.getpid() and h.get("host", socket.gethostname()) ==
                    socket.gethostname() and _pid_alive(other)):
                raise _in_use(lock, folder)
            atomic_write_bytes(lock, _holder_text())
            _HELD[key] = (fd, lock, os.getpid())
            return True
        try:
            linked = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            linked = False
        if not linked:  # the file was removed by its previous holder meanwhile: try again
            os.close(fd)
            continue
        try:
            os.ftruncate(fd, 0)
            os.write(fd, _holder_text())
        except OSError as exc:
            os.close(fd)
            raise _output_error(exc, lock, "cannot write the lock of the output folder") from None
        _HELD[key] = (fd, lock, os.getpid())
        return True
    raise InputError("the lock of the output folder keeps changing; is another job starting there?",
                     path=lock)  # pragma: no cover


def _drop(key: str, unlink: bool = True) -> None:
    fd, lock, pid = _HELD.pop(key)
    if unlink and pid == os.getpid():  # a forked child never removes its parent's lock
        try:
            lock.unlink()
        except OSError:
            pass
    if fd >= 0:
        try:
            os.close(fd)
        except OSError:  # pragma: no cover
            pass


def release_output_dir(path: str | os.PathLike[str]) -> None:
    """Give up this process's lock on the output folder ``path`` (nothing if it holds none).

    Locks are also released when the process ends, however it ends (``flock`` locks die with their
    process; a lock file left by a killed job names a dead PID and is taken over by the next job).
    """
    key = str(Path(path).resolve())
    if key in _HELD:
        _drop(key)


@atexit.register
def _release_all() -> None:
    for key in list(_HELD):
        _drop(key)


# ------------------------------------------------------------------------------------- output folders
def check_output_apart_from_inputs(out: str | os.PathLike[str],
                                   inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse an output folder that equals or contains one of the job's input files.

    Raises :class:`~emboost.core.errors.InputError` naming the input (a job could otherwise overwrite,
    or with ``--overwrite`` move aside, its own inputs).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_apart_from_inputs(d / "out", [d / "model.toml"])   # a sibling is fine
    >>> check_output_apart_from_inputs(d, [d / "model.toml"])
    Traceback (most recent call last):
    ...
    emboost.core.errors.InputError: ...: the output folder contains this input file; choose an --output outside ...
    """
    o = Path(out).resolve()
    for p in inputs:
        q = Path(p).resolve()
        if q == o:
            raise InputError("the output folder is this input file; choose another --output", path=p)
        if o in q.parents:
            raise InputError(f"the output folder contains this input file; choose an --output outside {o}",
                             path=p)


def _move_aside(folder: Path, entries: list[Path]) -> Path:
    """Move ``entries`` of ``folder`` into the sibling ``<folder>.previous`` (replacing an older one made
    by emboost) and return it."""
    base = folder.resolve()
    prev = base.with_name(base.name + PREVIOUS_SUFFIX)
    if prev.exists() or prev.is_symlink():
        if not (prev.is_dir() and (prev / PREVIOUS_NOTE).is_file()):
            raise InputError(f"--overwrite moves the earlier results of {folder} here, but this path exists and "
                             "was not made by emboost; move it away first", path=prev)
        try:
            shutil.rmtree(prev)
        except OSError as exc:
            raise _output_error(exc, prev, "cannot remove the results of an older run") from None
    try:
        prev.mkdir()
        atomic_write_text(prev / PREVIOUS_NOTE,
                          f"The results that were in {base} before a run with --overwrite started there at "
                          f"{_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')} (PID {os.getpid()}).\n"
                          "emboost removes this folder when that run finishes, or replaces it at the next "
                          "--overwrite.\n")
        for e in entries:
            os.rename(e, prev / e.name)
    except OSError as exc:
        raise _output_error(exc, prev, "cannot move the earlier results aside") from None
    return prev


def prepare_output_dir(path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False,
                       inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Create and lock the output folder; refuse to reuse a non-empty one unless told to.

    - **Lock**: the folder is locked for this process (``<folder>/.emboost.lock``, an exclusive ``flock``
      plus the holder's PID and host) until :func:`finish_output_dir` / :func:`release_output_dir` or the
      end of the process. A second job on the same folder is refused with an
      :class:`~emboost.core.errors.InputError` naming the lock and the PID holding it; the lock of a job
      that died (its PID is gone) is taken over. The same process may prepare a folder it holds again.
    - **Inputs**: a folder that equals or contains one of ``inputs`` is refused
      (:func:`check_output_apart_from_inputs`).
    - **Not empty**: refused unless ``resume`` (the caller continues an earlier run there and keeps its
      files) or ``overwrite``.
    - **overwrite**: the earlier run's files are first *moved* into the sibling folder
      ``<folder>.previous`` (an older one made by emboost is replaced; any other path there is refused),
      so the folder then holds only files of the new run: if the new run fails, its partial outputs are
      never mixed with the earlier ones, which remain whole in ``<folder>.previous``. A job calls
      :func:`finish_output_dir` after success to remove ``<folder>.previous``; otherwise it stays until the
      next ``overwrite``.

    OS errors (read-only folder, ``path`` under a regular file) become one-line :class:`OutputError`.
    """
    path = Path(path)
    inputs = list(inputs)
    if inputs:
        check_output_apart_from_inputs(path, inputs)
    if path.exists() and not path.is_dir():
        raise InputError("output path exists and is not a folder", path=path)
    existed = path.exists()
    if existed and not (overwrite or resume) and any(p.name != LOCK_NAME for p in path.iterdir()):
        try:  # name a running job rather than only the files it is writing
            if _lock_folder(path):
                release_output_dir(path)
        except OutputError:
            pass
        raise InputError("output folder is not empty; choose a new folder or pass --overwrite "
                         "(earlier results are never replaced silently)", path=path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(exc, path, "cannot create the output folder") from None
    new_lock = _lock_folder(path)
    try:
        entries = [p for p in path.iterdir() if p.name != LOCK_NAME]
        if entries and not (overwrite or resume):  # filled meanwhile
            raise InputError("output folder is not empty; choose a new folder or pass --overwrite "
                             "(earlier results are never replaced silently)", path=path)
        if entries and overwrite and not resume:
            _move_aside(path, entries)
    except BaseException:
        if new_lock:
            release_output_dir(path)
        raise
    return path


def finish_output_dir(path: str | os.PathLike[str]) -> None:
    """After a successful run: remove ``<path>.previous`` (the earlier results ``overwrite`` moved
    aside, if emboost made it) and release the folder's lock."""
    base = Path(path).resolve()
    prev = base.with_name(base.name + PREVIOUS_SUFFIX)
    if prev.is_dir() and (prev / PREVIOUS_NOTE).is_file():
        try:
            shutil.rmtree(prev)
        except OSError as exc:
            raise _output_error(exc, prev, "cannot remove the results of the earlier run") from None
    release_output_dir(path)
