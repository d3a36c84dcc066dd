"""scikit-rf in and out: ``Network``/``Frequency`` accepted where emboost takes frequencies or S-parameters,
and emboost's responses, cavities, pickups and fits returned as ``skrf.Network`` or written as Touchstone.

**Wave definition.** Every reflection coefficient emboost computes (booster S11, cavity and resonance
S-parameters) is a ratio of *pseudo-waves* (travelling waves) on a line of reference impedance ``z0``:
``S11 = (Z - z0) / (Z + z0)`` for a load ``Z``. This is scikit-rf's ``s_def="pseudo"`` (for a one-port also
its ``"traveling"``). scikit-rf's default, and :func:`emboost.rf.network.abcd_to_s`, use *power waves*
(``s_def="power"``, ``S11 = (Z - conj(z0)) / (Z + z0)``). The two agree whenever ``z0`` is real (a VNA's
50 ohm, a lossless line); they differ for a complex ``z0`` such as the wave impedance of a lossy (wall-loss)
circular waveguide, the output region of a closed booster. The functions here take ``s_def`` (default
``"pseudo"``, emboost's own) and convert when another definition is asked for, so that the
``Network`` describes the same physical impedance in either definition.

By default a reflection coefficient is labelled with the real reference impedance ``z0 = 50`` ohm, as a
calibrated VNA file is: the number is the same in every definition, and it is what a fit compares with the
measurement. Give ``z0`` (possibly complex, per frequency) to label it with the impedance it is really
referred to, e.g. the booster's output-line wave impedance.

>>> import numpy as np, skrf
>>> freq = skrf.Frequency(18, 19, 3, unit="GHz")
>>> as_frequencies(freq).tolist()
[18000000000.0, 18500000000.0, 19000000000.0]
>>> ntw = reflection_network(as_frequencies(freq), np.array([0.5, 0.5j, -0.5]), name="dut")
>>> ntw.s.shape, ntw.z0[0, 0]
((3, 1, 1), np.complex128(50+0j))
>>> z0 = 50 - 5j                                       # a complex reference impedance
>>> a = reflection_network([1e9], [0.2], z0=z0, s_def="pseudo")
>>> b = reflection_network([1e9], [0.2], z0=z0, s_def="power")
>>> bool(np.allclose(a.z, b.z))                         # one impedance, two definitions
True
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import skrf

from emboost.core.conventions import ArrayLike
from emboost.core.errors import InputError
from emboost.core.output import atomic_write_text

__all__ = ["SDef", "S_DEFINITIONS", "EMBOOST_S_DEF", "as_frequencies", "is_network", "frequency_object",
           "network", "reflection_network", "impedance_network", "convert_s_def", "from_network",
           "to_network", "booster_network", "cavity_network", "pickup_network", "fit_network",
           "touchstone_text", "write_touchstone"]

SDef = Literal["pseudo", "power", "traveling"]
#: the wave definitions scikit-rf knows
S_DEFINITIONS: tuple[str, ...] = ("pseudo", "power", "traveling")
#: the definition of every S-parameter emboost computes
EMBOOST_S_DEF: SDef = "pseudo"


def is_network(x: Any) -> bool:
    """True for a ``skrf.Network``."""
    return isinstance(x, skrf.Network)


def as_frequencies(f: Any) -> np.ndarray:
    """Frequencies in Hz as a float array, from an array-like, a ``skrf.Frequency`` or a ``skrf.Network``.

    The entry points that take frequencies call this, so ``booster.boost_factor(skrf.Frequency(...))`` and
    ``booster.boost_factor(network)`` work as ``booster.boost_factor(f_in_hz)`` does. Anything else goes
    through ``numpy.asarray(f, float)``; a value that is not numeric is an
    :class:`~emboost.core.errors.InputError` naming its type.

    >>> as_frequencies([1e9, 2e9]).tolist()
    [1000000000.0, 2000000000.0]
    >>> as_frequencies(skrf.Frequency(1, 2, 2, unit="MHz")).tolist()
    [1000000.0, 2000000.0]
    """
    if isinstance(f, skrf.Network):
        f = f.frequency
    if isinstance(f, skrf.Frequency):
        return np.array(f.f, dtype=float)
    try:
        return np.asarray(f, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"frequencies must be numbers in Hz, a skrf.Frequency or a skrf.Network; got "
                         f"{type(f).__name__}") from None


def frequency_object(f: ArrayLike) -> skrf.Frequency:
    """A ``skrf.Frequency`` of frequencies ``f`` [Hz], kept exactly (unit Hz, no rescaling)."""
    return skrf.Frequency.from_f(np.asarray(f, dtype=float), unit="hz")


def _check_sdef(s_def: str) -> None:
    if s_def not in S_DEFINITIONS:
        raise InputError(f"wave definition s_def={s_def!r}; expected one of {list(S_DEFINITIONS)}", key="s_def")


def _z0_array(z0: ArrayLike, nf: int, nports: int) -> np.ndarray:
    z = np.asarray(z0, dtype=complex)
    try:
        if z.ndim == 1 and z.shape[0] == nf and nports != nf:
            z = z[:, None]
        return np.array(np.broadcast_to(z, (nf, nports)), dtype=complex)
    except ValueError:
        raise InputError(f"reference impedance z0 of shape {np.shape(z0)} does not fit {nf} frequencies x "
                         f"{nports} ports") from None


def convert_s_def(s: ArrayLike, z0: ArrayLike, to: SDef, frm: SDef = EMBOOST_S_DEF) -> np.ndarray:
    """S-parameters ``s`` (shape ``(nf, n, n)``) of definition ``frm`` re-expressed in definition ``to``,
    for the same reference impedances ``z0`` (through the impedance matrix, scikit-rf's ``s2s``). For real,
    positive ``z0`` the definitions coincide and ``s`` is returned unchanged (bit for bit).

    >>> z0 = 50 - 10j
    >>> s = np.array([[[0.3 + 0.1j]]])
    >>> p = convert_s_def(s, z0, "power")
    >>> z = z0 * (1 + s) / (1 - s)                      # the load the pseudo-wave S11 describes
    >>> bool(np.allclose(p, (z - np.conj(z0)) / (z + z0)))
    True
    """
    _check_sdef(to)
    _check_sdef(frm)
    s = np.asarray(s, dtype=complex)
    z = _z0_array(z0, s.shape[0], s.shape[-1])
    if to == frm or (np.all(z.imag == 0) and np.all(z.real > 0)):
        return s.copy()  # for real reference impedances the three definitions coincide: no rounding added
    return np.asarray(skrf.network.s2s(s, z, to, frm), dtype=complex)


def network(f: Any, s: ArrayLike, *, z0: ArrayLike = 50.0, s_def: SDef = EMBOOST_S_DEF, name: str = "",
            source_def: SDef = EMBOOST_S_DEF) -> skrf.Network:
    """A ``skrf.Network`` of S-parameters ``s`` (shape ``(nf,)`` for a one-port, or ``(nf, n, n)``) at ``f``.

    ``s`` is in definition ``source_def`` (emboost's pseudo-waves unless said otherwise) for reference
    impedances ``z0`` [ohm] (scalar, per port, per frequency or ``(nf, n)``); the ``Network`` is built in
    ``s_def``, converted when the two differ (which matters only for a complex ``z0``).
    """
    _check_sdef(s_def)
    freqs = as_frequencies(f)
    arr = np.asarray(s, dtype=complex)
    if arr.ndim == 1:
        arr = arr[:, None, None]
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2] or arr.shape[0] != freqs.size:
        raise InputError(f"S-parameters of shape {np.shape(s)} do not fit {freqs.size} frequencies; expected "
                         f"({freqs.size},) or ({freqs.size}, n, n)")
    z = _z0_array(z0, freqs.size, arr.shape[-1])
    arr = convert_s_def(arr, z, s_def, source_def)
    return skrf.Network(frequency=frequency_object(freqs), s=arr, z0=z, s_def=s_def, name=name)


def reflection_network(f: Any, s11: ArrayLike, *, z0: ArrayLike = 50.0, s_def: SDef = EMBOOST_S_DEF,
                       name: str = "") -> skrf.Network:
    """A one-port ``Network`` of emboost's (pseudo-wave) reflection coefficient ``s11`` at ``f`` [Hz]."""
    return network(f, np.asarray(s11, dtype=complex).reshape(-1), z0=z0, s_def=s_def, name=name)


def impedance_network(f: Any, z: ArrayLike, *, z0: ArrayLike = 50.0, s_def: SDef = EMBOOST_S_DEF,
                      name: str = "") -> skrf.Network:
    """A one-port ``Network`` of an impedance ``z`` [ohm] seen from a port of reference ``z0`` [ohm]."""
    _check_sdef(s_def)
    freqs = as_frequencies(f)
    zz = np.asarray(z, dtype=complex).reshape(-1)
    if zz.size != freqs.size:
        raise InputError(f"{zz.size} impedances for {freqs.size} frequencies")
    zr = _z0_array(z0, freqs.size, 1)
    s = skrf.network.z2s(zz[:, None, None], zr, s_def=s_def)
    return skrf.Network(frequency=frequency_object(freqs), s=s, z0=zr, s_def=s_def, name=name)


# ------------------------------------------------------------------------------------- inputs
def from_network(ntw: skrf.Network, *, s_def: SDef = EMBOOST_S_DEF) -> Any:
    """An :class:`~emboost.rf.touchstone.SParameterData` of a ``skrf.Network``, in emboost's definition.

    The S-parameters are re-expressed in ``s_def`` (pseudo-waves) when the ``Network`` uses another and has
    a complex reference impedance, so that they mean what emboost's models compute. ``path`` is the
    network's name (``<network>`` without one); ``sha256`` hashes the frequencies, S-parameters and
    reference impedances (a file's hash when the ``Network`` was read from a file is not known).
    """
    from emboost.rf.touchstone import SParameterData

    if not isinstance(ntw, skrf.Network):
        raise InputError(f"expected a skrf.Network, got {type(ntw).__name__}")
    f = np.array(ntw.f, dtype=float)
    z0 = np.array(np.broadcast_to(np.asarray(ntw.z0, dtype=complex), (f.size, ntw.nports)))
    s = np.array(ntw.s, dtype=complex)
    own: SDef = getattr(ntw, "s_def", "power")
    if own != s_def:
        s = convert_s_def(s, z0, s_def, own)
    if f.size == 0 or not np.all(np.isfinite(f)) or np.any(np.diff(f) <= 0):
        raise InputError(f"network {ntw.name!r}: frequencies must be finite and strictly increasing")
    if not np.all(np.isfinite(s)):
        raise InputError(f"network {ntw.name!r}: non-finite S-parameters")
    z_out = z0.real.copy() if np.all(z0.imag == 0) else z0
    h = hashlib.sha256()
    for a in (f, s, z0):
        h.update(np.ascontiguousarray(a).tobytes())
    for a in (f, s, z_out):
        a.setflags(write=False)
    return SParameterData(path=Path(ntw.name or "<network>"), frequency=f, s=s, z0=z_out, version=1,
                          data_format="ri", sha256=h.hexdigest())


# ------------------------------------------------------------------------------------ outputs
def booster_network(response: Any, *, z0: ArrayLike = 50.0, s_def: SDef = EMBOOST_S_DEF,
                    name: str = "booster") -> skrf.Network:
    """One-port ``Network`` of a :class:`~emboost.booster.model.BoosterResponse` (its S11 at its frequencies).

    The booster's S11 is the pseudo-wave reflection coefficient referred to the wave impedance of its output
    region; pass that impedance (per frequency, complex with wall loss) as ``z0`` to label the port with it,
    or keep the default 50 ohm label of a calibrated measurement. A batched response (more than one row) is
    refused: make one network per row.
    """
    s11 = np.asarray(response.s11)
    if s11.ndim != 1:
        raise InputError(f"a batched response (S11 of shape {s11.shape}) has no single network; index a row first")
    return reflection_network(response.frequency, s11, z0=z0, s_def=s_def, name=name)


def cavity_network(chain: Any, f: Any, *, walls: bool = True, s_def: SDef = EMBOOST_S_DEF,
                   name: str = "cavity") -> skrf.Network:
    """``Network`` of a :class:`~emboost.cavity.chain.CavityChain` at ``f``: its two-port S-matrix between
    the readout and injection ports (reference impedances: the ports' ``impedance``), or the one-port
    reflection when the chain has one port."""
    freqs = as_frequencies(f)
    ports = tuple(chain.ports)
    if len(ports) == 2:
        return network(freqs, chain.s_parameters(freqs, walls=walls),
                       z0=np.array([ports[0].impedance, ports[1].impedance]), s_def=s_def, name=name)
    return reflection_network(freqs, chain.s11(freqs, walls=walls), z0=ports[0].impedance, s_def=s_def,
                              name=name)


def pickup_network(pickup: Any, f: Any = None, *, z0: ArrayLike = 50.0, s_def: SDef = EMBOOST_S_DEF,
                   name: str | None = None) -> skrf.Network:
    """One-port ``Network`` of a pickup's impedance ``Z_PU(f)`` seen from a port of reference ``z0``.

    ``pickup`` is a pickup (anything with ``impedance(f)``, e.g. :class:`~emboost.pickup.coax.CoaxPickup`)
    evaluated at ``f``, or a :class:`~emboost.pickup.coax.TunedPickup` (its ``impedance`` at its
    ``frequency``; ``f`` not given).
    """
    label = name if name is not None else str(getattr(pickup, "name", "") or "pickup")
    if f is None:
        if not isinstance(getattr(pickup, "impedance", None), np.ndarray):
            raise InputError("pickup_network needs frequencies f for a pickup model")
        return impedance_network(pickup.frequency, pickup.impedance, z0=z0, s_def=s_def, name=label)
    freqs = as_frequencies(f)
    return impedance_network(freqs, pickup.impedance(freqs), z0=z0, s_def=s_def, name=label)


def fit_network(result: Any, f: Any = None, *, which: Literal["model", "data"] = "model", z0: ArrayLike = 50.0,
                s_def: SDef = EMBOOST_S_DEF, name: str | None = None) -> skrf.Network:
    """One-port ``Network`` of a reflection fit: the fitted model (``which="model"``, at ``f`` or the data grid)
    or the data it was fitted to (``which="data"``).

    Accepts a :class:`~emboost.fit.booster.BoosterFitResult` (``s11(f)``) and a reflection
    :class:`~emboost.fit.resonance.ResonanceFit` (``model(f)``). A transmission resonance fit knows S21
    only, which is no one-port: build ``network(f, s)`` of the shape you need instead.
    """
    if getattr(result, "kind", "reflection") != "reflection":
        raise InputError(f"a {result.kind} fit has no reflection to make a one-port network of")
    freqs = as_frequencies(result.frequency if f is None else f)
    model: Callable[[np.ndarray], np.ndarray]
    if callable(getattr(result, "s11", None)):
        model = result.s11
        data = getattr(result, "data", {})
        measured = data.get("s11") if isinstance(data, dict) else None
    elif callable(getattr(result, "model", None)):
        model = result.model
        measured = getattr(result, "data", None)
    else:
        raise InputError(f"{type(result).__name__} is not a reflection fit result")
    if which == "data":
        if f is not None or measured is None:
            raise InputError("the data of a fit are on its own grid and only where it kept them; leave f unset")
        return reflection_network(freqs, np.asarray(measured), z0=z0, s_def=s_def, name=name or "data")
    if which != "model":
        raise InputError(f"which={which!r}; expected 'model' or 'data'")
    return reflection_network(freqs, np.asarray(model(freqs)), z0=z0, s_def=s_def, name=name or "model")


def to_network(obj: Any, f: Any = None, **kwargs: Any) -> skrf.Network:
    """Any emboost result with S-parameters as a ``skrf.Network`` (dispatching on what ``obj`` is).

    ``skrf.Network`` -> itself; :class:`~emboost.rf.touchstone.SParameterData` -> its network;
    a booster response (``s11`` array) -> :func:`booster_network`; a fit (``s11()`` or ``model()``) ->
    :func:`fit_network`; a cavity chain (``s_parameters``) -> :func:`cavity_network` (needs ``f``);
    a pickup (``impedance``) -> :func:`pickup_network`. Keyword arguments go to that function.
    """
    from emboost.rf.touchstone import SParameterData

    if isinstance(obj, skrf.Network):
        return obj
    if isinstance(obj, SParameterData):
        return network(obj.frequency, obj.s, z0=obj.z0, name=obj.path.stem, **kwargs)
    if isinstance(getattr(obj, "s11", None), np.ndarray):
        return booster_network(obj, **kwargs)
    if hasattr(obj, "s_parameters"):
        if f is None:
            raise InputError("a cavity chain needs frequencies f to make a network")
        return cavity_network(obj, f, **kwargs)
    if callable(getattr(obj, "s11", None)) or callable(getattr(obj, "model", None)):
        return fit_network(obj, f, **kwargs)
    if hasattr(obj, "impedance"):
        return pickup_network(obj, f, **kwargs)
    raise InputError(f"cannot make a scikit-rf network of a {type(obj).__name__}")


def touchstone_text(ntw: skrf.Network, *, comments: tuple[str, ...] = ()) -> str:
    """Touchstone v1 text of a network: frequencies in Hz and RI pairs written with ``repr`` precision, so
    that reading it back gives the same numbers bit for bit. A complex or port-dependent reference impedance
    cannot be written in a v1 option line: such a network is first renormalised to 50 ohm."""
    z0 = np.asarray(ntw.z0, dtype=complex)
    ref = complex(z0.flat[0])
    if np.any(z0 != ref) or ref.imag != 0 or ref.real <= 0:
        ntw = ntw.copy()
        ntw.renormalize(50.0)
    out = ntw.copy()
    out.frequency.unit = "hz"
    text = out.write_touchstone(return_string=True, form="ri", skrf_comment=False)
    head = "".join(f"! {c}\n" for c in comments)
    return head + str(text)


def write_touchstone(obj: Any, path: str | os.PathLike[str], *, comments: tuple[str, ...] = (),
                     **kwargs: Any) -> Path:
    """Write ``obj`` (a ``skrf.Network`` or anything :func:`to_network` takes) as a Touchstone v1 file,
    atomically; the extension must be ``.s<N>p`` for its N ports. Returns the path.

    Used for the ``.s1p`` outputs of ``emboost boost`` (and available to any job writing S-parameters).
    """
    ntw = to_network(obj, **kwargs)
    p = Path(path)
    want = f".s{ntw.nports}p"
    if p.suffix.lower() != want:
        raise InputError(f"a {ntw.nports}-port Touchstone file needs the extension {want}, got {p.name!r}")
    atomic_write_text(p, touchstone_text(ntw, comments=comments))
    return p
