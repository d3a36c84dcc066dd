"""The whole analysis of a dielectric-haloscope campaign, from Touchstone and spectra to a boost-factor report.

A campaign recipe (``kind = "campaign"``, see docs/derive.md) names every measurement of a booster run:
the booster reflectivity (Touchstone), the LNA reflection, the T_sys spectra of the short/open/load
standards, the Y-factor calibration (ENR table, noise-source on/off spectra), the broadband and narrowband
receiver spectra with the booster connected, the setup file and the Monte-Carlo and sensitivity settings.
:func:`derive` runs the stages of MADMAX's procedure (physics.md §2.1, §2.6-§2.8) in order:

1. ``calibration``  Y-factor gain, T_rec and calibration factor ``c_cal`` with uncertainties (A.9)-(A.11);
2. ``booster_fit``  the reflectivity fit of gaps, phase thickness and tan delta (with covariance);
3. ``noise_fit``    the four LNA noise parameters and the standards' delays; their 1-sigma combines the fit
   error with the spread of fits to the +-1 sigma calibration band (paper §4.3);
4. ``line_delay``   the booster-LNA delay tau from the broadband T_sys (= ``c_cal`` x power);
5. ``mirror_gap``   the mirror gap from the narrowband T_sys taken during the run;
6. ``montecarlo``   the delivered boost-factor band (:func:`emboost.mc.engine.run_montecarlo`);
7. ``sensitivity``  the |g_ag| reach (MADMAX eq. 1.1) per sample, with the calibration's T_sys uncertainty.

Every stage stores its result in ``stages/<name>.json`` with the SHA-256 of its input files, of its
settings and of the stages it depends on. With ``resume=True`` a stage whose key is unchanged is read
back instead of rerun; the Monte-Carlo continues from its chunk checkpoint (``montecarlo/samples/``).
A changed input file or setting recomputes that stage and every later one, and says which file changed.
A fit that fails stops the job (:class:`~emboost.core.errors.FitError`) with the earlier stages' results kept.
The folder then receives ``report.html`` (:mod:`emboost.report.html`), the PNGs, ``results.json``,
CSV files and ``results.nc``.

>>> [s.name for s in STAGES][:3], len(STAGES)
(['calibration', 'booster_fit', 'noise_fit'], 7)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import DataFileError, EmboostError, FitError, InputError, RecipeError
from emboost.core.setupfile import Table, read_toml

__all__ = ["Stage", "STAGES", "CampaignRecipe", "load_campaign", "derive", "DeriveResult", "read_truth"]

FORMAT = "emboost-derive-1"


@dataclass(frozen=True)
class Stage:
    """One step of the analysis: ``name`` (cache file), ``title`` (progress, report), its recipe tables
    (``settings``) and the earlier stages it uses (``needs``)."""

    name: str
    title: str
    settings: tuple[str, ...]
    needs: tuple[str, ...]


STAGES = (
    Stage("calibration", "Y-factor calibration", ("calibration",), ()),
    Stage("booster_fit", "booster reflectivity fit", ("setup", "booster"), ()),
    Stage("noise_fit", "LNA noise-parameter fit", ("receiver", "noise"), ("calibration",)),
    Stage("line_delay", "booster-LNA line delay (tau) fit", ("tsys", "noise", "receiver"),
          ("calibration", "booster_fit", "noise_fit")),
    Stage("mirror_gap", "mirror-gap refit", ("tsys", "noise", "receiver"),
          ("calibration", "booster_fit", "noise_fit", "line_delay")),
    Stage("montecarlo", "Monte-Carlo boost-factor band", ("montecarlo", "band"),
          ("calibration", "booster_fit", "noise_fit", "line_delay", "mirror_gap")),
    Stage("sensitivity", "sensitivity (coupling reach)", ("sensitivity",), ("calibration", "montecarlo")),
)
_BY_NAME = {s.name: s for s in STAGES}


# ----------------------------------------------------------------------------------------------- recipe
@dataclass(frozen=True, eq=False)
class CampaignRecipe:
    """A parsed campaign recipe: resolved paths, SI settings and the raw tables (hashed for the cache)."""

    path: Path
    name: str
    description: str
    raw: dict[str, Any] = field(repr=False)
    setup: Path
    files: dict[str, Path]
    calibration: dict[str, Any]
    booster: dict[str, Any]
    booster_specs: list[Any] = field(repr=False)
    receiver: dict[str, Any]
    receiver_specs: list[Any] = field(repr=False)
    tsys: dict[str, Any]
    noise: tuple[int, int, bool]
    band: tuple[float, float, int] | None
    montecarlo: dict[str, Any]
    sensitivity: dict[str, Any]
    truth: dict[str, Any] | None

    def stage_files(self, stage: str) -> dict[str, Path]:
        """The input files a stage reads, by their role."""
        keys = {"calibration": ["enr", "yfactor", "lna_s11"], "booster_fit": ["setup", "reflectivity"],
                "noise_fit": ["standards", "lna_s11"], "line_delay": ["broadband", "lna_s11"],
                "mirror_gap": ["narrowband", "lna_s11"], "montecarlo": ["broadband", "narrowband", "lna_s11"],
                "sensitivity": ["setup"]}[stage]
        return {k: self.files[k] for k in keys}


def load_campaign(path: str | os.PathLike[str]) -> CampaignRecipe:
    """Parse and check a campaign recipe (paths relative to it); data files are read by the stages.

    >>> r = load_campaign(Path(__file__).parents[2] / "fits" / "cb200_campaign.toml")
    >>> r.montecarlo["samples"], sorted(r.files)[:3]
    (200, ['broadband', 'enr', 'lna_s11'])
    """
    from emboost.booster.setup import load_booster_setup
    from emboost.fit.booster import booster_parameter_defaults
    from emboost.fit.core import parameter_specs
    from emboost.jobs.recipes import recipe_header, resolve_path

    path = Path(path)
    raw = read_toml(path, error=RecipeError)
    top = Table(raw, path=path, error=RecipeError)
    top, name = recipe_header(path, top, "campaign")
    description = str(raw.get("recipe", {}).get("description", ""))
    files: dict[str, Path] = {}

    def file(t: Table, key: str, label: str) -> Path:
        p = Path(os.path.normpath(resolve_path(path, t.string(key))))
        files[label] = p
        return p

    st = top.table("setup")
    setup_path = file(st, "file", "setup")
    st.finish()
    setup = load_booster_setup(setup_path) if setup_path.exists() else None

    ct = top.table("calibration")
    file(ct, "enr", "enr")
    file(ct, "yfactor", "yfactor")
    cal = {"on_column": ct.string("on_column", "p_on"), "off_column": ct.string("off_column", "p_off"),
           "t_phys": float(ct.quantity("t_phys", "temperature", minimum=0.0, exclusive=True)),
           "t_phys_sigma": float(ct.quantity("t_phys_sigma", "temperature", 0.0, minimum=0.0)),
           "enr_sigma_db": float(ct.number("enr_sigma_db", 0.0, minimum=0.0)),
           "attenuation_db": float(ct.number("attenuation_db", 0.0, minimum=0.0)),
           "savgol_window": int(ct.number("savgol_window", 21, integer=True, minimum=5)),
           "savgol_order": int(ct.number("savgol_order", 3, integer=True, minimum=1))}
    rng = ct.raw("attenuation_range_db", None)
    if rng is not None:
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, (int, float)) for x in rng)
                and rng[0] <= cal["attenuation_db"] <= rng[1]):
            raise ct.fail("attenuation_range_db", f"expected [min, max] in dB around attenuation_db, got {rng!r}")
        cal["attenuation_range_db"] = (float(rng[0]), float(rng[1]))
    ct.finish()
    if cal["savgol_window"] % 2 == 0 or cal["savgol_order"] >= cal["savgol_window"]:
        raise RecipeError("savgol_window must be odd and above savgol_order", path=path,
                          key="calibration.savgol_window")

    bt = top.table("booster")
    file(bt, "reflectivity", "reflectivity")
    booster = {"parameter": bt.string("parameter", "S11"),
               "sigma": float(bt.number("sigma", minimum=0.0)),
               "method": bt.string("method", "least_squares", choices=("least_squares", "leastsq")),
               "max_nfev": bt.number("max_nfev", None, integer=True, minimum=1)}
    if booster["sigma"] <= 0:
        raise bt.fail("sigma", "must be > 0 (noise of Re and Im S11)")
    if "window" in bt:
        w = bt.table("window")
        booster["window"] = (float(w.quantity("start", "frequency")), float(w.quantity("stop", "frequency")))
        w.finish()
    ptab = bt.table("parameters")
    if setup is not None:
        per_disk = any(str(k).startswith("phase_thickness_") for k in ptab.data)
        specs = parameter_specs(ptab, booster_parameter_defaults(setup.booster, per_disk))
        if not any(s.vary for s in specs):
            raise bt.fail("parameters", "no parameter varies")
    else:
        specs = []
        ptab.data.clear()
    bt.finish()

    rt = top.table("receiver")
    file(rt, "lna_s11", "lna_s11")
    file(rt, "standards", "standards")
    receiver = {"t_standards": float(rt.quantity("t_standards", "temperature", minimum=0.0, exclusive=True)),
                "calibration_band": rt.boolean("calibration_band", True)}
    from emboost.fit.noise import standards_parameter_defaults

    rspecs = parameter_specs(rt.table("parameters"), standards_parameter_defaults())
    by = {s.name: s for s in rspecs}
    for k in ("tau_open", "tau_short"):
        if k not in by or not (math.isfinite(by[k].minimum) and math.isfinite(by[k].maximum)):
            raise RecipeError("give the delay with finite min and max (the grid search needs its range)",
                              path=path, key=f"receiver.parameters.{k}")
    rt.finish()

    tt = top.table("tsys")
    file(tt, "broadband", "broadband")
    file(tt, "narrowband", "narrowband")
    tsys = {"broadband_column": tt.string("broadband_column", "power"),
            "narrowband_column": tt.string("narrowband_column", "power"),
            "t_booster": float(tt.quantity("t_booster", "temperature", minimum=0.0, exclusive=True)),
            "delay": (float(tt.quantity("delay_min", "time", minimum=0.0)),
                      float(tt.quantity("delay_max", "time", minimum=0.0))),
            "gap": (float(tt.quantity("gap_min", "length", minimum=0.0)),
                    float(tt.quantity("gap_max", "length", minimum=0.0))),
            "gap_grid_points": int(tt.number("gap_grid_points", 141, integer=True, minimum=5))}
    if tsys["delay"][1] <= tsys["delay"][0]:
        raise tt.fail("delay_max", "must be above delay_min")
    if tsys["gap"][1] <= tsys["gap"][0]:
        raise tt.fail("gap_max", "must be above gap_min")
    tt.finish()

    noise = (11, 3, True)
    if "noise" in top:
        nt = top.table("noise")
        noise = (int(nt.number("savgol_window", 11, integer=True, minimum=5)),
                 int(nt.number("savgol_order", 3, integer=True, minimum=1)), nt.boolean("robust", True))
        nt.finish()
        if noise[0] % 2 == 0 or noise[1] >= noise[0]:
            raise RecipeError("savgol_window must be odd and above savgol_order", path=path, key="noise.savgol_window")

    band = None
    if "band" in top:
        b = top.table("band")
        band = (float(b.quantity("start", "frequency", minimum=0.0, exclusive=True)),
                float(b.quantity("stop", "frequency", minimum=0.0, exclusive=True)),
                int(b.number("points", integer=True, minimum=3)))
        b.finish()
        if band[1] <= band[0]:
            raise RecipeError("band.stop must be above band.start", path=path, key="band.stop")

    mt = top.table("montecarlo")
    mc = {"samples": int(mt.number("samples", integer=True, minimum=2)),
          "seed": int(mt.number("seed", integer=True, minimum=0)),
          "chunk_size": int(mt.number("chunk_size", 25, integer=True, minimum=1)),
          "workers": mt.number("workers", None, integer=True, minimum=1),
          "field_shape_sigma": float(mt.quantity("field_shape_sigma", "dimensionless", minimum=0.0)),
          "frequency_sigma": float(mt.quantity("frequency_sigma", "frequency", minimum=0.0)),
          "delay_window": mt.quantity("delay_window", "time", None, minimum=0.0, exclusive=True),
          "gap_window": mt.quantity("gap_window", "length", None, minimum=0.0, exclusive=True),
          "gap_grid_points": int(mt.number("gap_grid_points", 21, integer=True, minimum=5)),
          "convergence_window": int(mt.number("convergence_window", 25, integer=True, minimum=2)),
          "convergence_tolerance": float(mt.number("convergence_tolerance", 0.01, minimum=0.0)),
          "linear_check": mt.boolean("linear_check", True)}
    q = mt.raw("quantiles", [0.025, 0.16, 0.5, 0.84, 0.975])
    if not (isinstance(q, list) and q and all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x < 1
                                               for x in q)):
        raise mt.fail("quantiles", f"expected a list of numbers in (0, 1), got {q!r}")
    for need in (0.025, 0.975):
        if need not in q:
            raise mt.fail("quantiles", "the report's 95 % band needs 0.025 and 0.975 among the quantiles")
    mc["quantiles"] = tuple(float(x) for x in q)
    mt.finish()

    sn = top.table("sensitivity")
    sens = {"time": float(sn.quantity("time", "time", minimum=0.0, exclusive=True)),
            "snr": float(sn.number("snr", 5.0, minimum=0.0)),
            "b_field": sn.quantity("b_field", "magnetic_field", None, minimum=0.0, exclusive=True),
            "dm_density": sn.quantity("dm_density", "energy_density", None, minimum=0.0, exclusive=True),
            "area": sn.quantity("area", "area", None, minimum=0.0, exclusive=True),
            "q_a": sn.number("q_a", None, minimum=1.0)}
    sn.finish()
    if sens["snr"] <= 0:
        raise RecipeError("must be > 0", path=path, key="sensitivity.snr")

    truth = None
    if "truth" in top:
        tr = top.table("truth")
        p = Path(os.path.normpath(resolve_path(path, tr.string("file"))))
        truth = {"file": p, "column": tr.string("column", "delivered_boost_factor"),
                 "t_sys_column": tr.string("t_sys_column", None), "label": tr.string("label", "truth (SYNTHETIC)")}
        tr.finish()
    top.finish()
    return CampaignRecipe(path=path, name=name, description=description, raw=raw, setup=setup_path, files=files,
                          calibration=cal, booster=booster, booster_specs=specs, receiver=receiver,
                          receiver_specs=rspecs, tsys=tsys, noise=noise, band=band, montecarlo=mc, sensitivity=sens,
                          truth=truth)


def read_truth(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Columns of a truth CSV (``#`` comments, a header ``frequency_Hz,...``) by name."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise DataFileError("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"not a readable text file: {exc}", path=path) from None
    rows = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.startswith("#")]
    if len(rows) < 3:
        raise DataFileError("expected a header and at least two rows", path=path)
    names = [x.strip() for x in rows[0][1].split(",")]
    if names[0] != "frequency_Hz":
        raise DataFileError(f"the first column must be 'frequency_Hz', got {names[0]!r}", path=path, line=rows[0][0])
    data = []
    for n, ln in rows[1:]:
        parts = ln.split(",")
        if len(parts) != len(names):
            raise DataFileError(f"expected {len(names)} values, got {len(parts)}", path=path, line=n)
        try:
            data.append([float(x) for x in parts])
        except ValueError:
            raise DataFileError(f"not a number in {ln!r}", path=path, line=n) from None
    a = np.array(data)
    if not np.all(np.isfinite(a)) or np.any(np.diff(a[:, 0]) <= 0):
        raise DataFileError("values must be finite and frequencies strictly increasing", path=path)
    return {nm: a[:, j] for j, nm in enumerate(names)}


# -------------------------------------------------------------------------------------------- the cache
def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _check_file(p: Path) -> str:
    from emboost.core.output import file_sha256

    if not p.exists():
        raise DataFileError("input file not found", path=p)
    if not p.is_file():
        raise DataFileError("input is not a file", path=p)
    return file_sha256(p)


class _Progress:
    """Stage lines on stderr (nothing when quiet)."""

    def __init__(self, quiet: bool, stream: Any = None) -> None:
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream

    def say(self, msg: str) -> None:
        if not self.quiet:
            self.stream.write(msg + "\n")
            self.stream.flush()


@dataclass
class _Context:
    recipe: CampaignRecipe
    out: Path
    resume: bool
    quiet: bool
    samples: int
    seed: int
    workers: int | None
    progress: _Progress
    on_chunk: Callable[[int], None] | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    timing: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, str] = field(default_factory=dict)

    def stage_key(self, stage: Stage) -> tuple[str, dict[str, Any]]:
        r = self.recipe
        # content, not location: a moved campaign folder keeps its cache
        inputs = {k: self.hashes[str(p)] for k, p in r.stage_files(stage.name).items()}
        settings = {k: r.raw.get(k) for k in stage.settings}
        if stage.name == "montecarlo":
            settings["_cli"] = {"samples": self.samples, "seed": self.seed}
        ident = {"format": FORMAT, "stage": stage.name, "inputs": inputs, "settings": _hash(settings),
                 "upstream": {n: self.keys[n] for n in stage.needs}}
        return _hash(ident), ident


def _stage_path(out: Path, name: str) -> Path:
    return out / "stages" / f"{name}.json"


def _load_cached(ctx: _Context, stage: Stage, key: str, ident: dict[str, Any]) -> dict[str, Any] | None:
    from emboost.core.output import file_sha256

    p = _stage_path(ctx.out, stage.name)
    if not p.exists():
        return None
    try:
        doc = json.loads(p.read_text())
        old = doc["identity"]
    except (OSError, ValueError, KeyError, TypeError):
        ctx.changed[stage.name] = "its cached result is unreadable"
        return None
    if doc.get("key") != key:
        why = []
        files = ctx.recipe.stage_files(stage.name)
        for k, h in ident["inputs"].items():
            if old.get("inputs", {}).get(k) != h:
                why.append(f"input file {files[k]} changed")
        if old.get("settings") != ident["settings"]:
            why.append("its recipe settings changed")
        for n, k in ident["upstream"].items():
            if old.get("upstream", {}).get(n) != k:
                why.append(f"stage '{n}' was recomputed")
        ctx.changed[stage.name] = "; ".join(why) or "its identity changed"
        return None
    for f, h in doc.get("outputs", {}).items():
        q = ctx.out / f
        if not q.exists() or file_sha256(q) != h:
            ctx.changed[stage.name] = f"its output {f} is missing or was modified"
            return None
    return doc


def _store(ctx: _Context, stage: Stage, key: str, ident: dict[str, Any], result: dict[str, Any],
           outputs: list[str], seconds: float) -> dict[str, Any]:
    from emboost.core.output import atomic_write_json, file_sha256

    doc = {"format": FORMAT, "stage": stage.name, "title": stage.title, "key": key, "identity": ident,
           "seconds": seconds, "outputs": {f: file_sha256(ctx.out / f) for f in outputs}, "result": result}
    p = _stage_path(ctx.out, stage.name)
    atomic_write_json(p, doc)
    return json.loads(p.read_text())


# ----------------------------------------------------------------------------------------------- helpers
def _spectrum_tsys(path: Path, column: str, cal: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, str]:
    """Frequencies [Hz] and T_sys [K] of a spectrum column: temperatures as they are, powers times c_cal."""
    from emboost.noise.spectra import read_spectrum

    s = read_spectrum(path, columns=[column])
    f, y = s.frequency, s.column(column)
    kind = s.kinds.get(column)
    if kind == "temperature":
        return f, y, "K"
    if kind != "power":
        raise DataFileError(f"column {column!r} must be a power [W, dBm] or a temperature [K], got {kind}",
                            path=path, key=column)
    fc = np.asarray(cal["frequency"])
    if f[0] < fc[0] * (1 - 1e-12) or f[-1] > fc[-1] * (1 + 1e-12):
        raise DataFileError(f"the spectrum spans {f[0]:.6g}..{f[-1]:.6g} Hz, outside the calibrated band "
                            f"{fc[0]:.6g}..{fc[-1]:.6g} Hz (no extrapolation of c_cal)", path=path)
    return f, y * np.interp(f, fc, np.asarray(cal["c_cal"])), "W"


def _sigma(y: np.ndarray, noise: tuple[int, int, bool]) -> np.ndarray:
    from emboost.noise.calibration import savgol_noise

    w, o, robust = noise
    return np.asarray(savgol_noise(y, w, o, relative=True, robust=robust))


def _lna(path: Path, sources: Any = None) -> Any:
    from emboost.noise.amplifier import LNA, NoiseSources

    return LNA.from_touchstone(path, sources if sources is not None else NoiseSources(0.0, 0.0))


def _sources(res: dict[str, Any]) -> Any:
    from emboost.noise.amplifier import NoiseSources

    v = res["sources"]
    return NoiseSources(v["sqrt_sv"], v["sqrt_si"], v["rho_mag"], v["rho_phase"])


def _booster_fit(ctx: _Context) -> Any:
    from emboost.jobs.mc import load_booster_fit_json

    fit, _ = load_booster_fit_json(ctx.out / "booster_fit.json")
    return fit


def _fail(stage: Stage, ctx: _Context, what: str) -> FitError:
    done = [s.name for s in STAGES if s.name in ctx.results]
    kept = f"; results of the earlier stages ({', '.join(done)}) are kept in {ctx.out}" if done else ""
    return FitError(f"stage '{stage.name}' ({stage.title}) failed: {what}{kept}")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    from emboost.core.output import atomic_savefig

    fig.tight_layout()
    atomic_savefig(fig, path, dpi=100)
    _plt().close(fig)


def _spectrum_fit_png(path: Path, f: np.ndarray, curves: list[tuple[str, np.ndarray, np.ndarray]], title: str,
                      ylabel: str = r"$T_\mathrm{sys}$ [K]") -> None:
    """Data (points) and model (line) of each named curve, with normalised residuals below."""
    plt = _plt()
    fig, ax = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    fg = np.asarray(f) / 1e9
    for i, (name, data, model) in enumerate(curves):
        ax[0].plot(fg, data, ".", ms=2.5, color=f"C{i}", label=f"{name} data")
        ax[0].plot(fg, model, "-", lw=1, color=f"C{i}", label=f"{name} model")
        ax[1].plot(fg, 100 * (data - model) / model, ".", ms=2, color=f"C{i}")
    ax[0].set_ylabel(ylabel)
    ax[1].set_ylabel("resid. [%]")
    ax[1].set_xlabel("frequency [GHz]")
    for a in ax:
        a.grid(alpha=0.3)
    ax[0].legend(fontsize=7, ncol=2)
    ax[0].set_title(title, fontsize=10)
    _save(fig, path)


# -------------------------------------------------------------------------------------------- the stages
def _stage_calibration(ctx: _Context, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    from scipy.signal import savgol_filter

    from emboost.core.output import atomic_write_csv
    from emboost.noise.calibration import ENRTable, calibrate_receiver, savgol_noise
    from emboost.noise.spectra import read_spectrum

    r, c = ctx.recipe, ctx.recipe.calibration
    enr = ENRTable.from_file(r.files["enr"], c["enr_sigma_db"])
    spec = read_spectrum(r.files["yfactor"], columns=[c["on_column"], c["off_column"]])
    for col in (c["on_column"], c["off_column"]):
        if spec.kinds.get(col) != "power":
            raise DataFileError(f"column {col!r} must be a power (W or dBm)", path=r.files["yfactor"], key=col)
    if spec.resolution_bandwidth is None:
        raise DataFileError("the Y-factor spectra need '# resolution_bandwidth = ... Hz'", path=r.files["yfactor"])
    f = spec.frequency
    w, o = c["savgol_window"], c["savgol_order"]
    raw_on, raw_off = spec.column(c["on_column"]), spec.column(c["off_column"])
    # Savitzky-Golay smoothed spectra (paper §4.1); the smoothed value's noise is sigma sqrt(h0) (centre weight)
    e = np.zeros(w)
    e[w // 2] = 1.0
    h0 = float(savgol_filter(e, w, o)[w // 2])
    on, off = savgol_filter(raw_on, w, o), savgol_filter(raw_off, w, o)
    s_on = np.asarray(savgol_noise(raw_on, w, o, relative=True)) * math.sqrt(h0)
    s_off = np.asarray(savgol_noise(raw_off, w, o, relative=True)) * math.sqrt(h0)
    gl = _lna(r.files["lna_s11"]).gamma_at(f)
    try:
        cal = calibrate_receiver(f, on, off, enr, c["t_phys"], spec.resolution_bandwidth,
                                 attenuation_db=c["attenuation_db"],
                                 attenuation_range_db=c.get("attenuation_range_db"), gamma_rec=gl,
                                 sigma_t_phys=c["t_phys_sigma"], sigma_p_on=s_on, sigma_p_off=s_off)
    except InputError as exc:
        if exc.path is None:
            raise DataFileError(exc.reason, path=r.files["yfactor"]) from None
        raise
    atomic_write_csv(ctx.out / "calibration.csv", {
        "frequency_Hz": f, "gain": cal.gain, "gain_sigma": cal.sigma_gain, "t_rec_K": cal.t_rec,
        "t_rec_sigma_K": cal.sigma_t_rec, "c_cal_K_per_W": cal.c_cal, "c_cal_sigma_K_per_W": cal.sigma_c_cal},
        comments=["emboost derive: Y-factor calibration (physics.md A.9-A.11), spectra Savitzky-Golay smoothed"])
    plt = _plt()
    fig, ax = plt.subplots(3, 1, figsize=(7, 7), sharex=True)
    fg = f / 1e9
    for a, y, s, lab in ((ax[0], 10 * np.log10(cal.gain), 10 / np.log(10) * cal.sigma_gain / cal.gain, "gain [dB]"),
                         (ax[1], cal.t_rec, cal.sigma_t_rec, r"$T_\mathrm{rec}$ [K]"),
                         (ax[2], cal.c_cal, cal.sigma_c_cal, r"$c_\mathrm{cal}$ [K/W]")):
        a.plot(fg, y, lw=1)
        a.fill_between(fg, y - s, y + s, alpha=0.3, lw=0, label=r"$\pm 1\sigma$")
        a.set_ylabel(lab)
        a.grid(alpha=0.3)
    ax[0].legend(fontsize=8)
    ax[2].set_xlabel("frequency [GHz]")
    ax[0].set_title("Y-factor calibration", fontsize=10)
    _save(fig, ctx.out / "calibration.png")
    rel = cal.sigma_c_cal / cal.c_cal
    budget = {k: float(np.median(v["c_cal"] / cal.c_cal)) for k, v in cal.budget.items()}
    res = {"frequency": f, "c_cal": cal.c_cal, "sigma_c_cal": cal.sigma_c_cal, "t_rec": cal.t_rec,
           "sigma_t_rec": cal.sigma_t_rec, "gain": cal.gain, "resolution_bandwidth_Hz": cal.resolution_bandwidth,
           "c_cal_relative_sigma_median": float(np.median(rel)), "c_cal_relative_budget_median": budget,
           "t_rec_median_K": float(np.median(cal.t_rec)), "gain_median_dB": float(np.median(10 * np.log10(cal.gain)))}
    return res, ["calibration.csv", "calibration.png"]


def _stage_booster_fit(ctx: _Context, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    from emboost.booster.setup import load_booster_setup
    from emboost.core.output import atomic_write_csv, atomic_write_json, provenance
    from emboost.fit.booster import Observable, fit_booster, observables_from_s11
    from emboost.report.plots import booster_response_png, power_delay_png
    from emboost.rf.touchstone import parse_parameter_name, read_touchstone

    r, b = ctx.recipe, ctx.recipe.booster
    setup = load_booster_setup(r.setup)
    ts = read_touchstone(r.files["reflectivity"])
    i, j = parse_parameter_name(b["parameter"], ts.nports, path=r.path, key="booster.parameter")
    f, s = ts.frequency, ts.s[:, i, j]
    if "window" in b:
        keep = (f >= b["window"][0]) & (f <= b["window"][1])
        if keep.sum() < 8:
            raise RecipeError(f"the window keeps {keep.sum()} points of {r.files['reflectivity']}; need >= 8",
                              path=r.path, key="booster.window")
        f, s = f[keep], s[keep]
    try:
        setup.booster.check_band(f)
    except EmboostError as exc:
        raise DataFileError(f"the data band does not suit the setup: {exc}", path=r.files["reflectivity"]) from None
    data = observables_from_s11(f, s)
    res = fit_booster(f, data, setup.booster, r.booster_specs, [Observable("s11", sigma=b["sigma"])],
                      method=b["method"], max_nfev=b["max_nfev"])
    if not res.fit.converged or not np.all(np.isfinite(res.fit.covariance)):
        raise _fail(stage, ctx, f"the reflectivity fit did not converge ({res.fit.message})")
    if res.fit.at_bound:
        raise _fail(stage, ctx, f"parameter(s) {list(res.fit.at_bound)} ended on a bound; widen "
                                "[booster.parameters] min/max or check the data")
    doc: dict[str, Any] = {"recipe": {"name": r.name, "kind": "booster_reflectivity", "setup": str(r.setup),
                                      "data_parameter": b["parameter"]}}
    doc.update(res.to_dict(setup.frequencies))
    doc["converged"] = res.fit.converged
    doc["at_bound"] = list(res.fit.at_bound)
    doc["provenance"] = provenance([r.setup, r.files["reflectivity"]])
    atomic_write_json(ctx.out / "booster_fit.json", doc)
    m = res.model
    atomic_write_csv(ctx.out / "booster_fit.csv", {
        "frequency_Hz": f, "data_re": s.real, "data_im": s.imag, "model_re": m["s11"].real, "model_im": m["s11"].imag,
        "data_power_db": data["reflected_power_db"], "model_power_db": m["reflected_power_db"],
        "data_group_delay_s": data["group_delay"], "model_group_delay_s": m["group_delay"]},
        comments=[f"emboost derive {r.name}: booster reflectivity data and fitted model"])
    power_delay_png(ctx.out / "booster_fit.png", f, s, m["s11"], title="booster reflectivity: data and fit",
                    power_db=(data["reflected_power_db"], m["reflected_power_db"]),
                    delay=(data["group_delay"], m["group_delay"]))
    fb = setup.frequencies
    resp = res.booster().response(fb)
    booster_response_png(ctx.out / "booster_model.png", fb, resp.boost_factor, resp.reflected_power_db,
                         resp.group_delay, title="fitted booster model (matched output)")
    bf, sbf = res.boost_factor(fb, with_error=True)
    k = int(np.argmax(bf))
    nominal = setup.booster.boost_factor(fb)
    fit = res.fit
    out = {"parameters": {n: {"value": fit.value(n), "stderr": fit.error(n), "unit": fit.units[fit.names.index(n)],
                              "initial": float(fit.initial[fit.names.index(n)])} for n in fit.free},
           "redchi": fit.redchi, "chi2": fit.chisqr, "ndata": fit.ndata, "chi2_probability": fit.chi2_probability,
           "rms_s11": float(np.sqrt(np.mean(np.abs(s - m["s11"]) ** 2))), "points": int(f.size),
           "band_Hz": [float(f[0]), float(f[-1])], "peak_boost_matched": float(bf[k]),
           "peak_boost_matched_stderr": float(sbf[k]), "peak_frequency_Hz": float(fb[k]),
           "nominal_peak_boost": float(np.max(nominal)),
           "nominal_peak_frequency_Hz": float(fb[int(np.argmax(nominal))])}
    return out, ["booster_fit.json", "booster_fit.csv", "booster_fit.png", "booster_model.png"]


def _stage_noise_fit(ctx: _Context, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    from emboost.core.output import atomic_write_csv
    from emboost.fit.noise import STANDARDS, fit_standards
    from emboost.noise.spectra import read_spectrum

    r = ctx.recipe
    cal = ctx.results["calibration"]
    path = r.files["standards"]
    spec = read_spectrum(path, columns=list(STANDARDS))
    f = spec.frequency
    meas = {}
    for k in STANDARDS:
        _, meas[k], _ = _spectrum_tsys(path, k, cal)
    sigma = {k: _sigma(v, r.noise) for k, v in meas.items()}
    gl = _lna(r.files["lna_s11"]).gamma_at(f)
    by = {s.name: s for s in r.receiver_specs}
    bounds = ((by["tau_open"].minimum, by["tau_open"].maximum), (by["tau_short"].minimum, by["tau_short"].maximum))
    t_std = r.receiver["t_standards"]

    def run(scale: float) -> Any:
        return fit_standards(f, {k: v * scale for k, v in meas.items()}, {k: v * scale for k, v in sigma.items()},
                             gl, t_std, *bounds, specs=r.receiver_specs)

    fit = run(1.0)
    res = fit.result
    if not res.converged:
        raise _fail(stage, ctx, f"the noise-parameter fit did not converge ({res.message})")
    if res.at_bound:
        raise _fail(stage, ctx, f"parameter(s) {list(res.at_bound)} ended on a bound; widen [receiver.parameters]")
    names = ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase")
    src = fit.sources
    values = {n: float(np.asarray(getattr(src, n))) for n in names}
    stderr = {n: res.error(n) for n in names}
    band = {n: 0.0 for n in names}
    r_cal = float(cal["c_cal_relative_sigma_median"])
    if r.receiver["calibration_band"] and r_cal > 0:
        # paper §4.3: fits to the +-1 sigma calibration band give each parameter's calibration spread
        hi, lo = run(1 + r_cal).sources, run(1 - r_cal).sources
        for n in names:
            a, b = float(np.asarray(getattr(hi, n))), float(np.asarray(getattr(lo, n)))
            if n == "rho_phase":
                band[n] = abs(float(np.angle(np.exp(1j * (a - b))))) / 2
            else:
                band[n] = abs(a - b) / 2
    lna_sigma = {n: math.hypot(stderr[n], band[n]) for n in names}
    cols: dict[str, Any] = {"frequency_Hz": f}
    for k in STANDARDS:
        cols[f"{k}_K"], cols[f"{k}_model_K"], cols[f"{k}_sigma_K"] = meas[k], fit.model[k], sigma[k]
    atomic_write_csv(ctx.out / "noise_standards.csv", cols,
                     comments=[f"emboost derive {r.name}: T_sys of the standards, data and fitted noise model"])
    _spectrum_fit_png(ctx.out / "noise_standards.png", f, [(k, meas[k], fit.model[k]) for k in STANDARDS],
                      "receiver noise: T_sys of the standards and the fitted LNA noise model")
    out = {"sources": values, "stderr": stderr, "calibration_band_half_spread": band, "lna_sigma": lna_sigma,
           "tau_open": fit.tau_open, "tau_short": fit.tau_short, "tau_open_stderr": res.error("tau_open"),
           "tau_short_stderr": res.error("tau_short"), "redchi": res.redchi, "ndata": res.ndata,
           "noise_parameters_z0_50": fit.noise_parameters(), "t_e_50ohm_K": float(src.noise_temperature(50.0)),
           "calibration_relative_sigma": r_cal}
    return out, ["noise_standards.csv", "noise_standards.png"]


def _tsys_data(ctx: _Context, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r = ctx.recipe
    f, t, _ = _spectrum_tsys(r.files[which], r.tsys[f"{which}_column"], ctx.results["calibration"])
    gl = _lna(r.files["lna_s11"]).gamma_at(f)
    return f, t, _sigma(t, r.noise), gl


def _stage_line_delay(ctx: _Context, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    from emboost.core.output import atomic_write_csv
    from emboost.fit.noise import fit_line_delay
    from emboost.noise.amplifier import system_temperature

    r = ctx.recipe
    f, t, s, gl = _tsys_data(ctx, "broadband")
    fit = _booster_fit(ctx)
    gb = fit.booster().response(f).s11
    src = _sources(ctx.results["noise_fit"])
    tb = r.tsys["t_booster"]
    d = fit_line_delay(f, gb, tb, src, gl, t, s, r.tsys["delay"])
    if d.on_bound or not math.isfinite(d.sigma_tau):
        raise _fail(stage, ctx, f"tau = {d.tau:.6g} s ended on the edge of [tsys] delay_min..delay_max or is "
                                "unconstrained")
    model = system_temperature(f, gb, tb, src, gl, delay=d.tau)
    atomic_write_csv(ctx.out / "tsys_broadband.csv", {"frequency_Hz": f, "t_sys_K": t, "model_K": model, "sigma_K": s},
                     comments=[f"emboost derive {r.name}: broadband T_sys = c_cal x power, model with "
                               f"tau = {d.tau:.6e} s"])
    _spectrum_fit_png(ctx.out / "tsys_broadband.png", f, [("broadband", t, model)],
                      rf"broadband $T_\mathrm{{sys}}$ and the combined model ($\tau$ = {d.tau * 1e9:.4f} ns)")
    return dataclasses.asdict(d), ["tsys_broadband.csv", "tsys_broadband.png"]


def _stage_mirror_gap(ctx: _Context, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    from emboost.core.output import atomic_write_csv
    from emboost.fit.noise import refit_mirror_gap
    from emboost.noise.amplifier import system_temperature

    r = ctx.recipe
    f, t, s, gl = _tsys_data(ctx, "narrowband")
    fit = _booster_fit(ctx)
    booster = fit.booster()
    src = _sources(ctx.results["noise_fit"])
    tau = ctx.results["line_delay"]["tau"]
    tb = r.tsys["t_booster"]
    g = refit_mirror_gap(f, booster, tau, tb, src, gl, t, s, r.tsys["gap"], n_grid=r.tsys["gap_grid_points"])
    if g.on_bound or not math.isfinite(g.sigma_gap):
        raise _fail(stage, ctx, f"the mirror gap {g.gap:.6g} m ended on the edge of [tsys] gap_min..gap_max or is "
                                "unconstrained")
    moved = booster.with_mirror_gap(g.gap)
    model = system_temperature(f, moved.response(f).s11, tb, src, gl, delay=tau)
    atomic_write_csv(ctx.out / "tsys_narrowband.csv", {"frequency_Hz": f, "t_sys_K": t, "model_K": model,
                                                       "sigma_K": s},
                     comments=[f"emboost derive {r.name}: narrowband T_sys, model with mirror gap {g.gap:.6e} m"])
    _spectrum_fit_png(ctx.out / "tsys_narrowband.png", f, [("narrowband", t, model)],
                      rf"narrowband $T_\mathrm{{sys}}$ during the run and the model (mirror gap {g.gap * 1e3:.4f} mm)")
    out = dataclasses.asdict(g) | {"fitted_gap_1_m": float(np.ravel(booster.gaps)[0])}
    return out, ["tsys_narrowband.csv", "tsys_narrowband.png"]


def _mc_model(ctx: _Context) -> tuple[Any, dict[str, Any]]:
    from emboost.mc.engine import MonteCarloModel, TsysSpectrum, prepare_model

    r, mc = ctx.recipe, ctx.recipe.montecarlo
    fit = _booster_fit(ctx)
    nf = ctx.results["noise_fit"]
    lna = _lna(r.files["lna_s11"], _sources(nf))
    bb = TsysSpectrum(*_tsys_data(ctx, "broadband"))
    nb = TsysSpectrum(*_tsys_data(ctx, "narrowband"))
    if r.band is not None:
        f = np.linspace(*r.band)
    else:
        f = nb.frequency[(nb.frequency >= nb.frequency[0]) & (nb.frequency <= nb.frequency[-1])]
    pad = 6 * mc["frequency_sigma"] + 2 * (f[1] - f[0])
    try:
        fit.base.check_band(f)
        lna.gamma_at(np.array([f[0] - pad, f[-1] + pad]))
    except EmboostError as exc:
        raise RecipeError(f"the band does not suit the model or the LNA data: {exc.reason}", path=r.path,
                          key="band") from None
    ls = nf["lna_sigma"]
    model = MonteCarloModel(
        booster_fit=fit, center=fit.fit.free_values, covariance=fit.fit.covariance, parameter_names=fit.fit.free,
        lna=lna, lna_sigma=np.array([ls[k] for k in ("sqrt_sv", "sqrt_si", "rho_mag", "rho_phase")]),
        t_phys=r.tsys["t_booster"], broadband=bb, delay_bounds=r.tsys["delay"], frequency=f,
        field_shape_sigma=mc["field_shape_sigma"], frequency_sigma=mc["frequency_sigma"], narrowband=nb,
        gap_bounds=r.tsys["gap"], gap_grid=mc["gap_grid_points"])
    return prepare_model(model, r.tsys["delay"], mc["delay_window"], mc["gap_window"])


def _stage_montecarlo(ctx: _Context, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    from emboost.core.output import atomic_write_bytes, atomic_write_csv, atomic_write_json
    from emboost.mc.engine import band_statistics, linear_propagation, run_montecarlo
    from emboost.report.plots import band_png, relative_uncertainty_png

    r, mc = ctx.recipe, ctx.recipe.montecarlo
    model, nominal = _mc_model(ctx)
    ck = ctx.out / "montecarlo"
    marker = ck / "identity.json"
    ident = _hash({"fingerprint": model.fingerprint(), "seed": ctx.seed, "chunk_size": mc["chunk_size"]})
    fresh = True
    if ctx.resume and marker.exists():
        try:
            fresh = json.loads(marker.read_text()).get("identity") != ident
        except (OSError, ValueError):
            fresh = True
        if fresh:
            ctx.progress.say("  the Monte-Carlo checkpoint was made with other inputs or settings: starting afresh")
    atomic_write_json(marker, {"identity": ident})
    res = run_montecarlo(model, ctx.samples, ctx.seed, chunk_size=mc["chunk_size"],
                         workers=ctx.workers if ctx.workers is not None else mc["workers"], checkpoint=ck, fresh=fresh,
                         quiet=ctx.quiet, label="  Monte-Carlo", on_chunk=ctx.on_chunk)
    f = res.frequency
    q = mc["quantiles"]
    stats = band_statistics(res.boost, q)
    conv = res.convergence(mc["convergence_window"], mc["convergence_tolerance"])
    lin = linear_propagation(model) if mc["linear_check"] else None
    import io

    buf = io.BytesIO()
    np.savez(buf, frequency=f, boost=res.boost, tau=res.tau, gap=res.gap, shape=res.draws.shape,
             shift=res.draws.shift, booster=res.draws.booster, lna=res.draws.lna)
    atomic_write_bytes(ck / "boost_samples.npz", buf.getvalue())
    mean, std = stats["mean"], stats["std"]
    cols: dict[str, Any] = {"frequency_Hz": f, "mean": mean, "std": std, "relative_std": std / mean,
                            "nominal": res.nominal}
    for qq, v in zip(q, stats["quantiles"]):
        cols[f"q{100 * qq:g}".replace(".", "_")] = v
    if lin is not None:
        cols["linear_std"] = lin.std
    atomic_write_csv(ctx.out / "boost_band.csv", cols, comments=[
        f"emboost derive {r.name}: delivered boost factor, {ctx.samples} samples, seed {ctx.seed}", conv.message])
    band_png(ctx.out / "boost_band.png", f, stats, q, res.nominal, title=f"{r.name}: delivered boost factor "
             f"({ctx.samples} samples)")
    curves = {"Monte-Carlo": std / mean}
    if lin is not None:
        curves["linear propagation"] = lin.std / lin.nominal
    relative_uncertainty_png(ctx.out / "boost_relative_uncertainty.png", f, curves, title="relative uncertainty")
    k = int(np.argmax(mean))
    out = {"frequency": f, "mean": mean, "std": std, "quantiles": dict(zip([str(x) for x in q], stats["quantiles"])),
           "nominal": res.nominal, "linear_std": None if lin is None else lin.std,
           "linear_parts_at_peak": None if lin is None else {kk: float(v[k]) for kk, v in lin.parts.items()},
           "samples": ctx.samples, "seed": ctx.seed, "convergence": dataclasses.asdict(conv),
           "nominal_refits": nominal, "tau_mean": float(np.mean(res.tau)), "tau_std": float(np.std(res.tau, ddof=1)),
           "gap_mean": float(np.nanmean(res.gap)), "gap_std": float(np.nanstd(res.gap, ddof=1)),
           "samples_on_search_edge": int(np.count_nonzero(res.on_bound)), "timing": res.timing,
           "peak": {"frequency_Hz": f[k], "mean": mean[k], "std": std[k], "nominal": res.nominal[k],
                    "q2_5": stats["quantiles"][q.index(0.025)][k], "q97_5": stats["quantiles"][q.index(0.975)][k],
                    "linear_std": None if lin is None else lin.std[k]}}
    return out, ["boost_band.csv", "boost_band.png", "boost_relative_uncertainty.png", "montecarlo/boost_samples.npz"]


def _truth_on(ctx: _Context, f: np.ndarray, column: str | None = None) -> np.ndarray | None:
    t = ctx.recipe.truth
    if t is None:
        return None
    d = read_truth(t["file"])
    col = column or t["column"]
    if col not in d:
        raise DataFileError(f"no column {col!r}; the file has {list(d)}", path=t["file"])
    ft = d["frequency_Hz"]
    if f[0] < ft[0] or f[-1] > ft[-1]:
        return None
    from scipy.interpolate import CubicSpline

    return CubicSpline(ft, d[col])(f)


def _stage_sensitivity(ctx: _Context, stage: Stage) -> tuple[dict[str, Any], list[str]]:
    from emboost.booster.setup import load_booster_setup
    from emboost.core.output import atomic_write_csv
    from emboost.mc.engine import reach_samples
    from emboost.reach.sensitivity import axion_linewidth, qcd_lines
    from emboost.report.plots import band_png

    r, sn = ctx.recipe, ctx.recipe.sensitivity
    mc = ctx.results["montecarlo"]
    with np.load(ctx.out / "montecarlo" / "boost_samples.npz") as z:
        f, boost = z["frequency"], z["boost"]
    setup = load_booster_setup(r.setup)
    area = sn["area"] if sn["area"] is not None else setup.area
    b_field = sn["b_field"] if sn["b_field"] is not None else setup.b_field
    rho = sn["dm_density"] if sn["dm_density"] is not None else setup.dm_density
    if b_field is None or not math.isfinite(area):
        raise RecipeError("the sensitivity needs b_field and area: give them in [sensitivity] or the setup file",
                          path=r.path, key="sensitivity")
    # T_sys of the run: the narrowband spectrum where it covers the band, else the broadband one
    cal = ctx.results["calibration"]
    source = "narrowband"
    fs, ts, _, _ = _tsys_data(ctx, "narrowband")
    if f[0] < fs[0] or f[-1] > fs[-1]:
        source = "broadband"
        fs, ts, _, _ = _tsys_data(ctx, "broadband")
        if f[0] < fs[0] or f[-1] > fs[-1]:
            raise RecipeError("the band reaches outside both T_sys spectra", path=r.path, key="band")
    from scipy.signal import savgol_filter

    w, o, _ = r.noise
    t_sys = np.interp(f, fs, savgol_filter(ts, w, o))
    rel = np.interp(f, np.asarray(cal["frequency"]), np.asarray(cal["sigma_c_cal"]) / np.asarray(cal["c_cal"]))
    z = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(mc["seed"]), 1]))).standard_normal(
        (boost.shape[0], 1))
    t_samples = t_sys[None, :] * (1 + rel[None, :] * z)
    dnu = axion_linewidth(f, sn["q_a"])
    g = reach_samples(boost, f, t_samples, area, b_field, sn["time"], snr=sn["snr"], rho=rho, linewidth=dnu)
    g_nom = reach_samples(np.asarray(mc["nominal"])[None, :], f, t_sys, area, b_field, sn["time"], snr=sn["snr"],
                          rho=rho, linewidth=dnu)[0]
    q = r.montecarlo["quantiles"]
    gq = np.quantile(g, q, axis=0)
    lines = qcd_lines(f)
    cols: dict[str, Any] = {"frequency_Hz": f, "t_sys_K": t_sys, "t_sys_relative_sigma": rel, "g_nominal_GeV": g_nom,
                            "g_median_GeV": np.median(g, axis=0)}
    for qq, v in zip(q, gq):
        cols[f"g_q{100 * qq:g}_GeV".replace(".", "_")] = v
    cols["ksvz_GeV"], cols["dfsz_GeV"] = lines["KSVZ"], lines["DFSZ"]
    atomic_write_csv(ctx.out / "reach.csv", cols, comments=[
        f"emboost derive {r.name}: |g_ag| reach (MADMAX eq. 1.1) per boost-factor sample, T_sys of the {source} "
        f"spectrum with the calibration uncertainty drawn per sample; SNR {sn['snr']:g}, time {sn['time']:g} s, "
        f"B {b_field:g} T, area {area:g} m^2"])
    band_png(ctx.out / "reach.png", f, {"mean": np.median(g, axis=0), "quantiles": gq}, q, None,
             title=f"{r.name}: coupling reach, SNR {sn['snr']:g}, {sn['time'] / 86400:g} d", log=True, lines=lines,
             ylabel=r"$|g_{a\gamma}|$ reach [GeV$^{-1}$]", center_label="Monte-Carlo median")
    k = int(np.argmin(np.median(g, axis=0)))
    out = {"frequency": f, "t_sys": t_sys, "t_sys_source": source, "g_median": np.median(g, axis=0),
           "g_quantiles": dict(zip([str(x) for x in q], gq)), "ksvz": lines["KSVZ"], "dfsz": lines["DFSZ"],
           "best": {"frequency_Hz": f[k], "g_median_GeV": float(np.median(g[:, k])),
                    "g_q2_5_GeV": float(gq[q.index(0.025)][k]), "g_q97_5_GeV": float(gq[q.index(0.975)][k]),
                    "ksvz_GeV": float(lines["KSVZ"][k]), "dfsz_GeV": float(lines["DFSZ"][k]),
                    "t_sys_K": float(t_sys[k])},
           "settings": {"snr": sn["snr"], "time_s": sn["time"], "b_field_T": b_field, "area_m2": area,
                        "dm_density_J_per_m3": rho, "q_a": sn["q_a"]}}
    return out, ["reach.csv", "reach.png"]


_RUNNERS: dict[str, Callable[[_Context, Stage], tuple[dict[str, Any], list[str]]]] = {
    "calibration": _stage_calibration, "booster_fit": _stage_booster_fit, "noise_fit": _stage_noise_fit,
    "line_delay": _stage_line_delay, "mirror_gap": _stage_mirror_gap, "montecarlo": _stage_montecarlo,
    "sensitivity": _stage_sensitivity,
}


# ------------------------------------------------------------------------------------------------ driver
@dataclass(frozen=True)
class DeriveResult:
    """What :func:`derive` did: the output folder, per-stage status (``"computed"`` or ``"cached"``) and
    seconds, the headline results and the exit status (0; 3 when the Monte-Carlo mean did not converge)."""

    out: Path
    status: int
    stages: dict[str, str]
    seconds: dict[str, float]
    summary: dict[str, Any]


def derive(recipe: str | os.PathLike[str], out: str | os.PathLike[str], *, samples: int | None = None,
           seed: int | None = None, workers: int | None = None, resume: bool = False, overwrite: bool = False,
           quiet: bool = True, on_chunk: Callable[[int], None] | None = None,
           stream: Any = None) -> DeriveResult:
    """Run a campaign recipe into the folder ``out`` (see the module docstring); returns a :class:`DeriveResult`.

    ``samples``/``seed`` override the recipe's Monte-Carlo settings, ``workers`` its process count.
    ``resume`` reuses the stages whose inputs and settings are unchanged and continues the Monte-Carlo
    from its checkpoint; without it a non-empty ``out`` needs ``overwrite``. ``on_chunk(i)`` is called after
    each stored Monte-Carlo chunk (tests use it to interrupt a run).
    """
    from emboost.core.output import prepare_output_dir

    r = load_campaign(recipe)
    n = r.montecarlo["samples"] if samples is None else int(samples)
    if n < 2:
        raise InputError(f"--samples must be >= 2, got {n}", key="samples")
    s = r.montecarlo["seed"] if seed is None else int(seed)
    if s < 0:
        raise InputError(f"--seed must be >= 0, got {s}", key="seed")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be >= 1, got {workers}", key="workers")
    if resume and overwrite:
        raise InputError("--resume continues the cached stages and --overwrite discards them: give one of them")
    progress = _Progress(quiet, stream)
    hashes = {}
    for p in sorted(set(r.files.values()) | ({r.truth["file"]} if r.truth else set())):
        hashes[str(p)] = _check_file(p)  # every input exists before anything is written
    outp = prepare_output_dir(out, overwrite=overwrite, resume=resume)
    ctx = _Context(recipe=r, out=outp, resume=resume, quiet=quiet, samples=n, seed=s, workers=workers,
                   progress=progress, on_chunk=on_chunk, hashes=hashes)
    status: dict[str, str] = {}
    seconds: dict[str, float] = {}
    t_all = time.perf_counter()
    progress.say(f"emboost derive: {r.name} -> {outp}")
    for i, stage in enumerate(STAGES, 1):
        key, ident = ctx.stage_key(stage)
        ctx.keys[stage.name] = key
        head = f"[{i}/{len(STAGES)}] {stage.title}"
        cached = _load_cached(ctx, stage, key, ident) if resume else None
        if cached is not None:
            ctx.results[stage.name] = cached["result"]
            status[stage.name] = "cached"
            seconds[stage.name] = 0.0
            progress.say(f"{head}: cached (inputs and settings unchanged)")
            continue
        if resume and stage.name in ctx.changed:
            progress.say(f"{head}: recomputing, {ctx.changed[stage.name]}")
        else:
            progress.say(f"{head} ...")
        t0 = time.perf_counter()
        result, outputs = _RUNNERS[stage.name](ctx, stage)
        dt = time.perf_counter() - t0
        doc = _store(ctx, stage, key, ident, result, outputs, dt)
        ctx.results[stage.name] = doc["result"]
        status[stage.name] = "computed"
        seconds[stage.name] = dt
        progress.say(f"{head}: done in {dt:.1f} s")
    t0 = time.perf_counter()
    summary = _summary(ctx)
    _write_outputs(ctx, summary, status, seconds)
    seconds["report"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_all
    conv = ctx.results["montecarlo"]["convergence"]
    code = 0 if conv["converged"] else 3
    progress.say(f"report: {outp / 'report.html'} ({seconds['report']:.1f} s); total {seconds['total']:.1f} s")
    pk = summary["boost_factor"]
    progress.say(f"peak delivered boost factor {pk['mean']:.4g} +- {pk['std']:.4g} at {pk['frequency_Hz'] / 1e9:.5f} "
                 f"GHz (95 % band {pk['q2_5']:.4g}..{pk['q97_5']:.4g})"
                 + ("" if "truth" not in summary else f"; truth {summary['truth']['peak']:.4g}"
                    f" ({'inside' if summary['truth']['peak_inside_95'] else 'OUTSIDE'} the band)"))
    if code:
        progress.say(f"WARNING: {conv['message']}")
    return DeriveResult(out=outp, status=code, stages=status, seconds=seconds, summary=summary)


def _summary(ctx: _Context) -> dict[str, Any]:
    R = ctx.results
    mc = R["montecarlo"]
    f = np.asarray(mc["frequency"])
    pk = mc["peak"]
    out: dict[str, Any] = {
        "recipe": {"name": ctx.recipe.name, "path": str(ctx.recipe.path), "description": ctx.recipe.description},
        "boost_factor": {k: pk[k] for k in ("frequency_Hz", "mean", "std", "q2_5", "q97_5", "nominal", "linear_std")},
        "line_delay_s": {"value": R["line_delay"]["tau"], "stderr": R["line_delay"]["sigma_tau"]},
        "mirror_gap_m": {"value": R["mirror_gap"]["gap"], "stderr": R["mirror_gap"]["sigma_gap"]},
        "t_sys_at_peak_K": float(np.interp(pk["frequency_Hz"], R["sensitivity"]["frequency"],
                                           R["sensitivity"]["t_sys"])),
        "reach_best": R["sensitivity"]["best"],
        "convergence": mc["convergence"],
    }
    if ctx.recipe.truth is not None:
        truth = _truth_on(ctx, f)
        if truth is not None:
            qs = mc["quantiles"]
            lo, hi = np.asarray(qs["0.025"]), np.asarray(qs["0.975"])
            kt = int(np.argmax(truth))
            km = int(np.argmax(mc["mean"]))
            inside = (truth >= lo) & (truth <= hi)
            out["truth"] = {
                "label": ctx.recipe.truth["label"], "file": str(ctx.recipe.truth["file"]),
                "peak": float(truth[kt]), "peak_frequency_Hz": float(f[kt]),
                "band_at_true_peak": [float(lo[kt]), float(hi[kt])],
                "peak_inside_95": bool(lo[kt] <= truth[kt] <= hi[kt]),
                "recovered_peak": float(mc["mean"][km]), "recovered_peak_frequency_Hz": float(f[km]),
                "recovered_over_true_peak": float(mc["mean"][km] / truth[kt]),
                "fraction_of_band_inside_95": float(np.mean(inside)),
            }
    return out


def _write_outputs(ctx: _Context, summary: dict[str, Any], status: dict[str, str], seconds: dict[str, float]) -> None:
    from emboost.core.output import atomic_write_json, provenance
    from emboost.jobs.mc import _write_netcdf
    from emboost.report.html import build_campaign_report

    R = ctx.results
    mc, sn = R["montecarlo"], R["sensitivity"]
    f = np.asarray(mc["frequency"])
    q = ctx.recipe.montecarlo["quantiles"]
    inputs = [ctx.recipe.path] + sorted({Path(p) for p in ctx.hashes})
    prov = provenance(inputs)
    doc = {"format": FORMAT, "summary": summary,
           "stages": {s.name: {"status": status[s.name], "seconds": seconds.get(s.name, 0.0),
                               "result": {k: v for k, v in R[s.name].items() if not isinstance(v, list) or len(v) < 50}}
                      for s in STAGES},
           "provenance": prov}
    atomic_write_json(ctx.out / "results.json", doc)
    variables = {
        "frequency": (("frequency",), f, "Hz"), "quantile": (("quantile",), np.array(q), "1"),
        "boost_mean": (("frequency",), np.asarray(mc["mean"]), "1"),
        "boost_std": (("frequency",), np.asarray(mc["std"]), "1"),
        "boost_quantiles": (("quantile", "frequency"), np.array([mc["quantiles"][str(x)] for x in q]), "1"),
        "boost_nominal": (("frequency",), np.asarray(mc["nominal"]), "1"),
        "t_sys": (("frequency",), np.asarray(sn["t_sys"]), "K"),
        "g_median": (("frequency",), np.asarray(sn["g_median"]), "GeV-1"),
        "g_quantiles": (("quantile", "frequency"), np.array([sn["g_quantiles"][str(x)] for x in q]), "GeV-1"),
    }
    _write_netcdf(ctx.out / "results.nc", f, variables, {"frequency": f.size, "quantile": len(q)},
                  {"title": f"emboost derive: {ctx.recipe.name}", "samples": int(mc["samples"]),
                   "seed": int(mc["seed"])})
    truth = None
    if ctx.recipe.truth is not None:
        truth = {"label": ctx.recipe.truth["label"], "boost": _truth_on(ctx, f)}
        if ctx.recipe.truth["t_sys_column"]:
            truth["t_sys"] = _truth_on(ctx, f, ctx.recipe.truth["t_sys_column"])
    build_campaign_report(ctx.out / "report.html", ctx.recipe, R, summary, status, seconds, prov, truth,
                          [s for s in STAGES])
