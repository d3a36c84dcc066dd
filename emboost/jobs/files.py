"""Writing a job's tables: columns of arrays as CSV, and the NetCDF results (atomically, through
:mod:`emboost.core.output`); :func:`read_results` reads a results file back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np

__all__ = ["write_csv", "write_results", "read_results", "netcdf4_available"]


def write_csv(path: str | os.PathLike[str], columns: Mapping[str, np.ndarray | Sequence[float]],
              comments: Iterable[str] = ()) -> None:
    """Equal-length columns (arrays or sequences of numbers) as CSV with ``#`` comment lines first."""
    from emboost.core.output import atomic_write_csv

    atomic_write_csv(path, cast(Mapping[str, Sequence[float]], columns), comments=comments)


# ------------------------------------------------------------------------------------------------ NetCDF
def netcdf4_available() -> bool:
    """True when xarray, h5netcdf and h5py are installed (results are then NetCDF4/HDF5, else NetCDF3)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("xarray", "h5netcdf", "h5py"))


def write_results(path: str | os.PathLike[str], variables: Any, attrs: Mapping[str, Any],
                  say: Callable[[str], None] | None = None) -> str:
    """Write the schema's variables (:mod:`emboost.mc.ncschema`) and global attributes to ``path``, atomically.

    NetCDF4/HDF5 through xarray + h5netcdf when both are installed (``pip install 'emboost[netcdf]'``); else
    NetCDF3 (classic) through scipy with the same variable names, dimensions and CF attributes, and a line
    through ``say`` saying so. Returns ``"NETCDF4"`` or ``"NETCDF3_CLASSIC"``.
    """
    import io
    import tempfile
    from pathlib import Path

    from emboost.core.output import atomic_write_bytes
    from emboost.mc.ncschema import normalise, to_dataset

    path = Path(path)
    if netcdf4_available():
        ds = to_dataset(variables, attrs)
        enc = {k: {"zlib": True, "complevel": 4} for k, v in ds.data_vars.items() if v.ndim >= 1 and v.size > 64}
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".nc-") as tmp:
            t = Path(tmp) / path.name
            ds.to_netcdf(t, engine="h5netcdf", encoding=enc)
            atomic_write_bytes(path, t.read_bytes())
        return "NETCDF4"
    from scipy.io import netcdf_file

    norm = normalise(variables)
    dims: dict[str, int] = {}
    for dd, values, _ in norm.values():
        for d, n in zip(dd, np.shape(values)):
            dims.setdefault(d, n)
    buf = io.BytesIO()
    nc = netcdf_file(buf, "w", version=2)
    for k, v in attrs.items():
        setattr(nc, k, v)
    for d, n in dims.items():
        nc.createDimension(d, n)
    for name, (dd, values, vattrs) in norm.items():
        var = nc.createVariable(name, "d" if values.dtype.kind == "f" else "i", dd)
        var[:] = values
        for k, v in vattrs.items():
            setattr(var, k, v)
    nc.flush()
    atomic_write_bytes(path, buf.getvalue())
    if say is not None:
        say(f"{path.name}: written as NetCDF3 (scipy); install xarray and h5netcdf (pip install 'emboost[netcdf]') "
            "for NetCDF4/HDF5 with compressed per-sample curves")
    return "NETCDF3_CLASSIC"


def read_results(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read an emboost ``results.nc`` (NetCDF4 or NetCDF3) back: ``(arrays by variable name, global attributes)``.

    Uses xarray when installed, else scipy (NetCDF3 only). A file that is not readable raises
    :class:`~emboost.core.errors.DataFileError`.
    """
    from pathlib import Path

    from emboost.core.errors import DataFileError

    path = Path(path)
    if not path.is_file():
        raise DataFileError("results file not found", path=path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic[:3] == b"CDF":
            from scipy.io import netcdf_file

            with netcdf_file(path, "r", mmap=False) as nc:
                arrays = {k: np.array(v[:]) for k, v in nc.variables.items()}
                attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in nc._attributes.items()}
            return arrays, attrs
        import xarray as xr

        with xr.open_dataset(path, engine="h5netcdf") as ds:
            arrays = {str(k): np.asarray(v.values) for k, v in ds.variables.items()}
            return arrays, dict(ds.attrs)
    except ImportError:
        raise DataFileError("a NetCDF4 file needs xarray and h5netcdf to read: pip install 'emboost[netcdf]'",
                            path=path) from None
    except (OSError, ValueError, TypeError) as exc:
        raise DataFileError(f"not a readable NetCDF file: {exc}", path=path) from None
