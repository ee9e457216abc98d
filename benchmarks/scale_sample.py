"""Partitioned draws on Dask: rows per second for 1, 2 (and more) workers, byte identity.

Usage::

    python benchmarks/scale_sample.py --rows 100000000 --partitions 100 --workers 1 2 4 \\
        --data ../shared/datasets/adult/train.csv --out /tmp/scale

Fits the mixture copula (``GaussianCopula``, its default ``components="auto"``) on the table,
saves it, then draws ``--rows`` rows into a folder of Parquet partitions once per worker count
(``1``: in this process; more: a local Dask cluster of that many processes). Prints, per run,
the wall seconds, rows per second, the speed-up against the first worker count, the peak
resident memory of every worker, and whether every run's files have the same SHA-256 as the
first's. The output folders are deleted after each run unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import simulacra as sim
from simulacra.memory import peak_memory_mib
from simulacra.scale.cluster import local_cluster
from simulacra.scale.sampling import sample_partitioned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="CSV/Parquet to fit (default: the "
                        "bundled Adult)")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="/tmp/simulacra-scale")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    data = sim.datasets.load_demo() if args.data is None else sim.read_table(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model = sim.GaussianCopula(random_state=args.seed).fit(data)
    model_path = out / "model.simz"
    model.save(model_path)
    print(f"fit {len(data):,} rows x {data.shape[1]} in {time.perf_counter() - started:.1f} s "
          f"(mixture components: {getattr(model.mixture_, 'weights', [1]).__len__()})")

    first: tuple[float, list[str]] | None = None
    for workers in args.workers:
        target = out / f"rows-{workers}"
        shutil.rmtree(target, ignore_errors=True)
        with ExitStack() as stack:
            client = None if workers == 1 else stack.enter_context(local_cluster(workers))
            began = time.perf_counter()
            result = sample_partitioned(model_path, args.rows, target,
                                        partitions=args.partitions, fmt=args.format,
                                        seed=args.seed, chunk_rows=args.chunk_rows,
                                        client=client, workers=1 if client is None else None)
            seconds = time.perf_counter() - began
            where = result.where
            peaks = (sorted(client.run(peak_memory_mib).values()) if client is not None
                     else [peak_memory_mib()])
        manifest = json.loads((target / "_simulacra.json").read_text())
        hashes = [f["sha256"] for f in manifest["files"]]
        size = sum((target / f["file"]).stat().st_size for f in manifest["files"]) / 2**20
        if first is None:
            first = (seconds, hashes)
        print(f"workers {workers} ({where}): {result.rows:,} rows in {result.partitions} "
              f"partitions, {seconds:.1f} s, {result.rows / seconds:,.0f} rows/s, speed-up "
              f"{first[0] / seconds:.2f}x, {size:,.0f} MiB on disk, peak RSS per worker "
              f"{', '.join(f'{p:,.0f}' for p in peaks)} MiB, same files as the first run: "
              f"{hashes == first[1]}")
        if not args.keep:
            shutil.rmtree(target)


if __name__ == "__main__":
    main()
