"""``Discretizer``: a whole table ↔ integer codes, optionally under a privacy budget.

The encoding of the discrete models (Bayesian networks, PrivBayes, MST, AIM). Numerical and
datetime columns are binned (:class:`~simulacra.models.discrete.columns.NumericDomain`),
categorical and boolean columns coded (:class:`~.columns.CategoricalDomain`), PII columns
reduced to "value or null" (the values are Faker's), ids and free text generated afresh
(under a budget, free text is Faker's lorem words: a vocabulary would leak).

Under a :class:`~simulacra.privacy.PrivacyLedger`, whatever is learned from the data (category
sets, bounds, bin edges, the null share of PII columns) comes from DP mechanisms and is
recorded in the ledger under the ``metadata`` stage. The column *kinds* and storage details
(dtype, integer-ness, decimals, datetime format and resolution) are treated as the public
schema: declare a :class:`~simulacra.metadata.Metadata` to keep them from the data too.

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> df = pd.DataFrame({"age": [23, 35, 51, 35, None] * 20, "city": list("ABABC") * 20})
>>> disc = Discretizer(Metadata.detect(df), bins=4).fit(df, None, np.random.default_rng(0))
>>> codes = disc.transform(df)
>>> disc.sizes_
{'age': 4, 'city': 3}
>>> back = disc.inverse_transform(codes, 100, np.random.default_rng(1))
>>> back["city"].value_counts().to_dict()
{'A': 40, 'B': 40, 'C': 20}
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders import encoder_for, encoder_from_state
from simulacra.encoders.base import Encoder
from simulacra.encoders.datetime import DatetimeEncoder
from simulacra.encoders.missing import null_kind, set_nulls
from simulacra.encoders.numerical import NumericalEncoder
from simulacra.errors import DataError
from simulacra.metadata import Metadata
from simulacra.metadata.kinds import Categorical, Datetime, Numerical
from simulacra.models.discrete.columns import (
    Budget,
    CategoricalDomain,
    NumericDomain,
    domain_from_state,
)
from simulacra.privacy import PrivacyLedger

_PRESENT = "<value>"  # the one category of a PII column's domain: "not null"


class Discretizer:
    """Reversible table ↔ codes map; ``bins`` caps the codes of a numeric column."""

    def __init__(self, metadata: Metadata, bins: int = 32) -> None:
        self.metadata = metadata
        self.bins = bins

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, ledger: PrivacyLedger | None, rng: np.random.Generator,
            rho: float = 0.0) -> Discretizer:
        """Learn every column's codes; with ``ledger``, spend ``rho`` on it (split evenly)."""
        self.columns_ = list(data.columns)
        self.dtypes_ = {c: str(data[c].dtype) for c in data.columns}
        self.null_kinds_ = {c: null_kind(data[c]) for c in data.columns}
        self.private_ = ledger is not None
        self.domains_: dict[str, CategoricalDomain | NumericDomain] = {}
        self.value_encoders_: dict[str, Encoder] = {}  # value encoders (for dtypes) / generators
        learned = [c for c in self.columns_ if self._learns(c, data[c])]
        for name in self.columns_:
            budget = None
            if ledger is not None and name in learned:
                share = ledger.threshold_delta / max(len(learned), 1)
                budget = Budget(ledger, rho / len(learned), share, name)
            self._fit_column(name, data[name], budget, rng)
        self.sizes_ = {name: d.size for name, d in self.domains_.items()}
        return self

    def _learns(self, name: str, column: pd.Series) -> bool:
        """Whether fitting ``name`` under DP spends budget (else it is all declared)."""
        spec = self.metadata[name]
        if isinstance(spec, Categorical):
            return spec.categories is None
        if spec.kind == "boolean":  # labels, unless the dtype says True/False
            return not pd.api.types.is_bool_dtype(column.dtype)
        return isinstance(spec, Numerical | Datetime)  # bounds and bins

    def _fit_column(self, name: str, column: pd.Series, budget: Budget | None,
                    rng: np.random.Generator) -> None:
        spec = self.metadata[name]
        kind = spec.kind
        if kind in ("id", "pii", "text"):
            self._fit_generated(name, column, rng)
            return
        if column.isna().all() and budget is None:
            self.domains_[name] = CategoricalDomain([], np.zeros(0), False, nullable=True)
            return
        try:
            if kind == "numerical":
                enc = encoder_for(spec).fit(column)
                assert isinstance(enc, NumericalEncoder)
                self.value_encoders_[name] = enc
                self.domains_[name] = NumericDomain.fit(
                    pd.Series(self._floats(name, column)), bins=self.bins,
                    integer=bool(enc.integer_), declared=(spec.minimum, spec.maximum),
                    budget=budget, rng=rng)
                enc.minimum_ = self.domains_[name].minimum_
                enc.maximum_ = self.domains_[name].maximum_
            elif kind == "datetime":
                enc = encoder_for(spec).fit(column)
                assert isinstance(enc, DatetimeEncoder)
                enc._min = enc._max = enc.origin_  # the data's own bounds are never kept
                enc._prepare()
                self.value_encoders_[name] = enc
                declared = (_grid(enc, spec.minimum), _grid(enc, spec.maximum))
                domain = NumericDomain.fit(pd.Series(self._floats(name, column)),
                                           bins=self.bins, integer=True, declared=declared,
                                           budget=budget, rng=rng)
                self.domains_[name] = domain
            else:  # categorical, boolean
                declared = getattr(spec, "categories", None)
                if kind == "boolean" and pd.api.types.is_bool_dtype(column.dtype):
                    declared = (False, True)
                self.domains_[name] = CategoricalDomain.fit(column, declared, budget, rng)
        except (ValueError, TypeError) as err:
            if isinstance(err, DataError):
                raise
            raise DataError(f"column {name!r} ({kind}) cannot be discretized: {err}; check "
                            "its kind in the metadata") from None

    def _fit_generated(self, name: str, column: pd.Series, rng: np.random.Generator) -> None:
        spec = self.metadata[name]
        if not self.private_:
            self.value_encoders_[name] = encoder_for(spec).fit(column)
            return
        # fitted on a public stand-in of the column's dtype: nothing real is looked at. Free
        # text gets none of its words (a vocabulary would leak): Faker's lorem words instead.
        values = [] if spec.kind == "text" else ["1", "2"] \
            if column.dtype == object or pd.api.types.is_string_dtype(column.dtype) else [1, 2]
        surrogate = pd.Series(values, name=name, dtype=object).astype(column.dtype)
        self.value_encoders_[name] = encoder_for(spec).fit(surrogate)
        if spec.kind in ("pii", "text"):
            self.domains_[name] = CategoricalDomain([_PRESENT], np.ones(1), False, nullable=True)

    def _floats(self, name: str, column: pd.Series) -> np.ndarray:
        """Numbers, or datetimes as steps of their resolution since the epoch; NaN for nulls."""
        enc = self.value_encoders_[name]
        out = np.full(len(column), np.nan)
        ok = column.notna().to_numpy()
        if isinstance(enc, DatetimeEncoder):
            out[ok] = (enc._to_ints(column[ok]) - enc.origin_) / enc._step
        else:
            out[ok] = enc.transform(column[ok])
        return out

    @property
    def encoders_(self) -> dict[str, Any]:
        """Per column, what condition checks look at: categories, or numeric bounds."""
        out: dict[str, Any] = dict(self.value_encoders_)
        out.update({n: d for n, d in self.domains_.items() if isinstance(d, CategoricalDomain)})
        return out

    # -- transform ----------------------------------------------------------------------------
    def transform(self, data: pd.DataFrame) -> dict[str, np.ndarray]:
        """Integer codes of every modelled column (generated columns have none)."""
        out: dict[str, np.ndarray] = {}
        for name, domain in self.domains_.items():
            column = data[name]
            if isinstance(domain, NumericDomain):
                out[name] = domain.transform(self._floats(name, column))
            elif self.metadata[name].kind in ("pii", "text"):
                out[name] = np.where(column.notna().to_numpy(), 0, 1).astype(np.int64)
            else:
                try:
                    out[name] = domain.transform(column)
                except ValueError as err:
                    raise DataError(f"column {name!r}: {err}") from None
        return out

    def inverse_transform(self, codes: dict[str, np.ndarray], n: int,
                          rng: np.random.Generator) -> pd.DataFrame:
        """The table ``codes`` stand for, in the fitted columns, order and dtypes."""
        columns: dict[str, pd.Series] = {}
        for name in self.columns_:
            columns[name] = self._decode(name, codes.get(name), n, rng).reset_index(drop=True)
        return pd.DataFrame(columns, columns=pd.Index(self.columns_, dtype=object))

    def _numbers(self, name: str, x: np.ndarray, null: np.ndarray,
                 rng: np.random.Generator) -> pd.Series:
        """A numeric or datetime column from its decoded floats (``null`` rows become nulls)."""
        domain, enc = self.domains_[name], self.value_encoders_[name]
        assert isinstance(domain, NumericDomain)
        x[null] = domain.minimum_
        if isinstance(enc, DatetimeEncoder):
            steps = np.rint(np.clip(x, domain.minimum_, domain.maximum_)).astype(np.int64)
            series = enc._restore(enc._timestamps(enc.origin_ + steps * enc._step))
        else:
            series = enc.inverse_transform(x, rng)
        return set_nulls(series, null, self.null_kinds_[name], self.dtypes_[name])

    def _decode(self, name: str, codes: np.ndarray | None, n: int,
                rng: np.random.Generator) -> pd.Series:
        domain = self.domains_.get(name)
        enc = self.value_encoders_.get(name)
        dtype, kind = self.dtypes_[name], self.null_kinds_[name]
        if domain is None:  # id, text: generated; nothing modelled
            return enc.generate(n, rng)
        codes = np.asarray(codes, dtype=np.int64)
        null = codes == domain.null_code
        if self.metadata[name].kind in ("pii", "text"):
            return set_nulls(enc.generate(n, rng), null, kind, dtype)
        if isinstance(domain, NumericDomain):
            return self._numbers(name, domain.inverse_transform(codes, rng), null, rng)
        values = domain.inverse_transform(codes, rng)
        if not domain.values_:
            return set_nulls(pd.Series(np.full(n, np.nan)), np.ones(n, bool), kind, dtype) \
                if dtype != "object" else pd.Series([None] * n, dtype=object)
        values[null] = domain.values_[0]
        series = pd.Series(values, dtype=object, name=name)
        with contextlib.suppress(TypeError, ValueError):
            series = series.astype(dtype)
        return set_nulls(series, null, kind, dtype)

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        encoders = {name: enc.get_state() for name, enc in self.value_encoders_.items()}
        return {"bins": self.bins, "columns": self.columns_, "dtypes": self.dtypes_,
                "null_kinds": self.null_kinds_, "private": self.private_,
                "domains": {n: d.get_state() for n, d in self.domains_.items()},
                "encoders": encoders}

    @classmethod
    def from_state(cls, metadata: Metadata, state: dict[str, Any]) -> Discretizer:
        disc = cls(metadata, int(state["bins"]))
        disc.columns_ = list(state["columns"])
        disc.dtypes_ = dict(state["dtypes"])
        disc.null_kinds_ = dict(state["null_kinds"])
        disc.private_ = bool(state["private"])
        disc.domains_ = {n: domain_from_state(s) for n, s in state["domains"].items()}
        disc.value_encoders_ = {n: encoder_from_state(s) for n, s in state["encoders"].items()}
        disc.sizes_ = {name: d.size for name, d in disc.domains_.items()}
        return disc


def _grid(enc: DatetimeEncoder, bound: str | None) -> float | None:
    """A declared ISO bound in steps since the epoch (the unit of :meth:`Discretizer._floats`)."""
    if bound is None:
        return None
    return float(enc._bound(bound, 0) - enc.origin_) / enc._step
