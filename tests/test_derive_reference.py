"""'emboost derive' gives the same numbers as before the job layer was restructured.

tests/data/derive_reference.json was written by tests/data/make_derive_reference.py from a run of the code
BEFORE the restructuring (bundled SYNTHETIC campaign, 40 samples, one worker); the current derive with the same
settings must reproduce every number to 1e-12 relative.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from emboost.jobs.derive import derive

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "data"))

from make_derive_reference import extract  # noqa: E402


def _compare(ref: object, new: object, where: str, bad: list[str]) -> None:
    if isinstance(ref, dict):
        assert isinstance(new, dict) and set(new) == set(ref), where
        for k in ref:
            _compare(ref[k], new[k], f"{where}.{k}", bad)
        return
    a, b = np.asarray(ref, float), np.asarray(new, float)
    assert a.shape == b.shape, where
    if not np.allclose(b, a, rtol=1e-12, atol=0.0):
        bad.append(f"{where}: max relative difference {np.max(np.abs(b - a) / np.abs(a)):.3g}")


def test_derive_reproduces_the_reference_numbers(tmp_path):
    res = derive(ROOT / "fits" / "cb200_campaign.toml", tmp_path / "out", samples=40, workers=1)
    ref = json.loads((ROOT / "tests" / "data" / "derive_reference.json").read_text())
    new = extract(res.out)
    bad: list[str] = []
    _compare(ref, new, "derive", bad)
    assert not bad, "\n".join(bad)
    # the comparison covers the whole band, the fits and the reach
    assert len(ref["boost_band"]["mean"]) == 241 and len(ref["reach"]["g_median_GeV"]) == 241
