"""Sensitivity and reach: coupling reach, scan time, host magnets, haloscopes placed in them.

Detectors plug in through :mod:`emboost.reach.detector` (the ``Detector`` protocol and the registry of
families, ``register_detector``); the built-in families are registered by :mod:`emboost.reach.families`.
"""

from emboost.reach.projections import *  # noqa: F403  (the former module ``emboost.reach``)
