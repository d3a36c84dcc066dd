"""Host magnets: field, bores, length, and their helioscope and haloscope figures of merit.

The helioscope figure of merit is ``f_M = B^2 L^2 A`` with ``A`` the total bore area; the haloscope
figure of merit of one bore is ``B^2 V`` (a cavity's scan rate grows as B^4 V^2 C^2 Q). The
catalogue ``models/magnets.toml`` gives each number with its source.

>>> from pathlib import Path
>>> cat = load_magnets(Path(__file__).parents[2] / "models" / "magnets.toml")
>>> round(cat["CAST"].helioscope_fom, 1), round(cat["BabyIAXO"].haloscope_fom_per_bore, 1)
(20.2, 15.4)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emboost.core.setupfile import Table, read_toml

__all__ = ["Magnet", "load_magnets"]


@dataclass(frozen=True)
class Magnet:
    """A magnet: central ``field`` [T], ``bores`` of ``bore_diameter`` [m], field ``length`` [m]."""

    name: str
    field: float
    bores: int
    bore_diameter: float
    length: float
    description: str = ""
    published_helioscope_fom: float | None = None
    published_helioscope_fom_2d: float | None = None
    published_ratio_to_cast: float | None = None

    @property
    def bore_area(self) -> float:
        """Area of one bore [m^2]."""
        return float(np.pi * self.bore_diameter**2 / 4)

    @property
    def bore_volume(self) -> float:
        """Volume of one bore over the field length [m^3]."""
        return self.bore_area * self.length

    @property
    def helioscope_fom(self) -> float:
        """``B^2 L^2 A`` over all bores [T^2 m^4], with the nominal central field."""
        return self.field**2 * self.length**2 * self.bores * self.bore_area

    @property
    def haloscope_fom_per_bore(self) -> float:
        """``B^2 V`` of one bore [T^2 m^3]."""
        return self.field**2 * self.bore_volume


def load_magnets(path: str | os.PathLike[str]) -> dict[str, Magnet]:
    """Read a magnet catalogue; errors name the file and the key."""
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
        out[name] = Magnet(
            name=name, description=t.string("description", ""),
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
