"""``ExactCodec`` (``"exact"``): one reversible encoder per column, driven by metadata.

Each column gets the encoder of its kind (:func:`~simulacra.encoders.columns.encoder_for`):
numbers and datetimes stay numbers (continuous), categories and booleans become codes
(discrete); a column of several parts becomes one encoded column per part
(``<column><part>``). Continuous columns with nulls are composed with one
:class:`~simulacra.encoders.missing.MissingIndicator`, which adds a discrete
``<column>#null`` column; categorical and boolean encoders code nulls themselves. Generated
kinds (ids, PII, free text) encode to nothing and are made fresh on the way back. Everything
is read off the data exactly, so this codec takes no privacy budget.

>>> import numpy as np, pandas as pd
>>> from simulacra.metadata import Metadata
>>> df = pd.DataFrame({"x": [1.5, None, 3.0], "c": ["a", "b", "a"]})
>>> codec = ExactCodec(Metadata.detect(df)).fit(df, np.random.default_rng(0))
>>> [(c.name, c.output, c.cardinality) for c in codec.encoded_columns_]
[('x', 'continuous', 0), ('x#null', 'discrete', 2), ('c', 'discrete', 2)]
>>> codec.condition_domain("c").categories, codec.null_code("c")
(('a', 'b'), None)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import ArrayLike, Encoder, array_of
from simulacra.encoders.codec import (
    NULL_SUFFIX,
    CodecBudget,
    ConditionDomain,
    EncodedColumn,
    TableCodec,
)
from simulacra.encoders.columns import encoder_for, encoder_from_state
from simulacra.encoders.missing import GeneratedEncoder, MissingIndicator, learned_rows
from simulacra.errors import DataError, ParameterError
from simulacra.metadata import Metadata


class ExactCodec(TableCodec):
    """Reversible encoding of a DataFrame into named numeric arrays, one encoder a column.

    ``encoder_options`` go to the column encoders (``min_frequency``, ``handle_unknown``,
    ``locale``, ``min_word_count``); each takes those it knows.
    """

    name: ClassVar[str] = "exact"

    def __init__(self, metadata: Metadata, **encoder_options: Any) -> None:
        super().__init__(metadata)
        self.encoder_options = encoder_options

    # -- fit / transform ----------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, rng: np.random.Generator, *,
            budget: CodecBudget | None = None) -> ExactCodec:
        if budget is not None:
            raise ParameterError("the exact codec reads every statistic off the data, so it "
                                 "cannot fit under a privacy budget; use the binned codec")
        self.columns_ = list(data.columns)
        self.dtypes_: dict[str, str] = {c: str(data[c].dtype) for c in data.columns}
        self.all_null_: list[str] = [c for c in data.columns if data[c].isna().all()]
        self.encoders_: dict[str, Encoder] = {}
        self.missing_: dict[str, MissingIndicator] = {}
        rows = learned_rows(data, self.metadata)
        for name in self.columns_:
            if name in self.all_null_:
                continue
            column = data[name]
            encoder = encoder_for(self.metadata[name], **self.encoder_options)
            try:
                if isinstance(encoder, GeneratedEncoder):
                    encoder.fit_with_rows(column, rows, rng)
                else:
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
        self._check_fitted()
        out = []
        for name, enc in self.encoders_.items():
            if enc.output == "generated":
                continue
            out += [EncodedColumn(name + part, name, enc.output, enc.cardinality)
                    for part in enc.parts]
            if name in self.missing_:
                out.append(EncodedColumn(name + NULL_SUFFIX, name, "discrete", 2))
        return out

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Encode ``data``; nulls in continuous columns are imputed with draws from rng."""
        self._check_fitted()
        missing = [c for c in self.columns_ if c not in data.columns]
        if missing:
            raise DataError(f"columns {missing} are missing from the data to encode")
        out: dict[str, np.ndarray] = {}
        for name, enc in self.encoders_.items():
            if enc.output == "generated":
                continue
            column = data[name]
            flags = None
            if name in self.missing_:
                indicator = self.missing_[name]
                flags = indicator.transform(column)
                column = indicator.impute(column, rng)
            elif not enc.handles_nulls and column.isna().any():
                raise DataError(f"column {name!r} has nulls but had none when the encoder was "
                                "fitted; refit on data that includes nulls")
            values = enc.transform(column)
            if len(enc.parts) == 1:
                out[name + enc.parts[0]] = values
            else:
                out.update({name + part: values[:, i] for i, part in enumerate(enc.parts)})
            if flags is not None:
                out[name + NULL_SUFFIX] = flags
        return out

    def inverse_transform(self, encoded: Mapping[str, np.ndarray], n: int,
                          rng: np.random.Generator) -> pd.DataFrame:
        """Decode arrays (as :meth:`transform` makes them) into a DataFrame of ``n`` rows."""
        self._check_fitted()
        later = [name for name in self.columns_ if _reads_rows(self.encoders_.get(name))]
        first = [name for name in self.columns_ if name not in later]
        frame = _frame([self._decode(name, encoded, n, rng) for name in first], first)
        if not later:
            return frame
        rows = learned_rows(frame, self.metadata)
        for name in later:
            frame[name] = array_of(self.encoders_[name].generate_for(rows, rng))
        return frame[self.columns_]

    def _decode(self, name: str, encoded: Mapping[str, np.ndarray], n: int,
                rng: np.random.Generator) -> ArrayLike:
        """One column's values in its fitted dtype, as an array (rows by position)."""
        if name in self.all_null_:
            return array_of(_all_null(n, self.dtypes_[name]))
        enc = self.encoders_[name]
        if enc.output == "generated":
            return array_of(enc.generate(n, rng))
        values = encoded[name + enc.parts[0]] if len(enc.parts) == 1 else \
            np.column_stack([encoded[name + part] for part in enc.parts])
        if name not in self.missing_:
            return enc.inverse_array(values, rng)
        series = enc.inverse_transform(values, rng)
        return array_of(self.missing_[name].apply(series, encoded[name + NULL_SUFFIX]))

    # -- what conditions may ask --------------------------------------------------------------
    def condition_domain(self, column: str) -> ConditionDomain:
        self._check_fitted()
        encoder = self.encoders_.get(column)
        return ConditionDomain() if encoder is None else encoder.condition_domain()

    def discrete_codes(self, conditions: Mapping[str, Any]) -> dict[str, int]:
        """``{column: value}`` gives the column's code when its encoder is discrete (and, when
        the column has a null indicator, ``column#null`` = 0); ``{column: None}`` gives
        ``column#null`` = 1, or the categorical null code."""
        self._check_fitted()
        codes: dict[str, int] = {}
        for column, value in conditions.items():
            enc = self.encoders_.get(column)
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

    def null_code(self, column: str) -> int | None:
        self._check_fitted()
        encoder = self.encoders_.get(column)
        return None if encoder is None else encoder.null_code()

    def encoded_interval(self, column: str, low: Any, high: Any
                         ) -> tuple[float, float] | None:
        self._check_fitted()
        encoder = self.encoders_.get(column)
        return None if encoder is None else encoder.encoded_interval(low, high)

    # -- state ----------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        return {"encoder_options": dict(self.encoder_options)}

    def _get_state(self) -> dict[str, Any]:
        return {
            "columns": self.columns_,
            "dtypes": self.dtypes_,
            "all_null": self.all_null_,
            "encoders": {name: enc.get_state() for name, enc in self.encoders_.items()},
            "missing": {name: mi.get_state() for name, mi in self.missing_.items()},
        }

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self.columns_ = list(state["columns"])
        self.dtypes_ = dict(state["dtypes"])
        self.all_null_ = list(state["all_null"])
        self.encoders_ = {n: encoder_from_state(s) for n, s in state["encoders"].items()}
        self.missing_ = {n: MissingIndicator.from_state(s) for n, s in state["missing"].items()}


def _reads_rows(encoder: Encoder | None) -> bool:
    return isinstance(encoder, GeneratedEncoder) and encoder.reads_rows


def _try_code(encoder: Encoder, value: pd.Series) -> int | None:
    try:
        return int(encoder.transform(value)[0])
    except (DataError, ValueError, TypeError, KeyError):
        return None


def _frame(columns: list[ArrayLike], names: list[str]) -> pd.DataFrame:
    """A frame of freshly decoded ``columns`` (kept uncopied) named ``names``, every dtype as
    given: arrays of objects go in a Series, as the constructor infers a type (strings,
    datetimes) for a bare one; keyed by position, then named (cheaper than by name)."""
    data = {j: pd.Series(values, dtype=object, copy=False)
            if pd.api.types.is_object_dtype(values.dtype) else values
            for j, values in enumerate(columns)}
    frame = pd.DataFrame(data, copy=False)
    frame.columns = pd.Index(names, dtype=object)
    return frame


def _all_null(n: int, dtype: str) -> pd.Series:
    """A column of ``n`` nulls in ``dtype`` (object columns get None, as most sources use)."""
    if dtype == "object":
        return pd.Series([None] * n, dtype=object)
    try:
        return pd.Series(np.full(n, np.nan)).astype(dtype)
    except (TypeError, ValueError):
        return pd.Series([None] * n, dtype=object)
