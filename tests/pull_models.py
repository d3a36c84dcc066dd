"""SYNTHETIC data generators for the pull studies of the booster (complex S11; power and group delay),
noise-standards, line-delay and mirror-gap fits.

Every generator returns the noise-free model at stated true values (``TRUTH_*``) and draws seeded Gaussian noise
of a given relative size on top; nothing here is measured data. The models are kept small (few frequencies) so
that 100 re-simulations of each fit run in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emboost.booster.model import Booster
from emboost.booster.setup import load_booster_setup
from emboost.fit.booster import Observable, booster_parameter_specs, fit_booster, observables_from_s11
from emboost.fit.noise import STANDARDS, standards_temperatures
from emboost.noise.amplifier import NoiseSources, system_temperature

ROOT = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------------------------------ booster fit
#: the 3-disk CB200 configuration-1 model (models/cb200_config1.toml) as the base of the booster fit
BOOSTER_BASE: Booster = load_booster_setup(ROOT / "models" / "cb200_config1.toml").booster
#: 25 frequencies over several booster resonances (16-21 GHz)
BOOSTER_F = np.linspace(16e9, 21e9, 25)
BOOSTER_FREE = ("gap_1", "gap_2", "gap_3", "phase_thickness", "loss_tangent", "electrical_delay")
#: SYNTHETIC true values [SI]: gaps near the setup's, a 3 % thicker disk, tan delta 1e-3, a 5 ps line
TRUTH_BOOSTER = {"gap_1": 8.455e-3, "gap_2": 12.320e-3, "gap_3": 12.610e-3,
                 "phase_thickness": 1.03 * np.sqrt(9.4) * 1e-3, "loss_tangent": 1e-3, "electrical_delay": 5e-12}


def booster_specs(start: dict[str, float] | None = None) -> list:
    """Specs of the booster pull study: the true values except the delay, started at 0 (a start at zero)."""
    init = dict(TRUTH_BOOSTER)
    init["electrical_delay"] = 0.0
    init.update(start or {})
    return booster_parameter_specs(BOOSTER_BASE, list(BOOSTER_FREE), initial=init)


def booster_s11(values: np.ndarray | None = None, f: np.ndarray = BOOSTER_F) -> np.ndarray:
    """Model S11 (with the electrical delay) at the free-parameter vector ``values`` (default: the truth)."""
    x = np.array([TRUTH_BOOSTER[n] for n in BOOSTER_FREE]) if values is None else np.asarray(values, float)
    probe = fit_booster(f, observables_from_s11(f, BOOSTER_BASE.reflectivity(f)), BOOSTER_BASE, booster_specs(),
                        [Observable("s11", 1.0)], max_nfev=1)
    return probe.s11(f, x)


def booster_data(seed: int, relative_noise: float) -> tuple[np.ndarray, float]:
    """SYNTHETIC complex S11: the truth plus seeded noise of ``relative_noise`` x max|S11| on Re and Im; and sigma."""
    s0 = BOOSTER_S11
    sigma = relative_noise * float(np.abs(s0).max())
    rng = np.random.default_rng(seed)
    return s0 + sigma * (rng.standard_normal(s0.size) + 1j * rng.standard_normal(s0.size)), sigma


BOOSTER_S11 = booster_s11()

# ------------------------------------------------------------------- booster fit of power and group delay
#: the booster fit of reflected power and group delay: the same booster and truth on 101 frequencies (16-21 GHz, so
#: that the power dips and group-delay peaks of the booster resonances are resolved)
OBSERVABLE_F = np.linspace(16e9, 21e9, 101)
#: free parameters per observable set: the power does not see the delay (a phase), the group delay does
OBSERVABLE_FREE = {"power": ("gap_1", "gap_2", "gap_3", "phase_thickness", "loss_tangent"),
                   "group_delay": BOOSTER_FREE, "power+group_delay": BOOSTER_FREE}


def observable_specs(which: str) -> list:
    """Specs of the power / group-delay pull studies: every free parameter started at its true value."""
    return booster_parameter_specs(BOOSTER_BASE, list(OBSERVABLE_FREE[which]), initial=dict(TRUTH_BOOSTER))


def observable_data(seed: int, relative_noise: float) -> tuple[dict[str, np.ndarray], float, float]:
    """SYNTHETIC power and group delay made the way measured ones are: complex S11 at the truth plus seeded noise of
    ``relative_noise`` x max|S11| on Re and Im, then :func:`observables_from_s11` (20 log10|S11| and the finite
    difference of the unwrapped phase). Returns the data and the sigmas the fit is given: the power's
    ``(20 / ln 10) sigma_s / |S11|`` and the group delay's noise at an interior point, ``sigma_s / |S11| /
    (2 pi sqrt(2) df)``, with the mean |S11| of the truth (0.80-1.0 here)."""
    s0 = OBSERVABLE_S11
    sigma = relative_noise * float(np.abs(s0).max())
    rng = np.random.default_rng(seed)
    s = s0 + sigma * (rng.standard_normal(s0.size) + 1j * rng.standard_normal(s0.size))
    mag = float(np.abs(s0).mean())
    df = float(OBSERVABLE_F[1] - OBSERVABLE_F[0])
    sigma_gd = sigma / mag / (2 * np.pi * np.sqrt(2) * df)
    return observables_from_s11(OBSERVABLE_F, s), 20 / np.log(10) * sigma / mag, sigma_gd


OBSERVABLE_S11 = booster_s11(f=OBSERVABLE_F)

# -------------------------------------------------------------------------------------- noise standards
#: 41 frequencies over 1 GHz near 19 GHz; the LNA reflection and physical temperature of the standards
NOISE_F = np.linspace(18.5e9, 19.5e9, 41)
GAMMA_LNA = 0.12 * np.exp(0.4j) * np.ones(NOISE_F.size)
T_PHYS = 295.0
#: SYNTHETIC true LNA noise sources (sqrt S_v [V/sqrt(Hz)], sqrt S_i [A/sqrt(Hz)], |rho|, arg rho [rad]) and
#: the one-way delays [s] of the lines to the open and the short
TRUTH_SOURCES = NoiseSources(371e-12, 7.4e-12, 0.35, 0.8)
TRUTH_STANDARDS = {"sqrt_sv": 371e-12, "sqrt_si": 7.4e-12, "rho_mag": 0.35, "rho_phase": 0.8,
                   "tau_open": 1.204e-9, "tau_short": 1.199e-9}
TAU_BOUNDS = (1.0e-9, 1.4e-9)


def standards_data(seed: int, relative_noise: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """SYNTHETIC T_sys [K] of the short, open and load with seeded noise of ``relative_noise`` x T_sys; and sigma."""
    t = standards_temperatures(NOISE_F, TRUTH_SOURCES, GAMMA_LNA, T_PHYS, TRUTH_STANDARDS["tau_open"],
                               TRUTH_STANDARDS["tau_short"])
    rng = np.random.default_rng(seed)
    sigma = {k: relative_noise * np.asarray(t[k]) for k in STANDARDS}
    data = {k: np.asarray(t[k]) + sigma[k] * rng.standard_normal(NOISE_F.size) for k in STANDARDS}
    return data, sigma


# ------------------------------------------------------------------------------------------ line delay
#: a broadband spectrum: 121 frequencies over 2 GHz, a booster reflection with its own ripple
DELAY_F = np.linspace(18e9, 20e9, 121)
GAMMA_BOOSTER = 0.9 * np.exp(-4j * np.pi * DELAY_F * 0.3e-9)
#: SYNTHETIC true one-way delay [s] of the booster-LNA line, and the search range
TRUTH_TAU = 2.345e-9
DELAY_BOUNDS = (1.0e-9, 4.0e-9)


def delay_data(seed: int, relative_noise: float) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC broadband T_sys [K] with seeded noise of ``relative_noise`` x T_sys; and sigma."""
    t = np.asarray(system_temperature(DELAY_F, GAMMA_BOOSTER, T_PHYS, TRUTH_SOURCES, GAMMA_LNA[0], delay=TRUTH_TAU))
    sigma = relative_noise * t
    return t + sigma * np.random.default_rng(seed).standard_normal(t.size), sigma


# ------------------------------------------------------------------------------------------ mirror gap
@dataclass(frozen=True)
class GapCase:
    """The mirror-gap refit's setting: the booster (its mirror gap is refitted), line delay [s], frequencies."""

    booster: Booster
    delay: float
    f: np.ndarray


#: 31 frequencies over 150 MHz around the booster mode of the CB200 model (18.46 GHz), line delay 2.345 ns
GAP_CASE = GapCase(BOOSTER_BASE, 2.345e-9, np.linspace(18.38e9, 18.53e9, 31))
#: SYNTHETIC true mirror gap [m] (30 um from the setup's) and the search range
TRUTH_GAP = 8.50e-3
GAP_BOUNDS = (8.35e-3, 8.65e-3)


def gap_data(seed: int, relative_noise: float) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC narrowband T_sys [K] at the true mirror gap with seeded noise of ``relative_noise`` x T_sys."""
    c = GAP_CASE
    gb = c.booster.with_mirror_gap(TRUTH_GAP).response(c.f).s11
    t = np.asarray(system_temperature(c.f, gb, T_PHYS, TRUTH_SOURCES, GAMMA_LNA[0], delay=c.delay))
    sigma = relative_noise * t
    return t + sigma * np.random.default_rng(seed).standard_normal(t.size), sigma
