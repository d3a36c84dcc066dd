"""Iris susceptances and two-port models (emboost.cavity.iris) against closed forms and physics.md §3.4."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from emboost.cavity.iris import (
    Iris,
    capacitive_susceptance,
    inductive_overlap,
    inductive_susceptance,
    lossy_te10_gamma_impedance,
)
from emboost.core.errors import InputError

A, B = 22.86e-3, 10.16e-3
F0 = np.array([8.384e9])


def test_thin_inductive_worked_numbers():
    # physics.md 3.4, quoted to 3-4 digits -> tolerance at the last digit
    b = float(inductive_susceptance(F0, A, 8.0e-3)[0].real)
    assert b == pytest.approx(-6.686, abs=1e-3)
    x = -1 / b
    phi = -np.arctan(2 * x)
    assert x == pytest.approx(0.1496, abs=1e-4)
    assert phi == pytest.approx(-0.2906, abs=1e-4)
    assert np.tan(abs(phi) / 2) == pytest.approx(0.1464, abs=1e-4)


def test_capacitive_closed_form_and_sign():
    lg = 2 * np.pi / np.sqrt((2 * np.pi * 8.384e9 / 299792458.0) ** 2 - (np.pi / A) ** 2)
    d = 1.0e-3
    ref = 4 * B / lg * np.log(1 / np.sin(np.pi * d / (2 * B)))  # Marcuvitz/Pozar, evaluated by hand
    assert float(capacitive_susceptance(F0, A, B, d)[0].real) == pytest.approx(ref, rel=1e-12)
    assert ref > 0  # capacitive


def test_overlap_against_quadrature():
    w = 8e-3
    x0 = (A - w) / 2
    val, _ = integrate.quad(lambda x: np.sqrt(2 / A) * np.sin(np.pi * x / A) * np.sqrt(2 / w)
                            * np.sin(np.pi * (x - x0) / w), x0, x0 + w, epsabs=1e-14)
    assert inductive_overlap(A, w) == pytest.approx(val, rel=1e-10)
    assert inductive_overlap(A, A) == 1.0


def test_thick_iris_reduces_to_thin():
    f = np.linspace(7e9, 10e9, 7)
    thin = Iris("inductive", window=8e-3).abcd(f, A, B)
    thick = Iris("inductive", window=8e-3, thickness=1e-12).abcd(f, A, B)
    assert np.allclose(thin, thick, rtol=1e-8, atol=1e-6)  # B entry ~ Z gamma t ~ 1e-8 ohm (Z ~ 600 ohm)


@pytest.mark.parametrize("iris", [Iris("inductive", window=8e-3, thickness=2e-3),
                                  Iris("capacitive", window=1e-3, thickness=1e-3),
                                  Iris("susceptance", susceptance=-5.0, reference_frequency=8.4e9)])
def test_lossless_iris_is_reciprocal_and_lossless(iris):
    m = iris.abcd(np.linspace(7e9, 10e9, 5), A, B)
    det = m[:, 0, 0] * m[:, 1, 1] - m[:, 0, 1] * m[:, 1, 0]
    assert np.allclose(det, 1, atol=1e-12)  # reciprocal
    # lossless with real reference impedance: A, D real, B, C imaginary
    assert np.allclose(m[:, 0, 0].imag, 0, atol=1e-12) and np.allclose(m[:, 1, 1].imag, 0, atol=1e-12)
    assert np.allclose(m[:, 0, 1].real, 0, atol=1e-9) and np.allclose(m[:, 1, 0].real, 0, atol=1e-15)


def test_given_susceptance_scales_like_an_inductance():
    ir = Iris("susceptance", susceptance=-6.0, reference_frequency=8.4e9)
    thin = Iris("inductive", window=8e-3)
    f = np.array([8.4e9, 9.2e9])
    r1 = ir.normalized_susceptance(f, A, B)
    r2 = thin.normalized_susceptance(f, A, B)
    assert float((r1[1] / r1[0]).real) == pytest.approx(float((r2[1] / r2[0]).real), rel=1e-12)


def test_lossy_window_line_matches_pozar_alpha_above_cutoff():
    rs = 0.0239
    f = np.array([8.4e9])
    g, _ = lossy_te10_gamma_impedance(f, A, B, rs)
    k = 2 * np.pi * f[0] / 299792458.0
    beta = np.sqrt(k**2 - (np.pi / A) ** 2)
    alpha = rs * (2 * B * np.pi**2 + A**3 * k**2) / (A**3 * B * beta * k * 376.730313668)
    assert g[0].real == pytest.approx(alpha, rel=1e-3)  # first order in R_s: 1e-3


@pytest.mark.parametrize("kwargs", [dict(kind="inductive", window=-1e-3), dict(kind="round", window=1e-3),
                                    dict(kind="inductive", window=1e-3, thickness=-1e-3),
                                    dict(kind="susceptance", susceptance=0.0, reference_frequency=8e9)])
def test_bad_iris(kwargs):
    with pytest.raises(InputError):
        Iris(**kwargs)


def test_iris_wider_than_guide():
    with pytest.raises(InputError, match="narrower than the guide"):
        Iris("inductive", window=25e-3).check(A, B)
