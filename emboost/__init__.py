"""emboost: transmission-line and noise-network models of axion haloscopes.

Dielectric boosters (:mod:`emboost.booster.model`), iris-coupled RADES cavities, the DMRadio coaxial
pickup, receiver noise, fits, Monte-Carlo and sensitivity. Conventions: :mod:`emboost.core.conventions`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from emboost import _compat

_compat.install()
