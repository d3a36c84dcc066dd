"""Unit spellings where data enters: NFKC normalisation, optional space, and the list in the error."""

from __future__ import annotations

import re

import numpy as np
import pytest

from emboost.core.errors import UnitError
from emboost.core.units import _UNITS, DIMENSIONS, parse_quantity, unit_factor

MICRO_SIGN, GREEK_MU = "\u00b5", "\u03bc"


@pytest.mark.parametrize("mu", [MICRO_SIGN, GREEK_MU])
@pytest.mark.parametrize("space", ["", " ", "\u00a0", "\u2009", "\u202f", "  "])
def test_micro_prefix_both_spellings_any_space(mu, space):
    """2.5 µm with the micro sign or the Greek mu, with no space, a space, a no-break or thin space."""
    assert parse_quantity(f"2.5{space}{mu}m", "length") == pytest.approx(2.5e-6, rel=1e-15)
    assert parse_quantity({"value": 4, "unit": f"{mu}s"}, "time") == pytest.approx(4e-6, rel=1e-15)
    assert unit_factor(f"{mu}H", "inductance") == 1e-6


@pytest.mark.parametrize("text,si", [("18.5GHz", 18.5e9), ("18.5 GHz", 18.5e9), ("18.5\tGHz", 18.5e9),
                                     ("1e3MHz", 1e9), ("+2.5e-3 THz", 2.5e9), ("7Hz", 7.0)])
def test_frequency_with_or_without_space(text, si):
    assert parse_quantity(text, "frequency") == pytest.approx(si, rel=1e-15)


def test_every_listed_unit_parses_in_both_micro_spellings():
    """Each unit the error lists is accepted as written, and with the other micro character."""
    for name, (dim, factor) in _UNITS.items():
        for spelled in {name, name.replace(MICRO_SIGN, GREEK_MU), name.replace(GREEK_MU, MICRO_SIGN)}:
            assert unit_factor(spelled, dim) == factor, spelled
            assert parse_quantity(f"1 {spelled}", dim) == pytest.approx(factor, rel=1e-15)


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_error_lists_the_units_of_the_dimension_and_the_spelling_rule(dimension):
    with pytest.raises(UnitError) as exc:
        parse_quantity("1 furlong", dimension, path="setup.toml", key="x")
    msg = str(exc.value)
    listed = re.search(r"\(one of: (.*?); ", msg)
    assert listed, msg
    names = listed.group(1).split(", ")
    assert set(names) == {u for u, (d, _) in _UNITS.items() if d == dimension}
    assert MICRO_SIGN in msg and GREEK_MU in msg and "space before the unit optional" in msg
    assert msg.startswith("setup.toml: key 'x': unknown unit 'furlong'") and "\n" not in msg


def test_wrong_dimension_names_both_and_lists():
    with pytest.raises(UnitError, match=r"unit 'GHz' is a frequency, expected a length \(one of: m, cm, mm"):
        parse_quantity("3GHz", "length")


@pytest.mark.parametrize("bad", ["2.5 m m", "2.5", "GHz", "2.5 \u03bc", "1..2 mm", ""])
def test_malformed_strings_are_one_line_errors(bad):
    with pytest.raises(UnitError) as exc:
        parse_quantity(bad, "length", path="f.toml", key="k")
    assert "\n" not in str(exc.value) and str(exc.value).startswith("f.toml: key 'k': ")


def test_arrays_accept_greek_mu():
    out = parse_quantity({"values": [1, 2.5], "unit": f"{GREEK_MU}m"}, "length")
    assert isinstance(out, np.ndarray) and np.allclose(out, [1e-6, 2.5e-6], rtol=1e-15)
