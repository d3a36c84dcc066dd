"""Spectrum and ENR readers: good files in SI, each malformed fixture -> one readable error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emboost.core.errors import DataFileError, UnitError
from emboost.noise.spectra import read_enr_table, read_spectrum, write_spectrum_csv


def test_csv_units_converted_to_si(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("# resolution_bandwidth = 100 kHz\nfrequency [MHz]; p [dBm]; t [mK]\n1000; -30; 500\n2000; 0; 20\n")
    s = read_spectrum(p)
    assert s.frequency.tolist() == [1e9, 2e9]
    np.testing.assert_allclose(s.column("p"), [1e-6, 1e-3], rtol=1e-12)  # dBm -> W exactly
    np.testing.assert_allclose(s.column("t"), [0.5, 0.02], rtol=1e-12)
    assert s.kinds == {"p": "power", "t": "temperature"} and s.resolution_bandwidth == 1e5


def test_write_read_round_trip(tmp_path):
    f = np.linspace(1e9, 2e9, 5)
    write_spectrum_csv(tmp_path / "a.csv", f, {"t_sys": f / 1e7}, {"t_sys": "K"}, resolution_bandwidth=1e3)
    s = read_spectrum(tmp_path / "a.csv", columns=["t_sys"])
    np.testing.assert_array_equal(s.column("t_sys"), f / 1e7)  # repr() round-trips floats exactly


def test_npz_reader(tmp_path):
    p = tmp_path / "s.npz"
    np.savez(p, frequency=np.array([1.0, 2.0]), power=np.array([1.0, 2.0]),
             units=np.array(json.dumps({"frequency": "GHz", "power": "pW"})))
    s = read_spectrum(p)
    assert s.frequency.tolist() == [1e9, 2e9]
    np.testing.assert_allclose(s.column("power"), [1e-12, 2e-12])


BAD = [
    ("spectrum_bad_unsorted.csv", DataFileError, ["spectrum_bad_unsorted.csv", "line 5", "increase strictly"]),
    ("spectrum_bad_negative_power.csv", DataFileError, ["line 3", "negative power", "p_off"]),
    ("spectrum_bad_mismatched_lengths.csv", DataFileError, [":3:", "expected 2 values", "got 3"]),
    ("spectrum_bad_unknown_column.csv", UnitError, [":1:", "humidity", "neither a power"]),
    ("spectrum_bad_missing_unit.csv", UnitError, [":1:", "'t_sys'", "no unit"]),
    ("spectrum_bad_mismatched_lengths.npz", DataFileError, ["key 'power'", "mismatched lengths"]),
    ("spectrum_bad_missing_unit.npz", UnitError, ["key 'units'", "missing unit"]),
]


@pytest.mark.parametrize("name,exc,parts", BAD)
def test_bad_spectra(test_data, name, exc, parts):
    with pytest.raises(exc) as err:
        read_spectrum(test_data / name)
    msg = str(err.value)
    assert name in msg
    for part in parts:
        assert part in msg, msg


def test_unknown_requested_column(root):
    p = root / "examples" / "data" / "tsys_booster_narrowband.csv"
    with pytest.raises(DataFileError, match=r"key 'power'.*unknown column 'power'; the file has \['t_sys'\]"):
        read_spectrum(p, columns=["power"])


BAD_ENR = [
    ("enr_bad_unsorted.csv", DataFileError, ["line 5", "increase strictly"]),
    ("enr_bad_missing_unit.csv", UnitError, [":1:", "'frequency'", "no unit"]),
    ("enr_bad_mismatched_lengths.csv", DataFileError, [":3:", "expected 2 values", "got 1"]),
    ("enr_bad_not_a_number.csv", DataFileError, [":3:", "key 'enr'", "'fifteen' is not a number"]),
]


@pytest.mark.parametrize("name,exc,parts", BAD_ENR)
def test_bad_enr_tables(test_data, name, exc, parts):
    with pytest.raises(exc) as err:
        read_enr_table(test_data / name)
    msg = str(err.value)
    assert name in msg
    for part in parts:
        assert part in msg, msg


def test_enr_table_linear_column(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("frequency [GHz]  enr [1]\n1  10\n2  100\n")
    f, e = read_enr_table(p)
    assert f.tolist() == [1e9, 2e9]
    np.testing.assert_allclose(e, [10.0, 20.0])


def test_npz_archive_problems_are_one_line(tmp_path):
    import pickle

    f = np.array([1e9, 2e9])
    units = '{"frequency": "Hz", "p": "W"}'
    p = tmp_path / "s.npz"
    np.savez(p, frequency=f, p=np.array([1e-12, None], dtype=object), units=units)
    with pytest.raises(DataFileError, match="pickled Python objects, which are never loaded") as exc:
        read_spectrum(p)
    assert exc.value.key == "p"
    np.savez(p, frequency=f, p=np.array([1e-12, 2e-12]), units=units)
    whole = p.read_bytes()
    p.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataFileError, match="truncated or corrupt"):
        read_spectrum(p)
    p.write_bytes(pickle.dumps({"frequency": f}))
    with pytest.raises(DataFileError, match="pickled data"):
        read_spectrum(p)
    np.savez(p, frequency=f, p=np.array(["1", "2"]), units=units)
    with pytest.raises(DataFileError, match="must be 1-D real numbers"):
        read_spectrum(p)


def test_dbm_overflow_and_byte_order_mark(tmp_path):
    p = tmp_path / "s.csv"
    p.write_bytes(b"\xef\xbb\xbf# resolution_bandwidth = 10kHz\nfrequency [GHz], p [dBm]\n18, -90\n19, 4000\n")
    with pytest.raises(DataFileError, match="value 4000 in dBm overflows") as exc:
        read_spectrum(p)
    assert exc.value.line == 4 and exc.value.key == "p"
    p.write_bytes(b"\xef\xbb\xbf# resolution_bandwidth = 10kHz\nfrequency [GHz], p [dBm]\n18, -90\n19, -80\n")
    s = read_spectrum(p)
    assert s.resolution_bandwidth == 1e4 and s.column("p")[1] == pytest.approx(1e-11)
