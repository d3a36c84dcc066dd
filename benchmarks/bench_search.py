"""Speed of the search chain (emboost.search) on a full-size SYNTHETIC run.

Prints: the time to generate ~4000 spectra x 2622 bins into a memory-mapped .npy (not a target), the whole
chain on it read back memory-mapped (raw spectra -> grand unified spectrum -> scan -> significance -> limits,
target <= 60 s), the 1000 simulated white-noise spectra for the expected limit and its bands (target
<= 60 s), and the vectorised windowed fit against a plain loop over windows (same numbers, ratio printed).

    python3 benchmarks/bench_search.py [--on 3000 --off 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from emboost.jobs.search import read_spectra
from emboost.search.analysis import SearchSettings, run_search
from emboost.search.scan import expected_limits, scan_spectrum, scan_spectrum_loop
from emboost.search.synthetic import synthetic_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--on", type=int, default=3000)
    ap.add_argument("--off", type=int, default=1000)
    ap.add_argument("--bins", type=int, default=2622)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        n = args.on + args.off
        t0 = time.perf_counter()
        power = np.lib.format.open_memmap(d / "power.npy", mode="w+", dtype=np.float32, shape=(n, args.bins))
        run = synthetic_run(n_on=args.on, n_off=args.off, n_bins=args.bins, seed=1, out=power)
        power.flush()
        del power
        for k in ("timestamp", "lo_frequency", "magnet_on", "if_frequency"):
            np.save(d / f"{k}.npy", getattr(run.raw, k))
        t_gen = time.perf_counter() - t0
        raw = read_spectra(d)
        print(f"SYNTHETIC run: {n} spectra x {args.bins} bins ({n * args.bins * 4 / 1e6:.0f} MB float32, "
              f"memory-mapped), generated in {t_gen:.1f} s")
        s = SearchSettings(n_sim=1000, seed=1)
        t0 = time.perf_counter()
        res = run_search(raw, s)
        t_all = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_search(raw, replace(s, n_sim=2))
        t_chain = time.perf_counter() - t0
        print(f"whole chain incl. 1000 simulations: {t_all:.1f} s (target <= 60 s); "
              f"without the simulations: {t_chain:.1f} s")
        t0 = time.perf_counter()
        expected_limits(res.gus, res.lineshape.template, 1000, seed=2)
        t_sim = time.perf_counter() - t0
        print(f"1000 simulated spectra ({res.gus.delta.size} bins) for the expected limit and bands: {t_sim:.2f} s "
              f"(target <= 60 s)")
        t0 = time.perf_counter()
        for _ in range(20):
            a = scan_spectrum(res.gus, res.lineshape.template)
        t_vec = (time.perf_counter() - t0) / 20
        t0 = time.perf_counter()
        b = scan_spectrum_loop(res.gus, res.lineshape.template)
        t_loop = time.perf_counter() - t0
        same = np.allclose(a.amplitude, b.amplitude, equal_nan=True, rtol=1e-10, atol=1e-15)
        print(f"windowed fit ({a.amplitude.size} windows of {res.lineshape.template.size} bins): vectorised "
              f"{t_vec * 1e3:.2f} ms, plain loop {t_loop * 1e3:.1f} ms, ratio {t_loop / t_vec:.0f}x, "
              f"same result: {same}")
        z = res.gus.normalised
        print(f"GUS: {np.isfinite(z).sum()} bins, mean {np.nanmean(z):+.3f}, std {np.nanstd(z):.3f}; largest excess "
              f"{res.significance.max_z:.2f} local, {res.significance.global_z:.2f} global")


if __name__ == "__main__":
    main()
