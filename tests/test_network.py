"""The batched network core against scikit-rf, closed forms and energy conservation."""

from __future__ import annotations

import numpy as np
import pytest
import skrf
from skrf.media import DefinedGammaZ0

from emboost.core.constants import Z0, c
from emboost.core.errors import PhysicsError
from emboost.rf.media import PlaneWave
from emboost.rf.network import (
    abcd_to_s,
    chain,
    group_delay,
    impedance_from_reflection,
    input_impedance,
    line_abcd,
    reflection_coefficient,
    s_to_abcd,
    series_impedance_abcd,
    shunt_admittance_abcd,
    transformer_abcd,
)


def slab_stack(f, eps, tand, d):
    """Chain of plane-wave layers (a free-standing stack)."""
    return chain(*[PlaneWave(e, t).line(f, l) for e, t, l in zip(eps, tand, d)])


def test_chain_equals_scikit_rf_cascade():
    f = np.linspace(10e9, 30e9, 201)
    eps, tand, d = [1.0, 9.4, 1.0, 24.0, 1.0], [0, 1e-3, 0, 1e-4, 0], [5e-3, 1e-3, 7e-3, 0.5e-3, 2e-3]
    ours = abcd_to_s(slab_stack(f, eps, tand, d), Z0)
    freq = skrf.Frequency.from_f(f, unit="Hz")
    nets = []
    for e, t, l in zip(eps, tand, d):
        g, z = PlaneWave(e, t).gamma_impedance(f)
        nets.append(DefinedGammaZ0(freq, z0_port=Z0, z0=z, gamma=g).line(l, "m"))
    ref = skrf.network.cascade_list(nets)
    assert np.allclose(ours, ref.s, atol=1e-12)


def test_single_slab_matches_airy():
    f = np.linspace(5e9, 40e9, 351)
    n, d = np.sqrt(9.4 * (1 - 1e-3j)), 1.3e-3
    s = abcd_to_s(PlaneWave(9.4, 1e-3).line(f, d), Z0)
    k = 2 * np.pi * f / c
    r12 = (1 - n) / (1 + n)
    ph = np.exp(-1j * n * k * d)  # exp(+jwt): forward wave exp(-j n k z)
    r = r12 * (1 - ph**2) / (1 - r12**2 * ph**2)
    t = (1 - r12**2) * ph / (1 - r12**2 * ph**2)
    assert np.allclose(s[:, 0, 0], r, atol=1e-12)
    assert np.allclose(s[:, 1, 0], t, atol=1e-12)


def test_lossless_stack_conserves_energy_and_lossy_one_absorbs():
    rng = np.random.default_rng(7)
    f = np.linspace(5e9, 40e9, 500)
    for _ in range(10):
        k = int(rng.integers(1, 12))
        eps, d = rng.uniform(1, 25, k), rng.uniform(1e-4, 1e-2, k)
        s = abcd_to_s(slab_stack(f, eps, np.zeros(k), d), Z0)
        power = np.abs(s[:, 0, 0]) ** 2 + np.abs(s[:, 1, 0]) ** 2
        assert np.allclose(power, 1.0, atol=1e-10)
        assert np.allclose(np.conj(np.swapaxes(s, -1, -2)) @ s, np.eye(2), atol=1e-10)  # unitary
        assert np.allclose(s[:, 0, 1], s[:, 1, 0], atol=1e-12)  # reciprocal
        sl = abcd_to_s(slab_stack(f, eps, np.full(k, 1e-3), d), Z0)
        assert np.all(np.abs(sl[:, 0, 0]) ** 2 + np.abs(sl[:, 1, 0]) ** 2 < 1.0)


def test_quarter_wave_transformer():
    # a lambda/4 line of impedance Zt turns a load ZL into Zt^2 / ZL
    f0 = 10e9
    zt, zl = 70.0, 25.0
    m = line_abcd(2j * np.pi * f0 / c, zt, c / f0 / 4)
    assert input_impedance(m, zl) == pytest.approx(zt**2 / zl, rel=1e-12)
    # a quarter-wave shorted stub is an open circuit, a half-wave open stub too
    assert abs(input_impedance(m, 0.0)) > 1e12
    assert abs(input_impedance(line_abcd(2j * np.pi * f0 / c, zt, c / f0 / 2), None)) > 1e12


def test_lumped_elements_transformer_and_round_trips():
    z, y, n = 10 + 5j, 0.02 - 0.01j, 2.5
    assert input_impedance(series_impedance_abcd(z), 50.0) == pytest.approx(60 + 5j)
    assert input_impedance(shunt_admittance_abcd(y), 50.0) == pytest.approx(1 / (y + 1 / 50.0))
    assert input_impedance(transformer_abcd(n), 50.0) == pytest.approx(n**2 * 50.0)
    g = reflection_coefficient(input_impedance(series_impedance_abcd(z), 50.0), 50.0)
    assert impedance_from_reflection(g, 50.0) == pytest.approx(60 + 5j)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4, 2, 2)) + 1j * rng.normal(size=(3, 4, 2, 2))
    assert np.allclose(s_to_abcd(abcd_to_s(a, 50.0), 50.0), a)
    assert abcd_to_s(a, 50.0).shape == (3, 4, 2, 2)


def test_batched_chain_broadcasts_like_one_by_one():
    f = np.linspace(1e9, 2e9, 5)
    lengths = np.array([0.1, 0.2, 0.3])
    batch = PlaneWave(2.0).line(f, lengths)  # (3, 5, 2, 2)
    fixed = PlaneWave(4.0, 1e-3).line(f, 0.05)  # (5, 2, 2)
    out = chain(fixed, batch, fixed)
    assert out.shape == (3, 5, 2, 2)
    for i, l in enumerate(lengths):
        assert np.allclose(out[i], chain(fixed, PlaneWave(2.0).line(f, l), fixed))


def test_group_delay_exact_for_quadratic_phase_on_nonuniform_grid():
    rng = np.random.default_rng(2)
    f = np.sort(rng.uniform(1e9, 2e9, 80))
    w = 2 * np.pi * f
    tau0, slope = 5e-9, 1e-18
    phase = -(tau0 * w + 0.5 * slope * (w - w[0]) ** 2)
    s = 0.3 * np.exp(1j * phase)
    assert np.allclose(group_delay(f, s), tau0 + slope * (w - w[0]), rtol=1e-9)
    with pytest.raises(ValueError):
        group_delay(f[::-1], s)


def test_overflowing_line_fails_loudly_and_complex_references_broadcast():
    # 800 Np: cosh overflows; the matrix is refused instead of returned as inf/nan
    with pytest.raises(PhysicsError, match="not finite"):
        line_abcd(np.array([800 + 400j, 1j]), 50.0, 1.0)
    assert np.all(np.isfinite(line_abcd(np.array([700 + 400j]), 50.0, 1.0)))
    # per-frequency complex reference impedances (a lossy line) broadcast and round-trip
    z_ref = np.array([50 + 1j, 48 - 2j, 377 + 0.5j])
    z = np.array([10 + 5j, 200 - 30j, 377 + 0.5j])
    g = reflection_coefficient(z, z_ref)
    assert g[2] == 0
    assert np.allclose(impedance_from_reflection(g, z_ref), z, rtol=1e-14)
