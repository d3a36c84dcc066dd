"""``emboost fit``: recipes run end to end, write their outputs, never overwrite, flag bad fits (exit 3)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from emboost.cli import main


def _run(recipe: Path, out: Path, *extra: str) -> int:
    return main(["fit", str(recipe), "--output", str(out), "--quiet", *extra])


def test_npl_recipe_and_outputs(root: Path, tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "npl"
    assert _run(root / "fits" / "npl_cavity_resonance.toml", out) == 0
    doc = json.loads((out / "fit.json").read_text())
    assert doc["converged"] and doc["at_bound"] == []
    assert doc["derived"]["unloaded_q"]["value"] == pytest.approx(862, rel=5e-3)
    assert doc["coupling_regime"]["from_fit_phase"] == "undercoupled"
    assert doc["cross_check_skrf_qfactor"]["loaded_q"] == pytest.approx(708, rel=5e-3)
    assert doc["provenance"]["versions"]["emboost"]
    assert len(doc["provenance"]["inputs"]) == 2 and all(len(h) == 64 for h in doc["provenance"]["inputs"].values())
    assert {p.name for p in out.iterdir()} >= {"fit.json", "data_model.csv", "fit_overview.png", "model.s1p"}
    # an earlier run is never overwritten silently
    assert main(["fit", str(root / "fits" / "npl_cavity_resonance.toml"), "--output", str(out), "-q"]) == 1
    assert _run(root / "fits" / "npl_cavity_resonance.toml", out, "--overwrite") == 0


def test_bundled_copy_is_used_without_shared_data(root: Path, tmp_path: Path) -> None:
    fits = tmp_path / "fits"
    fits.mkdir()
    shutil.copy(root / "fits" / "npl_cavity_resonance.toml", fits)
    shutil.copytree(root / "examples" / "data", tmp_path / "examples" / "data")
    assert _run(fits / "npl_cavity_resonance.toml", tmp_path / "out") == 0
    doc = json.loads((tmp_path / "out" / "fit.json").read_text())
    assert any("npl_mat58_Table6c27_S11.s1p" in k for k in doc["provenance"]["inputs"])


def test_booster_recipe(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "cb200"
    assert _run(root / "fits" / "cb200_reflectivity.toml", out) == 0
    doc = json.loads((out / "fit.json").read_text())
    truth = json.loads((root / "examples" / "data" / "cb200_synthetic_s11.json").read_text())["truth_SI"]
    for n, v in truth.items():  # SYNTHETIC data: recovered within 3 sigma
        p = doc["fit"]["parameters"][n]
        assert abs(p["value"] - v) < 3 * p["stderr"], n
    assert len(doc["fit"]["correlation"]) == 5
    assert doc["boost_factor"]["peak"] > 1000
    assert (out / "boost_factor.csv").exists() and (out / "fit_power_delay.png").exists()


def test_bound_gives_exit_status_3(root: Path, tmp_path: Path) -> None:
    text = (root / "fits" / "cb200_group_delay.toml").read_text()
    text = text.replace('gap_1 = { value = 8.47, unit = "mm", min = 8.0, max = 9.0 }',
                        'gap_1 = { value = 8.47, unit = "mm", min = 8.465, max = 9.0 }')
    assert "8.465" in text
    (tmp_path / "fits").mkdir()
    shutil.copytree(root / "examples" / "data", tmp_path / "examples" / "data")
    shutil.copytree(root / "models", tmp_path / "models")
    rec = tmp_path / "fits" / "bound.toml"
    rec.write_text(text)
    assert _run(rec, tmp_path / "b") == 3
    doc = json.loads((tmp_path / "b" / "fit.json").read_text())
    assert doc["at_bound"] == ["gap_1"] and doc["fit"]["parameters"]["gap_1"]["at_bound"]


@pytest.mark.parametrize("name,text", [
    ("recipe_bad_unknown_key.toml", "key 'model.colour': unknown key"),
    ("recipe_bad_unit.toml", "key 'parameters.gap_1.unit': unit 'GHz' is a frequency, expected a length"),
    ("recipe_bad_bounds.toml", "key 'parameters.gap_1.value': initial value 0.01 (SI) is outside"),
    ("recipe_bad_missing_data.toml", "no_such_file.s1p: file not found"),
    ("recipe_bad_syntax.toml", "recipe_bad_syntax.toml:2: invalid TOML"),
    ("recipe_bad_parameter.toml", "key 'data.parameter': S21 does not exist in a 1-port file"),
])
def test_bad_recipes(test_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str) -> None:
    assert _run(test_data / name, tmp_path / "x") == 1
    assert text in capsys.readouterr().err


def test_every_bad_recipe_fixture_is_covered(test_data: Path) -> None:
    names = {p.name for p in test_data.glob("recipe_bad_*")}
    assert names == {"recipe_bad_unknown_key.toml", "recipe_bad_unit.toml", "recipe_bad_bounds.toml",
                     "recipe_bad_missing_data.toml", "recipe_bad_syntax.toml", "recipe_bad_parameter.toml"}


