"""Numbers: encoded as float64, decoded clipped, rounded and cast back to the stored dtype.

>>> enc = NumericalEncoder().fit(pd.Series([1.25, 2.5, 10.0], name="price"))
>>> enc.integer_, enc.decimals_, enc.minimum_, enc.maximum_
(False, 2, 1.25, 10.0)
>>> enc.inverse_transform(np.array([0.0, 3.14159, 99.0]), np.random.default_rng(0)).tolist()
[1.25, 3.14, 10.0]
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import ArrayLike, ContinuousEncoder, State, array_of
from simulacra.encoders.codec import ConditionDomain
from simulacra.errors import DataError
from simulacra.kinds import Numerical, column_from_dict
from simulacra.precision import fewest_decimals, float_precision

_NUMERIC_OBJECTS = ("integer", "floating", "mixed-integer-float", "decimal", "empty")


class NumericalEncoder(ContinuousEncoder):
    """Encode a number column as ``float64``.

    Learned from the non-null values (``spec`` fields that are set take precedence):

    * ``integer_`` — every value is integral;
    * ``decimals_`` — the fewest decimals (0 to 15) that reproduce every value in the column's
      own precision, ``None`` when no such count exists (values are then not rounded);
    * ``minimum_`` / ``maximum_`` — the bounds decoded values are clipped to.

    Values beyond ±2**53 lose precision in float64.
    """

    name: ClassVar[str] = "numerical"

    def __init__(self, spec: Numerical | None = None) -> None:
        super().__init__()
        self.spec = spec if spec is not None else Numerical()

    # -- fit ------------------------------------------------------------------------------------
    def _fit(self, values: pd.Series) -> None:
        x = self._as_float(values)
        dtype = pd.api.types.pandas_dtype(self.dtype_)
        if self.spec.integer is not None:
            self.integer_ = bool(self.spec.integer)
        elif x.size:
            self.integer_ = bool(np.all(x == np.round(x)))
        else:
            self.integer_ = dtype.kind in "iu"
        if self.spec.decimals is not None:
            self.decimals_: int | None = int(self.spec.decimals)
        elif self.integer_:
            self.decimals_ = 0
        else:
            self.decimals_ = fewest_decimals(x, float_precision(dtype))
        self.minimum_ = _bound(self.spec.minimum, x.min() if x.size else None)
        self.maximum_ = _bound(self.spec.maximum, x.max() if x.size else None)
        self._prepare()

    def _prepare(self) -> None:
        """What decoding casts to, read once from the fitted dtype: the dtype itself and, for
        an integer dtype, the float range it holds (values are clipped to it)."""
        self._dtype = pd.api.types.pandas_dtype(self.dtype_)
        self._int_range: tuple[float, float] | None = None
        if not pd.api.types.is_object_dtype(self._dtype) and self._dtype.kind in "iu":
            info = np.iinfo(getattr(self._dtype, "numpy_dtype", self._dtype))
            hi = float(info.max)
            if int(hi) > info.max:  # float(2**63 - 1) rounds up to 2**63
                hi = np.nextafter(hi, -np.inf)
            self._int_range = float(info.min), hi

    def _as_float(self, values: pd.Series) -> np.ndarray:
        """``values`` as a float64 array, refusing booleans, non-numbers and inf."""
        dtype = values.dtype
        column = self.column_
        if pd.api.types.is_bool_dtype(dtype):
            raise DataError(f"column {column!r} holds booleans; declare it as a boolean column, "
                            "not a numerical one")
        if pd.api.types.is_object_dtype(dtype):
            inferred = pd.api.types.infer_dtype(values, skipna=True)
            if inferred not in _NUMERIC_OBJECTS:
                raise DataError(f"column {column!r} holds {inferred} values, not numbers; cast "
                                "it to a numeric dtype or declare it as categorical")
        elif not pd.api.types.is_numeric_dtype(dtype) or dtype.kind == "c":
            raise DataError(f"column {column!r} has dtype {dtype}, not a real number dtype; "
                            "cast it to int or float or declare another kind")
        try:
            x = values.to_numpy(dtype="float64", na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise DataError(f"column {column!r} cannot be read as numbers ({exc}); cast it "
                            "to a numeric dtype") from exc
        if np.isinf(x).any():
            raise DataError(f"column {column!r} contains inf or -inf; replace them with NaN "
                            "or finite values")
        return x

    # -- transform --------------------------------------------------------------------------------
    def _transform(self, values: pd.Series) -> np.ndarray:
        return self._as_float(values)

    def _inverse_transform(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self._series(self._inverse_array(values, rng))

    def _inverse_array(self, values: np.ndarray, rng: np.random.Generator) -> ArrayLike:
        return self._decode(values, self.minimum_, self.maximum_)

    def _decode(self, values: np.ndarray, low: float | None, high: float | None) -> ArrayLike:
        # 1. clip to the bounds, 2. round, 3. cast back to the stored dtype.
        x = np.asarray(values, dtype=np.float64).reshape(-1)
        x = np.clip(x, -np.inf if low is None else low, np.inf if high is None else high)
        decimals = 0 if self.integer_ else self.decimals_
        if decimals is not None:
            x = np.round(x, decimals)
        return self._cast(x)

    # -- what table codecs ask ------------------------------------------------------------------
    def condition_domain(self) -> ConditionDomain:
        return self.grid_condition_domain([(self.minimum_, self.maximum_)])

    def encoded_interval(self, low: Any, high: Any) -> tuple[float, float]:
        """Encoded values that may decode into ``[low, high]``: rounding and clipping allowed
        for (everything below the minimum decodes to it, everything above the maximum too).

        >>> enc = NumericalEncoder().fit(pd.Series([1.5, 2.25, 9.0]))
        >>> lo, hi = enc.encoded_interval(2.0, 9.0)
        >>> round(lo, 4), hi
        (1.995, inf)
        """
        low, high = float(low), float(high)
        half = 0.5 * 10.0 ** -self.decimals_ if self.decimals_ is not None else 0.0
        low, high = low - half - 1e-9 * (1 + abs(low)), high + half + 1e-9 * (1 + abs(high))
        if self.minimum_ is not None and low <= self.minimum_:
            low = -np.inf
        if self.maximum_ is not None and high >= self.maximum_:
            high = np.inf
        return low, high

    # -- the grid of the binned codec: the numbers themselves ------------------------------------
    def fit_grid(self, series: pd.Series) -> NumericalEncoder:
        self.fit(series)
        self.minimum_ = self.maximum_ = None
        return self

    def to_grid(self, series: pd.Series) -> np.ndarray:
        out = np.full((len(series), 1), np.nan)
        ok = series.notna().to_numpy()
        out[ok, 0] = self.transform(series[ok])
        return out

    def from_grid(self, x: np.ndarray, bounds: list[tuple[float, float]],
                  rng: np.random.Generator) -> pd.Series:
        self._check_fitted()
        return self._series(self._decode(np.asarray(x)[:, 0], *bounds[0]))

    def grid_bounds(self) -> list[tuple[float | None, float | None]]:
        return [(self.spec.minimum, self.spec.maximum)]

    def grid_integer(self) -> list[bool]:
        return [bool(self.integer_)]

    def grid_condition_domain(self, bounds: list[tuple[float, float]]) -> ConditionDomain:
        return ConditionDomain(low=bounds[0][0], high=bounds[0][1], integer=bool(self.integer_))

    def _cast(self, x: np.ndarray) -> ArrayLike:
        """Clipped, rounded floats (a new array) in the fitted dtype."""
        dtype = self._dtype
        if pd.api.types.is_object_dtype(dtype):
            if self.integer_ and np.isfinite(x).all():
                return pd.Series(x.astype(np.int64)).astype(object).to_numpy()
            return pd.Series(x).astype(object).to_numpy()
        if self._int_range is not None:
            x = np.rint(np.clip(x, *self._int_range))
        if isinstance(dtype, np.dtype) and (dtype.kind == "f" or np.isfinite(x).all()):
            # as Series.astype casts; it refuses NaN and inf for integers: the path below
            return x.astype(dtype, copy=False)
        return array_of(pd.Series(x).astype(dtype))

    # -- state ------------------------------------------------------------------------------------
    def _get_state(self) -> State:
        return {"spec": self.spec.to_dict(), "integer": self.integer_,
                "decimals": self.decimals_, "minimum": self.minimum_,
                "maximum": self.maximum_}

    def _set_state(self, state: State) -> None:
        self.spec = column_from_dict(state["spec"], name=self.column_ or "?")
        self.integer_ = bool(state["integer"])
        self.decimals_ = state["decimals"]
        self.minimum_ = state["minimum"]
        self.maximum_ = state["maximum"]
        self._prepare()


def _bound(given: float | None, observed: float | None) -> float | None:
    value = given if given is not None else observed
    return None if value is None else float(value)
