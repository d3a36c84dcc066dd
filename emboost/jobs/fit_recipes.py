"""The ``emboost fit`` recipe kinds: ``booster_reflectivity``, ``resonance``, ``noise_standards``, ``tsys_line_delay``.

Each kind has a loader (recipe file -> frozen recipe object with its data read through one
:class:`~emboost.jobs.inputs.Inputs`) and a runner ``run_*(path, top, out, quiet) -> int`` that calls the
shared stages (:mod:`emboost.jobs.stages`) and writes fit.json, CSV files and PNGs into ``out``. Every fit's verdict
(:class:`emboost.fit.core.Verdict`) is written into fit.json and printed; exit status 0, or 3 when a verdict failed
(results written and flagged; one line on stderr names the failed check).
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emboost.booster.model import Booster
from emboost.booster.setup import BoosterSetup
from emboost.core.errors import InputError
from emboost.core.setupfile import Table
from emboost.fit.booster import BoosterFitResult, Observable, booster_parameter_defaults
from emboost.fit.core import ParameterSpec, Verdict
from emboost.fit.noise import STANDARDS, delivered_boost_factor, standards_parameter_defaults
from emboost.jobs.files import write_csv
from emboost.jobs.inputs import Inputs
from emboost.jobs.recipes import display_value, recipe_header
from emboost.jobs.resonance_recipes import (  # noqa: F401  (the resonance kind, re-exported for the registry)
    ResonanceRecipe,
    load_resonance_recipe,
    resonance_stage,
    run_resonance_recipe,
)
from emboost.jobs.sections import (
    DataSettings,
    DelaySettings,
    FitOptions,
    NarrowbandSettings,
    NoiseSigmaSettings,
    WindowSettings,
    data_section,
    delay_section,
    fit_section,
    lna_section,
    narrowband_section,
    noise_section,
    observables_section,
    parameter_specs,
    resolve_path,
    window_section,
)
from emboost.jobs.stages import (
    LineDelayResult,
    MeasuredData,
    MirrorGapResult,
    NoiseStandardsResult,
    booster_fit_stage,
    line_delay_stage,
    mirror_gap_stage,
    noise_standards_stage,
    standards_data,
    tsys_spectrum,
)
from emboost.mc.engine import TsysSpectrum
from emboost.noise.amplifier import NoiseSources

__all__ = ["read_measured_data", "BoosterFitRecipe", "load_booster_fit_recipe", "fit_recipe", "run_booster_recipe",
           "booster_fit_document", "ResonanceRecipe", "load_resonance_recipe", "run_resonance_recipe",
           "StandardsRecipe", "load_standards_recipe", "run_standards_recipe", "LineDelayRecipe",
           "load_line_delay_recipe", "run_line_delay_recipe", "report_verdict"]


# ------------------------------------------------------------------------------------------------ data
def read_measured_data(d: DataSettings, window: WindowSettings | None, inputs: Inputs) -> MeasuredData:
    """Read the file of a ``[data]`` section and cut it to the ``[window]``."""
    from emboost.rf.touchstone import parse_parameter_name, read_columns

    if d.format == "touchstone":
        ts = inputs.touchstone(d.file)
        i, j = parse_parameter_name(d.parameter, ts.nports, path=d.recipe, key="data.parameter")
        f, s = ts.frequency, ts.s[:, i, j]
    else:
        assert d.columns is not None and d.frequency_unit is not None
        try:
            f, s = read_columns(d.file, list(d.columns), frequency_unit=d.frequency_unit)
        except InputError as exc:
            if exc.key is None:
                raise
            raise InputError(exc.reason, path=d.recipe, key=f"data.{exc.key}") from None
    if window is not None:
        keep = window.mask(f)
        f, s = f[keep], s[keep]
    else:
        WindowSettings(None, None, str(d.recipe)).mask(f)
    return MeasuredData(path=d.file, frequency=np.asarray(f, float), response=np.asarray(s, complex),
                        parameter=d.parameter)


# ------------------------------------------------------------------------------------ booster reflectivity
@dataclass(frozen=True, eq=False)
class BoosterFitRecipe:
    """A parsed ``kind = "booster_reflectivity"`` recipe with its data and setup read."""

    path: Path
    name: str
    data: MeasuredData
    setup: BoosterSetup
    observables: tuple[Observable, ...]
    specs: tuple[ParameterSpec, ...]
    options: FitOptions


def load_booster_fit_recipe(path: str | Path, top: Table | None = None,
                            inputs: Inputs | None = None) -> BoosterFitRecipe:
    """Parse and check a booster reflectivity recipe (reads its setup and data files)."""
    inputs = inputs if inputs is not None else Inputs()
    path = Path(path)
    top, name = recipe_header(path, top, "booster_reflectivity")
    model = top.table("model")
    setup = inputs.setup(resolve_path(path, model.string("setup")))
    model.finish()
    data = read_measured_data(data_section(top, path), window_section(top), inputs)
    try:
        setup.booster.check_band(data.frequency)
    except Exception as exc:
        raise top.fail("window", f"the data band does not suit the setup: {exc}") from None
    obs = observables_section(top)
    params = top.table("parameters")
    per_disk = any(str(k).startswith("phase_thickness_") for k in params.data)
    specs = parameter_specs(params, booster_parameter_defaults(setup.booster, per_disk))
    if not any(s.vary for s in specs):
        raise top.fail("parameters", "no parameter varies")
    options = fit_section(top, prefit=True)
    top.finish()
    return BoosterFitRecipe(path=path, name=name, data=data, setup=setup, observables=obs, specs=tuple(specs),
                            options=options)


def fit_recipe(path: str | Path, top: Table | None = None,
               inputs: Inputs | None = None) -> tuple[BoosterFitResult, BoosterFitRecipe]:
    """Load a booster reflectivity recipe and run its fit (no files written)."""
    r = load_booster_fit_recipe(path, top, inputs)
    res = booster_fit_stage(r.data, r.setup.booster, r.specs, r.observables, r.options)
    return res, r


def booster_fit_document(res: BoosterFitResult, name: str, setup: BoosterSetup, parameter: str) -> dict[str, Any]:
    """The ``fit.json`` document of a booster fit (without provenance); :func:`emboost.jobs.mc.load_booster_fit_json`
    reads it back."""
    doc: dict[str, Any] = {"recipe": {"name": name, "kind": "booster_reflectivity", "setup": str(setup.path),
                                      "data_parameter": parameter}}
    doc.update(res.to_dict(setup.frequencies))
    doc["converged"] = res.fit.converged
    doc["at_bound"] = list(res.fit.at_bound)
    doc["verdict"] = res.verdict().to_dict()
    return doc


def report_verdict(name: str, verdicts: dict[str, Verdict], quiet: bool) -> int:
    """Print the verdicts of a fit job (the checks on stdout unless ``quiet``; a failure as one line on stderr,
    ``emboost fit: <name>: verdict failed: [<fit>: ]<check>: <why>``) and return the exit status, 0 or 3."""
    if not quiet:
        for label, v in verdicts.items():
            head = f"verdict{f' ({label})' if len(verdicts) > 1 else ''}: {'ok' if v.ok else 'FAILED'}"
            print(head + "; " + ", ".join(f"{c.name} {'ok' if c.passed else 'FAILED'}" for c in v.checks))
    bad = [(label, v) for label, v in verdicts.items() if not v.ok]
    if not bad:
        return 0
    label, v = bad[0]
    which = f"{label}: " if len(verdicts) > 1 else ""
    print(f"emboost fit: {name}: verdict failed: {which}{v.reason}", file=sys.stderr)
    return 3


def write_s11_outputs(out: Path, f: np.ndarray, measured: np.ndarray, model: np.ndarray, what: str,
                      prefix: str = "") -> list[str]:
    """The measured and the fitted S11 as Touchstone one-ports (``<prefix>data.s1p``, ``<prefix>model.s1p``:
    Hz, RI, exact) and their Smith/polar chart (``<prefix>s11_smith.png``); returns the file names."""
    from emboost.report.plots_smith import s11_smith_polar_png
    from emboost.rf.skrf_bridge import reflection_network, write_touchstone

    write_touchstone(reflection_network(f, measured, name="data"), out / f"{prefix}data.s1p",
                     comments=(what, "measured S11 (the data of the fit)"))
    write_touchstone(reflection_network(f, model, name="model"), out / f"{prefix}model.s1p",
                     comments=(what, "fitted model S11 on the data's frequencies"))
    s11_smith_polar_png(out / f"{prefix}s11_smith.png", {"measured": (f, measured), "fitted": (f, model)},
                        title=what)
    return [f"{prefix}data.s1p", f"{prefix}model.s1p", f"{prefix}s11_smith.png"]


def run_booster_recipe(path: Path, top: Table, out: Path, quiet: bool = False) -> int:
    """Run a booster reflectivity recipe into ``out``: fit.json, CSVs, PNGs (the Smith/polar chart of measured vs
    fitted S11 among them), ``data.s1p`` and ``model.s1p``. Returns 0 or 3."""
    from emboost.core.output import atomic_write_json, provenance
    from emboost.report.plots import booster_response_png, power_delay_png

    res, r = fit_recipe(path, top)
    f = r.data.frequency
    doc = booster_fit_document(res, r.name, r.setup, r.data.parameter)
    doc["provenance"] = provenance([path, r.setup.path, r.data.path])
    atomic_write_json(out / "fit.json", doc)
    d, m = res.data, res.model
    s = r.data.response
    ms = m["s11"]
    write_csv(out / "data_model.csv", {
        "frequency_Hz": f, "data_re": s.real, "data_im": s.imag, "model_re": ms.real, "model_im": ms.imag,
        "data_power_db": d["reflected_power_db"], "model_power_db": m["reflected_power_db"],
        "residual_power_db": d["reflected_power_db"] - m["reflected_power_db"],
        "data_group_delay_s": d["group_delay"], "model_group_delay_s": m["group_delay"],
        "residual_group_delay_s": d["group_delay"] - m["group_delay"]},
        comments=[f"emboost booster reflectivity fit: {r.name}"])
    fb = r.setup.frequencies
    bf, sbf = res.boost_factor(fb, with_error=True)
    write_csv(out / "boost_factor.csv", {"frequency_Hz": fb, "boost_factor": bf, "boost_factor_stderr": sbf},
                     comments=["boost factor of the fitted model, 1-sigma from the fit covariance (linear)"])
    write_s11_outputs(out, f, s, ms, f"emboost booster reflectivity fit: {r.name}")
    power_delay_png(out / "fit_power_delay.png", f, s, ms, title=f"{r.name}: booster reflectivity",
                    power_db=(d["reflected_power_db"], m["reflected_power_db"]),
                    delay=(d["group_delay"], m["group_delay"]))
    resp = res.booster().response(fb)
    booster_response_png(out / "fitted_booster.png", fb, resp.boost_factor, resp.reflected_power_db,
                         resp.group_delay, title=f"{r.name}: fitted model")
    if not quiet:
        print(f"{r.name}: reduced chi2 = {res.fit.redchi:.3g}, peak boost factor {bf.max():.0f} at "
              f"{fb[np.argmax(bf)] / 1e9:.4f} GHz; results in {out}")
        for n in res.fit.free:
            u = res.fit.units[res.fit.names.index(n)]
            print(f"  {n} = {display_value(res.fit.value(n), u):.6g} +- {display_value(res.fit.error(n), u):.2g}"
                  f"{'' if u == '1' else ' ' + u} (1-sigma from the fit covariance)")
    return report_verdict(r.name, {"booster fit": res.verdict()}, quiet)


# ------------------------------------------------------------------------------------------- resonance
# the resonance kind lives in emboost.jobs.resonance_recipes (imported above for the recipe registry)


# ------------------------------------------------------------------------------------- noise standards
@dataclass(frozen=True, eq=False)
class StandardsRecipe:
    """A parsed ``kind = "noise_standards"`` recipe."""

    path: Path
    name: str
    spectra: Path
    lna_s11: Path
    columns: dict[str, str]
    t_phys: float
    window: WindowSettings | None
    noise: NoiseSigmaSettings
    specs: tuple[ParameterSpec, ...]
    method: str


def load_standards_recipe(path: Path, top: Table | None = None) -> StandardsRecipe:
    """Parse a noise-standards recipe (see docs/noise.md)."""
    top, name = recipe_header(path, top, "noise_standards", "noise standards")
    data = top.table("data")
    spec_path = resolve_path(path, data.string("spectra"))
    lna_path = resolve_path(path, data.string("lna_s11"))
    cols = {k: data.string(f"{k}_column", k) for k in STANDARDS}
    data.finish()
    std = top.table("standards")
    t_phys = float(std.quantity("t_phys", "temperature", minimum=0.0))
    std.finish()
    noise = noise_section(top)
    window = window_section(top)
    ptab = top.table("parameters")
    specs = parameter_specs(ptab, standards_parameter_defaults())
    method = fit_section(top).method
    top.finish()
    by = {s.name: s for s in specs}
    for k in ("tau_open", "tau_short"):
        if k not in by or not (np.isfinite(by[k].minimum) and np.isfinite(by[k].maximum)):
            raise ptab.fail(k, "give the delay with finite min and max (the grid search needs its range)")
    return StandardsRecipe(path, name, spec_path, lna_path, cols, t_phys, window, noise, tuple(specs), method)


def standards_recipe_stage(r: StandardsRecipe, inputs: Inputs) -> NoiseStandardsResult:
    """The noise-standards stage on a recipe's data (spectra in K, no calibration band)."""
    spec = inputs.spectrum(r.spectra, list(r.columns.values()))
    keep = r.window.mask(spec.frequency) if r.window is not None else None
    f, meas = standards_data(spec, None, r.columns, keep)
    gl = inputs.lna(r.lna_s11).gamma_at(f)
    return noise_standards_stage(f, meas, r.noise, gl, r.t_phys, r.specs, method=r.method)


def run_standards_recipe(path: Path, top: Table, out: Path, quiet: bool = False) -> int:
    """Recipe kind ``noise_standards``: fit LNA noise sources and standard delays (see docs/noise.md)."""
    from emboost.core.output import atomic_write_json, provenance

    r = load_standards_recipe(path, top)
    st = standards_recipe_stage(r, Inputs())
    fit, res = st.fit, st.result
    verdict = fit.verdict()
    summary = {"recipe": str(path), "name": r.name, "kind": "noise_standards", "t_phys_K": r.t_phys,
               "fit": res.to_dict(), "verdict": verdict.to_dict(), "noise_parameters_z0_50": fit.noise_parameters(),
               "t_e_50ohm_K": float(fit.sources.noise_temperature(50.0)),
               "provenance": provenance([path, r.spectra, r.lna_s11])}
    atomic_write_json(out / "fit.json", summary)
    columns = {"frequency_Hz": st.frequency}
    for k in STANDARDS:
        columns[f"{k}_K"] = st.data[k]
        columns[f"{k}_model_K"] = fit.model[k]
        columns[f"{k}_sigma_K"] = fit.sigma[k]
    write_csv(out / "model.csv", columns, comments=[f"emboost noise_standards fit of {r.spectra.name}"])
    if not quiet:
        for i, n in enumerate(res.names):
            u = res.units[i]
            print(f"{n:10s} = {display_value(res.values[i], u):.6g} +- {display_value(res.stderr[i], u):.3g}"
                  f"{'' if u == '1' else ' ' + u} (1-sigma from the fit covariance)")
        print(f"reduced chi^2 = {res.redchi:.3f}; results in {out}")
    return report_verdict(r.name, {"noise standards": verdict}, quiet)


# ------------------------------------------------------------------------------------- tsys line delay
@dataclass(frozen=True, eq=False)
class LineDelayRecipe:
    """A parsed ``kind = "tsys_line_delay"`` recipe (paths resolved, SI values). ``booster`` is a setup file,
    or with ``booster_from_fit`` a booster reflectivity recipe whose fitted booster is used."""

    path: Path
    name: str
    spectrum: Path
    column: str
    lna_s11: Path
    booster: Path
    booster_from_fit: bool
    t_phys: float
    sources: NoiseSources
    delay: DelaySettings
    noise: NoiseSigmaSettings
    narrowband: NarrowbandSettings | None
    window: WindowSettings | None

    def inputs(self) -> list[Path]:
        return [self.path, self.spectrum, self.lna_s11] + ([self.narrowband.spectrum] if self.narrowband else [])


def load_line_delay_recipe(path: str | Path, top: Table | None = None) -> LineDelayRecipe:
    """Parse a ``tsys_line_delay`` recipe (see docs/noise.md); data files are not read."""
    path = Path(path)
    top, name = recipe_header(path, top, "tsys_line_delay", "T_sys line delay")
    data = top.table("data")
    spectrum = resolve_path(path, data.string("spectrum"))
    column = data.string("column", "t_sys")
    lna_path = resolve_path(path, data.string("lna_s11"))
    if ("booster" in data) == ("booster_fit" in data):
        raise data.fail("booster", "give exactly one of 'booster' (a setup file) or 'booster_fit' "
                                   "(a booster reflectivity recipe whose fitted booster is used)")
    from_fit = "booster_fit" in data
    model_path = resolve_path(path, data.string("booster_fit" if from_fit else "booster"))
    data.finish()
    sources = lna_section(top.table("lna"))
    bt = top.table("booster")
    t_phys = float(bt.quantity("t_phys", "temperature", minimum=0.0))
    bt.finish()
    delay = delay_section(top)
    noise = noise_section(top)
    nb = narrowband_section(top, path)
    window = window_section(top)
    top.finish()
    return LineDelayRecipe(path, name, spectrum, column, lna_path, model_path, from_fit, t_phys, sources, delay,
                           noise, nb, window)


def broadband_spectrum(r: LineDelayRecipe, inputs: Inputs, sources: NoiseSources | None = None) -> TsysSpectrum:
    """The recipe's broadband T_sys spectrum (cut to its [window]) with sigma and LNA reflection."""
    spec = inputs.spectrum(r.spectrum, [r.column])
    ts = tsys_spectrum(spec, r.column, None, r.noise, inputs.lna(r.lna_s11, sources))
    if r.window is None:
        return ts
    keep = r.window.mask(ts.frequency)
    return TsysSpectrum(ts.frequency[keep], ts.t_sys[keep], r.noise.sigma(ts.t_sys[keep]), ts.gamma_lna[keep])


def narrowband_spectrum(r: LineDelayRecipe, inputs: Inputs) -> TsysSpectrum | None:
    """The recipe's narrowband T_sys spectrum, if it has one."""
    if r.narrowband is None:
        return None
    spec = inputs.spectrum(r.narrowband.spectrum, [r.narrowband.column])
    return tsys_spectrum(spec, r.narrowband.column, None, r.noise, inputs.lna(r.lna_s11))


def line_delay_recipe_booster(r: LineDelayRecipe, inputs: Inputs) -> tuple[Booster, list[Path]]:
    """The booster of a line-delay recipe (the setup's, or fitted by the named recipe) and its extra inputs."""
    if r.booster_from_fit:
        fitted, fit_r = fit_recipe(r.booster, inputs=inputs)
        return fitted.booster(), [fit_r.setup.path, fit_r.data.path]
    return inputs.setup(r.booster).booster, []


def run_line_delay_recipe(path: Path, top: Table, out: Path, quiet: bool = False) -> int:
    """Recipe kind ``tsys_line_delay``: booster + line + LNA, tau fit then mirror-gap refit."""
    from emboost.core.output import atomic_write_json, provenance

    r = load_line_delay_recipe(path, top)
    inputs = Inputs()
    booster, extra_inputs = line_delay_recipe_booster(r, inputs)
    bb = broadband_spectrum(r, inputs)
    d: LineDelayResult = line_delay_stage(bb, booster, r.t_phys, r.sources, r.delay)
    tau = d.fit.tau
    verdicts = {"line delay": d.fit.verdict()}
    summary: dict[str, Any] = {"recipe": str(path), "name": r.name, "kind": "tsys_line_delay",
                               "delay": dataclasses.asdict(d.fit) | {"verdict": verdicts["line delay"].to_dict()},
                               "t_phys_K": r.t_phys}
    write_csv(out / "broadband.csv", {"frequency_Hz": bb.frequency, "t_sys_K": bb.t_sys, "model_K": d.model,
                                             "sigma_K": bb.sigma},
                     comments=[f"emboost tsys_line_delay fit of {r.spectrum.name}: tau = {tau:.6e} s"])
    inputs_used = [path, r.spectrum, r.lna_s11, r.booster, *extra_inputs]
    nb = narrowband_spectrum(r, inputs)
    if nb is not None and r.narrowband is not None:
        g: MirrorGapResult = mirror_gap_stage(nb, booster, tau, r.t_phys, r.sources, r.narrowband.gap_range,
                                              r.narrowband.grid_points, r.delay.line_loss_db)
        fn = nb.frequency
        resp = g.booster.response(fn)
        b2 = delivered_boost_factor(fn, resp.boost_factor, resp.s11, nb.gamma_lna, tau)
        verdicts["mirror gap"] = g.fit.verdict()
        summary["mirror_gap"] = dataclasses.asdict(g.fit) | {"model_gap_m": float(booster.gaps[..., 0]),
                                                             "verdict": verdicts["mirror gap"].to_dict()}
        write_csv(out / "narrowband.csv", {"frequency_Hz": fn, "t_sys_K": nb.t_sys, "model_K": g.model,
                                                  "sigma_K": nb.sigma, "boost_matched": resp.boost_factor,
                                                  "boost_delivered": b2},
                         comments=[f"emboost mirror-gap refit of {r.narrowband.spectrum.name}: "
                                   f"gap = {g.fit.gap:.6e} m"])
        inputs_used.append(r.narrowband.spectrum)
    summary["provenance"] = provenance(inputs_used)
    atomic_write_json(out / "fit.json", summary)
    if not quiet:
        print(f"tau = {tau * 1e9:.6f} ns, conditional fit sigma {d.fit.sigma_tau * 1e12:.2g} ps (reduced chi^2 "
              f"{d.fit.redchi:.3f})")
        if "mirror_gap" in summary:
            mg = summary["mirror_gap"]
            print(f"mirror gap = {mg['gap'] * 1e3:.5f} mm, conditional fit sigma {mg['sigma_gap'] * 1e6:.2g} um")
        print(f"results in {out}")
    return report_verdict(r.name, verdicts, quiet)
