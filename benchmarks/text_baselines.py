"""The free-text figures on two baselines of a text column: real unseen text and word salad.

    OMP_NUM_THREADS=1 python benchmarks/text_baselines.py [--data PATH] [--text text]
                                                          [--coherence book] [--seed 0]

Splits the table (default ``../shared/datasets/sacred_verses.csv.gz``) at random into training
rows (80 %) and two real halves of the rest: one plays the synthetic table in baseline (a),
the other is the holdout of both baselines. (b) is a bag of words: as many texts as training
rows, each with a word count drawn from the training texts' and words drawn by their training
frequency, beside the training rows' other columns. (a) is what a perfect model scores (up to
its smaller size: its coherence classifier learns from fewer rows), (b) what a model that
keeps only lengths and word frequencies scores. Prints each figure, its reference and the
seconds each figure took.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim

DATA = Path(__file__).parents[2] / "shared" / "datasets" / "sacred_verses.csv.gz"


def split(table: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Training rows (80 %), then two halves of the rest: (a)'s synthetic, the holdout."""
    order = np.random.default_rng(seed).permutation(len(table))
    cut = int(0.8 * len(table))
    half = cut + (len(table) - cut) // 2
    parts = (order[:cut], order[cut:half], order[half:])
    return tuple(table.iloc[p].reset_index(drop=True) for p in parts)  # type: ignore[return-value]


def word_salad(train: pd.DataFrame, text: str, seed: int) -> pd.DataFrame:
    """Training rows whose texts are bags of training words: lengths and frequencies kept."""
    rng = np.random.default_rng(seed)
    words = train[text].astype(str).str.split()
    vocabulary, counts = np.unique(np.concatenate(words.to_numpy()), return_counts=True)
    lengths = rng.choice(words.str.len().to_numpy(), len(train))
    drawn = rng.choice(vocabulary, lengths.sum(), p=counts / counts.sum())
    out = train.copy()
    out[text] = [" ".join(w) for w in np.split(drawn, np.cumsum(lengths)[:-1])]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--text", default="text", help="the text column")
    parser.add_argument("--coherence", nargs="*", default=["book"],
                        help="columns the text should predict")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    table = sim.read_table(args.data)
    train, unseen, holdout = split(table, args.seed)
    md = sim.Metadata.detect(train).update_column(args.text, kind="text")
    baselines = {"(a) real unseen texts": unseen,
                 "(b) bag of words": word_salad(train, args.text, args.seed + 1)}
    print(f"{len(train):,} training rows, holdout {len(holdout):,}")
    for name, synthetic in baselines.items():
        started = time.perf_counter()
        result = sim.evaluate(train, synthetic, holdout=holdout, metadata=md, metrics="text",
                              random_state=args.seed,
                              text_options={"coherence": args.coherence})
        print(f"\n{name}: {len(synthetic):,} synthetic rows, "
              f"{time.perf_counter() - started:.1f} s")
        for m in result.for_column(args.text):
            reference = "" if m.reference is None else \
                f"{m.reference:.4f} ({m.reference_label})"
            print(f"  {m.name:32} {m.value:.4f}  {reference}")
        print("  seconds:", result.info["text_seconds"][args.text])


if __name__ == "__main__":
    main()
