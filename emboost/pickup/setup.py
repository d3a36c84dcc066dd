"""Reading a coaxial-pickup model file (``models/dmradio_m3.toml``) and the live-time table.

The file format (every number a quantity with a unit and a ``source``) is described in docs/pickup.md.
Unknown keys, missing units, impossible geometry (r_inner >= r_outer, negative length) and tables
that do not cover a requested frequency are errors naming the file and the key.

>>> from pathlib import Path
>>> m = load_pickup_model(Path(__file__).parents[2] / "models" / "dmradio_m3.toml")
>>> len(m.setup.pickups), m.bands[0].name
(6, 'DFSZ 30-200 MHz')
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from emboost.core.axion import V_LAB_DEFAULT
from emboost.core.errors import InputError, SetupFileError
from emboost.core.setupfile import Table, read_toml
from emboost.pickup.coax import CoaxPickup, CopperModel, TablePickup, Tuning, read_complex_table
from emboost.pickup.conductor import Conductor
from emboost.pickup.scanrate import YEAR, AmplifierChain, BandResult, ScanSetup, SquidNoise, check_plan, live_time
from emboost.pickup.squid import SquidChain, SquidReadout

__all__ = ["Band", "PickupModel", "load_pickup_model", "live_time_table"]


@dataclass(frozen=True)
class Band:
    """A live-time band: coupling ``"dfsz"``, ``"ksvz"`` or a value [1/J]; ``eta`` None = chain table."""

    name: str
    f_min: float
    f_max: float
    coupling: str | float
    eta: float | None
    paper_years: float | None = None
    paper_years_scaled: float | None = None


@dataclass(frozen=True)
class PickupModel:
    """A parsed model file: the scan set-up, the bands, the frequency-scaled copper and the RLC grid."""

    path: str
    setup: ScanSetup
    bands: tuple[Band, ...]
    copper: CopperModel
    copper_scaled: CopperModel
    rlc_frequencies: np.ndarray
    points: int
    conductor: Conductor | None = None
    squid: SquidReadout | None = None

    def with_copper(self, copper: CopperModel | Conductor) -> PickupModel:
        """The same model with another copper model on every pickup."""
        ps = tuple(dataclasses.replace(p, copper=copper) for p in self.setup.pickups)
        out = dataclasses.replace(self, setup=dataclasses.replace(self.setup, pickups=ps))
        return dataclasses.replace(out, copper=copper) if isinstance(copper, CopperModel) else out


def _coax(t: Table, defaults: Table | None, copper: CopperModel, base: Path,
          index: int) -> tuple[object, tuple[tuple[float, float], ...] | None]:
    def src(name: str) -> Table:
        return t if (name in t or defaults is None or name not in defaults.data) else defaults

    def q(name: str) -> float:
        return src(name).quantity(name, "length")

    name = t.string("name", f"coax {index + 1}")
    length = t.quantity("length", "length")
    if length <= 0:
        raise t.fail("length", f"must be positive, got {length:g} m")
    ri, ro = q("r_inner"), q("r_outer")
    if ri <= 0:
        raise src("r_inner").fail("r_inner", f"must be positive, got {ri:g} m")
    if ro <= ri:
        raise src("r_outer").fail("r_outer", f"must exceed r_inner ({ri:g} m), got {ro:g} m")
    inner_default = defaults.string("inner", "hollow", choices=("hollow", "solid")) if defaults else "hollow"
    inner = t.string("inner", inner_default, choices=("hollow", "solid"))
    ranges = None
    if "ranges" in t:
        edges = np.atleast_1d(np.asarray(t.quantity("ranges", "frequency", minimum=0, exclusive=True), dtype=float))
        if edges.size % 2 or np.any(np.diff(edges) <= 0):
            raise t.fail("ranges", "expected pairs of increasing edges [lo1, hi1, lo2, hi2, ...]")
        ranges = tuple((float(a), float(b)) for a, b in zip(edges[::2], edges[1::2]))
    coax = CoaxPickup(length=length, r_inner=ri, r_outer=ro, hollow=inner == "hollow", copper=copper, name=name)
    ztab = t.string("impedance_table", None)
    vtab = t.string("voltage_table", None)
    t.finish()
    if ztab is None:
        if vtab is not None:
            raise t.fail("voltage_table", "a voltage table needs an impedance_table too")
        return coax, ranges
    zpath = base / ztab
    fz, z = read_complex_table(zpath, "re_z_ohm", "im_z_ohm")
    fv = v = None
    if vtab is not None:
        col = "hollow" if coax.hollow else "solid"
        fv, v = read_complex_table(base / vtab, f"re_v_{col}", f"im_v_{col}")
    return TablePickup(frequencies=fz, impedances=z, voltage_frequencies=fv, voltages_per_ja=v,
                       copper=copper, te111=coax.te111_frequency(), name=name, source=str(zpath)), ranges


def load_pickup_model(path: str | PathLike[str]) -> PickupModel:
    """Parse a pickup model file into a :class:`PickupModel` (errors name file and key)."""
    path = Path(path)
    top = Table(read_toml(path), path=path)
    ax = top.table("axion")
    b_field = ax.quantity("b_field", "magnetic_field", minimum=0, exclusive=True)
    rho = ax.quantity("density", "energy_density", minimum=0, exclusive=True)
    ax.finish()
    op = top.table("operation")
    temperature = op.quantity("temperature", "temperature", minimum=0)
    snr = op.quantity("snr", "dimensionless", minimum=0, exclusive=True)
    points = op.number("points", 2000, integer=True, minimum=3)
    v_lab = float(op.quantity("lab_speed", "velocity", V_LAB_DEFAULT, minimum=0, exclusive=True))
    op.finish()

    cu = top.table("copper")
    kind = cu.string("model", "constant", choices=("room_temperature", "constant", "scaled"))
    kw = dict(conductivity=cu.quantity("conductivity", "conductivity", minimum=0, exclusive=True),
              factor=cu.quantity("factor", "dimensionless", 6.0, minimum=0, exclusive=True),
              r_ref=cu.quantity("r_ref", "dimensionless", 4.8, minimum=0, exclusive=True),
              f_ref=cu.quantity("f_ref", "frequency", 2.85e9, minimum=0, exclusive=True),
              magnetoresistance=cu.quantity("magnetoresistance", "dimensionless", 0.0, minimum=0, maximum=0.99))
    cu.finish()
    copper = CopperModel(kind, **kw)
    copper_scaled = CopperModel("scaled", **kw)

    conductor = None
    ct_ = top.table("conductor", None)
    if ct_ is not None:
        sigma_rt = float(ct_.quantity("conductivity_rt", "conductivity", minimum=0, exclusive=True))
        try:
            conductor = Conductor(
                rrr=float(ct_.quantity("rrr", "dimensionless", minimum=1)),
                temperature=float(ct_.quantity("temperature", "temperature", minimum=0)),
                b_field=float(b_field), resistivity_rt=1.0 / sigma_rt,
                t_rt=float(ct_.quantity("t_rt", "temperature", minimum=0, exclusive=True)),
                debye_temperature=float(ct_.quantity("debye_temperature", "temperature", minimum=0, exclusive=True)),
                rho_l=float(ct_.quantity("mean_free_path_rt", "length", minimum=0, exclusive=True)) / sigma_rt,
                reflection=ct_.string("reflection", choices=("diffuse", "specular")),
                kohler_coefficient=float(ct_.quantity("kohler_coefficient", "dimensionless", minimum=0)),
                kohler_exponent=float(ct_.quantity("kohler_exponent", "dimensionless", minimum=0, exclusive=True)),
                roughness=float(ct_.quantity("roughness", "length", minimum=0)), name="conductor")
        except InputError as exc:
            if isinstance(exc, SetupFileError):
                raise
            raise SetupFileError(exc.reason, path=path, key="conductor") from None
        ct_.finish()

    tu = top.table("tuning")
    tuning = Tuning(element=tu.string("element", "auto", choices=("auto", "capacitor", "inductor")),
                    quality_factor=tu.quantity("quality_factor", "dimensionless", math.inf, minimum=0,
                                               exclusive=True),
                    series_resistance=tu.quantity("series_resistance", "resistance", 0.0, minimum=0),
                    squid_inductance=tu.quantity("squid_inductance", "inductance", 0.0, minimum=0))
    tu.finish()

    defaults = top.table("coax_defaults", None)
    coaxes = top.tables("coax")
    if not coaxes:
        raise top.fail("coax", "at least one [[coax]] is needed")
    built = [_coax(t, defaults, copper, path.parent, i) for i, t in enumerate(coaxes)]
    pickups = tuple(p for p, _ in built)
    given = [r is not None for _, r in built]
    plan: tuple[tuple[tuple[float, float], ...], ...] | None = None
    if any(given):
        if not all(given):
            i = given.index(False)
            raise coaxes[i].fail("ranges", "a scan plan needs `ranges` on every coax (or on none)")
        plan = tuple(r for _, r in built if r is not None)
        try:
            check_plan(pickups, plan)
        except InputError as exc:
            raise SetupFileError(exc.reason, path=path, key=exc.key) from None
    if defaults is not None:
        defaults.finish()

    noise_t = top.table("noise", None)
    chains = []
    if noise_t is not None:
        for ct in noise_t.tables("chain"):
            fr = np.atleast_1d(ct.quantity("frequencies", "frequency", minimum=0, exclusive=True))
            eta_table = np.atleast_1d(ct.quantity("eta", "dimensionless", minimum=1))
            if fr.shape != eta_table.shape:
                raise ct.fail("eta", f"needs as many values as 'frequencies' ({fr.size}), got {eta_table.size}")
            chains.append(AmplifierChain(ct.string("name"), ct.quantity("f_min", "frequency"),
                                         ct.quantity("f_max", "frequency"), fr, eta_table))
            ct.finish()
        noise_t.finish()
    noise = SquidNoise(tuple(chains)) if chains else 20.0

    squid = None
    sq = top.table("squid", None)
    if sq is not None:
        sq_chains = []
        for ct in sq.tables("chain"):
            try:
                sq_chains.append(SquidChain(
                    ct.string("name"), float(ct.quantity("f_min", "frequency", minimum=0, exclusive=True)),
                    float(ct.quantity("f_max", "frequency", minimum=0, exclusive=True)),
                    resistance=float(ct.quantity("resistance", "resistance", minimum=0, exclusive=True)),
                    inductance=float(ct.quantity("inductance", "inductance", minimum=0, exclusive=True)),
                    temperature=float(ct.quantity("temperature", "temperature", minimum=0)),
                    gamma_v=float(ct.quantity("gamma_v", "dimensionless", 16.0, minimum=0, exclusive=True)),
                    gamma_j=float(ct.quantity("gamma_j", "dimensionless", 11.0, minimum=0, exclusive=True)),
                    gamma_vj=float(ct.quantity("gamma_vj", "dimensionless", 12.0)),
                    v_phi=float(ct.quantity("v_phi", "dimensionless", 1.0, minimum=0, exclusive=True)),
                    second_stage_temperature=float(ct.quantity("second_stage_temperature", "temperature", 0.0,
                                                               minimum=0)),
                    gain=float(ct.quantity("gain", "dimensionless", 1.0, minimum=0, exclusive=True))))
            except InputError as exc:
                if isinstance(exc, SetupFileError):
                    raise
                raise SetupFileError(exc.reason, path=path, key=ct.prefix) from None
            ct.finish()
        sq.finish()
        squid = SquidReadout(tuple(sq_chains))

    bands = []
    for bt in top.tables("band"):
        name = bt.string("name")
        f_min = bt.quantity("f_min", "frequency", minimum=0, exclusive=True)
        f_max = bt.quantity("f_max", "frequency", minimum=0, exclusive=True)
        if f_max <= f_min:
            raise bt.fail("f_max", f"must exceed f_min ({f_min:g} Hz)")
        raw = bt.raw("coupling")
        if isinstance(raw, str):
            coupling: str | float = bt.string("coupling", choices=("dfsz", "ksvz"))
        else:
            coupling = bt.quantity("coupling", "coupling", minimum=0, exclusive=True)
        eraw = bt.raw("eta", "table")
        eta: float | None = None if eraw == "table" else float(bt.quantity("eta", "dimensionless", minimum=1))
        if eta is None and not chains:
            raise bt.fail("eta", "'table' needs [[noise.chain]] entries")
        py = bt.quantity("paper_years", "time", None)
        pys = bt.quantity("paper_years_scaled", "time", None)
        bt.finish()
        bands.append(Band(name, f_min, f_max, coupling, eta,
                          None if py is None else py / YEAR, None if pys is None else pys / YEAR))

    rt = top.table("rlc_table", None)
    if rt is not None:
        rf = np.geomspace(rt.quantity("f_min", "frequency", minimum=0, exclusive=True),
                          rt.quantity("f_max", "frequency", minimum=0, exclusive=True),
                          rt.number("points", 400, integer=True, minimum=2))
        rt.finish()
    else:
        rf = np.geomspace(5e6, 200e6, 400)
    top.finish()
    setup = ScanSetup(pickups=pickups, tuning=tuning, b_field=b_field, rho=rho, temperature=temperature,
                      noise=noise, snr=snr, v_lab=v_lab, plan=plan)
    return PickupModel(str(path), setup, tuple(bands), copper, copper_scaled, rf, points, conductor, squid)


def live_time_table(model: PickupModel) -> list[dict[str, object]]:
    """Live time of every band for the model's copper, the frequency-scaled copper and, if the model has a
    ``[conductor]`` table, the physical conductor model (paper value and ratio given against the baseline).

    With a ``[[squid.chain]]`` model, the baseline rows are repeated with eta(f) from the SQUID model instead
    of the band's constant. Rows: band, copper, eta (its source), years, paper_years (None if not given),
    ratio (ours / paper), per_coax (a list of ``{coax, f_min_hz, f_max_hz, years}``: the time each coax
    spends on its part of the band), result.
    """
    rows = []
    coppers: list[tuple[str, CopperModel | Conductor]] = [("baseline", model.copper), ("scaled", model.copper_scaled)]
    if model.conductor is not None:
        coppers.append(("physical", model.conductor))
    runs: list[tuple[str, CopperModel | Conductor, str]] = [(label, cu, "band") for label, cu in coppers]
    if model.squid is not None:
        runs.append(("baseline", model.copper, "squid"))
    for label, cu, readout in runs:
        m = model.with_copper(cu)
        if readout == "squid" and model.squid is not None:
            m = dataclasses.replace(m, setup=dataclasses.replace(m.setup, noise=model.squid))
        for i, b in enumerate(model.bands):
            try:
                res: BandResult = live_time(m.setup, b.f_min, b.f_max, b.coupling,
                                            eta=b.eta if readout == "band" else None,
                                            points=model.points, name=b.name)
            except InputError as exc:
                if exc.path is not None:  # names its own file (e.g. a table that ends too early)
                    raise
                raise SetupFileError(exc.reason, path=model.path, key=f"band[{i}]") from None
            paper = b.paper_years_scaled if label == "scaled" else b.paper_years
            kind = getattr(cu, "kind", f"RRR {getattr(cu, 'rrr', 0):g}, ASE, Kohler")
            eta_label = ("SQUID model" if readout == "squid" else
                         "chain table" if b.eta is None else f"constant {b.eta:g}")
            rows.append({"band": b.name, "copper": f"{label} ({kind})", "eta": eta_label, "years": res.years,
                         "paper_years": paper, "ratio": None if paper is None else res.years / paper,
                         "per_coax": [{"coax": n, "f_min_hz": lo, "f_max_hz": hi, "years": sec / YEAR}
                                      for n, lo, hi, sec in res.per_pickup],
                         "result": res})
    return rows
