"""How well the budget check (``simulacra.privacy.adequacy``) predicts what a DP fit keeps.

Each benchmark table's train part, subsampled to each ``--rows`` (and whole), is fitted at each
``--epsilon`` with no public schema; the fit's ``budget_check_`` (expected shape, warned or not,
the ε it advises) is printed beside what the synthetic table then measured against the train
rows (shape, trend) and the test part (TSTR against TRTR).

    python benchmarks/budget_check.py -d adult -m mst -m aim
    python benchmarks/budget_check.py -d default -d shoppers -d california -m mst

One JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import simulacra as sim
from simulacra.bench import DATASETS, default_datasets_dir
from simulacra.errors import DataError
from simulacra.evaluation.evaluate import evaluate
from simulacra.models import get_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--dataset", action="append", required=True)
    parser.add_argument("-m", "--model", action="append", default=None)
    parser.add_argument("--rows", type=int, action="append", default=None,
                        help="subsample sizes (default 1,000 and 5,000; the whole part always)")
    parser.add_argument("--epsilon", type=float, action="append", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets-dir", type=Path, default=None)
    args = parser.parse_args()
    root = args.datasets_dir or default_datasets_dir()
    for name in args.dataset:
        dataset = DATASETS[name]
        train, test = dataset.load(root)
        for n in [*(args.rows or [1000, 5000]), len(train)]:
            part = train.sample(n=min(n, len(train)), random_state=args.seed)
            part = part.reset_index(drop=True)
            for epsilon in args.epsilon or [0.03, 0.1, 0.3, 1.0]:
                for model_name in args.model or ["mst"]:
                    print(json.dumps(run(dataset, part, test, model_name, epsilon, args.seed)),
                          flush=True)


def run(dataset, part, test, model_name: str, epsilon: float, seed: int) -> dict:
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = get_model(model_name)(privacy=sim.PrivacyBudget(epsilon, 1e-5),
                                      random_state=seed).fit(part)
        synth = model.sample(len(part))
    check = model.budget_check_
    try:
        result = evaluate(part, synth, holdout=test, target=dataset.target, random_state=seed,
                          metrics=["fidelity", "utility"])
    except DataError:  # e.g. no synthetic row has a real class of the target
        result = evaluate(part, synth, random_state=seed, metrics=["fidelity"])
    figures = {m.label: m.value for m in result.metrics}
    references = {m.label: m.reference for m in result.metrics if m.reference is not None}
    tstr = next((k for k in ("TSTR ROC-AUC", "TSTR R2") if k in figures), None)
    return {
        "dataset": dataset.name, "rows": len(part), "epsilon": epsilon, "model": model_name,
        "expected shape": round(check.expected_shape, 3), "warned": not check.adequate,
        "epsilon advised": None if check.epsilon_needed is None
        else round(check.epsilon_needed, 2),
        "shape": round(figures["shape"], 3), "trend": round(figures["trend"], 3),
        "TSTR": None if tstr is None else round(figures[tstr], 3),
        "TRTR": None if tstr is None else round(references[tstr], 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    main()
