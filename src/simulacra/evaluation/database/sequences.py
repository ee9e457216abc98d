"""A child table's rows per parent, judged as sequences.

The orders of an account, the transactions of a card, the purchases of a user: a child table
whose rows hang off one parent each, in time order, is a sequence per parent — what the
relational synthesizer draws with the sequential network. For every single-column foreign key
under which some real parent has two children or more and whose child table has an order (its
metadata's ``sequence_index``, else its first datetime column), the sequence figures of
:mod:`simulacra.evaluation.sequence` run on the child table with the key as the entity:
sequence-length similarity, inter-event-time similarity, the autocorrelation gap per numeric
column, StatisticMSAS and InterRowMSAS, and the correlational score. The networks (the
discriminative and predictive scores) are left out here — one GRU per relation would cost more
than the rest of the evaluation; run :func:`simulacra.evaluate` on the child table for them.

>>> import numpy as np, pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> from simulacra.evaluation.database.data import DatabaseData
>>> rng = np.random.default_rng(0)
>>> users = pd.DataFrame({"user_id": range(60)})
>>> orders = pd.DataFrame({"order_id": range(300), "user_id": rng.integers(0, 60, 300),
...                        "day": pd.Timestamp("2024-01-01")
...                        + pd.to_timedelta(rng.integers(0, 90, 300), "D"),
...                        "amount": rng.gamma(2.0, 10.0, 300).round(2)})
>>> db = {"users": users, "orders": orders}
>>> data = DatabaseData.check(db, db, DatabaseMetadata.detect(db))
>>> found, notes = relation_sequences(data, rng)
>>> sorted({f.where for f in found}), found[0].metric.name, found[0].metric.value
(['orders.user_id'], 'sequence length similarity', 1.0)
"""

from __future__ import annotations

import numpy as np

from simulacra.evaluation.database.data import DatabaseData
from simulacra.evaluation.database.scoped import Scoped
from simulacra.evaluation.sequence.evaluate import SequenceSettings, run_sequences
from simulacra.kinds import Datetime, Id
from simulacra.metadata import ForeignKey, Metadata

#: Entities per relation the figures look at, at most (a seeded subset beyond).
MAX_ENTITIES = 2_000


def relation_sequences(data: DatabaseData, rng: np.random.Generator, *,
                       max_entities: int = MAX_ENTITIES) -> tuple[list[Scoped], list[str]]:
    """The sequence figures of every child table under each foreign key whose children form
    sequences (see the module docstring), and notes on the keys passed over."""
    found: list[Scoped] = []
    notes: list[str] = []
    settings = SequenceSettings(max_entities=max_entities, neural=False)
    for fk in data.metadata.foreign_keys:
        if len(fk.columns) != 1 or fk.table == fk.parent:
            continue
        key = fk.columns[0]
        real = data.real[fk.table]
        if len(real) == 0 or real[key].value_counts().max() < 2:
            continue  # no parent has siblings: no sequences to compare
        index = _order(data, fk)
        if index is None:
            notes.append(f"{fk.name}: children per parent have no order (a datetime column or "
                         "sequence_index): no sequence figures")
            continue
        kinds = {c: k for c, k in data.value_kinds(fk.table).items() if c != index}
        columns = [key, index, *kinds]
        metadata = Metadata({key: Id(unique=False), index: data.metadata[fk.table][index],
                             **kinds}, sequence_key=key, sequence_index=index)
        synthetic = data.synthetic[fk.table]
        result = run_sequences(real[columns].dropna(subset=[key]),
                               synthetic[columns].dropna(subset=[key]), metadata,
                               holdout=None, rng=rng, settings=settings)
        found += [Scoped("relation", fk.name, m) for m in result.metrics]
        notes += [f"{fk.name}: {note}" for note in result.not_computed
                  if not note.startswith(("discriminative", "predictive"))]
    return found, notes


def _order(data: DatabaseData, fk: ForeignKey) -> str | None:
    """The column ordering ``fk``'s children: the table's ``sequence_index`` when it names a
    column, else its first datetime column that is not a key."""
    meta = data.metadata[fk.table]
    columns = data.real[fk.table].columns
    if meta.sequence_index is not None and meta.sequence_index in columns:
        return meta.sequence_index
    keys = data.key_columns(fk.table)
    return next((c for c in columns if c not in keys and c in meta
                 and isinstance(meta[c], Datetime)), None)
