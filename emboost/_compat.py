"""Old flat module paths (emboost 0.1), kept importable for one release with a ``DeprecationWarning``.

``import emboost.fitting`` (and ``from emboost.fitting import ...``) returns the module now at
:mod:`emboost.fit.core`, and so on for every name in :data:`MOVED`. The former modules ``emboost.booster``,
``emboost.cavity``, ``emboost.pickup``, ``emboost.noise``, ``emboost.reach`` and ``emboost.report`` are now
packages that re-export what those modules held, so they need no alias.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: old module name -> new module name (both relative to ``emboost``)
MOVED: dict[str, str] = {
    "errors": "core.errors", "constants": "core.constants", "conventions": "core.conventions",
    "units": "core.units", "axion": "core.axion", "setupfile": "core.setupfile", "output": "core.output",
    "network": "rf.network", "media": "rf.media", "materials": "rf.materials", "touchstone": "rf.touchstone",
    "rlc": "rf.rlc", "fem_exports": "rf.fem_exports",
    "amplifier": "noise.amplifier", "calibration": "noise.calibration", "spectra": "noise.spectra",
    "booster_setup": "booster.setup", "iris": "cavity.iris", "cavity_design": "cavity.design",
    "pickup_model": "pickup.setup", "scanrate": "pickup.scanrate",
    "fitting": "fit.core", "booster_fit": "fit.booster", "resonance": "fit.resonance", "noise_fit": "fit.noise",
    "haloscope": "fit.rades", "montecarlo": "mc.engine",
    "sensitivity": "reach.sensitivity", "magnets": "reach.magnets",
    "recipes": "jobs.recipes", "derive": "jobs.derive", "mc_recipe": "jobs.mc", "validation": "jobs.validate",
    "plots": "report.plots",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} moved to {self.target}; the old path goes away in emboost 0.3",
                      DeprecationWarning, stacklevel=3)
        module = importlib.import_module(self.target)
        sys.modules[spec.name] = module
        return module

    def exec_module(self, module: ModuleType) -> None:  # the target module is already executed
        return None


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        prefix, _, rest = fullname.partition(".")
        if prefix != "emboost" or rest not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(f"emboost.{MOVED[rest]}"))


def install() -> None:
    """Register the alias finder once (called by ``emboost/__init__``)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
