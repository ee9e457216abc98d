"""Nulls, composed rather than encoded: the null indicator and the base of generated kinds.

:class:`MissingIndicator` is what the table encoder composes with numerical and datetime
encoders (which refuse nulls): it records the column's null share and which null object to
restore, turns a column into 0/1 flags, imputes nulls from the observed values before encoding,
and puts the nulls back after decoding.

>>> mi = MissingIndicator().fit(pd.Series([1.5, None, 3.0, None]))
>>> mi.null_share_
0.5
>>> mi.transform(pd.Series([1.5, None])).tolist()
[0, 1]
>>> mi.apply(pd.Series([1.5, 2.0]), np.array([0, 1])).tolist()
[1.5, nan]

:class:`GeneratedEncoder` is the base of the generated kinds (ids, PII, text): it composes a
MissingIndicator so that generated columns keep their null share.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import Encoder, Output, State
from simulacra.errors import NotFittedError, check_param

#: The null objects a column may use, by the name stored in fitted state.
NULL_VALUES: dict[str, Any] = {"nan": np.nan, "none": None, "nat": pd.NaT, "na": pd.NA}

_NULLABLE_COUNTERPART = {"b": "boolean", "i": "Int", "u": "UInt"}


def null_kind(series: pd.Series) -> str:
    """Name (a key of :data:`NULL_VALUES`) of the null object ``series`` uses or would use.

    >>> null_kind(pd.Series(["a", None], dtype=object)), null_kind(pd.Series([1, None]))
    ('none', 'nan')
    """
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind in "mM":
        return "nat"
    if pd.api.types.is_object_dtype(dtype):
        nulls = series[series.isna()]
        if nulls.empty or nulls.iloc[0] is None:
            return "none"
        first = nulls.iloc[0]
        return "na" if first is pd.NA else "nat" if first is pd.NaT else "nan"
    if isinstance(dtype, pd.CategoricalDtype) or dtype.kind == "f":
        return "nan"
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        na_value = getattr(dtype, "na_value", pd.NA)
        return "na" if na_value is pd.NA else "nan"
    return "nan"


def can_hold_null(dtype: Any) -> bool:
    """Whether a column of ``dtype`` can hold nulls without changing dtype."""
    dtype = pd.api.types.pandas_dtype(dtype)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return True
    return dtype.kind in "fmMO"


def nullable_dtype(dtype: Any) -> Any:
    """``dtype`` itself if it holds nulls, else its pandas nullable counterpart (int64 → Int64)."""
    dtype = pd.api.types.pandas_dtype(dtype)
    if can_hold_null(dtype):
        return dtype
    prefix = _NULLABLE_COUNTERPART.get(dtype.kind)
    if prefix is None:
        return np.dtype(object)
    return prefix if prefix == "boolean" else f"{prefix}{dtype.itemsize * 8}"


def set_nulls(series: pd.Series, mask: np.ndarray, kind: str, dtype: Any = None) -> pd.Series:
    """Copy of ``series`` with nulls (of ``kind``) where ``mask``; dtype changed only if needed.

    When ``series`` cannot hold nulls it is cast to ``dtype`` (the column's fitted dtype) if
    that can, else to its nullable counterpart.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return series
    if not can_hold_null(series.dtype):
        target = dtype if dtype is not None and can_hold_null(dtype) else None
        series = series.astype(target if target is not None else nullable_dtype(series.dtype))
    if pd.api.types.is_object_dtype(series.dtype):
        arr = series.to_numpy(dtype=object, copy=True)
        arr[mask] = NULL_VALUES[kind]
        return pd.Series(arr, index=series.index, name=series.name, dtype=object)
    return series.mask(mask)


def _neutral(series: pd.Series) -> pd.Series | None:
    """A placeholder column (0, False or 1970-01-01) of ``series``'s dtype, if it has one."""
    dtype = series.dtype
    n = len(series)
    if isinstance(dtype, pd.DatetimeTZDtype):
        index = pd.DatetimeIndex(np.zeros(n, dtype="datetime64[ns]")).tz_localize("UTC")
        return pd.Series(index.tz_convert(dtype.tz), index=series.index,
                         name=series.name).astype(dtype)
    if dtype.kind == "M":
        return pd.Series(np.zeros(n, dtype="datetime64[ns]"), index=series.index,
                         name=series.name).astype(dtype)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return pd.Series(np.zeros(n, dtype="int64"), index=series.index,
                         name=series.name).astype(dtype)
    return None


class MissingIndicator:
    """Null flags for one column, and the way back.

    Not an :class:`~simulacra.encoders.base.Encoder`: it is composed *next to* one.

    * ``fit(series)`` learns the null share and the null object to restore;
    * ``transform(series)`` gives ``int64`` flags, 1 where null;
    * ``impute(series, rng)`` fills the nulls with observed values drawn with ``rng`` (so the
      value encoder sees the column's marginal); an all-null numeric, boolean or datetime
      column is filled with 0 / False / 1970-01-01 instead, other all-null columns are
      returned unchanged;
    * ``apply(decoded, flags)`` puts the nulls back in the decoded column.
    """

    def __init__(self) -> None:
        self.column_: str | None = None
        self.dtype_: str | None = None
        self.null_share_: float | None = None
        self.null_kind_: str | None = None

    def fit(self, series: pd.Series) -> MissingIndicator:
        """Learn the null share and null object of ``series``."""
        self.column_ = str(series.name)
        self.dtype_ = str(series.dtype)
        self.null_share_ = float(series.isna().mean()) if len(series) else 0.0
        self.null_kind_ = null_kind(series)
        return self

    @property
    def null_value(self) -> Any:
        """The null object :meth:`apply` restores: ``np.nan``, ``None``, ``pd.NaT`` or ``pd.NA``."""
        self._check_fitted()
        return NULL_VALUES[self.null_kind_]

    def transform(self, series: pd.Series) -> np.ndarray:
        """``int64`` flags, 1 where ``series`` is null."""
        self._check_fitted()
        return series.isna().to_numpy().astype(np.int64)

    def impute(self, series: pd.Series, rng: np.random.Generator) -> pd.Series:
        """Copy of ``series`` with each null replaced by an observed value drawn with ``rng``."""
        self._check_fitted()
        mask = series.isna().to_numpy()
        if not mask.any():
            return series.copy()
        observed = series[~mask]
        if observed.empty:
            neutral = _neutral(series)
            return series.copy() if neutral is None else neutral
        draws = rng.integers(0, len(observed), size=int(mask.sum()))
        out = series.copy()
        out.iloc[np.flatnonzero(mask)] = observed.array[draws]
        return out

    def apply(self, decoded: pd.Series, flags: np.ndarray) -> pd.Series:
        """Set nulls in ``decoded`` where ``flags == 1``.

        The dtype changes only when ``decoded`` cannot hold nulls (an integer or bool column
        decoded from a column with nulls): it then becomes the fitted column's dtype.
        """
        self._check_fitted()
        flags = np.asarray(flags)
        if flags.shape != (len(decoded),):
            raise ValueError(f"column {self.column_!r}: got {flags.shape[0]} flags for "
                             f"{len(decoded)} values; pass one flag per row")
        return set_nulls(decoded, flags == 1, self.null_kind_, self.dtype_)

    def sample_flags(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` flags with ``round(n * null_share_)`` ones at positions drawn with ``rng``."""
        self._check_fitted()
        flags = np.zeros(n, dtype=np.int64)
        k = int(np.rint(n * self.null_share_))
        if k:
            flags[rng.choice(n, size=k, replace=False)] = 1
        return flags

    def get_state(self) -> State:
        """Fitted state as JSON-safe values."""
        self._check_fitted()
        return {"column": self.column_, "dtype": self.dtype_, "null_share": self.null_share_,
                "null_kind": self.null_kind_}

    @classmethod
    def from_state(cls, state: State) -> MissingIndicator:
        mi = cls()
        mi.column_ = state["column"]
        mi.dtype_ = state["dtype"]
        mi.null_share_ = float(state["null_share"])
        mi.null_kind_ = state["null_kind"]
        return mi

    def _check_fitted(self) -> None:
        if self.null_kind_ is None:
            raise NotFittedError("MissingIndicator is not fitted; call fit() first")


def learned_rows(data: pd.DataFrame, metadata: Any) -> pd.DataFrame:
    """The columns of ``data`` that models learn (not ids, PII or text): what an encoder that
    reads rows is given, at fit and when generating."""
    return data[[c for c in data.columns if c in metadata and metadata[c].learned]]


class GeneratedEncoder(Encoder):
    """Base of the generated kinds: makes fresh values and keeps the column's null share.

    Subclasses implement ``_generate(k, rng)``, returning ``k`` non-null values of the fitted
    dtype; ``generate(n, rng)`` adds ``round(n * null share)`` nulls at random positions.
    """

    output: ClassVar[Output] = "generated"
    #: Under a privacy budget, whether the binned codec measures the column's null share
    #: privately (fitted on a stand-in, the encoder itself knows none).
    private_nulls: ClassVar[bool] = True

    def fit(self, series: pd.Series) -> GeneratedEncoder:
        missing = MissingIndicator().fit(series)
        super().fit(series)
        self.missing_ = missing
        return self

    @property
    def reads_rows(self) -> bool:
        """Whether :meth:`generate_for` reads the other columns of the rows it writes for (a
        codec then decodes those first)."""
        return False

    @property
    def reads_codes(self) -> bool:
        """Whether the rows :meth:`generate_for` reads are the binned codec's codes of the
        learned columns (a model fitted under a privacy budget) rather than their values."""
        return False

    def fit_with_rows(self, series: pd.Series, rows: pd.DataFrame,
                      rng: np.random.Generator) -> GeneratedEncoder:
        """Fit on ``series`` given ``rows``, the learned columns of the same rows (only an
        encoder that :attr:`reads_rows` looks at them or draws from ``rng``)."""
        return self.fit(series)

    def generate_for(self, rows: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
        """One fresh value for each of ``rows`` (the generated rows' learned columns)."""
        return self.generate(len(rows), rng)

    def fit_public(self, series: pd.Series) -> GeneratedEncoder:
        """Fit on a public stand-in of ``series``'s dtype: nothing real is looked at."""
        return self.fit(self._stand_in(series))

    def _stand_in(self, series: pd.Series) -> pd.Series:
        text = series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        values = ["1", "2"] if text else [1, 2]
        return pd.Series(values, name=series.name, dtype=object).astype(series.dtype)

    def generate(self, n: int, rng: np.random.Generator) -> pd.Series:
        """``n`` fresh values with the fitted dtype and null share."""
        self._check_fitted()
        check_param("n", n, "an integer >= 0",
                    isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 0)
        n = int(n)
        flags = self.missing_.sample_flags(n, rng)
        k = n - int(flags.sum())
        values = self._generate(k, rng).reset_index(drop=True)
        values.name = self.column_
        if k == n:
            return values
        if k == 0:
            return pd.Series([self.missing_.null_value] * n, dtype=self.dtype_, name=self.column_)
        # Spread the k values over the non-null rows, then blank the null rows.
        take = np.maximum(np.cumsum(1 - flags) - 1, 0)
        spread = values.iloc[take].reset_index(drop=True)
        return self.missing_.apply(spread, flags)

    def _generate(self, k: int, rng: np.random.Generator) -> pd.Series:
        raise NotImplementedError

    def get_state(self) -> State:
        return {**super().get_state(), "missing": self.missing_.get_state()}

    @classmethod
    def from_state(cls, state: State) -> GeneratedEncoder:
        enc = super().from_state(state)
        enc.missing_ = MissingIndicator.from_state(state["missing"])
        return enc
