"""Typed results of the ``emboost derive`` stages, as cached in ``stages/<name>.json``.

Each stage's result is a frozen dataclass whose fields are the keys of its cached JSON document
(:meth:`to_json` / :meth:`from_json` round-trip exactly: arrays are stored as lists of floats). The summary,
``results.json`` and the report (:mod:`emboost.jobs.derive_report`) read these objects, never the JSON.
Frequencies [Hz], temperatures [K], lengths [m], times [s], couplings [GeV^-1], everything else SI or 1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from emboost.fit.noise import DelayFit
from emboost.mc.engine import Convergence, UncertaintyBudget

__all__ = ["CalibrationResult", "FittedParameter", "BoosterFitSummary", "NoiseFitSummary", "MirrorGapSummary",
           "BandPeak", "MonteCarloSummary", "ReachBest", "ReachSettings", "SensitivitySummary", "CampaignResults",
           "to_json", "JSON", "TruthComparison", "compare_truth", "t_sys_at_peak", "BudgetSummary",
           "budget_summary", "STAGE_UNITS", "UNIT_SUFFIXES", "stage_unit"]

#: a stage result as stored (JSON types; arrays as lists)
JSON = dict[str, object]
T = TypeVar("T")


_LNA = {"sqrt_sv": "V/sqrt(Hz)", "sqrt_si": "A/sqrt(Hz)", "rho_mag": "1", "rho_phase": "rad"}
#: SI unit of every stage-result number whose key carries no unit suffix and is not dimensionless
#: (``results.json`` ``units.keys``; dotted paths below ``stages.<name>.result``)
STAGE_UNITS: dict[str, str] = {
    "line_delay.tau": "s", "line_delay.sigma_tau": "s", "mirror_gap.gap": "m", "mirror_gap.sigma_gap": "m",
    "montecarlo.tau_mean": "s", "montecarlo.tau_std": "s", "montecarlo.gap_mean": "m", "montecarlo.gap_std": "m",
    "montecarlo.nominal_refits.tau": "s", "montecarlo.nominal_refits.gap": "m",
    "montecarlo.convergence.worst_frequency": "Hz",
    "noise_fit.tau_open": "s", "noise_fit.tau_short": "s", "noise_fit.tau_open_stderr": "s",
    "noise_fit.tau_short_stderr": "s", "noise_fit.noise_parameters_z0_50.r_n": "ohm",
    "noise_fit.noise_parameters_z0_50.t_min": "K", "noise_fit.noise_parameters_z0_50.f_min_db": "dB",
    "noise_fit.noise_parameters_z0_50.gamma_opt_phase": "rad",
    **{f"noise_fit.{t}.{k}": u for t in ("sources", "stderr", "calibration_band_half_spread", "lna_sigma")
       for k, u in _LNA.items() if u != "1"},
}
#: key suffix -> SI unit (the suffix names the unit; ``_GeV`` on a coupling means GeV^-1, docs/units.md)
UNIT_SUFFIXES: dict[str, str] = {"_Hz": "Hz", "_s": "s", "_m": "m", "_K": "K", "_dB": "dB", "_T": "T", "_m2": "m^2",
                                 "_J_per_m3": "J/m^3", "_K_per_W": "K/W", "_GeV": "GeV^-1"}


def stage_unit(path: str) -> str:
    """The SI unit of the stage-result number at dotted ``path`` (``"line_delay.tau"`` -> ``"s"``): from
    :data:`STAGE_UNITS`, else the key's suffix (:data:`UNIT_SUFFIXES`), else ``"1"``. Booster parameters carry
    their own ``unit`` field.

    >>> stage_unit("line_delay.tau"), stage_unit("sensitivity.best.t_sys_K"), stage_unit("noise_fit.redchi")
    ('s', 'K', '1')
    """
    if path in STAGE_UNITS:
        return STAGE_UNITS[path]
    last = path.rsplit(".", 1)[-1]
    for suffix, unit in UNIT_SUFFIXES.items():
        if last.endswith(suffix):
            return unit
    return "1"


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
    """A free booster parameter: fitted ``value``, ``stderr`` and start ``initial``, all in the SI ``unit``
    (``"m"``, ``"1"``); ``display_unit`` is the recipe's unit (``"mm"``), used by the report only."""

    value: float
    stderr: float
    unit: str
    display_unit: str
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


@dataclass(frozen=True, eq=False)
class BudgetSummary:
    """The uncertainty budget of the delivered boost factor on the band (every std in boost-factor units).

    ``sources`` (independent, their variances add to ``total_linear``): ``booster_fit`` (fit covariance, with
    the refits following), ``lna`` (LNA noise parameters, through the refits), ``field_shape``,
    ``frequency_shift``; ``paths``: the booster and LNA terms split by the way they act (``direct`` at fixed tau
    and gap, ``tau_refit``, ``gap_refit``) with ``path_cross_variance`` the signed remainder (their
    correlations); ``conditional``: what the conditional fit sigma of tau and gap would add (not in the band);
    ``tau_sigma_s`` [s] and ``gap_sigma_m`` [m]: linear spreads of the refits. ``mc_std``/``mc_std_without_shape``,
    ``mc_mean_without_shape`` and ``mc_quantiles_without_shape``: the Monte-Carlo samples with and without
    their field-shape factor (each sample divided by its drawn factor). The assumed sigmas with their stated
    ``*_source``."""

    field_shape_sigma: float
    field_shape_source: str
    frequency_sigma_Hz: float
    frequency_sigma_source: str
    sources: dict[str, np.ndarray]
    paths: dict[str, np.ndarray]
    path_cross_variance: np.ndarray
    total_linear: np.ndarray
    conditional: dict[str, np.ndarray]
    tau_sigma_s: float
    gap_sigma_m: float
    mc_std: np.ndarray
    mc_std_without_shape: np.ndarray
    mc_mean_without_shape: np.ndarray
    mc_quantiles_without_shape: dict[str, np.ndarray]

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> BudgetSummary:
        return _build(cls, d, **{k: _arrays(d[k]) for k in ("sources", "paths", "conditional",
                                                             "mc_quantiles_without_shape")},
                      **{k: _arr(d[k]) for k in ("path_cross_variance", "total_linear", "mc_std",
                                                 "mc_std_without_shape", "mc_mean_without_shape")})

    def at(self, k: int) -> dict[str, float]:
        """Every contribution at band index ``k`` (std, boost-factor units), by name."""
        out = {f"source_{n}": float(v[k]) for n, v in self.sources.items()}
        out.update({f"path_{n}": float(v[k]) for n, v in self.paths.items()})
        out["path_cross_variance"] = float(self.path_cross_variance[k])
        out.update({f"conditional_{n}": float(v[k]) for n, v in self.conditional.items()})
        out["total_linear"] = float(self.total_linear[k])
        out["mc_std"] = float(self.mc_std[k])
        out["mc_std_without_field_shape"] = float(self.mc_std_without_shape[k])
        return out


def budget_summary(budget: UncertaintyBudget, boost: np.ndarray, shape: np.ndarray, quantiles: Sequence[float],
                   field_shape_source: str, frequency_sigma_Hz: float, frequency_sigma_source: str,
                   field_shape_sigma: float) -> BudgetSummary:
    """The :class:`BudgetSummary` of a linear budget and the Monte-Carlo samples ``boost`` ``(n, nf)`` with their
    drawn field-shape factors ``shape`` ``(n,)``."""
    from emboost.mc.engine import band_statistics

    full = band_statistics(boost, ())
    ns = band_statistics(boost / shape[:, None], quantiles)
    paths = {"direct": budget.channels["direct"], "tau_refit": budget.channels["tau_refit"],
             "gap_refit": budget.channels["gap_refit"]}
    # the LNA parameters have no direct path (beta^2 does not depend on them at fixed tau and gap): its
    # numerically zero remainder goes into the cross term
    cross = budget.channel_cross + budget.channels["lna_direct"] ** 2
    return BudgetSummary(field_shape_sigma, field_shape_source, frequency_sigma_Hz, frequency_sigma_source,
                         dict(budget.sources), paths, cross, budget.total, dict(budget.conditional),
                         budget.tau_sigma, budget.gap_sigma, full["std"], ns["std"], ns["mean"],
                         {str(q): v for q, v in zip(quantiles, ns["quantiles"])})


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
    budget: BudgetSummary | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> MonteCarloSummary:
        conv, peak, lin, bud = d["convergence"], d["peak"], d["linear_parts_at_peak"], d.get("budget")
        assert isinstance(conv, Mapping) and isinstance(peak, Mapping)
        return _build(cls, d, budget=None if not isinstance(bud, Mapping) else BudgetSummary.from_json(bud),
                      frequency=_arr(d["frequency"]), mean=_arr(d["mean"]), std=_arr(d["std"]),
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

    def variables(self, samples: Mapping[str, np.ndarray] | None = None,
                  booster_names: Sequence[str] = (), booster_units: Sequence[str] | None = None) -> dict[str, object]:
        """The variables of ``results.nc`` in the schema shared with ``emboost mc`` (:mod:`emboost.mc.ncschema`).

        ``samples``: the per-sample arrays of the Monte-Carlo (``montecarlo/boost_samples.npz``: ``boost``,
        ``tau``, ``gap``, ``shape``, ``shift``, ``booster``, ``lna``, and ``tau_redchi``, ``on_bound``, ``g`` when
        stored); without them only the band is described."""
        from emboost.mc.ncschema import sample_variables

        mc, sn = self.montecarlo, self.sensitivity
        q = [float(x) for x in mc.quantiles]
        v: dict[str, object] = {
            "frequency": (("frequency",), mc.frequency), "quantile": (("quantile",), np.array(q)),
            "boost_mean": (("frequency",), mc.mean), "boost_std": (("frequency",), mc.std),
            "boost_quantiles": (("quantile", "frequency"), np.array([mc.quantiles[k] for k in mc.quantiles])),
            "boost_nominal": (("frequency",), mc.nominal),
            "t_sys": (("frequency",), sn.t_sys), "g_median": (("frequency",), sn.g_median),
            "g_quantiles": (("quantile", "frequency"), np.array([sn.g_quantiles[k] for k in mc.quantiles])),
        }
        if mc.linear_std is not None:
            v["boost_linear_std"] = (("frequency",), mc.linear_std)
        bud = mc.budget
        if bud is not None:
            for n, x in bud.sources.items():
                v[f"budget_{n}_std"] = (("frequency",), x)
            for n, x in bud.paths.items():
                v[f"budget_path_{n}_std"] = (("frequency",), x)
            v["budget_total_linear_std"] = (("frequency",), bud.total_linear)
            v["boost_std_without_field_shape"] = (("frequency",), bud.mc_std_without_shape)
        if samples is not None:
            b = np.asarray(samples["boost"])
            n = b.shape[0]
            nan = np.full(n, np.nan)
            v.update(sample_variables(b, samples["tau"], samples["gap"], samples.get("tau_redchi", nan),
                                      samples["shape"], samples["shift"],
                                      samples.get("on_bound", np.zeros(n, bool)), samples["booster"],
                                      list(booster_names), booster_units, samples["lna"]))
            if "g" in samples:
                v["g"] = (("sample", "frequency"), samples["g"])
            if "g_nominal" in samples:
                v["g_nominal"] = (("frequency",), samples["g_nominal"])
            v["peak_boost"] = (("sample",), b[:, int(np.argmax(mc.mean))])
        return v

    def to_xarray(self, samples: Mapping[str, np.ndarray] | None = None, booster_names: Sequence[str] = (),
                  booster_units: Sequence[str] | None = None, attrs: Mapping[str, object] | None = None) -> object:
        """This run's results as an ``xarray.Dataset`` (the ``results.nc`` schema, :meth:`variables`);
        needs xarray (``pip install 'emboost[netcdf]'``), imported here only."""
        from emboost.mc.ncschema import global_attributes, to_dataset

        a = global_attributes("emboost derive results", "emboost derive (emboost.jobs.derive)",
                              samples=self.montecarlo.samples, seed=self.montecarlo.seed)
        return to_dataset(self.variables(samples, booster_names, booster_units),  # type: ignore[arg-type]
                          a | dict(attrs or {}))


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
