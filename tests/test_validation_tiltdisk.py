"""Booster FEM reference with disk 1 tilted (validation/booster_tiltdisk): stored data vs meta.toml.

No FEM runs here: the reference was computed once by ``validation/booster_fem.py tiltdisk`` (NGSolve, 3-D half
model) and stored. The checks: it loads through the generic reference reader, its provenance is complete, the
sweep has the stated frequencies with finite passive values, and the tilt changes the boost factor by more than
the FEM's own uncertainty (so the reference carries information beyond the flat 1-D model).
"""

from __future__ import annotations

import numpy as np
import pytest

from emboost.booster.model import Booster
from emboost.jobs.validate import booster_model, load_reference

CASE = "booster_tiltdisk"


@pytest.fixture(scope="module")
def ref(root):
    return load_reference(root / "validation" / CASE)


@pytest.fixture(scope="module")
def sweep(ref):
    t = ref.table("sweep.csv")
    f = np.real(t["f_hz"])
    bf = np.real(t["boost_factor"])
    s11 = np.real(t["re_s11"]) + 1j * np.real(t["im_s11"])
    return np.real(t["tilt_deg"]), f, bf, s11


def flat_1d(f: np.ndarray) -> np.ndarray:
    """Boost factor of the flat 1-D model with the reference's nominal geometry (stated here, not read)."""
    b = Booster.from_disks(np.full(3, 9.75e-3), np.full(3, 1e-3), np.full(3, 9.4), np.full(3, 5e-4), radius=20e-3,
                           output_length=10e-3, source="eps_eff")
    return b.response(f).boost_factor


def test_meta_complete(ref):
    m = ref.meta
    assert m["case"]["name"] == CASE and m["case"]["tilted_surface"] == "disk1"
    assert m["case"]["files"] == ["sweep.csv", "refinement.csv"]
    assert m["geometry"]["tilted_disk"] == 1 and "centre" in m["geometry"]["disk_tilt"]
    s = m["solver"]
    assert s["name"] == "NGSolve" and s["version"] == "6.2.2608"
    assert s["element_order"] >= 2 and s["maxh_air_m"] > s["maxh_disk_m"] > 0
    assert s["ndof"] > 100_000 and s["seconds_per_frequency"] > 0 and s["max_pml_reflection"] < 0.05
    r = m["refinement"]
    assert r["levels"] == ["coarse", "nominal"] and r["tilt_deg"] == 2.0
    assert r["ndof"][0] < r["ndof"][1] == s["ndof"]
    assert 19.0e9 in r["frequencies_hz"]  # the peak of the booster mode is among the checked frequencies
    assert r["converged_within_1_percent"] is True
    assert 0 < r["max_rel_change_boost_vs_nominal"][0] < 0.01
    cmd = m["run"]["command"]
    assert "booster_fem.py tiltdisk --tilt-deg 2 --freqs 11" in cmd
    assert f"refine --of tiltdisk --tilt-deg 2 --level coarse --freqs {len(r['frequencies_hz'])}" in cmd
    assert cmd.endswith("booster_fem.py finalize")


def test_sweep_as_stated(ref, sweep):
    tilt, f, bf, s11 = sweep
    m = ref.meta["case"]
    assert m["tilts_deg"] == [2.0] and np.all(tilt == 2.0)
    assert f.size == sum(m["frequencies_per_tilt"]) == 11
    assert f[0] == m["f_start_hz"] == 18.5e9 and f[-1] == m["f_stop_hz"] == 19.5e9
    np.testing.assert_allclose(np.diff(f), 0.1e9)
    assert np.all(np.isfinite(bf)) and np.all(np.isfinite(s11))
    assert np.all(bf > 0)
    assert np.all(np.abs(s11) <= 1 + 1e-3)  # passive


def test_geometry_gives_the_flat_model(ref, sweep):
    # the nominal geometry in meta.toml is the flat booster that the 1-D comparison starts from
    f = sweep[1]
    np.testing.assert_allclose(booster_model(ref).response(f).boost_factor, flat_1d(f), rtol=1e-12)


def test_tilt_changes_boost_beyond_fem_uncertainty(root, ref, sweep):
    _, f, bf, _ = sweep
    flat = flat_1d(f)
    change = float(np.max(np.abs(bf - flat)) / np.max(flat))
    # uncertainty 1: the mesh refinement check of this reference
    refinement = max(ref.meta["refinement"]["max_rel_change_boost_vs_nominal"])
    assert change > 3 * refinement
    # uncertainty 2: the same 3-D model and mesh without any tilt (booster_tilt at 0 deg) vs the 1-D model
    t = load_reference(root / "validation" / "booster_tilt").table("sweep.csv")
    untilted = np.real(t["tilt_deg"]) == 0.0
    f0, b0 = np.real(t["f_hz"])[untilted], np.real(t["boost_factor"])[untilted]
    flat0 = flat_1d(f0)
    model_error = float(np.max(np.abs(b0 - flat0)) / np.max(flat0))
    assert f0.size >= 3 and change > 3 * model_error
