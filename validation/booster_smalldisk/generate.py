"""NGSolve reference for a closed booster whose disks are smaller than the cylinder (vacuum annulus).

The booster of the other booster references (3 sapphire disks, 1 mm thick, gaps 9.75 mm, PEC cylinder of radius
20 mm, PEC mirror) with every disk of radius ``disk_radius < 20 mm``, centred: the geometry stays axisymmetric, so
the 2-D axisymmetric formulation of azimuthal order m = 1 of ``validation/booster_fem.py`` is exact for the
x-polarised axion current and the TE11 port. The mesh (netgen OCC, 2-D) splits each disk layer into the dielectric
core ``r < disk_radius`` and the vacuum annulus; the disk corners, where the field is singular, are resolved by the
disk's mesh size in both parts of the layer.

Outputs (into this directory):

* ``raw/smalldisk_<radius mm>_<level>.csv``: per frequency the TE11 amplitude F of the axion-induced wave, S11,
  the PML back-reflection and the plane-fit residual (the raw format of booster_fem.py);
* ``sweep.csv``: disk radius, frequency, boost factor ``eta_A |F / F_mirror|^2`` (analytic bare-mirror amplitude,
  equal to the 2-D FEM one to 1e-5, see booster_ideal/mirror.csv), S11 (exp(+jwt), plane 10 mm beyond disk 3);
* ``refinement.csv`` and ``refinement.png``: the change of the boost factor and S11 with the mesh level
  (coarse, nominal, fine) at a subset of frequencies, per disk radius;
* ``meta.toml``: provenance.

Run (background, one core; resumable, frequencies already stored are skipped):
``OMP_NUM_THREADS=1 nice -n 10 python3 validation/booster_smalldisk/generate.py run`` then ``... finalize``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import booster_fem as bf  # noqa: E402  (the shared geometry, port fit and raw-file helpers)

DISK_RADII = (20e-3, 17e-3, 14e-3)   # m: the full disk (a -> R limit) and two smaller disks
F_START, F_STOP, N_FREQ = 18.0e9, 20.0e9, 41
N_REFINE = 9                          # frequencies of the refinement check
LEVELS = {"coarse": (2.0e-3, 0.5e-3, 3), "nominal": (1.2e-3, 0.33e-3, 3), "fine": (0.8e-3, 0.25e-3, 4)}


def frequencies() -> np.ndarray:
    return np.linspace(F_START, F_STOP, N_FREQ)


def tag(disk_radius: float, level: str) -> str:
    return f"smalldisk_{disk_radius * 1e3:g}_{level}"


def mesh_smalldisk(ng, disk_radius: float, maxh_air: float, maxh_disk: float):
    """(r, z) mesh: disks of radius ``disk_radius`` with a vacuum annulus, output air, TE11 slab and PML."""
    from netgen.occ import Glue, MoveTo, OCCGeometry, X, Y

    lay = bf.layout()
    a = bf.RADIUS
    faces = []

    def rect(r0: float, r1: float, z0: float, z1: float, mat: str, mh: float) -> None:
        f = MoveTo(r0, z0).Rectangle(r1 - r0, z1 - z0).Face()
        f.faces.name = mat
        f.faces.maxh = mh
        if r0 == 0.0:
            f.edges.Min(X).name = "axis"
        if abs(r1 - a) < 1e-12:
            f.edges.Max(X).name = "wall"
        if z0 == 0.0:
            f.edges.Min(Y).name = "mirror"
        if abs(z1 - lay.z_end) < 1e-12:
            f.edges.Max(Y).name = "end"
        faces.append(f)

    z = 0.0
    for lo, hi in zip(lay.disk_lo, lay.disk_hi):
        rect(0.0, a, z, lo, "air", maxh_air)
        if disk_radius < a - 1e-12:
            rect(0.0, disk_radius, lo, hi, "disk", maxh_disk)
            rect(disk_radius, a, lo, hi, "air", maxh_disk)
        else:
            rect(0.0, a, lo, hi, "disk", maxh_disk)
        z = hi
    z_s0, z_s1 = lay.z_last + bf.SLAB[0], lay.z_last + bf.SLAB[1]
    rect(0.0, a, z, z_s0, "air", maxh_air)
    rect(0.0, a, z_s0, z_s1, "slab", maxh_air)
    rect(0.0, a, z_s1, lay.z_pml, "air", maxh_air)
    rect(0.0, a, lay.z_pml, lay.z_end, "pml", maxh_air)
    mesh = ng.Mesh(OCCGeometry(Glue(faces), dim=2).GenerateMesh(maxh=maxh_air))
    mesh.Curve(3)
    return mesh, lay


def solve(disk_radius: float, level: str, freqs: np.ndarray, log):
    """Yield one raw row per frequency (the formulation of booster_fem.solve_2d on the small-disk mesh)."""
    import ngsolve as ng

    maxh_air, maxh_disk, order = LEVELS[level]
    mesh, lay = mesh_smalldisk(ng, disk_radius, maxh_air, maxh_disk)
    sz = bf.stretch(ng, ng.y, lay)
    dirichlet = "axis|wall|mirror|end"
    vt = ng.HCurl(mesh, order=order, complex=True, dirichlet=dirichlet)
    vp = ng.H1(mesh, order=order + 1, complex=True, dirichlet=dirichlet)
    fes = vt * vp
    (et, u), (ft, w) = fes.TnT()
    r = ng.x
    m = 1
    eps = mesh.MaterialCF({"disk": bf.EPS_DISK * (1 + 1j * bf.TAND_DISK)}, default=1.0)  # exp(-iwt)
    lam = ng.CoefficientFunction((sz, 0, 0, 1 / sz), dims=(2, 2))
    stiff = ng.BilinearForm(fes, symmetric=True)
    stiff += ((1 / r) * (lam * (m * et + ng.grad(u))) * (m * ft + ng.grad(w))
              + (r / sz) * ng.curl(et) * ng.curl(ft)) * ng.dx
    stiff.Assemble()
    mass = ng.BilinearForm(fes, symmetric=True)
    mass += eps * (r * (lam * et) * ft + sz * u * w / r) * ng.dx
    mass.Assemble()
    fa = ng.LinearForm(fes)                      # uniform axion current along x in every region
    fa += sz * (r * ft[0] - w) * ng.dx
    fa.Assemble()
    k = bf.kc()
    nmax = 14
    c_j1 = [(-1) ** n * k ** (2 * n + 1) / (2 ** (2 * n + 1) * math.factorial(n) * math.factorial(n + 1))
            for n in range(nmax)]
    c_j1p = [(-1) ** n * (2 * n + 1) * k ** (2 * n) / (2 ** (2 * n + 1) * math.factorial(n) * math.factorial(n + 1))
             for n in range(nmax)]
    er_cf, ep_cf = bf._series(r * r, c_j1), -k * bf._series(r * r, c_j1p)
    fs = ng.LinearForm(fes)                      # TE11-profiled current slab for S11
    fs += (r * er_cf * ft[0] + ep_cf * w) * ng.dx(definedon=mesh.Materials("slab"))
    fs.Assemble()
    gf = ng.GridFunction(fes)
    nd = sum(fes.FreeDofs())
    log(f"small disk {disk_radius * 1e3:g} mm level={level} order={order} elements={mesh.ne} ndof={nd}")
    xg, wg = np.polynomial.legendre.leggauss(40)
    rq = 0.5 * bf.RADIUS * (xg + 1)
    wq = 0.5 * bf.RADIUS * wg
    pr, pphi = bf.te11_profile(rq)
    norm = np.sum(wq * rq * (pr**2 + pphi**2))
    for f in freqs:
        t0 = time.perf_counter()
        f = float(f)
        k0 = 2 * math.pi * f / bf.C0
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
                e_r = gf.components[0](mp)[:, 0]
                e_phi = gf.components[1](mp).ravel() / rq
                proj.append(np.sum(wq * rq * (e_r * pr + e_phi * pphi)) / norm)
            amps.append(np.array(proj))
        row = bf.plane_fit(f, lay, amps[0], amps[1])
        row["seconds"] = time.perf_counter() - t0
        row["ndof"] = nd
        log(f"  f={f / 1e9:.4f} GHz |F|={abs(row['F']):.5g} |S11|={abs(row['s11']):.5f} "
            f"back/fwd={row['pml_reflection']:.1e} {row['seconds']:.1f} s")
        yield row


def boost(arr: dict) -> np.ndarray:
    return bf.ETA_A * np.abs(arr["F"] / bf.mirror_amplitude(arr["f"])) ** 2


def run(log) -> None:
    freqs = frequencies()
    sub = freqs[:: (N_FREQ - 1) // (N_REFINE - 1)]
    for radius in DISK_RADII:
        bf.run_sweep(bf.raw_path(HERE, tag(radius, "nominal")), freqs, lambda fr, a=radius: solve(a, "nominal", fr,
                                                                                                   log), log)
    for radius in DISK_RADII:
        for level in ("coarse", "fine"):
            bf.run_sweep(bf.raw_path(HERE, tag(radius, level)), sub,
                         lambda fr, a=radius, lv=level: solve(a, lv, fr, log), log)


def finalize() -> None:
    cols: list[list[float]] = [[], [], [], [], []]
    ref_rows: list[list[float]] = [[], [], [], [], []]
    secs, pml, ndof_nom = [], [], {}
    refinement: dict[str, dict] = {}
    for radius in DISK_RADII:
        nom = bf._arrays(bf.raw_path(HERE, tag(radius, "nominal")))
        if nom["f"].size == 0:
            continue
        b = boost(nom)
        for i, x in enumerate((np.full(nom["f"].size, radius * 1e3), nom["f"], b, nom["s11"].real, nom["s11"].imag)):
            cols[i].extend(x)
        secs.extend(nom["seconds"])
        pml.extend(nom["pml_reflection"])
        ndof_nom[f"{radius * 1e3:g}"] = int(nom["ndof"][0])
        entry: dict = {"levels": [], "ndof": [], "max_rel_change_boost_vs_nominal": [],
                       "max_abs_change_s11_vs_nominal": []}
        for level in ("coarse", "nominal", "fine"):
            arr = nom if level == "nominal" else bf._arrays(bf.raw_path(HERE, tag(radius, level)))
            if arr["f"].size == 0:
                continue
            idx = [int(np.argmin(abs(nom["f"] - x))) for x in arr["f"]]
            change = float(np.max(abs(boost(arr) - b[idx])) / b.max())
            s_change = float(np.max(abs(arr["s11"] - nom["s11"][idx])))
            entry["levels"].append(level)
            entry["ndof"].append(int(arr["ndof"][0]))
            entry["max_rel_change_boost_vs_nominal"].append(change)
            entry["max_abs_change_s11_vs_nominal"].append(s_change)
            for i, x in enumerate((radius * 1e3, ["coarse", "nominal", "fine"].index(level), arr["ndof"][0], change,
                                   s_change)):
                ref_rows[i].append(float(x))
        others = [x for lv, x in zip(entry["levels"], entry["max_rel_change_boost_vs_nominal"]) if lv != "nominal"]
        entry["converged_within_1_percent"] = bool(others) and max(others) < 0.01
        refinement[f"disk_radius_{radius * 1e3:g}mm"] = entry
    bf._write_csv(HERE / "sweep.csv", ["disk_radius_mm", "f_hz", "boost_factor", "re_s11", "im_s11"],
                  [np.array(c) for c in cols],
                  ["FEM reference (NGSolve, 2-D axisymmetric m = 1) of the closed booster with disks smaller than the "
                   "cylinder (vacuum annulus); see meta.toml",
                   "boost_factor = eta_A |F / F_mirror|^2 with the analytic bare-mirror amplitude; S11 at the "
                   "reference plane 10 mm beyond disk 3; exp(+jwt)"])
    bf._write_csv(HERE / "refinement.csv", ["disk_radius_mm", "level_index", "ndof", "max_rel_change_boost",
                                             "max_abs_change_s11"], [np.array(c) for c in ref_rows],
                  ["refinement check; level_index 0 coarse, 1 nominal, 2 fine; changes against the nominal level at "
                   f"{N_REFINE} frequencies, relative to the nominal peak"])
    _figure(ref_rows)
    lay = bf.layout()
    bf._write_toml(HERE / "meta.toml", {
        "case": {"name": "booster_smalldisk", "quantities": ["boost_factor", "s11"],
                 "files": ["sweep.csv", "refinement.csv"], "figure": "refinement.png",
                 "disk_radii_mm": [r * 1e3 for r in DISK_RADII], "frequencies": N_FREQ, "f_start_hz": F_START,
                 "f_stop_hz": F_STOP},
        "geometry": bf._geometry({"disk_radius": {"values": [r * 1e3 for r in DISK_RADII], "unit": "mm",
                                                  "source": "all three disks of this radius, centred; the rest of "
                                                            "each disk layer is vacuum; 20 mm = full disk"},
                                  "disk_z_lo_mm": [z * 1e3 for z in lay.disk_lo]}),
        "solver": {"name": "NGSolve", "version": _version(),
                   "formulation": "2-D axisymmetric, azimuthal order m = 1: (E_r, E_z) in HCurl, r E_phi in H1 "
                                  "(order + 1), exp(-iwt) inside, results conjugated (booster_fem.solve_2d)",
                   "mesh": "netgen OCC 2-D; disk core and vacuum annulus of each disk layer at the disk mesh size",
                   "level": "nominal", "element_order": LEVELS["nominal"][2], "maxh_air_m": LEVELS["nominal"][0],
                   "maxh_disk_m": LEVELS["nominal"][1], "ndof": ndof_nom,
                   "port": "graded PML with PEC backing; TE11 current slab for S11; TE11 projection on 5 planes, "
                           "fit F exp(-j beta z) + B exp(+j beta z) + C",
                   "source": "uniform volume current along x in every region, the PML included",
                   "seconds_per_frequency": float(np.mean(secs)) if secs else 0.0,
                   "max_pml_reflection": float(np.max(pml)) if pml else 0.0, "threads": "OMP_NUM_THREADS=1"},
        "refinement": refinement,
        "run": {"date": time.strftime("%Y-%m-%d"),
                "command": "OMP_NUM_THREADS=1 nice -n 10 python3 validation/booster_smalldisk/generate.py run && "
                           "python3 validation/booster_smalldisk/generate.py finalize"},
    }, "Provenance of the small-disk booster FEM reference (written by validation/booster_smalldisk/generate.py)")


def _version() -> str:
    try:
        import ngsolve
        return str(ngsolve.__version__)
    except ImportError:
        return "unknown"


def _figure(rows: list[list[float]]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    radius, level, ndof, change, s_change = (np.array(c) for c in rows)
    fig, ax = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
    for a in np.unique(radius):
        sel = (radius == a) & (level != 1)
        ax[0].loglog(ndof[sel], np.maximum(change[sel], 1e-9), "o-", label=f"disk radius {a:g} mm")
        ax[1].loglog(ndof[sel], np.maximum(s_change[sel], 1e-9), "o-")
    ax[0].set(xlabel="degrees of freedom", ylabel="max |boost - nominal| / peak")
    ax[1].set(xlabel="degrees of freedom", ylabel="max |S11 - nominal|")
    ax[0].legend(fontsize=8)
    fig.suptitle("booster_smalldisk: change against the nominal mesh (coarse and fine levels)", fontsize=9)
    fig.savefig(HERE / "refinement.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("step", choices=["run", "finalize"])
    args = p.parse_args(argv)

    def log(msg: str) -> None:
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    if args.step == "run":
        run(log)
    else:
        finalize()
    return 0


if __name__ == "__main__":
    sys.exit(main())
