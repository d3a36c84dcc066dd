"""Noise engine: noise correlation matrices, amplifier noise sources, Y-factor calibration, spectrum readers."""

from emboost.noise.network import *  # noqa: F403  (the former module ``emboost.noise``)
