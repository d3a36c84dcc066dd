"""The stages of a booster analysis, shared by ``emboost fit``, ``emboost mc`` and ``emboost derive``.

Each stage takes typed inputs (arrays, settings objects from :mod:`emboost.jobs.sections`, earlier
stages' results) and returns a frozen result; none reads or writes files or prints. The jobs load
their inputs once (:class:`emboost.jobs.inputs.Inputs`), call these functions and write the results.

* :func:`calibration_stage` — Y-factor gain, T_rec and ``c_cal`` with uncertainties (physics.md A.9-A.11);
* :func:`booster_fit_stage` — the reflectivity fit (physics.md §2.3);
* :func:`noise_standards_stage` — LNA noise parameters and standards' delays, with the spread of fits
  to the +-1 sigma calibration band (physics.md §2.6);
* :func:`line_delay_stage` — the booster-LNA line delay from a broadband T_sys spectrum;
* :func:`mirror_gap_stage` — the mirror gap from a narrowband T_sys spectrum;
* :func:`montecarlo_model` / :func:`montecarlo_stage` — the delivered boost-factor band (physics.md §2.8);
* :func:`reach_stage` — the |g_ag| reach per sample with the relative T_sys uncertainty drawn per sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emboost.booster.model import Booster
from emboost.core.errors import DataFileError, EmboostError, InputError, PhysicsError, RecipeError
from emboost.core.reprs import short_repr
from emboost.fit.booster import BoosterFitResult, Observable, fit_booster, observables_from_s11
from emboost.fit.core import FitResult, ParameterSpec
from emboost.fit.noise import STANDARDS, DelayFit, GapFit, StandardsFit, fit_line_delay, fit_standards, refit_mirror_gap
from emboost.jobs.sections import DelaySettings, FitOptions, MonteCarloSettings, NoiseSigmaSettings
from emboost.mc.engine import Convergence, LinearPropagation, MonteCarloModel, MonteCarloResult, TsysSpectrum
from emboost.noise.amplifier import LNA, NoiseSources, system_temperature
from emboost.noise.calibration import ENRTable, ReceiverCalibration
from emboost.noise.spectra import Spectrum

__all__ = ["reason", "MeasuredData", "CalibrationSettings", "CalibrationCurve", "standards_data",
           "calibration_stage", "spectrum_tsys", "tsys_spectrum", "booster_fit_stage", "NoiseStandardsResult",
           "noise_standards_stage", "LineDelayResult", "line_delay_stage", "MirrorGapResult", "mirror_gap_stage",
           "montecarlo_model", "MonteCarloBand", "montecarlo_stage", "ReachResult", "reach_stage", "LNA_NAMES"]

LNA_NAMES = ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase")


def reason(exc: BaseException) -> str:
    """The bare reason of an emboost error (without file and key), else its message."""
    r = getattr(exc, "reason", None)
    return r if isinstance(r, str) else str(exc)


# ------------------------------------------------------------------------------------------- measured data
@dataclass(frozen=True, eq=False)
class MeasuredData:
    """A measured complex response: ``frequency`` [Hz] (nf,), ``response`` complex (nf,)."""

    path: Path
    frequency: np.ndarray
    response: np.ndarray
    parameter: str


# -------------------------------------------------------------------------------------------- calibration
@dataclass(frozen=True)
class CalibrationSettings:
    """``[calibration]`` of a campaign (SI; attenuations and ENR sigma in dB)."""

    enr: Path
    yfactor: Path
    on_column: str
    off_column: str
    t_phys: float
    t_phys_sigma: float
    enr_sigma_db: float
    attenuation_db: float
    attenuation_range_db: tuple[float, float] | None
    savgol_window: int
    savgol_order: int


def calibration_stage(spectrum: Spectrum, enr: ENRTable, lna: LNA, c: CalibrationSettings) -> ReceiverCalibration:
    """Y-factor calibration from the on/off power spectra (Savitzky-Golay smoothed, paper §4.1)."""
    from scipy.signal import savgol_filter

    from emboost.noise.calibration import calibrate_receiver, savgol_noise

    for col in (c.on_column, c.off_column):
        if spectrum.kinds.get(col) != "power":
            raise DataFileError(f"column {col!r} must be a power (W or dBm)", path=c.yfactor, key=col)
    if spectrum.resolution_bandwidth is None:
        raise DataFileError("the Y-factor spectra need '# resolution_bandwidth = ... Hz'", path=c.yfactor)
    f = spectrum.frequency
    w, o = c.savgol_window, c.savgol_order
    raw_on, raw_off = spectrum.column(c.on_column), spectrum.column(c.off_column)
    # the smoothed value's noise is sigma sqrt(h0), h0 the filter's centre weight
    e = np.zeros(w)
    e[w // 2] = 1.0
    h0 = float(savgol_filter(e, w, o)[w // 2])
    on, off = savgol_filter(raw_on, w, o), savgol_filter(raw_off, w, o)
    s_on = np.asarray(savgol_noise(raw_on, w, o, relative=True)) * math.sqrt(h0)
    s_off = np.asarray(savgol_noise(raw_off, w, o, relative=True)) * math.sqrt(h0)
    gl = lna.gamma_at(f)
    try:
        return calibrate_receiver(f, on, off, enr, c.t_phys, spectrum.resolution_bandwidth,
                                  attenuation_db=c.attenuation_db, attenuation_range_db=c.attenuation_range_db,
                                  gamma_rec=gl, sigma_t_phys=c.t_phys_sigma, sigma_p_on=s_on, sigma_p_off=s_off)
    except InputError as exc:
        if exc.path is None:
            raise DataFileError(exc.reason, path=c.yfactor) from None
        raise
    except PhysicsError as exc:  # e.g. T_rec <= 0: a dead noise source or a wrong ENR table; name the inputs
        raise DataFileError(f"{exc} (on/off spectra: {c.yfactor})", path=c.enr) from None


@dataclass(frozen=True, eq=False)
class CalibrationCurve:
    """The calibration factor ``c_cal`` [K/W] and its 1-sigma on ``frequency`` [Hz], all (nf,)."""

    frequency: np.ndarray
    c_cal: np.ndarray
    sigma_c_cal: np.ndarray

    @classmethod
    def of(cls, cal: ReceiverCalibration, f: np.ndarray) -> CalibrationCurve:
        return cls(np.asarray(f, float), np.asarray(cal.c_cal), np.asarray(cal.sigma_c_cal))

    @property
    def relative_sigma(self) -> np.ndarray:
        return self.sigma_c_cal / self.c_cal


def spectrum_tsys(spectrum: Spectrum, column: str, cal: CalibrationCurve | None) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies [Hz] and T_sys [K] of a spectrum column: temperatures as they are, powers times c_cal."""
    f, y = spectrum.frequency, spectrum.column(column)
    kind = spectrum.kinds.get(column)
    if kind == "temperature":
        return f, y
    if kind != "power" or cal is None:
        raise DataFileError(f"column {column!r} must be a power [W, dBm] or a temperature [K], got {kind}",
                            path=spectrum.path, key=column)
    fc = np.asarray(cal.frequency)
    if f[0] < fc[0] * (1 - 1e-12) or f[-1] > fc[-1] * (1 + 1e-12):
        raise DataFileError(f"the spectrum spans {f[0]:.6g}..{f[-1]:.6g} Hz, outside the calibrated band "
                            f"{fc[0]:.6g}..{fc[-1]:.6g} Hz (no extrapolation of c_cal)", path=spectrum.path)
    return f, y * np.interp(f, fc, np.asarray(cal.c_cal))


def tsys_spectrum(spectrum: Spectrum, column: str, cal: CalibrationCurve | None, noise: NoiseSigmaSettings,
                  lna: LNA) -> TsysSpectrum:
    """A T_sys spectrum with its per-bin sigma and the LNA reflection at its frequencies."""
    f, t = spectrum_tsys(spectrum, column, cal)
    return TsysSpectrum(f, t, noise.sigma(t), lna.gamma_at(f))


# ------------------------------------------------------------------------------------------- booster fit
def booster_fit_stage(data: MeasuredData, base: Booster, specs: Sequence[ParameterSpec],
                      observables: Sequence[Observable], options: FitOptions) -> BoosterFitResult:
    """The booster reflectivity fit of ``data`` (checked against the model's band)."""
    try:
        base.check_band(data.frequency)
    except EmboostError as exc:
        raise DataFileError(f"the data band does not suit the setup: {reason(exc)}", path=data.path) from None
    f = data.frequency
    return fit_booster(f, observables_from_s11(f, data.response), base, specs, observables, method=options.method,
                       max_nfev=options.max_nfev, prefit=options.prefit_complex, jacobian=options.jacobian,
                       starts=options.starts, seed=options.seed, spread=options.spread)


# ------------------------------------------------------------------------------------- noise standards
@dataclass(frozen=True, eq=False)
class NoiseStandardsResult:
    """The standards fit, and each LNA parameter's 1-sigma: fit error and calibration-band half spread combined."""

    fit: StandardsFit
    frequency: np.ndarray
    data: Mapping[str, np.ndarray]
    sigma: Mapping[str, np.ndarray]
    stderr: Mapping[str, float]
    calibration_band: Mapping[str, float]
    lna_sigma: Mapping[str, float]
    calibration_relative_sigma: float

    @property
    def result(self) -> FitResult:
        return self.fit.result

    @property
    def sources(self) -> NoiseSources:
        return self.fit.sources

    def values(self) -> dict[str, float]:
        return {n: float(np.asarray(getattr(self.fit.sources, n))) for n in LNA_NAMES}


def noise_standards_stage(f: np.ndarray, data: Mapping[str, np.ndarray], noise: NoiseSigmaSettings,
                          gamma_lna: np.ndarray, t_phys: float, specs: Sequence[ParameterSpec], *,
                          method: str = "least_squares",
                          calibration_relative_sigma: float = 0.0) -> NoiseStandardsResult:
    """Fit the LNA noise sources and standards' delays to T_sys [K] of ``short``, ``open``, ``load``.

    With ``calibration_relative_sigma`` r > 0 the data are also fitted scaled by 1 +- r (paper §4.3) and half
    the spread of each parameter is combined with its fit error.
    """
    sigma = {k: noise.sigma(v) for k, v in data.items()}
    by = {s.name: s for s in specs}
    bounds = ((by["tau_open"].minimum, by["tau_open"].maximum), (by["tau_short"].minimum, by["tau_short"].maximum))
    spec_list = list(specs)

    def run(scale: float) -> StandardsFit:
        return fit_standards(f, {k: v * scale for k, v in data.items()}, {k: v * scale for k, v in sigma.items()},
                             gamma_lna, t_phys, *bounds, specs=spec_list, method=method)

    fit = run(1.0)
    res = fit.result
    stderr = {n: res.error(n) for n in LNA_NAMES}
    band = {n: 0.0 for n in LNA_NAMES}
    r_cal = calibration_relative_sigma
    if r_cal > 0 and res.converged and not res.at_bound:
        hi, lo = run(1 + r_cal).sources, run(1 - r_cal).sources
        for n in LNA_NAMES:
            a, b = float(np.asarray(getattr(hi, n))), float(np.asarray(getattr(lo, n)))
            band[n] = abs(float(np.angle(np.exp(1j * (a - b))))) / 2 if n == "rho_phase" else abs(a - b) / 2
    lna_sigma = {n: math.hypot(stderr[n], band[n]) for n in LNA_NAMES}
    return NoiseStandardsResult(fit=fit, frequency=np.asarray(f, float), data=dict(data), sigma=sigma, stderr=stderr,
                                calibration_band=band, lna_sigma=lna_sigma, calibration_relative_sigma=r_cal)


# ------------------------------------------------------------------------------------------- line delay
@dataclass(frozen=True, eq=False)
class LineDelayResult:
    """The line-delay fit and the T_sys model [K] at the fitted delay on the spectrum's frequencies."""

    fit: DelayFit
    spectrum: TsysSpectrum
    model: np.ndarray


def line_delay_stage(spectrum: TsysSpectrum, booster: Booster, t_phys: float, sources: NoiseSources,
                     delay: DelaySettings) -> LineDelayResult:
    """Fit the one-way booster-LNA delay [s] to a broadband T_sys spectrum."""
    f, gl = spectrum.frequency, spectrum.gamma_lna
    gb = booster.response(f).s11
    d = fit_line_delay(f, gb, t_phys, sources, gl, spectrum.t_sys, spectrum.sigma, delay.bounds,
                       line_loss_db=delay.line_loss_db)
    model = system_temperature(f, gb, t_phys, sources, gl, delay=d.tau, line_loss_db=delay.line_loss_db)
    return LineDelayResult(d, spectrum, np.asarray(model))


# ------------------------------------------------------------------------------------------- mirror gap
@dataclass(frozen=True, eq=False)
class MirrorGapResult:
    """The mirror-gap refit, the moved booster and the T_sys model [K] on the spectrum's frequencies."""

    fit: GapFit
    spectrum: TsysSpectrum
    booster: Booster
    model: np.ndarray


def mirror_gap_stage(spectrum: TsysSpectrum, booster: Booster, tau: float, t_phys: float, sources: NoiseSources,
                     gap_range: tuple[float, float], grid_points: int, line_loss_db: float = 0.0) -> MirrorGapResult:
    """Refit the mirror-to-first-disk gap [m] of ``booster`` to a narrowband T_sys spectrum."""
    f, gl = spectrum.frequency, spectrum.gamma_lna
    g = refit_mirror_gap(f, booster, tau, t_phys, sources, gl, spectrum.t_sys, spectrum.sigma, gap_range,
                         n_grid=grid_points, line_loss_db=line_loss_db)
    moved = booster.with_mirror_gap(g.gap)
    model = system_temperature(f, moved.response(f).s11, t_phys, sources, gl, delay=tau, line_loss_db=line_loss_db)
    return MirrorGapResult(g, spectrum, moved, np.asarray(model))


# ------------------------------------------------------------------------------------------- Monte-Carlo
def montecarlo_model(fit: BoosterFitResult, lna: LNA, lna_sigma: Sequence[float], t_phys: float,
                     broadband: TsysSpectrum, narrowband: TsysSpectrum | None, delay: DelaySettings,
                     frequency: np.ndarray, settings: MonteCarloSettings, frequency_sigma: float,
                     gap_range: tuple[float, float] | None, gap_grid: int,
                     where: str | Path | None = None) -> tuple[MonteCarloModel, dict[str, float]]:
    """The prepared :class:`~emboost.mc.engine.MonteCarloModel` (nominal refits, per-sample windows).

    ``lna.sources`` are the mean LNA noise parameters, ``lna_sigma`` their 1-sigma (SI, order of
    :data:`LNA_NAMES`); ``gap_range`` None switches the mirror-gap refit off. Errors about the band
    name ``where`` (the recipe) and the key ``band``.
    """
    from emboost.mc.engine import prepare_model

    f = np.asarray(frequency, float)
    pad = 6 * frequency_sigma + (f[1] - f[0])
    try:
        fit.base.check_band(f)
        lna.gamma_at(np.array([f[0] - pad, f[-1] + pad]))
    except EmboostError as exc:
        raise RecipeError(f"the band {f[0]:.6g}..{f[-1]:.6g} Hz (padded by 6 frequency sigma) does not suit the "
                          f"model or the LNA data: {reason(exc)}", path=where, key="band") from None
    if not np.all(np.isfinite(fit.fit.covariance)):
        raise RecipeError("the booster fit has no covariance (not converged): nothing to sample from",
                          path=where, key="booster")
    model = MonteCarloModel(
        booster_fit=fit, center=fit.fit.free_values, covariance=fit.fit.covariance, parameter_names=fit.fit.free,
        lna=lna, lna_sigma=np.asarray(lna_sigma, float), t_phys=t_phys, broadband=broadband,
        delay_bounds=delay.bounds, frequency=f, field_shape_sigma=settings.field_shape_sigma,
        frequency_sigma=frequency_sigma, narrowband=narrowband, gap_bounds=gap_range, gap_grid=gap_grid,
        line_loss_db=delay.line_loss_db)
    return prepare_model(model, delay.bounds, settings.delay_window, settings.gap_window if gap_range else None)


@dataclass(frozen=True, eq=False)
class MonteCarloBand:
    """The Monte-Carlo samples and their statistics: ``mean``/``std`` (nf,), ``quantiles`` (nq, nf)."""

    result: MonteCarloResult
    quantile_levels: tuple[float, ...]
    mean: np.ndarray
    std: np.ndarray
    quantiles: np.ndarray
    convergence: Convergence
    linear: LinearPropagation | None

    @property
    def converged(self) -> bool:
        return bool(self.convergence.converged)

    @property
    def convergence_message(self) -> str:
        return self.convergence.message

    @property
    def frequency(self) -> np.ndarray:
        return self.result.frequency

    @property
    def peak(self) -> int:
        return int(np.argmax(self.mean))


def montecarlo_stage(model: MonteCarloModel, samples: int, seed: int | Sequence[int], settings: MonteCarloSettings, *,
                     workers: int | None = None, scheduler: str | None = None, checkpoint: Path | None = None,
                     fresh: bool = True, quiet: bool = True, label: str = "mc",
                     on_chunk: Callable[[int], None] | None = None) -> MonteCarloBand:
    """Run the Monte-Carlo (checkpointed in ``checkpoint``) and compute the band statistics."""
    from emboost.mc.engine import band_statistics, linear_propagation, run_montecarlo

    res = run_montecarlo(model, samples, seed, chunk_size=settings.chunk_size, workers=workers, scheduler=scheduler,
                         checkpoint=checkpoint, fresh=fresh, quiet=quiet, label=label, on_chunk=on_chunk)
    stats = band_statistics(res.boost, settings.quantiles)
    conv = res.convergence(settings.convergence_window, settings.convergence_tolerance)
    lin = linear_propagation(model) if settings.linear_check else None
    return MonteCarloBand(result=res, quantile_levels=settings.quantiles, mean=stats["mean"], std=stats["std"],
                          quantiles=np.asarray(stats["quantiles"]), convergence=conv, linear=lin)


# ------------------------------------------------------------------------------------------------ reach
@dataclass(frozen=True, eq=False)
class ReachResult:
    """|g_ag| [GeV^-1] per sample ``g`` (n, nf), at the nominal boost ``g_nominal`` (nf,), its quantiles
    (nq, nf), the T_sys [K] and its relative 1-sigma used, the axion linewidth [Hz] and the QCD lines."""

    __repr__ = short_repr

    frequency: np.ndarray
    g: np.ndarray
    g_nominal: np.ndarray
    g_quantiles: np.ndarray
    t_sys: np.ndarray
    t_sys_relative_sigma: np.ndarray
    linewidth: np.ndarray
    lines: Mapping[str, np.ndarray]

    @property
    def g_median(self) -> np.ndarray:
        return np.asarray(np.median(self.g, axis=0))


def reach_stage(boost: np.ndarray, nominal: np.ndarray, f: np.ndarray, t_sys: np.ndarray,
                t_sys_relative_sigma: np.ndarray | float, seed: int | Sequence[int], *, area: float, b_field: float,
                rho: float, time: float, snr: float, q_a: float | None,
                quantiles: Sequence[float]) -> ReachResult:
    """The reach per boost-factor sample (MADMAX eq. 1.1), T_sys drawn per sample as
    ``t_sys (1 + r z)``, ``z ~ N(0, 1)`` one per sample (the calibration scale is common to the band),
    seeded by ``SeedSequence([*seed, 1])``; the nominal reach uses the mean T_sys."""
    from emboost.mc.engine import reach_samples
    from emboost.reach.sensitivity import axion_linewidth, qcd_lines

    seeds = [int(seed)] if isinstance(seed, (int, np.integer)) else [int(s) for s in seed]
    rel = np.broadcast_to(np.asarray(t_sys_relative_sigma, float), f.shape)
    z = np.random.Generator(np.random.PCG64(np.random.SeedSequence([*seeds, 1]))).standard_normal((boost.shape[0], 1))
    t_samples = t_sys[None, :] * (1 + rel[None, :] * z)
    dnu = axion_linewidth(f, q_a)
    g = reach_samples(boost, f, t_samples, area, b_field, time, snr=snr, rho=rho, linewidth=dnu)
    g_nom = reach_samples(np.asarray(nominal)[None, :], f, t_sys, area, b_field, time, snr=snr, rho=rho,
                          linewidth=dnu)[0]
    gq = np.quantile(g, list(quantiles), axis=0)
    return ReachResult(frequency=f, g=g, g_nominal=g_nom, g_quantiles=gq, t_sys=t_sys,
                       t_sys_relative_sigma=np.asarray(rel), linewidth=np.asarray(dnu), lines=qcd_lines(f))


def standards_data(spectrum: Spectrum, cal: CalibrationCurve | None, columns: Mapping[str, str] | None = None,
                   keep: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Frequencies [Hz] and T_sys [K] of the short/open/load columns of a standards spectrum."""
    cols = columns or {k: k for k in STANDARDS}
    meas = {}
    f = spectrum.frequency
    for k in STANDARDS:
        f, meas[k] = spectrum_tsys(spectrum, cols[k], cal)
    if keep is not None:
        f = f[keep]
        meas = {k: v[keep] for k, v in meas.items()}
    return f, meas
