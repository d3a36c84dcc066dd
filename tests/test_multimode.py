"""Multi-mode booster solver: reduction to the 1-D model, the stored FEM references without any fit, convergence
in the number of modes, energy conservation and reciprocity, receiving patterns, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from emboost.booster.model import Booster
from emboost.booster.multimode import (
    MultiModeSolver,
    convergence,
    gaussian_beam,
    mode_basis,
    radial_profile,
    tilt,
)
from emboost.core.constants import ETA_A_TE11, c
from emboost.core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
FEM_BOOSTER = dict(radius=0.02, output_length=0.01, source="eps_eff")  # validation/booster_* geometry


def _fem_booster(tand: float = 5e-4) -> Booster:
    return Booster.from_disks([9.75e-3] * 3, 1e-3, 9.4, tand, **FEM_BOOSTER)


def _csv(path: Path) -> np.ndarray:
    rows = [r for r in csv.reader(path.open()) if r and not r[0].startswith("#")]
    return np.array([[float(x) for x in r] for r in rows[1:]])


def test_ideal_booster_reduces_to_the_1d_te11_model():
    """Flat surfaces: the modes do not couple and TE11 equals the 1-D line with modal sources, to rounding."""
    rng = np.random.default_rng(3)
    gaps = rng.uniform(6e-3, 11e-3, (4, 5))
    b = Booster(gaps, rng.uniform(0.5e-3, 1.5e-3, (4, 5)), rng.uniform(3, 25, (4, 5)), rng.uniform(0, 1e-2, (4, 5)),
                radius=0.03, output_length=0.004, source="eps_eff")
    f = np.linspace(17e9, 21e9, 41)
    mm = MultiModeSolver(b, kc_max=500.0)
    r, r1 = mm.response(f), b.response(f)
    assert r.boost_factor.shape == (4, 41)
    np.testing.assert_allclose(r.boost_factor, r1.boost_factor, rtol=1e-9)
    np.testing.assert_allclose(r.s11, r1.s11, rtol=0, atol=1e-9)
    basis = mm.basis
    others = ~((basis.kind == 0) & (basis.m == 1))  # only the TE_1n modes carry axion power
    assert np.max(np.abs(r.emitted[..., others])) < 1e-12 * np.max(np.abs(r.emitted))
    assert np.max(np.abs(r.emitted[..., ~others])) > 0


def test_mode_basis_is_orthonormal_and_carries_the_uniform_field():
    b = mode_basis(0.02, 1200.0)
    gram = (b.ex * b.w[:, None]).T @ b.ex + (b.ey * b.w[:, None]).T @ b.ey
    np.testing.assert_allclose(gram, np.eye(b.size), atol=1e-12)
    area = np.pi * 0.02**2
    assert b.source[b.te11] ** 2 / area == pytest.approx(ETA_A_TE11, rel=1e-12)
    assert np.all(b.source[b.kind == 1] == 0)  # TM modes do not overlap a uniform transverse field
    # the uniform field is spanned by the TE_1n modes: the captured fraction grows towards 1 with kc_max
    assert 0.97 < np.sum(b.source**2) / area < 1.0


@pytest.mark.parametrize("conserving", [False, True])
@pytest.mark.parametrize("deg,tol", [(1.0, 0.02), (2.0, 0.02), (3.0, 0.05)])
def test_tilted_mirror_matches_3d_fem_without_fit(deg: float, tol: float, conserving: bool):
    """The stored 3-D FEM (validation/booster_tilt): boost factor within 2 % (1, 2 deg) and 5 % (3 deg) of the FEM
    peak at every frequency, |S11| within 0.02; no parameter is fitted. The FEM's own S11 phase reference differs
    by ~0.013 at 0 deg (where the two models are identical), so the magnitude is compared."""
    data = _csv(ROOT / "validation" / "booster_tilt" / "sweep.csv")
    d = data[data[:, 0] == deg]
    r = MultiModeSolver(_fem_booster(), {0: tilt(np.radians(deg))}, kc_max=300.0,
                        conserving=conserving).response(d[:, 1])
    fem = d[:, 2]
    dev = np.max(np.abs(r.boost_factor - fem)) / fem.max()
    assert dev < tol, dev
    one_d = _fem_booster().boost_factor(d[:, 1])
    assert np.max(np.abs(one_d - fem)) / fem.max() > 2 * dev  # the 1-D model is far worse: the test has teeth
    assert np.max(np.abs(np.abs(r.s11) - np.abs(d[:, 3] + 1j * d[:, 4]))) < 0.02


@pytest.mark.parametrize("conserving", [False, True])
def test_nonplanar_disk_matches_2d_fem_without_fit(conserving: bool):
    prof = _csv(ROOT / "validation" / "booster_nonplanar" / "profile.csv")
    d = _csv(ROOT / "validation" / "booster_nonplanar" / "sweep.csv")
    surface = radial_profile(prof[:, 0], prof[:, 1] - 1e-3)  # the far face of disk 1 carries the excess
    r = MultiModeSolver(_fem_booster(), {2: surface}, kc_max=300.0, conserving=conserving).response(d[:, 0])
    fem = d[:, 1]
    assert np.max(np.abs(r.boost_factor - fem)) / fem.max() < 0.02
    assert np.max(np.abs(r.s11 - (d[:, 2] + 1j * d[:, 3]))) < 0.02
    assert np.max(np.abs(_fem_booster().boost_factor(d[:, 0]) - fem)) / fem.max() > 0.03


def test_convergence_in_the_number_of_modes():
    f = np.array([18.9e9, 19.0e9, 19.1e9])
    rows = convergence(_fem_booster(), {0: tilt(np.radians(2.0))}, f, [300.0, 600.0, 900.0])
    counts = [n for n, _, _ in rows]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    ref = rows[-1][2]
    changes = [np.max(np.abs(b - ref)) / np.max(ref) for _, _, b in rows[:-1]]
    assert changes[0] < 5e-3 and changes[1] < changes[0] + 1e-4


def _power_normalised_reflection(mm: MultiModeSolver, f: float) -> np.ndarray:
    r = mm.response(np.array([f]))
    k0 = 2 * np.pi * f / c
    beta = np.sqrt(k0**2 - mm.basis.kc**2 + 0j)
    prop = beta.real > 0
    z = np.where(mm.basis.kind == 0, k0 / beta, beta / k0)[prop].real
    return np.diag(z**-0.5) @ r.reflection[0][np.ix_(prop, prop)] @ np.diag(z**0.5)


def test_lossless_structures_conserve_energy_and_are_reciprocal():
    lossless = _fem_booster(tand=0.0)
    flat = _power_normalised_reflection(MultiModeSolver(lossless, kc_max=900.0), 19e9)
    np.testing.assert_allclose(flat.conj().T @ flat, np.eye(flat.shape[0]), atol=1e-12)
    # a tilted mirror couples the modes; unitarity and symmetry hold in the limit of many modes
    errors = []
    for kc in (300.0, 600.0, 900.0):
        s = _power_normalised_reflection(MultiModeSolver(lossless, {0: tilt(np.radians(2))}, kc_max=kc), 19e9)
        errors.append((np.abs(s.conj().T @ s - np.eye(s.shape[0])).max(), np.abs(s - s.T).max()))
    assert errors[-1][0] < 1e-5 and errors[-1][1] < 1e-5  # 2.0e-6 with 81 modes: not the 1e-10 of flat surfaces
    assert errors[0][0] > errors[1][0] > errors[2][0]


def _unitarity(mm: MultiModeSolver) -> tuple[float, float]:
    s = _power_normalised_reflection(mm, 19e9)
    return np.abs(s.conj().T @ s - np.eye(s.shape[0])).max(), np.abs(s - s.T).max()


@pytest.mark.parametrize("case", ["mirror", "disk", "both axes", "bulge", "small disks"])
def test_conserving_surfaces_are_unitary_and_reciprocal_at_every_mode_count(case: str):
    """``conserving=True``: every displaced surface is the hybrid (V, I) relation of its flat-plane modal
    voltages and currents, made reciprocal and lossless; a lossless booster's power-normalised reflection matrix
    is then unitary and symmetric to rounding with 9 modes already (the matching alone: 1.1e-3 with 9 modes)."""
    from emboost.booster.multimode import disk_bulge, disk_tilt

    lossless = _fem_booster(tand=0.0)
    surfaces = {"mirror": {0: tilt(np.radians(2))}, "disk": disk_tilt(2, np.radians(2)),
                "both axes": {0: tilt(np.radians(1), np.radians(1)), 3: tilt(np.radians(-1.5))},
                "bulge": disk_bulge(1, 30e-6, 0.02), "small disks": {0: tilt(np.radians(2))}}[case]
    extra = {"disk_radius": 0.017} if case == "small disks" else {}
    for kc in (300.0, 600.0) if case in ("mirror", "disk") else (300.0,):
        mm = MultiModeSolver(lossless, surfaces, kc_max=kc, conserving=True, **extra)
        unitary, symmetric = _unitarity(mm)
        assert unitary < 1e-10 and symmetric < 1e-10, (kc, unitary, symmetric)
        matched = _unitarity(MultiModeSolver(lossless, surfaces, kc_max=kc, **extra))
        assert matched[0] > 1e-7  # the plain matching is not: the test has teeth


def test_conserving_and_matching_converge_to_the_same_response():
    """The correction removed from each surface is the truncation's spurious power, which vanishes as modes are
    added: the two formulations approach each other (lossy booster, boost factor relative to the peak)."""
    f = np.linspace(18.9e9, 19.1e9, 5)
    b = _fem_booster()
    diffs = []
    for kc in (300.0, 600.0, 900.0):
        bf = [MultiModeSolver(b, {0: tilt(np.radians(2))}, kc_max=kc, conserving=cons).boost_factor(f)
              for cons in (False, True)]
        diffs.append(np.max(np.abs(bf[1] - bf[0])) / np.max(bf[0]))
    assert diffs[0] > diffs[1] > diffs[2] and diffs[2] < 1e-7, diffs
    rows = convergence(b, {0: tilt(np.radians(2))}, f, [300.0, 900.0], conserving=True)
    assert np.max(np.abs(rows[-1][2] - bf[1])) == 0.0  # the same solver through the convergence helper
    # a lossy tilted disk keeps its physical loss: the correction is taken from the same surface between the
    # lossless media, so the lossy response is not forced to conserve energy
    lossy, lossless = _fem_booster(tand=5e-2), _fem_booster(tand=0.0)
    s = _power_normalised_reflection(MultiModeSolver(lossy, {1: tilt(np.radians(2))}, kc_max=300.0,
                                                     conserving=True), 19e9)
    assert np.abs(s.conj().T @ s - np.eye(s.shape[0])).max() > 1e-3
    s0 = _power_normalised_reflection(MultiModeSolver(lossless, {1: tilt(np.radians(2))}, kc_max=300.0,
                                                      conserving=True), 19e9)
    assert np.abs(s0.conj().T @ s0 - np.eye(s0.shape[0])).max() < 1e-10
    # and is continuous in the loss: a vanishing loss tangent gives the lossless result
    s1 = _power_normalised_reflection(MultiModeSolver(_fem_booster(tand=1e-12), {1: tilt(np.radians(2))},
                                                      kc_max=300.0, conserving=True), 19e9)
    np.testing.assert_allclose(s1, s0, rtol=0, atol=1e-9)


def test_receiving_patterns():
    b = _fem_booster()
    f = np.array([18.8e9, 19.0e9])
    te11 = MultiModeSolver(b, kc_max=300.0)
    assert te11.pattern_overlap(f) == pytest.approx(ETA_A_TE11, rel=1e-12)
    basis = mode_basis(0.02, 300.0)  # a pattern keeps every order: the basis of the pattern solver
    ex, ey = basis.ex[:, basis.te11], basis.ey[:, basis.te11]

    def te11_pattern(x, y):  # the TE11 field as a sampled pattern: the same as the default receiver
        return np.interp(np.arange(x.size), np.arange(x.size), ex), np.interp(np.arange(y.size), np.arange(y.size), ey)

    same = MultiModeSolver(b, kc_max=300.0, pattern=te11_pattern).response(f).boost_factor
    np.testing.assert_allclose(same, te11.response(f).boost_factor, rtol=1e-12)
    gauss = MultiModeSolver(b, kc_max=300.0, pattern=gaussian_beam(0.012))
    eta = gauss.pattern_overlap(f)
    # the Gaussian beam keeps only the azimuthal order 1 (its field has no other): the same as with every order
    every = MultiModeSolver(b, kc_max=300.0, pattern=lambda x, y: gaussian_beam(0.012)(x, y))
    assert gauss.basis.size < every.basis.size
    np.testing.assert_allclose(gauss.response(f).boost_factor, every.response(f).boost_factor, rtol=1e-10)
    assert np.all((0.3 < eta) & (eta < ETA_A_TE11))  # a Gaussian beam couples less of the uniform emission


def test_bad_input():
    with pytest.raises(InputError, match="closed booster"):
        MultiModeSolver(Booster.from_disks([8e-3], 1e-3, 9.4))
    with pytest.raises(InputError, match="surface index 9"):
        MultiModeSolver(_fem_booster(), {9: tilt(0.01)})
    with pytest.raises(InputError, match="kc_max"):
        MultiModeSolver(_fem_booster(), kc_max=10.0)
    with pytest.raises(InputError, match="not finite"):
        MultiModeSolver(_fem_booster(), {0: radial_profile([0, 0.02], [0, np.nan])})


def test_tolerance_scan_and_montecarlo():
    from emboost.booster.multimode import disk_bulge, mirror_tilt, tolerance_scan
    from emboost.booster.tolerances import MechanicalTolerances, tolerance_montecarlo

    b = _fem_booster()
    f = np.linspace(18.95e9, 19.05e9, 5)
    scan = tolerance_scan(b, f, lambda deg: mirror_tilt(np.radians(deg)), [0.0, 1.0, 2.0])
    assert scan.relative[0] == 1.0 and scan.relative[2] < scan.relative[1] < 1.0
    assert scan.level_for_drop is not None and 1.0 < scan.level_for_drop < 2.0
    flat = tolerance_scan(b, f, lambda a: disk_bulge(1, a, 0.02), [0.0, 1e-9])
    assert flat.relative[1] == pytest.approx(1.0, abs=1e-6) and flat.level_for_drop is None
    # zero tolerances: every sample is the perfect booster; the draws are seeded and chunked, so the same seed
    # gives the same samples in one or two processes
    none = tolerance_montecarlo(b, f, MechanicalTolerances(), samples=3, seed=2, workers=1)
    np.testing.assert_allclose(none.samples, np.broadcast_to(none.nominal, (3, f.size)), rtol=1e-12)
    tol = MechanicalTolerances(mirror_tilt=np.radians(0.5), disk_bulge=10e-6)
    one = tolerance_montecarlo(b, f, tol, samples=4, seed=5, workers=1)
    two = tolerance_montecarlo(b, f, tol, samples=4, seed=5, workers=2)
    np.testing.assert_array_equal(one.samples, two.samples)
    assert np.all(one.samples.max(axis=0) < 1.02 * one.nominal.max())
    assert one.relative_std_at_peak > 0
    with pytest.raises(InputError, match="disk_tilt"):
        MechanicalTolerances(disk_tilt=-1.0)


@pytest.mark.parametrize("conserving", [False, True])
def test_tilted_disk_matches_the_new_3d_fem_without_fit(conserving: bool):
    """validation/booster_tiltdisk (NGSolve 3-D, made for this solver's check): disk 1 tilted by 2 deg about the y
    axis through its centre. Within 2 % of the FEM peak with no fit (the FEM's own refinement change is 0.8 %);
    the flat 1-D model is off by 25 %."""
    d = _csv(ROOT / "validation" / "booster_tiltdisk" / "sweep.csv")
    from emboost.booster.multimode import disk_tilt

    r = MultiModeSolver(_fem_booster(), disk_tilt(1, np.radians(2.0)), kc_max=300.0,
                        conserving=conserving).response(d[:, 1])
    fem = d[:, 2]
    assert np.max(np.abs(r.boost_factor - fem)) / fem.max() < 0.02
    assert np.max(np.abs(np.abs(r.s11) - np.abs(d[:, 3] + 1j * d[:, 4]))) < 0.02
    assert np.max(np.abs(_fem_booster().boost_factor(d[:, 1]) - fem)) / fem.max() > 0.2


def test_surface_projection_series_equals_the_direct_exponentials(monkeypatch):
    """The moment series of the phase projections is exact to rounding: the non-unitarity of a tilted surface at
    a finite number of modes (test above) comes from the matching itself, not from the evaluation of its
    integrals (docs/booster3d.md, energy conservation)."""
    from emboost.booster import multimode_basis

    lossless = _fem_booster(tand=0.0)
    series = _power_normalised_reflection(MultiModeSolver(lossless, {0: tilt(np.radians(2))}, kc_max=600.0), 19e9)
    monkeypatch.setattr(multimode_basis, "_SERIES_LIMIT", -1.0)  # always the direct exponentials
    direct = _power_normalised_reflection(MultiModeSolver(lossless, {0: tilt(np.radians(2))}, kc_max=600.0), 19e9)
    np.testing.assert_allclose(series, direct, atol=1e-12)
    deviation = np.abs(direct.conj().T @ direct - np.eye(direct.shape[0])).max()
    assert 1e-6 < deviation < 1e-4  # 1.3e-5 with 37 modes, with either evaluation


def test_conserving_surfaces_with_a_batch_of_boosters():
    """A batch of boosters gives, booster by booster, the conserving response of each alone."""
    from emboost.booster.multimode import disk_tilt

    rng = np.random.default_rng(1)
    gaps, tand = rng.uniform(8e-3, 11e-3, (2, 3)), rng.uniform(0, 1e-3, (2, 3))
    f = np.linspace(18.8e9, 19.2e9, 5)
    surfaces = {**disk_tilt(2, np.radians(1.5)), 0: tilt(np.radians(1.0))}
    whole = MultiModeSolver(Booster(gaps, np.full(3, 1e-3), np.full(3, 9.4), tand, **FEM_BOOSTER), surfaces,
                            kc_max=300.0,
                            conserving=True).response(f)
    for k in range(2):
        one = MultiModeSolver(Booster(gaps[k], np.full(3, 1e-3), np.full(3, 9.4), tand[k], **FEM_BOOSTER), surfaces,
                              kc_max=300.0,
                              conserving=True).response(f)
        np.testing.assert_allclose(whole.boost_factor[k], one.boost_factor, rtol=1e-12)
        np.testing.assert_allclose(whole.reflection[k], one.reflection, rtol=0, atol=1e-12)
