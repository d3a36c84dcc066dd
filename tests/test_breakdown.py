"""emboost / paper live-time ratio of DMRadio-m3 broken into factors (emboost.pickup.breakdown)."""

from __future__ import annotations

import pytest

from emboost.pickup.breakdown import ratio_breakdown
from emboost.pickup.setup import load_pickup_model


@pytest.fixture(scope="module")
def rows(root):
    return ratio_breakdown(load_pickup_model(root / "models" / "dmradio_m3.toml"))


def test_factors_multiply_to_the_ratio(rows):
    assert [r["band"] for r in rows] == ["DFSZ 30-200 MHz", "KSVZ 10-30 MHz", "constant g 5-30 MHz"]
    for r in rows:
        f = {x["name"]: x for x in r["factors"]}
        product = f["scan_plan"]["factor"] * f["eta"]["factor"] * r["remaining"]
        assert product == pytest.approx(r["ratio"], rel=1e-12)
        assert r["ratio"] == pytest.approx(r["years"] / r["paper_years"], rel=1e-12)
        # the automatic rule takes the fastest coax: no plan beats it; Table 2 eta is below the constants
        assert f["scan_plan"]["factor"] >= 1 - 1e-3 and f["eta"]["factor"] > 1
        # every factor names its source or says it is assumed
        assert all(x["source"] for x in r["factors"])
        assert r["remaining"] > 1 and "remains" in r["remaining_note"]


def test_scaled_copper_speedup_is_the_papers(rows):
    # the one copper comparison the paper prints: baseline / scaled years; emboost's within 10 %
    for r in rows:
        cq = next(x for x in r["factors"] if x["name"] == "copper_q")
        assert cq["scaled_speedup_emboost"] == pytest.approx(cq["scaled_speedup_paper"], rel=0.1)
