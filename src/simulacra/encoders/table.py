"""``TableEncoder``: maps a whole table to numeric columns and back, driven by metadata.

Each column gets the encoder of its kind (see :func:`~simulacra.encoders.encoder_for`).
Numerical and datetime columns with nulls are composed with one
:class:`~simulacra.encoders.missing.MissingIndicator`, which adds a discrete ``<column>#null``
column; categorical and boolean encoders code nulls themselves. Generated kinds (ids, PII,
free text) encode to nothing and are made fresh on the way back.

>>> import numpy as np, pandas as pd
>>> from simulacra.metadata import Metadata
>>> df = pd.DataFrame({"x": [1.5, None, 3.0], "c": ["a", "b", "a"]})
>>> te = TableEncoder(Metadata.detect(df)).fit(df, np.random.default_rng(0))
>>> [(c.name, c.output, c.cardinality) for c in te.encoded_columns_]
[('x', 'continuous', 0), ('x#null', 'discrete', 2), ('c', 'discrete', 2)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulacra.encoders import MissingIndicator, encoder_for, encoder_from_state
from simulacra.encoders.base import Encoder
from simulacra.errors import DataError, NotFittedError
from simulacra.metadata import Metadata

NULL_SUFFIX = "#null"


@dataclass(frozen=True)
class EncodedColumn:
    """One numeric column of the encoded table."""

    name: str
    source: str
    output: Literal["continuous", "discrete"]
    cardinality: int = 0


class TableEncoder:
    """Reversible encoding of a DataFrame into named numeric arrays."""

    def __init__(self, metadata: Metadata, **encoder_options: Any) -> None:
        self.metadata = metadata
        self.encoder_options = encoder_options
        self.encoders_: dict[str, Encoder] | None = None

    # -- fit / transform ----------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> TableEncoder:
        self.columns_ = list(data.columns)
        self.dtypes_: dict[str, str] = {c: str(data[c].dtype) for c in data.columns}
        self.all_null_: list[str] = [c for c in data.columns if data[c].isna().all()]
        self.encoders_, self.missing_ = {}, {}
        for name in self.columns_:
            if name in self.all_null_:
                continue
            column = data[name]
            encoder = encoder_for(self.metadata[name], **self.encoder_options)
            try:
                encoder.fit(column)
            except DataError:
                raise
            except (ValueError, TypeError) as err:
                raise DataError(f"column {name!r} ({self.metadata[name].kind}) cannot be "
                                f"encoded: {err}; check its kind in the metadata") from None
            self.encoders_[name] = encoder
            if encoder.output != "generated" and not encoder.handles_nulls and column.isna().any():
                self.missing_[name] = MissingIndicator().fit(column)
        return self

    @property
    def encoded_columns_(self) -> list[EncodedColumn]:
        encoders = self._fitted()
        out = []
        for name, enc in encoders.items():
            if enc.output == "generated":
                continue
            out.append(EncodedColumn(name, name, enc.output, enc.cardinality))
            if name in self.missing_:
                out.append(EncodedColumn(name + NULL_SUFFIX, name, "discrete", 2))
        return out

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Encode ``data``; nulls in numerical/datetime columns are imputed with draws from rng."""
        encoders = self._fitted()
        missing = [c for c in self.columns_ if c not in data.columns]
        if missing:
            raise DataError(f"columns {missing} are missing from the data to encode")
        out: dict[str, np.ndarray] = {}
        for name, enc in encoders.items():
            if enc.output == "generated":
                continue
            column = data[name]
            if name in self.missing_:
                indicator = self.missing_[name]
                out[name + NULL_SUFFIX] = indicator.transform(column)
                column = indicator.impute(column, rng)
            elif not enc.handles_nulls and column.isna().any():
                raise DataError(f"column {name!r} has nulls but had none when the encoder was "
                                "fitted; refit on data that includes nulls")
            out[name] = enc.transform(column)
        return dict(sorted(out.items(), key=lambda kv: self._order(kv[0])))

    def inverse_transform(
        self, encoded: Mapping[str, np.ndarray], n: int, rng: np.random.Generator
    ) -> pd.DataFrame:
        """Decode arrays (as :meth:`transform` makes them) into a DataFrame of ``n`` rows."""
        encoders = self._fitted()
        columns: dict[str, pd.Series] = {}
        for name in self.columns_:
            if name in self.all_null_:
                columns[name] = _all_null(n, self.dtypes_[name])
                continue
            enc = encoders[name]
            if enc.output == "generated":
                series = enc.generate(n, rng)
            else:
                series = enc.inverse_transform(encoded[name], rng)
                if name in self.missing_:
                    series = self.missing_[name].apply(series, encoded[name + NULL_SUFFIX])
            columns[name] = series.reset_index(drop=True)
        return pd.DataFrame(columns, columns=pd.Index(self.columns_, dtype=object))

    def discrete_codes(self, conditions: Mapping[str, Any]) -> dict[str, int]:
        """Encoded discrete columns and codes that equality ``conditions`` pin down.

        ``{column: value}`` gives the column's code when its encoder is discrete (and, when the
        column has a null indicator, ``column#null`` = 0); ``{column: None}`` gives
        ``column#null`` = 1, or the categorical null code. Ranges and values that cannot be
        encoded are skipped: callers use this only to steer sampling, never to filter.
        """
        encoders = self._fitted()
        codes: dict[str, int] = {}
        for column, value in conditions.items():
            enc = encoders.get(column)
            if enc is None or isinstance(value, tuple):
                continue
            indicator = column + NULL_SUFFIX
            if value is None:
                if column in self.missing_:
                    codes[indicator] = 1
                elif enc.output == "discrete" and enc.handles_nulls:
                    code = _try_code(enc, pd.Series([None], dtype=object, name=column))
                    if code is not None:
                        codes[column] = code
                continue
            if column in self.missing_:
                codes[indicator] = 0
            if enc.output == "discrete":
                code = _try_code(enc, pd.Series([value], name=column))
                if code is not None:
                    codes[column] = code
        return codes

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        encoders = self._fitted()
        return {
            "columns": self.columns_,
            "dtypes": self.dtypes_,
            "all_null": self.all_null_,
            "encoders": {name: enc.get_state() for name, enc in encoders.items()},
            "missing": {name: mi.get_state() for name, mi in self.missing_.items()},
        }

    @classmethod
    def from_state(cls, metadata: Metadata, state: Mapping[str, Any]) -> TableEncoder:
        te = cls(metadata)
        te.columns_ = list(state["columns"])
        te.dtypes_ = dict(state["dtypes"])
        te.all_null_ = list(state["all_null"])
        te.encoders_ = {n: encoder_from_state(s) for n, s in state["encoders"].items()}
        te.missing_ = {n: MissingIndicator.from_state(s) for n, s in state["missing"].items()}
        return te

    # -- helpers --------------------------------------------------------------------------------
    def _fitted(self) -> dict[str, Encoder]:
        if self.encoders_ is None:
            raise NotFittedError("TableEncoder is not fitted; call fit() first")
        return self.encoders_

    def _order(self, encoded_name: str) -> tuple[int, int]:
        source = encoded_name.removesuffix(NULL_SUFFIX)
        return self.columns_.index(source), int(encoded_name.endswith(NULL_SUFFIX))


def _try_code(encoder: Encoder, value: pd.Series) -> int | None:
    try:
        return int(encoder.transform(value)[0])
    except (DataError, ValueError, TypeError, KeyError):
        return None


def _all_null(n: int, dtype: str) -> pd.Series:
    """A column of ``n`` nulls in ``dtype`` (object columns get None, as most sources use)."""
    if dtype == "object":
        return pd.Series([None] * n, dtype=object)
    try:
        return pd.Series(np.full(n, np.nan)).astype(dtype)
    except (TypeError, ValueError):
        return pd.Series([None] * n, dtype=object)
