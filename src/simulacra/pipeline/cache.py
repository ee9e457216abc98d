"""The step cache: a step's outputs kept under the hash of everything they depend on.

A step's key hashes its own settings and the keys of the steps it reads, so a key changes
exactly when the step's result could. Entries are folders ``.cache/STEP-KEY/``, written in a
temporary folder and renamed into place once complete: an interrupted run leaves no entry that
looks finished.

>>> key("fit", {"model": "gaussian_copula"}, "3f2a") == key("fit", {"model": "gaussian_copula"},
...                                                         "3f2a")
True
>>> key("fit", {"model": "gaussian_copula"}) == key("fit", {"model": "ctgan"})
False
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulacra._version import __version__


def key(step: str, *parts: Any) -> str:
    """The hash of a step's name, its inputs (JSON-able) and this simulacra's version."""
    text = json.dumps([step, __version__, *parts], sort_keys=True, default=str,
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class StepCache:
    """Finished step outputs under ``root``; :meth:`prune` drops what a run did not use."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.used: set[str] = set()

    def entry(self, step: str, step_key: str) -> Path:
        return self.root / f"{step}-{step_key}"

    def has(self, step: str, step_key: str) -> bool:
        return (self.entry(step, step_key) / ".complete").is_file()

    def get(self, step: str, step_key: str) -> Path:
        """The folder of a finished entry (marked as used by this run)."""
        self.used.add(f"{step}-{step_key}")
        return self.entry(step, step_key)

    def put(self, step: str, step_key: str, write: Callable[[Path], None]) -> Path:
        """Run ``write(folder)`` into a fresh folder and publish it as the entry."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.entry(step, step_key)
        scratch = Path(tempfile.mkdtemp(prefix=f".{step}-", dir=self.root))
        try:
            write(scratch)
            (scratch / ".complete").write_text(step_key, encoding="utf-8")
            if final.exists():
                shutil.rmtree(final)
            os.replace(scratch, final)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return self.get(step, step_key)

    def prune(self) -> None:
        """Remove entries this run did not use (and leftovers of interrupted runs)."""
        if not self.root.is_dir():
            return
        for item in self.root.iterdir():
            if item.is_dir() and item.name not in self.used:
                shutil.rmtree(item, ignore_errors=True)
