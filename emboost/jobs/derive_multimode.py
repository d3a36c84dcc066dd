"""The optional 3-D tolerance band of ``emboost derive``: the ``[booster3d]`` recipe section.

With the section, after the seven stages the job evaluates the best-fit booster with the multi-mode solver
(:mod:`emboost.booster.multimode`) under stated mechanical tolerances (tilts of the mirror and of every disk
about both axes, disk bulges; :func:`emboost.booster.tolerances.tolerance_montecarlo`) and writes the band
(``booster3d.csv``, ``booster3d.png``), a summary (``results.json`` ``summary.booster3d``) and a report section.
Without the section nothing changes. Recipe keys (all optional but one tolerance must be > 0)::

    [booster3d]
    mirror_tilt = "0.05 deg"      # 1-sigma tilt about each transverse axis
    disk_tilt = "0.05 deg"
    disk_bulge = "5 um"           # 1-sigma centre-to-edge thickness excess (parabolic, far face)
    samples = 200                 # Monte-Carlo samples (seeded; default 200)
    seed = 0
    points = 201                  # frequencies over the Monte-Carlo band
    kc_max = 300.0                # [1/m] modes kept (default: the solver's)
    disk_radius = "17 mm"         # disks smaller than the cylinder (then only mirror_tilt may be > 0)
    field_shape = false           # true: the band's relative spread at its peak replaces [montecarlo]
                                  # field_shape_sigma in the Monte-Carlo band (the report shows both)

The verdict checks that the flat multi-mode booster with full disks reproduces the 1-D best fit (1e-6 relative:
the modes do not couple then; this holds with ``disk_radius`` too, whose effect the band shows), that the
samples are finite and that the Monte-Carlo standard error of the mean at the
peak is below 2 % of the mean; a failed check makes ``emboost derive`` exit with status 3.

>>> from emboost.core.setupfile import Table
>>> s = booster3d_section(Table({"booster3d": {"mirror_tilt": "0.1 deg", "samples": 50}}, path="r.toml"))
>>> round(s.mirror_tilt * 180 / 3.141592653589793, 6), s.samples, s.points
(0.1, 50, 201)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from emboost.core.errors import RecipeError
from emboost.core.setupfile import Table

if TYPE_CHECKING:
    from emboost.booster.tolerances import ToleranceBand
    from emboost.jobs.derive_stages import Context
    from emboost.report.html import Section

__all__ = ["Booster3DSettings", "booster3d_section", "booster3d_band", "run_booster3d"]


@dataclass(frozen=True)
class Booster3DSettings:
    """The ``[booster3d]`` section: 1-sigma tolerances (``mirror_tilt``, ``disk_tilt`` [rad], ``disk_bulge``
    [m]), Monte-Carlo ``samples`` and ``seed``, ``points`` frequencies, the solver's ``kc_max`` [1/m] and the
    ``disk_radius`` [m] of disks smaller than the cylinder (None: full disks); ``field_shape``: the 3-D band's
    relative spread at its peak is the Monte-Carlo's field-shape sigma instead of the recipe's assumed one."""

    mirror_tilt: float
    disk_tilt: float
    disk_bulge: float
    samples: int
    seed: int
    points: int
    kc_max: float | None
    disk_radius: float | None = None
    field_shape: bool = False


def booster3d_section(top: Table) -> Booster3DSettings | None:
    """Parse the optional ``[booster3d]`` table of a campaign recipe (None when absent)."""
    if "booster3d" not in top:
        return None
    t = top.table("booster3d")
    mirror = float(t.quantity("mirror_tilt", "angle", 0.0, minimum=0.0, maximum=math.radians(5.0)))
    disk = float(t.quantity("disk_tilt", "angle", 0.0, minimum=0.0, maximum=math.radians(5.0)))
    bulge = float(t.quantity("disk_bulge", "length", 0.0, minimum=0.0, maximum=1e-3))
    samples = int(t.number("samples", 200, integer=True, minimum=2, maximum=100_000))
    seed = int(t.number("seed", 0, integer=True, minimum=0))
    points = int(t.number("points", 201, integer=True, minimum=3, maximum=5001))
    kc = t.number("kc_max", None, minimum=0.0)
    radius = t.quantity("disk_radius", "length", None, minimum=0.0, exclusive=True)
    shape = t.boolean("field_shape", False)
    t.finish()
    if mirror == disk == bulge == 0.0:
        raise t.fail("mirror_tilt", "give at least one tolerance > 0 (mirror_tilt, disk_tilt, disk_bulge)")
    if radius is not None and (disk > 0 or bulge > 0):
        raise t.fail("disk_radius", "disks smaller than the cylinder keep flat faces: only mirror_tilt may be > 0")
    return Booster3DSettings(mirror, disk, bulge, samples, seed, points, None if kc is None else float(kc),
                             None if radius is None else float(radius), bool(shape))


def booster3d_band(ctx: Context, settings: Booster3DSettings) -> ToleranceBand:
    """The 3-D tolerance band of the job's best-fit booster over the band's frequency range (``settings.points``
    frequencies), computed once per job (the Monte-Carlo stage may need it first, for its field-shape sigma)."""
    from emboost.booster.tolerances import MechanicalTolerances, tolerance_montecarlo
    from emboost.jobs.derive_stages import band_frequencies

    if "booster3d_band" in ctx.extras:
        return ctx.extras["booster3d_band"]
    booster = ctx.booster_fit().booster()
    if booster.radius is None:
        raise RecipeError("[booster3d] needs a closed booster: give the cylinder radius in the setup file",
                          path=ctx.recipe.path, key="booster3d")
    fb = band_frequencies(ctx)
    f = np.linspace(float(fb[0]), float(fb[-1]), settings.points)
    tol = MechanicalTolerances(mirror_tilt=settings.mirror_tilt, disk_tilt=settings.disk_tilt,
                               disk_bulge=settings.disk_bulge)
    if settings.disk_radius is not None and settings.disk_radius > booster.radius:
        raise RecipeError(f"disk_radius {settings.disk_radius:g} m exceeds the cylinder radius {booster.radius:g} m",
                          path=ctx.recipe.path, key="booster3d.disk_radius")
    band = tolerance_montecarlo(booster, f, tol, samples=settings.samples, seed=settings.seed, workers=ctx.workers,
                                kc_max=settings.kc_max, quiet=ctx.quiet, disk_radius=settings.disk_radius,
                                scheduler=ctx.scheduler)
    ctx.extras["booster3d_band"] = band
    return band


def run_booster3d(ctx: Context, settings: Booster3DSettings) -> tuple[dict[str, Any], Section]:
    """Run the 3-D band for the job ``ctx`` (after its stages); write ``booster3d.csv`` and ``booster3d.png``
    into the job folder; return the summary (for ``results.json``) and the report section."""
    from emboost.booster.multimode import MultiModeSolver
    from emboost.core.output import atomic_write_text
    from emboost.jobs.derive_stages import field_shape
    from emboost.report.html import Figure, ReportTable, Section
    from emboost.report.plots_base import save_figure
    from emboost.report.plots_booster import booster3d_band_figure

    band = booster3d_band(ctx, settings)
    booster, f = ctx.booster_fit().booster(), band.frequency
    one_d = booster.boost_factor(f)
    flat = MultiModeSolver(booster, kc_max=settings.kc_max).boost_factor(f)  # full disks: must equal the 1-D fit
    i = int(np.argmax(band.nominal))
    stderr = float(band.std[i] / math.sqrt(settings.samples) / band.mean[i])
    checks = {
        "flat_multimode_equals_1d": float(np.max(np.abs(flat / one_d - 1))),
        "finite": bool(np.all(np.isfinite(band.samples))),
        "relative_stderr_of_mean_at_peak": stderr,
    }
    ok = checks["flat_multimode_equals_1d"] < 1e-6 and checks["finite"] and stderr < 0.02
    reason = "" if ok else ("the flat multi-mode booster differs from the 1-D fit" if
                            checks["flat_multimode_equals_1d"] >= 1e-6 else
                            "non-finite samples" if not checks["finite"] else
                            f"Monte-Carlo standard error at the peak {stderr:.1%} > 2 %: raise samples")
    used_sigma, used_source = field_shape(ctx)
    q = band.quantiles
    header = ["frequency_Hz", "nominal_3d", "mean", "std"] + [f"q{round(100 * k):02d}" for k in sorted(q)]
    rows = [",".join(header)] + [",".join(repr(float(v)) for v in
                                          (f[j], band.nominal[j], band.mean[j], band.std[j], *(q[k][j] for k in
                                                                                                sorted(q))))
                                 for j in range(f.size)]
    atomic_write_text(ctx.out / "booster3d.csv", "# 3-D tolerance band of the boost factor (multi-mode solver; "
                      "see results.json summary.booster3d)\n" + "\n".join(rows) + "\n")
    save_figure(booster3d_band_figure(f, q, band.mean, band.nominal, one_d,
                                      "boost factor under mechanical tolerances (3-D, multi-mode)"),
                ctx.out / "booster3d.png", dpi=110)
    peak = {"frequency_Hz": float(f[i]), "nominal": float(band.nominal[i]), "mean": float(band.mean[i]),
            "std": float(band.std[i]), "q05": float(q[0.05][i]), "q95": float(q[0.95][i]),
            "relative_std": float(band.relative_std_at_peak)}
    summary = {"tolerances": {"mirror_tilt_rad": settings.mirror_tilt, "disk_tilt_rad": settings.disk_tilt,
                              "disk_bulge_m": settings.disk_bulge},
               "disk_radius_m": settings.disk_radius,
               "samples": settings.samples, "seed": settings.seed, "peak": peak, "checks": checks, "ok": bool(ok),
               "reason": reason,
               "field_shape_sigma": {"used": used_sigma, "source": used_source,
                                     "assumed_in_recipe": ctx.recipe.montecarlo.field_shape_sigma,
                                     "from_3d_band": float(band.relative_std_at_peak),
                                     "band_uses_3d": settings.field_shape}}
    table = ReportTable(("quantity", "value"), (
        ("tolerances (1σ)", f"mirror tilt {math.degrees(settings.mirror_tilt):.3g}°, disk tilt "
                            f"{math.degrees(settings.disk_tilt):.3g}°, disk bulge {settings.disk_bulge * 1e6:.3g} µm"),
        ("peak of the perfect booster (multi-mode)", f"{peak['nominal']:.4g} at {peak['frequency_Hz'] / 1e9:.6f} GHz"),
        ("band at that frequency: mean ± std", f"{peak['mean']:.4g} ± {peak['std']:.3g} ({peak['relative_std']:.1%})"),
        ("5-95 % there", f"{peak['q05']:.4g} .. {peak['q95']:.4g}"),
        ("disk radius", "full (the cylinder's)" if settings.disk_radius is None
         else f"{settings.disk_radius * 1e3:.4g} mm (vacuum annulus)"),
        ("samples, seed", f"{settings.samples}, {settings.seed}"),
        ("field-shape σ of the Monte-Carlo band", f"{used_sigma:.3g} ({used_source})"),
        ("field-shape σ: assumed in the recipe / from this 3-D band",
         f"{ctx.recipe.montecarlo.field_shape_sigma:.3g} / {band.relative_std_at_peak:.3g}"),
        ("verdict", "ok" if ok else f"FAILED: {reason}")))
    section = Section("booster3d", "3-D tolerance band (multi-mode solver)", (
        "The best-fit booster evaluated with every TE/TM mode of the cylinder under random tilts of the mirror and "
        "of every disk and random disk bulges (docs/booster3d.md): the spread is the field-shape uncertainty of "
        "the boost factor from physics, beside the Monte-Carlo band of the fit above.",), (table,),
        (Figure(ctx.out / "booster3d.png", "3-D tolerance band; dotted: the 1-D model"),))
    return summary, section

