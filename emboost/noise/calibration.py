"""Y-factor power calibration of a receiver (physics.md §1.5, (A.1)-(A.11), (4.1)).

A noise source of excess noise ratio ENR (certificate table, linear interpolation of the dB values
in frequency, no extrapolation) at physical temperature ``T_phys``, behind an attenuator of loss
``L >= 1`` that emits its own thermal noise, is switched on and off at the receiver input:

* ``T_off = T_phys``, ``T_on = T_phys + ENR T_0 / L`` (A.1)-(A.3) (attenuator at ``T_phys``; a different
  attenuator temperature ``T_att`` gives ``T = T_src / L + (1 - 1/L) T_att``);
* ``G = (P_on - P_off) / (k dnu (1 - |G_rec|^2)(T_on - T_off))`` (A.9),
  ``T_rec = (1 - |G_rec|^2)(T_on P_off - T_off P_on) / (P_on - P_off)`` (A.10);
* ``T_sys = c_cal P_meas`` with ``c_cal = 1 / (G k dnu)`` (A.11), which contains the receiver
  noise and the input mismatch factor (A.8).

Uncertainties from the ENR certificate (dB), the attenuator (min-max range, taken as a uniform
distribution: sigma = range / sqrt 12), the physical temperature and the spectrum noise
(Savitzky-Golay residual, (4.1)) are propagated as uncorrelated, by central differences.

>>> import numpy as np
>>> t_on, t_off = hot_cold_temperatures(enr=10 ** 1.5, t_phys=290.0)   # 15 dB ENR, no attenuator
>>> round(float(t_on), 1), float(t_off)
(9460.6, 290.0)
>>> round(float(y_factor_temperature(y_factor(290.0, t_on, t_off), t_on, t_off)), 9)
290.0
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import savgol_filter

from emboost.core.constants import T0_IEEE, k_B
from emboost.core.conventions import ArrayLike
from emboost.core.errors import DataFileError, InputError, PhysicsError
from emboost.core.reprs import short_repr

__all__ = [
    "ENRTable",
    "ReceiverCalibration",
    "hot_cold_temperatures",
    "y_factor",
    "y_factor_temperature",
    "noise_figure_from_y",
    "savgol_noise",
    "calibrate_receiver",
]


@dataclass(frozen=True, eq=False)
class ENRTable:
    """ENR of a noise source vs frequency: ``frequency`` [Hz], ``enr_db`` [dB], ``sigma_db`` [dB]."""

    frequency: np.ndarray
    enr_db: np.ndarray
    sigma_db: float = 0.0
    path: str = ""

    def __post_init__(self) -> None:
        f = np.asarray(self.frequency, dtype=float)
        e = np.asarray(self.enr_db, dtype=float)
        if f.ndim != 1 or f.shape != e.shape or f.size < 1:
            raise InputError(f"ENR table: frequency and enr_db must be 1-D of equal length, got {f.shape}, {e.shape}",
                             path=self.path or None)
        if np.any(np.diff(f) <= 0):
            raise DataFileError("ENR table frequencies must increase strictly", path=self.path or None)
        object.__setattr__(self, "frequency", f)
        object.__setattr__(self, "enr_db", e)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], sigma_db: float = 0.0) -> ENRTable:
        """Read a certificate table (:func:`emboost.noise.spectra.read_enr_table`)."""
        from emboost.noise.spectra import read_enr_table

        f, e = read_enr_table(path)
        return cls(f, e, sigma_db, str(Path(path)))

    def at(self, f: ArrayLike) -> np.ndarray:
        """ENR [dB] at ``f`` [Hz] (linear interpolation in frequency; outside the table is an error)."""
        f = np.asarray(f, dtype=float)
        lo, hi = self.frequency[0], self.frequency[-1]
        if np.any(f < lo) or np.any(f > hi):
            raise InputError(f"frequencies {f.min():.6g}..{f.max():.6g} Hz reach outside the ENR table "
                             f"{lo:.6g}..{hi:.6g} Hz (no extrapolation)", path=self.path or None)
        return np.interp(f, self.frequency, self.enr_db)

    def linear(self, f: ArrayLike) -> np.ndarray:
        """Linear ENR at ``f``."""
        return 10.0 ** (self.at(f) / 10.0)


def hot_cold_temperatures(enr: ArrayLike, t_phys: ArrayLike, attenuation: ArrayLike = 1.0,
                          t_attenuator: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(T_on, T_off)`` [K] at the receiver input, (A.1)-(A.3).

    ``enr`` linear, ``attenuation`` = L >= 1 (linear power loss), ``t_attenuator`` defaults to
    ``t_phys``.
    """
    enr, tp, L = (np.asarray(x, dtype=float) for x in (enr, t_phys, attenuation))
    if np.any(L < 1):
        raise InputError(f"attenuation must be a loss L >= 1 (linear), got {L}")
    ta = tp if t_attenuator is None else np.asarray(t_attenuator, dtype=float)
    t_on = (tp + enr * T0_IEEE) / L + (1 - 1 / L) * ta
    t_off = tp / L + (1 - 1 / L) * ta
    return t_on, t_off


def y_factor(t_e: ArrayLike, t_hot: ArrayLike, t_cold: ArrayLike) -> np.ndarray:
    """``Y = (T_hot + T_e) / (T_cold + T_e)``."""
    te = np.asarray(t_e, dtype=float)
    return (np.asarray(t_hot, dtype=float) + te) / (np.asarray(t_cold, dtype=float) + te)


def y_factor_temperature(y: ArrayLike, t_hot: ArrayLike, t_cold: ArrayLike) -> np.ndarray:
    """``T_e = (T_hot - Y T_cold) / (Y - 1)`` [K] (physics.md §1.5)."""
    y = np.asarray(y, dtype=float)
    if np.any(y <= 1):
        raise InputError("Y-factor must be > 1 (hot power above cold power)")
    return (np.asarray(t_hot) - y * np.asarray(t_cold)) / (y - 1)


def noise_figure_from_y(y: ArrayLike, enr: ArrayLike) -> np.ndarray:
    """Noise factor ``F = ENR / (Y - 1)`` (linear) for a cold source at ``T_0 = 290 K``."""
    return np.asarray(enr) / (np.asarray(y, dtype=float) - 1)


def _sg_hat_center(window: int, order: int) -> float:
    e = np.zeros(window)
    e[window // 2] = 1.0
    return float(savgol_filter(e, window, order, mode="interp")[window // 2])


def savgol_noise(p: ArrayLike, window: int = 21, order: int = 3, *, relative: bool = False,
                 unbiased: bool = True, robust: bool = False) -> np.ndarray | float:
    """Noise of a spectrum from its Savitzky-Golay residual, (4.1): ``sigma^2 = mean((P - P_hat)^2)``.

    ``relative``: estimate ``sigma / P_hat`` instead (noise proportional to the level, as for a
    radiometer) and return the per-bin sigma ``sigma_rel P_hat``. ``unbiased``: divide by
    ``1 - h_0`` (``h_0`` the filter's centre weight), the fraction of white-noise variance left in the
    residual of a least-squares smoother; (4.1) as printed is ``unbiased=False``. ``robust``: use
    ``1.4826 median|r|`` instead of the root mean square, so that a few sharp features of the spectrum
    that the filter cannot follow (a booster resonance) do not inflate the estimate.

    >>> rng = np.random.default_rng(0)
    >>> x = 5.0 + rng.normal(0.0, 0.1, 20000)
    >>> round(float(savgol_noise(x)), 2)
    0.1
    """
    p = np.asarray(p, dtype=float)
    if p.shape[-1] < window:
        raise InputError(f"spectrum of {p.shape[-1]} points is shorter than the Savitzky-Golay window {window}")
    hat = savgol_filter(p, window, order, axis=-1)
    corr = 1.0 - _sg_hat_center(window, order) if unbiased else 1.0
    r = (p - hat) / hat if relative else p - hat
    if robust:
        s = 1.4826 * np.median(np.abs(r), axis=-1) / np.sqrt(corr)
    else:
        s = np.sqrt(np.mean(r**2, axis=-1) / corr)
    return s[..., None] * hat if relative else s


@dataclass(frozen=True, eq=False)
class ReceiverCalibration:
    """Receiver gain ``gain`` [1], noise temperature ``t_rec`` [K] and calibration factor ``c_cal`` [K/W].

    Arrays have the shape of ``frequency`` [Hz]; ``sigma_*`` are the combined standard uncertainties
    and ``budget`` holds each contribution to ``sigma_c_cal`` and ``sigma_t_rec`` separately.
    """

    __repr__ = short_repr

    frequency: np.ndarray
    gain: np.ndarray
    t_rec: np.ndarray
    c_cal: np.ndarray
    sigma_gain: np.ndarray
    sigma_t_rec: np.ndarray
    sigma_c_cal: np.ndarray
    resolution_bandwidth: float
    budget: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def system_temperature(self, p_meas: ArrayLike, sigma_p: ArrayLike = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """``T_sys = c_cal P_meas`` [K] (A.11) and its standard uncertainty (calibration + ``sigma_p``)."""
        p = np.asarray(p_meas, dtype=float)
        t = self.c_cal * p
        sig = np.sqrt((self.sigma_c_cal * p) ** 2 + (self.c_cal * np.asarray(sigma_p, dtype=float)) ** 2)
        return t, sig


def _core(p_on: np.ndarray, p_off: np.ndarray, enr: np.ndarray, L: ArrayLike, tp: ArrayLike, ta: ArrayLike | None,
          mismatch: np.ndarray, rbw: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t_on, t_off = hot_cold_temperatures(enr, tp, L, ta)
    dp = p_on - p_off
    gain = dp / (k_B * rbw * mismatch * (t_on - t_off))
    t_rec = mismatch * (t_on * p_off - t_off * p_on) / dp
    return gain, t_rec, 1.0 / (gain * k_B * rbw)


def _check_plausible(f: np.ndarray, gain: np.ndarray, t_rec: np.ndarray, enr_lin: np.ndarray) -> None:
    """Refuse a calibration that is not physical: a receiver adds noise (``T_rec > 0`` K) and has a positive,
    finite gain. A negative ``T_rec`` means the ENR used is larger than the source really delivered (a dead or
    disconnected noise source, or a wrong ENR table); the error names the ENR and the first frequency."""
    bad = ~np.isfinite(gain) | ~np.isfinite(t_rec)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise PhysicsError(f"Y-factor calibration is not finite at {f[i]:.6g} Hz (gain {gain[i]:.3g}, "
                           f"T_rec {t_rec[i]:.3g} K): check the on/off spectra there")
    if np.any(gain <= 0):
        i = int(np.argmax(gain <= 0))
        raise PhysicsError(f"Y-factor calibration gives a receiver gain {gain[i]:.3g} <= 0 at {f[i]:.6g} Hz: "
                           "the ENR (noise source) input is inconsistent with the on/off spectra")
    if np.any(t_rec <= 0):
        i = int(np.argmax(t_rec <= 0))
        enr_db = 10 * np.log10(enr_lin[i]) if enr_lin[i] > 0 else float("-inf")
        raise PhysicsError(f"Y-factor calibration gives a receiver noise temperature T_rec = {t_rec[i]:.4g} K <= 0 "
                           f"at {f[i]:.6g} Hz with ENR {enr_db:.2f} dB: the on/off power ratio is smaller than this "
                           "ENR can produce (a dead or disconnected noise source, or a wrong ENR table)")


def calibrate_receiver(f: ArrayLike, p_on: ArrayLike, p_off: ArrayLike, enr: ENRTable | ArrayLike, t_phys: float,
                       resolution_bandwidth: float, *, attenuation_db: float = 0.0,
                       attenuation_range_db: tuple[float, float] | None = None, t_attenuator: float | None = None,
                       gamma_rec: ArrayLike = 0.0, sigma_enr_db: float | None = None, sigma_t_phys: float = 0.0,
                       sigma_p_on: ArrayLike | None = None, sigma_p_off: ArrayLike | None = None,
                       window: int = 21, order: int = 3) -> ReceiverCalibration:
    """Y-factor calibration from noise-source-on/off power spectra ``p_on``, ``p_off`` [W] per bin.

    ``enr``: an :class:`ENRTable` (interpolated to ``f``; its ``sigma_db`` is used unless
    ``sigma_enr_db`` is given) or linear ENR values. ``attenuation_db`` and its min-max range,
    ``gamma_rec`` the receiver input reflection, ``resolution_bandwidth`` [Hz]. Spectrum noise:
    ``sigma_p_on``/``sigma_p_off`` [W], estimated with :func:`savgol_noise` (``window``, ``order``)
    when not given.
    """
    f = np.asarray(f, dtype=float)
    p_on = np.asarray(p_on, dtype=float)
    p_off = np.asarray(p_off, dtype=float)
    if p_on.shape != f.shape or p_off.shape != f.shape:
        raise InputError(f"p_on {p_on.shape}, p_off {p_off.shape} and f {f.shape} must have the same shape")
    if np.any(p_on <= p_off):
        i = int(np.argmax(p_on <= p_off))
        raise InputError(f"P_on must exceed P_off at every frequency (first failure at {f[i]:.6g} Hz): "
                         "is the noise source on?")
    if not resolution_bandwidth > 0:
        raise InputError("resolution_bandwidth must be > 0 Hz")
    if isinstance(enr, ENRTable):
        enr_lin = enr.linear(f)
        s_enr = enr.sigma_db if sigma_enr_db is None else sigma_enr_db
    else:
        enr_lin = np.broadcast_to(np.asarray(enr, dtype=float), f.shape)
        s_enr = sigma_enr_db or 0.0
    L = 10 ** (attenuation_db / 10)
    if attenuation_range_db is not None:
        lo, hi = attenuation_range_db
        if not lo <= attenuation_db <= hi:
            raise InputError(f"attenuation {attenuation_db} dB lies outside its range [{lo}, {hi}] dB")
        s_att_db = (hi - lo) / np.sqrt(12.0)
    else:
        s_att_db = 0.0
    mismatch = 1.0 - np.abs(np.asarray(gamma_rec, dtype=complex)) ** 2
    if sigma_p_on is None:
        sigma_p_on = savgol_noise(p_on, window, order, relative=True)
    if sigma_p_off is None:
        sigma_p_off = savgol_noise(p_off, window, order, relative=True)
    s_on = np.broadcast_to(np.asarray(sigma_p_on, dtype=float), f.shape)
    s_off = np.broadcast_to(np.asarray(sigma_p_off, dtype=float), f.shape)
    rbw = float(resolution_bandwidth)

    def run(**kw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        args: dict[str, Any] = dict(p_on=p_on, p_off=p_off, enr=enr_lin, L=L, tp=t_phys, ta=t_attenuator)
        args.update(kw)
        return _core(args["p_on"], args["p_off"], args["enr"], args["L"], args["tp"], args["ta"], mismatch, rbw)

    gain, t_rec, c_cal = run()
    _check_plausible(f, gain, t_rec, enr_lin)
    budget: dict[str, dict[str, np.ndarray]] = {}

    def contribution(name: str, sigma: float | np.ndarray, plus: dict, minus: dict, step: float | np.ndarray) -> None:
        hi, lo = run(**plus), run(**minus)
        budget[name] = {q: np.abs((a - b) / (2 * step)) * sigma for q, a, b in
                        zip(("gain", "t_rec", "c_cal"), hi, lo)}

    d_db = 1e-4
    contribution("enr", s_enr, {"enr": enr_lin * 10 ** (d_db / 10)}, {"enr": enr_lin * 10 ** (-d_db / 10)}, d_db)
    contribution("attenuator", s_att_db, {"L": L * 10 ** (d_db / 10)}, {"L": L * 10 ** (-d_db / 10)}, d_db)
    dt = 1e-3
    ta_p = None if t_attenuator is None else t_attenuator + dt
    ta_m = None if t_attenuator is None else t_attenuator - dt
    contribution("t_phys", sigma_t_phys, {"tp": t_phys + dt, "ta": ta_p}, {"tp": t_phys - dt, "ta": ta_m}, dt)
    hp_on, hp_off = 1e-6 * p_on, 1e-6 * p_off
    contribution("p_on", s_on, {"p_on": p_on + hp_on}, {"p_on": p_on - hp_on}, hp_on)
    contribution("p_off", s_off, {"p_off": p_off + hp_off}, {"p_off": p_off - hp_off}, hp_off)

    def total(q: str) -> np.ndarray:
        return np.sqrt(sum(b[q] ** 2 for b in budget.values()))

    return ReceiverCalibration(frequency=f, gain=gain, t_rec=t_rec, c_cal=c_cal, sigma_gain=total("gain"),
                               sigma_t_rec=total("t_rec"), sigma_c_cal=total("c_cal"), resolution_bandwidth=rbw,
                               budget=budget)
