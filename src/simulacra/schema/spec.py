"""The column-spec protocol: what every kind of schema column declares and how it draws.

A column spec is a frozen value object (one class per ``kind``, listed in
:data:`simulacra.schema.kinds.COLUMN_KINDS`). It validates its own fields
(:meth:`ColumnSpec.problems`), names the columns of its table it reads
(:meth:`ColumnSpec.reads`), draws *raw* values vectorized (:meth:`ColumnSpec.draw`: floats,
datetime64, objects or row indices, nulls excluded) and turns raw values into the column a user
sees (:meth:`ColumnSpec.output`). Everything that is the same
for every kind — nulls (``null_rate``), ``unique``, ``hidden``, and values that depend on
another column (``given`` with ``cases``) — is done once, by the generator.

>>> from simulacra.schema.kinds import IntegerColumn
>>> spec = spec_from_dict(IntegerColumn, {"min": 1, "max": 6}, name="die")
>>> spec
IntegerColumn(min=1, max=6)
>>> spec.to_dict()
{'kind': 'integer', 'min': 1, 'max': 6}
"""

from __future__ import annotations

import dataclasses
import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.errors import MetadataError

if TYPE_CHECKING:
    from simulacra.kinds import ColumnKind

#: Fields every column kind has (handled by the generator, not by the kind).
COMMON_FIELDS = ("kind", "null_rate", "unique", "hidden", "given", "cases", "description")


@dataclass
class DrawContext:
    """What a column sees while drawing ``len(rows)`` values.

    ``rows`` are the row positions being drawn (sequences use them); ``deps`` the values of the
    columns it reads, for exactly those rows (as :meth:`ColumnSpec.output` gives them,
    unformatted); ``source`` returns a whole column of this or another table (references);
    ``cache`` keeps what is expensive to rebuild (Faker pools) across re-draws. ``raws`` are
    the raw values of the columns it reads (row indices for references).
    """

    rng: np.random.Generator
    rows: np.ndarray
    deps: Mapping[str, pd.Series]
    raws: Mapping[str, np.ndarray]
    table: str
    column: str
    locale: str
    cache: dict[Any, Any]
    source: Callable[[str, bool], pd.Series]
    total: int

    def subset(self, mask: np.ndarray) -> DrawContext:
        """The context of the rows where ``mask`` is True."""
        deps = {k: v[mask].reset_index(drop=True) for k, v in self.deps.items()}
        raws = {k: v[mask] for k, v in self.raws.items()}
        return dataclasses.replace(self, rows=self.rows[mask], deps=deps, raws=raws)


def _no_source(ref: str, formatted: bool) -> pd.Series:
    raise MetadataError(f"no column {ref!r} to reference here")


def bare_context(seed: int = 0, rows: int = 0) -> DrawContext:
    """A context with no other columns (doctests, tests of one column)."""
    return DrawContext(rng=np.random.default_rng(seed), rows=np.arange(rows), deps={}, raws={},
                       table="table", column="column", locale="en_US", cache={},
                       source=_no_source, total=rows)


@dataclass(frozen=True, repr=False)
class ColumnSpec(ABC):
    """Base of every column kind. Common fields are keyword-only.

    ``null_rate``: share of nulls; ``unique``: no value repeats (nulls exempt); ``hidden``:
    generated and usable by other columns and constraints, but not written; ``given`` and
    ``cases``: when the row's ``given`` column equals a case key, the column is drawn from that
    case's spec (the same kind, with some fields changed) instead.
    """

    kind: ClassVar[str] = ""
    #: Fixed columns are never re-drawn when constraints re-sample rows (ids, references).
    fixed: ClassVar[bool] = False
    #: Whether ``unique: true`` is possible for the kind.
    can_be_unique: ClassVar[bool] = True
    #: Whether the kind takes ``given``/``cases`` (values that depend on another column).
    conditional: ClassVar[bool] = True
    #: Whether :meth:`output` differs with ``formatted`` (datetime formats).
    formats: ClassVar[bool] = False
    #: Numpy dtype of raw values.
    raw_dtype: ClassVar[Any] = np.float64
    #: The raw value that stands for a null.
    raw_null: ClassVar[Any] = np.nan

    null_rate: float = field(default=0.0, kw_only=True)
    unique: bool = field(default=False, kw_only=True)
    hidden: bool = field(default=False, kw_only=True)
    given: str | None = field(default=None, kw_only=True)
    cases: Mapping[Any, ColumnSpec] = field(default_factory=dict, kw_only=True)
    description: str = field(default="", kw_only=True, compare=False)

    # -- what a kind implements ----------------------------------------------------------------
    @abstractmethod
    def draw(self, k: int, ctx: DrawContext) -> np.ndarray:
        """``k`` raw values (never null; the generator adds nulls)."""

    @abstractmethod
    def output(self, raw: np.ndarray, *, formatted: bool, ctx: DrawContext) -> pd.Series:
        """The user-facing column for ``raw``; ``formatted=False`` keeps datetimes native."""

    @abstractmethod
    def to_kind(self, resolve: Callable[[str], ColumnSpec]) -> ColumnKind:
        """The metadata kind of the column (what constraints validate against).

        ``resolve("table.column")`` gives the spec of another column (references use it).
        """

    def empty(self, k: int) -> np.ndarray:
        """``k`` raw nulls, to be filled."""
        return np.full(k, self.raw_null, dtype=self.raw_dtype)

    def problems(self, name: str) -> list[str]:
        """What is wrong with the kind's own fields (the common ones are checked elsewhere)."""
        return []

    def reads(self) -> tuple[str, ...]:
        """Columns of the same table this kind needs before it can draw (not ``given``)."""
        return ()

    def capacity(self) -> float:
        """How many distinct values the kind can produce (``inf`` when unbounded)."""
        return float("inf")

    def draw_unique(self, k: int, ctx: DrawContext) -> np.ndarray | None:
        """``k`` distinct raw values by construction, or None to re-draw duplicates."""
        return None

    # -- shared -------------------------------------------------------------------------------
    def with_fields(self, **changes: Any) -> ColumnSpec:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form; fields left at their default are omitted."""
        out: dict[str, Any] = {"kind": self.kind}
        fields = sorted(dataclasses.fields(self), key=lambda f: f.name in COMMON_FIELDS)
        for f in fields:  # the kind's own fields first, then null_rate, unique, …
            value = getattr(self, f.name)
            if f.name == "cases":
                continue
            if f.name == "params":
                out.update(_plain(value))
                continue
            default = f.default if f.default is not dataclasses.MISSING else \
                (f.default_factory() if f.default_factory is not dataclasses.MISSING
                 else dataclasses.MISSING)
            if value != default:
                out[f.name] = _plain(value)
        if self.cases:
            out["cases"] = {key: _case_dict(case.to_dict(), out)
                            for key, case in self.cases.items()}
        return out

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "kind")
        return f"{type(self).__name__}({fields})"


def _case_dict(case: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Only what a case changes from its base (a field it drops becomes None)."""
    out = {k: v for k, v in case.items() if base.get(k, _MISSING) != v}
    for k in base:
        if k not in case and k not in ("cases", "given"):
            out[k] = None
    return out


_MISSING = object()


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def spec_from_dict(cls: type[ColumnSpec], data: Mapping[str, Any], *,
                   name: str = "?") -> ColumnSpec:
    """Build a column spec of class ``cls`` from its YAML/dict form, listing every problem.

    ``kind`` in ``data``, if given, must be ``cls.kind``; the registry of kinds
    (:func:`simulacra.schema.kinds.column_from_dict`) chooses the class from it.
    """
    problems: list[str] = []
    spec = build_spec(cls, data, name, problems)
    return checked(spec, name, problems)


def checked(spec: ColumnSpec | None, name: str, problems: list[str]) -> ColumnSpec:
    """``spec`` once its own and the common checks pass; else every problem, raised at once."""
    if spec is not None:
        problems += spec.problems(name)
        problems += common_problems(spec, name)
    if problems:
        raise MetadataError(problems, header=f"Invalid column {name!r}")
    assert spec is not None
    return spec


def build_spec(cls: type[ColumnSpec], data: Mapping[str, Any], name: str,
               problems: list[str]) -> ColumnSpec | None:
    """``cls`` built from ``data`` (with its ``cases``), or None; problems are appended."""
    kind = cls.kind
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    takes_params = "params" in fields
    kwargs: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("kind", "cases"):
            continue
        if key in fields and key != "params":
            kwargs[key] = value
        elif takes_params:
            params[key] = value
        else:
            allowed = sorted(fields - {"cases"})
            problems.append(f"column {name!r}: {kind} has no field {key!r}"
                            f"{suggest(key, allowed)} (fields: {', '.join(allowed)})")
    if takes_params:
        kwargs["params"] = params
    try:
        spec = cls(**kwargs)
    except (TypeError, ValueError) as err:
        problems.append(f"column {name!r}: {err}")
        return None
    cases = data.get("cases")
    if cases is None:
        return spec
    if not isinstance(cases, Mapping) or not cases:
        problems.append(f"column {name!r}: cases must map values of the 'given' column to the "
                        f"fields that change, e.g. {{vip: {{mean: 90}}}}; got {cases!r}")
        return spec
    built: dict[Any, ColumnSpec] = {}
    base = {k: v for k, v in data.items() if k not in ("cases", "given")}
    for key, change in cases.items():
        where = f"{name!r} (case {key!r})"
        if not isinstance(change, Mapping):
            problems.append(f"column {where}: a case must be a mapping of fields, got "
                            f"{change!r}")
            continue
        bad = sorted(set(change) & {"kind", "given", "cases", "unique", "hidden"})
        if bad:
            problems.append(f"column {where}: a case cannot change {', '.join(bad)}")
            continue
        merged = {k: v for k, v in {**base, **change}.items() if v is not None}
        case_problems: list[str] = []
        case = build_spec(cls, merged, name, case_problems)
        if case is not None:
            case_problems += case.problems(name)
            if not 0 <= case.null_rate <= 1:
                case_problems.append(f"column {name!r}: null_rate must be between 0 and 1")
        problems += [p.replace(f"column {name!r}", f"column {where}", 1) for p in case_problems]
        if case is not None:
            built[key] = case
    return spec.with_fields(cases=built)


def common_problems(spec: ColumnSpec, name: str) -> list[str]:
    """Checks of the fields every kind has."""
    out = []
    rate = spec.null_rate
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        out.append(f"column {name!r}: null_rate must be a number between 0 and 1, got {rate!r}")
    for flag in ("unique", "hidden"):
        if not isinstance(getattr(spec, flag), bool):
            out.append(f"column {name!r}: {flag} must be true or false, got "
                       f"{getattr(spec, flag)!r}")
    if spec.unique and not spec.can_be_unique:
        out.append(f"column {name!r}: a {spec.kind} column cannot be unique by construction; "
                   "drop unique: true, or declare a {type: unique, columns: [...]} constraint")
    if spec.given is not None and not isinstance(spec.given, str):
        out.append(f"column {name!r}: given must name a column, got {spec.given!r}")
    if spec.cases and spec.given is None:
        out.append(f"column {name!r}: cases need given: <column> (the column whose value "
                   "picks the case)")
    if spec.given is not None and not spec.cases:
        out.append(f"column {name!r}: given: {spec.given} needs cases: {{value: {{fields}}}}")
    if spec.given is not None and spec.unique:
        out.append(f"column {name!r}: unique and given cannot be combined")
    if spec.given is not None and not spec.conditional:
        out.append(f"column {name!r}: a {spec.kind} column cannot depend on another column "
                   "(given/cases)")
    return out


def unknown_keys(spec: ColumnSpec, name: str, params: Any, family: str,
                 allowed: tuple[str, ...]) -> list[str]:
    """Messages for keys that are neither fields of the kind nor parameters of its family."""
    fields = [f.name for f in dataclasses.fields(spec) if f.name not in ("params", "cases")]
    out = []
    for key in params:
        if key not in allowed:
            out.append(f"column {name!r}: {spec.kind} has no field {key!r}"
                       f"{suggest(key, [*fields, *allowed])}; its fields are "
                       f"{', '.join(fields)}, plus the parameters of its distribution "
                       f"({family}: {', '.join(allowed) or 'none'})")
    return out


def suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def to_timestamp(value: Any) -> pd.Timestamp:
    """A date/datetime/ISO string (YAML dates included) as a naive UTC Timestamp."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


_TEXT = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def as_text(values: np.ndarray) -> pd.Series:
    """An object array of strings (None for null) as the pandas string column users expect."""
    return pd.Series(values, dtype=_TEXT)


def infer_output(raw: np.ndarray) -> pd.Series:
    """An object array of Python scalars (None for null) in the natural pandas dtype.

    >>> [str(infer_output(np.array(v, dtype=object)).dtype) for v in ([1, None], [2.5], [True])]
    ['Int64', 'float64', 'bool']
    """
    nulls = pd.isna(raw)
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    if inferred in ("string", "empty"):
        return as_text(raw)
    if inferred == "integer":
        return pd.Series(pd.array(raw, dtype="Int64")) if nulls.any() else \
            pd.Series(raw.astype(np.int64))
    if inferred in ("floating", "mixed-integer-float", "decimal"):
        return pd.Series(pd.to_numeric(pd.Series(raw), errors="coerce").astype(float))
    if inferred == "boolean":
        return pd.Series(pd.array(raw, dtype="boolean")) if nulls.any() else \
            pd.Series(raw.astype(bool))
    if inferred in ("date", "datetime", "datetime64"):
        return pd.Series(pd.to_datetime(pd.Series(raw)).astype("datetime64[ns]"))
    return pd.Series(raw, dtype=object)
