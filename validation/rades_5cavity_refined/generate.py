"""Regenerate the edge-refined FEM reference of the 5-sub-cavity WR-90 RADES filter (Q0 convergence study).

Same structure as ``validation/rades_5cavity`` (WR-90, a = 22.86 mm, b = 10.16 mm; five 23.9 mm
sub-cavities; four 2.0 mm thick inductive irises with 8.0 mm windows over the full height), same method
(NGSolve curl-curl eigenproblem, Nedelec elements, quarter model with a magnetic wall at x = a/2 and an
electric wall at y = b/2), but the wall-loss Q0 is converged at the iris edges.

Why: the window edges of a thick iris are re-entrant 270 deg corners; there the magnetic field, and so the
surface current, is singular (|H| ~ r^(-1/3)). Eigenfrequencies converge quickly, but the loss integral
``oint |H_t|^2 dS`` converges slowly unless the mesh is graded towards these edges. The stored reference in
``validation/rades_5cavity`` meshed these edges with maxh / 3 = 0.47 mm only.

Study (every level is one mesh + one eigen-solve):

* h series: order 2, the singular edges meshed with h_edge = 0.47 (as the stored reference) and 0.2 mm
  (netgen grades the mesh away from them): Q0 falls slowly, by about 2.5 % per halving;
* hp series: the same 0.47 mm mesh with 2, 4 and 6 levels of geometric refinement (factor 0.2) towards
  the singular edges, orders 2 and 3: the standard cure for edge singularities; Q0 converges
  geometrically in the number of levels (each two levels shrink the change about threefold);
* the fields are uniform in y (full-height irises), so only a slab of height 1 mm of the quarter model is
  meshed and Q0 is scaled exactly to the height b/2 (volume and side-wall integrals times (b/2)/slab,
  broad-wall integral unchanged); one level is solved on the full quarter height as a check.

The stored reference is the limit of the order-3 sequence (geometric extrapolation from 2, 4, 6 levels);
its uncertainty is the larger of its distance to the finest level and to the order-2 limit.

Per level and mode: frequency, Q0 for room-temperature copper (sigma = 5.8e7 S/m, normal skin effect,
``Q0 = w mu0 int |H|^2 dV / (R_s oint |H_t|^2 dS)`` with H ~ curl E; the symmetry planes carry no loss).
The finest level also stores the form factor and the sub-cavity amplitudes.

Run (about 15-30 minutes on one shared core; keep it niced)::

    OMP_NUM_THREADS=1 nice -n 10 python3 validation/rades_5cavity_refined/generate.py

ngsolve is imported inside the functions only, so that emboost never needs it. Writes modes.csv,
convergence.csv, meta.toml and convergence.png (atomically); ``--figure-only`` redraws the figure from the
stored tables.
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
MU0 = 4e-7 * math.pi * 1.00000000055
SIGMA_CU = 5.8e7

A = 22.86e-3
B = 10.16e-3
N_CAV = 5
L_CAV = 23.9e-3
T_IRIS = 2.0e-3
W_IRIS = 8.0e-3
MAXH = 1.4e-3
H0 = MAXH / 3  # mesh size at the iris edges before any refinement (as in validation/rades_5cavity)
H_EDGE = (H0, 0.2e-3)  # h series: graded mesh, smaller edge size, order 2
HP_SERIES = {2: (2, 4, 6), 3: (2, 4, 6)}  # order -> geometric refinement levels towards the edges
HP_FACTOR = 0.2
SLAB_CHECK_H_EDGE = 0.2e-3  # one level also solved on the full quarter height b/2 (checks the slab scaling)
SLAB = 1.0e-3  # meshed height (y) of the quarter model; see solve()
F_SHIFT = 8.7e9
N_EIG = 8
F_BAND = (7.5e9, 10.0e9)


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


def solve(h_edge: float, order: int, *, hp_levels: int = 0, fields: bool = False, hy: float | None = None) -> dict:
    """One refinement level: mesh with ``h_edge`` at the window edges (and ``hp_levels`` geometric
    refinements towards them, factor ``HP_FACTOR``), solve, Q0 of every mode.

    ``hy`` is the height of the meshed slab (default ``SLAB``; b/2 is the full quarter model). The irises
    span the full height, so the TE_n0 fields do not depend on y: frequencies are those of the full
    structure, and the Q0 of the full height b/2 follows exactly from the slab's integrals by scaling the
    volume and side-wall integrals by (b/2)/hy (the broad-wall integral does not scale)."""
    hy = SLAB if hy is None else hy
    import ngsolve as ng
    from netgen.occ import Box, OCCGeometry, Pnt, X, Y

    cav, iris, total = geometry_z()
    body = Box(Pnt(0, 0, 0), Pnt(A / 2, hy, total))
    body.faces.name = "wall"
    body.faces.Max(X).name = "hsym"
    body.faces.Max(Y).name = "esym"
    body.faces.Min(Y).name = "broad"
    xe = (A - W_IRIS) / 2
    for z0, z1 in iris:
        blk = Box(Pnt(0, 0, z0), Pnt(xe, hy, z1))
        blk.faces.name = "wall"
        blk.faces.Max(Y).name = "esym"
        blk.faces.Min(Y).name = "broad"
        blk.edges.maxh = MAXH / 3
        sing = blk.edges[X > xe - 1e-9]  # the re-entrant window edges (and their short neighbours)
        sing.maxh = h_edge
        if hp_levels:
            sing.hpref = 1
        body = body - blk
    mesh = ng.Mesh(OCCGeometry(body).GenerateMesh(maxh=MAXH))
    if hp_levels:
        mesh.RefineHP(hp_levels, HP_FACTOR)
    fes = ng.HCurl(mesh, order=order, dirichlet="wall|esym|broad", complex=True)
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
    n = ng.specialcf.normal(3)
    walls = mesh.Boundaries("wall")
    broad = mesh.Boundaries("broad")
    e1 = ng.GridFunction(fes)
    iorder = 2 * order + 2
    qs, cf, amps, vol = [], [], [], ng.Integrate(1.0, mesh)
    z_axis = np.linspace(0.0, total, 511)
    for i in keep:
        e1.vec.data = gfu.vecs[i]
        ce = ng.curl(e1)
        vol_h2 = ng.Integrate(ng.InnerProduct(ce, ce), mesh, order=iorder).real
        cb = ng.BoundaryFromVolumeCF(ce)
        ct = cb - (cb * n) * n
        sur_h2 = ng.Integrate(ng.InnerProduct(ct, ct), mesh, ng.BND, definedon=walls, order=iorder).real
        bro_h2 = ng.Integrate(ng.InnerProduct(ct, ct), mesh, ng.BND, definedon=broad, order=iorder).real
        f = freq[i]
        rs = math.sqrt(math.pi * f * MU0 / SIGMA_CU)
        scale = (B / 2) / hy
        qs.append(2 * math.pi * f * MU0 * vol_h2 * scale / (rs * (sur_h2 * scale + bro_h2)))
        if fields:
            int_ey = ng.Integrate(e1[1], mesh, order=iorder)
            int_e2 = ng.Integrate(ng.InnerProduct(e1, e1), mesh, order=iorder).real
            cf.append(abs(int_ey) ** 2 / (vol * int_e2))
            vals = np.array([complex(e1(mesh(A / 2 - 1e-7, hy / 2, z))[1]) for z in z_axis])
            ph = vals[np.argmax(np.abs(vals))] / abs(vals[np.argmax(np.abs(vals))])
            vals = (vals / ph).real
            s = 1.0 if vals[np.argmax(np.abs(vals[: len(vals) // 5]))] >= 0 else -1.0
            vals *= s / np.max(np.abs(vals))
            amps.append([vals[np.argmin(np.abs(z_axis - 0.5 * (z0 + z1)))] for z0, z1 in cav])
    out = {"ne": mesh.ne, "ndof": fes.ndof, "t_solve": t_solve, "f": freq[keep], "q0": np.array(qs),
           "h_edge": h_edge, "order": order, "hp": hp_levels}
    if fields:
        out.update(form_factor=np.array(cf), amps=np.array(amps), volume=4 * vol * (B / 2) / hy)
    return out


def extrapolate(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Limit of a geometrically converging sequence (rows = levels) from its last three rows.

    Returns (limit, |limit - last|). Where the ratio of successive changes is not in (0, 1), the last value
    is returned with an uncertainty of twice the last change."""
    d1, d2 = q[-2] - q[-3], q[-1] - q[-2]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = d2 / d1
    ok = (r > 0) & (r < 1)
    lim = np.where(ok, q[-1] + d2 * np.where(ok, r, 0) / np.where(ok, 1 - r, 1), q[-1])
    unc = np.where(ok, np.abs(lim - q[-1]), 2 * np.abs(d2))
    return lim, unc


def _say(tag: str, r: dict) -> None:
    print(f"{tag}: ne {r['ne']}, ndof {r['ndof']}, solve {r['t_solve']:.1f} s, f/GHz {np.round(r['f'] / 1e9, 5)}, "
          f"Q0 {np.round(r['q0'], 1)}", flush=True)


def main() -> None:
    import ngsolve

    levels = []
    for h in H_EDGE:
        r = solve(h, 2)
        levels.append(r)
        _say(f"h series p=2 h_edge {h * 1e3:.3f} mm", r)
    last = (max(HP_SERIES), HP_SERIES[max(HP_SERIES)][-1])
    for order, hp_levels in HP_SERIES.items():
        for lev in hp_levels:
            r = solve(H0, order, hp_levels=lev, fields=(order, lev) == last)
            levels.append(r)
            _say(f"hp series p={order} levels {lev}", r)
    full = solve(SLAB_CHECK_H_EDGE, 2, hy=B / 2)
    _say(f"full height b/2, h_edge {SLAB_CHECK_H_EDGE * 1e3:.2f} mm", full)
    slab = next(r for r in levels if r["order"] == 2 and r["h_edge"] == SLAB_CHECK_H_EDGE and r["hp"] == 0)
    slab_dq = full["q0"] / slab["q0"] - 1
    slab_df = full["f"] / slab["f"] - 1
    nm = len(levels[0]["f"])
    if any(len(r["f"]) != nm for r in levels + [full]):
        raise RuntimeError("different numbers of modes at different refinement levels")
    hp = {o: np.array([r["q0"] for r in levels if r["hp"] and r["order"] == o]) for o in HP_SERIES}
    lim2, _ = extrapolate(hp[2])
    lim3, _ = extrapolate(hp[3])
    fin = next(r for r in levels if (r["order"], r["hp"]) == last)
    # reference: the order-3 limit of the geometric sequence; uncertainty: the larger of its distance to the
    # finest level and to the order-2 limit
    q_ref = lim3
    q_unc = np.maximum(np.abs(lim3 - fin["q0"]), np.abs(lim3 - lim2))
    same = next(r for r in levels if r["order"] == 2 and r["hp"] == last[1])
    f_change = np.max(np.abs(fin["f"] / same["f"] - 1))

    cols = {"mode": np.arange(1, nm + 1), "f_hz": fin["f"], "form_factor": fin["form_factor"],
            "q0_copper_rt": q_ref, "q0_uncertainty": q_unc, "q0_finest_level": fin["q0"],
            "q0_extrapolated_order2": lim2}
    for j in range(N_CAV):
        cols[f"amp_{j + 1}"] = fin["amps"][:, j]
    head = ["synthetic: no; FEM reference (NGSolve) of a 5-sub-cavity WR-90 filter, hp-refined at the iris edges, "
            "see meta.toml",
            "q0_copper_rt: order-3 limit of the geometric (hp) sequence 2, 4, 6 levels; q0_uncertainty: "
            "max(|limit - finest level|, |order-3 limit - order-2 limit|)",
            "amp_j: E_y on the axis at the centre of sub-cavity j, normalised to max |E_y| = 1 on the axis",
            "form_factor: |int E_y dV|^2/(V int |E|^2 dV), V includes the iris windows"]
    atomic_write_csv(HERE / "modes.csv", cols, comments=head)
    conv = {"series": np.array([2.0 if r["hp"] else 1.0 for r in levels]),
            "h_edge_m": np.array([r["h_edge"] for r in levels]), "hp_levels": np.array([r["hp"] for r in levels]),
            "order": np.array([r["order"] for r in levels]), "elements": np.array([r["ne"] for r in levels]),
            "ndof": np.array([r["ndof"] for r in levels]), "solve_s": np.array([r["t_solve"] for r in levels])}
    for k in range(nm):
        conv[f"f{k + 1}_hz"] = np.array([r["f"][k] for r in levels])
    for k in range(nm):
        conv[f"q0_{k + 1}"] = np.array([r["q0"][k] for r in levels])
    atomic_write_csv(HERE / "convergence.csv", conv, comments=[
        f"frequency and Q0 (copper, RT) per refinement level; bulk maxh {MAXH} m; series 1: h_edge refinement "
        f"(graded mesh); series 2: {HP_FACTOR}-geometric hp refinement towards the iris edges"])
    _figure(levels, lim3)

    meta = f"""# Provenance of the hp-refined FEM reference in this folder (written by generate.py)
[solver]
name = "NGSolve"
version = "{ngsolve.__version__}"
method = "curl-curl eigenproblem, HCurl (Nedelec) elements, shift-invert Arnoldi at {F_SHIFT / 1e9} GHz"
element_order = {last[0]}
maxh_m = {MAXH}
edge_maxh_m = {H0}
hp_levels = {last[1]}
hp_factor = {HP_FACTOR}
mesh_elements = {fin['ne']}
ndof = {fin['ndof']}
symmetry = "quarter model: magnetic wall x = a/2, electric wall y = b/2"
slab = "meshed height slab_height_m (the fields are uniform in y); Q0 scaled to the height b/2 exactly"
edge_refinement = "geometric (hp) refinement towards the re-entrant window edges of every iris"
eigen_solve_seconds = {fin['t_solve']:.2f}
date = "{_dt.date.today().isoformat()}"
command = "OMP_NUM_THREADS=1 nice -n 10 python3 validation/rades_5cavity_refined/generate.py"

[refinement]
h_series_edge_maxh_m = {[float(h) for h in H_EDGE]}
hp_series_levels_order2 = {list(HP_SERIES[2])}
hp_series_levels_order3 = {list(HP_SERIES[3])}
max_relative_change_frequency_order2_to_order3 = {f_change:.3e}
q0_relative_uncertainty = {[round(float(x), 5) for x in q_unc / q_ref]}
q0_order2_extrapolated = {[round(float(x), 1) for x in lim2]}
q0_order3_extrapolated = {[round(float(x), 1) for x in lim3]}
q0_finest_level = {[round(float(x), 1) for x in fin["q0"]]}
q0_stored_coarse_reference = "validation/rades_5cavity (edge maxh 0.47 mm, order 2)"
slab_height_m = {SLAB}
slab_check = "h_edge {SLAB_CHECK_H_EDGE} m, order 2, also solved on the full quarter height b/2"
slab_check_q0_relative_difference = {[round(float(x), 5) for x in slab_dq]}
slab_check_frequency_relative_difference = {[float(f"{x:.3e}") for x in slab_df]}
table = "convergence.csv"
figure = "convergence.png"

[geometry]
a = {{ value = {A * 1e3}, unit = "mm", source = "WR-90 broad side" }}
b = {{ value = {B * 1e3}, unit = "mm", source = "WR-90 narrow side" }}
cavity_lengths = {{ values = {[round(L_CAV * 1e3, 6)] * N_CAV}, unit = "mm", source = "physics.md 3.4 uniform chain" }}
iris_thickness = {{ value = {T_IRIS * 1e3}, unit = "mm", source = "assumed, 'thickness t ~ mm' (physics.md 3.3)" }}
iris_window = {{ value = {W_IRIS * 1e3}, unit = "mm", source = "physics.md 3.4 (w = 8 mm)" }}
total_length = {{ value = {geometry_z()[2] * 1e3:.6f}, unit = "mm", source = "sum" }}
volume = {{ value = {fin['volume'] * 1e6:.6f}, unit = "cm3", source = "FEM mesh volume (full structure)" }}
wall_conductivity = {{ value = {SIGMA_CU}, unit = "S/m", source = "room-temperature copper, for q0_copper_rt" }}
"""
    atomic_write_text(HERE / "meta.toml", meta)
    print(f"Q0 reference (order-3 limit): {np.round(q_ref, 1)} +- {np.round(q_unc, 1)}; order-2 limit "
          f"{np.round(lim2, 1)}; "
          f"slab check {np.round(slab_dq, 5)}")


def _figure(levels: list[dict], q_lim: np.ndarray) -> None:
    """convergence.png: signed Q0 deviation from the order-3 limit and frequency change vs degrees of freedom."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    series = [("h, p=2", [r for r in levels if not r["hp"]], "o-"),
              *[(f"hp, p={o}", [r for r in levels if r["hp"] and r["order"] == o], mk)
                for o, mk in zip(HP_SERIES, ("s-", "^--"))]]
    for label, rows, mk in series:
        nd = np.array([r["ndof"] for r in rows])
        q = np.array([r["q0"] for r in rows])
        f = np.array([r["f"] for r in rows])
        for k in range(q.shape[1]):
            ax[0].plot(nd, 100 * (q[:, k] / q_lim[k] - 1), mk, color=f"C{k}", label=f"mode {k + 1}, {label}")
            ax[1].plot(nd, np.abs(f[:, k] / levels[-1]["f"][k] - 1) + 1e-12, mk, color=f"C{k}")
    ax[0].axhline(0.0, color="k", lw=0.8)
    ax[0].set_xscale("log")
    ax[0].set_ylabel("Q0 / Q0(order-3 limit) - 1 [%]")
    ax[0].legend(fontsize=6, ncol=3)
    ax[1].set_xscale("log")
    ax[1].set_yscale("log")
    ax[1].set_ylabel("|f / f(finest) - 1|")
    for x in ax:
        x.set_xlabel("degrees of freedom")
    fig.suptitle("RADES 5-cavity filter, NGSolve: Q0 and f vs refinement at the iris edges (copper, RT)")
    tmp = HERE / "convergence.tmp.png"
    fig.savefig(tmp, dpi=110)
    tmp.replace(HERE / "convergence.png")
    plt.close(fig)


def figure_from_tables() -> None:
    """Redraw convergence.png from the stored convergence.csv and modes.csv (no FEM run)."""
    def table(name: str) -> np.ndarray:
        lines = [ln for ln in (HERE / name).read_text().splitlines() if not ln.startswith("#")]
        return np.genfromtxt(lines, delimiter=",", names=True)

    conv, modes = table("convergence.csv"), table("modes.csv")
    nm = modes.size
    levels = [{"hp": int(r["hp_levels"]), "order": int(r["order"]), "ndof": int(r["ndof"]),
               "q0": np.array([r[f"q0_{k}"] for k in range(1, nm + 1)]),
               "f": np.array([r[f"f{k}_hz"] for k in range(1, nm + 1)])} for r in conv]
    _figure(levels, np.asarray(modes["q0_copper_rt"]))


if __name__ == "__main__":
    figure_from_tables() if sys.argv[1:] == ["--figure-only"] else main()
