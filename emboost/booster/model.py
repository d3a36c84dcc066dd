"""Dielectric boosters (MADMAX): disks and a mirror, as transmission lines with axion sources.

A :class:`Booster` is an immutable description: a mirror, then ``n`` dielectric disks separated by
air gaps (``gaps[0]`` is the mirror-to-first-disk gap), then an air region of ``output_length``
up to the port reference plane. In a closed booster (``radius`` given) every region is a section of
TE11 circular waveguide (physics.md §2.3); without a radius the model is 1-D plane waves (an open
booster of infinite area). Every field may be an array whose leading axes are a batch axis.

Two independent solvers give the boost factor and the reflectivity:

* :func:`solve_transmission_line` (the default): ABCD sections with an ideal series voltage source
  at every interface and at the mirror (physics.md §2.4, §5.1), a matched output;
* :func:`solve_transfer_matrix`: Millar et al.'s transfer matrices in the physics convention
  exp(-iwt) (physics.md §2.5, §5.2), conjugated on return.

The tests hold them equal to 1e-9 on random lossy stacks.

Normalisation: the boost factor is the axion-induced power into the matched output divided by the
power of a bare perfect mirror of the same area; for a closed booster the transmission-line result
is multiplied by the transverse overlap ``eta_A`` (0.836835 for TE11, physics.md (2.5)-(2.6)).
Sources follow the homogeneous axion field ``-E0/eps`` (``source="eps"``, the plane-wave
normalisation) or the modal forcing ``k0^2/beta^2`` of a guided TE mode (``source="eps_eff"``);
in both cases a bare perfect mirror gives exactly 1 (the sources are divided by the air value).

>>> import numpy as np
>>> b = Booster.from_disks(gaps=[8.2023e-3], thickness=[1e-3], permittivity=[9.4])
>>> r = b.response(np.array([19e9]))
>>> round(float(r.boost_factor[0]), 3)
30.048
>>> mirror = Booster.bare_mirror()
>>> float(mirror.response(np.array([19e9])).boost_factor[0])
1.0
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np

from emboost.core.constants import ETA_A_TE11, P11_PRIME, Z0, c, mu0
from emboost.core.conventions import ArrayLike, complex_permittivity
from emboost.core.errors import InputError, PhysicsError
from emboost.rf.materials import surface_impedance
from emboost.rf.media import plane_wave_gamma_impedance, te11_wall_attenuation, te_gamma_impedance
from emboost.rf.network import group_delay

__all__ = ["Booster", "BoosterResponse", "solve_transmission_line", "solve_transfer_matrix"]

SourceNormalisation = Literal["eps", "eps_eff"]


def _ro(x: ArrayLike, name: str, ndim_min: int = 1) -> np.ndarray:
    a = np.array(x, dtype=float)
    if a.ndim < ndim_min:
        raise InputError(f"{name} must be an array with a disk axis (last), got shape {a.shape}", key=name)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name} must be finite, got {a}", key=name)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Booster:
    """A dielectric booster: mirror | gap | disk | gap | disk ... | disk | output air | port.

    Parameters
    ----------
    gaps:
        Air gaps [m], shape ``(..., n)``: ``gaps[..., 0]`` between mirror and disk 1,
        ``gaps[..., i]`` between disk i and disk i+1.
    thickness, permittivity, loss_tangent:
        Disk thickness [m], relative permittivity (real part) and tan(delta), shape ``(..., n)``.
    radius:
        Radius of the metal cylinder [m] (closed booster, TE11 sections); ``None`` for 1-D plane
        waves (open booster of infinite area).
    wall_conductivity:
        Conductivity of the cylinder wall [S/m] (``None``: lossless walls).
    mirror_conductivity:
        Conductivity of the mirror [S/m] (``None``: perfect mirror). The mirror is the surface
        impedance ``(1 + j) R_s``, which reproduces the Hagen-Rubens reflectivity.
    output_length:
        Air between the last disk and the port reference plane [m]; it changes the phase and
        group delay of S11, not the boost factor.
    source:
        ``"eps"`` (sources from the homogeneous field -E0/eps) or ``"eps_eff"`` (modal forcing).
    overlap:
        Transverse overlap eta_A that multiplies the 1-D result; default ``ETA_A_TE11`` for a
        closed booster and 1 for an open one.
    """

    gaps: np.ndarray
    thickness: np.ndarray
    permittivity: np.ndarray
    loss_tangent: np.ndarray
    radius: float | None = None
    wall_conductivity: float | None = None
    mirror_conductivity: float | None = None
    output_length: float = 0.0
    source: SourceNormalisation = "eps"
    overlap: float | None = None

    def __post_init__(self) -> None:
        for name in ("gaps", "thickness", "permittivity", "loss_tangent"):
            object.__setattr__(self, name, _ro(getattr(self, name), name))
        try:
            shape = np.broadcast_shapes(self.gaps.shape, self.thickness.shape, self.permittivity.shape,
                                        self.loss_tangent.shape)
        except ValueError:
            raise InputError("gaps, thickness, permittivity and loss_tangent do not broadcast: "
                             f"{self.gaps.shape}, {self.thickness.shape}, {self.permittivity.shape}, "
                             f"{self.loss_tangent.shape}") from None
        if shape[-1] < 0:
            raise InputError("a booster needs a disk axis")
        checks = [
            (self.gaps < 0, "gaps", "an air gap must be >= 0 m"),
            (self.thickness < 0, "thickness", "a disk thickness must be >= 0 m"),
            (self.permittivity < 1, "permittivity", "relative permittivity must be >= 1"),
            (self.loss_tangent < 0, "loss_tangent", "loss tangent must be >= 0 (passive material)"),
        ]
        for bad, key, msg in checks:
            if np.any(bad):
                raise InputError(msg, key=key)
        for key in ("radius", "wall_conductivity", "mirror_conductivity"):
            v = getattr(self, key)
            if v is not None and not (np.isfinite(v) and v > 0):
                raise InputError(f"{key} must be a positive number or None, got {v!r}", key=key)
        if not (np.isfinite(self.output_length) and self.output_length >= 0):
            raise InputError(f"output_length must be >= 0 m, got {self.output_length!r}", key="output_length")
        if self.source not in ("eps", "eps_eff"):
            raise InputError(f"source must be 'eps' or 'eps_eff', got {self.source!r}", key="source")
        if self.wall_conductivity is not None and self.radius is None:
            raise InputError("wall_conductivity needs a radius (an open booster has no walls)",
                             key="wall_conductivity")

    # ----------------------------------------------------------------------------------- building
    @classmethod
    def from_disks(cls, gaps: ArrayLike, thickness: ArrayLike, permittivity: ArrayLike,
                   loss_tangent: ArrayLike = 0.0, **kwargs: object) -> Booster:
        """Build from per-disk sequences; scalars broadcast to every disk.

        >>> Booster.from_disks([8e-3, 8e-3], 1e-3, 9.4).n_disks
        2
        """
        gaps = np.atleast_1d(np.asarray(gaps, dtype=float))
        n = gaps.shape[-1]

        def per_disk(x: ArrayLike) -> np.ndarray:
            a = np.asarray(x, dtype=float)
            return np.broadcast_to(a[..., None], a.shape + (n,)) if a.ndim == 0 else a

        return cls(gaps, per_disk(thickness), per_disk(permittivity), per_disk(loss_tangent), **kwargs)

    @classmethod
    def bare_mirror(cls, **kwargs: object) -> Booster:
        """A mirror with no disks (boost factor 1 when perfect)."""
        return cls(np.zeros(0), np.zeros(0), np.ones(0), np.zeros(0), **kwargs)

    def replace(self, **changes: object) -> Booster:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def with_gaps(self, gaps: ArrayLike) -> Booster:
        """A copy with new gaps [m]."""
        return self.replace(gaps=np.asarray(gaps, dtype=float))

    def with_mirror_gap(self, gap: ArrayLike) -> Booster:
        """A copy with only the mirror-to-first-disk gap changed; ``gap`` may carry a batch axis."""
        gap = np.asarray(gap, dtype=float)
        gaps = np.broadcast_to(self.gaps, np.broadcast_shapes(self.gaps.shape, gap.shape + (1,))).copy()
        gaps[..., 0] = gap
        return self.with_gaps(gaps)

    # -------------------------------------------------------------------------------- properties
    @property
    def n_disks(self) -> int:
        return int(np.broadcast_shapes(self.gaps.shape, self.thickness.shape)[-1])

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the leading batch axes."""
        return np.broadcast_shapes(self.gaps.shape, self.thickness.shape, self.permittivity.shape,
                                   self.loss_tangent.shape)[:-1]

    @property
    def closed(self) -> bool:
        return self.radius is not None

    @property
    def eta_a(self) -> float:
        """Transverse overlap applied to the transmission-line boost factor."""
        if self.overlap is not None:
            return float(self.overlap)
        return ETA_A_TE11 if self.closed else 1.0

    @property
    def phase_thickness(self) -> np.ndarray:
        """Optical thickness ``sqrt(eps_r) t`` of each disk [m]."""
        return np.sqrt(self.permittivity) * self.thickness

    @property
    def total_length(self) -> np.ndarray:
        """Mirror to the outer face of the last disk [m]."""
        return np.sum(self.gaps, axis=-1) + np.sum(self.thickness, axis=-1)

    @property
    def cutoff_frequency(self) -> float:
        """TE11 cutoff of the air-filled cylinder [Hz] (0 for an open booster)."""
        return 0.0 if self.radius is None else P11_PRIME * c / (2 * np.pi * self.radius)

    def regions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Regions from the mirror outward: gap, disk, gap, disk, ..., disk, output air.

        Returns ``(eps_c, length, eps_r)`` of shape ``(..., 2 n + 1)``.
        """
        shape = np.broadcast_shapes(self.gaps.shape, self.thickness.shape, self.permittivity.shape,
                                    self.loss_tangent.shape)
        n = shape[-1]
        batch = shape[:-1]
        eps_r = np.ones(batch + (2 * n + 1,))
        tand = np.zeros(batch + (2 * n + 1,))
        length = np.empty(batch + (2 * n + 1,))
        eps_r[..., 1:2 * n:2] = np.broadcast_to(self.permittivity, shape)
        tand[..., 1:2 * n:2] = np.broadcast_to(self.loss_tangent, shape)
        length[..., 0:2 * n:2] = np.broadcast_to(self.gaps, shape)
        length[..., 1:2 * n:2] = np.broadcast_to(self.thickness, shape)
        length[..., -1] = self.output_length
        return complex_permittivity(eps_r, tand), length, eps_r

    # ---------------------------------------------------------------------------------- solving
    def check_band(self, f: ArrayLike) -> np.ndarray:
        """Validate a frequency array (1-D, positive, finite, above the TE11 cutoff)."""
        f = np.asarray(f, dtype=float)
        if f.ndim != 1 or f.size == 0:
            raise InputError(f"frequencies must be a non-empty 1-D array of Hz, got shape {f.shape}")
        if not np.all(np.isfinite(f)) or np.any(f <= 0):
            raise InputError("frequencies must be finite and > 0 Hz")
        fc = self.cutoff_frequency
        if fc and np.any(f <= fc):
            raise PhysicsError(f"frequency {f.min():.6g} Hz is at or below the TE11 cutoff {fc:.6g} Hz "
                               f"of the {self.radius:g} m radius cylinder: no propagating booster mode")
        return f

    def response(self, f: ArrayLike, solver: Literal["tl", "tm"] = "tl") -> BoosterResponse:
        """Boost factor and reflectivity at frequencies ``f`` [Hz], shape ``(..., nf)``."""
        f = self.check_band(f)
        solve = solve_transmission_line if solver == "tl" else solve_transfer_matrix
        amp, s11 = solve(self, f)
        return BoosterResponse(frequency=f, boost_amplitude=amp, s11=s11, overlap=self.eta_a)

    def boost_factor(self, f: ArrayLike) -> np.ndarray:
        """Boost factor beta^2(f), shape ``(..., nf)``."""
        return self.response(f).boost_factor

    def reflectivity(self, f: ArrayLike) -> np.ndarray:
        """Complex S11 at the port reference plane, shape ``(..., nf)``."""
        return self.response(f).s11


@dataclass(frozen=True, eq=False)
class BoosterResponse:
    """What a booster solve returns. Arrays have shape ``(..., nf)``.

    ``boost_amplitude`` is the forward-wave amplitude ``V+ / E0`` at the port reference plane of
    the 1-D (transmission-line) problem; ``overlap`` is eta_A.
    """

    frequency: np.ndarray
    boost_amplitude: np.ndarray
    s11: np.ndarray
    overlap: float

    @property
    def boost_factor(self) -> np.ndarray:
        """``eta_A |V+/E0|^2``: power relative to a bare perfect mirror of the same area."""
        return self.overlap * np.abs(self.boost_amplitude) ** 2

    @property
    def reflected_power(self) -> np.ndarray:
        """``|S11|^2`` (linear)."""
        return np.abs(self.s11) ** 2

    @property
    def reflected_power_db(self) -> np.ndarray:
        """``20 log10 |S11|`` [dB]."""
        return 20 * np.log10(np.abs(self.s11))

    @property
    def group_delay(self) -> np.ndarray:
        """Group delay of S11, ``-d arg S11 / dw`` [s]."""
        return group_delay(self.frequency, self.s11)


def _media(b: Booster, f: np.ndarray, eps_c: np.ndarray, eps_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """gamma and Z of regions ``eps_c`` (shape (..., k, 1) against f (nf,)) for this booster."""
    if b.radius is None:
        return plane_wave_gamma_impedance(f, eps_c)
    g, z = te_gamma_impedance(f, eps_c, P11_PRIME / b.radius)
    if b.wall_conductivity is not None:
        g = g + te11_wall_attenuation(f, b.radius, eps_r, b.wall_conductivity)
        z = 1j * (2 * np.pi * f) * mu0 / g
    return g, z


def _source_terms(b: Booster, f: np.ndarray, eps_c: np.ndarray) -> np.ndarray:
    """Amplitude ``s`` of the homogeneous axion field -E0 s in each region, normalised to air = 1."""
    if b.source == "eps" or b.radius is None:
        return 1.0 / eps_c
    k0 = 2 * np.pi * f / c
    kc = P11_PRIME / b.radius
    return (k0**2 - kc**2) / (eps_c * k0**2 - kc**2)


def solve_transmission_line(b: Booster, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boost amplitude and S11 with the ABCD / series-source formulation (exp(+jwt)).

    State (V, I) at the mirror, I flowing toward the port. Two columns are propagated together:
    the source response with zero mirror current, and the response to a unit mirror current with
    the sources off; the matched-output condition V = Z I fixes the mirror current, and the
    second column alone gives the reflection coefficient.

    Cost: the complex exponentials of the line sections dominate, so each distinct
    (medium, length) pair is evaluated once, and the media (complex square roots, wall loss) once
    per distinct material, unless the materials themselves carry a batch axis.
    """
    eps_c, length, eps_r = b.regions()
    m = eps_c.shape[-1]
    batch = eps_c.shape[:-1]
    n = b.n_disks

    def lines(g: np.ndarray, z: np.ndarray, ell: np.ndarray) -> tuple[np.ndarray, ...]:
        e = np.exp(-g * ell)
        einv = 1.0 / e
        ch = 0.5 * (einv + e)
        sh = 0.5 * (einv - e)
        return ch, z * sh, sh / z, z

    materials_batched = b.permittivity.ndim > 1 or b.loss_tangent.ndim > 1
    if not materials_batched:
        row = eps_c.reshape(-1, m)[0]
        uniq, mat = np.unique(row, return_inverse=True)
        gu, zu = _media(b, f, uniq[:, None], uniq.real[:, None])  # (k, nf)
        s_u = _source_terms(b, f, uniq[:, None])
        s0, ds = s_u[mat[0]], [s_u[mat[i + 1]] - s_u[mat[i]] for i in range(m - 1)]
        cache: dict[tuple[int, float], tuple[np.ndarray, ...]] = {}

        def section(i: int) -> tuple[np.ndarray, ...]:
            k = int(mat[i])
            batched = (b.gaps.ndim > 1) if (i % 2 == 0 and i < 2 * n) else (b.thickness.ndim > 1 and i < 2 * n)
            if batched:
                return lines(gu[k], zu[k], length[..., i, None])
            key = (k, float(length.reshape(-1, m)[0, i]))
            if key not in cache:
                cache[key] = lines(gu[k], zu[k], key[1])
            return cache[key]
    else:
        s = _source_terms(b, f, eps_c[..., None])  # (..., m, nf)
        s0, ds = s[..., 0, :], [s[..., i + 1, :] - s[..., i, :] for i in range(m - 1)]

        def section(i: int) -> tuple[np.ndarray, ...]:
            g, z = _media(b, f, eps_c[..., i, None], eps_r[..., i, None])
            return lines(g, z, length[..., i, None])

    shape = np.broadcast_shapes(batch + (f.size,), np.shape(s0))
    V = np.empty((2,) + shape, dtype=complex)
    I = np.empty_like(V)
    V[0] = s0
    I[0] = 0.0
    zs = 0.0 if b.mirror_conductivity is None else surface_impedance(f, b.mirror_conductivity)
    V[1] = -zs
    I[1] = 1.0
    for i in range(m):
        ch, zsh, shz, z = section(i)
        V, I = ch * V - zsh * I, ch * I - shz * V
        if i < m - 1:
            V[0] += ds[i]
    i0 = (z * I[0] - V[0]) / (V[1] - z * I[1])
    amp = V[0] + i0 * V[1]
    s11 = (V[1] + z * I[1]) / (V[1] - z * I[1])
    return amp, s11


def solve_transfer_matrix(b: Booster, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boost amplitude and S11 with Millar et al.'s transfer matrices (physics convention).

    Works with refractive indices ``n = conj(-j gamma) / k0`` (Im n >= 0 for loss) and wave
    amplitudes R (towards the port) and L (towards the mirror) in exp(-iwt); the mirror is a
    medium of index ``conj(Z0 / Z_s)`` (or infinite when perfect). Returns engineering-convention
    (conjugated) amplitudes so that the result is comparable with :func:`solve_transmission_line`.
    A straightforward loop, written for clarity, not speed.
    """
    eps_c, length, eps_r = b.regions()
    ecf, erf = eps_c[..., None], eps_r[..., None]
    g, z = _media(b, f, ecf, erf)
    k0 = 2 * np.pi * f / c
    # physics convention: conjugate; "index" for phase = beta/k0, for matching = admittance ratio
    n_phase = np.conj(-1j * g) / k0
    n_match = np.conj(Z0 / z)  # wave-admittance ratio; equals n_phase for a TE mode and for TEM
    s = np.conj(_source_terms(b, f, ecf))
    m = eps_c.shape[-1]
    shape = np.broadcast_shapes(n_phase.shape[:-2] + (f.size,), s.shape[:-2] + (f.size,))

    def interface(n1: np.ndarray, n2: np.ndarray, R: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ((n2 + n1) * R + (n2 - n1) * L) / (2 * n2), ((n2 - n1) * R + (n2 + n1) * L) / (2 * n2)

    # two affine columns: [R1, L1] = a + x * v, x the unknown mirror amplitude
    one = np.ones(shape, dtype=complex)
    if b.mirror_conductivity is None:
        Ra, La = s[..., 0, :] * one, 0.0 * one
        Rv, Lv = -one, one
    else:
        zs = surface_impedance(f, b.mirror_conductivity)
        n0 = np.conj(Z0 / zs)
        # metal: only the wave going into it (L0 = x); the axion field in a conductor vanishes
        Rv, Lv = interface(n0, n_match[..., 0, :], 0.0 * one, one)
        Ra, La = 0.5 * s[..., 0, :] * one, 0.5 * s[..., 0, :] * one
    for r in range(m - 1):
        ph = np.exp(1j * n_phase[..., r, :] * k0 * length[..., r, None])
        Ra, La = Ra * ph, La / ph
        Rv, Lv = Rv * ph, Lv / ph
        n1, n2 = n_match[..., r, :], n_match[..., r + 1, :]
        Ra, La = interface(n1, n2, Ra, La)
        Rv, Lv = interface(n1, n2, Rv, Lv)
        src = 0.5 * (s[..., r + 1, :] - s[..., r, :])
        Ra, La = Ra + src, La + src
    # output region: reference plane at output_length from its start
    ph = np.exp(1j * n_phase[..., m - 1, :] * k0 * length[..., m - 1, None])
    x = -La / Lv
    amp = (Ra + x * Rv) * ph
    gamma_ref = Rv / Lv * ph**2
    return np.conj(amp), np.conj(gamma_ref)
