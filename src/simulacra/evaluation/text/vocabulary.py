"""Vocabulary: do synthetic texts use as many different words as real ones, and real words?

Two figures, each beside what the real holdout's texts score:

* "type-token ratio" — distinct words per word, at one common number of words ``N`` for every
  side. A ratio depends on how many words it counts (the more text, the more repeats), so it
  is the *expected* ratio of ``N`` words drawn at random from each side's words, computed
  exactly by rarefaction (Hurlbert 1971, "The nonconcept of species diversity", Ecology 52)::

      E[types in N of T words] = Σ_w 1 − C(T − f_w, N) / C(T, N)     (f_w: count of word w)

  Too low: a model repeats itself; too high: it strings rare words together.
* "novel word share" — the share of synthetic words (tokens) that never occur in the training
  texts. Real unseen texts have some (names, rare inflections): the holdout's share says how
  many. Near 0 means the model only recombines training words (a bag of words, copies); far
  above the holdout's means misspelt or invented words.

``details`` hold each side's vocabulary size (distinct words), word count and ratio.

>>> train = ["the lord is my shepherd", "i shall not want"] * 3
>>> m = vocabulary(train, ["the lord is my lord", "my shepherd wants"])[1]
>>> m.name, round(m.value, 3)     # "wants" is the one word of 8 not in the training texts
('novel word share', 0.125)
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from simulacra.errors import check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.text.data import Texts, TextsLike, require_texts

#: Words a side's type-token ratio is computed at, at most (less when a side has fewer).
MAX_TOKENS = 50_000


def vocabulary(train: TextsLike, synthetic: TextsLike, holdout: TextsLike | None = None, *,
               max_tokens: int = MAX_TOKENS, column: str | None = None) -> list[Metric]:
    """"type-token ratio" and "novel word share" of the synthetic texts, each with the
    holdout's as ``reference`` when ``holdout`` is given.

    1. Words: lower-cased ``\\w+`` runs of each whitespace-normalised, non-null text.
    2. Type-token ratio at ``N`` = min(``max_tokens``, words of each side) words, expected
       under random draws without replacement (exact, so no seed is needed).
    3. Novel word share: synthetic words whose form is absent from the training vocabulary,
       over all synthetic words; the reference counts holdout words the same way.
    """
    check_param("max_tokens", max_tokens, "an integer >= 1",
                isinstance(max_tokens, int | np.integer) and max_tokens >= 1)
    train, synthetic = Texts.of(train), Texts.of(synthetic)
    holdout = None if holdout is None else Texts.of(holdout)
    for side, texts in (("training", train), ("synthetic", synthetic)):
        require_texts(texts, side, "vocabulary")
    sides = {"train": train, "synthetic": synthetic}
    if holdout is not None and holdout.flat_words.size:
        sides["holdout"] = holdout
    counted = [t.flat_words.size for t in sides.values() if t.flat_words.size]
    n = int(min([max_tokens, *counted]))
    ratio = {name: rarefied_types(_word_counts(t), n) / n if t.flat_words.size else float("nan")
             for name, t in sides.items()}
    novel = {name: novel_share(t, train) for name, t in sides.items() if name != "train"}
    details = {
        "tokens": n,
        "sides": {name: {"words": int(t.flat_words.size), "vocabulary": t.vocabulary_size,
                         "type_token_ratio": ratio[name], "novel_word_share": novel.get(name)}
                  for name, t in sides.items()},
    }
    reference = "holdout" in sides
    return [
        Metric("type-token ratio", "text", ratio["synthetic"],
               definition=f"distinct words per word among {n:,} words drawn at random from the "
                          "synthetic texts (expected value, by rarefaction); reference: the "
                          "same for the holdout's texts",
               direction="closer", reference=ratio["holdout"] if reference else None,
               details=details, column=column),
        Metric("novel word share", "text", novel["synthetic"],
               definition="share of the synthetic texts' words that never occur in the "
                          "training texts; reference: the same share for the holdout's texts",
               direction="closer", reference=novel["holdout"] if reference else None,
               details=details, column=column),
    ]


def novel_share(texts: Texts, train: Texts) -> float:
    """Share of the words (tokens) of ``texts`` absent from ``train``'s vocabulary."""
    if texts.word_hashes.size == 0:
        return float("nan")
    return float(1.0 - np.isin(texts.word_hashes, np.unique(train.word_hashes)).mean())


def rarefied_types(counts: np.ndarray, n: int) -> float:
    """Expected number of distinct words among ``n`` of the ``T = counts.sum()`` words, drawn
    without replacement, where word ``w`` occurs ``counts[w]`` times (Hurlbert 1971).

    >>> [round(rarefied_types(np.array(counts), n), 9)
    ...  for counts, n in (([1, 1, 1, 1], 2), ([2, 2], 4), ([3, 1], 2))]
    [2.0, 2.0, 1.5]

    (The last: 1 − C(1, 2)/C(4, 2) for the word seen 3 times, 1 − C(3, 2)/C(4, 2) for the
    other.)
    """
    total = int(counts.sum())
    if n > total:
        raise ValueError(f"cannot draw {n} of {total} words")
    rest = total - counts
    # C(T − f, n) / C(T, n) in logs; it is 0 where fewer than n words are not w
    possible = rest >= n
    log_ratio = (gammaln(rest[possible] + 1) - gammaln(rest[possible] - n + 1)
                 - gammaln(total + 1) + gammaln(total - n + 1))
    missed = np.zeros(counts.size)
    missed[possible] = np.exp(log_ratio)
    return float(np.sum(1.0 - missed))


def _word_counts(texts: Texts) -> np.ndarray:
    _, counts = np.unique(texts.word_hashes, return_counts=True)
    return counts
