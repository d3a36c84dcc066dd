"""Checks carried by derived cavity quantities (designs, tuning curves).

A :class:`CavityCheck` is one test with a one-line ``detail``; :func:`first_failure` gives the one-line
reason of the first failed check ("" when all pass). The command line writes them to ``checks.json`` and
exits with status 3 when one fails.

>>> cs = (CavityCheck("positive", True, "C = 0.7 > 0"), CavityCheck("separated", False, "0.1 MHz < 1 MHz"))
>>> first_failure(cs)
'separated: 0.1 MHz < 1 MHz'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from emboost.cavity.chain import CavityChain, ChainModes, ModeQ

__all__ = ["CavityCheck", "first_failure", "checks_to_dict", "axion_mode_checks"]


@dataclass(frozen=True)
class CavityCheck:
    """One check: its ``name``, whether it ``passed``, a one-line ``detail`` with the numbers."""

    name: str
    passed: bool
    detail: str


def first_failure(checks: Sequence[CavityCheck]) -> str:
    """``"name: detail"`` of the first failed check (and how many more failed), or ``""``."""
    bad = [c for c in checks if not c.passed]
    if not bad:
        return ""
    return f"{bad[0].name}: {bad[0].detail}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")


def checks_to_dict(checks: Sequence[CavityCheck]) -> dict[str, Any]:
    """JSON-ready ``{"ok", "reason", "checks": [...]}``."""
    return {"ok": not first_failure(checks), "reason": first_failure(checks),
            "checks": [{"name": c.name, "passed": bool(c.passed), "detail": c.detail} for c in checks]}


def axion_mode_checks(chain: CavityChain, modes: ChainModes, q: Sequence[ModeQ]) -> tuple[CavityCheck, ...]:
    """Checks of a solved chain's axion mode: all sub-cavities in phase, C in (0, 1), the separation from
    the nearest mode larger than the loaded linewidth f/Q_L, and (lossy walls) Q0 positive and below twice
    the closed-form Q of one TE101 cavity of the same width at the same frequency (Pozar 6.46): irises add
    loss, they cannot double Q. ``q`` holds :meth:`CavityChain.mode_q` of every mode."""
    from emboost.cavity.chain import single_cavity_q, te101_length

    ax = modes.axion_index
    f = modes.axion_frequency
    cf = float(modes.form_factor[ax])
    out = [CavityCheck("axion_in_phase", bool(modes.in_phase[ax]),
                       f"mode {ax + 1} at {f / 1e9:.6f} GHz: sub-cavity amplitudes "
                       f"{np.round(modes.amplitude[ax], 3).tolist()}"),
           CavityCheck("form_factor_range", 0 < cf < 1, f"C = {cf:.4f}, must lie in (0, 1)")]
    ql = q[ax].q_loaded
    if np.isfinite(ql) and modes.frequency.size > 1:
        sep = modes.separation()
        out.append(CavityCheck("separated", sep > f / ql, f"nearest mode {sep / 1e6:.3f} MHz away, loaded linewidth "
                                                         f"f/Q_L = {f / ql / 1e6:.3f} MHz"))
    if chain.lossy:
        q0 = q[ax].q0
        qs = single_cavity_q(f, chain.a, chain.b, te101_length(f, chain.a), float(chain.rs(np.array([f]))[0]))
        out.append(CavityCheck("q0_plausible", bool(0 < q0 < 2 * qs),
                               f"Q0 = {q0:.4g}, one TE101 cavity at the same f: {qs:.4g} (must be in (0, 2x))"))
    return tuple(out)
