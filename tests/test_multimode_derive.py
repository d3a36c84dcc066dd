"""The optional [booster3d] section of a campaign recipe: parsing, the 3-D tolerance band written by
``emboost derive`` (summary, CSV, figure, report section, verdict) and the default (no section: nothing changes)."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from emboost.core.errors import RecipeError
from emboost.core.setupfile import Table
from emboost.jobs.derive import derive, load_campaign
from emboost.jobs.derive_multimode import booster3d_section

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "fits" / "cb200_campaign.toml"
CAMPAIGN = ROOT / "examples" / "campaign_cb200"


def _section(**keys):
    return booster3d_section(Table({"booster3d": keys}, path="recipe.toml", error=RecipeError))


def test_section_parsing_and_bad_input():
    s = _section(mirror_tilt="0.1 deg", disk_bulge="5 um", samples=30, seed=4, points=11, kc_max=300.0)
    assert s.mirror_tilt == pytest.approx(math.radians(0.1)) and s.disk_bulge == pytest.approx(5e-6)
    assert (s.disk_tilt, s.samples, s.seed, s.points, s.kc_max) == (0.0, 30, 4, 11, 300.0)
    assert booster3d_section(Table({}, path="recipe.toml", error=RecipeError)) is None
    assert load_campaign(RECIPE).booster3d is None  # the bundled campaign: option off, output unchanged
    with pytest.raises(RecipeError, match="at least one tolerance"):
        _section(samples=10)
    with pytest.raises(RecipeError, match="disk_tilt"):
        _section(disk_tilt="-1 deg")
    with pytest.raises(RecipeError, match="mirror_tilts"):
        _section(mirror_tilt="0.1 deg", mirror_tilts="0.1 deg")
    assert _section(mirror_tilt="0.1 deg", disk_radius="17 mm").disk_radius == pytest.approx(0.017)
    with pytest.raises(RecipeError, match="flat faces"):
        _section(disk_bulge="1 um", disk_radius="17 mm")


@pytest.mark.slow
def test_derive_writes_the_3d_band(tmp_path):
    """The whole derive job (about 40 s: its own Monte-Carlo of 50 samples) plus a 12-sample 3-D band."""
    (tmp_path / "fits").mkdir()
    shutil.copytree(CAMPAIGN, tmp_path / "examples" / "campaign_cb200",
                    ignore=shutil.ignore_patterns("raw*.csv", "__pycache__"))
    recipe = tmp_path / "fits" / RECIPE.name
    recipe.write_text(RECIPE.read_text() + '\n[booster3d]\nmirror_tilt = "0.3 deg"\nsamples = 12\nseed = 3\n'
                      "points = 31\nfield_shape = true\n")
    res = derive(recipe, tmp_path / "out", samples=50, workers=1)
    assert res.status == 0
    b3 = res.summary["booster3d"]
    assert b3["ok"] and b3["checks"]["flat_multimode_equals_1d"] < 1e-6
    pk = b3["peak"]
    assert pk["q05"] <= pk["mean"] <= pk["q95"] and 0 < pk["relative_std"] < 0.2
    assert pk["mean"] < pk["nominal"]  # a random tilt can only spoil the perfect booster's peak on average
    doc = json.loads((res.out / "results.json").read_text())
    assert doc["summary"]["booster3d"]["samples"] == 12
    rows = [r for r in csv.reader((res.out / "booster3d.csv").open()) if r and not r[0].startswith("#")]
    assert rows[0][:4] == ["frequency_Hz", "nominal_3d", "mean", "std"] and len(rows) == 32
    nominal = np.array([float(r[1]) for r in rows[1:]])
    assert nominal.max() == pytest.approx(pk["nominal"])
    assert (res.out / "booster3d.png").stat().st_size > 10_000
    html = (res.out / "report.html").read_text()
    assert "3-D tolerance band (multi-mode solver)" in html
    # field_shape = true: the band's field-shape sigma is the 3-D band's relative spread, not the assumed 0.1
    fs = b3["field_shape_sigma"]
    assert fs["band_uses_3d"] and fs["used"] == pytest.approx(pk["relative_std"], rel=1e-12)
    assert fs["assumed_in_recipe"] == 0.1 and "3-D tolerance Monte-Carlo" in fs["source"]
    budget = doc["summary"]["uncertainty_budget_at_peak"]["field_shape_sigma"]
    assert budget["value"] == pytest.approx(pk["relative_std"], rel=1e-12) and "3-D" in budget["source"]
