"""Points in time: encoded as a count of resolution steps since the minimum.

Native ``datetime64`` columns (any unit, tz-aware or not), strings in a strftime ``format`` and
integer ``YYYYMMDD``-style columns (any all-digit ``format``) are read as instants; the
coarsest resolution that divides every value exactly (day, hour, minute, second, ms, us, ns —
days count from midnight, local midnight for tz-aware columns) becomes the unit of the
encoding, so ``transform`` gives ``(t - minimum_) / resolution`` as exact float64 for spans
under 2**53 steps. Decoding rounds to the resolution, clips to the bounds and restores the
storage: same unit and tz, same string format, same integer form.

>>> s = pd.Series(["2024-01-05", "2024-01-01", "2024-03-01"], name="joined")
>>> enc = DatetimeEncoder(Datetime(format="%Y-%m-%d")).fit(s)
>>> enc.resolution_, enc.transform(s).tolist()
('day', [4.0, 0.0, 60.0])
>>> enc.inverse_transform(np.array([4.4, -3.0]), np.random.default_rng(0)).tolist()
['2024-01-05', '2024-01-01']
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import ContinuousEncoder, State
from simulacra.errors import DataError
from simulacra.kinds import Datetime, column_from_dict
from simulacra.precision import RESOLUTIONS

_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_STRINGS = ("string", "empty")


class DatetimeEncoder(ContinuousEncoder):
    """Encode a datetime column as ``float64`` steps of ``resolution_`` since ``minimum_``.

    ``storage_`` says how the column stores time: ``"native"`` (datetime64), ``"string"``
    (strftime ``spec.format``), ``"integer"`` (digits such as ``20240105`` with an all-digit
    format), ``"object"`` (Python datetimes) or ``"date"`` (Python dates).
    """

    name: ClassVar[str] = "datetime"

    def __init__(self, spec: Datetime | None = None) -> None:
        super().__init__()
        self.spec = spec if spec is not None else Datetime()

    # -- reading the storage ----------------------------------------------------------------------
    def _storage(self, values: pd.Series) -> str:
        dtype = values.dtype
        fmt = self.spec.format
        if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
            return "native"
        if pd.api.types.is_bool_dtype(dtype):
            raise DataError(f"column {self.column_!r} holds booleans, not datetimes; declare "
                            "it as boolean")
        if pd.api.types.is_numeric_dtype(dtype):
            if fmt is None:
                raise DataError(f"column {self.column_!r} holds numbers; to read them as "
                                "datetimes set the format in the metadata (e.g. '%Y%m%d')")
            return "integer"
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if pd.api.types.is_object_dtype(dtype) and inferred in ("datetime", "datetime64"):
            return "object"
        if pd.api.types.is_object_dtype(dtype) and inferred == "date":
            return "date"
        if inferred in _STRINGS:
            if fmt is None:
                raise DataError(f"column {self.column_!r} holds strings; set the datetime "
                                "format in the metadata (e.g. format: '%Y-%m-%d') so they can "
                                "be read and written back exactly")
            return "string"
        raise DataError(f"column {self.column_!r} holds {inferred} values ({dtype}), which "
                        "cannot be read as datetimes; convert them with pd.to_datetime")

    def _parse(self, values: pd.Series, storage: str) -> pd.Series:
        """``values`` as a datetime64 Series."""
        fmt = self.spec.format
        try:
            if storage == "native":
                return values
            if storage == "integer":
                x = values.to_numpy(dtype="float64")
                if not np.all(x == np.round(x)):
                    raise ValueError("non-integral numbers")
                return pd.to_datetime(pd.Series(x.astype(np.int64)).astype(str), format=fmt)
            if storage == "string":
                return pd.to_datetime(values, format=fmt)
            return pd.to_datetime(values)
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(f"column {self.column_!r} cannot be read as datetimes with format "
                            f"{fmt!r}: {exc}; fix the format in the metadata or the data") from exc

    def _to_ints(self, values: pd.Series) -> np.ndarray:
        """Instants as int64 counts of ``unit_`` since the epoch (UTC for tz-aware columns)."""
        ts = self._parse(values, self.storage_)
        if ts.dt.tz is not None:
            if self.tz_ is None:
                raise DataError(f"column {self.column_!r} is tz-aware but was naive at fit; "
                                "drop the time zone (tz_localize(None)) or refit")
            ts = ts.dt.tz_convert(None)
        elif self.tz_ is not None and len(ts):
            raise DataError(f"column {self.column_!r} is naive but was tz-aware ({self.tz_}) "
                            "at fit; localize it or refit")
        return ts.dt.as_unit(self.unit_).to_numpy().astype(np.int64)

    # -- fit --------------------------------------------------------------------------------------
    def _fit(self, values: pd.Series) -> None:
        self.storage_ = self._storage(values)
        ts = self._parse(values, self.storage_)
        self.unit_: str = ts.dt.unit if len(ts) else "s"
        tz = ts.dt.tz if len(ts) else getattr(values.dtype, "tz", None)
        self.tz_: str | None = None if tz is None else str(tz)
        self._tz: Any = tz
        # Local midnight is `origin` in UTC counts: days are measured from it.
        offset = ts.iloc[0].utcoffset() if tz is not None and len(ts) else None
        self.origin_ = 0
        if offset is not None:
            self.origin_ = -(pd.Timedelta(offset).value // _UNIT_NS[self.unit_])
        t = self._to_ints(values)
        self.resolution_ = self._coarsest(t)
        lo, hi = (int(t.min()), int(t.max())) if t.size else (0, 0)
        self._min = self._bound(self.spec.minimum, lo)
        self._max = self._bound(self.spec.maximum, hi)
        self._prepare()

    def _coarsest(self, t: np.ndarray) -> str:
        unit_ns = _UNIT_NS[self.unit_]
        shifted = t - self.origin_
        for name, ns in RESOLUTIONS.items():
            if ns % unit_ns == 0 and not np.any(shifted % (ns // unit_ns)):
                return name
        return "ns"  # unreachable: the unit itself always divides

    def _bound(self, given: str | None, observed: int) -> int:
        if given is None:
            return observed
        ts = pd.Timestamp(given)
        if self._tz is not None:
            ts = ts.tz_localize(self._tz) if ts.tz is None else ts.tz_convert(self._tz)
            ts = ts.tz_convert(None)
        elif ts.tz is not None:
            ts = ts.tz_localize(None)
        return int(ts.as_unit(self.unit_).asm8.astype(np.int64))

    def _prepare(self) -> None:
        """Derived quantities, as grid indices (k means ``origin_ + k * step``)."""
        step, origin = RESOLUTIONS[self.resolution_] // _UNIT_NS[self.unit_], self.origin_
        self._step = step
        self._bq, below = divmod(self._min - origin, step)  # grid index at or below minimum
        self._frac = below / step
        klo = -((origin - self._min) // step)  # first grid point >= minimum
        khi = (self._max - origin) // step  # last grid point <= maximum
        self._exact_clip = klo > khi  # both bounds inside one step: clip to them exactly
        if self._exact_clip:
            klo, khi = self._bq, -((origin - self._max) // step)
        self._klo, self._khi = float(klo - self._bq), float(khi - self._bq)

    @property
    def minimum_(self) -> pd.Timestamp:
        """Lower bound of decoded values."""
        return self._timestamps(np.array([self._min])).iloc[0]

    @property
    def maximum_(self) -> pd.Timestamp:
        """Upper bound of decoded values."""
        return self._timestamps(np.array([self._max])).iloc[0]

    # -- transform --------------------------------------------------------------------------------
    def _transform(self, values: pd.Series) -> np.ndarray:
        # Grid index minus the minimum's, split so that no int64 difference can overflow.
        q, r = np.divmod(self._to_ints(values) - self.origin_, self._step)
        return (q - self._bq).astype(np.float64) + (r / self._step - self._frac)

    def _inverse_transform(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        # 1. round to the grid, 2. clip to the (grid-aligned) bounds, 3. restore the storage.
        x = np.asarray(values, dtype=np.float64).reshape(-1)
        j = np.rint(np.clip(x + self._frac, self._klo, self._khi)).astype(np.int64)
        t = self.origin_ + (self._bq + j) * self._step
        if self._exact_clip:
            t = np.clip(t, self._min, self._max)
        return self._restore(self._timestamps(t))

    def inverse_transform_unbounded(self, values: np.ndarray) -> pd.Series:
        """:meth:`inverse_transform` without the clip to the fitted bounds: times after the
        data's last one (a forecast), rounded to the resolution, in the column's storage.

        >>> s = pd.Series(["2024-01-05", "2024-01-01"], name="day")
        >>> enc = DatetimeEncoder(Datetime(format="%Y-%m-%d")).fit(s)
        >>> enc.inverse_transform_unbounded(np.array([10.0])).tolist()
        ['2024-01-11']
        """
        self._check_fitted()
        x = np.asarray(values, dtype=np.float64).reshape(-1)
        t = self.origin_ + (self._bq + np.rint(x + self._frac).astype(np.int64)) * self._step
        return self._restore(self._timestamps(t))

    def _timestamps(self, t: np.ndarray) -> pd.Series:
        ts = pd.Series(t.astype(f"datetime64[{self.unit_}]"), name=self.column_)
        if self._tz is not None:
            ts = ts.dt.tz_localize("UTC").dt.tz_convert(self._tz)
        return ts

    def _restore(self, ts: pd.Series) -> pd.Series:
        storage = self.storage_
        if storage == "native":
            return ts.astype(self.dtype_)
        if storage == "string":
            return ts.dt.strftime(self.spec.format).astype(self.dtype_)
        if storage == "integer":
            return ts.dt.strftime(self.spec.format).astype(np.int64).astype(self.dtype_)
        if storage == "date":
            return pd.Series(ts.dt.date, name=self.column_, dtype=object)
        return ts.astype(object)

    # -- the grid of the binned codec: steps of the resolution since the epoch -------------------
    def fit_grid(self, series: pd.Series) -> DatetimeEncoder:
        self.fit(series)
        self._min = self._max = self.origin_  # the data's own bounds are never kept
        self._prepare()
        return self

    def to_grid(self, series: pd.Series) -> np.ndarray:
        out = np.full((len(series), 1), np.nan)
        ok = series.notna().to_numpy()
        out[ok, 0] = (self._to_ints(series[ok]) - self.origin_) / self._step
        return out

    def from_grid(self, x: np.ndarray, bounds: list[tuple[float, float]],
                  rng: np.random.Generator) -> pd.Series:
        self._check_fitted()
        steps = np.rint(np.clip(np.asarray(x)[:, 0], *bounds[0])).astype(np.int64)
        return self._restore(self._timestamps(self.origin_ + steps * self._step))

    def grid_bounds(self) -> list[tuple[float | None, float | None]]:
        return [(self._grid(self.spec.minimum), self._grid(self.spec.maximum))]

    def _grid(self, bound: str | None) -> float | None:
        """A declared ISO bound in steps since the epoch."""
        if bound is None:
            return None
        return float(self._bound(bound, 0) - self.origin_) / self._step

    def grid_integer(self) -> list[bool]:
        return [True]

    # -- state ------------------------------------------------------------------------------------
    def _get_state(self) -> State:
        return {"spec": self.spec.to_dict(), "storage": self.storage_, "unit": self.unit_,
                "tz": self.tz_, "origin": int(self.origin_), "resolution": self.resolution_,
                "minimum": int(self._min), "maximum": int(self._max)}

    def _set_state(self, state: State) -> None:
        self.spec = column_from_dict(state["spec"], name=self.column_ or "?")
        self.storage_ = state["storage"]
        self.unit_ = state["unit"]
        self.tz_ = state["tz"]
        self.origin_ = int(state["origin"])
        self.resolution_ = state["resolution"]
        self._min = int(state["minimum"])
        self._max = int(state["maximum"])
        self._tz = None
        if self.tz_ is not None:
            self._tz = pd.api.types.pandas_dtype(f"datetime64[ns, {self.tz_}]").tz
        self._prepare()
