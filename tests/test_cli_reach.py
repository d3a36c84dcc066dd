"""``emboost reach``: the shipped BabyIAXO scenario end to end, and bad input through the CLI."""

from __future__ import annotations

import csv
import json

import pytest

from emboost.cli import main
from emboost.core.output import file_sha256


@pytest.fixture(scope="module")
def run_dir(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("reach") / "out"
    status = main(["reach", str(root / "models" / "reach_babyiaxo.toml"), "--output", str(out), "--quiet"])
    assert status == 0
    return out


def test_outputs_written(run_dir):
    for name in ("reach.csv", "scan_times.json", "provenance.json", "reach.png"):
        assert (run_dir / name).stat().st_size > 0
    assert (run_dir / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reach_csv_rows(run_dir):
    lines = [x for x in (run_dir / "reach.csv").read_text().splitlines() if not x.startswith("#")]
    rows = list(csv.DictReader(lines))
    names = {r["haloscope"] for r in rows}
    assert len(names) == 4
    cast = [r for r in rows if r["haloscope"].startswith("CAST-RADES")]
    assert len(cast) == 2 and all(3e-13 < float(r["g_reach_gev"]) < 5e-13 for r in cast)
    baby = [r for r in rows if "BabyIAXO bore" in r["haloscope"] and r["kind"] == "rades_chain"]
    # combined reach = per-chain reach x n^-1/4 (incoherent), exact up to the printed repr
    for r in baby:
        assert float(r["g_reach_gev"]) == pytest.approx(float(r["g_unit_gev"]) * float(r["units"]) ** -0.25,
                                                        rel=1e-12)
    for r in rows:
        f = float(r["frequency_hz"])
        assert float(r["mass_ueV"]) == pytest.approx(f / 241.7989e6, rel=1e-6)   # physics.md §1.1
        if "TM010" in r["haloscope"]:   # along a transverse dipole bore: no coupling to the field
            assert float(r["scan_rate_hz_per_s"]) == 0 and float(r["form_factor"]) == 0
        else:
            assert float(r["scan_rate_hz_per_s"]) > 0


def test_scan_times_json(run_dir):
    d = json.loads((run_dir / "scan_times.json").read_text())
    hs = {h["name"]: h for h in d["haloscopes"]}
    tm = hs["TM010 cavity filling a BabyIAXO bore"]
    assert tm["band_ueV"] == pytest.approx([1.40, 2.00], rel=1e-9)
    # the TM010 E field lies along the bore, the BabyIAXO field across it: C = 0, flagged, no finite scan time
    assert tm["form_factor"] == 0.0
    assert len(tm["warnings"]) == 1 and "MISALIGNED" in tm["warnings"][0] and "BabyIAXO" in tm["warnings"][0]
    assert tm["scan_time_days"] is None
    assert tm["q_loaded"] == pytest.approx(tm["q0"] / 3, rel=1e-12)      # beta = 2
    assert tm["q_loaded_over_q_a"] > 0.1 and any("overestimates" in n for n in tm["notes"])
    assert all(h["warnings"] == [] for n, h in hs.items() if n != tm["name"])
    chains = hs["RADES chains filling a BabyIAXO bore"]
    assert chains["units"] == chains["packing"]["per_bore_section"] * chains["packing"]["along_length"]
    cb = hs["MADMAX CB200 in the Morpurgo dipole"]
    assert cb["b_field_T"] == 1.6 and cb["target"] == {"g_gev": pytest.approx(2e-11)}
    assert any("incoherently" in a for a in d["assumptions"])
    assert {lim["label"] for lim in d["published_limits"]} == {"CAST-RADES 2021", "MADMAX CB200"}


def test_provenance_hashes_every_input(run_dir, root):
    p = json.loads((run_dir / "provenance.json").read_text())
    files = {str(root / "models" / n): n for n in ("reach_babyiaxo.toml", "magnets.toml", "cb200_config1.toml",
                                                    "profiles/babyiaxo_3d_assumed.csv")}
    for path in files:
        assert p["inputs"][path] == file_sha256(path)


def test_refuses_non_empty_output(run_dir, root, capsys):
    status = main(["reach", str(root / "models" / "reach_babyiaxo.toml"), "--output", str(run_dir)])
    assert status == 1
    assert "not empty" in capsys.readouterr().err


def test_bad_scenario_one_line_error(test_data, tmp_path, capsys):
    status = main(["reach", str(test_data / "reach_bad_band_below_range.toml"), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert status == 1 and "\n" not in err
    assert "reach_bad_band_below_range.toml" in err and "haloscope[0].band" in err
    assert not (tmp_path / "o").exists()     # nothing written before the input is checked
