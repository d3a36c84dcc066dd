"""RADES chain designs of realistic length: all-inductive or alternating inductive/capacitive irises.

In an all-inductive chain every coupling has the same sign and the all-in-phase (axion) mode is the lowest
of the pass band (physics.md §3.3). Near a band edge the modes crowd: for N equal couplings
``f_m ~ f_0 (1 - k cos(m pi/(N+1)))`` and the axion mode's neighbour is only ``~ (3/2) k f_0 (pi/(N+1))^2``
away. Alternating the sign of the couplings (inductive, capacitive, inductive, ...) maps the all-in-phase
mode onto the uniform chain's mode with the sign pattern (+, +, -, -, ...) (a gauge transformation
``diag(+1, +1, -1, -1, ...)`` of the coupling matrix), i.e. to the middle of the band, where the spacing is
largest, ``~ k f_0 pi/(N+1)``: the separation grows about as (N + 1)/(1.5 pi) for long chains.

:func:`rades_design` builds a flat-field design (:func:`emboost.cavity.design.flat_field_lengths`) with
thin irises of a given normalised susceptance magnitude ``|B/Y|`` at the target frequency (an inductive
window of the given width; the capacitive iris as a ``"susceptance"`` iris with ``+|B/Y|`` — a full-width
capacitive gap in WR-90 cannot reach |B/Y| ~ 7, see docs/cavity.md, so its geometry is left to the
designer), solves it, and cross-checks it with the coupled-resonator (impedance-inverter) model,
an independent formalism (:func:`emboost.cavity.design.coupled_resonator_modes`). Every design carries
:class:`~emboost.cavity.checks.CavityCheck` s: the axion mode at the target and flat, all in phase, the
form factor in (0, 1), the separation larger than the linewidth (when the walls are lossy), and the
agreement with the coupled-resonator model (frequency 1 %, form factor 15 %, separation 25 %: the
inverter picture is a first-order expansion in the coupling, k ~ 0.04 here, and it does not reproduce the
flat-field end detuning exactly, so the separation of a mode at the band edge of a long all-inductive
chain, which depends on that detuning, is compared only for alternating designs), and the tolerance:
C may change by at most 5 % when the first sub-cavity is 50 um too long. A long all-inductive chain fails
the form-factor comparison: its band-edge axion mode is so sensitive to the end detuning that the two
models' slightly different detunings give different fields (for N = 30 a 50 um error costs 4 % of C,
200 um half of it; the alternating design loses 0.2 %).

>>> d = rades_design(6, 8.4e9, pattern="alternating")
>>> round(d.axion_frequency / 1e9, 4), round(d.form_factor, 3), round(d.separation / 1e6, 1), d.ok
(8.4, 0.632, 140.9, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emboost.cavity.chain import CavityChain, ChainModes
from emboost.cavity.checks import CavityCheck, first_failure
from emboost.cavity.design import coupled_resonator_modes, flat_field_lengths
from emboost.cavity.iris import Iris
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr

__all__ = ["PATTERNS", "ChainDesign", "rades_design", "design_irises"]

PATTERNS = ("inductive", "alternating")

#: tolerances of the coupled-resonator cross-check (see the module docstring)
CR_TOL_FREQUENCY = 0.01
CR_TOL_FORM_FACTOR = 0.15
CR_TOL_SEPARATION = 0.25
#: length error [m] of the first sub-cavity in the tolerance check, and the allowed relative change of C
END_ERROR = 50e-6
TOL_ROBUST = 0.05


def design_irises(n: int, f_target: float, a: float, b: float, window: float, pattern: str) -> tuple[Iris, ...]:
    """The ``n - 1`` thin irises: inductive windows of width ``window`` [m], and for ``"alternating"``
    every second one a capacitive ``"susceptance"`` iris with the opposite normalised susceptance at
    ``f_target``."""
    if pattern not in PATTERNS:
        raise InputError(f"pattern must be one of {list(PATTERNS)}, got {pattern!r}")
    if n < 2:
        raise InputError(f"a chain design needs at least 2 sub-cavities, got {n}")
    ind = Iris("inductive", window=window)
    if pattern == "inductive":
        return (ind,) * (n - 1)
    b_ind = float(ind.normalized_susceptance(np.array([f_target]), a, b)[0])
    cap = Iris("susceptance", susceptance=-b_ind, reference_frequency=f_target)
    return tuple(ind if k % 2 == 0 else cap for k in range(n - 1))


@dataclass(frozen=True)
class ChainDesign:
    """A flat-field design and its numbers: the ``chain``, its ``modes`` in ``band``, the axion mode's
    frequency [Hz], form factor, separation [Hz] from the nearest mode, Q0 (NaN for lossless walls), its
    rank in the pass band (0 = lowest), the coupled-resonator model's frequency, form factor and
    separation of its most axion-like mode, the axion mode's form factor after the first sub-cavity is made
    ``END_ERROR`` longer (a machining error: the tolerance of the design), and the ``checks``."""

    __repr__ = short_repr

    pattern: str
    chain: CavityChain
    band: tuple[float, float]
    modes: ChainModes
    axion_frequency: float
    form_factor: float
    separation: float
    q0: float
    rank: int
    cr_frequency: float
    cr_form_factor: float
    cr_separation: float
    perturbed_form_factor: float
    checks: tuple[CavityCheck, ...]

    @property
    def ok(self) -> bool:
        return not first_failure(self.checks)

    @property
    def reason(self) -> str:
        return first_failure(self.checks)


def rades_design(n: int, f_target: float, *, pattern: str = "inductive", a: float = 22.86e-3,
                 b: float = 10.16e-3, window: float = 8e-3, conductivity: float | None = None,
                 band: tuple[float, float] | None = None) -> ChainDesign:
    """Flat-field ``n``-cavity design with its axion mode at ``f_target`` [Hz]; see the module docstring.

    ``band`` [Hz] for the mode search defaults to 0.85-1.15 ``f_target`` (above the TE10 cutoff)."""
    irises = design_irises(n, f_target, a, b, window, pattern)
    lengths = flat_field_lengths(a, b, irises, f_target)
    chain = CavityChain(a=a, b=b, lengths=tuple(lengths), irises=irises, conductivity=conductivity)
    if band is None:
        band = (max(0.85 * f_target, 1.02 * chain.cutoff_frequency), 1.15 * f_target)
    m = chain.modes(band)
    ax = m.axion_index
    f_ax, c_ax, sep = m.axion_frequency, float(m.form_factor[ax]), m.separation()
    q0 = chain.mode_q(np.array([f_ax]))[0].q0 if chain.lossy else float("nan")
    cr = coupled_resonator_modes(chain, f_target)
    k = int(np.argmax(cr.form_factor))
    others = np.delete(cr.frequency, k)
    cr_sep = float(np.min(np.abs(others - cr.frequency[k]))) if others.size else float("inf")
    amp = m.amplitude[ax]
    pert = chain.with_lengths((lengths[0] + END_ERROR,) + tuple(lengths[1:])).modes(band)
    c_pert = float(pert.form_factor[pert.axion_index])
    checks = [
        CavityCheck("at_target", abs(f_ax / f_target - 1) < 1e-6,
                    f"axion mode at {f_ax / 1e9:.6f} GHz, target {f_target / 1e9:.6f} GHz"),
        CavityCheck("in_phase_flat", bool(m.in_phase[ax] and np.ptp(amp) < 1e-3),
                    f"sub-cavity amplitudes in [{np.min(amp):.4f}, {np.max(amp):.4f}] (flat: all 1)"),
        CavityCheck("form_factor_range", 0 < c_ax < 1, f"C = {c_ax:.4f}, must lie in (0, 1)"),
        CavityCheck("cr_frequency", abs(cr.frequency[k] / f_ax - 1) < CR_TOL_FREQUENCY,
                    f"coupled-resonator model {cr.frequency[k] / 1e9:.4f} GHz vs {f_ax / 1e9:.4f} GHz "
                    f"(tolerance {CR_TOL_FREQUENCY:.0%})"),
        CavityCheck("cr_form_factor", abs(cr.form_factor[k] / c_ax - 1) < CR_TOL_FORM_FACTOR,
                    f"coupled-resonator C = {cr.form_factor[k]:.3f} vs {c_ax:.3f} "
                    f"(tolerance {CR_TOL_FORM_FACTOR:.0%})"),
    ]
    if pattern == "alternating":
        checks.append(CavityCheck("cr_separation", abs(cr_sep / sep - 1) < CR_TOL_SEPARATION,
                                  f"coupled-resonator separation {cr_sep / 1e6:.2f} MHz vs {sep / 1e6:.2f} MHz "
                                  f"(tolerance {CR_TOL_SEPARATION:.0%})"))
    checks.append(CavityCheck("robust", abs(c_pert / c_ax - 1) < TOL_ROBUST,
                              f"C = {c_pert:.3f} with sub-cavity 1 longer by {END_ERROR * 1e6:.0f} um "
                              f"({c_pert / c_ax - 1:+.1%}, allowed {TOL_ROBUST:.0%})"))
    if chain.lossy:
        checks.append(CavityCheck("separated", sep > f_ax / q0,
                                  f"separation {sep / 1e6:.3f} MHz vs linewidth f/Q0 = {f_ax / q0 / 1e6:.3f} MHz"))
    return ChainDesign(pattern=pattern, chain=chain, band=band, modes=m, axion_frequency=f_ax, form_factor=c_ax,
                       separation=sep, q0=q0, rank=int(np.sum(m.frequency < f_ax)), cr_frequency=float(cr.frequency[k]),
                       cr_form_factor=float(cr.form_factor[k]), cr_separation=cr_sep,
                       perturbed_form_factor=c_pert, checks=tuple(checks))
