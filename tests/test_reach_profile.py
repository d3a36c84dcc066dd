"""Form factor with the magnet's field profile: closed forms, a brute-force 3-D overlap, and the reach in CAST,
BabyIAXO and IAXO with the profile against the same detector in a uniform field."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import special

from emboost.cavity.tm010 import tm010_form_factor
from emboost.core.errors import PhysicsError, SetupFileError
from emboost.reach.fieldform import form_factor_grid, longitudinal_factor, tm010_radial_form_factor
from emboost.reach.longcavity import P11, te111_form_factor
from emboost.reach.magnets import FieldProfile
from emboost.reach.projections import evaluate, load_scenario

Z = np.linspace(0.0, 2.0, 401)


@pytest.mark.parametrize("shape", ["uniform", "sine"])
def test_uniform_field_gives_kappa_one(shape):
    pf = longitudinal_factor(FieldProfile.uniform(3.0, 2.0), 0.0, 2.0, shape)
    assert pf.kappa == pytest.approx(1.0, abs=1e-12)
    assert pf.b_eff == pytest.approx(3.0) and pf.ok


def test_linear_ramp_closed_form():
    s = 0.6
    prof = FieldProfile(Z, 2.0 * (1 - s * Z / 2.0))
    # e = 1: kappa = (mean B / B_max)^2 = (1 - s/2)^2; the trapezoid rule is exact for a linear B
    assert longitudinal_factor(prof, 0.0, 2.0, "uniform").kappa == pytest.approx((1 - s / 2) ** 2, rel=1e-12)
    # e = sin(pi z/L): int sin (1 - s z/L) = (2L/pi)(1 - s/2) by symmetry of sin about L/2 -> same kappa
    assert longitudinal_factor(prof, 0.0, 2.0, "sine").kappa == pytest.approx((1 - s / 2) ** 2, rel=1e-5)


def test_cosine_profile_closed_forms():
    prof = FieldProfile(Z, 2.0 * np.sin(np.pi * Z / 2.0))  # a half-cosine bump centred on the bore
    # the table is interpolated linearly between its 5 mm steps: O(h^2) ~ 1e-5 from the closed forms
    assert longitudinal_factor(prof, 0.0, 2.0, "uniform").kappa == pytest.approx((2 / np.pi) ** 2, rel=3e-5)
    assert longitudinal_factor(prof, 0.0, 2.0, "sine").kappa == pytest.approx((np.pi / 4) ** 2, rel=3e-5)


def test_span_outside_the_profile_is_refused():
    with pytest.raises(PhysicsError):
        longitudinal_factor(FieldProfile(Z, np.ones_like(Z)), 1.5, 1.0)


def test_te111_form_factor_by_brute_force_overlap():
    """The 3-D overlap of a sampled TE111 field with a transverse field B(z) equals C_uniform kappa."""
    radius, length = 0.3, 2.0
    r = (np.arange(160) + 0.5) * radius / 160
    phi = (np.arange(64) + 0.5) * 2 * np.pi / 64
    z = (np.arange(200) + 0.5) * length / 200
    rr, pp, zz = np.meshgrid(r, phi, z, indexing="ij")
    k = P11 / radius
    er = special.j1(k * rr) / (k * rr) * np.sin(pp)
    ep = special.jvp(1, k * rr) * np.cos(pp)
    ez_shape = np.sin(np.pi * zz / length)
    e = np.stack([(er * np.cos(pp) - ep * np.sin(pp)) * ez_shape, (er * np.sin(pp) + ep * np.cos(pp)) * ez_shape,
                  np.zeros_like(rr)], axis=-1)
    w = rr * (radius / 160) * (2 * np.pi / 64) * (length / 200)
    prof_b = 2.0 * (1 - 0.4 * zz / length)
    b = np.stack([np.zeros_like(rr), prof_b, np.zeros_like(rr)], axis=-1)  # the TE11 pattern is polarised along y
    # form_factor_grid normalises to the largest sampled field, 2 (1 - 0.4 * 0.5/200) at the first midpoint
    c_grid = form_factor_grid(e, b, w) * (float(prof_b.max()) / 2.0) ** 2
    zp = np.linspace(0.0, length, 201)
    kappa = longitudinal_factor(FieldProfile(zp, 2.0 * (1 - 0.4 * zp / length)), 0.0, length, "sine").kappa
    # midpoint grids: 1e-3 from the closed-form TE11 overlap
    assert c_grid == pytest.approx(te111_form_factor() * kappa, rel=2e-3)
    b_uniform = np.stack([np.zeros_like(rr), np.full_like(rr, 2.0), np.zeros_like(rr)], axis=-1)
    assert form_factor_grid(e, b_uniform, w) == pytest.approx(te111_form_factor(), rel=2e-3)


def test_tm010_radial_profile():
    assert tm010_radial_form_factor([0.0, 0.5], [1.0, 1.0], 0.5) == pytest.approx(tm010_form_factor(), rel=1e-9)
    # a field falling off the axis, B = B0 (1 - 0.3 r/R), against a polar-grid overlap
    radius = 0.5
    r = (np.arange(4000) + 0.5) * radius / 4000
    chi = special.jn_zeros(0, 1)[0]
    e = special.j0(chi * r / radius)
    b = 1 - 0.3 * r / radius
    w = 2 * np.pi * r * radius / 4000
    c_grid = abs(np.sum(e * b * w)) ** 2 / (np.sum(w) * np.sum(e**2 * w))
    c = tm010_radial_form_factor([0.0, radius], [1.0, 0.7], radius)
    assert c == pytest.approx(c_grid, rel=1e-6)
    assert c < tm010_form_factor()


SCEN = """
[scenario]
name = "profile test"
magnets = "{magnets}"
snr = {{ value = 3, unit = "1" }}
time_per_step = {{ value = 1, unit = "h" }}
target_coupling = "ksvz"

[[haloscope]]
name = "te111"
kind = "te111"
magnet = "{magnet}"
{field}
band = {{ values = [{f1}, {f2}], unit = "MHz" }}
points = 3
t_sys = {{ value = 5, unit = "K" }}
coupling = {{ value = 2, unit = "1" }}
copies = {copies}
combination = "coherent"

[haloscope.cavity]
radius = {{ value = {radius}, unit = "m" }}
length = {{ value = {length}, unit = "m" }}
anomalous_factor = {{ value = 6.0, unit = "1" }}
tuning = {{ values = [1.0, 1.1], unit = "1" }}
{profile}
"""

CASES = {  # magnet: (radius, length, copies, z_start)
    "CAST": (0.02, 4.0, 2, 0.5),
    "BabyIAXO": (0.33, 5.0, 2, 0.0),
    "IAXO": (0.28, 9.0, 2, 1.0),
}


def _write(tmp_path, root, magnet, with_profile):
    from emboost.reach.longcavity import te111_frequency

    radius, length, copies, z0 = CASES[magnet]
    f0 = te111_frequency(radius, length) / 1e6
    text = SCEN.format(magnets=root / "models" / "magnets.toml", magnet=magnet, f1=f0, f2=1.05 * f0,
                       copies=copies, radius=radius, length=length,
                       field="" if with_profile else "",
                       profile=f"[haloscope.field_profile]\nz_start = {{ value = {z0}, unit = \"m\" }}\n"
                       if with_profile else "")
    p = tmp_path / f"{magnet}_{with_profile}.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("magnet", list(CASES))
def test_reach_with_profile_against_uniform(tmp_path, root, magnet):
    with_p = load_scenario(_write(tmp_path, root, magnet, True)).haloscopes[0]
    plain = load_scenario(_write(tmp_path, root, magnet, False)).haloscopes[0]
    r_p = evaluate(with_p)
    pfs = r_p.extra["field_profile"]
    assert len(pfs) == 2 and not r_p.failed_checks
    if with_p.magnet.profile is None:  # CAST, IAXO: no profile in the catalogue -> uniform -> the old result
        assert all(p["kappa"] == pytest.approx(1.0, abs=1e-12) for p in pfs)
        np.testing.assert_allclose(r_p.g_reach, evaluate(plain).g_reach, rtol=1e-10)
    else:  # BabyIAXO (assumed profile): the same as a uniform field at each unit's B_eff, combined coherently
        b_eff = np.array([p["b_eff_T"] for p in pfs])
        assert np.all(np.array([p["kappa"] for p in pfs]) < 1)
        one = evaluate(dataclasses.replace(plain, b_field=1.0, packing=None))
        expect = one.g_reach / np.sqrt(b_eff.sum() ** 2 / 2)  # |sum B_eff|^2 / N, per unit field
        np.testing.assert_allclose(r_p.g_reach, expect, rtol=1e-10)
        # the profile loses against the 2.058 T plateau taken as uniform
        flat = evaluate(dataclasses.replace(plain, b_field=float(with_p.magnet.field_profile.b.max())))
        assert np.all(r_p.g_reach > flat.g_reach)


def test_profile_and_b_field_together_is_an_error(tmp_path, root):
    p = _write(tmp_path, root, "CAST", True)
    p.write_text(p.read_text().replace('magnet = "CAST"', 'magnet = "CAST"\nb_field = { value = 8.8, unit = "T" }'))
    with pytest.raises(SetupFileError, match="b_field"):
        load_scenario(p)


def test_copies_must_fit_the_bore(tmp_path, root):
    p = _write(tmp_path, root, "CAST", False)
    p.write_text(p.read_text().replace("copies = 2", "copies = 3"))
    with pytest.raises(SetupFileError, match="do not fit"):
        load_scenario(p)
