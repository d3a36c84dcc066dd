"""SQUID readout model (emboost.pickup.squid): Tesche-Clarke noise referred to the resonator, the quantum limit,
the second stage, chains exchanged at 75 MHz and the live-time rows."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.core.constants import h, hbar, k_B
from emboost.core.errors import InputError
from emboost.pickup.scanrate import xi
from emboost.pickup.squid import SquidChain, SquidReadout


def _chain(**kw):
    base = dict(resistance=5.0, inductance=100e-12, temperature=0.3)
    base.update(kw)
    return SquidChain("test", 1e6, 1e9, **base)


def test_reduces_to_the_standard_quantum_limit():
    # a cold SQUID without a second stage: k T_N = h f / 2, eta = 1 at every frequency (exact by construction
    # of the quantum floor; rounding only)
    f = np.array([5e6, 30e6, 200e6])
    cold = _chain(temperature=0.0)
    assert np.allclose(cold.eta(f), 1.0, rtol=1e-12)
    assert np.allclose(cold.referred(f, 2e-9).noise_temperature, h * f / (2 * k_B), rtol=1e-12)
    # and then xi is the quantum-limited value of physics.md §4.3 at n = 0
    assert float(xi(200e6, 0.0, cold.eta(200e6)[0])) == pytest.approx(0.1481, rel=1e-3)


def test_classical_limit_is_the_tesche_clarke_noise_temperature():
    f = np.array([30e6])
    c = _chain(temperature=4.2)
    # k T_N = (w / 2 V_Phi) sqrt(S_V S_J - S_VJ^2) = (w L / 2 R) k T sqrt(16 x 11 - 12^2); quantum floor tiny
    want = 2 * np.pi * f * 100e-12 / (2 * 5.0) * 4.2 * np.sqrt(16 * 11 - 144)
    # the quantum floor in quadrature adds (h f / 2 k T_N)^2 / 2 ~ 1.3e-4 here
    assert c.referred(f, 1e-9).noise_temperature[0] == pytest.approx(want[0], rel=3e-4)
    # imprecision x backaction - correlation^2 does not depend on the input coupling
    r1, r2 = c.referred(f, 1e-9), c.referred(f, 7e-9)
    assert r2.s_i[0] / r1.s_i[0] == pytest.approx(1 / 49, rel=1e-12)
    assert r2.s_u[0] / r1.s_u[0] == pytest.approx(49, rel=1e-12)
    assert r1.noise_temperature[0] == pytest.approx(r2.noise_temperature[0], rel=1e-12)
    # the correlation lowers the noise: without it sqrt(16 x 11) instead of sqrt(32)
    unc = _chain(temperature=4.2, gamma_vj=0.0)
    assert unc.eta(f)[0] / c.eta(f)[0] == pytest.approx(np.sqrt(176 / 32), rel=1e-3)
    assert (hbar * 2 * np.pi * f[0]) / (k_B * 4.2) < 1e-3


def test_second_stage_adds_by_friis_and_chains_swap_at_75_mhz():
    f = np.array([10e6, 50e6])
    one, two = _chain(), _chain(second_stage_temperature=1.0, gain=1000)
    assert np.allclose(two.eta(f) - one.eta(f), 2 * k_B * 1.0 / (1000 * h * f), rtol=1e-12)
    lo = SquidChain("Low BW", 5e6, 75e6, 5.0, 100e-12, 0.3)
    hi = SquidChain("Medium BW", 75e6, 200e6, 5.0, 100e-12, 0.5)
    r = SquidReadout((lo, hi))
    e = r.eta([74.9e6, 75e6, 200e6])
    assert e[0] == pytest.approx(lo.eta(74.9e6)[0]) and e[1] == pytest.approx(hi.eta(75e6)[0])
    assert e[2] == pytest.approx(hi.eta(200e6)[0])
    with pytest.raises(InputError, match="no SQUID chain covers"):
        r.eta([4e6])
    with pytest.raises(InputError, match="positive noise matrix"):
        _chain(gamma_vj=20.0)


def test_live_time_table_shows_both_readouts(root):
    from emboost.pickup.setup import live_time_table, load_pickup_model
    m = load_pickup_model(root / "models" / "dmradio_m3.toml")
    assert m.squid is not None and [c.name for c in m.squid.chains] == ["Low BW", "Medium BW"]
    rows = live_time_table(m)
    for band in m.bands:
        const = [r for r in rows if r["band"] == band.name and r["copper"].startswith("baseline")
                 and r["eta"].startswith("constant")]
        squid = [r for r in rows if r["band"] == band.name and r["eta"] == "SQUID model"]
        assert len(const) == 1 and len(squid) == 1
        assert squid[0]["years"] > 0 and squid[0]["paper_years"] == const[0]["paper_years"]
