"""Permutation calibration: p-values that hold whatever the tests' textbook laws assume.

Under "no drift" the reference and current rows come from one distribution, so every
relabelling of the pooled rows (which rows are called "reference") is as likely as the one
observed. :func:`relabellings` draws ``B`` of them; every test of the family (each
column, the dependence test) is computed on the observed labels and on each relabelling,
giving a ``(B + 1) × J`` matrix of *scores*: the tests' asymptotic p-values, used only to
rank (small is extreme). Then:

* :func:`permutation_p_values` — each test's own p-value: the share of the ``B + 1``
  labellings whose score is at least as extreme as the observed one;
* :func:`step_down_min_p` — Westfall & Young's (1993, Algorithm 2.8) step-down min-P adjusted
  p-values: the family-wise error rate is at most ``alpha`` and, when nothing drifted, the
  chance that *any* adjusted p-value is ≤ ``alpha`` is at most ``alpha`` (exactly, for any
  ``B``), because the observed labelling is one of ``B + 1`` exchangeable ones. It uses the
  tests' joint law, so it is less conservative than Holm's correction when tests depend on
  each other.

The observed labelling counts among the ``B + 1`` (Phipson & Smyth 2010), so no p-value is
below ``1 / (B + 1)``.

>>> scores = np.array([[0.001, 0.50],   # observed
...                    [0.200, 0.40],
...                    [0.900, 0.01],
...                    [0.300, 0.70]])
>>> permutation_p_values(scores).tolist()
[0.25, 0.75]
>>> step_down_min_p(scores).tolist()
[0.25, 0.75]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def relabellings(n_ref: int, n_cur: int, permutations: int, rng: np.random.Generator,
                 chunk: int = 64) -> Iterator[np.ndarray]:
    """The observed labelling and ``permutations`` random ones, ``chunk`` rows at a time.

    Each chunk is ``(rows, n_ref + n_cur)`` int8, 1 for a row called "reference". The first
    row of the first chunk is the observed labelling (the reference's rows first); every
    other row is a uniformly random relabelling with as many reference rows. The draws depend
    only on ``rng`` and ``permutations`` (``chunk`` is fixed by the callers).

    >>> chunks = list(relabellings(2, 3, 4, np.random.default_rng(0), chunk=2))
    >>> [c.shape for c in chunks], chunks[0][0].tolist(), [c.sum(axis=1).tolist() for c in chunks]
    ([(2, 5), (2, 5), (1, 5)], [1, 1, 0, 0, 0], [[2, 2], [2, 2], [2]])
    """
    pooled = n_ref + n_cur
    for start in range(0, permutations + 1, chunk):
        rows = min(chunk, permutations + 1 - start)
        # the n_ref rows with the smallest of uniform keys: a uniformly random subset
        keys = rng.random((rows, pooled))
        if start == 0:
            keys[0] = np.arange(pooled)  # the observed labelling: the reference rows first
        kth = np.partition(keys, n_ref - 1, axis=1)[:, n_ref - 1]
        out = (keys <= kth[:, None]).astype(np.int8)
        for tied in np.flatnonzero(out.sum(axis=1) != n_ref):  # equal keys: (almost) never
            out[tied] = 0
            out[tied, np.argsort(keys[tied], kind="stable")[:n_ref]] = 1
        yield out


def permutation_p_values(scores: np.ndarray) -> np.ndarray:
    """Each column's permutation p-value: ``#{b : scores[b] ≤ scores[0]} / (B + 1)``."""
    return (scores <= scores[0]).mean(axis=0)


def step_down_min_p(scores: np.ndarray) -> np.ndarray:
    """Westfall–Young step-down min-P adjusted p-values of the tests (columns of ``scores``).

    Tests are taken from the most to the least extreme observed score; the adjusted p-value of
    the ``k``-th is the share of labellings whose smallest score over the tests not yet
    rejected (the ``k``-th and those after it) is at most its observed score, made monotone.
    """
    order = np.argsort(scores[0], kind="stable")
    ordered = scores[:, order]
    # successive minima from the least extreme test backwards: min over tests k..J-1
    tail_min = np.minimum.accumulate(ordered[:, ::-1], axis=1)[:, ::-1]
    raw = (tail_min <= ordered[0]).mean(axis=0)
    adjusted = np.maximum.accumulate(raw)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out
