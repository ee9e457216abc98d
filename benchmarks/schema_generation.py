"""Speed and memory of schema-only generation: 1,000,000 rows x 20 columns.

Usage::

    python benchmarks/schema_generation.py [--rows 1000000] [--seed 0] [--write out.parquet]

The main table mixes every family: 4 Faker columns (one of them unique e-mails), an id, a
uuid, a reference to a small parent table (with skew), categorical columns (one conditional on
another), booleans, truncated normal / Poisson / lognormal / beta numbers, an expression,
datetimes and a date, a regex pattern, nulls, and two constraints (an inequality between two
datetimes, held by re-sampling, and a sign rule, held by construction). Prints the machine,
seconds (schema parsing and generation, then optionally writing), peak memory (resident set
size of this process; each run is one fresh process), and a few checks of the result.
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

SCHEMA = r"""
schema_version: 1
locale: en_US
tables:
  stores:
    rows: 200
    columns:
      store_id: {kind: id, format: "S{:03d}"}
      store_city: {faker: city}
  transactions:
    rows: 1000000
    primary_key: transaction_id
    columns:
      transaction_id: {kind: id, format: "TX-{:08d}"}
      customer_name: {faker: name}
      email: {faker: email, unique: true}
      phone: {faker: phone_number, null_rate: 0.2}
      city: {faker: city}
      store_id: {references: stores.store_id, skew: 0.8}
      channel: {categories: {web: 5, app: 3, store: 2}}
      payment:
        categories: [card, paypal, cash, voucher]
        weights: [6, 3, 0, 1]
        given: channel
        cases:
          store: {weights: [5, 0, 4, 1]}
      is_member: {kind: boolean, p: 0.35}
      age: {kind: integer, distribution: normal, mean: 41, std: 13, min: 18, max: 95}
      quantity: {kind: integer, distribution: poisson, lam: 2.5, min: 1, max: 50}
      unit_price: {kind: float, distribution: lognormal, mu: 3.2, sigma: 0.7, decimals: 2}
      discount: {kind: float, distribution: beta, a: 1.5, b: 8, min: 0, max: 0.5, decimals: 2}
      total: {expression: "unit_price * quantity * (1 - discount)", decimals: 2}
      ordered_at: {kind: datetime, min: 2023-01-01, max: 2024-12-31}
      shipped_at:
        kind: datetime
        min: 2023-01-02
        max: 2025-01-31
        distribution: triangular
        mode: 2024-12-31
      birth_date: {kind: date, min: 1930-01-01, max: 2006-12-31, distribution: normal,
                   mean: 1983-06-01, std: 4000D}
      sku: {pattern: "SKU-[A-Z]{3}-\\d{5}"}
      session: {kind: uuid}
      rating: {categories: [1, 2, 3, 4, 5], weights: [1, 1, 3, 6, 9], null_rate: 0.4}
    constraints:
      - {type: inequality, low: ordered_at, high: shipped_at}
      - {type: positive, column: total}
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", default=None, help="also write the main table (csv/parquet)")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    before = peak_mb()
    started = time.perf_counter()
    schema = sim.GenerationSchema.from_yaml(SCHEMA)
    parsed = time.perf_counter()
    data = sim.generate(schema, {"stores": 200, "transactions": args.rows},
                        random_state=args.seed)
    done = time.perf_counter()
    main_table = data["transactions"]
    print(f"rows x columns: {main_table.shape[0]:,} x {main_table.shape[1]} "
          f"(+ stores {data['stores'].shape[0]} x {data['stores'].shape[1]})")
    print(f"schema parsed and validated in {parsed - started:.2f} s")
    print(f"generated in {done - parsed:.2f} s")
    print(f"peak memory: {peak_mb():,.0f} MB (before generation: {before:,.0f} MB)")

    t = main_table
    checks = {
        "ordered_at <= shipped_at": bool((t["ordered_at"] <= t["shipped_at"]).all()),
        "total >= 0": bool((t["total"] >= 0).all()),
        "emails unique": bool(t["email"].is_unique),
        "store_id in stores": bool(t["store_id"].isin(data["stores"]["store_id"]).all()),
        "no cash on web/app": bool(not ((t["payment"] == "cash")
                                         & (t["channel"] != "store")).any()),
    }
    print("checks: " + ", ".join(f"{k}: {'ok' if v else 'FAILED'}" for k, v in checks.items()))
    if args.write:
        started = time.perf_counter()
        sim.write_table(main_table, args.write)
        print(f"wrote {args.write} in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
