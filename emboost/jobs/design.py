"""The design job: a recipe (``kind = "booster_design"``) -> designed gaps, response, tolerances, verdict.

Recipe format (every length and frequency carries a unit)::

    [recipe]
    kind = "booster_design"
    name = "20 disks, 50 MHz at 22 GHz"

    [model]
    setup = "../models/open_booster_20disk.toml"   # materials, disks, geometry; its gaps are a fallback

    [design]
    start = { value = 21.975, unit = "GHz" }
    stop = { value = 22.025, unit = "GHz" }
    min_gap = { value = 1, unit = "mm" }            # optional (default 1 mm)
    max_gap = { value = 15, unit = "mm" }           # optional (default min_gap + one wavelength)
    max_total_length = { value = 200, unit = "mm" } # optional
    fixed_disks = [1]                               # optional: disks held at the setup's positions
    vary_thickness = false                          # optional
    thickness_min = { value = 0.8, unit = "mm" }    # optional, with vary_thickness
    thickness_max = { value = 1.2, unit = "mm" }
    frequencies = 60                                # optional design grid size
    starts = 3                                      # optional (default 4)
    seed = 1                                        # optional (default 0)
    grow_from = 32                                  # optional: grow from a smaller design from this many
                                                    # identical disks on (default 32; 0: never)

    [shape]                                         # optional: a target shape instead of a box
    frequencies = { values = [21.9, 22.1], unit = "GHz" }
    relative = [1.0, 2.0]

Writes ``design.json`` (designed gaps and positions, achieved beta^2, band edges, tolerances, starts,
verdict, provenance), ``design.csv`` (beta^2 on the fine grid) and ``design.png``.

>>> from pathlib import Path
>>> spec_kind = "booster_design"
>>> spec_kind in Path(__file__).read_text()
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from emboost.booster.design import DesignResult, DesignSpec, design_booster
from emboost.booster.setup import load_booster_setup
from emboost.core.errors import RecipeError
from emboost.core.output import atomic_write_csv, atomic_write_json, prepare_output_dir, provenance
from emboost.core.setupfile import Table, read_toml

__all__ = ["load_design_recipe", "run_design"]


def load_design_recipe(path: str | os.PathLike[str]) -> tuple[str, Path, DesignSpec]:
    """Read a design recipe: ``(name, setup path, spec)``; errors name the file and the key."""
    path = Path(path)
    top = Table(read_toml(path, error=RecipeError), path=path, error=RecipeError)
    rec = top.table("recipe")
    rec.string("kind", choices=("booster_design",))
    name = rec.string("name")
    rec.finish()
    model = top.table("model")
    setup = (path.parent / model.string("setup")).resolve()
    model.finish()
    d = top.table("design")
    f_lo = float(d.quantity("start", "frequency", minimum=0.0, exclusive=True))
    f_hi = float(d.quantity("stop", "frequency", minimum=0.0, exclusive=True))
    if f_hi <= f_lo:
        raise d.fail("stop", f"must exceed start ({f_lo:g} Hz), got {f_hi:g} Hz")
    kw: dict[str, Any] = {}
    kw["min_gap"] = float(d.quantity("min_gap", "length", 1e-3, minimum=0.0))
    mg = d.quantity("max_gap", "length", None, minimum=0.0, exclusive=True)
    kw["max_gap"] = None if mg is None else float(mg)
    if kw["max_gap"] is not None and kw["max_gap"] <= kw["min_gap"]:
        raise d.fail("max_gap", "must exceed min_gap")
    ml = d.quantity("max_total_length", "length", None, minimum=0.0, exclusive=True)
    kw["max_total_length"] = None if ml is None else float(ml)
    fixed = d.raw("fixed_disks", [])
    if not isinstance(fixed, list) or not all(isinstance(k, int) and not isinstance(k, bool) for k in fixed):
        raise d.fail("fixed_disks", "expected a list of disk numbers (1-based)")
    kw["fixed_disks"] = tuple(fixed)
    kw["vary_thickness"] = d.boolean("vary_thickness", False)
    tmin = d.quantity("thickness_min", "length", None, minimum=0.0, exclusive=True)
    tmax = d.quantity("thickness_max", "length", None, minimum=0.0, exclusive=True)
    if (tmin is None) != (tmax is None) or (tmin is not None and tmax <= tmin):
        raise d.fail("thickness_max", "give both thickness_min and thickness_max, with max > min")
    kw["thickness_bounds"] = None if tmin is None else (float(tmin), float(tmax))
    kw["n_frequencies"] = d.number("frequencies", None, integer=True, minimum=3, maximum=100_000)
    kw["n_starts"] = d.number("starts", 4, integer=True, minimum=1, maximum=1000)
    kw["seed"] = d.number("seed", 0, integer=True, minimum=0)
    grow = d.number("grow_from", 32, integer=True, minimum=0)
    if grow == 1:
        raise d.fail("grow_from", "must be 0 (never) or >= 2")
    kw["grow_from"] = None if grow == 0 else int(grow)
    d.finish()
    if "shape" in top:
        sh = top.table("shape")
        fs = np.atleast_1d(np.asarray(sh.quantity("frequencies", "frequency", minimum=0.0, exclusive=True), float))
        rel = sh.raw("relative")
        if not isinstance(rel, list) or len(rel) != fs.size or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in rel):
            raise sh.fail("relative", f"expected {fs.size} positive numbers (one per frequency)")
        sh.finish()
        kw["shape"] = (fs, np.asarray(rel, float))
    top.finish()
    try:
        spec = DesignSpec(f_lo, f_hi, **kw)
    except RecipeError:
        raise
    except Exception as exc:  # an InputError from the spec's own checks: name the file
        raise RecipeError(str(exc), path=path, key="design") from None
    return name, setup, spec


def run_design(recipe: str | os.PathLike[str], output: str | os.PathLike[str], *,
               overwrite: bool = False) -> DesignResult:
    """Run a design recipe into ``output`` (created); returns the result (its verdict decides the exit status)."""
    from emboost.report.plots_booster import booster_response_png

    name, setup_path, spec = load_design_recipe(recipe)
    setup = load_booster_setup(setup_path)
    result = design_booster(setup.booster, spec)
    out = prepare_output_dir(output, overwrite=overwrite, inputs=[recipe, setup_path])
    doc = {"recipe": name, "setup": setup.name, **result.to_dict(),
           "provenance": provenance([recipe, setup_path])}
    atomic_write_json(out / "design.json", doc)
    r = result.booster.response(result.frequency)
    atomic_write_csv(out / "design.csv", {
        "frequency_Hz": result.frequency.tolist(),
        "boost_factor": result.boost_factor.tolist(),
        "reflected_power_dB": r.reflected_power_db.tolist(),
    }, comments=[f"emboost design {Path(recipe).name} ({name}); setup {setup.name}",
                 "boost factor relative to a bare perfect mirror of the same area"])
    booster_response_png(out / "design.png", r.frequency, r.boost_factor, r.reflected_power_db, r.group_delay,
                         title=f"{name}: designed")
    return result
