"""``GenerationSchema``: tables of column specs, constraints and references, from YAML.

A schema is an immutable value object; building one (``from_dict``, ``from_yaml``, ``load``)
validates everything at once — every column, every reference, every constraint, and cycles —
and raises one :class:`~simulacra.errors.MetadataError` listing each problem with the table and
column it concerns.

One table can be written without ``tables:``:

>>> schema = GenerationSchema.from_dict({
...     "columns": {"id": {"kind": "id"},
...                 "score": {"kind": "float", "distribution": "normal", "mean": 50,
...                           "std": 10, "decimals": 1}}})
>>> list(schema.tables), list(schema.tables["table"].columns)
(['table'], ['id', 'score'])
>>> GenerationSchema.from_dict(schema.to_dict()) == schema
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from simulacra.constraints import Constraint, FixedCombinations, constraint_from_dict
from simulacra.errors import MetadataError
from simulacra.io import load_yaml, read_text_bounded
from simulacra.schema.kinds import (
    BooleanColumn,
    CategoricalColumn,
    ConstantColumn,
    ExpressionColumn,
    FakerColumn,
    IdColumn,
    LookupColumn,
    ReferenceColumn,
    UuidColumn,
    column_from_dict,
)
from simulacra.schema.spec import ColumnSpec, suggest

if TYPE_CHECKING:
    from simulacra.metadata import Metadata

SCHEMA_VERSION = 1
_HEADER = "Invalid generation schema"
_TABLE_KEYS = ("rows", "primary_key", "columns", "constraints", "description")
_TOP_KEYS = ("schema_version", "locale", "tables", "name", *_TABLE_KEYS)
#: A table name is a file name (`simulacra generate` writes ``<table>.csv``): letters, digits,
#: ``_``, ``-`` and inner spaces, no path separator, no dot.
_TABLE_NAME = re.compile(r"\w[\w\- ]{0,99}", re.UNICODE)
#: Names Windows reserves for devices, whatever the extension.
_DEVICES = {"con", "prn", "aux", "nul", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))}


@dataclass(frozen=True)
class TableSchema:
    """One table: ``columns`` (name → spec, in output order), a default number of ``rows``,
    ``constraints`` (as in metadata) and an optional ``primary_key``."""

    columns: Mapping[str, ColumnSpec]
    rows: int | None = None
    constraints: tuple[Constraint, ...] = ()
    primary_key: str | None = None
    description: str = field(default="", compare=False)

    def visible(self) -> list[str]:
        """The columns that are written (not ``hidden``)."""
        return [name for name, spec in self.columns.items() if not spec.hidden]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.rows is not None:
            out["rows"] = self.rows
        if self.primary_key is not None:
            out["primary_key"] = self.primary_key
        out["columns"] = {name: spec.to_dict() for name, spec in self.columns.items()}
        if self.constraints:
            out["constraints"] = [c.to_dict() for c in self.constraints]
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class GenerationSchema:
    """Tables to generate from nothing but this description (see docs/schema_generation.md).

    ``locale`` is the Faker locale of every ``faker`` column that does not set its own.
    """

    tables: Mapping[str, TableSchema]
    locale: str = "en_US"

    def __post_init__(self) -> None:
        problems = _schema_problems(self)
        if problems:
            raise MetadataError(problems, header=_HEADER)

    # -- reading and writing ---------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str = "table") -> GenerationSchema:
        """Build from the YAML/JSON form; one table may be written without ``tables:``
        (``name`` then names it, unless the data has a ``name:``)."""
        if not isinstance(data, Mapping):
            raise MetadataError(f"a schema must be a mapping with 'columns:' or 'tables:', got "
                                f"{type(data).__name__}", header=_HEADER)
        problems: list[str] = []
        unknown = [k for k in data if k not in _TOP_KEYS]
        for key in unknown:
            problems.append(f"unknown top-level key {key!r}{suggest(key, _TOP_KEYS)} (keys: "
                            f"{', '.join(_TOP_KEYS)})")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            problems.append(f"schema_version {version!r} is not supported; this simulacra "
                            f"reads version {SCHEMA_VERSION}")
        locale = data.get("locale", "en_US")
        if not isinstance(locale, str):
            problems.append(f"locale must be a Faker locale such as 'en_US', got {locale!r}")
            locale = "en_US"
        if "tables" in data:
            single = [k for k in _TABLE_KEYS if k in data]
            if single:
                problems.append(f"{', '.join(single)} belong inside a table when the schema has "
                                "'tables:'")
            raw_tables = data["tables"]
            if not isinstance(raw_tables, Mapping) or not raw_tables:
                problems.append("tables must map each table name to its columns, e.g. "
                                "{customers: {rows: 100, columns: {...}}}")
                raw_tables = {}
        elif "columns" in data:
            raw_tables = {data.get("name", name): {k: data[k] for k in _TABLE_KEYS
                                                   if k in data}}
        else:
            problems.append("a schema needs 'columns:' (one table) or 'tables:' (several)")
            raw_tables = {}
        tables = {}
        for table_name, table_data in raw_tables.items():
            problem = table_name_problem(table_name)
            if problem:
                problems.append(problem)
            table = _table_from_dict(str(table_name), table_data, problems, locale)
            if table is not None:
                tables[str(table_name)] = table
        if problems:
            raise MetadataError(problems, header=_HEADER)
        return cls(tables, locale=locale)

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form (always with ``tables:``)."""
        return {"schema_version": SCHEMA_VERSION, "locale": self.locale,
                "tables": {name: t.to_dict() for name, t in self.tables.items()}}

    @classmethod
    def from_yaml(cls, text: str, *, name: str = "table") -> GenerationSchema:
        try:
            data = load_yaml(text)
        except yaml.YAMLError as err:
            raise MetadataError(f"the schema is not valid YAML: {err}", header=_HEADER) from None
        return cls.from_dict(data if data is not None else {}, name=name)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @classmethod
    def load(cls, path: str | Path) -> GenerationSchema:
        """Read a YAML (or JSON) schema file; a one-table schema is named after the file."""
        path = Path(path)
        try:
            text = read_text_bounded(path, what="schema file")
        except MetadataError as err:  # missing, too large or not UTF-8
            raise MetadataError(err.problems, header=_HEADER) from None
        return cls.from_yaml(text, name=path.stem.split(".")[0])

    # -- structure -------------------------------------------------------------------------
    def resolve(self, table: str, ref: str) -> tuple[str, str]:
        """``ref`` (``column`` of ``table``, or ``other_table.column``) as (table, column)."""
        return _resolve(self.tables, table, ref)

    def table_order(self) -> list[str]:
        """Tables with every table they reference before them."""
        return _topological({t: _table_parents(self, t) for t in self.tables},
                            "tables (through references and lookups)")

    def column_order(self, table: str,
                     columns: Mapping[str, ColumnSpec] | None = None) -> list[str]:
        """Columns of ``table`` with every column they read before them."""
        specs = self.tables[table].columns if columns is None else columns
        deps = {name: column_parents(self, table, name, spec, specs)
                for name, spec in specs.items()}
        return _topological(deps, f"columns of table {table!r}")

    def metadata(self, table: str, columns: Mapping[str, ColumnSpec] | None = None
                 ) -> Metadata:
        """The metadata (column kinds) of ``table``: what its constraints are checked with."""
        from simulacra.metadata import Metadata

        specs = self.tables[table].columns if columns is None else columns

        def resolve(ref: str) -> ColumnSpec:
            if ref in specs:
                return specs[ref]
            other, column = self.resolve(table, ref)
            return self.tables[other].columns[column]

        return Metadata({name: spec.to_kind(resolve) for name, spec in specs.items()})

    def rows(self, n: int | Mapping[str, int] | None = None) -> dict[str, int | None]:
        """Rows of each table before references with ``per_parent`` set theirs (``None``).

        * ``n`` None: each table's ``rows``;
        * ``n`` an int: the first table that does not take its size from a parent gets ``n``
          rows, every other such table is scaled by the same factor (tables without ``rows``
          get ``n``);
        * ``n`` a mapping: rows by table name, the others as declared.
        """
        sized = {t: spec.rows for t, spec in self.tables.items() if _per_parent(spec) is None}
        if isinstance(n, Mapping):
            unknown = [t for t in n if t not in self.tables]
            if unknown:
                raise MetadataError(f"rows given for unknown tables {unknown}; tables are "
                                    f"{list(self.tables)}", header=_HEADER)
            parented = [t for t in n if t not in sized]
            if parented:
                raise MetadataError(f"tables {parented} take their rows from per_parent "
                                    "references; give rows for their parents instead",
                                    header=_HEADER)
            out = {**sized, **{t: int(v) for t, v in n.items() if t in sized}}
        elif n is not None:
            main = next(iter(sized), None)
            base = sized.get(main) if main is not None else None
            out = {t: n if rows is None or t == main or not base else
                   max(int(n > 0), round(rows * n / base)) for t, rows in sized.items()}
        else:
            out = dict(sized)
        missing = [t for t, rows in out.items() if rows is None]
        if missing:
            raise MetadataError(f"no row count for tables {missing}: give rows: in the schema "
                                "or n when generating", header=_HEADER)
        bad = {t: r for t, r in out.items() if isinstance(r, bool) or not isinstance(r, int)
               or r < 0}
        if bad:
            raise MetadataError(f"row counts must be whole numbers >= 0, got {bad}",
                                header=_HEADER)
        return {t: out.get(t) for t in self.tables}


# -- parsing --------------------------------------------------------------------------------
def _table_from_dict(name: str, data: Any, problems: list[str], locale: str
                     ) -> TableSchema | None:
    where = f"table {name!r}"
    if not isinstance(data, Mapping):
        problems.append(f"{where}: expected a mapping with 'columns:', got {data!r}")
        return None
    for key in data:
        if key not in _TABLE_KEYS:
            problems.append(f"{where}: unknown key {key!r}{suggest(key, _TABLE_KEYS)} (keys: "
                            f"{', '.join(_TABLE_KEYS)})")
    raw_columns = data.get("columns")
    if not isinstance(raw_columns, Mapping) or not raw_columns:
        problems.append(f"{where}: columns must map each column name to its spec, e.g. "
                        "{age: {kind: integer, min: 18, max: 90}}")
        return None
    columns: dict[str, ColumnSpec] = {}
    for column, spec in raw_columns.items():
        try:
            columns[str(column)] = column_from_dict(spec, name=str(column))
        except MetadataError as err:
            problems += [f"{where}: {p}" for p in err.problems]
            continue
        problem = _provider_problem(str(column), columns[str(column)], locale)
        if problem:
            problems.append(f"{where}: {problem}")
    constraints: list[Constraint] = []
    specs = data.get("constraints") or []
    if not isinstance(specs, list):
        problems.append(f"{where}: constraints must be a list such as [{{type: inequality, "
                        "low: start, high: end}]")
        specs = []
    for position, spec in enumerate(specs):
        if isinstance(spec, Constraint):
            constraints.append(spec)
            continue
        try:
            constraints.append(constraint_from_dict(spec))
        except MetadataError as err:
            problems += [f"{where}: constraint #{position + 1}: {p}" for p in err.problems]
    rows = data.get("rows")
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 0):
        problems.append(f"{where}: rows must be a whole number >= 0, got {rows!r}")
        rows = None
    if len(columns) != len(raw_columns):
        return None
    return TableSchema(columns, rows=rows, constraints=tuple(constraints),
                       primary_key=data.get("primary_key"),
                       description=str(data.get("description") or ""))


# -- validation -----------------------------------------------------------------------------
def _resolve(tables: Mapping[str, TableSchema], table: str, ref: str) -> tuple[str, str]:
    if not isinstance(ref, str) or not ref:
        raise MetadataError(f"a reference must name a column, got {ref!r}")
    if ref in tables[table].columns:
        return table, ref
    other, dot, column = ref.partition(".")
    if not dot:
        raise MetadataError(f"{ref!r} is not a column of table {table!r}"
                            f"{suggest(ref, tables[table].columns)}; name another table's "
                            "column as table.column")
    if other not in tables:
        raise MetadataError(f"{ref!r} names table {other!r}, which is not in the schema"
                            f"{suggest(other, tables)} (tables: {', '.join(tables)})")
    if column not in tables[other].columns:
        raise MetadataError(f"{ref!r}: table {other!r} has no column {column!r}"
                            f"{suggest(column, tables[other].columns)}")
    return other, column


def _per_parent(table: TableSchema) -> str | None:
    """The reference column that sets the table's size, if any."""
    return next((name for name, spec in table.columns.items()
                 if isinstance(spec, ReferenceColumn) and spec.per_parent is not None), None)


def _links(spec: ColumnSpec) -> list[str]:
    if isinstance(spec, ReferenceColumn):
        return [spec.references]
    if isinstance(spec, LookupColumn):
        return [spec.lookup]
    return []


def _table_parents(schema: GenerationSchema, table: str) -> list[str]:
    out = []
    for spec in schema.tables[table].columns.values():
        for ref in _links(spec):
            other, _ = schema.resolve(table, ref)
            if other != table:
                out.append(other)
    return out


def column_parents(schema: GenerationSchema, table: str, name: str, spec: ColumnSpec,
                   specs: Mapping[str, ColumnSpec]) -> list[str]:
    """The columns of ``table`` that column ``name`` needs before it can be drawn."""
    out = list(dict.fromkeys(c for part in (spec, *spec.cases.values()) for c in part.reads()))
    if spec.given is not None:
        out.append(spec.given)
    for ref in _links(spec):
        if ref in specs:
            out.append(ref)
    return out


def _topological(deps: Mapping[str, Iterable[str]], what: str) -> list[str]:
    """Names ordered so that each comes after its dependencies; a cycle is an error."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: visiting, 2: done

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = [*path[path.index(node):], node]
            raise MetadataError(f"{what} depend on each other in a cycle: "
                                f"{' -> '.join(cycle)}; break it (one of them must not read "
                                "the next)", header=_HEADER)
        state[node] = 1
        for dep in deps[node]:
            if dep in deps:
                visit(dep, [*path, node])
        state[node] = 2
        order.append(node)

    for node in deps:
        visit(node, [])
    return order


def table_name_problem(name: Any) -> str | None:
    """Why ``name`` cannot name a table (it becomes a file name), or None.

    >>> table_name_problem("order_items") is None
    True
    >>> table_name_problem("../../etc/x")  # doctest: +ELLIPSIS
    "table name '../../etc/x' is not a plain name: ...
    """
    text = str(name)
    if _TABLE_NAME.fullmatch(text) and not text.endswith(" ") \
            and text.lower() not in _DEVICES:
        return None
    if not text.strip():
        why = "it is empty"
    elif len(text) > 100:
        why = f"it has {len(text)} characters (at most 100)"
    elif "/" in text or "\\" in text or text.startswith("~") or ":" in text:
        why = "it holds a path (/, \\, ~ or :), and tables are written as files in -o"
    elif "." in text:
        why = "it holds a dot (a table is written as <table>.csv and referenced as table.column)"
    elif text.lower() in _DEVICES:
        why = "Windows reserves it for a device"
    else:
        why = "it must start with a letter, digit or _ and hold only those, - and inner spaces"
    return (f"table name {text!r} is not a plain name: {why}; rename the table (e.g. "
            f"{_plain(text)!r})")


def _plain(text: str) -> str:
    """A plain table name close to ``text``, for the error message."""
    name = re.sub(r"[^\w\-]+", "_", text).strip("_-")[:100] or "table"
    return name + "_table" if name.lower() in _DEVICES else name


def _schema_problems(schema: GenerationSchema) -> list[str]:
    problems: list[str] = []
    if not schema.tables:
        return ["a schema needs at least one table"]
    for table_name, table in schema.tables.items():
        problems += [p for p in [table_name_problem(table_name)] if p]
        problems += _table_problems(schema, table_name, table)
    if problems:
        return problems
    try:
        schema.table_order()
        for table in schema.tables:
            schema.column_order(table)
    except MetadataError as err:
        return err.problems
    for table_name, table in schema.tables.items():
        problems += _kind_problems(schema, table_name, table.columns)
    if problems:
        return problems
    for table_name, table in schema.tables.items():
        problems += _constraint_problems(schema, table_name, table)
    return problems


def _table_problems(schema: GenerationSchema, table_name: str, table: TableSchema
                    ) -> list[str]:
    where = f"table {table_name!r}"
    out: list[str] = []
    specs = table.columns
    per_parent = [n for n, s in specs.items() if isinstance(s, ReferenceColumn)
                  and s.per_parent is not None]
    if len(per_parent) > 1:
        out.append(f"{where}: only one reference can set the rows per parent; {per_parent} "
                   "all have per_parent")
    if per_parent and table.rows is not None:
        out.append(f"{where}: rows: {table.rows} and per_parent on {per_parent[0]!r} both set "
                   "the size of the table; keep one")
    key = table.primary_key
    if key is not None:
        if key not in specs:
            out.append(f"{where}: primary_key {key!r} is not a column{suggest(key, specs)}")
        elif not (isinstance(specs[key], IdColumn | UuidColumn) or specs[key].unique):
            out.append(f"{where}: primary_key {key!r} must be an id or uuid column, or set "
                       "unique: true")
        elif specs[key].null_rate:
            out.append(f"{where}: primary_key {key!r} cannot have nulls (null_rate)")
    for name, spec in specs.items():
        col = f"{where}, column {name!r}"
        if spec.given is not None:
            if spec.given not in specs:
                out.append(f"{col}: given {spec.given!r} is not a column of the table"
                           f"{suggest(spec.given, specs)}")
            elif spec.given == name:
                out.append(f"{col}: a column cannot be given itself")
            else:
                out += _case_key_problems(col, spec, specs[spec.given])
        operands = [c for part in (spec, *spec.cases.values()) for c in part.reads()] \
            if isinstance(spec, ExpressionColumn) else []
        for operand in dict.fromkeys(operands):
            if operand not in specs:
                out.append(f"{col}: expression uses {operand!r}, which is not a column of the "
                           f"table{suggest(operand, specs)}")
        for ref in _links(spec):
            try:
                other, column = schema.resolve(table_name, ref)
            except MetadataError as err:
                out += [f"{col}: {p}" for p in err.problems]
                continue
            if (other, column) == (table_name, name):
                out.append(f"{col}: a column cannot reference itself")
            if isinstance(spec, ReferenceColumn) and spec.per_parent is not None \
                    and other == table_name:
                out.append(f"{col}: per_parent needs a reference to another table")
        if isinstance(spec, LookupColumn):
            out += _lookup_problems(schema, table_name, col, spec)
        problem = _provider_problem(name, spec, schema.locale)
        if problem:
            out.append(f"{where}: {problem}")
    return out


def _provider_problem(name: str, spec: ColumnSpec, locale: str) -> str | None:
    """Whether Faker can make a faker column's values (in each of its cases)."""
    if not isinstance(spec, FakerColumn):
        return None
    for case in (spec, *spec.cases.values()):
        problem = case.provider_problem(name, locale)  # type: ignore[attr-defined]
        if problem:
            return problem
    return None


def _case_key_problems(col: str, spec: ColumnSpec, given: ColumnSpec) -> list[str]:
    if isinstance(given, CategoricalColumn):
        values = list(given.all_categories())
    elif isinstance(given, BooleanColumn):
        values = [True, False]
    elif isinstance(given, ConstantColumn):
        values = [s.value for s in (given, *given.cases.values())]  # type: ignore[attr-defined]
    else:
        return []
    unknown = [k for k in spec.cases if k not in values]
    if unknown:
        return [f"{col}: cases {unknown} are not values of {spec.given!r} (its values: "
                f"{values})"]
    return []


def _lookup_problems(schema: GenerationSchema, table: str, col: str, spec: LookupColumn
                     ) -> list[str]:
    via = schema.tables[table].columns.get(spec.via)
    if not isinstance(via, ReferenceColumn):
        return [f"{col}: via {spec.via!r} must be a reference column of the same table"]
    try:
        target, _ = schema.resolve(table, via.references)
        source, _ = schema.resolve(table, spec.lookup)
    except MetadataError:
        return []
    if target != source:
        return [f"{col}: lookup {spec.lookup!r} must be a column of table {target!r}, the table "
                f"that {spec.via!r} references"]
    return []


def _kind_problems(schema: GenerationSchema, table: str, specs: Mapping[str, ColumnSpec]
                   ) -> list[str]:
    """Operands of expressions must be numbers, datetimes or booleans."""
    out = []
    try:
        md = schema.metadata(table)
    except MetadataError as err:
        return [f"table {table!r}: {p}" for p in err.problems]
    for name, spec in specs.items():
        if isinstance(spec, ExpressionColumn):
            operands = [c for part in (spec, *spec.cases.values()) for c in part.reads()]
            for operand in dict.fromkeys(operands):
                kind = md[operand].kind
                if kind not in ("numerical", "datetime", "boolean"):
                    out.append(f"table {table!r}, column {name!r}: expression operand "
                               f"{operand!r} is {kind}; use numeric, datetime or boolean "
                               "columns")
    return out


def _constraint_problems(schema: GenerationSchema, table_name: str, table: TableSchema
                         ) -> list[str]:
    out = []
    md = schema.metadata(table_name)
    for position, constraint in enumerate(table.constraints):
        where = f"table {table_name!r}: constraint #{position + 1}"
        out += [f"{where}: {p}" for p in constraint.problems(md)]
        if isinstance(constraint, FixedCombinations) and constraint.combinations is None:
            out.append(f"{where}: {constraint} has no data to learn combinations from; list "
                       "them with combinations: [[a, 1], [b, 2]]")
    return out

