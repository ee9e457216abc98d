"""A large child table: fit and sample memory and time, and the SQLite write speed.

Usage::

    python benchmarks/relational_scale.py --parents 100000 --children 1000000 \\
        --model gaussian_copula --seed 0

Makes a two-table database with a seeded generator (customers: segment, age, income;
transactions: amount, channel, day, with amounts following the customer's segment and the
number of transactions per customer following income), fits a ``RelationalSynthesizer``,
samples a database of the same size and writes it into a fresh SQLite file. Prints fit and
sample seconds, rows written per second and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulacra.metadata import DatabaseMetadata
from simulacra.multitable.sources import write_database
from simulacra.multitable.synthesizer import RelationalSynthesizer


def make(parents: int, children: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    segment = rng.choice(["retail", "business", "premium"], size=parents, p=[0.7, 0.2, 0.1])
    income = rng.lognormal(10, 0.5, size=parents).round(0)
    customers = pd.DataFrame({"customer_id": np.arange(1, parents + 1), "segment": segment,
                              "age": rng.integers(18, 90, size=parents), "income": income})
    weight = income / income.sum()
    owner = rng.choice(parents, size=children, p=weight)
    scale = np.select([segment[owner] == "premium", segment[owner] == "business"], [500, 120],
                      30)
    transactions = pd.DataFrame({
        "transaction_id": np.arange(1, children + 1),
        "customer_id": owner + 1,
        "amount": rng.gamma(2.0, scale / 2).round(2),
        "channel": rng.choice(["card", "transfer", "cash"], size=children),
        "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, size=children),
                                                           unit="D"),
    })
    return {"customers": customers, "transactions": transactions}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parents", type=int, default=100_000)
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--model", default="gaussian_copula")
    parser.add_argument("--oversample", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tables = make(args.parents, args.children, args.seed)
    meta = DatabaseMetadata.detect(tables)
    print(f"made {args.parents:,} customers, {args.children:,} transactions; "
          f"peak {peak_mib():,.0f} MiB")
    t0 = time.perf_counter()
    model = RelationalSynthesizer(meta, model=args.model, oversample=args.oversample,
                                  random_state=args.seed).fit(tables)
    print(f"fit {time.perf_counter() - t0:.1f} s; peak {peak_mib():,.0f} MiB")
    t0 = time.perf_counter()
    fake = model.sample()
    print(f"sample {time.perf_counter() - t0:.1f} s "
          f"({sum(map(len, fake.values())):,} rows); peak {peak_mib():,.0f} MiB")
    with tempfile.TemporaryDirectory() as folder:
        target = f"sqlite:///{Path(folder) / 'fake.db'}"
        t0 = time.perf_counter()
        write_database(fake, meta, target)
        seconds = time.perf_counter() - t0
    rows = sum(map(len, fake.values()))
    print(f"SQLite: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; "
          f"peak {peak_mib():,.0f} MiB")
    real = tables["transactions"].merge(tables["customers"], on="customer_id")
    syn = fake["transactions"].merge(fake["customers"], on="customer_id")
    print("mean amount by segment, real:", real.groupby("segment")["amount"].mean().round(1)
          .to_dict(), "synthetic:", syn.groupby("segment")["amount"].mean().round(1).to_dict())


if __name__ == "__main__":
    main()
