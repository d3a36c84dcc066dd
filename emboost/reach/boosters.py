"""A dielectric booster placed in a host magnet, as a detector of the reach layer (kind ``"booster"``).

:class:`BoosterInMagnet` — a booster from a setup file (:mod:`emboost.booster.setup`) with the magnet's
field replacing the file's. Its reach is the curve of :func:`emboost.core.radiometry.booster_coupling_reach`
over the setup file's band; it scans by the full width at half maximum of its boost factor per step, each
step lasting until the target coupling is reached at half the peak boost factor
(:func:`emboost.core.radiometry.booster_scan_rate`; the response shape is assumed to move rigidly with
the disk spacing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from emboost.booster.setup import BoosterSetup
from emboost.core.constants import GeV
from emboost.core.errors import PhysicsError
from emboost.core.radiometry import booster_coupling_reach, booster_scan_rate, coupling_function, scan_time
from emboost.core.search import DetectorReach, Run

__all__ = ["BoosterInMagnet"]


# ------------------------------------------------------------------------------------------ booster
@dataclass(frozen=True)
class BoosterInMagnet:
    """A booster setup placed in a magnet of field ``b_field`` [T] (replacing the file's field)."""

    kind: ClassVar[str] = "booster"

    setup: BoosterSetup
    b_field: float

    def boost_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """``(f, beta^2(f))`` on the setup file's band."""
        f = self.setup.frequencies
        return f, np.asarray(self.setup.booster.boost_factor(f))

    def half_power_width(self) -> tuple[float, float, float]:
        """``(peak boost factor, peak frequency, FWHM [Hz])`` of the boost factor on the file's band."""
        f, b2 = self.boost_curve()
        i = int(np.argmax(b2))
        half = b2[i] / 2
        lo, hi = i, i
        while lo > 0 and b2[lo - 1] >= half:
            lo -= 1
        while hi < b2.size - 1 and b2[hi + 1] >= half:
            hi += 1
        if lo == 0 or hi == b2.size - 1:
            raise PhysicsError(f"the boost factor of {self.setup.name!r} does not fall to half its peak inside the "
                               "file's band: widen [band] in the setup file")

        def cross(j0: int, j1: int) -> float:  # linear interpolation of the half-power crossing between j0 and j1
            return f[j0] + (half - b2[j0]) * (f[j1] - f[j0]) / (b2[j1] - b2[j0])

        return float(b2[i]), float(f[i]), float(cross(hi, hi + 1) - cross(lo - 1, lo))

    # ---------------------------------------------------------------- the Detector protocol of emboost.reach
    def check_band(self, f: np.ndarray) -> None:
        """Nothing to check beyond the TE11 cutoff, which the scenario loader checks when it places the booster."""

    def response(self, f: np.ndarray, run: Run) -> DetectorReach:
        """Reach curve on the setup file's band (its frequencies are the reach grid), scan rate at the target
        on the file's band and on the scanned band ``f`` [Hz], scan time of ``f``; peak boost factor,
        its frequency, the FWHM, the area and the rate on ``f`` as details. ``run.units`` is not used
        (one booster)."""
        peak, f_peak, width = self.half_power_width()
        area = self.setup.area
        fb, b2 = self.boost_curve()
        g_target = coupling_function(run.target)(f)  # 1/J
        g_curve = booster_coupling_reach(b2, run.t_sys, area, run.b_field, fb, run.time_per_step, snr=run.snr,
                                         rho=run.rho)
        rate = booster_scan_rate(g_target, peak, width, run.t_sys, area, run.b_field, f, snr=run.snr, rho=run.rho)
        gt_b = coupling_function(run.target)(fb)
        rate_b = booster_scan_rate(gt_b, peak, width, run.t_sys, area, run.b_field, fb, snr=run.snr, rho=run.rho)
        nb = np.full(fb.shape, np.nan)
        extra = {"peak_boost_factor": peak, "peak_frequency_hz": f_peak, "fwhm_hz": width, "area_m2": area,
                 "band_frequency_hz": f, "band_rate_hz_per_s": rate}
        return DetectorReach(fb, g_curve, gt_b * GeV, rate_b, nb, nb, nb, nb, b2, scan_time(f, rate), extra)
