"""Booster setup files (``models/*.toml``): the declarative description of a dielectric booster.

Format (every number carries a unit and, in the bundled files, a ``source``)::

    [setup]
    kind = "booster"
    name = "CB200 configuration 1"
    description = "..."                # optional
    reference = "..."                  # optional

    [band]                             # the frequency grid of 'emboost boost'
    start = { value = 18.3, unit = "GHz", source = "..." }
    stop = { value = 18.7, unit = "GHz", source = "..." }
    points = 801

    [cylinder]                         # omit for an open (1-D, free-space) booster
    radius = { value = 100, unit = "mm", source = "..." }
    wall_conductivity = { value = 3.5e7, unit = "S/m", source = "..." }   # optional: lossless walls

    [mirror]
    conductivity = { value = 3.5e7, unit = "S/m", source = "..." }        # or: perfect = true

    [disks]
    count = 3
    thickness = { value = 1.0, unit = "mm", source = "..." }              # or values = [...]
    permittivity = { value = 9.4, unit = "1", source = "..." }
    loss_tangent = { value = 3e-5, unit = "1", source = "..." }
    gaps = { values = [7.0, 7.0, 7.0], unit = "mm", source = "..." }     # gaps[0]: mirror to disk 1

    [port]
    kind = "te11_taper"                # or "free_space" (open booster, no [cylinder])
    output_length = { value = 0, unit = "mm", source = "..." }            # optional
    source_normalisation = "eps"       # or "eps_eff"; optional

    [experiment]                       # optional: used by sensitivity estimates
    b_field = { value = 1.6, unit = "T", source = "..." }
    dm_density = { value = 0.3, unit = "GeV/cm3", source = "..." }

>>> from pathlib import Path
>>> s = load_booster_setup(Path(__file__).parents[2] / "models" / "cb200_config1.toml")
>>> s.booster.n_disks, s.frequencies.size
(3, 801)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from emboost.booster.model import Booster
from emboost.core.constants import GEV_PER_CM3, P11_PRIME, c
from emboost.core.errors import InputError, SetupFileError
from emboost.core.output import file_sha256
from emboost.core.setupfile import Table, read_toml

__all__ = ["BoosterSetup", "load_booster_setup"]


@dataclass(frozen=True, eq=False)
class BoosterSetup:
    """A loaded booster setup file: the booster, its frequency band and experiment context."""

    path: Path
    name: str
    booster: Booster
    frequencies: np.ndarray
    description: str = ""
    reference: str = ""
    b_field: float | None = None
    dm_density: float = 0.3 * GEV_PER_CM3
    sha256: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def area(self) -> float:
        """Disk area pi r^2 [m^2] of a closed booster (``nan`` for an open one)."""
        return float("nan") if self.booster.radius is None else float(np.pi * self.booster.radius**2)


def _per_disk(t: Table, name: str, dimension: str, n: int, **bounds: Any) -> np.ndarray:
    q = np.asarray(t.quantity(name, dimension, **bounds), dtype=float)
    if q.ndim == 0:
        return np.full(n, float(q))
    if q.shape != (n,):
        raise t.fail(name, f"expected one value or {n} values (disks.count = {n}), got {q.size}")
    return q


def load_booster_setup(path: str | os.PathLike[str]) -> BoosterSetup:
    """Read and check a booster setup file; errors name the file and the key."""
    path = Path(path)
    top = Table(read_toml(path), path=path)
    setup = top.table("setup")
    kind = setup.string("kind", choices=("booster",))
    name = setup.string("name")
    description = setup.string("description", "")
    reference = setup.string("reference", "")
    setup.finish()
    del kind

    band = top.table("band")
    start = band.quantity("start", "frequency", minimum=0.0, exclusive=True)
    stop = band.quantity("stop", "frequency", minimum=0.0, exclusive=True)
    points = band.number("points", integer=True, minimum=3)
    band.finish()
    if np.ndim(start) or np.ndim(stop):
        raise band.fail("start", "start and stop must be single values")
    if stop <= start:
        raise band.fail("stop", f"must be above band.start ({start:g} Hz), got {stop:g} Hz")
    freqs = np.linspace(start, stop, points)

    port = top.table("port")
    port_kind = port.string("kind", choices=("te11_taper", "free_space"))
    output_length = float(port.quantity("output_length", "length", 0.0, minimum=0.0))
    source: Literal["eps", "eps_eff"] = "eps_eff" if port.string(
        "source_normalisation", "eps", choices=("eps", "eps_eff")) == "eps_eff" else "eps"
    port.finish()

    radius = wall = None
    if "cylinder" in top:
        cyl = top.table("cylinder")
        radius = float(cyl.quantity("radius", "length", minimum=0.0, exclusive=True))
        wall = cyl.quantity("wall_conductivity", "conductivity", None, minimum=0.0, exclusive=True)
        cyl.finish()
        fc = P11_PRIME * c / (2 * np.pi * radius)
        if start <= fc:
            raise cyl.fail("radius", f"{radius:g} m puts the TE11 cutoff at {fc / 1e9:.4g} GHz, above "
                           f"band.start = {start / 1e9:.4g} GHz: no propagating mode in the band "
                           f"(need radius > {P11_PRIME * c / (2 * np.pi * start):.4g} m)")
        if port_kind != "te11_taper":
            raise port.fail("kind", "a booster with a [cylinder] needs kind = 'te11_taper'")
    elif port_kind != "free_space":
        raise port.fail("kind", "kind = 'te11_taper' needs a [cylinder] table with the radius")

    mirror = top.table("mirror")
    if "perfect" in mirror:
        if not mirror.boolean("perfect"):
            raise mirror.fail("perfect", "set perfect = true, or give the mirror's conductivity instead")
        if "conductivity" in mirror:
            raise mirror.fail("conductivity", "give either perfect = true or a conductivity, not both")
        sigma_m = None
    else:
        sigma_m = float(mirror.quantity("conductivity", "conductivity", minimum=0.0, exclusive=True))
    mirror.finish()

    disks = top.table("disks")
    n = disks.number("count", integer=True, minimum=0)
    thickness = _per_disk(disks, "thickness", "length", n, minimum=0.0)
    eps = _per_disk(disks, "permittivity", "dimensionless", n, minimum=1.0)
    tand = _per_disk(disks, "loss_tangent", "dimensionless", n, minimum=0.0)
    gaps = _per_disk(disks, "gaps", "length", n, minimum=0.0)
    disks.finish()

    b_field = None
    rho = 0.3 * GEV_PER_CM3
    if "experiment" in top:
        exp = top.table("experiment")
        b_field = exp.quantity("b_field", "magnetic_field", None, minimum=0.0, exclusive=True)
        rho = exp.quantity("dm_density", "energy_density", rho, minimum=0.0, exclusive=True)
        exp.finish()
    top.finish()

    try:
        booster = Booster(gaps, thickness, eps, tand, radius=radius, wall_conductivity=wall,
                          mirror_conductivity=sigma_m, output_length=output_length, source=source)
    except InputError as exc:  # pragma: no cover - the checks above catch these first
        raise SetupFileError(exc.reason, path=path, key=f"disks.{exc.key}" if exc.key else None) from None
    return BoosterSetup(path=path, name=name, booster=booster, frequencies=freqs, description=description,
                        reference=reference, b_field=None if b_field is None else float(b_field),
                        dm_density=float(rho), sha256=file_sha256(path))
