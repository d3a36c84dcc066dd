"""Combining several detector chains: coherent (amplitudes add) or power-sum (incoherent) combination.

``N`` chains (cavities, pickups) look at the same axion field. Chain ``i`` delivers a signal of amplitude
``a_i`` (its power is ``a_i^2``, in units of one reference chain's power) with a phase error ``delta_i``
left after the chains were phased up, and noise of power ``n_i`` in the axion band (same units), independent
between chains.

* **Coherent** combination sums the complex voltages with weights ``w_i`` (equal weights by default): the
  signal power is ``|sum w_i a_i exp(j delta_i)|^2`` and the noise power ``sum |w_i|^2 n_i``, so the
  signal-to-noise ratio, relative to one reference chain (``a = n = 1``), is

      G_coh = |sum w_i a_i exp(j delta_i)|^2 / sum |w_i|^2 n_i ,

  ``N`` for ``N`` identical, perfectly phased chains (SNR grows as ``N``). The phase efficiency
  ``eta = |sum a_i exp(j delta_i)|^2 / (sum a_i)^2`` measures the loss to the phase errors; for independent
  Gaussian phase errors of rms ``sigma`` [rad] its expectation is

      E[eta] = 1/N + (1 - 1/N) exp(-sigma^2)          (equal amplitudes),

  which falls to ``1/N`` for random phases: then the coherent sum is no better than **one** chain.
* **Power-sum** (incoherent) combination adds the chains' power spectra with the optimal weights; the
  Dicke signal-to-noise ratios add in quadrature, ``G_inc = sqrt(sum (a_i^2/n_i)^2)``: ``sqrt(N)`` for ``N``
  identical chains, whatever their phases.

The radiometer SNR at fixed time is proportional to ``g^2``, so the coupling reached is ``g_1 / sqrt(G)``
(``g_1 N^(-1/2)`` coherent, ``g_1 N^(-1/4)`` incoherent) and the scan rate (at fixed target and SNR,
proportional to SNR^2 per unit time) is ``G^2`` times one chain's (``N^2`` coherent, ``N`` incoherent).

>>> c = combine(4, mode="coherent")
>>> c.snr_gain, c.coupling_factor, c.rate_factor
(4.0, 0.5, 16.0)
>>> round(combine(4, mode="incoherent").coupling_factor, 4)
0.7071
>>> round(expected_phase_efficiency(4, 0.5), 4)
0.8341
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from emboost.core.errors import InputError

__all__ = ["MODES", "Combination", "combine", "expected_phase_efficiency", "phase_efficiency",
           "random_phase_study", "PhaseStudy", "resonator_phase"]

#: the combination modes
MODES = ("coherent", "incoherent")


@dataclass(frozen=True)
class Combination:
    """Result of :func:`combine`: ``mode``, number of chains ``n``, the signal-to-noise gain ``snr_gain``
    relative to one reference chain, the ``phase_efficiency`` (1 for incoherent combination, where phases do
    not matter), ``coupling_factor = snr_gain^(-1/2)`` (multiplies one chain's reach g_1), ``rate_factor =
    snr_gain^2`` (multiplies one chain's scan rate) and the plausibility ``checks`` (name -> (ok, detail))."""

    mode: str
    n: int
    snr_gain: float
    phase_efficiency: float
    coupling_factor: float
    rate_factor: float
    checks: dict[str, tuple[bool, str]]

    @property
    def ok(self) -> bool:
        """True if every check passed."""
        return all(ok for ok, _ in self.checks.values())


def _vec(name: str, x: ArrayLike | None, n: int, default: float) -> np.ndarray:
    if x is None:
        return np.full(n, default)
    a = np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(a)):
        raise InputError(f"combine: {name} must be finite")
    return a


def phase_efficiency(phases: ArrayLike, amplitudes: ArrayLike | None = None) -> float:
    """``|sum a_i exp(j phi_i)|^2 / (sum a_i)^2`` for phase errors ``phases`` [rad] (equal amplitudes by default).

    >>> round(phase_efficiency([0.0, np.pi]), 12)      # two equal chains in anti-phase cancel
    0.0
    """
    ph = np.atleast_1d(np.asarray(phases, dtype=float))
    a = _vec("amplitudes", amplitudes, ph.size, 1.0)
    if np.any(a < 0) or a.sum() <= 0:
        raise InputError("phase_efficiency: amplitudes must be >= 0 with a positive sum")
    return float(abs(np.sum(a * np.exp(1j * ph))) ** 2 / a.sum() ** 2)


def expected_phase_efficiency(n: int, phase_rms: float) -> float:
    """``E[eta] = 1/n + (1 - 1/n) exp(-sigma^2)`` for ``n`` equal chains with independent Gaussian phase errors of
    rms ``phase_rms`` [rad] (``E|sum e^{j d}|^2 = n + n(n-1) |E e^{j d}|^2``, ``E e^{j d} = exp(-sigma^2/2)``)."""
    if int(n) != n or n < 1:
        raise InputError(f"expected_phase_efficiency: n must be a positive integer, got {n!r}")
    if not (np.isfinite(phase_rms) and phase_rms >= 0):
        raise InputError(f"expected_phase_efficiency: phase_rms must be >= 0, got {phase_rms!r}")
    return float(1.0 / n + (1.0 - 1.0 / n) * np.exp(-phase_rms**2))


def combine(n: int, *, mode: str = "incoherent", amplitudes: ArrayLike | None = None,
            noise: ArrayLike | None = None, phases: ArrayLike | None = None, phase_rms: float | None = None,
            weights: ArrayLike | None = None) -> Combination:
    """Signal-to-noise gain of ``n`` chains combined in ``mode`` (``"coherent"`` or ``"incoherent"``).

    ``amplitudes`` (signal amplitude of each chain relative to the reference, default 1), ``noise`` (noise power
    relative to the reference, default 1), ``weights`` (coherent sum weights, default equal). For a coherent
    sum, either the actual phase errors ``phases`` [rad] or their rms ``phase_rms`` [rad] (the expected
    efficiency :func:`expected_phase_efficiency`, equal amplitudes and noise only) may be given; neither means
    perfect phasing.
    """
    if mode not in MODES:
        raise InputError(f"combine: mode must be one of {MODES}, got {mode!r}")
    if int(n) != n or n < 1:
        raise InputError(f"combine: n must be a positive integer, got {n!r}")
    n = int(n)
    a = _vec("amplitudes", amplitudes, n, 1.0)
    nz = _vec("noise", noise, n, 1.0)
    if np.any(a < 0) or np.any(nz <= 0):
        raise InputError("combine: amplitudes must be >= 0 and noise powers > 0")
    checks: dict[str, tuple[bool, str]] = {}
    if mode == "incoherent":
        gain = float(np.sqrt(np.sum((a**2 / nz) ** 2)))
        eta = 1.0
        bound = float(np.sqrt(n) * np.max(a**2 / nz))
        checks["gain_bound"] = (gain <= bound * (1 + 1e-12), f"G_inc = {gain:.6g} <= sqrt(N) max(a^2/n) = {bound:.6g}")
    else:
        if phases is not None and phase_rms is not None:
            raise InputError("combine: give phases or phase_rms, not both")
        w = _vec("weights", weights, n, 1.0)
        if phase_rms is not None:
            if not (np.all(a == a[0]) and np.all(nz == nz[0]) and np.all(w == w[0])):
                raise InputError("combine: phase_rms needs equal amplitudes, noise and weights; pass phases instead")
            eta = expected_phase_efficiency(n, phase_rms)
            gain = float(eta * (np.sum(w * a)) ** 2 / np.sum(w**2 * nz))
        else:
            ph = _vec("phases", phases, n, 0.0)
            gain = float(abs(np.sum(w * a * np.exp(1j * ph))) ** 2 / np.sum(w**2 * nz))
            eta = phase_efficiency(ph, a) if a.sum() > 0 else 0.0
        # Cauchy-Schwarz: no weighting beats the matched filter sum(a_i^2 / n_i)
        bound = float(np.sum(a**2 / nz))
        checks["gain_bound"] = (gain <= bound * (1 + 1e-12),
                                f"G_coh = {gain:.6g} <= matched-filter sum(a^2/n) = {bound:.6g}")
        checks["phase_efficiency_range"] = (-1e-12 <= eta <= 1 + 1e-12, f"phase efficiency {eta:.6g} in [0, 1]")
    checks["gain_positive"] = (gain > 0, f"SNR gain {gain:.6g} > 0")
    cf = float(gain ** -0.5) if gain > 0 else float("inf")
    return Combination(mode, n, gain, eta, cf, gain**2, checks)


@dataclass(frozen=True)
class PhaseStudy:
    """Monte-Carlo check of :func:`expected_phase_efficiency`: ``mean`` and ``std`` of the efficiency over
    ``draws`` seeded draws of ``n`` Gaussian phase errors of rms ``phase_rms`` [rad], the closed form
    ``expected`` and the standard error ``sem`` of the mean."""

    n: int
    phase_rms: float
    draws: int
    mean: float
    std: float
    sem: float
    expected: float


def random_phase_study(n: int, phase_rms: float, draws: int = 2000, seed: int = 1) -> PhaseStudy:
    """Draw ``draws`` sets of ``n`` independent Gaussian phase errors (rms ``phase_rms`` [rad], generator seeded
    with ``seed``) and compare the mean phase efficiency with the closed form."""
    rng = np.random.default_rng(seed)
    ph = rng.normal(0.0, phase_rms, size=(draws, n))
    eta = np.abs(np.exp(1j * ph).sum(axis=1)) ** 2 / n**2
    return PhaseStudy(n, phase_rms, draws, float(eta.mean()), float(eta.std(ddof=1)),
                      float(eta.std(ddof=1) / np.sqrt(draws)), expected_phase_efficiency(n, phase_rms))


def resonator_phase(detuning: ArrayLike, q_loaded: float) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude and phase [rad] of a resonator's response ``1 / (1 + 2 j Q_L d)`` at a fractional detuning ``d``
    (its resonance relative to the axion frequency): the phase error and amplitude loss of a chain that is not
    tuned exactly onto the common frequency (feed them to :func:`combine`).

    >>> amp, ph = resonator_phase(0.0, 1e4)
    >>> float(amp), float(ph)
    (1.0, 0.0)
    """
    d = np.asarray(detuning, dtype=float)
    h = 1.0 / (1.0 + 2j * q_loaded * d)
    return np.abs(h), np.angle(h)
