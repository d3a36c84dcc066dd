"""Dielectric boosters (MADMAX): disks and a mirror, as transmission lines with axion sources.

A :class:`Booster` is an immutable description: a mirror, then ``n`` dielectric disks separated by
air gaps (``gaps[0]`` is the mirror-to-first-disk gap), then an air region of ``output_length``
up to the port reference plane. In a closed booster (``radius`` given) every region is a section of
TE11 circular waveguide (physics.md §2.3); without a radius the model is 1-D plane waves (an open
booster of infinite area). Every field may be an array whose leading axes are a batch axis.

Two independent solvers give the boost factor and the reflectivity:

* :func:`solve_transmission_line` (the default): line sections with an ideal series voltage source
  at every interface and at the mirror (physics.md §2.4, §5.1), a matched output;
* :func:`solve_transfer_matrix`: Millar et al.'s transfer matrices in the physics convention
  exp(-iwt) (physics.md §2.5, §5.2), conjugated on return.

The tests hold them equal to 1e-9 on random lossy stacks. Neither multiplies out the chain of
ABCD or transfer matrices from the mirror (whose entries grow as ``exp(alpha l)`` in a lossy region,
so that a long or very lossy stack overflows or cancels to noise): both carry the mirror side as a
reflection coefficient and a source-launched wave, which a lossy region only attenuates. The boost
factor of any passive stack is therefore finite; a non-finite result (inputs beyond double
precision) raises :class:`~emboost.core.errors.PhysicsError`, and so does a frequency within a
relative 1e-9 of the TE11 cutoff (:data:`~emboost.rf.media.CUTOFF_RELATIVE_MARGIN`).

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
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from emboost.booster.engine import HAVE_NUMBA, ChainTables, exp_sections, run_chain
from emboost.core.constants import ETA_A_TE11, P11_PRIME, Z0, c, mu0
from emboost.core.conventions import ArrayLike, complex_permittivity
from emboost.core.errors import InputError, PhysicsError
from emboost.core.reprs import short_repr
from emboost.rf.materials import surface_impedance
from emboost.rf.media import (
    CUTOFF_RELATIVE_MARGIN,
    plane_wave_gamma_impedance,
    te11_wall_attenuation,
    te_gamma_impedance,
)
from emboost.rf.network import group_delay
from emboost.rf.skrf_bridge import as_frequencies

if TYPE_CHECKING:
    from emboost.booster.gradients import BoosterGradients

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
                   loss_tangent: ArrayLike = 0.0, **kwargs: Any) -> Booster:
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
    def bare_mirror(cls, **kwargs: Any) -> Booster:
        """A mirror with no disks (boost factor 1 when perfect)."""
        return cls(np.zeros(0), np.zeros(0), np.ones(0), np.zeros(0), **kwargs)

    def replace(self, **changes: Any) -> Booster:
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
        return np.asarray(complex_permittivity(eps_r, tand), dtype=complex), length, eps_r

    # ---------------------------------------------------------------------------------- solving
    def check_band(self, f: ArrayLike) -> np.ndarray:
        """Validate a frequency array (1-D, positive, finite, clear of the TE11 cutoff).

        In a closed booster every frequency must exceed the cutoff by more than a relative
        :data:`~emboost.rf.media.CUTOFF_RELATIVE_MARGIN` (1e-9): closer in, the guide wavelength and
        the wave impedance diverge like ``1/sqrt(f/f_c - 1)`` and the answer is set by the rounding of
        ``f`` and ``f_c`` rather than by the booster.
        """
        f = as_frequencies(f)  # arrays in Hz, or a skrf.Frequency / Network
        if f.ndim != 1 or f.size == 0:
            raise InputError(f"frequencies must be a non-empty 1-D array of Hz, got shape {f.shape}")
        if not np.all(np.isfinite(f)) or np.any(f <= 0):
            raise InputError("frequencies must be finite and > 0 Hz")
        fc = self.cutoff_frequency
        if fc and np.any(f <= fc):
            raise PhysicsError(f"frequency {f.min():.6g} Hz is at or below the TE11 cutoff {fc:.6g} Hz "
                               f"of the {self.radius:g} m radius cylinder: no propagating booster mode")
        if fc and np.any(f <= fc * (1 + CUTOFF_RELATIVE_MARGIN)):
            raise PhysicsError(f"frequency {f.min():.15g} Hz is within a relative {CUTOFF_RELATIVE_MARGIN:g} of the "
                               f"TE11 cutoff {fc:.15g} Hz of the {self.radius:g} m radius cylinder: the guide "
                               "wavelength diverges there and the result would be rounding noise")
        return f

    def response(self, f: ArrayLike, solver: Literal["tl", "tm"] = "tl") -> BoosterResponse:
        """Boost factor and reflectivity at frequencies ``f`` [Hz], shape ``(..., nf)``.

        Raises :class:`~emboost.core.errors.PhysicsError` if the solve is not finite (which takes
        inputs beyond double precision, e.g. a section whose phase ``beta l`` overflows).
        """
        f = self.check_band(f)
        if solver not in ("tl", "tm"):
            raise InputError(f"solver must be 'tl' or 'tm', got {solver!r}", key="solver")
        solve = solve_transmission_line if solver == "tl" else solve_transfer_matrix
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            amp, s11 = solve(self, f)
            r = BoosterResponse(frequency=f, boost_amplitude=amp, s11=s11, overlap=self.eta_a)
            _require_finite(f, {"boost factor": r.boost_factor, "S11": s11}, solver)
        return r

    def boost_factor(self, f: ArrayLike, backend: str = "auto") -> np.ndarray:
        """Boost factor beta^2(f), shape ``(..., nf)``.

        Computes only beta^2 (8 bytes per variant and frequency, besides bounded workspaces), so that
        large batches fit in memory: 10^4 variants x 10^4 frequencies take 0.8 GB.
        """
        f = self.check_band(f)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            (bf,) = _solve_chain(self, f, "boost", backend)
            _require_finite(f, {"boost factor": bf}, "tl")
        return bf

    def gradients(self, f: ArrayLike) -> BoosterGradients:
        """Boost factor, S11 and their exact derivatives w.r.t. every gap, thickness, eps and tan delta
        (:func:`emboost.booster.gradients.booster_gradients`)."""
        from emboost.booster.gradients import booster_gradients

        return booster_gradients(self, np.asarray(f, dtype=float))

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

    __repr__ = short_repr

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

    def to_network(self, **kwargs: Any) -> Any:
        """This response's S11 (one port) as a ``skrf.Network``.

        Through :func:`emboost.rf.skrf_bridge.to_network`; keyword arguments (``s_def``, ``z0``, ...) go to it.
        """
        from emboost.rf.skrf_bridge import to_network

        return to_network(self, **kwargs)

def _require_finite(f: np.ndarray, results: dict[str, np.ndarray], solver: str) -> None:
    """Raise :class:`PhysicsError` naming the first non-finite result, its frequency and count."""
    for name, x in results.items():
        bad = ~np.isfinite(x)
        if np.any(bad):
            where = np.nonzero(np.any(bad.reshape(-1, f.size), axis=0))[0]
            raise PhysicsError(f"the {solver} solver gave a non-finite {name} at {where.size} of {f.size} "
                               f"frequencies (first {f[where[0]]:.9g} Hz): an input is beyond double "
                               "precision (e.g. a region so long that its phase overflows)")


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


def _chain_tables(b: Booster, f: np.ndarray, lo: int, hi: int, lengths: np.ndarray,
                  backend: str = "auto") -> ChainTables:
    """Tables of :mod:`emboost.booster.engine` for variants ``lo:hi`` of ``b`` (flattened batch)."""
    n = b.n_disks
    m = 2 * n + 1
    nf = f.size
    nvc = hi - lo
    materials_batched = b.permittivity.ndim > 1 or b.loss_tangent.ndim > 1
    if not materials_batched:
        perm = np.broadcast_to(b.permittivity, (n,)).tolist()
        tnd = np.broadcast_to(b.loss_tangent, (n,)).tolist()
        region_mat = [(1.0, 0.0)] + [x for i in range(n) for x in ((perm[i], tnd[i]), (1.0, 0.0))]
        mats: dict[tuple[float, float], int] = {}
        matl = [mats.setdefault(x, len(mats)) for x in region_mat]
        matr = np.array(matl, dtype=np.int64)
        er_u = np.array([x[0] for x in mats])
        ec_u = er_u * (1.0 - 1j * np.array([x[1] for x in mats]))
        gu, zu = (np.broadcast_to(x, (ec_u.size, nf)) for x in _media(b, f, ec_u[:, None], er_u[:, None]))
        su = np.broadcast_to(_source_terms(b, f, ec_u[:, None]), (ec_u.size, nf))
        pair_ids: dict[tuple[int, int], int] = {}
        jidx = np.array([pair_ids.setdefault((matl[r], matl[r + 1]), len(pair_ids)) for r in range(m - 1)],
                        dtype=np.int64)
        p1 = [x[0] for x in pair_ids]
        p2 = [x[1] for x in pair_ids]
        z1 = zu[p1]
        inv_z1 = 1.0 / z1
        zeta = (zu[p2] * inv_z1)[None]
        cj = ((su[p2] - su[p1]) * inv_z1)[None]
        gam = gu[None]
        z0, s0, zo = zu[matl[0]][None], su[matl[0]][None], zu[matl[-1]][None]
        gaps_vary, thick_vary = b.gaps.ndim > 1, b.thickness.ndim > 1
        sidx = np.full(m, -1, dtype=np.int64)
        keys: dict[tuple[int, float], int] = {}
        row = lengths[0].tolist()
        for r in range(m):
            if r < 2 * n and (thick_vary if r % 2 else gaps_vary):
                continue
            sidx[r] = keys.setdefault((matl[r], row[r]), len(keys))
        if keys:
            ks = [k for k, _ in keys]
            sec = exp_sections(gu[ks], np.array([ln for _, ln in keys]), backend)
        else:
            sec = np.empty((1, nf), complex)
    else:
        ec, _, er = b.regions()
        ec, er = ec.reshape(-1, m)[lo:hi], er.reshape(-1, m)[lo:hi]
        g, z = (np.broadcast_to(x, (nvc, m, nf)) for x in _media(b, f, ec[..., None], er[..., None]))
        s = _source_terms(b, f, ec[..., None]) * np.ones((1, 1, nf))
        zeta = z[:, 1:] / z[:, :-1]
        cj = (s[:, 1:] - s[:, :-1]) / z[:, :-1]
        gam = g
        matr = np.arange(m)
        jidx = np.arange(m - 1)
        z0, s0, zo = z[:, 0], s[:, 0], z[:, -1]
        sidx = np.full(m, -1, dtype=np.int64)
        sec = np.empty((1, nf), complex)
    if b.mirror_conductivity is None:
        a0 = np.ones_like(z0)
        b0 = -a0
    else:
        zr = surface_impedance(f, b.mirror_conductivity) / z0
        a0, b0 = 1.0 - zr, -(1.0 + zr)
    return ChainTables(
        a0=np.ascontiguousarray(a0, complex), b0=np.ascontiguousarray(b0, complex),
        w0=np.ascontiguousarray(2.0 * s0 / z0, complex), zfac=np.ascontiguousarray(-0.5 * zo, complex),
        zeta=np.ascontiguousarray(zeta, complex), cj=np.ascontiguousarray(cj, complex),
        jidx=np.ascontiguousarray(jidx, np.int64), gam=np.ascontiguousarray(gam, complex),
        matr=np.ascontiguousarray(matr, np.int64), sec=sec, sidx=sidx,
        lengths=np.ascontiguousarray(lengths[lo:hi] if lengths.shape[0] > 1 else lengths), eta=b.eta_a)


#: Variants x frequencies per chunk of the numpy chain (its temporaries are ~10 arrays of this size)
#: and bytes of per-variant material tables per chunk when the materials carry a batch axis.
CHUNK_ELEMENTS = 1 << 15
CHUNK_TABLE_BYTES = 1 << 25


def _solve_chain(b: Booster, f: np.ndarray, output: Literal["both", "boost"],
                 backend: str = "auto") -> tuple[np.ndarray, ...]:
    """Run the one-column chain on every variant of ``b`` in bounded chunks (see :mod:`.engine`)."""
    n = b.n_disks
    m = 2 * n + 1
    batch = b.batch_shape
    nv = int(np.prod(batch, dtype=np.int64))
    nf = f.size
    full = batch + (n,)
    lengths = np.empty((nv, m))
    lengths[:, 0:2 * n:2] = np.broadcast_to(b.gaps, full).reshape(nv, n)
    lengths[:, 1:2 * n:2] = np.broadcast_to(b.thickness, full).reshape(nv, n)
    lengths[:, -1] = b.output_length
    materials_batched = b.permittivity.ndim > 1 or b.loss_tangent.ndim > 1
    if materials_batched:
        step = max(1, CHUNK_TABLE_BYTES // (5 * 16 * m * nf))
    elif backend == "numpy" or (backend == "auto" and not HAVE_NUMBA):
        step = max(1, CHUNK_ELEMENTS // nf)
    else:
        step = nv
    if output == "both":
        amp = np.empty((nv, nf), complex)
        s11 = np.empty((nv, nf), complex)
    else:
        boost = np.empty((nv, nf))
    shared = None if materials_batched else _chain_tables(b, f, 0, nv, lengths[:1], backend)
    for lo in range(0, nv, step):
        hi = min(nv, lo + step)
        if shared is None:
            t = _chain_tables(b, f, lo, hi, lengths, backend)
        elif nv == 1:
            t = shared
        else:
            t = dataclasses.replace(shared, lengths=lengths[lo:hi])
        if output == "both":
            run_chain(t, amp[lo:hi], s11[lo:hi], None, backend)
        else:
            run_chain(t, None, None, boost[lo:hi], backend)
    if output == "both":
        return amp.reshape(batch + (nf,)), s11.reshape(batch + (nf,))
    return (boost.reshape(batch + (nf,)),)


def solve_transmission_line(b: Booster, f: np.ndarray, backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Boost amplitude and S11 from the transmission line with series axion sources (exp(+jwt)).

    The chain of :mod:`emboost.booster.engine`: the mirror's homogeneous solution carried as one
    column of waves ``(a, b)`` with the Wronskian ``W`` accumulating the series sources
    ``dV_i = s_{i+1} - s_i`` of every interface (and ``s_0`` at the mirror: a perfect mirror is a short,
    a lossy one the surface impedance ``Z_s`` in series with ``s_0``). At the matched port the boost
    amplitude is ``-Z W / (2 b)`` and S11 is ``a / b``. Each section multiplies the state by
    ``exp(-gamma l)`` as a whole (``a`` by ``exp(-2 gamma l)``, ``b`` unchanged), so nothing grows with
    loss, and a rescaling every eighth interface keeps any stack in range: the result is finite and
    accurate for any attenuation, equal to the ABCD cascade to rounding where that is accurate.

    Cost: the complex exponentials of sections shared by every variant are evaluated once per
    distinct (medium, length) pair; those whose length varies across a batch in the compiled loop;
    the media (complex square roots, wall loss) and interface coefficients once per distinct
    material, unless the materials themselves carry a batch axis (then per chunk of variants).
    ``backend``: ``"auto"`` (compiled with numba when installed), ``"numba"`` or ``"numpy"``.
    """
    amp, s11 = _solve_chain(b, f, "both", backend)
    return amp, s11


def solve_transfer_matrix(b: Booster, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boost amplitude and S11 with Millar et al.'s transfer matrices (physics convention).

    Works with refractive indices ``n = conj(-j gamma) / k0`` (Im n >= 0 for loss) and wave
    amplitudes R (towards the port) and L (towards the mirror) in exp(-iwt); the mirror is a
    medium of index ``conj(Z0 / Z_s)`` (or infinite when perfect). Returns engineering-convention
    (conjugated) amplitudes so that the result is comparable with :func:`solve_transmission_line`.

    Rather than multiplying the transfer matrices out from the mirror (the factor ``exp(-i delta)``
    of a lossy layer grows as ``exp(Im delta)``, and the "no incoming wave" condition then takes
    the difference of huge numbers), the unknown mirror amplitude is eliminated as it goes: the
    mirror side is the affine relation ``R = r L + a`` at the start of each region. The phase
    matrix ``P = diag(e^{i delta}, e^{-i delta})`` maps it to ``(r e^{2 i delta}, a e^{i delta})``
    (|e^{i delta}| <= 1), and the interface ``[R', L'] = G [R, L] + S [1, 1]`` to
    ``r' = (G11 r + G12) / (G21 r + G22)``, ``a' = G11 a + S - r' (G21 a + S)``. In the output region
    ``L = 0`` (no incoming wave), so the outgoing amplitude is ``a`` and the reflectivity ``r``,
    both carried to the reference plane. A straightforward loop, written for clarity, not speed.
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

    def interface(n1: np.ndarray, n2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Millar's G_r = [[n2 + n1, n2 - n1], [n2 - n1, n2 + n1]] / (2 n2), entries G11, G12, G21, G22."""
        return (n2 + n1) / (2 * n2), (n2 - n1) / (2 * n2), (n2 - n1) / (2 * n2), (n2 + n1) / (2 * n2)

    one = np.ones(shape, dtype=complex)
    if b.mirror_conductivity is None:
        # E = R + L - s_0 = 0 on the perfect mirror
        r, a = -one, s[..., 0, :] * one
    else:
        zs = surface_impedance(f, b.mirror_conductivity)
        n0 = np.conj(Z0 / zs)
        # metal: only the wave going into it (amplitude x), and no axion field in the conductor:
        # [R, L] = G(n0, n1) [0, x] + s_0 / 2 [1, 1]
        _, g12, _, g22 = interface(n0 * one, n_match[..., 0, :] * one)
        r = g12 / g22
        a = 0.5 * s[..., 0, :] * (1.0 - r)
    for k in range(m - 1):
        ph = np.exp(1j * n_phase[..., k, :] * k0 * length[..., k, None])
        r, a = r * ph * ph, a * ph
        g11, g12, g21, g22 = interface(n_match[..., k, :], n_match[..., k + 1, :])
        src = 0.5 * (s[..., k + 1, :] - s[..., k, :])
        r_next = (g11 * r + g12) / (g21 * r + g22)
        a = g11 * a + src - r_next * (g21 * a + src)
        r = r_next
    # output region: reference plane at output_length from its start
    ph = np.exp(1j * n_phase[..., m - 1, :] * k0 * length[..., m - 1, None])
    return np.conj(a * ph), np.conj(r * ph * ph)
