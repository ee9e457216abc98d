"""The plan of a partitioned draw: which rows go to which file, from which random stream.

``n`` rows are drawn as chunks of ``chunk_rows`` (:func:`simulacra.randomness.chunk_plan`:
chunk ``i`` from the ``i``-th child of the seed's :class:`numpy.random.SeedSequence`), and
partition ``p`` of ``P`` holds the chunks ``[p·C/P, (p+1)·C/P)`` of the ``C`` chunks, a Parquet
row group (or a run of CSV lines) each. A partition's bytes therefore depend on the model, the
plan and its index only: the files are the same for any number of workers, and their rows, read
in order, are the same for any number of partitions (and the same as the HTTP service's
response to the same ``n``, seed and chunk size).

>>> plan = SamplePlan(n=250, seed=7, partitions=2, chunk_rows=100, fmt="parquet",
...                   model_sha256="0" * 64)
>>> [plan.chunks_of(p) for p in range(2)], [plan.rows_of(p) for p in range(2)]
([range(0, 1), range(1, 3)], [100, 150])
>>> plan.file_name(1)
'part-00001.parquet'
>>> SamplePlan.from_json(plan.to_json()) == plan
True
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from simulacra.errors import ParameterError, check_param

#: The formats a partitioned draw can write.
FORMATS = ("parquet", "csv")
#: Rows drawn at once by one worker (a row group of a Parquet partition).
DEFAULT_CHUNK_ROWS = 100_000
#: The name of the plan file in the working folder, and of the manifest in the finished one.
PLAN_FILE = "_plan.json"
MANIFEST_FILE = "_simulacra.json"


class JsonPlan:
    """A plan dataclass written as JSON for the workers, and read back from it."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Self:
        from simulacra.io import load_json

        data = load_json(text)  # nesting bounded: a plan may come from another machine
        if not isinstance(data, dict):
            raise ValueError("a plan is a JSON object")
        return cls(**data)


@dataclass(frozen=True)
class SamplePlan(JsonPlan):
    """What a partitioned draw writes (everything a worker needs besides the model file)."""

    n: int
    seed: int
    partitions: int
    chunk_rows: int
    fmt: str
    model_sha256: str
    #: ``{column: value}``; a range is a two-item list (JSON has no tuples).
    conditions: dict[str, Any] = field(default_factory=dict)
    #: ``[[column, [[category, share], ...]]]`` (categories need not be text), or None.
    rebalance: list[Any] | None = None

    def __post_init__(self) -> None:
        whole = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
        check_param("n", self.n, "an integer >= 1", whole(self.n) and self.n >= 1)
        check_param("seed", self.seed, "an integer >= 0", whole(self.seed) and self.seed >= 0)
        check_param("chunk_rows", self.chunk_rows, "an integer >= 1",
                    whole(self.chunk_rows) and self.chunk_rows >= 1)
        check_param("format", self.fmt, f"one of {', '.join(FORMATS)}", self.fmt in FORMATS)
        ok = whole(self.partitions) and 1 <= self.partitions <= self.chunks
        if not ok:
            raise ParameterError(
                f"partitions must be an integer from 1 to {self.chunks} (the number of chunks "
                f"of {self.chunk_rows:,} rows in {self.n:,}), got {self.partitions!r}; give "
                "fewer partitions or a smaller chunk_rows")

    @property
    def chunks(self) -> int:
        return math.ceil(self.n / self.chunk_rows)

    def chunks_of(self, partition: int) -> range:
        """The indices of the chunks partition ``partition`` holds."""
        return range(partition * self.chunks // self.partitions,
                     (partition + 1) * self.chunks // self.partitions)

    def chunk_rows_of(self, chunk: int) -> int:
        return min(self.chunk_rows, self.n - chunk * self.chunk_rows)

    def rows_of(self, partition: int) -> int:
        return sum(self.chunk_rows_of(c) for c in self.chunks_of(partition))

    def file_name(self, partition: int) -> str:
        width = max(5, len(str(self.partitions - 1)))
        return f"part-{partition:0{width}d}.{self.fmt}"

    def typed_conditions(self) -> dict[str, Any]:
        """The conditions as :meth:`Synthesizer.sample` takes them (ranges as tuples)."""
        return typed_conditions(self.conditions)

    def typed_rebalance(self) -> dict[str, dict[Any, float]] | None:
        if self.rebalance is None:
            return None
        return {column: {_tuples(k): float(s) for k, s in shares}
                for column, shares in self.rebalance}



def plan_conditions(conditions: dict[str, Any] | None) -> dict[str, Any]:
    """``conditions`` in JSON's terms, checked to be values JSON can carry."""
    return {str(c): _jsonable(v, f"condition on {c!r}") for c, v in (conditions or {}).items()}


def typed_conditions(conditions: dict[str, Any]) -> dict[str, Any]:
    """Conditions carried as JSON back in ``sample``'s terms: a range as a tuple."""
    return {c: _tuples(v) for c, v in conditions.items()}


def plan_rebalance(rebalance: dict[str, dict[Any, float]] | None) -> list[Any] | None:
    if rebalance is None:
        return None
    return [[str(column), [[_jsonable(k, f"rebalance of {column!r}"), float(s)]
                           for k, s in shares.items()]]
            for column, shares in rebalance.items()]


def _jsonable(value: Any, where: str) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item(), where)
    raise ParameterError(f"{where}: {value!r} is not a number, text, boolean or null; a "
                         "partitioned draw carries its conditions as JSON")


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
