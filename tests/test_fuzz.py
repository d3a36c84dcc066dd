"""Seeded mutation fuzzing of every reader: only EmboostError subclasses may escape.

Each reader gets a few hundred mutations (byte flips, truncations, duplicated, deleted and swapped
lines, huge numbers, NaN/inf, a byte-order mark, wrong units, inserted bytes) of a valid file; a
mutation may still be a valid file (then the reader just returns). Any other exception is collected
and reported with the seed and the mutation that caused it. ``random.Random`` with fixed seeds keeps
every run identical.
"""

from __future__ import annotations

import io
import random
import re
import shutil
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from emboost.core.errors import EmboostError

ROOT = Path(__file__).resolve().parents[1]
MUTATIONS_PER_READER = 250

_NUMBER = re.compile(rb"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_UNIT = re.compile(rb'(?<=unit = ")[^"]*(?=")|(?<=\[)[^\]\[]{1,6}(?=\])|(?<=\d )(GHz|MHz|Hz|mm|ns|K|dB)\b')
_HUGE = [b"1" + b"0" * 400, b"1e400", b"-1e400", b"1e308", b"-1e308", b"2_000_000_000", b"9" * 30, b"1e-400",
         b"0", b"-0", b"-1"]
_NONFINITE = [b"nan", b"inf", b"-inf", b"NaN", b"Infinity", b"+inf"]
_UNITS = [b"GHz", b"mm", b"K", b"dBm", b"\xce\xbcm", b"\xc2\xb5s", b"parsec", b"", b"1", b"T", b"W", b"\xff",
          b"GHz GHz", b"s/m"]
_JUNK = [b"\x00", b"\xff\xfe", b"\r", b"\t", b",", b";", b'"', b"[", b"]", b"{", b"}", b"=", b"#", b"%", b"!",
         b"\n\n", b"\xef\xbb\xbf", b"\xe9", b"1e", b"..", b"i", b"j"]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One to three random mutations of ``data``; returns the new bytes and what was done."""
    done = []
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["flip", "truncate", "dup_line", "del_line", "swap_lines", "huge", "nonfinite", "bom",
                         "unit", "insert", "del_bytes"])
        lines = data.split(b"\n")
        if op == "flip" and data:
            i = rng.randrange(len(data))
            data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
        elif op == "truncate":
            data = data[: rng.randrange(len(data) + 1)]
        elif op == "dup_line":
            j = rng.randrange(len(lines))
            lines.insert(j, lines[j])
            data = b"\n".join(lines)
        elif op == "del_line":
            del lines[rng.randrange(len(lines))]
            data = b"\n".join(lines)
        elif op == "swap_lines" and len(lines) > 1:
            i, j = rng.sample(range(len(lines)), 2)
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif op in ("huge", "nonfinite"):
            hits = list(_NUMBER.finditer(data))
            if hits:
                m = rng.choice(hits)
                data = data[: m.start()] + rng.choice(_HUGE if op == "huge" else _NONFINITE) + data[m.end():]
        elif op == "bom":
            data = b"\xef\xbb\xbf" + data
        elif op == "unit":
            hits = list(_UNIT.finditer(data))
            if hits:
                m = rng.choice(hits)
                data = data[: m.start()] + rng.choice(_UNITS) + data[m.end():]
        elif op == "insert":
            i = rng.randrange(len(data) + 1)
            data = data[:i] + rng.choice(_JUNK) + data[i:]
        elif op == "del_bytes" and data:
            i = rng.randrange(len(data))
            data = data[:i] + data[i + rng.randint(1, 16):]
        done.append(op)
    return data, "+".join(done)


def _meta_reader(case: str) -> Callable[[Path], Any]:
    """meta.toml in a copy of a validation folder: load it and build the model it describes."""
    def read(path: Path) -> Any:
        from emboost.jobs.validate import booster_model, load_reference

        ref = load_reference(path.parent, ())
        return booster_model(ref) if case.startswith("booster") else ref.quantity("geometry.cavity_lengths", "length")
    return read


def _npz_bytes() -> bytes:
    buf = io.BytesIO()
    f = np.linspace(18e9, 19e9, 5)
    np.savez(buf, frequency=f, short=np.full(5, 300.0), open=np.full(5, 310.0), load=np.full(5, 290.0),
             units='{"frequency": "Hz", "short": "K", "open": "K", "load": "K"}', resolution_bandwidth=1e4)
    return buf.getvalue()


def _fast_scenario() -> bytes:
    """models/reach_babyiaxo.toml with its TM010 and booster haloscopes only (the RADES chains are designed
    while loading, ~0.3 s each; the cavity reader covers chain files)."""
    text = (ROOT / "models" / "reach_babyiaxo.toml").read_text(encoding="utf-8")
    parts = re.split(r"(?m)^(?=\[\[haloscope\]\])", text)
    keep = [p for p in parts[1:] if re.search(r'(?m)^kind = "(tm010|booster)"', p)]
    assert len(keep) == 2
    return (parts[0] + "".join(keep)).encode("utf-8")


def _readers() -> dict[str, tuple[str, Callable[[], bytes], Callable[[Path], Any]]]:
    """reader -> (file name to write, valid bytes, function reading the path)."""
    from emboost.booster.setup import load_booster_setup
    from emboost.cavity.design import load_model
    from emboost.noise.spectra import read_enr_table, read_spectrum
    from emboost.pickup.setup import load_pickup_model
    from emboost.reach.magnets import load_magnets
    from emboost.reach.projections import load_scenario
    from emboost.rf.fem_exports import read_export
    from emboost.rf.touchstone import read_columns, read_touchstone

    def text(p: str) -> Callable[[], bytes]:
        return lambda: (ROOT / p).read_bytes()

    def head(p: str, n: int) -> Callable[[], bytes]:
        return lambda: b"\n".join((ROOT / p).read_bytes().split(b"\n")[:n]) + b"\n"

    def const(b: bytes) -> Callable[[], bytes]:
        return lambda: b

    s2p_v2 = (b"[Version] 2.0\n# MHz S MA R 50\n[Number of Ports] 2\n[Two-Port Data Order] 12_21\n"
              b"[Number of Frequencies] 3\n[Reference] 50 50\n[Network Data]\n1 .9 0 .1 10 .1 10 .9 0\n"
              b"2 .8 5 .2 10 .2 10 .8 5\n3 .7 8 .3 12 .3 12 .7 8\n[Noise Data]\n1 2.0 .5 30 .2\n[End]\n")
    return {
        "touchstone_s1p": ("m.s1p", text("examples/data/receiver_lna_s11.s1p"), read_touchstone),
        "touchstone_v2": ("m.ts", const(s2p_v2), read_touchstone),
        "columns": ("m.csv", const(b"% f, dB, deg\n1.0, -6.02, 90\n1.5, 0, 180\n2.0, -3, 10\n"),
                    lambda p: read_columns(p, ("f", "db", "deg"), frequency_unit="GHz")),
        "spectrum_csv": ("m.csv", head("examples/data/receiver_standards_tsys.csv", 40), read_spectrum),
        "spectrum_npz": ("m.npz", _npz_bytes, read_spectrum),
        "enr": ("m.csv", text("examples/data/receiver_enr.csv"), read_enr_table),
        "booster_setup": ("m.toml", text("models/cb200_config1.toml"), load_booster_setup),
        "cavity": ("m.toml", text("models/cast_rades_2018.toml"), load_model),
        "pickup": ("m.toml", text("models/dmradio_m3.toml"), load_pickup_model),
        "reach": ("reach.toml", _fast_scenario, load_scenario),
        "magnets": ("m.toml", text("models/magnets.toml"), load_magnets),
        "fem_comsol": ("m.txt", text("tests/data/fem_export_comsol_s11.txt"), read_export),
        "fem_cst": ("m.txt", text("tests/data/fem_export_cst_magphase.txt"), read_export),
        "fem_csv": ("m.csv", text("validation/rades_5cavity/modes.csv"), read_export),
        "meta_booster": ("meta.toml", text("validation/booster_ideal/meta.toml"), _meta_reader("booster")),
        "meta_rades": ("meta.toml", text("validation/rades_5cavity/meta.toml"), _meta_reader("rades")),
    }


READERS = sorted(_readers())
#: readers that evaluate physics while loading: there absurd but finite sizes (a 1e305 m guide) end in
#: numerical warnings of the model (division by zero, overflow in exp), which are not exceptions
_MODEL_WARNINGS_TOLERATED = {"cavity", "reach"}


@pytest.mark.parametrize("name", READERS)
def test_only_emboost_errors_escape(name: str, tmp_path: Path) -> None:
    file_name, valid, read = _readers()[name]
    if name in ("reach", "magnets"):  # files beside them: the magnet catalogue, setups, profiles, limit curves
        for p in (ROOT / "models").glob("*.toml"):
            shutil.copyfile(p, tmp_path / p.name)
        for d in ("limits", "profiles"):
            if (ROOT / "models" / d).is_dir():
                shutil.copytree(ROOT / "models" / d, tmp_path / d)
    base = valid()
    path = tmp_path / file_name
    path.write_bytes(base)
    read(path)  # the unmutated file is valid
    rng = random.Random(f"emboost-fuzz-{name}")
    escaped: list[str] = []
    rejected = 0
    for i in range(MUTATIONS_PER_READER):
        data, how = mutate(base, rng)
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():
                if name in _MODEL_WARNINGS_TOLERATED:
                    warnings.simplefilter("ignore", RuntimeWarning)
                read(path)
        except EmboostError as exc:
            rejected += 1
            assert "\n" not in str(exc), f"{name} #{i} ({how}): a message of several lines: {exc}"
        except Exception as exc:  # noqa: BLE001 - what the test is looking for
            escaped.append(f"#{i} ({how}): {type(exc).__name__}: {str(exc)[:200]}")
    summary = f"{name}: {len(escaped)} of {MUTATIONS_PER_READER} mutations escaped:\n" + "\n".join(escaped[:10])
    assert not escaped, summary
    assert rejected > MUTATIONS_PER_READER // 10  # the mutations do reach the checks


def test_mutated_npz_members_only_emboost_errors(tmp_path: Path) -> None:
    """Archive-level mutations of a spectrum NPZ: members replaced by strings, objects, 2-D or empty arrays."""
    from emboost.noise.spectra import read_spectrum

    rng = random.Random("emboost-fuzz-npz-members")
    f = np.linspace(18e9, 19e9, 4)
    weird: list[Any] = [np.array(["a", "b", "c", "d"]), np.array([1.0, None, 2.0, 3.0], dtype=object),
                        np.ones((2, 2)), np.array([]), np.array(1e308) * np.ones(4), np.array([1 + 1j] * 4),
                        np.array([True] * 4), np.array("x"), np.array([np.nan] * 4), np.arange(4, dtype=np.int8),
                        np.array('{"frequency": "Hz"}'), np.array(b'{"frequency": "Hz", "short": "dBm"}'),
                        np.array('{"frequency": "Hz", "short": 3}'), np.array("[1, 2]"), np.array(-1.0)]
    escaped = []
    for i in range(200):
        members: dict[str, Any] = {"frequency": f, "short": np.full(4, 300.0),
                                   "units": '{"frequency": "Hz", "short": "K"}', "resolution_bandwidth": 1e4}
        for _ in range(rng.randint(1, 2)):
            members[rng.choice(["frequency", "short", "units", "resolution_bandwidth", "extra"])] = rng.choice(weird)
        p = tmp_path / "m.npz"
        with zipfile.ZipFile(p, "w") as zf:
            for key, value in members.items():
                buf = io.BytesIO()
                np.save(buf, np.asarray(value), allow_pickle=True)
                zf.writestr(f"{key}.npy", buf.getvalue())
        try:
            read_spectrum(p)
        except EmboostError:
            pass
        except Exception as exc:  # noqa: BLE001
            escaped.append(f"#{i} {sorted(members)}: {type(exc).__name__}: {exc}")
    assert not escaped, "\n".join(escaped[:10])
