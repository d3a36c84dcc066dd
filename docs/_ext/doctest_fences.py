"""Griffe extension for the API reference: interactive examples (``>>>`` lines and their output) in docstrings
become fenced Python code blocks, so that Markdown shows them as code instead of reading ``[0.5, 2.0]`` as a
link. The docstrings themselves stay plain doctests (run by pytest --doctest-modules)."""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """Wrap every run of doctest lines (a ``>>>`` line, its ``...`` continuations and output up to a blank line)
    in a fenced ``python`` block, keeping its indentation."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out.append(f"{indent}```python")
            out.extend(block)
            out.append(f"{indent}```")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctests of every object's docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
