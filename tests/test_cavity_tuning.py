"""Tuning model of RADES chains: split-cavity gap and length tuning against the closed forms of one TE101
cavity, and the checks carried by a tuning curve."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.cavity.chain import CavityChain, single_cavity_q, te101_length
from emboost.cavity.iris import Iris
from emboost.cavity.tuning import te101_frequency, tuned_chain, tuning_curve
from emboost.core.constants import c
from emboost.core.errors import InputError
from emboost.rf.materials import surface_resistance

A, B = 22.86e-3, 10.16e-3
D = te101_length(8.4e9, A)


def single(conductivity=5.8e7):
    return CavityChain(a=A, b=B, lengths=(D,), irises=(), conductivity=conductivity)


def test_split_gap_of_one_cavity_is_the_closed_form():
    g = np.array([0.0, 0.5e-3, 1e-3, 2e-3, 3e-3])
    t = tuning_curve(single(), "split_gap", g, (7.0e9, 9.0e9))
    assert t.ok, t.reason
    f_cf = np.array([te101_frequency(A + x, D) for x in g])
    assert np.allclose(t.frequency, f_cf, rtol=1e-9)  # root finding only
    rs = np.array([float(surface_resistance(f, 5.8e7)) for f in f_cf])
    q_cf = np.array([single_cavity_q(f, A + x, B, D, r) for f, x, r in zip(f_cf, g, rs)])
    assert np.allclose(t.q0, q_cf, rtol=2e-3)  # complex root of the lossy line vs Pozar 6.46 (first order)
    assert np.allclose(t.form_factor, 64 / np.pi**4, rtol=1e-6)
    # slope at g = 0: df/da = -c^2 / (4 f a^3), about -224 MHz/mm at 8.4 GHz in WR-90
    slope = (t.frequency[1] - t.frequency[0]) / g[1]
    assert slope == pytest.approx(-(c**2) / (4 * 8.4e9 * A**3), rel=0.05)  # finite step: curvature


def test_length_tuning_of_one_cavity_is_the_closed_form():
    s = np.array([-0.05, 0.0, 0.05, 0.1])
    t = tuning_curve(single(None), "length", s, (7.0e9, 9.5e9))
    assert t.ok, t.reason
    assert np.allclose(t.frequency, [te101_frequency(A, D * (1 + x)) for x in s], rtol=1e-9)
    assert np.all(np.isnan(t.q0))


def test_split_gap_tuning_of_the_thick_iris_chain():
    chain = CavityChain(a=A, b=B, lengths=(23.9e-3,) * 5, irises=(Iris("inductive", window=8e-3, thickness=2e-3),) * 4,
                        conductivity=5.8e7)
    g = np.linspace(0.0, 3e-3, 4)
    t = tuning_curve(chain, "split_gap", g, (7.0e9, 9.5e9))
    assert t.ok, t.reason
    assert np.all(np.diff(t.frequency) < 0)
    # with the windows held at 8 mm the chain tunes nearly like one cell of the same frequency, a little
    # slower (w/a shrinks, the coupling weakens, the lowest mode rises); the windows widening with the gap
    # strengthen the coupling instead and pull the lowest (in-phase) mode further down
    d_cell = te101_length(t.frequency[0], A)
    step_cell = te101_frequency(A + g[1], d_cell) - te101_frequency(A, d_cell)
    held = CavityChain(a=A + g[1], b=B, lengths=chain.lengths, irises=chain.irises)
    step_held = held.modes((7.0e9, 9.5e9)).axion_frequency - t.frequency[0]
    assert step_cell < step_held < 0.8 * step_cell
    assert t.frequency[1] - t.frequency[0] < 1.2 * step_cell
    # the in-phase mode stays all in phase; the stronger coupling flattens it, C rises by 7 % over 3 mm
    assert np.all(np.diff(t.form_factor) > 0) and np.ptp(t.form_factor) / t.form_factor[0] < 0.10
    assert t.tuning_range > 500e6


def test_tuned_geometry_and_bad_input():
    ir = Iris("inductive", window=8e-3, thickness=2e-3)
    chain = CavityChain(a=A, b=B, lengths=(23.9e-3,) * 2, irises=(ir,))
    t = tuned_chain(chain, "split_gap", 1e-3)
    assert t.a == pytest.approx(A + 1e-3) and t.irises[0].width == pytest.approx(9e-3)
    assert t.irises[0].thickness == ir.thickness and t.lengths == chain.lengths
    assert tuned_chain(chain, "length", 0.1).lengths == pytest.approx((23.9e-3 * 1.1,) * 2)
    with pytest.raises(InputError):
        tuned_chain(chain, "split_gap", -1e-3)
    with pytest.raises(InputError):
        tuned_chain(chain, "piston", 0.0)
    with pytest.raises(InputError):
        tuning_curve(chain, "length", np.array([0.1, 0.0]), (7e9, 9e9))


def test_a_band_that_loses_the_mode_fails_a_check():
    t = tuning_curve(single(), "split_gap", np.array([0.0, 3e-3]), (8.0e9, 9.0e9))
    assert not t.ok and t.reason.startswith("axion_mode_found")
