"""The one NetCDF schema of the Monte-Carlo results (``emboost mc`` and ``emboost derive`` write the same names).

Every variable carries CF attributes (``units``, ``long_name``, and ``standard_name`` where the CF standard
name table has one); the file carries the CF global attributes (``Conventions = "CF-1.10"``, ``title``,
``history``, ``source``) and emboost's own (``emboost_version``, ``code_revision``, ``input_sha256``).
Dimensions: ``frequency`` [Hz], ``quantile`` (levels), ``sample`` (Monte-Carlo sample index). The per-sample
curves (``boost``, ``g``) have dimensions ``(sample, frequency)``; the per-sample scalars (``line_delay``,
``mirror_gap``, the drawn booster and LNA parameters ``booster_<name>`` / ``lna_<name>``) have ``(sample,)``.

This module only names and describes; :func:`to_dataset` builds an ``xarray.Dataset`` (xarray imported
lazily) and :mod:`emboost.jobs.files` writes and reads the files.

>>> describe("boost_std")[0], describe("frequency")[2], describe("booster_gap_1")[0]
('1', 'radiation_frequency', 'm')
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["CONVENTIONS", "VARIABLES", "describe", "global_attributes", "to_dataset", "Variables",
           "booster_unit"]

CONVENTIONS = "CF-1.10"

#: a variable as stored: (dimensions, values) or (dimensions, values, units)
Variables = Mapping[str, "tuple[tuple[str, ...], np.ndarray] | tuple[tuple[str, ...], np.ndarray, str]"]

_BF = "delivered boost factor"
_G = "axion-photon coupling |g_ag| reach at the given SNR"
#: name -> (units, long_name, CF standard_name or "")
VARIABLES: dict[str, tuple[str, str, str]] = {
    "frequency": ("Hz", "frequency", "radiation_frequency"),
    "quantile": ("1", "quantile level of the Monte-Carlo distribution", ""),
    "sample": ("1", "Monte-Carlo sample index", ""),
    "boost_mean": ("1", f"{_BF}, Monte-Carlo mean", ""),
    "boost_std": ("1", f"{_BF}, Monte-Carlo standard deviation (ddof 1)", ""),
    "boost_quantiles": ("1", f"{_BF}, Monte-Carlo quantiles", ""),
    "boost_nominal": ("1", f"{_BF} at the best-fit parameters (no shape factor, no shift)", ""),
    "boost_linear_std": ("1", f"{_BF}, standard deviation by linear propagation", ""),
    "boost_std_without_field_shape": ("1", f"{_BF}, Monte-Carlo standard deviation without the field-shape "
                                           "factor", ""),
    "boost": ("1", f"{_BF} per Monte-Carlo sample", ""),
    "t_sys": ("K", "system noise temperature used for the reach", ""),
    "g_nominal": ("GeV-1", f"{_G}, at the nominal boost factor", ""),
    "g_median": ("GeV-1", f"{_G}, Monte-Carlo median", ""),
    "g_quantiles": ("GeV-1", f"{_G}, Monte-Carlo quantiles", ""),
    "g": ("GeV-1", f"{_G}, per Monte-Carlo sample", ""),
    "line_delay": ("s", "booster-LNA line delay refitted per sample", ""),
    "line_delay_redchi": ("1", "reduced chi-square of the per-sample line-delay refit", ""),
    "mirror_gap": ("m", "mirror gap refitted per sample (NaN when not refitted)", ""),
    "field_shape_factor": ("1", "drawn field-shape factor multiplying the boost factor", ""),
    "frequency_shift": ("Hz", "drawn frequency shift of the boost-factor curve", ""),
    "on_search_edge": ("1", "1 when a per-sample refit ended on the edge of its search window", ""),
    "peak_boost": ("1", f"{_BF} per sample at the frequency of the band's peak mean", ""),
    "budget_total_linear_std": ("1", f"{_BF}, total linear 1-sigma of the uncertainty budget", ""),
}
_LNA = {"sqrt_sv": ("V Hz-0.5", "LNA voltage noise density sqrt(S_v)"),
        "sqrt_si": ("A Hz-0.5", "LNA current noise density sqrt(S_i)"),
        "rho_mag": ("1", "magnitude of the LNA noise correlation coefficient"),
        "rho_phase": ("rad", "phase of the LNA noise correlation coefficient")}


def booster_unit(name: str) -> str:
    """The SI unit of a booster fit parameter by its name (gaps, thicknesses, phase thicknesses sqrt(eps) t,
    positions: m; other phases: rad; loss tangent and the rest: 1). Callers that know the fit's units pass them."""
    if name.startswith(("gap", "thickness", "phase_thickness", "position", "mirror_gap", "spacing")):
        return "m"
    if "phase" in name or name.endswith("_rad"):
        return "rad"
    if name.startswith("delay") or name.endswith("_delay"):
        return "s"
    return "1"


def describe(name: str, units: str | None = None) -> tuple[str, str, str]:
    """``(units, long_name, standard_name)`` of a variable of the schema (``standard_name`` "" when CF has
    none). Patterns: ``budget_<source>_std``, ``budget_path_<path>_std``, ``booster_<param>``, ``lna_<param>``."""
    if name in VARIABLES:
        u, ln, sn = VARIABLES[name]
        return (units or u), ln, sn
    if name.startswith("budget_path_") and name.endswith("_std"):
        return units or "1", f"{_BF}, linear 1-sigma through the {name[12:-4]} path", ""
    if name.startswith("budget_") and name.endswith("_std"):
        return units or "1", f"{_BF}, linear 1-sigma from the {name[7:-4]} uncertainty", ""
    if name.startswith("lna_") and name[4:] in _LNA:
        u, ln = _LNA[name[4:]]
        return units or u, f"{ln}, drawn per sample", ""
    if name.startswith("booster_"):
        return units or booster_unit(name[8:]), f"booster fit parameter {name[8:]}, drawn per sample", ""
    raise KeyError(f"{name!r} is not a variable of the emboost results schema")


def global_attributes(title: str, source: str, inputs: Mapping[str, str] | None = None,
                      **extra: Any) -> dict[str, Any]:
    """The global attributes: CF (Conventions, title, history, source) and emboost's (version, code revision,
    input hashes as ``"path sha256"`` lines). ``extra`` values that are not str/int/float are stored as text."""
    from emboost.core.version import __version__, code_revision

    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    attrs: dict[str, Any] = {
        "Conventions": CONVENTIONS, "title": title,
        "history": f"{now} created by emboost {__version__}: {' '.join(sys.argv) or 'python'}",
        "source": source, "references": "emboost documentation: docs/ecosystem.md (NetCDF schema)",
        "emboost_version": __version__, "code_revision": code_revision() or "unknown",
        "input_sha256": "\n".join(f"{p} {h}" for p, h in (inputs or {}).items()),
    }
    for k, v in extra.items():
        attrs[k] = v if isinstance(v, (str, int, float)) and not isinstance(v, bool) else str(v)
    return attrs


def normalise(variables: Variables) -> dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]]:
    """Each variable as ``(dims, values, attrs)`` with its CF attributes; booleans as int8 flags."""
    out = {}
    for name, spec in variables.items():
        dims, values = spec[0], np.asarray(spec[1])
        units = spec[2] if len(spec) > 2 else None
        if values.dtype.kind == "b":
            values = values.astype(np.int32)
        u, ln, sn = describe(name, units)
        attrs = {"units": u, "long_name": ln}
        if sn:
            attrs["standard_name"] = sn
        if name == "on_search_edge":
            attrs["flag_values"] = "0 1"  # text: NetCDF3 and NetCDF4 alike
            attrs["flag_meanings"] = "inside_window on_window_edge"
        out[name] = (tuple(dims), values, attrs)
    return out


def to_dataset(variables: Variables, attrs: Mapping[str, Any]) -> Any:
    """An ``xarray.Dataset`` of the schema's variables (coordinates ``frequency``, ``quantile``, ``sample``)."""
    try:
        import xarray as xr
    except ImportError:
        from emboost.core.errors import InputError

        raise InputError("to_xarray needs xarray: pip install 'emboost[netcdf]'") from None
    norm = normalise(variables)
    coords = {k: v for k, v in norm.items() if k in ("frequency", "quantile", "sample")}
    data = {k: v for k, v in norm.items() if k not in coords}
    return xr.Dataset(data_vars=data, coords=coords, attrs=dict(attrs))


def sample_variables(boost: np.ndarray, tau: np.ndarray, gap: np.ndarray, tau_redchi: np.ndarray,
                     shape: np.ndarray, shift: np.ndarray, on_bound: np.ndarray, booster: np.ndarray,
                     booster_names: Sequence[str], booster_units: Sequence[str] | None,
                     lna: np.ndarray) -> dict[str, Any]:
    """The per-sample variables (dimension ``sample``) of a Monte-Carlo run."""
    n = boost.shape[0]
    v: dict[str, Any] = {
        "sample": (("sample",), np.arange(n, dtype=np.int32)),
        "boost": (("sample", "frequency"), boost),
        "line_delay": (("sample",), tau), "line_delay_redchi": (("sample",), tau_redchi),
        "mirror_gap": (("sample",), gap), "field_shape_factor": (("sample",), shape),
        "frequency_shift": (("sample",), shift), "on_search_edge": (("sample",), np.asarray(on_bound, bool)),
    }
    for i, nm in enumerate(booster_names):
        u = booster_units[i] if booster_units is not None else booster_unit(nm)
        v[f"booster_{nm}"] = (("sample",), booster[:, i], u)
    for i, nm in enumerate(_LNA):
        v[f"lna_{nm}"] = (("sample",), lna[:, i])
    return v
