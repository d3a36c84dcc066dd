"""Speed of the phase factors of the tau scans (plain python: python3 benchmarks/bench_phase_factors.py).

The line-delay and standards fits scan tau on a uniform grid and need ``exp(-4 j pi f tau)`` for every grid point
and frequency (up to 20001 grid points, the most the scan makes, x 301 frequencies = 6e6 factors).
:func:`emboost.fit.noise.phase_factors` computes this geometric sequence by recurrence with an exact re-anchor
every 256 steps; the reference is one ``np.exp`` per factor, in the same process. Reported: the ratio and the
largest difference (must stay < 1e-12), and the whole tau fit (2401 grid points over 1-4 ns) with the recurrence
against the same fit with ``np.exp`` swapped in.
"""

from __future__ import annotations

import numpy as np
from timing import best_with_result as best

import emboost.fit.noise as noise_fits
from emboost.fit.noise import fit_line_delay, phase_factors
from emboost.noise.amplifier import NoiseSources, system_temperature


def main() -> None:
    f = np.linspace(18e9, 20e9, 301)
    w = -4j * np.pi * f
    grid = np.linspace(1e-9, 4e-9, 20001)
    t_ref, ref = best(lambda: np.exp(w * grid[:, None]), 3)
    t_new, new = best(lambda: phase_factors(w, grid), 3)
    err = float(np.max(np.abs(new - ref)))
    assert err < 1e-12, err
    print(f"phase factors 20001 x 301: np.exp {t_ref * 1e3:.1f} ms, recurrence {t_new * 1e3:.1f} ms -> "
          f"x{t_ref / t_new:.1f}; max difference {err:.1e}")
    # the whole tau fit (SYNTHETIC spectrum), with the recurrence
    src = NoiseSources(371e-12, 7.4e-12, 0.3, 0.5)
    gb = 0.9 * np.exp(-4j * np.pi * f * 0.3e-9)
    t = system_temperature(f, gb, 295.0, src, 0.1, delay=2.345e-9)
    def run():
        return fit_line_delay(f, gb, 295.0, src, 0.1, t, 0.005 * t, (1e-9, 4e-9))

    t_fit, d = best(run, 5)
    noise_fits.phase_factors = lambda w, g, anchor_steps=0: np.exp(np.asarray(w) * np.asarray(g)[:, None])
    try:
        t_fit_ref, d_ref = best(run, 5)
    finally:
        noise_fits.phase_factors = phase_factors
    assert abs(d.tau - d_ref.tau) < 1e-3 * d.sigma_tau
    print(f"tau fit over 1-4 ns, 301 frequencies: {t_fit * 1e3:.1f} ms with the recurrence, {t_fit_ref * 1e3:.1f} ms "
          f"with np.exp -> x{t_fit_ref / t_fit:.2f} (tau = {d.tau * 1e9:.6f} ns both)")


if __name__ == "__main__":
    main()
