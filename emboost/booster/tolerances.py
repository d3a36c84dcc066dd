"""Monte-Carlo of the boost factor over mechanical tolerances, with the multi-mode solver.

Each sample draws, from stated normal tolerances, a tilt of the mirror and of every disk about both transverse
axes and a bulge (centre-to-edge thickness excess) of every disk, and evaluates the booster with
:class:`~emboost.booster.multimode.MultiModeSolver`. The spread of the samples is the 3-D (field-shape)
uncertainty of the boost factor from physics, the alternative to an assumed ``N(1, sigma)`` factor. Draws come
from ``SeedSequence(seed)`` in sample order and the samples run through :func:`emboost.core.runner.run_chunks`, so
1 or N processes give identical results.

>>> import numpy as np
>>> from emboost.booster.model import Booster
>>> b = Booster.from_disks([9.75e-3] * 3, 1e-3, 9.4, 5e-4, radius=0.02, output_length=0.01, source="eps_eff")
>>> tol = MechanicalTolerances(mirror_tilt=np.radians(0.5), disk_tilt=np.radians(0.5), disk_bulge=10e-6)
>>> band = tolerance_montecarlo(b, np.linspace(18.95e9, 19.05e9, 5), tol, samples=4, seed=1, workers=1)
>>> band.samples.shape
(4, 5)
>>> bool(0 < band.relative_std_at_peak < 0.2)
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emboost.booster.model import Booster
from emboost.booster.multimode import MultiModeSolver, Surface, tilt
from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr
from emboost.core.runner import run_chunks, standard_normals

__all__ = ["MechanicalTolerances", "ToleranceBand", "tolerance_montecarlo"]


@dataclass(frozen=True)
class MechanicalTolerances:
    """Standard deviations of the mechanical imperfections: ``mirror_tilt`` and ``disk_tilt`` [rad] about each of
    the two transverse axes, ``disk_bulge`` [m] centre-to-edge thickness excess (parabolic, far face)."""

    mirror_tilt: float = 0.0
    disk_tilt: float = 0.0
    disk_bulge: float = 0.0

    def __post_init__(self) -> None:
        for name in ("mirror_tilt", "disk_tilt", "disk_bulge"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise InputError(f"tolerance {name} must be >= 0, got {v!r}", key=name)


@dataclass(frozen=True, eq=False)
class ToleranceBand:
    """``samples`` (n, nf) boost factors; ``mean``, ``std`` and ``quantiles`` (5, 16, 50, 84, 95 %) per frequency;
    ``nominal`` (nf,) the perfect booster; ``relative_std_at_peak`` the spread at the nominal peak."""

    frequency: np.ndarray
    samples: np.ndarray
    nominal: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    quantiles: dict[float, np.ndarray]
    relative_std_at_peak: float
    tolerances: MechanicalTolerances
    seed: int

    __repr__ = short_repr


@dataclass(frozen=True, eq=False)
class _Context:
    booster: Booster
    frequency: np.ndarray
    tolerances: MechanicalTolerances
    kc_max: float | None
    disk_radius: float | tuple[float, ...] | None = None


def _surfaces(draw: np.ndarray, tol: MechanicalTolerances, n_disks: int, radius: float) -> dict[int, Surface]:
    out: dict[int, Surface] = {}
    if tol.mirror_tilt > 0:
        out[0] = tilt(draw[0] * tol.mirror_tilt, draw[1] * tol.mirror_tilt)
    for i in range(1, n_disks + 1):
        j = 2 + 3 * (i - 1)
        ty, tx = draw[j] * tol.disk_tilt, draw[j + 1] * tol.disk_tilt
        bulge = draw[j + 2] * tol.disk_bulge
        if tol.disk_tilt > 0:
            out[2 * i - 1] = tilt(ty, tx)
        if tol.disk_tilt > 0 or tol.disk_bulge > 0:
            out[2 * i] = Surface(_tilted_bulge(ty, tx, bulge, radius), tol.disk_tilt == 0, "tilted, bulged face")
    return out


def _tilted_bulge(ty: float, tx: float, bulge: float, radius: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    face = tilt(ty, tx)

    def height(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(face.height(x, y)) + bulge * (1 - (x**2 + y**2) / radius**2)

    return height


def _evaluate(ctx: _Context, draws: np.ndarray) -> dict[str, np.ndarray]:
    b = ctx.booster
    radius = float(b.radius)  # type: ignore[arg-type]  # checked closed in tolerance_montecarlo
    out = [MultiModeSolver(b, _surfaces(d, ctx.tolerances, b.n_disks, radius), kc_max=ctx.kc_max,
                           disk_radius=ctx.disk_radius).boost_factor(ctx.frequency) for d in draws]
    return {"boost": np.array(out)}


def tolerance_montecarlo(booster: Booster, f: ArrayLike, tolerances: MechanicalTolerances, *, samples: int,
                         seed: int, workers: int | None = None, kc_max: float | None = None,
                         checkpoint: str | None = None, quiet: bool = True,
                         disk_radius: float | Sequence[float] | None = None, scheduler: Any = None) -> ToleranceBand:
    """Boost-factor band over mechanical tolerances (see the module docstring); ``f`` [Hz]. ``disk_radius`` [m]:
    disks smaller than the cylinder (:class:`~emboost.booster.multimode.MultiModeSolver`; their faces stay flat,
    so only the mirror tilt may be drawn then). ``workers`` and ``scheduler`` (a Dask scheduler address, scheduler
    file, ``"local"`` or a ``Client``) as for :func:`emboost.core.runner.run_chunks`; the band does not depend on
    them."""
    if booster.radius is None or booster.batch_shape != ():
        raise InputError("a tolerance Monte-Carlo needs one closed booster (radius given, no batch axis)")
    if not 1 <= samples <= 1_000_000:
        raise InputError(f"samples must be between 1 and 1e6, got {samples}", key="samples")
    f = booster.check_band(f)
    width = 2 + 3 * booster.n_disks
    draws = standard_normals(seed, samples, width)
    dr: float | tuple[float, ...] | None = None
    if disk_radius is not None:
        dr = tuple(float(x) for x in np.atleast_1d(np.asarray(disk_radius, dtype=float)))
    ctx = _Context(booster, f, tolerances, kc_max, dr)
    MultiModeSolver(booster, _surfaces(draws[0], tolerances, booster.n_disks, float(booster.radius)), kc_max=kc_max,
                    disk_radius=dr)  # bad combinations fail here, before any process starts
    run = run_chunks(_evaluate, ctx, draws, samples, seed=seed, chunk_size=10, workers=workers,
                     scheduler=scheduler, checkpoint=checkpoint, quiet=quiet, label="3-D tolerance Monte-Carlo",
                     run_key=f"tolerances {tolerances} kc_max {kc_max} f {f[0]:.9g}..{f[-1]:.9g}/{f.size}"
                             + ("" if dr is None else f" disk_radius {dr}"))
    boost = run.data["boost"]
    nominal = MultiModeSolver(booster, kc_max=kc_max, disk_radius=dr).boost_factor(f)
    levels = (0.05, 0.16, 0.5, 0.84, 0.95)
    q = np.quantile(boost, levels, axis=0)
    i = int(np.argmax(nominal))
    mean, std = boost.mean(axis=0), boost.std(axis=0, ddof=1) if samples > 1 else np.zeros(f.size)
    return ToleranceBand(frequency=f, samples=boost, nominal=nominal, mean=mean, std=std,
                         quantiles=dict(zip(levels, q)), relative_std_at_peak=float(std[i] / mean[i]),
                         tolerances=tolerances, seed=seed)
