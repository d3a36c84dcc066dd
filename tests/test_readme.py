"""The README's examples run, and its two set-up commands are the ones CI and users run."""

from __future__ import annotations

import re

import pytest


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_python_examples_run(root, monkeypatch, capsys):
    text = (root / "README.md").read_text()
    blocks = _blocks(text, "python")
    assert len(blocks) >= 4
    monkeypatch.chdir(root)
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"README.md python block {i}", "exec"), {"__name__": f"readme_{i}"})
        except Exception as exc:  # pragma: no cover - the message says which block
            pytest.fail(f"README python block {i} failed: {exc!r}")
    out = capsys.readouterr().out
    assert "30.048" in out and "99.42 K" in out


def test_readme_commands_match_ci(root):
    text = (root / "README.md").read_text()
    commands = [line.strip() for line in text.splitlines() if line.startswith("    python3 -m pip install")]
    assert len(commands) >= 2
    ci = (root / ".ci" / "run").read_text()
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in ci
    main_command = commands[0]
    assert "emboost " in main_command and "--output" in main_command
