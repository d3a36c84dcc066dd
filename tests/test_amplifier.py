"""LNA model: physics.md §2.6 checks, closed form vs engine, noise-parameter conversions vs scikit-rf."""

from __future__ import annotations

import numpy as np
import pytest
import skrf

from emboost.core.constants import k_B
from emboost.core.errors import InputError, PhysicsError
from emboost.noise.amplifier import LNA, NoiseParameters, NoiseSources, system_temperature
from emboost.rf.network import impedance_from_reflection

F = np.linspace(17e9, 21e9, 9)
SRC = NoiseSources(371e-12, 7.4e-12, 0.0, 0.0)


def closed_form(z_s, z_l, t, src):
    """physics.md §2.6: T_sys = [4kT Re Zs + Sv + |Zs|^2 Si + 2 sqrt(SvSi) Re(rho* Zs)] Re ZL / (k |Zs + ZL|^2)."""
    num = 4 * k_B * t * z_s.real + src.sv + abs(z_s) ** 2 * src.si + 2 * np.real(np.conj(src.cross) * z_s)
    return num * z_l.real / (k_B * abs(z_s + z_l) ** 2)


def test_physics_checks():
    # §2.6 / §6 item 17: 389.42 K = 290 + (Sv + Z0^2 Si)/(4 k Z0); short: Sv/(k 50 ohm) = 199.4 K
    te = (SRC.sv + 2500 * SRC.si) / (4 * k_B * 50)
    assert te == pytest.approx(99.42, abs=0.005)
    np.testing.assert_allclose(system_temperature(F, 0.0, 290.0, SRC, 0.0), 290.0 + te, rtol=1e-12)
    assert system_temperature(F, 0.0, 290.0, SRC, 0.0)[0] == pytest.approx(389.42, abs=0.005)
    np.testing.assert_allclose(system_temperature(F, -1.0, 290.0, SRC, 0.0), SRC.sv / (k_B * 50), rtol=1e-12)
    assert SRC.sv / (k_B * 50) == pytest.approx(199.4, abs=0.05)


def test_engine_equals_closed_form():
    rng = np.random.default_rng(3)
    src = NoiseSources(250e-12, 9e-12, 0.6, -2.1)
    gs = rng.uniform(0, 0.9, F.size) * np.exp(2j * np.pi * rng.uniform(size=F.size))
    gl = rng.uniform(0, 0.5, F.size) * np.exp(2j * np.pi * rng.uniform(size=F.size))
    ours = system_temperature(F, gs, 77.0, src, gl)
    ref = closed_form(impedance_from_reflection(gs), impedance_from_reflection(gl), 77.0, src)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_matched_load_mismatched_lna_and_lossless_line():
    src = NoiseSources(300e-12, 6e-12, 0.4, 1.0)
    te = src.noise_temperature(50.0)
    np.testing.assert_allclose(system_temperature(F, 0.0, 20.0, src, 0.0), 20.0 + te, rtol=1e-12)
    gl = 0.3 * np.exp(0.4j)
    for tau in (0.0, 0.37e-9, 2.1e-9):  # a lossless line leaves a matched T_sys unchanged
        np.testing.assert_allclose(system_temperature(F, 0.0, 20.0, src, gl, delay=tau), (1 - 0.09) * (20.0 + te),
                                   rtol=1e-12)


def test_batch_axis():
    src = NoiseSources(np.array([300e-12, 400e-12]), 6e-12, 0.4, np.array([0.0, 1.0]))
    t = system_temperature(F, 0.5, 300.0, src, 0.1, delay=np.array([1e-9, 2e-9]))
    assert t.shape == (2, F.size)
    t1 = system_temperature(F, 0.5, 300.0, NoiseSources(400e-12, 6e-12, 0.4, 1.0), 0.1, delay=2e-9)
    np.testing.assert_allclose(t[1], t1, rtol=1e-13)


def test_noise_parameter_round_trip_and_skrf():
    src = NoiseSources(300e-12, 6e-12, 0.45, 2.2)
    p = src.to_parameters()
    back = p.to_sources()
    np.testing.assert_allclose([back.sqrt_sv, back.sqrt_si, back.rho_mag, back.rho_phase],
                               [300e-12, 6e-12, 0.45, 2.2], rtol=1e-10)
    gs = np.array([0.0, 0.3 + 0.2j, -0.5j, 0.7])
    np.testing.assert_allclose(p.noise_temperature(gs), src.noise_temperature(impedance_from_reflection(gs)),
                               rtol=1e-10)
    # T_min is the minimum over source reflections: at Gamma_opt
    assert p.noise_temperature(p.gamma_opt) == pytest.approx(float(p.t_min), rel=1e-10)
    # scikit-rf's noise figure of the same amplifier at 290 K
    freq = skrf.Frequency.from_f(F, unit="Hz")
    n = skrf.Network(frequency=freq, s=np.tile([[0.1, 0.0], [10.0, 0.2]], (F.size, 1, 1)), z0=50)
    n.set_noise_a(freq, nfmin_db=float(p.f_min_db), gamma_opt=complex(p.gamma_opt), rn=float(p.r_n))
    for g in gs:
        z = complex(impedance_from_reflection(g))
        np.testing.assert_allclose((n.nf(z) - 1) * 290.0, src.noise_temperature(z), rtol=1e-9)
    # scikit-rf's chain correlation matrix equals ours; 1e-6 because scikit-rf's Boltzmann constant is
    # CODATA 2014 (1.38064852e-23), 3.5e-7 below the exact SI value used here
    np.testing.assert_allclose(n.noise[0], src.chain_correlation(), rtol=1e-6)


def test_unphysical_parameters():
    with pytest.raises(PhysicsError, match=r"\|rho\| > 1"):
        NoiseParameters(t_min=500.0, r_n=1.0, gamma_opt=0.0).to_sources()
    with pytest.raises(InputError):
        NoiseSources(1e-10, 1e-12, 1.5, 0.0)


def test_lna_from_touchstone(root):
    lna = LNA.from_touchstone(root / "examples" / "data" / "receiver_lna_s11.s1p", SRC)
    g = lna.gamma_at(np.array([16e9, 19e9]))
    assert abs(g[1]) == pytest.approx(0.24, abs=1e-6)  # synthetic truth: |G| = 0.24 at 19 GHz
    with pytest.raises(InputError, match="receiver_lna_s11.s1p.*outside the LNA data"):
        lna.gamma_at(np.array([30e9]))
    t = lna.system_temperature(F, 0.0, 290.0)
    np.testing.assert_allclose(t, (1 - np.abs(lna.gamma_at(F)) ** 2) * 389.42, rtol=2e-5)
