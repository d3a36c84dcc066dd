"""Coherent and power-sum combination of detector chains against closed forms and seeded Monte Carlo."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emboost.cavity.tm010 import TM010Cavity
from emboost.core.axion import GEV_PER_CM3
from emboost.core.errors import InputError
from emboost.reach.coherent import (
    combine,
    expected_phase_efficiency,
    phase_efficiency,
    random_phase_study,
    resonator_phase,
)
from emboost.reach.magnets import Magnet
from emboost.reach.packing import Packing
from emboost.reach.projections import Haloscope, evaluate


@pytest.mark.parametrize("n", [1, 2, 3, 8, 25])
def test_identical_chains_closed_forms(n):
    coh = combine(n, mode="coherent")
    inc = combine(n, mode="incoherent")
    # SNR ∝ N (coherent) vs sqrt(N) (power sum); g ∝ SNR^(-1/2); rate ∝ SNR^2 — exact
    assert coh.snr_gain == pytest.approx(n, rel=1e-14)
    assert inc.snr_gain == pytest.approx(np.sqrt(n), rel=1e-14)
    assert coh.coupling_factor == pytest.approx(n**-0.5, rel=1e-14)
    assert inc.coupling_factor == pytest.approx(n**-0.25, rel=1e-14)
    assert coh.rate_factor == pytest.approx(n**2, rel=1e-13)
    assert inc.rate_factor == pytest.approx(n, rel=1e-13)
    assert coh.ok and inc.ok


def test_phase_errors_degrade_only_the_coherent_sum():
    ph = np.array([0.0, 0.3, -0.2, 1.0])
    coh = combine(4, mode="coherent", phases=ph)
    direct = abs(np.exp(1j * ph).sum()) ** 2 / 4  # |sum e^{j phi}|^2 / sum n
    assert coh.snr_gain == pytest.approx(direct, rel=1e-14)
    assert coh.phase_efficiency == pytest.approx(direct / 4, rel=1e-14)
    inc = combine(4, mode="incoherent")
    assert inc.snr_gain == pytest.approx(2.0)
    assert phase_efficiency([0.0, np.pi]) == pytest.approx(0.0, abs=1e-15)  # anti-phase pair cancels


def test_unequal_chains_and_matched_filter_bound():
    a = np.array([1.0, 0.5, 0.8])
    nz = np.array([1.0, 2.0, 0.7])
    eq = combine(3, mode="coherent", amplitudes=a, noise=nz)
    assert eq.snr_gain == pytest.approx(a.sum() ** 2 / nz.sum(), rel=1e-14)
    mf = combine(3, mode="coherent", amplitudes=a, noise=nz, weights=a / nz)  # matched filter reaches the bound
    assert mf.snr_gain == pytest.approx(np.sum(a**2 / nz), rel=1e-13)
    assert eq.snr_gain <= mf.snr_gain and eq.ok and mf.ok
    inc = combine(3, mode="incoherent", amplitudes=a, noise=nz)
    assert inc.snr_gain == pytest.approx(np.sqrt(np.sum((a**2 / nz) ** 2)), rel=1e-14)


@pytest.mark.parametrize("n,sigma", [(2, 0.3), (4, 0.7), (10, 1.2), (6, 5.0)])
def test_random_phases_mean_efficiency(n, sigma):
    # closed form E[eta] = 1/N + (1 - 1/N) exp(-sigma^2) against 4000 seeded draws: within 4 standard errors
    st = random_phase_study(n, sigma, draws=4000, seed=11)
    assert abs(st.mean - st.expected) < 4 * st.sem
    assert st.expected == pytest.approx(expected_phase_efficiency(n, sigma))


def test_random_phases_limit_is_one_chain():
    # fully random phases: eta -> 1/N, coherent gain -> 1 (no better than one chain, worse than sqrt(N))
    n = 16
    coh = combine(n, mode="coherent", phase_rms=50.0)
    assert coh.phase_efficiency == pytest.approx(1 / n, rel=1e-12)
    assert coh.snr_gain == pytest.approx(1.0, rel=1e-12)
    assert coh.snr_gain < combine(n, mode="incoherent").snr_gain


def test_detuned_resonator_phase():
    amp, ph = resonator_phase(np.array([0.0, 0.5e-4]), 1e4)  # 2 Q d = 1: amplitude 1/sqrt2, phase -45 deg
    assert amp[1] == pytest.approx(2**-0.5) and ph[1] == pytest.approx(-np.pi / 4)
    c = combine(2, mode="coherent", amplitudes=amp, phases=ph)
    assert c.snr_gain == pytest.approx(abs(1 + 1 / (1 + 1j)) ** 2 / 2)


def test_bad_input():
    with pytest.raises(InputError):
        combine(0)
    with pytest.raises(InputError):
        combine(2, mode="sideways")
    with pytest.raises(InputError):
        combine(2, mode="coherent", phases=[0, 0], phase_rms=0.1)


def _haloscope(units: int, combination: str, phase_rms: float = 0.0) -> Haloscope:
    magnet = Magnet("solenoid", 4.0, 1, 1.0, 2.0, geometry="solenoid")
    cav = TM010Cavity(radius=0.2, length=1.0, anomalous=4.0, tuning=(1.0, 1.05))
    packing = None if units == 1 else Packing(1, units, 1, 0.0, 0.0, 1.0)
    return Haloscope(name="t", kind="tm010", detector=cav, magnet=magnet, b_field=4.0, band=(cav.f0, 1.05 * cav.f0),
                     points=5, t_sys=1.0, time_per_step=100.0, snr=3.0, rho=0.45 * GEV_PER_CM3, target="dfsz",
                     coupling=1.0, packing=packing, combination=combination, phase_rms=phase_rms)


def test_evaluate_applies_the_combination():
    one = evaluate(_haloscope(1, "incoherent"))
    for n in (2, 4):
        inc = evaluate(_haloscope(n, "incoherent"))
        coh = evaluate(_haloscope(n, "coherent"))
        np.testing.assert_allclose(inc.g_reach, one.g_reach * n**-0.25, rtol=1e-12)
        np.testing.assert_allclose(coh.g_reach, one.g_reach * n**-0.5, rtol=1e-12)
        np.testing.assert_allclose(coh.rate, one.rate * n**2, rtol=1e-12)
        assert coh.scan_seconds == pytest.approx(one.scan_seconds / n**2, rel=1e-12)
        assert inc.scan_seconds == pytest.approx(one.scan_seconds / n, rel=1e-12)
        assert not coh.failed_checks
    sig = 0.6
    deg = evaluate(_haloscope(4, "coherent", sig))
    eta = 0.25 + 0.75 * np.exp(-sig**2)
    np.testing.assert_allclose(deg.g_reach, one.g_reach * (4 * eta) ** -0.5, rtol=1e-12)
    assert deg.extra["combination"]["phase_efficiency"] == pytest.approx(eta)


def test_haloscope_refuses_unknown_mode():
    with pytest.raises(InputError):
        dataclasses.replace(_haloscope(2, "coherent"), combination="magic")
