"""``RunningSum``: within each entity of an event table, a balance moves by the amounts.

``balance = previous balance + amount`` at every event after an entity's first: a bank
account's balance and its transactions, a stock level and its movements, a cumulative count
and its increments. The rule spans rows, so it is checked per entity of the metadata's
``sequence_key``, in the order of its ``sequence_index`` (the rows' order without one; the
whole table is one sequence without a key). A row holds it when it is its entity's first, when
the column or the increment is null in it or in the previous row, or when the balance moved by
the amount to within half a unit of the balance's last decimal.

:class:`~simulacra.SequentialNetwork` makes it hold by construction: it learns each entity's
first balance (a context column) and the amounts, and writes every later balance as the
running sum.

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> events = pd.DataFrame({"account": [1, 1, 1, 2, 2], "amount": [5.0, -2.0, 10.0, 3.0, 1.0],
...                        "balance": [105.0, 103.0, 113.0, 3.0, 9.0]})
>>> md = Metadata.detect(events, sequence_key="account")
>>> RunningSum(column="balance", increment="amount").check(events, md).tolist()
[True, True, True, True, False]
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.base import Columns, Constraint, kind_problem, signed
from simulacra.errors import ParameterError
from simulacra.precision import decimals_of


@dataclasses.dataclass(frozen=True)
class RunningSum(Constraint):
    """``column`` is its previous value in the entity plus ``increment`` (see the module)."""

    type: ClassVar[str] = "running_sum"
    across_rows: ClassVar[bool] = True
    column: str
    increment: str

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, self.increment)

    def problems(self, metadata: Columns) -> list[str]:
        out = super().problems(metadata)
        if self.column == self.increment:
            out.append(f"{self}: the column and its increment must be two columns")
        for name in self.columns:
            if name in metadata:
                out += kind_problem(str(self), metadata, name, signed, "numerical")
        return out

    def learn(self, data: pd.DataFrame, metadata: Columns, *, private: bool) -> Constraint:
        """Single-table models draw rows one by one and cannot hold it."""
        raise ParameterError(f"{self} holds across an entity's events: fit the table with "
                             "sim.SequentialNetwork (with a sequence_key), which makes it hold "
                             "by construction, or remove the constraint")

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        key = getattr(metadata, "sequence_key", None)
        index = getattr(metadata, "sequence_index", None)
        n = len(frame)
        order = np.arange(n)
        if key is not None and key in frame.columns:
            within = frame[index].rank(method="first").to_numpy() if index in frame.columns \
                else np.arange(n)
            codes = pd.factorize(frame[key])[0]
            order = np.lexsort((within, codes))
        value = pd.to_numeric(frame[self.column], errors="coerce").to_numpy(np.float64)[order]
        step = pd.to_numeric(frame[self.increment], errors="coerce").to_numpy(np.float64)[order]
        entity = pd.factorize(frame[key])[0][order] if key in frame.columns else np.zeros(n)
        same = np.r_[False, entity[1:] == entity[:-1]]
        previous = np.r_[np.nan, value[:-1]]
        decimals = decimals_of(pd.Series(value))
        unit = 0.0 if decimals is None else 0.5 * 10.0 ** -decimals
        tolerance = unit + 1e-9 * np.abs(value)
        with np.errstate(invalid="ignore"):
            holds = np.abs(value - previous - step) <= tolerance
        ok = ~same | np.isnan(value) | np.isnan(previous) | np.isnan(step) | holds
        out = np.empty(n, dtype=bool)
        out[order] = ok
        return out

