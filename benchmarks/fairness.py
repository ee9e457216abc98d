"""Fairness-aware sampling on Adult: the parity gap it removes and what it costs.

For each model and seed: fit the train part, sample as many rows (the ordinary sample), then
make the target independent of the sensitive columns, by each ``--method``: ``relabel`` runs
:func:`simulacra.make_fair` on the ordinary rows (the two variants are paired); ``draw`` is
``model.sample(n, fairness={..., "method": "draw"})`` with the ordinary sample's seed (its
pilot is the ordinary sample, each (group, target) cell takes its rows and draws the rest).
Both are evaluated against the test part with the fairness figures of ``sensitive``:
fidelity (shape, trend), detection AUC, TSTR beside TRTR, the target parity gap (real,
ordinary, fair) and the reduction, the prediction parity and equal opportunity gaps of the
TSTR model. ``--split validation`` scores on a seeded 30 % of the train part instead (the fit
uses the other 70 %), for choosing anything.

    python benchmarks/fairness.py -m autoregressive --seeds 3 --strength 0.9 --strength 1 \
        --method draw --method relabel
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim
from simulacra.bench import DATASETS, default_datasets_dir
from simulacra.models import get_model

FIGURES = ("shape", "trend", "detection AUC", "TSTR ROC-AUC", "TSTR accuracy")


def figures(result: sim.EvaluationResult, sensitive: list[str]) -> dict[str, float]:
    out = {name: result.value(name) for name in FIGURES}
    first = sensitive[0]
    for name, short in (("target parity gap", "parity gap"),
                        ("prediction parity gap (TSTR)", "prediction gap"),
                        ("equal opportunity gap (TSTR)", "opportunity gap"),
                        ("score distribution gap (TSTR)", "score gap"),
                        ("worst-group TSTR", "worst group")):
        metric = result.get(name, column=first)
        out[short] = metric.value
        out[f"{short} (real)"] = metric.reference
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", action="append", default=None)
    parser.add_argument("-d", "--dataset", default="adult")
    parser.add_argument("--sensitive", action="append", default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--strength", type=float, action="append", default=None,
                        help="share of the gap closed (repeatable; default 1)")
    parser.add_argument("--method", action="append", choices=("draw", "relabel"),
                        default=None, help="how the table is made fair (repeatable; default "
                        "relabel)")
    parser.add_argument("--strong", action="store_true",
                        help="also the strong statistical parity variant (strength 1)")
    parser.add_argument("--split", choices=("validation", "test"), default="test")
    parser.add_argument("--datasets-dir", type=Path, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sensitive = args.sensitive or ["sex"]
    spec = DATASETS[args.dataset]
    train, test = spec.load(args.datasets_dir or default_datasets_dir())
    for column in sensitive:  # a group code stored as a number (default's SEX 1/2) is a label
        if pd.api.types.is_numeric_dtype(train[column]) and train[column].nunique() <= 20:
            train[column], test[column] = (f"{column}=" + train[column].astype(str),
                                           f"{column}=" + test[column].astype(str))
    target = spec.target
    records = []
    for model_name in args.model or ["autoregressive"]:
        for seed in range(args.seeds):
            fit_rows, scored = train, test
            if args.split == "validation":
                order = np.random.default_rng(seed).permutation(len(train))
                cut = round(0.7 * len(train))
                fit_rows = train.iloc[np.sort(order[:cut])].reset_index(drop=True)
                scored = train.iloc[np.sort(order[cut:])].reset_index(drop=True)
            started = time.perf_counter()
            model = get_model(model_name)(random_state=seed).fit(fit_rows)
            fit_s = time.perf_counter() - started
            ordinary = model.sample(len(fit_rows), rng=seed)
            variants = [("ordinary", ordinary, 0.0)]
            asked = [(s, False) for s in args.strength or [1.0]] + \
                ([(1.0, True)] if args.strong else [])
            for method in args.method or ["relabel"]:
                for strength, strong in asked:
                    if strong and method == "draw":
                        continue
                    started = time.perf_counter()
                    if method == "relabel":
                        fair = sim.make_fair(ordinary, target, sensitive, strength=strength,
                                             strong=strong, random_state=seed)
                    else:
                        fair = model.sample(len(fit_rows), rng=seed, fairness={
                            "target": target, "sensitive": sensitive, "strength": strength,
                            "method": "draw"})
                    name = f"{method} {strength:g}" + (" strong" if strong else "")
                    variants.append((name, fair, time.perf_counter() - started))
            for variant, synth, fair_s in variants:
                result = sim.evaluate(fit_rows, synth, holdout=scored, target=target,
                                      sensitive=sensitive, random_state=seed,
                                      metrics=["fidelity", "detection", "utility", "fairness"])
                record = {"model": model_name, "seed": seed, "variant": variant,
                          "fit s": fit_s, "fairness s": fair_s,
                          "rows changed": float((synth[target] != ordinary[target]).mean())
                          if not variant.startswith("draw") else float("nan"),
                          **figures(result, sensitive)}
                records.append(record)
                print(" · ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                 for k, v in record.items()), flush=True)
    frame = pd.DataFrame(records)
    means = frame.groupby(["model", "variant"], sort=False).mean(numeric_only=True)
    print()
    means = means.drop(columns="seed")
    print("| model | variant | " + " | ".join(means.columns) + " |")
    print("|---|---|" + "---|" * len(means.columns))
    for (model_name, variant), row in means.iterrows():
        print(f"| {model_name} | {variant} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    for model_name in frame["model"].unique():
        by = means.loc[model_name]
        for variant in by.index[1:]:
            cut = 1 - by.loc[variant, "parity gap"] / by.loc["ordinary", "parity gap"]
            cost = by.loc["ordinary", "TSTR ROC-AUC"] - by.loc[variant, "TSTR ROC-AUC"]
            cost_acc = by.loc["ordinary", "TSTR accuracy"] - by.loc[variant, "TSTR accuracy"]
            print(f"{model_name}, {variant}: parity gap cut by {cut:.1%}; TSTR ROC-AUC cost "
                  f"{cost:.4f}, accuracy cost {cost_acc:.4f}")


if __name__ == "__main__":
    main()
