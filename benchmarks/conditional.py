"""Conditional sampling on Adult: exact counts, speed, and the conditional distribution.

    python benchmarks/conditional.py [--models gaussian_copula autoregressive] [--seeds 1]
                                     [--rows 10000] [--per-column]

Fits each model on Adult's train part, samples ``--rows`` rows with ``income = ">50K"`` and
``age ∈ [60, 70]``, and scores shape and trend against the real train rows that meet the
condition (``sim.evaluate(real_matching, synth, metrics=["fidelity"])``). The holdout's
matching rows scored the same way give the ceiling a perfect model reaches with that few real
rows (a finite sample of the true conditional is not a perfect match either).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim

CONDITIONS = {"income": ">50K", "age": (60, 70)}


def matching(frame: pd.DataFrame) -> pd.DataFrame:
    low, high = CONDITIONS["age"]
    keep = (frame["income"] == CONDITIONS["income"]) & frame["age"].between(low, high)
    return frame[keep].reset_index(drop=True)


def score(real: pd.DataFrame, synth: pd.DataFrame) -> tuple[float, float, dict[str, float]]:
    result = sim.evaluate(real, synth, metrics=["fidelity"])
    columns = {r["column"]: r["score"] for r in result["shape"].details["columns"]}
    return result.value("shape"), result.value("trend"), columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["gaussian_copula", "autoregressive"])
    parser.add_argument("--datasets-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--per-column", action="store_true",
                        help="also print each column's shape score")
    args = parser.parse_args()
    train = pd.read_csv(args.datasets_dir / "adult_train.csv")
    test = pd.read_csv(args.datasets_dir / "adult_test.csv")
    test["income"] = test["income"].str.rstrip(".")
    real = matching(train)
    shape, trend, ceiling = score(real, matching(test))
    per_column = {"holdout rows (ceiling)": ceiling}
    print(f"{len(real)} real train rows and {len(matching(test))} holdout rows meet the condition")
    print("| model | seed | rows returned | rows matching | fit s | sample s | shape | trend |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| holdout rows (ceiling) | – | – | – | – | – | {shape:.3f} | {trend:.3f} |")
    for name in args.models:
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            model = sim.MODELS[name](random_state=seed).fit(train)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            synth = model.sample(args.rows, conditions=CONDITIONS)
            sample_s = time.perf_counter() - t0
            shape, trend, columns = score(real, synth)
            per_column[f"{name} {seed}"] = columns
            print(f"| {name} | {seed} | {len(synth):,} | {len(matching(synth)):,} | "
                  f"{fit_s:.1f} | {sample_s:.2f} | {shape:.3f} | {trend:.3f} |", flush=True)
    if args.per_column:
        table = pd.DataFrame(per_column).round(3)
        table.loc["mean"] = table.mean().round(3)
        print(table.to_string())


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
