"""``Formula``: one column is an arithmetic expression of others (``total = a + b``).

The expression is parsed by a small recursive-descent parser that knows only column names,
numbers, ``+ - * /`` and parentheses; nothing is ever evaluated as Python code. Names that are
not identifiers go in backticks: ``` `net-pay` = `gross-pay` - tax ```. Parentheses and signs
nest at most :data:`MAX_NESTING` deep; a chain of terms (``a + b - c + …``) is one node, so a
long flat expression is read and computed without deep recursion.

>>> import pandas as pd
>>> f = Formula("total = a + 2 * b")
>>> f.target, f.operands
('total', ('a', 'b'))
>>> f.check(pd.DataFrame({"a": [1, 1], "b": [2, 2], "total": [5, 6]})).tolist()
[True, False]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.base import (
    Columns,
    Constraint,
    State,
    Transform,
    cast_numbers,
    instants,
    is_datetime,
    kind_of,
    kind_problem,
    numbers,
    ordered,
    restore_datetimes,
)
from simulacra.errors import MetadataError, quoted
from simulacra.kinds import ColumnKind, column_from_dict
from simulacra.precision import decimals_of

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|`(?P<quoted>[^`]+)`"
                    r"|(?P<op>[-+*/()=]))")
_UNITS = ("D", "h", "min", "s", "ms", "us", "ns")
#: Deepest nesting of parentheses and signs (``-(-(a))``) a formula may have.
MAX_NESTING = 100
# ("num", x) | ("col", name) | ("neg", node) | ("chain", first, ((op, node), ...)): a chain
# applies its operators left to right (``a - b + c`` is ``(a - b) + c``).
Node = tuple[Any, ...]


def parse(text: str) -> tuple[str, Node]:
    """``"target = expression"`` → (target, expression tree); MetadataError when malformed."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise MetadataError(f"formula {quoted(text)}: cannot read "
                                f"{quoted(text[position:], 40)}; use column names (`quoted` "
                                "when not identifiers), numbers, + - * / and parentheses")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        tokens.append(("name" if kind == "quoted" else kind, value))
        position = match.end()
    if len(tokens) < 3 or tokens[0][0] != "name" or tokens[1] != ("op", "="):
        raise MetadataError(f"formula {quoted(text)} must read 'column = expression'")
    parser = _Parser(tokens[2:], text)
    tree = parser.expression()
    if parser.position != len(parser.tokens):
        raise MetadataError(f"formula {quoted(text)}: unexpected "
                            f"{parser.tokens[parser.position][1]!r}")
    return tokens[0][1], tree


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str):
        self.tokens, self.text, self.position = tokens, text, 0
        self.depth = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def expression(self) -> Node:
        return self._chain(self.term, ("+", "-"))

    def term(self) -> Node:
        return self._chain(self.factor, ("*", "/"))

    def _chain(self, operand: Any, ops: tuple[str, ...]) -> Node:
        """``operand (op operand)*`` as one flat node (a single operand as itself)."""
        first = operand()
        rest = []
        while (tok := self._peek()) is not None and tok[1] in ops:
            self.position += 1
            rest.append((tok[1], operand()))
        return ("chain", first, tuple(rest)) if rest else first

    def factor(self) -> Node:
        tok = self._peek()
        if tok is None:
            raise MetadataError(f"formula {quoted(self.text)} ends too early")
        self.position += 1
        if tok[0] == "number":
            return ("num", float(tok[1]))
        if tok[0] == "name":
            return ("col", tok[1])
        if tok[1] not in ("-", "("):
            raise MetadataError(f"formula {quoted(self.text)}: unexpected {tok[1]!r}")
        self._enter()
        if tok[1] == "-":
            node: Node = ("neg", self.factor())
        else:
            node = self.expression()
            if self._peek() != ("op", ")"):
                raise MetadataError(f"formula {quoted(self.text)}: missing ')'")
            self.position += 1
        self.depth -= 1
        return node

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise MetadataError(f"formula {quoted(self.text)}: parentheses and signs nest more "
                                f"than {MAX_NESTING} deep; write the expression flatter (or "
                                "compute part of it in a column of its own)")


def _names(node: Node) -> list[str]:
    if node[0] == "col":
        return [node[1]]
    if node[0] == "num":
        return []
    if node[0] == "neg":
        return _names(node[1])
    return _names(node[1]) + [name for _, child in node[2] for name in _names(child)]


def _evaluate(node: Node, values: dict[str, np.ndarray]) -> np.ndarray | float:
    op = node[0]
    if op == "num":
        return node[1]
    if op == "col":
        return values[node[1]]
    if op == "neg":
        return -_evaluate(node[1], values)
    result = _evaluate(node[1], values)
    with np.errstate(divide="ignore", invalid="ignore"):
        for sign, child in node[2]:
            result = _apply(sign, result, _evaluate(child, values))
    return result


def _apply(op: str, left: Any, right: Any) -> Any:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    return left / right


@dataclass(frozen=True)
class Formula(Constraint):
    """``target = expression`` of other columns, numbers, ``+ - * /`` and parentheses.

    Datetime columns enter the expression as a count of ``unit`` (``"D"`` days, ``"h"``,
    ``"min"``, ``"s"``, …) since 1970-01-01, so ``end = start + duration`` adds ``duration``
    days. The target is compared after rounding to its own storage (integers, decimals, date
    format). Holds by construction: the target is left out of the model and computed after
    sampling.

    >>> Formula("end = start + duration", unit="h").to_dict()
    {'type': 'formula', 'formula': 'end = start + duration', 'unit': 'h'}
    """

    type: ClassVar[str] = "formula"
    formula: str
    unit: str = "D"
    _parsed: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.formula, str):
            raise MetadataError(f"formula must be a string such as 'total = a + b', got "
                                f"{self.formula!r}")
        object.__setattr__(self, "_parsed", parse(self.formula))
        if self.unit not in _UNITS:
            raise MetadataError(f"formula {self.formula!r}: unit must be one of "
                                f"{', '.join(_UNITS)}, got {self.unit!r}")

    def to_dict(self) -> dict[str, Any]:
        out = {"type": self.type, "formula": self.formula}
        return out if self.unit == "D" else {**out, "unit": self.unit}

    @property
    def target(self) -> str:
        return self._parsed[0]

    @cached_property
    def operands(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_names(self._parsed[1])))

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.target, *self.operands)

    def derive(self, frame: pd.DataFrame, kinds: dict[str, ColumnKind | None], dtype: str,
               decimals: int | None) -> tuple[pd.Series, np.ndarray]:
        """The target as the expression gives it, in the target's storage; and its null mask."""
        scale = pd.Timedelta(1, unit=self.unit).value
        values, null = {}, np.zeros(len(frame), dtype=bool)
        stamps: dict[str, np.ndarray] = {}
        for name in self.operands:
            kind = kinds.get(name)
            if is_datetime(frame[name], kind):
                stamps[name], missing = instants(frame[name], kind)
            else:
                values[name], missing = numbers(frame[name])
            null |= missing
        target_kind = kinds.get(self.target)
        dated = _is_dated(target_kind, dtype)
        # Datetimes are measured from a common reference instant when the expression is a
        # datetime (``start + duration``) or a difference of datetimes: the reference cancels
        # out, and float64 then keeps nanoseconds (from 1970, 2.2e-16 relative precision
        # would lose hundreds of them, and a whole second could print as the one before).
        ref = 0
        if stamps and (dated or len(stamps) > 1):
            present = np.concatenate([v[~null] for v in stamps.values()])
            ref = int(present.min()) if len(present) else 0
        for name, ns in stamps.items():
            values[name] = (ns - ref) / scale
        result = np.broadcast_to(np.asarray(_evaluate(self._parsed[1], values), dtype=float),
                                 (len(frame),)).copy()
        null |= ~np.isfinite(result)
        if dated:
            ns = np.rint(np.where(null, 0, result) * scale).astype(np.int64)
            if all((v[~null] % 1000 == 0).all() for v in stamps.values()):
                ns = (ns + 500) // 1000 * 1000  # operands on whole microseconds: so is the sum
            return restore_datetimes(ns + ref, null, dtype, target_kind), null
        return cast_numbers(np.where(null, np.nan, result), dtype, decimals), null

    def check(self, frame: pd.DataFrame, metadata: Columns | None = None) -> np.ndarray:
        kinds = {c: kind_of(metadata, c) for c in self.columns}
        actual = frame[self.target]
        dtype = str(actual.dtype)
        dated = _is_dated(kinds[self.target], dtype)
        decimals = None if dated else decimals_of(actual)
        derived, null = self.derive(frame, kinds, dtype, decimals)
        if dated:
            a, a_null = instants(actual, kinds[self.target])
            d, _ = instants(derived, kinds[self.target])
            return null | a_null | (a == d)
        a, a_null = numbers(actual)
        d, _ = numbers(derived)
        return null | a_null | np.isclose(a, d, rtol=1e-9, atol=1e-12)

    def problems(self, metadata: Columns) -> list[str]:
        out = []
        for column in self.columns:
            out += kind_problem(self, metadata, column, ordered, "ordered")
        if self.target in self.operands:
            out.append(f"{self}: {self.target!r} appears on both sides")
        return out

    def transformer(self, data: pd.DataFrame, metadata: Columns, *,
                    private: bool) -> Transform | None:
        kinds = {c: metadata[c] for c in self.columns}
        dtype = str(data[self.target].dtype)
        decimals = None if private or _is_dated(kinds[self.target], dtype) else \
            decimals_of(data[self.target])
        _, null = self.derive(data, kinds, dtype, decimals)
        if np.any(null & data[self.target].notna().to_numpy()):
            return None  # the target is known where the expression is not: re-sample instead
        return Derived(self, kinds, dtype, decimals)


def _is_dated(kind: ColumnKind | None, dtype: str) -> bool:
    return (kind is not None and kind.temporal) or dtype.startswith("datetime64")




class Derived(Transform):
    """Leave the target out of the model; compute it after sampling."""

    def __init__(self, constraint: Formula, kinds: dict[str, ColumnKind], dtype: str,
                 decimals: int | None):
        self.constraint, self.kinds = constraint, kinds
        self.dtype, self.decimals = dtype, decimals
        self.removes = (constraint.target,)
        self.adds: dict[str, ColumnKind] = {}

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns=[self.constraint.target])

    def reverse(self, frame: pd.DataFrame) -> pd.DataFrame:
        derived, _ = self.constraint.derive(frame, dict(self.kinds), self.dtype, self.decimals)
        out = frame.copy()
        out[self.constraint.target] = derived.array
        return out

    def get_state(self) -> State:
        return {"kinds": {c: k.to_dict() for c, k in self.kinds.items()}, "dtype": self.dtype,
                "decimals": self.decimals}

    @classmethod
    def from_state(cls, constraint: Any, state: State) -> Derived:
        kinds = {c: column_from_dict(k, name=c) for c, k in state["kinds"].items()}
        return cls(constraint, kinds, state["dtype"], state["decimals"])
