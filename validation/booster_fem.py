"""NGSolve references for a closed dielectric booster (3 sapphire disks, PEC cylinder and mirror).

Cases (each writes into ``validation/<case>/``; frequencies already in the CSV are skipped, so an
interrupted run resumes where it stopped):

* ``ideal``      flat disks, flat mirror: 2-D axisymmetric formulation of azimuthal order m = 1;
* ``nonplanar``  disk 1 with a measured-style axisymmetric thickness profile: 2-D, m = 1;
* ``tilt``       flat disks, mirror tilted about the y axis by ``--tilt-deg``: 3-D half model
                 (the plane y = 0 is a magnetic wall for the x-polarised TE11 mode);
* ``tiltdisk``   flat mirror, disk 1 (nearest the mirror) tilted about the y axis through its centre by
                 ``--tilt-deg``, disks 2 and 3 flat: the same 3-D half model (``booster_tiltdisk``);
* ``refine``     the refinement check of a 2-D case (``--of ideal|nonplanar``) or of a 3-D model
                 (``--of tilt|tiltdisk``);
* ``finalize``   writes sweep.csv, refinement.csv and meta.toml of every case from the raw files.

Physics (engineering results, exp(+jwt); the solver works internally in exp(-iwt) and conjugates):
the axion current is a uniform transverse volume source along x (the TE11 polarisation) in every
region including the perfectly matched layer (PML) behind the port, so that the field far from the
disks is a constant non-radiating part plus the radiated wave; the TE11 amplitude is obtained by
projecting the transverse field on the analytic TE11 profile at several planes in the output air
and fitting ``F exp(-j beta z) + B exp(+j beta z) + C``. The same is done for a bare flat mirror of
the same radius; the stored boost factor is ``eta_A |F_booster / F_mirror|^2`` (the normalisation
of emboost). S11 comes from a TE11-profiled current slab between the disks and the PML (exciting
the TE11 mode only) and the same plane fit, referred to the plane ``OUTPUT_LENGTH`` beyond disk 3.

Run (background, one core):  ``OMP_NUM_THREADS=1 nohup python3 validation/booster_fem.py ideal &``
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import j1, jvp

HERE = Path(__file__).resolve().parent

# ------------------------------------------------------------------------------------- geometry
RADIUS = 0.020            # m, reduced radius (as the paper did for its FEM)
N_DISKS = 3
GAP = 9.75e-3             # m, all three gaps (mirror-disk 1, disk 1-2, disk 2-3): booster mode at 19.0 GHz
THICKNESS = 1.0e-3        # m
EPS_DISK = 9.4            # sapphire (perpendicular to the c axis)
TAND_DISK = 5e-4          # simple dielectric loss in the disks
OUTPUT_LENGTH = 10e-3     # m, S11 reference plane beyond the outer face of disk 3
PLANES = (6e-3, 9e-3, 12e-3, 15e-3, 18e-3)   # projection planes beyond disk 3 [m]
SLAB = (22e-3, 23e-3)     # TE11 current slab (S11 excitation) beyond disk 3 [m]
AIR_OUT = 28e-3           # output air beyond disk 3 before the PML [m]
PML = 14e-3               # PML thickness [m]
# the 3-D model uses a shorter output section (cost): planes, slab, air and PML beyond disk 3 [m]
PLANES_3D = (4e-3, 6e-3, 8e-3, 10e-3, 12e-3)
SLAB_3D = (14e-3, 15e-3)
AIR_OUT_3D = 17e-3
PML_3D = 12e-3
PML_SIGMA = 8.0           # peak imaginary stretching of the PML, s(z) = 1 + i sigma ((z - z_pml)/PML)^2
P11 = 1.8411837813406593
ETA_A = 2.0 / (P11**2 - 1.0)
C0 = 299792458.0
F_START, F_STOP, N_FREQ = 18.5e9, 19.5e9, 31
TILTS_DEG = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)

# non-planar disk 1: thickness profile t(r) = t0 + dt(r), outer face curved, inner (mirror-side) face flat.
# "measured-style": a centre bulge with a radial ripple, values of a few tens of micrometres.
PROFILE_BULGE = 60e-6     # m, centre minus edge (parabolic)
PROFILE_RIPPLE = 15e-6    # m, amplitude of a cos(3 pi r / a) ripple


def profile_dt(r: np.ndarray) -> np.ndarray:
    """Thickness excess of disk 1 [m] at radius r [m] (mean over the area ~ +15 um)."""
    x = np.asarray(r) / RADIUS
    return PROFILE_BULGE * (1 - x**2) + PROFILE_RIPPLE * np.cos(3 * np.pi * x)


LEVELS = {  # name: (maxh air, maxh disk, order) in m; 2-D and 3-D use their own tables
    "2d": {"coarse": (2.0e-3, 0.5e-3, 3), "nominal": (1.2e-3, 0.33e-3, 3), "fine": (0.8e-3, 0.25e-3, 4)},
    "3d": {"coarse": (6.0e-3, 3.0e-3, 3), "nominal": (5.0e-3, 2.5e-3, 3), "fine": (4.0e-3, 2.0e-3, 3)},
}


def frequencies() -> np.ndarray:
    return np.linspace(F_START, F_STOP, N_FREQ)


def kc() -> float:
    return P11 / RADIUS


def te11_profile(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x-polarised TE11: E_r = e_r(r) cos(phi), E_phi = e_phi(r) sin(phi) (unnormalised)."""
    k = kc()
    r = np.maximum(np.asarray(r, dtype=float), 1e-12)
    return j1(k * r) / r, -k * jvp(1, k * r)


def _series(x2, coeffs):
    out = 0 * x2 + coeffs[-1]
    for cf in reversed(coeffs[:-1]):
        out = out * x2 + cf
    return out


def te11_cartesian_cf(ng):
    """(e_x, e_y) of the TE11 profile as NGSolve CoefficientFunctions (power series in (kc r)^2)."""
    k = kc()
    # J1'(s) = sum (-1)^n (2n+1) (s/2)^(2n) / (2 n! (n+1)!);  J2(s)/s^2 = sum (-1)^n (s/2)^(2n) / (4 n! (n+2)!)
    nmax = 14
    a1 = [(-1) ** n * (2 * n + 1) / (2 * math.factorial(n) * math.factorial(n + 1)) / 4**n for n in range(nmax)]
    a2 = [(-1) ** n / (4 * math.factorial(n) * math.factorial(n + 2)) / 4**n for n in range(nmax)]
    s2 = k * k * (ng.x * ng.x + ng.y * ng.y)
    j1p = _series(s2, a1)
    j2s = _series(s2, a2)
    return k * (j1p + k * k * ng.x * ng.x * j2s), k * (k * k * ng.x * ng.y * j2s)


# ------------------------------------------------------------------------------------ layouts
@dataclass
class Layout:
    """z positions [m] of the disk faces (flat part), output planes, slab and PML."""

    disk_lo: list[float]
    disk_hi: list[float]
    planes_rel: tuple[float, ...] = PLANES
    slab: tuple[float, float] = SLAB
    air_out: float = AIR_OUT
    pml: float = PML

    @property
    def z_last(self) -> float:
        return self.disk_hi[-1]

    @property
    def z_pml(self) -> float:
        return self.z_last + self.air_out

    @property
    def z_end(self) -> float:
        return self.z_pml + self.pml

    @property
    def planes(self) -> np.ndarray:
        return self.z_last + np.array(self.planes_rel)

    @property
    def z_ref(self) -> float:
        return self.z_last + OUTPUT_LENGTH


def layout(bare: bool = False, three_d: bool = False) -> Layout:
    lo, hi = [], []
    z = 0.0
    for _ in range(0 if bare else N_DISKS):
        z += GAP
        lo.append(z)
        z += THICKNESS
        hi.append(z)
    if bare:
        lo, hi = [], [N_DISKS * (GAP + THICKNESS)]
    if three_d:
        return Layout(lo, hi, PLANES_3D, SLAB_3D, AIR_OUT_3D, PML_3D)
    return Layout(lo, hi)


# --------------------------------------------------------------------------------- 2-D model
def stretch(ng, zcoord, lay: Layout):
    """PML stretching s(z) = 1 + i sigma ((z - z_pml)/d)^2 beyond z_pml (1 elsewhere), exp(-iwt)."""
    t = (zcoord - lay.z_pml) / lay.pml
    return 1 + 1j * PML_SIGMA * ng.IfPos(zcoord - lay.z_pml, t * t, 0.0)


def mesh_2d(ng, kind: str, maxh_air: float, maxh_disk: float):
    """(r, z) half-plane mesh: axis r = 0, wall r = a, mirror z = 0, PML at the top."""
    from netgen.geom2d import SplineGeometry

    lay = layout(bare=(kind == "mirror"))
    a = RADIUS
    geo = SplineGeometry()
    # horizontal cut lines (z levels) between domains; domains numbered bottom-up
    cuts = [0.0]
    regions = []  # (material, maxh)
    for lo_, hi_ in zip(lay.disk_lo, lay.disk_hi):
        cuts += [lo_, hi_]
        regions += [("air", maxh_air), ("disk", maxh_disk)]
    z_s0, z_s1 = lay.z_last + SLAB[0], lay.z_last + SLAB[1]
    cuts += [z_s0, z_s1, lay.z_pml, lay.z_end]
    regions += [("air", maxh_air), ("slab", maxh_air), ("air", maxh_air), ("pml", maxh_air)]
    if kind == "mirror":
        cuts = [0.0, z_s0, z_s1, lay.z_pml, lay.z_end]
        regions = [("air", maxh_air), ("slab", maxh_air), ("air", maxh_air), ("pml", maxh_air)]
    nr = 24
    rr = np.linspace(0, a, nr + 1)
    # curved upper face of disk 1 (non-planar case): polyline in r
    curved = kind == "nonplanar"
    pts_cache: dict[tuple[int, int], int] = {}

    def pt(r: float, z: float) -> int:
        key = (round(r * 1e9), round(z * 1e9))
        if key not in pts_cache:
            pts_cache[key] = geo.AppendPoint(r, z)
        return pts_cache[key]

    def level_points(i: int) -> list[int]:
        z = cuts[i]
        if curved and i == 2:  # upper face of disk 1
            return [pt(r, z + float(profile_dt(r))) for r in rr]
        return [pt(0.0, z), pt(a, z)]

    nreg = len(regions)
    for d, (mat, mh) in enumerate(regions, start=1):
        geo.SetMaterial(d, mat)
        geo.SetDomainMaxH(d, mh)
    for i in range(len(cuts)):
        p = level_points(i)
        left = i  # domain below is i (1-based: i), above is i+1
        below = i if i >= 1 else 0
        above = i + 1 if i < nreg else 0
        bc = "mirror" if i == 0 else ("end" if i == nreg else "inner")
        for p0, p1 in zip(p[:-1], p[1:]):
            geo.Append(["line", p0, p1], leftdomain=above, rightdomain=below, bc=bc)
        del left
    for i in range(nreg):
        pb, pa = level_points(i), level_points(i + 1)
        geo.Append(["line", pa[0], pb[0]], leftdomain=i + 1, rightdomain=0, bc="axis")
        geo.Append(["line", pb[-1], pa[-1]], leftdomain=i + 1, rightdomain=0, bc="wall")
    maxh = max(maxh_air, maxh_disk)
    mesh = ng.Mesh(geo.GenerateMesh(maxh=maxh))
    mesh.Curve(3)
    return mesh, lay


def solve_2d(kind: str, level: str, freqs: np.ndarray, log) -> Iterator[dict]:
    import ngsolve as ng

    maxh_air, maxh_disk, order = LEVELS["2d"][level]
    mesh, lay = mesh_2d(ng, kind, maxh_air, maxh_disk)
    sz = stretch(ng, ng.y, lay)
    dirichlet = "axis|wall|mirror|end"
    vt = ng.HCurl(mesh, order=order, complex=True, dirichlet=dirichlet)
    vp = ng.H1(mesh, order=order + 1, complex=True, dirichlet=dirichlet)
    fes = vt * vp
    (et, u), (ft, w) = fes.TnT()
    r = ng.x
    m = 1
    eps = mesh.MaterialCF({"disk": EPS_DISK * (1 + 1j * TAND_DISK)}, default=1.0)  # exp(-iwt): eps'(1 + i tand)
    stiff = ng.BilinearForm(fes, symmetric=True)
    # PML as a uniaxial material: (r, phi) components of E and of curl E weighted by s and 1/s, z by 1/s and s
    lam = ng.CoefficientFunction((sz, 0, 0, 1 / sz), dims=(2, 2))
    ge, gw = m * et + ng.grad(u), m * ft + ng.grad(w)
    stiff += ((1 / r) * (lam * ge) * gw + (r / sz) * ng.curl(et) * ng.curl(ft)) * ng.dx
    stiff.Assemble()
    mass = ng.BilinearForm(fes, symmetric=True)
    mass += eps * (r * (lam * et) * ft + sz * u * w / r) * ng.dx
    mass.Assemble()
    # sources: uniform x current (j_r = 1, j_phi = -1) everywhere, also in the PML (transverse: times s),
    # so that the non-radiating particular field continues into it; TE11 slab for S11
    fa = ng.LinearForm(fes)
    fa += sz * (r * ft[0] - w) * ng.dx
    fa.Assemble()
    k = kc()
    # TE11 radial profile as CF (series): e_r = J1(k r)/r, e_phi = -k J1'(k r)
    nmax = 14
    c_j1 = [(-1) ** n * k ** (2 * n + 1) / (2 ** (2 * n + 1) * math.factorial(n) * math.factorial(n + 1))
            for n in range(nmax)]  # J1(k r)/r = sum c_n r^(2n)
    c_j1p = [(-1) ** n * (2 * n + 1) * k ** (2 * n) / (2 ** (2 * n + 1) * math.factorial(n) * math.factorial(n + 1))
             for n in range(nmax)]
    er_cf = _series(r * r, c_j1)
    ep_cf = -k * _series(r * r, c_j1p)
    fs = ng.LinearForm(fes)
    fs += (r * er_cf * ft[0] + ep_cf * w) * ng.dx(definedon=mesh.Materials("slab"))
    fs.Assemble()
    gf = ng.GridFunction(fes)
    nd = sum(fes.FreeDofs())
    log(f"2-D {kind} level={level} order={order} maxh=({maxh_air:g},{maxh_disk:g}) elements={mesh.ne} ndof={nd}")
    # projection points: Gauss-Legendre in r
    xg, wg = np.polynomial.legendre.leggauss(40)
    rq = 0.5 * RADIUS * (xg + 1)
    wq = 0.5 * RADIUS * wg
    pr, pphi = te11_profile(rq)
    norm = np.sum(wq * rq * (pr**2 + pphi**2))
    for f in freqs:
        t0 = time.perf_counter()
        f = float(f)
        k0 = 2 * math.pi * f / C0
        mat = stiff.mat.CreateMatrix()
        mat.AsVector().data = stiff.mat.AsVector() - k0**2 * mass.mat.AsVector()
        inv = mat.Inverse(fes.FreeDofs(), inverse="sparsecholesky")
        amps = []
        for rhs, scale in ((fa, k0**2), (fs, 1.0)):
            vec = rhs.vec.CreateVector()
            vec.data = scale * rhs.vec
            gf.vec.data = inv * vec
            proj = []
            for zp in lay.planes:
                mp = mesh(rq, np.full_like(rq, zp))
                et_v = gf.components[0](mp)
                u_v = gf.components[1](mp).ravel()
                e_r = et_v[:, 0]
                e_phi = u_v / rq
                proj.append(np.sum(wq * rq * (e_r * pr + e_phi * pphi)) / norm)
            amps.append(np.array(proj))
        dt = time.perf_counter() - t0
        row = plane_fit(f, lay, amps[0], amps[1])
        row["seconds"] = dt
        row["ndof"] = nd
        log(f"  f={f / 1e9:.4f} GHz  |F|={abs(row['F']):.5g}  |S11|={abs(row['s11']):.5f}  "
            f"back/fwd={row['pml_reflection']:.1e}  {dt:.1f} s")
        yield row


def plane_fit(f: float, lay: Layout, proj_axion: np.ndarray, proj_slab: np.ndarray) -> dict:
    """TE11 amplitudes from plane projections (exp(-iwt) internally; results conjugated)."""
    k0 = 2 * np.pi * f / C0
    beta = math.sqrt(k0**2 - kc() ** 2)
    z = lay.planes - lay.z_ref
    fwd, bwd = np.exp(1j * beta * z), np.exp(-1j * beta * z)
    A = np.stack([fwd, bwd, np.ones_like(z)], axis=1)
    (F, B, C), *_ = np.linalg.lstsq(A, proj_axion, rcond=None)
    A2 = np.stack([fwd, bwd], axis=1)
    (R, I), *_ = np.linalg.lstsq(A2, proj_slab, rcond=None)
    resid = np.linalg.norm(A @ np.array([F, B, C]) - proj_axion) / abs(F)
    return {"f": f, "F": np.conj(F), "C": np.conj(C), "pml_reflection": abs(B) / abs(F),
            "s11": np.conj(R / I), "fit_residual": resid}


# --------------------------------------------------------------------------------- 3-D model
TILTABLE = ("mirror", "disk1")  # the surfaces the 3-D model can tilt (about the y axis)


def tilted_planes(tilted: str, tilt_deg: float, lay: Layout) -> dict[int, tuple[float, float]]:
    """Which interfaces of the 3-D model are tilted planes ``z = z0 + x tan(theta)``.

    The interfaces are numbered bottom-up: 0 the mirror, then the lower and upper face of each disk,
    then the slab and PML levels. ``tilted`` is ``"mirror"`` (tilted about the y axis through its
    centre) or ``"disk1"`` (disk 1 rotated rigidly about the y axis through its centre, which stays at
    the nominal position; its faces stay parallel, THICKNESS apart, so they meet the axis
    THICKNESS / cos(theta) apart). Returns ``{interface index: (z0 [m], theta [rad])}``.
    """
    th = math.radians(tilt_deg)
    if tilted == "mirror":
        return {0: (0.0, th)}
    if tilted == "disk1":
        if not lay.disk_lo:
            raise ValueError("a tilted disk needs a booster, not a bare mirror")
        zc = 0.5 * (lay.disk_lo[0] + lay.disk_hi[0])
        half_t = 0.5 * (lay.disk_hi[0] - lay.disk_lo[0]) / math.cos(th)
        return {1: (zc - half_t, th), 2: (zc + half_t, th)}
    raise ValueError(f"tilted surface {tilted!r}: expected one of {TILTABLE}")


def mesh_3d(ng, tilt_deg: float, maxh_air: float, maxh_disk: float, bare: bool = False, tilted: str = "mirror"):
    from netgen import occ

    lay = layout(bare=bare, three_d=True)
    a = RADIUS
    # interfaces bottom-up (mirror, disk faces, slab, PML) and the material between consecutive ones
    cuts = [0.0]
    mats: list[tuple[str, float]] = []
    for lo_, hi_ in zip(lay.disk_lo, lay.disk_hi):
        cuts += [lo_, hi_]
        mats += [("air", maxh_air), ("disk", maxh_disk)]
    cuts += [lay.z_last + lay.slab[0], lay.z_last + lay.slab[1], lay.z_pml, lay.z_end]
    # air beyond disk 3 (from the mirror for the bare mirror), the S11 slab, air, PML
    mats += [("air", maxh_air), ("slab", maxh_air), ("air", maxh_air), ("pml", maxh_air)]
    tilt = tilted_planes(tilted, tilt_deg, lay)

    def reach(i: int) -> float:  # how far a tilted interface leaves its z0 within the cylinder, plus a margin
        return a * math.tan(abs(tilt[i][1])) + 1e-3

    zlow = min([0.0] + [tilt[i][0] - reach(i) for i in tilt])
    half = occ.Box(occ.Pnt(-2 * a, 0, zlow - 1), occ.Pnt(2 * a, 2 * a, lay.z_end + 1))

    def slab(z0, z1):
        return occ.Cylinder(occ.Pnt(0, 0, z0), occ.Z, r=a, h=z1 - z0) * half

    pieces = []
    for i, (nm, mh) in enumerate(mats):
        z0 = cuts[i] if i not in tilt else tilt[i][0] - reach(i)
        z1 = cuts[i + 1] if i + 1 not in tilt else tilt[i + 1][0] + reach(i + 1)
        pc = slab(z0, z1)
        if i in tilt:  # above the tilted plane z = z0 + x tan(theta)
            zt, th = tilt[i]
            pc = pc * occ.HalfSpace(occ.Pnt(0, 0, zt), occ.Vec(math.sin(th), 0, -math.cos(th)))
        if i + 1 in tilt:  # below it
            zt, th = tilt[i + 1]
            pc = pc * occ.HalfSpace(occ.Pnt(0, 0, zt), occ.Vec(-math.sin(th), 0, math.cos(th)))
        pc.mat(nm)
        pc.maxh = mh
        pieces.append(pc)
    # faces: the cylinder wall, the mirror and the PML end are PEC; y = 0 is a magnetic wall (natural);
    # the interfaces between pieces are interior
    for k, pc in enumerate(pieces):
        planar = []
        for face in pc.faces:
            yc = face.center.y
            if abs(yc) < 1e-9:
                face.name = "sym"
            elif yc > 0.55 * a:  # half-cylinder wall: centroid at y = 2a/pi; flat half-disks at 4a/(3 pi)
                face.name = "pec"
            else:
                planar.append(face)
        planar.sort(key=lambda fc: fc.center.z)
        planar[0].name = "pec" if k == 0 else "inner"
        planar[-1].name = "pec" if k == len(pieces) - 1 else "inner"
    shape = occ.Glue(pieces)
    geo = occ.OCCGeometry(shape)
    mesh = ng.Mesh(geo.GenerateMesh(maxh=maxh_air))
    mesh.Curve(2)
    return mesh, lay


def solve_3d(tilt_deg: float, level: str, freqs: np.ndarray, log, bare: bool = False,
             tilted: str = "mirror") -> Iterator[dict]:
    """TE11 amplitudes of the 3-D half model with ``tilted`` (see ``tilted_planes``) tilted by ``tilt_deg``."""
    import ngsolve as ng

    maxh_air, maxh_disk, order = LEVELS["3d"][level]
    mesh, lay = mesh_3d(ng, tilt_deg, maxh_air, maxh_disk, bare=bare, tilted=tilted)
    sz = stretch(ng, ng.z, lay)
    fes = ng.HCurl(mesh, order=order, complex=True, dirichlet="pec")
    e, v = fes.TnT()
    eps = mesh.MaterialCF({"disk": EPS_DISK * (1 + 1j * TAND_DISK)}, default=1.0)
    stiff = ng.BilinearForm(fes, symmetric=True)
    lam = ng.CoefficientFunction((sz, 0, 0, 0, sz, 0, 0, 0, 1 / sz), dims=(3, 3))
    lam_inv = ng.CoefficientFunction((1 / sz, 0, 0, 0, 1 / sz, 0, 0, 0, sz), dims=(3, 3))
    stiff += (lam_inv * ng.curl(e)) * ng.curl(v) * ng.dx
    stiff.Assemble()
    mass = ng.BilinearForm(fes, symmetric=True)
    mass += eps * (lam * e) * v * ng.dx
    mass.Assemble()
    fa = ng.LinearForm(fes)
    fa += sz * v[0] * ng.dx  # see solve_2d
    fa.Assemble()
    ex, ey = te11_cartesian_cf(ng)
    fs = ng.LinearForm(fes)
    fs += (ex * v[0] + ey * v[1]) * ng.dx(definedon=mesh.Materials("slab"))
    fs.Assemble()
    gf = ng.GridFunction(fes)
    nd = sum(fes.FreeDofs())
    log(f"3-D {tilted} tilt={tilt_deg} bare={bare} level={level} order={order} maxh=({maxh_air:g},{maxh_disk:g}) "
        f"elements={mesh.ne} ndof={nd}")
    # quadrature on the half disk: Gauss-Legendre in r, midpoint in phi (0..pi)
    xg, wg = np.polynomial.legendre.leggauss(24)
    rq = 0.5 * RADIUS * (xg + 1)
    wr = 0.5 * RADIUS * wg
    nphi = 48
    phi = (np.arange(nphi) + 0.5) * np.pi / nphi
    R, P = np.meshgrid(rq, phi, indexing="ij")
    W = (wr[:, None] * R) * (np.pi / nphi)
    er, ephi = te11_profile(R)
    # E_r = e_r(r) cos(phi), E_phi = e_phi(r) sin(phi) -> Cartesian
    px = er * np.cos(P) ** 2 - ephi * np.sin(P) ** 2
    py = (er + ephi) * np.sin(P) * np.cos(P)
    X, Y = (R * np.cos(P)).ravel(), (R * np.sin(P)).ravel()
    norm = np.sum(W * (px**2 + py**2))
    for f in freqs:
        t0 = time.perf_counter()
        f = float(f)
        k0 = 2 * math.pi * f / C0
        mat = stiff.mat.CreateMatrix()
        mat.AsVector().data = stiff.mat.AsVector() - k0**2 * mass.mat.AsVector()
        inv = mat.Inverse(fes.FreeDofs(), inverse="sparsecholesky")
        amps = []
        for rhs, scale in ((fa, k0**2), (fs, 1.0)):
            vec = rhs.vec.CreateVector()
            vec.data = scale * rhs.vec
            gf.vec.data = inv * vec
            proj = []
            for zp in lay.planes:
                val = gf(mesh(X, Y, np.full_like(X, zp)))
                Ex, Ey = val[:, 0].reshape(R.shape), val[:, 1].reshape(R.shape)
                proj.append(np.sum(W * (Ex * px + Ey * py)) / norm)
            amps.append(np.array(proj))
        dt = time.perf_counter() - t0
        row = plane_fit(f, lay, amps[0], amps[1])
        row["seconds"] = dt
        row["ndof"] = nd
        log(f"  f={f / 1e9:.4f} GHz  |F|={abs(row['F']):.5g}  |S11|={abs(row['s11']):.5f}  "
            f"back/fwd={row['pml_reflection']:.1e}  {dt:.1f} s")
        yield row


# 3-D cases: sub-command -> (folder, tilted surface); raw files are raw/<sub-command>_<tilt>_<level>.csv
TILT_CASES = {"tilt": (HERE / "booster_tilt", "mirror"), "tiltdisk": (HERE / "booster_tiltdisk", "disk1")}

# ------------------------------------------------------------------------------------ storage
RAW_FIELDS = ["frequency_hz", "F_re", "F_im", "C_re", "C_im", "s11_re", "s11_im", "pml_reflection",
              "fit_residual", "seconds", "ndof"]


def raw_path(case_dir: Path, tag: str) -> Path:
    return case_dir / "raw" / f"{tag}.csv"


def _num(text: str) -> float:
    """A float written either plainly or as numpy's repr ``np.float64(...)``."""
    text = text.strip()
    if text.startswith("np.float64("):
        text = text[len("np.float64("):-1]
    return float(text)


def read_raw(path: Path) -> dict[float, dict]:
    if not path.exists():
        return {}
    out = {}
    with path.open() as fh:
        for row in csv.DictReader(ln for ln in fh if not ln.startswith("#")):
            out[float(row["frequency_hz"])] = {k: _num(v) for k, v in row.items()}
    return out


def append_raw(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", newline="") as fh:
        wr = csv.writer(fh)
        if new:
            wr.writerow(RAW_FIELDS)
        F, C, S = complex(row["F"]), complex(row["C"]), complex(row["s11"])
        wr.writerow([f"{row['f']:.6f}", repr(F.real), repr(F.imag), repr(C.real), repr(C.imag), repr(S.real),
                     repr(S.imag),
                     f"{row['pml_reflection']:.3e}", f"{row['fit_residual']:.3e}", f"{row['seconds']:.3f}",
                     str(row["ndof"])])


def run_sweep(path: Path, freqs: np.ndarray, solver, log) -> None:
    done = read_raw(path)
    todo = np.array([f for f in freqs if not any(abs(f - g) < 1.0 for g in done)])
    if todo.size == 0:
        log(f"{path}: all {freqs.size} frequencies present")
        return
    log(f"{path}: {todo.size} of {freqs.size} frequencies to compute")
    # interleaved order (every 4th first, then the rest): an interrupted run still covers the band
    todo = np.concatenate([todo[i::4] for i in (0, 2, 1, 3)])
    for row in solver(todo):  # each finished frequency is stored at once
        append_raw(path, row)


# ----------------------------------------------------------------------------------- finalize
def mirror_amplitude(f: np.ndarray) -> np.ndarray:
    """Analytic TE11 amplitude radiated by a bare flat PEC mirror in the cylinder (same projection).

    The uniform x current forces TE11 with the constant particular amplitude ``-c k0^2/beta^2``
    (c = projection of x on the profile); the mirror makes the outgoing wave cancel it.
    """
    xg, wg = np.polynomial.legendre.leggauss(200)
    r = 0.5 * RADIUS * (xg + 1)
    w = 0.5 * RADIUS * wg
    er, ep = te11_profile(r)
    c = np.sum(w * r * (er - ep)) / np.sum(w * r * (er**2 + ep**2))
    k0 = 2 * np.pi * np.asarray(f) / C0
    return abs(c) * k0**2 / (k0**2 - kc() ** 2)


def _arrays(path: Path) -> dict[str, np.ndarray]:
    d = read_raw(path)
    f = np.array(sorted(d))
    out = {"f": f}
    for key in ("F", "C", "s11"):
        out[key] = np.array([d[x][f"{key}_re"] + 1j * d[x][f"{key}_im"] for x in f])
    for key in ("pml_reflection", "fit_residual", "seconds", "ndof"):
        out[key] = np.array([d[x][key] for x in f])
    return out


def _write_csv(path: Path, header: list[str], columns: list[np.ndarray], comments: list[str]) -> None:
    lines = [f"# {c}" for c in comments] + [",".join(header)]
    for row in zip(*columns):
        lines.append(",".join(repr(float(v)) for v in row))
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace('"', "'") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def _write_toml(path: Path, tables: dict[str, dict], comment: str) -> None:
    lines = [f"# {comment}"]
    for name, table in tables.items():
        lines.append(f"\n[{name}]")
        for k, v in table.items():
            lines.append(f"{k} = {_toml_value(v)}")
    path.write_text("\n".join(lines) + "\n")


def _geometry(extra: dict | None = None) -> dict:
    g = {
        "radius": {"value": RADIUS * 1e3, "unit": "mm", "source": "reduced radius (the paper's FEM did the same)"},
        "n_disks": N_DISKS,
        "gaps": {"values": [GAP * 1e3] * N_DISKS, "unit": "mm",
                 "source": "mirror-disk 1, disk 1-2, disk 2-3; booster mode at 19.0 GHz"},
        "thickness": {"values": [THICKNESS * 1e3] * N_DISKS, "unit": "mm", "source": "nominal"},
        "permittivity": {"values": [EPS_DISK] * N_DISKS, "unit": "1", "source": "sapphire"},
        "loss_tangent": {"values": [TAND_DISK] * N_DISKS, "unit": "1", "source": "simple dielectric loss"},
        "output_length": {"value": OUTPUT_LENGTH * 1e3, "unit": "mm",
                          "source": "S11 reference plane beyond the outer face of disk 3"},
        "walls": "PEC cylinder and PEC mirror",
    }
    g.update(extra or {})
    return g


def _solver(formulation: str, level: str, dim: str, arr: dict, symmetry: str) -> dict:
    try:
        import ngsolve
        version = ngsolve.__version__
    except ImportError:  # finalize can run without the solver
        version = "6.2.2608"
    maxh_air, maxh_disk, order = LEVELS[dim][level]
    return {
        "name": "NGSolve", "version": version, "formulation": formulation,
        "element_order": order, "maxh_air_m": maxh_air, "maxh_disk_m": maxh_disk, "ndof": int(arr["ndof"][0]),
        "symmetry": symmetry,
        "port": "perfectly matched layer behind the port (graded uniaxial PML, PEC backing); TE11 current slab "
                "excites S11; TE11 projection on 5 planes, fit F exp(-j beta z) + B exp(+j beta z) + C",
        "source": "axion current: uniform volume current along x (the TE11 polarisation) in every region",
        "seconds_per_frequency": float(np.mean(arr["seconds"])),
        "max_pml_reflection": float(np.max(arr["pml_reflection"])),
        "threads": "OMP_NUM_THREADS=1 (the 3-D sparse factorisation still ran a second thread)" if dim == "3d"
                   else "OMP_NUM_THREADS=1",
    }


def _refinement(d: Path, tag: str, nominal: dict, dim: str, boost_of) -> dict:
    rows = []
    nom_f = nominal["f"]
    for level in ("coarse", "nominal", "fine"):
        p = raw_path(d, f"{tag}_{level}") if level != "nominal" else None
        arr = nominal if level == "nominal" else (_arrays(p) if p.exists() else None)
        if arr is None or arr["f"].size == 0:
            continue
        rows.append((level, arr))
    out: dict = {"levels": [], "ndof": [], "max_rel_change_boost_vs_nominal": [], "max_abs_change_s11_vs_nominal": []}
    for level, arr in rows:
        idx = [int(np.argmin(abs(nom_f - x))) for x in arr["f"]]
        bn = boost_of(nominal, "nominal")[idx]
        b = boost_of(arr, level)
        peak = np.max(boost_of(nominal, "nominal"))
        out["levels"].append(level)
        out["ndof"].append(int(arr["ndof"][0]))
        out["max_rel_change_boost_vs_nominal"].append(float(np.max(abs(b - bn)) / peak))
        out["max_abs_change_s11_vs_nominal"].append(float(np.max(abs(arr["s11"] - nominal["s11"][idx]))))
    changes = [x for lv, x in zip(out["levels"], out["max_rel_change_boost_vs_nominal"]) if lv != "nominal"]
    out["metric"] = "max over the checked frequencies of |boost(level) - boost(nominal)| / max boost(nominal)"
    out["converged_within_1_percent"] = bool(changes) and max(changes) < 0.01
    return out


def finalize() -> None:
    """Write the stored references (CSV + meta.toml) from the raw per-frequency results."""
    date = time.strftime("%Y-%m-%d")
    # ---- 2-D cases
    for case in ("ideal", "nonplanar"):
        d = HERE / f"booster_{case}"
        nom = _arrays(raw_path(d, "booster_nominal"))
        if nom["f"].size == 0:
            continue
        mir = {lv: _arrays(raw_path(d, f"mirror_{lv}")) for lv in ("coarse", "nominal", "fine")
               if raw_path(d, f"mirror_{lv}").exists()}

        def boost_of(arr, level, mir=mir):
            m = mir[level]
            idx = [int(np.argmin(abs(m["f"] - x))) for x in arr["f"]]
            return ETA_A * np.abs(arr["F"] / m["F"][idx]) ** 2

        b = boost_of(nom, "nominal")
        m = mir["nominal"]
        _write_csv(d / "sweep.csv", ["f_hz", "boost_factor", "re_s11", "im_s11"],
                   [nom["f"], b, nom["s11"].real, nom["s11"].imag],
                   [f"FEM reference (NGSolve, 2-D axisymmetric m = 1) of the {case} closed booster; see meta.toml",
                    "boost_factor = eta_A |F / F_mirror|^2 (TE11 power relative to a bare flat mirror of the same "
                    "radius, times eta_A = 2/(p'11^2 - 1)); S11 at the reference plane; exp(+jwt)"])
        _write_csv(d / "mirror.csv", ["f_hz", "fem_amplitude", "analytic_amplitude"],
                   [m["f"], np.abs(m["F"]), mirror_amplitude(m["f"])],
                   ["bare flat PEC mirror in the same cylinder: |TE11 amplitude| from the FEM and from the modal "
                    "forcing c k0^2/beta^2 (checks the source, the projection and the PML)"])
        ref = _refinement(d, "booster", nom, "2d", boost_of)
        extra = {}
        if case == "nonplanar":
            r = np.linspace(0, RADIUS, 41)
            _write_csv(d / "profile.csv", ["r_m", "thickness_m"], [r, THICKNESS + profile_dt(r)],
                       ["thickness of disk 1 vs radius (measured-style: centre bulge + ring ripple); mirror-side face "
                        "flat, the other face carries the profile; disks 2 and 3 flat"])
            rr = np.linspace(0, RADIUS, 20001)
            mean_dt = float(np.trapezoid(2 * rr * profile_dt(rr), rr) / RADIUS**2)
            extra = {"nonplanar_disk": 1, "profile_bulge_um": PROFILE_BULGE * 1e6,
                     "profile_ripple_um": PROFILE_RIPPLE * 1e6, "profile": "profile.csv",
                     "area_mean_thickness_excess_um": mean_dt * 1e6}
        _write_toml(d / "meta.toml", {
            "case": {"name": f"booster_{case}", "quantities": ["boost_factor", "s11"], "files": ["sweep.csv",
                     "mirror.csv", "refinement.csv"] + (["profile.csv"] if case == "nonplanar" else []),
                     "frequencies": int(nom["f"].size), "f_start_hz": float(nom["f"][0]),
                     "f_stop_hz": float(nom["f"][-1])},
            "geometry": _geometry(extra),
            "solver": _solver("2-D axisymmetric, azimuthal order m = 1: (E_r, E_z) in HCurl, r E_phi in H1 "
                              "(order + 1), exp(-iwt) inside, results conjugated", "nominal", "2d", nom,
                              "axisymmetric (only the cos(phi) TE11 polarisation is computed)"),
            "refinement": ref,
            "mirror_check": {"max_rel_dev_fem_vs_analytic": float(np.max(abs(np.abs(m["F"]) /
                                                                              mirror_amplitude(m["f"]) - 1)))},
            "run": {"date": date, "command": f"OMP_NUM_THREADS=1 python3 validation/booster_fem.py {case} && "
                    f"python3 validation/booster_fem.py refine --of {case} --freqs 11 && "
                    "python3 validation/booster_fem.py finalize"},
        }, f"Provenance of the {case} booster FEM reference (written by validation/booster_fem.py finalize)")
        _write_ref_csv(d, ref)
    # ---- 3-D cases
    for case in TILT_CASES:
        _finalize_3d(case, date)


TILT_TEXT = {  # per 3-D case: what is tilted (sweep.csv header), [geometry] entries, meta.toml header
    "tilt": ("the mirror tilted about the y axis",
             {"mirror_tilt": "about the y axis through the mirror centre; the TE11 mode is polarised along x"},
             "tilted-mirror"),
    "tiltdisk": ("disk 1 (nearest the mirror) tilted about the y axis through its centre",
                 {"tilted_disk": 1,
                  "disk_tilt": "disk 1 rotated rigidly about the y axis through its centre, which stays at the "
                               "nominal position z_c = gap + thickness/2; its faces are the parallel planes "
                               "z - z_c = x tan(theta) -+ thickness / (2 cos(theta)) clipped by the cylinder; "
                               "mirror, disks 2 and 3 flat; the TE11 mode is polarised along x (in the tilt plane)"},
                 "tilted-disk"),
}


def _finalize_3d(case: str, date: str) -> None:
    """sweep.csv, refinement.csv and meta.toml of a 3-D case (``tilt`` or ``tiltdisk``) from its raw files."""
    d, tilted = TILT_CASES[case]
    what, geometry_extra, title = TILT_TEXT[case]
    tilts = sorted({float(p.stem.split("_")[1]) for p in (d / "raw").glob(f"{case}_*_nominal.csv")})
    cols: list[list[float]] = [[], [], [], [], []]
    secs, ndof, pml = [], [], []
    done = {}
    for t in tilts:
        arr = _arrays(raw_path(d, f"{case}_{t:g}_nominal"))
        if arr["f"].size == 0 or (t != 0 and arr["f"].size < 8):  # a fit needs >= 8 frequencies
            print(f"{case} {t:g} deg: {arr['f'].size} frequencies stored, not enough for a reference; left out")
            continue
        b = ETA_A * np.abs(arr["F"] / mirror_amplitude(arr["f"])) ** 2
        for i, x in enumerate((np.full(arr["f"].size, t), arr["f"], b, arr["s11"].real, arr["s11"].imag)):
            cols[i].extend(x)
        secs.extend(arr["seconds"])
        ndof.append(int(arr["ndof"][0]))
        pml.extend(arr["pml_reflection"])
        done[f"{t:g}"] = int(arr["f"].size)
    if not done:
        return
    _write_csv(d / "sweep.csv", ["tilt_deg", "f_hz", "boost_factor", "re_s11", "im_s11"],
               [np.array(c) for c in cols],
               [f"FEM reference (NGSolve, 3-D half model) of the booster with {what}",
                "boost_factor = eta_A |F / F_mirror|^2 with the analytic bare-mirror amplitude (equal to the 2-D FEM "
                "one to 1e-5, booster_ideal/mirror.csv); S11 at the reference plane; exp(+jwt)"])
    ref = {}
    check = [(t, lv) for lv in ("fine", "coarse") for t in tilts if raw_path(d, f"{case}_{t:g}_{lv}").exists()]
    if check:
        tref, level = check[0]
        nom1 = _arrays(raw_path(d, f"{case}_{tref:g}_nominal"))
        other = _arrays(raw_path(d, f"{case}_{tref:g}_{level}"))
        idx = [int(np.argmin(abs(nom1["f"] - x))) for x in other["f"]]
        bn = ETA_A * np.abs(nom1["F"][idx] / mirror_amplitude(other["f"])) ** 2
        bo = ETA_A * np.abs(other["F"] / mirror_amplitude(other["f"])) ** 2
        peak = float(np.max(ETA_A * np.abs(nom1["F"] / mirror_amplitude(nom1["f"])) ** 2))
        change = float(np.max(abs(bo - bn)) / peak)
        ref = {"levels": [level, "nominal"], "tilt_deg": tref, "ndof": [int(other["ndof"][0]), int(nom1["ndof"][0])],
               "frequencies_hz": [float(x) for x in other["f"]],
               "max_rel_change_boost_vs_nominal": [change, 0.0],
               "max_abs_change_s11_vs_nominal": [float(np.max(abs(other["s11"] - nom1["s11"][idx]))), 0.0],
               "metric": f"max over the checked frequencies of |boost({level}) - boost(nominal)| / max boost(nominal)"
                         + ("; a coarser level: the nominal mesh is converged at least this well" if level == "coarse"
                            else ""),
               "converged_within_1_percent": change < 0.01}
        _write_ref_csv(d, ref)
    arr0 = {"ndof": np.array([ndof[0]]), "seconds": np.array(secs), "pml_reflection": np.array(pml)}
    case_table = {"name": d.name, "quantities": ["boost_factor", "s11"],
                  "files": ["sweep.csv"] + (["refinement.csv"] if ref else [])}
    if case != "tilt":
        case_table["tilted_surface"] = tilted
    case_table.update({"tilts_deg": [float(t) for t in done], "frequencies_per_tilt": list(done.values()),
                       "f_start_hz": F_START, "f_stop_hz": F_STOP})
    _write_toml(d / "meta.toml", {
        "case": case_table,
        "geometry": _geometry(geometry_extra),
        "solver": _solver("3-D, HCurl (Nedelec) elements, exp(-iwt) inside, results conjugated", "nominal", "3d",
                          arr0, "half model y >= 0, magnetic wall (natural condition) at y = 0"),
        "refinement": ref,
        "run": {"date": date, "command": " && ".join(
            [f"OMP_NUM_THREADS=1 python3 validation/booster_fem.py {case} --tilt-deg {t} --freqs {n}"
             for t, n in done.items()]
            + ([f"python3 validation/booster_fem.py refine --of {case} --tilt-deg {ref['tilt_deg']:g} --level "
                f"{ref['levels'][0]} --freqs {len(ref['frequencies_hz'])}"] if ref else [])
            + ["python3 validation/booster_fem.py finalize"])}
        | ({} if case == "tilt" else {"timing": "wall time per frequency (mesh excluded) on a shared 2-core machine "
                                                "under load; about 60 s on a quiet one"}),
    }, f"Provenance of the {title} booster FEM reference (written by validation/booster_fem.py finalize)")


def _write_ref_csv(d: Path, ref: dict) -> None:
    if not ref.get("levels"):
        return
    _write_csv(d / "refinement.csv", ["level_index", "ndof", "max_rel_change_boost", "max_abs_change_s11"],
               [np.arange(len(ref["levels"])), np.array(ref["ndof"]), np.array(ref["max_rel_change_boost_vs_nominal"]),
                np.array(ref["max_abs_change_s11_vs_nominal"])],
               ["refinement check; level_index follows [refinement] levels in meta.toml"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", choices=["ideal", "nonplanar", "tilt", "tiltdisk", "refine", "mirror3d", "finalize"])
    p.add_argument("--tilt-deg", type=float, nargs="*", default=list(TILTS_DEG))
    p.add_argument("--of", default="ideal", choices=["ideal", "nonplanar", "tilt", "tiltdisk"])
    p.add_argument("--level", default="nominal")
    p.add_argument("--freqs", type=int, default=N_FREQ, help="number of frequencies (sweep subset for refine)")
    args = p.parse_args(argv)

    def log(msg: str) -> None:
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    freqs = frequencies()
    if args.case == "finalize":
        finalize()
        return 0
    if args.case in ("ideal", "nonplanar"):
        d = HERE / f"booster_{args.case}"
        for kind, tag in ((args.case, f"booster_{args.level}"), ("mirror", f"mirror_{args.level}")):
            # the 2-D model is cheap: one mesh per frequency batch, all frequencies at once
            path = raw_path(d, tag)
            done = read_raw(path)
            todo = np.array([f for f in freqs if not any(abs(f - g) < 1.0 for g in done)])
            if todo.size:
                for row in solve_2d(kind, args.level, todo, log):
                    append_raw(path, row)
    elif args.case == "refine":
        sub = freqs[:: max(1, (N_FREQ - 1) // max(1, args.freqs - 1))]
        if args.of in ("ideal", "nonplanar"):
            d = HERE / f"booster_{args.of}"
            for level in ("coarse", "fine"):
                for kind, tag in ((args.of, f"booster_{level}"), ("mirror", f"mirror_{level}")):
                    path = raw_path(d, tag)
                    done = read_raw(path)
                    todo = np.array([f for f in sub if not any(abs(f - g) < 1.0 for g in done)])
                    if todo.size:
                        for row in solve_2d(kind, level, todo, log):
                            append_raw(path, row)
        else:
            d, tilted = TILT_CASES[args.of]
            tilt = args.tilt_deg[0]
            path = raw_path(d, f"{args.of}_{tilt:g}_{args.level}")
            run_sweep(path, sub, lambda fr: solve_3d(tilt, args.level, fr, log, tilted=tilted), log)
    elif args.case == "mirror3d":
        d = HERE / "booster_tilt"
        run_sweep(raw_path(d, f"mirror_{args.level}"), freqs[:: max(1, (N_FREQ - 1) // max(1, args.freqs - 1))],
                  lambda fr: solve_3d(0.0, args.level, fr, log, bare=True), log)
    else:
        d, tilted = TILT_CASES[args.case]
        for tilt in args.tilt_deg:
            path = raw_path(d, f"{args.case}_{tilt:g}_{args.level}")
            run_sweep(path, freqs[:: max(1, (N_FREQ - 1) // max(1, args.freqs - 1))],
                      lambda fr, t=tilt: solve_3d(t, args.level, fr, log, tilted=tilted), log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
