"""Event tables for the tests of sequences, and their model files' round trip."""

from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np
import pandas as pd

import simulacra as sim


def bursts(n: int = 800, seed: int = 1) -> pd.DataFrame:
    """Shoppers whose purchases come in bursts: a gap of 1-3 days within a burst, then 60-90
    days to the next one; 'loyal' ones (30 %) shop in twice as many bursts. Purchase dates as
    strings, first purchases spread over 1997."""
    rng = np.random.default_rng(seed)
    loyal = rng.random(n) < 0.3
    rows = []
    for e in range(n):
        day = pd.Timestamp("1997-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
        for b in range(rng.integers(1, 3) * (2 if loyal[e] else 1)):
            if b:
                day += pd.Timedelta(days=int(rng.integers(60, 91)))
            for k in range(rng.integers(1, 4)):
                if k:
                    day += pd.Timedelta(days=int(rng.integers(1, 4)))
                rows.append((e, "loyal" if loyal[e] else "casual", day.strftime("%Y-%m-%d"),
                             round(float(rng.gamma(2.0, 15.0)), 2)))
    return pd.DataFrame(rows, columns=["user", "kind", "date", "amount"])


def tampered(model, tmp_path, old: bytes, new: bytes):
    """``model`` saved with ``old`` replaced by ``new`` in its state, checksums redone (as an
    attacker would)."""
    path = tmp_path / "seq.simz"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    assert old in parts["model.json"]
    parts["model.json"] = parts["model.json"].replace(old, new)
    manifest = json.loads(parts["manifest.json"])
    manifest["sha256"]["model.json"] = hashlib.sha256(parts["model.json"]).hexdigest()
    parts["manifest.json"] = json.dumps(manifest).encode()
    broken = tmp_path / "broken.simz"
    with zipfile.ZipFile(broken, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return broken


def assert_round_trip(model, tmp_path, n: int = 30, rng: int = 4):
    """``model`` saved and loaded samples what it does (same ``rng``); the loaded model."""
    path = tmp_path / "round-trip.simz"
    model.save(path)
    loaded = sim.load(path)
    pd.testing.assert_frame_equal(loaded.sample(n, rng=rng), model.sample(n, rng=rng))
    return loaded
