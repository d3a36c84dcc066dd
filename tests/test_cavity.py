"""RADES chain circuit (emboost.cavity.chain, emboost.cavity.design) against physics.md §3.4 and §6 items 9, 14."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from emboost.cavity.chain import CavityChain, Port, single_cavity_q, te101_length
from emboost.cavity.design import coupled_resonator_modes, flat_field_lengths, port_for_external_q
from emboost.cavity.iris import Iris
from emboost.core.errors import InputError, PhysicsError
from emboost.rf.materials import surface_resistance

A, B = 22.86e-3, 10.16e-3
W8 = Iris("inductive", window=8e-3)
BAND = (8.0e9, 9.5e9)


def uniform5(**kw):
    return CavityChain(a=A, b=B, lengths=(23.9e-3,) * 5, irises=(W8,) * 4, **kw)


def test_te101_length_and_single_cavity():
    d = te101_length(8.384e9, A)
    assert d * 1e3 == pytest.approx(28.691, abs=1e-3)  # physics.md quotes 3 decimals in mm
    ch = CavityChain(a=A, b=B, lengths=(d,), irises=(), conductivity=5.8e7)
    m = ch.modes((7e9, 9.5e9))
    assert m.frequency[0] == pytest.approx(8.384e9, rel=1e-9)  # root finder to 1e-13
    assert m.form_factor[0] == pytest.approx(64 / np.pi**4, rel=1e-9)  # exact integrals
    q = ch.mode_q(m.frequency)[0].q0
    assert q == pytest.approx(7740, rel=1e-2)  # physics.md 14
    rs = float(surface_resistance(8.384e9, 5.8e7))
    assert q == pytest.approx(single_cavity_q(8.384e9, A, B, d, rs), rel=1e-4)  # Pozar 6.46, same R_s: 1st order
    cold = CavityChain(a=A, b=B, lengths=(d,), irises=(), conductivity=5.8e7, anomalous=4.01)
    assert cold.mode_q(m.frequency)[0].q0 == pytest.approx(31000, rel=1e-2)


def test_two_cavity_splitting_and_inverter():
    def low(length):
        ch = CavityChain(a=A, b=B, lengths=(length, length), irises=(W8,))
        return ch.mode_frequencies((7e9, 10e9))[0] - 8.384e9

    length = brentq(low, 20e-3, 28e-3, xtol=1e-12)
    ch = CavityChain(a=A, b=B, lengths=(length, length), irises=(W8,))
    m = ch.modes((7e9, 10e9))
    fe, fo = m.frequency[:2]
    assert fo == pytest.approx(8.7258e9, abs=1e5)  # physics.md: 4 decimals in GHz
    assert (fo**2 - fe**2) / (fo**2 + fe**2) == pytest.approx(0.0399, abs=1e-4)
    assert m.in_phase.tolist() == [True, False]  # even (in phase) below odd for an inductive iris
    cr = coupled_resonator_modes(ch, 8.384e9)
    assert cr.coupling[0] == pytest.approx(0.0362, abs=1e-4)  # physics.md inverter k


def test_five_cavity_modes_and_form_factors():
    m = uniform5().modes(BAND)
    ref = np.array([8.3840, 8.5455, 8.7706, 8.9826, 9.0737]) * 1e9
    assert np.allclose(m.frequency, ref, atol=6e4)  # 4 decimals in GHz
    assert np.allclose(m.form_factor, [0.618, 0.0, 0.084, 0.0, 0.026], atol=6e-4)
    assert np.allclose(m.amplitude[0], [0.32, 0.81, 1.0, 0.81, 0.32], atol=6e-3)
    assert m.axion_index == 0 and m.in_phase.tolist() == [True, False, False, False, False]


def test_capacitive_in_phase_mode_is_highest():
    ch = CavityChain(a=A, b=B, lengths=(31e-3,) * 5, irises=(Iris("capacitive", window=1e-3, thickness=2e-3),) * 4)
    m = ch.modes((7.5e9, 9.5e9))
    assert m.in_phase.tolist() == [False] * (m.frequency.size - 1) + [True]
    assert m.axion_index == m.frequency.size - 1


def test_coupled_resonator_picture_agrees():
    ch = uniform5()
    tl = ch.modes(BAND)
    cr = coupled_resonator_modes(ch, 8.7e9)
    # strong coupling (k ~ 0.04): the inverter model is first order in k -> 1 % in frequency
    assert np.allclose(cr.frequency, tl.frequency, rtol=1e-2)
    assert np.allclose(cr.vectors, tl.amplitude, atol=0.03)
    # the inverter C assumes sin-shaped sub-cavity fields vanishing at the irises: 15 %
    assert cr.form_factor[0] == pytest.approx(tl.form_factor[0], rel=0.15)


def test_flat_field_design():
    ls = flat_field_lengths(A, B, (W8,) * 4, 8.384e9)
    assert np.allclose(np.array(ls) * 1e3, [26.037, 23.382, 23.382, 23.382, 26.037], atol=1e-3)
    ch = CavityChain(a=A, b=B, lengths=ls, irises=(W8,) * 4)
    assert sum(ls) * 1e3 == pytest.approx(122.22, abs=0.01)
    assert ch.volume == pytest.approx(2.84e-5, rel=2e-3)
    m = ch.modes(BAND)
    assert m.axion_frequency == pytest.approx(8.384e9, rel=1e-9)
    assert np.allclose(m.amplitude[m.axion_index], 1.0, atol=1e-9)
    assert m.form_factor[m.axion_index] == pytest.approx(0.726, abs=6e-4)
    assert m.axion_frequency + m.separation() == pytest.approx(8.4445e9, abs=6e4)


def test_field_profile_vanishes_at_walls():
    ch = uniform5()
    z, v = ch.field_profile(ch.modes(BAND).frequency[0])
    assert abs(v[0]) < 1e-12 and abs(v[-1]) < 1e-9 and np.max(np.abs(v)) == pytest.approx(1.0)
    assert np.all(v > -1e-9)  # axion mode: one sign along the whole chain
    assert z[-1] == pytest.approx(ch.total_length)


def two_port(lossy=True, m1=15.0, m2=150.0):
    return uniform5(conductivity=5.8e7 if lossy else None,
                    ports=(Port("left", m1), Port("right", m2)))


def test_lossless_s_is_unitary_and_reciprocal():
    ch = two_port(lossy=False)
    f = np.linspace(8.2e9, 9.3e9, 301)
    s = ch.s_parameters(f)
    eye = np.einsum("fji,fjk->fik", s.conj(), s)
    assert np.allclose(eye, np.eye(2), atol=1e-10)
    assert np.allclose(s[:, 0, 1], s[:, 1, 0], atol=1e-13)


def test_lossy_s_is_passive_and_matches_port_impedance():
    ch = two_port()
    f = np.linspace(8.3e9, 8.5e9, 201)
    s = ch.s_parameters(f)
    assert np.all(np.linalg.svd(s, compute_uv=False) <= 1 + 1e-12)
    z = ch.port_impedance(f, 0)
    assert np.allclose(s[:, 0, 0], (z - 50) / (z + 50), atol=1e-12)  # second route to S11


def test_s11_at_resonance_reproduces_beta_and_rlc():
    ch = two_port()
    m = ch.modes(BAND)
    ch = port_for_external_q(ch, 0, 2.0 * 9800, m.axion_frequency)  # beta_1 about 0.5
    q = ch.mode_q(m.frequency[:1])[0]
    b1, b2 = q.beta
    assert q.q0 / q.q_external[0] == pytest.approx(b1)
    assert 1 / q.q_loaded == pytest.approx(1 / q.q0 + 1 / q.q_external[0] + 1 / q.q_external[1], rel=2e-4)
    s11 = abs(ch.s_parameters(np.array([q.frequency]))[0, 0, 0])
    # two-port reflection at resonance: |S11| = |1 + b2 - b1| / (1 + b1 + b2); Q ~ 1e4 perturbative: 1e-3
    assert s11 == pytest.approx(abs(1 + b2 - b1) / (1 + b1 + b2), abs=1e-3)
    rlc = ch.mode_rlc(q.frequency)
    assert 50.0 / float(rlc.resistance) == pytest.approx(b1 / (1 + b2), rel=1e-2)
    assert float(rlc.resonance_frequency) == pytest.approx(q.frequency, rel=2e-5)
    ql = 2 * np.pi * q.frequency * float(rlc.inductance) / (float(rlc.resistance) + 50.0)
    assert ql == pytest.approx(q.q_loaded, rel=2e-2)


def test_probe_port_in_a_sub_cavity():
    ch = uniform5(conductivity=5.8e7, ports=(Port(2, 0.05), Port("right", 150.0)))
    f = np.linspace(8.3e9, 8.5e9, 101)
    s = ch.s_parameters(f)
    assert np.all(np.linalg.svd(s, compute_uv=False) <= 1 + 1e-12)
    q = ch.mode_q(ch.modes(BAND).frequency[:1])[0]
    assert 0 < q.beta[0] < np.inf and q.q_loaded < q.q0
    swapped = uniform5(conductivity=5.8e7, ports=(Port("right", 150.0), Port(2, 0.05)))
    assert np.allclose(swapped.s_parameters(f)[:, ::-1, ::-1], s, atol=1e-13)


def test_bad_chains():
    with pytest.raises(InputError, match="need 4 irises"):
        CavityChain(a=A, b=B, lengths=(0.02,) * 5, irises=(W8,) * 3)
    with pytest.raises(InputError, match="positive"):
        CavityChain(a=A, b=B, lengths=(0.02, -0.02), irises=(W8,))
    with pytest.raises(InputError, match="narrower"):
        CavityChain(a=A, b=B, lengths=(0.02, 0.02), irises=(Iris("inductive", window=0.03),))
    with pytest.raises(PhysicsError, match="cutoff"):
        uniform5().modes((6e9, 9e9))


