"""Fast models against stored full-wave references: loading, comparisons, report.

A reference lives in ``validation/<case>/``: data files (CSV, or COMSOL/CST exports read by
:mod:`emboost.rf.fem_exports`) and ``meta.toml`` (what was computed, geometry, materials, solver and
version, mesh and element order, the refinement check, the date and the command that regenerates
it). :func:`load_reference` reads both and checks that the files listed are there and that the
metadata has what a comparison needs; malformed references raise
:class:`~emboost.core.errors.DataFileError`.

Each case has a registered comparison (:data:`CASES`) returning :class:`Comparison` rows, one per
quantity, each with a tolerance and the reason for it. :func:`run_validation` runs them,
:func:`format_table` prints them and :func:`write_report` writes a Markdown report, a JSON
summary and overlay plots. ``perturb`` scales each model's characteristic length by ``1 + perturb``:
a check that the comparisons can fail.

Booster references (validation/booster_*): the FEM boost factor is the TE11 power relative to a
bare flat mirror of the same radius times eta_A, the definition of emboost's closed-booster model;
the 1-D model is compared with the modal source normalisation ``source="eps_eff"``, which the
FEM supports (the plane-wave ``"eps"`` normalisation is ~1 % off at this radius).

>>> from pathlib import Path
>>> root = Path(__file__).resolve().parents[2] / "validation"
>>> rows = compare("booster_ideal", root, quantities=["boost_factor_nominal"])
>>> rows[0].passed, rows[0].max_deviation < 1e-4
(True, True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.errors import DataFileError, InputError, SetupFileError
from emboost.core.output import atomic_write_json, atomic_write_text
from emboost.rf.fem_exports import ExportTable, read_export

__all__ = ["Reference", "Comparison", "load_reference", "compare", "run_validation", "format_table",
           "write_report", "CASES", "default_root", "data_root", "booster_model", "fit_to_reference", "tilt_threshold",
           "s11_dip"]


# --------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Reference:
    """A stored reference: its folder, parsed ``meta.toml`` and the data tables by file name."""

    name: str
    path: Path
    meta: dict[str, Any]
    tables: dict[str, ExportTable] = field(repr=False)

    def table(self, name: str) -> ExportTable:
        try:
            return self.tables[name]
        except KeyError:
            raise DataFileError(f"reference {self.name!r} has no data file {name!r}", path=self.path) from None

    def get(self, dotted: str) -> Any:
        """A value of ``meta.toml`` by dotted key; a clear error if it is missing."""
        node: Any = self.meta
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise DataFileError(f"meta.toml lacks '{dotted}'", path=self.path / "meta.toml", key=dotted)
            node = node[part]
        return node

    def quantity(self, dotted: str, dimension: str) -> Any:
        """A quantity of ``meta.toml`` in SI: ``{ value = x, unit = "mm" }`` or ``{ values = [...], unit = ... }``
        (the unit is required and honoured; ``radius = { value = 2.0, unit = "cm" }`` is 0.02 m)."""
        from emboost.core.units import parse_quantity

        return parse_quantity(self.get(dotted), dimension, path=self.path / "meta.toml", key=dotted)

    def length_or_metres(self, table: str, name: str) -> float:
        """``[table] name = { value, unit }`` (a length), else the plain number ``name_m`` in metres."""
        node = self.get(table)
        if isinstance(node, dict) and name not in node and f"{name}_m" in node:
            return _finite(self, f"{table}.{name}_m")
        return float(self.quantity(f"{table}.{name}", "length"))


def _finite(ref: Reference, dotted: str) -> float:
    """A plain number of ``meta.toml`` (its unit is in its key name, e.g. ``length_m``)."""
    v = ref.get(dotted)
    try:
        ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
    except OverflowError:
        ok = False
    if not ok:
        raise DataFileError(f"expected a finite number, got {str(v)[:40]!r}", path=ref.path / "meta.toml",
                            key=dotted)
    return float(v)


@dataclass(frozen=True)
class Comparison:
    """One quantity of one case: the largest deviation, its tolerance and the reason for it.

    ``expect="within"`` passes when ``max_deviation <= tolerance``; ``expect="exceeds"`` documents
    a known limit of the model (passes when the deviation is above the tolerance).
    ``x``/``model``/``reference`` are what the overlay plot shows.
    """

    case: str
    quantity: str
    max_deviation: float
    tolerance: float
    reason: str
    expect: str = "within"
    unit: str = "relative"
    x: np.ndarray | None = field(default=None, repr=False)
    model: np.ndarray | None = field(default=None, repr=False)
    reference: np.ndarray | None = field(default=None, repr=False)
    xlabel: str = "frequency [GHz]"
    ylabel: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.max_deviation):
            return False
        if self.expect == "exceeds":
            return self.max_deviation > self.tolerance
        return self.max_deviation <= self.tolerance

    def row(self) -> dict[str, Any]:
        return {"case": self.case, "quantity": self.quantity, "max_deviation": self.max_deviation,
                "tolerance": self.tolerance, "expect": self.expect, "unit": self.unit, "passed": self.passed,
                "reason": self.reason, **self.extra}


REQUIRED_META = ("solver.name", "solver.version", "solver.element_order")


def data_root(name: str) -> Path:
    """The folder of the shipped data ``name`` (``"validation"`` or ``"models"``).

    An installed wheel holds them as package data, ``emboost/data/<name>`` (found with
    :mod:`importlib.resources`; the build copies the repository's top-level folders there, see setup.py);
    a source checkout or an editable install has them at the repository's top level.

    >>> (data_root("validation") / "booster_ideal" / "meta.toml").is_file()
    True
    """
    from importlib.resources import files

    if name not in ("validation", "models"):
        raise InputError(f"unknown data folder {name!r}; known: validation, models", key="name")
    packaged = files("emboost").joinpath("data").joinpath(name)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / name


def default_root() -> Path:
    """The stored references: ``emboost/data/validation`` of an installed wheel, else the checkout's
    ``validation/`` (:func:`data_root`)."""
    return data_root("validation")


def load_reference(path: str | os.PathLike[str], files: Sequence[str] | None = None) -> Reference:
    """Read ``meta.toml`` and the data files of one reference folder.

    ``files`` defaults to ``[case] files`` of meta.toml, else to every ``*.csv`` in the folder.
    """
    from emboost.core.setupfile import read_toml

    d = Path(path)
    if not d.is_dir():
        raise DataFileError("reference folder not found", path=d)
    mp = d / "meta.toml"
    if not mp.exists():
        raise DataFileError("reference folder has no meta.toml (what was computed, solver, mesh, refinement)",
                            path=d)
    try:
        meta = read_toml(mp, error=DataFileError)
    except SetupFileError as exc:  # pragma: no cover - read_toml raises the error class it is given
        raise DataFileError(exc.reason, path=mp) from None
    ref = Reference(d.name, d, meta, {})
    for key in REQUIRED_META:
        ref.get(key)
    if files is None:
        listed = None
        for section in ("case", "run"):
            sec = meta.get(section)
            if sec is not None and not isinstance(sec, dict):
                raise DataFileError(f"[{section}] must be a table, got {str(sec)[:40]!r}", path=mp, key=section)
            if sec and sec.get("files") is not None:
                listed = sec["files"]
                if not (isinstance(listed, list) and all(isinstance(x, str) and x for x in listed)):
                    raise DataFileError(f"expected a list of file names, got {str(listed)[:40]!r}", path=mp,
                                        key=f"{section}.files")
                break
        files = list(listed) if listed else sorted(p.name for p in d.glob("*.csv"))
    tables = {}
    for name in files:
        fp = d / name
        if not fp.exists():
            raise DataFileError(f"meta.toml lists {name!r} but the file is missing", path=d, key=name)
        tables[name] = read_export(fp)
    return Reference(d.name, d, meta, tables)


# ------------------------------------------------------------------------------------ booster
def booster_model(ref: Reference, source: str = "eps_eff", perturb: float = 0.0) -> Any:
    """The 1-D (TE11 transmission-line) model with the reference's nominal geometry and materials."""
    from emboost.booster.model import Booster

    def arr(name: str, dimension: str) -> np.ndarray:
        return np.atleast_1d(np.asarray(ref.quantity(f"geometry.{name}", dimension), dtype=float))

    gaps = arr("gaps", "length") * (1 + perturb)
    return Booster.from_disks(gaps, arr("thickness", "length"), arr("permittivity", "dimensionless"),
                              arr("loss_tangent", "dimensionless"), radius=float(ref.quantity("geometry.radius",
                                                                                              "length")),
                              output_length=float(ref.quantity("geometry.output_length", "length")), source=source)


def _sweep(ref: Reference, name: str = "sweep.csv") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = ref.table(name)
    return np.real(t["f_hz"]), np.real(t["boost_factor"]), np.real(t["re_s11"]) + 1j * np.real(t["im_s11"])


def fit_to_reference(base: Any, f: np.ndarray, s11: np.ndarray, sigma: float = 1e-3) -> Any:
    """Fit gaps, one disk phase thickness and an effective tan(delta) to a reference S11.

    Uses the booster reflectivity fit (:func:`emboost.fit.booster.fit_booster`) on the complex S11.
    """
    from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11

    n = base.n_disks
    free = [f"gap_{i + 1}" for i in range(n)] + ["phase_thickness", "loss_tangent"]
    specs = booster_parameter_specs(base, free)
    return fit_booster(f, observables_from_s11(f, s11), base, specs, [Observable("s11", sigma=sigma)])


def _peak_dev(model: np.ndarray, ref: np.ndarray) -> float:
    """Largest |model - reference| over the sweep relative to the reference peak."""
    return float(np.max(np.abs(model - ref)) / np.max(ref))


def s11_dip(s11: np.ndarray) -> float:
    """Depth of the reflectivity dip: ``1 - min |S11|^2`` (power not reflected in the booster mode)."""
    return float(1 - np.min(np.abs(s11)) ** 2)


_GHZ = 1e-9


def _booster_rows(ref: Reference, f: np.ndarray, bf: np.ndarray, s11: np.ndarray, label: str, perturb: float,
                  nominal: bool = True, do_fit: bool = True, s11_tol: float = 2e-3) -> list[Comparison]:
    base = booster_model(ref, perturb=perturb)
    rows = []
    if nominal:
        r = base.response(f)
        rows.append(Comparison(
            ref.name, f"boost_factor_nominal{label}", _peak_dev(r.boost_factor, bf), 0.02,
            "required: 1-D model with nominal parameters within 2 % of the FEM boost factor without fitting "
            "(relative to the peak); measured ~1e-5 with the modal (eps_eff) sources",
            x=f * _GHZ, model=r.boost_factor, reference=bf, ylabel="boost factor"))
        eps = booster_model(ref, source="eps", perturb=perturb).response(f)
        rows.append(Comparison(
            ref.name, f"boost_factor_nominal_eps_sources{label}", _peak_dev(eps.boost_factor, bf), 0.02,
            "the plane-wave (1/eps) sources instead of the modal ones: off by a fraction of (f_c/f)^2 (~1 % at "
            "20 mm radius), still within the required 2 %; the FEM supports eps_eff (see boost_factor_nominal)",
            x=f * _GHZ, model=eps.boost_factor, reference=bf, ylabel="boost factor"))
        rows.append(Comparison(
            ref.name, f"s11_nominal{label}", float(np.max(np.abs(r.s11 - s11))), s11_tol,
            "complex S11, absolute; the 2-D FEM is converged to < 2e-5 (meta.toml [refinement]); the 3-D mesh "
            "adds a phase error of ~0.015 rad (tolerance 0.02 there)", unit="absolute", x=f * _GHZ,
            model=np.abs(r.s11), reference=np.abs(s11), ylabel="|S11|"))
    if not do_fit:
        return rows
    fit = fit_to_reference(base, f, s11)
    fb = fit.boost_factor(f)
    rows.append(Comparison(
        ref.name, f"boost_factor_after_fit{label}", _peak_dev(fb, bf), 0.01,
        "required: after fitting the 1-D model to the FEM reflectivity, boost factor within 1 % (relative to the peak)",
        x=f * _GHZ, model=fb, reference=bf, ylabel="boost factor",
        extra={"fit_verdict": fit.verdict().reason or "ok",
               "fitted_loss_tangent": float(np.ravel(fit.booster().loss_tangent)[0]),
               "min_abs_s11": float(np.min(np.abs(s11))), "s11_dip": s11_dip(s11),
               "fit_rms_s11": float(np.sqrt(np.mean(np.abs(fit.s11(f) - s11) ** 2)))}))
    return rows


def _multimode_row(ref: Reference, f: np.ndarray, bf: np.ndarray, surfaces: dict[int, Any], label: str,
                   perturb: float, tolerance: float = 0.02) -> Comparison:
    """The multi-mode solver (emboost.booster.multimode) with the reference's imperfection, no fit."""
    from emboost.booster.multimode import MultiModeSolver

    r = MultiModeSolver(booster_model(ref, perturb=perturb), surfaces).response(f)
    return Comparison(
        ref.name, f"boost_factor_multimode{label}", _peak_dev(r.boost_factor, bf), tolerance,
        "the multi-mode solver with the imperfection itself, no fit: within 2 % of the FEM peak (5 % at 3 deg of "
        "tilt) as the 3-D booster calls for; measured 0.1-0.7 %", x=f * _GHZ, model=r.boost_factor, reference=bf,
        ylabel="boost factor")


def _case_booster_ideal(ref: Reference, perturb: float) -> list[Comparison]:
    f, bf, s11 = _sweep(ref)
    rows = _booster_rows(ref, f, bf, s11, "", perturb)
    rows[0] = _replace(rows[0], tolerance=1e-3, reason=(
        "ideal booster: the TE11 modes of a uniform cylinder with full-radius disks do not couple, so the FEM must "
        "equal eta_A x the TE11 line with modal sources; 1e-3 (required: 2 %) since the FEM refinement changes < 1e-5"))
    m = ref.table("mirror.csv")
    dev = float(np.max(np.abs(np.real(m["fem_amplitude"]) / np.real(m["analytic_amplitude"]) - 1)))
    rows.append(Comparison(ref.name, "bare_mirror_amplitude", dev, 1e-3,
                           "FEM bare mirror vs the modal forcing c k0^2/beta^2 (source, projection and PML check)",
                           x=np.real(m["f_hz"]) * _GHZ, model=np.real(m["analytic_amplitude"]),
                           reference=np.real(m["fem_amplitude"]), ylabel="|TE11 amplitude| (bare mirror)"))
    return rows


def _case_booster_nonplanar(ref: Reference, perturb: float) -> list[Comparison]:
    f, bf, s11 = _sweep(ref)
    rows = _booster_rows(ref, f, bf, s11, "", perturb)
    # the nominal (flat) model cannot know the bulge: it documents the size of the effect (expected > 2 %)
    rows[0] = _replace(rows[0], expect="exceeds", reason=(
        "documented effect: the flat nominal model misses the disk-1 thickness profile (area mean +29 um), the booster "
        "mode shifts; expected above 2 % (the fit below absorbs it)"))
    rows[1] = _replace(rows[1], expect="exceeds", reason="as boost_factor_nominal, with 1/eps sources")
    rows[2] = _replace(rows[2], expect="exceeds", tolerance=0.05,
                       reason="the flat nominal model's S11 misses the profile: expected to differ by > 0.05")
    from emboost.booster.multimode import radial_profile

    prof = ref.table("profile.csv")
    thick = float(np.ravel(ref.quantity("geometry.thickness", "length"))[0])
    far_face = radial_profile(np.real(prof["r_m"]), np.real(prof["thickness_m"]) - thick)
    rows.append(_multimode_row(ref, f, bf, {2: far_face}, "", perturb))
    return rows


def _case_booster_tiltdisk(ref: Reference, perturb: float) -> list[Comparison]:
    """Disk 1 tilted about the y axis through its centre (3-D FEM): the flat 1-D model documents the effect, the
    multi-mode solver must reproduce it without a fit."""
    from emboost.booster.multimode import disk_tilt

    t = ref.table("sweep.csv")
    rows: list[Comparison] = []
    for ang in np.unique(np.real(t["tilt_deg"])):
        sel = np.real(t["tilt_deg"]) == ang
        f, bf = np.real(t["f_hz"])[sel], np.real(t["boost_factor"])[sel]
        nominal = booster_model(ref, perturb=perturb).response(f)
        rows.append(Comparison(
            ref.name, f"boost_factor_nominal_tiltdisk_{ang:g}deg", _peak_dev(nominal.boost_factor, bf), 0.02,
            "documented effect: the flat 1-D model misses the disk tilt's mode conversion; expected above 2 %",
            expect="exceeds", x=f * _GHZ, model=nominal.boost_factor, reference=bf, ylabel="boost factor"))
        rows.append(_multimode_row(ref, f, bf, disk_tilt(1, math.radians(float(ang))), f"_tiltdisk_{ang:g}deg",
                                   perturb))
    return rows


def _case_booster_smalldisk(ref: Reference, perturb: float) -> list[Comparison]:
    """Disks smaller than the cylinder (2-D FEM): the full-disk model documents the effect, the multi-mode solver
    with the disk radius must reproduce it without a fit; the full-disk run is the limit a -> R of the 1-D model."""
    from emboost.booster.multimode import MultiModeSolver

    t = ref.table("sweep.csv")
    radius = float(ref.quantity("geometry.radius", "length"))
    rows: list[Comparison] = []
    for a_mm in np.unique(np.real(t["disk_radius_mm"])):
        sel = np.real(t["disk_radius_mm"]) == a_mm
        f, bf = np.real(t["f_hz"])[sel], np.real(t["boost_factor"])[sel]
        model = booster_model(ref, perturb=perturb)
        nominal = model.boost_factor(f)
        if a_mm * 1e-3 >= radius * (1 - 1e-9):
            rows.append(Comparison(
                ref.name, "boost_factor_nominal_fulldisk", _peak_dev(nominal, bf), 2e-3,
                "disks filling the cylinder: the FEM must equal the 1-D TE11 model (limit a -> R); 2e-3",
                x=f * _GHZ, model=nominal, reference=bf, ylabel="boost factor"))
            continue
        rows.append(Comparison(
            ref.name, f"boost_factor_nominal_disk_{a_mm:g}mm", _peak_dev(nominal, bf), 0.02,
            "documented effect: the full-disk model misses the vacuum annulus; expected above 2 %", expect="exceeds",
            x=f * _GHZ, model=nominal, reference=bf, ylabel="boost factor"))
        mb = MultiModeSolver(model, disk_radius=a_mm * 1e-3).boost_factor(f)
        rows.append(Comparison(
            ref.name, f"boost_factor_multimode_disk_{a_mm:g}mm", _peak_dev(mb, bf), 0.005,
            "the multi-mode solver with the disk radius, no fit: within 0.5 % of the FEM peak (its series converges "
            "like 1/kc_max; measured 0.2 % at the default kc_max, FEM refinement change 3e-4)", x=f * _GHZ, model=mb,
            reference=bf, ylabel="boost factor"))
    return rows


#: tilt angles [deg] whose fitted-model deviation is at most 10 % (the rest exceed it); set from the data
TILT_LIMIT = 0.10


def tilt_threshold(tilts: np.ndarray, deviations: np.ndarray, limit: float = TILT_LIMIT) -> float:
    """Tilt [deg] at which the after-fit deviation crosses ``limit`` (linear interpolation; inf if never).

    >>> tilt_threshold(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.05, 0.15]))
    1.5
    """
    order = np.argsort(tilts)
    t, d = np.asarray(tilts, float)[order], np.asarray(deviations, float)[order]
    above = np.nonzero(d > limit)[0]
    if above.size == 0:
        return math.inf
    i = int(above[0])
    if i == 0:
        return float(t[0])
    return float(t[i - 1] + (limit - d[i - 1]) * (t[i] - t[i - 1]) / (d[i] - d[i - 1]))


def _case_booster_tilt(ref: Reference, perturb: float) -> list[Comparison]:
    t = ref.table("sweep.csv")
    tilt = np.real(t["tilt_deg"])
    rows: list[Comparison] = []
    devs, dips, tl = [], [], []
    for ang in np.unique(tilt):
        sel = tilt == ang
        f = np.real(t["f_hz"])[sel]
        bf = np.real(t["boost_factor"])[sel]
        s11 = np.real(t["re_s11"])[sel] + 1j * np.real(t["im_s11"])[sel]
        if ang == 0:
            # the 3-D model without tilt against the 1-D model: a check of the 3-D mesh (no fit needed)
            rows.extend(_booster_rows(ref, f, bf, s11, "_tilt_0deg", perturb, do_fit=False, s11_tol=0.02))
            continue
        if f.size < 8:
            continue
        from emboost.booster.multimode import mirror_tilt

        rows.append(_multimode_row(ref, f, bf, mirror_tilt(math.radians(float(ang))), f"_tilt_{ang:g}deg", perturb,
                                   tolerance=0.05 if ang > 2 else 0.02))
        r = _booster_rows(ref, f, bf, s11, f"_tilt_{ang:g}deg", perturb, nominal=False)
        fitted = r[-1]
        devs.append(fitted.max_deviation)
        dips.append(fitted.extra["s11_dip"])
        tl.append(ang)
        if fitted.max_deviation > TILT_LIMIT:
            r[-1] = _replace(fitted, tolerance=TILT_LIMIT, expect="exceeds", reason=(
                "beyond the reliability limit: the fitted 1-D model misses the tilt's mode conversion by > 10 % "
                "(documented; see tilt_threshold)"))
        elif ang != 0:
            r[-1] = _replace(fitted, tolerance=TILT_LIMIT, reason=(
                "tilted mirror: after the reflectivity fit the 1-D boost factor within 10 % of the FEM (the "
                "paper's criterion for a usable model)"))
        rows.extend(r)
    if tl:
        thr = tilt_threshold(np.array(tl), np.array(devs))
        rows.append(Comparison(ref.name, "tilt_threshold_deg", thr, float(max(tl)),
                               "tilt beyond which the after-fit boost deviation exceeds 10 % (must lie inside the "
                               "computed range)", unit="deg", x=np.array(tl), model=np.array(devs),
                               reference=np.full(len(tl), TILT_LIMIT), xlabel="tilt [deg]",
                               ylabel="after-fit boost deviation (model) / 10 % limit",
                               extra={"tilts_deg": tl, "after_fit_deviation": devs, "s11_dip": dips,
                                      "min_abs_s11": [math.sqrt(1 - d) for d in dips]}))
        rows.append(_s11_relation(ref, np.array(tl), np.array(devs), np.array(dips)))
    return rows


def _s11_relation(ref: Reference, tilts: np.ndarray, devs: np.ndarray, dips: np.ndarray) -> Comparison:
    """The reliability of the fitted model against the depth of the |S11| minimum at resonance.

    Adds the untilted booster (booster_ideal, if stored next to this case) as the zero-tilt point. The
    check: the after-fit deviation grows monotonically with the dip (1 - Spearman rank correlation = 0);
    reported: the min |S11| at which the deviation reaches 10 % (interpolated in the dip).
    """
    ideal = ref.path.parent / "booster_ideal"
    t, d, p = list(tilts), list(devs), list(dips)
    if (ideal / "meta.toml").exists():
        iref = load_reference(ideal, ("sweep.csv",))
        f, bf, s11 = _sweep(iref)
        fit = fit_to_reference(booster_model(iref), f, s11)
        t.append(0.0)
        d.append(_peak_dev(fit.boost_factor(f), bf))
        p.append(s11_dip(s11))
    order = np.argsort(p)
    pd, dd = np.array(p)[order], np.array(d)[order]
    rank = lambda x: np.argsort(np.argsort(x))  # noqa: E731
    rho = float(np.corrcoef(rank(pd), rank(dd))[0, 1]) if len(pd) > 2 else float("nan")
    cross = np.nonzero(dd > TILT_LIMIT)[0]
    if cross.size and cross[0] > 0:
        i = int(cross[0])
        dip10 = pd[i - 1] + (TILT_LIMIT - dd[i - 1]) * (pd[i] - pd[i - 1]) / (dd[i] - dd[i - 1])
        min_s11_10 = math.sqrt(1 - dip10)
    else:
        min_s11_10 = float("nan")
    return Comparison(ref.name, "s11_dip_vs_reliability", 1 - rho, 1e-9,
                      "the deeper the |S11| minimum at resonance (1 - min|S11|^2), the larger the after-fit boost "
                      "error: 1 - Spearman rank correlation must be 0 (strictly monotonic)", unit="1 - rho",
                      x=pd, model=dd, reference=np.full(pd.size, TILT_LIMIT), xlabel="1 - min|S11|^2 at resonance",
                      ylabel="after-fit boost deviation",
                      extra={"tilts_deg": [float(x) for x in np.array(t)[order]], "s11_dip": pd.tolist(),
                             "after_fit_deviation": dd.tolist(), "min_abs_s11_at_10_percent": min_s11_10})


def _replace(c: Comparison, **kw: Any) -> Comparison:
    from dataclasses import replace

    return replace(c, **kw)


# ------------------------------------------------------------------------------ RADES, DMRadio
def _case_rades(ref: Reference, perturb: float, q0_tolerance: float = 0.10,
                q0_reason: str | None = None) -> list[Comparison]:
    from emboost.cavity.chain import CavityChain
    from emboost.cavity.iris import Iris

    t = ref.table("modes.csv")
    iris = Iris("inductive", window=float(ref.quantity("geometry.iris_window", "length")),
                thickness=float(ref.quantity("geometry.iris_thickness", "length")))
    lengths = np.atleast_1d(np.asarray(ref.quantity("geometry.cavity_lengths", "length"), dtype=float))
    n = lengths.size
    chain = CavityChain(a=float(ref.quantity("geometry.a", "length")), b=float(ref.quantity("geometry.b", "length")),
                        lengths=tuple(float(x) * (1 + perturb) for x in lengths), irises=(iris,) * (n - 1))
    m = chain.modes((8.0e9, 9.5e9))
    f_ref = np.real(t["f_hz"])
    if m.frequency.size != f_ref.size:
        return [Comparison(ref.name, "mode_frequencies", math.inf, 5e-3, "mode count differs from the reference")]
    ax = m.axion_index
    amps = np.array([np.real(t[f"amp_{j}"])[0] for j in range(1, n + 1)])
    return [
        Comparison(ref.name, "mode_frequencies", float(np.max(np.abs(m.frequency / f_ref - 1))), 5e-3,
                   "required: thick-iris circuit within 0.5 % of the FEM eigenfrequencies (measured 0.09 %)",
                   x=np.arange(1, f_ref.size + 1), model=m.frequency * _GHZ, reference=f_ref * _GHZ,
                   xlabel="mode", ylabel="frequency [GHz]"),
        Comparison(ref.name, "form_factor_axion_mode", abs(m.form_factor[ax] / np.real(t["form_factor"])[0] - 1),
                   0.05, "required: 5 % (measured 3.4 %)"),
        Comparison(ref.name, "axion_mode_amplitudes", float(np.max(np.abs(m.amplitude[ax] - amps))), 0.02,
                   "axis samples vs standing-wave peaks, absolute (normalised to 1)", unit="absolute",
                   x=np.arange(1, n + 1), model=np.asarray(m.amplitude[ax]), reference=amps, xlabel="sub-cavity",
                   ylabel="relative field"),
        _rades_q0(ref, chain, m.frequency, q0_tolerance, q0_reason),
    ]


def _case_rades_refined(ref: Reference, perturb: float) -> list[Comparison]:
    """The same filter against the FEM reference refined (hp) at the iris edges: Q0 to the 5 % target."""
    return _case_rades(ref, perturb, q0_tolerance=0.05, q0_reason=(
        "required: 5 %; FEM refined geometrically at the iris edges (Q0 converged to 0.3 %, meta.toml); "
        "no fitted constant"))


def _rades_q0(ref: Reference, chain: Any, f_modes: np.ndarray, tolerance: float = 0.10,
              reason: str | None = None) -> Comparison:
    """Q0 (room-temperature copper) of every mode: iris loss from Wheeler's rule on a mode-matched iris."""
    from dataclasses import replace

    t = ref.table("modes.csv")
    q_ref = np.real(t["q0_copper_rt"])
    sigma = float(ref.get("geometry")["wall_conductivity"]["value"])
    q0 = np.array([q.q0 for q in replace(chain, conductivity=sigma, _cache={}).mode_q(f_modes)])
    reason = reason or ("coarse FEM: -8.8 % (mode 1) to -2.6 % (mode 5), no fitted constant; this FEM is not "
                        "converged at the iris edges, the refined one (rades_5cavity_refined) agrees to 5 % "
                        "(docs/cavity.md)")
    return Comparison(ref.name, "q0_every_mode", float(np.max(np.abs(q0 / q_ref - 1))), tolerance,
                      reason, x=np.arange(1, q_ref.size + 1), model=q0,
                      reference=q_ref, xlabel="mode", ylabel="Q0")


def _case_dmradio(ref: Reference, perturb: float) -> list[Comparison]:
    from emboost.pickup.coax import CoaxPickup, CopperModel

    length, r_inner, r_outer = (ref.length_or_metres("geometry", k) for k in ("length", "r_inner", "r_outer"))
    g = ref.get("geometry")
    sigma = (_finite(ref, "geometry.wall_conductivity_s_per_m") if isinstance(g, dict) and "wall_conductivity"
             not in g else float(ref.quantity("geometry.wall_conductivity", "conductivity")))
    rows = []
    for hollow in (False, True):
        pick = CoaxPickup(length * (1 + perturb), r_inner, r_outer, hollow=hollow,
                          copper=CopperModel("room_temperature", conductivity=sigma))
        f4 = pick.quarter_wave_frequency
        if not hollow:
            t = ref.table("impedance.csv")
            f = np.real(t["f_hz"])
            z = np.real(t["re_z_ohm"]) + 1j * np.real(t["im_z_ohm"])
            ok = np.abs(f / (np.maximum(np.round(f / f4), 1) * f4) - 1) > 0.03
            zt = pick.impedance(f)
            rows.append(Comparison(ref.name, "impedance", float(np.max(np.abs(z - zt)[ok] / np.abs(zt)[ok])), 0.02,
                                   "required: 2 % away from the internal resonances (+-3 %); measured 6.7e-4",
                                   x=f[ok] * 1e-6, model=np.abs(zt[ok]), reference=np.abs(z[ok]),
                                   xlabel="frequency [MHz]", ylabel="|Z| [ohm]"))
            rows.append(Comparison(ref.name, "impedance_real_part",
                                   float(np.max(np.abs(z.real - zt.real)[ok] / np.abs(zt.real)[ok])), 0.02,
                                   "loss: Re Z within 2 % away from resonances (R' and the shorting plate)",
                                   x=f[ok] * 1e-6, model=zt.real[ok], reference=z.real[ok], xlabel="frequency [MHz]",
                                   ylabel="Re Z [ohm]"))
        t = ref.table("voltage.csv")
        f = np.real(t["f_hz"])
        col = "hollow" if hollow else "solid"
        v = np.real(t[f"re_v_{col}"]) + 1j * np.real(t[f"im_v_{col}"])
        ok = np.abs(f / (np.maximum(np.round(f / f4), 1) * f4) - 1) > 0.03
        vt = pick.voltage(f, 1.0)
        rows.append(Comparison(ref.name, f"voltage_{col}", float(np.max(np.abs(v - vt)[ok] / np.abs(vt)[ok])), 0.10,
                               "required: 10 % away from resonances; measured 6.8e-4", x=f[ok] * 1e-6,
                               model=np.abs(vt[ok]), reference=np.abs(v[ok]), xlabel="frequency [MHz]",
                               ylabel="|V| per unit J_a"))
    return rows


#: case name -> (data files, comparison function(reference, perturb))
CASES: dict[str, tuple[tuple[str, ...] | None, Callable[[Reference, float], list[Comparison]]]] = {
    "booster_ideal": (None, _case_booster_ideal),
    "booster_tilt": (None, _case_booster_tilt),
    "booster_nonplanar": (None, _case_booster_nonplanar),
    "booster_tiltdisk": (None, _case_booster_tiltdisk),
    "booster_smalldisk": (None, _case_booster_smalldisk),
    "rades_5cavity": (("modes.csv",), _case_rades),
    "rades_5cavity_refined": (("modes.csv",), _case_rades_refined),
    "dmradio_coax": (("impedance.csv", "voltage.csv", "dense_30mhz.csv"), _case_dmradio),
}


def compare(case: str, root: str | os.PathLike[str] | None = None, *, perturb: float = 0.0,
            quantities: Iterable[str] | None = None) -> list[Comparison]:
    """Run the registered comparison of one case (optionally only some quantities)."""
    if case not in CASES:
        raise InputError(f"unknown validation case {case!r}; known: {sorted(CASES)}", key="case")
    root = default_root() if root is None else Path(root)
    files, fn = CASES[case]
    ref = load_reference(root / case, files)
    rows = fn(ref, perturb)
    if quantities is not None:
        q = set(quantities)
        rows = [r for r in rows if r.quantity in q]
    return rows


def run_validation(names: Sequence[str] | None = None, root: str | os.PathLike[str] | None = None, *,
                   perturb: float = 0.0) -> list[Comparison]:
    """Every case (or those named) that has a folder under ``root``."""
    root = default_root() if root is None else Path(root)
    if names:
        unknown = [n for n in names if n not in CASES]
        if unknown:
            raise InputError(f"unknown validation case(s) {unknown}; known: {sorted(CASES)}", key="case")
        todo = list(names)
    else:
        todo = [n for n in CASES if (root / n).is_dir()]
        if not todo:
            raise InputError(f"no validation references under {root} (expected folders such as {sorted(CASES)[0]}/"
                             "); give --root the repository's validation/ folder", key="root")
    rows: list[Comparison] = []
    for n in todo:
        rows.extend(compare(n, root, perturb=perturb))
    return rows


def format_table(rows: Sequence[Comparison]) -> str:
    """A plain-text table: case, quantity, max deviation, tolerance, pass/fail."""
    head = f"{'case':<18} {'quantity':<44} {'max deviation':>14} {'tolerance':>12}  result"
    lines = [head, "-" * len(head)]
    for r in rows:
        tol = ("> " if r.expect == "exceeds" else "<= ") + f"{r.tolerance:.3g}"
        lines.append(f"{r.case:<18} {r.quantity:<44} {r.max_deviation:>14.4g} {tol:>12}  "
                     f"{'pass' if r.passed else 'FAIL'}")
    n_fail = sum(not r.passed for r in rows)
    lines.append(f"{len(rows) - n_fail} passed, {n_fail} failed")
    return "\n".join(lines)


def _plot(r: Comparison, path: Path) -> None:
    """The overlay of model and reference of one compared quantity, written to ``path`` (PNG)."""
    from emboost.report.plots import overlay_figure, save_figure

    if r.x is None or r.model is None or r.reference is None:
        return
    title = f"{r.case}: {r.quantity}\nmax deviation {r.max_deviation:.3g} ({'pass' if r.passed else 'FAIL'})"
    save_figure(overlay_figure(r.x, r.reference, r.model, xlabel=r.xlabel, ylabel=r.ylabel, title=title), path,
                dpi=90)


def write_report(rows: Sequence[Comparison], out: str | os.PathLike[str], *, plots: bool = True) -> Path:
    """``report.md`` (table with reasons), ``summary.json`` and one overlay PNG per plotted quantity."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    md = ["# Validation report", "", "| case | quantity | max deviation | tolerance | result | reason |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        png = ""
        if plots and r.x is not None and r.model is not None and r.reference is not None:
            name = f"{r.case}__{r.quantity}.png"
            _plot(r, out / name)
            png = f" ![]({name})"
        tol = (">" if r.expect == "exceeds" else "<=") + f" {r.tolerance:.3g}"
        md.append(f"| {r.case} | {r.quantity} | {r.max_deviation:.4g} | {tol} | "
                  f"{'pass' if r.passed else 'FAIL'} | {r.reason}{png} |")
    n_fail = sum(not r.passed for r in rows)
    md += ["", f"{len(rows) - n_fail} passed, {n_fail} failed", ""]
    atomic_write_text(out / "report.md", "\n".join(md))
    atomic_write_json(out / "summary.json", {"passed": n_fail == 0, "rows": [r.row() for r in rows]})
    return out / "report.md"
