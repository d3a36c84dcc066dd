"""Speed of the receiver noise model and its fits (plain python: python3 benchmarks/bench_noise.py).

Targets: T_sys of booster + line + LNA over 1e4 frequencies <= 5 ms; the standards fit <= 2 s; the
tau fit <= 0.5 s. Each is compared with a straightforward reference run in the same process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from timing import best_with_result as best

from emboost.booster.setup import load_booster_setup
from emboost.core.constants import k_B
from emboost.fit.noise import fit_line_delay, fit_standards
from emboost.noise.amplifier import NoiseSources, system_temperature
from emboost.noise.calibration import savgol_noise
from emboost.noise.spectra import read_spectrum
from emboost.rf.network import impedance_from_reflection
from emboost.rf.touchstone import read_s_parameter

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data"


def main() -> None:
    src = NoiseSources(371e-12, 7.4e-12, 0.35, 0.8)
    booster = load_booster_setup(ROOT / "models" / "cb200_config1.toml").booster
    f = np.linspace(17.5e9, 19.5e9, 10_000)
    gb = booster.response(f).s11
    gl = 0.24 * np.exp(1j * (0.7 - 2 * np.pi * f * 80e-12))

    t_vec, tsys = best(lambda: system_temperature(f, gb, 294.0, src, gl, delay=2.345e-9), 20)

    def loop():  # physics.md §2.6 closed form, one frequency at a time
        out = np.empty(f.size)
        for i in range(f.size):
            gs = gb[i] * np.exp(-4j * np.pi * f[i] * 2.345e-9)
            zs, zl = complex(impedance_from_reflection(gs)), complex(impedance_from_reflection(gl[i]))
            num = (4 * k_B * 294.0 * zs.real + src.sv + abs(zs) ** 2 * src.si
                   + 2 * np.real(np.conj(src.cross) * zs))
            out[i] = num * zl.real / (k_B * abs(zs + zl) ** 2)
        return out

    t_loop, ref = best(loop, 2)
    assert np.allclose(tsys, ref, rtol=1e-9)
    t_boost, _ = best(lambda: booster.response(f).s11, 3)
    print(f"T_sys booster+line+LNA, 1e4 freqs: {t_vec * 1e3:.2f} ms (target 5 ms); per-frequency loop "
          f"{t_loop * 1e3:.1f} ms -> x{t_loop / t_vec:.0f}; booster solve itself {t_boost * 1e3:.1f} ms")

    s = read_spectrum(DATA / "receiver_standards_tsys.csv")
    fl, g = read_s_parameter(DATA / "receiver_lna_s11.s1p")
    fs = s.frequency
    gls = np.interp(fs, fl, g.real) + 1j * np.interp(fs, fl, g.imag)
    data = {k: s.column(k) for k in ("short", "open", "load")}
    sig = {k: savgol_noise(v, 11, 3, relative=True, robust=True) for k, v in data.items()}
    t_std, r = best(lambda: fit_standards(fs, data, sig, gls, 295.0, (1.0e-9, 1.4e-9), (1.0e-9, 1.4e-9)), 3)
    t_eval, _ = best(lambda: system_temperature(fs, -1.0, 295.0, src, gls, delay=1.2e-9), 20)
    print(f"standards fit (3 x {fs.size} points, 6 parameters): {t_std:.3f} s (target 2 s); "
          f"nfev {r.result.nfev}; one model evaluation {t_eval * 1e3:.2f} ms")

    b = read_spectrum(DATA / "tsys_booster_broadband.csv")
    fb, yb = b.frequency, b.column("t_sys")
    gbb = booster.response(fb).s11
    glb = np.interp(fb, fl, g.real) + 1j * np.interp(fb, fl, g.imag)
    sb = savgol_noise(yb, 11, 3, relative=True, robust=True)
    t_tau, d = best(lambda: fit_line_delay(fb, gbb, 294.0, src, glb, yb, sb, (1e-9, 4e-9)), 3)

    def brute():  # same grid, one general-engine evaluation per tau
        grid = np.linspace(1e-9, 4e-9, int(3e-9 * 40 * fb.max()) + 1)
        chi = [np.sum(((system_temperature(fb, gbb, 294.0, src, glb, delay=t) - yb) / sb) ** 2) for t in grid]
        return grid[int(np.argmin(chi))]

    t_brute, tb = best(brute, 1)
    print(f"tau fit ({fb.size} points, grid 1-4 ns): {t_tau * 1e3:.1f} ms (target 500 ms); tau = {d.tau * 1e9:.6f} "
          f"+- {d.sigma_tau * 1e15:.2f} fs; per-tau engine loop over the grid {t_brute * 1e3:.0f} ms "
          f"-> x{t_brute / t_tau:.0f} (grid point {tb * 1e9:.6f} ns)")


if __name__ == "__main__":
    main()
