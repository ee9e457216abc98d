"""``Factor``: a table over named discrete attributes, with broadcasting arithmetic.

>>> sizes = {"a": 2, "b": 3}
>>> f = Factor(("a",), np.log(np.array([0.25, 0.75])))
>>> g = Factor(("a", "b"), np.zeros((2, 3)))
>>> h = (f + g).logsumexp(("a",))
>>> np.round(np.exp(h.values), 2).tolist()
[0.75, 2.25]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np


class Factor:
    """``values`` has one axis per attribute of ``attrs``, in that order."""

    __slots__ = ("attrs", "values")

    def __init__(self, attrs: tuple[str, ...], values: np.ndarray) -> None:
        self.attrs = tuple(attrs)
        self.values = np.asarray(values, dtype=float)

    @classmethod
    def zeros(cls, attrs: Iterable[str], sizes: Mapping[str, int]) -> Factor:
        attrs = tuple(attrs)
        return cls(attrs, np.zeros([sizes[a] for a in attrs]))

    def expand(self, attrs: tuple[str, ...]) -> np.ndarray:
        """``values`` transposed and reshaped to broadcast against a factor over ``attrs``."""
        order = [self.attrs.index(a) for a in attrs if a in self.attrs]
        moved = np.transpose(self.values, order)
        shape = [self.values.shape[self.attrs.index(a)] if a in self.attrs else 1
                 for a in attrs]
        return moved.reshape(shape)

    def _union(self, other: Factor) -> tuple[str, ...]:
        return self.attrs + tuple(a for a in other.attrs if a not in self.attrs)

    def __add__(self, other: Factor) -> Factor:
        attrs = self._union(other)
        return Factor(attrs, self.expand(attrs) + other.expand(attrs))

    def __mul__(self, other: Factor) -> Factor:
        attrs = self._union(other)
        return Factor(attrs, self.expand(attrs) * other.expand(attrs))

    def __sub__(self, other: Factor) -> Factor:
        attrs = self._union(other)
        return Factor(attrs, self.expand(attrs) - other.expand(attrs))

    def _axes(self, keep: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(i for i, a in enumerate(self.attrs) if a not in keep)

    def _reorder(self, kept: tuple[str, ...], values: np.ndarray,
                 keep: tuple[str, ...]) -> Factor:
        """``values`` over ``kept`` (in this factor's order) reordered to ``keep``."""
        order = [kept.index(a) for a in keep]
        return Factor(keep, np.transpose(values, order))

    def logsumexp(self, keep: tuple[str, ...]) -> Factor:
        """Log of the sum of exp over the attributes not in ``keep``."""
        kept = tuple(a for a in self.attrs if a in keep)
        axes = self._axes(keep)
        values = _logsumexp(self.values, axis=axes) if axes else self.values
        return self._reorder(kept, values, keep)

    def sum(self, keep: tuple[str, ...]) -> Factor:
        """Sum over the attributes not in ``keep``."""
        kept = tuple(a for a in self.attrs if a in keep)
        axes = self._axes(keep)
        values = self.values.sum(axis=axes) if axes else self.values
        return self._reorder(kept, values, keep)


def _logsumexp(values: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    """``log(sum(exp(values)))`` over ``axis``, stable (scipy's is slow on small arrays)."""
    top = np.max(values, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.sum(np.exp(values - top), axis=axis)) + np.squeeze(top, axis=axis)
    return out


def contract(factors: list[Factor], keep: tuple[str, ...]) -> Factor:
    """The product of ``factors`` summed down to ``keep``, without forming the full product.

    >>> f, g = Factor(("a", "b"), np.ones((2, 3))), Factor(("b", "c"), np.ones((3, 4)))
    >>> contract([f, g], ("c", "a")).values.shape
    (4, 2)
    """
    letters: dict[str, str] = {}
    for f in factors:
        for a in f.attrs:
            letters.setdefault(a, chr(ord("a") + len(letters)) if len(letters) < 26
                               else chr(ord("A") + len(letters) - 26))
    spec = ",".join("".join(letters[a] for a in f.attrs) for f in factors)
    spec += "->" + "".join(letters[a] for a in keep)
    return Factor(keep, np.einsum(spec, *[f.values for f in factors], optimize=True))
