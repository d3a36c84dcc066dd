"""Project contracts that run with the tests: layering (import-linter), types (mypy), style (ruff).

Each check fails the suite on a violation; one test also shows that the layering checker does catch a
violation, on a copy of the package with a forbidden import added.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_logo=True, no_cache=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_layering_contract_holds():
    r = _lint_imports(ROOT)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "BROKEN" not in r.stdout


def test_layering_contract_catches_a_violation(tmp_path: Path):
    shutil.copytree(ROOT / "emboost", tmp_path / "emboost", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bad = tmp_path / "emboost" / "core" / "constants.py"
    bad.write_text(bad.read_text() + "\nfrom emboost.jobs import derive  # noqa: E402,F401\n")
    r = _lint_imports(tmp_path)
    assert r.returncode != 0
    assert "emboost.core is not allowed to import emboost.jobs" in r.stdout


def test_types_check_clean():
    mypy_api = pytest.importorskip("mypy.api")
    out, err, status = mypy_api.run(["--config-file", str(ROOT / "pyproject.toml"), str(ROOT / "emboost")])
    assert status == 0, out[-6000:] + err


def test_ruff_clean():
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "emboost", "tests", "benchmarks", "examples",
                        "validation"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr
