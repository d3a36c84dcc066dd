"""Fits that are wrong fail loudly: their verdict names the failed check, and 'emboost fit' exits 3 with one line.

The cases: bad starting values on the NPL MAT 58 reflection file (f0 started at 3.640 GHz fails; f0 at 3.642 GHz
with Q_L at 1e5 recovers the published answer), data
without a resonance (SYNTHETIC flat background and pure noise, seeded), and a file the model cannot describe
(the W-band ring-slot measurement in ../shared/data). For the booster reflectivity fit: bad starts, flat data and
pure noise (SYNTHETIC, tests/pull_models.py); for the line-delay and mirror-gap fits: a search range that misses
the truth, and a spectrum that does not constrain the parameter; for the campaign: a dead noise source (an ENR
table at -40 dB) is an error naming the ENR file. The bundled recipes pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pull_models import (
    BOOSTER_BASE,
    BOOSTER_F,
    DELAY_F,
    GAMMA_BOOSTER,
    GAMMA_LNA,
    GAP_CASE,
    NOISE_F,
    T_PHYS,
    TAU_BOUNDS,
    TRUTH_SOURCES,
    booster_data,
    booster_specs,
    delay_data,
    gap_data,
    standards_data,
)

from emboost.fit.booster import Observable, fit_booster, observables_from_s11
from emboost.fit.core import ParameterSpec
from emboost.fit.noise import fit_line_delay, fit_standards, refit_mirror_gap
from emboost.fit.resonance import default_parameters, fit_resonance, initial_guess
from emboost.rf.touchstone import read_s_parameter

ROOT = Path(__file__).resolve().parents[1]
NPL = ROOT / "examples" / "data" / "npl_mat58_Table6c27_S11.s1p"


def _fit(f: np.ndarray, s: np.ndarray, start: dict[str, float] | None = None):
    specs = None
    if start:
        g = initial_guess(f, s)
        g.update(start)
        specs = [ParameterSpec(n, g[n], d.minimum, d.maximum, True, d.unit)
                 for n, d in default_parameters(f, g, "reflection").items()]
    return fit_resonance(f, s, specs=specs)


def test_the_npl_file_passes():
    f, s = read_s_parameter(NPL)
    v = _fit(f, s).verdict()
    assert v.ok, v.reason
    assert {c.name for c in v.checks} >= {"converged", "bounds", "location", "precision", "residuals", "physical"}


@pytest.mark.parametrize("start", [{"f0": 3.640e9}, {"f0": 3.642e9, "loaded_q": 1e5}])
def test_bad_starts_fail_or_find_the_published_answer(start):
    """A bad start either fails its verdict or, when the fit climbs out of it (the start 3.642 GHz / 1e5 does,
    through the angular-weight refits), lands on the published f_L and Q_L; never a wrong answer that passes."""
    f, s = read_s_parameter(NPL)
    r = _fit(f, s, start)
    v = r.verdict()
    if v.ok:
        assert r.f0 == pytest.approx(3.65293800e9, abs=r.fit.error("f0"))
        assert r.loaded_q == pytest.approx(708, rel=3e-3)
    else:
        assert v.reason
    if start["f0"] == 3.640e9:
        assert not v.ok  # the fit stays in the wrong minimum and says so


@pytest.mark.parametrize("what", ["flat", "noise"])
def test_no_resonance_fails(what):
    rng = np.random.default_rng(7)
    f = np.linspace(5e9, 5.1e9, 201)
    noise = 1e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    r = _fit(f, (0.8 if what == "flat" else 0.0) + noise)
    assert not r.verdict().ok


def test_a_file_the_model_cannot_describe_fails(shared_data):
    f, s = read_s_parameter(shared_data / "touchstone" / "ring_slot_measured.s1p")
    v = _fit(f, s).verdict()
    assert not v.ok


def test_cli_exits_3_with_a_one_line_reason(tmp_path, capsys):
    from emboost.cli import main

    recipe = (ROOT / "fits" / "npl_cavity_resonance.toml").read_text()
    rng = np.random.default_rng(3)
    f = np.linspace(3.6e9, 3.7e9, 201)
    s = 0.8 + 1e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    data = tmp_path / "flat.s1p"
    data.write_text("! SYNTHETIC: a flat background with seeded noise, no resonance\n# Hz S RI R 50\n"
                    + "".join(f"{x:.6f} {v.real:.9f} {v.imag:.9f}\n" for x, v in zip(f, s)))
    import re

    text = re.sub(r'(?m)^file = .*$', f'file = "{data.name}"', recipe)
    text = re.sub(r'(?m)^fallback = .*\n', "", text)
    (tmp_path / "r.toml").write_text(text)
    status = main(["fit", str(tmp_path / "r.toml"), "--output", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 3
    assert len(err) == 1 and "verdict failed" in err[0]
    assert (tmp_path / "out" / "fit.json").is_file()  # results are written and flagged


# ------------------------------------------------------------------------------------------ booster fit
def _booster(s: np.ndarray, start: dict[str, float] | None = None, sigma: float | None = 3e-3):
    return fit_booster(BOOSTER_F, observables_from_s11(BOOSTER_F, s), BOOSTER_BASE, booster_specs(start),
                       [Observable("s11", sigma)])


def test_booster_fit_on_good_data_passes():
    s, sigma = booster_data(1, 3e-3)
    v = _booster(s, sigma=sigma).verdict()
    assert v.ok, v.reason
    assert [c.name for c in v.checks] == ["converged", "bounds", "location", "precision", "residuals", "physical"]


@pytest.mark.parametrize("start,check", [({"gap_2": 11.5e-3}, "residuals"),
                                         ({"gap_1": 7.5e-3, "gap_3": 13.5e-3}, "residuals"),
                                         ({"phase_thickness": 2.7e-3}, "residuals")])
def test_booster_bad_starts_fail(start, check):
    """Starts 0.8-1 mm off in the gaps or 10 % off in the phase thickness end in a local minimum."""
    s, sigma = booster_data(1, 3e-3)
    v = _booster(s, start, sigma).verdict()
    assert not v.ok and v.reason.startswith(check), v.reason


@pytest.mark.parametrize("what", ["flat", "noise"])
@pytest.mark.parametrize("sigma", [3e-3, None])
def test_booster_no_booster_in_the_data_fails(what, sigma):
    rng = np.random.default_rng(5)
    noise = 3e-3 * (rng.standard_normal(BOOSTER_F.size) + 1j * rng.standard_normal(BOOSTER_F.size))
    v = _booster((0.8 if what == "flat" else 0.0) + noise, sigma=sigma).verdict()
    assert not v.ok and v.reason


def test_booster_cli_exits_3_with_a_one_line_reason(root, tmp_path, capsys):
    """'emboost fit' on a SYNTHETIC flat S11 file (no booster in it): exit 3, one line naming the check."""
    from emboost.cli import main

    text = (root / "fits" / "cb200_reflectivity.toml").read_text()
    f = np.linspace(16e9, 21e9, 161)
    rng = np.random.default_rng(11)
    s = 0.8 + 3e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    (tmp_path / "flat.s1p").write_text("! SYNTHETIC: a flat reflection with seeded noise, no booster\n# Hz S RI R 50\n"
                                       + "".join(f"{x:.1f} {v.real:.9f} {v.imag:.9f}\n" for x, v in zip(f, s)))
    text = text.replace("../examples/data/cb200_synthetic_s11.s1p", "flat.s1p")
    text = text.replace("../models/", str(root / "models") + "/")
    (tmp_path / "r.toml").write_text(text)
    status = main(["fit", str(tmp_path / "r.toml"), "--output", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 3
    assert len(err) == 1 and "verdict failed: " in err[0], err
    import json

    doc = json.loads((tmp_path / "out" / "fit.json").read_text())
    assert doc["verdict"]["ok"] is False and err[0].endswith(doc["verdict"]["reason"])


# ------------------------------------------------------------------------------------- noise fits
def test_standards_fit_passes_and_fails_with_wrong_sigma():
    data, sigma = standards_data(2, 5e-3)
    fit = fit_standards(NOISE_F, data, sigma, GAMMA_LNA, T_PHYS, TAU_BOUNDS, TAU_BOUNDS)
    assert fit.verdict().ok, fit.verdict().reason
    # sigma claimed 5x smaller than the noise: chi^2 says so
    small = {k: v / 5 for k, v in sigma.items()}
    bad = fit_standards(NOISE_F, data, small, GAMMA_LNA, T_PHYS, TAU_BOUNDS, TAU_BOUNDS).verdict()
    assert not bad.ok and bad.reason.startswith("residuals"), bad.reason


def test_standards_delay_range_missing_the_truth_fails():
    data, sigma = standards_data(2, 5e-3)
    v = fit_standards(NOISE_F, data, sigma, GAMMA_LNA, T_PHYS, (1.25e-9, 1.4e-9), TAU_BOUNDS).verdict()
    assert not v.ok, v.reason


def test_line_delay_verdicts():
    t, sigma = delay_data(3, 5e-3)
    good = fit_line_delay(DELAY_F, GAMMA_BOOSTER, T_PHYS, TRUTH_SOURCES, GAMMA_LNA[0], t, sigma, (1e-9, 4e-9))
    assert good.verdict().ok, good.verdict().reason
    # a search range that misses the true 2.345 ns: the best tau is on its edge or the residuals show it
    off = fit_line_delay(DELAY_F, GAMMA_BOOSTER, T_PHYS, TRUTH_SOURCES, GAMMA_LNA[0], t, sigma, (2.5e-9, 4e-9))
    assert not off.verdict().ok
    # a matched booster (no reflection) does not constrain tau at all
    flat = fit_line_delay(DELAY_F, 0 * GAMMA_BOOSTER, T_PHYS, TRUTH_SOURCES, 0.0, t, sigma, (1e-9, 4e-9))
    assert not flat.verdict().ok


def test_mirror_gap_range_missing_the_truth_fails():
    c = GAP_CASE
    t, sigma = gap_data(4, 5e-3)
    g = refit_mirror_gap(c.f, c.booster, c.delay, T_PHYS, TRUTH_SOURCES, GAMMA_LNA[0], t, sigma, (8.52e-3, 8.65e-3),
                         n_grid=31)
    v = g.verdict()
    assert not v.ok and v.reason.startswith("location"), v.reason


# ------------------------------------------------------------------------------------------ campaign
def test_dead_noise_source_names_the_enr_file(root, tmp_path, capsys):
    """A campaign whose ENR table is that of a dead noise source (-40 dB, SYNTHETIC) stops at the calibration
    with one line naming the ENR file."""
    import re

    from emboost.cli import main

    text = (root / "fits" / "cb200_campaign.toml").read_text().replace('"../', f'"{root}/')
    text = re.sub(r'(?m)^enr = .*$', 'enr = "enr_dead.csv"', text)
    (tmp_path / "c.toml").write_text(text)
    (tmp_path / "enr_dead.csv").write_text("# SYNTHETIC: the ENR table of a dead noise source\n"
                                           "frequency [GHz], enr [dB]\n10, -40\n30, -40\n")
    status = main(["derive", str(tmp_path / "c.toml"), "--output", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(err) == 1 and "enr_dead.csv" in err[0] and "T_rec" in err[0], err


def test_failed_stage_verdict_makes_derive_exit_3(root, tmp_path, capsys):
    """The bundled campaign with the VNA noise claimed 5x smaller than it is: the booster fit converges but its
    chi^2 fails; derive writes every output, records the verdict and exits 3 with one line naming stage and check."""
    import json

    from emboost.cli import main

    text = (root / "fits" / "cb200_campaign.toml").read_text().replace('"../', f'"{root}/')
    assert "sigma = 0.003 " in text
    (tmp_path / "c.toml").write_text(text.replace("sigma = 0.003 ", "sigma = 0.0006 "))
    status = main(["derive", str(tmp_path / "c.toml"), "--output", str(tmp_path / "out"), "--quiet",
                   "--samples", "25", "--workers", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 3
    assert len(err) == 1 and "verdict failed: booster_fit: residuals: chi^2" in err[0], err
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["stages"]["booster_fit"]["result"]["verdict"]["ok"] is False
    assert doc["stages"]["line_delay"]["result"]["verdict"]["ok"] is True
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.parametrize("recipe,old,new,check", [
    # the open's delay searched over 1.25-1.4 ns: the true 1.204 ns is outside, the fit ends on the range's edge
    ("noise_standards.toml", 'tau_open = { value = 1.2, unit = "ns", min = 1.0, max = 1.4 }',
     'tau_open = { value = 1.3, unit = "ns", min = 1.25, max = 1.4 }', "noise standards"),
    # the mirror gap searched over 8.30-8.46 mm while the booster moved beyond it
    ("cb200_tsys_delay.toml", 'gap_max = "8.65 mm"', 'gap_max = "8.46 mm"', "mirror gap"),
])
def test_noise_recipes_exit_3_with_a_one_line_reason(root, tmp_path, capsys, recipe, old, new, check):
    import json

    from emboost.cli import main

    text = (root / "fits" / recipe).read_text()
    assert old in text
    text = text.replace(old, new).replace('"../', f'"{root}/').replace('booster_fit = "',
                                                                       f'booster_fit = "{root}/fits/')
    (tmp_path / "r.toml").write_text(text)
    status = main(["fit", str(tmp_path / "r.toml"), "--output", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 3
    assert len(err) == 1 and "verdict failed: " in err[0], err
    doc = json.loads((tmp_path / "out" / "fit.json").read_text())
    v = doc["verdict"] if "verdict" in doc else doc["mirror_gap"]["verdict"]
    assert v["ok"] is False and v["reason"] in err[0]
    if check == "mirror gap":  # two fits in one job: the line names which one failed
        assert "verdict failed: mirror gap: " in err[0], err
