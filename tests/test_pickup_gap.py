"""The DMRadio-m3 DFSZ live time against the paper's 2.9 yr: the figures docs/pickup.md quotes for the gap."""

from __future__ import annotations

import dataclasses

import pytest

from emboost.pickup.scanrate import live_time
from emboost.pickup.setup import load_pickup_model

PAPER_DFSZ_YEARS = 2.9  # arXiv:2302.14084v2, 3-sigma live time, 30-200 MHz


@pytest.fixture(scope="module")
def model(root):
    return load_pickup_model(root / "models" / "dmradio_m3.toml")


def _years(setup, band, points, eta):
    return live_time(setup, band.f_min, band.f_max, band.coupling, eta=eta, points=points, name=band.name).years


def test_dfsz_gap_with_the_squid_model(model):
    band = model.bands[0]
    assert band.name.startswith("DFSZ 30-200")
    squid = dataclasses.replace(model.setup, noise=model.squid)
    planned = _years(squid, band, model.points, None)
    fastest = _years(dataclasses.replace(squid, plan=None), band, model.points, None)
    constant = _years(model.setup, band, model.points, band.eta)
    assert constant == pytest.approx(29.3, rel=0.01)
    assert planned == pytest.approx(7.40, rel=0.01)
    assert fastest == pytest.approx(3.67, rel=0.01)
    # the model is slower than the paper under every reading, never faster: no input is tuned to 2.9 yr
    assert PAPER_DFSZ_YEARS < fastest < planned < constant
    assert planned / fastest == pytest.approx(2.02, rel=0.01)
    assert fastest / PAPER_DFSZ_YEARS == pytest.approx(1.27, rel=0.01)
