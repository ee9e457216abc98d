"""Fingerprints of every model's samples for fixed seeds: a refactor check.

Fits every registered model (and every DP-capable one under a privacy budget) on a small
table with every column kind, nulls and a constraint, then hashes what it samples: plain
sampling, conditional sampling, and sampling from the model saved and loaded again. Run it
before and after a change that should not change behaviour and compare::

    python benchmarks/fingerprints.py --out before.json          # on the old commit
    python benchmarks/fingerprints.py --compare before.json      # on the new one

Hashes cover values, dtypes and column order. Same machine, same seed -> same hash; a torch
build or a CPU of another kind may differ in the last bit of a float.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim

SMALL = {"epochs": 2}  # neural models: a couple of epochs is enough to fingerprint
DEEP = ("autoregressive", "tabddpm", "ctgan", "tvae")
PRIVATE_ONLY = ("privbayes", "mst", "aim")


def table(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Every column kind: numbers (with nulls), categories (with nulls), booleans, a date
    string, a timestamp, an id, an email, free text."""
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, n)
    price = np.round(rng.gamma(2.0, 30.0, n), 2)
    price[rng.random(n) < 0.1] = np.nan
    city = pd.Series(rng.choice(["Oslo", "Rome", "Zürich", "São Paulo"], n,
                                p=[0.4, 0.3, 0.2, 0.1]), dtype="str")
    city[rng.random(n) < 0.05] = np.nan
    start = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D")
    words = np.array(["alpha", "beta", "gamma", "delta", "omega", "sigma"])
    return pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "age": np.clip(np.round(x), 18, 90).astype("int64"),
        "score": np.round(x * 2 + rng.normal(0, 1, n), 1),
        "price": price,
        "city": city,
        "member": rng.random(n) < 0.3,
        "signup": start.strftime("%Y-%m-%d"),
        "last_seen": start + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
        "email": [f"user{i}@example.org" for i in rng.permutation(n)],
        "notes": [" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(n)],
    })


def digest(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame.astype(object).astype(str),
                                        index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def attempt(draw) -> str:
    """The digest of ``draw()``, or the error it raises (also a fingerprint of behaviour)."""
    try:
        return digest(draw())
    except sim.SimulacraError as error:
        return "error:" + hashlib.sha256(str(error).encode()).hexdigest()[:10]


def cases() -> list[tuple[str, str, dict]]:
    out = []
    for name, cls in sorted(sim.MODELS.items()):
        params = dict(SMALL) if name in DEEP else {}
        if name == "tabddpm":
            params["sampling_steps"] = 20
        if name not in PRIVATE_ONLY:
            out.append((name, name, params))
        if cls.supports_privacy:
            private = dict(params)
            private["privacy"] = sim.PrivacyBudget(3.0, 1e-6)
            out.append((f"{name}+dp", name, private))
    return out


def fingerprint(label: str, name: str, params: dict, data: pd.DataFrame) -> dict[str, str]:
    md = sim.Metadata.detect(data)
    md.add_constraint(sim.constraints.Inequality("age", "score"))
    model = sim.MODELS[name](md, random_state=7, **params).fit(data)
    out = {"sample": digest(model.sample(300, rng=11)),
           "conditional": attempt(lambda: model.sample(100, conditions={"city": "Rome"}, rng=12)),
           "range": attempt(lambda: model.sample(100, conditions={"age": (30, 40)}, rng=13))}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.simz"
        model.save(path)
        out["loaded"] = digest(sim.load(path).sample(300, rng=11))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the fingerprints to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare with fingerprints in this file")
    parser.add_argument("--only", nargs="*", help="labels to run (e.g. ctgan ctgan+dp)")
    args = parser.parse_args()
    data = table()
    found: dict[str, dict[str, str]] = {}
    for label, name, params in cases():
        if args.only and label not in args.only:
            continue
        started = time.perf_counter()
        found[label] = fingerprint(label, name, params, data)
        print(f"{label:<22} {' '.join(found[label].values())}  "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
    if args.out:
        args.out.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    if args.compare:
        before = json.loads(args.compare.read_text())
        changed = {k: [part for part in v if before.get(k, {}).get(part) != v[part]]
                   for k, v in found.items()}
        changed = {k: v for k, v in changed.items() if v}
        for label, parts in changed.items():
            print(f"CHANGED {label}: {', '.join(parts)}")
        print("identical" if not changed else f"{len(changed)} of {len(found)} changed")
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
