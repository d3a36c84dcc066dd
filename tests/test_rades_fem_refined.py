"""Q0 of the RADES chain against the FEM reference refined at the iris edges (validation/rades_5cavity_refined;
NGSolve hp refinement, no FEM run here), and the convergence study stored with it."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.cavity.chain import CavityChain
from emboost.cavity.iris import Iris
from emboost.core.setupfile import read_toml

pytestmark = pytest.mark.validation
BAND = (8.0e9, 9.5e9)


def _table(path):
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    return np.genfromtxt(lines, delimiter=",", names=True)


@pytest.fixture(scope="module")
def refs(root):
    new, old = root / "validation" / "rades_5cavity_refined", root / "validation" / "rades_5cavity"
    return (_table(new / "modes.csv"), read_toml(new / "meta.toml"), _table(new / "convergence.csv"),
            _table(old / "modes.csv"))


@pytest.fixture(scope="module")
def q_model(refs):
    _, meta, _, _ = refs
    g = meta["geometry"]
    mm = 1e-3
    iris = Iris("inductive", window=g["iris_window"]["value"] * mm, thickness=g["iris_thickness"]["value"] * mm)
    ch = CavityChain(a=g["a"]["value"] * mm, b=g["b"]["value"] * mm,
                     lengths=tuple(x * mm for x in g["cavity_lengths"]["values"]), irises=(iris,) * 4,
                     conductivity=g["wall_conductivity"]["value"])
    return np.array([q.q0 for q in ch.mode_q(ch.modes(BAND).frequency)])


def test_provenance(root, refs):
    _, meta, conv, _ = refs
    assert (root / "validation" / "rades_5cavity_refined" / "generate.py").is_file()
    assert (root / "validation" / "rades_5cavity_refined" / "convergence.png").is_file()
    assert meta["solver"]["name"] == "NGSolve" and meta["solver"]["element_order"] == 3
    assert meta["solver"]["hp_levels"] >= 4
    assert set(conv["series"]) == {1.0, 2.0}  # the h series and the hp series


def test_q0_converged_at_the_iris_edges(refs):
    data, meta, conv, _ = refs
    q = np.column_stack([conv[f"q0_{k}"] for k in range(1, 6)])
    h = conv["series"] == 1
    # h refinement alone: Q0 falls by 2-3 % per step and has not settled (the coarse stored reference
    # is the first row)
    dh = q[h][1:] / q[h][:-1] - 1
    assert np.all(dh < -0.005)
    # hp refinement, orders 2 and 3: each two levels shrink the change by (0.2^2)^(1/3) = 0.342, the rate of
    # the loss missing in the innermost element (|H|^2 ~ r^(-2/3) integrates to h_min^(1/3)); this is what
    # justifies the geometric extrapolation
    for order in (2, 3):
        s = (conv["series"] == 2) & (conv["order"] == order)
        d = np.diff(q[s], axis=0)
        assert np.all(d < 0)
        assert np.allclose(d[1] / d[0], (0.2**2) ** (1 / 3), atol=0.03)
    assert np.all(data["q0_uncertainty"] / data["q0_copper_rt"] < 0.01)
    assert np.all(np.abs(data["q0_copper_rt"] / data["q0_finest_level"] - 1) < 0.005)
    # the slab of the y-uniform fields, scaled to the full height, agrees with a full-height solve
    assert np.all(np.abs(meta["refinement"]["slab_check_q0_relative_difference"]) < 0.002)
    assert np.all(np.abs(meta["refinement"]["slab_check_frequency_relative_difference"]) < 1e-5)


def test_frequencies_form_factor_and_fields_match_the_coarse_reference(refs):
    data, _, _, old = refs
    assert np.allclose(data["f_hz"], old["f_hz"], rtol=5e-4)  # frequencies were converged already
    assert data["form_factor"][0] == pytest.approx(old["form_factor"][0], rel=0.01)
    for j in range(1, 6):
        assert np.allclose(data[f"amp_{j}"], old[f"amp_{j}"], atol=0.01)


def test_q0_within_5_percent_of_the_refined_fem(refs, q_model):
    """Target 5 %, no fitted constant: measured -0.19 % .. +0.21 %, inside the FEM's own uncertainty
    (0.3-0.7 %). Against the coarse FEM the circuit was -8.8 % .. -2.6 %: that FEM was 2.6-9.9 % high for lack
    of resolution at the iris edges."""
    data, _, _, old = refs
    dev = q_model / data["q0_copper_rt"] - 1
    assert np.all(np.abs(dev) < 0.05)
    assert np.all(np.abs(dev) < 0.005)
    assert np.all(np.abs(q_model - data["q0_copper_rt"]) < data["q0_uncertainty"])
    assert np.all(old["q0_copper_rt"] / data["q0_copper_rt"] - 1 > 0.02)


def test_validation_registry(root):
    from emboost.jobs.validate import compare

    rows = {r.quantity: r for r in compare("rades_5cavity_refined", root / "validation")}
    assert all(r.passed for r in rows.values()), [r for r in rows.values() if not r.passed]
    assert rows["q0_every_mode"].tolerance == 0.05 and rows["q0_every_mode"].max_deviation < 0.005
