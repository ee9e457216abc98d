"""Evaluating a synthetic database: time and figures on a folder of real tables.

Usage::

    python benchmarks/evaluate_database.py --real ../shared/datasets/berka --synthetic DIR \\
        [--holdout DIR] [--target loan.status] [--report db.html] [--json db.json] [--seed 0]
    python benchmarks/evaluate_database.py --real ../shared/datasets/berka \\
        --make shuffled [--write DIR]      # a sanity "synthetic" database made from the real one

A folder holds one CSV or Parquet file per table (table name = file stem); the metadata is
detected from the real folder. ``--make`` builds the synthetic database from the real one with
a seeded generator instead of reading it:

* ``copy`` — the real tables themselves (every figure at its ideal; detection AUCs *below*
  0.5, since the classifier sees the very rows it must label);
* ``keys`` — each foreign key column permuted within its table: tables, keys and children
  counts intact, every parent–child link random;
* ``shuffled`` — every non-key column shuffled on its own within its table and every foreign
  key re-drawn uniformly from the parent's keys: shapes intact, everything else broken.

Prints the wall time, each stage's time and the database-wide figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulacra.evaluation.database import evaluate_database
from simulacra.io import read_table, write_table
from simulacra.metadata import DatabaseMetadata

SUFFIXES = (".csv", ".csv.gz", ".parquet")


def read_folder(folder: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for path in sorted(folder.iterdir()):
        for suffix in SUFFIXES:
            if path.name.endswith(suffix):
                tables[path.name[: -len(suffix)]] = read_table(path)
    if not tables:
        sys.exit(f"no {', '.join(SUFFIXES)} file in {folder}")
    return tables


def make_synthetic(real: dict[str, pd.DataFrame], md: DatabaseMetadata, how: str,
                   seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out = {name: frame.copy() for name, frame in real.items()}
    if how == "copy":
        return out
    for name, frame in out.items():
        fk_columns = {c for fk in md.parents(name) for c in fk.columns}
        keys = set(md.primary_keys.get(name, ())) | fk_columns
        for column in frame.columns:
            if (how == "keys" and column in fk_columns) or \
                    (how == "shuffled" and column not in keys):
                frame[column] = rng.permutation(frame[column].to_numpy())
        if how == "shuffled":
            for fk in md.parents(name):
                parent = real[fk.parent][list(fk.parent_columns)].drop_duplicates()
                picked = parent.iloc[rng.integers(0, len(parent), len(frame))]
                for child_col, parent_col in zip(fk.columns, fk.parent_columns, strict=True):
                    frame[child_col] = picked[parent_col].to_numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=Path, required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--synthetic", type=Path)
    source.add_argument("--make", choices=["copy", "keys", "shuffled"])
    parser.add_argument("--write", type=Path, help="write the --make database to this folder")
    parser.add_argument("--holdout", type=Path)
    parser.add_argument("--target", help="table.column for the cross-table utility")
    parser.add_argument("--report", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    real = read_folder(args.real)
    md = DatabaseMetadata.detect(real)
    if args.make:
        synthetic = make_synthetic(real, md, args.make, args.seed)
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            for name, frame in synthetic.items():
                write_table(frame, args.write / f"{name}.csv")
    else:
        synthetic = read_folder(args.synthetic)
    holdout = read_folder(args.holdout) if args.holdout else None
    print(f"{len(real)} tables, {len(md.foreign_keys)} foreign keys, "
          f"{sum(len(f) for f in real.values()):,} real rows; {os.cpu_count()} cores")
    started = time.perf_counter()
    result = evaluate_database(real, synthetic, md, holdout=holdout, target=args.target,
                               random_state=args.seed)
    seconds = time.perf_counter() - started
    print(f"evaluate_database: {seconds:.1f} s wall")
    for stage, t in result.info["stage_seconds"].items():
        print(f"  {stage:<24} {t:6.2f} s")
    summary = result.summary()
    print(summary[summary["scope"] == "database"].drop(columns=["scope", "where", "direction"])
          .to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="—"))
    if args.report:
        result.save_html(args.report)
    if args.json:
        result.to_json(args.json)


if __name__ == "__main__":
    main()
