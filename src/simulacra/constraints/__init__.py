"""Business rules a synthetic table must follow, declared in metadata or in Python.

Every constraint is a frozen value object (:class:`Constraint`) registered by its ``type``
name, so it round-trips through YAML/JSON (:func:`constraint_from_dict`). Those with a
reversible transform hold by construction; the others by exact re-sampling of failing rows.

>>> c = constraint_from_dict({"type": "inequality", "low": "start", "high": "end"})
>>> c
Inequality(low='start', high='end', strict=False)
>>> constraint_from_dict(c.to_dict()) == c
True
"""

from __future__ import annotations

from simulacra.constraints.base import Constraint, Transform
from simulacra.constraints.constraint_set import (
    ON_VIOLATION,
    ConstraintSet,
    ConstraintViolationWarning,
)
from simulacra.constraints.fixed_combinations import FixedCombinations, OneHot
from simulacra.constraints.formula import Formula
from simulacra.constraints.inequality import Inequality
from simulacra.constraints.range import Negative, Positive, Range
from simulacra.constraints.registry import CONSTRAINTS, TRANSFORMS, constraint_from_dict
from simulacra.constraints.report import ConstraintCheck, ConstraintReport
from simulacra.constraints.rules import Predicate, Regex, Unique
from simulacra.constraints.running_sum import RunningSum

__all__ = [
    "CONSTRAINTS",
    "ON_VIOLATION",
    "TRANSFORMS",
    "Constraint",
    "ConstraintCheck",
    "ConstraintReport",
    "ConstraintSet",
    "ConstraintViolationWarning",
    "FixedCombinations",
    "Formula",
    "Inequality",
    "Negative",
    "OneHot",
    "Positive",
    "Predicate",
    "Range",
    "Regex",
    "RunningSum",
    "Transform",
    "Unique",
    "constraint_from_dict",
]
