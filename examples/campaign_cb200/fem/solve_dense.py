"""Dense FEM sweep of the non-planar closed booster for the example campaign (NGSolve, 2-D axisymmetric m = 1).

    OMP_NUM_THREADS=1 python3 examples/campaign_cb200/fem/solve_dense.py            # solve (resumable)
    OMP_NUM_THREADS=1 python3 examples/campaign_cb200/fem/solve_dense.py --drift    # mirror moved by 60 um
    python3 examples/campaign_cb200/fem/solve_dense.py --finalize                  # sweep.csv + meta.toml

The geometry, mesh, element order, sources, port and projection are exactly those of the stored reference
validation/booster_nonplanar/ (this script imports and calls ``solve_2d("nonplanar", "nominal", ...)`` of
validation/booster_fem.py); only the frequency grid is denser: 301 points over 18.5-19.5 GHz, a superset of
the reference's 31. The boost factor is normalised with the analytic bare-mirror amplitude
(``mirror_amplitude``; it equals the FEM mirror of the reference to 1e-6, validation/booster_nonplanar/meta.toml
[mirror_check]). ``--finalize`` also compares the common frequencies with validation/booster_nonplanar/sweep.csv
and records the largest deviations in meta.toml.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "validation"))

import booster_fem as fem  # noqa: E402

F_START, F_STOP, N_FREQ = 18.5e9, 19.5e9, 301
RAW = HERE / "raw.csv"
# second configuration: the mirror moved away from disk 1 by DRIFT (the booster mode drifts during a run);
# solved on the narrow band of the run, on the same 3.33 MHz grid
DRIFT = 60e-6
DRIFT_START, DRIFT_STOP, DRIFT_N = 18.8e9, 19.2e9, 121
RAW_DRIFT = HERE / "raw_drift.csv"


def frequencies() -> np.ndarray:
    return np.linspace(F_START, F_STOP, N_FREQ)


def read_sweep(path: Path) -> dict[str, np.ndarray]:
    """Columns of a sweep CSV (``#`` comment lines, then a header line) by name."""
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    names = lines[0].split(",")
    data = np.array([[float(x) for x in ln.split(",")] for ln in lines[1:]])
    return {n: data[:, i] for i, n in enumerate(names)}


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def solve() -> None:
    fem.run_sweep(RAW, frequencies(), lambda fr: fem.solve_2d("nonplanar", "nominal", fr, log), log)


def drifted_layout(bare: bool = False, three_d: bool = False) -> fem.Layout:
    """The reference layout with the mirror-disk 1 gap longer by DRIFT (every face moved by DRIFT)."""
    lay = _LAYOUT(bare, three_d)
    if bare:
        return lay
    return fem.Layout([z + DRIFT for z in lay.disk_lo], [z + DRIFT for z in lay.disk_hi], lay.planes_rel, lay.slab,
                      lay.air_out, lay.pml)


_LAYOUT = fem.layout


def solve_drift() -> None:
    fem.layout = drifted_layout  # mesh_2d looks the layout up at call time; the module file is not changed
    try:
        fem.run_sweep(RAW_DRIFT, np.linspace(DRIFT_START, DRIFT_STOP, DRIFT_N),
                      lambda fr: fem.solve_2d("nonplanar", "nominal", fr, log), log)
    finally:
        fem.layout = _LAYOUT


def finalize() -> None:
    arr = fem._arrays(RAW)
    f = arr["f"]
    if f.size != N_FREQ:
        raise SystemExit(f"{RAW}: {f.size} of {N_FREQ} frequencies solved; run the solve first")
    boost = fem.ETA_A * np.abs(arr["F"] / fem.mirror_amplitude(f)) ** 2
    s11 = arr["s11"]
    drift = fem._arrays(RAW_DRIFT)
    if drift["f"].size != DRIFT_N:
        raise SystemExit(f"{RAW_DRIFT}: {drift['f'].size} of {DRIFT_N} frequencies solved; run --drift first")
    bd = fem.ETA_A * np.abs(drift["F"] / fem.mirror_amplitude(drift["f"])) ** 2
    fem._write_csv(HERE / "sweep_drift.csv", ["f_hz", "boost_factor", "re_s11", "im_s11"],
                   [drift["f"], bd, drift["s11"].real, drift["s11"].imag],
                   [f"as sweep.csv, with the mirror moved away from disk 1 by {DRIFT * 1e6:g} um (mirror-disk 1 gap "
                    f"{(fem.GAP + DRIFT) * 1e3:.3f} mm); the configuration of the SYNTHETIC run's narrowband T_sys",
                    "boost_factor = eta_A |F / F_mirror|^2 (analytic bare-mirror amplitude); S11 at the reference "
                    "plane 10 mm beyond disk 3; exp(+jwt)"])
    fem._write_csv(HERE / "sweep.csv", ["f_hz", "boost_factor", "re_s11", "im_s11"], [f, boost, s11.real, s11.imag],
                   ["SYNTHETIC-campaign truth source: dense FEM sweep (NGSolve, 2-D axisymmetric m = 1) of the "
                    "non-planar closed booster of validation/booster_nonplanar; see meta.toml",
                    "boost_factor = eta_A |F / F_mirror|^2 (analytic bare-mirror amplitude); S11 at the reference "
                    "plane 10 mm beyond disk 3; exp(+jwt)"])
    ref = read_sweep(ROOT / "validation" / "booster_nonplanar" / "sweep.csv")
    idx = [int(np.argmin(abs(f - x))) for x in ref["f_hz"]]
    if np.max(abs(f[idx] - ref["f_hz"])) > 1.0:
        raise SystemExit("the dense grid does not contain the reference frequencies")
    d_boost = float(np.max(abs(boost[idx] - ref["boost_factor"]) / np.max(ref["boost_factor"])))
    d_s11 = float(np.max(abs(s11[idx] - (ref["re_s11"] + 1j * ref["im_s11"]))))
    import ngsolve

    maxh_air, maxh_disk, order = fem.LEVELS["2d"]["nominal"]
    fem._write_toml(HERE / "meta.toml", {
        "case": {"name": "campaign_cb200 dense FEM sweep (non-planar booster)", "label": "SYNTHETIC campaign source",
                 "quantities": ["boost_factor", "s11"],
                 "files": ["sweep.csv", "raw.csv", "sweep_drift.csv", "raw_drift.csv"],
                 "frequencies": int(f.size),
                 "f_start_hz": float(f[0]), "f_stop_hz": float(f[-1]),
                 "reference": "validation/booster_nonplanar (same geometry, mesh and solver; 31 frequencies)"},
        "geometry": fem._geometry({"nonplanar_disk": 1, "profile_bulge_um": fem.PROFILE_BULGE * 1e6,
                                   "profile_ripple_um": fem.PROFILE_RIPPLE * 1e6,
                                   "profile": "../../../validation/booster_nonplanar/profile.csv"}),
        "solver": {"name": "NGSolve", "version": ngsolve.__version__,
                   "formulation": "2-D axisymmetric, azimuthal order m = 1 (validation/booster_fem.py solve_2d)",
                   "mesh": "validation/booster_fem.py mesh_2d('nonplanar'), level 'nominal'",
                   "element_order": order, "maxh_air_m": maxh_air, "maxh_disk_m": maxh_disk,
                   "ndof": int(arr["ndof"][0]), "seconds_per_frequency": float(np.mean(arr["seconds"])),
                   "max_pml_reflection": float(np.max(arr["pml_reflection"])),
                   "mirror_normalisation": "analytic bare-mirror amplitude (booster_fem.mirror_amplitude)",
                   "threads": "OMP_NUM_THREADS=1"},
        "drift": {"file": "sweep_drift.csv", "mirror_gap_change_um": DRIFT * 1e6,
                  "mirror_gap_mm": (fem.GAP + DRIFT) * 1e3, "frequencies": int(drift["f"].size),
                  "f_start_hz": DRIFT_START, "f_stop_hz": DRIFT_STOP,
                  "how": "validation/booster_fem.py layout() replaced at run time by one with every disk moved by "
                         "the drift (solve_dense.py --drift)"},
        "check_against_reference": {
            "common_frequencies": len(idx),
            "max_rel_dev_boost": d_boost,
            "max_abs_dev_s11": d_s11,
            "metric": "max over the 31 reference frequencies of |boost - boost_ref| / max boost_ref, "
                      "and |s11 - s11_ref|"},
        "run": {"date": time.strftime("%Y-%m-%d"),
                "command": "OMP_NUM_THREADS=1 python3 examples/campaign_cb200/fem/solve_dense.py && "
                           "OMP_NUM_THREADS=1 python3 examples/campaign_cb200/fem/solve_dense.py --drift && "
                           "python3 examples/campaign_cb200/fem/solve_dense.py --finalize"},
    }, "Provenance of the dense FEM sweep behind the SYNTHETIC example campaign (written by solve_dense.py --finalize)")
    log(f"sweep.csv written; vs reference: max rel dev boost {d_boost:.2e}, max |ds11| {d_s11:.2e}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--finalize", action="store_true", help="write sweep.csv and meta.toml from raw.csv")
    p.add_argument("--drift", action="store_true", help="solve the drifted-mirror configuration")
    args = p.parse_args(argv)
    if args.finalize:
        finalize()
    elif args.drift:
        solve_drift()
    else:
        solve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
