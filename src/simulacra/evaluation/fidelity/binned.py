"""Binned accuracy in the manner of MOSTLY AI's QA report: 1-, 2- and 3-way binned marginals.

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
>>> [m.value for m in binned_accuracy(prepare(real, real.copy()), np.random.default_rng(0))]
[1.0, 1.0, nan]
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulacra.evaluation.fidelity.statistics import contingency_similarity, nanmean
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData


@dataclass
class _Binned:
    """A column as bin codes shared by the real and synthetic table (real-data bins)."""

    real: np.ndarray
    synth: np.ndarray
    size: int


def binned_codes(data: EvalData, bins: int = 10) -> dict[str, _Binned]:
    """Bin every column on the real data's terms, the same bins for both tables.

    Numerical and datetime columns: right-closed intervals between the distinct real
    ``bins``-quantiles (the real minimum a bin of its own, values above the real maximum one
    more); categorical and boolean columns: the ``bins`` most frequent real values and
    ``(other)``. Nulls always form a bin of their own. Computed once per pair of tables.
    """
    return data.shared(("binned codes", bins), lambda: _binned_codes(data, bins))


def _binned_codes(data: EvalData, bins: int) -> dict[str, _Binned]:
    out = {}
    for column, kind in data.kinds.items():
        real, synth = data.real[column], data.synth[column]
        if kind.family == "continuous":
            r, s = data.real_view.nanoseconds(column), data.synth_view.nanoseconds(column)
            present = r[~np.isnan(r)]
            edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)))
            null_code = len(edges) + 1
            codes = [np.where(np.isnan(v), null_code, np.searchsorted(edges, v, side="left"))
                     for v in (r, s)]
            out[column] = _Binned(codes[0], codes[1], null_code + 1)
        else:
            codes, uniques = pd.factorize(pd.concat([real, synth], ignore_index=True))
            counts = np.bincount(codes[: len(real)][codes[: len(real)] >= 0],
                                 minlength=len(uniques))
            order = np.argsort(-counts, kind="stable")
            top = order[: bins][counts[order[: bins]] > 0]
            lookup = np.full(len(uniques) + 1, len(top), dtype=np.int64)  # (other)
            lookup[top] = np.arange(len(top))
            lookup[-1] = len(top) + 1                                        # null: code -1
            mapped = lookup[codes]
            out[column] = _Binned(mapped[: len(real)], mapped[len(real):], len(top) + 2)
    return out


def _binned_accuracy_of(columns: list[_Binned]) -> float:
    """1 − TVD of the joint distribution of binned columns in the two tables."""
    cells_real, cells_synth = columns[0].real, columns[0].synth
    for column in columns[1:]:
        cells_real = cells_real * column.size + column.real
        cells_synth = cells_synth * column.size + column.synth
    return contingency_similarity(cells_real, cells_synth, math.prod(c.size for c in columns))


def binned_accuracy(data: EvalData, rng: np.random.Generator,
                    max_triples: int = 100) -> list[Metric]:
    """Univariate, bivariate and trivariate accuracy in the manner of MOSTLY AI's QA report.

    Each column is binned on the real data's terms (:func:`binned_codes`: 10 quantile bins or
    the 10 most frequent categories plus ``(other)``, nulls apart); accuracy is
    1 − total variation distance between the real and synthetic distributions of one column,
    of every pair of columns, and of up to ``max_triples`` triples drawn with ``rng``; each
    figure is the mean over its columns, pairs or triples.
    Reference: MOSTLY AI, ``mostlyai-qa`` accuracy (https://github.com/mostly-ai/mostlyai-qa).
    """
    binned = binned_codes(data)
    columns = list(binned)
    uni = [{"column": c, "score": _binned_accuracy_of([binned[c]])} for c in columns]
    bi = [{"columns": [a, b], "score": _binned_accuracy_of([binned[a], binned[b]])}
          for a, b in itertools.combinations(columns, 2)]
    triples = _sample_triples(len(columns), max_triples, rng)
    tri = [{"columns": [columns[i] for i in t],
            "score": _binned_accuracy_of([binned[columns[i]] for i in t])} for t in triples]
    total_triples = math.comb(len(columns), 3)
    note = (f"{len(tri)} of {total_triples} triples, drawn at random"
            if len(tri) < total_triples else "")
    shared = ("numbers and datetimes in 10 real-quantile bins, categories as the 10 most "
              "frequent real values plus (other), nulls a bin of their own")
    return [
        Metric("univariate accuracy", "fidelity", nanmean([r["score"] for r in uni]),
               definition=("Mean over columns of 1 − total variation distance between the real "
                           f"and synthetic binned distribution ({shared})."),
               direction="higher", ideal=1.0, details={"columns": uni}),
        Metric("bivariate accuracy", "fidelity", nanmean([r["score"] for r in bi]),
               definition=("Mean over column pairs of 1 − total variation distance between the "
                           f"real and synthetic binned 2-D distribution ({shared})."),
               direction="higher", ideal=1.0, details={"pairs": bi}),
        Metric("trivariate accuracy", "fidelity", nanmean([r["score"] for r in tri]),
               definition=("Mean over column triples of 1 − total variation distance between "
                           f"the real and synthetic binned 3-D distribution ({shared})."),
               direction="higher", ideal=1.0, note=note, details={"triples": tri}),
    ]


def _sample_triples(n_columns: int, max_triples: int,
                    rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """All triples of column indices if at most ``max_triples``, else a random distinct sample."""
    total = math.comb(n_columns, 3)
    if total <= max_triples:
        return list(itertools.combinations(range(n_columns), 3))
    if total <= 1_000_000:
        every = list(itertools.combinations(range(n_columns), 3))
        chosen = rng.choice(total, size=max_triples, replace=False)
        return [every[i] for i in np.sort(chosen)]
    found: set[tuple[int, int, int]] = set()
    while len(found) < max_triples:
        a, b, c = sorted(int(i) for i in rng.choice(n_columns, size=3, replace=False))
        found.add((a, b, c))
    return sorted(found)
