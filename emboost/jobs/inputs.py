"""Load-once access to a job's input files.

One :class:`Inputs` object is made per job (``emboost fit``, ``emboost mc``, ``emboost derive``); every
stage asks it for the files it needs, and each file is read and parsed at most once. ``reads`` counts
the parses per (kind, path), so a job's input traffic can be checked.

>>> from pathlib import Path
>>> inp = Inputs()
>>> p = Path(__file__).parents[2] / "examples" / "campaign_cb200" / "data" / "lna_s11.s1p"
>>> a = inp.lna(p); b = inp.lna(p)
>>> bool((a.gamma == b.gamma).all()), inp.reads[("touchstone", str(p.resolve()))]
(True, 1)
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emboost.booster.setup import BoosterSetup
    from emboost.noise.amplifier import LNA, NoiseSources
    from emboost.noise.calibration import ENRTable
    from emboost.noise.spectra import Spectrum
    from emboost.rf.touchstone import SParameterData

__all__ = ["Inputs"]


def _key(path: str | os.PathLike[str]) -> str:
    return str(Path(path).resolve())


@dataclass
class Inputs:
    """The parsed input files of one job, each read once (keys: resolved paths)."""

    reads: Counter[tuple[str, str]] = field(default_factory=Counter)
    _cache: dict[tuple[str, str], object] = field(default_factory=dict, repr=False)

    def _get(self, kind: str, path: str | os.PathLike[str]) -> object | None:
        return self._cache.get((kind, _key(path)))

    def _put(self, kind: str, path: str | os.PathLike[str], value: object) -> None:
        self.reads[(kind, _key(path))] += 1
        self._cache[(kind, _key(path))] = value

    def touchstone(self, path: str | os.PathLike[str]) -> SParameterData:
        """A Touchstone file (:func:`emboost.rf.touchstone.read_touchstone`)."""
        from emboost.rf.touchstone import SParameterData, read_touchstone

        v = self._get("touchstone", path)
        if not isinstance(v, SParameterData):
            v = read_touchstone(path)
            self._put("touchstone", path, v)
        return v

    def lna(self, path: str | os.PathLike[str], sources: NoiseSources | None = None) -> LNA:
        """The LNA with the input reflection (S11) of a Touchstone file and ``sources`` (default: noiseless)."""
        from emboost.noise.amplifier import LNA, NoiseSources

        ts = self.touchstone(path)
        return LNA(sources if sources is not None else NoiseSources(0.0, 0.0), ts.frequency, ts.parameter("S11"),
                   source_file=str(path))

    def spectrum(self, path: str | os.PathLike[str], columns: list[str] | tuple[str, ...] = ()) -> Spectrum:
        """A spectrum file (:func:`emboost.noise.spectra.read_spectrum`); ``columns`` must be present."""
        from emboost.noise.spectra import Spectrum, read_spectrum

        v = self._get("spectrum", path)
        if not isinstance(v, Spectrum):
            v = read_spectrum(path)
            self._put("spectrum", path, v)
        for c in columns:
            v.column(c)
        return v

    def setup(self, path: str | os.PathLike[str]) -> BoosterSetup:
        """A booster setup file (:func:`emboost.booster.setup.load_booster_setup`)."""
        from emboost.booster.setup import BoosterSetup, load_booster_setup

        v = self._get("setup", path)
        if not isinstance(v, BoosterSetup):
            v = load_booster_setup(path)
            self._put("setup", path, v)
        return v

    def enr(self, path: str | os.PathLike[str], sigma_db: float) -> ENRTable:
        """An ENR certificate table with its 1-sigma [dB]."""
        from emboost.noise.calibration import ENRTable

        v = self._get(f"enr:{sigma_db!r}", path)
        if not isinstance(v, ENRTable):
            v = ENRTable.from_file(path, sigma_db)
            self._put(f"enr:{sigma_db!r}", path, v)
        return v

    def text(self, path: str | os.PathLike[str]) -> str:
        """A text file (JSON results, truth tables)."""
        from emboost.core.errors import DataFileError

        v = self._get("text", path)
        if not isinstance(v, str):
            try:
                v = Path(path).read_text()
            except FileNotFoundError:
                raise DataFileError("file not found", path=path) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise DataFileError(f"not a readable text file: {exc}", path=path) from None
            self._put("text", path, v)
        return v

    def counts(self) -> dict[str, int]:
        """Parses per file path (all kinds together)."""
        out: Counter[str] = Counter()
        for (_, p), n in self.reads.items():
            out[p] += n
        return dict(out)
