"""The detector families that ship with emboost, registered for reach scenario files.

Each builder reads the family's keys of one ``[[haloscope]]`` table (format in docs/reach.md) and
returns a :class:`~emboost.reach.detector.Placement`:

* ``kind = "tm010"`` — :class:`emboost.cavity.tm010.TM010Cavity` from ``coupling`` and a ``[haloscope.cavity]``
  table: ``radius`` and ``length`` (``fill = "single"``) or a ``wall`` allowance (+ ``length``, by default the
  magnet's field length) to fill the bore (``fill = "bore"``); ``conductivity``, ``anomalous_factor``,
  ``magnetoresistance``, ``tuning``, ``q_loaded``;
* ``kind = "rades_chain"`` — :class:`emboost.reach.chains.RadesChain` from ``coupling``, a
  ``[haloscope.chain]`` table and, to fill the bore, a ``[haloscope.packing]`` table;
* ``kind = "te111"`` — :class:`emboost.reach.longcavity.TE111Cavity`, a copper cylinder along the bore in its
  TE111 mode (E transverse, for dipole and toroid fields), from ``coupling`` and a ``[haloscope.cavity]`` table:
  ``radius``, ``length``, ``conductivity``, ``anomalous_factor``, ``tuning``, ``q_loaded``;
* ``kind = "booster"`` — :class:`emboost.reach.boosters.BoosterInMagnet` from a booster ``setup`` file
  (relative to the scenario file), placed as one unit.

The magnet's field direction (:attr:`emboost.reach.magnets.Magnet.field_direction`, bore frame) sets the
form factor: a TM010 cylinder lies along the bore, so its C is ``0.6917 b_z^2`` (0 in a dipole or toroid); a
RADES chain along the bore is turned so its E field lies along a transverse field (alignment ``1 - b_z^2``).
A detector whose form factor falls below :data:`emboost.cavity.tm010.MISALIGNED_FORM_FACTOR` is kept, with a
note saying why; its reach is infinite and its scan rate zero, and ``emboost reach`` lists it under
``warnings`` in scan_times.json.

Importing this module registers them (:mod:`emboost.reach.projections` does).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from emboost.booster.setup import load_booster_setup
from emboost.cavity.tm010 import MISALIGNED_FORM_FACTOR, TM010Cavity
from emboost.core.setupfile import Table
from emboost.reach.boosters import BoosterInMagnet
from emboost.reach.chains import RadesChain, fill_bore
from emboost.reach.detector import Host, Placement, register_detector
from emboost.reach.longcavity import TE111Cavity
from emboost.reach.magnets import Magnet
from emboost.rf.materials import SIGMA_CU_RT

__all__ = ["tm010_from_table", "rades_chain_from_table", "booster_from_table", "te111_from_table"]


def _anomalous(t: Table, default: float | str) -> float | str:
    raw = t.raw("anomalous_factor", default)
    if raw == "cahill" or raw is default:
        return raw
    return float(t.quantity("anomalous_factor", "dimensionless", minimum=0.0, exclusive=True))


def _coupling(t: Table) -> float:
    return float(t.quantity("coupling", "dimensionless", minimum=0.0, exclusive=True))


# ------------------------------------------------------------------------------------------ tm010
def tm010_from_table(t: Table, host: Host) -> Placement:
    """``kind = "tm010"``: a TM010 cylinder, given or filling the bore."""
    coupling = _coupling(t)
    cav = _tm010(t.table("cavity"), host.magnet, host.fill)
    return Placement(cav, coupling=coupling, notes=_misaligned("TM010 E field (along the cavity axis = the bore)",
                                                               cav.form_factor, host.magnet))


def _misaligned(what: str, form_factor: float, magnet: Magnet) -> tuple[str, ...]:
    if form_factor >= MISALIGNED_FORM_FACTOR:
        return ()
    return (f"MISALIGNED: the {what} is perpendicular to the {magnet.geometry} field of {magnet.name} "
            f"(direction {magnet.field_direction} in the bore frame): form factor {form_factor:.3g}, no axion "
            "signal; the reach is infinite and the scan rate zero",)


def _tm010(t: Table, magnet: Magnet, fill: str) -> TM010Cavity:
    if fill == "bore":
        wall = float(t.quantity("wall", "length", minimum=0.0))
        radius = magnet.bore_diameter / 2 - wall
        if radius <= 0:
            raise t.fail("wall", f"wall allowance {wall:g} m leaves no room in the {magnet.bore_diameter:g} m bore")
        length = float(t.quantity("length", "length", magnet.length, minimum=0.0, exclusive=True))
        if length > magnet.length:
            raise t.fail("length", f"{length:g} m is longer than the {magnet.name} field length {magnet.length:g} m")
    else:
        radius = float(t.quantity("radius", "length", minimum=0.0, exclusive=True))
        length = float(t.quantity("length", "length", minimum=0.0, exclusive=True))
        if 2 * radius > magnet.bore_diameter:
            raise t.fail("radius", f"a {2 * radius:g} m diameter cavity does not fit the {magnet.bore_diameter:g} m "
                                   f"bore of {magnet.name}")
    raw = t.quantity("tuning", "dimensionless", (1.0, 1.0), minimum=0.0, exclusive=True)
    tuning = tuple(float(x) for x in np.atleast_1d(np.asarray(raw, dtype=float)).tolist())
    if len(tuning) != 2 or tuning[1] < tuning[0]:
        raise t.fail("tuning", "expected { values = [low, high], unit = \"1\" } as multiples of f0, low <= high")
    conductivity = float(t.quantity("conductivity", "conductivity", SIGMA_CU_RT, minimum=0.0, exclusive=True))
    anomalous = _anomalous(t, "cahill")
    magnetoresistance = float(t.quantity("magnetoresistance", "dimensionless", 0.0, minimum=0.0, maximum=0.99))
    q_loaded = t.quantity("q_loaded", "dimensionless", None, minimum=0.0, exclusive=True)
    cav = TM010Cavity(radius=radius, length=length, conductivity=conductivity, anomalous=anomalous,
                      magnetoresistance=magnetoresistance, tuning=(tuning[0], tuning[1]),
                      q_loaded=None if q_loaded is None else float(q_loaded), field_direction=magnet.field_direction)
    t.finish()
    return cav


# ------------------------------------------------------------------------------------------ te111
def te111_from_table(t: Table, host: Host) -> Placement:
    """``kind = "te111"``: a TE111 cylinder along the bore, polarised along the transverse field."""
    coupling = _coupling(t)
    ct = t.table("cavity")
    radius = float(ct.quantity("radius", "length", minimum=0.0, exclusive=True))
    length = float(ct.quantity("length", "length", minimum=0.0, exclusive=True))
    magnet = host.magnet
    if 2 * radius > magnet.bore_diameter:
        raise ct.fail("radius", f"a {2 * radius:g} m diameter cavity does not fit the {magnet.bore_diameter:g} m "
                                f"bore of {magnet.name}")
    if length > magnet.length:
        raise ct.fail("length", f"{length:g} m is longer than the {magnet.name} field length {magnet.length:g} m")
    raw = ct.quantity("tuning", "dimensionless", (1.0, 1.0), minimum=0.0, exclusive=True)
    tuning = tuple(float(x) for x in np.atleast_1d(np.asarray(raw, dtype=float)).tolist())
    if len(tuning) != 2 or tuning[1] < tuning[0]:
        raise ct.fail("tuning", "expected { values = [low, high], unit = \"1\" } as multiples of f0, low <= high")
    conductivity = float(ct.quantity("conductivity", "conductivity", SIGMA_CU_RT, minimum=0.0, exclusive=True))
    anomalous = _anomalous(ct, "cahill")
    q_loaded = ct.quantity("q_loaded", "dimensionless", None, minimum=0.0, exclusive=True)
    ct.finish()
    bx, by, bz = magnet.field_direction
    cav = TE111Cavity(radius=radius, length=length, conductivity=conductivity, anomalous=anomalous,
                      tuning=(tuning[0], tuning[1]), q_loaded=None if q_loaded is None else float(q_loaded),
                      field_direction=(bx, by, bz))
    return Placement(cav, coupling=coupling, notes=_misaligned("TE111 E field (transverse to the bore)",
                                                               cav.form_factor, magnet))


# ------------------------------------------------------------------------------------------ rades_chain
def rades_chain_from_table(t: Table, host: Host) -> Placement:
    """``kind = "rades_chain"``: one chain, or as many as fill ``bores`` bores of the magnet."""
    coupling = _coupling(t)
    det = _chain(t.table("chain"))
    bz = host.magnet.field_direction[2]
    det = dataclasses.replace(det, field_alignment=1.0 - bz * bz)
    packing = None
    band = np.asarray(host.band, dtype=float)
    if host.fill == "bore":
        pk = t.table("packing")
        wall = float(pk.quantity("wall", "length", minimum=0.0))
        gap = float(pk.quantity("gap", "length", minimum=0.0))
        bores = int(pk.number("bores", 1, integer=True, minimum=1))
        if bores > host.magnet.bores:
            raise pk.fail("bores", f"{host.magnet.name} has {host.magnet.bores} bore(s), asked to fill {bores}")
        pk.finish()
        packing = fill_bore(det, float(np.mean(band)), host.magnet, wall, gap, bores)
    if band[0] <= det.cutoff_frequency:
        raise t.fail("band", f"band starts at {band[0] / 1e9:.6g} GHz, at or below the TE10 cutoff "
                             f"{det.cutoff_frequency / 1e9:.6g} GHz of the chain (a = {det.a * 1e3:g} mm)")
    notes = _misaligned("chain's TE10 E field (transverse to the bore)", det.field_alignment, host.magnet)
    return Placement(det, coupling=coupling, packing=packing, notes=notes)


def _chain(t: Table) -> RadesChain:
    a = float(t.quantity("a", "length", minimum=0.0, exclusive=True))
    b = float(t.quantity("b", "length", minimum=0.0, exclusive=True))
    n_cavities = int(t.number("n_cavities", integer=True, minimum=1))
    iris_window = float(t.quantity("iris_window", "length", minimum=0.0, exclusive=True))
    conductivity = float(t.quantity("conductivity", "conductivity", SIGMA_CU_RT, minimum=0.0, exclusive=True))
    anomalous = _anomalous(t, 4.0)
    q_loaded = t.quantity("q_loaded", "dimensionless", None, minimum=0.0, exclusive=True)
    ch = RadesChain(a=a, b=b, n_cavities=n_cavities, iris_window=iris_window, conductivity=conductivity,
                    anomalous=anomalous, q_loaded=None if q_loaded is None else float(q_loaded))
    if ch.iris_window >= ch.a:
        raise t.fail("iris_window", f"window {ch.iris_window * 1e3:g} mm must be narrower than a = {ch.a * 1e3:g} mm")
    t.finish()
    return ch


# ------------------------------------------------------------------------------------------ booster
def booster_from_table(t: Table, host: Host) -> Placement:
    """``kind = "booster"``: a booster setup file placed in the magnet, whose field replaces the file's."""
    setup_path = host.folder / t.string("setup")
    if not setup_path.is_file():
        raise t.fail("setup", f"booster setup file {str(setup_path)!r} not found")
    setup = load_booster_setup(setup_path)
    if host.fill != "single":
        raise t.fail("fill", "a booster is placed as one unit (fill = 'single')")
    det = BoosterInMagnet(setup, host.b_field)
    fc = setup.booster.cutoff_frequency
    if host.band[0] <= fc:
        raise t.fail("band", f"band starts at {host.band[0] / 1e9:.6g} GHz, at or below the TE11 cutoff "
                             f"{fc / 1e9:.6g} GHz of the booster")
    if setup.area != setup.area:
        raise t.fail("setup", "an open booster (no [cylinder]) has no finite area for a reach")
    notes = []
    if setup.b_field is not None and setup.b_field != host.b_field:
        notes.append(f"setup file field {setup.b_field:g} T replaced by {host.b_field:g} T")
    return Placement(det, packing=None, notes=tuple(notes), inputs=(setup_path,))


register_detector("tm010", tm010_from_table)
register_detector("rades_chain", rades_chain_from_table)
register_detector("booster", booster_from_table)
register_detector("te111", te111_from_table)
