"""The coax pickup's transmission-line model against the stored NGSolve FEM reference.

Reads validation/dmradio_coax/*.csv only (regenerate with validation/dmradio_coax/generate.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from emboost.core.setupfile import read_toml
from emboost.pickup.coax import CoaxPickup, CopperModel, TablePickup, Tuning, read_complex_table, tune
from emboost.pickup.scanrate import occupation

pytestmark = pytest.mark.validation


@pytest.fixture(scope="module")
def ref(root):
    d = root / "validation" / "dmradio_coax"
    meta = read_toml(d / "meta.toml")
    g = meta["geometry"]
    pick = {hollow: CoaxPickup(g["length_m"], g["r_inner_m"], g["r_outer_m"], hollow=hollow,
                               copper=CopperModel("room_temperature", conductivity=g["wall_conductivity_s_per_m"]))
            for hollow in (False, True)}
    return d, meta, pick


def _away(pick, f, margin=0.03):
    """Frequencies at least ``margin`` (relative) away from every internal (n c / 4l) resonance."""
    f4 = pick.quarter_wave_frequency
    n = np.round(f / f4)
    return np.abs(f / (np.maximum(n, 1) * f4) - 1) > margin


def test_meta_and_refinement(ref):
    _, meta, _ = ref
    assert meta["solver"]["name"] == "NGSolve"
    # the stored data changed by less than 1e-6 under p- and h-refinement
    assert meta["refinement_check"]["max_rel_change_z"] < 1e-6
    assert meta["refinement_check"]["max_rel_change_v"] < 1e-6


def test_impedance_tl_vs_fem(ref):
    d, _, pick = ref
    f, z_fem = read_complex_table(d / "impedance.csv", "re_z_ohm", "im_z_ohm")
    assert f.size >= 40 and f[0] <= 5e6 and f[-1] >= 200e6
    z_tl = pick[False].impedance(f)
    ok = _away(pick[False], f)
    err = np.abs(z_fem - z_tl) / np.abs(z_tl)
    assert ok.sum() >= 40
    assert err[ok].max() < 0.02  # requirement; measured 6.7e-4 (surface reactance not in the TL)
    # the loss: Re Z within 2 % away from resonances (standing-wave weighted R' plus plate)
    rerr = np.abs(z_fem.real - z_tl.real) / np.abs(z_tl.real)
    assert rerr[ok].max() < 0.02


def test_voltage_tl_vs_fem(ref):
    d, _, pick = ref
    for hollow, col in ((False, "solid"), (True, "hollow")):
        f, v_fem = read_complex_table(d / "voltage.csv", f"re_v_{col}", f"im_v_{col}")
        v_tl = pick[hollow].voltage(f, 1.0)
        ok = _away(pick[hollow], f)
        err = np.abs(v_fem - v_tl) / np.abs(v_tl)
        assert err[ok].max() < 0.10  # requirement; measured 6.8e-4


def test_rlc_from_fem_table_vs_dense_fem(ref):
    d, _, pick = ref
    fd, zd = read_complex_table(d / "dense_30mhz.csv", "re_z_ohm", "im_z_ohm")
    # Laurent RLC from the cubic spline of every other dense FEM point (0.2 % spacing), checked on all
    t = tune(TablePickup(fd[::2], zd[::2]), [30e6], Tuning())
    # sensitivity bandwidth (half width where the noise doubles, thermal limit): (nu/2Q) 3.46 n_eff/eta
    n_eff = occupation(30e6, 0.02) + 0.5
    bw = 30e6 / (2 * float(t.q[0])) * 3.46 * n_eff / 20.0
    assert bw < 30e6 * 0.01  # the dense FEM sweep (+-1 %) covers it many times over
    err = np.abs(t.pickup.impedance(fd) - zd) / np.abs(zd)
    assert err.max() < 0.01  # requirement, here over +-1 % (>> bandwidth); measured 5.4e-4
    # the RLC agrees with the TL model's own Laurent RLC (independent route): L to 1e-3
    assert float(t.l_eff[0]) == pytest.approx(float(tune(pick[False], [30e6], Tuning()).l_eff[0]), rel=1e-3)


def test_coarse_table_spline_across_pole_is_poor(ref):
    """Documented limitation: a 3.75 MHz table spanning the c/4l pole gives a spline slope off by ~6 %
    at 30 MHz; tables for the RLC extraction must be dense near f0 (or avoid the poles)."""
    d, _, pick = ref
    f, z = read_complex_table(d / "impedance.csv", "re_z_ohm", "im_z_ohm")
    l_coarse = float(tune(TablePickup(f, z), [30e6], Tuning()).l_eff[0])
    l_model = float(tune(pick[False], [30e6], Tuning()).l_eff[0])
    assert 0.02 < abs(l_coarse / l_model - 1) < 0.2


def test_shared_comparisons_pass(root):
    """The same checks as registered for `emboost validate` (emboost.jobs.validate), same tolerances."""
    from emboost.jobs.validate import compare, format_table

    rows = compare("dmradio_coax", root / "validation")
    assert {r.quantity: r.tolerance for r in rows} == {"impedance": 0.02, "impedance_real_part": 0.02,
                                                        "voltage_solid": 0.10, "voltage_hollow": 0.10}
    assert all(r.passed for r in rows), format_table(rows)
