"""Regenerate the FEM reference of a 5-sub-cavity WR-90 RADES filter with thick inductive irises.

Geometry (all in this file, nothing else is read): WR-90 guide a = 22.86 mm, b = 10.16 mm; five
sub-cavities of 23.9 mm separated by four irises of thickness 2.0 mm with a centred window of
width 8.0 mm over the full height (an H-plane, "inductive" iris). Total length 127.5 mm.

Method: NGSolve, curl-curl eigenproblem ``curl curl E = k^2 E`` with Nedelec (HCurl) elements of order 2,
shift-and-invert Arnoldi around 8.7 GHz. The axion-relevant (TE10-like) modes are even in x about
x = a/2 (a magnetic wall: natural boundary condition) and have E normal to the plane y = b/2
(an electric wall), so a quarter of the structure is meshed: x in [0, a/2], y in [0, b/2].
The mesh is refined (maxh list below) to show the frequencies converge; the finest level is stored.

Per mode: frequency, the form factor for a uniform B along y,
``C = |int E_y dV|^2 / (V int |E|^2 dV)`` (V the vacuum volume including the iris windows),
the wall-loss Q0 for copper at room temperature (sigma = 5.8e7 S/m, normal skin effect,
``Q0 = w mu0 int |curl E|^2 dV / (R_s oint |n x curl E|^2 dS)``, symmetry planes carry no loss),
and E_y on the axis.

Run (takes a few minutes on one core)::

    OMP_NUM_THREADS=1 python3 validation/rades_5cavity/generate.py

ngsolve is imported inside :func:`main` only, so that emboost never needs it.
"""

from __future__ import annotations

import datetime as _dt
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from emboost.core.output import atomic_write_csv, atomic_write_text  # noqa: E402

C0 = 299792458.0
MU0 = 4e-7 * math.pi * 1.00000000055  # CODATA 2018 mu0 to 1e-9
SIGMA_CU = 5.8e7

A = 22.86e-3
B = 10.16e-3
N_CAV = 5
L_CAV = 23.9e-3
T_IRIS = 2.0e-3
W_IRIS = 8.0e-3
ORDER = 2
MAXH = (3.0e-3, 2.0e-3, 1.4e-3)  # refinement levels; the last one is stored
EDGE_REFINE = 3.0  # the iris edges (field singularities) get maxh / EDGE_REFINE
F_SHIFT = 8.7e9
N_EIG = 8
F_BAND = (7.5e9, 10.0e9)  # keep eigenvalues in this band (the TE10 pass band of the filter)


def geometry_z() -> tuple[list[tuple[float, float]], list[tuple[float, float]], float]:
    """(cavity z-ranges, iris z-ranges, total length) [m]."""
    cav, iris, z = [], [], 0.0
    for i in range(N_CAV):
        cav.append((z, z + L_CAV))
        z += L_CAV
        if i < N_CAV - 1:
            iris.append((z, z + T_IRIS))
            z += T_IRIS
    return cav, iris, z


def solve(maxh: float, order: int, *, fields: bool = False) -> dict:
    import ngsolve as ng
    from netgen.occ import Box, OCCGeometry, Pnt, X, Y

    cav, iris, total = geometry_z()
    body = Box(Pnt(0, 0, 0), Pnt(A / 2, B / 2, total))
    body.faces.name = "wall"
    body.faces.Max(X).name = "hsym"  # x = a/2: magnetic wall (natural BC, no loss)
    body.faces.Max(Y).name = "esym"  # y = b/2: electric wall (Dirichlet, no loss)
    for z0, z1 in iris:
        blk = Box(Pnt(0, 0, z0), Pnt((A - W_IRIS) / 2, B / 2, z1))
        blk.faces.name = "wall"
        blk.faces.Max(Y).name = "esym"
        blk.edges.maxh = maxh / EDGE_REFINE
        body = body - blk
    mesh = ng.Mesh(OCCGeometry(body).GenerateMesh(maxh=maxh))
    fes = ng.HCurl(mesh, order=order, dirichlet="wall|esym", complex=True)
    u, v = fes.TnT()
    a = ng.BilinearForm(ng.curl(u) * ng.curl(v) * ng.dx).Assemble()
    m = ng.BilinearForm(u * v * ng.dx).Assemble()
    gfu = ng.GridFunction(fes, multidim=N_EIG)
    k_shift = 2 * math.pi * F_SHIFT / C0
    t0 = time.perf_counter()
    lam = ng.ArnoldiSolver(a.mat, m.mat, fes.FreeDofs(), list(gfu.vecs), shift=k_shift**2)
    t_solve = time.perf_counter() - t0
    lam = np.array([complex(x) for x in lam])
    freq = np.sqrt(lam.real.clip(0)) * C0 / (2 * math.pi)
    keep = [i for i in np.argsort(freq) if F_BAND[0] < freq[i] < F_BAND[1]]
    out: dict = {"ne": mesh.ne, "ndof": fes.ndof, "t_solve": t_solve, "f": freq[keep]}
    if not fields:
        return out
    vol = ng.Integrate(1.0, mesh)
    n = ng.specialcf.normal(3)
    walls = mesh.Boundaries("wall")
    e1 = ng.GridFunction(fes)
    z_axis = np.linspace(0.0, total, 511)
    cf, qs, axis, amps = [], [], [], []
    for i in keep:
        e1.vec.data = gfu.vecs[i]
        ey = e1[1]
        # make the field real: rotate by the phase of the axis value at the field maximum
        vals = np.array([complex(e1(mesh(A / 2 - 1e-7, B / 4, z))[1]) for z in z_axis])
        ph = vals[np.argmax(np.abs(vals))] / abs(vals[np.argmax(np.abs(vals))])
        vals = (vals / ph).real
        s = 1.0 if vals[np.argmax(np.abs(vals[: len(vals) // 5]))] >= 0 else -1.0
        vals *= s / np.max(np.abs(vals))
        int_ey = ng.Integrate(ey, mesh)
        int_e2 = ng.Integrate(ng.InnerProduct(e1, e1), mesh).real  # InnerProduct conjugates
        cf.append(abs(int_ey) ** 2 / (vol * int_e2))
        ce = ng.curl(e1)
        vol_h2 = ng.Integrate(ng.InnerProduct(ce, ce), mesh).real
        cb = ng.BoundaryFromVolumeCF(ce)
        ct = cb - (cb * n) * n
        sur_h2 = ng.Integrate(ng.InnerProduct(ct, ct), mesh, ng.BND, definedon=walls).real
        f = freq[i]
        rs = math.sqrt(math.pi * f * MU0 / SIGMA_CU)
        qs.append(2 * math.pi * f * MU0 * vol_h2 / (rs * sur_h2))
        axis.append(vals)
        amps.append([vals[np.argmin(np.abs(z_axis - 0.5 * (z0 + z1)))] for z0, z1 in cav])
    out.update(form_factor=np.array(cf), q0=np.array(qs), z=z_axis, axis=np.array(axis),
               amps=np.array(amps), volume=4 * vol)
    return out


def main() -> None:
    import ngsolve

    levels = []
    for h in MAXH[:-1]:
        r = solve(h, ORDER)
        levels.append(r)
        print(f"maxh {h * 1e3:.1f} mm: ne {r['ne']}, ndof {r['ndof']}, solve {r['t_solve']:.1f} s, "
              f"f/GHz {np.round(r['f'] / 1e9, 5)}", flush=True)
    fin = solve(MAXH[-1], ORDER, fields=True)
    levels.append(fin)
    print(f"maxh {MAXH[-1] * 1e3:.1f} mm: ne {fin['ne']}, ndof {fin['ndof']}, solve {fin['t_solve']:.1f} s, "
          f"f/GHz {np.round(fin['f'] / 1e9, 5)}", flush=True)
    p3 = solve(MAXH[0], ORDER + 1)  # order check on the coarsest mesh
    print(f"order {ORDER + 1} at maxh {MAXH[0] * 1e3:.1f} mm: f/GHz {np.round(p3['f'] / 1e9, 5)}", flush=True)
    nm = len(fin["f"])
    if any(len(r["f"]) != nm for r in levels + [p3]):
        raise RuntimeError("different numbers of modes at different refinement levels")
    change = np.max(np.abs(levels[-1]["f"] / levels[-2]["f"] - 1))
    change_p = np.max(np.abs(p3["f"] / fin["f"] - 1))

    cols = {"mode": np.arange(1, nm + 1), "f_hz": fin["f"], "form_factor": fin["form_factor"],
            "q0_copper_rt": fin["q0"]}
    for j in range(N_CAV):
        cols[f"amp_{j + 1}"] = fin["amps"][:, j]
    head = ["synthetic: no; FEM reference (NGSolve) of a 5-sub-cavity WR-90 filter, see meta.toml",
            "amp_j: E_y on the axis at the centre of sub-cavity j, normalised to max |E_y| = 1 on the axis",
            "form_factor: |int E_y dV|^2/(V int |E|^2 dV), V includes the iris windows"]
    atomic_write_csv(HERE / "modes.csv", cols, comments=head)
    acols = {"z_m": fin["z"]}
    for k in range(nm):
        acols[f"ey_mode{k + 1}"] = fin["axis"][k]
    atomic_write_csv(HERE / "axis_field.csv", acols,
                     comments=["E_y on the axis (x = a/2, y = b/4 of the quarter model), normalised"])
    conv = {"maxh_m": np.array(list(MAXH) + [MAXH[0]]), "order": np.array([ORDER] * len(MAXH) + [ORDER + 1]),
            "ndof": np.array([r["ndof"] for r in levels + [p3]]),
            "solve_s": np.array([r["t_solve"] for r in levels + [p3]])}
    for k in range(nm):
        conv[f"f{k + 1}_hz"] = np.array([r["f"][k] for r in levels + [p3]])
    atomic_write_csv(HERE / "convergence.csv", conv, comments=["frequency vs mesh size and order"])

    cav, iris, total = geometry_z()
    meta = f"""# Provenance of the FEM reference in this folder (written by generate.py)
[solver]
name = "NGSolve"
version = "{ngsolve.__version__}"
method = "curl-curl eigenproblem, HCurl (Nedelec) elements, shift-invert Arnoldi at {F_SHIFT / 1e9} GHz"
element_order = {ORDER}
maxh_m = {MAXH[-1]}
mesh_elements = {fin['ne']}
ndof = {fin['ndof']}
symmetry = "quarter model: magnetic wall x = a/2, electric wall y = b/2"
edge_refinement = "iris edges meshed with maxh / {EDGE_REFINE:g}"
eigen_solve_seconds = {fin['t_solve']:.2f}
date = "{_dt.date.today().isoformat()}"
command = "OMP_NUM_THREADS=1 python3 validation/rades_5cavity/generate.py"

[refinement]
maxh_m = {list(MAXH)}
max_relative_change_last_two_levels = {change:.3e}
max_relative_change_order_{ORDER}_to_{ORDER + 1}_coarsest_vs_finest_order_{ORDER} = {change_p:.3e}
converged_below_5e-4 = {str(bool(change < 5e-4)).lower()}
table = "convergence.csv"

[geometry]
a = {{ value = {A * 1e3}, unit = "mm", source = "WR-90 broad side" }}
b = {{ value = {B * 1e3}, unit = "mm", source = "WR-90 narrow side" }}
cavity_lengths = {{ values = {[round(L_CAV * 1e3, 6)] * N_CAV}, unit = "mm", source = "physics.md 3.4 uniform chain" }}
iris_thickness = {{ value = {T_IRIS * 1e3}, unit = "mm", source = "assumed, 'thickness t ~ mm' (physics.md 3.3)" }}
iris_window = {{ value = {W_IRIS * 1e3}, unit = "mm", source = "physics.md 3.4 (w = 8 mm)" }}
total_length = {{ value = {total * 1e3:.6f}, unit = "mm", source = "sum" }}
volume = {{ value = {fin['volume'] * 1e6:.6f}, unit = "cm3", source = "FEM mesh volume (full structure)" }}
wall_conductivity = {{ value = {SIGMA_CU}, unit = "S/m", source = "room-temperature copper, for q0_copper_rt" }}
"""
    atomic_write_text(HERE / "meta.toml", meta)
    print(f"max relative change between the two finest meshes: {change:.2e}; order 2->3: {change_p:.2e}")


if __name__ == "__main__":
    main()
