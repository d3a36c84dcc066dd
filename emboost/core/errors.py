"""The exceptions emboost raises.

Every error that bad input can cause is an :class:`EmboostError`. Errors about a file carry the
file name, and where known the line and the key, in their message, so that a user can go straight
to the place to fix.

>>> err = SetupFileError("gaps: expected a length", path="cb200.toml", key="disks.gaps")
>>> str(err)
"cb200.toml: key 'disks.gaps': gaps: expected a length"
"""

from __future__ import annotations

from os import PathLike


class EmboostError(Exception):
    """Base class of every error emboost raises on purpose."""


class InputError(EmboostError, ValueError):
    """An input (argument, file or field) is not what was expected.

    Parameters
    ----------
    message:
        What was wrong and what was expected.
    path:
        The file concerned, if any.
    line:
        1-based line number in that file, if known.
    key:
        The dotted key (setup files, recipes) or column concerned, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.key = key
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.key is not None:
            where.append(f"key '{self.key}'")
        return (": ".join(where) + ": " + self.reason) if where else self.reason


class SetupFileError(InputError):
    """A model (setup) file in ``models/`` is malformed or physically impossible."""


class RecipeError(InputError):
    """A fit or campaign recipe is malformed."""


class DataFileError(InputError):
    """A measurement or reference data file (Touchstone, CSV, spectrum, ENR table) is malformed."""


class UnitError(InputError):
    """A quantity has a missing, unknown or dimensionally wrong unit."""


class PhysicsError(EmboostError, ValueError):
    """The inputs are well formed but ask for something outside the model's validity.

    Examples: a frequency band below the cutoff of the guide, an RLC extraction at a frequency
    where dX/dw <= |X|/w (near an internal resonance).
    """


class FitError(EmboostError, RuntimeError):
    """A fit failed to converge or produced an unusable result."""
