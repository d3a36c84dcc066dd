"""The Detector protocol and the registry of detector families (emboost.reach.detector): the built-in
families conform, a fourth family (a dish antenna, defined here) plugs in without touching the reach
layer, and the shared radiometer helpers have one home (emboost.core.radiometry)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from emboost.cli import main
from emboost.core.axion import GEV_PER_CM3, mirror_power_per_area, sikivie_power
from emboost.core.constants import GeV, c, hbar, k_B, mu0
from emboost.core.errors import InputError, PhysicsError, SetupFileError
from emboost.core.radiometry import (
    axion_linewidth,
    axion_q,
    booster_coupling_reach,
    cavity_coupling_reach,
    coupling_function,
    coupling_reach,
    dicke_snr,
    dicke_time,
)
from emboost.core.search import DetectorReach, Run
from emboost.core.setupfile import Table
from emboost.reach.detector import (
    Detector,
    Host,
    Placement,
    detector_builder,
    detector_kinds,
    register_detector,
    unregister_detector,
)
from emboost.reach.projections import Haloscope, evaluate, load_scenario


# ------------------------------------------------------------------ a fourth family, defined outside emboost
@dataclass(frozen=True)
class DishAntenna:
    """Toy broadband family: a spherical mirror of ``area`` [m^2] whose emission (a bare mirror's,
    ``P = A g^2 B^2 rho hbar c^4 / (mu0 w^2)``) a receiver collects with ``efficiency``; every frequency
    is measured at once, so the scan time is the time the least sensitive frequency needs."""

    kind: ClassVar[str] = "toy_dish"
    area: float
    efficiency: float
    f_min: float

    def check_band(self, f: np.ndarray) -> None:
        if np.min(f) < self.f_min:
            raise PhysicsError(f"a dish this size needs f >= {self.f_min / 1e9:g} GHz (diffraction)")

    def response(self, f: np.ndarray, run: Run) -> DetectorReach:
        p1 = self.efficiency * self.area * mirror_power_per_area(1.0, run.b_field, run.rho, f)  # W at g = 1/J
        dnu = axion_linewidth(f)
        g_t = coupling_function(run.target)(f)
        seconds = float(np.max(dicke_time(g_t**2 * p1, run.t_sys, dnu, run.snr)))
        nan = np.full(f.shape, np.nan)
        return DetectorReach(f, coupling_reach(p1, run.t_sys, run.time_per_step, dnu, snr=run.snr), g_t * GeV,
                             np.full(f.shape, (f[-1] - f[0]) / seconds), nan, nan, nan, nan,
                             np.full(f.shape, self.efficiency), seconds, {"area_m2": self.area})


def dish_from_table(t: Table, host: Host) -> Placement:
    d = t.table("dish")
    dish = DishAntenna(area=float(d.quantity("area", "area", minimum=0.0, exclusive=True)),
                       efficiency=float(d.quantity("efficiency", "dimensionless", minimum=0.0, maximum=1.0)),
                       f_min=float(d.quantity("f_min", "frequency", minimum=0.0)))
    d.finish()
    return Placement(dish, notes=("toy family",))


@pytest.fixture
def dish_kind():
    register_detector("toy_dish", dish_from_table)
    yield "toy_dish"
    unregister_detector("toy_dish")


SCENARIO = """
[scenario]
name = "toy dish"
magnets = "{magnets}"
snr = {{ value = 5, unit = "1", source = "test" }}
time_per_step = {{ value = 10, unit = "d", source = "test" }}

[[haloscope]]
name = "dish in the Morpurgo dipole"
kind = "toy_dish"
magnet = "Morpurgo"
band = {{ values = [{f1}, 24.0], unit = "GHz", source = "test" }}
points = 7
t_sys = {{ value = 10, unit = "K", source = "test" }}
dm_density = {{ value = 0.3, unit = "GeV/cm3", source = "test" }}
target_coupling = {{ value = 1e-10, unit = "GeV^-1", source = "test" }}
{extra}
[haloscope.dish]
area = {{ value = 1.0, unit = "m2", source = "test" }}
efficiency = {{ value = 0.8, unit = "1", source = "test" }}
f_min = {{ value = 10, unit = "GHz", source = "test" }}
"""


def _scenario(tmp_path: Path, root: Path, f1: float = 12.0, extra: str = "") -> Path:
    path = tmp_path / "dish.toml"
    path.write_text(SCENARIO.format(magnets=(root / "models" / "magnets.toml").as_posix(), f1=f1, extra=extra))
    return path


def test_a_fourth_family_runs_through_the_loader_and_evaluate(tmp_path, root, dish_kind):
    sc = load_scenario(_scenario(tmp_path, root))
    (h,) = sc.haloscopes
    assert h.kind == "toy_dish" and isinstance(h.detector, DishAntenna) and isinstance(h.detector, Detector)
    assert h.units == 1 and h.notes == ("toy family",) and np.isnan(h.coupling)
    r = evaluate(h)
    f = r.frequency
    assert f == pytest.approx(np.linspace(12e9, 24e9, 7), rel=1e-15)
    # closed form of the dish: g^2 = SNR k T sqrt(dnu_a / t) mu0 w^2 / (eta A B^2 rho hbar c^4), dnu_a = f / Q_a
    w = 2 * np.pi * f
    g2 = (5 * k_B * 10 * np.sqrt(f / axion_q() / (10 * 86400.0)) * mu0 * w**2
          / (0.8 * 1.0 * h.b_field**2 * 0.3 * GEV_PER_CM3 * hbar * c**4))
    assert r.g_reach == pytest.approx(np.sqrt(g2) * GeV, rel=1e-12)
    assert np.array_equal(r.g_reach, r.g_unit)
    # scan time: all frequencies at once, limited by the highest (g ~ f^(3/2) at fixed time, target flat)
    t_need = 10 * 86400.0 * (r.g_reach / 1e-10) ** 4
    assert r.scan_seconds == pytest.approx(t_need.max(), rel=1e-12)
    assert np.argmax(t_need) == f.size - 1
    assert np.all(np.isnan(r.q_loaded)) and r.extra == {"area_m2": 1.0}
    # the magnet's field is the run's: twice B halves g
    twice = evaluate(dataclasses.replace(h, b_field=2 * h.b_field))
    assert twice.g_reach == pytest.approx(r.g_reach / 2, rel=1e-12)


def test_a_fourth_family_without_a_scenario_file(root):
    from emboost.reach.magnets import load_magnets

    magnet = load_magnets(root / "models" / "magnets.toml")["Morpurgo"]
    dish = DishAntenna(area=2.0, efficiency=1.0, f_min=1e9)
    h = Haloscope(name="dish", kind=dish.kind, detector=dish, magnet=magnet, b_field=magnet.field,
                  band=(20e9, 20e9), points=1, t_sys=5.0, time_per_step=86400.0, snr=3.0,
                  rho=0.45 * GEV_PER_CM3, target="ksvz")
    r = evaluate(h)
    # a dish of efficiency 1 is a booster of boost factor 1: the two reach formulas agree
    ref = booster_coupling_reach(1.0, 5.0, 2.0, magnet.field, 20e9, 86400.0, snr=3.0, rho=0.45 * GEV_PER_CM3)
    assert r.g_reach == pytest.approx(ref, rel=1e-12)


def test_a_fourth_family_through_the_command_line(tmp_path, root, dish_kind):
    out = tmp_path / "out"
    assert main(["reach", str(_scenario(tmp_path, root)), "--output", str(out), "--quiet", "--no-plot"]) == 0
    (row,) = json.loads((out / "scan_times.json").read_text())["haloscopes"]
    assert row["kind"] == "toy_dish" and row["details"] == {"area_m2": 1.0} and "q_loaded" not in row
    assert row["notes"] == ["toy family"]


def test_a_fourth_family_bad_input_names_the_key(tmp_path, root, dish_kind):
    with pytest.raises(SetupFileError) as info:          # check_band: below the dish's f_min
        load_scenario(_scenario(tmp_path, root, f1=8.0))
    assert "key 'haloscope[0].band'" in str(info.value) and "diffraction" in str(info.value)
    with pytest.raises(SetupFileError, match=r"key 'haloscope\[0\]\.coupling'.*unknown key"):
        load_scenario(_scenario(tmp_path, root, extra='coupling = { value = 1, unit = "1", source = "x" }'))


def test_an_unregistered_kind_is_a_file_error(tmp_path, root):
    with pytest.raises(SetupFileError) as info:
        load_scenario(_scenario(tmp_path, root))
    msg = str(info.value)
    assert "key 'haloscope[0].kind'" in msg and "toy_dish" in msg and "rades_chain" in msg


# ------------------------------------------------------------------ the registry
def test_builtin_families_are_registered_and_conform(root):
    assert detector_kinds()[:3] == ("tm010", "rades_chain", "booster")
    sc = load_scenario(root / "models" / "reach_babyiaxo.toml")
    kinds = {h.kind for h in sc.haloscopes}
    assert kinds == {"tm010", "rades_chain", "booster"}
    for h in sc.haloscopes:
        assert isinstance(h.detector, Detector)
        assert type(h.detector).kind == h.kind


def test_registry_rules():
    def builder(t, host):  # never called
        raise AssertionError

    with pytest.raises(InputError, match="already registered"):
        register_detector("tm010", builder)
    with pytest.raises(InputError, match="plain name"):
        register_detector("dish antenna", builder)
    with pytest.raises(InputError, match="not registered"):
        unregister_detector("no_such_kind")
    with pytest.raises(InputError, match=r"unknown detector kind 'no_such_kind'; registered: \['tm010'"):
        detector_builder("no_such_kind")
    register_detector("toy_twice", builder)
    try:
        assert register_detector("toy_twice", builder) is builder      # the same builder again: no error
        assert detector_builder("toy_twice") is builder

        def other(t, host):
            raise AssertionError

        with pytest.raises(InputError):
            register_detector("toy_twice", other)
        register_detector("toy_twice", other, replace=True)
        assert detector_builder("toy_twice") is other
    finally:
        unregister_detector("toy_twice")
    assert "toy_twice" not in detector_kinds()


# ------------------------------------------------------------------ one home for the radiometer helpers
def test_former_names_are_the_same_objects():
    import emboost.cavity.tm010 as tm010
    import emboost.core.radiometry as rad
    import emboost.core.search as search
    import emboost.fit.rades as rades
    import emboost.noise.network as network
    import emboost.pickup.scanrate as scanrate
    import emboost.reach.boosters as boosters
    import emboost.reach.chains as chains
    import emboost.reach.packing as packing
    import emboost.reach.projections as projections
    import emboost.reach.sensitivity as sensitivity

    assert rades.dicke_snr is sensitivity.dicke_snr is rad.dicke_snr
    assert rades.noise_power is rad.noise_power
    assert scanrate.occupation is network.occupation_number is rad.occupation
    assert scanrate.coupling_function is rad.coupling_function and scanrate.YEAR is rad.YEAR
    for name in ("axion_linewidth", "booster_coupling_reach", "cavity_coupling_reach"):
        assert getattr(sensitivity, name) is getattr(rad, name)
    for name in ("axion_q", "cavity_scan_rate", "booster_scan_rate", "scan_time"):
        assert getattr(projections, name) is getattr(rad, name)
    for name in tm010.__all__:
        assert getattr(projections, name) is getattr(tm010, name)
    assert projections.CavityFigures is search.CavityFigures
    assert projections.RadesChain is chains.RadesChain and projections.fill_bore is chains.fill_bore
    assert projections.BoosterInMagnet is boosters.BoosterInMagnet
    assert projections.Packing is packing.Packing and projections.rectangles_in_circle is packing.rectangles_in_circle
    # every name the former module exported is still there
    for name in projections.__all__:
        assert hasattr(projections, name)
    # the docstrings keep their units
    assert "[W]" in rad.noise_power.__doc__ and "[K]" in rad.dicke_snr.__doc__ and "[Hz]" in rad.occupation.__doc__


def test_former_flat_module_path_reaches_the_shared_helper():
    import sys

    sys.modules.pop("emboost.haloscope", None)  # an earlier test may have imported it already
    with pytest.warns(DeprecationWarning):
        import emboost.haloscope as old
    assert old.dicke_snr is dicke_snr


def test_dicke_time_inverts_the_radiometer():
    p, t_sys, dnu = np.array([1e-22, 3e-23]), 5.0, 1.2e4
    t = dicke_time(p, t_sys, dnu, 3.0)
    assert dicke_snr(p, t_sys, t, dnu) == pytest.approx(3.0, rel=1e-14)
    assert isinstance(dicke_snr(1e-22, 5.0, 100.0, 1e4), float)


def test_general_reach_formula_against_the_cavity_and_booster_closed_forms():
    f = np.array([8.0e9, 8.4e9])
    rho = 0.45 * GEV_PER_CM3
    # cavity: P/g^2 from the Sikivie power at g = 1/J; two code paths, one identity (rounding only)
    p1 = sikivie_power(1.0, rho, 8.8, 2.8e-5, 0.62, 1.1e4, 0.5, f)
    g = coupling_reach(p1, 7.8, 3600.0, axion_linewidth(f), snr=5.0)
    ref = cavity_coupling_reach(2.8e-5, 0.62, 1.1e4, 0.5, 7.8, 8.8, f, 3600.0, snr=5.0, rho=rho)
    assert g == pytest.approx(ref, rel=1e-12)
    # booster: P/g^2 = beta^2 A P_0/A at g = 1/J
    p1 = 2000.0 * 0.03 * mirror_power_per_area(1.0, 1.6, rho, f)
    g = coupling_reach(p1, 300.0, 86400.0, axion_linewidth(f), snr=5.0)
    ref = booster_coupling_reach(2000.0, 300.0, 0.03, 1.6, f, 86400.0, snr=5.0, rho=rho)
    assert g == pytest.approx(ref, rel=1e-12)
    with pytest.raises(InputError):
        coupling_reach(np.array([1e-3, 0.0]), 5.0, 1.0, 1.0)
