"""The stored references and model files ship inside the wheel, and ``emboost validate`` finds them there.

A wheel is built from a copy of the sources (``pip wheel --no-deps``, setup.py copies ``validation/`` and
``models/`` into ``emboost/data/``), its file list is checked against the repository's folders, and it is
unpacked into a fresh folder (``pip install --no-deps --target``) from which ``python -m emboost validate``
runs with no checkout on its path. Building needs the build requirements (setuptools, wheel) from the
package index; where they cannot be had the build test is skipped with the reason, and the lookup test
below still runs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _setup_module():
    spec = importlib.util.spec_from_file_location("emboost_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    import setuptools

    real = setuptools.setup
    setuptools.setup = lambda **kw: None  # load the mapping without running a build
    try:
        spec.loader.exec_module(mod)
    finally:
        setuptools.setup = real
    return mod


def test_lookup_uses_package_data_then_the_checkout(tmp_path, monkeypatch):
    from emboost.jobs import validate

    src = (ROOT / "emboost" / "jobs" / "validate.py").read_text()
    assert "importlib.resources" in src and 'joinpath("data").joinpath(name)' in src
    # from a checkout (no emboost/data/ in the repository: one copy of the data) the top-level folders
    assert not (ROOT / "emboost" / "data").exists()
    assert validate.default_root() == ROOT / "validation"
    assert validate.data_root("models") == ROOT / "models"
    with pytest.raises(Exception, match="unknown data folder"):
        validate.data_root("nothing")


def test_setup_maps_every_reference_and_model_file():
    mod = _setup_module()
    assert mod.PACKAGE_DATA_DIRS == {"validation": "emboost/data/validation", "models": "emboost/data/models"}
    files = mod.data_files(ROOT / "validation")
    for case in ("booster_ideal", "booster_nonplanar", "booster_tilt", "booster_tiltdisk", "dmradio_coax",
                 "rades_5cavity"):
        assert Path(case) / "meta.toml" in files
    assert Path("cb200_config1.toml") in mod.data_files(ROOT / "models")
    assert not any("__pycache__" in p.parts for p in files)


@pytest.mark.slow
def test_wheel_ships_the_references_and_validate_finds_them(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("emboost", "validation", "models"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)],
                           capture_output=True, text=True, env=env, timeout=300)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here (build requirements unavailable?): {build.stderr.strip()[-300:]}")
    (whl,) = wheels.glob("emboost-*.whl")
    names = set(zipfile.ZipFile(whl).namelist())
    mod = _setup_module()
    for top, inside in mod.PACKAGE_DATA_DIRS.items():
        for rel in mod.data_files(ROOT / top):
            assert f"{inside}/{rel.as_posix()}" in names, f"{top}/{rel} is not in the wheel"
    site = tmp_path / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(whl)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert inst.returncode == 0, inst.stderr
    # run from an empty folder with only the installed wheel on the path (the dependencies from this Python)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env_run = env | {"PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    code = ("import emboost, emboost.jobs.validate as v; r = v.default_root(); "
            "found = [n for n in v.CASES if (r / n).is_dir()]; [v.load_reference(r / n) for n in found]; "
            "print(emboost.__file__); print(r); print(','.join(found))")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env_run, cwd=work,
                           timeout=120)
    assert probe.returncode == 0, probe.stderr
    where, root, found = probe.stdout.split()
    assert Path(where).is_relative_to(site) and Path(root) == site / "emboost" / "data" / "validation"
    from emboost.jobs.validate import CASES

    assert found.split(",") == [n for n in CASES if (ROOT / "validation" / n).is_dir()]
