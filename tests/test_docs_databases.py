"""The ```python examples of the database and sequence documents run as written (each
document in a fresh folder, its blocks in order, sharing one namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"


@pytest.mark.parametrize("name", ["databases.md", "databases-io.md",
                                  "evaluating-databases.md", "sequences.md",
                                  "evaluating-sequences.md"])
def test_the_examples_run(name: str, tmp_path: Path, monkeypatch):
    path = DOCS / name
    monkeypatch.chdir(tmp_path)  # the examples write their files where they run
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, f"{name} has no python example"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(path), "exec"), namespace)
    if name == "evaluating-databases.md":
        assert (tmp_path / "database-report.html").exists()
    if name == "evaluating-sequences.md":
        assert "Sequences" in (tmp_path / "sequences-report.html").read_text(encoding="utf-8")
