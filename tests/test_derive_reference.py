"""'emboost derive' gives the same numbers as the stored references (bundled SYNTHETIC campaign, 40 samples,
one worker), both written by tests/data/make_derive_reference.py:

* ``derive_reference_0.1.json``: the code BEFORE the job layer was restructured (commit f0718ca). The restructured
  job layer reproduced it bit for bit (the comparison ran at 1e-12 when the restructuring landed). Since then the
  booster solvers carry the mirror side as a reflection coefficient (no overflow at any loss); that changes the
  model's rounding, so the fits end elsewhere within their tolerance: the largest change is 6.6e-7 relative (the
  fitted loss tangent, whose relative error is about 1e-2), the band and the reach move by about 1e-8. Since then
  the booster and standards fits scale their parameters by natural size (other finite-difference steps, so other
  Jacobians): the covariances move by up to 1.4e-6 relative and the band's widths, drawn from them, by up to
  7.4e-6 (linear_std); the line-delay and gap fits polish their minimum. Compared at 2e-5 relative, the reason being
  the fit tolerance and the finite-difference Jacobian, not the data. The one-column booster engine (compiled,
  section exponentials stepped along the frequency axis) changed the rounding again, well within that. The
  complex-S11 booster fit then took the exact Jacobian by default (jacobian = "auto"): its chi^2 fell by 2.8e-9,
  the numbers moved by up to 1.0e-6 relative (boost-band std; fitted loss tangent 8.6e-7), 7.3e-6 against this file.
* ``derive_reference.json``: the current code; every number to 1e-12 relative, so any change of the numbers is seen,
  except the standard deviations (keys with ``sigma``) at 1e-9: they come from inverting J^T J, whose condition
  number amplifies the last-bit differences between library versions (lmfit, LAPACK builds) to a few 1e-12
  (7.4e-12 seen on the calibration constant's sigma).
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


def _compare(ref: object, new: object, where: str, bad: list[str], rtol: float = 1e-12) -> None:
    if isinstance(ref, dict):
        assert isinstance(new, dict) and set(new) == set(ref), where
        for k in ref:
            _compare(ref[k], new[k], f"{where}.{k}", bad, rtol)
        return
    a, b = np.asarray(ref, float), np.asarray(new, float)
    assert a.shape == b.shape, where
    if "sigma" in where.rsplit(".", 1)[-1] and rtol < 1e-9:
        rtol = 1e-9
    if not np.allclose(b, a, rtol=rtol, atol=0.0):
        bad.append(f"{where}: max relative difference {np.max(np.abs(b - a) / np.abs(a)):.3g}")


def test_derive_reproduces_the_reference_numbers(tmp_path):
    res = derive(ROOT / "fits" / "cb200_campaign.toml", tmp_path / "out", samples=40, workers=1)
    new = extract(res.out)
    for name, rtol in (("derive_reference.json", 1e-12), ("derive_reference_0.1.json", 2e-5)):
        ref = json.loads((ROOT / "tests" / "data" / name).read_text())
        bad: list[str] = []
        _compare(ref, new, name, bad, rtol)
        assert not bad, "\n".join(bad)
    # the comparison covers the whole band, the fits and the reach
    assert len(ref["boost_band"]["mean"]) == 241 and len(ref["reach"]["g_median_GeV"]) == 241
