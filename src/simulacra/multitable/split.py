"""Hold out part of a database for evaluation, keeping both parts consistent.

A database cannot be split row by row: a held-out order whose customer stayed in training
would leak the customer into the holdout and orphan the order. The split chooses rows of one
*subject* table (say, accounts) and moves everything below them with them (their orders,
their orders' items); a table beside them (Berka's clients, reached from accounts through a
link table; an order's store) goes with the rows that use it, into both parts when rows of
both use it. The subject's ancestors — lookup tables such as districts — are whole in both
parts, as every row of either part needs them. Both parts have every key resolving.

>>> import pandas as pd
>>> from simulacra.metadata import DatabaseMetadata
>>> tables = {"users": pd.DataFrame({"user_id": range(10), "age": range(20, 30)}),
...           "orders": pd.DataFrame({"order_id": range(30), "user_id": [i % 10 for i in
...                                                                      range(30)]})}
>>> meta = DatabaseMetadata.detect(tables)
>>> train, holdout = split_database(tables, meta, 0.3, seed=0)
>>> len(train["users"]) + len(holdout["users"]), len(holdout["orders"]) == 3 * len(
...     holdout["users"])
(10, True)
>>> set(holdout["orders"]["user_id"]) <= set(holdout["users"]["user_id"])
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.metadata import DatabaseMetadata, ForeignKey
from simulacra.metadata.keys import ORPHAN, parent_positions

Tables = dict[str, pd.DataFrame]


def default_subject(metadata: DatabaseMetadata, tables: Mapping[str, pd.DataFrame]) -> str:
    """The table whose rows a split holds out when none is named: the one with the most rows
    below it (its descendants' rows), among tables with children that are not small lookups
    (at least a tenth of the rows of the largest table with children); then the one with
    more rows of its own, then the first in parent-first order.

    Berka: ``account`` (not ``district``, a 77-row lookup above everything, nor ``client``,
    which has only dispositions and cards below it).
    """
    def children(table: str) -> list[ForeignKey]:
        return [fk for fk in metadata.children(table) if not fk.self_reference]

    def below(table: str) -> int:
        seen, stack, rows = {table}, [table], 0
        while stack:
            for fk in children(stack.pop()):
                if fk.table not in seen:
                    seen.add(fk.table)
                    stack.append(fk.table)
                    rows += len(tables[fk.table])
        return rows

    order = metadata.table_order()
    parents = [t for t in order if children(t)] or order
    largest = max(len(tables[t]) for t in parents)
    candidates = [t for t in parents if len(tables[t]) * 10 >= largest]
    return max(candidates, key=lambda t: (below(t), len(tables[t]), -order.index(t)))


def split_masks(tables: Mapping[str, pd.DataFrame], metadata: DatabaseMetadata,
                share: float, *, subject: str | None = None, seed: int = 0
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per table, boolean masks of the rows in the training part and in the holdout.

    The subject's rows and everything below them are in exactly one part. Its ancestors
    (lookups) are whole in both. Any other table (a side parent, such as an order's store)
    has each row in every part that has a row using it, and rows nobody uses in training.
    """
    if not (isinstance(share, int | float) and 0 <= share < 1):
        raise ParameterError(f"The 'share' parameter must be in [0, 1). Got {share!r}.")
    subject = subject if subject is not None else default_subject(metadata, tables)
    if subject not in metadata:
        raise ParameterError(f"The 'subject' parameter must name a table; {subject!r} is not "
                             f"one of {', '.join(metadata)}")
    rng = np.random.default_rng(seed)
    held: dict[str, np.ndarray] = {}
    n_rows = len(tables[subject])
    held[subject] = np.zeros(n_rows, dtype=bool)
    held[subject][rng.permutation(n_rows)[:round(n_rows * share)]] = True
    below = [subject]
    while below:
        parent = below.pop()
        for fk in metadata.children(parent):
            if fk.self_reference:
                continue
            rows = _positions(tables, fk)
            hit = (rows >= 0) & held[parent][np.maximum(rows, 0)]
            mask = held.setdefault(fk.table, np.zeros(len(tables[fk.table]), dtype=bool))
            if (hit & ~mask).any():
                mask |= hit
                below.append(fk.table)
    train = {t: ~m for t, m in held.items()}
    hold = dict(held)
    for table in lookups_of(metadata, subject):
        train[table] = hold[table] = np.ones(len(tables[table]), dtype=bool)
    for table in reversed(metadata.table_order()):  # side tables: children first
        if table in hold:
            continue
        in_train = np.zeros(len(tables[table]), dtype=bool)
        in_hold = np.zeros(len(tables[table]), dtype=bool)
        for fk in metadata.children(table):
            if fk.self_reference or fk.table not in hold:
                continue
            rows = _positions(tables, fk)
            in_train[rows[(rows >= 0) & train[fk.table]]] = True
            in_hold[rows[(rows >= 0) & hold[fk.table]]] = True
        train[table] = in_train | ~in_hold
        hold[table] = in_hold
    return train, hold


def _positions(tables: Mapping[str, pd.DataFrame], fk: ForeignKey) -> np.ndarray:
    return parent_positions(tables[fk.table], fk.columns, tables[fk.parent], fk.parent_columns)


def lookups_of(metadata: DatabaseMetadata, subject: str) -> set[str]:
    """The subject's ancestors: tables every part of a split needs whole."""
    above: set[str] = set()
    stack = [subject]
    while stack:
        for fk in metadata.parents(stack.pop()):
            if fk.parent not in above and fk.parent != subject:
                above.add(fk.parent)
                stack.append(fk.parent)
    return above


def apply_split(tables: Mapping[str, pd.DataFrame], metadata: DatabaseMetadata,
                masks: Mapping[str, np.ndarray]) -> Tables:
    """The part of ``tables`` that ``masks`` (one of :func:`split_masks`' two) selects; a
    self-reference to a row of the other part (a referrer held out) becomes null."""
    part = {t: tables[t][masks[t]].reset_index(drop=True) for t in metadata}
    for table in metadata:
        for fk in metadata.parents(table):
            if fk.self_reference:
                part[table] = _cut_dangling(part[table], fk)
    return part


def _cut_dangling(frame: pd.DataFrame, fk: ForeignKey) -> pd.DataFrame:
    rows = parent_positions(frame, fk.columns, frame, fk.parent_columns)
    dangling = rows == ORPHAN
    if not dangling.any():
        return frame
    frame = frame.copy()
    for column in fk.columns:
        values = frame[column]
        if values.dtype.kind in "iub":  # ints and bools hold no null: their nullable kin
            values = values.convert_dtypes()
        frame[column] = values.mask(dangling)
    return frame


def split_database(tables: Mapping[str, pd.DataFrame], metadata: DatabaseMetadata,
                   share: float, *, subject: str | None = None, seed: int = 0
                   ) -> tuple[Tables, Tables]:
    """``(train, holdout)``: ``share`` of ``subject``'s rows held out with everything below
    them, the subject's ancestors whole in both parts, a side table's rows in the parts whose
    rows use them (:func:`split_masks`). ``subject`` defaults to :func:`default_subject`."""
    train, hold = split_masks(tables, metadata, share, subject=subject, seed=seed)
    return apply_split(tables, metadata, train), apply_split(tables, metadata, hold)
