"""COMSOL / CST ASCII export readers: good files in each layout, and clear errors on malformed ones."""

from __future__ import annotations

import numpy as np
import pytest

from emboost.core.errors import DataFileError
from emboost.rf.fem_exports import column_scale, read_comsol, read_cst, read_export, read_reference_csv, s11_from_table


@pytest.fixture(scope="module")
def fem_rows(root):
    """Every third row of the stored ideal-booster FEM sweep: the content of the good fixtures."""
    t = read_reference_csv(root / "validation" / "booster_ideal" / "sweep.csv")
    return np.real(t["f_hz"])[::3], (np.real(t["re_s11"]) + 1j * np.real(t["im_s11"]))[::3]


@pytest.mark.parametrize("name,source", [("fem_export_comsol_s11.txt", "comsol"),
                                         ("fem_export_comsol_complex.txt", "comsol"),
                                         ("fem_export_cst_s11.txt", "cst"),
                                         ("fem_export_cst_magphase.txt", "cst")])
def test_good_exports_give_the_same_s11(root, fem_rows, name, source):
    t = read_export(root / "tests" / "data" / name)
    assert t.source == source
    f, s = s11_from_table(t)
    f0, s0 = fem_rows
    np.testing.assert_allclose(f, f0, rtol=1e-9)  # units converted: GHz / MHz -> Hz
    # 12 significant digits written; magnitude/phase round trip to ~1e-11
    assert np.max(np.abs(s - s0)) < 1e-9


def test_comsol_metadata_and_units(root):
    t = read_comsol(root / "tests" / "data" / "fem_export_comsol_s11.txt")
    assert t.units["freq"] == "GHz" and t.units["boost"] == "1"
    assert any("COMSOL 6.1" in h for h in t.header)
    assert t.names == ["freq", "real(emw.S11)", "imag(emw.S11)", "boost"]


def test_cst_units(root):
    t = read_cst(root / "tests" / "data" / "fem_export_cst_magphase.txt")
    assert t.units == {"Frequency": "MHz", "S1,1 (Magnitude)": "Lin", "S1,1 (Phase)": "deg"}


def test_column_scale():
    assert column_scale("kHz") == 1e3 and column_scale("ns") == 1e-9 and column_scale("dB") == 1.0
    with pytest.raises(DataFileError, match="unknown unit 'parsec'"):
        column_scale("parsec")


@pytest.mark.parametrize("name,message,line", [
    ("fem_export_bad_ragged.txt", "2 values in this row, but the header names 3 columns", 3),
    ("fem_export_bad_text.txt", "'abc' is not a number", 3),
    ("fem_export_bad_unit.txt", "unknown unit 'furlong'", None),
    ("fem_export_bad_unsorted.txt", "frequencies must increase strictly", 3),
    ("fem_export_bad_nan.txt", "is not finite", 3),
    ("fem_export_bad_empty.txt", "no data rows", None),
    ("fem_export_bad_noheader.txt", "header row of column names", 2),
    ("fem_export_bad_two_blocks.txt", "several parameter blocks", 4),
])
def test_malformed_exports(root, name, message, line):
    p = root / "tests" / "data" / name
    with pytest.raises(DataFileError, match=message) as exc:
        read_export(p)
    assert exc.value.path == str(p)
    assert exc.value.line == line


def test_s11_needs_phase(root):
    t = read_export(root / "tests" / "data" / "fem_export_bad_magnitude_only.txt")
    with pytest.raises(DataFileError, match="cannot find S11"):
        s11_from_table(t)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataFileError, match="cannot read"):
        read_export(tmp_path / "nothing.txt")
    p = tmp_path / "x.txt"
    p.write_text("f_hz,a\n1,2\n")
    with pytest.raises(DataFileError, match="unknown export format"):
        read_export(p, format="touchstone")  # type: ignore[arg-type]


def test_values_that_overflow_in_si_and_binary_files(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("% freq (THz)   emw.S11 (1)\n1e300  0.5-0.25i\n")
    with pytest.raises(DataFileError, match="overflows the floating-point range") as exc:
        read_export(p)
    assert exc.value.line == 2 and exc.value.key == "freq"
    p.write_bytes(b"f_hz,a\n1\x00,2\n")
    with pytest.raises(DataFileError, match="binary file") as exc:
        read_export(p)
    assert exc.value.line == 2
