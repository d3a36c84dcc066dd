"""Host magnets: field, its direction and profile along the bores, and the helioscope and haloscope figures of merit.

Each magnet has a ``geometry`` that fixes the direction of its field relative to its bores (bore axis = z):

* ``"dipole"`` — a transverse field (along x, by convention) in each bore (CAST, BabyIAXO, the Morpurgo dipole);
* ``"toroid"`` — azimuthal around the toroid's axis, hence also transverse to each bore (IAXO's bores run
  parallel to the toroid axis between the racetrack coils);
* ``"solenoid"`` — axial, along the bore (DMRadio-m3).

The field magnitude along the bore is the catalogue's central value over the field ``length`` (a uniform
profile), or a table ``field_profile`` (CSV, columns ``z_m``, ``b_t``; ``#`` lines are comments) of the field
[T] against the position [m] along the bore, integrated by the trapezoid rule. The helioscope figure of
merit is ``f_M = (int B dz)^2 A`` with ``A`` the total bore area (``B^2 L^2 A`` for a uniform profile, the same
number to rounding); the haloscope figure of merit of one bore is ``A int B^2 dz`` (``B^2 V``; a cavity's scan
rate grows as B^4 V^2 C^2 Q). The catalogue ``models/magnets.toml`` gives each number with its source.

>>> from pathlib import Path
>>> cat = load_magnets(Path(__file__).parents[2] / "models" / "magnets.toml")
>>> round(cat["CAST"].helioscope_fom, 1), round(cat["BabyIAXO"].haloscope_fom_per_bore_uniform, 1)
(20.2, 15.4)
>>> cat["BabyIAXO"].geometry, cat["BabyIAXO"].field_direction, cat["DMRadio-m3"].field_direction
('dipole', (1.0, 0.0, 0.0), (0.0, 0.0, 1.0))
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emboost.core.errors import DataFileError, InputError
from emboost.core.setupfile import Table, read_toml

__all__ = ["Magnet", "FieldProfile", "GEOMETRIES", "field_direction_of", "load_magnets", "read_field_profile"]

#: magnet geometries and the direction of their field in the bore frame (z along the bore)
GEOMETRIES: dict[str, tuple[float, float, float]] = {
    "dipole": (1.0, 0.0, 0.0),
    "toroid": (1.0, 0.0, 0.0),
    "solenoid": (0.0, 0.0, 1.0),
}


def field_direction_of(geometry: str) -> tuple[float, float, float]:
    """Unit vector of the field in the bore frame (z along the bore) for a magnet ``geometry``."""
    try:
        return GEOMETRIES[geometry]
    except KeyError:
        raise InputError(f"unknown magnet geometry {geometry!r}; expected one of {list(GEOMETRIES)}") from None


@dataclass(frozen=True)
class FieldProfile:
    """Field magnitude ``b`` [T] at positions ``z`` [m] along a bore (strictly increasing), from ``source``."""

    z: np.ndarray
    b: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        z = np.asarray(self.z, dtype=float)
        b = np.asarray(self.b, dtype=float)
        if z.ndim != 1 or z.shape != b.shape or z.size < 2:
            raise InputError(f"field profile {self.source!r}: need two equal 1-D columns of at least 2 points")
        if np.any(np.diff(z) <= 0):
            raise InputError(f"field profile {self.source!r}: z must increase strictly")
        if np.any(b < 0) or not np.all(np.isfinite(b)):
            raise InputError(f"field profile {self.source!r}: the field must be finite and >= 0")
        object.__setattr__(self, "z", z)
        object.__setattr__(self, "b", b)

    @classmethod
    def uniform(cls, field: float, length: float) -> FieldProfile:
        """A field ``field`` [T] over ``0 <= z <= length`` [m]."""
        return cls(np.array([0.0, length]), np.array([field, field]), "uniform")

    @property
    def field_integral(self) -> float:
        """``int B dz`` [T m]."""
        return float(np.trapezoid(self.b, self.z))

    @property
    def field_squared_integral(self) -> float:
        """``int B^2 dz`` [T^2 m] (trapezoid rule on B^2)."""
        return float(np.trapezoid(self.b**2, self.z))

    @property
    def length(self) -> float:
        """Span of the table [m]."""
        return float(self.z[-1] - self.z[0])


def read_field_profile(path: str | os.PathLike[str]) -> FieldProfile:
    """Read a field profile CSV (header with ``z_m`` and ``b_t``); errors name the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError("field profile not found", path=path) from None
    rows = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not rows:
        raise DataFileError("empty field profile: expected a header 'z_m,b_t' and data rows", path=path)
    hline, header = rows[0]
    names = [h.strip() for h in next(csv.reader([header]))]
    for col in ("z_m", "b_t"):
        if col not in names:
            raise DataFileError(f"missing column {col!r}; header has {names}", path=path, line=hline, key=col)
    iz, ib = names.index("z_m"), names.index("b_t")
    z: list[float] = []
    b: list[float] = []
    for lineno, ln in rows[1:]:
        cells = next(csv.reader([ln]))
        try:
            zi, bi = float(cells[iz]), float(cells[ib])
        except (ValueError, IndexError):
            raise DataFileError(f"expected numbers in columns z_m and b_t, got {cells}", path=path,
                                line=lineno) from None
        if not (math.isfinite(zi) and math.isfinite(bi)) or bi < 0:
            raise DataFileError("z_m and b_t must be finite, b_t >= 0", path=path, line=lineno)
        if z and zi <= z[-1]:
            raise DataFileError("z_m must increase strictly", path=path, line=lineno, key="z_m")
        z.append(zi)
        b.append(bi)
    if len(z) < 2:
        raise DataFileError("a field profile needs at least 2 rows", path=path)
    return FieldProfile(np.array(z), np.array(b), str(path))


@dataclass(frozen=True)
class Magnet:
    """A magnet: central ``field`` [T], ``bores`` of ``bore_diameter`` [m], field ``length`` [m], its
    ``geometry`` (``"dipole"``, ``"toroid"``, ``"solenoid"``: the field direction relative to the bores) and
    an optional ``profile`` of the field along a bore (None: uniform at ``field`` over ``length``)."""

    name: str
    field: float
    bores: int
    bore_diameter: float
    length: float
    description: str = ""
    geometry: str = "dipole"
    geometry_source: str = ""
    profile: FieldProfile | None = None
    published_helioscope_fom: float | None = None
    published_helioscope_fom_2d: float | None = None
    published_ratio_to_cast: float | None = None

    def __post_init__(self) -> None:
        field_direction_of(self.geometry)

    @property
    def field_direction(self) -> tuple[float, float, float]:
        """Unit vector of the field in the bore frame (z along the bore)."""
        return field_direction_of(self.geometry)

    @property
    def bore_area(self) -> float:
        """Area of one bore [m^2]."""
        return float(np.pi * self.bore_diameter**2 / 4)

    @property
    def bore_volume(self) -> float:
        """Volume of one bore over the field length [m^3]."""
        return self.bore_area * self.length

    @property
    def field_profile(self) -> FieldProfile:
        """The profile along the bore (the uniform one if none was given)."""
        return self.profile if self.profile is not None else FieldProfile.uniform(self.field, self.length)

    @property
    def helioscope_fom_uniform(self) -> float:
        """``B^2 L^2 A`` over all bores [T^2 m^4] with the nominal central field."""
        return self.field**2 * self.length**2 * self.bores * self.bore_area

    @property
    def helioscope_fom(self) -> float:
        """``(int B dz)^2 A`` over all bores [T^2 m^4] (the profile's, or ``B^2 L^2 A`` if uniform)."""
        if self.profile is None:
            return self.helioscope_fom_uniform
        return self.profile.field_integral**2 * self.bores * self.bore_area

    @property
    def haloscope_fom_per_bore_uniform(self) -> float:
        """``B^2 V`` of one bore [T^2 m^3] with the nominal central field."""
        return self.field**2 * self.bore_volume

    @property
    def haloscope_fom_per_bore(self) -> float:
        """``A int B^2 dz`` of one bore [T^2 m^3] (``B^2 V`` if uniform)."""
        if self.profile is None:
            return self.haloscope_fom_per_bore_uniform
        return self.bore_area * self.profile.field_squared_integral


def load_magnets(path: str | os.PathLike[str]) -> dict[str, Magnet]:
    """Read a magnet catalogue; errors name the file and the key. Profiles are relative to the catalogue."""
    path = Path(path)
    top = Table(read_toml(path), path=path)
    head = top.table("setup")
    head.string("kind", choices=("magnets",))
    head.string("name", "")
    head.finish()
    out: dict[str, Magnet] = {}
    for t in top.tables("magnet"):
        name = t.string("name")
        if name in out:
            raise t.fail("name", f"magnet {name!r} appears twice")
        g = t.table("geometry")
        geometry = g.string("type", choices=tuple(GEOMETRIES))
        gsource = g.string("source")
        g.finish()
        prof = None
        ptab = t.table("field_profile", None)
        if ptab is not None:
            ppath = path.parent / ptab.string("file")
            ptab.string("source")
            ptab.finish()
            if not ppath.is_file():
                raise t.fail("field_profile", f"field profile {str(ppath)!r} not found")
            prof = read_field_profile(ppath)
        out[name] = Magnet(
            name=name, description=t.string("description", ""), geometry=geometry, geometry_source=gsource,
            profile=prof,
            field=float(t.quantity("field", "magnetic_field", minimum=0.0, exclusive=True)),
            bores=int(t.number("bores", integer=True, minimum=1)),
            bore_diameter=float(t.quantity("bore_diameter", "length", minimum=0.0, exclusive=True)),
            length=float(t.quantity("length", "length", minimum=0.0, exclusive=True)),
            published_helioscope_fom=t.quantity("published_helioscope_fom", "helioscope_fom", None),
            published_helioscope_fom_2d=t.quantity("published_helioscope_fom_2d", "helioscope_fom", None),
            published_ratio_to_cast=t.number("published_helioscope_fom_ratio_to_cast", None),
        )
        t.finish()
    top.finish()
    return out
