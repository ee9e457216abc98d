"""Evaluation past memory: two Parquet datasets of ``--rows`` x 30 columns, shape and trend over
every row, and how far the figures are from exact in-memory ones on a smaller check.

Usage::

    python benchmarks/evaluate_dataset.py --rows 10000000 --files 10 --check-rows 1000000 \\
        --workers 2 --out /tmp/evalscale

Writes ``real/`` and ``synthetic/`` (``--files`` Parquet files each; the synthetic table is
``evaluate_scale.make_table`` shifted a little, written file by file so memory stays small),
then times ``evaluate_dataset`` on them (fidelity and detection) and prints per-figure values
with the process's peak resident memory. With ``--check-rows``, also writes datasets of that
size, evaluates them both ways (``evaluate_dataset`` and ``simulacra.evaluate`` on the whole
tables in memory) and prints the largest difference of each figure and of every column's and
pair's score.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
from evaluate_scale import make_table

import simulacra as sim
from simulacra.scale.cluster import local_cluster
from simulacra.scale.evaluation import evaluate_dataset


def write(folder: Path, rows: int, files: int, seed: int, shift: float) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    per = -(-rows // files)
    for i in range(files):
        n = min(per, rows - i * per)
        make_table(n, seed * 1_000 + i, shift).to_parquet(folder / f"part-{i:04d}.parquet",
                                                          index=False)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--check-rows", type=int, default=0)
    parser.add_argument("--sample-rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="/tmp/simulacra-evalscale")
    args = parser.parse_args()
    out = Path(args.out)

    began = time.perf_counter()
    write(out / "real", args.rows, args.files, 0, 0.0)
    write(out / "synthetic", args.rows, args.files, 2, 0.05)
    print(f"wrote 2 x {args.rows:,} rows x 30 in {time.perf_counter() - began:.1f} s")
    with local_cluster(args.workers) if args.workers > 1 else nullcontext() as client:
        began = time.perf_counter()
        result = evaluate_dataset(out / "real", out / "synthetic",
                                  metrics=["fidelity", "detection"],
                                  sample_rows=args.sample_rows, client=client,
                                  workers=1 if client is None else None)
        took = time.perf_counter() - began
        peaks = sorted(client.run(peak_mib).values()) if client is not None else []
    print(f"evaluate_dataset: {took:.1f} s on {args.workers} worker(s); peak RSS: this "
          f"process {peak_mib():,.0f} MiB, workers {', '.join(f'{p:,.0f}' for p in peaks)} MiB")
    print(f"exact: {result.info['exact']}; rows {result.info['rows']}")
    for name in ("shape", "trend", "detection AUC", "range coverage"):
        print(f"  {name:<16} {result.value(name):.4f}")

    if args.check_rows:
        write(out / "real-check", args.check_rows, args.files, 5, 0.0)
        write(out / "synthetic-check", args.check_rows, args.files, 7, 0.05)
        scaled = evaluate_dataset(out / "real-check", out / "synthetic-check",
                                  metrics=["fidelity"], sample_rows=args.sample_rows,
                                  workers=1)
        exact = sim.evaluate(pd.read_parquet(out / "real-check"),
                             pd.read_parquet(out / "synthetic-check"), metrics=["fidelity"])
        for name, key, field in (("shape", "columns", "column"),
                                 ("trend", "pairs", "column_1")):
            mine = scaled[name].details[key]
            theirs = exact[name].details[key]
            worst = max(abs(a["score"] - b["score"]) for a, b in zip(mine, theirs, strict=True)
                        if a["score"] == a["score"])
            print(f"check on {args.check_rows:,} rows: {name} {scaled.value(name):.6f} vs "
                  f"exact {exact.value(name):.6f} (difference "
                  f"{abs(scaled.value(name) - exact.value(name)):.2e}; largest per {field} "
                  f"{worst:.2e})")


if __name__ == "__main__":
    main()
