"""Multi-mode solver for closed dielectric boosters: every TE/TM mode of the cylinder, coupled by imperfect surfaces.

The 1-D model (:mod:`emboost.booster.model`) keeps one mode, TE11, in every region and multiplies the result by
the fixed overlap ``eta_A``. Here the field in every region (gap or disk) of a circular metal cylinder of radius
``a`` is expanded in the empty guide's modes, TE_mn and TM_mn, up to a cutoff wavenumber ``kc_max`` (propagating
and evanescent modes alike). Each mode propagates with its own ``k_z = sqrt(eps k0^2 - kc^2)`` (loss from the
complex permittivity), the axion-induced field is projected onto every mode, and imperfect surfaces couple the
modes (docs/physics.md §5.5):

* **sources**: a uniform axion current along ``x`` forces, in a homogeneous region of permittivity ``eps``, the
  z-independent field ``p_n = s_n k0^2 / (eps k0^2 - kc_n^2)`` in TE mode ``n`` (``s_n``: overlap of the mode with
  the uniform field; TM modes have ``s_n = 0``); its jump across an interface launches waves, exactly as the series
  sources of the 1-D transmission line;
* **surfaces**: a surface at ``z = z0 + h(x, y)`` (a tilted or non-planar mirror or disk face) is handled by
  expanding each mode's field on the displaced surface, ``Phi^-+_mn = <e_m| exp(-+j k_z,n h) |e_n>``, and
  matching the tangential E and H there mode by mode (the local, small-slope form of mode matching);
* **propagation** is cascaded as a reflection operator from the mirror outward (a Riccati / S-matrix recursion),
  so evanescent modes never grow and any attenuation stays finite.

For a booster whose surfaces are all flat, the modes do not couple: only the TE_1n modes are excited and the
TE11 result equals the 1-D model with modal sources (``source="eps_eff"``) to rounding.

Boost factor. The antenna receives one pattern of the output field: ideal TE11 (the 1-D convention), a Gaussian
beam, or any field given as a function over the cross-section. The boost factor is
``eta_A |<u|a>|^2 / |a_11(bare)|^2`` with power-normalised amplitudes ``a`` at the port and ``a_11(bare)`` the TE11
amplitude of a bare flat mirror: for a TE11 receiver and flat surfaces it is the 1-D closed-booster result, and for
another pattern the overlap follows from the modes instead of being the constant ``eta_A``
(:meth:`MultiModeSolver.pattern_overlap`).

Limits of validity (docs/physics.md §5.5): surface slopes small (the surface normal is taken along z), height
variations small against the region lengths, PEC walls (no wall loss) and a perfect mirror; the disks fill the
cylinder.

>>> import numpy as np
>>> from emboost.booster.model import Booster
>>> b = Booster.from_disks([9.75e-3] * 3, 1e-3, 9.4, 5e-4, radius=0.02, output_length=0.01, source="eps_eff")
>>> f = np.array([19.0e9])
>>> mm = MultiModeSolver(b, kc_max=600.0)
>>> bool(np.isclose(mm.response(f).boost_factor[0], b.boost_factor(f)[0], rtol=1e-9))
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from emboost.booster.model import Booster
from emboost.booster.multimode_layers import CoreOverlaps, LayerModes, core_overlaps, layer_modes
from emboost.core.constants import ETA_A_TE11, c
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError, PhysicsError
from emboost.core.reprs import short_repr

__all__ = ["ModeBasis", "mode_basis", "Surface", "flat", "tilt", "radial_profile", "height_map", "gaussian_beam",
           "MultiModeSolver", "MultiModeResponse", "convergence", "mirror_tilt", "disk_tilt", "disk_bulge",
           "ToleranceScan", "tolerance_scan"]

#: a function of (x, y) [m] returning a height [m] (or the two field components of a receiving pattern)
HeightFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
PatternFunction = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)
class ModeBasis:
    """Modes of a circular PEC guide of radius ``radius`` [m], sampled on a polar quadrature.

    ``kind`` 0 = TE, 1 = TM; ``m``, ``n`` the azimuthal and radial orders; ``kc`` [1/m] the cutoff wavenumbers
    (ascending); ``ex``, ``ey`` shape ``(Q, N)`` the transverse E field of each mode, orthonormal under the
    quadrature weights ``w`` [m^2] at points ``x``, ``y`` [m]; ``psi`` (Q, N) the scalar potential of each mode
    with the same normalisation (``e = z x grad psi`` for TE, ``grad psi`` for TM), which gives the longitudinal
    fields; ``source`` (N,) the overlap of each mode with a uniform unit field along x (``sum(source**2)`` tends
    to the area); ``scale`` (N,) the normalisation of the Bessel-function fields (:meth:`fields_at`).
    """

    radius: float
    kind: np.ndarray
    m: np.ndarray
    n: np.ndarray
    even: np.ndarray
    kc: np.ndarray
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    psi: np.ndarray
    source: np.ndarray
    scale: np.ndarray

    __repr__ = short_repr

    def fields_at(self, r: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(e_x, e_y, psi)`` of every mode, normalised as on the quadrature, at polar points ``r`` [m],
        ``phi`` [rad] (1-D, same length): shape (len(r), N) each."""
        ex, ey, psi = _mode_fields(self.kc, self.kind, self.m, self.even, np.asarray(r, float),
                                   np.asarray(phi, float))
        return ex * self.scale, ey * self.scale, psi * self.scale

    @property
    def size(self) -> int:
        return int(self.kc.size)

    @property
    def te11(self) -> int:
        """Index of the x-polarised TE11 mode."""
        hit = np.nonzero((self.kind == 0) & (self.m == 1) & (self.n == 1) & self.even)[0]
        return int(hit[0])

    def project(self, vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
        """Coefficients of a transverse field ``(vx, vy)`` sampled at the quadrature points: shape (..., N)."""
        return (vx * self.w) @ self.ex + (vy * self.w) @ self.ey

    def mixing(self, phase: np.ndarray) -> np.ndarray:
        """``M_mn = <e_m| exp(phase_n(x, y)) |e_n>`` for phases of shape (..., Q, N): shape (..., N, N)."""
        g = np.moveaxis(np.exp(phase), -2, 0)  # (Q, ..., N)
        lead = g.shape[1:-1]
        g = g.reshape(g.shape[0], -1, g.shape[-1])
        ex, ey = self.ex[:, None, :], self.ey[:, None, :]
        out = _gemm(self.ex * self.w[:, None], g * ex) + _gemm(self.ey * self.w[:, None], g * ey)
        return out.reshape(lead + out.shape[-2:])


def _gemm(test: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``sum_q test[q, m] cols[q, f, n]`` for a real (Q, N) ``test`` and a complex (Q, F, N) ``cols``: (F, N, N).

    The complex columns are read as interleaved real pairs, so the whole batch is one real GEMM with no copy."""
    q, nf, n = cols.shape
    c = np.ascontiguousarray(cols)
    out = (np.ascontiguousarray(test.T) @ c.reshape(q, nf * n).view(np.float64)).view(np.complex128)
    return np.ascontiguousarray(out.reshape(test.shape[1], nf, n).transpose(1, 0, 2))


#: the series of :func:`_phase_projection` is used while ``max |(beta - beta_0) h|`` stays below this
_SERIES_LIMIT = 1.0


def _phase_projection(test: np.ndarray, cols: np.ndarray, h: np.ndarray, beta: np.ndarray, sign: int) -> np.ndarray:
    """``P[f, m, n] = sum_q test[q, m] cols[q, n] exp(j sign beta[f, n] h[q])``: shape (F, N, N).

    ``test`` (Q, M) and ``cols`` (Q, N) are real, ``h`` (Q,) the surface height [m], ``beta`` (F, N) [1/m].
    Over a band the phases change little with frequency, so around ``beta_0 = mean_f beta`` the exponential is
    ``exp(j s beta_0 h) sum_k (j s (beta - beta_0) h)^k / k!``: a few frequency-independent moments
    ``sum_q test cols h^k exp(j s beta_0 h)`` (one GEMM each) times per-frequency coefficients, exact to 1e-15
    relative in the series; where ``|(beta - beta_0) h|`` exceeds 1 the exponential is evaluated directly.
    """
    beta0 = beta.mean(axis=0)
    d = beta - beta0[None, :]
    x = float(np.max(np.abs(d))) * float(np.max(np.abs(h)))
    if x > _SERIES_LIMIT:
        g = np.exp(1j * sign * h[:, None, None] * beta[None, :, :])     # (Q, F, N)
        return _gemm(test, cols[:, None, :] * g)
    base = cols * np.exp(1j * sign * h[:, None] * beta0[None, :])          # (Q, N)
    tt = np.ascontiguousarray(test.T)
    moments, coefs = [], []
    hk = np.ones_like(h)
    coef = np.ones_like(d)
    k, term = 0, 1.0
    while True:
        moments.append(tt @ (base * hk[:, None]))                           # (M, N)
        coefs.append(coef)
        k += 1
        term *= x / k
        if term < 1e-16:
            break
        hk = hk * h
        coef = coef * (1j * sign * d) / k
    # out[f, m, n] = sum_k coefs[k][f, n] moments[k][m, n]: one batched GEMM over n
    c_stack = np.ascontiguousarray(np.stack(coefs).transpose(2, 1, 0))       # (N, F, K)
    m_stack = np.ascontiguousarray(np.stack(moments).transpose(2, 0, 1))     # (N, K, M)
    return np.ascontiguousarray((c_stack @ m_stack).transpose(1, 2, 0))      # (F, M, N)


def _zeros(m: int, count: int, derivative: bool) -> np.ndarray:
    return special.jnp_zeros(m, count) if derivative else special.jn_zeros(m, count)


def mode_basis(radius: float, kc_max: float, *, symmetric: bool = True, n_r: int | None = None,
               n_phi: int | None = None, orders: Sequence[int] | None = None) -> ModeBasis:
    """All modes with cutoff ``kc < kc_max`` [1/m] of a PEC cylinder of radius ``radius`` [m].

    ``symmetric`` keeps only the family excited by an x-polarised source and coupled by surfaces that are even in
    ``y`` (TE with sin(m phi), TM with cos(m phi)); ``False`` keeps both polarisations (any surface). ``n_r``,
    ``n_phi``: quadrature size (default: enough to integrate products of the modes exactly in phi and to a few
    ulp in r). ``orders``: keep only these azimuthal orders (``(1,)``: the modes that an x-polarised source
    excites and an axisymmetric structure keeps).

    >>> b = mode_basis(0.02, 300.0)
    >>> [(int(k), int(m), int(n)) for k, m, n in zip(b.kind, b.m, b.n)][:3]
    [(0, 1, 1), (1, 0, 1), (0, 2, 1)]
    >>> round(float(b.source[b.te11] ** 2 / (np.pi * 0.02**2)), 6)
    0.836835
    """
    if not (np.isfinite(radius) and radius > 0):
        raise InputError(f"radius must be > 0 m, got {radius!r}", key="radius")
    if not (np.isfinite(kc_max) and kc_max * radius > special.jnp_zeros(1, 1)[0]):
        raise InputError(f"kc_max {kc_max!r} 1/m keeps no mode (TE11 needs kc_max > {1.8412 / radius:.4g} 1/m)",
                         key="kc_max")
    xmax = kc_max * radius
    entries: list[tuple[float, int, int, int, bool]] = []
    m = 0
    while True:
        found = False
        if orders is not None and m not in orders:
            if m > max(orders):
                break
            m += 1
            continue
        for kind, deriv in ((0, True), (1, False)):
            # the zeros of J_m and J_m' are spaced by about pi: this many cover [0, xmax] with room to spare
            zs = _zeros(m, int(xmax / np.pi) + 3, deriv)
            while zs[-1] < xmax:  # pragma: no cover - the estimate above always suffices
                zs = _zeros(m, 2 * zs.size, deriv)
            for n_idx, z in enumerate(zs[zs < xmax], start=1):
                found = True
                for even in ((True,) if symmetric else (True, False)):
                    # even family: TE sin(m phi) (m >= 1), TM cos(m phi); odd: TE cos, TM sin (m >= 1)
                    uses_sin = (kind == 0) == even
                    if (uses_sin and m == 0) or (orders is not None and m not in orders):
                        continue
                    entries.append((float(z) / radius, kind, m, n_idx, even))
        if not found and m > 0:
            break
        m += 1
        if m > 400:  # pragma: no cover - kc_max is bounded by the zero search above
            break
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    kc = np.array([e[0] for e in entries])
    kinds = np.array([e[1] for e in entries])
    ms = np.array([e[2] for e in entries])
    ns = np.array([e[3] for e in entries])
    evens = np.array([e[4] for e in entries])
    m_max = int(ms.max())
    n_phi = n_phi or 2 * m_max + 16
    n_r = n_r or int(xmax) + 16
    xg, wg = np.polynomial.legendre.leggauss(n_r)
    r = 0.5 * radius * (xg + 1.0)
    wr = 0.5 * radius * wg * r
    phi = 2 * np.pi * (np.arange(n_phi) + 0.5) / n_phi
    r_grid, p_grid = np.meshgrid(r, phi, indexing="ij")
    R, P = r_grid.ravel(), p_grid.ravel()
    W = np.repeat(wr * (2 * np.pi / n_phi), n_phi)
    fx, fy, fpsi = _mode_fields(kc, kinds, ms, evens, R, P)
    norm = np.sqrt(W @ (fx**2 + fy**2))
    src = W @ fx
    scale = np.where(src < 0, -1.0, 1.0) / norm
    ex, ey, psi = fx * scale, fy * scale, fpsi * scale
    src = src * scale
    src[np.abs(src) < 1e-12 * np.abs(src).max()] = 0.0
    x, y = R * np.cos(P), R * np.sin(P)
    W = np.ascontiguousarray(W)
    for a in (kinds, ms, ns, evens, kc, x, y, W, ex, ey, psi, src, scale):
        a.setflags(write=False)
    return ModeBasis(float(radius), kinds, ms, ns, evens, kc, x, y, W, ex, ey, psi, src, scale)


def _mode_fields(kc: np.ndarray, kinds: np.ndarray, ms: np.ndarray, evens: np.ndarray, r: np.ndarray,
                 phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unnormalised ``(e_x, e_y, psi)`` of the modes at the polar points ``(r, phi)``: shape (Q, N) each."""
    ex = np.empty((r.size, kc.size))
    ey = np.empty((r.size, kc.size))
    psi = np.empty((r.size, kc.size))
    for j, (k, kind, mm, even) in enumerate(zip(kc, kinds, ms, evens)):
        uses_sin = (kind == 0) == even
        ang = np.sin(mm * phi) if uses_sin else np.cos(mm * phi)
        dang = mm * np.cos(mm * phi) if uses_sin else -mm * np.sin(mm * phi)
        jm = special.jv(mm, k * r)
        djm = k * special.jvp(mm, k * r)
        if kind == 0:  # e = z x grad(psi): e_r = -(1/r) dpsi/dphi, e_phi = dpsi/dr
            er, ephi = -jm * dang / r, djm * ang
        else:  # e = grad(psi)
            er, ephi = djm * ang, jm * dang / r
        ex[:, j] = er * np.cos(phi) - ephi * np.sin(phi)
        ey[:, j] = er * np.sin(phi) + ephi * np.cos(phi)
        psi[:, j] = jm * ang
    return ex, ey, psi


# ------------------------------------------------------------------------------------------------ surfaces
@dataclass(frozen=True)
class Surface:
    """A displaced surface: ``z = z_nominal + height(x, y)`` [m]; ``symmetric`` if even in y, ``axisymmetric``
    if a function of the radius only (then the solver keeps only the azimuthal order 1, which is exact)."""

    height: HeightFunction
    symmetric: bool = True
    label: str = ""
    axisymmetric: bool = False

    def sample(self, basis: ModeBasis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Height [m] and its gradient ``(dh/dx, dh/dy)`` at the quadrature points (central differences)."""
        def at(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            h = np.asarray(self.height(x, y), dtype=float)
            return np.broadcast_to(h, np.broadcast_shapes(h.shape, x.shape))

        d = 1e-6 * basis.radius
        h = at(basis.x, basis.y)
        hx = (at(basis.x + d, basis.y) - at(basis.x - d, basis.y)) / (2 * d)
        hy = (at(basis.x, basis.y + d) - at(basis.x, basis.y - d)) / (2 * d)
        if not (np.all(np.isfinite(h)) and np.all(np.isfinite(hx)) and np.all(np.isfinite(hy))):
            raise InputError(f"surface {self.label or ''} height is not finite on the cross-section")
        return h, hx, hy


def flat() -> Surface:
    """A plane surface (no displacement)."""
    return Surface(lambda x, y: np.zeros_like(x), True, "flat", True)


def tilt(about_y: float = 0.0, about_x: float = 0.0) -> Surface:
    """A plane tilted by ``about_y`` [rad] about the y axis (height ``x tan``) and ``about_x`` about the x axis."""
    ty, tx = np.tan(about_y), np.tan(about_x)
    return Surface(lambda x, y: x * ty + y * tx, about_x == 0.0,
                   f"tilt {np.degrees(about_y):.3g} deg about y, {np.degrees(about_x):.3g} deg about x")


def radial_profile(r: ArrayLike, height: ArrayLike) -> Surface:
    """An axisymmetric profile: ``height`` [m] tabulated at radii ``r`` [m] (linear interpolation)."""
    rr = np.asarray(r, dtype=float)
    hh = np.asarray(height, dtype=float)
    if rr.ndim != 1 or rr.shape != hh.shape or rr.size < 2 or np.any(np.diff(rr) <= 0):
        raise InputError("a radial profile needs increasing radii and as many heights")
    return Surface(lambda x, y: np.interp(np.hypot(x, y), rr, hh), True, "radial profile", True)


def height_map(x: ArrayLike, y: ArrayLike, height: ArrayLike) -> Surface:
    """A surface map on a regular grid: ``height[i, j]`` [m] at ``(x[i], y[j])`` [m] (bilinear interpolation)."""
    from scipy.interpolate import RegularGridInterpolator

    xs, ys, hs = (np.asarray(v, dtype=float) for v in (x, y, height))
    if hs.shape != (xs.size, ys.size):
        raise InputError(f"height map shape {hs.shape} does not match the grid ({xs.size}, {ys.size})")
    interp = RegularGridInterpolator((xs, ys), hs, bounds_error=False, fill_value=None)
    sym = bool(np.allclose(hs, hs[:, ::-1])) and bool(np.allclose(ys, -ys[::-1]))
    return Surface(lambda px, py: interp(np.column_stack([px, py])), sym, "height map")


def gaussian_beam(waist: float) -> PatternFunction:
    """An x-polarised Gaussian receiving pattern ``exp(-r^2 / waist^2)`` at the port plane (waist [m])."""
    if not waist > 0:
        raise InputError(f"waist must be > 0 m, got {waist!r}", key="waist")
    return lambda x, y: (np.exp(-(x**2 + y**2) / waist**2), np.zeros_like(x))


# ------------------------------------------------------------------------------------------------ solver
@dataclass(frozen=True, eq=False)
class MultiModeResponse:
    """Result of :meth:`MultiModeSolver.response` at ``frequency`` [Hz] (shape (nf,)).

    ``emitted`` (nf, N): axion-induced forward amplitudes of every mode at the port, in units of the bare flat
    mirror's TE11 amplitude; ``reflection`` (nf, N, N): the port reflection matrix on mode amplitudes;
    ``boost_factor`` (nf,) and ``s11`` (nf,) for the receiving pattern; ``basis`` the modes used.
    """

    frequency: np.ndarray
    boost_factor: np.ndarray
    s11: np.ndarray
    emitted: np.ndarray
    reflection: np.ndarray
    basis: ModeBasis = field(repr=False)

    __repr__ = short_repr


class MultiModeSolver:
    """Multi-mode model of a closed booster: a :class:`~emboost.booster.model.Booster` plus imperfect surfaces.

    ``surfaces`` maps a surface index to a :class:`Surface`: 0 is the mirror, ``2 i - 1`` and ``2 i`` the
    mirror-side and far faces of disk ``i`` (1-based). Heights are measured from the nominal (1-D) positions.
    ``kc_max`` [1/m] sets the modes kept (default ``6 / radius``: converged to 1e-3 for the stored 20 mm
    references; ``150 / radius`` with disks smaller than the cylinder and axisymmetric surfaces, where the series
    converges like ``1 / kc_max``; check yours with :func:`convergence`); ``pattern`` the receiving field at the
    port (None: ideal TE11); ``n_r``, ``n_phi`` the quadrature (defaults resolve the modes and tilts of a few degrees).
    ``disk_radius`` [m] (one value or one per disk; None or the cylinder radius: the disk fills the cylinder)
    makes disks smaller than the cylinder, centred, with a vacuum annulus; their layers' modes are the hybrid
    modes of :mod:`emboost.booster.multimode_layers` (flat faces only).
    """

    def __init__(self, booster: Booster, surfaces: Mapping[int, Surface] | None = None, *,
                 kc_max: float | None = None, pattern: PatternFunction | None = None,
                 n_r: int | None = None, n_phi: int | None = None,
                 disk_radius: float | Sequence[float] | None = None) -> None:
        if booster.radius is None:
            raise InputError("the multi-mode solver needs a closed booster (give radius)", key="radius")
        if booster.wall_conductivity is not None or booster.mirror_conductivity is not None:
            raise InputError("the multi-mode solver models PEC walls and mirror; remove wall/mirror conductivity")
        self.booster = booster
        self.surfaces = dict(surfaces or {})
        n_surf = 2 * booster.n_disks + 1
        for k in self.surfaces:
            if not 0 <= k < n_surf:
                raise InputError(f"surface index {k} outside 0..{n_surf - 1} (0 = mirror, 2i-1/2i = faces of disk i)",
                                 key="surfaces")
        symmetric = all(s.symmetric for s in self.surfaces.values())
        a = float(booster.radius)
        self.disk_radius = _disk_radii(disk_radius, booster.n_disks, a)
        small = any(rd is not None for rd in self.disk_radius)
        # an axisymmetric structure keeps the azimuthal order of the x-polarised source (m = 1): the other
        # orders are not excited, so leaving them out is exact (a receiving pattern may hold other orders)
        axisymmetric = pattern is None and all(s.axisymmetric for s in self.surfaces.values())
        # a small disk's edge couples modes far above the layer's own cutoff (the series converges like 1/kc_max:
        # 0.4 % of the peak at 150 / radius for the stored references)
        self.kc_max = float(kc_max) if kc_max is not None else (150.0 if small and axisymmetric else 6.0) / a
        self.basis = mode_basis(a, self.kc_max, symmetric=symmetric, n_r=n_r, n_phi=n_phi,
                                orders=(1,) if axisymmetric else None)
        self.heights = {k: s.sample(self.basis) for k, s in self.surfaces.items()}
        self._cores: dict[int, CoreOverlaps] = {}
        by_radius: dict[float, CoreOverlaps] = {}
        for i, rd in enumerate(self.disk_radius, start=1):
            if rd is None:
                continue
            if 2 * i - 1 in self.surfaces or 2 * i in self.surfaces:
                raise InputError(f"disk {i} is smaller than the cylinder: a tilted or non-planar face of such a disk "
                                 "is not modelled (only flat faces)", key="surfaces")
            if rd not in by_radius:
                by_radius[rd] = core_overlaps(self.basis, rd)
            self._cores[2 * i - 1] = by_radius[rd]
        self.pattern = pattern
        if pattern is not None:
            px, py = pattern(self.basis.x, self.basis.y)
            self._pattern_coeff: np.ndarray | None = self.basis.project(np.asarray(px, float), np.asarray(py, float))
        else:
            self._pattern_coeff = None

    # -------------------------------------------------------------------------------------------- pieces
    def _beta(self, eps: np.ndarray, k0: np.ndarray) -> np.ndarray:
        """k_z of every mode, shape (F, N) for ``eps`` (F,) and ``k0`` (F,), with Im <= 0 (exp(-j k_z z) decays)."""
        x = eps[:, None] * k0[:, None] ** 2 - self.basis.kc[None, :] ** 2
        beta = np.sqrt(x.astype(complex))
        beta = np.where(beta.imag > 0, np.conj(beta), beta)
        near = np.abs(beta) < 1e-6 * k0[:, None]
        if np.any(near):
            i = int(np.argmax(np.any(near, axis=1)))
            raise PhysicsError(f"frequency {k0[i] * c / (2 * np.pi):.9g} Hz lies within 1e-12 of a mode cutoff "
                               "of a region: move it or change kc_max")
        return beta

    def _impedance(self, beta: np.ndarray, eps: np.ndarray, k0: np.ndarray) -> np.ndarray:
        """Wave impedance of every mode normalised to Z0: TE k0/beta, TM beta/(k0 eps)."""
        te = self.basis.kind == 0
        return np.where(te[None, :], k0[:, None] / beta, beta / (k0[:, None] * eps[:, None]))

    def _particular(self, beta: np.ndarray, k0: np.ndarray) -> np.ndarray:
        """Axion-forced z-independent field in every mode, ``s_n k0^2 / beta_n^2``."""
        return self.basis.source[None, :] * k0[:, None] ** 2 / beta**2

    def _surface(self, k: int, beta: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """Projections of every mode's tangential E and H on the displaced surface ``k`` (None: flat).

        Returns ``(E+, E-, H+, H-)``, each (F, N, N): column n is the forward (+) or backward (-) mode n,
        evaluated at ``z = h(x, y)`` with the tangential field ``F_t + F_z grad h`` of a slightly inclined surface,
        and projected on ``e_m`` (E) or ``z x e_m`` (H). A flat surface gives ``(I, I, Y, -Y)``.
        """
        hs = self.heights.get(k)
        if hs is None or not np.any(hs[0]):
            return None
        h, hx, hy = hs
        bs = self.basis
        tm = (bs.kind == 1)[None, :]
        kc2 = bs.kc[None, :] ** 2
        cz = np.where(tm, 1j * kc2 / beta, 0.0)            # E_z of a forward TM mode per unit psi: j kc^2/beta
        dz = np.where(tm, 0.0, -1j * y * kc2 / beta)       # H_z of a TE mode (both directions): -j Y kc^2/beta
        w = bs.w[:, None]
        e_dot_grad = w * (bs.ex * hx[:, None] + bs.ey * hy[:, None])      # e_m . grad h
        ze_dot_grad = w * (bs.ex * hy[:, None] - bs.ey * hx[:, None])     # (z x e_m) . grad h
        we_x, we_y = bs.ex * bs.w[:, None], bs.ey * bs.w[:, None]
        mix_f = _phase_projection(we_x, bs.ex, h, beta, -1) + _phase_projection(we_y, bs.ey, h, beta, -1)
        mix_b = _phase_projection(we_x, bs.ex, h, beta, +1) + _phase_projection(we_y, bs.ey, h, beta, +1)
        gf = _phase_projection(e_dot_grad, bs.psi, h, beta, -1)
        gb = _phase_projection(e_dot_grad, bs.psi, h, beta, +1)
        zf = _phase_projection(ze_dot_grad, bs.psi, h, beta, -1)
        zb = _phase_projection(ze_dot_grad, bs.psi, h, beta, +1)
        ef = mix_f + gf * cz[:, None, :]
        eb = mix_b - gb * cz[:, None, :]
        hf = mix_f * y[:, None, :] + zf * dz[:, None, :]
        hb = -mix_b * y[:, None, :] + zb * dz[:, None, :]
        return ef, eb, hf, hb

    # -------------------------------------------------------------------------------------------- solve
    def response(self, f: ArrayLike) -> MultiModeResponse:
        """Boost factor, S11 and modal amplitudes at frequencies ``f`` [Hz] (1-D), shape ``batch + (nf, ...)``."""
        b = self.booster
        f = b.check_band(f)
        eps_c, length, _ = b.regions()
        batch = eps_c.shape[:-1]
        nb = int(np.prod(batch, dtype=int))
        nf, nm = f.size, self.basis.size
        eps_c = np.broadcast_to(eps_c, batch + eps_c.shape[-1:]).reshape(nb, -1)
        length = np.broadcast_to(length, batch + length.shape[-1:]).reshape(nb, -1)
        k0 = np.tile(2 * np.pi * f / c, nb)                                   # leading axis F = batch x frequency
        eps_f = np.repeat(eps_c, nf, axis=0)                                  # (F, regions)
        len_f = np.repeat(length, nf, axis=0)
        nreg = eps_c.shape[1]
        betas = [self._beta(eps_f[:, i], k0) for i in range(nreg)]
        imps = [self._impedance(betas[i], eps_f[:, i], k0) for i in range(nreg)]
        parts = [self._particular(bt, k0) for bt in betas]
        layers: dict[int, LayerModes] = {}
        for i, core in self._cores.items():  # equal disks share their modes
            same = [j for j in layers if self._cores[j] is core and np.array_equal(eps_f[:, j], eps_f[:, i])]
            layers[i] = layers[same[0]] if same else layer_modes(self.basis, core, eps_f[:, i], k0)
        for i, lm in layers.items():
            betas[i], parts[i] = lm.beta, lm.particular
        # the mirror: tangential E = 0 on its surface; R is the reflection operator seen from the port side,
        # kept as a vector (diagonal) until a displaced surface couples the modes
        R: np.ndarray
        mirror = self._surface(0, betas[0], 1.0 / imps[0])
        if mirror is None:
            R = -np.ones((k0.size, nm), dtype=complex)
            src = -parts[0]
        else:
            ef, eb = mirror[0], mirror[1]
            R = -np.linalg.solve(ef, eb)
            src = -np.linalg.solve(ef, parts[0][..., None])[..., 0]
        for i in range(nreg):
            p = np.exp(-1j * betas[i] * len_f[:, i:i + 1])
            R = p * R * p if R.ndim == 2 else p[:, :, None] * R * p[:, None, :]
            src = p * src
            if i + 1 == nreg:
                break
            left = _layer_faces(layers[i]) if i in layers else self._surface(i + 1, betas[i], 1.0 / imps[i])
            right = (_layer_faces(layers[i + 1]) if i + 1 in layers
                     else self._surface(i + 1, betas[i + 1], 1.0 / imps[i + 1]))
            R, src = self._interface(R, src, left, right, imps[i], imps[i + 1], parts[i], parts[i + 1])
        i11 = self.basis.te11
        bare = parts[-1][:, i11]  # bare flat mirror: TE11 amplitude (magnitude) in air
        emitted = src / bare[:, None]
        if R.ndim == 2:
            R = R[:, :, None] * np.eye(nm)
        z_air = imps[-1]
        if self._pattern_coeff is None:
            received = emitted[:, i11]
        else:
            prop = np.abs(betas[-1].imag) < 1e-12 * np.abs(betas[-1].real)
            u = np.where(prop, self._pattern_coeff[None, :] / np.sqrt(z_air.real), 0.0)
            u = u / np.linalg.norm(u, axis=1, keepdims=True)
            a = np.where(prop, emitted * np.sqrt(z_air[:, i11:i11 + 1].real / z_air.real), 0.0)
            received = np.sum(np.conj(u) * a, axis=1)
        boost = ETA_A_TE11 * np.abs(received) ** 2
        if not (np.all(np.isfinite(boost)) and np.all(np.isfinite(R))):
            raise PhysicsError("the multi-mode solution is not finite: check the surfaces and kc_max")
        shape = batch + (nf,)
        return MultiModeResponse(frequency=f, boost_factor=boost.reshape(shape), s11=R[:, i11, i11].reshape(shape),
                                 emitted=emitted.reshape(shape + (nm,)), reflection=R.reshape(shape + (nm, nm)),
                                 basis=self.basis)

    def _interface(self, R: np.ndarray, src: np.ndarray, left: tuple[np.ndarray, ...] | None,
                   right: tuple[np.ndarray, ...] | None, zl: np.ndarray, zr: np.ndarray, pl: np.ndarray,
                   pr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add an interface (left region -> right region) to the reflection operator ``R`` and the source.

        ``left``, ``right``: the modes' (E+, E-, H+, H-) on the surface from each side (None: a flat face of a
        homogeneous region, the identity). With the interface's scattering ``s`` and sources ``(sl, sr)``:
        ``R' = s21 (1 - R s11)^-1 R s12 + s22`` and ``src' = s21 (1 - R s11)^-1 (R sl + src) + sr``.
        """
        dp = pr - pl
        nm = src.shape[-1]
        if left is None and right is None:  # flat: every mode on its own (Fresnel with the modal impedances)
            den = zl + zr
            s11, s22 = (zr - zl) / den, (zl - zr) / den
            s21, s12 = 2 * zr / den, 2 * zl / den
            sl, sr = dp * zl / den, -dp * zr / den
            if R.ndim == 2:  # still diagonal: scalars per mode
                g = 1.0 / (1.0 - R * s11)
                return s21 * g * R * s12 + s22, s21 * g * (R * sl + src) + sr
            eye = np.eye(nm)
            m = eye - R * s11[:, None, :]
            x = np.linalg.solve(m, np.concatenate([R * s12[:, None, :], (np.einsum("fmn,fn->fm", R, sl) + src)
                                                   [..., None]], axis=2))
            return s21[:, :, None] * x[..., :-1] + s22[:, :, None] * eye, s21 * x[..., -1] + sr
        left = left if left is not None else _flat_faces(1.0 / zl)
        right = right if right is not None else _flat_faces(1.0 / zr)
        if R.ndim == 2:
            R = R[:, :, None] * np.eye(nm)
        efl, ebl, hfl, hbl = left
        efr, ebr, hfr, hbr = right
        # tangential E and H continuous on the surface; unknowns [b_L, a_R], knowns [a_L, b_R]:  A u = B v + c
        A = np.block([[ebl, -efr], [hbl, -hfr]])
        B = np.block([[-efl, ebr], [-hfl, hbr]])
        cvec = np.concatenate([dp, np.zeros_like(dp)], axis=1)
        sol = np.linalg.solve(A, np.concatenate([B, cvec[..., None]], axis=2))
        S, s = sol[..., :-1], sol[..., -1]
        s11, s12, s21, s22 = S[:, :nm, :nm], S[:, :nm, nm:], S[:, nm:, :nm], S[:, nm:, nm:]
        sl, sr = s[:, :nm], s[:, nm:]
        m = np.eye(nm) - R @ s11
        x = np.linalg.solve(m, np.concatenate([R @ s12, (np.einsum("fmn,fn->fm", R, sl) + src)[..., None]], axis=2))
        return s21 @ x[..., :-1] + s22, np.einsum("fmn,fn->fm", s21, x[..., -1]) + sr

    def pattern_overlap(self, f: ArrayLike) -> np.ndarray:
        """The overlap eta of the receiving pattern: boost factor of a bare flat mirror seen through it."""
        bare = Booster.bare_mirror(radius=self.booster.radius, source="eps_eff")
        return MultiModeSolver(bare, kc_max=self.kc_max, pattern=self.pattern).response(f).boost_factor


def _flat_faces(y: np.ndarray) -> tuple[np.ndarray, ...]:
    """(E+, E-, H+, H-) of a flat face of a homogeneous region with modal admittances ``y`` (F, N)."""
    eye = np.broadcast_to(np.eye(y.shape[-1]), y.shape + y.shape[-1:])
    hy = y[:, None, :] * np.eye(y.shape[-1])
    return eye, eye, hy, -hy


def _layer_faces(lm: LayerModes) -> tuple[np.ndarray, ...]:
    """(E+, E-, H+, H-) of a flat face of a laterally inhomogeneous layer: its modes on the empty modes."""
    return lm.e, lm.e, lm.h, -lm.h


def _disk_radii(value: float | Sequence[float] | None, n_disks: int, radius: float) -> tuple[float | None, ...]:
    """Per disk: its radius [m] if smaller than the cylinder ``radius``, else None."""
    if value is None:
        return (None,) * n_disks
    vals = np.broadcast_to(np.asarray(value, dtype=float), (n_disks,)) if np.ndim(value) == 0 else \
        np.asarray(value, dtype=float)
    if vals.shape != (n_disks,):
        raise InputError(f"disk_radius needs one value or {n_disks} (one per disk), got {vals.size}",
                         key="disk_radius")
    out: list[float | None] = []
    for v in vals:
        if not (np.isfinite(v) and 0 < v <= radius * (1 + 1e-12)):
            raise InputError(f"disk_radius {v!r} m must be > 0 and at most the cylinder radius {radius:g} m",
                             key="disk_radius")
        out.append(None if v >= radius * (1 - 1e-12) else float(v))
    return tuple(out)


def convergence(booster: Booster, surfaces: Mapping[int, Surface] | None, f: ArrayLike,
                kc_max: Sequence[float]) -> list[tuple[int, float, np.ndarray]]:
    """Boost factor at ``f`` for increasing ``kc_max``: a list of (mode count, kc_max, boost factor)."""
    out = []
    for kc in kc_max:
        s = MultiModeSolver(booster, surfaces, kc_max=kc)
        out.append((s.basis.size, float(kc), s.response(f).boost_factor))
    return out


def mirror_tilt(angle: float) -> dict[int, Surface]:
    """Surfaces of a mirror tilted by ``angle`` [rad] about the y axis."""
    return {0: tilt(angle)}


def disk_tilt(disk: int, angle: float) -> dict[int, Surface]:
    """Surfaces of disk ``disk`` (1-based) rotated by ``angle`` [rad] about the y axis through its centre."""
    return {2 * disk - 1: tilt(angle), 2 * disk: tilt(angle)}


def disk_bulge(disk: int, amplitude: float, radius: float) -> dict[int, Surface]:
    """Disk ``disk`` thicker by ``amplitude`` [m] at the centre than at the edge (parabolic, far face)."""
    return {2 * disk: Surface(lambda x, y: amplitude * (1 - (x**2 + y**2) / radius**2), True, "bulge", True)}


@dataclass(frozen=True, eq=False)
class ToleranceScan:
    """Peak boost factor against an imperfection: ``values`` (the scanned level, in the caller's unit),
    ``peak`` the largest boost factor over the band at each level, ``relative`` = peak / peak at the first level,
    and ``level_for_drop`` the (linearly interpolated) level at which the peak has dropped by ``drop`` (None if it
    never does in the scanned range)."""

    values: np.ndarray
    peak: np.ndarray
    relative: np.ndarray
    drop: float
    level_for_drop: float | None

    __repr__ = short_repr


def tolerance_scan(booster: Booster, f: ArrayLike, surfaces: Callable[[float], Mapping[int, Surface]],
                   values: ArrayLike, *, drop: float = 0.1, kc_max: float | None = None) -> ToleranceScan:
    """Peak boost factor over ``f`` [Hz] for each imperfection level in ``values`` (the first is the reference,
    usually 0): ``surfaces(level)`` gives the displaced surfaces, e.g. ``lambda d: mirror_tilt(np.radians(d))``.

    >>> import numpy as np
    >>> from emboost.booster.model import Booster
    >>> b = Booster.from_disks([9.75e-3] * 3, 1e-3, 9.4, 5e-4, radius=0.02, output_length=0.01, source="eps_eff")
    >>> scan = tolerance_scan(b, np.linspace(18.8e9, 19.2e9, 41), lambda d: mirror_tilt(np.radians(d)),
    ...                       [0.0, 1.0, 2.0, 3.0])
    >>> 1.0 < scan.level_for_drop < 2.0  # degrees
    True
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size < 2:
        raise InputError("a tolerance scan needs at least two levels")
    peaks = np.array([MultiModeSolver(booster, surfaces(float(x)), kc_max=kc_max).response(f).boost_factor.max()
                      for x in v])
    rel = peaks / peaks[0]
    below = np.nonzero(rel <= 1 - drop)[0]
    level = None
    if below.size:
        j = int(below[0])
        level = float(np.interp(1 - drop, [rel[j], rel[j - 1]], [v[j], v[j - 1]])) if j > 0 else float(v[0])
    return ToleranceScan(v, peaks, rel, drop, level)
