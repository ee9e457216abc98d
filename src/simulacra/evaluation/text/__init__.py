"""Free text: how closely synthetic texts follow the real texts of a column, and how much of
them they reproduce.

A column of kind ``text`` (:class:`~simulacra.kinds.Text`) holds sentences, not categories:
the table-wide figures leave it out (one-hot encoding 30,000 distinct verses would compare
nothing), and these figures compare it instead. Every figure is a
:class:`~simulacra.evaluation.metric.Metric` of group ``"text"`` whose ``column`` is the text
column; each takes the real training texts, the synthetic texts, the real holdout's texts
where it needs them (as a reference: what real unseen texts score) and an explicit seed. One
module per figure:

* :mod:`.lengths` — "text length similarity" and "text word count similarity" (1 − KS of
  characters and of words per text);
* :mod:`.vocabulary` — "type-token ratio" (at a common number of words, by rarefaction) and
  "novel word share" (synthetic words never seen in training);
* :mod:`.detection` — "text detection AUC" (C2ST: TF-IDF n-grams → logistic regression,
  cross-validated ROC-AUC);
* :mod:`.coherence` — "coherence ROC-AUC / accuracy (<column>)": a text classifier predicting
  another column of the row, trained on synthetic rows, beside trained on real (TSTR vs TRTR);
* :mod:`.copies` — "text exact copies", beside the holdout's base rate;
* :mod:`.leakage` — "10-gram leakage": texts sharing a run of n words with a training text,
  beside the holdout's base rate.

:mod:`.data` reads a column's values once (:class:`Texts`: whitespace-normalised, words,
lengths), :mod:`.features` holds the TF-IDF features the classifiers share, :mod:`.samples`
draws the texts the report shows, and :func:`evaluate_text` runs everything for each text
column of a table; :func:`simulacra.evaluate` does so itself (its ``"text"`` stage).
"""

from simulacra.evaluation.text.coherence import text_coherence
from simulacra.evaluation.text.copies import text_exact_copies
from simulacra.evaluation.text.data import Texts, TextStatistics
from simulacra.evaluation.text.detection import text_detection_auc
from simulacra.evaluation.text.evaluate import (
    TextEvaluation,
    TextSettings,
    coherence_targets,
    evaluate_text,
    text_columns,
)
from simulacra.evaluation.text.features import tfidf_features
from simulacra.evaluation.text.leakage import ngram_leakage, ngrams
from simulacra.evaluation.text.lengths import length_similarity
from simulacra.evaluation.text.samples import text_samples
from simulacra.evaluation.text.vocabulary import rarefied_types, vocabulary

__all__ = [
    "TextEvaluation",
    "TextSettings",
    "TextStatistics",
    "Texts",
    "coherence_targets",
    "evaluate_text",
    "length_similarity",
    "ngram_leakage",
    "ngrams",
    "rarefied_types",
    "text_coherence",
    "text_columns",
    "text_detection_auc",
    "text_exact_copies",
    "text_samples",
    "tfidf_features",
    "vocabulary",
]
