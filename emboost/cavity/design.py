"""Design help and model files for RADES chains (:mod:`emboost.cavity.chain`).

* :func:`flat_field_lengths` — sub-cavity lengths that put an all-in-phase mode with equal
  sub-cavity amplitudes at a target frequency (shooting from the left wall, one 1-D root per cavity);
* :func:`coupled_resonator_modes` — the impedance-inverter picture (physics.md §3.3, Model B);
* :func:`fit_iris_scale` — one common factor on the iris susceptances that puts a chosen mode on a
  reference frequency (e.g. an FEM mode);
* :func:`port_for_external_q` — the turns ratio that gives a port a target Q_ext on a mode;
* :func:`load_model` — read a ``models/*.toml`` cavity file.

>>> from emboost.cavity.iris import Iris
>>> irises = (Iris("inductive", window=8e-3),) * 4
>>> ls = flat_field_lengths(22.86e-3, 10.16e-3, irises, 8.384e9)
>>> [round(x * 1e3, 3) for x in ls]                   # physics.md 3.4
[26.037, 23.382, 23.382, 23.382, 26.037]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from emboost.cavity.chain import CavityChain, ChainModes, Port
from emboost.cavity.iris import KINDS, Iris, guide_wavelength, te10_gamma_impedance
from emboost.cavity.tuning import TUNINGS
from emboost.core.errors import InputError, PhysicsError, SetupFileError
from emboost.core.setupfile import Table, read_toml

__all__ = ["flat_field_lengths", "coupled_resonator_modes", "CoupledResonators", "fit_iris_scale",
           "port_for_external_q", "CavityModel", "load_model"]

#: the shortest sub-cavity a flat-field design accepts, as a fraction of half a guide wavelength (shorter
#: roots merge two irises into one and hold no standing wave of their own)
MIN_CELL = 0.25
#: the largest size [m] a cavity model file may give (guide, sub-cavity, iris)
MAX_SIZE_M = 1e3


def _shoot(a: float, b: float, iris: Iris, f: float, v: complex, i: complex) -> tuple[complex, complex]:
    """State (V, I) after an iris (lossless), going left to right."""
    _, z = te10_gamma_impedance(np.array([f]), a)
    A, B, C, D = (complex(np.ravel(x)[0]) for x in iris.entries(np.array([f]), a, b, z))
    return D * v - B * i, -C * v + A * i


def flat_field_lengths(a: float, b: float, irises: Sequence[Iris], f_target: float,
                       amplitude_ratios: Sequence[float] | np.ndarray | None = None) -> list[float]:
    """Sub-cavity lengths [m] for an in-phase mode at ``f_target`` with prescribed amplitudes.

    ``amplitude_ratios`` (N,) relative standing-wave amplitudes (default all 1: flat field).
    Shooting: start with V = 0 at the left wall; each length l_i (i < N) is a root in (0, lambda_g) of
    "amplitude in cavity i+1 = target", the last one closes on the right wall. Behind an inductive iris
    the in-phase cell is shorter than lambda_g / 2 and its V(z) keeps one sign; behind a capacitive one
    it is longer and V(z) changes sign near the iris (the iris sits in the tail of the neighbouring
    standing waves), so a root is accepted when the cell's net field ``int V dz`` has the sign of the
    first cell's; roots are tried in order (one-signed roots with the largest field at the iris first,
    as for all-inductive chains, then the shorter ones) and the search backtracks when a later cell
    cannot be closed. Raises :class:`PhysicsError` when no such lengths exist (irises too strong or too
    weak).

    >>> cap = Iris("susceptance", susceptance=6.65, reference_frequency=8.4e9)  # capacitive, |B| of w = 8 mm
    >>> ind = Iris("inductive", window=8e-3)
    >>> [round(x * 1e3, 2) for x in flat_field_lengths(22.86e-3, 10.16e-3, (ind, cap, ind), 8.4e9)]
    [25.9, 28.55, 28.55, 25.9]
    """
    n = len(irises) + 1
    ratios = np.ones(n) if amplitude_ratios is None else np.asarray(amplitude_ratios, dtype=float)
    if ratios.shape != (n,) or np.any(ratios <= 0):
        raise InputError(f"amplitude_ratios must be {n} positive numbers")
    g, z_arr = te10_gamma_impedance(np.array([f_target]), a)
    if np.real(g[0]) > 0:
        raise PhysicsError(f"target {f_target / 1e9:.6g} GHz is below the TE10 cutoff")
    beta, z = float(g[0].imag), complex(z_arr[0])
    lam_half = np.pi / beta
    v0, i0 = 0j, 1.0 / z * ratios[0] + 0j  # V(z) = -j z I0 sin(beta z): amplitude ratios[0]
    # the common phase of the lossless standing wave: V is -j times real in cell 1
    phase = -1j

    def state_after(length, v, i):
        ch, sh = np.cos(beta * length), 1j * np.sin(beta * length)
        return ch * v - z * sh * i, -sh / z * v + ch * i

    def net(length, v, i):
        """int_0^length V dz projected on the common phase (positive: in phase with cell 1)."""
        # int cos = sin(bl)/b ; int -j z I sin = -j z I (1 - cos bl)/b
        val = v * np.sin(beta * length) / beta - z * 1j * i * (1 - np.cos(beta * length)) / beta
        return float((val / phase).real)

    def candidates(k, v, i):
        def resid(length):
            v1, i1 = state_after(length, v, i)
            v2, i2 = _shoot(a, b, irises[k], f_target, v1, i1)
            return np.sqrt(abs(v2) ** 2 + abs(z * i2) ** 2) - ratios[k + 1]

        grid = np.linspace(1e-6, 2 - 1e-6, 800) * lam_half
        vals = np.array([resid(x) for x in grid])
        one_signed, other = [], []
        for j in np.nonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)[0]:
            r = brentq(resid, grid[j], grid[j + 1], xtol=1e-15)
            zz = np.linspace(0, r, 64)
            vz = np.array([(state_after(t, v, i)[0] / phase).real for t in zz])
            scale = np.max(np.abs(vz))
            at_iris = abs(state_after(r, v, i)[0])
            # skip the trivial roots where V = 0 at the iris (the iris then does nothing)
            if at_iris <= 1e-6 * scale or net(r, v, i) <= 0 or r < MIN_CELL * lam_half:
                continue
            if np.all(vz > -1e-9 * scale):
                one_signed.append((at_iris / scale, r))
            else:
                other.append(r)
        return [r for _, r in sorted(one_signed, reverse=True)] + sorted(other)

    def close(v, i):
        """Length of the last cell: V = 0 at the right wall with a positive net field, or None."""
        def vend(length: float) -> float:
            return _real(state_after(length, v, i)[0], v, i, z)

        grid = np.linspace(1e-9, 2 - 1e-9, 800) * lam_half
        vals = np.array([vend(x) for x in grid])
        for j in np.nonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)[0]:
            r = brentq(vend, grid[j], grid[j + 1], xtol=1e-15)
            if net(r, v, i) > 0 and r >= MIN_CELL * lam_half:
                return float(r)
        return None

    failed_at = [0]

    def search(k, v, i):
        if k == n - 1:
            last = close(v, i)
            return None if last is None else [last]
        for length in candidates(k, v, i):
            rest = search(k + 1, *_shoot(a, b, irises[k], f_target, *state_after(length, v, i)))
            if rest is not None:
                return [length] + rest
        failed_at[0] = max(failed_at[0], k)
        return None

    out = search(0, v0, i0)
    if out is None:
        k = failed_at[0]
        raise PhysicsError(f"no length of sub-cavity {k + 1} gives the requested in-phase amplitude in "
                           f"sub-cavity {k + 2} at {f_target / 1e9:.6g} GHz")
    return [float(x) for x in out]


def _real(vv: complex, v: complex, i: complex, z: complex) -> float:
    """Project V onto the (common) phase of the lossless standing wave."""
    ref = v if abs(v) > abs(z * i) else z * i / 1j
    return float((vv * np.conj(ref) / abs(ref)).real)


@dataclass(frozen=True)
class CoupledResonators:
    """Impedance-inverter model: ``Omega`` (N, N) [Hz], self-resonances, couplings, eigen-solution."""

    omega: np.ndarray
    self_frequency: np.ndarray
    coupling: np.ndarray
    frequency: np.ndarray
    vectors: np.ndarray  # (nm, N), signed, max |.| = 1, first positive
    form_factor: np.ndarray


def coupled_resonator_modes(chain: CavityChain, f0: float) -> CoupledResonators:
    """Coupled-resonator (Matthaei) picture of a thin-iris chain at the reference frequency ``f0``.

    Each shunt iris ``x = X/Z = -1/b`` becomes an inverter ``K/Z = tan(|phi|/2)``, ``phi = -arctan 2x``,
    flanked by lines of phi/2 absorbed in the neighbours; resonator slope ``(pi/2) Z (lambda_g/lambda)^2``;
    ``Omega_ii = f_i`` (self-resonance including the phi/2 loading), ``Omega_i,i+1 = sign(b) (f0/2) k``.
    ``C = (64/pi^4) (sum a_i l_i)^2 / (L sum a_i^2 l_i)``.
    """
    if any(ir.thickness for ir in chain.irises):
        raise InputError("the coupled-resonator picture here covers thin irises only")
    a, b, n = chain.a, chain.b, chain.n_cavities
    f = np.array([f0])
    bn = np.array([float(np.real(ir.normalized_susceptance(f, a, b)[0])) for ir in chain.irises])
    x = -1.0 / bn
    phi = -np.arctan(2 * x)
    kz = np.tan(np.abs(phi) / 2)
    lam = 299792458.0 / f0
    lg = float(np.real(guide_wavelength(f, a)[0]))
    slope = (np.pi / 2) * (lg / lam) ** 2
    k = kz / slope
    fs = np.empty(n)
    for i in range(n):
        def theta(ff, i=i):
            # phi scales with frequency through b(f); evaluate at ff
            ph = 0.0
            for j in (i - 1, i):
                if 0 <= j < n - 1:
                    bj = float(np.real(chain.irises[j].normalized_susceptance(np.array([ff]), a, b)[0]))
                    ph += -np.arctan(-2.0 / bj)
            beta = 2 * np.pi / float(np.real(guide_wavelength(np.array([ff]), a)[0]))
            return beta * chain.lengths[i] - ph / 2 - np.pi

        lo = chain.cutoff_frequency * 1.0001
        fs[i] = brentq(theta, lo, 10 * lo)
    om = np.diag(fs).astype(float)
    for i in range(n - 1):
        om[i, i + 1] = om[i + 1, i] = np.sign(bn[i]) * 0.5 * f0 * k[i]
    w, vec = np.linalg.eigh(om)
    vec = vec.T / np.max(np.abs(vec.T), axis=1, keepdims=True)
    first = np.argmax(np.abs(vec) > 1e-9, axis=1)
    vec *= np.sign(vec[np.arange(n), first])[:, None]
    ls = np.asarray(chain.lengths)
    cf = (64 / np.pi**4) * (vec @ ls) ** 2 / (ls.sum() * (vec**2 @ ls))
    return CoupledResonators(om, fs, k, w, vec, cf)


def fit_iris_scale(chain: CavityChain, f_reference: float, mode: int, band: tuple[float, float],
                   bracket: tuple[float, float] = (0.3, 3.0)) -> float:
    """Common factor on all iris susceptances that puts mode number ``mode`` (0-based, in ``band``) at
    ``f_reference`` [Hz]."""

    def resid(s):
        ch = chain.with_irises(replace(ir, scale=s) for ir in chain.irises)
        fr = ch.mode_frequencies(band)
        if fr.size <= mode:
            raise PhysicsError(f"mode {mode} not found in the band while fitting the iris scale")
        return fr[mode] - f_reference

    try:
        return float(brentq(resid, *bracket, xtol=1e-10))
    except ValueError:
        raise PhysicsError(f"no iris scale in {bracket} puts mode {mode} at {f_reference / 1e9:.6g} GHz") from None


def port_for_external_q(chain: CavityChain, port: int, q_ext: float, f_mode: float) -> CavityChain:
    """The chain with ``port``'s turns ratio set so that its external Q on the mode at ``f_mode`` is ``q_ext``.

    Q_ext scales as m^2 for an end-wall loop and as 1/m^2 for a probe; a few secant steps in log m
    absorb the (small) frequency pull.
    """
    if not q_ext > 0:
        raise InputError(f"external Q must be positive, got {q_ext!r}")
    p = chain.ports[port]
    expo = 2.0 if p.location in ("left", "right") else -2.0
    m = p.turns_ratio
    for _ in range(8):
        ch = chain.with_ports(replace(q, turns_ratio=m) if k == port else q for k, q in enumerate(chain.ports))
        qe = ch.mode_q(np.array([f_mode]))[0].q_external[port]
        if abs(qe / q_ext - 1) < 1e-9:
            break
        m = m * (q_ext / qe) ** (1 / expo)
    return ch


# ---------------------------------------------------------------------------- model files
@dataclass(frozen=True)
class CavityModel:
    """A cavity model file: the chain plus what to compute."""

    name: str
    chain: CavityChain
    band: tuple[float, float]
    points: int
    target_frequency: float | None
    path: str
    tuning: tuple[str, np.ndarray] | None = None


def _iris_from(t: Table) -> Iris:
    kind = t.string("type", choices=KINDS)
    if kind == "susceptance":
        ir = Iris(kind, susceptance=t.number("susceptance"),
                  reference_frequency=t.quantity("reference_frequency", "frequency", minimum=0, exclusive=True),
                  scale=t.number("scale", 1.0))
    else:
        ir = Iris(kind, window=t.quantity("window", "length", minimum=0, exclusive=True, maximum=MAX_SIZE_M),
                  thickness=t.quantity("thickness", "length", 0.0, minimum=0.0, maximum=MAX_SIZE_M),
                  scale=t.number("scale", 1.0))
    t.finish()
    return ir


def load_model(path: str | Path) -> CavityModel:
    """Read a RADES cavity model (TOML; see docs/cavity.md). Errors name the file and key."""
    path = Path(path)
    top = Table(read_toml(path), path=path)
    model = top.table("model")
    name = model.string("name", path.stem)
    model.string("description", "")
    kind = model.string("kind", "rades_chain", choices=("rades_chain",))
    del kind
    model.finish()
    guide = top.table("guide")
    # sizes are bounded to what a cavity can be (a kilometre): larger finite numbers only overflow downstream
    a = guide.quantity("a", "length", minimum=0, exclusive=True, maximum=MAX_SIZE_M)
    b = guide.quantity("b", "length", minimum=0, exclusive=True, maximum=MAX_SIZE_M)
    guide.finish()
    cav = top.table("cavities")
    lengths = np.atleast_1d(cav.quantity("lengths", "length", maximum=MAX_SIZE_M))
    if np.any(lengths <= 0):
        raise cav.fail("lengths", f"sub-cavity lengths must be positive, got {lengths.tolist()} m")
    cav.finish()
    irises = [_iris_from(t) for t in (top.tables("irises") if "irises" in top else [])]
    for k, ir in enumerate(irises):
        try:
            ir.check(a, b)
        except InputError as exc:
            raise SetupFileError(exc.reason, path=path, key=f"irises[{k}].window") from None
    if len(irises) != len(lengths) - 1:
        raise top.fail("irises", f"{len(lengths)} sub-cavities need {len(lengths) - 1} [[irises]] entries, "
                       f"got {len(irises)}")
    walls = top.table("walls", None)
    cond = rs = None
    anomalous: float | str = 1.0
    if walls is not None:
        cond = walls.quantity("conductivity", "conductivity", None, minimum=0, exclusive=True)
        rs = walls.quantity("surface_resistance", "resistance", None, minimum=0, exclusive=True)
        if cond is not None and rs is not None:
            raise walls.fail("surface_resistance", "give either conductivity or surface_resistance")
        an = walls.raw("anomalous_factor", 1.0)
        if an == "cahill":
            anomalous = "cahill"
        elif an != 1.0:
            anomalous = float(walls.quantity("anomalous_factor", "dimensionless", minimum=0, exclusive=True))
        walls.finish()
    ana = top.table("analysis")
    band = np.asarray(ana.quantity("band", "frequency", minimum=0, exclusive=True))
    if band.shape != (2,) or not band[1] > band[0]:
        raise ana.fail("band", "expected two increasing frequencies { values = [f1, f2], unit = ... }")
    fc = 299792458.0 / (2 * a)
    if band[0] <= fc:
        raise ana.fail("band", f"band starts at {band[0] / 1e9:.6g} GHz, at or below the TE10 cutoff "
                               f"{fc / 1e9:.6g} GHz of the guide (a = {a * 1e3:g} mm)")
    points = int(ana.number("points", 2001, integer=True, minimum=3))
    target = ana.quantity("target_frequency", "frequency", None, minimum=0, exclusive=True)
    ana.finish()
    port_tables = top.tables("ports") if "ports" in top else []
    ports, q_targets = [], []
    for k, t in enumerate(port_tables):
        loc = t.raw("location")
        if isinstance(loc, int) and not isinstance(loc, bool):
            if not 1 <= loc <= len(lengths):
                raise t.fail("location", f"sub-cavity index must be 1..{len(lengths)}, got {loc}")
            loc = loc - 1
        elif loc not in ("left", "right"):
            raise t.fail("location", f"expected 'left', 'right' or a sub-cavity number, got {loc!r}")
        zp = t.quantity("impedance", "resistance", 50.0, minimum=0, exclusive=True)
        has_m, has_q = "turns_ratio" in t, "external_q" in t
        if has_m == has_q:
            raise t.fail(None, "give exactly one of turns_ratio or external_q")
        m = t.quantity("turns_ratio", "dimensionless", minimum=0, exclusive=True) if has_m else 1.0
        q_targets.append(t.quantity("external_q", "dimensionless", minimum=0, exclusive=True) if has_q else None)
        ports.append(Port(loc, float(m), float(zp), t.string("name", f"port{k + 1}")))
        t.finish()
    tuning = None
    tun = top.table("tuning", None)
    if tun is not None:
        tkind = tun.string("kind", choices=TUNINGS)
        tvals = np.atleast_1d(tun.quantity("values", "length" if tkind == "split_gap" else "dimensionless",
                                           minimum=-1 if tkind == "length" else 0, exclusive=tkind == "length",
                                           maximum=MAX_SIZE_M))
        if tvals.size < 2 or np.any(np.diff(tvals) <= 0):
            raise tun.fail("values", f"expected at least two increasing values, got {tvals.tolist()}")
        tun.finish()
        tuning = (tkind, tvals)
    top.raw("search", None)  # the search analysis inputs, read by emboost.jobs.search
    top.finish()
    try:
        chain = CavityChain(a=float(a), b=float(b), lengths=tuple(lengths), irises=tuple(irises),
                            conductivity=cond, anomalous=anomalous, surface_resistance=rs, ports=tuple(ports))
    except InputError as exc:
        raise SetupFileError(exc.reason, path=path) from None
    if any(q is not None for q in q_targets):
        modes: ChainModes = chain.modes(tuple(band))
        for k, q in enumerate(q_targets):
            if q is not None:
                chain = port_for_external_q(chain, k, q, modes.axion_frequency)
    return CavityModel(name, chain, (float(band[0]), float(band[1])), points, target, str(path), tuning)
