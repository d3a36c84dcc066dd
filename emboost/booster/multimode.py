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
* **disks smaller than the cylinder** (``disk_radius``): their layers' modes are the hybrid modes of a dielectric
  core in a vacuum annulus, from a coupled-mode expansion in the empty modes
  (:mod:`emboost.booster.multimode_layers`), matched to the neighbouring regions on their flat faces;
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
variations small against the region lengths, PEC walls (no wall loss) and a perfect mirror; a disk smaller than
the cylinder is centred and keeps flat faces. With flat surfaces (full or small disks) the scattering of a lossless
booster conserves energy to rounding; with a displaced surface only in the limit of many modes, unless
``conserving=True``: then each displaced surface, written as the hybrid relation ``V_R = A V_L + B I_R``,
``I_L = C V_L + D I_R`` between the modal voltages ``V = a + b`` and currents ``I = Y (a - b)`` on flat planes at
its nominal position, is made reciprocal (``D = A^T``; ``B``, ``C`` symmetric) and lossless (``A`` real; ``B``,
``C`` imaginary), the conditions the exact operator meets, so a lossless booster is unitary to rounding at any
mode count. Between lossy media the spurious (non-conserving) part is taken from the same surface between the
real parts of the permittivities and removed, so the physical loss stays.

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

from emboost.booster.model import Booster
from emboost.booster.multimode_basis import ModeBasis, _phase_projection, mode_basis
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


@dataclass(frozen=True)
class _GaussianBeam:
    """x-polarised, radially symmetric amplitude: only the azimuthal order 1 (``order_one``)."""

    waist: float
    order_one: bool = True

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.exp(-(x**2 + y**2) / self.waist**2), np.zeros_like(x)


def gaussian_beam(waist: float) -> PatternFunction:
    """An x-polarised Gaussian receiving pattern ``exp(-r^2 / waist^2)`` at the port plane (waist [m]); its field
    holds the azimuthal order 1 only, so an axisymmetric structure keeps its reduced basis with it."""
    if not waist > 0:
        raise InputError(f"waist must be > 0 m, got {waist!r}", key="waist")
    return _GaussianBeam(float(waist))


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
    ``conserving`` (default False): each displaced surface is rewritten as the hybrid relation between the modal
    voltages and currents on flat planes at its nominal position and made reciprocal and, between lossless media,
    lossless; a lossless booster's scattering is then unitary and symmetric to rounding at any mode count (the
    plain matching: 1.1e-3 with 9 modes). Both converge to the same result as modes are added; lossy media keep
    their physical loss (docs/booster3d.md, energy conservation).
    """

    def __init__(self, booster: Booster, surfaces: Mapping[int, Surface] | None = None, *,
                 kc_max: float | None = None, pattern: PatternFunction | None = None,
                 n_r: int | None = None, n_phi: int | None = None,
                 disk_radius: float | Sequence[float] | None = None, conserving: bool = False) -> None:
        self.conserving = bool(conserving)
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
        # orders are not excited, so leaving them out is exact (a general receiving pattern may hold other orders,
        # which enter its normalisation: then every order is kept)
        order_one = pattern is None or bool(getattr(pattern, "order_one", False))
        axisymmetric = order_one and all(s.axisymmetric for s in self.surfaces.values())
        if small and all(s.axisymmetric for s in self.surfaces.values()) and not order_one and kc_max is None:
            raise InputError("a general receiving pattern with disks smaller than the cylinder keeps every azimuthal "
                             "order: give kc_max (the small-disk series needs about 150 / radius)", key="kc_max")
        # a small disk's edge couples modes far above the layer's own cutoff (the series converges like 1/kc_max:
        # 0.15-0.23 % of the peak at 150 / radius for the stored references)
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

    def _conserving(self, i: int, betas: list[np.ndarray], imps: list[np.ndarray], parts: list[np.ndarray],
                    eps: np.ndarray, k0: np.ndarray) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...],
                                                              np.ndarray]:
        """Faces and source jump of the conserving form of the displaced surface between regions ``i`` and
        ``i + 1`` (:func:`_conserving_interface`); a lossy side is evaluated together with its lossless medium in
        one call (the moments of the phase projections are shared)."""
        nf = k0.size
        lossy = bool(np.any(eps[:, i].imag) or np.any(eps[:, i + 1].imag))
        faces: list[tuple[np.ndarray, ...]] = []
        faces0: list[tuple[np.ndarray, ...]] = []
        ys, ys0 = [], []
        for j in (i, i + 1):
            y = 1.0 / imps[j]
            if lossy and np.any(eps[:, j].imag):
                b0, e0, _ = self._lossless(j, eps, k0)
                y0 = 1.0 / self._impedance(b0, e0, k0)
                both = self._surface(i + 1, np.concatenate([betas[j], b0]), np.concatenate([y, y0]))
                if both is None:
                    face, face0 = _flat_faces(y), _flat_faces(y0)
                else:
                    face, face0 = tuple(x[:nf] for x in both), tuple(x[nf:] for x in both)
            else:
                y0 = y
                one = self._surface(i + 1, betas[j], y)
                face = face0 = one if one is not None else _flat_faces(y)
            faces.append(face)
            faces0.append(face0)
            ys.append(y)
            ys0.append(y0)
        lossless = (faces0[0], faces0[1], ys0[0], ys0[1]) if lossy else None
        return _conserving_interface(faces[0], faces[1], ys[0], ys[1], parts[i + 1] - parts[i], lossless)

    def _lossless(self, i: int, eps: np.ndarray, k0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(k_z, eps, k0)`` of region ``i`` with the real part of its permittivity (the lossless medium)."""
        er = eps[:, i].real.astype(complex)
        return self._beta(er, k0), er, k0

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
        # E: <e_m|e_n exp(-+j beta h)> summed over x and y as one projection over the stacked points; the
        # gradient terms: e_m . grad h against the TM potentials (E_z), (z x e_m) . grad h against the TE ones (H_z)
        test_e = np.concatenate([bs.ex * w, bs.ey * w])
        mix_f, mix_b = _phase_projection(test_e, np.concatenate([bs.ex, bs.ey]), np.concatenate([h, h]), beta)
        tm_i, te_i = np.nonzero(bs.kind == 1)[0], np.nonzero(bs.kind == 0)[0]
        gf, gb = _phase_projection(w * (bs.ex * hx[:, None] + bs.ey * hy[:, None]), bs.psi[:, tm_i], h,
                                   beta[:, tm_i])
        zf, zb = _phase_projection(w * (bs.ex * hy[:, None] - bs.ey * hx[:, None]), bs.psi[:, te_i], h,
                                   beta[:, te_i])
        # combined in the (N, F, M) layout of the projections (contiguous), handed on as (F, M, N) views
        czt, dzt, yt = cz.T[:, :, None], dz.T[:, :, None], y.T[:, :, None]
        hf = mix_f * yt
        hb = mix_b * -yt
        hf[te_i] += zf * dzt[te_i]
        hb[te_i] += zb * dzt[te_i]
        mix_f[tm_i] += gf * czt[tm_i]
        mix_b[tm_i] -= gb * czt[tm_i]
        ef, eb = mix_f.transpose(1, 2, 0), mix_b.transpose(1, 2, 0)
        hf, hb = hf.transpose(1, 2, 0), hb.transpose(1, 2, 0)
        return ef, eb, hf, hb

    # -------------------------------------------------------------------------------------------- solve
    def response(self, f: ArrayLike) -> MultiModeResponse:
        """Boost factor, S11 and modal amplitudes at frequencies ``f`` [Hz] (1-D), shape ``batch + (nf, ...)``."""
        return self._solve(f, reflection=True)  # type: ignore[return-value]

    def boost_factor(self, f: ArrayLike) -> np.ndarray:
        """The boost factor alone at ``f`` [Hz], shape ``batch + (nf,)``: the port reflection is not formed at the
        last surface (faster; what a Monte-Carlo needs)."""
        return self._solve(f, reflection=False)  # type: ignore[return-value]

    def _solve(self, f: ArrayLike, reflection: bool) -> MultiModeResponse | np.ndarray:
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
        elif self.conserving:  # the mirror faces a vacuum gap (lossless)
            R, src = _conserving_mirror(mirror[0], mirror[1], 1.0 / imps[0], parts[0])
        else:
            ef, eb = mirror[0], mirror[1]
            R = -np.linalg.solve(ef, eb)
            src = -np.linalg.solve(ef, parts[0][..., None])[..., 0]
        for i in range(nreg):
            p = np.exp(-1j * betas[i] * len_f[:, i:i + 1])
            if R.size:
                R = p * R * p if R.ndim == 2 else p[:, :, None] * R * p[:, None, :]
            src = p * src
            if i + 1 == nreg:
                break
            jump = None
            left: tuple[np.ndarray, ...] | None
            right: tuple[np.ndarray, ...] | None
            if self.conserving and i not in layers and i + 1 not in layers and i + 1 in self.heights \
                    and np.any(self.heights[i + 1][0]):
                left, right, jump = self._conserving(i, betas, imps, parts, eps_f, k0)
            else:
                left = _layer_faces(layers[i]) if i in layers else self._surface(i + 1, betas[i], 1.0 / imps[i])
                right = (_layer_faces(layers[i + 1]) if i + 1 in layers
                         else self._surface(i + 1, betas[i + 1], 1.0 / imps[i + 1]))
            R, src = self._interface(R, src, left, right, imps[i], imps[i + 1], parts[i], parts[i + 1],
                                     need_reflection=reflection or i + 2 < nreg, jump=jump)
        i11 = self.basis.te11
        bare = parts[-1][:, i11]  # bare flat mirror: TE11 amplitude (magnitude) in air
        emitted = src / bare[:, None]
        if R.ndim == 2 and R.size:
            R = R[:, :, None] * np.eye(nm)
        z_air = imps[-1]
        if self._pattern_coeff is None:
            received = emitted[:, i11]
        else:
            prop = np.abs(betas[-1].imag) < 1e-12 * np.abs(betas[-1].real)
            zr = np.where(prop, z_air.real, 1.0)  # evanescent modes carry no power: left out below
            u = np.where(prop, self._pattern_coeff[None, :] / np.sqrt(zr), 0.0)
            u = u / np.linalg.norm(u, axis=1, keepdims=True)
            a = np.where(prop, emitted * np.sqrt(z_air[:, i11:i11 + 1].real / zr), 0.0)
            received = np.sum(np.conj(u) * a, axis=1)
        boost = ETA_A_TE11 * np.abs(received) ** 2
        if not (np.all(np.isfinite(boost)) and np.all(np.isfinite(R))):
            raise PhysicsError("the multi-mode solution is not finite: check the surfaces and kc_max")
        shape = batch + (nf,)
        if not reflection:
            return boost.reshape(shape)
        return MultiModeResponse(frequency=f, boost_factor=boost.reshape(shape), s11=R[:, i11, i11].reshape(shape),
                                 emitted=emitted.reshape(shape + (nm,)), reflection=R.reshape(shape + (nm, nm)),
                                 basis=self.basis)

    def _interface(self, R: np.ndarray, src: np.ndarray, left: tuple[np.ndarray, ...] | None,
                   right: tuple[np.ndarray, ...] | None, zl: np.ndarray, zr: np.ndarray, pl: np.ndarray,
                   pr: np.ndarray, need_reflection: bool = True,
                   jump: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Add an interface (left region -> right region) to the reflection operator ``R`` and the source.

        ``left``, ``right``: the modes' (E+, E-, H+, H-) on the surface from each side (None: a flat face of a
        homogeneous region, the identity). On the left the structure answers ``a_L = R b_L + src`` (outgoing from
        incoming waves); with it, continuity of tangential E and H on the surface is one system for the waves
        ``[b_L, a_R]`` leaving the surface, driven by the incident ``b_R`` (which gives ``R'``) and the source jump
        (which gives ``src'``). Without ``need_reflection`` only the source column is solved and ``R'`` is empty.
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
        efl, ebl, hfl, hbl = left
        efr, ebr, hfr, hbr = right
        nf = src.shape[0]
        rdiag = R.ndim == 2
        a = np.empty((nf, 2 * nm, 2 * nm), dtype=complex)
        a[:, :nm, :nm] = ebl + (efl * R[:, None, :] if rdiag else efl @ R)
        a[:, nm:, :nm] = hbl + (hfl * R[:, None, :] if rdiag else hfl @ R)
        a[:, :nm, nm:] = -efr
        a[:, nm:, nm:] = -hfr
        ncol = nm + 1 if need_reflection else 1
        rhs = np.empty((nf, 2 * nm, ncol), dtype=complex)
        rhs[:, :nm, -1] = (dp if jump is None else jump[:, :nm]) - np.einsum("fmn,fn->fm", efl, src)
        rhs[:, nm:, -1] = (0.0 if jump is None else jump[:, nm:]) - np.einsum("fmn,fn->fm", hfl, src)
        if need_reflection:
            rhs[:, :nm, :nm] = ebr
            rhs[:, nm:, :nm] = hbr
        sol = np.linalg.solve(a, rhs)
        r_new = sol[:, nm:, :nm] if need_reflection else np.empty((0, nm))
        return r_new, sol[:, nm:, -1]

    def pattern_overlap(self, f: ArrayLike) -> np.ndarray:
        """The overlap eta of the receiving pattern: boost factor of a bare flat mirror seen through it."""
        bare = Booster.bare_mirror(radius=self.booster.radius, source="eps_eff")
        return MultiModeSolver(bare, kc_max=self.kc_max, pattern=self.pattern).response(f).boost_factor


#: the faces of an interface's two sides and their modal admittances, between the lossless media
_Lossless = tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray, np.ndarray]


def _sym(m: np.ndarray) -> np.ndarray:
    """Symmetric part over the last two axes."""
    return 0.5 * (m + np.swapaxes(m, -1, -2))


def _vi(w: tuple[np.ndarray, ...], y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Surface traces of a homogeneous region on its flat-plane mode voltages and currents ``V = a + b``,
    ``I = y (a - b)``: returns the E and H rows for V and for I, each (F, N, N)."""
    ef, eb, hf, hb = w
    z = (1.0 / y)[:, None, :]
    return 0.5 * (ef + eb), 0.5 * (ef - eb) * z, 0.5 * (hf + hb), 0.5 * (hf - hb) * z


def _hybrid(left: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...], yl: np.ndarray, yr: np.ndarray,
            dp: np.ndarray) -> np.ndarray:
    """The matched interface as ``[V_R; I_L] = H [V_L; I_R] + g``: returns ``[H | g]``, (F, 2N, 2N + 1)."""
    lev, lei, lhv, lhi = _vi(left, yl)
    rev, rei, rhv, rhi = _vi(right, yr)
    nf, nm = yl.shape
    m1 = np.empty((nf, 2 * nm, 2 * nm), dtype=complex)
    m1[:, :nm, :nm], m1[:, :nm, nm:], m1[:, nm:, :nm], m1[:, nm:, nm:] = -rev, lei, -rhv, lhi
    m2 = np.empty((nf, 2 * nm, 2 * nm + 1), dtype=complex)
    m2[:, :nm, :nm], m2[:, :nm, nm:-1], m2[:, nm:, :nm], m2[:, nm:, nm:-1] = -lev, rei, -lhv, rhi
    m2[:, :nm, -1], m2[:, nm:, -1] = dp, 0.0
    return np.linalg.solve(m1, m2)


def _conserving_interface(left: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...], yl: np.ndarray,
                          yr: np.ndarray, dp: np.ndarray, lossless: _Lossless | None
                          ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray]:
    """An interface rewritten as the hybrid relation of its flat-plane mode voltages and currents,
    ``V_R = A V_L + B I_R + g1``, ``I_L = C V_L + D I_R + g2``, made reciprocal (``D = A^T``, ``B``, ``C``
    symmetric) and, for lossless media, lossless (``A`` real, ``B``, ``C`` imaginary); returned as equivalent
    (E+, E-, H+, H-) faces of the two sides and the source jump of the two row blocks.

    ``lossless``: for lossy media, the hybrid blocks ``(H0 | g0)`` and ... of the same interface between the
    lossless media (real parts of the permittivities): the non-conserving part of that one (the truncation's
    spurious power) is removed from the lossy one, so the physical loss of the lossy media is kept.
    """
    nm = yl.shape[-1]
    hyb = _hybrid(left, right, yl, yr, dp)
    a, b = 0.5 * (hyb[:, :nm, :nm] + np.swapaxes(hyb[:, nm:, nm:-1], -1, -2)), _sym(hyb[:, :nm, nm:-1])
    cc = _sym(hyb[:, nm:, :nm])
    if lossless is None:
        a, b, cc = a.real + 0j, 1j * b.imag, 1j * cc.imag
    else:
        h0 = _hybrid(*lossless, dp)
        a = a - 1j * (0.5 * (h0[:, :nm, :nm] + np.swapaxes(h0[:, nm:, nm:-1], -1, -2))).imag
        b = b - _sym(h0[:, :nm, nm:-1]).real
        cc = cc - _sym(h0[:, nm:, :nm]).real
    d = np.swapaxes(a, -1, -2)
    eye = np.broadcast_to(np.eye(nm), a.shape)
    ylm, yrm = yl[:, None, :] * eye, yr[:, None, :]
    by, dy = b * yrm, d * yrm
    return (a, a, cc - ylm, cc + ylm), (eye - by, eye + by, -dy, dy), -hyb[:, :, -1]


def _conserving_mirror(ef: np.ndarray, eb: np.ndarray, y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reflection operator and source of a displaced mirror in a lossless medium from its impedance
    ``V = Z I + v0`` on the flat-plane mode voltages and currents, with ``Z`` made reciprocal and lossless (j times
    a real symmetric matrix)."""
    wv = 0.5 * (ef + eb)
    wi = 0.5 * (ef - eb) / y[:, None, :]
    sol = np.linalg.solve(wv, np.concatenate([wi, p[..., None]], axis=2))
    zy = 1j * _sym(-sol[..., :-1]).imag * y[:, None, :]
    eye = np.eye(y.shape[-1])
    r_and_s = np.linalg.solve(eye - zy, np.concatenate([-(eye + zy), -sol[..., -1:]], axis=2))
    return r_and_s[..., :-1], r_and_s[..., -1]


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
    vals = np.asarray(value, dtype=float).ravel()
    if vals.size == 1:
        vals = np.repeat(vals, n_disks)
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
                kc_max: Sequence[float], *, conserving: bool = False) -> list[tuple[int, float, np.ndarray]]:
    """Boost factor at ``f`` for increasing ``kc_max``: a list of (mode count, kc_max, boost factor);
    ``conserving`` as in :class:`MultiModeSolver`."""
    out = []
    for kc in kc_max:
        s = MultiModeSolver(booster, surfaces, kc_max=kc, conserving=conserving)
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
                   values: ArrayLike, *, drop: float = 0.1, kc_max: float | None = None,
                   conserving: bool = False) -> ToleranceScan:
    """Peak boost factor over ``f`` [Hz] for each imperfection level in ``values`` (the first is the reference,
    usually 0): ``surfaces(level)`` gives the displaced surfaces, e.g. ``lambda d: mirror_tilt(np.radians(d))``;
    ``kc_max`` and ``conserving`` as in :class:`MultiModeSolver`.

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
    peaks = np.array([MultiModeSolver(booster, surfaces(float(x)), kc_max=kc_max, conserving=conserving)
                      .boost_factor(f).max() for x in v])
    rel = peaks / peaks[0]
    below = np.nonzero(rel <= 1 - drop)[0]
    level = None
    if below.size:
        j = int(below[0])
        level = float(np.interp(1 - drop, [rel[j], rel[j - 1]], [v[j], v[j - 1]])) if j > 0 else float(v[0])
    return ToleranceScan(v, peaks, rel, drop, level)
