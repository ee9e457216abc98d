"""Each compared column of the pooled rows (reference first, then current) as integer cells.

Every per-column test reads a column only through its cells, so a relabelling of the pooled
rows (a permutation) changes nothing but the counts per cell:

* a continuous column (numbers, datetimes as seconds) gets *ordered* cells: one per distinct
  value when there are at most :data:`MAX_ORDERED_CELLS`, otherwise runs of tied values
  grouped by their pooled rank into that many cells of about equal size (tied values never
  straddle two cells); nulls get one cell of their own, after the ordered ones;
* a discrete column (categories, booleans) gets one cell per label, nulls being the label
  ``(missing)``; labels seen fewer than :data:`MIN_CELL_COUNT` times in the pooled rows are
  pooled into one cell, so that no cell's expected count is tiny.

>>> cells = continuous_cells(np.array([3.0, 1.0, np.nan, 1.0]))
>>> cells.codes.tolist(), cells.n_values, cells.has_nulls
([1, 0, 2, 0], 2, True)
>>> discrete_cells(np.array(["a", "b", "a", "a"], dtype=object), min_count=2).codes.tolist()
[0, 1, 0, 0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A continuous column's ordered cells: at most this many (its KS statistic is taken at them).
MAX_ORDERED_CELLS = 1000
#: A label seen fewer times than this in the pooled rows shares one cell with the other rare ones.
MIN_CELL_COUNT = 10


@dataclass(frozen=True)
class Cells:
    """A column's cell per pooled row.

    ``codes`` holds one cell number in ``[0, n_cells)`` per pooled row. Cells
    ``0 .. n_values - 1`` are values (ordered by value when ``ordered``); when ``has_nulls``
    and the column is ordered, cell ``n_values`` holds the nulls.
    """

    codes: np.ndarray
    n_values: int
    has_nulls: bool
    ordered: bool

    @property
    def n_cells(self) -> int:
        return self.n_values + int(self.has_nulls and self.ordered)


def continuous_cells(values: np.ndarray, max_cells: int = MAX_ORDERED_CELLS) -> Cells:
    """Ordered cells of a float column (NaN for nulls); see the module docstring."""
    null = np.isnan(values)
    uniques, inverse, counts = np.unique(values[~null], return_inverse=True, return_counts=True)
    if len(uniques) > max_cells:  # group runs of tied values by their pooled rank
        first_rank = np.cumsum(counts) - counts
        group = first_rank * max_cells // max(int(counts.sum()), 1)
        _, group = np.unique(group, return_inverse=True)
        inverse = group[inverse]
    n_values = int(inverse.max()) + 1 if inverse.size else 0
    codes = np.full(values.shape, n_values, dtype=np.int64)
    codes[~null] = inverse
    return Cells(codes, n_values, bool(null.any()), ordered=True)


def discrete_cells(labels: np.ndarray, min_count: int = MIN_CELL_COUNT) -> Cells:
    """Unordered cells of a label column (nulls already a label); rare labels share one."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object), sort=True)
    counts = np.bincount(codes, minlength=len(uniques))
    rare = counts < min_count
    if rare.sum() > 1 and not rare.all():
        kept = np.flatnonzero(~rare)
        remap = np.full(len(uniques), len(kept), dtype=np.int64)  # the rare ones: one cell
        remap[kept] = np.arange(len(kept))
        codes = remap[codes]
    n_values = int(codes.max()) + 1 if codes.size else 0
    return Cells(np.asarray(codes, dtype=np.int64), n_values, False, ordered=False)
