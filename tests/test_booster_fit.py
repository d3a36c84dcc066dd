"""Booster reflectivity fits on SYNTHETIC data (the 3-disk CB200 model with seeded noise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emboost.booster.setup import load_booster_setup
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11

ROOT = Path(__file__).resolve().parents[1]
BASE = load_booster_setup(ROOT / "models" / "cb200_config1.toml").booster
F = np.linspace(16e9, 21e9, 161)  # small grid over several booster resonances
FREE = ["gap_1", "gap_2", "gap_3", "phase_thickness", "loss_tangent"]
TRUTH = {"gap_1": 8.455e-3, "gap_2": 12.320e-3, "gap_3": 12.610e-3, "phase_thickness": 1.03 * np.sqrt(9.4) * 1e-3,
         "loss_tangent": 3e-4}
SIGMA = 0.003


def _true_booster():
    specs = booster_parameter_specs(BASE, FREE, initial=TRUTH)
    r = fit_booster(F, observables_from_s11(F, BASE.reflectivity(F)), BASE, specs, [Observable("s11", 1.0)],
                    max_nfev=1)
    return r.booster(np.array([TRUTH[n] for n in FREE]))


TRUE_S11 = _true_booster().reflectivity(F)


def _noisy(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return TRUE_S11 + SIGMA * (rng.standard_normal(F.size) + 1j * rng.standard_normal(F.size))


def test_rebuild_booster_batch_and_phase_thickness() -> None:
    specs = booster_parameter_specs(BASE, FREE, initial=TRUTH)
    r = fit_booster(F, observables_from_s11(F, TRUE_S11), BASE, specs, [Observable("s11", SIGMA)])
    b = r.booster()
    assert np.allclose(b.phase_thickness, TRUTH["phase_thickness"], rtol=1e-9)
    assert np.allclose(b.permittivity, BASE.permittivity)  # eps fixed, t = pt / sqrt(eps)
    draws = r.fit.sample(5, seed=1)
    batch = r.booster(draws)
    assert batch.batch_shape == (5,) and batch.boost_factor(F).shape == (5, F.size)
    assert np.allclose(batch.gaps[3], draws[3, :3])


def test_recovery_and_error_calibration_over_seeds() -> None:
    vals, errs = [], []
    for seed in range(50):
        specs = booster_parameter_specs(BASE, FREE, initial=TRUTH)
        r = fit_booster(F, observables_from_s11(F, _noisy(seed)), BASE, specs, [Observable("s11", SIGMA)])
        assert r.fit.ok
        vals.append(r.fit.free_values)
        errs.append(r.fit.stderr[[r.fit.names.index(n) for n in FREE]])
        if seed == 0:
            for n in FREE:
                assert abs(r.fit.value(n) - TRUTH[n]) < 3 * r.fit.error(n), n
    ratio = np.std(vals, axis=0, ddof=1) / np.mean(errs, axis=0)
    # errors match the scatter over 50 seeds within 30 % (the scatter's own uncertainty is ~10 %)
    assert np.all(np.abs(ratio - 1) < 0.3), dict(zip(FREE, ratio.round(3)))


def test_joint_power_and_group_delay() -> None:
    """Power [dB] and group delay with independent noise of known sigma, fitted jointly."""
    rng = np.random.default_rng(11)
    d = observables_from_s11(F, TRUE_S11)
    sp, st = 0.02, 0.05e-9
    d["reflected_power_db"] = d["reflected_power_db"] + sp * rng.standard_normal(F.size)
    d["group_delay"] = d["group_delay"] + st * rng.standard_normal(F.size)
    specs = booster_parameter_specs(BASE, FREE, initial=TRUTH)
    r = fit_booster(F, d, BASE, specs, [Observable("reflected_power_db", sp),
                                        Observable("group_delay", st, noise="independent")])
    assert r.fit.converged
    for n in FREE:
        assert abs(r.fit.value(n) - TRUTH[n]) < 3 * r.fit.error(n), n
    assert 0.6 < r.fit.redchi < 1.4


def test_start_five_percent_off_converges() -> None:
    # 401 points: on the 161-point grid the booster resonances are under-sampled and a 5 % start can
    # end in a local minimum (reduced chi^2 ~ 800, reported as such by fit.json's chi2 probability)
    f = np.linspace(16e9, 21e9, 401)
    s = _true_booster().reflectivity(f) + SIGMA * (np.random.default_rng(3).standard_normal(f.size)
                                                  + 1j * np.random.default_rng(4).standard_normal(f.size))
    start = {n: v * (1.05 if i % 2 else 0.95) for i, (n, v) in enumerate(TRUTH.items())}
    specs = booster_parameter_specs(BASE, FREE, initial=start)
    r = fit_booster(f, observables_from_s11(f, s), BASE, specs, [Observable("s11", SIGMA)])
    assert r.fit.ok and r.fit.redchi < 1.3
    for n in FREE:
        assert abs(r.fit.value(n) - TRUTH[n]) < 3 * r.fit.error(n), n


def test_bound_is_reported() -> None:
    specs = booster_parameter_specs(BASE, ["gap_1", "loss_tangent"], initial=TRUTH)
    specs = [s if s.name != "gap_1" else type(s)(s.name, 8.40e-3, 8.35e-3, 8.45e-3, True, "mm") for s in specs]
    r = fit_booster(F, observables_from_s11(F, _noisy(4)), BASE, specs, [Observable("s11", SIGMA)])
    assert r.fit.at_bound == ("gap_1",) and not r.ok


def test_mirror_gap_alone() -> None:
    specs = booster_parameter_specs(BASE, ["gap_1"], initial={**TRUTH, "gap_1": 8.45e-3})
    r = fit_booster(F, observables_from_s11(F, _noisy(5)), BASE, specs, [Observable("s11", SIGMA)])
    assert r.fit.free == ("gap_1",) and abs(r.fit.value("gap_1") - TRUTH["gap_1"]) < 3 * r.fit.error("gap_1")
    bf = r.boost_factor(F)
    assert bf.max() == pytest.approx(_true_booster().boost_factor(F).max(), rel=0.02)
