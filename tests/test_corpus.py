"""Malformed inputs: every reader and the command that reads the file answer with one line naming the place.

The corpus lives in tests/data/corpus (written by make_corpus.py there); expected.toml gives, for each
file, the reader that must reject it, the command-line route that reads it, and the message it must
give: ``<file name as given><expect>`` (so the file and its line or key are both checked).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emboost.cli import main
from emboost.core.errors import EmboostError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"
CASES: list[dict[str, str]] = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))["case"]


def _reader(kind: str) -> Callable[[Path], Any]:
    from emboost.booster.setup import load_booster_setup
    from emboost.cavity.design import load_model
    from emboost.noise.spectra import read_enr_table, read_spectrum
    from emboost.pickup.setup import load_pickup_model
    from emboost.reach.magnets import load_magnets
    from emboost.reach.projections import load_scenario
    from emboost.rf.fem_exports import read_export
    from emboost.rf.touchstone import read_touchstone

    readers: dict[str, Callable[[Path], Any]] = {
        "touchstone": read_touchstone, "spectrum": read_spectrum, "enr": read_enr_table, "booster": load_booster_setup,
        "cavity": load_model, "pickup": load_pickup_model, "reach": load_scenario, "magnets": load_magnets,
        "fem_export": read_export}
    return readers[kind]


def _template(src: str, tmp: Path, replace: dict[str, str]) -> Path:
    """A copy of a real recipe or model in ``tmp`` with some string values replaced and the relative
    paths (``"../..."``, relative to ``fits/`` or ``models/``) made absolute."""
    text = (ROOT / src).read_text(encoding="utf-8")
    for key, value in replace.items():
        lines = text.splitlines()
        hits = [i for i, ln in enumerate(lines) if ln.split("=")[0].strip() == key]
        assert hits, (src, key)
        lines[hits[0]] = f'{key} = "{value}"'
        text = "\n".join(lines) + "\n"
    text = text.replace('= "../', f'= "{ROOT.as_posix()}/')
    out = tmp / Path(src).name
    out.write_text(text, encoding="utf-8")
    return out


def _validation_root(tmp: Path, case: str, replaced: str, source: Path) -> Path:
    """A copy of validation/<case> under ``tmp`` with the file ``replaced`` taken from ``source``."""
    root = tmp / "validation"
    shutil.copytree(ROOT / "validation" / case, root / case, ignore=shutil.ignore_patterns("raw", "*.py"))
    shutil.copyfile(source, root / case / replaced)
    return root


def _route(c: dict[str, str], tmp: Path) -> tuple[list[str], str]:
    """The command line that reads the case's file, and the name under which the file is reported."""
    path = CORPUS / c["file"]
    out = str(tmp / "out")
    route = c["route"]
    if route in ("boost", "cavity", "pickup", "reach", "fit", "mc"):
        return [route, str(path), "--output", out], c["file"]
    if route == "derive":  # --quiet: derive reports its progress on stderr
        return [route, str(path), "--output", out, "--quiet"], c["file"]
    if route == "fit:resonance":
        r = _template("fits/npl_cavity_resonance.toml", tmp, {"file": str(path), "fallback": str(path)})
        return ["fit", str(r), "--output", out], c["file"]
    if route == "fit:noise":
        r = _template("fits/noise_standards.toml", tmp, {"spectra": str(path)})
        return ["fit", str(r), "--output", out], c["file"]
    if route == "derive:enr":
        r = _template("fits/cb200_campaign.toml", tmp, {"enr": str(path)})
        return ["derive", str(r), "--output", out, "--quiet"], c["file"]
    if route == "reach:magnets":
        r = _template("models/reach_babyiaxo.toml", tmp, {"magnets": str(path)})
        return ["reach", str(r), "--output", out], c["file"]
    if route.startswith("validate:"):
        case = route.split(":", 1)[1]
        name = "meta.toml" if c["reader"] == "meta" else "modes.csv"
        root = _validation_root(tmp, case, name, path)
        return ["validate", case, "--root", str(root), "--output", out, "--no-plots"], name
    if route == "output-under-file":
        return ["boost", str(ROOT / "models" / "cb200_config1.toml"), "--output", str(path / "out")], c["file"]
    raise AssertionError(f"unknown route {route!r}")


def _ids() -> list[str]:
    return [c["file"] for c in CASES]


def test_corpus_is_large_and_spread() -> None:
    readers = {c["reader"] for c in CASES}
    assert len(CASES) >= 60
    assert readers >= {"touchstone", "spectrum", "enr", "booster", "cavity", "pickup", "reach", "magnets",
                       "fem_export", "meta"}
    assert {c["route"] for c in CASES} >= {"fit", "mc", "derive"}  # recipes of each command
    for c in CASES:
        assert (CORPUS / c["file"]).is_file(), c["file"]


@pytest.mark.parametrize("c", [c for c in CASES if c["reader"]], ids=[c["file"] for c in CASES if c["reader"]])
def test_reader_gives_one_line(c: dict[str, str], tmp_path: Path) -> None:
    path = CORPUS / c["file"]
    with pytest.raises(EmboostError) as exc:
        if c["reader"] == "meta":
            from emboost.jobs.validate import compare

            _, name = _route(c, tmp_path)
            case = c["route"].split(":", 1)[1]
            compare(case, tmp_path / "validation")
        else:
            name = c["file"]
            _reader(c["reader"])(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert name + c["expect"] in msg, msg


@pytest.mark.parametrize("c", CASES, ids=_ids())
def test_command_line_gives_one_line(c: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv, name = _route(c, tmp_path)
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"emboost {argv[0]}: error: ")
    assert name + c["expect"] in lines[0], lines[0]


@pytest.mark.parametrize("exc", [PermissionError(13, "Permission denied", "out/boost.csv"),
                                 OSError(28, "No space left on device", "out/boost.png"),
                                 NotADirectoryError(20, "Not a directory", "file/out"), MemoryError()])
def test_operating_system_errors_are_one_line(exc: BaseException, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import emboost.cli.boost as boost

    def fail(args: Any) -> int:
        raise exc

    monkeypatch.setattr(boost, "run", fail)
    status = main(["boost", str(ROOT / "models" / "cb200_config1.toml"), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert status == 1 and "\n" not in err and "Traceback" not in err
    if isinstance(exc, OSError):
        assert err == f"emboost boost: error: {exc.filename}: {exc.strerror}"
    else:
        assert err.startswith("emboost boost: error: out of memory")


def test_unexpected_exceptions_keep_their_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import emboost.cli.boost as boost

    def fail(args: Any) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(boost, "run", fail)
    with pytest.raises(ZeroDivisionError):
        main(["boost", str(ROOT / "models" / "cb200_config1.toml"), "--output", str(tmp_path / "o")])
