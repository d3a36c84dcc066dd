"""The campaign recipe of ``emboost derive`` (``kind = "campaign"``): every measurement of a booster run.

:func:`load_campaign` parses the recipe into a frozen :class:`CampaignRecipe` whose sections are the
settings objects of :mod:`emboost.jobs.sections` (the same parsers as the ``emboost fit`` and
``emboost mc`` recipes) plus the campaign-only ``[setup]``, ``[calibration]``, ``[booster]``,
``[receiver]``, ``[tsys]`` and ``[truth]``. Keys: docs/recipes.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import DataFileError, RecipeError
from emboost.core.setupfile import Table, read_toml
from emboost.fit.booster import JACOBIANS, booster_parameter_defaults
from emboost.fit.core import ParameterSpec
from emboost.fit.noise import standards_parameter_defaults
from emboost.jobs.derive_multimode import Booster3DSettings, booster3d_section
from emboost.jobs.inputs import Inputs
from emboost.jobs.recipes import recipe_header, resolve_path
from emboost.jobs.sections import (
    BandSettings,
    DelaySettings,
    FitOptions,
    MonteCarloSettings,
    NoiseSigmaSettings,
    SensitivitySettings,
    WindowSettings,
    band_section,
    delay_section,
    montecarlo_section,
    noise_section,
    parameter_specs,
    sensitivity_section,
    window_section,
)
from emboost.jobs.stages import CalibrationSettings

__all__ = ["BoosterSettings", "ReceiverSettings", "TsysSettings", "TruthSettings", "CampaignRecipe",
           "load_campaign", "read_truth"]


@dataclass(frozen=True)
class BoosterSettings:
    """``[booster]`` of a campaign: the reflectivity file, S-parameter, noise sigma of Re/Im S11, fit options."""

    reflectivity: Path
    parameter: str
    sigma: float
    options: FitOptions
    window: WindowSettings | None


@dataclass(frozen=True)
class ReceiverSettings:
    """``[receiver]``: LNA reflection, standards' T_sys spectra and their temperature [K]."""

    lna_s11: Path
    standards: Path
    t_standards: float
    calibration_band: bool


@dataclass(frozen=True)
class TsysSettings:
    """``[tsys]``: the receiver spectra with the booster connected, its temperature [K], the mirror-gap search [m]."""

    broadband: Path
    narrowband: Path
    broadband_column: str
    narrowband_column: str
    t_booster: float
    gap_range: tuple[float, float]
    gap_grid_points: int


@dataclass(frozen=True)
class TruthSettings:
    """``[truth]`` (SYNTHETIC campaigns only): the stored true curves shown against the result."""

    file: Path
    column: str
    t_sys_column: str | None
    label: str


@dataclass(frozen=True, eq=False)
class CampaignRecipe:
    """A parsed campaign recipe: resolved paths, SI settings and the raw tables (hashed for the cache)."""

    path: Path
    name: str
    description: str
    raw: dict[str, Any] = field(repr=False)
    setup: Path
    files: dict[str, Path]
    calibration: CalibrationSettings
    booster: BoosterSettings
    booster_specs: tuple[ParameterSpec, ...] = field(repr=False)
    receiver: ReceiverSettings
    receiver_specs: tuple[ParameterSpec, ...] = field(repr=False)
    tsys: TsysSettings
    delay: DelaySettings
    noise: NoiseSigmaSettings
    band: BandSettings | None
    montecarlo: MonteCarloSettings
    sensitivity: SensitivitySettings
    truth: TruthSettings | None
    booster3d: Booster3DSettings | None = None   # optional [booster3d]: emboost.jobs.derive_multimode

    def stage_files(self, stage: str) -> dict[str, Path]:
        """The input files a stage reads, by their role."""
        keys = {"calibration": ["enr", "yfactor", "lna_s11"], "booster_fit": ["setup", "reflectivity"],
                "noise_fit": ["standards", "lna_s11"], "line_delay": ["broadband", "lna_s11"],
                "mirror_gap": ["narrowband", "lna_s11"], "montecarlo": ["broadband", "narrowband", "lna_s11"],
                "sensitivity": ["setup"]}[stage]
        return {k: self.files[k] for k in keys}


def _calibration(ct: Table, file: Callable[[Table, str, str], Path]) -> CalibrationSettings:
    enr = file(ct, "enr", "enr")
    yf = file(ct, "yfactor", "yfactor")
    on, off = ct.string("on_column", "p_on"), ct.string("off_column", "p_off")
    t_phys = float(ct.quantity("t_phys", "temperature", minimum=0.0, exclusive=True))
    t_sigma = float(ct.quantity("t_phys_sigma", "temperature", 0.0, minimum=0.0))
    enr_sigma = float(ct.number("enr_sigma_db", 0.0, minimum=0.0))
    att = float(ct.number("attenuation_db", 0.0, minimum=0.0))
    w = int(ct.number("savgol_window", 21, integer=True, minimum=5))
    o = int(ct.number("savgol_order", 3, integer=True, minimum=1))
    rng = ct.raw("attenuation_range_db", None)
    att_range = None
    if rng is not None:
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, (int, float)) for x in rng)
                and rng[0] <= att <= rng[1]):
            raise ct.fail("attenuation_range_db", f"expected [min, max] in dB around attenuation_db, got {rng!r}")
        att_range = (float(rng[0]), float(rng[1]))
    ct.finish()
    if w % 2 == 0 or o >= w:
        raise ct.fail("savgol_window", "must be odd and above savgol_order")
    return CalibrationSettings(enr, yf, on, off, t_phys, t_sigma, enr_sigma, att, att_range, w, o)


def load_campaign(path: str | os.PathLike[str], inputs: Inputs | None = None) -> CampaignRecipe:
    """Parse and check a campaign recipe (paths relative to it); data files are read by the stages.

    >>> r = load_campaign(Path(__file__).parents[2] / "fits" / "cb200_campaign.toml")
    >>> r.montecarlo.samples, sorted(r.files)[:3]
    (200, ['broadband', 'enr', 'lna_s11'])
    """
    inputs = inputs if inputs is not None else Inputs()
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
    setup = inputs.setup(setup_path) if setup_path.exists() else None

    cal = _calibration(top.table("calibration"), file)

    bt = top.table("booster")
    refl = file(bt, "reflectivity", "reflectivity")
    parameter = bt.string("parameter", "S11")
    sigma = float(bt.number("sigma", minimum=0.0))
    method = bt.string("method", "least_squares", choices=("least_squares", "leastsq"))
    max_nfev = bt.number("max_nfev", None, integer=True, minimum=1)
    jacobian = bt.string("jacobian", "auto", choices=JACOBIANS)
    starts = int(bt.number("starts", 1, integer=True, minimum=1))
    start_seed = int(bt.number("seed", 0, integer=True, minimum=0))
    spread = float(bt.number("spread", 0.05, minimum=0.0))
    if sigma <= 0:
        raise bt.fail("sigma", "must be > 0 (noise of Re and Im S11)")
    if not spread > 0:
        raise bt.fail("spread", "spread must be > 0 (the extra starts' spread in natural sizes)")
    window = window_section(bt)
    ptab = bt.table("parameters")
    specs: list[ParameterSpec] = []
    if setup is not None:
        per_disk = any(str(k).startswith("phase_thickness_") for k in ptab.data)
        specs = parameter_specs(ptab, booster_parameter_defaults(setup.booster, per_disk))
        if not any(s.vary for s in specs):
            raise bt.fail("parameters", "no parameter varies")
    else:
        ptab.data.clear()
    bt.finish()
    booster = BoosterSettings(refl, parameter, sigma,
                              FitOptions(method, None if max_nfev is None else int(max_nfev), prefit_complex=False,
                                         jacobian=jacobian, starts=starts, seed=start_seed, spread=spread),
                              window)

    rt = top.table("receiver")
    lna = file(rt, "lna_s11", "lna_s11")
    std = file(rt, "standards", "standards")
    receiver = ReceiverSettings(lna, std, float(rt.quantity("t_standards", "temperature", minimum=0.0, exclusive=True)),
                                rt.boolean("calibration_band", True))
    rspecs = parameter_specs(rt.table("parameters"), standards_parameter_defaults())
    by = {s.name: s for s in rspecs}
    for k in ("tau_open", "tau_short"):
        if k not in by or not (math.isfinite(by[k].minimum) and math.isfinite(by[k].maximum)):
            raise RecipeError("give the delay with finite min and max (the grid search needs its range)",
                              path=path, key=f"receiver.parameters.{k}")
    rt.finish()

    tt = top.table("tsys")
    for old in ("delay_min", "delay_max"):
        if old in tt:
            raise tt.fail(old, "the delay range moved to [delay] min = ..., max = ... (the same keys as the "
                               "tsys_line_delay recipes)")
    bb = file(tt, "broadband", "broadband")
    nb = file(tt, "narrowband", "narrowband")
    tsys = TsysSettings(bb, nb, tt.string("broadband_column", "power"), tt.string("narrowband_column", "power"),
                        float(tt.quantity("t_booster", "temperature", minimum=0.0, exclusive=True)),
                        (float(tt.quantity("gap_min", "length", minimum=0.0)),
                         float(tt.quantity("gap_max", "length", minimum=0.0))),
                        int(tt.number("gap_grid_points", 141, integer=True, minimum=5)))
    if tsys.gap_range[1] <= tsys.gap_range[0]:
        raise tt.fail("gap_max", "must be above gap_min")
    tt.finish()
    delay = delay_section(top)
    noise = noise_section(top)
    band = band_section(top)
    mc = montecarlo_section(top, campaign=True)
    sens = sensitivity_section(top, time_required=True, allow_t_sys=False)

    truth = None
    if "truth" in top:
        tr = top.table("truth")
        p = Path(os.path.normpath(resolve_path(path, tr.string("file"))))
        truth = TruthSettings(p, tr.string("column", "delivered_boost_factor"), tr.string("t_sys_column", None),
                              tr.string("label", "truth (SYNTHETIC)"))
        tr.finish()
    booster3d = booster3d_section(top)
    top.finish()
    return CampaignRecipe(path=path, name=name, description=description, raw=raw, setup=setup_path, files=files,
                          calibration=cal, booster=booster, booster_specs=tuple(specs), receiver=receiver,
                          receiver_specs=tuple(rspecs), tsys=tsys, delay=delay, noise=noise, band=band,
                          montecarlo=mc, sensitivity=sens, truth=truth, booster3d=booster3d)


def read_truth(path: str | os.PathLike[str], inputs: Inputs | None = None) -> dict[str, np.ndarray]:
    """Columns of a truth CSV (``#`` comments, a header ``frequency_Hz,...``) by name."""
    path = Path(path)
    text = (inputs if inputs is not None else Inputs()).text(path)
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
