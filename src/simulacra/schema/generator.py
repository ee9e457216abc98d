"""``generate``: every table of a schema, drawn vectorized and reproducibly, rules held.

How one table is made:

1. its size: ``rows`` (or ``n``), or — when a reference has ``per_parent`` — the sum of the
   children drawn for every parent row;
2. constraints that can hold by construction rewrite the column specs
   (:mod:`simulacra.schema.plan`);
3. columns are drawn in dependency order (a column after the columns it reads), each from its
   own generator seeded by (seed, table, column), so adding or removing a column never changes
   the values of the others; nulls, ``unique`` and ``given``/``cases`` are applied here, the
   same way for every kind;
4. every constraint is checked; failing rows are re-drawn *exactly* (rejection sampling): only
   the columns that can change the outcome — the free columns a failing rule depends on and
   the columns computed from them — are re-drawn, several candidates per failing row at once,
   and the first passing candidate is kept. Ids, uuids, references, lookups and unique columns
   are never re-drawn. A rule that nothing can satisfy fails with the acceptance rate and the
   name of the rule that rejects the most rows;
5. values are turned into the output columns (formats applied), hidden columns left out.

>>> df = generate({"columns": {"n": {"kind": "integer", "min": 1, "max": 3},
...                            "m": {"expression": "n * 10"}},
...                "constraints": [{"type": "range", "column": "m", "low": 15}]},
...               n=5, random_state=0)
>>> bool((df["m"] == df["n"] * 10).all() and (df["m"] >= 15).all())
True
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.constraints import ConstraintSet
from simulacra.errors import DataError, ParameterError
from simulacra.randomness import RandomState, child_seed, make_rng
from simulacra.schema.document import GenerationSchema, column_parents
from simulacra.schema.plan import plan_table
from simulacra.schema.spec import ColumnSpec, DrawContext

logger = logging.getLogger(__name__)

SchemaLike = GenerationSchema | Mapping[str, Any] | str | Path
#: Constraint re-sampling gives up after this many re-drawn rows with no row passing ...
GIVE_UP_AFTER = 1_000_000
#: ... or after this many (or 20 per row of the table, if more) in all.
MAX_DRAWS = 20_000_000
#: At most this many candidate rows are drawn in one round, and at least this many when the
#: acceptance rate is low.
MAX_BATCH, MIN_BATCH = 2_000_000, 20_000
_MAX_CANDIDATES = 64
_UNIQUE_ROUNDS = 200


def as_schema(schema: SchemaLike) -> GenerationSchema:
    """A :class:`GenerationSchema` from itself, its dict form, or the path of a YAML file."""
    if isinstance(schema, GenerationSchema):
        return schema
    if isinstance(schema, Mapping):
        return GenerationSchema.from_dict(schema)
    if isinstance(schema, str | Path):
        return GenerationSchema.load(schema)
    raise ParameterError(f"The 'schema' parameter must be a GenerationSchema, a dict or the "
                         f"path of a YAML file. Got {type(schema).__name__} instead.")


def generate(schema: SchemaLike, n: int | Mapping[str, int] | None = None, *,
             random_state: RandomState = None) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Generate test data from a schema alone: no real data is read.

    ``schema`` is a :class:`GenerationSchema`, its dict form or the path of a YAML file (see
    docs/schema_generation.md). ``n`` sets the rows (see :meth:`GenerationSchema.rows`: an int
    sizes the first table and scales the others; a dict sets rows per table); by default each
    table's ``rows:``. Same ``random_state``, same data.

    Returns a DataFrame for a one-table schema, else a dict of DataFrames by table name (in
    schema order).

    >>> df = generate({"columns": {"id": {"kind": "id", "format": "U{:03d}"},
    ...                            "plan": {"categories": ["free", "pro"]}}},
    ...               n=3, random_state=0)
    >>> df["id"].tolist(), str(df["plan"].dtype)
    (['U001', 'U002', 'U003'], 'category')
    """
    frames = generate_tables(schema, n, random_state=random_state)
    return next(iter(frames.values())) if len(frames) == 1 else frames


def generate_tables(schema: SchemaLike, n: int | Mapping[str, int] | None = None, *,
                    random_state: RandomState = None) -> dict[str, pd.DataFrame]:
    """Like :func:`generate`, but always a dict of DataFrames by table name."""
    schema = as_schema(schema)
    if n is not None and not isinstance(n, Mapping) and (
            isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0):
        raise ParameterError(f"The 'n' parameter must be an integer >= 0 or a dict of rows by "
                             f"table. Got {n!r} instead.")
    seed = child_seed(make_rng(random_state))
    rows = schema.rows(None if n is None else n if isinstance(n, Mapping) else int(n))
    done: dict[str, _Table] = {}
    frames: dict[str, pd.DataFrame] = {}
    cache: dict[Any, Any] = {}
    read = _read_by_others(schema)
    for name in schema.table_order():
        table = _Table(schema, name, rows[name], seed, done, cache)
        table.fill()
        table.enforce()
        frames[name] = table.finish(read[name])
        done[name] = table
    return {name: frames[name] for name in schema.tables}


def _read_by_others(schema: GenerationSchema) -> dict[str, set[str]]:
    """Per table, the columns that other tables' references and lookups read."""
    out: dict[str, set[str]] = {name: set() for name in schema.tables}
    for name, table in schema.tables.items():
        for spec in table.columns.values():
            for ref in (getattr(spec, "references", None), getattr(spec, "lookup", None)):
                if isinstance(ref, str) and ref not in table.columns:
                    other, column = schema.resolve(name, ref)
                    out[other].add(column)
    return out


def _null_of(values: np.ndarray, spec: ColumnSpec) -> Any:
    kind = values.dtype.kind
    if kind == "M":
        return np.datetime64("NaT", "ns")
    if kind == "f":
        return np.nan
    if kind == "O":
        return None
    return spec.raw_null


class _Table:
    """The state of one table while it is generated: raw values by column, outputs cached."""

    def __init__(self, schema: GenerationSchema, name: str, rows: int | None, seed: int,
                 done: Mapping[str, _Table], cache: dict[Any, Any]):
        self.schema, self.name, self.done, self.cache = schema, name, done, cache
        self.plan = plan_table(schema, name)
        self.specs = self.plan.columns
        self.order = schema.column_order(name, self.specs)
        self.parents = {c: column_parents(schema, name, c, s, self.specs)
                        for c, s in self.specs.items()}
        self.metadata = schema.metadata(name, self.specs)
        self.n = rows
        self.seed = seed
        self.rngs: dict[str, np.random.Generator] = {}
        self.raw: dict[str, np.ndarray] = {}
        self.outputs: dict[tuple[str, bool], pd.Series] = {}

    # -- plumbing --------------------------------------------------------------------------
    def rng(self, column: str) -> np.random.Generator:
        if column not in self.rngs:
            key = [self.seed, zlib.crc32(self.name.encode()), zlib.crc32(column.encode())]
            self.rngs[column] = np.random.default_rng(key)
        return self.rngs[column]

    def source(self, ref: str, formatted: bool) -> pd.Series:
        """A whole column named as a reference does (``column`` or ``table.column``)."""
        if ref in self.specs:
            return self.output(ref, formatted)
        table, column = self.schema.resolve(self.name, ref)
        return self.done[table].output(column, formatted)

    def context(self, column: str, rows: np.ndarray | None = None,
                cand: Mapping[str, np.ndarray] | None = None) -> DrawContext:
        """What ``column`` sees for ``rows`` (all rows when None); ``cand`` holds re-drawn
        values of other columns for those rows."""
        cand = cand or {}
        deps: dict[str, pd.Series] = {}
        raws: dict[str, np.ndarray] = {}
        for dep in self.parents[column]:
            if dep in cand:
                raws[dep] = cand[dep]
                deps[dep] = self.specs[dep].output(cand[dep], formatted=False,
                                                   ctx=self._output_context(dep))
            elif rows is None:
                raws[dep], deps[dep] = self.raw[dep], self.output(dep)
            else:
                raws[dep] = self.raw[dep][rows]
                deps[dep] = self.output(dep).iloc[rows].reset_index(drop=True)
        assert self.n is not None
        return DrawContext(rng=self.rng(column),
                           rows=np.arange(self.n) if rows is None else rows, deps=deps,
                           raws=raws, table=self.name, column=column,
                           locale=self.schema.locale, cache=self.cache, source=self.source,
                           total=self.n)

    def _output_context(self, column: str) -> DrawContext:
        return DrawContext(rng=self.rng(column), rows=np.arange(0), deps={}, raws={},
                           table=self.name, column=column, locale=self.schema.locale,
                           cache=self.cache, source=self.source, total=self.n or 0)

    def output(self, column: str, formatted: bool = False) -> pd.Series:
        """The whole column as users see it (cached until rows are re-drawn)."""
        spec = self.specs[column]
        key = (column, formatted and spec.formats)
        if key not in self.outputs:
            self.outputs[key] = spec.output(self.raw[column], formatted=key[1],
                                            ctx=self._output_context(column))
        return self.outputs[key]

    def where(self, column: str) -> str:
        return f"table {self.name!r}, column {column!r}"

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, column: str, ctx: DrawContext) -> np.ndarray:
        """Raw values of ``column`` for ``ctx.rows``: the case of each row, then nulls."""
        spec = self.specs[column]
        if not spec.cases:
            return _with_nulls(spec, spec.draw(len(ctx.rows), ctx), ctx.rng)
        k = len(ctx.rows)
        given = ctx.deps[spec.given]  # type: ignore[index]
        rest = np.ones(k, dtype=bool)
        parts = []
        for key, case in spec.cases.items():
            mask = (given == key).to_numpy(dtype=bool, na_value=False) & rest
            rest &= ~mask
            parts.append((mask, case))
        parts.append((rest, spec))
        out: np.ndarray | None = None
        for mask, part in parts:
            if not mask.any():
                continue
            sub = ctx.subset(mask)
            values = _with_nulls(part, part.draw(int(mask.sum()), sub), ctx.rng)
            if out is None:
                out = np.empty(k, dtype=values.dtype)
            out[mask] = values
        return out if out is not None else spec.empty(0)

    def fill(self) -> None:
        """Draw every column once."""
        sized_by = next((c for c, s in self.specs.items()
                         if getattr(s, "per_parent", None) is not None), None)
        if sized_by is not None:
            self.raw[sized_by] = self.children(sized_by)
        for column in self.order:
            if column in self.raw:
                continue
            spec = self.specs[column]
            values = self.unique(column) if spec.unique else \
                self.draw(column, self.context(column))
            self.raw[column] = np.require(values, requirements="W")  # re-sampling writes

    def children(self, column: str) -> np.ndarray:
        """Parent rows, each repeated as many times as it has children (shuffled)."""
        spec = self.specs[column]
        parent = self.source(spec.references, False)  # type: ignore[attr-defined]
        valid = np.flatnonzero(parent.notna().to_numpy())
        rng = self.rng(column)
        ctx = DrawContext(rng=rng, rows=np.arange(valid.size), deps={}, raws={},
                          table=self.name, column=column, locale=self.schema.locale,
                          cache=self.cache, source=self.source, total=valid.size)
        counts = spec.children().draw(valid.size, ctx).astype(np.int64)  # type: ignore
        rows = np.repeat(valid, counts)
        self.n = rows.size
        return rows[rng.permutation(rows.size)]

    def unique(self, column: str) -> np.ndarray:
        """Raw values without repeats (nulls exempt): by construction, else by re-drawing."""
        spec = self.specs[column]
        ctx = self.context(column)
        k = len(ctx.rows)
        null = ctx.rng.random(k) < spec.null_rate if spec.null_rate else np.zeros(k, bool)
        keep = ~null
        count = int(keep.sum())
        capacity = spec.capacity()
        if count > capacity:
            raise DataError(f"{self.where(column)}: {count:,} unique values are needed but the "
                            f"column can take only {capacity:,.0f} distinct values; widen its "
                            "range or categories, lower the rows, or drop unique")
        sub = ctx.subset(keep)
        values = spec.draw_unique(count, sub)
        if values is None:
            values = self._distinct(column, spec.draw(count, sub), sub)
        out = spec.empty(k)
        out[keep] = values
        if null.any():
            out[null] = _null_of(out, spec)
        return out

    def _distinct(self, column: str, values: np.ndarray, ctx: DrawContext) -> np.ndarray:
        spec = self.specs[column]
        for _ in range(_UNIQUE_ROUNDS):
            again = np.flatnonzero(pd.Index(values).duplicated())
            if not again.size:
                return values
            mask = np.zeros(values.size, dtype=bool)
            mask[again] = True
            values[again] = spec.draw(again.size, ctx.subset(mask))
        raise DataError(f"{self.where(column)}: could not draw {values.size:,} distinct values "
                        f"in {_UNIQUE_ROUNDS} rounds: the values drawn keep repeating (its "
                        "distribution is too narrow for its rounding); widen it, lower the "
                        "rows, or drop unique")

    def finish(self, keep: set[str]) -> pd.DataFrame:
        """The output table. Raw values are released as soon as their column is made, except
        what other tables read (``keep``) and what references within the table follow."""
        needed = set(keep)
        for spec in self.specs.values():
            for ref in (getattr(spec, "references", None), getattr(spec, "lookup", None),
                        getattr(spec, "via", None)):
                if isinstance(ref, str) and ref in self.specs:
                    needed.add(ref)
        data = {}
        for column in self.schema.tables[self.name].visible():
            data[column] = self.output(column, True)
            if column not in needed:
                self.raw.pop(column, None)
                self.outputs = {k: v for k, v in self.outputs.items() if k[0] != column}
        self.raw = {c: v for c, v in self.raw.items() if c in needed}
        self.outputs = {k: v for k, v in self.outputs.items() if k[0] in keep}
        return pd.DataFrame(data)

    # -- constraints -----------------------------------------------------------------------
    def frame(self, columns: list[str] | None = None, rows: np.ndarray | None = None,
              cand: Mapping[str, np.ndarray] | None = None, *, formatted: bool = True
              ) -> pd.DataFrame:
        """Output columns (all visible ones by default), for ``rows`` with ``cand`` values."""
        if columns is None:
            columns = self.schema.tables[self.name].visible()
            return pd.DataFrame({c: self.output(c, formatted) for c in columns})
        data = {}
        for c in columns:
            if cand is not None and c in cand:
                data[c] = self.specs[c].output(cand[c], formatted=formatted,
                                               ctx=self._output_context(c))
            elif rows is None:
                data[c] = self.output(c, formatted)
            else:
                data[c] = self.output(c, formatted).iloc[rows].reset_index(drop=True)
        return pd.DataFrame(data)

    def enforce(self) -> None:
        """Re-draw the rows that break a constraint until every row follows every rule."""
        constraints = self.plan.constraints
        if not constraints or not self.n:
            return
        rules = ConstraintSet(self.metadata, constraints, [None] * len(constraints))
        columns = list(dict.fromkeys(c for rule in constraints for c in rule.columns))
        checks = rules.valid(self.frame(columns, formatted=False))
        failing = np.flatnonzero(~checks.all(axis=1))
        if not failing.size:
            return
        redraw = self._redrawable(checks)
        order = [c for c in self.order if c in redraw]
        rowwise = [j for j, r in enumerate(constraints) if not r.across_rows]
        across = [j for j, r in enumerate(constraints) if r.across_rows]
        across_columns = list(dict.fromkeys(c for j in across for c in constraints[j].columns))
        passed = np.zeros(len(constraints))
        drawn = accepted = 0
        rate = 1 - failing.size / self.n
        limit = max(MAX_DRAWS, 20 * self.n)
        while failing.size:
            if drawn >= limit or (accepted == 0 and drawn >= GIVE_UP_AFTER):
                raise DataError(self._give_up(failing.size, drawn, accepted, passed))
            # enough candidates per failing row for two expected passes, and batches of at
            # least MIN_BATCH rows so a few stubborn rows do not take thousands of rounds
            cap = max(_MAX_CANDIDATES, MIN_BATCH // failing.size)
            m = int(min(np.ceil(2 / rate) if rate > 0 else cap, cap))
            m = max(1, min(m, MAX_BATCH // failing.size))
            rows = np.repeat(failing, m)
            cand: dict[str, np.ndarray] = {}
            for column in order:
                cand[column] = self.draw(column, self.context(column, rows, cand))
            frame = self.frame(columns, rows, cand, formatted=False)
            ok = np.ones(rows.size, dtype=bool)
            for j in rowwise:
                good = constraints[j].check(frame, self.metadata)
                passed[j] += good.sum()
                ok &= good
            drawn += rows.size
            ok = ok.reshape(failing.size, m)
            found = ok.any(axis=1)
            pick = np.flatnonzero(found) * m + ok.argmax(axis=1)[found]
            for column in order:
                self.raw[column][failing[found]] = cand[column][pick]
            self.outputs.clear()
            accepted += int(found.sum())
            rate = max(accepted / drawn, 1e-9)
            failing = failing[~found]
            if across:
                full = self.frame(across_columns, formatted=False)
                bad = ~np.logical_and.reduce([constraints[j].check(full, self.metadata)
                                              for j in across])
                failing = np.union1d(failing, np.flatnonzero(bad))
        logger.info("table %r: %d candidate rows re-drawn to follow %d constraints", self.name,
                    drawn, len(constraints))

    def _redrawable(self, checks: np.ndarray) -> set[str]:
        """Free columns whose re-drawing can change a failing constraint, and their
        descendants; an error when a failing constraint has none."""
        free = {c for c, s in self.specs.items() if not s.fixed and not s.unique}
        children: dict[str, set[str]] = {c: set() for c in self.specs}
        for column, parents in self.parents.items():
            for parent in parents:
                if parent in children:
                    children[parent].add(column)
        redraw: set[str] = set()
        for j, rule in enumerate(self.plan.constraints):
            reach: set[str] = set()
            stack = [c for c in rule.columns if c in free]
            while stack:
                column = stack.pop()
                if column not in reach:
                    reach.add(column)
                    stack += [p for p in self.parents[column] if p in free]
            if not reach and not checks[:, j].all():
                kept = ", ".join(repr(c) for c in rule.columns)
                raise DataError(f"table {self.name!r}: constraint {rule} fails on "
                                f"{int((~checks[:, j]).sum()):,} of {self.n:,} rows and its "
                                f"columns ({kept}) are never re-drawn (ids, uuids, references, "
                                "lookups and unique columns keep their values); change the "
                                "columns or the rule")
            redraw |= reach
        stack = list(redraw)
        while stack:
            for child in children[stack.pop()]:
                if child in free and child not in redraw:
                    redraw.add(child)
                    stack.append(child)
        return redraw

    def _give_up(self, left: int, drawn: int, accepted: int, passed: np.ndarray) -> str:
        rates = passed / max(drawn, 1)
        rules = self.plan.constraints
        rowwise = [j for j, r in enumerate(rules) if not r.across_rows]
        worst = min(rowwise, key=lambda j: rates[j]) if rowwise else 0
        return (f"table {self.name!r}: {left:,} rows still break the constraints after "
                f"re-drawing {drawn:,} candidate rows ({accepted:,} accepted, "
                f"{accepted / max(drawn, 1):.4%}); constraint {rules[worst]} accepts only "
                f"{rates[worst]:.4%} of them — the rule is impossible, or too rare, with these "
                "column specs; widen the columns' ranges or relax the rule")


def _with_nulls(spec: ColumnSpec, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if not spec.null_rate or not values.size:
        return values
    mask = rng.random(values.size) < spec.null_rate
    if mask.any():
        values = np.array(values, copy=True)
        values[mask] = _null_of(values, spec)
    return values
