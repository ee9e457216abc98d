"""``Metadata``: the reviewable description of one table.

>>> import pandas as pd
>>> df = pd.DataFrame({"age": [23, 35, 51, 35], "city": ["Oslo", "Rome", "Oslo", "Rome"]})
>>> md = Metadata.detect(df)
>>> md["age"].kind, md["city"].kind
('numerical', 'categorical')
>>> md.update_column("age", kind="categorical")["age"]
Categorical(ordered=False, categories=None)
>>> Metadata.from_yaml(md.to_yaml()) == md
True
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from simulacra.errors import MetadataError
from simulacra.io import load_json, load_yaml
from simulacra.kinds import KINDS, ColumnKind, Datetime, Id, Numerical, column_from_dict

if TYPE_CHECKING:
    from simulacra.constraints import Constraint

METADATA_VERSION = 1
#: The keys a metadata file may have at its top level.
TOP_LEVEL_KEYS = ("metadata_version", "primary_key", "columns", "constraints", "sequence_key",
                  "sequence_index", "sequence_reason", "sensitive")


def check_column_names(columns: pd.Index) -> None:
    """Raise :class:`MetadataError` listing non-string and duplicated column names."""
    problems = []
    for position, name in enumerate(columns):
        if not isinstance(name, str):
            problems.append(
                f"column at position {position} has a non-string name {name!r} "
                f"({type(name).__name__}); rename it, e.g. df.columns = df.columns.astype(str)"
            )
    dupes = columns[columns.duplicated()].unique()
    problems += [f"column name {name!r} appears more than once; give each column a unique name"
                 for name in dupes]
    if problems:
        raise MetadataError(problems, header="Unusable column names")


class Metadata(Mapping[str, ColumnKind]):
    """Column kinds of one table, in column order, plus an optional primary key.

    A read-only mapping from column name to :class:`~simulacra.kinds.ColumnKind`;
    edit it with :meth:`update_column` / :meth:`set_column`, which validate as they go.
    ``constraints`` are business rules every synthetic row must follow (see
    :mod:`simulacra.constraints`); add them with :meth:`add_constraint`.

    An event table (purchases, readings) names its entity column in ``sequence_key`` and,
    optionally, the column that orders an entity's events in ``sequence_index`` (a date or a
    number); :class:`~simulacra.SequentialNetwork` and :func:`~simulacra.evaluate` read them.
    ``sequence_reason`` says why they were chosen.

    ``sensitive`` names the columns whose groups (sex, race, …) the fairness figures of
    :func:`~simulacra.evaluate` compare and that fairness-aware sampling
    (``model.sample(n, fairness={"target": ...})``) makes the target independent of.

    >>> import simulacra as sim
    >>> md = Metadata({"sex": sim.Categorical(), "income": sim.Categorical()},
    ...               sensitive=["sex"])
    >>> md.sensitive, md.to_dict()["sensitive"]
    (['sex'], ['sex'])
    """

    def __init__(self, columns: Mapping[str, ColumnKind], *, primary_key: str | None = None,
                 constraints: Iterable[Constraint] = (), sequence_key: str | None = None,
                 sequence_index: str | None = None, sequence_reason: str = "",
                 sensitive: Iterable[str] = ()):
        self._columns: dict[str, ColumnKind] = dict(columns)
        self.primary_key = primary_key
        self.constraints: list[Constraint] = list(constraints)
        self.sequence_key = sequence_key
        self.sequence_index = sequence_index
        self.sequence_reason = sequence_reason
        self.sensitive: list[str] = list(sensitive) if not isinstance(sensitive, str) \
            else [sensitive]
        self.validate()

    # -- mapping --------------------------------------------------------------------------
    def __getitem__(self, name: str) -> ColumnKind:
        try:
            return self._columns[name]
        except KeyError:
            raise MetadataError(f"no column {name!r} in metadata; columns are: "
                                f"{', '.join(self._columns) or '(none)'}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Metadata):
            return NotImplemented
        return self._columns == other._columns and self.primary_key == other.primary_key \
            and self.constraints == other.constraints \
            and self.sequence_key == other.sequence_key \
            and self.sensitive == other.sensitive \
            and self.sequence_index == other.sequence_index

    def __hash__(self) -> int:  # mutable container: identity hash like a dict would refuse
        return id(self)

    def __repr__(self) -> str:
        cols = ", ".join(f"{n}: {k.kind}" for n, k in self._columns.items())
        return f"Metadata({cols})"

    def _repr_html_(self) -> str:
        """The columns, their kinds and the reasons, as a table (notebooks)."""
        from simulacra.htmlrepr import html_table

        caption = f"Metadata: {len(self)} column{'s' * (len(self) != 1)}"
        if self.sequence_key is not None:
            caption += (f"; sequences per {self.sequence_key!r}, ordered by "
                        f"{self.sequence_index or 'row order'}")
        if self.sensitive:
            caption += f"; sensitive: {', '.join(self.sensitive)}"
        return html_table(caption, ["column", "kind", "why"],
                          [[n, k.kind, k.reason] for n, k in self._columns.items()])

    # -- detection ------------------------------------------------------------------------
    @classmethod
    def detect(
        cls,
        data: pd.DataFrame,
        *,
        overrides: Mapping[str, ColumnKind | str] | None = None,
        categorical_threshold: int | None = None,
        sequence_key: str | None = None,
        sequence_index: str | None = None,
    ) -> Metadata:
        """Detect each column's kind from ``data``, recording the reason for each decision.

        ``overrides`` maps a column to a kind (object or kind name) that replaces detection.
        With ``sequence_key`` (the entity column of an event table) the ``sequence_index`` is
        detected too unless given (:func:`~simulacra.metadata.sequence.find_sequence_index`).

        >>> events = pd.DataFrame({"user": [1, 1, 2, 2, 2], "day": [3, 5, 1, 2, 9],
        ...                        "amount": [9.5, 3.0, 4.2, 8.8, 1.0]})
        >>> md = Metadata.detect(events, sequence_key="user")
        >>> md.sequence_key, md.sequence_index
        ('user', 'day')
        """
        from simulacra.metadata.detect import detect_column

        if not isinstance(data, pd.DataFrame):
            raise MetadataError(f"expected a pandas DataFrame, got {type(data).__name__}")
        check_column_names(data.columns)
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(data.columns))
        if unknown:
            raise MetadataError([f"override for {c!r}, which is not a column of the data"
                                 for c in unknown])
        columns: dict[str, ColumnKind] = {}
        for name in data.columns:
            if name in overrides:
                columns[name] = _as_kind(overrides[name], name).with_reason("set by the user")
            else:
                columns[name] = detect_column(data[name],
                                              categorical_threshold=categorical_threshold)
        if sequence_key is not None:
            from simulacra.metadata.sequence import sequence_columns

            key_kind, sequence_index, reason = sequence_columns(
                data, columns, sequence_key, sequence_index)
            columns[sequence_key] = key_kind
        else:
            reason = ""
        ids = [n for n, k in columns.items() if isinstance(k, Id) and n != sequence_key]
        return cls(columns, primary_key=ids[0] if len(ids) == 1 else None,
                   sequence_key=sequence_key, sequence_index=sequence_index,
                   sequence_reason=reason)

    @classmethod
    def from_structure(cls, data: pd.DataFrame) -> Metadata:
        """Each column's kind from its dtype alone, reading no values
        (:func:`~simulacra.metadata.detect.structure_kind`): what a fit under a privacy budget
        uses when no public schema is given, since detection's choices depend on the rows.

        >>> md = Metadata.from_structure(pd.DataFrame({"age": [17, 90], "city": ["a", "b"]}))
        >>> [(name, kind.kind) for name, kind in md.items()]
        [('age', 'numerical'), ('city', 'categorical')]
        """
        from simulacra.metadata.detect import structure_kind

        if not isinstance(data, pd.DataFrame):
            raise MetadataError(f"expected a pandas DataFrame, got {type(data).__name__}")
        check_column_names(data.columns)
        return cls({name: structure_kind(data[name]) for name in data.columns})

    def explain(self) -> str:
        """One line per column: name, kind and why."""
        width = max((len(n) for n in self._columns), default=0)
        lines = [f"{n:<{width}}  {k.kind:<11}  {k.reason or '(no reason recorded)'}"
                 for n, k in self._columns.items()]
        if self.sequence_key is not None:
            lines.append(f"sequences: one per {self.sequence_key!r}, ordered by "
                         f"{self.sequence_index or 'row order'!s}"
                         + (f" ({self.sequence_reason})" if self.sequence_reason else ""))
        if self.sensitive:
            lines.append(f"sensitive: {', '.join(self.sensitive)}")
        return "\n".join(lines)

    # -- editing --------------------------------------------------------------------------
    def set_column(self, name: str, kind: ColumnKind) -> Metadata:
        """Replace (or add) a column's kind in place; returns ``self`` for chaining."""
        if not isinstance(kind, ColumnKind):
            raise MetadataError(f"column {name!r}: expected a column kind such as "
                                f"sim.Numerical(), got {kind!r}")
        problems = kind.problems(name)
        if problems:
            raise MetadataError(problems)
        self._columns[name] = kind
        return self

    def update_column(self, name: str, kind: str | None = None, **fields: Any) -> Metadata:
        """Change a column's kind and/or fields, e.g. ``update_column("age", maximum=120)``."""
        current = self[name]
        if kind is None or kind == current.kind:
            data = {**current.to_dict(), **fields}
        else:
            data = {"kind": kind, **fields}
        new = column_from_dict(data, name=name).with_reason("set by the user")
        return self.set_column(name, new)

    def add_constraint(self, constraint: Constraint) -> Metadata:
        """Add a business rule (e.g. ``sim.Inequality("start", "end")``); returns ``self``.

        >>> import simulacra as sim
        >>> md = Metadata({"start": sim.Numerical(), "end": sim.Numerical()})
        >>> md.add_constraint(sim.Inequality("start", "end")).constraints
        [Inequality(low='start', high='end', strict=False)]
        """
        from simulacra.constraints import Constraint

        if not isinstance(constraint, Constraint):
            raise MetadataError(f"expected a constraint such as sim.Inequality('a', 'b'), got "
                                f"{constraint!r}")
        problems = constraint.problems(self)
        if problems:
            raise MetadataError(problems)
        self.constraints.append(constraint)
        return self

    def with_columns(self, columns: Mapping[str, ColumnKind]) -> Metadata:
        """New metadata with these ``columns``, the primary key kept if it is among them.

        Constraints are not carried over: they name columns that may be gone.

        >>> import simulacra as sim
        >>> md = Metadata({"id": sim.Id(), "x": sim.Numerical()}, primary_key="id")
        >>> md.with_columns({"id": sim.Id(), "y": sim.Categorical()})
        Metadata(id: id, y: categorical)
        >>> md.with_columns({"x": sim.Numerical()}).primary_key is None
        True
        """
        key = self.primary_key
        sequence = self.sequence_key if self.sequence_key in columns else None
        return Metadata(columns, primary_key=key if key in columns else None,
                        sequence_key=sequence,
                        sequence_index=self.sequence_index
                        if sequence and self.sequence_index in columns else None,
                        sequence_reason=self.sequence_reason if sequence else "",
                        sensitive=[c for c in self.sensitive if c in columns])

    def remove_column(self, name: str) -> Metadata:
        self[name]
        users = [str(c) for c in self.constraints if name in c.columns]
        if users:
            raise MetadataError(f"column {name!r} is used by constraints {users}; remove them "
                                "from metadata.constraints first")
        del self._columns[name]
        if self.primary_key == name:
            self.primary_key = None
        if self.sequence_key == name:
            self.sequence_key = self.sequence_index = None
        if self.sequence_index == name:
            self.sequence_index = None
        self.sensitive = [c for c in self.sensitive if c != name]
        return self

    # -- validation -----------------------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`MetadataError` listing every inconsistency in the metadata itself."""
        problems: list[str] = []
        for name, kind in self._columns.items():
            if not isinstance(name, str) or not name:
                problems.append(f"column name {name!r} must be a non-empty string")
            if not isinstance(kind, ColumnKind):
                problems.append(f"column {name!r}: {kind!r} is not a column kind")
                continue
            problems += kind.problems(name)
        if self.primary_key is not None:
            if self.primary_key not in self._columns:
                problems.append(f"primary_key {self.primary_key!r} is not a column")
            elif not isinstance(self._columns[self.primary_key], Id):
                problems.append(f"primary_key {self.primary_key!r} must be of kind 'id', not "
                                f"{self._columns[self.primary_key].kind!r}")
        problems += self._constraint_problems()
        problems += self._sequence_problems()
        problems += self._sensitive_problems()
        if problems:
            raise MetadataError(problems)

    def _sensitive_problems(self) -> list[str]:
        problems = []
        for name in self.sensitive:
            if not isinstance(name, str) or name not in self._columns:
                problems.append(f"sensitive column {name!r} is not a column; columns are "
                                f"{list(self._columns)}")
            elif self._columns[name].family != "discrete":
                problems.append(f"sensitive column {name!r} is {self._columns[name].kind!r}; "
                                "a sensitive column names groups, so it must be categorical or "
                                "boolean (bin a number such as age into a categorical column "
                                "first)")
        if len(set(map(str, self.sensitive))) != len(self.sensitive):
            problems.append(f"sensitive columns {self.sensitive} repeat a column")
        return problems

    def _sequence_problems(self) -> list[str]:
        key, index = self.sequence_key, self.sequence_index
        problems = []
        for label, value in (("sequence_key", key), ("sequence_index", index)):
            if value is not None and (not isinstance(value, str) or value not in self._columns):
                problems.append(f"{label} {value!r} is not a column; columns are "
                                f"{list(self._columns)}")
        if index is not None and key is None:
            problems.append(f"sequence_index {index!r} needs a sequence_key (the column naming "
                            "each event's entity)")
        if index is not None and index == key:
            problems.append(f"sequence_index {index!r} cannot also be the sequence_key")
        kind = self._columns.get(index) if isinstance(index, str) else None
        if kind is not None and not isinstance(kind, Numerical | Datetime):
            problems.append(f"sequence_index {index!r} must be a numerical or datetime column, "
                            f"not {kind.kind!r}; name a date or counter column, or none for "
                            "the rows' order")
        if key is not None and key == self.primary_key:
            problems.append(f"sequence_key {key!r} repeats across an entity's events, so it "
                            "cannot be the primary_key")
        return problems

    def _constraint_problems(self) -> list[str]:
        from simulacra.constraints import Constraint

        problems: list[str] = []
        for constraint in self.constraints:
            if not isinstance(constraint, Constraint):
                problems.append(f"{constraint!r} is not a constraint")
                continue
            problems += constraint.problems(self)
        return problems

    def validate_data(self, data: pd.DataFrame) -> None:
        """Raise :class:`MetadataError` listing every way ``data`` disagrees with the metadata."""
        if not isinstance(data, pd.DataFrame):
            raise MetadataError(f"expected a pandas DataFrame, got {type(data).__name__}")
        check_column_names(data.columns)
        problems = []
        missing = [c for c in self._columns if c not in data.columns]
        extra = [c for c in data.columns if c not in self._columns]
        if missing:
            problems.append(f"columns in the metadata but not in the data: {missing}")
        if extra:
            problems.append(f"columns in the data but not in the metadata: {extra}; add them "
                            "(Metadata.set_column) or drop them from the data")
        for name, kind in self._columns.items():
            if name in data.columns:
                problems += _data_problems(name, kind, data[name])
        if problems:
            raise MetadataError(problems, header="The data does not match the metadata")

    # -- serialization --------------------------------------------------------------------
    def without_reasons(self) -> Metadata:
        """The same metadata with every detection reason dropped: reasons quote the data
        (ranges, example values), so a model under a privacy budget keeps none.

        >>> md = Metadata.detect(pd.DataFrame({"x": [1.5, 2.5, 1e9] * 10}))
        >>> "1000000000" in md["x"].reason, md.without_reasons()["x"].reason
        (True, '')
        """
        return Metadata({n: k.with_reason("") for n, k in self._columns.items()},
                        primary_key=self.primary_key, constraints=self.constraints,
                        sequence_key=self.sequence_key, sequence_index=self.sequence_index,
                        sensitive=self.sensitive)

    def to_dict(self, *, reasons: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "metadata_version": METADATA_VERSION,
            "primary_key": self.primary_key,
            "columns": {n: k.to_dict(reason=reasons) for n, k in self._columns.items()},
        }
        if self.constraints:
            out["constraints"] = [c.to_dict() for c in self.constraints]
        if self.sequence_key is not None:
            out["sequence_key"] = self.sequence_key
            out["sequence_index"] = self.sequence_index
            if reasons and self.sequence_reason:
                out["sequence_reason"] = self.sequence_reason
        if self.sensitive:
            out["sensitive"] = list(self.sensitive)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metadata:
        if not isinstance(data, Mapping) or "columns" not in data:
            raise MetadataError("metadata must be a mapping with a 'columns' key")
        version = data.get("metadata_version")
        if version != METADATA_VERSION:
            raise MetadataError(f"metadata_version {version!r} is not supported; this simulacra "
                                f"reads version {METADATA_VERSION}")
        problems: list[str] = []
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                close = difflib.get_close_matches(str(key), TOP_LEVEL_KEYS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"unknown key {key!r}{hint}; a metadata file has "
                                f"{', '.join(TOP_LEVEL_KEYS)}")
        if not isinstance(data["columns"] or {}, Mapping):
            raise MetadataError([*problems, "'columns' must map each column name to its "
                                 "kind, e.g. {age: {kind: numerical}}"])
        columns: dict[str, ColumnKind] = {}
        for name, spec in (data["columns"] or {}).items():
            try:
                columns[str(name)] = column_from_dict(dict(spec or {}), name=str(name))
            except MetadataError as err:
                problems += err.problems
            except TypeError as err:
                problems.append(f"column {name!r}: {err}")
        constraints = []
        specs = data.get("constraints") or []
        if not isinstance(specs, list):
            problems.append("'constraints' must be a list of mappings such as "
                            "{type: inequality, low: start, high: end}")
            specs = []
        from simulacra.constraints import constraint_from_dict

        for position, spec in enumerate(specs):
            try:
                constraint = constraint_from_dict(spec)
            except MetadataError as err:
                problems += [f"constraint #{position + 1}: {p}" for p in err.problems]
                continue
            constraints.append(constraint)
            problems += [f"constraint #{position + 1}: {p}" for p in constraint.problems(columns)]
        reason = data.get("sequence_reason") or ""
        if not isinstance(reason, str):
            problems.append("'sequence_reason' must be text")
            reason = ""
        sensitive = data.get("sensitive") or []
        if isinstance(sensitive, str):
            sensitive = [sensitive]
        if not isinstance(sensitive, list) or not all(isinstance(c, str) for c in sensitive):
            problems.append("'sensitive' must be a list of column names, e.g. [sex, race]")
            sensitive = []
        if problems:
            raise MetadataError(problems)
        return cls(columns, primary_key=data.get("primary_key"), constraints=constraints,
                   sequence_key=data.get("sequence_key"),
                   sequence_index=data.get("sequence_index"), sequence_reason=reason[:1000],
                   sensitive=sensitive)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Metadata:
        try:
            return cls.from_dict(load_json(text))
        except json.JSONDecodeError as err:
            raise MetadataError(f"metadata is not valid JSON: {err}") from None

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @classmethod
    def from_yaml(cls, text: str) -> Metadata:
        try:
            return cls.from_dict(load_yaml(text))
        except yaml.YAMLError as err:
            raise MetadataError(f"metadata is not valid YAML: {err}") from None

    def save(self, path: str | Path) -> None:
        """Write YAML (``.yaml``/``.yml``) or JSON (``.json``) atomically."""
        from simulacra.io import write_text_atomic

        path = Path(path)
        text = self.to_json() if path.suffix.lower() == ".json" else self.to_yaml()
        write_text_atomic(path, text)

    @classmethod
    def load(cls, path: str | Path) -> Metadata:
        from simulacra.io import read_text_bounded

        path = Path(path)
        text = read_text_bounded(path, what="metadata file")
        return cls.from_json(text) if path.suffix.lower() == ".json" else cls.from_yaml(text)


def _as_kind(value: ColumnKind | str, name: str) -> ColumnKind:
    if isinstance(value, ColumnKind):
        return value
    if isinstance(value, str) and value in KINDS:
        return KINDS[value]()
    raise MetadataError(f"override for {name!r} must be a column kind or one of "
                        f"{', '.join(KINDS)}; got {value!r}")


def _data_problems(name: str, kind: ColumnKind, column: pd.Series) -> list[str]:
    """Checks that would make fitting fail later, reported up front."""
    values = column.dropna()
    if isinstance(kind, Numerical) and len(values):
        from simulacra.metadata.detect.evidence import MISSING_MARKERS

        numeric = pd.to_numeric(values, errors="coerce")
        marker = values.astype(str).str.strip().str.lower().isin(MISSING_MARKERS)
        bad = values[numeric.isna().to_numpy() & ~marker.to_numpy()]  # '?', 'n/a' ... may be nulls
        if len(bad):
            return [f"column {name!r} is numerical but has {len(bad):,} non-numeric values, "
                    f"e.g. {list(bad.unique()[:3])}; fix them or make the column categorical"]
    return []
