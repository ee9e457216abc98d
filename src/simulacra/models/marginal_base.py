"""Shared base of models built on per-column empirical marginals."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.encoders import EncodedColumn
from simulacra.metadata import Metadata
from simulacra.models.base import Synthesizer
from simulacra.models.marginals import Marginal, fit_marginals, marginal_from_state
from simulacra.params import Flag, Integer
from simulacra.randomness import RandomState


class MarginalModel(Synthesizer):
    """Fits one empirical marginal per encoded column; subclasses add the dependence.

    ``marginal_resolution``: columns with at most this many distinct values keep their exact
    distribution; others are represented by this many quantiles. ``value_protection``: learn
    from a copy of the table without its rare categories and extreme values, and smooth
    nearly unique numbers (:mod:`simulacra.models.protection`).
    """

    params = {"marginal_resolution": Integer(10, 100_000), "value_protection": Flag()}

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 marginal_resolution: int = 1000, value_protection: bool = True) -> None:
        super().__init__(metadata, random_state=random_state)
        self.marginal_resolution = marginal_resolution
        self.value_protection = value_protection

    def _fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
             rng: np.random.Generator) -> None:
        self.marginals_: dict[str, Marginal] = fit_marginals(
            encoded, columns, self.marginal_resolution, self._protection_threshold())

    def _get_state(self) -> dict[str, Any]:
        return {"marginals": {name: m.get_state() for name, m in self.marginals_.items()}}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.marginals_ = {n: marginal_from_state(s, n) for n, s in state["marginals"].items()}
        self._check_marginals()

    def _check_marginals(self) -> None:
        """Raise ``ValueError`` unless there is one marginal per encoded column, in its order,
        and a discrete column's marginal draws only its own codes (a model file is untrusted:
        one column's tables given to another must not sample silently)."""
        columns = self.codec_.encoded_columns_
        names = [c.name for c in columns]
        if list(self.marginals_) != names:
            raise ValueError(f"the model file's marginals are of {list(self.marginals_)[:5]}, "
                             f"not of the encoded columns {names[:5]}")
        for column in columns:
            marginal = self.marginals_[column.name]
            if column.output != "discrete" or column.cardinality < 1:
                continue
            values = getattr(marginal, "values", None)
            if values is None or values.min() < 0 or values.max() >= column.cardinality \
                    or (values != np.round(values)).any():
                raise ValueError(f"the model file's marginal of {column.name!r} is not one of "
                                 f"codes from 0 to {column.cardinality - 1}")
