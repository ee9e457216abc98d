"""Conditional coherence: does a synthetic text fit the rest of its row?

A text column is rarely independent of its row: a review's words follow its rating, a verse's
its book. If the synthetic texts keep that link, a classifier that reads a text and predicts
another (categorical) column of its row, trained on the *synthetic* rows, predicts the *real*
holdout's column about as well as the same classifier trained on the real training rows.
This is train-synthetic-test-real (TSTR) beside train-real-test-real (TRTR), as
:mod:`simulacra.evaluation.utility` does for the table (Esteban, Hyland & Rätsch 2017), with
the text as the only feature. Texts written without regard to their row (word salad, texts
shuffled between rows) score at chance; copied rows score like TRTR.

The classifier is a logistic regression on TF-IDF word 1–2-grams (:mod:`.features`; the
vectorizer fitted on the training side's texts only), fitted by stochastic average gradient
for a fixed number of epochs so that 60 classes of 25,000 texts take seconds.

>>> import pandas as pd
>>> words = {"sea": "ship wave salt tide", "farm": "cow barn hay plough"}
>>> def table(n, seed, shuffle=False):
...     rng = np.random.default_rng(seed)
...     topic = rng.choice(["sea", "farm"], n)
...     text = [" ".join(rng.choice(words[t].split(), 4)) for t in topic]
...     return pd.DataFrame({"note": rng.permutation(text) if shuffle else text,
...                          "topic": topic})
>>> train, holdout = table(300, 1), table(200, 2)
>>> tstr = text_coherence(train, table(300, 3, shuffle=True), holdout, text="note",
...                       targets="topic")
>>> [m.name for m in tstr], tstr[0].column
(['coherence ROC-AUC (topic)', 'coherence accuracy (topic)'], 'note')
>>> tstr[0].reference > 0.99 and tstr[0].value < 0.7     # TRTR perfect, shuffled texts not
True
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score

from simulacra.errors import DataError, ParameterError, check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.text.data import Texts
from simulacra.evaluation.text.features import WORD_FEATURES, fit_vectorizer
from simulacra.evaluation.views import as_labels
from simulacra.randomness import RandomState, child_seed, make_rng

#: Texts per table at most (a random subsample beyond).
MAX_TEXTS = 50_000
#: Classes of a target at most: the most frequent ones, the rest pooled as "(other)".
MAX_CLASSES = 100
#: Passes of the solver over the training texts (it stops earlier once converged).
EPOCHS = 15
#: The classifier's fixed settings: TSTR and TRTR differ only in the training data.
CLASSIFIER_PARAMS: dict[str, Any] = {"C": 4.0, "solver": "sag", "tol": 1e-4}
OTHER = "(other)"
_REFERENCE_LABEL = "trained on real"
_SIDES = ("synthetic", "real", "holdout")


@dataclass(frozen=True)
class _Side:
    """One table's texts (non-null, subsampled) and the other columns of the same rows."""

    texts: np.ndarray
    frame: pd.DataFrame


def text_coherence(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, *,
                   text: str, targets: str | Sequence[str], random_state: RandomState = 0,
                   max_texts: int = MAX_TEXTS, max_classes: int = MAX_CLASSES,
                   epochs: int = EPOCHS, word_features: int = WORD_FEATURES) -> list[Metric]:
    """"coherence ROC-AUC (<target>)" and "coherence accuracy (<target>)" for each column of
    ``targets``: a text classifier trained on ``synthetic`` (TSTR, the ``value``) and on
    ``train`` (TRTR, the ``reference``), both scored on ``holdout``.

    1. Rows with a null ``text`` are left out; each table is subsampled to ``max_texts`` rows
       (``random_state``).
    2. Per training table, TF-IDF word 1–2-grams (``word_features`` at most) fitted on its
       texts, the holdout's texts transformed by it.
    3. Per target: classes are the real training data's (nulls a class of their own), the
       ``max_classes`` − 1 most frequent kept and the rest pooled as "(other)" when there are
       more; rows of other classes left out (counted in ``details``). A logistic regression
       (:data:`CLASSIFIER_PARAMS`, ``epochs`` passes at most) predicts the class.
    4. ROC-AUC: binary — of the real data's minority class; multiclass — macro one-vs-rest
       over the classes present in the holdout. Accuracy: share of holdout rows whose most
       probable class is right.

    ``details``: ``tstr``, ``trtr``, ``gap`` (TRTR − TSTR: what the synthetic texts lost),
    ``task``, ``classes``, ``rows`` per table, ``chance`` (the accuracy of always predicting
    the real data's most frequent class).
    """
    for name, value, low in (("max_texts", max_texts, 2), ("max_classes", max_classes, 2),
                             ("epochs", epochs, 1)):
        check_param(name, value, f"an integer >= {low}",
                    isinstance(value, int | np.integer) and not isinstance(value, bool)
                    and value >= low)
    targets = [targets] if isinstance(targets, str) else list(targets)
    for label, frame in (("train", train), ("synthetic", synthetic), ("holdout", holdout)):
        missing = [c for c in (text, *targets) if c not in frame.columns]
        if missing:
            raise ParameterError(f"text coherence: the {label} table has no column "
                                 f"{missing[0]!r}; it has {list(frame.columns)}")
    if text in targets:
        raise ParameterError(f"text coherence: the target columns must not include the text "
                             f"column {text!r} itself")
    rng = make_rng(random_state)
    sides = {name: _side(frame, text, targets, max_texts, rng)
             for name, frame in zip(_SIDES, (synthetic, train, holdout), strict=True)}
    for name, side in sides.items():
        if len(side.texts) == 0:
            raise DataError(f"text coherence: every {name} text of {text!r} is null")
    seed = child_seed(rng)
    features: dict[str, tuple[sparse.csr_matrix, sparse.csr_matrix] | None] = {}
    for source in ("synthetic", "real"):
        try:
            vectorizer, X = fit_vectorizer(sides[source].texts, word_features=word_features,
                                           char_features=0)
        except DataError:  # no word at all: nothing to learn from, the model guesses
            features[source] = None
            continue
        features[source] = (X, sparse.csr_matrix(vectorizer.transform(sides["holdout"].texts)))
    note = _sample_note({name: (len(sides[name].texts), frame[text].notna().sum())
                         for name, frame in zip(_SIDES, (synthetic, train, holdout),
                                                strict=True)})
    out: list[Metric] = []
    for target in targets:
        out += _target_metrics(sides, features, target, max_classes, epochs, seed, note)
    return [dataclasses.replace(m, column=text) for m in out]


def _side(frame: pd.DataFrame, text: str, targets: list[str], max_texts: int,
          rng: np.random.Generator) -> _Side:
    texts = Texts.of(frame[text])
    keep = texts.rows
    if len(keep) > max_texts:
        picked = np.sort(rng.choice(len(keep), size=max_texts, replace=False))
        return _Side(texts.values[picked], frame.iloc[keep[picked]][targets])
    return _Side(texts.values, frame.iloc[keep][targets])


def _target_metrics(sides: dict[str, _Side], features: dict[str, tuple[Any, Any] | None],
                    target: str, max_classes: int, epochs: int, seed: int, note: str
                    ) -> list[Metric]:
    labels = {name: as_labels(side.frame[target]) for name, side in sides.items()}
    classes, counts = np.unique(labels["real"], return_counts=True)
    if len(classes) > max_classes:  # the most frequent, the rest pooled
        kept = classes[np.argsort(-counts, kind="stable")[:max_classes - 1]]
        labels = {name: np.where(np.isin(v, kept), v, OTHER) for name, v in labels.items()}
        classes, counts = np.unique(labels["real"], return_counts=True)
        note = "; ".join(filter(None, [note, f"{max_classes - 1} most frequent classes kept, "
                                             f"the rest pooled as {OTHER!r}"]))
    if len(classes) < 2:
        raise ParameterError(f"text coherence: the target {target!r} has a single class "
                             f"({classes[0]!r}) in the real training data; choose a column "
                             "with at least two classes")
    codes = {name: pd.Index(classes).get_indexer(v) for name, v in labels.items()}
    binary, positive = len(classes) == 2, int(np.argmin(counts))
    held = codes["holdout"] >= 0
    y_hold = codes["holdout"][held]
    notes, scores = [note], {}
    for source in ("synthetic", "real"):
        ok = codes[source] >= 0
        found = features[source]
        if found is None:
            notes.append(f"the {source} texts hold no word: the model cannot tell classes apart")
            proba = np.full((int(held.sum()), len(classes)), 1.0 / len(classes))
            scores[source] = _scores(y_hold, proba, binary, positive)
            continue
        X, X_hold = found
        proba = _fit_predict_proba(X[ok], codes[source][ok], X_hold[held], len(classes), epochs,
                                   seed)
        if len(np.unique(codes[source][ok])) < 2:
            notes.append(f"the {source} rows hold at most one class of {target!r}: the model "
                         "predicts it everywhere")
        scores[source] = _scores(y_hold, proba, binary, positive)
    dropped = {name: int((codes[name] < 0).sum()) for name in ("synthetic", "holdout")}
    if any(dropped.values()):
        notes.append(f"rows with classes unseen in the real data left out: "
                     f"{dropped['synthetic']} synthetic, {dropped['holdout']} holdout")
    common = {"target": target, "task": "binary classification" if binary
              else "multiclass classification", "classes": len(classes),
              "positive_class": str(classes[positive]) if binary else None,
              "rows": {name: int((codes[name] >= 0).sum()) for name in codes},
              "chance": float(np.mean(y_hold == np.argmax(counts))) if y_hold.size else None,
              "model": f"LogisticRegression({CLASSIFIER_PARAMS}, max_iter={epochs}) on "
                       "TF-IDF word 1-2-grams"}
    auc_text = ("ROC-AUC of the real data's minority class" if binary
                else "macro one-vs-rest ROC-AUC")
    return [_metric(f"coherence ROC-AUC ({target})", auc_text, "auc", scores, common, notes),
            _metric(f"coherence accuracy ({target})", "accuracy", "accuracy", scores, common,
                    notes)]


def _fit_predict_proba(X: Any, y: np.ndarray, X_test: Any, n_classes: int, epochs: int,
                       seed: int) -> np.ndarray:
    """Class probabilities (rows, n_classes) on ``X_test``; classes absent from ``y`` get 0."""
    proba = np.zeros((X_test.shape[0], n_classes))
    seen = np.unique(y)
    if len(seen) < 2:
        if len(seen) == 1:
            proba[:, seen[0]] = 1.0
        return proba
    model = LogisticRegression(**CLASSIFIER_PARAMS, max_iter=epochs, random_state=seed)
    with warnings.catch_warnings():  # a fixed number of epochs is the setting, not a fault
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    proba[:, model.classes_] = model.predict_proba(X_test)
    return proba


def _scores(y: np.ndarray, proba: np.ndarray, binary: bool, positive: int) -> dict[str, float]:
    if y.size == 0:
        return {"auc": float("nan"), "accuracy": float("nan")}
    predicted = proba.argmax(axis=1)
    if binary:
        auc = _auc(y == positive, proba[:, positive])
    else:
        aucs = [_auc(y == c, proba[:, c]) for c in np.unique(y)]
        auc = float(np.nanmean(aucs)) if not np.all(np.isnan(aucs)) else float("nan")
    return {"auc": auc, "accuracy": float(accuracy_score(y, predicted))}


def _auc(truth: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC; NaN when the holdout holds one class only (AUC undefined)."""
    if truth.all() or not truth.any():
        return float("nan")
    return float(roc_auc_score(truth, score))


def _metric(name: str, score_text: str, key: str, scores: dict[str, dict[str, float]],
            common: dict[str, Any], notes: list[str]) -> Metric:
    tstr, trtr = scores["synthetic"][key], scores["real"][key]
    return Metric(
        name, "text", tstr,
        definition=f"{score_text} on the real holdout of a classifier that predicts "
                   f"{common['target']!r} from the text, trained on the synthetic rows (train "
                   "synthetic, test real); reference: the same classifier trained on the real "
                   "training rows",
        direction="higher", reference=trtr, reference_label=_REFERENCE_LABEL,
        note="; ".join(n for n in dict.fromkeys(notes) if n),
        details={"tstr": tstr, "trtr": trtr, "gap": trtr - tstr, **common})


def _sample_note(used: dict[str, tuple[int, int]]) -> str:
    parts = [f"{k:,} of {n:,} {name} texts" for name, (k, n) in used.items() if k < n]
    return "random subsample: " + ", ".join(parts) if parts else ""
