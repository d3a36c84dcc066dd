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
from typing import Any

__all__ = ["CavityCheck", "first_failure", "checks_to_dict"]


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
