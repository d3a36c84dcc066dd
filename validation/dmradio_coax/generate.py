"""Regenerate the FEM reference of a shorted coaxial pickup (DMRadio-m3 style).

A 2-D axisymmetric, frequency-domain finite-element model (NGSolve) of the annulus
``r_i < r < r_o``, ``0 < z < l`` of a coax shorted at the bottom (z = 0) and read out through a lumped
gap that spans the annular top (z = l). Fields are the TM set (H_phi, E_r, E_z); the unknown is
``u = r H_phi`` (the enclosed current over 2 pi), which obeys, with exp(+jwt),

    div((1/r) grad u) + k^2 u / r = 0          in the vacuum annulus,

because a uniform axial axion current has no curl there. Walls (inner, outer conductor, bottom plate)
carry the Leontovich surface impedance ``Z_s = (1 + j) R_s`` of room-temperature copper. The natural
boundary term is ``(1/r) du/dn = -j w eps0 E_t - J.t`` with ``t = phi x n``; on a wall
``E_t = Z_s H_phi - (J.t)/sigma`` (the second part is the field ``-J_a/sigma`` that makes the metal
carry the bulk current cancelling the axion current, paper Appendix D; negligible, kept for form).

Port (top): the total enclosed current is prescribed (Dirichlet on u):

* impedance run: ``u = -I / (2 pi)`` (a current I fed into the inner terminal, i.e. flowing down the
  inner conductor); ``Z = V / I``;
* axion run (open port, I = 0): ``u = J_a (r^2 - r_i^2) / 2`` for a solid inner conductor, ``J_a r^2 / 2``
  for a hollow one (the axion current crossing the top plane and closing through the metal above);
  the uniform axial axion current ``J_a z`` is the volume source, which enters the weak form through the
  ``J.t`` wall terms.

The gap voltage ``V = int E_r dr`` (inner minus outer potential) is read from the weak-form residual
with the test function ``phi = z / l`` (equal to 1 on the top, 0 on the bottom):
``-j w eps0 V = a(u, phi) - f(phi)``, which is more accurate than differentiating u at the boundary.

Run (about a minute on one core):

    OMP_NUM_THREADS=1 python3 validation/dmradio_coax/generate.py

It writes impedance.csv, voltage.csv, dense_30mhz.csv and meta.toml beside itself. ngsolve is
imported lazily so that importing this file never needs it.
"""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# ---- geometry and material (the worked-example coax of physics.md §4.2/§4.4, full size) ----
R_INNER = 0.20  # m
R_OUTER = 0.45  # m
LENGTH = 1.68  # m (coax 1 of DMRadio-m3)
SIGMA = 5.8e7  # S/m, room-temperature copper (the cryogenic factor r is applied afterwards, as in the paper)
MAXH = 0.04  # m, mesh size (lambda = 1.5 m at 200 MHz)
ORDER = 4
# ---- frequency plan ----
F_MAIN = np.linspace(5e6, 200e6, 53)  # 3.75 MHz steps
F_DENSE = 30e6 * (1.0 + np.linspace(-0.01, 0.01, 21))  # +-1 % around 30 MHz for the RLC check
J_A = 1.0  # A/m^2: voltages are per unit axion current density (linear problem)


def solve(freqs: np.ndarray, *, order: int = ORDER, maxh: float = MAXH) -> dict[str, np.ndarray]:
    """Z(f) and open-circuit V(f) (solid and hollow inner conductor) at the given frequencies."""
    import ngsolve as ng
    from netgen.geom2d import SplineGeometry

    from emboost.core.constants import c, eps0, mu0

    geo = SplineGeometry()
    geo.AddRectangle((R_INNER, 0.0), (R_OUTER, LENGTH), bcs=["bottom", "outer", "top", "inner"])
    mesh = ng.Mesh(geo.GenerateMesh(maxh=maxh))
    fes = ng.H1(mesh, order=order, complex=True, dirichlet="top")
    u, v = fes.TnT()
    r = ng.x
    walls = mesh.Boundaries("inner|outer|bottom")
    phi = ng.GridFunction(fes)
    phi.Set(ng.y / LENGTH)
    # J.t on the walls for J = J_A z: +J_A on the inner wall, -J_A on the outer, 0 on the bottom
    jt = mesh.BoundaryCF({"inner": J_A, "outer": -J_A, "bottom": 0.0}, default=0.0)

    out = {k: np.empty(len(freqs), dtype=complex) for k in ("z", "v_solid", "v_hollow")}
    for i, f in enumerate(freqs):
        w = 2 * np.pi * f
        k2 = (w / c) ** 2
        rs = np.sqrt(w * mu0 / (2 * SIGMA))
        zs = (1 + 1j) * rs
        a = ng.BilinearForm(fes, symmetric=True)
        a += (1 / r) * ng.grad(u) * ng.grad(v) * ng.dx - k2 * u * v / r * ng.dx
        a += 1j * w * eps0 * zs * u * v / r * ng.ds(definedon=walls)
        a.Assemble()
        lf = ng.LinearForm(fes)
        lf += -jt * (1 - 1j * w * eps0 / SIGMA) * v * ng.ds(definedon=walls)
        lf.Assemble()
        inv = a.mat.Inverse(fes.FreeDofs(), inverse="sparsecholesky")

        def solve_with(top, with_source, a=a, lf=lf, inv=inv, w=w):
            gfu = ng.GridFunction(fes)
            gfu.Set(top, definedon=mesh.Boundaries("top"))
            rhs = gfu.vec.CreateVector()
            rhs.data = (lf.vec if with_source else 0 * lf.vec) - a.mat * gfu.vec
            gfu.vec.data += inv * rhs
            # gap voltage from the weak-form residual: -j w eps0 V = a(u, phi) - f(phi)
            res = a.mat.CreateColVector()
            res.data = a.mat * gfu.vec
            val = ng.InnerProduct(res, phi.vec, conjugate=False)
            if with_source:
                val -= ng.InnerProduct(lf.vec, phi.vec, conjugate=False)
            return complex(-val / (1j * w * eps0))

        current = 1.0
        out["z"][i] = solve_with(ng.CoefficientFunction(-current / (2 * np.pi)), False) / current
        out["v_solid"][i] = solve_with(J_A * (r * r - R_INNER**2) / 2, True)
        out["v_hollow"][i] = solve_with(J_A * r * r / 2, True)
        print(f"  {f / 1e6:8.3f} MHz  Z = {out['z'][i]:.6g}  V_solid = {out['v_solid'][i]:.6g}", flush=True)
    out["ndof"] = np.array(fes.ndof)
    out["nelements"] = np.array(mesh.ne)
    return out


def main() -> int:
    import ngsolve as ng

    sys.path.insert(0, str(HERE.parents[1]))
    from emboost.core.output import atomic_write_csv, atomic_write_text

    print("main sweep", flush=True)
    main_run = solve(F_MAIN)
    print("dense sweep around 30 MHz", flush=True)
    dense = solve(F_DENSE)
    # refinement check: order + 1 and maxh / 2 at a subset of frequencies
    check_f = F_MAIN[::6]
    print("refinement check (order + 1, maxh / 2)", flush=True)
    fine = solve(check_f, order=ORDER + 1, maxh=MAXH / 2)
    coarse = {k: main_run[k][::6] for k in ("z", "v_solid", "v_hollow")}
    dz = float(np.max(np.abs(fine["z"] - coarse["z"]) / np.abs(fine["z"])))
    dv = float(max(np.max(np.abs(fine[k] - coarse[k]) / np.abs(fine[k])) for k in ("v_solid", "v_hollow")))
    drz = float(np.max(np.abs(fine["z"].real - coarse["z"].real) / np.abs(fine["z"].real)))

    note = (f"synthetic FEM reference (NGSolve {ng.__version__}): shorted coax r_i = {R_INNER} m, "
            f"r_o = {R_OUTER} m, l = {LENGTH} m, RT copper sigma = {SIGMA:g} S/m walls")
    atomic_write_csv(HERE / "impedance.csv", {
        "f_hz": F_MAIN, "re_z_ohm": main_run["z"].real, "im_z_ohm": main_run["z"].imag},
        comments=[note, "Z_PU seen at the top gap (current fed into the inner terminal); exp(+jwt)"])
    atomic_write_csv(HERE / "dense_30mhz.csv", {
        "f_hz": F_DENSE, "re_z_ohm": dense["z"].real, "im_z_ohm": dense["z"].imag},
        comments=[note, "dense sweep +-1 % around 30 MHz for the series-RLC check"])
    atomic_write_csv(HERE / "voltage.csv", {
        "f_hz": F_MAIN,
        "re_v_solid": main_run["v_solid"].real, "im_v_solid": main_run["v_solid"].imag,
        "re_v_hollow": main_run["v_hollow"].real, "im_v_hollow": main_run["v_hollow"].imag},
        comments=[note, "open-circuit gap voltage per unit axion current density: V per (A/m^2), peak amplitude;",
                  "uniform axial J_a (uniform axial B); inner-minus-outer potential; exp(+jwt)"])
    meta = f"""# Provenance of the DMRadio coax FEM reference (regenerate: see 'command')
[solver]
name = "NGSolve"
version = "{ng.__version__}"
formulation = "2-D axisymmetric TM, unknown u = r H_phi, H1 elements, Leontovich surface-impedance walls"
element_order = {ORDER}
mesh = "netgen geom2d rectangle, maxh = {MAXH} m, {int(main_run['nelements'])} triangles, {int(main_run['ndof'])} dofs"

[geometry]
r_inner_m = {R_INNER}
r_outer_m = {R_OUTER}
length_m = {LENGTH}
scaled = false
note = "full-size coax 1 of DMRadio-m3 with the worked-example radii of physics.md §4.2 (radii not published)"
port = "lumped gap spanning the annular top (TEM-like current port); shorting plate at z = 0"
wall_conductivity_s_per_m = {SIGMA:g}
source = "uniform axial axion current J_a = {J_A} A/m^2 in the vacuum; in the metal it is cancelled by the bulk current"

[refinement_check]
method = "order {ORDER + 1} and maxh {MAXH / 2} m at every 6th frequency"
max_rel_change_z = {dz:.3e}
max_rel_change_re_z = {drz:.3e}
max_rel_change_v = {dv:.3e}

[run]
date = "{_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}"
command = "OMP_NUM_THREADS=1 python3 validation/dmradio_coax/generate.py"
files = ["impedance.csv", "voltage.csv", "dense_30mhz.csv"]
"""
    atomic_write_text(HERE / "meta.toml", meta)
    print(f"refinement: max |dZ|/|Z| = {dz:.2e}, Re Z {drz:.2e}, |dV|/|V| = {dv:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
