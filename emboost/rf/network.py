"""The batched network core: ABCD matrices with a leading batch axis.

An ABCD (chain) matrix relates port-1 voltage and current to port-2 voltage and current, with both
currents flowing in the direction of the chain (``[V1, I1] = M [V2, I2]``). Arrays have shape
``(..., nf, 2, 2)``; every function broadcasts over the leading axes, so one call evaluates a whole
Monte-Carlo batch. Conversions to S-parameters go through scikit-rf's converters (``a2s``, ``s2a``)
after folding the batch into the frequency axis, because scikit-rf has no batch axis.

Conventions: exp(+jwt); see :mod:`emboost.core.conventions`.

Range: the entries of a line's ABCD matrix grow as ``exp(alpha l)`` (``cosh``, ``sinh`` of a lossy
section), so a chain through many attenuation lengths overflows, or loses its digits to cancellation
long before; such chains are better solved in travelling waves (reflection coefficients,
S-parameters), as the booster solvers in :mod:`emboost.booster.model` do.

>>> import numpy as np
>>> f = np.linspace(1e9, 2e9, 3)
>>> gamma = 2j * np.pi * f / 3e8
>>> M = line_abcd(gamma, 50.0, 0.1)
>>> M.shape
(3, 2, 2)
>>> bool(np.allclose(input_impedance(M, 50.0), 50.0))
True
"""

from __future__ import annotations

import numpy as np
from skrf.network import a2s as _skrf_a2s
from skrf.network import s2a as _skrf_s2a

from emboost.core.conventions import ArrayLike
from emboost.core.errors import PhysicsError

__all__ = [
    "line_abcd",
    "series_impedance_abcd",
    "shunt_admittance_abcd",
    "transformer_abcd",
    "chain",
    "input_impedance",
    "reflection_coefficient",
    "impedance_from_reflection",
    "abcd_to_s",
    "s_to_abcd",
    "group_delay",
]


def _stack(a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike) -> np.ndarray:
    a, b, c, d = np.broadcast_arrays(*(np.asarray(x, dtype=complex) for x in (a, b, c, d)))
    out = np.empty(a.shape + (2, 2), dtype=complex)
    out[..., 0, 0] = a
    out[..., 0, 1] = b
    out[..., 1, 0] = c
    out[..., 1, 1] = d
    return out


def line_abcd(gamma: ArrayLike, impedance: ArrayLike, length: ArrayLike) -> np.ndarray:
    """ABCD of a uniform line: ``[[cosh gl, Z sinh gl], [sinh gl / Z, cosh gl]]``.

    ``gamma`` [1/m], ``impedance`` [ohm] and ``length`` [m] broadcast together; the result has
    their broadcast shape plus ``(2, 2)``. Raises :class:`~emboost.core.errors.PhysicsError` when
    an entry is not finite (``cosh`` overflows beyond ``alpha l`` ~ 710 Np).
    """
    gl = np.asarray(gamma, dtype=complex) * np.asarray(length, dtype=float)
    z = np.asarray(impedance, dtype=complex)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ch, sh = np.cosh(gl), np.sinh(gl)
        out = _stack(ch, z * sh, sh / z, ch)
    if not np.all(np.isfinite(out)):
        worst = float(np.max(np.abs(gl.real), initial=0.0, where=np.isfinite(gl.real)))
        raise PhysicsError(f"line ABCD matrix is not finite: attenuation alpha l up to {worst:.6g} Np (cosh "
                           "overflows past ~710 Np) or a non-finite gamma, impedance or length; solve such a "
                           "section in travelling waves")
    return out


def series_impedance_abcd(z: ArrayLike) -> np.ndarray:
    """ABCD of a series impedance ``z`` [ohm]: ``[[1, z], [0, 1]]``."""
    z = np.asarray(z, dtype=complex)
    return _stack(1.0, z, 0.0, 1.0)


def shunt_admittance_abcd(y: ArrayLike) -> np.ndarray:
    """ABCD of a shunt admittance ``y`` [S]: ``[[1, 0], [y, 1]]``."""
    y = np.asarray(y, dtype=complex)
    return _stack(1.0, 0.0, y, 1.0)


def transformer_abcd(n: ArrayLike) -> np.ndarray:
    """ABCD of an ideal transformer of turns ratio ``n`` (V1 = n V2): ``[[n, 0], [0, 1/n]]``."""
    n = np.asarray(n, dtype=complex)
    return _stack(n, 0.0, 0.0, 1.0 / n)


def chain(*matrices: ArrayLike) -> np.ndarray:
    """Cascade ABCD matrices from port 1 to port 2 (left to right), broadcasting batch axes.

    Uses explicit 2x2 products, which are faster than ``np.matmul`` on stacks of tiny matrices.
    """
    if not matrices:
        raise ValueError("chain() needs at least one matrix")
    out = np.asarray(matrices[0], dtype=complex)
    for m in matrices[1:]:
        m = np.asarray(m, dtype=complex)
        a = out[..., 0, 0] * m[..., 0, 0] + out[..., 0, 1] * m[..., 1, 0]
        b = out[..., 0, 0] * m[..., 0, 1] + out[..., 0, 1] * m[..., 1, 1]
        c = out[..., 1, 0] * m[..., 0, 0] + out[..., 1, 1] * m[..., 1, 0]
        d = out[..., 1, 0] * m[..., 0, 1] + out[..., 1, 1] * m[..., 1, 1]
        out = _stack(a, b, c, d)
    return out


def input_impedance(abcd: ArrayLike, load: ArrayLike | None) -> np.ndarray:
    """Impedance seen at port 1 with ``load`` [ohm] on port 2 (``None``: open circuit).

    ``Z_in = (A Z_L + B) / (C Z_L + D)``; a short is ``load=0``.
    """
    m = np.asarray(abcd, dtype=complex)
    if load is None:
        return m[..., 0, 0] / m[..., 1, 0]
    zl = np.asarray(load, dtype=complex)
    return (m[..., 0, 0] * zl + m[..., 0, 1]) / (m[..., 1, 0] * zl + m[..., 1, 1])


def reflection_coefficient(z: ArrayLike, z_ref: ArrayLike = 50.0) -> np.ndarray:
    """Voltage reflection coefficient ``(Z - Z_ref) / (Z + Z_ref)`` of an impedance ``z``."""
    z = np.asarray(z, dtype=complex)
    zr = np.asarray(z_ref, dtype=complex)
    return (z - zr) / (z + zr)


def impedance_from_reflection(gamma: ArrayLike, z_ref: ArrayLike = 50.0) -> np.ndarray:
    """Impedance ``Z_ref (1 + G) / (1 - G)`` of a reflection coefficient ``G``."""
    g = np.asarray(gamma, dtype=complex)
    return np.asarray(z_ref, dtype=complex) * (1 + g) / (1 - g)


def _fold(m: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    shape = m.shape[:-2]
    return m.reshape((-1, 2, 2)), shape


def _fold_z0(z0: ArrayLike, shape: tuple[int, ...]) -> np.ndarray | complex:
    z0 = np.asarray(z0, dtype=complex)
    if z0.ndim == 0:
        return complex(z0)
    # per-port or per-frequency impedances: broadcast to (..., nf, 2)
    z0 = np.broadcast_to(z0 if z0.shape[-1:] == (2,) else z0[..., None], shape + (2,))
    return z0.reshape((-1, 2))


def abcd_to_s(abcd: ArrayLike, z0: ArrayLike = 50.0) -> np.ndarray:
    """S-parameters (power waves) of ABCD matrices, via scikit-rf's ``a2s``.

    ``z0`` is a scalar, per-port ``(2,)``, or broadcastable to ``(..., nf)`` / ``(..., nf, 2)``.
    With a complex ``z0`` these are power-wave S-parameters (scikit-rf's definition).
    """
    m, shape = _fold(np.asarray(abcd, dtype=complex))
    return _skrf_a2s(m, _fold_z0(z0, shape)).reshape(shape + (2, 2))


def s_to_abcd(s: ArrayLike, z0: ArrayLike = 50.0) -> np.ndarray:
    """ABCD matrices of two-port S-parameters, via scikit-rf's ``s2a``."""
    m, shape = _fold(np.asarray(s, dtype=complex))
    return _skrf_s2a(m, _fold_z0(z0, shape)).reshape(shape + (2, 2))


def group_delay(f: ArrayLike, response: ArrayLike) -> np.ndarray:
    """Group delay ``-d arg(S) / d w`` [s] of a complex response along its last (frequency) axis.

    The phase is unwrapped along frequency, and the derivative taken with ``numpy.gradient``
    (second order, exact for a quadratic phase on non-uniform grids). ``f`` in Hz, strictly
    increasing, at least 3 points.

    >>> import numpy as np
    >>> f = np.sort(np.random.default_rng(1).uniform(1e9, 2e9, 50))
    >>> s = np.exp(-2j * np.pi * f * 3e-9)          # a pure 3 ns delay
    >>> bool(np.allclose(group_delay(f, s), 3e-9))
    True
    """
    f = np.asarray(f, dtype=float)
    if f.ndim != 1 or f.size < 3:
        raise ValueError("group_delay needs a 1-D frequency array with at least 3 points")
    if np.any(np.diff(f) <= 0):
        raise ValueError("group_delay needs strictly increasing frequencies")
    phase = np.unwrap(np.angle(np.asarray(response)), axis=-1)
    return -np.gradient(phase, 2 * np.pi * f, axis=-1, edge_order=2)
