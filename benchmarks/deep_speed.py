"""Seconds per epoch of simulacra's CTGAN and TVAE at the paper's defaults.

Usage (compare with ``sdv_reference.py`` run in a throw-away venv, same machine, same run)::

    python benchmarks/deep_speed.py --epochs 5

After a warm-up fit (torch import, thread pools), fits each model for ``--epochs`` epochs and
reports the training loop's own seconds per epoch and everything before it (metadata,
encoders, mode-specific normalization).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import simulacra as sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/datasets/adult_train.csv")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    df = pd.read_csv(args.data)
    sim.CTGAN(random_state=0, epochs=1).fit(df.head(2000))  # warm-up: imports torch, threads
    for cls in (sim.CTGAN, sim.TVAE):
        model = cls(random_state=0, epochs=args.epochs)
        t0 = time.perf_counter()
        model.fit(df)
        total = time.perf_counter() - t0
        per_epoch = model.training_seconds_ / model.epochs_trained_
        t0 = time.perf_counter()
        model.sample(len(df))
        print(f"{cls.__name__}: {per_epoch:.2f} s/epoch; everything before the first epoch "
              f"{total - model.training_seconds_:.1f} s (mode-specific normalization "
              f"{model.preprocess_seconds_:.1f} s); sampling {len(df):,} rows "
              f"{time.perf_counter() - t0:.2f} s")

if __name__ == "__main__":
    main()
