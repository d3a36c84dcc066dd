"""Booster design: a box-like 20-disk response from several starts, a known single-disk optimum,
constraints, a target shape, tolerances and refusals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from test_booster import single_disk_closed_form

from emboost.booster.design import (
    DesignSpec,
    _ascent_rate,
    _grown_profiles,
    _Problem,
    _slp,
    design_booster,
    disk_positions,
    disk_tolerances,
)
from emboost.booster.model import Booster
from emboost.core.constants import c
from emboost.core.errors import InputError


@pytest.fixture(scope="module")
def design20():
    base = Booster.from_disks(np.full(20, 7e-3), 1e-3, 24.0)
    return base, design_booster(base, DesignSpec(21.975e9, 22.025e9, n_starts=3, seed=1))


def test_twenty_disks_reach_a_box_like_response_from_several_starts(design20):
    base, r = design20
    assert r.verdict.ok, r.verdict.reason
    assert r.band_minimum >= 0.5 * r.band_maximum  # box-like: the in-band ripple stays within a factor 2
    assert np.sum(r.start_minima >= 0.95 * r.start_minima.max()) >= 2  # another start reaches the same minimum
    # the band minimum is checked with the independent transfer-matrix solver on a finer grid
    f = np.linspace(21.975e9, 22.025e9, 801)
    bf = r.booster.response(f, solver="tm").boost_factor
    assert abs(bf.min() / r.band_minimum - 1) < 0.01
    # far better than any equal-gap booster over the band (the starting point)
    cand = np.linspace(1e-3, 1e-3 + c / 22e9, 2000)
    equal = base.with_gaps(np.repeat(cand[:, None], 20, axis=1)).boost_factor(f[::20])
    assert r.band_minimum > 3 * equal.min(axis=1).max()
    # band edges outside the band, tolerances finite and of the expected micrometre scale
    assert r.band_edges[0] < 21.975e9 and r.band_edges[1] > 22.025e9
    assert np.all(np.isfinite(r.tolerance)) and 1e-7 < r.tolerance.min() < r.tolerance.max() < 1e-3


def test_grown_profiles_keep_both_ends_and_stretch_the_interior():
    g = np.array([6.9, 7.3, 7.2, 7.1, 7.0, 7.4, 6.8, 7.5]) * 1e-3
    rows = _grown_profiles(g, 20)
    assert rows.shape == (5, 20)  # tails k = 0 .. 4
    for k, row in enumerate(rows):
        assert row[0] == g[0] and np.array_equal(row[20 - k:], g[8 - k:])
        inner = row[1:20 - k]  # the interior runs from gaps[1] to gaps[7 - k] monotonically between nodes
        assert inner[0] == g[1] and abs(inner[-1] - g[7 - k]) < 1e-15
        assert inner.min() >= g[1:8 - k].min() and inner.max() <= g[1:8 - k].max()


def test_grown_start_is_repeatable_where_equal_gap_starts_are_not():
    # 24 disks over 60 MHz (2.5 MHz per disk, as the 80-disk 200 MHz benchmark): grown from an 8-disk design
    # over 20 MHz, both starts reach the same minimum; from equal gaps plus random offsets they do not, and the
    # best of them is no better
    base = Booster.from_disks(np.full(24, 7e-3), 1e-3, 24.0)
    spec = DesignSpec(21.97e9, 22.03e9, n_starts=2, seed=1, grow_from=24)
    grown = design_booster(base, spec)
    assert grown.start_origin.startswith("grown from a 8-disk design over 20 MHz")
    assert grown.verdict.ok, grown.verdict.reason
    assert grown.start_minima.min() >= 0.999 * grown.start_minima.max()
    assert grown.band_minimum >= 0.6 * grown.band_maximum
    plain = design_booster(base, DesignSpec(21.97e9, 22.03e9, n_starts=2, seed=1, grow_from=None))
    assert plain.start_origin.startswith("equal gaps")
    assert plain.band_minimum <= 1.001 * grown.band_minimum
    assert not plain.verdict.ok and "repeatable" in plain.verdict.reason


def test_tolerance_is_where_the_minimum_drops_by_ten_percent(design20):
    _, r = design20
    b, f = r.booster, r.frequency
    inside = (f >= 21.975e9) & (f <= 22.025e9)
    i = int(np.argmin(r.tolerance))
    tol = r.tolerance[i]
    for scale, dropped in ((0.98, False), (1.02, True)):
        worst = np.inf
        for sign in (1, -1):
            g = np.array(b.gaps, float)
            g[i] += sign * scale * tol
            if i + 1 < g.size:
                g[i + 1] -= sign * scale * tol
            worst = min(worst, b.with_gaps(g).boost_factor(f[inside]).min())
        assert (worst < 0.9 * r.band_minimum) == dropped


def test_single_disk_optimum_equals_the_closed_form_maximum():
    # one lossless disk (eps 9.4, 1 mm) before a perfect mirror, a 2 MHz band at 19 GHz: the design must find
    # the gap that maximises the smaller band-edge boost of the closed form (test_booster), within one wavelength
    f_lo, f_hi = 18.999e9, 19.001e9
    n2, d, gmin = 9.4, 1e-3, 2e-3
    lam = c / 19e9
    base = Booster.from_disks([5e-3], d, n2)
    r = design_booster(base, DesignSpec(f_lo, f_hi, min_gap=gmin, max_gap=gmin + lam, n_starts=1))

    def band_min(gap: float) -> float:
        f = np.linspace(f_lo, f_hi, 5)
        return float(np.min(np.abs(single_disk_closed_form(f, np.sqrt(n2), gap, d)) ** 2))

    grid = np.linspace(gmin, gmin + lam, 20001)
    fb = np.linspace(f_lo, f_hi, 5)[:, None]
    vals = np.min(np.abs(single_disk_closed_form(fb, np.sqrt(n2), grid[None, :], d)) ** 2, axis=0)
    k = int(np.argmax(vals))
    best = minimize_scalar(lambda g: -band_min(g), bounds=(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]),
                           method="bounded", options={"xatol": 1e-13})
    assert r.verdict.ok, r.verdict.reason
    assert abs(r.gaps[0] - best.x) < 1e-9  # metres: 1 nm of a 5 mm gap
    assert abs(r.band_minimum / -best.fun - 1) < 1e-6


def test_three_disk_optimum_equals_a_global_search():
    # 3 disks (eps 24, 1 mm) over 100 MHz at 22 GHz: the design's minimum on its grid (24 points) equals the
    # best point of an independent global search (differential evolution over every gap in [1 mm, 1 mm + lambda])
    from scipy.optimize import differential_evolution

    base = Booster.from_disks(np.full(3, 7e-3), 1e-3, 24.0)
    r = design_booster(base, DesignSpec(21.95e9, 22.05e9, n_starts=2, seed=0))
    f = np.linspace(21.95e9, 22.05e9, 24)
    de = differential_evolution(lambda g: -base.with_gaps(g.T).boost_factor(f).min(axis=-1),
                                [(1e-3, 1e-3 + c / 22e9)] * 3, seed=1, vectorized=True, popsize=30, tol=1e-12,
                                maxiter=3000, polish=False, updating="deferred")
    assert r.verdict.ok, r.verdict.reason
    assert abs(r.start_minima[r.best_start] / -de.fun - 1) < 1e-8
    assert np.max(np.abs(r.gaps - de.x)) < 2e-8  # metres: the global search's own precision


def test_sequential_linear_programming_finishes_the_max_min_problem():
    # the trust-region SLP stage, from the 3-disk optimum with every gap moved by 2-7 um, returns to it
    base = Booster.from_disks(np.full(3, 7e-3), 1e-3, 24.0)
    spec = DesignSpec(21.95e9, 22.05e9, n_starts=2, seed=0)
    r = design_booster(base, spec)
    scale = c / 22e9 / (2 * np.pi)
    problem = _Problem(base, spec, np.linspace(21.95e9, 22.05e9, 24), scale)
    bounds = [(1e-3 / scale, (1e-3 + c / 22e9) / scale)] * 3
    x0 = r.gaps / scale + np.array([3e-3, -2e-3, 1e-3])
    assert np.exp(problem.y(x0)[0].min()) < 0.95 * r.start_minima.max()
    x = _slp(problem, x0, bounds, 400)
    assert abs(np.exp(problem.y(x)[0].min()) / r.start_minima.max() - 1) < 1e-7
    assert np.max(np.abs(x * scale - r.gaps)) < 3e-7
    assert _ascent_rate(problem, x, bounds) < 1e-3


def test_constraints_fixed_disk_and_total_length():
    base = Booster.from_disks(np.array([7.1e-3, 6.9e-3, 7.0e-3, 7.2e-3]), 1e-3, 24.0)
    lmax = 31.5e-3
    spec = DesignSpec(21.95e9, 22.05e9, min_gap=5e-3, max_total_length=lmax, fixed_disks=(2,), n_starts=2)
    r = design_booster(base, spec)
    assert r.verdict.ok, r.verdict.reason
    assert abs(r.positions[1] - disk_positions(base)[1]) < 1e-9
    assert float(r.booster.total_length) <= lmax + 1e-9
    assert np.all(r.gaps >= 5e-3 - 1e-12)
    assert r.to_dict()["verdict"]["ok"]


def test_target_shape_is_followed():
    # a boost factor rising by a factor 2 across the band: beta^2 / shape is the flat quantity
    base = Booster.from_disks(np.full(6, 7e-3), 1e-3, 24.0)
    shape = (np.array([21.9e9, 22.1e9]), np.array([1.0, 2.0]))
    r = design_booster(base, DesignSpec(21.9e9, 22.1e9, shape=shape, n_starts=2, seed=3))
    f = np.linspace(21.9e9, 22.1e9, 201)
    rel = r.booster.boost_factor(f) / np.interp(f, *shape)
    assert abs(rel.min() / r.band_minimum - 1) < 0.02
    assert rel.min() > 0.5 * rel.max()


def test_disk_tolerances_of_a_single_disk_match_a_direct_scan():
    b = Booster.from_disks([8.2023e-3], 1e-3, 9.4)
    f = np.linspace(18.95e9, 19.05e9, 41)
    tol = disk_tolerances(b, f, 18.95e9, 19.05e9)[0]
    ref = b.boost_factor(f).min()
    assert b.with_gaps([b.gaps[0] + tol * 1.001]).boost_factor(f).min() < 0.9 * ref or \
        b.with_gaps([b.gaps[0] - tol * 1.001]).boost_factor(f).min() < 0.9 * ref
    for s in (1, -1):
        assert b.with_gaps([b.gaps[0] + s * tol * 0.999]).boost_factor(f).min() >= 0.9 * ref


def test_bad_specifications_are_refused():
    for kw in ({"f_lo": 2e10, "f_hi": 1e10}, {"f_lo": 1e10, "f_hi": 2e10, "min_gap": -1.0},
               {"f_lo": 1e10, "f_hi": 2e10, "n_starts": 0}, {"f_lo": 1e10, "f_hi": 2e10, "grow_from": 1},
               {"f_lo": 1e10, "f_hi": 2e10, "grow_factor": 1},
               {"f_lo": 1e10, "f_hi": 2e10, "shape": (np.array([1e10, 1.5e10]), np.array([1.0, 1.0]))}):
        with pytest.raises(InputError):
            DesignSpec(**kw)
    with pytest.raises(InputError, match="fixed disk"):
        design_booster(Booster.from_disks([7e-3], 1e-3, 24.0), DesignSpec(21e9, 22e9, fixed_disks=(3,)))


RECIPE = """[recipe]
kind = "booster_design"
name = "small"

[model]
setup = "{setup}"

[design]
start = {{ value = {start}, unit = "GHz" }}
stop = {{ value = {stop}, unit = "GHz" }}
starts = 2
{extra}
"""


def _recipe(tmp_path, root, start=21.95, stop=22.05, extra="", count=3):
    text = (root / "models" / "open_booster_20disk.toml").read_text()
    text = text.replace("count = 20", f"count = {count}")
    (tmp_path / "setup.toml").write_text(text)
    path = tmp_path / "design.toml"
    path.write_text(RECIPE.format(setup="setup.toml", start=start, stop=stop, extra=extra))
    return path


def test_cli_design_writes_results(tmp_path, root, capsys):
    import json

    from emboost.cli import main

    recipe = _recipe(tmp_path, root)
    assert main(["design", str(recipe), "-o", str(tmp_path / "out")]) == 0
    doc = json.loads((tmp_path / "out" / "design.json").read_text())
    assert doc["verdict"]["ok"] and len(doc["gaps_m"]) == 3 and doc["band_minimum"] > 10
    assert (tmp_path / "out" / "design.csv").exists() and (tmp_path / "out" / "design.png").exists()
    assert "in-band beta^2 minimum" in capsys.readouterr().out


def test_cli_design_exit_3_when_no_box_is_possible(tmp_path, root, capsys):
    # one disk cannot hold a box over 4 GHz: the in-band minimum stays far below the maximum
    from emboost.cli import main

    recipe = _recipe(tmp_path, root, start=20.0, stop=24.0, count=1)
    assert main(["design", str(recipe), "-o", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "box-like" in err and len(err.strip().splitlines()) == 1


def test_cli_design_bad_recipe_is_one_line(tmp_path, root, capsys):
    from emboost.cli import main

    recipe = _recipe(tmp_path, root, extra="min_gapp = { value = 1, unit = \"mm\" }")
    assert main(["design", str(recipe), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "min_gapp" in err and "design.toml" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_recipe_grow_from(tmp_path, root):
    from emboost.core.errors import RecipeError
    from emboost.jobs.design import load_design_recipe

    assert load_design_recipe(_recipe(tmp_path, root))[2].grow_from == 32
    assert load_design_recipe(_recipe(tmp_path, root, extra="grow_from = 0"))[2].grow_from is None
    assert load_design_recipe(_recipe(tmp_path, root, extra="grow_from = 40"))[2].grow_from == 40
    with pytest.raises(RecipeError, match="grow_from"):
        load_design_recipe(_recipe(tmp_path, root, extra="grow_from = 1"))
