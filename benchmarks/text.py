"""Free-text columns: the King James verses, ``text`` given ``book`` and chapter.

Usage::

    python benchmarks/text.py --out /tmp/text-bench --budget 540 --seed 0
    python benchmarks/text.py --out /tmp/text-bench --synthetic /tmp/textref/mostly_lstm_seed0.csv
    python benchmarks/text.py --out /tmp/text-bench \
        --synthetic /tmp/text-bench/simulacra_seed0.csv --score-rows 3000  # as many rows as MOSTLY

The protocol: ``sacred_verses.csv.gz`` (``--datasets-dir``, see its README; 31,102 verses) with
the columns ``book``, ``psalm`` (the chapter) and ``text``; 80 % of the verses, drawn with the
seed, train, the other 20 % are the holdout (``--out`` keeps both, ``train.csv`` and
``holdout.csv``, so that another tool trains on the same rows). simulacra fits ``--model`` (the
table's model; ``auto`` by default) with the text column's language model
(``Text(generator="network", max_training_time=budget)``), then samples as many rows as train
has. ``--synthetic FILE`` scores another tool's rows instead (same columns, e.g. what
``benchmarks/text_reference.py`` writes for MOSTLY's LSTM).

Figures (``simulacra.evaluate`` with the holdout; the text column's own section): text detection
AUC (TF-IDF word and character n-grams, logistic regression, 5-fold ROC-AUC, holdout texts
against as many synthetic ones), coherence (``book`` predicted from the text, trained on
synthetic and scored on the holdout, beside the same classifier trained on train), exact copies
and 10-gram leakage beside the holdout's own rates, length similarity; shape and trend of the
other columns; fit and sample seconds, texts per second and peak memory (RSS of this process).
Seconds are only comparable with an anchor timed in the same run, nothing else running.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim

COLUMNS = ["book", "psalm", "text"]


def split(path: Path, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(path)[COLUMNS]
    order = np.random.default_rng(seed).permutation(len(data))
    cut = int(0.8 * len(data))
    return (data.iloc[np.sort(order[:cut])].reset_index(drop=True),
            data.iloc[np.sort(order[cut:])].reset_index(drop=True))


def metadata(train: pd.DataFrame, budget: float | None, epochs: int | None) -> sim.Metadata:
    md = sim.Metadata.detect(train)
    md.update_column("book", kind="categorical")
    md.update_column("psalm", kind="numerical", integer=True)
    md.update_column("text", kind="text", generator="network", max_training_time=budget,
                     epochs=epochs)
    return md


def figures(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame,
            md: sim.Metadata, seed: int) -> dict[str, object]:
    """The text column's figures (each with the holdout's or real-trained reference), and the
    shape and trend of the table."""
    result = sim.evaluate(train, synthetic, holdout, metadata=md, random_state=seed)
    out: dict[str, object] = {
        m.name: [round(float(m.value), 4),
                 None if m.reference is None else round(float(m.reference), 4)]
        for m in result.for_column("text")}
    for name in ("shape", "trend"):
        with contextlib.suppress(KeyError):
            out[name] = round(float(result.value(name)), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="auto")
    parser.add_argument("--budget", type=float, default=540.0,
                        help="seconds of training for the language model")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--score-rows", type=int, default=None,
                        help="score only the first N synthetic rows (the same N for every tool)")
    parser.add_argument("--synthetic", type=Path, default=None,
                        help="score this file's rows instead of fitting simulacra")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train, holdout = split(args.datasets_dir / "sacred_verses.csv.gz", args.seed)
    train.to_csv(args.out / "train.csv", index=False)
    holdout.to_csv(args.out / "holdout.csv", index=False)
    md = metadata(train, args.budget, args.epochs)
    record: dict[str, object] = {"seed": args.seed, "train": len(train),
                                 "holdout": len(holdout)}
    if args.synthetic is None:
        started = time.perf_counter()
        factory = sim.AutoSynthesizer if args.model == "auto" else sim.MODELS[args.model]
        model = factory(md, random_state=args.seed).fit(train)
        record["fit_s"] = round(time.perf_counter() - started, 1)
        record["text_model"] = model.codec_.encoders_["text"].network_.report \
            if hasattr(model.codec_, "encoders_") else \
            model.codec_.value_encoders_["text"].network_.report
        started = time.perf_counter()
        synthetic = model.sample(len(train), rng=args.seed + 1)
        seconds = time.perf_counter() - started
        record.update(model=type(model).__name__, sample_s=round(seconds, 1),
                      texts_per_s=round(len(train) / seconds))
        record["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        synthetic.to_csv(args.out / f"simulacra_seed{args.seed}.csv", index=False)
    else:
        synthetic = pd.read_csv(args.synthetic)[COLUMNS]
        record["synthetic"] = str(args.synthetic)
    if args.score_rows is not None:
        synthetic = synthetic.head(args.score_rows)
        record["scored_rows"] = len(synthetic)
    started = time.perf_counter()
    record["figures"] = figures(train, synthetic, holdout, md, args.seed)
    record["evaluate_s"] = round(time.perf_counter() - started, 1)
    name = "simulacra" if args.synthetic is None else args.synthetic.stem
    (args.out / f"{name}_figures.json").write_text(json.dumps(record, indent=2))
    print(json.dumps(record, indent=2))
    for real, fake in zip(holdout["text"].head(3), synthetic["text"].head(3), strict=True):
        print("real:", real, "\n fake:", fake)


if __name__ == "__main__":
    main()
