"""emboost.report.plots: figures are returned, drawn into the caller's axes, and no backend is chosen.

The data here are SYNTHETIC arrays (simple closed forms written below) except the reach figure, which
uses the shipped BabyIAXO scenario; the tests check what is drawn, not physics.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from emboost.core.errors import InputError
from emboost.report import plots

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "emboost"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    env.update(extra)
    return env


def _run(code: str, **env: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=_env(**env), cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


# ------------------------------------------------------------------------------------ no backend choice
def test_importing_every_module_and_plotting_leave_the_backend_alone(tmp_path):
    out = _run(f"""
        import importlib, pkgutil, sys, warnings
        import matplotlib
        matplotlib.use("svg")
        import numpy as np
        import emboost
        warnings.simplefilter("ignore", DeprecationWarning)
        names = [m.name for m in pkgutil.walk_packages(emboost.__path__, "emboost.")
                 if not m.name.endswith("__main__")]
        for name in names:
            importlib.import_module(name)
        assert matplotlib.get_backend() == "svg", ("after import", matplotlib.get_backend())
        assert "matplotlib.pyplot" not in sys.modules, "an emboost module imported matplotlib.pyplot"
        from emboost.report.plots import band_png, booster_response_png, overlay_figure, save_figure
        f = np.linspace(1e9, 2e9, 9)
        booster_response_png({str(tmp_path / "b.png")!r}, f, f / 1e9, -f / 1e9, np.zeros(9))
        q = np.array([0.025, 0.16, 0.84, 0.975])
        band_png({str(tmp_path / "m.png")!r}, f, {{"mean": np.ones(9), "quantiles": np.outer(q, np.ones(9))}}, q)
        save_figure(overlay_figure(f, f, f), {str(tmp_path / "o.pdf")!r})
        assert matplotlib.get_backend() == "svg", ("after plotting", matplotlib.get_backend())
        assert "matplotlib.pyplot" not in sys.modules, "plotting imported matplotlib.pyplot"
        print(len(names))
    """)
    assert int(out) > 40  # the walk really went through the package
    for name in ("b.png", "m.png", "o.pdf"):
        assert (tmp_path / name).stat().st_size > 1000


def test_only_the_command_line_selects_agg_and_it_respects_mplbackend():
    code = """
        import matplotlib
        from emboost.cli import select_backend
        print(select_backend().lower())
    """
    assert _run(code).strip() == "agg"
    assert _run(code, MPLBACKEND="svg").strip() == "svg"


_USE = re.compile(r"matplotlib\s*\.\s*use\s*\(|from\s+matplotlib\s+import\s+[^\n]*\buse\b|\bmpl\s*\.\s*use\s*\(")


@pytest.mark.parametrize("module", sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                                          if p.relative_to(PACKAGE).parts[0] != "cli"))
def test_no_module_outside_the_cli_selects_a_backend(module):
    text = (PACKAGE / module).read_text(encoding="utf-8")
    hits = [text[: m.start()].count("\n") + 1 for m in _USE.finditer(text)]
    assert not hits, f"emboost/{module} selects a matplotlib backend at line(s) {hits}"


def test_the_backend_pattern_finds_a_call():
    assert _USE.search('import matplotlib\n\nmatplotlib.use("Agg")\n')
    assert _USE.search("from matplotlib import rcParams, use\n")
    assert not _USE.search("# matplotlib is used through Figure objects\n")


# ------------------------------------------------------------------------------------ figure functions
F = np.linspace(18e9, 19e9, 21)  # Hz
X = (F - F.mean()) / 1e8  # -5 .. 5
S11 = (X - 0.5j) / (X + 0.5j)  # SYNTHETIC all-pass reflection: |S11| = 1, phase turns by 2 pi
Q_LEVELS = [0.025, 0.16, 0.5, 0.84, 0.975]
STATS = {"mean": 1 + np.exp(-X**2), "quantiles": np.outer(1 + np.array(Q_LEVELS), 1 + np.exp(-X**2))}
Z = np.linspace(0.0, 0.1, 31)  # m
F_PU = np.geomspace(1e6, 1e8, 15)  # Hz


@pytest.fixture(scope="module")
def reach_results():
    from emboost.reach.projections import evaluate, load_scenario

    return [evaluate(h) for h in load_scenario(ROOT / "models" / "reach_babyiaxo.toml").haloscopes]


def _cases(reach_results: list) -> dict[str, tuple[int, str, Callable[..., Figure]]]:
    """name -> (number of panels, "ax" or "axes", function of that keyword returning the figure)."""
    return {
        "booster_response": (3, "axes", lambda **k: plots.booster_response_figure(F, STATS["mean"], 20 * np.log10(
            np.abs(S11)), 1e-9 / (1 + X**2), title="synthetic", **k)),
        "power_delay": (4, "axes", lambda **k: plots.power_delay_figure(F, S11, S11 * 0.99, title="synthetic", **k)),
        "band": (1, "ax", lambda **k: plots.band_figure(F, STATS, Q_LEVELS, STATS["mean"] * 1.01, "synthetic",
                                                   lines={"linear": STATS["mean"]}, **k)),
        "relative_uncertainty": (1, "ax", lambda **k: plots.relative_uncertainty_figure(
            F, {"Monte-Carlo": 0.05 + 0 * X, "linear": 0.04 + 0 * X}, **k)),
        "cavity_fields": (1, "ax", lambda **k: plots.cavity_fields_figure(
            [8.40e9, 8.45e9], [(Z, np.sin(np.pi * Z / 0.1)), (Z, np.cos(np.pi * Z / 0.1))], axion_index=0, **k)),
        "cavity_sparams": (1, "ax", lambda **k: plots.cavity_sparams_figure(
            F, np.stack([np.stack([S11, 0 * S11]), np.stack([0.1 + 0 * S11, S11])]).transpose(2, 0, 1), **k)),
        "pickup_q_leff": (2, "axes", lambda **k: plots.pickup_q_leff_figure(
            [("coax 1", F_PU, 1e5 * F_PU / 1e7, 1e-6 + 0 * F_PU)], **k)),
        "pickup_scan_rate": (1, "ax", lambda **k: plots.pickup_scan_rate_figure(
            [("coax 1", F_PU, F_PU / 1e6 - 9.5)], [(F_PU[:5], F_PU[:5] / 1e6)], **k)),
        "reach": (1, "ax", lambda **k: plots.reach_figure(reach_results, "BabyIAXO", **k)),
        "overlay": (1, "ax", lambda **k: plots.overlay_figure(X, X**2, X**2 + 0.1, xlabel="x", ylabel="y", **k)),
    }


NAMES = ["booster_response", "power_delay", "band", "relative_uncertainty", "cavity_fields", "cavity_sparams",
         "pickup_q_leff", "pickup_scan_rate", "reach", "overlay"]


def _drawn(ax: Axes) -> int:
    return len(ax.lines) + len(ax.collections)


@pytest.mark.parametrize("name", NAMES)
def test_figure_function_returns_a_new_figure(name, reach_results):
    n, _, fn = _cases(reach_results)[name]
    fig = fn()
    assert type(fig) is Figure
    assert len(fig.axes) == n
    assert all(_drawn(a) > 0 for a in fig.axes)


@pytest.mark.parametrize("name", NAMES)
def test_figure_function_draws_into_the_given_axes(name, reach_results):
    n, key, fn = _cases(reach_results)[name]
    host = Figure(figsize=(4, 3 * n))
    given = list(np.atleast_1d(host.subplots(n, 1)))
    extra = host.add_axes((0.0, 0.0, 0.1, 0.1))  # an unrelated panel that must stay empty
    fig = fn(**{key: given[0] if key == "ax" else given})
    assert fig is host
    assert len(host.axes) == n + 1
    assert all(_drawn(a) > 0 for a in given)
    assert _drawn(extra) == 0


def test_axes_in_a_subfigure_return_the_top_figure():
    host = Figure()
    sub = host.subfigures(1, 2, squeeze=False)[0, 1]
    ax = sub.add_subplot()
    assert plots.overlay_figure(X, X, X, ax=ax) is host
    assert plots.figure_of(ax) is host


def test_wrong_number_of_axes_is_an_input_error():
    host = Figure()
    two = list(np.atleast_1d(host.subplots(2, 1)))
    with pytest.raises(InputError, match="3 matplotlib Axes; got 2"):
        plots.booster_response_figure(F, F, F, F, axes=two)
    with pytest.raises(InputError, match="mode frequencies"):
        plots.cavity_fields_figure([1e9, 2e9], [(Z, Z)])


def test_figures_draw_what_they_are_given(reach_results):
    fig = plots.booster_response_figure(F, STATS["mean"], -X**2, 1e-9 / (1 + X**2), title="t")
    ax0, _, ax2 = fig.axes
    np.testing.assert_allclose(np.asarray(ax0.lines[0].get_xdata()), F / 1e9)
    np.testing.assert_allclose(np.asarray(ax2.lines[0].get_ydata()), 1 / (1 + X**2))  # delay in ns
    assert ax0.get_title() == "t" and ax2.get_title() == ""

    fig = plots.power_delay_figure(F, S11, S11 * 0.5)
    resid_db, resid_ns = (np.asarray(fig.axes[k].lines[0].get_ydata()) for k in (1, 3))
    np.testing.assert_allclose(resid_db, 20 * np.log10(2), rtol=1e-12)  # data - model [dB]
    np.testing.assert_allclose(resid_ns, 0, atol=1e-9)  # same phase, same delay

    bands = [c for c in plots.band_figure(F, STATS, Q_LEVELS).axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # 95 % and 68 %
    bands = [c for c in plots.band_figure(F, STATS, [0.16, 0.5, 0.84], log=True).axes[0].collections
             if isinstance(c, PolyCollection)]
    assert len(bands) == 1

    ax = plots.relative_uncertainty_figure(F, {"a": 0.05 + 0 * X}).axes[0]
    np.testing.assert_allclose(np.asarray(ax.lines[0].get_ydata()), 5.0)  # per cent

    ax = plots.pickup_scan_rate_figure([("c", F_PU, F_PU / 1e6 - 9.5)]).axes[0]
    drawn = np.asarray(ax.lines[0].get_ydata())
    assert np.all(drawn > 0) and drawn.size == int(np.sum(F_PU > 9.5e6))

    ax = plots.reach_figure(reach_results, "BabyIAXO").axes[0]
    legend = ax.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:2] == ["KSVZ", "DFSZ"]
    assert sum(lab.startswith("published ") for lab in labels) == 2
    assert sum(any(lab.startswith(r.haloscope.name) for lab in labels) for r in reach_results) == len(reach_results)
    lo, hi = ax.get_xlim()
    assert lo < 34.6 / 2 * 1.0001 and hi > 80.0 * 2 * 0.9999


@pytest.mark.parametrize("suffix, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<?xml")])
def test_save_figure_writes_the_format_of_the_suffix(tmp_path, suffix, magic):
    path = plots.save_figure(plots.overlay_figure(X, X, X), tmp_path / f"o.{suffix}", dpi=50)
    assert path == tmp_path / f"o.{suffix}"
    assert path.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"o.{suffix}"]  # no temporary file left


def test_png_wrappers_write_pngs(tmp_path):
    plots.booster_response_png(tmp_path / "r.png", F, STATS["mean"], -X**2, 1e-9 + 0 * X, title="t")
    plots.power_delay_png(tmp_path / "p.png", F, S11, S11)
    plots.band_png(tmp_path / "b.png", F, STATS, Q_LEVELS)
    plots.relative_uncertainty_png(tmp_path / "u.png", F, {"a": 0.05 + 0 * X})
    for name in ("r.png", "p.png", "b.png", "u.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
