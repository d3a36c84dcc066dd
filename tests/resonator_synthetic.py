"""SYNTHETIC resonator data for the tests: the model of :mod:`emboost.fit.resonators` at known true values plus
seeded complex Gaussian noise. Nothing here is a measurement.

Each case names the measurement type, the model options it needs, the true parameter values (SI) and the noise
of each real and imaginary part. The values are chosen unlike the fit's defaults: over-coupled reflection with
a sloping background and a delay, transmission behind a leakage that varies across the band, narrow and wide
notches with an impedance-mismatch rotation, absorption with a sloping leakage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emboost.fit.resonators import Config, response


@dataclass(frozen=True)
class Case:
    """One synthetic resonator: type, model options, truth (SI), grid (``half_width`` linewidths each side, ``n``
    points) and noise ``sigma``; ``fit`` the options given to ``fit_resonance`` besides the type."""

    name: str
    kind: str
    truth: dict[str, float]
    sigma: float
    half_width: float = 5.0
    n: int = 161
    background: str = "constant"
    leakage: str = "auto"
    fit: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return Config(self.kind, self.background, self.leakage)

    @property
    def frequency(self) -> np.ndarray:
        f0, q = self.truth["f0"], self.truth["loaded_q"]
        return np.linspace(f0 * (1 - self.half_width / q), f0 * (1 + self.half_width / q), self.n)

    def clean(self) -> np.ndarray:
        f = self.frequency
        return response(f, self.config.vector(**self.truth), self.config, float(0.5 * (f[0] + f[-1])))

    def noisy(self, seed: int) -> np.ndarray:
        """SYNTHETIC: the model at the truth plus seeded complex noise of ``sigma`` per component."""
        rng = np.random.default_rng(seed)
        return self.clean() + self.sigma * (rng.standard_normal(self.n) + 1j * rng.standard_normal(self.n))


def _b(mag: float, ph: float) -> tuple[float, float]:
    z = mag * np.exp(1j * ph)
    return float(z.real), float(z.imag)


_re, _im = _b(0.7, -1.1)
_nre, _nim = _b(0.25, 2.2)
CASES = (
    Case("reflection, over-coupled, sloping background, delay", "reflection",
         {"f0": 7.2e9, "loaded_q": 2500.0, "diameter": 2 * 2.5 / 3.5, "rotation": -0.2, "background_re": _re,
          "background_im": _im, "delay": 1.5e-9, "magnitude_slope": 25.0}, sigma=3e-3, background="slope",
         fit={"background": "slope"}),
    Case("transmission behind a sloping leakage", "transmission",
         {"f0": 3.1e9, "loaded_q": 8000.0, "diameter": 0.05, "rotation": 0.7, "background_re": 0.004,
          "background_im": 0.002, "leakage_slope_re": 12.0, "leakage_slope_im": -8.0},
         sigma=4e-4, leakage="linear", fit={"leakage": "linear"}),
    Case("narrow high-Q notch with mismatch rotation", "notch",
         {"f0": 6.05e9, "loaded_q": 3e4, "diameter": 0.6, "rotation": 0.35, "background_re": _nre,
          "background_im": _nim}, sigma=2e-3, half_width=4.0),
    Case("wide notch with delay and sloping background, noise unknown", "notch",
         {"f0": 5.3e9, "loaded_q": 1e4, "diameter": 0.3, "rotation": -0.5, "background_re": 0.6,
          "background_im": 0.3, "delay": 20e-9, "magnitude_slope": -40.0}, sigma=2e-3, half_width=12.0, n=241,
         background="slope", fit={"background": "slope", "known_noise": False}),
    Case("absorption with a sloping leakage", "absorption",
         {"f0": 9.4e9, "loaded_q": 5000.0, "diameter": 0.45, "rotation": 0.1, "background_re": 0.5,
          "background_im": -0.5, "leakage_slope_re": -30.0, "leakage_slope_im": 20.0}, sigma=3e-3, half_width=4.0,
         leakage="linear", fit={"leakage": "linear"}),
)


def fit_options(case: Case) -> dict[str, Any]:
    """Keyword options of ``fit_resonance`` for a case (noise given unless the case says otherwise)."""
    opts = dict(case.fit)
    known = opts.pop("known_noise", True)
    if known:
        opts["sigma"] = case.sigma
    return opts


def true_derived(case: Case) -> dict[str, float]:
    """The true Q0 and coupling of a case (closed forms of the module docstring of emboost.fit.resonance)."""
    t = case.truth
    q, d, phi = t["loaded_q"], t["diameter"], t["rotation"]
    if case.kind == "reflection":
        beta = d / (2 - d)
        return {"unloaded_q": q * (1 + beta), "coupling": beta}
    if case.kind == "transmission":
        return {"unloaded_q": q / (1 - d), "coupling": d / (2 * (1 - d))}
    if case.kind == "notch":
        q0 = q / (1 - d * np.cos(phi))
        return {"unloaded_q": q0, "coupling": q0 * d * np.cos(phi) / q}
    return {"unloaded_q": q / (1 - d), "coupling": d / (1 - d)}
