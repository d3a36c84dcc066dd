"""Touchstone outputs: ``emboost fit`` (booster: data.s1p, model.s1p, s11_smith.png; resonance: model.s1p),
``emboost cavity`` (sparams.s2p from cavity_network) and ``emboost derive`` (booster_data.s1p, booster_model.s1p,
booster_s11_smith.png) write their S-parameters through emboost.rf.skrf_bridge.write_touchstone; the files read
back (emboost's reader and scikit-rf) to the numbers of the job's CSV, bit for bit."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import skrf

from emboost.cli import main
from emboost.jobs.files import read_table
from emboost.rf.touchstone import read_touchstone

ROOT = Path(__file__).resolve().parents[1]


def _csv_s11(path: Path, which: str) -> tuple[np.ndarray, np.ndarray]:
    c = read_table(path).columns
    return c["frequency_Hz"], c[f"{which}_re"] + 1j * c[f"{which}_im"]


def _is_png(p: Path) -> bool:
    return p.is_file() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000


def test_booster_fit_writes_data_and_model_touchstone_and_smith_chart(tmp_path):
    out = tmp_path / "fit"
    assert main(["fit", str(ROOT / "fits" / "cb200_reflectivity.toml"), "--output", str(out), "--quiet"]) in (0, 3)
    for which, name in (("data", "data.s1p"), ("model", "model.s1p")):
        f, s = _csv_s11(out / "data_model.csv", which)
        t = read_touchstone(out / name)
        np.testing.assert_array_equal(t.frequency, f)
        np.testing.assert_array_equal(t.parameter("S11"), s)
        ntw = skrf.Network(str(out / name))
        np.testing.assert_array_equal(ntw.f, f)
        np.testing.assert_allclose(ntw.s[:, 0, 0], s, rtol=0, atol=1e-15)
    assert _is_png(out / "s11_smith.png")


def test_resonance_fit_model_touchstone_is_exact(tmp_path):
    out = tmp_path / "res"
    assert main(["fit", str(ROOT / "fits" / "npl_cavity_resonance.toml"), "--output", str(out), "--quiet"]) in (0, 3)
    f, m = _csv_s11(out / "data_model.csv", "model")
    t = read_touchstone(out / "model.s1p")
    np.testing.assert_array_equal(t.frequency, f)
    np.testing.assert_array_equal(t.parameter("S11"), m)
    assert "resonance model" in (out / "model.s1p").read_text().splitlines()[0]


def test_cavity_writes_its_s_parameters(tmp_path, test_data):
    from emboost.cavity.design import load_model
    from emboost.rf.skrf_bridge import cavity_network

    out = tmp_path / "cav"
    model_file = test_data / "cavity_small.toml"
    assert main(["cavity", str(model_file), "--output", str(out), "--quiet", "--no-plots"]) == 0
    model = load_model(model_file)
    f = np.linspace(*model.band, model.points)
    want = cavity_network(model.chain, f)
    got = read_touchstone(out / "sparams.s2p")
    np.testing.assert_array_equal(got.frequency, f)
    assert got.s.shape == (f.size, 2, 2)
    np.testing.assert_allclose(got.s, want.s, rtol=0, atol=1e-14)
    # reciprocal and passive (walls lossy)
    np.testing.assert_allclose(got.s[:, 0, 1], got.s[:, 1, 0], atol=1e-12)
    assert np.all(np.linalg.svd(got.s, compute_uv=False) <= 1 + 1e-9)


def test_derive_writes_booster_touchstone_and_smith_chart(tmp_path):
    from emboost.jobs.derive import derive

    res = derive(ROOT / "fits" / "cb200_campaign.toml", tmp_path / "d", samples=4, workers=1, quiet=True,
                 stream=io.StringIO())
    out = res.out
    for which in ("data", "model"):
        f, s = _csv_s11(out / "booster_fit.csv", which)
        t = read_touchstone(out / f"booster_{which}.s1p")
        np.testing.assert_array_equal(t.frequency, f)
        np.testing.assert_array_equal(t.parameter("S11"), s)
    assert _is_png(out / "booster_s11_smith.png")
    # the measured S11 is the campaign's reflectivity file, unchanged
    from emboost.jobs.campaign import load_campaign

    r = load_campaign(ROOT / "fits" / "cb200_campaign.toml")
    raw = read_touchstone(r.booster.reflectivity)
    d = read_touchstone(out / "booster_data.s1p")
    lo, hi = d.frequency[0], d.frequency[-1]
    sel = (raw.frequency >= lo) & (raw.frequency <= hi)
    assert sel.sum() == d.frequency.size
    np.testing.assert_allclose(d.parameter("S11"), raw.parameter("S11")[sel], rtol=1e-12, atol=0)


@pytest.mark.parametrize("bad", ["x.s2p", "x.txt"])
def test_write_touchstone_refuses_a_wrong_extension(tmp_path, bad):
    from emboost.core.errors import InputError
    from emboost.rf.skrf_bridge import reflection_network, write_touchstone

    with pytest.raises(InputError, match="extension"):
        write_touchstone(reflection_network([1e9, 2e9], [0.1, 0.2j]), tmp_path / bad)
