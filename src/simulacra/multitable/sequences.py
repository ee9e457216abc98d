"""Child tables generated as sequences: a parent's children drawn together, not one by one.

A child table whose rows hang off one parent each (orders of an account, dispositions of an
account) is, per parent, a short sequence. Drawn row by row, siblings know their parent but
not each other: an account may get two owners, a customer two identical standing orders. A
:class:`~simulacra.models.sequential.SequentialNetwork` fitted with the parent as the entity
draws each parent's children together — the second knows the first — given the parent's
profile and the number of children the parent's own model gave it (``~siblings``), so the
cardinality stays the parent model's and no matching is needed for that key.

``model="auto"`` uses it for a child table whose primary key to its parent has no null or
orphan values, at least :data:`MIN_PARENTS` parents, some with two children or more, and at
most :data:`MAX_MEAN_CHILDREN` children per parent on average (beyond that, e.g. thousands of
accounts per district, the children are a population rather than a sequence).

The *primary* foreign key of a table — the parent that decides how many rows it gets and
whose profile it is drawn for — is the first of its keys to tables generated before it, passing
over keys where no parent has two children (a disposition belongs to its account, which has
one or two, rather than to its client, who has exactly one).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.kinds import ColumnKind, Datetime, Id, Numerical
from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
from simulacra.metadata.keys import parent_positions
from simulacra.multitable.context import ContextSpec, Layout

#: The context column holding a parent's number of children, and the entity column.
SIBLINGS = "~siblings"
PARENT = "~parent"
#: ``auto`` draws a child table as sequences only with this many parents at least ...
MIN_PARENTS = 100
#: ... and at most this many children per parent on average.
MAX_MEAN_CHILDREN = 50.0
SEQUENCE_MODEL = "sequential"


def choose_primary(metadata: DatabaseMetadata, layout: Layout, table: str,
                   frames: Mapping[str, pd.DataFrame]) -> ForeignKey | None:
    """The foreign key whose parents decide ``table``'s rows (see the module docstring)."""
    order = metadata.table_order()
    here = order.index(table)
    keys = [fk for fk in layout.context_keys(table) if order.index(fk.parent) < here]
    if not keys:
        return None
    return min(keys, key=lambda fk: _one_to_one(frames, fk))  # stable: the first otherwise


def _one_to_one(frames: Mapping[str, pd.DataFrame], fk: ForeignKey) -> bool:
    """Whether no parent has two children by ``fk`` (the key carries no siblings)."""
    rows = parent_positions(frames[fk.table], fk.columns, frames[fk.parent], fk.parent_columns)
    linked = rows[rows >= 0]
    return len(linked) == len(np.unique(linked))


def wants_sequences(name: str, table: str, primary: ForeignKey | None,
                    frames: Mapping[str, pd.DataFrame], has_link_states: bool) -> bool:
    """Whether ``table`` (model ``name``) is drawn as sequences of its primary parent."""
    if name == SEQUENCE_MODEL:
        if primary is None or has_link_states:
            raise ParameterError(
                f"table {table!r} cannot be modelled as sequences: it needs a parent table "
                "generated before it, and every row linked to a parent (no null or orphan "
                "keys); choose another model for it")
        return True
    if name != "auto" or primary is None or has_link_states:
        return False
    if importlib.util.find_spec("torch") is None:
        return False
    rows = parent_positions(frames[table], primary.columns, frames[primary.parent],
                            primary.parent_columns)
    sizes = np.bincount(rows[rows >= 0])
    sizes = sizes[sizes > 0]
    return (len(sizes) >= MIN_PARENTS and int(sizes.max()) >= 2
            and float(sizes.mean()) <= MAX_MEAN_CHILDREN)


def fit_sequences(table: str, train: pd.DataFrame, kinds: Mapping[str, ColumnKind],
                  spec: ContextSpec, frames: Mapping[str, pd.DataFrame],
                  params: Mapping[str, Any], seed: int) -> Any:
    """A :class:`~simulacra.models.sequential.SequentialNetwork` of ``table``'s rows per
    parent of ``spec``'s key, the parent's context (and its number of children) as context.

    ``value_protection`` in ``params`` is the database's (its tables are protected before
    any context is built, :meth:`RelationalSynthesizer._protect`), not the network's."""
    from simulacra.models.sequential import SequentialNetwork

    params = {k: v for k, v in params.items() if k != "value_protection"}
    check_table_params(table, SEQUENCE_MODEL, SequentialNetwork, params)
    fk = spec.fk
    rows = parent_positions(frames[table], fk.columns, frames[fk.parent], fk.parent_columns)
    frame = train.reset_index(drop=True).copy()
    frame[SIBLINGS] = np.bincount(rows, minlength=len(frames[fk.parent]))[rows]
    frame[PARENT] = rows
    metadata = Metadata({**kinds,
                         SIBLINGS: Numerical(integer=True, minimum=1,
                                             reason="number of children of the parent"),
                         PARENT: Id(unique=False, reason="the parent row")},
                        sequence_key=PARENT, sequence_index=_time_column(train, kinds))
    model = SequentialNetwork(metadata, sequence_key=PARENT,
                              context_columns=(*spec.names(), SIBLINGS), random_state=seed,
                              **dict(params))
    return model.fit(frame)


def _time_column(train: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> str | None:
    """The first datetime column without nulls: a parent's children are drawn in its order,
    as gaps since the previous child (:mod:`simulacra.models.sequential.timing`)."""
    return next((c for c, kind in kinds.items()
                 if isinstance(kind, Datetime) and not train[c].isna().any()), None)


def check_table_params(table: str, name: str, cls: Any, params: Mapping[str, Any]) -> None:
    """Refuse hyperparameters that ``table``'s model (``name``) does not take, naming them."""
    allowed = [p for p in cls._param_names() if p != "random_state"]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ParameterError(f"model_params for table {table!r}: {unknown} are not "
                             f"parameters of its model {name!r}; it takes {allowed}")


def draw_sequences(model: Any, profile: pd.DataFrame, spec: ContextSpec,
                   counts: np.ndarray, rng: np.random.Generator
                   ) -> tuple[pd.DataFrame, np.ndarray]:
    """Every parent's children: ``(rows, parent position of each row)``; parent ``i`` of
    ``profile`` (its rows, by position) gets ``counts[i]`` children."""
    has = np.flatnonzero(counts > 0)
    context = profile[list(spec.columns)].iloc[has].reset_index(drop=True)
    context.columns = spec.names()
    context[SIBLINGS] = counts[has]
    drawn, positions = model.sample_for(context, lengths=counts[has], rng=rng)
    return drawn.reset_index(drop=True), has[positions]
