"""Where private numeric domains end, and what that does to a binned comparison.

Every numerical column of the benchmark tables' train parts gets the private domain that a
DP fit without a public schema would learn (``NumericDomain.fit`` with the ρ a column receives
from AIM/MST at ``--epsilon``: ``--share`` of the budget split evenly over the table's columns),
for ``--draws`` noise draws each. Printed per table and overall:

* ``end error`` — how far each learned end is from the column's real one, as a share of the
  column's real range (lower and upper end averaged);
* ``binned`` — 1 − total variation distance between the column binned as SDMetrics' column
  pair trends bins it (10 equal-width bins over each table's *own* range) and the same column
  after a round trip through the domain (every real value coded, then decoded). It isolates
  what the domain's ends and cells cost a measure that bins each table over its own range, as
  if the model had learned every code's frequency exactly.

Only train parts are read (no test split), so choices made on these figures never see a test.

    python benchmarks/private_ends.py --datasets-dir ../shared/datasets
    python benchmarks/private_ends.py -d adult --draws 10 --columns   # one line per column
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim
from simulacra.bench import DATASETS, default_datasets_dir
from simulacra.encoders.domains import Budget, NumericDomain
from simulacra.evaluation.fidelity.statistics import sdmetrics_bins
from simulacra.privacy.accounting import cdp_rho
from simulacra.privacy.budget import THRESHOLD_DELTA_SHARE


class _NoLedger:
    """Takes a domain's spending without keeping it: the benchmark fixes ρ per column."""

    def spend(self, stage: str, what: str, rho: float, delta: float = 0.0) -> None:
        pass


def binned_score(real: np.ndarray, synth: np.ndarray) -> float:
    """1 − TVD of two columns binned over their own ranges, as SDMetrics' pair trends do."""
    a = np.bincount(sdmetrics_bins(real), minlength=12)[:12] / len(real)
    b = np.bincount(sdmetrics_bins(synth), minlength=12)[:12] / len(synth)
    return float(1.0 - 0.5 * np.abs(a - b).sum())


def column_figures(values: np.ndarray, *, rho: float, delta: float, bins: int, draws: int,
                   seed: int) -> dict[str, float]:
    """Mean end error and binned score of one column's private domain over noise draws."""
    values = values[~np.isnan(values)]
    integer = bool(np.all(values == np.round(values)))
    lo, hi = float(values.min()), float(values.max())
    span = max(hi - lo, 1e-12)
    errors, scores, ends = [], [], []
    for draw in range(draws):
        rng = np.random.default_rng([seed, draw])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            domain = NumericDomain.fit(pd.Series(values), bins=bins, integer=integer,
                                       declared=(None, None),
                                       budget=Budget(_NoLedger(), rho, delta, "x"), rng=rng)
        low, high = domain.minimum_, domain.maximum_
        errors.append((abs(low - lo) + abs(high - hi)) / (2 * span))
        decoded = domain.inverse_transform(domain.transform(values), rng)
        scores.append(binned_score(values, decoded))
        ends.append((low, high))
    return {"end_error": float(np.mean(errors)), "binned": float(np.mean(scores)),
            "real_end": (lo, hi), "ends": ends}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--dataset", action="append", choices=sorted(DATASETS))
    parser.add_argument("--datasets-dir", type=Path, default=None)
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--delta", type=float, default=1e-5)
    parser.add_argument("--share", type=float, default=0.5,
                        help="share of the budget the encoding gets (0.5 with no schema)")
    parser.add_argument("--bins", type=int, default=32)
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--columns", action="store_true", help="print one line per column")
    args = parser.parse_args()
    root = args.datasets_dir or default_datasets_dir()
    threshold_delta = THRESHOLD_DELTA_SHARE * args.delta
    rho_total = cdp_rho(args.epsilon, args.delta - threshold_delta)
    overall: list[dict[str, float]] = []
    for name in args.dataset or sorted(DATASETS):
        train, _ = DATASETS[name].load(root)
        metadata = sim.Metadata.detect(train)
        rho = 0.99 * args.share * rho_total / len(train.columns)
        delta = threshold_delta / len(train.columns)
        rows = []
        for column in train.columns:
            if metadata[column].family != "continuous" or metadata[column].kind == "datetime":
                continue
            figures = column_figures(train[column].to_numpy(dtype=float), rho=rho, delta=delta,
                                     bins=args.bins, draws=args.draws, seed=args.seed)
            rows.append(figures)
            if args.columns:
                print(json.dumps({"table": name, "column": column,
                                  "end_error": round(figures["end_error"], 4),
                                  "binned": round(figures["binned"], 4),
                                  "real_end": figures["real_end"],
                                  "ends": [[round(a, 4), round(b, 4)]
                                           for a, b in figures["ends"]]}))
        overall += rows
        print(json.dumps({"table": name, "columns": len(rows),
                          "sigma": round((1 / (2 * rho / 3)) ** 0.5, 1),
                          "end_error": round(float(np.mean([r["end_error"] for r in rows])), 4),
                          "binned": round(float(np.mean([r["binned"] for r in rows])), 4)}))
    print(json.dumps({"table": "all", "columns": len(overall),
                      "end_error": round(float(np.mean([r["end_error"] for r in overall])), 4),
                      "median_end_error": round(float(np.median(
                          [r["end_error"] for r in overall])), 4),
                      "binned": round(float(np.mean([r["binned"] for r in overall])), 4)}))


if __name__ == "__main__":
    main()
