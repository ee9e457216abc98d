"""Speed, memory and fidelity checks of the foundation models on a real table.

Usage::

    python benchmarks/speed.py --data ../shared/datasets/adult_train.csv --model gaussian_copula

Prints fit and sample seconds, peak memory (resident set size of this process), and checks that
every synthetic column keeps the input's dtype, category set, value bounds and null share
(within one percentage point). Each run is one fresh process, so peak memory is the run's own.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np
import pandas as pd

import simulacra as sim


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_columns(real: pd.DataFrame, fake: pd.DataFrame) -> list[str]:
    problems = []
    for col in real.columns:
        r, f = real[col], fake[col]
        if str(r.dtype) != str(f.dtype):
            problems.append(f"{col}: dtype {f.dtype} != {r.dtype}")
        if abs(r.isna().mean() - f.isna().mean()) > 0.01:
            problems.append(f"{col}: null share {f.isna().mean():.3f} vs {r.isna().mean():.3f}")
        if r.dtype.kind in "iuf":
            if f.min() < r.min() or f.max() > r.max():
                problems.append(f"{col}: range [{f.min()}, {f.max()}] outside "
                                f"[{r.min()}, {r.max()}]")
        elif not set(f.dropna().unique()) <= set(r.dropna().unique()):
            problems.append(f"{col}: invented categories")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/datasets/adult_train.csv")
    parser.add_argument("--model", default="gaussian_copula", choices=sorted(sim.MODELS))
    parser.add_argument("--rows", type=int, nargs="*", default=None,
                        help="sample sizes (default: the table's size and 1,000,000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    real = sim.read_table(args.data)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"data: {args.data} ({len(real):,} x {real.shape[1]}), model: {args.model}")
    t0 = time.perf_counter()
    model = sim.MODELS[args.model](random_state=args.seed).fit(real)  # "auto": the model chosen
    print(f"fit: {time.perf_counter() - t0:.2f} s (includes metadata detection)")
    for n in args.rows or [len(real), 1_000_000]:
        t0 = time.perf_counter()
        fake = model.sample(n)
        took = time.perf_counter() - t0
        problems = check_columns(real, fake)
        print(f"sample {n:>9,} rows: {took:6.2f} s, peak RSS so far {peak_mb():,.0f} MB, "
              f"column checks: {problems if problems else 'all pass'}")


if __name__ == "__main__":
    main()
