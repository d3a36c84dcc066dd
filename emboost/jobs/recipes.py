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
from pathlib import Path

from emboost.core.errors import RecipeError
from emboost.core.setupfile import Table, read_toml

__all__ = ["RECIPE_KINDS", "load_recipe", "recipe_header", "resolve_path", "run_recipe"]

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
