"""Speed of the RADES chain circuit (emboost.cavity.chain).

Prints: modes of a 30-sub-cavity chain (target <= 50 ms); S11 (and the full S) of the 5-sub-cavity
structure at 1e4 frequencies (target <= 5 ms for S11) against a scikit-rf cascade of the same network (the same
element matrices as skrf.Network objects joined with ``**``); and the circuit's eigen-solve time on
the FEM reference structure against the NGSolve eigen-solve recorded in validation/rades_5cavity.

    python3 benchmarks/bench_cavity.py
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import skrf
from timing import best_with_result

from emboost.cavity.chain import CavityChain, Port
from emboost.cavity.design import flat_field_lengths
from emboost.cavity.iris import Iris
from emboost.core.setupfile import read_toml
from emboost.rf.network import abcd_to_s

best = functools.partial(best_with_result, repeat=7)

A, B = 22.86e-3, 10.16e-3
ROOT = Path(__file__).resolve().parents[1]


def skrf_cascade(chain: CavityChain, f: np.ndarray) -> np.ndarray:
    """S of the same two-port built as skrf Networks (one per element) and cascaded."""
    from emboost.cavity.chain import _mul  # element matrices are shared; the cascade is what is compared

    g, z, rs = chain._guide(f, True)
    freq = skrf.Frequency.from_f(f, unit="Hz")
    one = np.ones_like(z)
    nets = []

    def net(m):
        s = abcd_to_s(np.stack([np.stack([m[0], m[1]], -1), np.stack([m[2], m[3]], -1)], -2), 50.0)
        return skrf.Network(frequency=freq, s=s, z0=50)

    p1, p2 = chain.ports
    nets.append(net(_mul((p1.turns_ratio * one, 0 * one, 0 * one, one / p1.turns_ratio), (one, rs, 0 * one, one))))
    cache: dict = {}
    for el in chain._elements():
        nets.append(net(chain._element_entries(el, f, g, z, rs, cache)))
    nets.append(net(_mul((one, rs, 0 * one, one), (one / p2.turns_ratio, 0 * one, 0 * one, p2.turns_ratio * one))))
    out = nets[0]
    for n in nets[1:]:
        out = out ** n
    return out.s


def main() -> None:
    iris = Iris("inductive", window=8e-3)
    ls30 = flat_field_lengths(A, B, [iris] * 29, 8.384e9)
    ch30 = CavityChain(a=A, b=B, lengths=ls30, irises=[iris] * 29)
    t30, m30 = best(lambda: ch30.modes((8.2e9, 9.3e9)))
    print(f"30-sub-cavity chain: {m30.frequency.size} modes, axion mode {m30.axion_frequency / 1e9:.5f} GHz, "
          f"C = {m30.form_factor[m30.axion_index]:.3f}: {t30 * 1e3:.1f} ms (target <= 50 ms)")

    ls5 = flat_field_lengths(A, B, [iris] * 4, 8.384e9)
    ch5 = CavityChain(a=A, b=B, lengths=ls5, irises=[iris] * 4, conductivity=5.8e7, anomalous=4.0,
                      ports=(Port("left", 15.0), Port("right", 150.0)))
    f = np.linspace(8.2e9, 9.3e9, 10_000)
    t11, s11 = best(lambda: ch5.s11(f))
    print(f"5-sub-cavity S11 at 1e4 frequencies: {t11 * 1e3:.2f} ms (target <= 5 ms)")
    ts, s = best(lambda: ch5.s_parameters(f))
    print(f"5-sub-cavity full 2x2 S at 1e4 frequencies: {ts * 1e3:.2f} ms")
    assert np.allclose(s11, s[:, 0, 0], atol=1e-12)
    tk, sk = best(lambda: skrf_cascade(ch5, f), repeat=3)
    print(f"scikit-rf cascade of the same network: {tk * 1e3:.1f} ms; ratio {tk / ts:.1f}x; "
          f"max |dS| = {np.max(np.abs(sk - s)):.1e}")

    meta = read_toml(ROOT / "validation" / "rades_5cavity" / "meta.toml")
    g = meta["geometry"]
    thick = Iris("inductive", window=g["iris_window"]["value"] * 1e-3, thickness=g["iris_thickness"]["value"] * 1e-3)
    chf = CavityChain(a=A, b=B, lengths=[x * 1e-3 for x in g["cavity_lengths"]["values"]], irises=[thick] * 4)
    tf, _ = best(lambda: chf.modes((8.0e9, 9.5e9)))
    tfem = meta["solver"]["eigen_solve_seconds"]
    print(f"FEM reference structure: circuit modes {tf * 1e3:.2f} ms vs NGSolve eigen-solve {tfem:.1f} s "
          f"({meta['solver']['ndof']} dofs, order {meta['solver']['element_order']}): ratio {tfem / tf:.0f}x")


if __name__ == "__main__":
    main()
