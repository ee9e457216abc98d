"""``BinnedCodec`` (``"binned"``): every column as integer codes, with or without DP.

The encoding of the discrete models (Bayesian networks, PrivBayes, MST, AIM) and of the
neural models under a privacy budget. Per column, by its kind's family:

* continuous kinds (numbers, datetimes, each part of a multi-part kind): the column encoder
  reads the values onto its public grid (*analyze*,
  :meth:`~simulacra.encoders.base.ContinuousEncoder.to_grid`), and a
  :class:`~simulacra.encoders.domains.NumericDomain` turns them into codes — frequent exact
  values, quantile bins, nulls — with or without noise (*reduce*);
* discrete kinds (categories, booleans): a :class:`~simulacra.encoders.domains.CategoricalDomain`
  of the categories (the metadata's, or those whose — noisy — count passes a threshold);
* generated kinds (ids, PII, free text): made fresh; under a budget their encoders are fitted
  on a public stand-in and, for PII and text, the null share is a one-value domain
  ("value or null") measured like any other. A text column's language model is the exception:
  under a budget it trains with DP-SGD on the texts, given the rows' codes in the DP domains,
  paid in the same ledger (:meth:`~simulacra.encoders.text.TextEncoder.fit_private`).

With ``positions=True`` a numeric column also keeps where each value lies within its bin:
it is encoded as one float ``code + position`` (position in [0, 1)) and reported as a
continuous encoded column whose cardinality is its number of codes (the deep models' *DP
mode-specific normalization*); decoding maps the position back inside the bin, so values
never leave the DP bounds.

Under a :class:`~simulacra.encoders.codec.CodecBudget`, whatever is learned from the data
(category sets, bounds, bin edges, null shares) comes from DP mechanisms and is recorded in
the ledger under the ``metadata`` stage, split evenly over the columns that learn something.
The column *kinds* and storage details (dtype, integer-ness, decimals, datetime format and
resolution) are treated as the public schema: declare a
:class:`~simulacra.metadata.Metadata` to keep them from the data too.

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> df = pd.DataFrame({"age": [23, 35, 51, 35, None] * 20, "city": list("ABABC") * 20})
>>> codec = BinnedCodec(Metadata.detect(df), bins=4).fit(df, np.random.default_rng(0))
>>> codes = codec.transform(df, np.random.default_rng(0))
>>> codec.sizes_
{'age': 4, 'city': 3}
>>> back = codec.inverse_transform(codes, 100, np.random.default_rng(1))
>>> back["city"].value_counts().to_dict()
{'A': 40, 'B': 40, 'C': 20}
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import ContinuousEncoder, Encoder
from simulacra.encoders.codec import CodecBudget, ConditionDomain, EncodedColumn, TableCodec
from simulacra.encoders.columns import encoder_for, encoder_from_state
from simulacra.encoders.domains import (
    Budget,
    CategoricalDomain,
    NumericDomain,
    domain_from_state,
)
from simulacra.encoders.missing import GeneratedEncoder, learned_rows, null_kind, set_nulls
from simulacra.errors import DataError
from simulacra.metadata import Metadata

_PRESENT = "<value>"  # the one category of a PII or text column's domain: "not null"
#: Position within the bin given to codes that are not intervals (frequent values, nulls).
_MIDDLE = 0.5
#: Positions stay below this, so a code plus its position never reaches the next code.
TOP_POSITION = 1 - 1e-6

Domain = CategoricalDomain | NumericDomain


class BinnedCodec(TableCodec):
    """Reversible table ↔ codes map; ``bins`` caps the codes of a numeric column, and
    ``positions`` keeps each number's position within its bin."""

    name: ClassVar[str] = "binned"
    private_fit: ClassVar[bool] = True

    def __init__(self, metadata: Metadata, *, bins: int = 32, positions: bool = False) -> None:
        super().__init__(metadata)
        self.bins = bins
        self.positions = positions

    def options(self) -> dict[str, Any]:
        return {"bins": int(self.bins), "positions": bool(self.positions)}

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, rng: np.random.Generator, *,
            budget: CodecBudget | None = None) -> BinnedCodec:
        """Learn every column's codes; with ``budget``, spend its ρ (split evenly over the
        columns that learn something from the data)."""
        self.columns_ = list(data.columns)
        self.dtypes_ = {c: str(data[c].dtype) for c in data.columns}
        self.null_kinds_ = {c: null_kind(data[c]) for c in data.columns}
        self.private_ = budget is not None
        self.domains_: dict[str, Domain] = {}
        self.value_encoders_: dict[str, Encoder] = {}  # value encoders (for dtypes) / generators
        encoders = {c: encoder_for(self.metadata[c]) for c in self.columns_}
        learned = [c for c in self.columns_ if _learns(encoders[c], data[c])]
        self._rows = learned_rows(data, self.metadata)
        for name in self.columns_:
            column_budget = None
            if budget is not None and name in learned:
                share = budget.ledger.threshold_delta / max(len(learned), 1)
                column_budget = Budget(budget.ledger, budget.rho / len(learned), share, name)
            self._fit_column(name, data[name], encoders[name], column_budget, rng)
        del self._rows
        self._index()
        if budget is not None:
            self._fit_private_texts(data, budget, rng)
        return self

    def _fit_private_texts(self, data: pd.DataFrame, budget: CodecBudget,
                           rng: np.random.Generator) -> None:
        """Under a budget, the text columns whose language model trains with DP-SGD: given
        the rows' codes in the DP domains just fitted, each paid in the ledger."""
        texts = [name for name, enc in self.value_encoders_.items()
                 if getattr(enc, "private_network", lambda n: False)(len(data))]
        if not texts:
            return
        frame, sizes = self._code_frame(self.transform(data, rng))
        for name in texts:
            enc = self.value_encoders_[name]
            self.value_encoders_[name] = enc.fit_private(  # type: ignore[attr-defined]
                data[name], frame, sizes, budget.ledger, rng)

    def _code_frame(self, encoded: Mapping[str, np.ndarray]
                    ) -> tuple[pd.DataFrame, dict[str, int]]:
        """The codes of the learned (not generated) columns' domains, as a frame, and how many
        codes each has: the context of a text column trained under a budget."""
        names = [part for column, parts in self.parts_.items()
                 if not isinstance(self.value_encoders_.get(column), GeneratedEncoder)
                 for part in parts]
        frame = pd.DataFrame({n: np.floor(np.asarray(encoded[n], dtype=float)).astype(np.int64)
                              for n in names}, columns=names)
        return frame, {n: int(self.domains_[n].size) for n in names}

    def _fit_column(self, name: str, column: pd.Series, encoder: Encoder,
                    budget: Budget | None, rng: np.random.Generator) -> None:
        if isinstance(encoder, GeneratedEncoder):
            self._fit_generated(name, column, encoder, rng)
            return
        if column.isna().all() and budget is None:
            self.domains_[name] = CategoricalDomain([], np.zeros(0), False, nullable=True)
            return
        try:
            if isinstance(encoder, ContinuousEncoder):
                self._fit_grid(name, column, encoder, budget, rng)
            else:
                self.domains_[name] = CategoricalDomain.fit(
                    column, encoder.declared_categories(column), budget, rng)
        except (ValueError, TypeError) as err:
            if isinstance(err, DataError):
                raise
            raise DataError(f"column {name!r} ({self.metadata[name].kind}) cannot be "
                            f"discretized: {err}; check its kind in the metadata") from None

    def _fit_grid(self, name: str, column: pd.Series, encoder: ContinuousEncoder,
                  budget: Budget | None, rng: np.random.Generator) -> None:
        """Analyze the column onto its encoder's grid, then reduce each part to a domain."""
        encoder.fit_grid(column)
        self.value_encoders_[name] = encoder
        grid = encoder.to_grid(column)
        parts = encoder.parts
        declared, integer = encoder.grid_bounds(), encoder.grid_integer()
        for i, part in enumerate(parts):
            part_budget = budget if budget is None or len(parts) == 1 else Budget(
                budget.ledger, budget.rho / len(parts), budget.delta / len(parts), name + part)
            self.domains_[name + part] = NumericDomain.fit(
                pd.Series(grid[:, i]), bins=self.bins, integer=integer[i], declared=declared[i],
                budget=part_budget, rng=rng)

    def _fit_generated(self, name: str, column: pd.Series, encoder: GeneratedEncoder,
                       rng: np.random.Generator) -> None:
        if not self.private_:
            self.value_encoders_[name] = encoder.fit_with_rows(column, self._rows, rng)
            return
        # fitted on a public stand-in of the column's dtype: nothing real is looked at; the
        # null share, where it is modelled, is a domain of its own measured under the budget
        self.value_encoders_[name] = encoder.fit_public(column)
        if encoder.private_nulls:
            self.domains_[name] = CategoricalDomain([_PRESENT], np.ones(1), False, nullable=True)

    def _index(self) -> None:
        """Derived lookups: codes per encoded column, and the encoded columns of each column."""
        self.sizes_ = {name: d.size for name, d in self.domains_.items()}
        self.parts_: dict[str, list[str]] = {}
        for name in self.columns_:
            enc = self.value_encoders_.get(name)
            if isinstance(enc, ContinuousEncoder):
                self.parts_[name] = [name + part for part in enc.parts]
            elif name in self.domains_:
                self.parts_[name] = [name]

    # -- transform ----------------------------------------------------------------------------
    @property
    def encoded_columns_(self) -> list[EncodedColumn]:
        self._check_fitted()
        out = []
        for column, names in self.parts_.items():
            for name in names:
                domain = self.domains_[name]
                numeric = self.positions and isinstance(domain, NumericDomain)
                out.append(EncodedColumn(name, column, "continuous" if numeric else "discrete",
                                         domain.size))
        return out

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Codes of every modelled column (generated ones have none, or a null flag); with
        ``positions``, numbers as ``code + position`` (nothing is drawn: ``rng`` is unused)."""
        self._check_fitted()
        out: dict[str, np.ndarray] = {}
        for column, names in self.parts_.items():
            values = data[column]
            enc = self.value_encoders_.get(column)
            if isinstance(enc, ContinuousEncoder):
                grid = enc.to_grid(values)
                for i, name in enumerate(names):
                    domain = self.domains_[name]
                    codes = domain.transform(grid[:, i])
                    out[name] = codes + _position(domain, grid[:, i], codes) \
                        if self.positions else codes
            elif enc is not None:  # a generated column's null flag
                out[column] = np.where(values.notna().to_numpy(), 0, 1).astype(np.int64)
            else:
                try:
                    out[column] = self.domains_[column].transform(values)
                except ValueError as err:
                    raise DataError(f"column {column!r}: {err}") from None
        return out

    def spread(self, codes: Mapping[str, np.ndarray],
               rng: np.random.Generator) -> dict[str, np.ndarray]:
        """What :meth:`transform` gives with ``positions`` for integer ``codes``: numeric
        codes get a position in their bin drawn from the bin's (noisy) fine histogram.

        For models that learn the codes alone (the autoregressive network under DP).
        """
        out = dict(codes)
        for name, domain in self.domains_.items():
            if isinstance(domain, NumericDomain) and name in codes:
                code = np.asarray(codes[name], dtype=np.int64)
                out[name] = code + _position(domain, domain.inverse_transform(code, rng), code)
        return out

    def inverse_transform(self, encoded: Mapping[str, np.ndarray], n: int,
                          rng: np.random.Generator) -> pd.DataFrame:
        """The table ``encoded`` stands for, in the fitted columns, order and dtypes."""
        self._check_fitted()
        later = [name for name in self.columns_ if self._reads_rows(name)]
        columns = {name: self._decode(name, encoded, n, rng).reset_index(drop=True)
                   for name in self.columns_ if name not in later}
        if later:
            rows = learned_rows(pd.DataFrame(columns), self.metadata)
            for name in later:
                enc = self.value_encoders_[name]
                columns[name] = self._private_text(name, enc, encoded, n, rng) \
                    if enc.reads_codes else enc.generate_for(rows, rng).reset_index(drop=True)
        return pd.DataFrame(columns, columns=pd.Index(self.columns_, dtype=object))

    def _reads_rows(self, name: str) -> bool:
        enc = self.value_encoders_.get(name)
        return isinstance(enc, GeneratedEncoder) and enc.reads_rows \
            and (name not in self.domains_ or enc.reads_codes)

    def _private_text(self, name: str, enc: Any, encoded: Mapping[str, np.ndarray], n: int,
                      rng: np.random.Generator) -> pd.Series:
        """A text column trained under a budget: nulls from its domain, texts written given
        the rows' codes."""
        frame, _ = self._code_frame(encoded)
        null = np.asarray(encoded[name], dtype=np.int64) == self.domains_[name].null_code
        values = pd.Series([""] * n, dtype=object, name=name)
        if (~null).any():
            values[~null] = enc.generate_for(frame[~null].reset_index(drop=True), rng) \
                .fillna("").to_numpy(dtype=object)
        return set_nulls(values, null, self.null_kinds_[name], self.dtypes_[name])

    def _decode(self, name: str, encoded: Mapping[str, np.ndarray], n: int,
                rng: np.random.Generator) -> pd.Series:
        enc = self.value_encoders_.get(name)
        dtype, kind = self.dtypes_[name], self.null_kinds_[name]
        if isinstance(enc, ContinuousEncoder):
            return self._numbers(name, enc, encoded, rng)
        domain = self.domains_.get(name)
        if domain is None:  # generated; nothing modelled
            return enc.generate(n, rng)
        codes = np.asarray(encoded[name], dtype=np.int64)
        null = codes == domain.null_code
        if enc is not None:  # generated, with its modelled null flag
            return set_nulls(enc.generate(n, rng), null, kind, dtype)
        values = domain.inverse_transform(codes, rng)
        if not domain.values_:
            return set_nulls(pd.Series(np.full(n, np.nan)), np.ones(n, bool), kind, dtype) \
                if dtype != "object" else pd.Series([None] * n, dtype=object)
        values[null] = domain.values_[0]
        series = pd.Series(values, dtype=object, name=name)
        with contextlib.suppress(TypeError, ValueError):
            series = series.astype(dtype)
        return set_nulls(series, null, kind, dtype)

    def _numbers(self, name: str, enc: ContinuousEncoder, encoded: Mapping[str, np.ndarray],
                 rng: np.random.Generator) -> pd.Series:
        """A continuous column from its parts' codes (null where any part is null)."""
        parts, nulls = [], []
        for part in self.parts_[name]:
            domain = self.domains_[part]
            assert isinstance(domain, NumericDomain)
            if self.positions:
                positions = np.asarray(encoded[part], dtype=float)
                codes = np.clip(np.floor(positions), 0, domain.size - 1).astype(np.int64)
                x = _values(domain, codes, positions - codes)
            else:
                codes = np.asarray(encoded[part], dtype=np.int64)
                x = domain.inverse_transform(codes, rng)
            nulls.append(codes == domain.null_code)
            parts.append(x)
        null = np.logical_or.reduce(nulls)
        for part, x in zip(self.parts_[name], parts, strict=True):
            x[null] = self.domains_[part].minimum_
        bounds = [self._bounds(part) for part in self.parts_[name]]
        series = enc.from_grid(np.column_stack(parts), bounds, rng)
        return set_nulls(series, null, self.null_kinds_[name], self.dtypes_[name])

    def _bounds(self, name: str) -> tuple[float, float]:
        domain = self.domains_[name]
        assert isinstance(domain, NumericDomain)
        return domain.minimum_, domain.maximum_

    # -- what conditions may ask --------------------------------------------------------------
    def condition_domain(self, column: str) -> ConditionDomain:
        self._check_fitted()
        enc = self.value_encoders_.get(column)
        if isinstance(enc, ContinuousEncoder):
            return enc.grid_condition_domain([self._bounds(p) for p in self.parts_[column]])
        if enc is not None:  # generated
            return enc.condition_domain()
        domain = self.domains_.get(column)
        if isinstance(domain, CategoricalDomain):
            return ConditionDomain(categories=tuple(domain.values_))
        return ConditionDomain()

    def discrete_codes(self, conditions: Mapping[str, Any]) -> dict[str, int]:
        """Codes of categorical columns that equality ``conditions`` pin down (for steering)."""
        self._check_fitted()
        out: dict[str, int] = {}
        for column, value in conditions.items():
            domain = self.domains_.get(column)
            if not isinstance(domain, CategoricalDomain) or isinstance(value, tuple) \
                    or column in self.value_encoders_:
                continue
            if value is None:
                if domain.nullable_:
                    out[column] = domain.null_code
            elif value in domain.values_:
                out[column] = domain.values_.index(value)
        return out

    def null_code(self, column: str) -> int | None:
        self._check_fitted()
        domain = self.domains_.get(column)
        if domain is None or domain.null_code < 0:
            return None
        return domain.null_code

    # -- state --------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        encoders = {name: enc.get_state() for name, enc in self.value_encoders_.items()}
        return {"columns": self.columns_, "dtypes": self.dtypes_,
                "null_kinds": self.null_kinds_, "private": self.private_,
                "domains": {n: d.get_state() for n, d in self.domains_.items()},
                "encoders": encoders}

    def _set_state(self, state: Mapping[str, Any]) -> None:
        if "options" not in state:  # written before codecs were named: bins stood alone
            self.bins = int(state["bins"])
        self.columns_ = list(state["columns"])
        self.dtypes_ = dict(state["dtypes"])
        self.null_kinds_ = dict(state["null_kinds"])
        self.private_ = bool(state["private"])
        self.domains_ = {n: domain_from_state(s) for n, s in state["domains"].items()}
        self.value_encoders_ = {n: encoder_from_state(s) for n, s in state["encoders"].items()}
        self._index()


def _learns(encoder: Encoder, column: pd.Series) -> bool:
    """Whether fitting the column under DP spends budget (else it is all declared)."""
    if isinstance(encoder, GeneratedEncoder):
        return False
    if isinstance(encoder, ContinuousEncoder):
        return True  # bounds and bins
    return encoder.declared_categories(column) is None


def _position(domain: NumericDomain, x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Where each value lies in its interval bin, in [0, 1); the middle for other codes."""
    k, edges = len(domain.atoms_), domain.edges_
    out = np.full(len(x), _MIDDLE)
    inner = (codes >= k) & (codes < k + len(edges) - 1)
    b = codes[inner] - k
    low, high = edges[b], edges[b + 1]
    out[inner] = np.clip((x[inner] - low) / np.maximum(high - low, 1e-300), 0.0, TOP_POSITION)
    out[np.isnan(out)] = _MIDDLE  # nulls coded as a bin when the column has no null code
    return out


def _values(domain: NumericDomain, codes: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Floats for codes: atoms exactly, bins at ``position`` within them, nulls NaN."""
    k, edges = len(domain.atoms_), domain.edges_
    out = np.full(len(codes), np.nan)
    if k:
        atom = codes < k
        out[atom] = np.asarray(domain.atoms_)[codes[atom]]
    inner = (codes >= k) & (codes < k + len(edges) - 1)
    b = codes[inner] - k
    out[inner] = edges[b] + np.clip(position[inner], 0.0, TOP_POSITION) * (edges[b + 1] - edges[b])
    return out
