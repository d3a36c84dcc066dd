"""Every Python example in the documentation pages (docs/*.md) runs, with its printed claims."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = sorted((Path(__file__).resolve().parents[1] / "docs").glob("*.md"))

#: text each page's examples must print (the numbers the page claims)
EXPECTED = {
    "reach.md": "f0 = 337.478 MHz",
}


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_docs_examples_run(page, root, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert blocks, f"{page.name} has no Python example"
    monkeypatch.chdir(root)
    for i, code in enumerate(blocks):
        exec(compile(code, f"{page.name} python block {i}", "exec"), {"__name__": f"docs_{page.stem}_{i}"})
    if page.name in EXPECTED:
        assert EXPECTED[page.name] in capsys.readouterr().out
