"""Speed of the coax-pickup RLC extraction, scan rate and live-time table.

Run: python3 benchmarks/bench_pickup.py
Compares the vectorised code with a straightforward per-frequency loop run in the same process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from timing import best_of

from emboost.core.axion import GEV_PER_CM3, axion_current_density, frequency_to_mass, g_dfsz_gev
from emboost.core.constants import GeV
from emboost.pickup.coax import CoaxPickup, CopperModel, Tuning, tune
from emboost.pickup.scanrate import scan_rate
from emboost.pickup.setup import live_time_table, load_pickup_model

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = CoaxPickup(1.68, 0.2, 0.45, copper=CopperModel("constant", factor=6.0))
    f = np.geomspace(5e6, 40e6, 10_000)
    tuning = Tuning()
    q_eff = 6.78e5

    def vectorised():
        t = tune(p, f, tuning)
        j = axion_current_density(g_dfsz_gev(frequency_to_mass(f)) / GeV, 4.0, 0.45 * GEV_PER_CM3)
        return scan_rate(p.voltage(f, j), t.q, t.l_eff, f, 0.02, 20.0, 3.0, q_eff)

    def loop(n):
        out = []
        for fi in f[:n]:
            t = tune(p, [fi], tuning)
            j = axion_current_density(g_dfsz_gev(frequency_to_mass(fi)) / GeV, 4.0, 0.45 * GEV_PER_CM3)
            out.append(scan_rate(p.voltage([fi], j), t.q, t.l_eff, fi, 0.02, 20.0, 3.0, q_eff)[0])
        return np.array(out)

    n_loop = 1000
    np.testing.assert_allclose(vectorised()[:n_loop], loop(n_loop), rtol=1e-9)
    tv = best_of(vectorised)
    tl = best_of(lambda: loop(n_loop), repeat=1) * (f.size / n_loop)
    print(f"RLC + scan rate, 1e4 frequencies: vectorised {tv * 1e3:.1f} ms (target <= 50 ms); "
          f"per-frequency loop {tl * 1e3:.0f} ms (extrapolated from {n_loop}); ratio {tl / tv:.0f}x")

    model = load_pickup_model(ROOT / "models" / "dmradio_m3.toml")
    tt = best_of(lambda: live_time_table(model), repeat=3)
    n_freq = model.points
    print(f"full live-time table (3 bands x 2 copper models x 6 coaxes x {n_freq} frequencies): "
          f"{tt:.3f} s (target <= 2 s)")
    from emboost.pickup.scanrate import live_time_loop
    s = model.setup
    band = model.bands[0]
    n_small = 40
    t_loop = best_of(lambda: live_time_loop(s, band.f_min, band.f_max, band.coupling, eta=band.eta,
                                            points=n_small), repeat=1)
    t_loop_full = t_loop * n_freq / n_small * 6  # 6 band/copper combinations
    print(f"  per-frequency loop reference: {t_loop_full:.1f} s (extrapolated from {n_small} points); "
          f"ratio {t_loop_full / tt:.0f}x")


if __name__ == "__main__":
    main()
