"""Points in time: ``datetime`` and ``date`` between ``min`` and ``max``.

Values lie on a grid of ``resolution`` (``s`` for datetimes, ``D`` for dates; also ``ms``,
``min``, ``h``) inside ``[min, max]``. ``distribution`` is ``uniform`` by default; ``normal``
(``mean`` a date, ``std`` a duration such as ``"90D"``), ``triangular`` (``mode`` a date),
``beta`` (``a``, ``b``), ``exponential``, ``gamma`` and ``weibull`` (``scale`` a duration, from
``min``) are truncated to the range. Without ``format`` the column is ``datetime64[ns]``; with
one (strftime, e.g. ``"%d/%m/%Y"``) it is text.

>>> from simulacra.schema.kinds import column_from_dict
>>> from simulacra.schema.spec import bare_context
>>> day = column_from_dict({"kind": "date", "min": "2024-01-01", "max": "2024-01-31",
...                         "format": "%d.%m.%Y"}, name="day")
>>> ctx = bare_context()
>>> out = day.output(day.draw(1000, ctx), formatted=True, ctx=ctx)
>>> out.str.endswith(".01.2024").all(), day.capacity()
(np.True_, 31.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.kinds import ColumnKind, Datetime
from simulacra.schema.distributions import DISTRIBUTIONS
from simulacra.schema.spec import (
    ColumnSpec,
    DrawContext,
    as_text,
    suggest,
    to_timestamp,
    unknown_keys,
)

#: Grid steps in nanoseconds.
RESOLUTIONS: dict[str, int] = {"D": 86_400 * 10**9, "h": 3_600 * 10**9, "min": 60 * 10**9,
                               "s": 10**9, "ms": 10**6}
#: Distributions a datetime column can follow; parameters that are dates or durations.
_FAMILIES = ("uniform", "normal", "triangular", "beta", "exponential", "gamma", "weibull")
_INSTANTS, _DURATIONS = ("mean", "mode"), ("std", "scale")


@dataclass(frozen=True, repr=False)
class DatetimeColumn(ColumnSpec):
    """A timestamp in ``[min, max]`` on a grid of ``resolution``; see the module doc."""

    kind: ClassVar[str] = "datetime"
    raw_dtype: ClassVar[Any] = "datetime64[ns]"
    raw_null: ClassVar[Any] = np.datetime64("NaT", "ns")
    formats: ClassVar[bool] = True

    min: Any = None
    max: Any = None
    distribution: str = "uniform"
    resolution: str = "s"
    format: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def problems(self, name: str) -> list[str]:
        where = f"column {name!r}"
        out = []
        bounds = []
        for side in ("min", "max"):
            value = getattr(self, side)
            if value is None:
                out.append(f"{where}: give {side} (a date such as 2024-01-31 or "
                           "'2024-01-31 18:00')")
                continue
            try:
                bounds.append(to_timestamp(value))
            except (ValueError, TypeError):
                out.append(f"{where}: {side} {value!r} is not a date or datetime")
        if self.resolution not in RESOLUTIONS:
            out.append(f"{where}: resolution must be one of {', '.join(RESOLUTIONS)}, got "
                       f"{self.resolution!r}")
        if self.format is not None and (not isinstance(self.format, str)
                                        or "%" not in self.format):
            out.append(f"{where}: format must be a strftime format such as '%Y-%m-%d', got "
                       f"{self.format!r}")
        if self.distribution not in _FAMILIES:
            out.append(f"{where}: unknown distribution {self.distribution!r} for a "
                       f"{self.kind}{suggest(self.distribution, _FAMILIES)}; use one of "
                       f"{', '.join(_FAMILIES)}")
        if out:
            return out
        if bounds[0] > bounds[1]:
            return [f"{where}: min {self.min} is after max {self.max}; swap them"]
        low, high = self._grid()
        if low > high:
            return [f"{where}: no value on the {self.resolution!r} grid lies between min "
                    f"{self.min} and max {self.max}; widen the range or use a finer resolution"]
        family = DISTRIBUTIONS[self.distribution]
        allowed = tuple(p.name for p in family.params)
        unknown = unknown_keys(self, name, self.params, family.name, allowed)
        if unknown:
            return unknown
        try:
            seconds = self._seconds()
        except (ValueError, TypeError) as err:
            return [f"{where}: {err}"]
        span = (high - low) / 1e9
        return [f"{where}: {p}" for p in family.problems(seconds, 0.0, span)]

    def _grid(self) -> tuple[int, int]:
        """The first and last grid instants (ns since 1970) inside ``[min, max]``."""
        step = RESOLUTIONS[self.resolution]
        low = to_timestamp(self.min).as_unit("ns").value
        high = to_timestamp(self.max).as_unit("ns").value
        return -(-low // step) * step, high // step * step

    def _seconds(self) -> dict[str, float]:
        """The parameters as numbers: instants in seconds after the first grid instant,
        durations in seconds."""
        low, _ = self._grid()
        out = {}
        for key, value in self.params.items():
            if key in _INSTANTS:
                try:
                    out[key] = (to_timestamp(value).as_unit("ns").value - low) / 1e9
                except (ValueError, TypeError):
                    raise ValueError(f"{key} must be a date or datetime, got {value!r}"
                                     ) from None
            elif key in _DURATIONS:
                try:
                    if isinstance(value, int | float):
                        raise ValueError
                    out[key] = pd.Timedelta(value).total_seconds()
                except (ValueError, TypeError):
                    raise ValueError(f"{key} must be a duration such as '30D', '12h' or "
                                     f"'90 days', got {value!r}") from None
            else:
                out[key] = value
        if self.distribution == "normal" and "mean" not in out:
            out["mean"] = (self._grid()[1] - low) / 2e9  # default: the middle of the range
        return out

    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        low, high = self._grid()
        step = RESOLUTIONS[self.resolution]
        last = (high - low) // step
        if self.distribution == "uniform":
            steps = ctx.rng.integers(0, last + 1, size=k)
        else:
            seconds = DISTRIBUTIONS[self.distribution].sample(
                ctx.rng, k, self._seconds(), 0.0, (high - low) / 1e9)
            steps = np.clip(np.rint(seconds * (1e9 / step)), 0, last).astype(np.int64)
        return (low + steps * step).astype("datetime64[ns]")

    def capacity(self) -> float:
        low, high = self._grid()
        return float((high - low) // RESOLUTIONS[self.resolution] + 1)

    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        return datetime_output(raw, self.format if formatted else None)

    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        return Datetime(minimum=str(to_timestamp(self.min)), maximum=str(to_timestamp(self.max)))

    def tightened(self, low: Any, high: Any) -> DatetimeColumn:
        """This column (and its cases) kept within ``[low, high]`` as well."""
        lo = self.min if low is None or to_timestamp(low) <= to_timestamp(self.min) else low
        hi = self.max if high is None or to_timestamp(high) >= to_timestamp(self.max) else high
        cases = {key: case.tightened(low, high) for key, case in self.cases.items()
                 if isinstance(case, DatetimeColumn)}
        return self.with_fields(min=lo, max=hi, cases=cases)  # type: ignore[return-value]


@dataclass(frozen=True, repr=False)
class DateColumn(DatetimeColumn):
    """A calendar date: a datetime on the ``D`` grid (midnight), ``datetime64[ns]`` unless a
    ``format`` makes it text."""

    kind: ClassVar[str] = "date"
    resolution: str = "D"

    def problems(self, name: str) -> list[str]:
        if self.resolution != "D":
            return [f"column {name!r}: a date has resolution 'D'; use kind: datetime for "
                    f"{self.resolution!r}"]
        return super().problems(name)


def datetime_output(raw: np.ndarray, fmt: str | None) -> pd.Series:
    """datetime64 values as a column: native without ``fmt``, else strftime text."""
    values = pd.Series(raw, dtype="datetime64[ns]")
    if fmt is None:
        return values
    if fmt == "%Y-%m-%d":  # the common case, several times faster than strftime
        text = raw.astype("datetime64[D]").astype(str).astype(object)
        text[np.isnat(raw)] = None
        return as_text(text)
    return as_text(values.dt.strftime(fmt).to_numpy(dtype=object))


