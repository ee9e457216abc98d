"""Geographic points: one ``"lat, lon"`` column encoded as two numbers, written back as it came.

The encoder learns how points are written — brackets, separator, digits after the point of
each coordinate, or ``(lat, lon)`` tuples — and the box the points lie in; it encodes a point
as its latitude and longitude (two continuous parts, ``#lat`` and ``#lon``) and decodes two
numbers by clipping them to the box (and the globe), rounding, and writing them the same way.

>>> s = pd.Series(["48.8566, 2.3522", "45.7640, 4.8357", None, "43.2965, 5.3698"], name="at")
>>> enc = LatLonEncoder().fit(s)
>>> enc.parts, enc.decimals_, enc.separator_
(('#lat', '#lon'), [4, 4], ', ')
>>> enc.transform(s.dropna())[0].tolist()
[48.8566, 2.3522]
>>> enc.inverse_transform(np.array([[44.123456, 3.0], [60.0, -9.0]]), None).tolist()
['44.1235, 3.0000', '48.8566, 2.3522']
>>> LatLonEncoder.matches(s, ((44, 2), ("47, 6"))).tolist()  # a box: two corners
[False, True, False, False]
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import ContinuousEncoder, State
from simulacra.errors import DataError
from simulacra.kinds import ColumnKind, LatLon, column_from_dict

#: The globe: no decoded point leaves it.
_WORLD = ((-90.0, 90.0), (-180.0, 180.0))
_MAX_DECIMALS = 10


class LatLonEncoder(ContinuousEncoder):
    """Encode points as ``(n, 2)`` float64: latitude, longitude.

    Learned from the non-null values: ``storage_`` (``"text"`` or ``"tuple"``), for text the
    most common ``before_``, ``separator_`` and ``after_`` strings around the numbers, and
    ``decimals_`` (per coordinate, the most digits after the point seen; ``spec.decimals``
    when declared; ``None`` for tuples: not rounded), and ``bounds_``, the box of the points.
    """

    name: ClassVar[str] = "latlon"
    parts: ClassVar[tuple[str, ...]] = ("#lat", "#lon")

    def __init__(self, spec: LatLon | None = None) -> None:
        super().__init__()
        self.spec = spec if spec is not None else LatLon()

    # -- fit ------------------------------------------------------------------------------------
    def _fit(self, values: pd.Series) -> None:
        lat, lon = self._read(values)
        text = [v for v in values.array if isinstance(v, str)]
        self.storage_ = "text" if text or not len(values) else "tuple"
        self.before_, self.separator_, self.after_ = "", ", ", ""
        decimals: list[int | None] = [None, None]
        if text:
            layouts = [LatLon.layout(v) for v in text]
            self.before_, self.separator_, self.after_ = Counter(
                (b, s, a) for b, s, a, _, _ in layouts).most_common(1)[0][0]
            decimals = [max(d for *_, d, _ in layouts), max(d for *_, d in layouts)]
        if self.spec.decimals is not None:
            decimals = [int(self.spec.decimals)] * 2
        self.decimals_ = [None if d is None else min(d, _MAX_DECIMALS) for d in decimals]
        self.bounds_: list[tuple[float | None, float | None]] = (
            [(float(lat.min()), float(lat.max())), (float(lon.min()), float(lon.max()))]
            if len(lat) else [(None, None), (None, None)])

    def _read(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Latitudes and longitudes of non-null ``values``, refusing anything not a point."""
        lat, lon = LatLon.parse(values)
        bad = np.isnan(lat) & values.notna().to_numpy()
        if bad.any():
            shown = ", ".join(repr(v)[:40] for v in values[bad].unique()[:5])
            raise DataError(f"column {self.column_!r} has values that are not 'lat, lon' points "
                            f"in decimal degrees within ±90 / ±180 ({shown}); clean them or "
                            "declare another kind")
        return lat, lon

    # -- transform ------------------------------------------------------------------------------
    def _transform(self, values: pd.Series) -> np.ndarray:
        return np.column_stack(self._read(values))

    def _inverse_transform(self, values: np.ndarray, rng: np.random.Generator | None
                           ) -> pd.Series:
        return self._decode(values, self.bounds_)

    def _decode(self, values: np.ndarray,
                bounds: list[tuple[float | None, float | None]]) -> pd.Series:
        # 1. clip to the box and the globe, 2. round, 3. write as the column wrote points
        x = np.asarray(values, dtype=np.float64).reshape(-1, 2).copy()
        for j in range(2):
            low, high = bounds[j]
            lo = _WORLD[j][0] if low is None else max(low, _WORLD[j][0])
            hi = _WORLD[j][1] if high is None else min(high, _WORLD[j][1])
            x[:, j] = np.clip(x[:, j], lo, hi)
            if self.decimals_[j] is not None:
                x[:, j] = np.round(x[:, j], self.decimals_[j])
        if self.storage_ == "tuple":
            out = np.empty(len(x), dtype=object)
            out[:] = [(float(a), float(b)) for a, b in x]
            return pd.Series(out, name=self.column_, dtype=object)
        d_lat, d_lon = (self.decimals_[0] or 0), (self.decimals_[1] or 0)
        text = [f"{self.before_}{a:.{d_lat}f}{self.separator_}{b:.{d_lon}f}{self.after_}"
                for a, b in x]
        series = pd.Series(text, name=self.column_, dtype=object)
        return series if self.dtype_ == "object" else series.astype(self.dtype_)

    # -- the grid of the binned codec: degrees --------------------------------------------------
    def fit_grid(self, series: pd.Series) -> LatLonEncoder:
        self.fit(series)
        self.bounds_ = [(None, None), (None, None)]
        return self

    def to_grid(self, series: pd.Series) -> np.ndarray:
        lat, lon = LatLon.parse(series)
        return np.column_stack([lat, lon])

    def from_grid(self, x: np.ndarray, bounds: list[tuple[float, float]],
                  rng: np.random.Generator) -> pd.Series:
        self._check_fitted()
        return self._decode(x, bounds)

    def grid_bounds(self) -> list[tuple[float | None, float | None]]:
        return [(None, None), (None, None)]

    def grid_integer(self) -> list[bool]:
        return [False, False]

    # -- reading raw values ---------------------------------------------------------------------
    @classmethod
    def matches(cls, values: pd.Series, condition: Any) -> np.ndarray:
        """A ``(corner, corner)`` condition is a box: points whose latitude and longitude lie
        between the corners' (each corner ``"lat, lon"`` or a ``(lat, lon)`` pair)."""
        if isinstance(condition, tuple) and len(condition) == 2:
            corners = LatLon.parse(pd.Series(list(condition), dtype=object))
            if not np.isnan(corners[0]).any():
                lat, lon = LatLon.parse(values)
                (lat_lo, lat_hi), (lon_lo, lon_hi) = np.sort(corners[0]), np.sort(corners[1])
                return (lat >= lat_lo) & (lat <= lat_hi) & (lon >= lon_lo) & (lon <= lon_hi)
        return super().matches(values, condition)

    @classmethod
    def components(cls, values: pd.Series, spec: ColumnKind) -> dict[str, pd.Series] | None:
        lat, lon = LatLon.parse(values)
        return {"#lat": pd.Series(lat, index=values.index),
                "#lon": pd.Series(lon, index=values.index)}

    # -- state ----------------------------------------------------------------------------------
    def _get_state(self) -> State:
        return {"spec": self.spec.to_dict(), "storage": self.storage_, "before": self.before_,
                "separator": self.separator_, "after": self.after_,
                "decimals": self.decimals_, "bounds": [list(b) for b in self.bounds_]}

    def _set_state(self, state: State) -> None:
        self.spec = column_from_dict(state["spec"], name=self.column_ or "?")
        self.storage_ = str(state["storage"])
        self.before_, self.separator_, self.after_ = (str(state["before"]),
                                                      str(state["separator"]),
                                                      str(state["after"]))
        self.decimals_ = [None if d is None else int(d) for d in state["decimals"]]
        self.bounds_ = [(None if lo is None else float(lo), None if hi is None else float(hi))
                        for lo, hi in state["bounds"]]
