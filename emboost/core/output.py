"""Writing results: atomic files, output folders that never silently overwrite, and provenance.

Every file is written to a temporary name in the target folder and renamed into place, so a run
that is interrupted leaves either the old file or the new one, never half of one.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(d / "a.txt", "hello")
>>> (d / "a.txt").read_text()
'hello'
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import InputError

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
]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
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
    from emboost import __version__

    versions = {"emboost": __version__, "python": platform.python_version()}
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


def prepare_output_dir(path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False) -> Path:
    """Create the output folder; refuse to reuse a non-empty one unless told to.

    ``overwrite``: files in it may be replaced; ``resume``: the caller continues an earlier run there.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("output path exists and is not a folder", path=path)
    if path.exists() and any(path.iterdir()) and not (overwrite or resume):
        raise InputError("output folder is not empty; choose a new folder or pass --overwrite "
                         "(earlier results are never replaced silently)", path=path)
    path.mkdir(parents=True, exist_ok=True)
    return path
