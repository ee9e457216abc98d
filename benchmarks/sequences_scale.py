"""A large event table through ``SequentialNetwork``: peak memory and time of fit and sample.

Usage::

    python benchmarks/sequences_scale.py --events 2000000 --budget 120 --seed 0

SDV's PARSynthesizer ran out of memory on a 2.2M-row event table (SDV#1965); issue 18 asks
for a 2M-event table within 8 GB. The table is made with a seeded generator: customers of
three segments, each with a number of purchases drawn from a heavy-tailed distribution
(median 5, a few hundred at most), purchase dates as an irregular walk (days between
purchases by segment), an amount that follows the segment and the previous amount, and a
channel. The model trains for at most ``--budget`` seconds (wall time: the point is the
memory of a full pass over the data, not the quality), then samples as many customers.
Prints the events, fit and sample seconds, events sampled per second and the peak resident
memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

import simulacra as sim


def make(events: int, seed: int) -> pd.DataFrame:
    """About ``events`` purchases of customers with irregular dates (see the module)."""
    rng = np.random.default_rng(seed)
    sizes = np.minimum(rng.zipf(1.8, size=events) + 3, 400)
    sizes = sizes[np.cumsum(sizes) <= events]
    n = len(sizes)
    segment = rng.choice(["retail", "business", "premium"], size=n, p=[0.7, 0.2, 0.1])
    customer = np.repeat(np.arange(n), sizes)
    seg = segment[customer]
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.arange(len(customer)) - first[customer]
    mean_gap = np.select([seg == "premium", seg == "business"], [4.0, 12.0], 30.0)
    gaps = np.where(rank == 0, rng.integers(0, 365, len(customer)),
                    rng.exponential(mean_gap).round())
    days = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first] - gaps[first], sizes)
    level = np.select([seg == "premium", seg == "business"], [300.0, 80.0], 25.0)
    amount = (level * rng.lognormal(0.0, 0.4, len(customer))).round(2)
    return pd.DataFrame({
        "customer": customer, "segment": seg,
        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D"),
        "amount": amount,
        "channel": rng.choice(["web", "store", "phone"], size=len(customer), p=[.6, .3, .1])})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--budget", type=float, default=120.0, help="fit seconds at most")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    events = make(args.events, args.seed)
    n = events["customer"].nunique()
    print(f"{len(events):,} events of {n:,} customers, "
          f"{events.memory_usage(deep=True).sum() / 2**20:,.0f} MiB as a DataFrame")
    t0 = time.perf_counter()
    model = sim.SequentialNetwork(sequence_key="customer", sequence_index="date",
                                  max_training_time=args.budget,
                                  random_state=args.seed).fit(events)
    fit = time.perf_counter() - t0
    peak_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    fake = model.sample(n, rng=args.seed + 1)
    sample = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fit {fit:.1f} s ({len(model.validation_history_)} epochs), peak {peak_fit:,.0f} MiB")
    print(f"sample {sample:.1f} s: {len(fake):,} events ({len(fake) / sample:,.0f} events/s), "
          f"peak {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
