"""Booster solvers under extreme loss and length: finite, equal to each other, bounded by physics.

The reference path is the formulation the solvers used before they carried the mirror side as a
reflection coefficient and a source wave: an ABCD cascade from the mirror with two columns, and
Millar's transfer matrices multiplied out with the mirror amplitude as an unknown. Both are exact
in exact arithmetic and accurate for ordinary stacks, so on those the solvers must reproduce them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_booster import random_booster

from emboost.booster.model import (
    Booster,
    _media,
    _source_terms,
    solve_transfer_matrix,
    solve_transmission_line,
)
from emboost.booster.setup import load_booster_setup
from emboost.cli import main
from emboost.core.constants import Z0, c
from emboost.core.errors import PhysicsError
from emboost.rf.materials import surface_impedance

BAND = np.linspace(15e9, 25e9, 201)


# ------------------------------------------------------------------------------ reference path
def abcd_cascade_reference(b: Booster, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boost amplitude and S11 from an ABCD cascade with series sources (the former formulation).

    State (V, I) at the mirror; column 0: sources on, mirror current 0; column 1: sources off, unit
    mirror current. The matched output V = Z I fixes the mirror current. Overflows for lossy stacks.
    """
    eps_c, length, eps_r = b.regions()
    g, z = _media(b, f, eps_c[..., None], eps_r[..., None])
    s = _source_terms(b, f, eps_c[..., None]) * np.ones_like(g)
    m = eps_c.shape[-1]
    zs = 0.0 if b.mirror_conductivity is None else surface_impedance(f, b.mirror_conductivity)
    V = np.array([s[..., 0, :], -zs * np.ones_like(g[..., 0, :])], dtype=complex)
    I = np.array([np.zeros_like(g[..., 0, :]), np.ones_like(g[..., 0, :])], dtype=complex)
    for i in range(m):
        gl = g[..., i, :] * length[..., i, None]
        ch, sh = np.cosh(gl), np.sinh(gl)
        V, I = ch * V - z[..., i, :] * sh * I, ch * I - sh / z[..., i, :] * V
        if i < m - 1:
            V[0] += s[..., i + 1, :] - s[..., i, :]
    zo = z[..., m - 1, :]
    i0 = (zo * I[0] - V[0]) / (V[1] - zo * I[1])
    return V[0] + i0 * V[1], (V[1] + zo * I[1]) / (V[1] - zo * I[1])


def millar_product_reference(b: Booster, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Millar's transfer matrices multiplied out from the mirror, mirror amplitude x unknown (former
    formulation, physics convention, conjugated on return)."""
    eps_c, length, eps_r = b.regions()
    g, z = _media(b, f, eps_c[..., None], eps_r[..., None])
    k0 = 2 * np.pi * f / c
    n_phase, n_match = np.conj(-1j * g) / k0, np.conj(Z0 / z)
    s = np.conj(_source_terms(b, f, eps_c[..., None])) * np.ones_like(g)
    m = eps_c.shape[-1]

    def interface(n1, n2, R, L):
        return ((n2 + n1) * R + (n2 - n1) * L) / (2 * n2), ((n2 - n1) * R + (n2 + n1) * L) / (2 * n2)

    one = np.ones_like(g[..., 0, :])
    if b.mirror_conductivity is None:
        Ra, La, Rv, Lv = s[..., 0, :] * one, 0 * one, -one, one
    else:
        n0 = np.conj(Z0 / surface_impedance(f, b.mirror_conductivity))
        Rv, Lv = interface(n0, n_match[..., 0, :], 0 * one, one)
        Ra, La = 0.5 * s[..., 0, :], 0.5 * s[..., 0, :]
    for r in range(m - 1):
        ph = np.exp(1j * n_phase[..., r, :] * k0 * length[..., r, None])
        Ra, La, Rv, Lv = Ra * ph, La / ph, Rv * ph, Lv / ph
        Ra, La = interface(n_match[..., r, :], n_match[..., r + 1, :], Ra, La)
        Rv, Lv = interface(n_match[..., r, :], n_match[..., r + 1, :], Rv, Lv)
        src = 0.5 * (s[..., r + 1, :] - s[..., r, :])
        Ra, La = Ra + src, La + src
    ph = np.exp(1j * n_phase[..., m - 1, :] * k0 * length[..., m - 1, None])
    x = -La / Lv
    return np.conj((Ra + x * Rv) * ph), np.conj(Rv / Lv * ph**2)


def ordinary_booster(rng: np.random.Generator) -> Booster:
    return random_booster(rng, max_disks=7)


def assert_close(a: np.ndarray, b: np.ndarray, rtol: float) -> None:
    """Relative agreement, measured against max(|a|, 1) so that a vanishing value is not divided by."""
    scale = np.maximum(np.abs(a), 1.0)
    assert np.max(np.abs(a - b) / scale) < rtol


def test_solvers_equal_the_former_formulation_on_ordinary_stacks():
    rng = np.random.default_rng(20261202)
    for _ in range(60):
        b = ordinary_booster(rng)
        f = np.sort(rng.uniform(max(12e9, 1.05 * b.cutoff_frequency), 30e9, 40))
        a_ref, s_ref = abcd_cascade_reference(b, f)
        a_tm, s_tm = millar_product_reference(b, f)
        for solve in (solve_transmission_line, solve_transfer_matrix):
            amp, s11 = solve(b, f)
            assert_close(amp, a_ref, 1e-10)
            assert_close(s11, s_ref, 1e-10)
            assert_close(amp, a_tm, 1e-10)
            assert_close(s11, s_tm, 1e-10)


def test_former_formulation_on_the_closed_cb200_models(root):
    for name in ("cb200_config1.toml", "cb200_config2.toml"):
        setup = load_booster_setup(root / "models" / name)
        b, f = setup.booster, setup.frequencies
        a_ref, s_ref = abcd_cascade_reference(b, f)
        for solve in (solve_transmission_line, solve_transfer_matrix):
            amp, s11 = solve(b, f)
            assert np.max(np.abs(amp - a_ref) / np.abs(a_ref)) < 1e-10  # |B| reaches 53 at the peak
            assert np.max(np.abs(s11 - s_ref)) < 1e-10


def extended_precision_open_booster(b: Booster, f: np.ndarray, digits: int = 40) -> np.ndarray:
    """Boost amplitude of an open booster with a perfect mirror: the ABCD cascade in ``digits``-digit
    arithmetic (mpmath), from the same double-precision inputs."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = digits
    eps_c, length, _ = b.regions()
    eps = [mp.mpc(e.real, e.imag) for e in eps_c]
    out = []
    for fi in f:
        k0 = 2 * mp.pi * mp.mpf(fi) / mp.mpf(c)
        V, I = [1 / eps[0], mp.mpc(0)], [mp.mpc(0), mp.mpc(1)]
        for i, e in enumerate(eps):
            n = mp.sqrt(e)
            ch, sh = mp.cosh(1j * k0 * n * mp.mpf(length[i])), mp.sinh(1j * k0 * n * mp.mpf(length[i]))
            V, I = [ch * V[j] - sh * I[j] / n for j in range(2)], [ch * I[j] - n * sh * V[j] for j in range(2)]
            if i < len(eps) - 1:
                V[0] += 1 / eps[i + 1] - 1 / e
        i0 = (I[0] / n - V[0]) / (V[1] - I[1] / n)
        out.append(complex(V[0] + i0 * V[1]))
    return np.array(out)


def test_open_20_disk_model_against_extended_precision(root):
    # on this stack the former double-precision formulations lose up to 1.6e-8 (ABCD) and 4.8e-8 (Millar
    # product) relative near 24 GHz, where their two columns nearly cancel; the solvers must not
    setup = load_booster_setup(root / "models" / "open_booster_20disk.toml")
    b = setup.booster
    f = setup.frequencies[[0, 527, 960, 1000, 1940, 1979, 2000]]  # 960: the main resonance, |B| = 549
    exact = extended_precision_open_booster(b, f)
    for solve in (solve_transmission_line, solve_transfer_matrix):
        amp, _ = solve(b, f)
        assert np.max(np.abs(amp / exact - 1)) < 1e-10


def test_batched_paths_equal_the_former_formulation():
    rng = np.random.default_rng(5)
    f = np.linspace(17e9, 21e9, 31)
    gaps = rng.uniform(7e-3, 9e-3, (4, 3))
    tand = rng.uniform(0, 1e-3, (4, 3))  # materials with a batch axis take the region-by-region path
    for b in (Booster(gaps, np.full(3, 1e-3), np.full(3, 9.4), np.full(3, 3e-5), radius=0.1,
                      wall_conductivity=3.5e7, mirror_conductivity=3.5e7),
              Booster(gaps, np.full(3, 1e-3), np.full(3, 9.4), tand, mirror_conductivity=3.5e7)):
        a_ref, s_ref = abcd_cascade_reference(b, f)
        amp, s11 = solve_transmission_line(b, f)
        assert amp.shape == (4, 31)
        assert_close(amp, a_ref, 1e-10)
        assert_close(s11, s_ref, 1e-10)


# ------------------------------------------------------------------------------ extreme loss
def very_lossy(n: int, tand: float) -> tuple[Booster, Booster]:
    lossless = Booster.from_disks([8e-3] * n, 1e-3, 9.4, 0.0)
    return lossless, lossless.replace(loss_tangent=np.full(n, tand))


@pytest.mark.parametrize("n", [100, 200])
@pytest.mark.parametrize("tand", [1.0, 1e4])
def test_very_lossy_long_stacks_are_finite_equal_and_bounded(n, tand):
    lossless, lossy = very_lossy(n, tand)
    r_tl, r_tm = lossy.response(BAND), lossy.response(BAND, solver="tm")
    for r in (r_tl, r_tm):
        assert np.all(np.isfinite(r.boost_factor)) and np.all(np.isfinite(r.s11))
    # none of these values is vanishingly small (boost >= 0.03), so the comparison is relative
    assert np.min(r_tl.boost_factor) > 1e-2
    assert np.max(np.abs(r_tm.boost_amplitude / r_tl.boost_amplitude - 1)) < 1e-9
    assert np.max(np.abs(r_tm.s11 - r_tl.s11)) < 1e-9
    # a lossy layer attenuates: passive reflection, and no more peak boost than the lossless stack
    assert np.all(np.abs(r_tl.s11) < 1)
    assert r_tl.boost_factor.max() < lossless.boost_factor(BAND).max()


def test_solvers_agree_on_random_long_stacks_with_any_loss():
    # up to 200 disks, tan d log-uniform over 1e-6 .. 1e4 disk by disk, open and closed, lossy mirrors and walls
    rng = np.random.default_rng(11)
    for _ in range(25):
        n = int(rng.integers(1, 201))
        closed = rng.random() < 0.5
        b = Booster.from_disks(
            rng.uniform(0.5e-3, 15e-3, n), rng.uniform(0.1e-3, 3e-3, n), rng.uniform(1.0, 25.0, n),
            10 ** rng.uniform(-6, 4, n),
            radius=float(rng.uniform(0.02, 0.2)) if closed else None,
            wall_conductivity=float(rng.uniform(1e6, 6e7)) if closed and rng.random() < 0.5 else None,
            mirror_conductivity=float(rng.uniform(1e5, 6e7)) if rng.random() < 0.5 else None,
            output_length=float(rng.uniform(0, 0.05)),
            source="eps_eff" if rng.random() < 0.3 else "eps",
        )
        f = np.sort(rng.uniform(max(12e9, 1.05 * b.cutoff_frequency), 30e9, 40))
        a1, s1 = solve_transmission_line(b, f)
        a2, s2 = solve_transfer_matrix(b, f)
        assert np.all(np.isfinite(a1)) and np.all(np.isfinite(s1))
        assert_close(a2, a1, 1e-9)
        assert np.max(np.abs(s1 - s2)) < 1e-9


def test_lossy_disks_deep_in_the_stack_are_invisible():
    # tan d = 1: 0.44-0.73 Np per 1 mm disk over the band, so whatever lies behind disk 60 comes back
    # attenuated by exp(-52) or more (round trip), behind disk 100 by exp(-87)
    _, b100 = very_lossy(100, 1.0)
    _, b200 = very_lossy(200, 1.0)
    _, b60 = very_lossy(60, 1.0)
    r100, r200, r60 = (b.response(BAND) for b in (b100, b200, b60))
    assert np.allclose(r200.boost_amplitude, r100.boost_amplitude, rtol=1e-12, atol=0)
    assert np.allclose(r60.s11, r100.s11, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n", [1, 100, 200])
def test_opaque_disks_boost_like_a_dielectric_half_space(n):
    # tan d = 1e4: the skin depth (9-15 um) is far below the 1 mm thickness, so the stack is a lossy
    # half-space of index N = sqrt(eps (1 - j tan d)); its boost amplitude is 1 - 1/N (series source
    # 1 - 1/N^2 seen through the transmission 2N / (N + 1) into air), independent of the frequency
    _, b = very_lossy(n, 1e4)
    big_n = np.sqrt(9.4 * (1 - 1e4j))
    r = b.response(BAND)
    assert np.allclose(r.boost_factor, abs(1 - 1 / big_n) ** 2, rtol=1e-9)
    assert np.allclose(r.s11, (1 - big_n) / (1 + big_n), rtol=1e-9)


# ------------------------------------------------------------------------------ long gaps
def test_kilometre_lossy_mirror_gap_hides_the_mirror(root):
    # a 1e6 m gap of the CB200 aluminium cylinder (5.1e-4 Np/m) attenuates the mirror's wave by exp(-510):
    # finite, and the same as 1e5 m (exp(-51) in amplitude, exp(-102) after the round trip)
    setup = load_booster_setup(root / "models" / "cb200_config1.toml")
    f = setup.frequencies[::20]
    far, farther = setup.booster.with_mirror_gap(1e5), setup.booster.with_mirror_gap(1e6)
    r, r_tm, r2 = far.response(f), far.response(f, solver="tm"), farther.response(f)
    assert np.all(np.isfinite(r2.boost_factor))
    assert np.allclose(r2.boost_factor, r.boost_factor, rtol=1e-12)
    assert np.allclose(r_tm.boost_factor, r.boost_factor, rtol=1e-9)
    # the three disks alone, with no mirror, boost far less than the tuned booster
    assert r2.boost_factor.max() < 0.01 * setup.booster.boost_factor(f).max()


def test_kilometre_lossless_gap_is_fine():
    b = Booster.from_disks([1e6, 8e-3, 8e-3], 1e-3, 9.4, radius=0.1)
    f = np.linspace(18e9, 20e9, 41)
    r, r_tm = b.response(f), b.response(f, solver="tm")
    assert np.all(np.isfinite(r.boost_factor))
    assert np.allclose(np.abs(r.s11), 1.0, atol=1e-12)  # no loss anywhere: everything comes back
    # beta l ~ 4e8 rad: the two solvers round the phase differently by ~1e-16 * 4e8 rad
    assert_close(r_tm.boost_amplitude, r.boost_amplitude, 1e-6)


def test_cli_prints_a_finite_peak_for_a_kilometre_gap(root, tmp_path, capsys):
    text = (root / "models" / "cb200_config1.toml").read_text()
    text = text.replace("values = [8.470, 12.300, 12.630]", "values = [1e9, 12.300, 12.630]")
    text = text.replace("points = 801", "points = 41")
    model = tmp_path / "far_mirror.toml"
    model.write_text(text)
    assert main(["boost", str(model), "-o", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert np.isfinite(summary["peak_boost_factor"]) and summary["peak_boost_factor"] < 100
    assert "inf" not in capsys.readouterr().out


# ------------------------------------------------------------------------------ refusals
def test_frequency_a_few_ulp_above_cutoff_is_refused():
    b = Booster.from_disks([8e-3], 1e-3, 9.4, radius=0.1)
    fc = b.cutoff_frequency
    for solver in ("tl", "tm"):
        with pytest.raises(PhysicsError, match="cutoff") as exc:
            b.response(np.array([fc * (1 + 1e-15), 19e9]), solver=solver)
        assert "\n" not in str(exc.value)
    # just outside the margin the answer is finite and both solvers agree
    f = np.array([fc * (1 + 1e-8)])
    r, r_tm = b.response(f), b.response(f, solver="tm")
    assert np.isfinite(r.boost_factor[0])
    assert_close(r_tm.boost_amplitude, r.boost_amplitude, 1e-6)


def test_non_finite_result_raises_physics_error():
    b = Booster.from_disks([1e308], 1e-3, 9.4)  # the phase of the gap overflows
    for solver in ("tl", "tm"):
        with pytest.raises(PhysicsError, match="non-finite") as exc:
            b.response(np.array([19e9]), solver=solver)
        assert "\n" not in str(exc.value)


def test_cli_exits_1_on_a_non_finite_result(root, tmp_path, capsys):
    text = (root / "models" / "open_booster_20disk.toml").read_text()
    text = text.replace('gaps = { value = 7.25, unit = "mm"', 'gaps = { value = 1e308, unit = "m"')
    model = tmp_path / "overflow.toml"
    model.write_text(text)
    assert main(["boost", str(model), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "non-finite" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
