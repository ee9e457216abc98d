"""A synthetic database end to end: split, fit, sample, write to SQLite, evaluate.

Usage::

    python benchmarks/relational.py --data ../shared/datasets/berka --subject account \\
        --target loan.status --model auto --seed 0 --out /tmp/berka-run
    python benchmarks/relational.py --data ../shared/datasets/cdnow --subject users --seed 0
    python benchmarks/relational.py --data ../shared/datasets/berka --subject account \\
        --split-only --out /tmp/berka-split        # the train/holdout folders for other tools
    python benchmarks/relational.py --data ../shared/datasets/berka --subject account \\
        --synthetic /work/bench/out/hma --label "SDV HMA"   # evaluate another tool's output

The protocol: ``--holdout`` (30 %) of the ``--subject`` table's rows are held out with every
row below them (their children, grandchildren ...) and the rows of side tables whose children
are all held out (Berka's clients of held-out dispositions); the subject's ancestors (lookups
such as Berka's ``district``) stay whole in both parts. The synthesizer sees the train part
only and generates a database of the same size (``--scale 1``); the evaluation compares it
with the train part and uses the holdout for utility (``--target TABLE.COLUMN``, trained on
synthetic, tested on the held-out real rows, beside the same model trained on the real train
part) and privacy.

Prints the fit and sample seconds, the peak memory, the SQLite write speed and the figures;
``--out`` keeps the folders (train, holdout, synthetic) and ``figures.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from simulacra.evaluation.database import evaluate_database
from simulacra.multitable.sources import read_database, write_database
from simulacra.multitable.split import split_database
from simulacra.multitable.synthesizer import RelationalSynthesizer


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Folder of the real database's tables.")
    parser.add_argument("--subject", required=True, help="Table whose rows are held out.")
    parser.add_argument("--holdout", type=float, default=0.3)
    parser.add_argument("--target", default=None, help="TABLE.COLUMN for the utility task.")
    parser.add_argument("--model", default="auto",
                        help='A model name, or a JSON mapping of table to model name, e.g. '
                             '\'{"loan": "bayesian_network"}\'.')
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--split-only", action="store_true")
    parser.add_argument("--synthetic", type=Path, default=None,
                        help="Evaluate this folder (another tool's output) instead of fitting.")
    parser.add_argument("--label", default="simulacra")
    parser.add_argument("-p", "--param", action="append", default=[],
                        help="RelationalSynthesizer parameter KEY=VALUE (e.g. oversample=2).")
    args = parser.parse_args()

    started = time.perf_counter()
    tables, metadata = read_database(args.data)
    read_seconds = time.perf_counter() - started
    train, holdout = split_database(tables, metadata, args.holdout, subject=args.subject,
                                    seed=args.seed)
    print(f"{args.data}: {len(tables)} tables, {sum(map(len, tables.values())):,} rows "
          f"(read in {read_seconds:.1f} s); train {sum(map(len, train.values())):,} rows, "
          f"holdout {sum(map(len, holdout.values())):,}")
    if args.out is not None:
        write_database(train, metadata, args.out / "train", replace=True)
        write_database(holdout, metadata, args.out / "holdout", replace=True)
    if args.split_only:
        return
    figures: dict[str, object] = {"label": args.label, "data": str(args.data),
                                  "seed": args.seed}
    if args.synthetic is not None:
        fake, _ = read_database(args.synthetic, tables=list(metadata))
    else:
        params = {}
        for item in args.param:
            key, _, value = item.partition("=")
            params[key] = json.loads(value)
        chosen = json.loads(args.model) if args.model.startswith("{") else args.model
        model = RelationalSynthesizer(metadata, model=chosen, random_state=args.seed,
                                      **params)
        t0 = time.perf_counter()
        model.fit(train)
        fit_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        fake = model.sample()
        sample_seconds = time.perf_counter() - t0
        rows = sum(map(len, fake.values()))
        target_db = (args.out or Path("/tmp")) / f"synthetic-{args.seed}.db"
        target_db.unlink(missing_ok=True)
        t0 = time.perf_counter()
        write_database(fake, metadata, f"sqlite:///{target_db}")
        write_seconds = time.perf_counter() - t0
        figures.update(fit_seconds=round(fit_seconds, 1),
                       table_fit_seconds={t: round(s, 1) for t, s in model.fit_seconds_.items()},
                       table_models={t: m.name if m else None
                                     for t, m in model.models_.items()},
                       context_columns=model.layout_.selected,
                       sample_seconds=round(sample_seconds, 1), rows=rows,
                       sqlite_rows_per_second=round(rows / write_seconds),
                       peak_mib=round(peak_mib()))
        print(f"fit {fit_seconds:.1f} s ({figures['table_fit_seconds']}), sample "
              f"{sample_seconds:.1f} s, {rows:,} rows written to SQLite at "
              f"{rows / write_seconds:,.0f} rows/s; peak {peak_mib():,.0f} MiB")
        if args.out is not None:
            write_database(fake, metadata, args.out / "synthetic", replace=True)
    t0 = time.perf_counter()
    result = evaluate_database(train, fake, metadata, holdout=holdout, target=args.target,
                               random_state=args.seed)
    figures["evaluate_seconds"] = round(time.perf_counter() - t0, 1)
    print(result.summary_text())
    figures["evaluation"] = result.to_dict()
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "figures.json").write_text(json.dumps(figures, indent=1, default=str))
        result.save_html(args.out / "report.html")


if __name__ == "__main__":
    main()
