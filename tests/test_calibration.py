"""Y-factor calibration: textbook cases, (A.1)-(A.11) round trips, uncertainty propagation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emboost.core.constants import k_B
from emboost.core.errors import InputError, PhysicsError
from emboost.noise.calibration import (
    ENRTable,
    calibrate_receiver,
    hot_cold_temperatures,
    noise_figure_from_y,
    savgol_noise,
    y_factor,
    y_factor_temperature,
)
from emboost.noise.spectra import read_spectrum


def test_textbook_y_factor():
    # 15 dB ENR, cold = T0 = 290 K, receiver NF 3.0103 dB (T_e = 290 K): Y = 9750.6/580, F = ENR/(Y-1) = 2
    enr = 10**1.5
    t_hot, t_cold = hot_cold_temperatures(enr, 290.0)
    y = y_factor(290.0, t_hot, t_cold)
    assert float(y) == pytest.approx((290 + enr * 290 + 290) / 580, rel=1e-14)
    assert float(noise_figure_from_y(y, enr)) == pytest.approx(2.0, rel=1e-12)
    # liquid-nitrogen hot/cold: T_hot 300 K, T_cold 77 K, Y = 2 -> T_e = (300 - 154)/1 = 146 K
    assert float(y_factor_temperature(2.0, 300.0, 77.0)) == pytest.approx(146.0, rel=1e-14)
    with pytest.raises(InputError, match="Y-factor must be > 1"):
        y_factor_temperature(0.9, 300.0, 77.0)


def test_attenuator_limits_a3():
    t_on, t_off = hot_cold_temperatures(30.0, 296.0, 1.0)
    assert (float(t_on), float(t_off)) == (296.0 + 30 * 290.0, 296.0)  # L = 1 gives (A.2)
    t_on, t_off = hot_cold_temperatures(0.0, 296.0, 4.0)
    assert float(t_on) == pytest.approx(296.0, rel=1e-14)  # ENR = 0 gives (A.1)
    t_on, _ = hot_cold_temperatures(30.0, 296.0, 4.0)
    assert float(t_on) == pytest.approx(296.0 + 30 * 290.0 / 4, rel=1e-14)  # (A.3)


def synth(f, rng=None, noise=0.0):
    gain = 10 ** ((60 + 3 * np.sin(f / 1e9)) / 10)
    t_rec = 80 + 20 * np.cos(f / 7e8)
    g_rec = 0.2 * np.exp(1j * f / 1e9)
    enr = ENRTable(np.array([10e9, 30e9]), np.array([15.5, 14.5]), sigma_db=0.1)
    t_on, t_off = hot_cold_temperatures(enr.linear(f), 297.0, 10 ** 0.6)
    m = 1 - abs(g_rec) ** 2
    p_on = gain * k_B * 1e5 * (m * t_on + t_rec)
    p_off = gain * k_B * 1e5 * (m * t_off + t_rec)
    if noise:
        p_on = p_on * (1 + noise * rng.standard_normal(f.size))
        p_off = p_off * (1 + noise * rng.standard_normal(f.size))
    return gain, t_rec, g_rec, enr, p_on, p_off


def test_round_trip_exact():
    f = np.linspace(17e9, 21e9, 201)
    gain, t_rec, g_rec, enr, p_on, p_off = synth(f)
    cal = calibrate_receiver(f, p_on, p_off, enr, 297.0, 1e5, attenuation_db=6.0, gamma_rec=g_rec,
                             sigma_p_on=0.0, sigma_p_off=0.0)
    np.testing.assert_allclose(cal.gain, gain, rtol=1e-12)
    np.testing.assert_allclose(cal.t_rec, t_rec, rtol=1e-11)
    # a DUT at 40 K: T_sys = (1 - |G|^2) T_DUT + T_rec (A.8) from c_cal * P_meas (A.11)
    p_dut = gain * k_B * 1e5 * ((1 - abs(g_rec) ** 2) * 40.0 + t_rec)
    t_sys, _ = cal.system_temperature(p_dut)
    np.testing.assert_allclose(t_sys, (1 - abs(g_rec) ** 2) * 40.0 + t_rec, rtol=1e-12)


def test_uncertainty_budget():
    f = np.linspace(17e9, 21e9, 401)
    rng = np.random.default_rng(11)
    gain, t_rec, g_rec, enr, p_on, p_off = synth(f, rng, noise=0.003)
    cal = calibrate_receiver(f, p_on, p_off, enr, 297.0, 1e5, attenuation_db=6.0, attenuation_range_db=(5.8, 6.2),
                             gamma_rec=g_rec, sigma_t_phys=1.0, window=11)
    b = cal.budget
    # c_cal = (1-|G|^2) ENR T0 / (L dP): relative ENR and attenuator contributions are ln(10)/10 sigma_dB
    np.testing.assert_allclose(b["enr"]["c_cal"] / cal.c_cal, np.log(10) / 10 * 0.1, rtol=1e-6)
    np.testing.assert_allclose(b["attenuator"]["c_cal"] / cal.c_cal, np.log(10) / 10 * 0.4 / np.sqrt(12), rtol=1e-6)
    np.testing.assert_allclose(b["t_phys"]["c_cal"], 0.0, atol=1e-12 * cal.c_cal.max())  # T_phys cancels in c_cal
    np.testing.assert_allclose(b["t_phys"]["t_rec"], (1 - abs(g_rec) ** 2) * 1.0, rtol=1e-6)  # dT_rec/dT_phys
    # with spectrum noise only, the recovered T_rec scatters about the truth as the stated sigma says
    pull = (cal.t_rec - t_rec) / np.sqrt(b["p_on"]["t_rec"] ** 2 + b["p_off"]["t_rec"] ** 2)
    assert abs(np.mean(pull)) < 0.25 and 0.8 < np.std(pull) < 1.2  # 401 samples: std of std ~ 0.035


def test_savgol_noise_matches_truth():
    rng = np.random.default_rng(5)
    x = np.linspace(0, 6, 4000)
    y = 100 + 10 * np.sin(x) + rng.normal(0, 0.5, x.size)
    assert savgol_noise(y, 21, 3) == pytest.approx(0.5, rel=0.05)  # 4000 samples: ~1.1 % scatter
    assert savgol_noise(y, 21, 3, unbiased=False) < 0.5 * 0.95  # (4.1) as printed underestimates
    assert savgol_noise(y, 21, 3, robust=True) == pytest.approx(0.5, rel=0.06)


def test_enr_table_and_example_files(root):
    data = root / "examples" / "data"
    enr = ENRTable.from_file(data / "receiver_enr.csv", sigma_db=0.05)
    assert float(enr.at(19e9)) == pytest.approx((15.05 + 14.97) / 2, rel=1e-12)  # linear in frequency
    with pytest.raises(InputError, match="receiver_enr.csv.*outside the ENR table"):
        enr.at(np.array([5e9]))
    s = read_spectrum(data / "receiver_yfactor.csv", columns=["p_on", "p_off"])
    truth = json.loads((data / "receiver_truth.json").read_text())["yfactor"]
    f = s.frequency
    from emboost.rf.touchstone import read_s_parameter

    fl, gl = read_s_parameter(data / "receiver_lna_s11.s1p")
    g = np.interp(f, fl, gl.real) + 1j * np.interp(f, fl, gl.imag)
    cal = calibrate_receiver(f, s.column("p_on"), s.column("p_off"), enr, truth["t_phys_K"], s.resolution_bandwidth,
                             attenuation_db=truth["attenuation_dB"], gamma_rec=g, window=11)
    t_rec = 95 + 10 * np.sin(2 * np.pi * (f - 17e9) / 1.7e9)
    # the synthetic ENR is exact, so only the spectrum-noise part of the budget should match the scatter
    sig = np.hypot(cal.budget["p_on"]["t_rec"], cal.budget["p_off"]["t_rec"])
    pull = (cal.t_rec - t_rec) / sig
    assert np.all(np.abs(pull) < 5) and 0.8 < np.std(pull) < 1.2  # 801 samples
    assert np.all(cal.sigma_t_rec > sig)  # the ENR certificate adds to the total


def test_dead_noise_source_table_is_refused():
    """An ENR table at -40 dB (the table of a dead noise source) with spectra that show a real on/off excess
    gives T_rec < 0 (about -T_cold) if believed; the calibration refuses it, naming the ENR, instead of
    returning a system temperature of millikelvin."""
    f = np.linspace(17e9, 21e9, 201)
    gain, t_rec, g_rec, enr, p_on, p_off = synth(f)
    dead = ENRTable(np.array([10e9, 30e9]), np.array([-40.0, -40.0]), sigma_db=0.1)
    with pytest.raises(PhysicsError, match=r"T_rec = -\d.* K <= 0 .*ENR -40\.00 dB.*dead or disconnected"):
        calibrate_receiver(f, p_on, p_off, dead, 297.0, 1e5, attenuation_db=6.0, gamma_rec=g_rec,
                           sigma_p_on=0.0, sigma_p_off=0.0)


def test_non_finite_calibration_is_refused():
    f = np.linspace(17e9, 21e9, 11)
    p_off = np.full(f.size, 1e-12)
    p_on = p_off * 2
    with pytest.raises(PhysicsError, match="not finite"), np.errstate(all="ignore"):
        calibrate_receiver(f, p_on, p_off, np.full(f.size, np.inf), 297.0, 1e5, sigma_p_on=0.0, sigma_p_off=0.0)
