"""Published projections to compare the reach engine with, and the comparison itself.

:data:`BABYIAXO_LOWF_2023` holds points of the projected sensitivity of the RADES low-frequency haloscope in the
BabyIAXO magnet (arXiv:2306.17243, curve "coherent acquisition"): |g_agamma| [GeV^-1] against the axion mass
[ueV], read off the published curve (as digitised in a public compilation of axion limits and projections) at
masses inside the four cavity steps, away from the steps' edges. Reading a log-scale figure is good to a few per
cent; the comparison tolerance (:func:`compare_projection`) is set by the reconstruction's unknown inputs, not by
the reading.

>>> BABYIAXO_LOWF_2023.points[0]
(1.072, 1.954e-16)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emboost.core.axion import frequency_to_mass
from emboost.core.errors import InputError

__all__ = ["PublishedProjection", "BABYIAXO_LOWF_2023", "ProjectionComparison", "compare_projection"]


@dataclass(frozen=True)
class PublishedProjection:
    """A published projection: ``label``, ``source``, and ``points`` ((mass [ueV], |g| [GeV^-1]), ...)."""

    label: str
    source: str
    points: tuple[tuple[float, float], ...]


BABYIAXO_LOWF_2023 = PublishedProjection(
    label="RADES in BabyIAXO, 1-2 ueV (coherent acquisition)",
    source="arXiv:2306.17243 projected sensitivity curve, points read inside the four cavity steps",
    points=((1.072, 1.954e-16), (1.158, 1.965e-16), (1.192, 2.030e-16),
            (1.287, 2.565e-16), (1.395, 2.764e-16),
            (1.507, 3.250e-16), (1.590, 3.362e-16),
            (1.695, 4.684e-16), (1.812, 5.205e-16), (1.915, 5.250e-16)),
)


@dataclass(frozen=True)
class ProjectionComparison:
    """Per reference point: ``mass_uev``, published ``g_paper`` and computed ``g_model`` [GeV^-1], their ``ratio``
    (model / paper); the ``tolerance`` (allowed |ratio - 1|), ``checks`` (name -> (ok, detail))."""

    mass_uev: np.ndarray
    g_paper: np.ndarray
    g_model: np.ndarray
    ratio: np.ndarray
    tolerance: float
    checks: dict[str, tuple[bool, str]]

    @property
    def ok(self) -> bool:
        """True if every check passed."""
        return all(ok for ok, _ in self.checks.values())


def compare_projection(curves: Sequence[tuple[np.ndarray, np.ndarray]], reference: PublishedProjection,
                       tolerance: float = 0.3) -> ProjectionComparison:
    """Compare computed reach curves ``(frequency [Hz], g [GeV^-1])`` with a published projection.

    At each reference mass the curve covering it is interpolated (log g, linear in mass); a mass no curve covers
    is an :class:`InputError`. ``checks``: every ratio within ``1 +- tolerance``.
    """
    m_ref = np.array([p[0] for p in reference.points])
    g_ref = np.array([p[1] for p in reference.points])
    g_mod = np.full(m_ref.shape, np.nan)
    for f, g in curves:
        m = np.asarray(frequency_to_mass(np.asarray(f, dtype=float))) * 1e6
        inside = (m_ref >= m.min()) & (m_ref <= m.max()) & np.isnan(g_mod)
        if np.any(inside):
            g_mod[inside] = np.exp(np.interp(m_ref[inside], m, np.log(np.asarray(g, dtype=float))))
    if np.any(np.isnan(g_mod)):
        raise InputError(f"no computed curve covers the reference masses {m_ref[np.isnan(g_mod)].tolist()} ueV")
    ratio = g_mod / g_ref
    worst = float(np.max(np.abs(ratio - 1)))
    checks = {"within_tolerance": (worst <= tolerance, f"max |g_model/g_paper - 1| = {worst:.3f} <= {tolerance:g}")}
    return ProjectionComparison(m_ref, g_ref, g_mod, ratio, tolerance, checks)
