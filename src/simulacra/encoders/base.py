"""Reversible column encoders: the base does the bookkeeping, subclasses do the maths.

An encoder maps one raw column (a :class:`pandas.Series`) to one numeric array and back:

* ``fit(series)`` records the storage dtype and null share, then calls ``_fit`` on the
  non-null values only;
* ``transform(series)`` returns a 1-D array — ``float64`` for ``output == "continuous"``,
  ``int64`` codes in ``[0, cardinality)`` for ``output == "discrete"`` — for *non-null* values
  (the caller drops nulls first, or composes :class:`~simulacra.encoders.missing.MissingIndicator`);
* ``inverse_transform(values, rng)`` maps such an array back to a Series with the fitted dtype.

Generated kinds (ids, PII, free text) have ``output == "generated"``: they encode to nothing
and ``generate(n, rng)`` makes fresh values.

Fitted state round-trips through ``get_state()`` / ``from_state()`` as JSON-safe values and
numpy arrays, so model files never need pickle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from simulacra.errors import DataError, NotFittedError

Output = Literal["continuous", "discrete", "generated"]
State = dict[str, Any]


class Encoder(ABC):
    """Base of all column encoders."""

    name: ClassVar[str]
    output: ClassVar[Output]
    #: True when ``_transform`` encodes nulls itself (e.g. as their own category code).
    handles_nulls: ClassVar[bool] = False

    def __init__(self) -> None:
        self.column_: str | None = None
        self.dtype_: str | None = None

    # -- bookkeeping ------------------------------------------------------------------------
    def fit(self, series: pd.Series) -> Encoder:
        """Learn the column's dtype and the encoding from its non-null values."""
        self.column_ = str(series.name)
        self.dtype_ = str(series.dtype)
        values = series[series.notna()]
        self._fit(values)
        return self

    def transform(self, series: pd.Series) -> np.ndarray:
        """Encode values; nulls raise unless the encoder ``handles_nulls`` itself.

        Other encoders need a composed MissingIndicator for nulls.
        """
        self._check_fitted()
        if not self.handles_nulls and series.isna().any():
            raise DataError(f"column {self.column_!r}: {self.name} encoder got nulls; "
                            "encode them with a MissingIndicator first")
        return self._transform(series)

    def inverse_transform(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Decode ``values`` back to a Series with the fitted dtype."""
        self._check_fitted()
        return self._inverse_transform(np.asarray(values), rng)

    @property
    def cardinality(self) -> int:
        """Number of codes for discrete outputs; 0 otherwise."""
        return 0

    def get_state(self) -> State:
        """Fitted state as JSON-safe values and numpy arrays."""
        self._check_fitted()
        return {"encoder": self.name, "column": self.column_, "dtype": self.dtype_,
                **self._get_state()}

    @classmethod
    def from_state(cls, state: State) -> Encoder:
        enc = cls.__new__(cls)
        Encoder.__init__(enc)
        enc.column_ = state["column"]
        enc.dtype_ = state["dtype"]
        enc._set_state(state)
        return enc

    def _check_fitted(self) -> None:
        if self.dtype_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() first")

    # -- maths, in subclasses -----------------------------------------------------------------
    @abstractmethod
    def _fit(self, values: pd.Series) -> None: ...

    def _transform(self, values: pd.Series) -> np.ndarray:
        raise NotImplementedError(f"{self.name} columns are generated, not encoded")

    def _inverse_transform(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        raise NotImplementedError(f"{self.name} columns are generated, not decoded")

    def generate(self, n: int, rng: np.random.Generator) -> pd.Series:
        raise NotImplementedError(f"{self.name} columns are encoded, not generated")

    @abstractmethod
    def _get_state(self) -> State: ...

    @abstractmethod
    def _set_state(self, state: State) -> None: ...
