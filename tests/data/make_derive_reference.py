"""Extract the key numbers of an ``emboost derive`` output directory into tests/data/derive_reference.json.

derive_reference_0.1.json was made from the code BEFORE the job layer was restructured (commit f0718ca);
derive_reference.json from the current code (after the natural parameter scaling of the booster and standards
fits and the one-column booster engine), the same way:

    PYTHONPATH=. python3 -m emboost derive fits/cb200_campaign.toml --samples 40 --workers 1 --output /tmp/jobs-base
    python3 tests/data/make_derive_reference.py /tmp/jobs-base tests/data/derive_reference.json

tests/test_derive_reference.py runs the current derive with the same settings and compares every number to
1e-12 relative. The campaign is SYNTHETIC (examples/campaign_cb200/make_campaign.py).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

BAND_COLUMNS = ("frequency_Hz", "mean", "std", "nominal", "q2_5", "q50", "q97_5", "linear_std")
REACH_COLUMNS = ("frequency_Hz", "t_sys_K", "g_nominal_GeV", "g_median_GeV", "g_q2_5_GeV", "g_q97_5_GeV")
CAL_COLUMNS = ("frequency_Hz", "gain", "c_cal_K_per_W", "c_cal_sigma_K_per_W")
TSYS_COLUMNS = ("frequency_Hz", "model_K", "sigma_K")


def _columns(path: Path, names: tuple[str, ...], step: int = 1) -> dict[str, list[float]]:
    with path.open() as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    return {n: [float(r[n]) for r in rows[::step]] for n in names}


def extract(outdir: Path) -> dict[str, object]:
    """The reference numbers of one derive output directory (every value a float or list of floats)."""
    res = json.loads((outdir / "results.json").read_text())
    st = res["stages"]
    return {
        "booster_parameters": {k: v["value"] for k, v in st["booster_fit"]["result"]["parameters"].items()},
        "booster_chi2": st["booster_fit"]["result"]["chi2"],
        "noise_sources": st["noise_fit"]["result"]["sources"],
        "noise_stderr": st["noise_fit"]["result"]["stderr"],
        "tau_open": st["noise_fit"]["result"]["tau_open"],
        "tau_short": st["noise_fit"]["result"]["tau_short"],
        "line_delay_s": st["line_delay"]["result"]["tau"],
        "line_delay_sigma_s": st["line_delay"]["result"]["sigma_tau"],
        "mirror_gap_m": st["mirror_gap"]["result"]["gap"],
        "mirror_gap_sigma_m": st["mirror_gap"]["result"]["sigma_gap"],
        "calibration": _columns(outdir / "calibration.csv", CAL_COLUMNS, step=50),
        "tsys_broadband": _columns(outdir / "tsys_broadband.csv", TSYS_COLUMNS, step=25),
        "boost_band": _columns(outdir / "boost_band.csv", BAND_COLUMNS),
        "reach": _columns(outdir / "reach.csv", REACH_COLUMNS),
        "peak": {k: v for k, v in res["summary"]["boost_factor"].items() if isinstance(v, float)},
        "reach_best": {k: v for k, v in res["summary"]["reach_best"].items() if isinstance(v, float)},
    }


if __name__ == "__main__":
    out = extract(Path(sys.argv[1]))
    Path(sys.argv[2]).write_text(json.dumps(out, indent=1) + "\n")
