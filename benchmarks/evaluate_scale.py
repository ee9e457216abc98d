"""Evaluation at scale: 1,000,000 synthetic vs 1,000,000 real rows (and a 1,000,000-row holdout)
with 30 columns (15 numerical, 10 categorical, 4 boolean, 1 datetime).

Usage::

    python benchmarks/evaluate_scale.py --rows 1000000 [--report /tmp/scale.html]

Prints wall time per stage, the total, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

import simulacra as sim


def make_table(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """A correlated mixed-type table; ``shift`` perturbs it so 'synthetic' differs a little."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 5))
    cols: dict[str, object] = {}
    for j in range(15):
        base = latent[:, j % 5] + 0.5 * rng.normal(size=n) + shift
        cols[f"num{j}"] = np.round(np.exp(base) if j % 3 == 0 else base * 10, 2)
    for j in range(10):
        k = [3, 5, 8, 12, 20, 40, 4, 6, 100, 2][j]
        codes = np.clip(((latent[:, j % 5] + rng.normal(size=n)) * k / 4 + k / 2).astype(int),
                        0, k - 1)
        cols[f"cat{j}"] = pd.Series(np.array([f"c{j}_{i}" for i in range(k)])[codes],
                                    dtype="str")
    for j in range(4):
        cols[f"flag{j}"] = latent[:, j] + rng.normal(size=n) > shift
    cols["when"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        (np.abs(latent[:, 0]) * 300).astype(int), unit="D")
    return pd.DataFrame(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--report", default=None)
    args = parser.parse_args()
    real, holdout = make_table(args.rows, 0), make_table(args.rows, 1)
    synth = make_table(args.rows, 2, shift=0.05)
    print(f"tables: {real.shape} each; building took "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB so far")
    t0 = time.perf_counter()
    result = sim.evaluate(real, synth, holdout=holdout, target="flag0", random_state=0)
    took = time.perf_counter() - t0
    if args.report:
        t1 = time.perf_counter()
        result.to_html(args.report)
        print(f"report: {time.perf_counter() - t1:.1f} s")
    for stage, seconds in result.info["stage_seconds"].items():
        print(f"  {stage:<40} {seconds:7.1f} s")
    print(f"evaluate total: {took:.1f} s; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    print(result)


if __name__ == "__main__":
    main()
