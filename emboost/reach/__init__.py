"""Sensitivity and reach: coupling reach, scan time, host magnets, haloscopes placed in them."""

from emboost.reach.projections import *  # noqa: F403  (the former module ``emboost.reach``)
