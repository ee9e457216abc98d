"""Each table's free-text columns: the single-table text figures, table by table.

For every table whose metadata has columns of kind ``text``,
:func:`~simulacra.evaluation.text.evaluate_text` runs on that table's real, synthetic and
(when the holdout has the table) holdout rows, its key columns set aside: a key is never a
text's coherence target (the default targets are the table's other categorical columns), and
each figure is a table-scoped :class:`~simulacra.evaluation.database.scoped.Scoped` whose
``Metric.column`` names its text column. The texts shown in the report stay out of the JSON.

Settings (:class:`~simulacra.evaluation.text.TextSettings`) apply to every text column of
every table; ``columns`` and ``coherence`` name columns as ``column`` (in every table that has
it) or ``table.column``.

>>> import pandas as pd
>>> from simulacra.evaluation.database.data import DatabaseData
>>> from simulacra.metadata import DatabaseMetadata
>>> kinds = pd.DataFrame({"kind_id": [0, 1], "name": ["sea", "farm"]})
>>> words = {0: "ship wave salt tide", 1: "cow barn hay plough"}
>>> rng = np.random.default_rng(0)
>>> kind = rng.integers(0, 2, 300)
>>> notes = pd.DataFrame({"note_id": range(300), "kind_id": kind, "topic": kind.astype(str),
...                       "note": [" ".join(rng.choice(words[k].split(), 5)) for k in kind]})
>>> real = {"kinds": kinds, "notes": notes}
>>> md = DatabaseMetadata.detect(real)
>>> md = md.set_table("notes", md["notes"].update_column("note", kind="text"))
>>> data = DatabaseData.check(real, real, md)
>>> out = text_figures(data, TextSettings(folds=2, samples=1), random_state=0, max_rows=200)
>>> sorted({(f.where, f.metric.column) for f in out.figures})
[('notes', 'note')]
>>> out.info["notes"]["note"]["coherence_targets"], out.figures[0].metric.note
(['topic'], 'random subsample: 200 of 300 real rows, 200 of 300 synthetic rows')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulacra.errors import ParameterError
from simulacra.evaluation.database.data import DatabaseData, table_sides
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.text import TextSettings, evaluate_text, text_columns

#: The spawn key of the text figures' random streams (one stream per table below it), apart
#: from the generator the other stages share: the text figures are the same whichever other
#: groups run, and the other figures the same with or without text columns.
_TEXT_STREAM = 7


@dataclass
class TextFigures:
    """The text figures of a database, with what the report and ``info`` show beside them.

    ``info[table][column]``: statistics per side and coherence targets (JSON-safe);
    ``seconds[table][column]``: the seconds each figure took; ``samples[table][column]``:
    ``{"real": [...], "synthetic": [...]}`` texts for the report (never in the JSON).
    """

    figures: list[Scoped] = field(default_factory=list)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    samples: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    not_computed: list[str] = field(default_factory=list)


def text_tables(data: DatabaseData) -> dict[str, list[str]]:
    """The tables that have free-text columns (key columns aside), with those columns.

    >>> import pandas as pd
    >>> from simulacra.metadata import DatabaseMetadata
    >>> real = {"t": pd.DataFrame({"id": [1, 2], "x": ["a b", "c d"]})}
    >>> md = DatabaseMetadata.detect(real)
    >>> text_tables(DatabaseData.check(real, real, md.set_table(
    ...     "t", md["t"].update_column("x", kind="text"))))
    {'t': ['x']}
    """
    out = {}
    for table in data.tables:
        keys = data.key_columns(table)
        found = [c for c in text_columns(data.real[table], data.metadata[table])
                 if c not in keys]
        if found:
            out[table] = found
    return out


def text_figures(data: DatabaseData, settings: TextSettings, *, random_state: int,
                 max_rows: int, progress: Callable[[str], None] | None = None) -> TextFigures:
    """Every text figure of every table with free-text columns (:func:`text_tables`).

    Each side of a table reads at most ``max_rows`` rows, drawn with a generator of the
    table's own (from ``random_state`` and the table's place); the figures' notes say so.
    ``progress`` is called with ``"<table>.<column>: <figure>"`` as each figure starts.
    """
    tables = text_tables(data)
    _check_names(settings.columns, "columns", tables, data)
    _check_names(settings.coherence, "coherence", None, data)
    out = TextFigures()
    for position, table in enumerate(data.tables):
        if table not in tables:
            continue
        keys = data.key_columns(table)
        columns = [c for c in data.real[table].columns if c not in keys]
        chosen = _local(settings, table, tables[table], columns, data.tables)
        if chosen is None:
            continue
        rng = np.random.default_rng(np.random.SeedSequence(
            int(random_state), spawn_key=(_TEXT_STREAM, position)))
        sides, note = table_sides(data, table, columns, rng, max_rows)
        frames = {side: None if f is None else f.reset_index(drop=True)
                  for side, f in sides.items()}
        found = evaluate_text(
            frames["real"], frames["synthetic"], frames["holdout"],
            metadata=data.metadata[table], random_state=int(rng.integers(0, 2**31 - 1)),
            settings=chosen,
            progress=(lambda step, t=table: progress(f"{t}.{step}")) if progress else None)
        out.figures += [Scoped("table", table, dataclasses.replace(
            m, note="; ".join(filter(None, [m.note, note])))) for m in found.metrics]
        out.info[table] = found.info()
        out.seconds[table] = found.seconds
        if found.samples:
            out.samples[table] = found.samples
        out.not_computed += [f"table {table!r}: {n}" for n in found.not_computed]
    return out


def _local(settings: TextSettings, table: str, found: list[str], columns: list[str],
           tables: Collection[str]) -> TextSettings | None:
    """``settings`` for one table: its own text columns (``found``) and coherence targets
    (among its non-key ``columns``) of the names given; ``None`` when the ``columns`` setting
    chooses none of its text columns."""
    changes: dict[str, Any] = {}
    if settings.columns is not None:
        chosen = tuple(c for c in found
                       if any(_column(n, table, tables) == c for n in settings.columns))
        if not chosen:
            return None
        changes["columns"] = chosen
    if settings.coherence is not None:
        named = (_column(n, table, tables) for n in settings.coherence)
        changes["coherence"] = tuple(dict.fromkeys(c for c in named if c in columns))
    return dataclasses.replace(settings, **changes) if changes else settings


def _column(name: str, table: str, tables: Collection[str]) -> str | None:
    """The column of ``table`` that ``name`` names: ``table.column`` → ``column``, another
    table's ``other.column`` → ``None``, a plain name → itself.

    >>> _column("notes.text", "notes", ["notes", "users"]), _column("users.bio", "notes",
    ...         ["notes", "users"]), _column("text", "notes", ["notes"])
    ('text', None, 'text')
    """
    prefix, dot, rest = name.partition(".")
    if dot and prefix == table:
        return rest
    if dot and prefix in tables:
        return None
    return name


def _check_names(names: tuple[str, ...] | None, setting: str,
                 tables: dict[str, list[str]] | None, data: DatabaseData) -> None:
    """Refuse a name in the ``columns`` (text columns) or ``coherence`` setting that names
    no column of any table, naming the ones it could be."""
    if names is None:
        return
    known: set[str] = set()
    if tables is not None:
        for table, columns in tables.items():
            known.update(columns)
            known.update(f"{table}.{c}" for c in columns)
    else:
        for table in data.tables:
            columns = [c for c in data.real[table].columns if c not in data.key_columns(table)]
            known.update(columns)
            known.update(f"{table}.{c}" for c in columns)
    wrong = [n for n in names if n not in known]
    if wrong:
        what = "text columns" if tables is not None else "non-key columns"
        raise ParameterError(f"The {setting!r} text setting must name {what} of the database's "
                             f"tables (as COLUMN or TABLE.COLUMN): {sorted(known)}. Got "
                             f"{wrong} instead.")


__all__ = ["TextFigures", "text_figures", "text_tables"]
