"""Declared parameter checks: what each hyperparameter may be, said once, checked in one place.

A model lists its hyperparameters' rules in a class attribute (``params``); the base class
checks every rule of the class and of its bases before fitting, and the error names the
parameter, what is allowed and what came, in scikit-learn's wording:

>>> rules = {"epochs": Integer(1), "dropout": Number(0, 1, high_open=True),
...          "dims": Widths(), "order": Optional(Names())}
>>> check_all(rules, {"epochs": 10, "dropout": 0.1, "dims": (64, 64), "order": None})
>>> check_all(rules, {"epochs": 0, "dropout": 0.1, "dims": (64,), "order": None})
Traceback (most recent call last):
...
simulacra.errors.ParameterError: The 'epochs' parameter must be an integer >= 1. Got 0 instead.
>>> Number(0, 0.5, low_open=True).description
'a number in (0, 0.5]'
>>> Either(OneOf("auto"), Integer(1, 1000)).description
"'auto' or an integer between 1 and 1000"
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulacra.errors import ParameterError, check_param


class Rule(ABC):
    """What one parameter may be: :meth:`accepts` a value, and says so in ``description``."""

    @property
    @abstractmethod
    def description(self) -> str: ...

    @abstractmethod
    def accepts(self, value: Any) -> bool: ...

    def check(self, name: str, value: Any) -> None:
        """Raise :class:`~simulacra.errors.ParameterError` unless ``value`` is accepted."""
        check_param(name, value, self.description, self.accepts(value))


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool) and math.isfinite(value))


@dataclass(frozen=True)
class Integer(Rule):
    """An integer (not a bool) in ``[low, high]``; either bound may be ``None``."""

    low: int | None = None
    high: int | None = None

    @property
    def description(self) -> str:
        if self.low is not None and self.high is not None:
            return f"an integer between {self.low} and {self.high}"
        if self.low is not None:
            return f"an integer >= {self.low}"
        return "an integer" if self.high is None else f"an integer <= {self.high}"

    def accepts(self, value: Any) -> bool:
        return _is_int(value) and (self.low is None or value >= self.low) \
            and (self.high is None or value <= self.high)


@dataclass(frozen=True)
class Number(Rule):
    """A finite number (not a bool) between ``low`` and ``high``, each bound closed unless
    ``*_open``; ``unit`` is named in the description ("a number of seconds > 0"), and
    ``note`` follows it in parentheses."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    unit: str = ""
    note: str = ""

    @property
    def description(self) -> str:
        what = f"a number of {self.unit}" if self.unit else "a number"
        lo = None if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        hi = None if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        if lo and hi and not self.unit:
            text = (f"{what} in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                    f"{')' if self.high_open else ']'}")
        else:
            text = " ".join([what, " and ".join(b for b in (lo, hi) if b)]).strip()
        return f"{text} ({self.note})" if self.note else text

    def accepts(self, value: Any) -> bool:
        if not _is_number(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)


@dataclass(frozen=True)
class Flag(Rule):
    """``True`` or ``False``."""

    description: str = "True or False"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class OneOf(Rule):
    """One of a few fixed values."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)

    @property
    def description(self) -> str:
        shown = [repr(v) for v in self.values]
        if len(shown) <= 2:
            return " or ".join(shown)
        return f"one of {', '.join(shown)}"

    def accepts(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)


@dataclass(frozen=True)
class Widths(Rule):
    """Layer widths: a non-empty tuple of positive integers."""

    description: str = "a non-empty tuple of positive integers (layer widths)"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, tuple) and len(value) >= 1 and \
            all(_is_int(v) and v >= 1 for v in value)


@dataclass(frozen=True)
class Names(Rule):
    """A tuple of column names."""

    description: str = "a sequence of column names"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)


@dataclass(frozen=True)
class Text(Rule):
    """A non-empty string, described by ``description``."""

    description: str = "a non-empty string"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value)


@dataclass(frozen=True)
class InstanceOf(Rule):
    """An instance of ``cls``, described by ``description``."""

    cls: type
    description: str = field(default="")

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.cls)


@dataclass(frozen=True)
class Either(Rule):
    """Any of several rules."""

    rules: tuple[Rule, ...]

    def __init__(self, *rules: Rule) -> None:
        object.__setattr__(self, "rules", rules)

    @property
    def description(self) -> str:
        return " or ".join(r.description for r in self.rules)

    def accepts(self, value: Any) -> bool:
        return any(r.accepts(value) for r in self.rules)


class _NoneRule(Rule):
    description = "None"  # type: ignore[assignment]

    def accepts(self, value: Any) -> bool:
        return value is None


def Optional(rule: Rule) -> Either:  # noqa: N802 (reads like the typing form it mirrors)
    """``None`` or ``rule``."""
    return Either(_NoneRule(), rule)


def as_tuple(value: Any) -> Any:
    """Tuples for lists and tuples (other values unchanged), so that parameters such as layer
    widths survive a JSON round trip equal to what was given.

    >>> as_tuple([256, 256]), as_tuple(None)
    ((256, 256), None)
    """
    return tuple(value) if isinstance(value, list | tuple) else value


def check_all(rules: Mapping[str, Rule], values: Mapping[str, Any]) -> None:
    """Check every ``values[name]`` against ``rules[name]``, in the rules' order."""
    for name, rule in rules.items():
        rule.check(name, values[name])


class EstimatorParams:
    """scikit-learn's parameter protocol for a class with ``metadata`` and ``_param_names()``.

    ``get_params`` gives the constructor's arguments but ``metadata`` (what ``-p KEY=VALUE``
    sets and a model file keeps), ``set_params`` changes them (checked at the next fit), and
    ``sklearn.base.clone`` makes an unfitted copy with the same metadata and parameters.

    >>> import simulacra as sim
    >>> from sklearn.base import clone
    >>> model = sim.GaussianCopula(random_state=0).set_params(random_state=3)
    >>> copy = clone(model)
    >>> copy.get_params(deep=True) == model.get_params() and copy is not model
    True
    """

    metadata: Any

    @classmethod
    def _param_names(cls) -> list[str]:
        raise NotImplementedError

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments except ``metadata``, as given (``deep`` is scikit-learn's
        flag; no parameter is itself an estimator)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Any:
        """Change constructor arguments; returns ``self``. Unknown names are refused."""
        known = self._param_names()
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ParameterError(f"{type(self).__name__} has no parameter {unknown[0]!r}; "
                                 f"its parameters are {', '.join(known)}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __sklearn_clone__(self) -> Any:
        """An unfitted copy: the same metadata and parameters, deep-copied."""
        import copy

        return type(self)(copy.deepcopy(self.metadata), **copy.deepcopy(self.get_params()))
