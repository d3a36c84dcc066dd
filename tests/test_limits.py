"""Published limits as curves (emboost.reach.limits) and their drawing on the reach figure."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.core.errors import DataFileError
from emboost.reach.limits import load_limit


@pytest.fixture(scope="module")
def limits(root):
    folder = root / "models" / "limits"
    return {p.stem: load_limit(p) for p in sorted(folder.glob("*.csv"))}


def test_madmax_curve_keeps_the_published_minima_and_edges(limits):
    lim = limits["madmax_cb200_2024"]
    assert lim["label"] == "MADMAX CB200" and lim["status"].startswith("APPROXIMATE")
    assert "2409.11777" in lim["source"]
    (m1, g1), (m2, g2) = lim["curves"]
    # the windows 76.56-76.82 and 79.31-79.53 ueV (PRL 135 041001)
    assert (m1[0] * 1e6, m1[-1] * 1e6, m2[0] * 1e6, m2[-1] * 1e6) == pytest.approx((76.56, 76.82, 79.31, 79.53))
    assert g1.min() == pytest.approx(2.22e-11, rel=1e-3) and g2.min() == pytest.approx(2.35e-11, rel=1e-3)
    for g in (g1, g2):
        assert g[0] == pytest.approx(6e-11, rel=1e-3) and g[-1] == pytest.approx(6e-11, rel=1e-3)
        assert np.argmin(g) == g.size // 2          # minimum at the window centre (assumed symmetric shape)


def test_cast_rades_curve(limits):
    lim = limits["cast_rades_2021"]
    (m, g), = lim["curves"]
    assert (m[0] * 1e6, m[-1] * 1e6) == pytest.approx((34.6738, 34.6771))
    assert g.min() == pytest.approx(4e-13, rel=1e-6) and np.all(g >= 4e-13 * (1 - 1e-9))
    assert "2104.13798" in lim["source"]


def test_bad_limit_file_names_the_line(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("# label: x\n# source: y\n# status: z\nsegment,mass_ueV,g_gev\n0,1,1e-12\n0,0.5,1e-12\n")
    with pytest.raises(DataFileError, match=r"l.csv:6"):
        load_limit(p)
    p.write_text("# label: x\nsegment,mass_ueV,g_gev\n0,1,1e-12\n0,2,1e-12\n")
    with pytest.raises(DataFileError, match="source"):
        load_limit(p)


def test_reach_figure_draws_curves_not_bars(limits):
    import matplotlib
    matplotlib.use("Agg", force=False)
    from emboost.report.plots_reach import reach_figure
    fig = reach_figure([], "limits", list(limits.values()))
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("published")]
    assert {ln.get_label() for ln in lines} == {"published CAST-RADES 2021 (approximate shape)",
                                                 "published MADMAX CB200 (approximate shape)"}
    madmax = next(ln for ln in lines if "MADMAX" in ln.get_label())
    y = np.asarray(madmax.get_ydata())
    assert y.size == 25 and y.max() / y.min() > 2      # a curve, not a flat bar
    assert not any(ln.get_marker() == "*" for ln in ax.get_lines())
