"""Media against physics.md §2.3 values and Pozar's formulas; evanescent sections stay finite."""

from __future__ import annotations

import numpy as np
import pytest
import skrf
from skrf.media import CircularWaveguide, RectangularWaveguide

from emboost.core.constants import ETA_A_TE11, P11_PRIME, c
from emboost.rf.media import CUTOFF_RELATIVE_MARGIN, CircularTE11, Coax, PlaneWave, RectangularTE10

F = np.array([19e9])


def test_te11_numbers_of_physics_md():
    air, sap = CircularTE11(0.1), CircularTE11(0.1, eps_r=9.4)
    assert P11_PRIME == pytest.approx(1.841184, abs=1e-6)
    assert air.cutoff_frequency == pytest.approx(0.878492e9, rel=1e-6)
    assert CircularTE11(0.05).cutoff_frequency == pytest.approx(1.757e9, rel=1e-3)
    assert air.impedance(F)[0].real == pytest.approx(377.134, rel=1e-5)
    assert sap.impedance(F)[0].real == pytest.approx(122.890, rel=1e-5)
    assert CircularTE11(0.1, eps_r=11.6).impedance(F)[0].real == pytest.approx(110.62, rel=1e-4)
    assert air.gamma(F)[0].imag == pytest.approx(397.785, rel=1e-5)
    assert sap.gamma(F)[0].imag == pytest.approx(1220.752, rel=1e-5)
    assert ETA_A_TE11 == pytest.approx(0.836835, abs=1e-6)


def test_te11_losses():
    # physics.md §2.3: alpha_c 5.17e-4 (air) and 1.58e-3 (sapphire) Np/m for sigma = 3.5e7; alpha_d 6.11e-3
    # for tan d = 1e-5 and 6.11e-2 for 1e-4; three significant figures are printed, hence 1e-2
    assert CircularTE11(0.1, wall_conductivity=3.5e7).attenuation(F)[0] == pytest.approx(5.17e-4, rel=1e-2)
    assert CircularTE11(0.1, 9.4, wall_conductivity=3.5e7).attenuation(F)[0] == pytest.approx(1.58e-3, rel=1e-2)
    assert CircularTE11(0.1, 9.4, 1e-5).attenuation(F)[0] == pytest.approx(6.11e-3, rel=1e-2)
    assert CircularTE11(0.1, 9.4, 1e-4).attenuation(F)[0] == pytest.approx(6.11e-2, rel=1e-2)


def test_against_scikit_rf_waveguides():
    freq = skrf.Frequency(10, 30, 21, "GHz")
    f = freq.f
    ref = CircularWaveguide(freq, r=0.02, ep_r=1.0)
    ours = CircularTE11(0.02)
    assert np.allclose(ours.gamma(f), ref.gamma, rtol=1e-6)
    assert np.allclose(ours.impedance(f), ref.z0, rtol=1e-6)
    freq = skrf.Frequency(7, 12, 11, "GHz")
    ref = RectangularWaveguide(freq, a=22.86e-3, b=10.16e-3, rho=None)
    ours = RectangularTE10(22.86e-3, 10.16e-3)
    assert np.allclose(ours.gamma(freq.f), ref.gamma, rtol=1e-6)
    assert np.allclose(ours.impedance(freq.f), ref.z0, rtol=1e-6)
    # wall loss: scikit-rf's smooth-wall conductor loss against Pozar (3.96), 1 % (different derivations)
    lossy = RectangularWaveguide(freq, a=22.86e-3, b=10.16e-3, rho=1 / 5.8e7)
    ours = RectangularTE10(22.86e-3, 10.16e-3, wall_conductivity=5.8e7)
    assert np.allclose(ours.gamma(freq.f).real, lossy.gamma.real, rtol=1e-2)


def test_rectangular_wall_loss_pozar():
    # WR-90 copper, travelling TE10 at 8.384 GHz: 0.0155 Np/m (physics.md §3.4)
    g = RectangularTE10(22.86e-3, 10.16e-3, wall_conductivity=5.8e7).gamma(np.array([8.384e9]))
    assert g[0].real == pytest.approx(0.0155, rel=1e-2)
    rs = RectangularTE10(22.86e-3, 10.16e-3, surface_resistance=0.0239).gamma(np.array([8.384e9]))
    assert rs[0].real == pytest.approx(g[0].real, rel=1e-2)


def test_coax_distributed_parameters():
    cx = Coax(0.20, 0.45)
    assert cx.characteristic_impedance == pytest.approx(48.62, rel=1e-4)
    assert cx.inductance_per_length == pytest.approx(1.622e-7, rel=1e-3)
    assert cx.capacitance_per_length == pytest.approx(6.860e-11, rel=1e-3)
    f = np.array([30e6])
    g = cx.gamma(f)[0]
    assert g.real == 0.0 and g.imag == pytest.approx(2 * np.pi * 30e6 / c, rel=1e-12)
    lossy = Coax(0.20, 0.45, conductivity=5.8e7)
    rp = lossy.resistance_per_length(f)[0]
    # low-loss limit alpha = R' / (2 Zc)
    assert lossy.gamma(f)[0].real == pytest.approx(rp / (2 * cx.characteristic_impedance), rel=1e-6)
    with pytest.raises(ValueError):
        Coax(0.45, 0.20)


def test_every_medium_attenuates_and_stays_finite_below_and_at_cutoff():
    a = 0.05
    fc = CircularTE11(a).cutoff_frequency
    f = np.array([0.1 * fc, 0.999 * fc, fc, 1.001 * fc, 2 * fc])
    for med in (CircularTE11(a, 2.0, 1e-3, 3e7), RectangularTE10(0.02, 0.01, 1.0, 1e-4, 5.8e7),
                PlaneWave(9.4, 1e-3), Coax(1e-3, 3e-3, 2.1, 1e-4, 5.8e7)):
        g, z = med.gamma_impedance(f)
        assert np.all(np.isfinite(g)) and np.all(np.isfinite(z))
        assert np.all(g.real >= 0)
        m = med.line(f, 0.03)
        assert np.all(np.isfinite(m))
    # below cutoff the lossless TE11 section is evanescent: real gamma, imaginary (inductive) Z
    g, z = CircularTE11(a).gamma_impedance(np.array([0.5 * fc]))
    assert g[0].imag == 0 and g[0].real > 0 and z[0].real == 0 and z[0].imag > 0


def test_batched_parameters_broadcast_against_frequency():
    f = np.linspace(18e9, 20e9, 7)
    med = CircularTE11(np.array([0.05, 0.1, 0.2]), eps_r=9.4)
    assert med.gamma(f).shape == (3, 7)
    assert np.allclose(med.gamma(f)[1], CircularTE11(0.1, 9.4).gamma(f))
    assert med.line(f, 0.01).shape == (3, 7, 2, 2)


def test_cutoff_margin_keeps_beta_accurate():
    # beta = sqrt(k0^2 - kc^2) cancels near cutoff: against 40-digit arithmetic from the same double inputs,
    # the relative error is ~1e-16 / x at f = fc (1 + x); at the refusal margin it is still below 1e-6,
    # a few ulp above cutoff it is of order one
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    med = CircularTE11(0.1)
    fc = med.cutoff_frequency

    def error(x: float) -> float:
        f = fc * (1 + x)
        exact = mp.sqrt((2 * mp.pi * mp.mpf(f) / mp.mpf(c)) ** 2 - (mp.mpf(P11_PRIME) / mp.mpf(0.1)) ** 2)
        return float(abs(med.gamma(np.array([f]))[0].imag / exact - 1))

    assert CUTOFF_RELATIVE_MARGIN == 1e-9
    assert error(CUTOFF_RELATIVE_MARGIN) < 1e-6
    assert error(1e-15) > 1e-3
