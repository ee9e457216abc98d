"""Compare model settings without touching any test split (how defaults are chosen).

Each benchmark table's *train* part (the same part ``simulacra bench`` fits on) is split again,
80/20 with a fixed seed: the model fits on the inner 80 % and is scored against the inner 20 %
(fidelity, detection and train-on-synthetic-test-on-real utility). ``simulacra bench`` scores
against the test part, which therefore stays unseen while settings are compared.

    python benchmarks/select_defaults.py -d california -d magic -m autoregressive \\
        -v "sub1:numeric_sub_bins=1" -v "sub16:numeric_sub_bins=16"

Under a privacy budget (``--epsilon``, repeatable; ``--metadata`` for a declared schema):

    python benchmarks/select_defaults.py -d adult -m tabddpm --epsilon 1 --epsilon 10 \\
        --metadata benchmarks/adult_public_schema.yaml --metrics fidelity,utility \\
        -v "auto:" -v "lr2e-3:learning_rate=2e-3"

Prints one line per (dataset, variant, ε, seed) and a table of the means.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import simulacra as sim
from simulacra.bench import DATASETS, default_datasets_dir
from simulacra.models import get_model

FIGURES = ("shape", "trend", "2-way TVD", "detection AUC", "TSTR")


def inner_split(train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(1).permutation(len(train))
    cut = round(0.8 * len(train))
    return (train.iloc[order[:cut]].reset_index(drop=True),
            train.iloc[order[cut:]].reset_index(drop=True))


def parse_variant(text: str) -> tuple[str, dict]:
    label, _, rest = text.partition(":")
    params = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        params[key.strip()] = _number(yaml.safe_load(value))
    return label, params


def _number(value: object) -> object:
    """YAML 1.1 reads ``5e-3`` (no dot) as a string: take it as the number it is."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--dataset", action="append", required=True)
    parser.add_argument("-m", "--model", default="autoregressive")
    parser.add_argument("-v", "--variant", action="append", required=True,
                        help="LABEL:key=value,key=value (model parameters, values in YAML)")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--datasets-dir", type=Path, default=None)
    parser.add_argument("--epsilon", type=float, action="append", default=None,
                        help="fit under PrivacyBudget(EPSILON) (repeatable)")
    parser.add_argument("--metadata", type=Path, default=None,
                        help="a metadata YAML (e.g. a public schema) given to the model")
    parser.add_argument("--metrics", default="fidelity,detection,utility",
                        help="metric groups of sim.evaluate, comma-separated")
    args = parser.parse_args()
    budgets = args.epsilon or [None]
    metadata = sim.Metadata.load(args.metadata) if args.metadata else None
    root = args.datasets_dir or default_datasets_dir()
    rows = []
    for name in args.dataset:
        spec = DATASETS[name]
        fit_part, val_part = inner_split(spec.load(root)[0])
        for text, eps in ((t, e) for t in args.variant for e in budgets):
            label, params = parse_variant(text)
            if metadata is not None:
                params["metadata"] = metadata
            if eps is not None:
                params["privacy"] = sim.PrivacyBudget(eps)
                label = f"{label} ε={eps:g}"
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                model = get_model(args.model)(random_state=seed, **params)
                started = time.perf_counter()
                model.fit(fit_part)
                fit_s = time.perf_counter() - started
                synth = model.sample(len(fit_part))
                result = sim.evaluate(fit_part, synth, holdout=val_part, target=spec.target,
                                      random_state=seed,
                                      metrics=args.metrics.split(","))
                figures = {m.name: m.value for m in result.metrics}
                tstr = next((v for k, v in figures.items() if k.startswith("TSTR")), None)
                bivariate = figures.get("bivariate accuracy")
                report = getattr(model, "privacy_report_", None)
                row = {"dataset": name, "variant": label, "seed": seed, "fit s": fit_s,
                       "epochs": getattr(model, "epochs_trained_", None),
                       "shape": figures.get("shape"), "trend": figures.get("trend"),
                       "2-way TVD": None if bivariate is None else 1 - bivariate,
                       "detection AUC": figures.get("detection AUC"), "TSTR": tstr,
                       "noise multiplier": getattr(report, "noise_multiplier", None),
                       "lr": getattr(model, "learning_rate_", None)}
                rows.append(row)
                print(" · ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                 for k, v in row.items()), flush=True)
    columns = ["fit s", "epochs", *FIGURES]
    frame = pd.DataFrame(rows)
    frame[columns] = frame[columns].astype(float)  # None (not measured) -> NaN
    table = frame.groupby(["dataset", "variant"], sort=False)[columns].mean()
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
