"""Typed results of the ``emboost derive`` stages, as cached in ``stages/<name>.json``.

Each stage's result is a frozen dataclass whose fields are the keys of its cached JSON document
(:meth:`to_json` / :meth:`from_json` round-trip exactly: arrays are stored as lists of floats). The summary,
``results.json`` and the report (:mod:`emboost.jobs.derive_report`) read these objects, never the JSON.
Frequencies [Hz], temperatures [K], lengths [m], times [s], couplings [GeV^-1], everything else SI or 1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from emboost.fit.noise import DelayFit
from emboost.mc.engine import Convergence

__all__ = ["CalibrationResult", "FittedParameter", "BoosterFitSummary", "NoiseFitSummary", "MirrorGapSummary",
           "BandPeak", "MonteCarloSummary", "ReachBest", "ReachSettings", "SensitivitySummary", "CampaignResults",
           "to_json", "JSON", "TruthComparison", "compare_truth", "t_sys_at_peak"]

#: a stage result as stored (JSON types; arrays as lists)
JSON = dict[str, object]
T = TypeVar("T")


def to_json(obj: object) -> JSON:
    """The JSON document of a stage result (nested dataclasses as tables)."""
    assert dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    return dataclasses.asdict(obj)


def _arr(v: object) -> np.ndarray:
    return np.asarray(v, dtype=float)


def _floats(v: object) -> dict[str, float]:
    assert isinstance(v, Mapping)
    return {str(k): float(x) for k, x in v.items()}


def _numbers(v: object) -> dict[str, float | int]:
    assert isinstance(v, Mapping)
    return {str(k): x if isinstance(x, int) else float(x) for k, x in v.items()}


def _arrays(v: object) -> dict[str, np.ndarray]:
    assert isinstance(v, Mapping)
    return {str(k): _arr(x) for k, x in v.items()}


def _opt(v: object) -> float | None:
    return None if v is None else float(v)  # type: ignore[arg-type]


def _build(cls: type[T], d: Mapping[str, object], **converted: object) -> T:
    """``cls`` from the JSON table ``d``: the ``converted`` fields as given, the others as stored."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{n: converted[n] if n in converted else d[n] for n in names})


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Y-factor calibration on ``frequency`` (nf,): ``c_cal`` [K/W], ``t_rec`` [K], ``gain`` (linear) with 1-sigma,
    and medians over the band (``c_cal_relative_budget_median``: relative 1-sigma per source)."""

    frequency: np.ndarray
    c_cal: np.ndarray
    sigma_c_cal: np.ndarray
    t_rec: np.ndarray
    sigma_t_rec: np.ndarray
    gain: np.ndarray
    resolution_bandwidth_Hz: float
    c_cal_relative_sigma_median: float
    c_cal_relative_budget_median: dict[str, float]
    t_rec_median_K: float
    gain_median_dB: float

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> CalibrationResult:
        return _build(cls, d, **{k: _arr(d[k]) for k in ("frequency", "c_cal", "sigma_c_cal", "t_rec",
                                                          "sigma_t_rec", "gain")},
                      c_cal_relative_budget_median=_floats(d["c_cal_relative_budget_median"]))


@dataclass(frozen=True)
class FittedParameter:
    """A free booster parameter: fitted ``value`` and ``stderr`` (SI), display ``unit``, start ``initial`` (SI)."""

    value: float
    stderr: float
    unit: str
    initial: float


@dataclass(frozen=True)
class BoosterFitSummary:
    """The booster reflectivity fit: free parameters, fit statistics, data band [Hz] and matched peak boost."""

    parameters: dict[str, FittedParameter]
    redchi: float
    chi2: float
    ndata: int
    chi2_probability: float | None
    rms_s11: float
    points: int
    band_Hz: list[float]
    peak_boost_matched: float
    peak_boost_matched_stderr: float
    peak_frequency_Hz: float
    nominal_peak_boost: float
    nominal_peak_frequency_Hz: float

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> BoosterFitSummary:
        p = d["parameters"]
        assert isinstance(p, Mapping)
        return _build(cls, d, parameters={str(k): FittedParameter(**v) for k, v in p.items()})


@dataclass(frozen=True)
class NoiseFitSummary:
    """LNA noise sources (SI) with fit errors, calibration-band half spreads and their combined 1-sigma;
    standards' delays [s]; noise parameters for a 50 ohm reference."""

    sources: dict[str, float]
    stderr: dict[str, float]
    calibration_band_half_spread: dict[str, float]
    lna_sigma: dict[str, float]
    tau_open: float
    tau_short: float
    tau_open_stderr: float
    tau_short_stderr: float
    redchi: float
    ndata: int
    noise_parameters_z0_50: dict[str, float]
    t_e_50ohm_K: float
    calibration_relative_sigma: float

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> NoiseFitSummary:
        return _build(cls, d, **{k: _floats(d[k]) for k in ("sources", "stderr", "calibration_band_half_spread",
                                                             "lna_sigma", "noise_parameters_z0_50")})


@dataclass(frozen=True)
class MirrorGapSummary:
    """The mirror-gap refit [m] and the gap of the fitted booster at the VNA measurement."""

    gap: float
    sigma_gap: float
    chi2: float
    redchi: float
    ndata: int
    on_bound: bool
    fitted_gap_1_m: float


@dataclass(frozen=True)
class BandPeak:
    """The band at the peak of the Monte-Carlo mean."""

    frequency_Hz: float
    mean: float
    std: float
    nominal: float
    q2_5: float
    q97_5: float
    linear_std: float | None


@dataclass(frozen=True, eq=False)
class MonteCarloSummary:
    """The delivered boost-factor band on ``frequency`` (nf,): ``mean``, ``std``, ``quantiles`` (by level, as
    stored: ``"0.025"``...), best-fit ``nominal``, linear-propagation std; refit statistics and timing."""

    frequency: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    quantiles: dict[str, np.ndarray]
    nominal: np.ndarray
    linear_std: np.ndarray | None
    linear_parts_at_peak: dict[str, float] | None
    samples: int
    seed: int
    convergence: Convergence
    nominal_refits: dict[str, float]
    tau_mean: float
    tau_std: float
    gap_mean: float
    gap_std: float
    samples_on_search_edge: int
    timing: dict[str, float | int]
    peak: BandPeak

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> MonteCarloSummary:
        conv, peak, lin = d["convergence"], d["peak"], d["linear_parts_at_peak"]
        assert isinstance(conv, Mapping) and isinstance(peak, Mapping)
        return _build(cls, d, frequency=_arr(d["frequency"]), mean=_arr(d["mean"]), std=_arr(d["std"]),
                      nominal=_arr(d["nominal"]), quantiles=_arrays(d["quantiles"]),
                      linear_std=None if d["linear_std"] is None else _arr(d["linear_std"]),
                      linear_parts_at_peak=None if lin is None else _floats(lin), convergence=Convergence(**conv),
                      nominal_refits=_floats(d["nominal_refits"]), timing=_numbers(d["timing"]),
                      peak=BandPeak(**peak))

    def quantile(self, level: float) -> np.ndarray:
        return self.quantiles[str(level)]


@dataclass(frozen=True)
class ReachBest:
    """The reach where its median is best: frequency [Hz], median and 95 % band, QCD lines [GeV^-1], T_sys [K]."""

    frequency_Hz: float
    g_median_GeV: float
    g_q2_5_GeV: float
    g_q97_5_GeV: float
    ksvz_GeV: float
    dfsz_GeV: float
    t_sys_K: float


@dataclass(frozen=True)
class ReachSettings:
    """The sensitivity settings used (SI)."""

    snr: float
    time_s: float
    b_field_T: float
    area_m2: float
    dm_density_J_per_m3: float
    q_a: float | None


@dataclass(frozen=True, eq=False)
class SensitivitySummary:
    """The |g_ag| reach on ``frequency`` (nf,): median and quantiles over samples, the T_sys used, QCD lines."""

    frequency: np.ndarray
    t_sys: np.ndarray
    t_sys_source: str
    g_median: np.ndarray
    g_quantiles: dict[str, np.ndarray]
    ksvz: np.ndarray
    dfsz: np.ndarray
    best: ReachBest
    settings: ReachSettings

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> SensitivitySummary:
        best, st = d["best"], d["settings"]
        assert isinstance(best, Mapping) and isinstance(st, Mapping)
        return _build(cls, d, **{k: _arr(d[k]) for k in ("frequency", "t_sys", "g_median", "ksvz", "dfsz")},
                      g_quantiles=_arrays(d["g_quantiles"]), best=ReachBest(**best),
                      settings=ReachSettings(**{k: (_opt(v) if k == "q_a" else float(v))  # type: ignore[arg-type]
                                                for k, v in st.items()}))


@dataclass(frozen=True, eq=False)
class CampaignResults:
    """Every stage's result of one derive run."""

    calibration: CalibrationResult
    booster_fit: BoosterFitSummary
    noise_fit: NoiseFitSummary
    line_delay: DelayFit
    mirror_gap: MirrorGapSummary
    montecarlo: MonteCarloSummary
    sensitivity: SensitivitySummary

    @classmethod
    def from_json(cls, r: Mapping[str, Mapping[str, object]]) -> CampaignResults:
        return cls(CalibrationResult.from_json(r["calibration"]), BoosterFitSummary.from_json(r["booster_fit"]),
                   NoiseFitSummary.from_json(r["noise_fit"]), _build(DelayFit, r["line_delay"]),
                   _build(MirrorGapSummary, r["mirror_gap"]),
                   MonteCarloSummary.from_json(r["montecarlo"]), SensitivitySummary.from_json(r["sensitivity"]))


@dataclass(frozen=True)
class TruthComparison:
    """The recovered band against a stored truth (SYNTHETIC campaigns): true and recovered peaks, the band at
    the true peak, and the fraction of the band where the truth lies inside the 95 % band."""

    label: str
    file: str
    peak: float
    peak_frequency_Hz: float
    band_at_true_peak: list[float]
    peak_inside_95: bool
    recovered_peak: float
    recovered_peak_frequency_Hz: float
    recovered_over_true_peak: float
    fraction_of_band_inside_95: float


def compare_truth(mc: MonteCarloSummary, truth: np.ndarray, label: str, file: str) -> TruthComparison:
    """Compare the Monte-Carlo band with the true curve ``truth`` on the band's frequencies."""
    f = mc.frequency
    lo, hi = mc.quantile(0.025), mc.quantile(0.975)
    kt = int(np.argmax(truth))
    km = int(np.argmax(mc.mean))
    inside = (truth >= lo) & (truth <= hi)
    return TruthComparison(label, file, float(truth[kt]), float(f[kt]), [float(lo[kt]), float(hi[kt])],
                           bool(lo[kt] <= truth[kt] <= hi[kt]), float(mc.mean[km]), float(f[km]),
                           float(mc.mean[km] / truth[kt]), float(np.mean(inside)))


def t_sys_at_peak(R: CampaignResults) -> float:
    """T_sys [K] used for the sensitivity, at the peak of the Monte-Carlo mean."""
    return float(np.interp(R.montecarlo.peak.frequency_Hz, R.sensitivity.frequency, R.sensitivity.t_sys))
