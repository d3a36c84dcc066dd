"""Conductor model of the pickup walls (emboost.pickup.conductor): Bloch-Grueneisen + Matthiessen resistivity,
Kohler magnetoresistance, Reuter-Sondheimer anomalous skin effect."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.core.constants import mu0
from emboost.core.errors import InputError
from emboost.pickup.conductor import Conductor, ase_ratio, bloch_gruneisen, kohler


def test_bloch_gruneisen_limits():
    theta = 343.0
    # high T: (T/theta)^5 J5(theta/T) -> T / (4 theta) (J5(x) -> x^4/4); corrections ~ (theta/T)^2
    assert float(bloch_gruneisen(3e4, theta)) == pytest.approx(3e4 / (4 * theta), rel=1e-4)
    # low T: J5(inf) = 5! zeta(5) = 124.43
    assert float(bloch_gruneisen(3.0, theta)) == pytest.approx(124.4313 * (3.0 / theta) ** 5, rel=1e-4)


def test_resistivity_from_rrr_and_temperature():
    cu = Conductor(rrr=100, temperature=293.0, b_field=0.0)
    assert cu.resistivity() == pytest.approx(1 / 5.8e7, rel=1e-12)              # the room-temperature anchor
    cold = Conductor(rrr=100, temperature=4.2, b_field=0.0)
    assert cold.resistivity() / cu.resistivity() == pytest.approx(1 / 100, rel=1e-4)   # RRR (phonons < 1e-4)
    # the mean free path of copper at 273 K is about 39 nm (rho l = 6.6e-16 ohm m^2, rho = 1.7e-8 ohm m)
    assert cu.mean_free_path() == pytest.approx(6.6e-16 * 5.8e7, rel=1e-12)


def test_kohler_vanishes_at_zero_field_and_scales():
    assert kohler(0.0, 100.0, 9.1e-4, 1.16) == 0.0
    cu = Conductor(rrr=100, temperature=0.02, b_field=0.0, kohler_coefficient=9.1e-4, kohler_exponent=1.16)
    assert cu.magnetoresistance() == 0.0 and cu.magnetoresistance(0.0) == 0.0
    # Kohler: d rho / rho depends on B / rho_0 only: double RRR at half the field gives the same
    a = Conductor(rrr=50, temperature=0.02, b_field=4.0, kohler_coefficient=9.1e-4, kohler_exponent=1.16)
    b = Conductor(rrr=100, temperature=0.02, b_field=2.0, kohler_coefficient=9.1e-4, kohler_exponent=1.16)
    assert a.magnetoresistance() == pytest.approx(b.magnetoresistance(), rel=1e-9)


def test_ase_reduces_to_the_classical_skin_effect_at_short_mean_free_path():
    # room temperature: l = 38 nm << delta = 12 um at 30 MHz: Z_s -> (1 + j) sqrt(w mu0 rho / 2)
    cu = Conductor(rrr=100, temperature=293.0, b_field=0.0)
    f = np.array([5e6, 30e6, 200e6])
    classical = np.sqrt(np.pi * f * mu0 * cu.resistivity())
    z = cu.surface_impedance(f)
    # first-order non-local corrections: ~ alpha = l / delta <= 0.008 here (X a little more than R)
    assert np.allclose(z.real, classical, rtol=1e-3) and np.allclose(z.imag, classical, rtol=5e-3)
    assert np.allclose(cu.improvement(f), 1.0, rtol=2e-3)
    for refl in ("diffuse", "specular"):
        assert abs(complex(ase_ratio(1e-4, refl)) - 1) < 1e-4


def test_extreme_anomalous_limit():
    # l >> delta: Z ~ alpha^(1/3) Z_classical (R_s independent of the purity), diffuse = 9/8 specular
    r1, r2 = ase_ratio(1e5), ase_ratio(1e6)
    assert float(r2.real / r1.real) == pytest.approx(10 ** (1 / 3), rel=5e-3)
    assert float((ase_ratio(1e6) / ase_ratio(1e6, "specular")).real) == pytest.approx(9 / 8, rel=2e-3)
    # Pippard's extreme anomalous surface impedance ~ (1 + j sqrt 3): X/R = sqrt 3
    z = complex(r2) * (1 + 1j)
    assert z.imag / z.real == pytest.approx(np.sqrt(3), rel=1e-2)
    # cold copper: RRR 100 vs 1000 at 30 MHz change R_s by far less than the sqrt(10) of the classical law
    lo = Conductor(rrr=100, temperature=0.02, b_field=0.0).surface_resistance(np.array([30e6]))
    hi = Conductor(rrr=1000, temperature=0.02, b_field=0.0).surface_resistance(np.array([30e6]))
    assert 1.0 < float(lo[0] / hi[0]) < 1.6


def test_roughness_raises_the_loss_at_most_twofold():
    smooth = Conductor(rrr=100, temperature=0.02, b_field=0.0)
    rough = Conductor(rrr=100, temperature=0.02, b_field=0.0, roughness=1e-3)
    f = np.array([30e6])
    assert (rough.surface_resistance(f) / smooth.surface_resistance(f))[0] == pytest.approx(2.0, rel=1e-3)


def test_bad_conductor_inputs():
    with pytest.raises(InputError, match="rrr"):
        Conductor(rrr=0.5, temperature=0.02, b_field=0.0)
    with pytest.raises(InputError, match="reflection"):
        Conductor(rrr=100, temperature=0.02, b_field=0.0, reflection="mirror")


def test_model_file_conductor_rows(root, tmp_path):
    from emboost.core.errors import SetupFileError
    from emboost.pickup.setup import live_time_table, load_pickup_model
    m = load_pickup_model(root / "models" / "dmradio_m3.toml")
    assert m.conductor is not None and m.conductor.rrr == 100 and m.conductor.b_field == m.setup.b_field
    assert m.conductor.rho_l == pytest.approx(38.3e-9 / 5.8e7, rel=1e-12)
    rows = live_time_table(m)
    phys = [r for r in rows if r["copper"].startswith("physical")]
    assert len(phys) == len(m.bands)
    # the Kohler magnetoresistance at 4 T costs live time: the same conductor at B = 0 scans faster
    import dataclasses
    m0 = dataclasses.replace(m, conductor=dataclasses.replace(m.conductor, b_field=0.0))
    t0 = [r["years"] for r in live_time_table(m0) if r["copper"].startswith("physical")]
    assert all(a < b for a, b in zip(t0, (r["years"] for r in phys)))
    text = (root / "models" / "dmradio_m3.toml").read_text().replace('reflection = "diffuse"', 'reflection = "mirror"')
    p = tmp_path / "m.toml"
    p.write_text(text)
    with pytest.raises(SetupFileError, match=r"conductor\.reflection"):
        load_pickup_model(p)
