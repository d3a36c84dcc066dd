"""emboost: transmission-line and noise-network models of axion haloscopes.

Dielectric boosters (:mod:`emboost.booster`), iris-coupled RADES cavities, the DMRadio coaxial
pickup, receiver noise, fits, Monte-Carlo and sensitivity. Conventions: :mod:`emboost.conventions`.
"""

from __future__ import annotations

__version__ = "0.1.0"
