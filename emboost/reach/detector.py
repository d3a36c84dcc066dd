"""The detector interface of the reach layer and the registry of detector families.

A **detector** is anything that, placed in a magnet, answers two questions (the :class:`Detector` protocol):

* ``check_band(f)``: can it be tuned over the reach grid ``f`` [Hz]? (raise :class:`PhysicsError` saying why not);
* ``response(f, run)``: for the operating conditions ``run`` (:class:`~emboost.core.search.Run`: field,
  T_sys, time per step, SNR, dark-matter density, target coupling, port coupling, number of units),
  the coupling one unit reaches, the scan rate at the target and the scan time
  (:class:`~emboost.core.search.DetectorReach`).

Each family names itself with a class attribute ``kind``. :func:`emboost.reach.projections.evaluate`
works on any detector; nothing in the reach layer asks which family it has.

A **family** is one detector class plus one registry entry: :func:`register_detector` ties the ``kind``
of a reach scenario's ``[[haloscope]]`` table to a *builder*, a function ``builder(table, host)`` that
reads the family's keys from the table (:class:`emboost.core.setupfile.Table`; unknown keys are errors)
and returns a :class:`Placement`: the detector, its port coupling, how many units fill the magnet
(:class:`~emboost.reach.packing.Packing`), notes and the further input files it read. The families that
ship with emboost (``tm010``, ``rades_chain``, ``booster``) are registered by :mod:`emboost.reach.families`.

>>> from emboost.reach import families  # the built-in families register themselves
>>> detector_kinds()[:3]
('tm010', 'rades_chain', 'booster')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from emboost.core.errors import InputError
from emboost.core.search import CavityFigures, DetectorReach, Run
from emboost.core.setupfile import Table
from emboost.reach.magnets import Magnet
from emboost.reach.packing import Packing

__all__ = [
    "Detector", "Run", "DetectorReach", "CavityFigures", "Host", "Placement", "DetectorBuilder",
    "register_detector", "unregister_detector", "detector_builder", "detector_kinds",
]


@runtime_checkable
class Detector(Protocol):
    """What the reach layer needs from a haloscope's detector (see the module docstring)."""

    #: the family's name, the ``kind`` of a scenario file's ``[[haloscope]]`` table
    kind: ClassVar[str]

    def check_band(self, f: np.ndarray) -> None:
        """Raise :class:`emboost.core.errors.PhysicsError` if the detector cannot cover the grid ``f`` [Hz]."""
        ...

    def response(self, f: np.ndarray, run: Run) -> DetectorReach:
        """Reach, scan rate and scan time for the conditions ``run`` on the band grid ``f`` [Hz] (nf,)."""
        ...


@dataclass(frozen=True)
class Host:
    """Where a builder places its detector: the ``magnet``, the field ``b_field`` [T] at the detector (the
    catalogue's or the haloscope's), the ``band`` [Hz] to scan, ``fill`` ("single" or "bore") and the
    ``folder`` of the scenario file (for paths relative to it)."""

    magnet: Magnet
    b_field: float
    band: tuple[float, float]
    fill: str
    folder: Path


@dataclass(frozen=True)
class Placement:
    """A builder's result: the ``detector``, its port ``coupling`` beta (NaN without a port), the
    ``packing`` of units filling the magnet (None: one unit), ``notes`` for the summary and the further
    input files (``inputs``) read, for the provenance."""

    detector: Detector
    coupling: float = float("nan")
    packing: Packing | None = None
    notes: tuple[str, ...] = ()
    inputs: tuple[Path, ...] = ()


#: ``builder(table, host) -> Placement``: reads one ``[[haloscope]]`` table of a reach scenario
DetectorBuilder = Callable[[Table, Host], Placement]

_BUILDERS: dict[str, DetectorBuilder] = {}


def register_detector(kind: str, builder: DetectorBuilder, *, replace: bool = False) -> DetectorBuilder:
    """Make ``kind = "<kind>"`` in a reach scenario build its detector with ``builder``; returns the builder.

    :class:`InputError` if ``kind`` is already registered (unless ``replace``) or is not a plain name.
    """
    if not (isinstance(kind, str) and kind.isidentifier()):
        raise InputError(f"a detector kind must be a plain name (letters, digits, _), got {kind!r}")
    if kind in _BUILDERS and not replace and _BUILDERS[kind] is not builder:
        raise InputError(f"detector kind {kind!r} is already registered; pass replace=True to replace it")
    _BUILDERS[kind] = builder
    return builder


def unregister_detector(kind: str) -> None:
    """Remove a registered kind (:class:`InputError` if it is unknown)."""
    if kind not in _BUILDERS:
        raise InputError(f"detector kind {kind!r} is not registered")
    del _BUILDERS[kind]


def detector_builder(kind: str) -> DetectorBuilder:
    """The builder registered for ``kind``; :class:`InputError` naming the known kinds otherwise."""
    try:
        return _BUILDERS[kind]
    except KeyError:
        raise InputError(f"unknown detector kind {kind!r}; registered: {list(_BUILDERS)}") from None


def detector_kinds() -> tuple[str, ...]:
    """Registered kinds, in the order they were registered."""
    return tuple(_BUILDERS)
