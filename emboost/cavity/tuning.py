"""Frequency tuning of a RADES chain: the axion mode's frequency, form factor, Q0 and separation vs a tuning
parameter, with checks.

Two mechanical tunings are modelled, both as a change of the chain's geometry followed by a full solve
(:meth:`emboost.cavity.chain.CavityChain.modes` and ``mode_q``):

* ``"split_gap"`` — the chain is cut in two halves along its axis in the plane ``x = a/2`` (the E-plane
  that carries no transverse wall current of the TE10 modes) and the halves are pulled apart by a gap
  ``g``: the broad side becomes ``a + g`` and each inductive iris window ``w + g`` (the iris halves move
  with the walls); capacitive gaps are unchanged. First-order model: the slot in the broad walls is
  treated as part of the guide (no leakage through it, no extra loss), which is exact for the TE10
  frequencies as g -> 0 and optimistic for Q0 at large gaps. The frequency falls as the gap opens.
* ``"length"`` — every sub-cavity length scaled by ``1 + s`` (e.g. movable end plates on a single
  cavity, or a thermal/mechanical stretch of the whole chain); the frequency falls as ``s`` grows.

For one TE101 cavity both reduce to the closed forms ``f = (c/2) sqrt(1/(a+g)^2 + 1/d^2)`` and Pozar's
Q (6.46), which the tests check. Each curve carries :class:`~emboost.cavity.checks.CavityCheck` s: an
all-in-phase (axion) mode found in the band at every point (elsewhere the curve holds NaN), f monotonic
in the parameter (no mode crossing), the form factor in (0, 1), the separation from the nearest mode
larger than the linewidth f/Q0, Q0 positive and below twice the closed-form Q of one TE101 cavity of
the same width and frequency.

>>> import numpy as np
>>> from emboost.cavity.chain import CavityChain
>>> from emboost.cavity.iris import Iris
>>> chain = CavityChain(a=22.86e-3, b=10.16e-3, lengths=(23.9e-3,) * 5,
...                     irises=(Iris("inductive", window=8e-3, thickness=2e-3),) * 4, conductivity=5.8e7)
>>> t = tuning_curve(chain, "split_gap", np.array([0.0, 1e-3, 2e-3, 3e-3]), (7.0e9, 9.5e9))
>>> [round(float(x) / 1e9, 3) for x in t.frequency], [round(float(x)) for x in t.q0], t.ok
([8.591, 8.263, 7.946, 7.641], [6373, 6179, 6016, 5884], True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from emboost.cavity.chain import CavityChain, single_cavity_q, te101_length
from emboost.cavity.checks import CavityCheck, first_failure
from emboost.core.constants import c
from emboost.core.errors import InputError, PhysicsError
from emboost.core.reprs import short_repr

__all__ = ["TUNINGS", "tuned_chain", "TuningCurve", "tuning_curve", "te101_frequency"]

TUNINGS = ("split_gap", "length")


def te101_frequency(a: float, d: float) -> float:
    """Closed form: TE101 resonance [Hz] of a rectangular cavity of width ``a`` and length ``d`` [m].

    >>> round(te101_frequency(22.86e-3, 28.691e-3) / 1e9, 4)
    8.384
    """
    return float(0.5 * c * np.sqrt(1 / a**2 + 1 / d**2))


def tuned_chain(chain: CavityChain, kind: str, value: float) -> CavityChain:
    """The chain's geometry at tuning ``value``: a gap [m] for ``"split_gap"``, a relative length change
    for ``"length"``."""
    if kind not in TUNINGS:
        raise InputError(f"tuning kind must be one of {list(TUNINGS)}, got {kind!r}")
    value = float(value)
    if kind == "split_gap":
        if not value >= 0:
            raise InputError(f"split gap must be >= 0, got {value!r}")
        irises = tuple(replace(ir, window=ir.width + value) if ir.kind == "inductive" else ir
                       for ir in chain.irises)
        return replace(chain, a=chain.a + value, irises=irises, _cache={})
    if not value > -1:
        raise InputError(f"relative length change must be > -1, got {value!r}")
    return chain.with_lengths(x * (1 + value) for x in chain.lengths)


@dataclass(frozen=True)
class TuningCurve:
    """Axion mode vs tuning: ``parameter`` (n,) [m for a gap, 1 for a relative length], ``frequency``
    [Hz] (lossless), ``form_factor``, ``q0`` (NaN for lossless walls), ``separation`` [Hz] to the nearest
    mode (all NaN where no all-in-phase mode is in the band), ``in_phase`` (bool), ``q_single`` the
    closed-form Q0 of one TE101 cavity of the same width at the same frequency (NaN for lossless walls),
    and the ``checks``."""

    __repr__ = short_repr

    kind: str
    parameter: np.ndarray
    frequency: np.ndarray
    form_factor: np.ndarray
    q0: np.ndarray
    separation: np.ndarray
    in_phase: np.ndarray
    q_single: np.ndarray
    checks: tuple[CavityCheck, ...]

    @property
    def ok(self) -> bool:
        return not first_failure(self.checks)

    @property
    def reason(self) -> str:
        return first_failure(self.checks)

    @property
    def tuning_range(self) -> float:
        """max f - min f [Hz] over the curve."""
        return float(np.ptp(self.frequency))


def tuning_curve(chain: CavityChain, kind: str, values: np.ndarray, band: tuple[float, float]) -> TuningCurve:
    """Solve the chain at every tuning value and follow its axion (all-in-phase) mode.

    ``band`` [Hz] must contain the axion mode over the whole range (widen it for long tunings)."""
    vals = np.atleast_1d(np.asarray(values, dtype=float))
    if vals.size < 2 or np.any(np.diff(vals) <= 0):
        raise InputError("tuning values must be at least two increasing numbers")
    n = vals.size
    f, cf, q0, sep, inph, qs = (np.full(n, np.nan) for _ in range(6))
    found = np.zeros(n, bool)
    for j, v in enumerate(vals):
        ch = tuned_chain(chain, kind, v)
        try:
            m = ch.modes(band)
        except PhysicsError:
            continue
        ax = m.axion_index
        inph[j] = m.in_phase[ax]
        if not inph[j]:
            continue  # no all-in-phase mode in the band at this point
        found[j] = True
        f[j], cf[j], sep[j] = m.axion_frequency, m.form_factor[ax], m.separation()
        if ch.lossy:
            q0[j] = ch.mode_q(np.array([f[j]]))[0].q0
            d = te101_length(f[j], ch.a)
            qs[j] = single_cavity_q(f[j], ch.a, ch.b, d, float(ch.rs(np.array([f[j]]))[0]))
    checks = [
        CavityCheck("axion_mode_found", bool(found.all()),
                    f"a mode with every sub-cavity in phase found at {int(found.sum())}/{n} tuning points in "
                    f"{band[0] / 1e9:.4g}-{band[1] / 1e9:.4g} GHz"),
    ]
    if found.all():
        df = np.diff(f)
        mono = bool(np.all(df < 0) or np.all(df > 0))
        checks.append(CavityCheck("monotonic", mono, "f changes monotonically with the tuning parameter"
                                  if mono else "f is not monotonic: the followed mode changes (mode crossing)"))
        checks.append(CavityCheck("form_factor_range", bool(np.all((cf > 0) & (cf < 1))),
                                  f"C in [{np.min(cf):.3f}, {np.max(cf):.3f}], must lie in (0, 1)"))
        if chain.lossy:
            width = f / q0
            checks.append(CavityCheck("separated", bool(np.all(sep > width)),
                                      f"min separation / linewidth f/Q0 = {np.min(sep / width):.3g} (must exceed 1)"))
            ratio = q0 / qs
            checks.append(CavityCheck("q0_plausible", bool(np.all((q0 > 0) & (ratio < 2))),
                                      f"Q0 / Q(one TE101 cavity, same f and a) in [{np.min(ratio):.3f}, "
                                      f"{np.max(ratio):.3f}], must be in (0, 2)"))
    return TuningCurve(kind=kind, parameter=vals, frequency=f, form_factor=cf, q0=q0, separation=sep,
                       in_phase=inph == 1, q_single=qs, checks=tuple(checks))
