"""Detection: can a classifier tell real rows from synthetic ones? (C2ST)

A classifier two-sample test (Lopez-Paz & Oquab, "Revisiting Classifier Two-Sample Tests",
ICLR 2017): label real rows 0 and synthetic rows 1, train a gradient-boosted classifier with
K-fold cross-validation, and report the out-of-fold ROC-AUC. 0.5 means the classifier cannot
tell the tables apart; 1.0 means every synthetic row is recognisable. Unlike column shapes,
this sees every interaction between columns at once, so a model that treats columns as
independent scores badly here.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.randomness import child_seed

#: Fixed, modest classifier settings: same figure on every run with the same seed.
CLASSIFIER_PARAMS = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31,
                     "early_stopping": False}


def detection_auc(
    data: EvalData,
    featurizer: Featurizer,
    rng: np.random.Generator,
    folds: int = 5,
    max_rows: int = 50_000,
) -> Metric:
    """Out-of-fold ROC-AUC of a classifier separating real rows from synthetic rows.

    1. Real rows are the holdout table (rows the synthesizer never saw) or, without one, the
       training table; ``n = min(len(real), len(synthetic), max_rows)`` rows of each side are
       drawn with ``rng`` so the classes are balanced.
    2. Features are ``featurizer.ordinal`` (numbers as they are, NaN kept; categories as codes
       declared categorical to the model).
    3. ``folds``-fold stratified cross-validation of scikit-learn's
       ``HistGradientBoostingClassifier`` (:data:`CLASSIFIER_PARAMS`); every row is scored by
       the model that did not see it, and the AUC is the mean over folds.

    Ideal 0.5. An AUC well *below* 0.5 means synthetic rows are copies of the real rows
    used: each row's twin sits in the training folds with the other label. ``details`` hold
    the per-fold AUCs and the share of splits each feature was used for (a cheap importance
    proxy: what gives the synthetic rows away).
    Reference: D. Lopez-Paz, M. Oquab, "Revisiting Classifier Two-Sample Tests", ICLR 2017.
    """
    if data.holdout is not None:
        real, label = data.holdout_view, "holdout"
        note = "real rows are the holdout table"
    else:
        real, label = data.real_view, "train"
        note = ("no holdout given: real rows are the training table, which the synthesizer "
                "saw, so memorised rows are harder to detect")
    n = min(len(real), len(data.synth), max_rows)
    definition = ("Mean out-of-fold ROC-AUC of a gradient-boosted classifier trained to tell "
                  "real rows (label 0) from synthetic rows (label 1), equal counts of each.")
    if n < folds or featurizer.categorical_mask.size == 0:
        return Metric("detection AUC", "fidelity", math.nan, definition=definition,
                      direction="closer", ideal=0.5,
                      note=f"not computed: needs at least {folds} rows per side and a column")
    X = np.vstack([featurizer.ordinal(real, _pick(len(real), n, rng)),
                   featurizer.ordinal(data.synth_view, _pick(len(data.synth), n, rng))])
    y = np.repeat([0, 1], n)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=child_seed(rng))
    seed = child_seed(rng)
    aucs: list[float] = []
    usage = np.zeros(X.shape[1])
    for train, test in splitter.split(X, y):
        model = HistGradientBoostingClassifier(
            categorical_features=featurizer.categorical_mask, random_state=seed,
            **CLASSIFIER_PARAMS)
        model.fit(X[train], y[train])
        aucs.append(float(roc_auc_score(y[test], model.predict_proba(X[test])[:, 1])))
        usage += _split_counts(model, X.shape[1])
    features = list(featurizer.kinds)
    share = usage / usage.sum() if usage.sum() > 0 else usage
    top = [{"column": features[i], "split_share": float(share[i])}
           for i in np.argsort(-share, kind="stable")[:10] if share[i] > 0]
    if n < max(len(real), len(data.synth)):
        note += f"; {n:,} rows of each side"
    return Metric(
        "detection AUC", "fidelity", float(np.mean(aucs)), definition=definition,
        direction="closer", ideal=0.5, note=note,
        details={"fold_aucs": aucs, "rows_per_side": n, "real_rows": label,
                 "top_features": top, "classifier": "HistGradientBoostingClassifier",
                 "params": CLASSIFIER_PARAMS},
    )


def _pick(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct row positions out of ``total``, in order (all of them if ``n == total``)."""
    if n >= total:
        return np.arange(total)
    return np.sort(rng.choice(total, size=n, replace=False))


def _split_counts(model: HistGradientBoostingClassifier, n_features: int) -> np.ndarray:
    """How many splits of the fitted trees use each feature."""
    counts = np.zeros(n_features)
    try:  # scikit-learn keeps the trees in a private attribute; skip the proxy if it moves
        for trees in model._predictors:
            for tree in trees:
                nodes = tree.nodes
                inner = nodes["feature_idx"][~nodes["is_leaf"].astype(bool)]
                counts += np.bincount(inner, minlength=n_features)[:n_features]
    except (AttributeError, KeyError, TypeError, ValueError):
        return np.zeros(n_features)
    return counts
