"""What the report draws of the fidelity: association heatmaps and per-column distributions.

The figures themselves are drawn by :mod:`simulacra.evaluation.figures`; this module computes
the numbers behind them.

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
>>> association_matrices(prepare(real, real.copy()))["columns"]
['x', 'c']
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from simulacra.evaluation.fidelity.binned import binned_codes
from simulacra.evaluation.fidelity.statistics import cramers_v, dense_corr, pearson, real_table
from simulacra.evaluation.prepare import EvalData


def association_matrices(data: EvalData) -> dict[str, Any]:
    """Pairwise association in each table, for the report's heatmaps.

    Entries are |Pearson ρ| (pairwise-complete rows) for two numerical/datetime columns and
    bias-corrected Cramér's V (Bergsma 2013) of the binned columns (:func:`binned_codes`)
    otherwise; the diagonal is 1 and undefined entries are NaN.
    Returns ``{"columns": [...], "real": [[...]], "synthetic": [[...]]}``.
    """
    columns = list(data.kinds)
    binned = binned_codes(data)
    k = len(columns)
    real, synth = np.eye(k), np.eye(k)
    continuous = data.continuous
    values = {c: (data.real_view.nanoseconds(c), data.synth_view.nanoseconds(c))
              for c in continuous}
    dense = [dense_corr([values[c][side] for c in continuous]) for side in (0, 1)]
    position = {c: i for i, c in enumerate(continuous)}
    for i, j in itertools.combinations(range(k), 2):
        a, b = columns[i], columns[j]
        if a in values and b in values:
            pair = tuple(
                abs(float(rho)) if not np.isnan(rho := dense[side][position[a], position[b]])
                else abs(pearson(values[a][side], values[b][side])) for side in (0, 1))
        else:
            ba, bb = binned[a], binned[b]
            pair = tuple(
                cramers_v(real_table(ca * bb.size + cb, ba.size, bb.size),
                          bias_correction=True)
                for ca, cb in ((ba.real, bb.real), (ba.synth, bb.synth)))
        real[i, j] = real[j, i] = pair[0]
        synth[i, j] = synth[j, i] = pair[1]
    return {"columns": columns, "real": real.tolist(), "synthetic": synth.tolist()}


def column_distributions(data: EvalData, bins: int = 30, top: int = 20) -> dict[str, Any]:
    """Per-column real vs synthetic distributions for the report's plots.

    Continuous columns: densities over common histogram bins (datetimes as dates); discrete
    columns: shares of the ``top`` most frequent real categories plus the rest pooled.
    """
    out: dict[str, Any] = {}
    for column, kind in data.kinds.items():
        real, synth = data.real[column], data.synth[column]
        if kind.family == "continuous":
            r, s = data.real_view.floats(column), data.synth_view.floats(column)
            r, s = r[~np.isnan(r)], s[~np.isnan(s)]
            if len(r) == 0:
                continue
            lo, hi = np.nanquantile(r, [0.001, 0.999]) if len(r) > 1000 else (r.min(), r.max())
            if hi <= lo:
                lo, hi = lo - 0.5, hi + 0.5
            edges = np.linspace(lo, hi, bins + 1)
            out[column] = {
                "kind": kind.kind,
                "temporal": kind.temporal,
                "edges": edges.tolist(),
                "real": (np.histogram(np.clip(r, lo, hi), edges)[0] / max(len(r), 1)).tolist(),
                "synthetic": (np.histogram(np.clip(s, lo, hi), edges)[0]
                              / max(len(s), 1)).tolist(),
                "null_share": [float(real.isna().mean()), float(synth.isna().mean())],
            }
        else:
            rl = pd.Series(data.real_view.labels(column)).value_counts(normalize=True)
            sl = pd.Series(data.synth_view.labels(column)).value_counts(normalize=True)
            keep = list(rl.index[:top])
            labels = keep + (["(other)"] if len(rl) > top else [])
            rv = [float(rl.get(k, 0.0)) for k in keep]
            sv = [float(sl.get(k, 0.0)) for k in keep]
            if len(rl) > top:
                rv.append(float(1 - sum(rv)))
                sv.append(float(max(0.0, 1 - sum(sv))))
            out[column] = {"kind": kind.kind, "labels": [str(x) for x in labels], "real": rv,
                           "synthetic": sv}
    return out


def pair_views(data: EvalData, pairs: list[tuple[str, str]], grid: int = 24, top: int = 8
               ) -> list[dict[str, Any]]:
    """What the report draws of each of ``pairs`` (column pairs), real beside synthetic.

    Two continuous columns: the shares of rows on a ``grid`` × ``grid`` grid between the real
    0.5 % and 99.5 % quantiles of each (values outside are counted at the edge); any other
    pair: the shares of each combination of categories (the ``top`` most frequent real ones
    and "(other)"; a continuous column in real quintiles). Nulls are left out.
    Each entry: ``{"columns", "continuous", "x_labels", "y_labels", "real", "synthetic"}``
    (rows of ``real``/``synthetic`` follow the second column, columns the first).
    """
    out = []
    for first, second in pairs:
        both = first in data.continuous and second in data.continuous
        axes = [_axis(data, column, grid if both else 5, top, fine=both)
                for column in (first, second)]
        tables = {}
        for side, view in (("real", data.real_view), ("synthetic", data.synth_view)):
            codes = [axis["codes"](view) for axis in axes]
            ok = (codes[0] >= 0) & (codes[1] >= 0)
            width, height = len(axes[0]["labels"]), len(axes[1]["labels"])
            counts = np.bincount(codes[1][ok] * width + codes[0][ok],
                                 minlength=width * height).reshape(height, width)
            tables[side] = (counts / max(counts.sum(), 1)).tolist()
        out.append({"columns": [first, second], "continuous": both,
                    "x_labels": axes[0]["labels"], "y_labels": axes[1]["labels"], **tables})
    return out


def _axis(data: EvalData, column: str, bins: int, top: int, fine: bool) -> dict[str, Any]:
    """Labels of one axis of a pair's table and how to code a table's rows onto it (-1 for
    a null)."""
    if column in data.continuous:
        real = data.real_view.floats(column)
        present = real[~np.isnan(real)]
        if fine:
            lo, hi = (np.quantile(present, [0.005, 0.995]) if len(present) else (0.0, 1.0))
            edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
        else:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1))) \
                if len(present) else np.array([0.0, 1.0])
            if len(edges) < 2:
                edges = np.array([edges[0], edges[0] + 1])

        def codes(view: Any) -> np.ndarray:
            values = view.floats(column)
            inner = np.clip(np.searchsorted(edges, values, side="right") - 1, 0,
                            len(edges) - 2)
            return np.where(np.isnan(values), -1, inner)

        temporal = data.kinds[column].temporal
        labels = [_edge_label(edges[i], temporal) for i in range(len(edges) - 1)]
        return {"labels": labels, "codes": codes}
    counts = pd.Series(data.real_view.labels(column)).value_counts()
    keep = [str(k) for k in counts.index[:top]]
    labels = keep + (["(other)"] if len(counts) > top else [])
    lookup = pd.Index(keep)
    other = len(keep) if len(counts) > top else -1

    def label_codes(view: Any) -> np.ndarray:  # vectorized: every row of both tables
        found = lookup.get_indexer(view.labels(column))
        return np.where(found < 0, other, found)

    return {"labels": labels, "codes": label_codes}


def _edge_label(value: float, temporal: bool) -> str:
    """A bin's lower edge, short: ``"1.2k"``, ``"0.35"``, a date for a datetime column."""
    if temporal:
        return str(np.datetime64(int(value * 1e9), "ns").astype("datetime64[D]"))
    from simulacra.evaluation.figures import short_number

    return short_number(value)


def embedding_view(data: EvalData, featurizer: Any, rng: np.random.Generator,
                   rows: int = 3000, grid: int = 32) -> dict[str, Any]:
    """Both tables on the real table's first two principal components, as 2-D histograms on
    one grid: where the real rows lie and whether the synthetic rows lie there too.

    Rows are the privacy figures' distance features (:meth:`Featurizer.distance`: numbers
    through the real ECDF, categories one-hot), up to ``rows`` a side drawn with ``rng``;
    the components are fitted on the real rows. Returns ``{"real", "synthetic"}`` (shares of
    rows per cell, ``grid`` × ``grid``), ``"extent"`` and ``"explained"`` (variance ratios).
    """
    from sklearn.decomposition import PCA

    views = {"real": data.real_view, "synthetic": data.synth_view}
    points = {}
    for side, view in views.items():
        picked = np.sort(rng.choice(len(view), size=min(rows, len(view)), replace=False))
        points[side] = featurizer.distance(view, picked).astype(np.float64)
    if points["real"].shape[1] < 2 or len(points["real"]) < 3:
        return {}
    pca = PCA(n_components=2, random_state=0).fit(points["real"])
    projected = {side: pca.transform(p) for side, p in points.items()}
    both = np.vstack(list(projected.values()))
    low, high = np.quantile(both, 0.005, axis=0), np.quantile(both, 0.995, axis=0)
    high = np.where(high > low, high, low + 1.0)
    out: dict[str, Any] = {"extent": [float(low[0]), float(high[0]), float(low[1]),
                                      float(high[1])],
                           "explained": pca.explained_variance_ratio_.tolist(),
                           "rows": {side: len(p) for side, p in projected.items()}}
    for side, p in projected.items():
        counts, _, _ = np.histogram2d(np.clip(p[:, 0], low[0], high[0]),
                                      np.clip(p[:, 1], low[1], high[1]), bins=grid,
                                      range=[[low[0], high[0]], [low[1], high[1]]])
        out[side] = (counts.T / max(len(p), 1)).tolist()
    return out
