"""TF-IDF features of texts, as the text classifiers read them (detection, coherence).

Word 1- and 2-grams and, optionally, character 3- to 5-grams within word boundaries
(scikit-learn's ``char_wb``), each TF-IDF weighted with sublinear term frequency and each
bounded to its most frequent ``max_features`` n-grams seen in at least two texts, so that a
classifier's cost grows with the number of texts, not with the size of the vocabulary. Word
n-grams see topic and phrasing; character n-grams see spelling, morphology and punctuation.

>>> X, names = tfidf_features(["the lord said", "the lord spake", "and god said"] * 2,
...                           word_features=100, char_features=0)
>>> X.shape, names[:4]
((6, 11), ['words: and', 'words: and god', 'words: god', 'words: god said'])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from simulacra.errors import DataError, check_param

#: Bounds on the features: word 1–2-grams and character 3–5-grams kept, at most.
WORD_FEATURES = 20_000
CHAR_FEATURES = 30_000


def text_vectorizer(*, word_features: int = WORD_FEATURES,
                    char_features: int = CHAR_FEATURES, min_df: int = 2) -> FeatureUnion:
    """An unfitted TF-IDF vectorizer of word 1–2-grams (and character 3–5-grams unless
    ``char_features`` is 0), each kept to its ``*_features`` most frequent n-grams that occur
    in at least ``min_df`` texts."""
    check_param("word_features", word_features, "an integer >= 1",
                isinstance(word_features, int | np.integer) and word_features >= 1)
    check_param("char_features", char_features, "an integer >= 0",
                isinstance(char_features, int | np.integer) and char_features >= 0)
    common = {"sublinear_tf": True, "min_df": min_df, "dtype": np.float32}
    parts = [("words", TfidfVectorizer(ngram_range=(1, 2), max_features=int(word_features),
                                       token_pattern=r"(?u)\b\w+\b", **common))]
    if char_features:
        parts.append(("characters", TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), max_features=int(char_features), **common)))
    return FeatureUnion(parts)


def tfidf_features(texts: Sequence[str] | np.ndarray, *, word_features: int = WORD_FEATURES,
                   char_features: int = CHAR_FEATURES
                   ) -> tuple[sparse.csr_matrix, list[str]]:
    """``texts`` as a sparse TF-IDF matrix (rows, features) and each feature's name, fitted on
    ``texts`` themselves (``"words: the lord"``, ``"characters: 'ord '"``)."""
    vectorizer, X = fit_vectorizer(texts, word_features=word_features,
                                   char_features=char_features)
    return X, feature_names(vectorizer)


def fit_vectorizer(texts: Sequence[str] | np.ndarray, *, word_features: int = WORD_FEATURES,
                   char_features: int = CHAR_FEATURES
                   ) -> tuple[FeatureUnion, sparse.csr_matrix]:
    """:func:`text_vectorizer` fitted on ``texts``, and ``texts`` transformed; n-grams of one
    text only are kept when no n-gram occurs in two texts (a tiny corpus). Texts without a
    single n-gram (all empty) raise :class:`~simulacra.errors.DataError`."""
    for min_df in (2, 1):
        vectorizer = text_vectorizer(word_features=word_features, char_features=char_features,
                                     min_df=min_df)
        try:
            return vectorizer, sparse.csr_matrix(vectorizer.fit_transform(texts))
        except ValueError as err:  # "After pruning, no terms remain" / "empty vocabulary"
            if min_df == 1:
                raise DataError(f"no word or character n-gram to read in {len(texts):,} texts "
                                "(are they all empty?)") from err
    raise AssertionError("unreachable")  # pragma: no cover


def feature_names(vectorizer: FeatureUnion) -> list[str]:
    """Readable names of a fitted :func:`text_vectorizer`'s features."""
    out = []
    for name, part in vectorizer.transformer_list:
        grams = part.get_feature_names_out()
        out += [f"words: {g}" if name == "words" else f"characters: {g!r}" for g in grams]
    return out
