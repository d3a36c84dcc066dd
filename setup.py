"""Build hook: ship the stored references (``validation/``) and the model files (``models/``) inside the wheel.

The repository keeps one copy of each at its top level; when a wheel is built, their files are copied to
``emboost/data/validation`` and ``emboost/data/models`` of the built package, where
:func:`emboost.jobs.validate.data_root` finds them with :mod:`importlib.resources`. An editable install or a
source checkout reads the top-level folders instead. Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: top-level folder -> folder inside the package
PACKAGE_DATA_DIRS = {"validation": "emboost/data/validation", "models": "emboost/data/models"}
SKIP = {"__pycache__", ".ipynb_checkpoints"}


def data_files(src: Path) -> list[Path]:
    """Every file under ``src`` that goes into the wheel (relative paths; caches and compiled files left out)."""
    return sorted(p.relative_to(src) for p in src.rglob("*")
                  if p.is_file() and not SKIP & set(p.parts) and p.suffix not in (".pyc", ".pyo"))


class BuildWithData(build_py):
    """``build_py`` that also copies the top-level data folders into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders
        for src, dst in PACKAGE_DATA_DIRS.items():
            root = HERE / src
            if not root.is_dir():
                continue
            for rel in data_files(root):
                target = Path(self.build_lib) / dst / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / rel, target)


setup(cmdclass={"build_py": BuildWithData})
