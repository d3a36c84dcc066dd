"""Dielectric boosters (MADMAX): the frozen ``Booster`` description, its solvers and setup files."""

from emboost.booster.model import *  # noqa: F403  (the former module ``emboost.booster``)
