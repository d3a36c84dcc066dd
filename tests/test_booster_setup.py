"""Booster setup files: the bundled models load; every malformed file gets a named, readable error."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.booster.setup import load_booster_setup
from emboost.core.errors import SetupFileError
from emboost.core.setupfile import read_toml

MODELS = ["cb200_config1", "cb200_config2", "open_booster_20disk"]


@pytest.mark.parametrize("name", MODELS)
def test_bundled_models_load_and_peak_inside_their_band(root, name):
    s = load_booster_setup(root / "models" / f"{name}.toml")
    r = s.booster.response(s.frequencies)
    i = int(np.argmax(r.boost_factor))
    assert 0 < i < s.frequencies.size - 1  # the booster mode lies inside the band
    assert len(s.sha256) == 64


def test_cb200_modes_sit_where_the_published_mass_windows_are(root):
    c1 = load_booster_setup(root / "models" / "cb200_config1.toml")
    c2 = load_booster_setup(root / "models" / "cb200_config2.toml")
    f1 = c1.frequencies[np.argmax(c1.booster.boost_factor(c1.frequencies))]
    f2 = c2.frequencies[np.argmax(c2.booster.boost_factor(c2.frequencies))]
    assert f1 == pytest.approx(18.5e9, abs=5e6) and f2 == pytest.approx(19.2e9, abs=5e6)
    assert c1.booster.closed and c1.b_field == 1.6 and c1.area == pytest.approx(np.pi * 0.01)


def _walk_quantities(node, prefix=""):
    if isinstance(node, dict):
        if "unit" in node:
            yield prefix, node
        else:
            for k, v in node.items():
                yield from _walk_quantities(v, f"{prefix}.{k}" if prefix else k)


@pytest.mark.parametrize("name", MODELS)
def test_every_number_in_a_bundled_model_has_a_source(root, name):
    doc = read_toml(root / "models" / f"{name}.toml")
    quantities = list(_walk_quantities(doc))
    assert quantities
    for key, q in quantities:
        assert q.get("source", "").strip(), f"{name}: {key} has no source"


BAD = {
    "unknown_key": ("disks.colour", "unknown key"),
    "missing_unit": ("disks.thickness", "missing unit"),
    "bare_number": ("disks.thickness", "missing unit"),
    "wrong_unit": ("cylinder.radius", "is a frequency, expected a length"),
    "unknown_unit": ("cylinder.radius", "unknown unit 'furlong'"),
    "negative_thickness": ("disks.thickness", "must be >= 0"),
    "eps_below_one": ("disks.permittivity", "must be >= 1"),
    "negative_tand": ("disks.loss_tangent", "must be >= 0"),
    "below_cutoff": ("cylinder.radius", "TE11 cutoff"),
    "wrong_count": ("disks.gaps", "expected one value or 3 values"),
    "syntax_error": (None, "invalid TOML"),
    "missing_section": ("mirror", "missing required key"),
    "stop_below_start": ("band.stop", "must be above band.start"),
    "port_kind": ("port.kind", "needs kind = 'te11_taper'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_setup_file(test_data, case):
    path = test_data / f"setup_bad_{case}.toml"
    key, fragment = BAD[case]
    with pytest.raises(SetupFileError) as exc:
        load_booster_setup(path)
    msg = str(exc.value)
    assert str(path) in msg and fragment in msg
    assert exc.value.key == key
    if case == "syntax_error":
        assert exc.value.line == 13  # "points = = 801"


def test_missing_file_is_named(tmp_path):
    with pytest.raises(SetupFileError, match="file not found"):
        load_booster_setup(tmp_path / "nope.toml")


def test_loading_never_modifies_the_file(root, tmp_path):
    src = root / "models" / "cb200_config1.toml"
    before = src.read_bytes()
    load_booster_setup(src)
    assert src.read_bytes() == before
