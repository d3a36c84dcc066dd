"""docs/physics.md answers every citation of it, and the licence, citation and changelog files are in place.

Citations take the forms ``physics.md §2.5``, ``docs/physics.md §4.3-4.5``, ``physics.md §2.1, §2.6-§2.8``,
``physics.md §6 items 8-11``, ``physics.md §7 item 6``, ``physics.md 3.4`` (no section sign) and equation
labels ``physics.md (A.9)``, ``physics.md (2.1)-(2.4)``, ``physics.md A.9-A.11`` or ``§4.6, eqs. 11-13``.
They are collected from the package, the tests, the documentation, the README, the model and recipe files,
the examples, the validation cases and the benchmarks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import emboost

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "physics.md"
SOURCES = ("emboost", "tests", "docs", "models", "fits", "examples", "validation", "benchmarks")
SUFFIXES = {".py", ".md", ".toml"}

_CITE = re.compile(r"physics\.md(?:'s)?\s*")
#: a section reference: "§2.5", "§4.3-4.5", "§2.6-§2.8", "§4", "§6 items 8-11", "§6 items 9, 14"
_SECTION = re.compile(r"§\s*(\d+)(?:\.(\d+))?(?:\s*[-–]\s*§?\s*(\d+)\.(\d+))?"
                      r"(?:\s+items?\s+(\d+(?:\s*(?:[-–]|,)\s*\d+)*))?")
#: an equation label right after the file name: "(A.9)", "(2.1)-(2.4)", "A.9-A.11", "(6)-(7)"
_EQUATION = re.compile(r"\(?(A\.\d+|\d+\.\d+|\d+)\)?(?:\s*[-–]\s*\(?(A\.\d+|\d+\.\d+|\d+)\)?)?")
#: equation numbers after a section reference: "eqs. 11-13", "eq. 13", "eqs. 6-7"
_EQS_AFTER = re.compile(r"eqs?\.\s*\(?(\d+)\)?(?:\s*[-–]\s*\(?(\d+)\)?)?")
#: where a citation's list of sections ends
_STOP = re.compile(r"[)\"'`;:(\n]|physics\.md")


def _files() -> list[Path]:
    out = [ROOT / "README.md"]
    for top in SOURCES:
        out += [p for p in sorted((ROOT / top).rglob("*")) if p.is_file() and p.suffix in SUFFIXES]
    return [p for p in out if p not in (PAGE, Path(__file__).resolve())]


def _expand(lo: str, hi: str | None) -> list[str]:
    """``A.9``..``A.11`` or ``2.1``..``2.4`` or ``6``..``7`` -> every label in between."""
    if hi is None:
        return [lo]
    head_lo, _, n_lo = lo.rpartition(".")
    head_hi, _, n_hi = hi.rpartition(".")
    if head_lo != head_hi or int(n_hi) < int(n_lo):
        return [lo, hi]
    return [f"{head_lo}.{i}" if head_lo else str(i) for i in range(int(n_lo), int(n_hi) + 1)]


def _items(text: str) -> list[int]:
    """``"8-11"`` -> 8, 9, 10, 11; ``"9, 14"`` -> 9, 14."""
    out: list[int] = []
    for part in re.split(r"\s*,\s*", text.strip()):
        span = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", part)
        if span:
            out += range(int(span.group(1)), int(span.group(2)) + 1)
        elif part:
            out.append(int(part))
    return out


def collect_citations(text: str) -> tuple[set[str], set[tuple[str, int]], set[str]]:
    """(sections, (section, item) pairs, equation labels) cited in ``text``."""
    sections: set[str] = set()
    items: set[tuple[str, int]] = set()
    equations: set[str] = set()
    for m in _CITE.finditer(text):
        rest = text[m.end():m.end() + 160]
        if rest.startswith("§"):
            stop = _STOP.search(rest)
            tail = rest[:stop.start()] if stop else rest
            for s in _SECTION.finditer(tail):
                major, minor, major2, minor2, item_list = s.groups()
                if minor is None:
                    sections.add(major)
                elif major2 is not None and major2 == major:
                    sections.update(f"{major}.{i}" for i in range(int(minor), int(minor2) + 1))
                else:
                    sections.add(f"{major}.{minor}")
                    if major2 is not None:
                        sections.add(f"{major2}.{minor2}")
                if item_list:
                    items.update((major, i) for i in _items(item_list))
            for e in _EQS_AFTER.finditer(tail):
                equations.update(f"({x})" for x in _expand(e.group(1), e.group(2)))
        elif rest.startswith("(") or rest.startswith("A."):
            e = _EQUATION.match(rest)
            if e:
                equations.update(f"({x})" for x in _expand(e.group(1), e.group(2)))
        else:
            bare = re.match(r"(\d+)\.(\d+)\b", rest)
            if bare:
                sections.add(f"{bare.group(1)}.{bare.group(2)}")
    return sections, items, equations


def page_structure(text: str) -> tuple[set[str], dict[str, set[int]]]:
    """Section numbers of the headings of ``text``, and the numbered items under each top-level section."""
    sections: set[str] = set()
    items: dict[str, set[int]] = {}
    current = ""
    for line in text.splitlines():
        h = re.match(r"^#{2,3}\s+(\d+)(?:\.(\d+))?\.?\s+\S", line)
        if h:
            major, minor = h.groups()
            sections.add(major if minor is None else f"{major}.{minor}")
            if line.startswith("## "):
                current = major
            continue
        it = re.match(r"^(\d+)\.\s+\S", line)
        if it and current:
            items.setdefault(current, set()).add(int(it.group(1)))
    return sections, items


@pytest.fixture(scope="module")
def cited() -> tuple[set[str], set[tuple[str, int]], set[str], dict[str, list[str]]]:
    sections: set[str] = set()
    items: set[tuple[str, int]] = set()
    equations: set[str] = set()
    where: dict[str, list[str]] = {}
    for path in _files():
        s, i, e = collect_citations(path.read_text(encoding="utf-8", errors="replace"))
        for key in s | {f"§{a} item {b}" for a, b in i} | e:
            where.setdefault(key, []).append(str(path.relative_to(ROOT)))
        sections |= s
        items |= i
        equations |= e
    return sections, items, equations, where


def test_the_parser_reads_every_citation_form():
    text = ("physics.md §2.5, x; docs/physics.md §4.3-4.5 y; physics.md §2.1, §2.6–§2.8) "
            "physics.md §6 items 8-11. physics.md §3.4 and §6 items 9, 14\n physics.md §7 item 6: z "
            "physics.md (A.1)-(A.3) physics.md A.9-A.11 physics.md (2.5)-(2.6) physics.md §4.6, eqs. 11-13) "
            "physics.md 3.4 uniform; physics.md §4.")
    s, i, e = collect_citations(text)
    assert s == {"2.5", "4.3", "4.4", "4.5", "2.1", "2.6", "2.7", "2.8", "6", "3.4", "7", "4.6", "4"}
    assert i == {("6", 8), ("6", 9), ("6", 10), ("6", 11), ("6", 14), ("7", 6)}
    assert e == {"(A.1)", "(A.2)", "(A.3)", "(A.9)", "(A.10)", "(A.11)", "(2.5)", "(2.6)",
                 "(11)", "(12)", "(13)"}


def test_page_structure_reader():
    text = "# T\n## 1. One\n### 1.2 Two\ntext\n## 6. Checks\n1. a\n2. b\n   3. not an item\n## 7. Limits\n6. c\n"
    sections, items = page_structure(text)
    assert sections == {"1", "1.2", "6", "7"}
    assert items == {"6": {1, 2}, "7": {6}}


def test_every_cited_section_exists(cited):
    sections, _, _, where = cited
    assert len(sections) >= 30, "fewer citations than expected: the citation parser is broken"
    have, _ = page_structure(PAGE.read_text(encoding="utf-8"))
    missing = sorted(sections - have, key=lambda s: [int(x) for x in s.split(".")])
    assert not missing, {s: where[s][:3] for s in missing}


def test_every_cited_item_exists(cited):
    _, items, _, where = cited
    assert ("6", 12) in items and ("7", 6) in items
    _, have = page_structure(PAGE.read_text(encoding="utf-8"))
    missing = sorted((a, b) for a, b in items if b not in have.get(a, set()))
    assert not missing, {f"§{a} item {b}": where[f"§{a} item {b}"][:3] for a, b in missing}


def test_every_cited_equation_label_exists(cited):
    _, _, equations, where = cited
    assert {"(A.8)", "(2.3)", "(4.1)", "(6)", "(7)", "(13)"} <= equations
    text = PAGE.read_text(encoding="utf-8")
    missing = sorted(e for e in equations if e not in text)
    assert not missing, {e: where[e][:3] for e in missing}


def test_the_page_is_its_own_text():
    """The page must not point readers to a file outside the repository for its content."""
    text = PAGE.read_text(encoding="utf-8")
    assert "shared/physics.md" not in text
    assert "[PAPER]" not in text and "[REC]" not in text and "[DER]" not in text


# ------------------------------------------------------------------ licence, citation, changelog


def test_license_is_bsd_3_clause():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Copyright (c) 2026, the emboost developers" in text
    assert "Redistribution and use in source and binary forms" in text
    assert "Neither the name of the copyright holder" in text


def _read_cff() -> dict:
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:  # pragma: no cover - a flat reading of the top-level keys
        out: dict = {}
        for line in text.splitlines():
            m = re.match(r"^([a-z-]+):\s*(.*)$", line)
            if m:
                out[m.group(1)] = m.group(2).strip().strip('"')
        return out
    return yaml.safe_load(text)


def test_citation_file_is_valid_and_has_the_package_version():
    cff = _read_cff()
    for key in ("cff-version", "message", "title", "version", "authors", "license", "abstract", "keywords"):
        assert key in cff, key
    assert str(cff["cff-version"]) == "1.2.0"
    assert str(cff["version"]) == emboost.__version__
    assert cff["license"] == "BSD-3-Clause"
    if isinstance(cff["authors"], list):
        assert cff["authors"][0].get("name") == "The emboost developers"


def test_changelog_has_unreleased_and_the_current_release():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(r"^## \[Unreleased\]", text, flags=re.M)
    assert re.search(rf"^## \[{re.escape(emboost.__version__)}\]", text, flags=re.M)
    for package in ("core", "rf", "noise", "booster", "cavity", "pickup", "fit", "mc", "reach", "report",
                    "jobs", "cli"):
        assert f"`emboost.{package}`" in text, package
    assert "DeprecationWarning" in text and "0.3" in text
