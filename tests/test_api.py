"""The public API: ``import emboost as eb`` gives the main nouns and verbs; old module paths still import."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import emboost as eb
from emboost import _compat
from emboost.core.reprs import short_repr


def test_every_public_name_resolves_to_its_module():
    assert len(eb.__all__) == len(set(eb.__all__))
    for name in eb.__all__:
        value = getattr(eb, name)
        if name != "__version__":
            assert value.__name__ == name
    assert set(eb.__all__) <= set(dir(eb))


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        eb.nope  # noqa: B018


def test_import_emboost_is_cheap():
    """``import emboost`` loads only its version and the import aliases: no scipy, no matplotlib; names load on
    first use."""
    code = ("import sys, emboost; mods = [m for m in sys.modules if m.startswith(('emboost.', 'scipy', 'matplotlib'))];"
            "print(sorted(mods))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['emboost._compat', 'emboost.core', 'emboost.core.version']"


@pytest.mark.parametrize("old,new", sorted(_compat.MOVED.items()))
def test_old_module_paths_import_with_a_deprecation_warning(old, new):
    sys.modules.pop(f"emboost.{old}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"emboost.{old}")
    assert module is importlib.import_module(f"emboost.{new}")
    assert any(issubclass(w.category, DeprecationWarning) and f"emboost.{new}" in str(w.message) for w in caught)


def test_former_modules_now_packages_keep_their_names():
    from emboost.booster import Booster
    from emboost.cavity import CavityChain
    from emboost.noise import cascade
    from emboost.pickup import CoaxPickup

    assert Booster is eb.Booster and CavityChain is eb.CavityChain and CoaxPickup is eb.CoaxPickup
    assert callable(cascade)


def test_booster_response_repr_is_a_summary():
    b = eb.Booster.from_disks(gaps=[8e-3, 8e-3, 8e-3], thickness=[1e-3] * 3, permittivity=[9.4] * 3)
    r = b.response(np.linspace(18e9, 20e9, 20001))
    text = repr(r)
    assert len(text) < 1500
    assert "array(20001,)" in text


def test_short_repr_of_nested_results():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Inner:
        x: np.ndarray
        __repr__ = short_repr

    @dataclass(frozen=True)
    class Outer:
        inner: Inner
        names: tuple[str, ...]
        __repr__ = short_repr

    text = repr(Outer(Inner(np.arange(10.0)), tuple("abcdefgh")))
    assert text == "Outer(inner=Inner(x=array(10,) 0..9), names=tuple(len=8))"
