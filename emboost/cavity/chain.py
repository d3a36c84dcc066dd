"""Iris-coupled multi-cavity (RADES) haloscopes as a 1-D TE10 circuit (physics.md §3.3, §5.3).

A :class:`CavityChain` is a rectangular guide (broad side ``a``, narrow side ``b``) closed by two end
walls and cut into ``N`` sub-cavities of lengths ``l_i`` by ``N - 1`` irises (:mod:`emboost.cavity.iris`)::

    wall | line(l_1) | iris_1 | line(l_2) | ... | iris_{N-1} | line(l_N) | wall

Quantities are mode-normalised (``E_y = V e(x, y)``, ``int e^2 dA = 1``), lines carry the TE10 wave
impedance ``Z = j w mu0 / gamma``; convention exp(+jwt). Copper walls enter as the side-wall
attenuation (Pozar 3.96), a series surface resistance ``R_s`` at each end wall, and at each thick
inductive iris the loss of its faces, edges and walls from Wheeler's rule on a mode-matched iris
(:func:`emboost.cavity.iris.iris_loss_admittance`); thin and capacitive irises get ``R_s F`` at each
face (``F`` the blocked fraction of the wall current). ``R_s`` comes from a conductivity
(normal skin effect) divided by the anomalous-skin factor ``r`` (physics.md §4.6; a number, or
``"cahill"`` for :func:`emboost.rf.materials.anomalous_factor`), or is given directly.

Ports (:class:`Port`) couple a line of impedance ``Z_p`` (50 ohm) through an ideal transformer of
turns ratio ``m``: at an end wall as a series loop (the guide sees ``R_s + Z_p / m^2`` instead of the
short), inside sub-cavity ``i`` as a shunt probe at its centre (the guide sees ``m^2 / Z_p``).

What the chain gives: lossless modes (real roots of ``Im B_tot(f)``, the B entry of the wall-to-wall
ABCD), lossy modes (complex roots, ``Q = Re f / (2 Im f)``) for the walls alone (Q0), each port alone
(Q_ext) and everything (Q_L); the field ``V(z)`` along the chain, the signed amplitude of each
sub-cavity, the form factor for a uniform B along ``y``,
``C = |sum_s kappa_s int V_s dz|^2 / (V_tot sum_s int |V_s|^2 dz)`` with ``kappa_s = (2/pi) sqrt(2 w_s h_s)``
(``64/pi^4`` for one TE101 cavity), the axion mode (all sub-cavities in phase), S-parameters between
the ports, and the series RLC of each mode seen from the readout port (:mod:`emboost.rf.rlc`).

>>> import numpy as np
>>> from emboost.cavity.iris import Iris
>>> chain = CavityChain(a=22.86e-3, b=10.16e-3, lengths=(23.9e-3,) * 5,
...                     irises=(Iris("inductive", window=8e-3),) * 4)
>>> m = chain.modes((8.0e9, 9.5e9))
>>> [round(float(f) / 1e9, 4) for f in m.frequency]        # physics.md 3.4
[8.384, 8.5455, 8.7706, 8.9826, 9.0737]
>>> m.axion_index, round(float(m.form_factor[0]), 3)
(0, 0.618)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from emboost.cavity.iris import Iris, face_loss_fraction, lossy_te10_gamma_impedance, te10_gamma_impedance
from emboost.core.constants import Z0, c, mu0
from emboost.core.errors import InputError, PhysicsError
from emboost.core.reprs import short_repr
from emboost.rf.materials import anomalous_factor
from emboost.rf.network import abcd_to_s
from emboost.rf.rlc import SeriesRLC, series_rlc_from_derivative

__all__ = ["Port", "CavityChain", "ChainModes", "ModeQ", "single_cavity_q", "te101_length"]


def te101_length(f: float, a: float) -> float:
    """Length [m] of a TE101 cavity of width ``a`` resonating at ``f`` (half a guide wavelength).

    >>> round(te101_length(8.384e9, 22.86e-3) * 1e3, 3)
    28.691
    """
    k = 2 * np.pi * f / c
    beta2 = k**2 - (np.pi / a) ** 2
    if beta2 <= 0:
        raise PhysicsError(f"{f:.6g} Hz is below the TE10 cutoff {c / (2 * a):.6g} Hz of a = {a:g} m")
    return float(np.pi / np.sqrt(beta2))


def single_cavity_q(f: float, a: float, b: float, d: float, rs: float, ell: int = 1) -> float:
    """Pozar (6.46): conductor Q of a TE10l rectangular cavity of length ``d`` with wall ``R_s`` [ohm].

    >>> from emboost.rf.materials import surface_resistance
    >>> rs = float(surface_resistance(8.384e9, 5.8e7))
    >>> round(single_cavity_q(8.384e9, 22.86e-3, 10.16e-3, te101_length(8.384e9, 22.86e-3), rs))
    7740
    """
    k = 2 * np.pi * f / c
    num = (k * a * d) ** 3 * b * Z0 / (2 * np.pi**2 * rs)
    den = 2 * ell**2 * a**3 * b + 2 * b * d**3 + ell**2 * a**3 * d + a * d**3
    return float(num / den)


@dataclass(frozen=True)
class Port:
    """A coupling port: ``location`` ``"left"``/``"right"`` (end-wall loop) or a 0-based sub-cavity
    index (probe at its centre); ``turns_ratio`` m; ``impedance`` Z_p [ohm] of the port line."""

    location: str | int
    turns_ratio: float
    impedance: float = 50.0
    name: str = ""

    def __post_init__(self) -> None:
        if not (self.location in ("left", "right") or (isinstance(self.location, int)
                                                       and not isinstance(self.location, bool))):
            raise InputError(f"port location must be 'left', 'right' or a sub-cavity index, got {self.location!r}")
        if not self.turns_ratio > 0 or not self.impedance > 0:
            raise InputError("port turns_ratio and impedance must be positive")


@dataclass(frozen=True)
class ModeQ:
    """Complex resonances of one mode: wall-loss Q0, loaded Q_L, each port's Q_ext and beta."""

    frequency: float
    q0: float
    q_loaded: float
    q_external: tuple[float, ...]

    @property
    def beta(self) -> tuple[float, ...]:
        """Port couplings ``beta_k = Q0 / Q_ext,k``."""
        return tuple(self.q0 / q for q in self.q_external)


@dataclass(frozen=True)
class ChainModes:
    """Modes of a chain in a band, sorted by frequency.

    ``frequency`` (nm,) [Hz] lossless; ``amplitude`` (nm, N) sub-cavity standing-wave amplitudes with
    the sign of the sub-cavity's net field (0 where it cancels), max |.| = 1, first non-zero one
    positive; ``form_factor`` (nm,); ``in_phase`` (nm,) bool; ``axion_index``.
    """

    __repr__ = short_repr

    frequency: np.ndarray
    amplitude: np.ndarray
    form_factor: np.ndarray
    in_phase: np.ndarray
    axion_index: int
    volume: float

    @property
    def axion_frequency(self) -> float:
        return float(self.frequency[self.axion_index])

    def separation(self) -> float:
        """Distance [Hz] from the axion mode to the nearest other mode (inf if it is alone)."""
        others = np.delete(self.frequency, self.axion_index)
        return float(np.min(np.abs(others - self.axion_frequency))) if others.size else float("inf")


def _is_shunt(m: tuple) -> bool:
    return isinstance(m[1], float) and m[1] == 0.0 and isinstance(m[0], float) and m[0] == 1.0 \
        and isinstance(m[3], float) and m[3] == 1.0


def _mul(m1: tuple, m2: tuple) -> tuple:
    """Product of two ABCD matrices given as entry tuples (arrays or scalars)."""
    a1, b1, c1, d1 = m1
    a2, b2, c2, d2 = m2
    if _is_shunt(m2):
        return (a1 + b1 * c2, b1, c1 + d1 * c2, d1)
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2)


@dataclass(frozen=True)
class CavityChain:
    """A chain of ``len(lengths)`` TE10 sub-cavities separated by ``irises`` (see module docstring).

    ``conductivity`` [S/m] with ``anomalous`` (r: a number or ``"cahill"``) or ``surface_resistance``
    [ohm]; neither: lossless walls. ``ports``: up to two :class:`Port`, the first is the readout.
    """

    a: float
    b: float
    lengths: tuple[float, ...]
    irises: tuple[Iris, ...]
    conductivity: float | None = None
    anomalous: float | str = 1.0
    surface_resistance: float | None = None
    ports: tuple[Port, ...] = ()
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lengths", tuple(float(x) for x in self.lengths))
        object.__setattr__(self, "irises", tuple(self.irises))
        object.__setattr__(self, "ports", tuple(self.ports))
        if not (self.a > 0 and self.b > 0):
            raise InputError(f"guide dimensions must be positive, got a = {self.a!r}, b = {self.b!r}")
        if not self.lengths:
            raise InputError("a chain needs at least one sub-cavity")
        if any(not x > 0 for x in self.lengths):
            raise InputError(f"sub-cavity lengths must be positive, got {list(self.lengths)}")
        if len(self.irises) != len(self.lengths) - 1:
            raise InputError(f"{len(self.lengths)} sub-cavities need {len(self.lengths) - 1} irises, "
                             f"got {len(self.irises)}")
        for ir in self.irises:
            ir.check(self.a, self.b)
        if len(self.ports) > 2:
            raise InputError("at most two ports (readout and injection)")
        for p in self.ports:
            if isinstance(p.location, int) and not 0 <= p.location < len(self.lengths):
                raise InputError(f"port in sub-cavity {p.location} but the chain has {len(self.lengths)}")
        if len({self._port_position(p) for p in self.ports}) != len(self.ports):
            raise InputError("two ports at the same place")
        if self.conductivity is not None and self.surface_resistance is not None:
            raise InputError("give either a conductivity or a surface_resistance, not both")

    # ------------------------------------------------------------------ basics
    @property
    def n_cavities(self) -> int:
        return len(self.lengths)

    @property
    def cutoff_frequency(self) -> float:
        return c / (2 * self.a)

    @property
    def total_length(self) -> float:
        """Wall-to-wall length [m] including iris thicknesses."""
        return float(sum(self.lengths) + sum(ir.thickness for ir in self.irises))

    @property
    def volume(self) -> float:
        """Vacuum volume [m^3]: the sub-cavities plus the iris windows."""
        v = self.a * self.b * sum(self.lengths)
        for ir in self.irises:
            if ir.thickness:
                w, h = ir.window_section(self.a, self.b)
                v += w * h * ir.thickness
        return float(v)

    @property
    def lossy(self) -> bool:
        return self.conductivity is not None or self.surface_resistance is not None

    def with_lengths(self, lengths: Iterable[float]) -> CavityChain:
        return replace(self, lengths=tuple(lengths), _cache={})

    def with_irises(self, irises: Iterable[Iris]) -> CavityChain:
        return replace(self, irises=tuple(irises), _cache={})

    def with_ports(self, ports: Iterable[Port]) -> CavityChain:
        return replace(self, ports=tuple(ports), _cache={})

    def rs(self, f: np.ndarray) -> np.ndarray:
        """Wall surface resistance [ohm] at (complex) ``f``; 0 for lossless walls."""
        f = np.asarray(f)
        if self.surface_resistance is not None:
            return np.full(f.shape, float(self.surface_resistance))
        if self.conductivity is not None:
            rs = np.sqrt(np.pi * f * mu0 / self.conductivity + (0 if np.isrealobj(f) else 0j))
            r = anomalous_factor(np.real(f)) if self.anomalous == "cahill" else float(self.anomalous)
            return rs / r
        return np.zeros(f.shape)

    def _port_position(self, p: Port) -> float:
        if p.location == "left":
            return -1.0
        if p.location == "right":
            return float(self.n_cavities)
        return float(p.location) + 0.5

    # ------------------------------------------------------------------ elements
    def _elements(self, taps: tuple[int, ...] = ()) -> list[tuple]:
        """Element list wall to wall: ("line", i, length) / ("iris", j) / ("tap", port index)."""
        out: list[tuple] = []
        tap_at = {self.ports[k].location: k for k in taps}
        for i, length in enumerate(self.lengths):
            if i in tap_at:
                out += [("line", i, 0.5 * length), ("tap", tap_at[i]), ("line", i, 0.5 * length)]
            else:
                out.append(("line", i, length))
            if i < len(self.irises):
                out.append(("iris", i))
        return out

    def _guide(self, f: np.ndarray, walls: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """gamma (with wall loss if ``walls``), Z and R_s of the main guide at ``f``."""
        g, z = te10_gamma_impedance(f, self.a)
        rs = self.rs(f) if walls else np.zeros(np.shape(f))
        if walls and self.lossy:
            k = 2 * np.pi * f / c
            beta = g / 1j  # beta of the lossless guide (complex only for complex f)
            a, b = self.a, self.b
            g = g + rs * (2 * b * np.pi**2 + a**3 * k**2) / (a**3 * b * beta * k * Z0)
        return g, z, rs

    def _element_entries(self, el: tuple, f: np.ndarray, g: np.ndarray, z: np.ndarray, rs: np.ndarray,
                        cache: dict) -> tuple:
        if el[0] == "line":
            key = ("line", round(el[2] * 1e12))  # equal to the picometre: one exp for equal cavities
            if key not in cache:
                e = np.exp(g * el[2])
                ei = 1.0 / e
                ch, sh = 0.5 * (e + ei), 0.5 * (e - ei)
                cache[key] = (ch, z * sh, sh / z, ch)
            return cache[key]
        if el[0] == "iris":
            ir = self.irises[el[1]]
            if ir not in cache:
                cache[ir] = ir.entries(f, self.a, self.b, z, rs)
            return cache[ir]
        p = self.ports[el[1]]
        y = p.turns_ratio**2 / p.impedance
        one = np.ones_like(z)
        return one, 0 * one, y * one, one

    def _terminations(self, rs: np.ndarray, loaded: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        zl, zr = rs.copy(), rs.copy()
        for k in loaded:
            p = self.ports[k]
            if p.location == "left":
                zl = zl + p.impedance / p.turns_ratio**2
            elif p.location == "right":
                zr = zr + p.impedance / p.turns_ratio**2
        return zl, zr

    def _characteristic(self, f: np.ndarray, walls: bool, loaded: tuple[int, ...] = ()) -> np.ndarray:
        """``A Z_R + B + Z_L (C Z_R + D)`` of the wall-to-wall chain: zero at a resonance."""
        g, z, rs = self._guide(f, walls)
        taps = tuple(k for k in loaded if isinstance(self.ports[k].location, int))
        cache: dict = {}
        m: tuple | None = None
        for el in self._elements(taps):
            e = self._element_entries(el, f, g, z, rs, cache)
            m = e if m is None else _mul(m, e)
        if m is None:
            raise InputError("a cavity chain needs at least one element")
        A, B, C, D = m
        zl, zr = self._terminations(rs, loaded)
        return A * zr + B + zl * (C * zr + D)

    # ------------------------------------------------------------------ lossless modes
    def mode_frequencies(self, band: tuple[float, float], n_grid: int | None = None) -> np.ndarray:
        """Resonance frequencies [Hz] of the lossless chain in ``band`` (real roots of Im B_tot)."""
        f1, f2 = float(band[0]), float(band[1])
        fc = self.cutoff_frequency
        if not f2 > f1:
            raise InputError(f"band must be increasing, got [{f1:g}, {f2:g}] Hz")
        if f1 <= fc:
            raise PhysicsError(f"band starts at {f1 / 1e9:.6g} GHz, at or below the TE10 cutoff "
                               f"{fc / 1e9:.6g} GHz of a = {self.a * 1e3:g} mm")
        n = n_grid or int(200 + 80 * self.n_cavities)
        fg = np.linspace(f1, f2, n)
        y = self._characteristic(fg, walls=False).imag
        idx = np.nonzero(np.sign(y[:-1]) * np.sign(y[1:]) < 0)[0]
        exact = fg[y == 0]
        lo, hi, ylo, yhi = fg[idx], fg[idx + 1], y[idx], y[idx + 1]
        # vectorised Illinois (modified regula falsi) refinement of all brackets at once
        side = np.zeros(lo.shape, dtype=int)
        for _ in range(200):
            if lo.size == 0:
                break
            x = (lo * yhi - hi * ylo) / (yhi - ylo)
            yx = self._characteristic(x, walls=False).imag
            right = np.sign(yx) == np.sign(yhi)  # root between lo and x
            ylo = np.where(right & (side == -1), 0.5 * ylo, ylo)
            yhi = np.where(~right & (side == 1), 0.5 * yhi, yhi)
            hi, yhi = np.where(right, x, hi), np.where(right, yx, yhi)
            lo, ylo = np.where(right, lo, x), np.where(right, ylo, yx)
            side = np.where(right, -1, 1)
            if np.all((np.abs(hi - lo) < 1e-14 * hi) | (yx == 0)):
                break
        roots = np.concatenate([0.5 * (lo + hi) if lo.size else lo, exact])
        return np.sort(roots)

    def fields(self, f: np.ndarray, walls: bool = False) -> dict:
        """Per-section field data of the resonant state at frequencies ``f`` (nm,).

        Returns a dict with lists over sections: ``v0``, ``i0`` (nm,) start values, ``gamma``, ``z``,
        ``length``, ``z_start``, ``kappa`` (transverse overlap factor), ``area``, ``cavity`` (index or -1).
        The state starts at the left wall with (V, I) = (-Z_L, 1).
        """
        f = np.asarray(f)
        g, z, rs = self._guide(f, walls)
        cache: dict = {}
        zl, _ = self._terminations(rs, ())
        v, i = -zl + 0j, np.ones_like(z)
        out: dict = {k: [] for k in ("v0", "i0", "gamma", "z", "length", "z_start", "kappa", "area", "cavity")}
        pos = 0.0
        ab = self.a * self.b
        kappa_main = (2 / np.pi) * np.sqrt(2 * ab)

        def record(v, i, gg, zz, length, kappa, area, cav):
            nonlocal pos
            for key, val in zip(out, (v, i, gg, zz, length, pos, kappa, area, cav)):
                out[key].append(val)
            pos += length

        for el in self._elements():
            e = self._element_entries(el, f, g, z, rs, cache)
            if el[0] == "line":
                record(v, i, g, z, el[2], kappa_main, ab, el[1])
                A, B, C, D = e
                v, i = D * v - B * i, -C * v + A * i
                continue
            ir = self.irises[el[1]]
            if ir.thickness == 0:
                A, B, C, D = e
                v, i = D * v - B * i, -C * v + A * i
                continue
            # thick iris: shunt(y) . T(p) . line(window) . T(1/p) . shunt(y), recorded section by section
            bn = ir.normalized_susceptance(f, self.a, self.b)
            y = 0.5j * bn / z
            w, h = ir.window_section(self.a, self.b)
            gw, zw = lossy_te10_gamma_impedance(f, w, h, rs)
            p = ir.overlap(self.a, self.b)
            if np.any(rs != 0):
                v = v - rs * face_loss_fraction(ir.kind, self.a, self.b, ir.window) * i
            i = i - y * v
            vw, iw = v / p, i * p
            record(vw, iw, gw, zw, ir.thickness, (2 / np.pi) * np.sqrt(2 * w * h), w * h, -1)
            gl = gw * ir.thickness
            ch, sh = np.cosh(gl), np.sinh(gl)
            vw, iw = ch * vw - zw * sh * iw, -sh / zw * vw + ch * iw
            v, i = vw * p, iw / p
            i = i - y * v
            if np.any(rs != 0):
                v = v - rs * face_loss_fraction(ir.kind, self.a, self.b, ir.window) * i
        out["v_end"], out["i_end"] = v, i
        return out

    @staticmethod
    def _integrals(v0, i0, g, z, length):
        """int V dz, int |V|^2 dz and the standing-wave amplitude of one section (vectorised)."""
        p = 0.5 * (v0 - z * i0)  # V = p e^{g z} + q e^{-g z}
        q = 0.5 * (v0 + z * i0)

        def gfun(s, ell):
            x = s * ell
            small = np.abs(x) < 1e-8
            xs = np.where(small, 1.0, x)
            return np.where(small, ell * (1 + 0.5 * x), (np.exp(xs) - 1) / np.where(small, 1.0, s))

        int_v = p * gfun(g, length) + q * gfun(-g, length)
        al, be = g.real, g.imag
        int_v2 = (np.abs(p) ** 2 * gfun(2 * al + 0j, length) + np.abs(q) ** 2 * gfun(-2 * al + 0j, length)
                  + 2 * (p * np.conj(q) * gfun(2j * be + 0j, length)).real).real
        amp = np.sqrt(np.abs(v0) ** 2 + np.abs(z * i0) ** 2)
        return int_v, int_v2, amp

    def modes(self, band: tuple[float, float], n_grid: int | None = None) -> ChainModes:
        """Lossless modes in ``band`` with amplitudes, form factors and the axion mode."""
        f = self.mode_frequencies(band, n_grid)
        nm, n = f.size, self.n_cavities
        if nm == 0:
            raise PhysicsError(f"no mode of the chain between {band[0] / 1e9:.6g} and {band[1] / 1e9:.6g} GHz")
        fd = self.fields(f)
        num = np.zeros(nm, dtype=complex)
        den = np.zeros(nm)
        amp = np.zeros((nm, n))
        sgn = np.zeros((nm, n), dtype=complex)
        for v0, i0, g, z, length, kappa, cav in zip(fd["v0"], fd["i0"], fd["gamma"], fd["z"], fd["length"],
                                                    fd["kappa"], fd["cavity"]):
            iv, iv2, a_ = self._integrals(v0, i0, g, z, length)
            num += kappa * iv
            den += iv2
            if cav >= 0:
                amp[:, cav] = a_
                sgn[:, cav] = iv
        cf = np.abs(num) ** 2 / (self.volume * den)
        # make the (lossless, hence real up to one phase) amplitudes real and signed
        ref = sgn[np.arange(nm), np.argmax(np.abs(sgn), axis=1)]
        proj = (sgn / (ref / np.abs(ref))[:, None]).real
        # sign of the net field of each sub-cavity; 0 where it cancels (a node in the middle)
        s = np.where(np.abs(proj) > 1e-9 * np.max(np.abs(proj), axis=1, keepdims=True), np.sign(proj), 0.0)
        a_signed = s * amp / np.max(amp, axis=1, keepdims=True)
        first = np.argmax(np.abs(a_signed) > 1e-6, axis=1)
        a_signed *= np.sign(a_signed[np.arange(nm), first])[:, None]
        in_phase = np.all(a_signed > 1e-3, axis=1)
        cand = np.nonzero(in_phase)[0]
        axion = int(cand[np.argmax(cf[cand])]) if cand.size else int(np.argmax(cf))
        return ChainModes(frequency=f, amplitude=a_signed, form_factor=cf, in_phase=in_phase,
                          axion_index=axion, volume=self.volume)

    def field_profile(self, f: float, points_per_section: int = 50) -> tuple[np.ndarray, np.ndarray]:
        """``(z, V(z))`` along the chain at a lossless mode frequency ``f``: real, max |V| = 1."""
        fd = self.fields(np.array([float(f)]))
        zs, vs = [], []
        for v0, i0, g, z, length, z0 in zip(fd["v0"], fd["i0"], fd["gamma"], fd["z"], fd["length"],
                                            fd["z_start"]):
            t = np.linspace(0.0, length, points_per_section)
            zs.append(z0 + t)
            vs.append(v0[0] * np.cosh(g[0] * t) - z[0] * i0[0] * np.sinh(g[0] * t))
        zz, vv = np.concatenate(zs), np.concatenate(vs)
        k = np.argmax(np.abs(vv))
        vv = vv / vv[k]
        if vv[np.argmax(np.abs(vv[: max(1, len(vv) // (2 * self.n_cavities))]))].real < 0:
            vv = -vv
        return zz, vv.real

    # ------------------------------------------------------------------ lossy modes
    def complex_resonance(self, f_start: np.ndarray, walls: bool = True, loaded: tuple[int, ...] = ()
                          ) -> np.ndarray:
        """Complex resonance frequencies [Hz] (Im > 0: decaying) near the lossless ``f_start``."""
        x = np.asarray(f_start, dtype=complex).copy()
        # Newton steps with a forward-difference derivative (the characteristic is analytic in f);
        # the lossy root lies ~f/(2Q) from the lossless start, far inside its basin
        for _ in range(50):
            h = 1e-7 * np.abs(x)
            y = self._characteristic(x, walls, loaded)
            dy = (self._characteristic(x + h, walls, loaded) - y) / h
            step = np.where(dy != 0, y / np.where(dy != 0, dy, 1), 0)
            x = x - step
            if np.all(np.abs(step) < 1e-13 * np.abs(x)):
                break
        return x

    def mode_q(self, f_modes: np.ndarray) -> list[ModeQ]:
        """Q0 (walls), Q_L (walls and all ports) and Q_ext per port of the modes at ``f_modes``."""
        f_modes = np.atleast_1d(np.asarray(f_modes, dtype=float))
        inf = np.full(f_modes.shape, np.inf)

        def q(x):
            return np.where(x.imag > 0, x.real / (2 * np.abs(x.imag)), np.inf)

        q0 = q(self.complex_resonance(f_modes, True)) if self.lossy else inf
        all_ports = tuple(range(len(self.ports)))
        fl = self.complex_resonance(f_modes, self.lossy, all_ports) if (self.lossy or self.ports) else f_modes + 0j
        ql = q(fl)
        qe = [q(self.complex_resonance(f_modes, False, (k,))) for k in all_ports]
        return [ModeQ(float(fl[j].real), float(q0[j]), float(ql[j]), tuple(float(x[j]) for x in qe))
                for j in range(f_modes.size)]

    # ------------------------------------------------------------------ ports and S-parameters
    def _two_port_entries(self, f: np.ndarray, walls: bool = True) -> tuple[tuple, bool]:
        """ABCD entries from the leftmost port to the rightmost (incl. transformers) and whether the
        readout port is the rightmost one."""
        if len(self.ports) != 2:
            raise InputError("S-parameters need two ports (readout and injection)")
        f = np.asarray(f)
        g, z, rs = self._guide(f, walls)
        pos = [self._port_position(p) for p in self.ports]
        order = np.argsort(pos)
        pl, pr = int(order[0]), int(order[1])
        elements = self._elements(taps=(0, 1))
        idx = {el[1]: j for j, el in enumerate(elements) if el[0] == "tap"}
        cache: dict = {}
        one = np.ones_like(z)

        def cascade(els):
            m = None
            for el in els:
                e = self._element_entries(el, f, g, z, rs, cache)
                m = e if m is None else _mul(m, e)
            return (one, 0 * one, 0 * one, one) if m is None else m

        def side(p_k):
            p = self.ports[p_k]
            return p.location in ("left", "right")

        # left boundary
        if side(pl):
            start, m = 0, None  # series R_s of the wall: applied below with the transformer
        else:
            j = idx[pl]
            left = cascade(elements[:j])  # wall .. tap, oriented left -> right
            A, B, C, D = left
            zw = rs
            zleft = (D * zw + B) / (C * zw + A)  # looking left from the tap
            start, m = j + 1, (one, 0 * one, 1 / zleft, one)
        if side(pr):
            stop, tail = len(elements), None
        else:
            j = idx[pr]
            A, B, C, D = cascade(elements[j + 1:])
            zright = (A * rs + B) / (C * rs + D)
            stop, tail = j, (one, 0 * one, 1 / zright, one)
        mid = cascade(elements[start:stop])
        m = mid if m is None else _mul(m, mid)
        n1, n2 = self.ports[pl].turns_ratio, self.ports[pr].turns_ratio
        A, B, C, D = m if tail is None else _mul(m, tail)
        if side(pl):  # T(n1) . series(R_s) . M
            A, B = A + rs * C, B + rs * D
        if side(pr):  # M . series(R_s) . T(1/n2)
            B, D = B + A * rs, D + C * rs
        return (A * (n1 / n2), B * (n1 * n2), C / (n1 * n2), D * (n2 / n1)), bool(pl == 1)

    def s_parameters(self, f: np.ndarray, walls: bool = True) -> np.ndarray:
        """S-matrix between the readout (port 1) and injection (port 2) ports, shape ``(nf, 2, 2)``."""
        f = np.asarray(f, dtype=float)
        if np.any(f <= self.cutoff_frequency):
            raise PhysicsError(f"frequencies at or below the TE10 cutoff {self.cutoff_frequency / 1e9:.6g} GHz")
        (A, B, C, D), swapped = self._two_port_entries(f, walls)
        z1 = self.ports[1 if swapped else 0].impedance
        z2 = self.ports[0 if swapped else 1].impedance
        if z1 == z2:
            zr = z1
            den = A + B / zr + C * zr + D
            s = np.empty(f.shape + (2, 2), dtype=complex)
            s[..., 0, 0] = (A + B / zr - C * zr - D) / den
            s[..., 0, 1] = 2 * (A * D - B * C) / den
            s[..., 1, 0] = 2 / den
            s[..., 1, 1] = (-A + B / zr - C * zr + D) / den
        else:
            m = np.stack([np.stack([A, B], -1), np.stack([C, D], -1)], -2)
            s = abcd_to_s(m, np.array([z1, z2]))
        if swapped:
            s = s[..., ::-1, ::-1]
        return s

    def s11(self, f: np.ndarray, walls: bool = True) -> np.ndarray:
        """Reflection at the readout port (port 2 terminated), shape ``(nf,)``; cheaper than the full S."""
        f = np.asarray(f, dtype=float)
        z = self.port_impedance(f, 0, walls)
        zr = self.ports[0].impedance
        return (z - zr) / (z + zr)

    def port_impedance(self, f: np.ndarray, port: int = 0, walls: bool = True) -> np.ndarray:
        """Impedance [ohm] at the terminals of ``port`` with the other port terminated in its Z_p.

        For an end-wall loop port this is ``m^2 (R_s + Z_chain)``: a series resonance at each mode.
        """
        f = np.asarray(f)
        if len(self.ports) == 2:
            (A, B, C, D), swapped = self._two_port_entries(f, walls)
            if (port == 0) != swapped:  # port is the left one: look right
                zl = self.ports[1 - port].impedance
                return (A * zl + B) / (C * zl + D)
            zl = self.ports[1 - port].impedance
            return (D * zl + B) / (C * zl + A)
        if len(self.ports) != 1 or port != 0:
            raise InputError("port_impedance needs the chain's ports")
        p = self.ports[0]
        if isinstance(p.location, int):
            raise InputError("a single probe port is not supported by port_impedance; use two ports")
        g, z, rs = self._guide(f, walls)
        cache: dict = {}
        els = self._elements()
        if p.location == "right":
            els = els[::-1]
        m: tuple | None = None
        for el in els:
            e = self._element_entries(el, f, g, z, rs, cache)
            m = e if m is None else _mul(m, e)
        if m is None:
            raise InputError("a cavity chain needs at least one element")
        A, B, C, D = m
        zin = (A * rs + B) / (C * rs + D)
        return p.turns_ratio**2 * (rs + zin)

    def mode_rlc(self, f0: float, port: int = 0, rel_step: float = 1e-7) -> SeriesRLC:
        """Series RLC of the mode at ``f0`` [Hz] seen from ``port`` (:func:`emboost.rf.rlc.series_rlc_from_derivative`).

        ``dX/dw`` by a central difference of the (analytic) port impedance.
        """
        h = f0 * rel_step
        zz = self.port_impedance(np.array([f0 - h, f0, f0 + h]), port)
        dxdw = (zz[2].imag - zz[0].imag) / (2 * 2 * np.pi * h)
        return series_rlc_from_derivative(f0, zz[1], dxdw)

    def to_network(self, f: Any, **kwargs: Any) -> Any:
        """The chain's S-parameters at ``f`` [Hz] as a ``skrf.Network``.

        Through :func:`emboost.rf.skrf_bridge.to_network`; keyword arguments (``s_def``, ``z0``, ...) go to it.
        """
        from emboost.rf.skrf_bridge import to_network

        return to_network(self, f, **kwargs)
