"""The constraint registries: declarative constraints by ``type`` name, and the transform
each constraint that holds by construction uses; :func:`constraint_from_dict` reads one.

>>> constraint_from_dict({"type": "range", "column": "age", "low": 0, "high": 120})
Range(column='age', low=0, high=120, strict=False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from simulacra.constraints.base import Constraint, Transform
from simulacra.constraints.fixed_combinations import FixedCombinations, Merge, OneHot
from simulacra.constraints.formula import Derived, Formula
from simulacra.constraints.inequality import Difference, Inequality
from simulacra.constraints.range import Negative, Positive, Range
from simulacra.constraints.rules import Regex, Unique
from simulacra.constraints.running_sum import RunningSum
from simulacra.errors import MetadataError

#: Declarative constraints by ``type`` name (``Predicate`` is Python-only: not listed).
CONSTRAINTS: dict[str, type[Constraint]] = {
    cls.type: cls for cls in (Inequality, Range, Positive, Negative, FixedCombinations, OneHot,
                              Formula, Unique, Regex, RunningSum)
}
#: The transform class of each constraint that can hold by construction.
TRANSFORMS: dict[str, type[Transform]] = {
    "inequality": Difference, "fixed_combinations": Merge, "one_hot": Merge,
    "formula": Derived,
}


def constraint_from_dict(data: Mapping[str, Any]) -> Constraint:
    """Build a constraint from its dict form (``{"type": "range", "column": "age", ...}``)."""
    if not isinstance(data, Mapping) or "type" not in data:
        raise MetadataError(f"a constraint must be a mapping with a 'type' key, got {data!r}")
    name = data["type"]
    if name == "predicate":
        raise MetadataError("a predicate constraint is Python code and cannot be read from "
                            "YAML/JSON or a model file; add it in Python with "
                            "sim.Predicate(func, columns)")
    cls = CONSTRAINTS.get(name)
    if cls is None:
        raise MetadataError(f"unknown constraint type {name!r}; use one of "
                            f"{', '.join(CONSTRAINTS)}")
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    extra = sorted(set(data) - fields - {"type"})
    if extra:
        raise MetadataError(f"constraint {name!r} has no field {', '.join(map(repr, extra))} "
                            f"(fields: {', '.join(sorted(fields))})")
    try:
        return cls(**{k: v for k, v in data.items() if k != "type"})
    except TypeError as err:
        raise MetadataError(f"constraint {name!r}: {err}") from None
