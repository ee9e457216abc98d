"""``ConstraintSet``: the constraints of one fitted model, applied in order.

At fit (:meth:`ConstraintSet.fit`) every constraint is checked on the real data, violations
are reported (count and example rows) and handled by ``on_violation``, and the reversible
transforms are fitted one after the other. A constraint whose columns an earlier transform
already rewrote holds by re-sampling instead, so constraints never fight over a column.

At sampling, :meth:`reverse` undoes the transforms in reverse order and :meth:`valid` checks
every constraint (those held by construction too, as a safety net); the synthesizer
re-samples only the failing rows.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import ItemsView, Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from simulacra.constraints.base import Constraint, Transform
from simulacra.constraints.registry import TRANSFORMS, constraint_from_dict
from simulacra.constraints.report import ConstraintCheck, ConstraintReport
from simulacra.errors import DataError, check_param
from simulacra.kinds import ColumnKind

logger = logging.getLogger(__name__)

ON_VIOLATION = ("drop", "keep", "error")
_EXAMPLES = 5


class Table(Protocol):
    """What a :class:`ConstraintSet` reads of a table's metadata (a ``Metadata`` is one):
    its column kinds in order, its primary key and constraints, and a copy with other columns.
    """

    primary_key: str | None
    constraints: list[Constraint]

    def __getitem__(self, name: str) -> ColumnKind: ...

    def __contains__(self, name: object) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...

    def __len__(self) -> int: ...

    def items(self) -> ItemsView[str, ColumnKind]: ...

    def with_columns(self, columns: Mapping[str, ColumnKind]) -> Table: ...


class ConstraintViolationWarning(UserWarning):
    """The real data breaks a declared constraint (see ``constraint_report_``)."""


class ConstraintSet:
    """Fitted constraints (``constraints``) with their transforms (``None``: re-sampling)."""

    def __init__(self, metadata: Table, constraints: Sequence[Constraint],
                 transforms: Sequence[Transform | None]):
        self.metadata = metadata
        self.constraints = list(constraints)
        self.transforms = list(transforms)
        self.model_metadata = self._model_metadata()

    def __len__(self) -> int:
        return len(self.constraints)

    # -- fit ------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, metadata: Table, data: pd.DataFrame, *, on_violation: str = "drop",
            private: bool = False
            ) -> tuple[ConstraintSet, pd.DataFrame, ConstraintReport | None]:
        """Check ``data``, handle violations; return the set, the rows to learn from, a report.

        ``private`` (a fit under a privacy budget): the report is None and messages name
        neither rows, nor values, nor counts, which the budget does not cover.
        """
        check_param("on_violation", on_violation, "one of 'drop', 'keep', 'error'",
                    on_violation in ON_VIOLATION)
        learned = [c.learn(data, metadata, private=private) for c in metadata.constraints]
        masks = [c.check(data, metadata) for c in learned]
        checks = _checks(learned, masks, data)
        n_rows = len(data)
        bad = ~np.logical_and.reduce(masks) if masks else np.zeros(len(data), dtype=bool)
        if bad.any():
            _report_violations(checks, int(bad.sum()), n_rows, on_violation, private)
        if on_violation == "drop" and bad.any():
            if bad.all():
                raise DataError("every row breaks at least one constraint; nothing is left to "
                                "learn from (check the constraints against the data)")
            data = data.loc[~bad].reset_index(drop=True)
        transforms: list[Transform | None] = []
        rewritten: set[str] = set()
        frame = data
        for constraint in learned:
            transform = None
            if not rewritten.intersection(constraint.columns):
                transform = constraint.transformer(frame, metadata, private=private)
            if transform is not None:
                rewritten.update(transform.removes)
                frame = transform.transform(frame)
            transforms.append(transform)
        fitted = cls(metadata, learned, transforms)
        if private:
            return fitted, data, None
        report = ConstraintReport(
            rows=n_rows, on_violation=on_violation, rows_used=len(data), checks=checks,
            by_construction=tuple(str(c) for c, t in zip(learned, transforms, strict=True)
                                  if t is not None))
        return fitted, data, report

    # -- the table the model sees ---------------------------------------------------------------
    @property
    def rewritten(self) -> set[str]:
        """Original columns the model does not see as they are."""
        return {c for t in self.transforms if t is not None for c in t.removes}

    def _model_metadata(self) -> Table:
        items = list(self.metadata.items())
        for transform in self.transforms:
            if transform is None:
                continue
            names = [name for name, _ in items]
            position = min(names.index(c) for c in transform.removes)
            items = [(n, k) for n, k in items if n not in transform.removes]
            items[position:position] = list(transform.adds.items())
        return self.metadata.with_columns(dict(items))

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        frame = data
        for transform in self.transforms:
            if transform is not None:
                frame = transform.transform(frame)
        return frame[list(self.model_metadata)]

    def reverse(self, frame: pd.DataFrame) -> pd.DataFrame:
        for transform in reversed(self.transforms):
            if transform is not None:
                frame = transform.reverse(frame)
        return frame[list(self.metadata)]

    # -- checking generated rows ----------------------------------------------------------------
    def valid(self, frame: pd.DataFrame, accepted: pd.DataFrame | None = None) -> np.ndarray:
        """One mask per constraint (rows × constraints) for ``frame``.

        Constraints across rows (uniqueness) also count clashes with the ``accepted`` rows.
        """
        out = np.ones((len(frame), len(self.constraints)), dtype=bool)
        for j, constraint in enumerate(self.constraints):
            if constraint.across_rows and accepted is not None and len(accepted):
                both = pd.concat([accepted[frame.columns], frame], ignore_index=True)
                out[:, j] = constraint.check(both, self.metadata)[len(accepted):]
            else:
                out[:, j] = constraint.check(frame, self.metadata)
        return out

    def impossible(self, column: str, value: Any) -> str | None:
        """Why ``{column: value}`` can never be met, when a merged group says so."""
        from simulacra.constraints.fixed_combinations import Merge, value_key

        for transform in self.transforms:
            if isinstance(transform, Merge) and column in transform.removes \
                    and not isinstance(value, tuple):
                j = transform.removes.index(column)
                seen = list(dict.fromkeys(combo[j] for combo in transform.combinations))
                if value_key(value) not in seen:
                    return (f"condition {column}={value!r} is impossible under "
                            f"{transform.constraint}: allowed values are {seen[:5]}"
                            + (" …" if len(seen) > 5 else ""))
        return None

    def contradiction(self, conditions: Mapping[str, Any]) -> str | None:
        """Why no row can meet ``conditions`` and a constraint whose columns they all fix, or
        None: checked before sampling, instead of after a million rejected draws.

        The constraint is checked on the corners of what the conditions allow (a value as it
        is, a range at both ends); a range counts only for a :attr:`~Constraint.monotone`
        constraint, which a box meets if one of its corners does.
        """
        for constraint in self.constraints:
            if constraint.across_rows or not set(constraint.columns) <= set(conditions):
                continue
            given = {c: conditions[c] for c in constraint.columns}
            corners = _corners(given)
            if corners is None or (len(corners) > 1 and not constraint.monotone):
                continue
            try:
                ok = np.asarray(constraint.check(corners, self.metadata), dtype=bool)
            except (TypeError, ValueError, KeyError):
                continue  # values the rule cannot read: left to sampling
            if not ok.any():
                shown = ", ".join(f"{c}={v!r}" for c, v in given.items())
                return (f"conditions {shown} are impossible under {constraint}: no row can "
                        "meet both; change a condition")
        return None

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> list[dict[str, Any]]:
        return [{"constraint": c.to_dict(),
                 "transform": None if t is None else t.get_state()}
                for c, t in zip(self.constraints, self.transforms, strict=True)]

    @classmethod
    def from_state(cls, metadata: Table, state: list[dict[str, Any]]) -> ConstraintSet:
        constraints, transforms = [], []
        for item in state:
            constraint = constraint_from_dict(item["constraint"])
            constraints.append(constraint)
            spec = item["transform"]
            transforms.append(None if spec is None else
                              TRANSFORMS[constraint.type].from_state(constraint, spec))
        return cls(metadata, constraints, transforms)


def _report_violations(checks: tuple[ConstraintCheck, ...], bad: int, n_rows: int,
                       on_violation: str, private: bool) -> None:
    """Raise (``on_violation="error"``) or warn about the ``bad`` rows that break constraints:
    counts and example rows per constraint, none of them when ``private``."""
    if private:
        withheld = ("; under a privacy budget neither their number nor their values are "
                    "reported (fit without privacy= on your own machine to see them)")
        if on_violation == "error":
            raise DataError("the data breaks its constraints (pass on_violation='drop' or "
                            "'keep' to fit anyway)" + withheld)
        action = "dropped" if on_violation == "drop" else "kept"
        message = (f"rows that break constraints were {action} "
                   f"(on_violation={on_violation!r})" + withheld)
    else:
        lines = [f"{c.constraint}: {c.violations:,} of {n_rows:,} rows, e.g. "
                 f"{list(c.examples[:2])}" for c in checks if c.violations]
        if on_violation == "error":
            raise DataError("the data breaks its constraints (pass on_violation='drop' or "
                            "'keep' to fit anyway):\n  - " + "\n  - ".join(lines))
        action = "dropped" if on_violation == "drop" else "kept"
        message = (f"{bad:,} of {n_rows:,} rows break constraints and were {action} "
                   f"(on_violation={on_violation!r}):\n  - " + "\n  - ".join(lines))
    logger.warning(message)
    warnings.warn(message, ConstraintViolationWarning, stacklevel=4)


def _checks(constraints: list[Constraint], masks: list[np.ndarray], data: pd.DataFrame
            ) -> tuple[ConstraintCheck, ...]:
    checks = []
    for constraint, mask in zip(constraints, masks, strict=True):
        failing = data.loc[~mask, list(constraint.columns)].head(_EXAMPLES)
        examples = tuple({k: _shown(v) for k, v in row.items()}
                         for row in failing.to_dict(orient="records"))
        checks.append(ConstraintCheck(str(constraint), int((~mask).sum()),
                                      tuple(int(i) for i in np.flatnonzero(~mask)[:_EXAMPLES]),
                                      examples))
    return tuple(checks)


def _shown(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return None if isinstance(value, float) and np.isnan(value) else value
    return str(value)


def _corners(given: Mapping[str, Any], limit: int = 4) -> pd.DataFrame | None:
    """One row per corner of the box ``given`` describes (a value, or a ``(low, high)`` range
    with both ends); None for an open range or more than ``limit`` ranges."""
    import itertools

    choices = []
    for value in given.values():
        if isinstance(value, tuple):
            if len(value) != 2 or None in value:
                return None
            choices.append(value)
        else:
            choices.append((value,))
    if sum(len(c) > 1 for c in choices) > limit:
        return None
    rows = list(itertools.product(*choices))
    return pd.DataFrame({c: [row[i] for row in rows] for i, c in enumerate(given)})
