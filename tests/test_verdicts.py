"""Fits that are wrong fail loudly: their verdict names the failed check, and 'emboost fit' exits 3 with one line.

The cases: bad starting values on the NPL MAT 58 reflection file (f0 started at 3.640 GHz fails; f0 at 3.642 GHz
with Q_L at 1e5 recovers the published answer), data
without a resonance (SYNTHETIC flat background and pure noise, seeded), and a file the model cannot describe
(the W-band ring-slot measurement in ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emboost.fit.core import ParameterSpec
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
