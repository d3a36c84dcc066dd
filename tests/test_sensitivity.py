"""Sensitivity formula against physics.md §2.2 worked numbers, and its scalings."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.core.axion import GEV_PER_CM3, g_dfsz_gev, mass_to_frequency
from emboost.core.errors import InputError
from emboost.reach.sensitivity import booster_coupling_reach, cavity_coupling_reach, combine_runs, qcd_lines

A = np.pi * 0.1**2
BASE = dict(t_sys=300.0, area=A, b_field=1.6, f=19.2e9, time=3 * 86400.0, snr=1.0,
            rho=0.3 * GEV_PER_CM3, linewidth=19.2e9 / 6.8e5)


def test_worked_values_of_physics_md():
    # three significant figures are printed there: 1e-2 relative
    assert booster_coupling_reach(1000.0, **BASE) == pytest.approx(1.40e-11, rel=1e-2)
    assert booster_coupling_reach(2000.0, **BASE) == pytest.approx(9.9e-12, rel=1e-2)
    design = booster_coupling_reach(5e4, 8.0, 1.0, 10.0, 24e9, 2 * 86400.0, snr=5.0, rho=0.3 * GEV_PER_CM3,
                                    linewidth=24e9 / 6.8e5)
    assert design == pytest.approx(2.7e-14, rel=2e-2)
    assert g_dfsz_gev(24e9 * 4.135667696e-15) == pytest.approx(1.5e-14, rel=5e-2)


def test_scalings():
    g0 = booster_coupling_reach(1000.0, **BASE)
    assert booster_coupling_reach(4000.0, **BASE) == pytest.approx(g0 / 2)           # beta^-1 (beta^2 x4)
    assert booster_coupling_reach(1000.0, **{**BASE, "b_field": 3.2}) == pytest.approx(g0 / 2)   # B^-1
    assert booster_coupling_reach(1000.0, **{**BASE, "t_sys": 1200.0}) == pytest.approx(g0 * 2)  # T^1/2
    assert booster_coupling_reach(1000.0, **{**BASE, "time": 16 * BASE["time"]}) == pytest.approx(g0 / 2)  # dt^-1/4
    assert booster_coupling_reach(1000.0, **{**BASE, "snr": 4.0}) == pytest.approx(g0 * 2)       # SNR^1/2


def test_runs_combine_as_inverse_fourth_powers():
    g = booster_coupling_reach(1000.0, **BASE)
    # two identical runs are one run of twice the time
    assert combine_runs(g, g) == pytest.approx(booster_coupling_reach(1000.0, **{**BASE, "time": 2 * BASE["time"]}))
    assert combine_runs(g) == pytest.approx(g)
    with pytest.raises(InputError):
        combine_runs()


def test_arrays_broadcast_and_bad_input_is_named():
    f = np.linspace(18e9, 19e9, 5)
    g = booster_coupling_reach(np.full(5, 1000.0), 300.0, A, 1.6, f, 86400.0)
    assert g.shape == (5,) and np.all(np.diff(g) > 0)  # g grows with f at fixed beta^2 (m_a in the formula)
    with pytest.raises(InputError, match="boost_factor"):
        booster_coupling_reach(-1.0, **BASE)
    lines = qcd_lines(mass_to_frequency(np.array([1e-6])))
    assert lines["KSVZ"][0] > lines["DFSZ"][0]


def test_cavity_reach_reproduces_the_cast_rades_scale():
    # CAST-RADES-like: V = 2.8e-5 m^3, C = 0.62, Q_L = 11300, beta = 0.5, T = 7.8 K, 8.8 T, 103 h;
    # the Dicke estimate at SNR ~ 2 lands near the published 4e-13 GeV^-1 (within a factor 2)
    g = cavity_coupling_reach(2.8e-5, 0.62, 11300, 0.5, 7.8, 8.8, 8.384e9, 103 * 3600.0, snr=2.0,
                              linewidth=4577.0 * 3)
    assert 2e-13 < g < 8e-13
