"""The documentation site builds with `mkdocs build --strict` (every warning an error): pages, navigation, links
and the API reference generated from the docstrings. Skipped only when MkDocs is not installed (extra `dev`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")


def test_mkdocs_build_strict(root, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=root, env=env, capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - t0
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "WARNING" not in run.stderr, run.stderr[-3000:]
    site = tmp_path / "site"
    # the API reference is generated from the docstrings, doctests rendered as code
    rf = (site / "api" / "rf" / "index.html").read_text()
    assert "as_frequencies" in rf and "pseudo" in rf and "language-python" in rf
    assert (site / "ecosystem" / "index.html").is_file() and (site / "gallery" / "index.html").is_file()
    assert took < 60, f"the docs build took {took:.1f} s (budget 60 s)"


def test_doctest_fences(root):
    sys.path.insert(0, str(root / "docs" / "_ext"))
    try:
        from doctest_fences import fence_doctests
    finally:
        sys.path.pop(0)
    text = "Intro.\n\n    >>> f(1)\n    [0.5, 2.0]\n\nAfter."
    assert fence_doctests(text) == "Intro.\n\n    ```python\n    >>> f(1)\n    [0.5, 2.0]\n    ```\n\nAfter."
