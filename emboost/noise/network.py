"""Noise of linear networks as noise waves, in kelvin, vectorised over frequency and batch.

A noisy n-port is its scattering matrix ``S`` and the correlation matrix ``C`` of the noise waves
``c`` it emits from its ports (``b = S a + c``), both of shape ``(..., nf, n, n)``. ``C`` is given
in kelvin: ``<c c^H> = k_B C`` per hertz (one-sided), so a matched resistor at temperature T has
``C = T`` (it delivers ``k_B T`` per Hz into a matched load). Waves are power waves on a real
reference impedance (50 ohm unless said otherwise).

* Passive networks at a uniform physical temperature: Bosma's theorem ``C = T_n (I - S S^H)``
  (:func:`passive_noise`), with ``T_n`` the Rayleigh-Jeans temperature ``T`` or the quantum form
  ``(h f / 2 k) coth(h f / 2 k T)`` (:func:`noise_temperature`).
* Connections: :func:`innerconnect` joins two ports of one network, :func:`connect` joins two
  networks (port order as in scikit-rf's ``connect``), :func:`cascade` chains two-ports, and
  :func:`terminate` closes a two-port's input with a one-port (the fast path used by the receiver
  models). All transform the noise waves exactly: ``C' = T C T^H``.
* Read-outs: :func:`available_temperature`, :func:`delivered_temperature` (the power a one-port
  delivers to a load of reflection ``Gamma_L``, as a temperature) and :func:`input_noise_temperature`
  (equivalent input noise temperature of a two-port for a given source reflection).

scikit-rf treats lossy passive networks as noiseless and fixes the temperature at 290 K, so the
engine is emboost's own; the tests cross-check it against scikit-rf's connection of S-matrices and
its noise figure of noisy two-ports.

>>> import numpy as np
>>> f = np.array([1e9, 2e9])
>>> att = attenuator(f, loss_db=10 * np.log10(2), temperature=300.0)  # a matched 2x loss at 300 K
>>> load = one_port(np.zeros(2), 0.0)                              # a cold matched source, 0 K
>>> out = terminate(att, load)
>>> np.round(delivered_temperature(out, 0.0), 9)                     # 300 (1 - 1/2)
array([150., 150.])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from emboost.core.constants import h, k_B
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError
from emboost.core.radiometry import occupation as occupation_number  # the Bose-Einstein occupation, re-exported

__all__ = [
    "Occupation",
    "NoisyNetwork",
    "occupation_number",
    "noise_temperature",
    "passive_noise",
    "one_port",
    "passive_network",
    "attenuator",
    "line_two_port",
    "innerconnect",
    "connect",
    "cascade",
    "terminate",
    "available_temperature",
    "delivered_temperature",
    "input_noise_temperature",
]

Occupation = Literal["rayleigh_jeans", "quantum"]


@dataclass(frozen=True, eq=False)
class NoisyNetwork:
    """An n-port with noise: ``s`` and ``c`` [K], both ``(..., nf, n, n)``.

    ``c`` is the noise-wave correlation matrix in kelvin (``<c c^H> / k_B`` per Hz).
    """

    s: np.ndarray
    c: np.ndarray

    def __post_init__(self) -> None:
        s = np.asarray(self.s, dtype=complex)
        c = np.asarray(self.c, dtype=complex)
        if s.ndim < 3 or s.shape[-1] != s.shape[-2]:
            raise InputError(f"s must have shape (..., nf, n, n), got {s.shape}")
        if c.shape[-2:] != s.shape[-2:]:
            raise InputError(f"c must have the port shape of s {s.shape[-2:]}, got {c.shape}")
        object.__setattr__(self, "s", s)
        object.__setattr__(self, "c", c)

    @property
    def n_ports(self) -> int:
        return int(self.s.shape[-1])

    @property
    def gamma(self) -> np.ndarray:
        """Reflection coefficient of a one-port, ``(..., nf)``."""
        return self.s[..., 0, 0]

    @property
    def noise(self) -> np.ndarray:
        """Noise-wave temperature ``<|c|^2> / k_B`` of a one-port [K], ``(..., nf)``."""
        return self.c[..., 0, 0].real


def noise_temperature(f: ArrayLike, temperature: ArrayLike, occupation: Occupation = "rayleigh_jeans") -> np.ndarray:
    """Noise temperature of thermal radiation at physical ``temperature`` [K] and ``f`` [Hz].

    ``"rayleigh_jeans"``: ``T`` itself. ``"quantum"``: ``(h f / 2 k) coth(h f / 2 k T)``
    ``= (h f / k)(n + 1/2)``, which tends to the zero-point value ``h f / 2 k`` as T -> 0 and to
    ``T`` when ``h f << k T``.

    >>> round(float(noise_temperature(20e9, 0.0, "quantum")), 4)     # h f / 2k at 20 GHz
    0.4799
    """
    t = np.asarray(temperature, dtype=float)
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise InputError(f"a physical temperature must be finite and >= 0 K, got {t}")
    if occupation == "rayleigh_jeans":
        return np.broadcast_to(t, np.broadcast_shapes(t.shape, np.shape(f))).astype(float)
    if occupation != "quantum":
        raise InputError(f"occupation must be 'rayleigh_jeans' or 'quantum', got {occupation!r}")
    hf2k = h * np.asarray(f, dtype=float) / (2 * k_B)
    with np.errstate(divide="ignore"):
        x = np.where(t > 0, hf2k / np.where(t > 0, t, 1.0), np.inf)
    return hf2k / np.tanh(x)


def passive_noise(s: ArrayLike, t_noise: ArrayLike) -> np.ndarray:
    """Bosma's theorem: noise-wave correlation ``T_n (I - S S^H)`` [K] of a passive network.

    ``s`` is ``(..., nf, n, n)``; ``t_noise`` [K] broadcasts against ``(..., nf)`` (use
    :func:`noise_temperature` to include the quantum occupation).
    """
    s = np.asarray(s, dtype=complex)
    n = s.shape[-1]
    ssh = s @ np.conj(np.swapaxes(s, -1, -2))
    return np.asarray(t_noise, dtype=float)[..., None, None] * (np.eye(n) - ssh)


def one_port(gamma: ArrayLike, noise: ArrayLike) -> NoisyNetwork:
    """A one-port of reflection ``gamma`` emitting a noise wave of temperature ``noise`` [K].

    For a passive one-port at noise temperature ``T_n`` pass ``noise = T_n (1 - |gamma|^2)``
    (or use :func:`passive_network`).
    """
    g, t = np.broadcast_arrays(np.atleast_1d(np.asarray(gamma, dtype=complex)),
                               np.atleast_1d(np.asarray(noise, dtype=float)))
    return NoisyNetwork(g[..., None, None], t[..., None, None].astype(complex))


def passive_network(s: ArrayLike, f: ArrayLike, temperature: ArrayLike,
                    occupation: Occupation = "rayleigh_jeans") -> NoisyNetwork:
    """A passive network ``s`` ``(..., nf, n, n)`` at physical ``temperature`` [K] (Bosma)."""
    s = np.asarray(s, dtype=complex)
    return NoisyNetwork(s, passive_noise(s, noise_temperature(f, temperature, occupation)))


def line_two_port(f: ArrayLike, delay: ArrayLike, loss_db: ArrayLike = 0.0, temperature: ArrayLike = 0.0,
                  occupation: Occupation = "rayleigh_jeans") -> NoisyNetwork:
    """A matched line of one-way ``delay`` [s] and ``loss_db`` [dB] at ``temperature`` [K].

    ``S = [[0, t], [t, 0]]``, ``t = 10^(-loss/20) exp(-j w tau)``; parameters broadcast against a
    leading batch axis (a frequency axis is appended).
    """
    f = np.asarray(f, dtype=float)
    tau = np.asarray(delay, dtype=float)[..., None]
    amp = 10.0 ** (-np.asarray(loss_db, dtype=float)[..., None] / 20.0)
    t = amp * np.exp(-2j * np.pi * f * tau)
    s = np.zeros(t.shape + (2, 2), dtype=complex)
    s[..., 0, 1] = t
    s[..., 1, 0] = t
    tn = noise_temperature(f, np.asarray(temperature, dtype=float)[..., None], occupation)
    c = np.zeros_like(s)
    diag = tn * (1.0 - np.abs(t) ** 2)
    c[..., 0, 0] = diag
    c[..., 1, 1] = diag
    return NoisyNetwork(s, c)


def attenuator(f: ArrayLike, loss_db: ArrayLike, temperature: ArrayLike,
               occupation: Occupation = "rayleigh_jeans") -> NoisyNetwork:
    """A matched attenuator of ``loss_db`` [dB] at physical ``temperature`` [K] (no delay)."""
    return line_two_port(f, 0.0, loss_db, temperature, occupation)


def _transform(t: np.ndarray, c: np.ndarray) -> np.ndarray:
    return t @ c @ np.conj(np.swapaxes(t, -1, -2))


def innerconnect(net: NoisyNetwork, k: int, l: int) -> NoisyNetwork:
    """Connect port ``k`` of ``net`` to its port ``l`` (``a_k = b_l``, ``a_l = b_k``).

    The remaining ports keep their order. Noise waves are carried through exactly:
    ``c' = [I, S_ri P (I - S_ii P)^{-1}] c``.
    """
    s, c = net.s, net.c
    n = net.n_ports
    if k == l or not (0 <= k < n and 0 <= l < n):
        raise InputError(f"cannot connect ports {k} and {l} of a {n}-port")
    rest = [p for p in range(n) if p not in (k, l)]
    ii = [k, l]
    s_rr = s[..., rest, :][..., :, rest]
    s_ri = s[..., rest, :][..., :, ii]
    s_ir = s[..., ii, :][..., :, rest]
    s_ii = s[..., ii, :][..., :, ii]
    p = np.array([[0.0, 1.0], [1.0, 0.0]])
    m = np.linalg.inv(np.eye(2) - s_ii @ p)          # (I - S_ii P)^{-1}
    k_mat = s_ri @ p @ m                              # (..., r, 2)
    s_new = s_rr + k_mat @ s_ir
    order = rest + ii
    c_ord = c[..., order, :][..., :, order]
    t = np.concatenate([np.broadcast_to(np.eye(len(rest)), k_mat.shape[:-1] + (len(rest),)), k_mat], axis=-1)
    return NoisyNetwork(s_new, _transform(t, c_ord))


def _block_diag(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    na, nb = a.shape[-1], b.shape[-1]
    out = np.zeros(shape + (na + nb, na + nb), dtype=complex)
    out[..., :na, :na] = a
    out[..., na:, na:] = b
    return out


def connect(a: NoisyNetwork, k: int, b: NoisyNetwork, l: int) -> NoisyNetwork:
    """Connect port ``k`` of ``a`` to port ``l`` of ``b``.

    The result's ports are ``a``'s other ports followed by ``b``'s other ports, in order (as
    ``skrf.connect``).
    """
    big = NoisyNetwork(_block_diag(a.s, b.s), _block_diag(a.c, b.c))
    return innerconnect(big, k, a.n_ports + l)


def terminate(two_port: NoisyNetwork, source: NoisyNetwork) -> NoisyNetwork:
    """Close port 1 (index 0) of a two-port with a one-port; returns the one-port seen at port 2.

    Elementwise closed form (fast path of :func:`connect`):
    ``Gamma' = S22 + S21 S12 G / (1 - S11 G)`` and
    ``c' = n2 + S21 (G n1 + c_src) / (1 - S11 G)``.
    """
    s, c = two_port.s, two_port.c
    g = source.s[..., 0, 0]
    tsrc = source.c[..., 0, 0].real
    d = 1.0 - s[..., 0, 0] * g
    t1 = s[..., 1, 0] * g / d
    gout = s[..., 1, 1] + s[..., 1, 0] * s[..., 0, 1] * g / d
    noise = (np.abs(s[..., 1, 0] / d) ** 2 * tsrc + np.abs(t1) ** 2 * c[..., 0, 0].real + c[..., 1, 1].real
             + 2.0 * np.real(t1 * c[..., 0, 1]))
    return NoisyNetwork(gout[..., None, None], noise[..., None, None].astype(complex))


def cascade(*two_ports: NoisyNetwork) -> NoisyNetwork:
    """Chain two-ports left to right (port 2 of each into port 1 of the next)."""
    if not two_ports:
        raise InputError("cascade() needs at least one two-port")
    out = two_ports[0]
    for nxt in two_ports[1:]:
        if out.n_ports != 2 or nxt.n_ports != 2:
            raise InputError("cascade() joins two-ports only; use connect() for n-ports")
        out = connect(out, 1, nxt, 0)
    return out


def available_temperature(source: NoisyNetwork) -> np.ndarray:
    """Available noise temperature ``<|c|^2> / (1 - |Gamma|^2)`` of a one-port [K]."""
    return source.noise / (1.0 - np.abs(source.gamma) ** 2)


def delivered_temperature(source: NoisyNetwork, gamma_load: ArrayLike) -> np.ndarray:
    """Noise power a one-port delivers to a load of reflection ``gamma_load``, as a temperature [K].

    ``<|c|^2> (1 - |G_L|^2) / |1 - Gamma G_L|^2``; equals the available temperature times the
    mismatch factor, and the available temperature for a conjugate match.
    """
    gl = np.asarray(gamma_load, dtype=complex)
    return source.noise * (1.0 - np.abs(gl) ** 2) / np.abs(1.0 - source.gamma * gl) ** 2


def input_noise_temperature(two_port: NoisyNetwork, gamma_source: ArrayLike = 0.0) -> np.ndarray:
    """Equivalent input noise temperature of a two-port for a source of reflection ``gamma_source`` [K].

    Available output noise with a noiseless source, divided by the available gain (IEEE definition):
    ``T_e = <|c'|^2> |1 - S11 G_s|^2 / (|S21|^2 (1 - |G_s|^2))``.
    """
    gs = np.asarray(gamma_source, dtype=complex)
    s = two_port.s
    src = one_port(np.broadcast_to(gs, s.shape[:-2]), 0.0)
    out = terminate(two_port, src)
    return out.noise * np.abs(1.0 - s[..., 0, 0] * gs) ** 2 / (np.abs(s[..., 1, 0]) ** 2 * (1.0 - np.abs(gs) ** 2))
