"""Host magnets: field direction and profile, figures of merit against the published values (physics.md §1.8),
and the haloscope form factor as the overlap of the mode's E field with the field direction."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emboost.cavity.tm010 import CHI01, TM010Cavity, form_factor_overlap
from emboost.core.errors import DataFileError, SetupFileError
from emboost.reach.magnets import FieldProfile, load_magnets, read_field_profile


@pytest.fixture(scope="module")
def cat(root):
    return load_magnets(root / "models" / "magnets.toml")


def test_helioscope_figures_of_merit(cat):
    cast, baby, iaxo = cat["CAST"], cat["BabyIAXO"], cat["IAXO"]
    # B^2 L^2 A with the nominal central field: CAST 20.2 vs the published 21 (the published value uses
    # the real aperture and field map), so 5 %; BabyIAXO's published 232 (3-D map) and 326 (2-D map) bracket the
    # uniform 2 T estimate of 308
    assert cast.helioscope_fom == pytest.approx(cast.published_helioscope_fom, rel=0.05)
    assert baby.published_helioscope_fom <= baby.helioscope_fom_uniform <= baby.published_helioscope_fom_2d
    assert baby.helioscope_fom_uniform == pytest.approx(308, rel=0.01)
    # IAXO: "about 300x CAST"; 270x with the numbers above
    assert iaxo.helioscope_fom / cast.helioscope_fom == pytest.approx(iaxo.published_ratio_to_cast, rel=0.15)


def test_haloscope_figures_of_merit(cat):
    assert cat["BabyIAXO"].haloscope_fom_per_bore_uniform == pytest.approx(15.4, rel=0.01)
    assert cat["CAST"].field == 9.0 and cat["Morpurgo"].field == 1.6 and cat["DMRadio-m3"].field == 4.0


def test_field_directions(cat):
    # dipoles and the toroid: transverse to the bores; the DMRadio solenoid: axial
    for name in ("CAST", "BabyIAXO", "IAXO", "Morpurgo"):
        assert cat[name].field_direction[2] == 0 and np.linalg.norm(cat[name].field_direction) == 1
        assert cat[name].geometry_source
    assert cat["DMRadio-m3"].field_direction == (0.0, 0.0, 1.0) and cat["DMRadio-m3"].geometry == "solenoid"


@pytest.mark.parametrize("name", ["CAST", "BabyIAXO", "IAXO", "Morpurgo", "DMRadio-m3"])
def test_uniform_profile_reproduces_the_uniform_figures(cat, name):
    m = dataclasses.replace(cat[name], profile=None)
    u = dataclasses.replace(m, profile=FieldProfile.uniform(m.field, m.length))
    # (int B dz)^2 A = B^2 L^2 A and A int B^2 dz = B^2 V: the same algebra, rounding only
    assert u.helioscope_fom == pytest.approx(m.helioscope_fom, rel=1e-14)
    assert u.haloscope_fom_per_bore == pytest.approx(m.haloscope_fom_per_bore, rel=1e-14)
    assert m.helioscope_fom == m.helioscope_fom_uniform


def test_babyiaxo_profiles_against_the_published_figures(cat, root):
    baby = dataclasses.replace(cat["BabyIAXO"], profile=None)
    two_d = dataclasses.replace(baby, profile=read_field_profile(root / "models/profiles/babyiaxo_2d_assumed.csv"))
    three_d = cat["BabyIAXO"]   # the catalogue carries the assumed 3-D profile
    assert three_d.profile is not None and "3d_assumed" in three_d.profile.source
    assert two_d.helioscope_fom == pytest.approx(326, rel=0.05)
    assert three_d.helioscope_fom == pytest.approx(232, rel=0.05)
    # the 3-D stand-in: plateau B0 over |z - 5| <= z1, cos^2 ends: int B dz = B0 (z1 + 5 m) in closed form
    z1 = 3.4359732201909665
    b0 = two_d.profile.b[0]
    assert three_d.profile.field_integral == pytest.approx(b0 * (z1 + 5.0), rel=1e-4)   # 401-point trapezoid


def test_bad_profile_names_the_line(tmp_path):
    p = tmp_path / "prof.csv"
    p.write_text("z_m,b_t\n0,2\n1,2\n1,2\n")
    with pytest.raises(DataFileError, match=r"prof.csv:4: .*increase strictly"):
        read_field_profile(p)


def _gauss(n, lo, hi):
    x, w = np.polynomial.legendre.leggauss(n)
    return lo + (hi - lo) * (x + 1) / 2, w * (hi - lo) / 2


def test_tm010_in_a_transverse_field_has_no_form_factor():
    # sample the TM010 field E = z J0(chi01 r / R) on a Gauss grid of the cylinder (R = 0.34 m, L = 1 m)
    from scipy import special
    r, wr = _gauss(40, 0.0, 0.34)
    ph, wph = _gauss(16, 0.0, 2 * np.pi)
    z, wz = _gauss(8, 0.0, 1.0)
    R, P, Z = np.meshgrid(r, ph, z, indexing="ij")
    W = (wr[:, None, None] * R) * wph[None, :, None] * wz[None, None, :]
    ez = special.j0(CHI01 * R / 0.34)
    e = np.vstack([0 * ez.ravel(), 0 * ez.ravel(), ez.ravel()])
    assert form_factor_overlap(e, W.ravel(), (1, 0, 0)) < 1e-6      # transverse dipole
    assert form_factor_overlap(e, W.ravel(), (0, 0, 1)) == pytest.approx(4 / CHI01**2, rel=1e-8)
    cav = TM010Cavity(radius=0.34, length=1.0, field_direction=(1, 0, 0))
    assert cav.form_factor < 1e-6
    tilted = TM010Cavity(radius=0.34, length=1.0, field_direction=(1, 0, 1))
    assert tilted.form_factor == pytest.approx(4 / CHI01**2 / 2, rel=1e-12)


def test_te101_with_e_along_b_keeps_64_over_pi4():
    a, b, d = 0.02286, 0.01016, 0.03
    x, wx = _gauss(30, 0, a)
    y, wy = _gauss(4, 0, b)
    z, wz = _gauss(30, 0, d)
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
    W = wx[:, None, None] * wy[None, :, None] * wz[None, None, :]
    ey = (np.sin(np.pi * X / a) * np.sin(np.pi * Z / d)).ravel()
    e = np.vstack([0 * ey, ey, 0 * ey])
    assert form_factor_overlap(e, W.ravel(), (0, 1, 0)) == pytest.approx(64 / np.pi**4, rel=1e-10)
    assert form_factor_overlap(e, W.ravel(), (0, 0, 1)) == 0.0


def test_rades_chain_in_a_solenoid_is_flagged(root, tmp_path):
    from emboost.reach.projections import evaluate, load_scenario
    text = (root / "models" / "reach_babyiaxo.toml").read_text()
    text = text.replace('magnets = "magnets.toml"', f'magnets = "{(root / "models" / "magnets.toml").as_posix()}"')
    cb = (root / "models" / "cb200_config1.toml").as_posix()
    text = text.replace('setup = "cb200_config1.toml"', f'setup = "{cb}"')
    text = text.replace('magnet = "CAST"', 'magnet = "DMRadio-m3"', 1)
    text = text.replace('"limits/', f'"{(root / "models" / "limits").as_posix()}/')
    p = tmp_path / "s.toml"
    p.write_text(text)
    sc = load_scenario(p)
    h = next(h for h in sc.haloscopes if h.name.startswith("CAST-RADES"))
    assert any("MISALIGNED" in n for n in h.notes)
    assert np.all(evaluate(h).form_factor == 0)


def test_bad_catalogue_names_the_key(tmp_path, root):
    text = (root / "models" / "magnets.toml").read_text().replace("bores = 8", "bores = -8")
    text = text.replace('type = "toroid"', 'type = "quadrupole"')
    p = tmp_path / "m.toml"
    p.write_text(text.replace('file = "profiles/', f'file = "{(root / "models" / "profiles").as_posix()}/'))
    with pytest.raises(SetupFileError, match=r"magnet\[2\]\.geometry\.type"):
        load_magnets(p)
    p.write_text(p.read_text().replace('type = "quadrupole"', 'type = "toroid"'))
    with pytest.raises(SetupFileError, match=r"magnet\[2\]\.bores"):
        load_magnets(p)
