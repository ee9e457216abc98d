"""Does rebalancing help a classifier find the minority class? TSTR F1 with and without.

    python benchmarks/rebalance.py [--models bayesian_network autoregressive] [--seed 0]

Fits each model on Adult's train part, samples as many rows as it has, once as modelled and
once with ``rebalance={"income": {">50K": 0.5}}``, trains a gradient-boosted classifier on
each synthetic table and scores F1 (and recall, precision, ROC-AUC) of ``>50K`` on the
holdout; the classifier trained on the real rows is the reference.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

import simulacra as sim

TARGET, POSITIVE = "income", ">50K"


def features(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=[TARGET]).copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(reference[col]):
            codes = {v: i for i, v in enumerate(pd.unique(reference[col].dropna()))}
            out[col] = out[col].map(codes).fillna(-1).astype(int)
    return out


def score(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> dict[str, float]:
    clf = HistGradientBoostingClassifier(random_state=seed)
    x, y = features(train, test), (train[TARGET] == POSITIVE).to_numpy()
    clf.fit(x, y)
    xt, yt = features(test, test), (test[TARGET] == POSITIVE).to_numpy()
    pred, prob = clf.predict(xt), clf.predict_proba(xt)[:, 1]
    return {"F1": f1_score(yt, pred), "recall": recall_score(yt, pred),
            "precision": precision_score(yt, pred), "ROC-AUC": roc_auc_score(yt, prob),
            "positive share": float(np.mean(y))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["bayesian_network", "autoregressive"])
    parser.add_argument("--datasets-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train = pd.read_csv(args.datasets_dir / "adult_train.csv")
    test = pd.read_csv(args.datasets_dir / "adult_test.csv")
    test[TARGET] = test[TARGET].str.rstrip(".")
    print("| model | sampling | >50K share | F1 (>50K) | recall | precision | ROC-AUC | sample s |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [("real rows", "—", train, 0.0)]
    for name in args.models:
        model = sim.MODELS[name](random_state=args.seed).fit(train)
        for label, kw in [("as modelled", {}),
                          ("rebalanced 50/50", {"rebalance": {TARGET: {POSITIVE: 0.5}}})]:
            started = time.perf_counter()
            synth = model.sample(len(train), rng=args.seed, **kw)
            rows.append((name, label, synth, time.perf_counter() - started))
    for name, label, frame, took in rows:
        s = score(frame, test, args.seed)
        print(f"| {name} | {label} | {s['positive share']:.3f} | {s['F1']:.3f} | "
              f"{s['recall']:.3f} | {s['precision']:.3f} | {s['ROC-AUC']:.3f} | {took:.2f} |")


if __name__ == "__main__":
    main()
