"""Units, output files, axion physics, materials, RLC extraction and the conventions, pinned."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from emboost.booster.model import Booster
from emboost.core import axion as axion
from emboost.core.constants import GEV_PER_CM3, GeV, k_B
from emboost.core.conventions import complex_permittivity
from emboost.core.errors import InputError, PhysicsError, UnitError
from emboost.core.output import atomic_write_csv, atomic_write_json, atomic_write_text, prepare_output_dir, provenance
from emboost.core.units import parse_quantity
from emboost.rf.materials import anomalous_factor, surface_resistance
from emboost.rf.media import PlaneWave
from emboost.rf.network import abcd_to_s
from emboost.rf.rlc import SeriesRLC, series_rlc_from_derivative, series_rlc_from_samples

# ---------------------------------------------------------------- units


@pytest.mark.parametrize("entry,dim,si", [
    ({"value": 1, "unit": "mm"}, "length", 1e-3), ("18.5 GHz", "frequency", 18.5e9),
    ({"value": 0.3, "unit": "GeV/cm3"}, "energy_density", 0.3 * GEV_PER_CM3),
    ({"value": 1e-12, "unit": "GeV^-1"}, "coupling", 1e-12 / GeV), ({"value": 20, "unit": "mK"}, "temperature", 0.02),
    ({"values": [1, 2], "unit": "cm"}, "length", np.array([0.01, 0.02])),
])
def test_units_parse_to_si(entry, dim, si):
    assert np.allclose(parse_quantity(entry, dim), si, rtol=1e-15)


@pytest.mark.parametrize("entry,fragment", [
    (1.0, "missing unit"), ({"value": 1.0}, "missing unit"), ({"value": 1, "unit": "Hz"}, "expected a length"),
    ({"value": "x", "unit": "m"}, "expected a number"), ({"value": 1, "values": [1], "unit": "m"}, "exactly one"),
    ({"value": float("nan"), "unit": "m"}, "finite"), ("mm", "'<number> <unit>'"), ({"value": 1, "unit": "m", "x": 1},
                                                                                    "unknown field"),
])
def test_units_reject_bad_entries_with_the_key(entry, fragment):
    with pytest.raises(UnitError) as exc:
        parse_quantity(entry, "length", path="f.toml", key="a.b")
    assert fragment in str(exc.value) and "f.toml" in str(exc.value) and "'a.b'" in str(exc.value)


@pytest.mark.parametrize("text,dim,si", [
    ("2.5 \u03bcm", "length", 2.5e-6), ("2.5 \u00b5m", "length", 2.5e-6), ("2.5\u03bcm", "length", 2.5e-6),
    ("18.5GHz", "frequency", 18.5e9), ("  -3e2mm ", "length", -0.3), (".5 cm", "length", 5e-3),
    ("1_000 Hz", "frequency", 1e3), ("3 \uff27\uff28z", "frequency", 3e9), ("2 \u2126", "resistance", 2.0),
    ("7 k\u03a9", "resistance", 7e3), ("1 T^2  m^4", "helioscope_fom", 1.0),
])
def test_units_spellings_normalise(text, dim, si):
    """Greek mu and the micro sign, full-width letters and the ohm sign (NFKC), no space before the unit."""
    assert parse_quantity(text, dim) == pytest.approx(si, rel=1e-15)


@pytest.mark.parametrize("entry,fragment", [
    ("1e306 km", "overflows"), ({"value": 10**400, "unit": "m"}, "expected a finite number"),
    ({"values": [1.0, 1e308], "unit": "km"}, "overflows"), ("inf m", "finite"), ("nan mm", "finite"),
    ("2.5 \u03bcparsec", "(one of: m, cm, mm, um, \u00b5m, nm"), ("3 s", "is a time, expected a length"),
])
def test_units_reject_overflow_and_list_the_units(entry, fragment):
    with pytest.raises(UnitError) as exc:
        parse_quantity(entry, "length", path="f.toml", key="a.b")
    msg = str(exc.value)
    assert fragment in msg and msg.startswith("f.toml: key 'a.b': ") and "\n" not in msg


# ---------------------------------------------------------------- output


def test_atomic_writes_leave_no_temporary_files(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "x")
    atomic_write_json(tmp_path / "b.json", {"a": np.arange(3), "b": np.float64(np.nan), "c": 1 + 2j})
    atomic_write_csv(tmp_path / "c.csv", {"f": [1.0, 2.0], "y": [3.0, 4.0]}, comments=["synthetic"])
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.json", "c.csv"]
    assert json.loads((tmp_path / "b.json").read_text()) == {"a": [0, 1, 2], "b": None, "c": {"re": 1.0, "im": 2.0}}
    assert (tmp_path / "c.csv").read_text().splitlines() == ["# synthetic", "f,y", "1.0,3.0", "2.0,4.0"]
    with pytest.raises(ValueError):
        atomic_write_csv(tmp_path / "d.csv", {"f": [1.0], "y": [1.0, 2.0]})
    assert not (tmp_path / "d.csv").exists()


def test_an_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "r.txt"
    atomic_write_text(target, "old")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["r.txt"]


def test_output_folders_and_provenance(tmp_path):
    d = prepare_output_dir(tmp_path / "run")
    (d / "x").write_text("1")
    with pytest.raises(InputError, match="not empty"):
        prepare_output_dir(d)
    assert prepare_output_dir(d, overwrite=True) == d
    (d / "x").write_text("1")  # --overwrite moved the earlier x to run.previous/ (tests/test_output_safety.py)
    p = provenance([d / "x"])
    assert p["inputs"][str(d / "x")] == "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
    assert {"emboost", "numpy", "scipy", "skrf", "lmfit"} <= set(p["versions"])


# ---------------------------------------------------------------- axion physics (physics.md §1, §6)


def test_axion_conversions_and_benchmarks():
    assert axion.mass_to_frequency(34.67e-6) == pytest.approx(8.38317e9, rel=1e-6)
    assert axion.mass_to_frequency(1e-6) == pytest.approx(241.7989e6, rel=1e-6)
    assert axion.frequency_to_mass(axion.mass_to_frequency(7e-6)) == pytest.approx(7e-6, rel=1e-14)
    assert axion.g_ksvz_gev(1.0) == pytest.approx(3.9265e-10, rel=1e-4)
    assert axion.g_dfsz_gev(1.0) == pytest.approx(1.5156e-10, rel=1e-4)
    assert axion.g_ksvz_gev(34.67e-6) == pytest.approx(1.361e-14, rel=1e-3)
    g = axion.g_qcd_gev(100e-6, c_ag=1.0) / GeV
    f = axion.mass_to_frequency(100e-6)
    assert axion.mirror_power_per_area(g, 10.0, 0.3 * GEV_PER_CM3, f) == pytest.approx(2.290e-27, rel=1e-3)
    e0 = axion.mirror_field_amplitude(1e-12 / GeV, 1.6, 0.3 * GEV_PER_CM3, axion.mass_to_frequency(78.6e-6))
    assert e0 == pytest.approx(1.3103e-11, rel=1e-3)
    assert axion.axion_current_density(1e-15 / GeV, 4.0, 0.45 * GEV_PER_CM3) == pytest.approx(4.242e-14, rel=1e-3)
    # P0/A = |E0|^2 / (2 Z0): no further factor 1/2
    from emboost.core.constants import Z0
    assert axion.mirror_power_per_area(1e-12 / GeV, 1.6, 0.3 * GEV_PER_CM3, 19e9) == pytest.approx(
        axion.mirror_field_amplitude(1e-12 / GeV, 1.6, 0.3 * GEV_PER_CM3, 19e9) ** 2 / (2 * Z0), rel=1e-12)
    # Sikivie ADMX-2018 benchmark: 2.1e-23 W within 5 %
    m = axion.frequency_to_mass(740e6)
    p = axion.sikivie_power(axion.g_qcd_gev(m, c_ag=0.72) / GeV, 0.45 * GEV_PER_CM3, 6.8, 0.136, 0.4, 3e4, 1e9, 740e6)
    assert p == pytest.approx(2.1e-23, rel=0.05)


def test_standard_halo_lineshape():
    fa = 8.384e9
    x = np.linspace(fa, fa + 2e5, 400001)
    assert np.trapezoid(axion.shm_lineshape(x, fa), x) == pytest.approx(1.0, abs=1e-6)
    assert np.all(axion.shm_lineshape(np.array([fa - 1.0, fa]), fa) == 0)
    assert axion.shm_q_eff(fa) == pytest.approx(6.78e5, rel=2e-3)
    assert axion.shm_q_eff(fa, v_lab=220e3) == pytest.approx(7.07e5, rel=2e-3)
    k = axion.shm_bin_fractions(fa, 4577.0, 6)
    assert np.allclose(k[:4], [0.466, 0.340, 0.135, 0.043], atol=1.5e-3)
    assert k.sum() == pytest.approx(0.999, abs=2e-4)
    assert np.sum(axion.shm_bin_fractions(fa, 4577.0, 40) ** 2) == pytest.approx(0.353, abs=1e-3)
    mean = np.trapezoid((x - fa) * axion.shm_lineshape(x, fa), x)
    v2 = axion.V_RMS_SHM**2 + axion.V_LAB_DEFAULT**2
    assert mean == pytest.approx(fa * v2 / (2 * 299792458.0**2), rel=1e-4)


# ---------------------------------------------------------------- materials


def test_copper_factor_and_surface_resistance():
    f = np.array([5e6, 10e6, 30e6, 100e6, 200e6])
    assert np.allclose(anomalous_factor(f), [13.82, 12.31, 10.25, 8.39, 7.47], atol=6e-3)
    assert np.allclose(anomalous_factor(f[[0, 2, 3]], magnetoresistance=0.2), [11.06, 8.20, 6.71], atol=6e-3)
    assert surface_resistance(2.85e9, 5.8e7) == pytest.approx(13.93e-3, rel=1e-3)
    assert surface_resistance(8.384e9, 5.8e7) == pytest.approx(23.9e-3, rel=1e-2)


# ---------------------------------------------------------------- series RLC (physics.md §4.2, §6 item 13)


def test_rlc_reproduces_x_and_slope_exactly_for_a_shorted_coax():
    from emboost.rf.media import Coax

    cx = Coax(0.20, 0.45)
    ell, f0 = 1.68, 30e6
    w0 = 2 * np.pi * f0
    zc, beta = float(cx.characteristic_impedance), w0 / 299792458.0
    x = zc * np.tan(beta * ell)
    dx = zc * ell / 299792458.0 / np.cos(beta * ell) ** 2
    rlc = series_rlc_from_derivative(f0, 1j * x, dx)
    assert x == pytest.approx(86.016, rel=1e-4)
    assert rlc.inductance == pytest.approx(7.9077e-7, rel=1e-4)
    assert rlc.capacitance == pytest.approx(8.4155e-11, rel=1e-4)
    assert rlc.impedance(f0).imag == pytest.approx(x, rel=1e-12)
    h = 1e-3 * w0
    slope = (rlc.impedance((w0 + h) / 2 / np.pi).imag - rlc.impedance((w0 - h) / 2 / np.pi).imag) / (2 * h)
    assert slope == pytest.approx(dx, rel=1e-6)


def test_rlc_refused_near_an_internal_resonance_and_outside_the_table():
    with pytest.raises(PhysicsError, match="Foster"):
        series_rlc_from_derivative(1e6, 1j * 10.0, 1e-7)  # X' = 1e-7 < |X|/w = 1.6e-6
    f = np.linspace(1e6, 2e6, 11)
    with pytest.raises(InputError, match="outside"):
        series_rlc_from_samples(f, SeriesRLC(1.0, 1e-6, 1e-9).impedance(f), 3e6)
    a, b = SeriesRLC(1.0, 1e-6, 1e-9), SeriesRLC(2.0, 2e-6, 2e-9)
    s = a.in_series(b)
    assert np.allclose(s.impedance(f), a.impedance(f) + b.impedance(f))
    assert a.quality_factor == pytest.approx(np.sqrt(1e-6 / 1e-9) / 1.0)


# ---------------------------------------------------------------- conventions


def test_conventions_are_pinned():
    # exp(+jwt): eps = eps'(1 - j tan d); a lossy layer attenuates
    assert complex_permittivity(9.4, 1e-3).imag < 0
    f = np.array([10e9])
    g = PlaneWave(9.4, 1e-3).gamma(f)[0]
    assert g.real > 0 and g.imag > 0
    lossy = abcd_to_s(PlaneWave(9.4, 1e-3).line(f, 0.01), PlaneWave(9.4).impedance(f))[0, 1, 0]
    assert abs(lossy) < 1
    g0 = PlaneWave(9.4).gamma(f)[0]
    s21 = abcd_to_s(PlaneWave(9.4).line(f, 0.01), PlaneWave(9.4).impedance(f))[0, 1, 0]
    assert s21 == pytest.approx(np.exp(-g0 * 0.01), rel=1e-12)  # forward wave exp(-j beta z): phase lags
    # boost factor normalised to a bare perfect mirror; group delay positive for a delay line
    assert Booster.bare_mirror().boost_factor(f)[0] == 1.0
    r = Booster.bare_mirror(output_length=0.15).response(np.linspace(9e9, 11e9, 11))
    assert np.allclose(r.group_delay, 2 * 0.15 / 299792458.0)
    # one-sided Johnson noise 4kTR
    assert 4 * k_B * 290 * 50 == pytest.approx(8.0e-19, rel=1e-2)
