"""Fit recipes (``fits/*.toml``): which data, which model, which parameters, which method.

A recipe names its kind in ``[recipe] kind = "..."``; :data:`RECIPE_KINDS` maps each kind to the
function that runs it, ``run(path, top, out, quiet) -> int`` with ``path`` the recipe file,
``top`` its parsed :class:`~emboost.core.setupfile.Table` (with ``recipe`` still unread), ``out`` the
prepared output folder and the exit status as return value (0 success, 3 fit not converged or a
parameter on a bound: results are still written and flagged). Paths inside a recipe are relative
to the recipe file.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emboost.core.errors import RecipeError
from emboost.core.setupfile import Table, read_toml

__all__ = ["RECIPE_KINDS", "load_recipe", "recipe_header", "recipe_input_files", "resolve_path", "run_recipe",
           "required_source", "display_value", "si_unit"]

#: recipe kind -> "module:function"
RECIPE_KINDS: dict[str, str] = {
    "booster_reflectivity": "emboost.jobs.fit_recipes:run_booster_recipe",
    "resonance": "emboost.jobs.fit_recipes:run_resonance_recipe",
    "noise_standards": "emboost.jobs.fit_recipes:run_standards_recipe",
    "tsys_line_delay": "emboost.jobs.fit_recipes:run_line_delay_recipe",
    "montecarlo": "emboost.jobs.mc:run_recipe",
}


def resolve_path(recipe: str | os.PathLike[str], value: str) -> Path:
    """A path written in a recipe, relative to the recipe's folder unless absolute."""
    p = Path(value)
    return p if p.is_absolute() else Path(recipe).resolve().parent / p


def recipe_input_files(path: str | os.PathLike[str], _depth: int = 0) -> list[Path]:
    """The recipe file and every existing file it names (followed into named recipes, setups and campaigns).

    Used to refuse an output folder that holds an input of the job. Every string value of the recipe that
    resolves (relative to the recipe) to an existing file counts; named ``.toml`` files are followed, so a
    recipe that points at another recipe or a setup file brings their inputs too.
    """
    path = Path(path).resolve()
    found = [path]
    if _depth > 4:
        return found
    try:
        data = read_toml(path, error=RecipeError)
    except RecipeError:
        return found

    def strings(v: object) -> list[str]:
        if isinstance(v, str):
            return [v]
        if isinstance(v, dict):
            return [s for x in v.values() for s in strings(x)]
        if isinstance(v, list):
            return [s for x in v for s in strings(x)]
        return []

    for s in strings(data):
        if not s or "\n" in s or len(s) > 4096:
            continue
        try:
            q = resolve_path(path, s).resolve()
            is_file = q.is_file()
        except (OSError, ValueError):
            continue
        if is_file and q not in found:
            found.append(q)
            if q.suffix == ".toml":
                found.extend(x for x in recipe_input_files(q, _depth + 1) if x not in found)
    return found


def required_source(raw: Mapping[str, Any], dotted: str, path: str | os.PathLike[str]) -> str:
    """The ``source`` string of the quantity at ``dotted`` (e.g. ``"montecarlo.field_shape_sigma"``) of a parsed
    recipe ``raw``: where an assumed number comes from is a required part of the recipe. A quantity written
    without ``{ value = ..., unit = ..., source = "..." }`` or with an empty source is a :class:`RecipeError`
    (an :class:`~emboost.core.errors.InputError`) naming the key.

    >>> required_source({"mc": {"s": {"value": 0.1, "unit": "1", "source": "drawing"}}}, "mc.s", "r.toml")
    'drawing'
    >>> try:
    ...     required_source({"mc": {"s": 0.1}}, "mc.s", "r.toml")
    ... except RecipeError as e:
    ...     print(e.key)
    mc.s
    """
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise RecipeError("missing; give it as { value = ..., unit = \"...\", source = \"...\" }", path=path,
                              key=dotted)
        node = node[part]
    src = node.get("source") if isinstance(node, Mapping) else None
    if not isinstance(src, str) or not src.strip():
        raise RecipeError("give where this number comes from: { value = ..., unit = \"...\", source = \"...\" } "
                          "(a required source string)", path=path, key=dotted)
    return src.strip()


def si_unit(unit: str) -> str:
    """The SI unit of a display ``unit`` (``"mm"`` -> ``"m"``, ``"ns"`` -> ``"s"``; ``"1"`` for dimensionless).

    >>> si_unit("mm"), si_unit("pV/sqrt(Hz)"), si_unit("1"), si_unit("GHz")
    ('m', 'V/sqrt(Hz)', '1', 'Hz')
    """
    from emboost.core.errors import UnitError
    from emboost.core.units import DIMENSIONS, unit_factor

    for dim in DIMENSIONS:
        try:
            unit_factor(unit, dim)
        except UnitError:
            continue
        return _SI.get(dim, "SI")
    raise UnitError(f"unknown unit {unit!r}")


_SI = {"length": "m", "area": "m^2", "volume": "m^3", "frequency": "Hz", "time": "s", "dimensionless": "1",
       "conductivity": "S/m", "resistance": "ohm", "inductance": "H", "capacitance": "F", "temperature": "K",
       "magnetic_field": "T", "energy": "J", "energy_density": "J/m^3", "coupling": "1/J", "velocity": "m/s",
       "angle": "rad", "power": "W", "voltage": "V", "voltage_noise": "V/sqrt(Hz)", "current_noise": "A/sqrt(Hz)",
       "surface_resistance": "ohm/sq", "helioscope_fom": "T^2 m^4", "haloscope_fom": "T^2 m^3"}


def display_value(value: float, unit: str) -> float:
    """An SI ``value`` expressed in the display ``unit`` (``0.00975`` m in ``"mm"`` -> ``9.75``).

    >>> round(display_value(0.00975, "mm"), 9), display_value(3.0, "1")
    (9.75, 3.0)
    """
    from emboost.core.errors import UnitError
    from emboost.core.units import DIMENSIONS, unit_factor

    for dim in DIMENSIONS:
        try:
            return float(value) / unit_factor(unit, dim)
        except UnitError:
            continue
    raise UnitError(f"unknown unit {unit!r}")


def load_recipe(path: str | os.PathLike[str]) -> tuple[str, Table]:
    """Parse a recipe and return its kind and top-level table."""
    path = Path(path)
    top = Table(read_toml(path, error=RecipeError), path=path, error=RecipeError)
    head = top.table("recipe")
    kind = head.string("kind", choices=tuple(RECIPE_KINDS))
    return kind, top


def recipe_header(path: str | os.PathLike[str], top: Table | None, kind: str,
                  default_name: str | None = None) -> tuple[Table, str]:
    """Parse the recipe (unless ``top`` is given) and read its ``[recipe]`` header.

    Checks that ``kind`` is the recipe's kind; returns the top-level table and the recipe's name
    (``name``, else ``default_name``, else the file stem). ``description`` is allowed.
    """
    path = Path(path)
    if top is None:
        top = Table(read_toml(path, error=RecipeError), path=path, error=RecipeError)
    head = top.table("recipe")
    head.string("kind", choices=(kind,))
    name = head.string("name", default_name if default_name is not None else path.stem)
    head.string("description", "")
    head.finish()
    return top, name


def run_recipe(path: str | os.PathLike[str], out: Path, quiet: bool = False) -> int:
    """Run the recipe at ``path`` into the output folder ``out``; returns the exit status."""
    kind, top = load_recipe(path)
    module, func = RECIPE_KINDS[kind].split(":")
    try:
        runner = getattr(importlib.import_module(module), func)
    except (ModuleNotFoundError, AttributeError):
        raise RecipeError(f"recipe kind {kind!r} is not available in this installation",
                          path=path, key="recipe.kind") from None
    return int(runner(Path(path), top, out, quiet))
