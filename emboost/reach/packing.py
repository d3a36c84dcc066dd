"""Filling a magnet bore with identical units: rectangular cells in rows across the circular bore section.

>>> rectangles_in_circle(1.0, 1.0, 2.0 * 2 ** 0.5)   # 2 x 2 unit squares fit a circle of radius sqrt 2
4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emboost.core.errors import InputError

__all__ = ["rectangles_in_circle", "Packing"]


def rectangles_in_circle(width: float, height: float, diameter: float, offsets: int = 64) -> int:
    """Most ``width x height`` rectangles, in rows, inside a circle of ``diameter``.

    Rows of height ``height`` are stacked across the circle; each row holds ``floor(chord / width)``
    side-by-side rectangles, the chord taken at the row edge farthest from the centre. The row offset
    is scanned over ``offsets`` values in ``[0, height)`` plus the two placements symmetric about the
    centre, and the best count is returned (a lower bound of the optimum packing; rows of parallel
    chains are what a real array would use).
    """
    if not (width > 0 and height > 0 and diameter > 0):
        raise InputError("rectangles_in_circle: width, height and diameter must be > 0")
    rad = diameter / 2
    best = 0
    nrows = int(np.ceil(diameter / height)) + 1
    # the scan plus the two symmetric placements: a row boundary on the centre line, a row centred on it
    special_offsets = [rad % height, (rad - height / 2) % height]
    for off in np.concatenate([special_offsets, np.linspace(0.0, height, offsets, endpoint=False)]):
        lo = -rad + off + height * np.arange(-1, nrows)
        hi = lo + height
        far = np.maximum(np.abs(lo), np.abs(hi))
        inside = (lo >= -rad - 1e-15) & (hi <= rad + 1e-15)
        chord = 2 * np.sqrt(np.clip(rad**2 - far**2, 0.0, None))
        count = int(np.sum(np.where(inside, np.floor(chord / width + 1e-12), 0)))
        best = max(best, count)
    return best


@dataclass(frozen=True)
class Packing:
    """How many units fill a magnet: ``across`` per bore section x ``along`` the length x ``bores``; ``wall``
    [m] around each unit, ``gap`` [m] between units end to end, ``unit_length`` [m] of one unit with its walls."""

    across: int
    along: int
    bores: int
    wall: float
    gap: float
    unit_length: float

    @property
    def units(self) -> int:
        """Number of units: ``across * along * bores``."""
        return self.across * self.along * self.bores

