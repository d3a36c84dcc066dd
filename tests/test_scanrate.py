"""Occupation, eta tables, xi, scan rate and live time (physics.md §1.5, §4.3-4.5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emboost.core.axion import GEV_PER_CM3
from emboost.core.constants import GeV, h, k_B
from emboost.core.errors import InputError
from emboost.pickup.coax import CoaxPickup, CopperModel, Tuning
from emboost.pickup.scanrate import (
    AmplifierChain,
    ScanSetup,
    SquidNoise,
    eta_from_noise_temperature,
    live_time,
    live_time_loop,
    occupation,
    optimal_coupling,
    rates,
    xi,
)

LENGTHS = [1.68, 1.40, 1.12, 0.84, 0.70, 0.56]


def _setup(ri=0.2, ro=0.45, hollow=True, copper=None, b=4.0, snr=3.0, eta=20.0, t=0.02):
    copper = copper or CopperModel("constant", factor=6.0)
    ps = tuple(CoaxPickup(ell, ri, ro, hollow=hollow, copper=copper) for ell in LENGTHS)
    return ScanSetup(ps, Tuning(), b, 0.45 * GEV_PER_CM3, t, eta, snr)


def test_occupation_values():
    # physics.md §1.5 at 20 mK, printed to 3 digits
    f = np.array([5e6, 30e6, 100e6, 200e6])
    np.testing.assert_allclose(occupation(f, 0.02), [82.9, 13.4, 3.69, 1.62], rtol=3.2e-3)  # half a digit
    assert occupation(30e6, 0.0) == 0.0


def test_xi_listed_values():
    # physics.md §4.3, printed to 3 digits (rel 5e-3)
    cases = [(5e6, 20, 5.73e-5), (5e6, 10, 1.15e-4), (30e6, 20, 2.93e-4), (30e6, 10, 6.55e-4),
             (100e6, 20, 5.90e-4), (200e6, 20, 7.34e-4), (200e6, 1, 4.42e-2)]
    for f, eta, want in cases:
        assert float(xi(f, 0.02, eta)) == pytest.approx(want, rel=5e-3), (f, eta)


def test_xi_limits_and_optimum():
    # quantum limit: n = 0, eta = 1 -> 0.1481
    assert float(xi(1e8, 0.0, 1.0)) == pytest.approx(0.1481, rel=1e-3)
    # thermal limit: xi -> 1 / (6 sqrt(3) n_eff eta) when n_eff >> eta; corrections ~ (eta/n_eff)^2
    f, temp, eta = 5e6, 50.0, 2.0
    n_eff = occupation(f, temp) + 0.5
    assert n_eff / eta > 1e4
    assert float(xi(f, temp, eta) * 6 * np.sqrt(3) * n_eff * eta) == pytest.approx(1.0, rel=1e-6)
    # x* maximises 1/((4n + eta^2/x + x)^1.5 sqrt(x)) (brute-force check)
    n, e = 3.0, 7.0
    xs = np.geomspace(1e-3, 1e3, 200001)
    vals = 1 / ((4 * n + e**2 / xs + xs) ** 1.5 * np.sqrt(xs))
    assert float(optimal_coupling(n, e)) == pytest.approx(xs[np.argmax(vals)], rel=1e-4)


def test_eta_eq8_and_chain_swap():
    f = np.array([10e6, 100e6])
    np.testing.assert_allclose(eta_from_noise_temperature(f, h * f / (2 * k_B)), 1.0)
    lo = AmplifierChain("Low BW", 5e6, 75e6, np.array([5e6, 75e6]), np.array([5.0, 8.0]))
    hi = AmplifierChain("Medium BW", 75e6, 200e6, np.array([75e6, 200e6]), np.array([8.0, 15.0]))
    noise = SquidNoise((lo, hi))
    got = noise.eta(np.array([5e6, 40e6, 74.999e6, 75e6, 200e6]))
    np.testing.assert_allclose(got, [5.0, 6.5, 8.0 - 3 * 1e3 / 70e6, 8.0, 15.0], rtol=1e-9)
    with pytest.raises(InputError, match="no amplifier chain covers"):
        noise.eta([300e6])
    with pytest.raises(InputError, match="eta >= 1"):
        AmplifierChain("bad", 5e6, 75e6, np.array([5e6]), np.array([0.5]))


def test_physics_md_live_time_table():
    # physics.md §4.4 (computed there with the same toy model): years for eta = 10 / 20
    want = {(0.2, 0.45, False): (102, 249, 180, 371), (0.2, 0.45, True): (13.3, 32, 23, 48)}
    for (ri, ro, hollow), (d10, d20, k10, k20) in want.items():
        for eta, d, k in ((10.0, d10, k10), (20.0, d20, k20)):
            s = _setup(ri, ro, hollow, eta=eta)
            # printed to 2-3 digits; our grid/plate treatment may differ slightly: 5 %
            assert live_time(s, 30e6, 200e6, "dfsz", points=400).years == pytest.approx(d, rel=5e-2)
            assert live_time(s, 10e6, 30e6, "ksvz", points=400).years == pytest.approx(k, rel=5e-2)


def test_live_time_scalings():
    base = _setup()
    t0 = live_time(base, 10e6, 30e6, 1e-17 / GeV, points=300).seconds
    # g^-4 and B^-4 exactly (V ∝ g B; nothing else depends on them)
    assert live_time(base, 10e6, 30e6, 2e-17 / GeV, points=300).seconds == pytest.approx(t0 / 16, rel=1e-12)
    assert live_time(dataclasses.replace(base, b_field=8.0), 10e6, 30e6, 1e-17 / GeV,
                     points=300).seconds == pytest.approx(t0 / 16, rel=1e-12)
    # SNR^2 exactly
    assert live_time(dataclasses.replace(base, snr=6.0), 10e6, 30e6, 1e-17 / GeV,
                     points=300).seconds == pytest.approx(4 * t0, rel=1e-12)
    # 1/Q in the thermal limit: halving R_s doubles Q; V and L_eff change only through the
    # (tiny) loss in tanh(gamma l): 1e-4
    better = _setup(copper=CopperModel("constant", factor=12.0))
    assert live_time(better, 10e6, 30e6, 1e-17 / GeV, points=300).seconds == pytest.approx(t0 / 2, rel=1e-4)


def test_best_coax_choice_and_loop_reference():
    s = _setup()
    f = np.geomspace(30e6, 200e6, 50)
    r = rates(s, f, "dfsz")
    te111 = np.array([p.te111_frequency() for p in s.pickups])
    assert np.all(r[f[None, :] >= te111[:, None]] == 0)  # never above a coax's TE111
    res = live_time(s, 30e6, 200e6, "dfsz", points=50)
    np.testing.assert_array_equal(res.pickup_index, np.argmax(r, axis=0))
    assert res.seconds == pytest.approx(live_time_loop(s, 30e6, 200e6, "dfsz", points=50), rel=1e-12)
    # above every TE111 no coax may be used
    with pytest.raises(InputError, match="no pickup can scan"):
        live_time(_setup(0.25, 0.60), 30e6, 200e6, "dfsz", points=50)


def test_live_time_grid_converged():
    s = _setup()
    a = live_time(s, 30e6, 200e6, "dfsz", points=1000).seconds
    b = live_time(s, 30e6, 200e6, "dfsz", points=4000).seconds
    assert b == pytest.approx(a, rel=1e-3)  # trapezoid in log f on a smooth integrand


def test_lab_speed_from_the_model_file_sets_q_eff(root, tmp_path):
    """[operation] lab_speed reaches the live time through Q_eff only: t scales as 1/Q_eff."""
    import dataclasses

    from emboost.core.axion import shm_q_eff
    from emboost.core.errors import SetupFileError
    from emboost.pickup.setup import live_time_table, load_pickup_model

    text = (root / "models" / "dmradio_m3.toml").read_text()
    assert 'lab_speed = { value = 232, unit = "km/s"' in text
    m232 = load_pickup_model(root / "models" / "dmradio_m3.toml")
    assert m232.setup.v_lab == 232e3
    p = tmp_path / "m.toml"
    p.write_text(text.replace('lab_speed = { value = 232, unit = "km/s"', 'lab_speed = { value = 220, unit = "km/s"'))
    m220 = load_pickup_model(p)
    # keep the radii-relative paths of the original model: only the setup differs
    m220 = dataclasses.replace(m232, setup=m220.setup)
    t232 = live_time_table(m232)[0]["years"]
    t220 = live_time_table(m220)[0]["years"]
    assert t232 / t220 == pytest.approx(shm_q_eff(1e8, 220e3) / shm_q_eff(1e8, 232e3), rel=1e-9)
    p.write_text(text.replace('lab_speed = { value = 232, unit = "km/s"', 'lab_speed = { value = 232, unit = "K"'))
    with pytest.raises(SetupFileError, match="operation.lab_speed"):
        load_pickup_model(p)


# ------------------------------------------------------------------ scan plan (each coax its own ranges)
def test_scan_plan_of_the_model(root):
    from emboost.pickup.setup import live_time_table, load_pickup_model
    m = load_pickup_model(root / "models" / "dmradio_m3.toml")
    plan = m.setup.plan
    assert plan is not None and len(plan) == 6
    # the paper's fixed ranges: coax 3 at 100-115, coax 5 at 160-180, coax 6 at 180-200 MHz
    assert plan[2] == ((100e6, 115e6),) and plan[4] == ((160e6, 180e6),) and plan[5] == ((180e6, 200e6),)
    for p, ranges in zip(m.setup.pickups, plan):
        assert all(hi < p.te111_frequency() for _, hi in ranges)
    rows = live_time_table(m)
    for r in rows:
        parts = r["per_coax"]
        # the parts tile the band and their times add up to the band's
        assert parts[0]["f_min_hz"] == pytest.approx(r["result"].f_min)
        assert parts[-1]["f_max_hz"] == pytest.approx(r["result"].f_max)
        for a, b in zip(parts, parts[1:]):
            assert a["f_max_hz"] == pytest.approx(b["f_min_hz"])
        assert sum(c["years"] for c in parts) == pytest.approx(r["years"], rel=1e-12)
    dfsz = rows[0]
    assert [c["coax"] for c in dfsz["per_coax"]][-3:] == ["coax 2", "coax 5", "coax 6"]


def test_plan_that_follows_the_automatic_choice_gives_the_same_time():
    s = _setup()
    s = dataclasses.replace(s, pickups=tuple(dataclasses.replace(p, name=f"coax {k + 1}")
                                             for k, p in enumerate(s.pickups)))
    auto = live_time(s, 30e6, 100e6, "dfsz", points=3000)
    assert len({n for n, *_ in auto.per_pickup}) == len(auto.per_pickup) > 1   # contiguous, several coaxes
    # ranges where the automatic rule switched coax, as a plan: the same integral, split at the switches
    switches = [(n, lo, hi) for n, lo, hi, _ in auto.per_pickup]
    names = [p.name for p in s.pickups]
    edges = [lo for _, lo, _ in switches] + [100e6]
    plan: list[list[tuple[float, float]]] = [[] for _ in s.pickups]
    for (n, _, _), lo, hi in zip(switches, edges[:-1], edges[1:]):
        plan[names.index(n)].append((lo, hi))
    # every pickup needs its own list; unused ones get a range outside the band
    free = [(5e6, 6e6), (6e6, 7e6), (7e6, 8e6), (8e6, 9e6), (9e6, 10e6), (10e6, 11e6)]
    planned = dataclasses.replace(s, plan=tuple(tuple(r) if r else (free[k],) for k, r in enumerate(plan)))
    t = live_time(planned, 30e6, 100e6, "dfsz", points=3000)
    assert t.seconds == pytest.approx(auto.seconds, rel=2e-3)   # the automatic grid straddles each switch


def test_plan_errors(root, tmp_path):
    from emboost.core.errors import SetupFileError
    from emboost.pickup.setup import load_pickup_model
    text = (root / "models" / "dmradio_m3.toml").read_text()
    p = tmp_path / "m.toml"
    p.write_text(text.replace("values = [180, 200]", "values = [180, 205]"))   # coax 6 past its TE111 (201.8 MHz)
    with pytest.raises(SetupFileError, match=r"key 'coax\[5\]\.ranges'.*TE111"):
        load_pickup_model(p)
    p.write_text(text.replace("values = [160, 180]", "values = [150, 180]"))   # overlaps coax 2's 145-160
    with pytest.raises(SetupFileError, match="overlaps"):
        load_pickup_model(p)
    p.write_text(text.replace("values = [100, 115]", "values = [101, 115]"))   # a gap at 100-101 MHz
    m = load_pickup_model(p)
    with pytest.raises(InputError, match="100-101 MHz to no coax"):
        live_time(m.setup, 30e6, 200e6, "dfsz", eta=20.0, points=200)
    p.write_text(text.replace("values = [100, 115]", "values = [115, 100]"))
    with pytest.raises(SetupFileError, match=r"coax\[2\]\.ranges"):
        load_pickup_model(p)
