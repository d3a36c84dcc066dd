"""RADES chains as detectors of the reach layer, alone or filling a magnet bore.

:class:`RadesChain` — an iris-coupled chain (:mod:`emboost.cavity.chain`) of ``N`` sub-cavities of cross
section ``a x b`` whose lengths are re-designed at every frequency for a flat field
(:func:`emboost.cavity.design.flat_field_lengths`); C and Q0 come from the circuit. Filling a bore
(:func:`fill_bore`) means as many chains as fit, each with its own readout, **combined
incoherently**: independent SNR^2 add, so ``n`` equal chains reach ``g_1 n^(-1/4)`` and scan ``n``
times faster. Packing: chains of outer section ``(a + 2w) x (b + 2w)`` (``w`` the wall) in rows
across the circular bore section (:func:`emboost.reach.packing.rectangles_in_circle`), and end to end
along the field length with a gap between chains.

The chain is a :class:`emboost.reach.detector.Detector` of kind ``"rades_chain"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from emboost.core.constants import c
from emboost.core.conventions import ArrayLike
from emboost.core.errors import EmboostError, InputError, PhysicsError
from emboost.core.search import CavityFigures, DetectorReach, Run, resonant_reach
from emboost.reach.magnets import Magnet
from emboost.reach.packing import Packing, rectangles_in_circle
from emboost.rf.materials import SIGMA_CU_RT

if TYPE_CHECKING:
    from emboost.cavity.chain import CavityChain, ChainModes, ModeQ

__all__ = ["RadesChain", "fill_bore"]


@dataclass(frozen=True)
class RadesChain:
    """A RADES chain of ``n_cavities`` sub-cavities in a ``a x b`` guide with equal thin inductive
    irises of ``iris_window`` [m], flat-field lengths designed at each frequency. Walls: copper of
    ``conductivity`` with the anomalous factor ``anomalous``; ``q_loaded`` optionally replaces
    ``Q0 / (1 + beta)`` (e.g. a measured value). ``field_alignment`` (0-1) multiplies the form factor: the
    squared cosine between the TE10 E field (along ``b``) and the magnet field; a chain along a bore is turned
    so that ``b`` lies along a transverse field (1) and cannot align with an axial one (0)."""

    a: float
    b: float
    n_cavities: int
    iris_window: float
    conductivity: float = SIGMA_CU_RT
    anomalous: float | str = 4.0
    q_loaded: float | None = None
    field_alignment: float = 1.0
    kind: ClassVar[str] = "rades_chain"
    _cache: dict[float, tuple[CavityChain, ChainModes, ModeQ]] = field(default_factory=dict, compare=False,
                                                                        repr=False)

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.b > 0 and self.iris_window > 0 and self.conductivity > 0):
            raise InputError("RADES chain: a, b, iris_window and conductivity must be > 0")
        if int(self.n_cavities) != self.n_cavities or self.n_cavities < 1:
            raise InputError(f"RADES chain: n_cavities must be a positive integer, got {self.n_cavities!r}")
        if not 0.0 <= self.field_alignment <= 1.0:
            raise InputError(f"RADES chain: field_alignment must lie in [0, 1], got {self.field_alignment!r}")

    @property
    def cutoff_frequency(self) -> float:
        """TE10 cutoff ``c / (2 a)`` [Hz] of the guide."""
        return c / (2 * self.a)

    def design(self, f: float) -> tuple[CavityChain, ChainModes, ModeQ]:
        """``(chain, modes, mode_q)`` of the flat-field chain whose in-phase mode is at ``f`` [Hz]."""
        from emboost.cavity.chain import CavityChain
        from emboost.cavity.design import flat_field_lengths
        from emboost.cavity.iris import Iris

        key = round(float(f), 3)
        if key in self._cache:
            return self._cache[key]
        if f <= self.cutoff_frequency:
            raise PhysicsError(f"{f / 1e9:.6g} GHz is at or below the TE10 cutoff "
                               f"{self.cutoff_frequency / 1e9:.6g} GHz of a = {self.a * 1e3:g} mm")
        irises = [Iris("inductive", window=self.iris_window)] * (self.n_cavities - 1)
        lengths = flat_field_lengths(self.a, self.b, irises, f) if irises else [_te101(f, self.a)]
        chain = CavityChain(a=self.a, b=self.b, lengths=tuple(lengths), irises=tuple(irises),
                            conductivity=self.conductivity,
                            anomalous=self.anomalous)
        band = (max(self.cutoff_frequency * 1.0001, 0.97 * f), 1.03 * f)
        modes = chain.modes(band)
        fa = modes.axion_frequency
        if abs(fa / f - 1) > 1e-6:
            raise PhysicsError(f"the flat-field design did not put the axion mode at {f / 1e9:.6g} GHz "
                               f"(got {fa / 1e9:.6g} GHz)")
        q = chain.mode_q(np.array([fa]))[0]
        out = (chain, modes, q)
        self._cache[key] = out
        return out

    def figures(self, f: ArrayLike, coupling: float) -> CavityFigures:
        """Volume, C, Q0, Q_L of the chain re-designed at each ``f`` [Hz]."""
        f = np.atleast_1d(np.asarray(f, dtype=float))
        vol, cf, q0 = (np.empty(f.shape) for _ in range(3))
        for j, fj in enumerate(f):
            chain, modes, q = self.design(fj)
            vol[j], cf[j], q0[j] = chain.volume, modes.form_factor[modes.axion_index], q.q0
        ql = q0 / (1 + coupling) if self.q_loaded is None else np.full(f.shape, float(self.q_loaded))
        return CavityFigures(f, vol, cf * self.field_alignment, q0, ql, 1)

    def length(self, f: float) -> float:
        """Wall-to-wall length [m] of the chain designed at ``f``."""
        return self.design(f)[0].total_length

    # ---------------------------------------------------------------- the Detector protocol of emboost.reach
    def check_band(self, f: np.ndarray) -> None:
        """:class:`PhysicsError` if no flat-field chain can be designed at either end of the grid ``f`` [Hz]."""
        for fj in (f[0], f[-1]):
            try:
                self.design(float(fj))
            except EmboostError as exc:
                raise PhysicsError(f"no chain design at the band edge: {exc}") from None

    def response(self, f: np.ndarray, run: Run) -> DetectorReach:
        """Reach and scan rate of the chain re-designed at each ``f`` [Hz]
        (:func:`emboost.core.search.resonant_reach`; ``run.units`` chains combined incoherently)."""
        with np.errstate(divide="ignore", invalid="ignore"):  # C = 0 (misaligned): infinite g, zero rate
            return resonant_reach(self.figures(f, run.coupling), run)


def _te101(f: float, a: float) -> float:
    from emboost.cavity.chain import te101_length

    return te101_length(f, a)


def fill_bore(chain: RadesChain, f: float, magnet: Magnet, wall: float, gap: float, bores: int = 1) -> Packing:
    """Chains designed at ``f`` filling ``bores`` bores of ``magnet`` (packing rules in the module docstring);
    ``f`` [Hz], ``wall`` and ``gap`` [m]."""
    if bores > magnet.bores:
        raise InputError(f"{magnet.name} has {magnet.bores} bore(s), asked to fill {bores}")
    across = rectangles_in_circle(chain.a + 2 * wall, chain.b + 2 * wall, magnet.bore_diameter)
    length = chain.length(f) + 2 * wall
    along = int(np.floor((magnet.length + gap) / (length + gap) + 1e-12))
    if across == 0 or along == 0:
        raise PhysicsError(f"a chain ({(chain.a + 2 * wall) * 1e3:g} x {(chain.b + 2 * wall) * 1e3:g} mm, "
                           f"{length:g} m long) does not fit in the {magnet.name} bore")
    return Packing(across, along, bores, wall, gap, length)

