"""The gallery notebooks (examples/notebooks/*.ipynb) execute without error, each in under 20 s.

Skipped only when the notebook tools (nbclient, nbformat, ipykernel: extra `dev`) are not installed."""

from __future__ import annotations

import os
import time

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = ("booster_boost_and_fit", "resonance_fit", "noise_calibration", "rades_analysis", "dmradio_live_time")
BUDGET_S = 20.0


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, root, monkeypatch):
    folder = root / "examples" / "notebooks"
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"
    # the kernel imports this checkout's emboost and draws off-screen
    monkeypatch.setenv("PYTHONPATH", str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": folder}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError with the cell and its traceback on any failure
    took = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert text.strip(), "the notebook printed nothing"
    assert took < BUDGET_S, f"{name} took {took:.1f} s (budget {BUDGET_S:.0f} s)"


def test_generator_matches_the_notebooks(root):
    """The committed notebooks hold exactly the cells of make_notebooks.py (edit there, then regenerate)."""
    import importlib.util

    path = root / "examples" / "notebooks" / "make_notebooks.py"
    spec = importlib.util.spec_from_file_location("make_notebooks", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name, cells in mod.NOTEBOOKS.items():
        nb = nbformat.read(root / "examples" / "notebooks" / f"{name}.ipynb", as_version=4)
        assert [(("md" if c.cell_type == "markdown" else "code"), c.source) for c in nb.cells] == list(cells)
