"""Booster FEM reference with disks smaller than the cylinder (validation/booster_smalldisk): stored data, its
provenance and refinement, and the ``emboost validate`` case.

No FEM runs here: the reference was computed by ``validation/booster_smalldisk/generate.py`` (NGSolve, 2-D
axisymmetric m = 1, exact for this axisymmetric geometry) and stored. The checks: it loads through the generic
reference reader, its provenance is complete, every disk radius has the stated frequencies with finite passive
values and a mesh-refinement change far below the tolerance used against it, and the registered comparison passes
(multi-mode solver without a fit) while documenting that the full-disk model misses the annulus.
"""

from __future__ import annotations

import numpy as np
import pytest

from emboost.jobs.validate import compare, load_reference

CASE = "booster_smalldisk"


@pytest.fixture(scope="module")
def ref(root):
    return load_reference(root / "validation" / CASE)


def test_meta_and_refinement(ref):
    m = ref.meta
    assert m["case"]["name"] == CASE and m["case"]["files"] == ["sweep.csv", "refinement.csv"]
    assert m["case"]["disk_radii_mm"] == [20.0, 17.0, 14.0]
    s = m["solver"]
    assert s["name"] == "NGSolve" and s["element_order"] >= 3 and s["max_pml_reflection"] < 1e-3
    for entry in m["refinement"].values():
        assert entry["levels"] == ["coarse", "nominal", "fine"] and entry["converged_within_1_percent"]
        assert max(entry["max_rel_change_boost_vs_nominal"]) < 1e-3  # 3e-4 at most: far below the 0.5 % tolerance


def test_sweep_is_complete_and_passive(ref):
    t = ref.table("sweep.csv")
    radius = np.real(t["disk_radius_mm"])
    s11 = np.real(t["re_s11"]) + 1j * np.real(t["im_s11"])
    for a in (20.0, 17.0, 14.0):
        assert np.sum(radius == a) == ref.meta["case"]["frequencies"]
    assert np.all(np.isfinite(np.real(t["boost_factor"]))) and np.all(np.abs(s11) <= 1.0)


def test_registered_comparison_passes(root):
    rows = {r.quantity: r for r in compare(CASE, root / "validation")}
    assert rows["boost_factor_multimode_disk_17mm"].max_deviation < 0.005
    assert rows["boost_factor_multimode_disk_14mm"].max_deviation < 0.005
    assert rows["boost_factor_nominal_disk_14mm"].max_deviation > 0.2  # the annulus matters: the test has teeth
    assert rows["boost_factor_nominal_fulldisk"].max_deviation < 2e-3
    assert all(r.passed for r in rows.values())
