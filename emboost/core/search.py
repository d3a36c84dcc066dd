"""What a haloscope search asks of a detector and what the detector answers (the data of the reach layer's
:class:`emboost.reach.detector.Detector` protocol), kept at the foundation so that every detector family,
whatever its layer, can answer without importing the reach layer.

* :class:`Run`: the conditions a detector is operated in: magnet field, system temperature, time per
  tuning step, SNR, dark-matter density, target coupling, port coupling, number of units;
* :class:`DetectorReach`: the detector's answer on its reach grid: the coupling one unit reaches per
  step, the target coupling, the scan rate, its cavity figures or boost factor, the scan time;
* :class:`CavityFigures` and :func:`resonant_reach`: the figures (V, C, Q0, Q_L) of any resonant cavity
  and the reach and scan rate they give (Sikivie power, Dicke radiometer; :mod:`emboost.core.radiometry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emboost.core.constants import GeV
from emboost.core.radiometry import cavity_coupling_reach, cavity_scan_rate, coupling_function, scan_time

__all__ = ["Run", "CavityFigures", "DetectorReach", "resonant_reach"]


@dataclass(frozen=True)
class Run:
    """Operating conditions of a detector (SI): ``b_field`` [T] at the detector, ``t_sys`` [K],
    ``time_per_step`` [s], ``snr``, ``rho`` [J/m^3], ``target`` ("ksvz", "dfsz" or a coupling in 1/J),
    port ``coupling`` beta (NaN for detectors without one) and ``units`` identical detectors, each with
    its own readout, combined incoherently."""

    b_field: float
    t_sys: float
    time_per_step: float
    snr: float
    rho: float
    target: str | float
    coupling: float = 1.0
    units: int = 1


@dataclass(frozen=True)
class CavityFigures:
    """Cavity parameters at frequencies ``frequency`` (nf,) [Hz]: ``volume`` [m^3] of one unit, ``form_factor``,
    ``q0``, ``q_loaded`` (all (nf,)), and the number of parallel ``units``."""

    frequency: np.ndarray
    volume: np.ndarray
    form_factor: np.ndarray
    q0: np.ndarray
    q_loaded: np.ndarray
    units: int = 1


@dataclass(frozen=True)
class DetectorReach:
    """A detector's answer for a :class:`Run`, on its reach grid ``frequency`` (nf,) [Hz]:

    ``g_unit`` the |g| [GeV^-1] one unit reaches in ``time_per_step``, ``g_target`` [GeV^-1] the target,
    ``rate`` [Hz/s] the scan rate of all ``units`` at the target, cavity figures ``volume`` [m^3],
    ``form_factor``, ``q0``, ``q_loaded`` (NaN where they do not apply), ``boost_factor`` (NaN where it
    does not apply), ``scan_seconds`` [s] to scan the run's band, and family-specific ``extra`` details
    (JSON-serialisable values, SI units named in the keys)."""

    frequency: np.ndarray
    g_unit: np.ndarray
    g_target: np.ndarray
    rate: np.ndarray
    volume: np.ndarray
    form_factor: np.ndarray
    q0: np.ndarray
    q_loaded: np.ndarray
    boost_factor: np.ndarray
    scan_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def resonant_reach(fig: CavityFigures, run: Run, extra: dict[str, Any] | None = None) -> DetectorReach:
    """Reach and scan rate of a resonant cavity tuned over ``fig.frequency`` (the reach grid).

    The coupling reached on resonance in ``run.time_per_step`` (:func:`cavity_coupling_reach`), the
    rate at the target coupling (:func:`cavity_scan_rate`, ``run.units`` cavities) and the scan time
    of the grid by the trapezoid rule.
    """
    f = fig.frequency
    g_target = coupling_function(run.target)(f)  # 1/J
    g1 = cavity_coupling_reach(fig.volume, fig.form_factor, fig.q_loaded, run.coupling, run.t_sys, run.b_field, f,
                               run.time_per_step, snr=run.snr, rho=run.rho)
    rate = cavity_scan_rate(g_target, fig.volume, fig.form_factor, fig.q_loaded, run.coupling, run.t_sys,
                            run.b_field, f, snr=run.snr, rho=run.rho, units=run.units)
    nan = np.full(f.shape, np.nan)
    return DetectorReach(f, g1, g_target * GeV, rate, fig.volume, fig.form_factor, fig.q0, fig.q_loaded, nan,
                         scan_time(f, rate), {} if extra is None else dict(extra))
