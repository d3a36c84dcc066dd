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

__all__ = ["RECIPE_KINDS", "load_recipe", "recipe_header", "recipe_input_files", "resolve_path", "run_recipe"]

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
