"""What value protection hides, model by model, on the shared tables.

For each table and model, fits with ``value_protection`` on and off (same seed), samples as
many rows as the training part and counts, against the training rows:

* ``rare cat.``: synthetic rows per 10,000 carrying a category seen in fewer than 5 real rows;
* ``extremes``: synthetic values per 10,000 rows equal to one of the 4 smallest or 4 largest
  real values of their column that lie beyond its 5th smallest or largest (numbers and
  datetimes: the extremes themselves, re-emitted);
* ``max reach``: over the numeric columns, the mean of how far the synthetic maximum goes
  toward the real one, (synthetic max − 5th largest) / (real max − 5th largest) where the
  real max lies beyond the 5th largest (0: top-coded, 1: the real maximum);
* ``unique real``: in the nearly unique numeric columns (at least half the values distinct),
  the share of synthetic values that are a real value seen fewer than 5 times.

Quality (detection, trend, TSTR) is measured by ``simulacra bench`` with and without
``-p value_protection=false`` (BENCHMARKS.md). Run from the repository root::

    python benchmarks/value_protection.py -d adult -d default -d shoppers -d magic \
        -d california -d beijing -m gaussian_copula -m autoregressive [--rows 2000]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from simulacra.bench import DATASETS, default_datasets_dir, markdown_table
from simulacra.models import get_model
from simulacra.models.protection import RARE_THRESHOLD


def exposure(train: pd.DataFrame, synth: pd.DataFrame, k: int = RARE_THRESHOLD
             ) -> dict[str, float]:
    """The three counts of the module docstring."""
    rare_rows = np.zeros(len(synth), dtype=bool)
    extremes = 0
    unique_hits, unique_total = 0, 0
    reach: list[float] = []
    for name in train.columns:
        real, fake = train[name].dropna(), synth[name]
        numeric = pd.api.types.is_numeric_dtype(real) and not pd.api.types.is_bool_dtype(real)
        if numeric or pd.api.types.is_datetime64_any_dtype(real):
            if len(real) < 2 * k:
                continue
            ordered = np.sort(real.to_numpy())
            beyond = np.concatenate([ordered[:k - 1][ordered[:k - 1] < ordered[k - 1]],
                                     ordered[-(k - 1):][ordered[-(k - 1):] > ordered[-k]]])
            extremes += int(fake.isin(beyond).sum())
            if numeric and ordered[-1] > ordered[-k]:
                reach.append(float((fake.max() - ordered[-k]) / (ordered[-1] - ordered[-k])))
            if numeric and real.nunique() >= 0.5 * len(real):
                counts = real.value_counts()
                rare = counts.index[counts.to_numpy() < k]
                present = fake.dropna()
                unique_hits += int(present.isin(rare).sum())
                unique_total += len(present)
        else:
            counts = real.value_counts()
            rare = counts.index[counts.to_numpy() < k]
            rare_rows |= fake.isin(rare).to_numpy()
    per = 10_000 / len(synth)
    return {"rare cat.": rare_rows.sum() * per, "extremes": extremes * per,
            "max reach": float(np.mean(reach)) if reach else float("nan"),
            "unique real": unique_hits / unique_total if unique_total else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--dataset", action="append", required=True,
                        choices=sorted(DATASETS))
    parser.add_argument("-m", "--model", action="append", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=None,
                        help="fit on a seeded subsample of this many training rows")
    parser.add_argument("--datasets-dir", type=Path, default=default_datasets_dir())
    args = parser.parse_args()
    rows = []
    for name in args.dataset:
        train, _ = DATASETS[name].load(args.datasets_dir)
        if args.rows is not None and args.rows < len(train):
            train = train.sample(args.rows, random_state=args.seed).reset_index(drop=True)
        for model in args.model:
            for protect in (False, True):
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fitted = get_model(model)(random_state=args.seed,
                                              value_protection=protect).fit(train)
                synth = fitted.sample(len(train))
                figures = exposure(train, synth)
                rows.append({"dataset": name, "model": model,
                             "protection": "on" if protect else "off",
                             **{k: f"{v:.3f}" if k in ("unique real", "max reach")
                                else f"{v:.1f}" for k, v in figures.items()},
                             "s": f"{time.perf_counter() - started:.0f}"})
                print(rows[-1], flush=True)
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
