"""Machine-learning utility: train on synthetic, test on real (TSTR), beside train on real (TRTR).

A synthetic table is useful for modelling if a model fitted on it predicts the real world as
well as the same model fitted on the real training table (Esteban, Hyland & Rätsch 2017,
"Real-valued (medical) time series generation with recurrent conditional GANs"; Jordon et al.
2022, "Synthetic Data — what, why and how?"). Both models are the same scikit-learn
histogram gradient-boosted trees with fixed settings and seed, and both are scored on the real
holdout, which neither saw. Each figure's ``value`` is the TSTR score and its ``reference`` the
TRTR score: the gap between them is what the synthesizer lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score, roc_auc_score

from simulacra.errors import DataError, ParameterError, check_param
from simulacra.evaluation.metric import Direction, Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.evaluation.views import FrameView
from simulacra.randomness import child_seed

MAX_ROWS = 100_000
#: The model settings, fixed so that TSTR and TRTR differ only in the training data.
MODEL_PARAMS: dict[str, Any] = {
    "learning_rate": 0.1,
    "max_iter": 100,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "l2_regularization": 0.0,
    "early_stopping": False,
}
_REFERENCE_LABEL = "trained on real"


@dataclass(frozen=True)
class Rows:
    """Some rows (positions ``rows``) of one table's views."""

    view: FrameView
    rows: np.ndarray


@dataclass(frozen=True)
class _Split:
    """Features and labels of the three tables, restricted to rows with a usable target."""

    X: dict[str, np.ndarray]  # "synthetic" / "real" / "holdout" -> (rows, features)
    y: dict[str, np.ndarray]
    dropped: dict[str, int]  # rows left out per table (null or unknown target)


def utility(
    data: EvalData,
    featurizer: Featurizer,
    target: str,
    rng: np.random.Generator,
    *,
    max_rows: int = MAX_ROWS,
) -> list[Metric]:
    """TSTR figures for ``target``, each beside its TRTR reference.

    1. Features: every evaluated column but the target, as :meth:`Featurizer.ordinal` codes
       (categories as native categorical splits). Training tables (synthetic, real) and the
       holdout are subsampled to ``max_rows`` rows each with ``rng``.
    2. Classification (categorical or boolean target): "TSTR ROC-AUC" — binary: the positive
       class is the real training data's minority class; multiclass: macro one-vs-rest over
       the classes present in the holdout —, "TSTR F1" (binary: of the minority class;
       multiclass: macro) and "TSTR accuracy". Classes are those of the real training data;
       rows of other classes are left out (and counted in ``details``).
    3. Regression (numerical or datetime target, datetimes as seconds): "TSTR R2" and
       "TSTR RMSE"; rows with a null target are left out.

    ``details``: ``tstr``, ``trtr``, ``gap`` (how much worse TSTR is than TRTR, in the
    figure's own units: positive means the synthetic data lost something), ``task`` and
    ``positive_class``.
    """
    if data.holdout is None:
        raise ParameterError("utility (train on synthetic, test on real) needs a 'holdout' "
                             "table of real rows the synthesizer never saw. Pass holdout=...")
    if target not in data.kinds:
        raise ParameterError(f"The 'target' parameter must be one of the evaluated columns "
                             f"{list(data.kinds)}. Got {target!r} instead.")
    check_param("max_rows", max_rows, "an integer >= 1", max_rows >= 1)
    if len(data.kinds) < 2:
        raise ParameterError(f"utility needs at least one column besides the target "
                             f"{target!r} to predict it from")
    views = {"synthetic": data.synth_view, "real": data.real_view,
             "holdout": data.holdout_view}
    rows = {name: subsample(len(view), max_rows, rng) for name, view in views.items()}
    seed = child_seed(rng)
    sampled = {name: Rows(views[name], rows[name]) for name in views}
    note = _sample_note({name: (len(rows[name]), len(views[name])) for name in views})
    if data.kinds[target].family == "discrete":
        return _classification(sampled, featurizer, target, seed, note)
    return _regression(sampled, featurizer, target, seed, note)


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


def _classification(frames: dict[str, Rows], featurizer: Featurizer, target: str,
                    seed: int, note: str) -> list[Metric]:
    labels = {name: part.view.labels(target)[part.rows] for name, part in frames.items()}
    classes, counts = np.unique(labels["real"], return_counts=True)
    if len(classes) < 2:
        raise ParameterError(f"The 'target' column {target!r} has a single class "
                             f"({classes[0]!r}) in the real training data; choose a target "
                             "with at least two classes")
    binary = len(classes) == 2
    positive = int(np.argmin(counts))  # minority class of the real data (first if tied)
    split = split_features(frames, featurizer, target,
                      {name: pd.Index(classes).get_indexer(v) for name, v in labels.items()},
                      keep=lambda y: y >= 0)
    y_hold = split.y["holdout"]
    if len(split.y["synthetic"]) == 0:
        raise DataError(f"no synthetic row has a class of {target!r} seen in the real data")
    scores, notes = {}, [note]
    for source in ("synthetic", "real"):
        proba = fit_predict_proba(split.X[source], split.y[source], split.X["holdout"],
                                   len(classes), featurizer, target, seed)
        if len(np.unique(split.y[source])) == 1:
            notes.append(f"the {source} data has a single class of {target!r}: the model "
                         "predicts it everywhere, so ROC-AUC is 0.5")
        scores[source] = _classification_scores(y_hold, proba, binary, positive)
    if split.dropped["holdout"] or split.dropped["synthetic"]:
        notes.append(f"rows with classes unseen in the real data left out: "
                     f"{split.dropped['synthetic']} synthetic, {split.dropped['holdout']} "
                     "holdout")
    common = {"task": "binary classification" if binary else "multiclass classification",
              "positive_class": str(classes[positive]) if binary else None,
              "target": target, "classes": [str(c) for c in classes],
              "rows": {k: len(v) for k, v in split.y.items()}, "model": _model_name(True)}
    auc_def = ("binary: positive class = the real data's minority class" if binary
               else "macro one-vs-rest")
    f1_def = "F1 of the real data's minority class" if binary else "macro F1"
    return [
        _metric("TSTR ROC-AUC", f"ROC-AUC ({auc_def})", "auc", scores, "higher", common, notes),
        _metric("TSTR F1", f1_def, "f1", scores, "higher", common, notes),
        _metric("TSTR accuracy", "accuracy", "accuracy", scores, "higher", common, notes),
    ]


def fit_predict_proba(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, n_classes: int,
                       featurizer: Featurizer, target: str, seed: int) -> np.ndarray:
    """Class probabilities (rows, n_classes) on ``X_test``; classes absent from ``y`` get 0."""
    seen = np.unique(y)
    proba = np.zeros((len(X_test), n_classes))
    if len(seen) == 1:
        proba[:, seen[0]] = 1.0
        return proba
    model = HistGradientBoostingClassifier(
        **MODEL_PARAMS, categorical_features=_categorical(featurizer, target),
        random_state=seed)
    model.fit(X, y)
    proba[:, model.classes_] = model.predict_proba(X_test)
    return proba


def fit_predict_values(X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
                       featurizer: Featurizer, target: str, seed: int) -> np.ndarray:
    """Predictions on ``X_test`` of the regression model fitted on ``(X, y)``."""
    model = HistGradientBoostingRegressor(
        **MODEL_PARAMS, categorical_features=_categorical(featurizer, target),
        random_state=seed)
    return model.fit(X, y).predict(X_test)


def _classification_scores(y: np.ndarray, proba: np.ndarray, binary: bool,
                           positive: int) -> dict[str, float]:
    predicted = proba.argmax(axis=1)
    if binary:
        truth = y == positive
        auc = auc_or_nan(truth, proba[:, positive])
        f1 = f1_score(truth, predicted == positive, zero_division=0.0)
    else:
        present = np.unique(y)
        auc = float(np.mean([auc_or_nan(y == c, proba[:, c]) for c in present]))
        f1 = f1_score(y, predicted, labels=present, average="macro", zero_division=0.0)
    return {"auc": auc, "f1": float(f1), "accuracy": float(accuracy_score(y, predicted))}


def auc_or_nan(truth: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC; NaN when the holdout holds one class only (AUC undefined)."""
    if truth.all() or not truth.any():
        return float("nan")
    return float(roc_auc_score(truth, score))


# --------------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------------


def _regression(frames: dict[str, Rows], featurizer: Featurizer, target: str,
                seed: int, note: str) -> list[Metric]:
    values = {name: part.view.floats(target)[part.rows] for name, part in frames.items()}
    split = split_features(frames, featurizer, target, values, keep=lambda y: ~np.isnan(y))
    for name, y in split.y.items():
        if len(y) < 2:
            raise DataError(f"the {name} table has {len(y)} rows with a non-null {target!r}; "
                            "utility needs at least 2")
    y_hold = split.y["holdout"]
    scores = {}
    for source in ("synthetic", "real"):
        predicted = fit_predict_values(split.X[source], split.y[source], split.X["holdout"],
                                       featurizer, target, seed)
        scores[source] = {"r2": float(r2_score(y_hold, predicted)),
                          "rmse": float(np.sqrt(mean_squared_error(y_hold, predicted)))}
    notes = [note]
    if any(split.dropped.values()):
        notes.append("rows with a null target left out: " + ", ".join(
            f"{n} {name}" for name, n in split.dropped.items() if n))
    unit = "seconds" if featurizer.kinds[target].temporal else "target units"
    common = {"task": "regression", "positive_class": None, "target": target, "unit": unit,
              "rows": {k: len(v) for k, v in split.y.items()}, "model": _model_name(False)}
    return [
        _metric("TSTR R2", "coefficient of determination R²", "r2", scores, "higher", common,
                notes),
        _metric("TSTR RMSE", f"root mean squared error ({unit})", "rmse", scores, "lower",
                common, notes),
    ]


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------


def split_features(frames: dict[str, Rows], featurizer: Featurizer, target: str,
              targets: dict[str, np.ndarray], keep: Callable[[np.ndarray], np.ndarray]
              ) -> _Split:
    """Ordinal features without the target column, for the rows whose target ``keep``s."""
    columns = [c != target for c in featurizer.kinds]
    X, y, dropped = {}, {}, {}
    for name, part in frames.items():
        ok = keep(targets[name])
        X[name] = featurizer.ordinal(part.view, part.rows)[ok][:, columns]
        y[name] = targets[name][ok]
        dropped[name] = int((~ok).sum())
    return _Split(X, y, dropped)


def _categorical(featurizer: Featurizer, target: str) -> np.ndarray | None:
    """Boolean mask of the coded categorical features (target removed), or None."""
    mask = featurizer.categorical_mask[[c != target for c in featurizer.kinds]]
    return mask if mask.any() else None


def _metric(name: str, score_text: str, key: str, scores: dict[str, dict[str, float]],
            direction: Direction, common: dict[str, Any], notes: list[str]) -> Metric:
    tstr, trtr = scores["synthetic"][key], scores["real"][key]
    gap = trtr - tstr if direction == "higher" else tstr - trtr
    return Metric(
        name, "utility", tstr,
        definition=f"{score_text} on the real holdout of a gradient-boosted model trained on "
                   "the synthetic data (train synthetic, test real); reference: the same "
                   "model trained on the real training data",
        direction=direction,
        reference=trtr, reference_label=_REFERENCE_LABEL,
        note="; ".join(n for n in dict.fromkeys(notes) if n),
        details={"tstr": tstr, "trtr": trtr, "gap": gap, **common},
    )


def _model_name(classifier: bool) -> str:
    kind = "Classifier" if classifier else "Regressor"
    params = ", ".join(f"{k}={v}" for k, v in MODEL_PARAMS.items())
    return f"HistGradientBoosting{kind}({params})"


def subsample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of ``min(n, size)`` rows drawn without replacement (all if n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def _sample_note(used: dict[str, tuple[int, int]]) -> str:
    parts = [f"{k:,} of {n:,} {name} rows" for name, (k, n) in used.items() if k < n]
    return "random subsample: " + ", ".join(parts) if parts else ""
