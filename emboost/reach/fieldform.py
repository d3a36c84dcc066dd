"""Form factor with the magnet's real field: the profile B(z) (and B(r)) integrated over the detector volume.

With a non-uniform field the form factor is normalised to the largest field the detector sees:

    C = |int E . B dV|^2 / (B_max^2 V int eps |E|^2 dV)

so that the Sikivie power keeps its form ``P ∝ B_max^2 V C Q`` (physics.md §1.6); a uniform field gives back the
usual ``C``. :func:`form_factor_grid` evaluates this on any sampled field (a second, brute-force solver), and
for the cavities of the reach layer the mode factorises into a transverse pattern and a longitudinal shape
``e(z)`` while the magnet's field is ``B(z) b`` along the bore (:class:`emboost.reach.magnets.FieldProfile`,
direction ``b``). Then

    C = C_uniform * kappa,   kappa = |int e(z) B(z) dz|^2 / (B_max^2 (int e dz)^2)

over the detector span ``[z0, z0 + L]`` (:func:`longitudinal_factor`; the transverse pattern cancels).
Longitudinal shapes: ``"uniform"`` (TM010, e = 1) and ``"sine"`` (TE111, TE101: e = sin(pi z / L)).
Closed forms used in the tests: a uniform field gives ``kappa = 1``; a
linear ramp ``B = B0 (1 - s z/L)`` with ``e = 1`` gives ``(1 - s/2)^2``; ``B = B0 sin(pi z/L)`` with ``e = 1``
gives ``(2/pi)^2``, and with ``e = sin`` gives ``(pi/4)^2``.

Radial profiles ``B(r)`` (a solenoid's field falling off the axis) enter a TM010 cylinder through
:func:`tm010_radial_form_factor`: ``C = |int J0(chi r/R) B(r) r dr|^2 / (B_max^2 (R^2/2) int J0^2 r dr)``
(``4/chi01^2`` for a uniform field).

>>> from emboost.reach.magnets import FieldProfile
>>> prof = FieldProfile(np.linspace(0, 1, 201), 2.0 * (1 - 0.5 * np.linspace(0, 1, 201)))
>>> round(longitudinal_factor(prof, 0.0, 1.0, "uniform").kappa, 6)   # (1 - 0.5/2)^2
0.5625
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, special

from emboost.core.errors import InputError, PhysicsError
from emboost.reach.magnets import FieldProfile

__all__ = ["SHAPES", "ProfileFactor", "longitudinal_factor", "form_factor_grid", "tm010_radial_form_factor"]

#: longitudinal mode shapes along the detector (z from its start, L its length)
SHAPES = ("uniform", "sine")


def _shape(kind: str, u: np.ndarray) -> np.ndarray:
    if kind == "uniform":
        return np.ones_like(u)
    if kind == "sine":
        return np.sin(np.pi * u)
    raise InputError(f"unknown longitudinal mode shape {kind!r}; expected one of {SHAPES}")


@dataclass(frozen=True)
class ProfileFactor:
    """The field profile over a detector span ``[z0, z0 + length]`` [m] for a mode ``shape``: ``kappa`` (the
    factor on the uniform-field form factor), the largest field ``b_max`` [T] over the span, the mean field
    ``b_mean`` [T], the effective field ``b_eff = b_max sqrt(kappa)`` [T] (the uniform field giving the same
    signal) and the plausibility ``checks`` (name -> (ok, detail))."""

    shape: str
    z0: float
    length: float
    kappa: float
    b_max: float
    b_mean: float
    checks: dict[str, tuple[bool, str]]

    @property
    def b_eff(self) -> float:
        """``B_max sqrt(kappa)`` [T]."""
        return float(self.b_max * np.sqrt(self.kappa))

    @property
    def ok(self) -> bool:
        """True if every check passed."""
        return all(ok for ok, _ in self.checks.values())


def longitudinal_factor(profile: FieldProfile, z0: float, length: float, shape: str = "uniform",
                        points: int = 2001) -> ProfileFactor:
    """``kappa = |int e(z) B(z) dz|^2 / (B_max^2 (int e dz)^2)`` over ``[z0, z0 + length]`` [m] of ``profile``.

    The profile is interpolated linearly onto ``points`` nodes of the span (the table's own points inside it are
    added, so a piecewise-linear table is integrated exactly up to the product with ``e``); a span leaving the
    table is a :class:`PhysicsError` (the field outside is unknown).
    """
    if not (np.isfinite(z0) and np.isfinite(length) and length > 0):
        raise InputError(f"longitudinal_factor: need a finite start and a length > 0, got {z0!r}, {length!r}")
    z1 = z0 + length
    tol = 1e-9 * max(1.0, abs(profile.length))
    if z0 < profile.z[0] - tol or z1 > profile.z[-1] + tol:
        raise PhysicsError(f"detector span {z0:g}-{z1:g} m leaves the field profile ({profile.z[0]:g}-"
                           f"{profile.z[-1]:g} m, {profile.source or 'table'})")
    inner = profile.z[(profile.z > z0) & (profile.z < z1)]
    z = np.unique(np.concatenate([np.linspace(z0, z1, max(int(points), 3)), inner]))
    b = np.interp(z, profile.z, profile.b)
    e = _shape(shape, (z - z0) / length)
    b_max = float(np.max(b))
    if b_max <= 0:
        raise PhysicsError(f"no field over the detector span {z0:g}-{z1:g} m")
    num = float(np.trapezoid(e * b, z)) ** 2
    den = b_max**2 * float(np.trapezoid(e, z)) ** 2
    kappa = num / den
    b_mean = float(np.trapezoid(b, z) / length)
    checks = {"kappa_range": (0.0 <= kappa <= 1.0 + 1e-9, f"kappa = {kappa:.6g} in [0, 1] (C cannot exceed the "
                                                          "uniform-field value at B_max)"),
              "field_positive": (b_mean > 0, f"mean field {b_mean:.4g} T over the span > 0")}
    return ProfileFactor(shape, float(z0), float(length), float(min(kappa, 1.0)), b_max, b_mean, checks)


def form_factor_grid(e_field: ArrayLike, b_field: ArrayLike, weights: ArrayLike, eps: ArrayLike = 1.0) -> float:
    """``|sum E.B w|^2 / (B_max^2 sum w  sum eps |E|^2 w)`` on sampled fields.

    ``e_field`` and ``b_field`` (..., 3) at the same points (complex E allowed), ``weights`` (...) the volume
    elements [m^3], ``eps`` the relative permittivity there; ``B_max`` is the largest ``|B|`` on the samples.

    >>> w = np.full(10, 0.1); e = np.tile([0.0, 0.0, 1.0], (10, 1)); b = np.tile([0.0, 0.0, 3.0], (10, 1))
    >>> round(form_factor_grid(e, b, w), 12)
    1.0
    """
    e = np.asarray(e_field)
    b = np.asarray(b_field, dtype=float)
    w = np.asarray(weights, dtype=float)
    if e.shape != b.shape or e.shape[-1] != 3 or w.shape != e.shape[:-1]:
        raise InputError("form_factor_grid: e_field and b_field need shape (..., 3) and weights (...)")
    bmax = float(np.max(np.linalg.norm(b, axis=-1)))
    if bmax <= 0:
        raise PhysicsError("form_factor_grid: the field is zero everywhere")
    num = abs(np.sum(np.sum(e * b, axis=-1) * w)) ** 2
    den = bmax**2 * np.sum(w) * np.sum(np.asarray(eps) * np.sum(np.abs(e) ** 2, axis=-1) * w)
    return float(num / den)


def tm010_radial_form_factor(r: ArrayLike, b_r: ArrayLike, radius: float) -> float:
    """TM010 form factor of a cylinder of ``radius`` [m] in an axial field ``b_r`` [T] tabulated at radii ``r`` [m]
    (covering ``[0, radius]``; interpolated linearly): ``|int J0 B r dr|^2 / (B_max^2 (R^2/2) int J0^2 r dr)``,
    normalised to the largest field inside the cylinder.

    >>> round(tm010_radial_form_factor([0.0, 1.0], [2.0, 2.0], 1.0), 4)   # uniform: 4 / chi01^2
    0.6917
    """
    rr = np.asarray(r, dtype=float)
    bb = np.asarray(b_r, dtype=float)
    if rr.ndim != 1 or rr.shape != bb.shape or rr.size < 2 or np.any(np.diff(rr) <= 0):
        raise InputError("tm010_radial_form_factor: r must increase strictly with one field value per radius")
    if rr[0] > 0 or rr[-1] < radius:
        raise PhysicsError(f"the radial profile ({rr[0]:g}-{rr[-1]:g} m) does not cover the cavity (0-{radius:g} m)")
    chi = special.jn_zeros(0, 1)[0]

    def bf(x: float) -> float:
        return float(np.interp(x, rr, bb))

    inside = rr[(rr > 0) & (rr < radius)]
    pts = list(inside) if inside.size else None
    num = integrate.quad(lambda x: special.j0(chi * x / radius) * bf(x) * x, 0.0, radius, points=pts, limit=200)[0]
    norm = integrate.quad(lambda x: special.j0(chi * x / radius) ** 2 * x, 0.0, radius, limit=200)[0]
    bmax = float(np.max(np.interp(np.concatenate([[0.0, radius], inside]), rr, bb)))
    if bmax <= 0:
        raise PhysicsError("the radial field is zero inside the cavity")
    return float(num**2 / (bmax**2 * (radius**2 / 2) * norm))
