"""Text detection AUC: can a classifier tell real texts from synthetic ones? (C2ST)

A classifier two-sample test (Lopez-Paz & Oquab, "Revisiting Classifier Two-Sample Tests",
ICLR 2017) on one text column: real texts are labelled 0 and synthetic texts 1, a logistic
regression on TF-IDF features (:mod:`.features`: word 1–2-grams and character 3–5-grams) is
cross-validated, and the out-of-fold ROC-AUC is the figure. 0.5: the classifier cannot tell
the texts apart; 1.0: every synthetic text gives itself away — word salad does, by its
word order, and so does text that is fluent but off in spelling, length or punctuation.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> words = np.array("the lord said unto moses and aaron in the land of egypt".split())
>>> real = [" ".join(words[:k]) for k in rng.integers(3, 12, 200)]
>>> salad = [" ".join(rng.choice(words, k)) for k in rng.integers(3, 12, 200)]
>>> text_detection_auc(real[:100], salad, real[100:], random_state=0).value > 0.9
True
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from simulacra.errors import DataError, check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.text.data import Texts, TextsLike, require_texts
from simulacra.evaluation.text.features import CHAR_FEATURES, WORD_FEATURES, tfidf_features
from simulacra.randomness import RandomState, child_seed, make_rng

#: Texts of each side at most (a random subsample beyond).
MAX_TEXTS = 20_000
#: Fixed classifier settings: the same figure on every run with the same seed.
CLASSIFIER_PARAMS = {"C": 1.0, "solver": "liblinear", "max_iter": 1_000}
#: n-grams listed in ``details["telling"]`` per side.
TELLING = 10

DEFINITION = ("Mean out-of-fold ROC-AUC of a logistic regression on TF-IDF word 1–2-grams and "
              "character 3–5-grams trained to tell real texts (label 0) from synthetic texts "
              "(label 1), equal counts of each.")


def text_detection_auc(train: TextsLike, synthetic: TextsLike,
                       holdout: TextsLike | None = None, *, random_state: RandomState = 0,
                       folds: int = 5, max_texts: int = MAX_TEXTS,
                       word_features: int = WORD_FEATURES, char_features: int = CHAR_FEATURES,
                       column: str | None = None) -> Metric:
    """Out-of-fold ROC-AUC of a classifier separating real texts from synthetic ones.

    1. Real texts are the holdout's (texts the synthesizer never saw) or, without one, the
       training texts; ``n = min(real, synthetic, max_texts)`` non-null texts of each side are
       drawn at random (``random_state``) so the classes are balanced.
    2. Features: :func:`~.features.tfidf_features`, fitted once on the ``2n`` texts (they
       are unsupervised: the labels are not seen), bounded by ``word_features`` and
       ``char_features``.
    3. ``folds``-fold stratified cross-validation of a logistic regression
       (:data:`CLASSIFIER_PARAMS`): every text is scored by the model that did not see it;
       the AUC is the mean over folds.

    Ideal 0.5. Well *below* 0.5 means synthetic texts are copies of the real texts used (each
    copy's twin sits in the training folds with the other label) — possible without a
    holdout. ``details["telling"]`` lists the n-grams whose weights most mark a text as
    synthetic and as real (mean over folds): what gives the synthetic texts away.
    """
    for name, value, low in (("folds", folds, 2), ("max_texts", max_texts, 2)):
        check_param(name, value, f"an integer >= {low}",
                    isinstance(value, int | np.integer) and not isinstance(value, bool)
                    and value >= low)
    rng = make_rng(random_state)
    train, synthetic = Texts.of(train), Texts.of(synthetic)
    require_texts(synthetic, "synthetic", "text detection AUC")
    held = None if holdout is None else Texts.of(holdout)
    if held is not None and len(held):
        real, label, note = held, "holdout", "real texts are the holdout's"
    else:
        require_texts(train, "training", "text detection AUC")
        real, label = train, "train"
        note = ("no holdout given: real texts are the training texts, which the synthesizer "
                "saw, so copied texts are harder to detect")
    n = min(len(real), len(synthetic), max_texts)
    if n < folds:
        return Metric("text detection AUC", "text", math.nan, definition=DEFINITION,
                      direction="closer", ideal=0.5, column=column,
                      note=f"not computed: needs at least {folds} texts per side")
    texts = np.concatenate([real.values[_pick(len(real), n, rng)],
                            synthetic.values[_pick(len(synthetic), n, rng)]])
    try:
        X, names = tfidf_features(texts, word_features=word_features,
                                  char_features=char_features)
    except DataError as err:
        return Metric("text detection AUC", "text", math.nan, definition=DEFINITION,
                      direction="closer", ideal=0.5, column=column, note=f"not computed: {err}")
    y = np.repeat([0, 1], n)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=child_seed(rng))
    seed = child_seed(rng)
    aucs: list[float] = []
    weights = np.zeros(X.shape[1])
    for fit_rows, test_rows in splitter.split(np.zeros(len(y)), y):
        model = LogisticRegression(**CLASSIFIER_PARAMS, random_state=seed)
        model.fit(X[fit_rows], y[fit_rows])
        aucs.append(float(roc_auc_score(y[test_rows], model.decision_function(X[test_rows]))))
        weights += model.coef_[0] / folds
    if n < max(len(real), len(synthetic)):
        note += f"; {n:,} texts of each side"
    order = np.argsort(-weights, kind="stable")
    return Metric(
        "text detection AUC", "text", float(np.mean(aucs)), definition=DEFINITION,
        direction="closer", ideal=0.5, note=note, column=column,
        details={"fold_aucs": aucs, "texts_per_side": n, "real_texts": label,
                 "features": X.shape[1],
                 "telling": {
                     "synthetic": [{"feature": names[i], "weight": float(weights[i])}
                                   for i in order[:TELLING] if weights[i] > 0],
                     "real": [{"feature": names[i], "weight": float(weights[i])}
                              for i in order[::-1][:TELLING] if weights[i] < 0]},
                 "classifier": "LogisticRegression", "params": CLASSIFIER_PARAMS})


def _pick(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct positions out of ``total``, in order (all of them if ``n == total``)."""
    if n >= total:
        return np.arange(total)
    return np.sort(rng.choice(total, size=n, replace=False))
