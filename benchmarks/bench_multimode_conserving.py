"""Energy-conserving surfaces of the multi-mode solver (``conserving=True``) against the plain matching.

For lossless boosters with displaced surfaces: the deviation |S^H S - I| and |S - S^T| of the power-normalised
port reflection per mode count, both formulations. For the stored FEM references (validation/booster_tilt,
booster_tiltdisk, booster_nonplanar; lossy disks, no fit): the largest boost-factor deviation from the FEM,
relative to its peak, both formulations. Speed: the two formulations timed in the same process on the same
geometry, alternating call by call (best of the repeats), as the ratio conserving / matching; the last case is a
Monte-Carlo-like geometry (mirror tilted about both axes, every disk face tilted and bulged, lossy disks, 801
frequencies, boost factor only). Run: ``python3 benchmarks/bench_multimode_conserving.py``.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from emboost.booster.model import Booster
from emboost.booster.multimode import MultiModeSolver, Surface, disk_tilt, radial_profile, tilt
from emboost.core.constants import c

ROOT = Path(__file__).resolve().parents[1] / "validation"


def _csv(path: Path) -> np.ndarray:
    rows = [r for r in csv.reader(path.open()) if r and not r[0].startswith("#")]
    return np.array([[float(x) for x in r] for r in rows[1:]])


def _booster(tand: float) -> Booster:
    return Booster.from_disks([9.75e-3] * 3, 1e-3, 9.4, tand, radius=0.02, output_length=0.01, source="eps_eff")


def _deviation(mm: MultiModeSolver, f: float = 19e9) -> tuple[float, float]:
    r = mm.response(np.array([f]))
    k0 = 2 * np.pi * f / c
    beta = np.sqrt(k0**2 - mm.basis.kc**2 + 0j)
    prop = beta.real > 0
    z = np.where(mm.basis.kind == 0, k0 / beta, beta / k0)[prop].real
    s = np.diag(z**-0.5) @ r.reflection[0][np.ix_(prop, prop)] @ np.diag(z**0.5)
    return float(np.abs(s.conj().T @ s - np.eye(s.shape[0])).max()), float(np.abs(s - s.T).max())


def _ratio(make: object, call: str, f: np.ndarray, repeat: int) -> tuple[float, float]:
    best = {False: np.inf, True: np.inf}
    for _ in range(repeat):
        for cons in (False, True):
            solver = make(cons)  # type: ignore[operator]
            t0 = time.perf_counter()
            getattr(solver, call)(f)
            best[cons] = min(best[cons], time.perf_counter() - t0)
    return best[False], best[True]


def _mc_surfaces(seed: int) -> dict[int, Surface]:
    rng = np.random.default_rng(seed)
    out = {0: tilt(*np.radians(rng.normal(0, 0.5, 2)))}
    for k in range(1, 7):
        ty, tx = np.radians(rng.normal(0, 0.5, 2))
        bulge = rng.normal(0, 10e-6) if k % 2 == 0 else 0.0
        out[k] = Surface(lambda x, y, ty=ty, tx=tx, bb=bulge: x * np.tan(ty) + y * np.tan(tx)
                         + bb * (1 - (x**2 + y**2) / 0.02**2), False, "tilt and bulge")
    return out


def main() -> None:
    lossless = _booster(0.0)
    print("lossless booster, |S^H S - I| / |S - S^T| of the power-normalised port reflection at 19 GHz")
    print(f"{'surfaces':<22} {'kc_max':>7} {'modes':>5} {'matching':>20} {'conserving':>20}")
    for label, surfaces in (("mirror tilt 2 deg", {0: tilt(np.radians(2))}),
                            ("disk 1 tilt 2 deg", disk_tilt(1, np.radians(2)))):
        for kc in (300.0, 600.0, 900.0):
            m = MultiModeSolver(lossless, surfaces, kc_max=kc)
            u0, s0 = _deviation(m)
            u1, s1 = _deviation(MultiModeSolver(lossless, surfaces, kc_max=kc, conserving=True))
            print(f"{label:<22} {kc:>7.0f} {m.basis.size:>5} {u0:>9.1e} / {s0:>8.1e} {u1:>9.1e} / {s1:>8.1e}")

    b = _booster(5e-4)
    print("\nFEM references (tan delta 5e-4, kc_max 300, no fit): max |B - B_FEM| / max B_FEM")
    tilt_data = _csv(ROOT / "booster_tilt" / "sweep.csv")
    cases = [(f"mirror tilt {deg:g} deg", {0: tilt(np.radians(deg))}, tilt_data[tilt_data[:, 0] == deg][:, 1:3])
             for deg in (1.0, 2.0, 3.0)]
    td = _csv(ROOT / "booster_tiltdisk" / "sweep.csv")
    cases.append(("disk 1 tilt 2 deg", disk_tilt(1, np.radians(2.0)), td[:, 1:3]))
    prof = _csv(ROOT / "booster_nonplanar" / "profile.csv")
    npd = _csv(ROOT / "booster_nonplanar" / "sweep.csv")
    cases.append(("non-planar disk", {2: radial_profile(prof[:, 0], prof[:, 1] - 1e-3)}, npd[:, 0:2]))
    print(f"{'case':<22} {'matching':>9} {'conserving':>11}")
    for label, surfaces, d in cases:
        dev = [np.max(np.abs(MultiModeSolver(b, surfaces, kc_max=300.0, conserving=cons).boost_factor(d[:, 0])
                             - d[:, 1])) / d[:, 1].max() for cons in (False, True)]
        print(f"{label:<22} {dev[0]:>9.2%} {dev[1]:>11.2%}")

    print("\nspeed, same process, alternating (best of repeats)")
    print(f"{'case':<40} {'modes':>5} {'points':>6} {'matching s':>11} {'conserving s':>13} {'ratio':>6}")
    f101 = np.linspace(18.5e9, 19.5e9, 101)
    f801 = np.linspace(18.5e9, 19.5e9, 801)
    runs = [("mirror tilt 2 deg, response", {0: tilt(np.radians(2))}, 300.0, "response", f101, 5),
            ("mirror tilt 2 deg, response", {0: tilt(np.radians(2))}, 600.0, "response", f101, 3),
            ("disk 1 tilt 2 deg (lossy), response", disk_tilt(1, np.radians(2)), 300.0, "response", f101, 5),
            ("disk 1 tilt 2 deg (lossy), response", disk_tilt(1, np.radians(2)), 600.0, "response", f101, 3),
            ("Monte-Carlo-like sample, boost factor", _mc_surfaces(1), None, "boost_factor", f801, 3)]
    for label, surfaces, kc, call, f, rep in runs:
        def make(cons: bool, s: dict[int, Surface] = surfaces, k: float | None = kc) -> MultiModeSolver:
            return MultiModeSolver(b, s, kc_max=k, conserving=cons)
        t0, t1 = _ratio(make, call, f, rep)
        print(f"{label:<40} {make(False).basis.size:>5} {f.size:>6} {t0:>11.3f} {t1:>13.3f} {t1 / t0:>6.2f}")


if __name__ == "__main__":
    main()
