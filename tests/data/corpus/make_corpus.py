"""Write the malformed-input corpus of tests/test_corpus.py: one small file per case and expected.toml.

Run from anywhere: ``python3 tests/data/corpus/make_corpus.py``. Text cases are written literally here;
setup files and recipes are copies of the real ones in ``models/`` and ``fits/`` with one defect each
(relative paths in them are rewritten so that they still point into the repository); NPZ cases are made
with numpy. Every case names the reader that must reject it, the command-line route that reads it and
the expected message: ``<name of the file as given><expect>``, e.g. ``x.s1p:3: truncated row``.
"""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BOM = b"\xef\xbb\xbf"

#: name -> (bytes, reader, route, expect, what the case is)
CASES: dict[str, tuple[bytes, str, str, str, str]] = {}


def case(name: str, data: bytes | str, reader: str, route: str, expect: str, what: str) -> None:
    assert name not in CASES, name
    CASES[name] = (data.encode() if isinstance(data, str) else data, reader, route, expect, what)


def mutate(src: str, pattern: str, repl: str, *, count: int = 1, flags: int = re.MULTILINE) -> str:
    """One defect in a real file of the repository; relative paths are rewritten to point into it."""
    rel = Path(src).parent.as_posix()
    text = (ROOT / src).read_text(encoding="utf-8")
    text = re.sub(r'= "((?:\.\./)*[\w./+-]+\.(?:toml|s1p|s2p|csv|npz|json))"',
                  lambda m: f'= "../../../{rel}/{m.group(1)}"', text)
    new, n = re.subn(pattern, repl, text, count=count, flags=flags)
    assert n == count, (src, pattern)
    return new


# ------------------------------------------------------------------------------ Touchstone
TS = "fit:resonance"
case("ts_truncated_row.s1p", "# GHz S RI R 50\n1.0 0.5 0.0\n2.0 0.5\n", "touchstone", TS,
     ":3: truncated row", "a record cut short")
case("ts_bom_garbage.s1p", BOM + b"! exported\n# GHz S RI R 50\n1.0 0.5 zebra\n", "touchstone", TS,
     ":3: 'zebra' is not a number", "byte-order mark accepted, then a word in the data")
case("ts_v2_no_order.s2p", "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 2\n[Number of Frequencies] 1\n"
     "[Network Data]\n1.0 0.1 0 0.2 0 0.3 0 0.4 0\n[End]\n", "touchstone", TS,
     ":5: a Touchstone 2 two-port needs '[Two-Port Data Order]", "v2 two-port without the data order")
case("ts_latin1.s1p", b"! caf\xe9\n# GHz S RI R 50\n1.0 0.5 0.0\n", "touchstone", TS, ":1: not a UTF-8 text file",
     "Latin-1 comment")
case("ts_nul.s1p", b"# GHz S RI R 50\n1.0 0.5\x00 0.0\n", "touchstone", TS, ":2: binary file (NUL bytes)",
     "binary content")
case("ts_db_overflow.s1p", "# GHz S DB R 50\n1.0 8000 0\n2.0 -3 0\n", "touchstone", TS,
     ": non-finite S-parameters after conversion", "a dB value that overflows once converted")
case("ts_freq_overflow.s1p", "# GHz S RI R 50\n1e300 0.5 0\n2e300 0.5 0\n", "touchstone", TS,
     ": non-finite frequencies once converted to Hz", "frequencies beyond the float range once in Hz")
case("ts_v2_bad_version.ts", "[Version] 3.0\n# GHz S RI R 50\n[Number of Ports] 1\n[Network Data]\n1 0.5 0\n",
     "touchstone", TS, ":1: [Version] '3.0' not supported", "unknown Touchstone version")
case("ts_keyword_in_v1.s1p", "# GHz S RI R 50\n[Number of Ports] 1\n1.0 0.5 0.0\n", "touchstone", TS,
     ":2: keyword [Number of Ports] in a file without '[Version] 2.0'", "a v2 keyword in a v1 file")
case("ts_z_parameters.s1p", "# GHz Z RI R 50\n1.0 0.5 0.0\n", "touchstone", TS, ":1: Z-parameters are not supported",
     "Z instead of S parameters")
case("ts_zero_impedance.s1p", "# GHz S RI R 0\n1.0 0.5 0.0\n", "touchstone", TS,
     ":1: reference impedance 0 ohm must be > 0", "reference impedance 0")
case("ts_too_many_values.s1p", "# GHz S RI R 50\n1.0 0.5 0.0 7\n", "touchstone", TS, ":2: too many values",
     "an extra value")
case("ts_ports_disagree.s2p", "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 3\n", "touchstone", TS,
     ":3: [Number of Ports] 3 disagrees with the extension .s2p", "v2 port count against the extension")
case("ts_mixed_mode.ts", "[Version] 2.0\n# GHz S RI R 50\n[Number of Ports] 4\n[Mixed-Mode Order] D2,3 C2,3\n",
     "touchstone", TS, ":4: mixed-mode Touchstone files are not supported", "mixed-mode data")

# ------------------------------------------------------------------------------ spectra (CSV)
SP = "fit:noise"
HDR = "frequency [GHz], short [K], open [K], load [K]\n"
case("sp_dbm_overflow.csv", "frequency [GHz], short [dBm], open [K], load [K]\n18, 4000, 1, 1\n19, 1, 1, 1\n",
     "spectrum", SP, ":2: key 'short': value 4000 in dBm overflows", "dBm beyond the float range in W")
case("sp_bom_no_unit.csv", BOM + b"frequency [GHz], short, open [K], load [K]\n18, 1, 1, 1\n", "spectrum", SP,
     ":1: key 'short': column 'short' has no unit", "byte-order mark accepted, then a column without unit")
case("sp_nan.csv", HDR + "18, 1, 1, 1\n19, 1, nan, 1\n", "spectrum", SP, ":3: key 'open': 'nan' is not a finite",
     "NaN in the data")
case("sp_unsorted.csv", HDR + "18, 1, 1, 1\n17, 1, 1, 1\n", "spectrum", SP,
     ": key 'frequency': line 3: frequency", "frequencies going down")
case("sp_ragged.csv", HDR + "18, 1, 1, 1\n19, 1, 1\n", "spectrum", SP, ":3: expected 4 values", "a short row")
case("sp_negative.csv", HDR + "18, 1, -1, 1\n", "spectrum", SP, ": key 'open': line 2: negative temperature",
     "a negative temperature")
case("sp_unknown_unit.csv", "frequency [GHz], short [kg], open [K], load [K]\n18, 1, 1, 1\n", "spectrum", SP,
     ":1: key 'short': column 'short': unit 'kg' is neither", "a mass unit")
case("sp_latin1.csv", b"# r\xe9sum\xe9\n" + HDR.encode() + b"18, 1, 1, 1\n", "spectrum", SP,
     ":1: not a UTF-8 text file", "Latin-1 comment")
case("sp_rbw_unit.csv", "# resolution_bandwidth = 10 parsec\n" + HDR + "18, 1, 1, 1\n", "spectrum", SP,
     ":1: key 'resolution_bandwidth': unknown unit 'parsec'", "resolution bandwidth in a length unit")
case("sp_freq_overflow.csv", "frequency [THz], short [K], open [K], load [K]\n1e300, 1, 1, 1\n", "spectrum", SP,
     ":2: key 'frequency': value 1e+300 in its unit overflows", "frequency beyond the float range in Hz")
case("sp_no_header.csv", "# only comments\n\n", "spectrum", SP, ": no header row", "no header")
case("sp_empty_file.csv", "", "spectrum", SP, ": no header row", "an empty file")


# ------------------------------------------------------------------------------ spectra (NPZ)
def npz(**arrays: object) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


F = np.array([18e9, 19e9])
T = np.array([300.0, 301.0])
UNITS = '{"frequency": "Hz", "short": "K", "open": "K", "load": "K"}'
good = npz(frequency=F, short=T, open=T, load=T, units=UNITS)
case("npz_truncated.npz", good[: len(good) // 2], "spectrum", SP, ": not a readable .npz archive (truncated",
     "half an archive")
case("npz_object_array.npz", npz(frequency=F, short=np.array([1.0, None], dtype=object), open=T, load=T,
                                 units=UNITS), "spectrum", SP, ": key 'short': entry 'short' holds pickled",
     "an object array (would need pickle)")
case("npz_pickle_file.npz", pickle.dumps({"frequency": [1, 2]}), "spectrum", SP,
     ": not a readable .npz archive (pickled data", "a pickle instead of an archive")
case("npz_string_values.npz", npz(frequency=F, short=np.array(["1", "2"]), open=T, load=T, units=UNITS),
     "spectrum", SP, ": key 'short': array 'short' must be 1-D real numbers", "strings where numbers belong")
case("npz_dbm_overflow.npz", npz(frequency=F, short=np.array([4000.0, 1.0]), open=T, load=T,
                                 units='{"frequency": "Hz", "short": "dBm", "open": "K", "load": "K"}'),
     "spectrum", SP, ": key 'short': value 4000 in dBm overflows", "dBm beyond the float range in W")
case("npz_no_units.npz", npz(frequency=F, short=T, open=T, load=T), "spectrum", SP,
     ": key 'units': missing unit", "no units entry")
case("npz_mismatched.npz", npz(frequency=F, short=T, open=T[:1], load=T, units=UNITS), "spectrum", SP,
     ": key 'open': array 'open' has 1 values but 'frequency' has 2", "arrays of different lengths")
case("npz_units_not_json.npz", npz(frequency=F, short=T, open=T, load=T, units="frequency: Hz"), "spectrum", SP,
     ": key 'units': 'units' must be a JSON object", "units that are not JSON")
case("npz_nan.npz", npz(frequency=F, short=np.array([1.0, np.nan]), open=T, load=T, units=UNITS), "spectrum", SP,
     ": key 'short': array 'short' holds non-finite values", "NaN in an array")
zbuf = io.BytesIO()
with zipfile.ZipFile(zbuf, "w") as zf:
    zf.writestr("frequency.npy", b"\x93NUMPY garbage")
    zf.writestr("units.npy", b"\x93NUMPY garbage")
case("npz_bad_member.npz", zbuf.getvalue(), "spectrum", SP, ": key 'units': entry 'units' is not a readable array",
     "a zip whose members are not arrays")

# ------------------------------------------------------------------------------ ENR tables
EN = "derive:enr"
case("enr_freq_overflow.csv", "frequency [THz], enr [dB]\n1e300, 15\n2e300, 15\n", "enr", EN,
     ":2: key 'frequency': value 1e+300 in its unit overflows", "frequency beyond the float range in Hz")
case("enr_wrong_unit.csv", "frequency [GHz], enr [K]\n10, 15\n20, 15\n", "enr", EN,
     ":1: key 'enr': column 'enr' needs the unit [dB] or [1]", "ENR in kelvin")
case("enr_bom_three_columns.csv", BOM + b"# certificate\nfrequency [GHz], enr [dB], sigma [dB]\n10, 15, 0.1\n",
     "enr", EN, ":2: an ENR table has two columns", "byte-order mark accepted, then a third column")
case("enr_linear_negative.csv", "frequency [GHz], enr [1]\n10, 30\n20, -1\n", "enr", EN,
     ":3: key 'enr': linear ENR must be > 0", "a negative linear ENR")
case("enr_no_rows.csv", "frequency [GHz], enr [dB]\n", "enr", EN, ": no data rows after the header",
     "a header only")
case("enr_greek_mu_unit.csv", "frequency [μm], enr [dB]\n10, 15\n", "enr", EN,
     ": key 'frequency': unit 'µm' is a length, expected a frequency", "a length unit (Greek mu) for frequency")

# ------------------------------------------------------------------------------ booster setup files
BO = "boost"
B1 = "models/cb200_config1.toml"
case("boost_points_huge.toml", mutate(B1, r"^points = 801", "points = 2_000_000_000"), "booster", BO,
     ": key 'band.points': must be <= 1000000", "a size that would need 15 GiB")
case("boost_int_overflow.toml", mutate(B1, r"^count = 3", "count = 1" + "0" * 400), "booster", BO,
     ": key 'disks.count': expected a finite integer within the float range", "an integer beyond the float range")
case("boost_bom_bad_unit.toml", BOM + mutate(B1, r'radius = \{ value = 100, unit = "mm"',
                                             'radius = { value = 100, unit = "parsec"').encode(), "booster", BO,
     ": key 'cylinder.radius': unknown unit 'parsec'; expected a length (one of: m, cm, mm, um, µm",
     "byte-order mark accepted, then an unknown unit")
case("boost_nan.toml", mutate(B1, r"value = 1\.0, unit = \"mm\"", "value = nan, unit = \"mm\""), "booster", BO,
     ": key 'disks.thickness': expected a finite number, got nan", "NaN thickness")
case("boost_si_overflow.toml", mutate(B1, r'stop = \{ value = 18.65, unit = "GHz"',
                                      'stop = { value = 1e300, unit = "THz"'),
     "booster", BO, ": key 'band.stop': value out of range", "a frequency that overflows once in Hz")
case("boost_latin1.toml", mutate(B1, r"^# MADMAX", "# MADMAX caf\xe9").encode("latin-1"), "booster", BO,
     ":1: not a UTF-8 text file", "Latin-1 comment")
case("boost_deep_nesting.toml", "x = " + "[" * 5000 + "\n", "booster", BO,
     ": invalid TOML:", "arrays nested 5000 deep")
case("boost_wrong_mu_unit.toml", mutate(B1, r'thickness = \{ value = 1.0, unit = "mm"',
                                        'thickness = { value = 1.0, unit = "μs"'), "booster", BO,
     ": key 'disks.thickness': unit 'µs' is a time, expected a length", "a time unit (Greek mu) for a length")

# ------------------------------------------------------------------------------ cavity, pickup, reach, magnets
C1 = "models/cast_rades_2018.toml"
case("cavity_points_huge.toml", mutate(C1, r"^points = 4001", "points = 2_000_000_000"), "cavity", "cavity",
     ": key 'analysis.points': must be <= 1000000", "a size that would need 15 GiB")
case("cavity_int_overflow.toml", mutate(C1, r'a = \{ value = 22.86,', "a = { value = 1" + "0" * 400 + ","),
     "cavity", "cavity", ": key 'guide.a': expected a finite number", "an integer beyond the float range")
case("cavity_bom_syntax.toml", BOM + mutate(C1, r"^\[walls\]", "[walls").encode(), "cavity", "cavity",
     ":34: invalid TOML: Expected ']'", "byte-order mark accepted, then a syntax error")
P1 = "models/dmradio_m3.toml"
case("pickup_points_huge.toml", mutate(P1, r"^points = 2000", "points = 2_000_000_000"), "pickup", "pickup",
     ": key 'operation.points': must be <= 1000000", "a size that would need 15 GiB")
case("pickup_inf.toml", mutate(P1, r"value = 20, unit = \"mK\"", "value = inf, unit = \"mK\""), "pickup", "pickup",
     ": key 'operation.temperature': expected a finite number, got inf", "an infinite temperature")
case("pickup_no_space_bad_unit.toml", mutate(P1, r'lab_speed = \{ value = 232, unit = "km/s"',
                                             'lab_speed = { value = 232, unit = "km/h"'), "pickup", "pickup",
     ": key 'operation.lab_speed': unknown unit 'km/h'; expected a velocity (one of: m/s, km/s;",
     "a velocity unit that is not listed")
R1 = "models/reach_babyiaxo.toml"


def models_relative(text: str) -> str:
    """A model file moved into tests/data/corpus keeps reaching its data files in models/."""
    return text.replace('"limits/', '"../../../models/limits/').replace('"profiles/', '"../../../models/profiles/')


case("reach_points_huge.toml", models_relative(mutate(R1, r"^points = 61", "points = 2_000_000_000")), "reach", "reach",
     ": key 'haloscope[2].points': must be <= 1000000", "a size that would need 15 GiB")
case("reach_si_overflow.toml", models_relative(mutate(R1, r"b_field = \{ value = 8.8, unit = \"T\"",
                                      "b_field = { value = 1" + "0" * 400 + ", unit = \"T\"")), "reach", "reach",
     ": key 'haloscope[0].b_field': expected a finite number", "an integer beyond the float range")
M1 = "models/magnets.toml"
case("magnets_bores_huge.toml", models_relative(mutate(M1, r"^bores = 2", "bores = 1" + "0" * 30)), "magnets",
     "reach:magnets",
     ": key 'magnet[0].bores': must be <= 1000000", "a bore count of 1e30")
case("magnets_field_inf.toml", models_relative(mutate(M1, r"value = 9.0, unit = \"T\"", "value = inf, unit = \"T\"")),
     "magnets",
     "reach:magnets", ": key 'magnet[0].field': expected a finite number, got inf", "an infinite field")

# ------------------------------------------------------------------------------ recipes (fits/), command line only
case("rec_resonance_bad_type.toml", mutate("fits/npl_cavity_resonance.toml", r'^type = "reflection"',
                                          'type = "sideways"'), "", "fit", ": key 'model.type': expected one of",
     "resonance: an unknown model type")
case("rec_noise_standards_bad_unit.toml", mutate("fits/noise_standards.toml", r'start = "17 GHz"',
                                                'start = "17 parsec"'),
     "", "fit", ": key 'window.start': unknown unit 'parsec'", "noise_standards: a length for a frequency")
case("rec_reflectivity_overflow.toml", mutate("fits/cb200_reflectivity.toml", r"value = 16.0, unit = \"GHz\"",
                                              "value = 1e300, unit = \"THz\""), "", "fit",
     ": key 'window.start': value out of range", "booster_reflectivity: a window that overflows in Hz")
case("rec_group_delay_syntax.toml", BOM + mutate("fits/cb200_group_delay.toml", r"^\[model\]", "[model").encode(),
     "", "fit", ":10: invalid TOML", "booster_group_delay: byte-order mark, then a syntax error")
case("rec_tsys_expression.toml", mutate("fits/cb200_tsys_delay.toml", r"^grid_points = 141", "grid_points = 10**9"),
     "", "fit", ":34: invalid TOML", "tsys_line_delay: an expression where a number belongs")
case("rec_tsys_grid_int_overflow.toml", mutate("fits/cb200_tsys_delay.toml", r"^grid_points = 141",
                                               "grid_points = 1" + "0" * 400), "", "fit",
     ": key 'narrowband.grid_points': expected a finite integer within the float range",
     "tsys_line_delay: an integer beyond the float range")
case("rec_montecarlo_samples_huge.toml", mutate("fits/cb200_montecarlo.toml", r"^samples = 150",
                                                "samples = 2_000_000_000"), "", "mc",
     ": key 'montecarlo.samples': must be <= 1000000", "montecarlo: two billion samples")
case("rec_campaign_points_huge.toml", mutate("fits/cb200_campaign.toml", r"^samples = \d+",
                                             "samples = 2_000_000_000"), "", "derive",
     ": key 'montecarlo.samples': must be <= 1000000", "campaign: two billion samples")

# ------------------------------------------------------------------------------ FEM exports (validate rades_5cavity)
FE = "validate:rades_5cavity"
case("fem_comsol_overflow.txt", "% Model: x.mph\n% freq (THz)   emw.S11 (1)\n1e300  0.5-0.25i\n", "fem_export", FE,
     ":3: key 'freq': column 'freq': value '1e300' overflows", "a frequency that overflows once in Hz")
case("fem_nul.csv", b"# x\nf_hz,amp_1\n1e9,\x000.5\n", "fem_export", FE, ":3: binary file (NUL bytes)",
     "binary content")
case("fem_ragged.csv", "# x\nf_hz,form_factor,amp_1\n8.4e9,0.6\n", "fem_export", FE,
     ":3: 2 values in this row, but the header names 3 columns", "a short row")
case("fem_text_value.csv", "# x\nf_hz,form_factor\n8.4e9,zebra\n", "fem_export", FE,
     ":3: key 'form_factor': column 'form_factor': 'zebra' is not a number", "a word in the data")
case("fem_cst_two_blocks.txt", '#"Frequency / GHz"\t"S1,1 [Magnitude]"\n#---\n1\t0.5\n#Parameters = {a=1}\n2\t0.6\n',
     "fem_export", FE, ":4: several parameter blocks in one export", "a CST export with two parameter blocks")

# ------------------------------------------------------------------------------ meta.toml of validation references
MB = "validate:booster_ideal"
MI = "validation/booster_ideal/meta.toml"
case("meta_radius_no_unit.toml", mutate(MI, r"^radius = \{ value = 20.0, unit = \"mm\", source = \"[^\"]*\" \}",
                                        "radius = 20.0"), "meta", MB,
     ": key 'geometry.radius': missing unit", "a bare number where a length belongs")
case("meta_radius_frequency.toml", mutate(MI, r"value = 20.0, unit = \"mm\"", "value = 20.0, unit = \"GHz\""),
     "meta", MB, ": key 'geometry.radius': unit 'GHz' is a frequency, expected a length", "a frequency unit")
case("meta_files_string.toml", mutate(MI, r'^files = \[.*\]$', 'files = "sweep.csv"'), "meta", MB,
     ": key 'case.files': expected a list of file names", "a string where a list belongs")
case("meta_bom_no_solver.toml", BOM + mutate(MI, r'^name = "NGSolve"', 'solver_name = "NGSolve"').encode(), "meta",
     MB, ": key 'solver.name': meta.toml lacks 'solver.name'", "byte-order mark accepted, then a missing key")
case("meta_gaps_text.toml", mutate(MI, r"values = \[9.75, 9.75, 9.75\]", 'values = [9.75, "x", 9.75]'), "meta", MB,
     ": key 'geometry.gaps[1]': expected a number, got 'x'", "a word among the gaps")
MR = "validate:rades_5cavity"
case("meta_rades_lengths_inf.toml", mutate("validation/rades_5cavity/meta.toml", r"values = \[23.9,",
                                           "values = [inf,"), "meta", MR,
     ": key 'geometry.cavity_lengths[0]': expected a finite number, got inf", "an infinite cavity length")
MD = "validate:dmradio_coax"
case("meta_dmradio_length_text.toml", mutate("validation/dmradio_coax/meta.toml", r"^length_m = 1.68",
                                             'length_m = "1.68 m"'), "meta", MD,
     ": key 'geometry.length_m': expected a finite number, got '1.68 m'", "a string where metres belong")

# ------------------------------------------------------------------------------ command line: the output folder
case("output_parent_is_a_file.txt", "this file stands where the output folder's parent should be\n", "",
     "output-under-file", "/out: cannot create the output folder", "--output below a regular file")


def main() -> None:
    for old in HERE.iterdir():
        if old.name not in ("make_corpus.py", "__pycache__"):
            old.unlink()
    lines = ["# Malformed inputs and the one-line error each must give (written by make_corpus.py; do not edit).",
             "# The message must contain '<file name as given><expect>'; reader '' means the command line only.", ""]
    for name, (data, reader, route, expect, what) in CASES.items():
        (HERE / name).write_bytes(data)
        lines += ["[[case]]", f"file = {name!r}".replace("'", '"'), f'reader = "{reader}"', f'route = "{route}"',
                  "expect = " + _toml_str(expect), "what = " + _toml_str(what), ""]
    (HERE / "expected.toml").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


def _toml_str(s: str) -> str:
    return "'" + s + "'" if "'" not in s else '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    main()
