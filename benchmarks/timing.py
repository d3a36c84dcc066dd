"""Timing helpers shared by the benchmarks (each benchmark is a script: ``python3 benchmarks/bench_x.py``).

* :func:`best_time`: the minimum over ``repeat`` rounds of the mean time of ``number`` calls (``number`` None:
  enough calls to last ``min_time`` seconds, after two warm-up calls);
* :func:`best_of`: the minimum time of ``repeat`` single calls;
* :func:`best_with_result`: the same with the last call's result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_time(fn: Callable[[], object], repeat: int = 5, min_time: float = 0.2, number: int | None = None) -> float:
    """Minimum over ``repeat`` rounds of the mean time [s] of ``number`` calls (default: enough to last
    ``min_time`` [s], measured after two warm-up calls)."""
    if number is None:
        fn()
        t0 = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-7)
        number = max(1, int(min_time / one))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def best_with_result(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """The minimum time [s] of ``repeat`` single calls and the last call's result."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The minimum time [s] of ``repeat`` single calls."""
    return best_with_result(fn, repeat)[0]
