"""The lmfit layer: parameter specs from recipes, complex stacking, covariance, flags, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from emboost.core.errors import InputError, RecipeError
from emboost.core.setupfile import Table
from emboost.fit.core import ParameterDefault, ParameterSpec, least_squares, propagate, stack_complex
from emboost.jobs.sections import parameter_specs


def test_linear_fit_matches_closed_form(tmp_path) -> None:
    rng = np.random.default_rng(7)
    x = np.linspace(-1, 1, 50)
    y = 1.5 * x - 0.3 + 0.05 * rng.standard_normal(x.size)
    r = least_squares(lambda p: (p[0] * x + p[1] - y) / 0.05, [ParameterSpec("a", 1.0), ParameterSpec("b", 0.1)],
                      scale_covar=False)
    a = np.vstack([x, np.ones_like(x)]).T
    best, *_ = np.linalg.lstsq(a, y, rcond=None)
    cov = np.linalg.inv(a.T @ a) * 0.05**2
    # 1e-8: both are the exact linear least-squares solution up to the optimiser's tolerance
    assert np.allclose(r.values, best, rtol=1e-8)
    assert np.allclose(r.covariance, cov, rtol=1e-5)  # finite-difference Jacobian
    assert r.converged and r.ok and abs(r.correlation[0, 1]) < 1e-6
    from emboost.core.output import atomic_write_json

    atomic_write_json(tmp_path / "fit.json", r.to_dict())
    doc = json.loads((tmp_path / "fit.json").read_text())
    assert doc["converged"] and doc["parameters"]["a"]["stderr"] == pytest.approx(r.error("a"))


def test_scale_covar_is_invariant_to_residual_units() -> None:
    x = np.linspace(0, 1, 30)
    y = 2 * x + 0.1 * np.sin(7 * x)
    errs = []
    for unit in (1e-9, 1.0, 1e6):
        specs = [ParameterSpec("a", 1.0), ParameterSpec("b", 0.5)]
        r = least_squares(lambda p, u=unit: (p[0] * x + p[1] - y) * u, specs, scale_covar=True)
        errs.append(r.stderr)
        assert abs(r.value("a") - 2) < 0.2
    assert np.allclose(errs[0], errs[1], rtol=1e-4) and np.allclose(errs[1], errs[2], rtol=1e-4)


def test_at_bound_is_flagged() -> None:
    x = np.linspace(0, 1, 20)
    r = least_squares(lambda p: p[0] * x - 2 * x, [ParameterSpec("a", 0.5, 0.0, 1.0)], scale_covar=False)
    assert r.at_bound == ("a",) and not r.ok


def test_stack_and_propagate() -> None:
    assert stack_complex(np.array([1j]), 2.0).tolist() == [0.0, 0.5]
    y, s = propagate(lambda v: np.sin(v[:, 0]), np.array([0.3]), np.array([[1e-4]]))
    assert abs(s - math.cos(0.3) * 1e-2) < 1e-9


def test_parameter_specs_from_recipe() -> None:
    defaults = {"gap": ParameterDefault("length", "mm", 8e-3, 0.0), "tau": ParameterDefault("time", "ns", 0.0)}
    t = Table({"gap": {"value": 8.1, "unit": "mm", "min": 7, "max": 9}}, path="r.toml", prefix="parameters",
              error=RecipeError)
    specs = parameter_specs(t, defaults)
    assert [(s.name, s.vary) for s in specs] == [("gap", True), ("tau", False)]
    assert specs[0].value == pytest.approx(8.1e-3) and specs[0].minimum == pytest.approx(7e-3)
    bad = Table({"gap": {"value": 8.1, "unit": "mm", "max": 8}}, path="r.toml", prefix="parameters", error=RecipeError)
    with pytest.raises(RecipeError, match="parameters.gap.value"):
        parameter_specs(bad, defaults)
    with pytest.raises(RecipeError, match="unknown parameter"):
        parameter_specs(Table({"gapp": {}}, path="r.toml", prefix="parameters", error=RecipeError), defaults)
    with pytest.raises(InputError, match="outside"):
        ParameterSpec("x", 2.0, 0.0, 1.0)
