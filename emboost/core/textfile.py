"""Reading an input file's bytes and text with one-line errors naming the file (shared by every reader).

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
>>> _ = p.write_bytes(b"\\xef\\xbb\\xbfa,b\\n")          # a byte-order mark is accepted
>>> decode_utf8(read_bytes(p, "a text table"), p, "a text table")
'a,b\\n'
>>> read_bytes(p.with_name("missing.csv"), "a text table")
Traceback (most recent call last):
...
emboost.core.errors.DataFileError: ...missing.csv: file not found
"""

from __future__ import annotations

import os
from pathlib import Path

from emboost.core.errors import DataFileError, InputError

__all__ = ["read_bytes", "refuse_binary", "decode_utf8"]


def read_bytes(path: str | os.PathLike[str], expected: str, error: type[InputError] = DataFileError,
               prefix: str = "") -> bytes:
    """The file's bytes; a missing file, a folder or an OS error is ``error`` naming the file (``expected``
    says what the file should be; ``prefix`` starts every message)."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise error(f"{prefix}file not found", path=p) from None
    except IsADirectoryError:
        raise error(f"{prefix}is a folder, expected {expected}", path=p) from None
    except OSError as exc:
        raise error(f"{prefix or 'cannot read file: '}{exc.strerror or exc}", path=p) from None


def refuse_binary(raw: bytes, path: str | os.PathLike[str], expected: str,
                  error: type[InputError] = DataFileError) -> None:
    """A NUL byte means a binary file: ``error`` naming the file, the line of the first NUL and ``expected``."""
    if b"\x00" in raw:
        raise error(f"binary file (NUL bytes); expected {expected}", path=Path(path),
                    line=raw[:raw.index(b"\x00")].count(b"\n") + 1)


def decode_utf8(raw: bytes, path: str | os.PathLike[str], expected: str,
                error: type[InputError] = DataFileError) -> str:
    """UTF-8 text (a byte-order mark is accepted); invalid UTF-8 is ``error`` naming the file and the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not a UTF-8 text file; expected {expected}", path=Path(path),
                    line=raw[:exc.start].count(b"\n") + 1) from None
