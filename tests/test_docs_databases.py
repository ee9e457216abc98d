"""The ```python examples of the database and sequence documents run as written (each
document in a fresh folder, its blocks in order, sharing one namespace), then its ```sh
examples in that folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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
    for block in re.findall(r"```sh\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S):
        if "pg_start" in block:  # the PostgreSQL recipe: CI runs that server itself
            continue
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                     f"{os.environ.get('PATH', '')}"}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{name}: {block}\n{done.stdout}\n{done.stderr}"
    if name == "evaluating-databases.md":
        assert (tmp_path / "database-report.html").exists()
    if name == "evaluating-sequences.md":
        assert "Sequences" in (tmp_path / "sequences-report.html").read_text(encoding="utf-8")
