"""Touchstone and column readers: real files load, every malformed case maps to one DataFileError."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emboost.core.errors import DataFileError, EmboostError
from emboost.rf.touchstone import read_columns, read_s_parameter, read_touchstone

BAD = {
    "touchstone_bad_empty.s1p": (None, "empty file"),
    "touchstone_bad_comments_only.s1p": (None, "empty file"),
    "touchstone_bad_no_option.s1p": (2, "data before the option line"),
    "touchstone_bad_garbage.s1p": (3, "'zebra' is not a number"),
    "touchstone_bad_truncated.s1p": (3, "truncated row: expected 3 values"),
    "touchstone_bad_port_count.s1p": (2, "expected 3 values per frequency for a 1-port file"),
    "touchstone_bad_nonmonotonic.s1p": (4, "is below the previous one"),
    "touchstone_bad_duplicate.s1p": (4, "duplicated frequency 2 GHz"),
    "touchstone_bad_nan.s1p": (3, "non-finite value 'nan'"),
    "touchstone_bad_inf.s1p": (3, "non-finite value 'inf'"),
    "touchstone_bad_option.s1p": (1, "unknown option 'XY'"),
    "touchstone_bad_extension.txt": (None, "cannot tell the number of ports from the extension"),
    "touchstone_bad_v2_count.ts": (None, "[Number of Frequencies] is 3 but the file has 2"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_file_message(test_data: Path, name: str) -> None:
    line, text = BAD[name]
    with pytest.raises(DataFileError) as exc:
        read_touchstone(test_data / name)
    assert exc.value.path is not None and exc.value.path.endswith(name)
    assert exc.value.line == line
    assert text in str(exc.value)


def test_every_bad_fixture_is_covered(test_data: Path) -> None:
    assert {p.name for p in test_data.glob("touchstone_bad_*")} == set(BAD)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        read_touchstone(tmp_path / "nothing.s1p")


SHARED = {  # file: (ports, frequencies, first S11 in the file's format converted by hand)
    "ring_slot_measured.s1p": (1, 101, -0.067684517179 + 0.659208635995j),
    "wr10_delay_short.s1p": (1, 201, 0.45345337996 + 0.891279996524j),
    "stripline_resonator_36mm.s2p": (2, 401, -0.34273978647569076 - 0.9252291821731725j),
    "190ghz_tx_measured.S2P": (2, 801, 1.2252435857e-1 * np.exp(1j * np.deg2rad(-6.0499525269e1))),
    "MiniCircuits_LFCN-2352+_Plus25degC.s2p": (2, 2006, 10 ** (-40.1014 / 20) * np.exp(1j * np.deg2rad(-47.91718))),
    "RS_ZVR_1.20_beta_f.s2p": (2, 1, 10 ** (-0.00001 / 20) * np.exp(1j * np.deg2rad(-100.001))),
    "touchstone1_spec_ex18_noise.s2p": (2, 2, 0.95 * np.exp(-1j * np.deg2rad(26))),
    "touchstone2_spec_ex17.ts": (2, 2, 0.95 * np.exp(-1j * np.deg2rad(26))),
    "touchstone2_spec_ex4.ts": (4, 1, 11.0),
}


@pytest.mark.parametrize("name", sorted(SHARED))
def test_shared_touchstone_files_load(shared_data: Path, name: str) -> None:
    ports, nf, s11 = SHARED[name]
    d = read_touchstone(shared_data / "touchstone" / name)
    assert d.nports == ports and d.frequency.shape == (nf,)
    assert np.all(np.diff(d.frequency) > 0)
    # 1e-6: the files print 6-12 significant digits; the conversion itself is exact
    assert abs(d.s[0, 0, 0] - s11) < 1e-6 * max(1, abs(s11))


def test_two_port_order_and_parameter_choice(shared_data: Path) -> None:
    f, s21 = read_s_parameter(shared_data / "touchstone" / "touchstone1_spec_ex18_noise.s2p", "S21")
    f2, s12 = read_s_parameter(shared_data / "touchstone" / "touchstone2_spec_ex17.ts", "S12")
    assert f.tolist() == [2e9, 22e9]  # v1: the noise block (frequency 4 after 22) is not data
    assert abs(s21[0] - 3.57 * np.exp(1j * np.deg2rad(157))) < 1e-12  # v1 order S11 S21 S12 S22
    assert abs(s12[0] - 0.04 * np.exp(1j * np.deg2rad(76))) < 1e-12
    d = read_touchstone(shared_data / "touchstone" / "touchstone2_spec_ex4.ts")
    assert d.parameter("S34")[0] == 34 and d.parameter("S43")[0] == 43
    with pytest.raises(DataFileError, match="S55 does not exist in a 4-port file"):
        d.parameter("S55")


def test_the_data_all_formats_agree(tmp_path: Path) -> None:
    s = np.array([0.5 - 0.25j, -0.1 + 0.7j])
    f = np.array([1.0, 2.5])
    ri = "\n".join(f"{a} {float(b.real)!r} {float(b.imag)!r}" for a, b in zip(f, s))
    ma = "\n".join(f"{a * 1e3} {float(abs(b))!r} {float(np.angle(b, deg=True))!r}" for a, b in zip(f, s))
    db = "\n".join(f"{a * 1e9} {float(20 * np.log10(abs(b)))!r} {float(np.angle(b, deg=True))!r}" for a, b in zip(f, s))
    for text, opt in ((ri, "# GHz S RI R 50"), (ma, "# MHz S MA R 50"), (db, "# Hz S DB R 50")):
        p = tmp_path / "x.s1p"
        p.write_text(opt + "\n" + text + "\n")
        ff, ss = read_s_parameter(p)
        assert np.allclose(ff, f * 1e9, rtol=1e-15) and np.allclose(ss, s, rtol=1e-12, atol=1e-14)


def test_columns(shared_data: Path, tmp_path: Path) -> None:
    f1, s1 = read_columns(shared_data / "npl_mat58" / "Table6c27.txt", ["f", "re", "im", "skip", "skip"], "GHz")
    f2, s2 = read_s_parameter(shared_data / "npl_mat58" / "Table6c27_S11_derived.s1p")
    assert np.array_equal(f1, f2) and np.array_equal(s1, s2)
    p = tmp_path / "bad.csv"
    p.write_text("1, 0.5, 0.1\n1, 0.4, 0.2\n")
    with pytest.raises(DataFileError, match="duplicated frequency") as exc:
        read_columns(p)
    assert exc.value.line == 2
    p.write_text("1, 0.5\n")
    with pytest.raises(DataFileError, match="expected 3 columns"):
        read_columns(p)


# -------------------------------------------------------------------------- property-based
_BASE = ("! a comment\n# GHz S RI R 50\n1.0 0.5 0.1\n1.5 0.4 0.2\n2.0 0.3 0.3\n2.5 0.2 0.4\n")
_BASE2 = ("[Version] 2.0\n# MHz S MA R 50\n[Number of Ports] 2\n[Two-Port Data Order] 12_21\n"
          "[Number of Frequencies] 2\n[Network Data]\n1 .9 0 .1 10 .1 10 .9 0\n2 .8 5 .2 10 .2 10 .8 5\n[End]\n")
_TOKENS = ["nan", "inf", "-1", "0", "1e400", "#", "!", "[", "]", "GHz", "RI", "S", "R", "x", "1.0", ",", "\n",
           "[Number of Ports] 3", "[Version] 1.0", "\x00", "é", "# Hz S DB R 0"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from([_BASE, _BASE2]))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "replace_token", "drop_line", "dup_line"]))
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        if op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(_TOKENS)) + text[i:]
        elif op == "replace_token":
            toks = re.split(r"(\s+)", text)
            j = draw(st.integers(0, len(toks) - 1))
            toks[j] = draw(st.sampled_from(_TOKENS))
            text = "".join(toks)
        else:
            lines = text.split("\n")
            j = draw(st.integers(0, len(lines) - 1))
            if op == "drop_line":
                del lines[j]
            else:
                lines.insert(j, lines[j])
            text = "\n".join(lines)
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated(), ext=st.sampled_from([".s1p", ".s2p", ".ts", ".s4p"]))
def test_mutated_touchstone_only_documented_errors(tmp_path: Path, text: str, ext: str) -> None:
    p = tmp_path / f"m{ext}"
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        d = read_touchstone(p)
    except DataFileError as exc:
        assert str(p) in str(exc)
        return
    assert np.all(np.isfinite(d.s)) and np.all(np.diff(d.frequency) > 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_recipe_only_documented_errors(root: Path, tmp_path: Path, data: st.DataObject) -> None:
    from emboost.jobs.fit_recipes import load_booster_fit_recipe, load_resonance_recipe
    from emboost.jobs.recipes import load_recipe

    src = data.draw(st.sampled_from(["npl_cavity_resonance.toml", "cb200_group_delay.toml"]))
    text = (root / "fits" / src).read_text()
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(1, 3))):
        j = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "garble", "number", "unit"]))
        if op == "drop":
            del lines[j]
        elif op == "garble":
            lines[j] = lines[j][: data.draw(st.integers(0, max(0, len(lines[j]))))] + data.draw(
                st.sampled_from(["=", "\"", "[", "x = 1", "{", "= -1"]))
        elif op == "number":
            lines[j] = re.sub(r"\d+(\.\d+)?", data.draw(st.sampled_from(["-5", "0", "1e9", "nan", "inf"])), lines[j])
        else:
            lines[j] = re.sub(r'"(mm|GHz|ns|1)"', data.draw(st.sampled_from(['"kg"', '"s"', '"Hz"', "3"])), lines[j])
    body = "\n".join(lines)
    # paths stay relative to fits/
    d = tmp_path / "fits"
    d.mkdir(exist_ok=True)
    shutil.copytree(root / "examples", tmp_path / "examples", dirs_exist_ok=True)
    shutil.copytree(root / "models", tmp_path / "models", dirs_exist_ok=True)
    p = d / "r.toml"
    p.write_text(body.replace("../../shared/data/npl_mat58/Table6c27_S11_derived.s1p", "missing.s1p"))
    try:
        kind, top = load_recipe(p)
        (load_resonance_recipe if kind == "resonance" else load_booster_fit_recipe)(p, top)
    except EmboostError:
        pass


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "bom.s1p"
    p.write_bytes(b"\xef\xbb\xbf! exported on Windows\n# GHz S RI R 50\n1.0 0.5 0.0\n2.0 0.0 0.5\n")
    f, s = read_s_parameter(p)
    assert f.tolist() == [1e9, 2e9] and s.tolist() == [0.5, 0.5j]


def test_v2_two_port_needs_the_data_order(tmp_path: Path) -> None:
    body = "[Number of Frequencies] 1\n[Network Data]\n1.0 0.1 0 0.2 0 0.3 0 0.4 0\n[End]\n"
    head = "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 2\n"
    p = tmp_path / "two.ts"
    p.write_text(head + body)
    with pytest.raises(DataFileError, match=r"needs '\[Two-Port Data Order\] 12_21' or '21_12'") as exc:
        read_touchstone(p)
    assert exc.value.line == 5
    for order, s12, s21 in (("12_21", 0.2, 0.3), ("21_12", 0.3, 0.2)):
        p.write_text(head + f"[Two-Port Data Order] {order}\n" + body)
        d = read_touchstone(p)
        assert d.parameter("S12")[0] == s12 and d.parameter("S21")[0] == s21


def test_values_overflowing_once_converted(tmp_path: Path) -> None:
    p = tmp_path / "big.s1p"
    p.write_text("# GHz S DB R 50\n1.0 8000 0\n")
    with pytest.raises(DataFileError, match="non-finite S-parameters"):
        read_touchstone(p)
    p.write_text("# GHz S RI R 50\n1e300 0.5 0\n")
    with pytest.raises(DataFileError, match="non-finite frequencies"):
        read_touchstone(p)
    c = tmp_path / "c.csv"
    c.write_text("1.0, 8000, 0\n")
    with pytest.raises(DataFileError, match="overflows") as exc:
        read_columns(c, ("f", "db", "deg"))
    assert exc.value.line == 1
