"""Closed cavities: iris-coupled RADES chains, irises, flat-field design."""

from emboost.cavity.chain import *  # noqa: F403  (the former module ``emboost.cavity``)
