"""A dc SQUID amplifier (one or two stages) coupled to the resonator: imprecision and backaction noise, their
correlation, and the noise parameter eta(f) that enters the scan rate.

**First stage** (Tesche & Clarke 1977 numerical results for a resistively shunted dc SQUID near its optimum,
beta_L = 2 L I_0 / Phi_0 ~ 1): output voltage noise ``S_V = gamma_V k T R``, circulating-current noise
``S_J = gamma_J k T / R`` and their (real) correlation ``S_VJ = gamma_VJ k T`` (one-sided), with
``gamma_V, gamma_J, gamma_VJ ~ 16, 11, 12``; the transfer coefficient ``V_Phi = v_phi R / L``. ``R`` is the
shunt resistance, ``L`` the SQUID loop inductance and ``T`` the shunt (electron) temperature.

**Referred to the resonator** through the input coil (mutual inductance ``M``): the imprecision is the
current noise ``S_I = S_V / (V_Phi M)^2`` that the output noise stands for, the backaction the voltage
``S_U = (w M)^2 S_J`` that the circulating current induces in the resonator, and their correlation
``S_IU = j w S_VJ / V_Phi`` (imaginary: the induced voltage is a time derivative). ``M`` cancels from the
product, so the noise temperature at the optimum coupling (which :func:`emboost.pickup.scanrate.xi` picks) is

    k T_N = sqrt(S_I S_U - |Im S_IU|^2) / 2 = (w / 2 V_Phi) sqrt(S_V S_J - S_VJ^2)        (classical)

and ``eta = k T_N / (h f / 2)`` (eq. 8) is independent of f for one stage. The quantum limit of a
phase-insensitive amplifier (Caves) bounds the product from below by ``(hbar w)^2``: the model adds it,
``S_I S_U - |Im S_IU|^2 = P_classical + (hbar w)^2`` (a quadrature sum: an approximation that is exact in
both limits), so ``eta -> 1`` (the standard quantum limit) when the SQUID is cold.

**Second stage** (optional): a following amplifier of noise temperature ``T_2`` behind a first-stage power
gain ``G`` adds ``k T_2 / G`` to ``k T_N`` (Friis), i.e. ``2 k T_2 / (G h f)`` to eta.

:class:`SquidChain` is one such chain on ``[f_min, f_max)``; :class:`SquidReadout` picks the chain for each
frequency (e.g. two chains exchanged at 75 MHz) and has the ``eta(f)`` a :class:`~emboost.pickup.scanrate.ScanSetup`
needs.

>>> q = SquidChain("cold", 1e6, 1e9, resistance=5.0, inductance=100e-12, temperature=0.0)
>>> round(float(q.eta(50e6)[0]), 6)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emboost.core.constants import h, hbar, k_B
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError

__all__ = ["SquidChain", "SquidReadout", "ReferredNoise"]


@dataclass(frozen=True)
class ReferredNoise:
    """Noise of a chain referred to the resonator at ``frequency`` [Hz] (nf,) for an input mutual inductance
    ``mutual`` [H]: imprecision current ``s_i`` [A^2/Hz], backaction voltage ``s_u`` [V^2/Hz], correlation
    ``s_iu`` [A V/Hz] (complex), all one-sided; ``noise_temperature`` [K] and ``eta`` at the optimum."""

    frequency: np.ndarray
    mutual: float
    s_i: np.ndarray
    s_u: np.ndarray
    s_iu: np.ndarray
    noise_temperature: np.ndarray
    eta: np.ndarray


@dataclass(frozen=True)
class SquidChain:
    """One amplifier chain used on ``[f_min, f_max)`` [Hz]: first-stage dc SQUID of shunt ``resistance``
    [ohm], loop ``inductance`` [H], shunt ``temperature`` [K], Tesche-Clarke ``gamma_v``, ``gamma_j``,
    ``gamma_vj`` and ``v_phi`` (V_Phi = v_phi R / L); optional second stage of ``second_stage_temperature``
    [K] behind the first-stage power ``gain``."""

    name: str
    f_min: float
    f_max: float
    resistance: float
    inductance: float
    temperature: float
    gamma_v: float = 16.0
    gamma_j: float = 11.0
    gamma_vj: float = 12.0
    v_phi: float = 1.0
    second_stage_temperature: float = 0.0
    gain: float = 1.0

    def __post_init__(self) -> None:
        if not (self.f_max > self.f_min > 0 and self.resistance > 0 and self.inductance > 0
                and self.temperature >= 0 and self.v_phi > 0 and self.gain > 0
                and self.second_stage_temperature >= 0):
            raise InputError(f"SQUID chain {self.name!r}: need 0 < f_min < f_max, R, L, v_phi, gain > 0, "
                             "temperatures >= 0")
        if self.gamma_v * self.gamma_j < self.gamma_vj**2 or self.gamma_v <= 0 or self.gamma_j <= 0:
            raise InputError(f"SQUID chain {self.name!r}: need gamma_v gamma_j >= gamma_vj^2 (a positive "
                             "noise matrix)")

    @property
    def transfer(self) -> float:
        """``V_Phi`` [V/Wb]."""
        return self.v_phi * self.resistance / self.inductance

    def output_spectra(self) -> tuple[float, float, float]:
        """``(S_V [V^2/Hz], S_J [A^2/Hz], S_VJ [V A/Hz])`` of the first stage (one-sided)."""
        kt = k_B * self.temperature
        return self.gamma_v * kt * self.resistance, self.gamma_j * kt / self.resistance, self.gamma_vj * kt

    def referred(self, f: ArrayLike, mutual: float) -> ReferredNoise:
        """Imprecision, backaction and correlation at the resonator for an input mutual inductance ``mutual``."""
        fa = np.atleast_1d(np.asarray(f, dtype=float))
        if not mutual > 0:
            raise InputError(f"SQUID chain {self.name!r}: mutual inductance must be > 0")
        w = 2 * np.pi * fa
        sv, sj, svj = self.output_spectra()
        s_i = np.full(fa.shape, sv / (self.transfer * mutual) ** 2)
        s_u = (w * mutual) ** 2 * sj
        s_iu = 1j * w * svj / self.transfer
        product = s_i * s_u - np.abs(s_iu.imag) ** 2 + (hbar * w) ** 2   # the quantum floor, in quadrature
        kt_n = np.sqrt(product) / 2 + k_B * self.second_stage_temperature / self.gain
        return ReferredNoise(fa, float(mutual), s_i, s_u, s_iu, kt_n / k_B, kt_n / (h * fa / 2))

    def eta(self, f: ArrayLike) -> np.ndarray:
        """``eta(f) = k T_N / (h f / 2)`` at the optimum coupling (independent of the mutual inductance)."""
        return self.referred(f, 1e-9).eta


@dataclass(frozen=True)
class SquidReadout:
    """Several :class:`SquidChain` exchanged at their range edges; ``eta(f)`` as for the scan rate."""

    chains: tuple[SquidChain, ...]

    def eta(self, f: ArrayLike) -> np.ndarray:
        fa = np.atleast_1d(np.asarray(f, dtype=float))
        out = np.full(fa.shape, np.nan)
        top = max(c.f_max for c in self.chains)
        for ch in self.chains:
            sel = (fa >= ch.f_min) & ((fa < ch.f_max) | ((fa == ch.f_max) & (ch.f_max == top))) & np.isnan(out)
            if np.any(sel):
                out[sel] = ch.eta(fa[sel])
        if np.any(np.isnan(out)):
            bad = fa[np.isnan(out)][0]
            raise InputError(f"no SQUID chain covers {bad:.6g} Hz", key="squid.chain")
        return out
