"""Noise-wave engine: limits, Bosma, connections (vs scikit-rf), Friis, quantum occupation."""

from __future__ import annotations

import numpy as np
import pytest
import skrf
from skrf.network import connect_s

from emboost.core.constants import h, k_B
from emboost.noise.network import (
    NoisyNetwork,
    attenuator,
    available_temperature,
    cascade,
    connect,
    delivered_temperature,
    innerconnect,
    input_noise_temperature,
    line_two_port,
    noise_temperature,
    one_port,
    passive_network,
    terminate,
)
from emboost.rf.network import abcd_to_s, line_abcd

F = np.linspace(1e9, 20e9, 7)
RNG = np.random.default_rng(7)


def random_passive(n: int, nf: int, rng) -> np.ndarray:
    """Random strictly passive n-ports (singular values < 1)."""
    a = rng.normal(size=(nf, n, n)) + 1j * rng.normal(size=(nf, n, n))
    u, s, vh = np.linalg.svd(a)
    return u @ (rng.uniform(0.1, 0.95, size=(nf, n))[..., None] * vh)


def test_quantum_limits():
    # T -> 0: zero-point hf/2k; hf << kT: classical (relative correction (hf/kT)^2/12)
    np.testing.assert_allclose(noise_temperature(F, 1e-6, "quantum"), h * F / (2 * k_B), rtol=1e-12)
    t = noise_temperature(1e6, 300.0, "quantum")
    assert abs(t - 300.0) / 300.0 < 1e-9
    x = h * 20e9 / (k_B * 4.0)  # 20 GHz, 4 K: check the series T (1 + x^2/12)
    assert noise_temperature(20e9, 4.0, "quantum") == pytest.approx(4.0 * (1 + x**2 / 12), rel=1e-4)
    np.testing.assert_array_equal(noise_temperature(F, 4.0), 4.0)


def test_bosma_lossless_is_noiseless_and_passive_is_psd():
    s = abcd_to_s(line_abcd(2j * np.pi * F / 3e8, 50.0, 0.3))  # lossless matched line
    net = passive_network(s, F, 300.0)
    np.testing.assert_allclose(net.c, 0, atol=1e-9)  # 300 K * ~1e-15 rounding
    lossy = passive_network(random_passive(3, F.size, RNG), F, 50.0)
    assert np.all(np.linalg.eigvalsh(lossy.c) > 0)


def test_attenuator_noise():
    L = 10 ** (6.0 / 10)
    att = attenuator(F, 6.0, 300.0)
    out = terminate(att, one_port(np.zeros(F.size), 0.0))
    np.testing.assert_allclose(delivered_temperature(out, 0.0), 300.0 * (1 - 1 / L), rtol=1e-12)  # at output
    np.testing.assert_allclose(input_noise_temperature(att), 300.0 * (L - 1), rtol=1e-12)  # referred to input
    # a source at the attenuator's own temperature sees nothing change (thermal equilibrium)
    out = terminate(att, one_port(np.zeros(F.size), 300.0))
    np.testing.assert_allclose(available_temperature(out), 300.0, rtol=1e-12)


def test_lossless_line_keeps_matched_tsys():
    src = one_port(np.zeros(F.size), 123.0)
    out = terminate(line_two_port(F, 1.7e-9, 0.0, 300.0), src)
    np.testing.assert_allclose(delivered_temperature(out, 0.3), 123.0 * (1 - 0.09), rtol=1e-12)


def amplifier(gain_db: float, t_e: float) -> NoisyNetwork:
    """Matched unilateral amplifier: S21 = g, noise wave at port 2 = G T_e, none back out of port 1."""
    g = 10 ** (gain_db / 20)
    s = np.zeros((F.size, 2, 2), complex)
    s[:, 1, 0] = g
    c = np.zeros_like(s)
    c[:, 1, 1] = g**2 * t_e
    return NoisyNetwork(s, c)


def test_friis():
    a1, a2, att = amplifier(20.0, 35.0), amplifier(15.0, 300.0), attenuator(F, 3.0, 290.0)
    np.testing.assert_allclose(input_noise_temperature(cascade(a1, a2)), 35.0 + 300.0 / 100.0, rtol=1e-12)
    L = 10 ** 0.3
    np.testing.assert_allclose(input_noise_temperature(cascade(att, a1, a2)),
                               290.0 * (L - 1) + L * (35.0 + 3.0), rtol=1e-12)


def test_connect_matches_skrf_and_fast_path():
    a = passive_network(random_passive(3, F.size, RNG), F, 40.0)
    b = passive_network(random_passive(2, F.size, RNG), F, 300.0)
    c = connect(a, 1, b, 0)
    # S-part equals scikit-rf's; connect_s inserts B's remaining ports at position k, ours appends them
    np.testing.assert_allclose(c.s[:, [0, 2, 1]][:, :, [0, 2, 1]], connect_s(a.s, 1, b.s, 0), atol=1e-12)
    # thermal equilibrium: everything at one temperature stays Bosma after connection
    a2 = passive_network(a.s, F, 77.0)
    b2 = passive_network(b.s, F, 77.0)
    c2 = connect(a2, 2, b2, 1)
    np.testing.assert_allclose(c2.c, 77.0 * (np.eye(3) - c2.s @ np.conj(np.swapaxes(c2.s, -1, -2))), atol=1e-10)
    # terminate() is the elementwise fast path of connect()
    src = one_port(0.4 * np.exp(1j * F / 3e9), 55.0)
    slow = connect(src, 0, b, 0)
    fast = terminate(b, src)
    np.testing.assert_allclose(fast.s, slow.s, atol=1e-12)
    np.testing.assert_allclose(fast.c.real, slow.c.real, atol=1e-10)
    # innerconnect of a 4-port's ports equals the same connection done with connect
    ab = innerconnect(NoisyNetwork(np.block([[a.s, np.zeros((F.size, 3, 2))], [np.zeros((F.size, 2, 3)), b.s]]),
                                   np.block([[a.c, np.zeros((F.size, 3, 2))], [np.zeros((F.size, 2, 3)), b.c]])), 1, 3)
    np.testing.assert_allclose(ab.c, c.c, atol=1e-10)


def test_skrf_noisy_cascade_agrees():
    """scikit-rf cascades noisy two-ports at 290 K: compare the noise figure of a cascade."""
    from emboost.noise.amplifier import NoiseParameters, noise_adapter

    freq = skrf.Frequency.from_f(F, unit="Hz")
    nets, ours = [], []
    for gain, tmin, rn, gopt in ((10.0, 40.0, 8.0, 0.3 * np.exp(0.4j)), (12.0, 150.0, 20.0, 0.5 * np.exp(-1.0j))):
        s = np.zeros((F.size, 2, 2), complex)
        s[:, 1, 0] = 10 ** (gain / 20)
        s[:, 0, 0] = 0.1
        s[:, 1, 1] = -0.05j
        s[:, 0, 1] = 0.01
        n = skrf.Network(frequency=freq, s=s, z0=50)
        n.set_noise_a(freq, nfmin_db=10 * np.log10(1 + tmin / 290.0), gamma_opt=gopt, rn=rn)
        nets.append(n)
        p = NoiseParameters(t_min=tmin, r_n=rn, gamma_opt=gopt)
        ours.append(cascade(noise_adapter(p.to_sources(), F), NoisyNetwork(s, np.zeros_like(s))))
    both = nets[0] ** nets[1]
    ref = (both.nf(50.0) - 1) * 290.0
    np.testing.assert_allclose(input_noise_temperature(cascade(*ours), 0.0), ref, rtol=1e-9)
