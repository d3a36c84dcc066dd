"""The ``emboost fit`` recipe kind ``resonance``: one resonator of any measurement type (docs/fitting.md).

A recipe names its data (Touchstone with the S-parameter to use, or text columns with an optional number of
header lines), the measurement type and, only where the defaults do not suit, the model options. Loader:
recipe file -> frozen :class:`ResonanceRecipe` (data read); runner: fit.json, data_model.csv, model.s1p and the
overview PNG; exit status 0, or 3 when the verdict fails (results written and flagged).

>>> from emboost.core.setupfile import Table
>>> m = model_section(Table({"type": "notch", "delay": "12 ns"}, path="r.toml", prefix="model"))
>>> m.kind, round(m.delay * 1e9, 6), m.leakage
('notch', 12.0, 'auto')
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import FitError, InputError
from emboost.core.setupfile import Table
from emboost.fit.core import ParameterSpec
from emboost.fit.resonance import (
    KINDS,
    Config,
    ResonanceFit,
    default_parameters,
    fit_resonance,
    initial_guess,
    skrf_qfactor,
)
from emboost.jobs.files import write_csv
from emboost.jobs.inputs import Inputs
from emboost.jobs.recipes import recipe_header
from emboost.jobs.sections import (
    FIT_METHODS,
    WindowSettings,
    parameter_specs,
    resolve_path,
    window_section,
)
from emboost.jobs.stages import MeasuredData

__all__ = ["ResonanceModel", "ResonanceRecipe", "model_section", "load_resonance_recipe", "resonance_stage",
           "run_resonance_recipe", "resonance_summary", "skrf_cross_check"]


@dataclass(frozen=True)
class ResonanceModel:
    """``[model]``: the measurement ``kind`` and the model options of :func:`emboost.fit.resonance.fit_resonance`
    (SI; ``delay`` "auto", "free", "fixed" or seconds)."""

    kind: str
    scale: float | None = None
    background: str = "constant"
    leakage: str = "auto"
    detuning: str = "linear"
    delay: str | float = "auto"
    cable_length: float | None = None
    velocity_factor: float = 1.0
    touching_circle: bool = True


def model_section(m: Table) -> ResonanceModel:
    """Parse ``[model]``: ``type``, ``scale`` or ``thru`` (|S21| of the thru: scale = 1/thru), ``background``,
    ``leakage``, ``detuning``, ``delay`` ("auto", "free", "fixed" or a time), ``cable_length`` (a length, removed
    beforehand) with ``velocity_factor``, ``touching_circle``."""
    kind = m.string("type", choices=KINDS)
    scale = m.number("scale", None, minimum=0.0)
    thru = m.number("thru", None, minimum=0.0)
    if scale is not None and thru is not None:
        raise m.fail("thru", "give 'scale' (MAT 58's A) or 'thru' (|S21| of the thru, A = 1/thru), not both")
    if (scale is not None and scale <= 0) or (thru is not None and thru <= 0):
        raise m.fail("scale" if scale is not None else "thru", "must be > 0 (omit it to normalise to the background)")
    if thru is not None:
        scale = 1.0 / float(thru)
    background = m.string("background", "constant", choices=("constant", "slope"))
    leakage = m.string("leakage", "auto", choices=("auto", "none", "constant", "linear"))
    detuning = m.string("detuning", "linear", choices=("linear", "exact"))
    raw = m.raw("delay", "auto")
    named = isinstance(raw, str) and raw.strip() in ("auto", "free", "fixed")
    delay: str | float = raw.strip() if named else float(m.quantity("delay", "time"))
    cable = m.quantity("cable_length", "length", None, minimum=0.0)
    vf = m.number("velocity_factor", 1.0, minimum=0.0)
    if not 0 < vf <= 1:
        raise m.fail("velocity_factor", f"must be in (0, 1], got {vf!r}")
    touching = m.boolean("touching_circle", True)
    m.finish()
    try:
        Config(kind, background, leakage, detuning)
    except InputError as exc:
        raise m.fail(exc.key or "type", exc.reason) from None
    return ResonanceModel(kind, None if scale is None else float(scale), background, leakage, detuning, delay,
                          None if cable is None else float(cable), float(vf), touching)


@dataclass(frozen=True, eq=False)
class ResonanceRecipe:
    """A parsed ``kind = "resonance"`` recipe with its data read."""

    path: Path
    name: str
    data: MeasuredData
    model: ResonanceModel
    sigma: float | None
    specs: tuple[ParameterSpec, ...] | None
    method: str
    max_nfev: int | None
    guess: str
    cross_check: bool
    weighting: str

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def scale(self) -> float | None:
        return self.model.scale


def _data(top: Table, recipe: Path, inputs: Inputs) -> MeasuredData:
    """``[data]`` (``file``, ``fallback``, ``parameter`` or ``format = "columns"`` with ``columns``,
    ``frequency_unit`` and ``header`` lines) cut to ``[window]``."""
    from emboost.rf.touchstone import COLUMN_KINDS, parse_parameter_name, read_columns

    d = top.table("data")
    file = resolve_path(recipe, d.string("file"))
    fallback = d.string("fallback", None)
    if fallback is not None and not file.exists():
        file = resolve_path(recipe, fallback)
    fmt = d.string("format", "touchstone", choices=("touchstone", "columns"))
    parameter = d.string("parameter", "S11")
    if fmt == "touchstone":
        d.finish()
        ts = inputs.touchstone(file)
        i, j = parse_parameter_name(parameter, ts.nports, path=recipe, key="data.parameter")
        f, s = ts.frequency, ts.s[:, i, j]
    else:
        raw = d.raw("columns")
        if not (isinstance(raw, list) and all(isinstance(c, str) for c in raw)):
            raise d.fail("columns", f"expected a list of column names from {list(COLUMN_KINDS)}")
        if "frequency_unit" not in d:
            raise d.fail("frequency_unit", "give the unit of the frequency column (Hz, kHz, MHz, GHz or THz)")
        unit = d.string("frequency_unit")
        header = int(d.number("header", 0, integer=True, minimum=0))
        d.finish()
        try:
            f, s = read_columns(file, list(raw), frequency_unit=unit, header=header)
        except InputError as exc:
            if exc.key is None:
                raise
            raise InputError(exc.reason, path=recipe, key=f"data.{exc.key}") from None
    window = window_section(top)
    keep = (window if window is not None else WindowSettings(None, None, str(recipe))).mask(f)
    return MeasuredData(path=file, frequency=np.asarray(f, float)[keep], response=np.asarray(s, complex)[keep],
                        parameter=parameter if fmt == "touchstone" else "")


def load_resonance_recipe(path: str | Path, top: Table | None = None, inputs: Inputs | None = None) -> ResonanceRecipe:
    """Parse and check a resonance recipe (reads its data file); errors name the file and key."""
    inputs = inputs if inputs is not None else Inputs()
    path = Path(path)
    top, name = recipe_header(path, top, "resonance")
    data = _data(top, path, inputs)
    model = model_section(top.table("model"))
    sigma = None
    if "noise" in top:
        nz = top.table("noise")
        sigma = nz.number("sigma", None, minimum=0.0)
        if sigma is not None and sigma <= 0:
            raise nz.fail("sigma", "must be > 0 (noise of each real and imaginary part, linear)")
        nz.finish()
    ft = top.table("fit", {})
    method = ft.string("method", "least_squares", choices=FIT_METHODS)
    max_nfev = ft.number("max_nfev", None, integer=True, minimum=1)
    guess = ft.string("guess", "linear", choices=("linear", "skrf"))
    cross = ft.boolean("cross_check", True)
    weighting = ft.string("weighting", "angular", choices=("angular", "uniform"))
    ft.finish()
    specs = None
    if "parameters" in top:
        cfg = Config(model.kind, model.background, model.leakage, model.detuning)
        g = initial_guess(data.frequency, data.response, model.kind, config=cfg)  # type: ignore[arg-type]
        parsed = parameter_specs(top.table("parameters"), default_parameters(data.frequency, g, model.kind, cfg))
        specs = tuple(ParameterSpec(sp.name, sp.value, sp.minimum, sp.maximum, sp.vary, sp.unit) for sp in parsed)
    top.finish()
    return ResonanceRecipe(path=path, name=name, data=data, model=model, sigma=sigma, specs=specs, method=method,
                           max_nfev=None if max_nfev is None else int(max_nfev), guess=guess, cross_check=cross,
                           weighting=weighting)


def resonance_stage(r: ResonanceRecipe) -> ResonanceFit:
    """The resonance fit of a parsed recipe."""
    m = r.model
    return fit_resonance(r.data.frequency, r.data.response, m.kind, sigma=r.sigma,  # type: ignore[arg-type]
                         scale=m.scale, specs=None if r.specs is None else list(r.specs), method=r.method,
                         guess=r.guess, delay=m.delay, cable_length=m.cable_length,  # type: ignore[arg-type]
                         velocity_factor=m.velocity_factor, background=m.background, leakage=m.leakage,
                         weighting=r.weighting, detuning=m.detuning, touching_circle=m.touching_circle,
                         max_nfev=r.max_nfev)


def resonance_summary(res: ResonanceFit, name: str) -> str:
    """The one-paragraph summary printed by ``emboost fit``: values with errors, the coupling in the words of the
    measurement type, and the residuals against the noise level (given or estimated)."""
    d, e = res.derived, res.derived_stderr
    lines = [f"{name}: {res.kind} resonance, f0 = {res.f0 / 1e9:.9f} +- {res.fit.error('f0') / 1e3:.2g} kHz, "
             f"Q_L = {res.loaded_q:.6g} +- {e['loaded_q']:.2g}, Q0 = {d['unloaded_q']:.6g} +- {e['unloaded_q']:.2g}"]
    if res.kind == "reflection":
        lines.append(f"  beta = {d['coupling']:.4f} +- {e['coupling']:.2g} ({res.regime}; group-delay sign says "
                     f"{res.regime_from_delay}); circle diameter {d['circle_diameter']:.4f}")
    elif res.kind == "transmission":
        lines.append(f"  beta per port = {d['coupling']:.4g} +- {e['coupling']:.2g} ({res.regime}; two equal ports "
                     f"assumed); circle diameter {d['circle_diameter']:.4g}"
                     + ("" if res.scale is not None else " (no thru scale given: A = 1)"))
    else:
        lines.append(f"  |Qc| = {d['coupling_q_abs']:.6g} +- {e['coupling_q_abs']:.2g}, Re(1/Qc) = "
                     f"{d['coupling_q_re_inverse']:.4g}, Q0/Qc = {d['coupling']:.4g} ({res.regime})")
    fr = res.fit
    noise = f"given sigma {res.noise:.3g}" if res.noise_given else f"noise estimated from the residuals {res.noise:.3g}"
    stat = (f"chi2 = {fr.chisqr:.4g} for {fr.nfree} degrees of freedom (probability {fr.chi2_probability:.3g})"
            if res.noise_given and fr.chi2_probability is not None else "errors scaled to the residuals")
    lines.append(f"  {noise} per real/imaginary part; {stat}; weighting {res.weighting}, delay {res.delay_mode}")
    return "\n".join(lines)


def run_resonance_recipe(path: Path, top: Table, out: Path, quiet: bool = False) -> int:
    """Run a resonance recipe into ``out``: fit.json, data_model.csv, model.s1p, the overview PNG. Returns 0 or 3."""
    from emboost.core.output import atomic_write_json, provenance
    from emboost.report.plots_resonance import resonance_overview_png
    from emboost.rf.network import group_delay

    r = load_resonance_recipe(path, top)
    res = resonance_stage(r)
    doc: dict[str, Any] = {"recipe": {"name": r.name, "kind": "resonance", "type": r.kind,
                                      "data_parameter": r.data.parameter}}
    doc.update(res.to_dict())
    doc["converged"] = res.fit.converged
    doc["at_bound"] = list(res.fit.at_bound)
    cross: dict[str, Any] | None = None
    if r.cross_check and res.verdict().ok:  # a fit that fails its own checks needs no cross-check
        cross = skrf_cross_check(res, r.data.frequency, r.data.response, r.scale)
        doc["cross_check_skrf_qfactor"] = cross
    verdict = res.verdict(cross)
    doc["verdict"] = verdict.to_dict()
    doc["provenance"] = provenance([path, r.data.path])
    atomic_write_json(out / "fit.json", doc)
    f, s = r.data.frequency, r.data.response
    m = res.model()
    write_csv(out / "data_model.csv", {
        "frequency_Hz": f, "data_re": s.real, "data_im": s.imag, "model_re": m.real, "model_im": m.imag,
        "residual_re": (s - m).real, "residual_im": (s - m).imag,
        "data_db": 20 * np.log10(np.abs(s)), "model_db": 20 * np.log10(np.abs(m)),
        "data_group_delay_s": group_delay(f, s), "model_group_delay_s": group_delay(f, m)},
        comments=[f"emboost resonance fit ({r.kind}): {r.name}"])
    _write_model_touchstone(out / "model.s1p", f, m, r.kind, r.name, r.data.parameter)
    resonance_overview_png(out / "fit_overview.png", res, title=f"{r.name}: {r.kind} resonance",
                           parameter=r.data.parameter if r.data.parameter else None)
    if not quiet:
        print(resonance_summary(res, r.name) + f"\n  results in {out}")
    if not verdict.ok:
        print(f"emboost fit: {r.name}: verdict failed: {verdict.reason}", file=sys.stderr)
    return 0 if verdict.ok else 3


def skrf_cross_check(res: ResonanceFit, f: np.ndarray, s: np.ndarray, scale: float | None) -> dict[str, Any]:
    """scikit-rf's Qfactor with the MAT 58 method that matches the fitted model (NLQFIT8 with a linear leakage,
    NLQFIT6 with the delay fixed, NLQFIT7 otherwise), its weighted plan "fwfwc" first and its unweighted plan "c"
    when that fails (its start, the |S| extremum, can be thrown off by a leakage); the error otherwise."""
    method = ("NLQFIT8" if res.config.leakage == "linear" else
              "NLQFIT6" if res.delay_mode in ("fixed", "removed") else "NLQFIT7")
    errors = []
    for plan in ("fwfwc", "c"):
        try:
            out: dict[str, Any] = dict(skrf_qfactor(f, s, res.kind, scale, method=method,  # type: ignore[arg-type]
                                                    loop_plan=plan))
            out["loop_plan"] = plan
            return out
        except FitError as exc:
            errors.append(f"{plan}: {exc}")
    return {"error": "; ".join(errors), "method": method}


def _write_model_touchstone(path: Path, f: np.ndarray, m: np.ndarray, kind: str, name: str,
                            parameter: str | None) -> None:
    """The fitted model as a Touchstone v1 one-port (Hz, RI, repr precision) through
    :func:`emboost.rf.skrf_bridge.write_touchstone`. A transmission or notch fit knows one S-parameter only
    (S21): its model is stored in the single column of the one-port file, as the comment lines say."""
    from emboost.rf.skrf_bridge import reflection_network, write_touchstone

    what = "reflection S11" if kind == "reflection" else f"{parameter or 'S21'} (the {kind} parameter fitted, " \
        "stored in the one-port column)"
    write_touchstone(reflection_network(f, m, name="model"), path,
                     comments=(f"emboost {kind} resonance model: {name}", f"model of the {what}"))
