"""The DMRadio-m3 coaxial pickup: impedance, series-RLC tuning and axion-induced voltage (physics.md §4).

A coax of length ``l``, inner radius ``r_i`` and outer radius ``r_o``, shorted at the bottom by a plate
and read across a lumped gap at the top. Two sources of the pickup impedance ``Z_PU(f)``:

* :class:`CoaxPickup`: the transmission-line model (eq. 2 with loss), built on
  :class:`emboost.rf.media.Coax` with the surface resistance of a :class:`CopperModel`; the shorting plate
  is a load ``R_s ln(r_o/r_i) / 2 pi``;
* :class:`TablePickup`: a stored table (an FEM export with columns f, Re Z, Im Z; optionally f, Re V,
  Im V per unit axion current), interpolated with cubic splines in omega, as the paper does. The
  resistance of a room-temperature table is divided by the copper improvement r(f).

:func:`tune` turns either into the total series RLC at ``f0`` (physics.md (6)-(7), via
:mod:`emboost.rf.rlc`): pickup + SQUID input inductance + a tuning capacitor or inductor (with parasitic
loss), giving ``L_eff``, ``R_eff``, ``Q``. The axion-induced open-circuit voltage (distributed-source
line, §4.4) is :meth:`CoaxPickup.voltage`; it scales as ``g sqrt(rho) B`` through ``J_a``.

Sign of V_PU: inner-minus-outer potential at the gap for an axion current along +z (peak amplitude).

>>> p = CoaxPickup(length=1.68, r_inner=0.20, r_outer=0.45, copper=CopperModel("constant", factor=6.0))
>>> round(float(p.characteristic_impedance), 2), round(p.te11_cutoff_exact / 1e6, 1)
(48.62, 149.8)
>>> t = tune(p, [30e6], Tuning())
>>> round(float(t.l_eff[0]) * 1e7, 2), round(float(t.q[0]) / 1e5, 2)
(7.91, 1.02)
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, special
from scipy.interpolate import CubicSpline

from emboost.core.constants import c, mu0
from emboost.core.conventions import ArrayLike
from emboost.core.errors import DataFileError, InputError, PhysicsError
from emboost.pickup.conductor import Conductor
from emboost.rf.materials import F_REF_CU, R_REF_CU, SIGMA_CU_RT, anomalous_factor, surface_resistance
from emboost.rf.media import Coax
from emboost.rf.rlc import SeriesRLC, series_rlc_from_derivative

__all__ = [
    "CopperModel",
    "CoaxPickup",
    "TablePickup",
    "Tuning",
    "TunedPickup",
    "tune",
    "read_complex_table",
    "coax_te11_cutoff",
]

COPPER_KINDS = ("room_temperature", "constant", "scaled")


@dataclass(frozen=True)
class CopperModel:
    """Surface resistance of the pickup's copper (physics.md §4.6, eqs. 11-13).

    ``kind``:

    * ``"room_temperature"``: ``R_s = sqrt(w mu0 / 2 sigma)`` (eq. 11);
    * ``"constant"``: ``R_s,RT / factor`` (the paper's conservative baseline: factor r = 6);
    * ``"scaled"``: ``R_s,RT / r(f)`` with ``r(f) = r_ref (f_ref/f)^(1/6) (1 - magnetoresistance)``
      (eq. 13, :func:`emboost.rf.materials.anomalous_factor`).

    >>> m = CopperModel("scaled", magnetoresistance=0.2)
    >>> [round(float(m.improvement(f)), 2) for f in (5e6, 30e6, 200e6)]
    [11.06, 8.2, 5.98]
    """

    kind: str = "constant"
    conductivity: float = SIGMA_CU_RT
    factor: float = 6.0
    r_ref: float = R_REF_CU
    f_ref: float = F_REF_CU
    magnetoresistance: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in COPPER_KINDS:
            raise InputError(f"unknown copper model {self.kind!r}; expected one of {list(COPPER_KINDS)}")
        if not (self.conductivity > 0 and self.factor > 0 and self.r_ref > 0 and self.f_ref > 0):
            raise InputError("copper conductivity, factor, r_ref and f_ref must be positive")
        if not 0 <= self.magnetoresistance < 1:
            raise InputError(f"magnetoresistance penalty must lie in [0, 1), got {self.magnetoresistance}")

    def improvement(self, f: ArrayLike) -> np.ndarray:
        """``r(f) = R_s,RT / R_s`` (1 for room temperature)."""
        f = np.asarray(f, dtype=float)
        if self.kind == "room_temperature":
            return np.ones_like(f)
        if self.kind == "constant":
            return np.full_like(f, self.factor)
        return anomalous_factor(f, self.r_ref, self.f_ref, self.magnetoresistance)

    def surface_resistance(self, f: ArrayLike) -> np.ndarray:
        """``R_s(f)`` [ohm]."""
        return surface_resistance(f, self.conductivity) / self.improvement(f)

    def surface_impedance(self, f: ArrayLike) -> np.ndarray:
        """``Z_s = R_s (1 + j)`` [ohm]: the classical relation ``X_s = R_s`` (the internal inductance of the
        skin layer) kept for the scaled resistance; :class:`emboost.pickup.conductor.Conductor` gives the
        anomalous ``X_s`` instead."""
        return self.surface_resistance(f) * (1 + 1j)


@functools.lru_cache(maxsize=256)
def coax_te11_cutoff(r_inner: float, r_outer: float) -> float:
    """Exact TE11 cutoff [Hz] of a coax: smallest root of ``J1'(ka) Y1'(kb) - J1'(kb) Y1'(ka)``.

    >>> round(coax_te11_cutoff(0.25, 0.60) / 1e6, 1)
    114.7
    """
    a, b = float(r_inner), float(r_outer)

    def g(k: float) -> float:
        return special.jvp(1, k * a) * special.yvp(1, k * b) - special.jvp(1, k * b) * special.yvp(1, k * a)

    k0 = 2.0 / (a + b)  # long-wavelength estimate, eq. (4)
    ks = np.linspace(0.5 * k0, 1.5 * k0, 201)
    vals = special.jvp(1, ks * a) * special.yvp(1, ks * b) - special.jvp(1, ks * b) * special.yvp(1, ks * a)
    idx = np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]
    if idx.size == 0:  # pragma: no cover - the estimate is always within +-50 %
        raise PhysicsError(f"no TE11 cutoff found near k = {k0:.4g} 1/m for radii ({a}, {b}) m")
    k = optimize.brentq(g, ks[idx[0]], ks[idx[0] + 1], xtol=1e-14, rtol=1e-14)
    return float(k * c / (2 * np.pi))


def _slope(fun: Callable[[np.ndarray], np.ndarray], f: np.ndarray, rel: float = 1e-5) -> np.ndarray:
    """``dX/dw`` of ``X = Im fun(f)`` by a central difference (relative step ``rel``; error ~ rel^2)."""
    df = rel * f
    return (fun(f + df).imag - fun(f - df).imag) / (4 * np.pi * df)


class _PickupBase:
    """What :func:`tune` and the scan rate need from a pickup."""

    name: str

    def impedance(self, f: ArrayLike) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def impedance_and_slope(self, f: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """``Z_PU(f)`` [ohm] and ``dX/dw`` [ohm s] at ``f`` [Hz]."""
        f = np.asarray(f, dtype=float)
        return self.impedance(f), _slope(self.impedance, f)

    def te111_frequency(self) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def to_network(self, f: Any = None, **kwargs: Any) -> Any:
        """The pickup's impedance as a one-port ``skrf.Network`` at ``f`` [Hz].

        Through :func:`emboost.rf.skrf_bridge.pickup_network`; keyword arguments (``s_def``, ``z0``, ...) go to it.
        """
        from emboost.rf.skrf_bridge import pickup_network

        return pickup_network(self, f, **kwargs)


@dataclass(frozen=True)
class CoaxPickup(_PickupBase):
    """Transmission-line model of a coax shorted at the bottom, seen at the top gap.

    Parameters [SI]: ``length`` l, ``r_inner``, ``r_outer``; ``hollow`` inner conductor (the axion
    current inside it links the annulus too, §4.4); ``copper`` gives ``R_s(f)`` of the walls;
    ``plate`` includes the impedance ``Z_s ln(r_o/r_i)/2 pi`` of the shorting plate (complex: ``R + jX``
    with the surface reactance, unless ``plate_reactance`` is off); ``internal_inductance`` adds the walls'
    surface reactance ``X_s (1/r_i + 1/r_o) / 2 pi`` per unit length to ``j w L'`` (the conductor's internal
    inductance; the line is then ``Z' = Z_s (1/r_i + 1/r_o)/2 pi + j w L'``, ``Y' = j w C'``). The wall material
    has no default: ``copper`` must be a :class:`CopperModel` or a :class:`emboost.pickup.conductor.Conductor`
    (in a model file, the ``[copper]`` table or ``[conductor]``).
    """

    length: float
    r_inner: float
    r_outer: float
    hollow: bool = True
    copper: CopperModel | Conductor | None = None
    plate: bool = True
    name: str = "coax"
    internal_inductance: bool = True
    plate_reactance: bool = True

    def __post_init__(self) -> None:
        if not (np.isfinite(self.length) and self.length > 0):
            raise InputError(f"{self.name}: length must be positive, got {self.length} m")
        if not (self.r_inner > 0 and self.r_outer > self.r_inner):
            raise InputError(f"{self.name}: need 0 < r_inner < r_outer, got r_inner = {self.r_inner} m, "
                             f"r_outer = {self.r_outer} m")
        if self.copper is None:
            raise InputError(f"{self.name}: no wall conductor given: pass copper=CopperModel(...) or Conductor(...) "
                             "(model file: the [copper] or [conductor] table)", key="copper")

    # --- geometry ------------------------------------------------------------------------------
    @property
    def medium(self) -> Coax:
        """The lossy line (:class:`emboost.rf.media.Coax`) with this copper."""
        return Coax(self.r_inner, self.r_outer, surface_resistance=self._walls().surface_resistance)  # type: ignore[arg-type]

    @property
    def characteristic_impedance(self) -> float:
        """``Z_c = (Z0 / 2 pi) ln(r_o / r_i)`` [ohm] (eq. 3)."""
        return float(Coax(self.r_inner, self.r_outer).characteristic_impedance)

    @property
    def quarter_wave_frequency(self) -> float:
        """``c / 4l`` [Hz]: first parallel (open-top) resonance."""
        return c / (4 * self.length)

    @property
    def half_wave_frequency(self) -> float:
        """``c / 2l`` [Hz]: first series resonance (Z_PU = 0)."""
        return c / (2 * self.length)

    @property
    def dc_inductance(self) -> float:
        """Lumped limit ``L = mu0 l ln(r_o/r_i) / 2 pi`` [H]."""
        return mu0 * self.length * math.log(self.r_outer / self.r_inner) / (2 * np.pi)

    @property
    def te11_cutoff_approx(self) -> float:
        """``c / (pi (r_i + r_o))`` [Hz] (eq. 4)."""
        return c / (np.pi * (self.r_inner + self.r_outer))

    @property
    def te11_cutoff_exact(self) -> float:
        """Exact Bessel TE11 cutoff [Hz] (:func:`coax_te11_cutoff`)."""
        return coax_te11_cutoff(float(self.r_inner), float(self.r_outer))

    def te111_frequency(self, exact: bool = True) -> float:
        """TE111 estimate ``sqrt(f_c^2 + (c/4l)^2)`` [Hz] (one end reactive, §4.1)."""
        fc = self.te11_cutoff_exact if exact else self.te11_cutoff_approx
        return math.hypot(fc, self.quarter_wave_frequency)

    # --- impedance -----------------------------------------------------------------------------
    def _walls(self) -> CopperModel | Conductor:
        if self.copper is None:  # pragma: no cover - refused in __post_init__
            raise InputError(f"{self.name}: no wall conductor given", key="copper")
        return self.copper

    def _surface_impedance(self, f: ArrayLike) -> np.ndarray:
        return np.asarray(self._walls().surface_impedance(np.asarray(f, dtype=float)), dtype=complex)

    def plate_impedance(self, f: ArrayLike) -> np.ndarray:
        """Impedance of the shorting plate ``Z_s ln(r_o/r_i) / 2 pi`` [ohm] (complex, R + jX; its real part
        only without ``plate_reactance``; 0 if ``plate`` is off)."""
        zs = self._surface_impedance(f)
        if not self.plate_reactance:
            zs = zs.real + 0j
        return zs * math.log(self.r_outer / self.r_inner) / (2 * np.pi) * float(self.plate)

    def series_impedance_per_length(self, f: ArrayLike) -> np.ndarray:
        """``Z' = Z_s (1/r_i + 1/r_o) / 2 pi + j w L'`` [ohm/m] (only R_s without ``internal_inductance``)."""
        fa = np.asarray(f, dtype=float)
        zs = self._surface_impedance(fa)
        if not self.internal_inductance:
            zs = zs.real + 0j
        lossless = Coax(self.r_inner, self.r_outer)
        return (zs * (1 / self.r_inner + 1 / self.r_outer) / (2 * np.pi)
                + 2j * np.pi * fa * float(lossless.inductance_per_length))

    def _line(self, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = self.series_impedance_per_length(f)
        y = 2j * np.pi * f * float(Coax(self.r_inner, self.r_outer).capacitance_per_length)
        gamma, zc = np.sqrt(z * y), np.sqrt(z / y)
        return gamma * self.length, zc, self.plate_impedance(f) / zc

    def impedance(self, f: ArrayLike) -> np.ndarray:
        """``Z_PU(f)`` [ohm] at the gap: ``Z_c (Z_L + Z_c tanh(gl)) / (Z_c + Z_L tanh(gl))``."""
        f = _freqs(f)
        gl, zc, zeta = self._line(f)
        t = np.tanh(gl)
        return zc * (zeta + t) / (1 + zeta * t)

    def impedance_lossless(self, f: ArrayLike) -> np.ndarray:
        """Eq. (2): ``j Z_c tan(w l / c)`` [ohm]."""
        f = _freqs(f)
        return 1j * self.characteristic_impedance * np.tan(2 * np.pi * f * self.length / c)

    # --- axion source --------------------------------------------------------------------------
    def flux_per_length(self, j_a: ArrayLike) -> np.ndarray:
        """Quasi-static flux per unit length linking the annulus [Wb/m] for axion current ``j_a`` [A/m^2].

        Solid: ``(mu0 J/2) [(r_o^2 - r_i^2)/2 - r_i^2 ln(r_o/r_i)]``; hollow: ``(mu0 J/2)(r_o^2 - r_i^2)/2``.
        """
        a, b = self.r_inner, self.r_outer
        geo = (b * b - a * a) / 2 - (0.0 if self.hollow else a * a * math.log(b / a))
        return mu0 * np.asarray(j_a, dtype=float) / 2 * geo

    def voltage(self, f: ArrayLike, j_a: ArrayLike) -> np.ndarray:
        """Open-circuit axion voltage ``V_PU(f)`` [V, peak] of the distributed-source line (§4.4).

        A series EMF ``-j w Phi'`` per unit length, weighted by the current distribution of the
        port-driven line: ``V = -j w Phi' [sinh gl + zeta (cosh gl - 1)] / (gamma [cosh gl + zeta sinh gl])``
        with ``zeta = Z_plate / Z_c``; lossless, ideal short: ``|V| = w Phi' tan(beta l) / beta``.
        ``j_a`` broadcasts against ``f`` (use :func:`emboost.core.axion.axion_current_density`).
        """
        f = _freqs(f)
        gl, zc, zeta = self._line(f)
        gamma = gl / self.length
        w = 2 * np.pi * f
        shape = (np.sinh(gl) + zeta * (np.cosh(gl) - 1)) / (gamma * (np.cosh(gl) + zeta * np.sinh(gl)))
        return -1j * w * self.flux_per_length(j_a) * shape


def _freqs(f: ArrayLike) -> np.ndarray:
    f = np.atleast_1d(np.asarray(f, dtype=float))
    if f.ndim != 1:
        raise InputError(f"frequencies must be a 1-D array of Hz, got shape {f.shape}")
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise InputError("frequencies must be finite and positive")
    return f


def read_complex_table(path: str | PathLike[str], re_column: str, im_column: str,
                       f_column: str = "f_hz") -> tuple[np.ndarray, np.ndarray]:
    """Read ``f`` [Hz] and a complex column pair from a CSV with a header (``#`` lines are comments).

    Errors (:class:`~emboost.core.errors.DataFileError`) name the file, the line and the column.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read CSV table: {exc}", path=path) from None
    rows = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not rows:
        raise DataFileError("empty table: expected a header line and data rows", path=path)
    hline, header = rows[0]
    names = [h.strip() for h in next(csv.reader([header]))]
    for col in (f_column, re_column, im_column):
        if col not in names:
            raise DataFileError(f"missing column {col!r}; header has {names}", path=path, line=hline, key=col)
    idx = [names.index(col) for col in (f_column, re_column, im_column)]
    data = []
    for lineno, ln in rows[1:]:
        cells = next(csv.reader([ln]))
        if len(cells) != len(names):
            raise DataFileError(f"expected {len(names)} columns, got {len(cells)}", path=path, line=lineno)
        try:
            vals = [float(cells[j]) for j in idx]
        except ValueError:
            raise DataFileError(f"not a number in {[cells[j] for j in idx]}", path=path, line=lineno) from None
        if not all(math.isfinite(v) for v in vals):
            raise DataFileError("non-finite value", path=path, line=lineno)
        data.append(vals)
    if len(data) < 4:
        raise DataFileError(f"need at least 4 data rows for cubic splines, got {len(data)}", path=path)
    arr = np.array(data)
    f = arr[:, 0]
    bad = np.nonzero(np.diff(f) <= 0)[0]
    if bad.size:
        raise DataFileError(f"frequencies must increase strictly (row {bad[0] + 2} of the data repeats or "
                            "goes back)", path=path, key=f_column)
    if f[0] <= 0:
        raise DataFileError("frequencies must be positive", path=path, key=f_column)
    return f, arr[:, 1] + 1j * arr[:, 2]


@dataclass(frozen=True)
class TablePickup(_PickupBase):
    """A pickup known from stored tables (e.g. an FEM export), cubic splines in omega.

    ``frequencies`` [Hz] and ``impedances`` [ohm] (room-temperature copper when ``copper`` is given:
    Re Z is then divided by ``copper.improvement(f)``, the paper's procedure); optional
    ``voltage_frequencies`` / ``voltages_per_ja`` [V per A/m^2]. ``te111`` [Hz] bounds its use in a scan.
    ``source`` names the file(s) for error messages.
    """

    frequencies: np.ndarray
    impedances: np.ndarray
    voltage_frequencies: np.ndarray | None = None
    voltages_per_ja: np.ndarray | None = None
    copper: CopperModel | Conductor | None = None
    te111: float = math.inf
    name: str = "table"
    source: str = "<table>"

    def _check(self, f: np.ndarray, fr: np.ndarray, what: str) -> None:
        if np.any(f < fr[0]) or np.any(f > fr[-1]):
            bad = f[(f < fr[0]) | (f > fr[-1])][0]
            raise InputError(f"{what}: f = {bad:.6g} Hz is beyond the table [{fr[0]:.6g}, {fr[-1]:.6g}] Hz "
                             "(no extrapolation)", path=self.source, key="f")

    def _splines(self) -> tuple[CubicSpline, CubicSpline]:
        w = 2 * np.pi * np.asarray(self.frequencies, dtype=float)
        z = np.asarray(self.impedances, dtype=complex)
        return CubicSpline(w, z.real), CubicSpline(w, z.imag)

    def impedance_and_slope(self, f: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        f = _freqs(f)
        self._check(f, np.asarray(self.frequencies), "impedance")
        sr, sx = self._splines()
        w = 2 * np.pi * f
        r = sr(w)
        if self.copper is not None:
            r = r / self.copper.improvement(f)
        return r + 1j * sx(w), sx(w, 1)

    def impedance(self, f: ArrayLike) -> np.ndarray:
        return self.impedance_and_slope(f)[0]

    def voltage(self, f: ArrayLike, j_a: ArrayLike) -> np.ndarray:
        """``V_PU(f)`` [V] = spline of the per-unit-J_a table times ``j_a``."""
        if self.voltages_per_ja is None or self.voltage_frequencies is None:
            raise InputError("this pickup has no voltage table", path=self.source, key="voltage_table")
        f = _freqs(f)
        fr = np.asarray(self.voltage_frequencies, dtype=float)
        self._check(f, fr, "voltage")
        v = np.asarray(self.voltages_per_ja, dtype=complex)
        w, wr = 2 * np.pi * f, 2 * np.pi * fr
        return (CubicSpline(wr, v.real)(w) + 1j * CubicSpline(wr, v.imag)(w)) * np.asarray(j_a)

    def te111_frequency(self, exact: bool = True) -> float:
        return self.te111


TUNER_KINDS = ("auto", "capacitor", "inductor")


@dataclass(frozen=True)
class Tuning:
    """The tuning element and the SQUID input coil in series with the pickup.

    ``element``: ``"capacitor"`` (needs X_PU + w L_sq > 0, below c/4l), ``"inductor"`` (needs it < 0)
    or ``"auto"`` (whichever fits). Parasitic loss: ``quality_factor`` (``R_t = |X_t| / Q_t``) and/or a
    fixed ``series_resistance`` [ohm]. ``squid_inductance`` [H] is the SQUID input inductance.
    """

    element: str = "auto"
    quality_factor: float = math.inf
    series_resistance: float = 0.0
    squid_inductance: float = 0.0

    def __post_init__(self) -> None:
        if self.element not in TUNER_KINDS:
            raise InputError(f"unknown tuning element {self.element!r}; expected one of {list(TUNER_KINDS)}")
        if not self.quality_factor > 0 or self.series_resistance < 0 or self.squid_inductance < 0:
            raise InputError("tuning: quality_factor > 0, series_resistance >= 0, squid_inductance >= 0")


@dataclass(frozen=True)
class TunedPickup:
    """The tuned series circuit at each ``frequency`` (arrays of shape ``(nf,)``, SI units).

    ``pickup`` is the Laurent RLC of Z_PU alone; ``total`` the series RLC of pickup + SQUID coil +
    tuner (resonant at ``frequency``); ``capacitive`` is True where the tuner is a capacitor;
    ``tuner_value`` its C [F] or L [H]. Entries are NaN where no RLC exists (``strict=False``).
    """

    frequency: np.ndarray
    impedance: np.ndarray
    slope: np.ndarray
    pickup: SeriesRLC
    total: SeriesRLC
    capacitive: np.ndarray
    tuner_value: np.ndarray

    @property
    def l_eff(self) -> np.ndarray:
        """Total series inductance ``L_eff`` [H]."""
        return np.asarray(self.total.inductance)

    @property
    def r_eff(self) -> np.ndarray:
        """Total series resistance ``R_eff`` [ohm]."""
        return np.asarray(self.total.resistance)

    @property
    def q(self) -> np.ndarray:
        """``Q = w0 L_eff / R_eff``."""
        return 2 * np.pi * self.frequency * self.l_eff / self.r_eff


def tune(pickup: _PickupBase, f0: ArrayLike, tuning: Tuning, *, strict: bool = True) -> TunedPickup:
    """Tune ``pickup`` to resonance at each ``f0`` [Hz] and return the total series RLC.

    The pickup's Laurent RLC (eq. 6) comes from :func:`emboost.rf.rlc.series_rlc_from_derivative`, which
    refuses (:class:`~emboost.core.errors.PhysicsError`) where ``dX/dw <= |X|/w``; with ``strict=False``
    those frequencies get NaN instead (used when scanning a band). The tuner cancels
    ``X_PU + w L_sq``; its slope is ``|X_PU + w L_sq| / w`` for a lossless C or L.
    """
    f0 = _freqs(f0)
    z, xp = pickup.impedance_and_slope(f0)
    w = 2 * np.pi * f0
    ok = xp > np.abs(z.imag) / w
    if strict and not np.all(ok):
        series_rlc_from_derivative(f0, z, xp)  # raises with the standard message
    nan = np.full_like(f0, np.nan)
    rp, lp, cp = nan.copy(), nan.copy(), nan.copy()
    if np.any(ok):
        rlc = series_rlc_from_derivative(f0[ok], z[ok], xp[ok])
        rp[ok], lp[ok], cp[ok] = rlc.resistance, rlc.inductance, rlc.capacitance
    x_series = z.imag + w * tuning.squid_inductance  # reactance the tuner must cancel
    if tuning.element == "capacitor":
        capacitive = np.ones_like(f0, dtype=bool)
    elif tuning.element == "inductor":
        capacitive = np.zeros_like(f0, dtype=bool)
    else:
        capacitive = x_series > 0
    wrong = np.where(capacitive, x_series <= 0, x_series >= 0)
    if strict and np.any(wrong):
        fb = f0[wrong][0]
        raise PhysicsError(f"a tuning {'capacitor' if capacitive[wrong][0] else 'inductor'} cannot resonate "
                           f"the pickup at {fb:.6g} Hz (X_PU + w L_sq = {x_series[wrong][0]:.4g} ohm); "
                           "use element = 'auto' or the other element")
    ok &= ~wrong
    with np.errstate(divide="ignore", invalid="ignore"):
        c_t = np.where(capacitive, 1.0 / (w * x_series), np.inf)
        l_t = np.where(capacitive, 0.0, -x_series / w)
        r_t = np.abs(x_series) / tuning.quality_factor + tuning.series_resistance
        tuner = SeriesRLC(r_t, l_t + tuning.squid_inductance, c_t)
        total = SeriesRLC(rp, lp, cp).in_series(tuner)
        value = np.where(capacitive, c_t, l_t)
    mask = lambda a: np.where(ok, a, np.nan)  # noqa: E731
    return TunedPickup(frequency=f0, impedance=z, slope=xp,
                       pickup=SeriesRLC(mask(rp), mask(lp), mask(cp)),
                       total=SeriesRLC(mask(np.asarray(total.resistance)), mask(np.asarray(total.inductance)),
                                       mask(np.asarray(total.capacitance))),
                       capacitive=capacitive, tuner_value=mask(value))
