"""Fitting past memory: a model fitted on a Parquet dataset read in chunks, scored on Adult.

Usage::

    simulacra fit ../shared/datasets/adult_train.csv -o /tmp/adult.simz --seed 0
    simulacra sample /tmp/adult.simz -n 20000000 -o /tmp/adult20m/ --partitions 20 --seed 1
    python benchmarks/scale_fit.py --data /tmp/adult20m --model gaussian_copula \\
        --test ../shared/datasets/adult_test.csv [--in-memory | --stream] [-p epochs=5]

Fits ``--model`` on the dataset with :func:`simulacra.fit_dataset` (``--sample-rows``), or with
``--in-memory`` on the whole dataset read into one DataFrame, then samples as many rows as the
test split has and scores them: shape and trend against a uniform sample of the dataset, and
the utility of ``income`` (a gradient-boosted model trained on the synthetic rows, tested on
the real test split: TSTR, beside the same model trained on that sample: TRTR). Prints the
fit seconds and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import pandas as pd
import yaml

import simulacra as sim
from simulacra.models import get_model
from simulacra.scale.dataset import read_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--model", default="gaussian_copula")
    parser.add_argument("--sample-rows", type=int, default=1_000_000)
    parser.add_argument("--in-memory", action="store_true")
    parser.add_argument("--stream", action="store_true",
                        help="Train the network on every row (fit_dataset(stream=True)).")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-p", "--param", action="append", default=[])
    args = parser.parse_args()

    params = {k: yaml.safe_load(v) for k, v in (p.split("=", 1) for p in args.param)}
    model = get_model(args.model)(random_state=args.seed, **params)
    began = time.perf_counter()
    if args.in_memory:
        frame = pd.read_parquet(args.data)
        read = time.perf_counter() - began
        fitted = model.fit(frame)
        how = f"in memory ({len(frame):,} rows read in {read:.1f} s)"
        del frame
    else:
        fitted = sim.fit_dataset(model, args.data, sample_rows=args.sample_rows,
                                 workers=args.workers, stream=args.stream)
        how = (f"from the dataset in chunks (sample of {args.sample_rows:,} rows"
               + (", epochs of fresh rows from a stream)" if args.stream else ")"))
    took = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    epochs = getattr(fitted, "epochs_trained_", None)
    print(f"{args.model} fitted {how}: {took:.1f} s, {fitted.n_rows_:,} rows known, peak RSS "
          f"{peak:,.0f} MiB" + (f", {epochs} epochs" if epochs is not None else ""))

    test = sim.read_table(args.test)
    synthetic = fitted.sample(len(test), rng=args.seed)
    real, _ = read_dataset(args.data, sample_rows=len(test), seed=args.seed + 1, workers=1)
    result = sim.evaluate(real, synthetic, holdout=test, target="income",
                          metrics=["fidelity", "utility"], random_state=args.seed)
    figures = {name: result.value(name) for name in ("shape", "trend")}
    utility = [m for m in result.metrics if m.group == "utility"]
    for metric in utility:
        figures[metric.name] = metric.value
    print("  " + ", ".join(f"{name} {value:.4f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
