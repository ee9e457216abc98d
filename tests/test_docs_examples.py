"""Every fenced example in README.md and docs/*.md runs as written.

Each document runs in a fresh temporary folder, as a reader at the repository's root would run
it (the folder holds a copy of ``docs/examples/``, which documents name by that path):

- ```` ```yaml ```` blocks whose first line is ``# file: NAME`` are written to ``NAME`` before
  anything else runs: they show a file the reader saves and the examples read. Every other
  ```` ```yaml ```` block is only parsed (it shows a file's content or a fragment of one);
- ```` ```python ```` blocks run in document order, sharing one namespace;
- ```` ```sh ```` and ```` ```bash ```` blocks run where they stand in that order, each with
  ``bash -euo pipefail`` and the test's interpreter's ``bin`` folder first on ``PATH`` (so
  ``simulacra`` is this checkout's);
- ```` ```text ```` and ```` ```console ```` blocks are not run: output listings, command
  synopses that need what the package does not ship (the benchmark datasets, a server), and
  recipes of hours. Every fence must carry one of these tags.

Blocks that install packages (``pip install``) or start services (the PostgreSQL recipe,
``pg_start``) are skipped: CI installs and starts those itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN = {"python", "sh", "bash"}
SHOWN = {"yaml", "text", "console"}
SKIP = ("pip install", "pg_start")
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", flags=re.S | re.M)
FILE = re.compile(r"\A# file: (\S+)\n")

# files a document's examples are expected to leave behind
WRITES = {
    "evaluating-databases.md": ["database-report.html", "database-text-report.html"],
    "evaluating-sequences.md": ["sequences-report.html"],
    "README.md": ["report.html", "q.json", "fake.csv"],
    "evaluation.md": ["report.html", "q.json", "text-report.html"],
    "drift.md": ["drift.json", "drift.html", "drift-age-sex.json"],
}


def blocks(path: Path) -> list[tuple[str, str, int]]:
    """(tag, code, line of its first line) of every fenced block, in order."""
    text = path.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start(2)))
            for m in FENCE.finditer(text)]


def runnable(path: Path) -> bool:
    return any(tag in RUN or (tag == "yaml" and FILE.match(code))
               for tag, code, _ in blocks(path))


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_fence_is_tagged(path: Path):
    for tag, code, line in blocks(path):
        assert tag in RUN | SHOWN, (
            f"{path.name}:{line}: fence tagged {tag!r}; use one of {sorted(RUN | SHOWN)}")
        if tag == "yaml":
            yaml.safe_load(code)  # a file shown must at least be YAML


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if runnable(p)], ids=lambda p: p.name)
def test_the_examples_run(path: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write their files where they run
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    found = blocks(path)
    for tag, code, _ in found:
        if tag == "yaml" and (name := FILE.match(code)):
            (tmp_path / name.group(1)).write_text(code, encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    namespace: dict = {"__name__": "__main__"}
    for tag, code, line in found:
        if tag not in RUN or any(skip in code for skip in SKIP):
            continue
        if tag == "python":  # padded so that a traceback gives the document's line
            exec(compile("\n" * line + code, str(path), "exec"), namespace)
            continue
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (
            f"{path.name}:{line}:\n{code}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    for name in WRITES.get(path.name, []):
        assert (tmp_path / name).stat().st_size > 0, f"{path.name} did not write {name}"
    if path.name == "evaluating-sequences.md":
        assert "Sequences" in (tmp_path / "sequences-report.html").read_text(encoding="utf-8")
