"""Reach of a haloscope placed in a host magnet: the coupling it reaches and the time to scan a band.

A :class:`Haloscope` is a detector (:class:`emboost.reach.detector.Detector`) placed in a magnet of the
catalogue (:mod:`emboost.reach.magnets`) with its run parameters; :func:`evaluate` asks the detector for
its reach and scan rate and combines the units that fill the magnet; :func:`load_scenario` reads a
scenario file, building each ``[[haloscope]]`` table's detector with the builder registered for its
``kind`` (:func:`emboost.reach.detector.register_detector`). Three families ship with emboost
(:mod:`emboost.reach.families`):

* ``tm010`` — :class:`~emboost.cavity.tm010.TM010Cavity`, an empty copper cylinder in its TM010 mode
  (``f0 = chi01 c / (2 pi R)``, ``C = 4 / chi01^2 = 0.6917``, ``Q_c = chi01 Z0 / (2 R_s (1 + R/L))``
  with the cryogenic anomalous-skin ``R_s``; C and Q0 held over the tuning range, an approximation).
  A cavity "filling a bore" has the bore radius minus a wall allowance and the magnet's field length.
* ``rades_chain`` — :class:`~emboost.reach.chains.RadesChain`, an iris-coupled chain re-designed at every
  frequency for a flat field; filling a bore (:func:`~emboost.reach.chains.fill_bore`) means as many
  chains as fit, each with its own readout, **combined incoherently**: ``n`` equal chains reach
  ``g_1 n^(-1/4)`` and scan ``n`` times faster.
* ``booster`` — :class:`~emboost.reach.boosters.BoosterInMagnet`, a dielectric booster from a setup file
  with the magnet's field replacing the file's.

The magnet must be a transverse dipole for a RADES chain, an axial field (solenoid) for a TM010
cavity in a real installation; here both see the catalogue's central field ``B`` as uniform and
parallel to the mode's electric field (an assumption stated in the scenario file).

Physics of the reach (physics.md §1.6, §2.2; :mod:`emboost.core.radiometry`): the Dicke radiometer with
the axion linewidth ``dnu_a = f / Q_a`` (``Q_a`` the standard-halo effective value 6.78e5) gives the
coupling reached with signal-to-noise ``SNR`` in a time ``dt`` per tuning step. The cavity scan rate for
amplifier-noise-dominated, continuously tuned cavities with ``Q_L << Q_a`` is

    dnu/dt = (pi/4) (Q_a / Q_L) (P_a / (k T_sys))^2 / SNR^2 ,

``P_a`` the Sikivie power on resonance at the target coupling (:func:`emboost.core.axion.sikivie_power`),
and the scan time of a band is ``int df / (dnu/dt)``. A booster's rate is the full width at half
maximum of its boost factor divided by the time a step needs for the target coupling at half the
peak boost factor (the response shape is assumed to move rigidly with the disk spacing).

The names that lived here before the families had their own modules (``TM010Cavity``, ``tm010_*``,
``RadesChain``, ``BoosterInMagnet``, ``cavity_scan_rate``, ...) are still importable from this module.

>>> cav = TM010Cavity(radius=0.1, length=1.0)
>>> round(cav.f0 / 1e6, 3), round(cav.form_factor, 4)
(1147.425, 0.6917)
>>> rectangles_in_circle(1.0, 1.0, 2.0 * 2 ** 0.5)   # 2 x 2 unit squares fit a circle of radius sqrt 2
4
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emboost.cavity.tm010 import (
    CHI01,
    MISALIGNED_FORM_FACTOR,
    TM010Cavity,
    cold_surface_resistance,
    form_factor_overlap,
    tm010_form_factor,
    tm010_form_factor_numeric,
    tm010_frequency,
    tm010_q_conductor,
    tm010_q_numeric,
    tm010_radius,
    unit_direction,
)
from emboost.core.constants import GEV_PER_CM3
from emboost.core.constants import h as h_planck
from emboost.core.errors import EmboostError, InputError, PhysicsError, SetupFileError
from emboost.core.radiometry import YEAR, axion_q, booster_scan_rate, cavity_scan_rate, scan_time
from emboost.core.reprs import short_repr
from emboost.core.search import CavityFigures, Run
from emboost.core.setupfile import Table, read_toml
from emboost.reach import families as _families  # noqa: F401  (registers the built-in detector families)
from emboost.reach.boosters import BoosterInMagnet
from emboost.reach.chains import RadesChain, fill_bore
from emboost.reach.coherent import MODES as COMBINATION_MODES
from emboost.reach.coherent import Combination, combine, expected_phase_efficiency
from emboost.reach.detector import Detector, Host, detector_builder, detector_kinds
from emboost.reach.fieldform import ProfileFactor, longitudinal_factor
from emboost.reach.limits import load_limit
from emboost.reach.magnets import Magnet, load_magnets
from emboost.reach.packing import Packing, rectangles_in_circle

__all__ = [
    "CHI01", "tm010_frequency", "tm010_radius", "tm010_form_factor", "tm010_form_factor_numeric",
    "tm010_q_conductor", "tm010_q_numeric", "cold_surface_resistance", "CavityFigures", "TM010Cavity",
    "RadesChain", "rectangles_in_circle", "Packing", "fill_bore", "BoosterInMagnet", "cavity_scan_rate",
    "booster_scan_rate", "scan_time", "axion_q", "Haloscope", "ReachResult", "evaluate", "ReachScenario",
    "load_scenario", "scan_years", "PUBLISHED_LIMITS", "form_factor_overlap", "unit_direction",
    "MISALIGNED_FORM_FACTOR",
]

#: published limits as flat bars (label, mass ranges [eV], rounded |g| [GeV^-1], source): the fallback of a reach
#: figure whose scenario names no limit files (``[scenario] limits``, :mod:`emboost.reach.limits`, drawn as curves)
PUBLISHED_LIMITS: tuple[dict[str, Any], ...] = (
    {"label": "CAST-RADES 2021", "masses_ev": ((34.6738e-6, 34.6771e-6),), "g_gev": 4e-13,
     "source": "g ≳ 4e-13 GeV^-1 (95 %), arXiv:2104.13798"},
    {"label": "MADMAX CB200", "masses_ev": ((76.56e-6, 76.82e-6), (79.31e-6, 79.53e-6)), "g_gev": 2e-11,
     "source": "|g| ≳ 2e-11 GeV^-1 (95 %), PRL 135 041001 / arXiv:2409.11777"},
)


# ------------------------------------------------------------------------------------------ haloscopes
@dataclass(frozen=True)
class Haloscope:
    """A haloscope in a magnet and its run parameters (SI): ``kind`` and ``detector`` (any
    :class:`~emboost.reach.detector.Detector`), ``b_field`` [T], ``band`` [Hz], ``points`` of the
    reach grid, ``t_sys`` [K], port ``coupling`` beta (NaN without a port), ``time_per_step`` [s], ``snr``, ``rho``
    [J/m^3], ``target`` ("ksvz", "dfsz" or a coupling in 1/J), and for units filling a bore the
    :class:`Packing` (else one unit)."""

    name: str
    kind: str
    detector: Detector
    magnet: Magnet
    b_field: float
    band: tuple[float, float]
    points: int
    t_sys: float
    time_per_step: float
    snr: float
    rho: float
    target: str | float
    coupling: float = 1.0
    packing: Packing | None = None
    notes: tuple[str, ...] = ()
    combination: str = "incoherent"
    phase_rms: float = 0.0
    unit_fields: tuple[float, ...] | None = None
    profile_factors: tuple[ProfileFactor, ...] = ()

    def __post_init__(self) -> None:
        if self.combination not in COMBINATION_MODES:
            raise InputError(f"combination must be one of {COMBINATION_MODES}, got {self.combination!r}")
        if not (np.isfinite(self.phase_rms) and self.phase_rms >= 0):
            raise InputError(f"phase_rms must be >= 0 rad, got {self.phase_rms!r}")
        if self.unit_fields is not None and len(self.unit_fields) != self.units:
            raise InputError(f"unit_fields has {len(self.unit_fields)} entries for {self.units} units")

    @property
    def units(self) -> int:
        """Number of detector units (1 unless a packing fills the magnet)."""
        return 1 if self.packing is None else self.packing.units

    @property
    def unit_amplitudes(self) -> np.ndarray:
        """Signal amplitude of each unit relative to one unit in ``b_field``: ``B_eff,i / b_field``
        (all 1 without a field profile)."""
        if self.unit_fields is None:
            return np.ones(self.units)
        return np.asarray(self.unit_fields, dtype=float) / self.b_field

    def combination_result(self) -> Combination:
        """How the units combine (:func:`emboost.reach.coherent.combine`): coherent with the expected phase
        efficiency for ``phase_rms``, or power-sum."""
        a = self.unit_amplitudes
        if self.combination == "coherent":
            if self.phase_rms > 0 and np.all(a == a[0]):
                return combine(self.units, mode="coherent", amplitudes=a, phase_rms=self.phase_rms)
            if self.phase_rms > 0:  # unequal amplitudes: the mean efficiency of equal chains, applied to the sum
                eta = expected_phase_efficiency(self.units, self.phase_rms)
                base = combine(self.units, mode="coherent", amplitudes=a)
                return dataclasses.replace(base, snr_gain=base.snr_gain * eta, phase_efficiency=eta,
                                           coupling_factor=(base.snr_gain * eta) ** -0.5,
                                           rate_factor=(base.snr_gain * eta) ** 2)
            return combine(self.units, mode="coherent", amplitudes=a)
        return combine(self.units, mode="incoherent", amplitudes=a)

    def grid(self) -> np.ndarray:
        """The reach grid [Hz]: ``points`` frequencies spanning ``band`` (one if the band is a point)."""
        f1, f2 = self.band
        return np.array([f1]) if f2 == f1 else np.linspace(f1, f2, self.points)


@dataclass(frozen=True)
class ReachResult:
    """Reach of one haloscope: on ``frequency`` (nf,) [Hz] the combined ``g_reach`` and per-unit
    ``g_unit`` [GeV^-1] for ``time_per_step``, the target coupling ``g_target`` [GeV^-1], the scan
    ``rate`` [Hz/s] at the target, cavity figures (NaN for a booster), ``boost_factor`` (NaN for
    cavities), the ``scan_seconds`` over the band and the detector's ``extra`` details. ``frequency`` is
    the detector's reach grid (for a booster: its response on the setup file's band)."""

    __repr__ = short_repr

    haloscope: Haloscope
    frequency: np.ndarray
    g_reach: np.ndarray
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
    checks: dict[str, tuple[bool, str]] = field(default_factory=dict)

    @property
    def failed_checks(self) -> list[str]:
        """``"name: detail"`` of every failed plausibility check."""
        return [f"{k}: {d}" for k, (ok, d) in self.checks.items() if not ok]


def evaluate(h: Haloscope) -> ReachResult:
    """Reach g(f) at ``h.time_per_step`` and the scan rate and time over ``h.band`` at the target.

    The detector answers for one unit in the field ``h.b_field`` (:meth:`~emboost.reach.detector.Detector.response`);
    the ``h.units`` units are combined (:meth:`Haloscope.combination_result`, :mod:`emboost.reach.coherent`) with
    the SNR gain ``G``: ``g = g_1 G^(-1/2)``, ``rate = G^2 rate_1``. Power-sum combination of equal units gives
    ``g_1 n^(-1/4)`` and ``n rate_1``, coherent ``g_1 n^(-1/2)`` and ``n^2 rate_1``. The plausibility checks of
    the combination, the field profile, the form factor and the reach are in ``checks``.
    """
    run = Run(b_field=h.b_field, t_sys=h.t_sys, time_per_step=h.time_per_step, snr=h.snr, rho=h.rho,
              target=h.target, coupling=h.coupling, units=1)
    d = h.detector.response(h.grid(), run)
    comb = h.combination_result()
    g = d.g_unit * comb.coupling_factor
    rate = d.rate * comb.rate_factor
    seconds = d.scan_seconds
    if comb.rate_factor != 1.0:
        if "band_rate_hz_per_s" in d.extra:  # a booster: its rate lives on the band grid
            seconds = scan_time(d.extra["band_frequency_hz"], np.asarray(d.extra["band_rate_hz_per_s"])
                                * comb.rate_factor)
        else:
            with np.errstate(divide="ignore"):
                seconds = scan_time(d.frequency, rate)
    extra = dict(d.extra)
    if comb.n > 1:
        extra["combination"] = {"mode": comb.mode, "units": comb.n, "snr_gain": comb.snr_gain,
                                "phase_efficiency": comb.phase_efficiency, "phase_rms_rad": h.phase_rms,
                                "coupling_factor": comb.coupling_factor, "rate_factor": comb.rate_factor}
    if h.profile_factors:
        extra["field_profile"] = [{"z_start_m": p.z0, "length_m": p.length, "shape": p.shape, "kappa": p.kappa,
                                   "b_max_T": p.b_max, "b_mean_T": p.b_mean, "b_eff_T": p.b_eff}
                                  for p in h.profile_factors]
    checks: dict[str, tuple[bool, str]] = {f"combination.{k}": v for k, v in comb.checks.items()}
    for i, p in enumerate(h.profile_factors):
        checks.update({f"profile[{i}].{k}": v for k, v in p.checks.items()})
    cf = d.form_factor[np.isfinite(d.form_factor)]
    if cf.size:
        checks["form_factor_range"] = (bool(np.all((cf >= 0) & (cf <= 1))),
                                       f"form factor {float(cf.min()):.4g}-{float(cf.max()):.4g} in [0, 1]")
        aligned = cf >= MISALIGNED_FORM_FACTOR
        g_aligned = g[np.isfinite(d.form_factor)][aligned]
        ok = bool(np.all(np.isfinite(g_aligned) & (g_aligned > 0)))
        checks["reach_finite"] = (ok, "the reach is finite and > 0 wherever the mode couples")
        ql = d.q_loaded[np.isfinite(d.q_loaded)]
        if ql.size:
            ratio = float(ql.max()) / axion_q()
            checks["q_loaded_below_q_a"] = (ratio < 1.0, f"Q_L/Q_a = {ratio:.3g} < 1 (the scan-rate formula needs "
                                                         "Q_L << Q_a)")
    else:
        ok = bool(np.all(np.isfinite(g) & (g > 0)))
        checks["reach_finite"] = (ok, "the reach is finite and > 0")
    return ReachResult(h, d.frequency, g, d.g_unit, d.g_target, rate, d.volume, d.form_factor, d.q0, d.q_loaded,
                       d.boost_factor, seconds, extra, checks)


# ------------------------------------------------------------------------------------------ scenario files
@dataclass(frozen=True)
class ReachScenario:
    """A reach scenario file: its ``name``, the ``magnets`` catalogue and the ``haloscopes``."""

    name: str
    path: Path
    magnets_path: Path
    magnets: dict[str, Magnet]
    haloscopes: tuple[Haloscope, ...]
    inputs: tuple[Path, ...]
    limits: tuple[dict[str, Any], ...] = ()


def _target(t: Table, default: str | float) -> str | float:
    raw = t.raw("target_coupling", default)
    if raw is default:
        return default
    if isinstance(raw, str) and raw.lower() in ("ksvz", "dfsz"):
        return raw.lower()
    return float(t.quantity("target_coupling", "coupling", minimum=0.0, exclusive=True))


def load_scenario(path: str | os.PathLike[str]) -> ReachScenario:
    """Read a reach scenario (TOML; format in docs/reach.md). Errors name the file and the key."""
    path = Path(path)
    top = Table(read_toml(path), path=path)
    sc = top.table("scenario")
    name = sc.string("name", path.stem)
    sc.string("description", "")
    mpath = path.parent / sc.string("magnets")
    if not mpath.is_file():
        raise sc.fail("magnets", f"magnet catalogue {str(mpath)!r} not found")
    magnets = load_magnets(mpath)
    limit_files = sc.raw("limits", [])
    if not (isinstance(limit_files, list) and all(isinstance(x, str) for x in limit_files)):
        raise sc.fail("limits", "expected a list of limit files (CSV, relative to this file)")
    limits = []
    for name_ in limit_files:
        lp = path.parent / name_
        if not lp.is_file():
            raise sc.fail("limits", f"limit file {str(lp)!r} not found")
        limits.append(load_limit(lp))
    defaults = {
        "time_per_step": sc.quantity("time_per_step", "time", None, minimum=0.0, exclusive=True),
        "snr": sc.quantity("snr", "dimensionless", None, minimum=0.0, exclusive=True),
        "dm_density": sc.quantity("dm_density", "energy_density", 0.45 * GEV_PER_CM3, minimum=0.0, exclusive=True),
        "target_coupling": _target(sc, "ksvz"),
    }
    sc.finish()
    inputs = [path, mpath] + [Path(m.profile.source) for m in magnets.values() if m.profile is not None]
    inputs += [Path(lim["file"]) for lim in limits]
    out = []
    for k, t in enumerate(top.tables("haloscope")):
        out.append(_haloscope(t, k, magnets, defaults, path, inputs))
    names = [h.name for h in out]
    if len(set(names)) != len(names):
        raise top.fail("haloscope", f"haloscope names must be unique, got {names}")
    top.finish()
    return ReachScenario(name, path, mpath, magnets, tuple(out), tuple(inputs), tuple(limits))


def _band(t: Table) -> np.ndarray:
    """``band`` as two frequencies [Hz]; given in a frequency unit, or as axion masses in an energy unit."""
    raw = t.raw("band")
    unit = raw.get("unit") if isinstance(raw, dict) else None
    dim = "energy" if isinstance(unit, str) and unit.strip() in ("eV", "meV", "ueV", "µeV", "neV") else "frequency"
    q = np.atleast_1d(np.asarray(t.quantity("band", dim, minimum=0.0, exclusive=True), dtype=float))
    return q / h_planck if dim == "energy" else q

def _haloscope(t: Table, k: int, magnets: dict[str, Magnet], defaults: dict[str, Any], path: Path,
               inputs: list[Path]) -> Haloscope:
    name = t.string("name")
    kind = t.string("kind", choices=detector_kinds())
    mname = t.string("magnet")
    if mname not in magnets:
        raise t.fail("magnet", f"unknown magnet {mname!r}; the catalogue has {sorted(magnets)}")
    magnet = magnets[mname]
    b_field = float(t.quantity("b_field", "magnetic_field", magnet.field, minimum=0.0, exclusive=True))
    band = _band(t)
    if band.shape != (2,) or band[1] < band[0]:
        raise t.fail("band", "expected { values = [f_low, f_high], unit = ... } with f_low <= f_high")
    points = int(t.number("points", 5, integer=True, minimum=1))
    t_sys = float(t.quantity("t_sys", "temperature", minimum=0.0, exclusive=True))
    per = {}
    exposure = t.quantity("exposure", "time", None, minimum=0.0, exclusive=True)
    if exposure is not None and "time_per_step" in t:
        raise t.fail("exposure", "give time_per_step or exposure, not both")
    for key, dim in (("time_per_step", "time"), ("snr", "dimensionless"), ("dm_density", "energy_density")):
        if key == "time_per_step" and exposure is not None:
            continue
        per[key] = t.quantity(key, dim, defaults[key], minimum=0.0, exclusive=True)
        if per[key] is None:
            raise t.fail(key, f"missing: give {key} (or exposure) here or in [scenario]")
    target = _target(t, defaults["target_coupling"])
    fill = t.string("fill", "single", choices=("single", "bore"))
    host = Host(magnet=magnet, b_field=b_field, band=(float(band[0]), float(band[1])), fill=fill, folder=path.parent)
    try:
        placed = detector_builder(kind)(t, host)
    except EmboostError as exc:
        if isinstance(exc, SetupFileError):
            raise
        reason = getattr(exc, "reason", str(exc))
        raise SetupFileError(reason, path=path,
                             key=t.key("band") if isinstance(exc, PhysicsError) else t.prefix) from None
    inputs.extend(placed.inputs)
    copies = int(t.number("copies", 1, integer=True, minimum=1))
    combination = t.string("combination", "incoherent", choices=COMBINATION_MODES)
    phase_rms = float(t.quantity("phase_rms", "angle", 0.0, minimum=0.0))
    packing = placed.packing
    det_length = getattr(placed.detector, "length", None)
    if copies > 1:
        if packing is not None:
            raise t.fail("copies", "copies places units end to end along one bore; not with fill = 'bore'")
        if not isinstance(det_length, float):
            raise t.fail("copies", f"a {kind} detector has no fixed length to place copies end to end")
    ptab = t.table("field_profile", None)
    gap = 0.0
    profile_factors: tuple[ProfileFactor, ...] = ()
    unit_fields = None
    if ptab is not None:
        if "b_field" in t:
            raise t.fail("b_field", "give b_field or [field_profile] (the field then comes from the magnet's "
                                    "profile), not both")
        shape = getattr(placed.detector, "longitudinal_shape", _SHAPE_OF_KIND.get(kind))
        if shape is None or not isinstance(det_length, float):
            raise ptab.fail("z_start", f"a {kind} detector has no fixed length and mode shape for a field profile")
        z0 = float(ptab.quantity("z_start", "length", 0.0))
        gap = float(ptab.quantity("gap", "length", 0.0, minimum=0.0))
        ptab.finish()
        prof = magnet.field_profile
        try:
            profile_factors = tuple(longitudinal_factor(prof, z0 + i * (det_length + gap), det_length, shape)
                                    for i in range(copies))
        except PhysicsError as exc:
            raise SetupFileError(exc.reason if hasattr(exc, "reason") else str(exc), path=path,
                                 key=ptab.key("z_start")) from None
        unit_fields = tuple(p.b_eff for p in profile_factors)
        b_field = max(unit_fields)
    if copies > 1:
        assert isinstance(det_length, float)
        if copies * det_length + (copies - 1) * gap > magnet.length * (1 + 1e-9):
            raise t.fail("copies", f"{copies} detectors of {det_length:g} m (gap {gap:g} m) do not fit the "
                                   f"{magnet.length:g} m field length of {magnet.name}")
        packing = Packing(1, copies, 1, 0.0, gap, det_length)
    if exposure is not None:
        per["time_per_step"] = _time_per_step_from_exposure(t, placed, host, float(exposure))
    t.finish()
    h = Haloscope(name=name, kind=kind, detector=placed.detector, magnet=magnet, b_field=b_field,
                  band=host.band, points=points, t_sys=t_sys,
                  time_per_step=float(per["time_per_step"]), snr=float(per["snr"]), rho=float(per["dm_density"]),
                  target=target, coupling=placed.coupling, packing=packing, notes=placed.notes,
                  combination=combination, phase_rms=phase_rms, unit_fields=unit_fields,
                  profile_factors=profile_factors)
    try:  # the band must be one the detector can cover: check now, naming the key
        h.detector.check_band(h.grid())
    except EmboostError as exc:
        raise SetupFileError(getattr(exc, "reason", str(exc)), path=path, key=t.key("band")) from None
    return h


#: longitudinal mode shape of the detector families without a ``longitudinal_shape`` attribute
_SHAPE_OF_KIND = {"tm010": "uniform"}


def _time_per_step_from_exposure(t: Table, placed: Any, host: Host, exposure: float) -> float:
    """Time per tuning step [s] that spends ``exposure`` [s] on the band: ``exposure (f_c / Q_L) / (f2 - f1)`` with
    the cavity linewidth ``f_c / Q_L`` at the band centre ``f_c`` (one step per linewidth)."""
    figures = getattr(placed.detector, "figures", None)
    f1, f2 = host.band
    if figures is None or not f2 > f1:
        raise t.fail("exposure", "exposure needs a resonant detector (a cavity) and a band of non-zero width")
    fc = 0.5 * (f1 + f2)
    ql = float(np.atleast_1d(figures(np.array([fc]), placed.coupling).q_loaded)[0])
    return float(exposure * (fc / ql) / (f2 - f1))


def scan_years(result: ReachResult) -> float:
    """Scan time of a result in Julian years."""
    return result.scan_seconds / YEAR
