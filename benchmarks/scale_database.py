"""Partitioned database draws on Dask: rows per second for 1, 2 (and more) workers, byte
identity, every key resolving, and what partitioning costs in fidelity.

Usage::

    python benchmarks/scale_database.py --data ../shared/datasets/berka --subject account \\
        --model auto --keep district --scale 8 --partitions 8 --workers 1 2 \\
        --fidelity-partitions 4 --target loan.status --out /tmp/bench_scale_db

Splits the database as ``benchmarks/relational.py`` does (the same seed gives the same split),
fits a ``RelationalSynthesizer`` on the training part and saves it; then, once per worker
count, draws a database ``--scale`` times the training part's size into a folder per table
of ``--partitions`` Parquet files (1 worker: this process; more: a local Dask cluster),
printing the wall seconds, rows per second, the speed-up against the first worker count, the
peak resident memory of every worker and whether every file's SHA-256 equals the first run's.
The draw's keys are checked (primary keys unique, every foreign key resolving) over all
partitions. With ``--fidelity-partitions P`` it also draws a database of the training part's
size as 1 and as P partitions and scores both against the training part with
``evaluate_database`` (shape, trends, cardinality, k-hop, TSTR), so the cost of drawing
partitions that never see each other is measured.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import ExitStack
from pathlib import Path

import pandas as pd

from simulacra.evaluation.database import evaluate_database
from simulacra.memory import peak_memory_mib
from simulacra.multitable.sources import read_database
from simulacra.multitable.split import split_database
from simulacra.multitable.synthesizer import RelationalSynthesizer
from simulacra.scale import sample_database_partitioned
from simulacra.scale.cluster import local_cluster


def read_draw(path: Path, tables: list[str]) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(path / t) for t in tables}


def check_keys(db: dict[str, pd.DataFrame], metadata) -> list[str]:
    """Problems with the draw's keys (none expected)."""
    problems = []
    for table, key in metadata.primary_keys.items():
        if key and db[table].duplicated(list(key)).any():
            problems.append(f"{table}: {int(db[table].duplicated(list(key)).sum())} repeated keys")
    for fk in metadata.foreign_keys:
        child = db[fk.table][list(fk.columns)].dropna()
        parent = db[fk.parent][list(fk.parent_columns)]
        parent.columns = list(fk.columns)
        missing = len(child) - len(child.merge(parent.drop_duplicates(), how="inner"))
        if missing:
            problems.append(f"{fk.name}: {missing} keys without a parent")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--subject", required=True)
    parser.add_argument("--holdout", type=float, default=0.3)
    parser.add_argument("--target", default=None)
    parser.add_argument("--model", default="auto")
    parser.add_argument("--keep", action="append", default=[])
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--fidelity-partitions", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_scale_db"))
    args = parser.parse_args()

    tables, metadata = read_database(args.data)
    train, holdout = split_database(tables, metadata, args.holdout, subject=args.subject,
                                    seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    model_file = args.out / "model.simz"
    started = time.perf_counter()
    model = RelationalSynthesizer(metadata, model=args.model, keep=args.keep or None,
                                  random_state=args.seed).fit(train)
    chosen = {t: m.name if m else None for t, m in model.models_.items()}
    print(f"fit {time.perf_counter() - started:.1f} s on {sum(map(len, train.values())):,} "
          f"rows; models {chosen}")
    model.save(model_file)
    figures: dict[str, object] = {"scale": args.scale, "runs": []}
    first = None
    for workers in args.workers:
        target = args.out / f"db-{workers}"
        with ExitStack() as stack:
            client = None if workers == 1 else stack.enter_context(local_cluster(workers))
            t0 = time.perf_counter()
            out = sample_database_partitioned(model_file, target, scale=args.scale,
                                              partitions=args.partitions, seed=args.seed + 1,
                                              client=client, replace=True,
                                              workers=1 if client is None else None)
            seconds = time.perf_counter() - t0
            peaks = (sorted(client.run(peak_memory_mib).values()) if client is not None
                     else [peak_memory_mib()])
        manifest = json.loads((target / "_simulacra.json").read_text())
        hashes = [f["sha256"] for f in manifest["files"]]
        first = first or (seconds, hashes)
        rows = sum(out.rows.values())
        size = sum(p.stat().st_size for p in target.rglob("*.parquet")) / 2**20
        print(f"workers {workers} ({out.where}): {rows:,} rows ({out.rows}) in "
              f"{out.partitions} partitions, {seconds:.1f} s, {rows / seconds:,.0f} rows/s, "
              f"{first[0] / seconds:.2f}x, {size:,.0f} MiB on disk, peak RSS per worker "
              f"{', '.join(f'{p:,.0f}' for p in peaks)} MiB, files = first run's: "
              f"{hashes == first[1]}")
        figures["runs"].append({"workers": workers, "seconds": round(seconds, 1),
                                "rows": out.rows, "speedup": round(first[0] / seconds, 2),
                                "peak_mib": [round(p) for p in peaks],
                                "same_files": hashes == first[1]})
    problems = check_keys(read_draw(args.out / f"db-{args.workers[0]}", list(metadata)),
                          metadata)
    print("keys:", problems or "every primary key unique, every foreign key resolving")
    figures["key_problems"] = problems
    if args.fidelity_partitions:
        for parts in (1, args.fidelity_partitions):
            target = args.out / f"fidelity-{parts}"
            sample_database_partitioned(model_file, target, scale=1.0, partitions=parts,
                                        seed=args.seed + 1, workers=1, replace=True)
            fake = read_draw(target, list(metadata))
            result = evaluate_database(train, fake, metadata, holdout=holdout,
                                       target=args.target, random_state=args.seed)
            print(f"--- {parts} partition(s) at scale 1 ---")
            print(result.summary_text())
            figures[f"fidelity_{parts}"] = result.to_dict()
    (args.out / "figures.json").write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
