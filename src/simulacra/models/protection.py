"""Value protection: no rare category and no extreme value of the training table comes back.

A synthetic table can repeat a real record's rarest traits even when no whole row is copied:
the one ``Holand-Netherlands`` of a census, the largest salary of a firm, the first or last
date of a register. Without a privacy budget, every model therefore learns from a protected
copy of the table (on by default, ``value_protection=False`` to turn it off), in the spirit of
k-anonymity with ``k =`` :data:`RARE_THRESHOLD`:

* a category seen in fewer than ``k`` rows is replaced before fitting — by
  :data:`RARE_LABEL` in a column of strings, by the nearest frequent value in a column of
  numbers, by the most frequent value otherwise (booleans and categories the metadata
  declares keep their values: those are public);
* the ``k - 1`` numbers below the ``k``-th smallest value and above the ``k``-th largest are
  replaced by where an exponential tail fitted to the next values inside would put them
  (:func:`_tail`, from the values inside only), so the model learns a tail of about the
  right length but none of the extreme values — an outlier is gone, and the model file
  holds none of them; dates beyond the ``k``-th are replaced by the ``k``-th (bottom- and
  top-coding);
* a numeric column whose values are nearly unique is modelled from a smoothed marginal (the
  model's quantile grid) rather than an exact list of its values
  (:func:`~simulacra.models.marginals.fit_marginal`, ``min_count``), so it is not re-emitted
  value by value; in a column of repeated values (credit limits, ages) only the values seen
  fewer than ``k`` times are smoothed, between their neighbours, and the others stay exact.

Under a privacy budget none of this is needed — differential privacy covers every value — and
it is not applied. A table too small to hide its extremes (fewer than ``2k`` values in a
column) gets a :class:`ProtectionWarning`: its synthetic rows may reproduce real ones.

>>> import pandas as pd
>>> df = pd.DataFrame({"pay": [30, 31, 32, 33, 34, 35, 36, 37, 38, 990],
...                    "city": ["A"] * 6 + ["B"] * 3 + ["C"]})
>>> safe, report = protect_values(df, Metadata.detect(df), threshold=3)
>>> safe["pay"].tolist()  # 990 and 30, 31 replaced by what 32 … 37 lead to
[26, 29, 32, 33, 34, 35, 36, 37, 40, 43]
>>> safe["city"].tolist()
['A', 'A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', '_RARE_']
>>> report["pay"]
'4 values beyond its 3rd smallest and largest replaced by an extension of the tail inside them'
>>> report["city"]
'1 category seen in fewer than 3 rows replaced by _RARE_'

"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from simulacra.kinds import Categorical, ColumnKind, Datetime, Numerical
from simulacra.metadata import Metadata

#: Rows a category or an extreme value must share before it may appear in synthetic data.
RARE_THRESHOLD = 5

#: What a rare category of a column of strings becomes.
RARE_LABEL = "_RARE_"


class ProtectionWarning(UserWarning):
    """A column has too few values for value protection to hide its rare or extreme ones."""


def protect_values(data: pd.DataFrame, metadata: Metadata, *,
                   threshold: int = RARE_THRESHOLD) -> tuple[pd.DataFrame, dict[str, str]]:
    """A copy of ``data`` with its rare categories and extreme values replaced.

    Returns the protected table and, per changed column, what was done (counts only, never
    a value). ``data`` is not modified. Columns of other kinds (ids, PII, text, booleans,
    coordinates) are left as they are: ids, PII and text are generated fresh.
    """
    out = data.copy()
    report: dict[str, str] = {}
    too_small: list[str] = []
    for name in data.columns:
        kind = metadata.get(name)
        if kind is None or name == metadata.primary_key:
            continue
        column = data[name]
        if isinstance(kind, Numerical | Datetime):
            key = _order_key(column, kind)
            if key is None:
                continue
            if int(key.notna().sum()) < 2 * threshold:
                too_small.append(name)
                continue
            if isinstance(kind, Numerical):
                out[name], replaced = _extend_tails(column, key, threshold, kind)
                what = "replaced by an extension of the tail inside them"
            else:
                out[name], replaced = _bound_extremes(column, key, threshold)
                what = "replaced by them"
            if replaced:
                report[name] = (f"{replaced} values beyond its {_ordinal(threshold)} smallest "
                                f"and largest {what}")
        elif isinstance(kind, Categorical):
            out[name], note = _pool_rare(column, kind, threshold)
            if note:
                report[name] = note
    if too_small:
        warnings.warn(
            f"value protection cannot hide the extreme values of {_names(too_small)}: fewer "
            f"than {2 * threshold} values each, so synthetic rows may reproduce real ones. Fit "
            f"on more rows, or give privacy=PrivacyBudget(...) to a model that supports it.",
            ProtectionWarning, stacklevel=3)
    return out, report


def _order_key(column: pd.Series, kind: ColumnKind) -> pd.Series | None:
    """Numbers or timestamps that order ``column``'s values (None: cannot be ordered)."""
    try:
        if isinstance(kind, Datetime):
            if pd.api.types.is_datetime64_any_dtype(column.dtype):
                return column
            parsed = pd.to_datetime(column, format=kind.format, errors="coerce")
            return parsed if parsed.notna().sum() == column.notna().sum() else None
        if pd.api.types.is_bool_dtype(column.dtype):
            return None
        return pd.to_numeric(column, errors="raise").astype("float64")
    except (TypeError, ValueError):
        return None


def _bound_extremes(column: pd.Series, key: pd.Series, threshold: int) -> tuple[pd.Series, int]:
    """Values below the ``threshold``-th smallest (above the largest) become that value."""
    present = np.flatnonzero(key.notna().to_numpy())
    ordered = present[np.argsort(key.iloc[present].to_numpy(), kind="stable")]
    low_at, high_at = ordered[threshold - 1], ordered[-threshold]
    low, high = key.iloc[low_at], key.iloc[high_at]
    below = (key < low).to_numpy()
    above = (key > high).to_numpy()
    if not (below.any() or above.any()):
        return column, 0
    out = column.copy()
    out.iloc[np.flatnonzero(below)] = column.iloc[low_at]
    out.iloc[np.flatnonzero(above)] = column.iloc[high_at]
    return out, int(below.sum() + above.sum())


def _extend_tails(column: pd.Series, key: pd.Series, threshold: int, kind: Numerical
                  ) -> tuple[pd.Series, int]:
    """Numbers beyond the ``threshold``-th smallest (largest) value are replaced by an
    extension of the tail inside it (:func:`_tail`): the replacements depend on none of the
    replaced values, and the column keeps a tail instead of piling up at one value.

    They keep the column's decimals, its declared ``minimum`` / ``maximum`` and its side of
    zero; they may pass the real extremes a little (never by more than the width of the tail
    inside, :func:`_tail`), as nothing of those extremes is used.
    """
    values = key.to_numpy(dtype=np.float64)
    present = np.flatnonzero(~np.isnan(values))
    out = values.copy()
    rows_replaced: list[np.ndarray] = []
    for sign in (1.0, -1.0):  # the top, then the bottom (as the top of the negated values)
        order = present[np.argsort(-sign * values[present], kind="stable")]
        top = sign * values[order]
        beyond = top > top[threshold - 1]
        if not beyond.any():
            continue
        rows = order[beyond]  # ranks 1..len(rows), most extreme first
        tail = _tail(top, threshold)[: len(rows)]
        if top[threshold - 1] <= 0:  # the values inside stay short of zero: so do these
            tail = np.minimum(tail, 0.0)
        out[rows] = sign * tail
        rows_replaced.append(rows)
    if not rows_replaced:
        return column, 0
    rows = np.concatenate(rows_replaced)
    out[rows] = np.round(out[rows], _decimals(values[present]))
    low = -np.inf if kind.minimum is None else kind.minimum
    high = np.inf if kind.maximum is None else kind.maximum
    out[rows] = np.clip(out[rows], low, high)
    result = column.copy()
    result.iloc[rows] = pd.array(out[rows]).astype(column.dtype)
    return result, len(rows)


def _decimals(values: np.ndarray, most: int = 6) -> int:
    """The fewest decimals that write every value exactly (at most ``most``).

    >>> _decimals(np.array([1.0, 2.5, 3.25])), _decimals(np.array([3.0, 40.0]))
    (2, 0)
    """
    for places in range(most + 1):
        if np.allclose(np.round(values, places), values, rtol=0.0, atol=1e-9):
            return places
    return most


def _tail(top: np.ndarray, k: int) -> np.ndarray:
    """The ``k - 1`` values beyond ``top[k - 1]`` (``top`` sorted from the largest down),
    most extreme first: the expected order statistics of an exponential tail from the
    ``k``-th value, rank ``r`` at ``σ · Σ_{i=r}^{k-1} 1/i`` beyond it, with ``σ`` the mean of
    ``j · (top[j-1] − top[j])`` over the ranks ``j = k … 3k − 1`` (for an exponential tail
    the spacing below rank ``j`` has mean ``σ / j``), no farther beyond the ``k``-th value
    than the tail inside is wide (``top[k-1] − top[3k-1]``): a long tail is shortened, a
    bounded one barely passed.

    >>> [float(round(v, 2)) for v in _tail(np.array([100.0, 50, 9, 7, 6, 5.5, 5, 4.75, 4.5]), 3)]
    [13.5, 10.6]
    """
    last = min(3 * k, len(top)) - 1
    ranks = np.arange(k, last + 1)
    scale = float(np.mean(ranks * (top[ranks - 1] - top[ranks]))) if len(ranks) else 0.0
    steps = np.cumsum(1.0 / np.arange(k - 1, 0, -1))[::-1]
    return top[k - 1] + np.minimum(scale * steps, top[k - 1] - top[last])


def _pool_rare(column: pd.Series, kind: Categorical, threshold: int
               ) -> tuple[pd.Series, str]:
    """Replace the categories of ``column`` seen in fewer than ``threshold`` rows."""
    counts = column.value_counts(dropna=True)
    rare = counts.index[counts.to_numpy() < threshold]
    if len(rare) == 0 or kind.categories is not None or pd.api.types.is_bool_dtype(column):
        return column, ""
    is_rare = column.isin(rare).to_numpy()
    frequent = counts.index[counts.to_numpy() >= threshold]
    plural = "category" if len(rare) == 1 else "categories"
    values = column.dropna()
    if len(values) and all(isinstance(v, str) for v in values):
        return _relabel(column, is_rare, rare), \
            f"{len(rare)} {plural} seen in fewer than {threshold} rows replaced by {RARE_LABEL}"
    if len(frequent) == 0:
        return column, ""
    numeric = pd.api.types.is_numeric_dtype(pd.Index(frequent).dtype) and \
        pd.api.types.is_numeric_dtype(pd.Index(rare).dtype)
    if numeric:
        ordered = sorted(frequent)
        grid = np.asarray(ordered, dtype=np.float64)
        mapping = {r: ordered[_nearest(grid, float(r))] for r in rare}
        how = "the nearest frequent value"
    else:
        mapping = {r: frequent[0] for r in rare}
        how = "the most frequent value"
    out = column.copy()
    out.iloc[np.flatnonzero(is_rare)] = column.iloc[np.flatnonzero(is_rare)].map(mapping)
    return out, f"{len(rare)} {plural} seen in fewer than {threshold} rows replaced by {how}"


def _relabel(column: pd.Series, is_rare: np.ndarray, rare: pd.Index) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.cat.add_categories([RARE_LABEL]) \
            if RARE_LABEL not in column.cat.categories else column.copy()
        column.iloc[np.flatnonzero(is_rare)] = RARE_LABEL
        return column.cat.remove_categories([r for r in rare if r != RARE_LABEL])
    out = column.copy()
    out.iloc[np.flatnonzero(is_rare)] = RARE_LABEL
    return out


def _nearest(grid: np.ndarray, value: float) -> int:
    """Where the value of sorted ``grid`` closest to ``value`` is (the lower on a tie)."""
    if len(grid) == 1:
        return 0
    i = int(np.clip(np.searchsorted(grid, value), 1, len(grid) - 1))
    return i - 1 if abs(grid[i - 1] - value) <= abs(grid[i] - value) else i


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _names(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:5])
    return shown + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
