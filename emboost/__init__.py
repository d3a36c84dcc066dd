"""emboost: transmission-line and noise-network models of axion haloscopes.

``import emboost as eb`` gives the main nouns and verbs; everything else lives in the sub-packages, one per layer
or detector family (see ``docs/architecture.md``):

* detectors: :class:`Booster` (dielectric boosters), :class:`CavityChain` and :class:`Iris` (RADES chains),
  :class:`CoaxPickup` (DMRadio), with :func:`load_booster_setup` for setup files;
* data: :func:`read_touchstone`, :func:`read_s_parameter`;
* receiver: :class:`NoiseSources`, :func:`system_temperature`, :func:`calibrate_receiver`;
* fits (arrays in, frozen results out): :func:`fit_booster`, :func:`fit_resonance`, :func:`fit_standards`,
  :func:`fit_line_delay`, :func:`refit_mirror_gap`;
* uncertainty and reach: :class:`MonteCarloModel`, :func:`run_montecarlo`, :func:`booster_coupling_reach`,
  :func:`cavity_coupling_reach`, :func:`qcd_lines`, :func:`load_magnets`;
* errors: :class:`EmboostError` and its subclasses.

Names are imported on first use, so ``import emboost`` stays cheap.

>>> import emboost as eb
>>> b = eb.Booster.from_disks(gaps=[8.2023e-3], thickness=[1e-3], permittivity=[9.4])
>>> round(float(b.boost_factor([19e9])[0]), 3)
30.048
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from emboost import _compat
from emboost.core.version import __version__

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Booster": "emboost.booster.model",
    "BoosterResponse": "emboost.booster.model",
    "BoosterSetup": "emboost.booster.setup",
    "load_booster_setup": "emboost.booster.setup",
    "CavityChain": "emboost.cavity.chain",
    "ChainModes": "emboost.cavity.chain",
    "Iris": "emboost.cavity.iris",
    "CoaxPickup": "emboost.pickup.coax",
    "CopperModel": "emboost.pickup.coax",
    "Tuning": "emboost.pickup.coax",
    "tune": "emboost.pickup.coax",
    "read_touchstone": "emboost.rf.touchstone",
    "read_s_parameter": "emboost.rf.touchstone",
    "NoiseSources": "emboost.noise.amplifier",
    "system_temperature": "emboost.noise.amplifier",
    "calibrate_receiver": "emboost.noise.calibration",
    "fit_booster": "emboost.fit.booster",
    "BoosterFitResult": "emboost.fit.booster",
    "fit_resonance": "emboost.fit.resonance",
    "ResonanceFit": "emboost.fit.resonance",
    "fit_standards": "emboost.fit.noise",
    "fit_line_delay": "emboost.fit.noise",
    "refit_mirror_gap": "emboost.fit.noise",
    "FitResult": "emboost.fit.core",
    "MonteCarloModel": "emboost.mc.engine",
    "run_montecarlo": "emboost.mc.engine",
    "booster_coupling_reach": "emboost.reach.sensitivity",
    "cavity_coupling_reach": "emboost.reach.sensitivity",
    "qcd_lines": "emboost.reach.sensitivity",
    "load_magnets": "emboost.reach.magnets",
    "EmboostError": "emboost.core.errors",
    "InputError": "emboost.core.errors",
    "PhysicsError": "emboost.core.errors",
    "FitError": "emboost.core.errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from emboost.booster.model import Booster, BoosterResponse
    from emboost.booster.setup import BoosterSetup, load_booster_setup
    from emboost.cavity.chain import CavityChain, ChainModes
    from emboost.cavity.iris import Iris
    from emboost.core.errors import EmboostError, FitError, InputError, PhysicsError
    from emboost.fit.booster import BoosterFitResult, fit_booster
    from emboost.fit.core import FitResult
    from emboost.fit.noise import fit_line_delay, fit_standards, refit_mirror_gap
    from emboost.fit.resonance import ResonanceFit, fit_resonance
    from emboost.mc.engine import MonteCarloModel, run_montecarlo
    from emboost.noise.amplifier import NoiseSources, system_temperature
    from emboost.noise.calibration import calibrate_receiver
    from emboost.pickup.coax import CoaxPickup, CopperModel, Tuning, tune
    from emboost.reach.magnets import load_magnets
    from emboost.reach.sensitivity import booster_coupling_reach, cavity_coupling_reach, qcd_lines
    from emboost.rf.touchstone import read_s_parameter, read_touchstone


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'emboost' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


_compat.install()
