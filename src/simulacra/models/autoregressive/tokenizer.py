"""Encoded columns ↔ integer tokens, the vocabulary of the autoregressive network.

* A discrete column (category codes, booleans, ``<col>#null`` flags) keeps its codes as tokens;
  beyond ``max_categories`` codes, the most frequent ``max_categories - 1`` keep their own token
  and the rest share an "other" token, decoded by drawing one of them by frequency.
* A numeric column with at most ``numeric_bins`` distinct values keeps each value as a token
  (one named in ``exact``, at most ``max_categories``: a sequence's length, whose every
  value must come out as often as it should).
* Any other numeric column is cut into ``numeric_bins`` equal-probability bins of its empirical
  distribution (:mod:`simulacra.models.marginals`): a value's token is the bin holding the
  middle of its probability interval. Tokens decode to a draw from the empirical quantile
  function restricted to their bin, so marginals are kept exactly, within-bin detail included.
* With ``sub_bins`` > 1, a binned column with at most ``numeric_bins × sub_bins / 2``
  distinct values (ages, hours, amounts in whole units) gets a second token, ``<col>#sub``,
  just after its bin: which of ``sub_bins`` equal parts of the bin holds the value. The two
  tokens are two digits of the value's position (as TabularARGN's digit encodings): every
  value with probability ≥ 2 / (bins × sub_bins) owns a cell, so it is told apart from its
  neighbours and the columns after it see it exactly, while each softmax stays small.
  Columns with more distinct values keep one token: their within-bin position carries
  little but noise, and predicting it made the fits worse (``BENCHMARKS.md``) — unless
  ``sub_bins_for="all"``, for sequences whose values persist from one event to the next (a
  customer's large amounts, a slowly moving temperature): one token would redraw the value
  anywhere in its bin at every step.
* With ``copies=True``, a binned column that equals an earlier numeric column's value in
  clearly more rows than chance (a payment equal to last month's bill) gets one more token per
  such column, "the same value as it" (:mod:`~simulacra.models.autoregressive.copies`),
  decoded as that column's decoded value.
* Small tables get a coarser vocabulary, so that the network learns how columns depend on one
  another instead of where each training row sits: :func:`bins_for_rows` gives one bin per
  ``ROWS_PER_BIN`` rows (at least ``MIN_BINS``), and a column gets the second token only if
  its values repeat (seen ``MIN_REPEATS`` times each on average) — on a few hundred rows of
  unique amounts, two digits would give every row a cell of its own and the network would
  learn the rows by heart.

Columns come in the table's order, each ``<col>#null`` flag just before its column: the network
decides first whether a value is missing, then what it is.

>>> import numpy as np
>>> from simulacra.encoders import EncodedColumn
>>> rng = np.random.default_rng(0)
>>> cols = [EncodedColumn("x", "x", "continuous"), EncodedColumn("age", "age", "continuous"),
...         EncodedColumn("c", "c", "discrete", 3)]
>>> data = {"x": rng.normal(size=5000), "age": rng.integers(18, 90, 5000).astype(float),
...         "c": rng.integers(0, 3, 5000)}
>>> tok = Tokenizer(numeric_bins=20, sub_bins=10).fit(data, cols)
>>> tok.names_, tok.sizes_, tok.source_["age#sub"]
(['x', 'age', 'age#sub', 'c'], [20, 20, 10, 3], 'age')
>>> tokens = tok.transform(data)
>>> np.bincount(tokens[:, 0]).tolist() == [250] * 20  # equal-probability bins
True
>>> back = tok.inverse_transform(tokens, rng)
>>> bool((back["c"] == data["c"]).all()), bool((back["age"] == data["age"]).all())
(True, True)
>>> bool(np.abs(np.sort(back["x"]) - np.sort(data["x"])).max() < 0.5)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.encoders import NULL_SUFFIX, EncodedColumn
from simulacra.models.autoregressive.copies import copy_tokens, find_copies
from simulacra.models.marginals import (
    DiscreteMarginal,
    Marginal,
    fit_marginal,
    marginal_from_state,
)

#: suffix of the within-bin token that follows a binned numeric column's bin token
SUB_SUFFIX = "#sub"
#: training rows per numeric bin at least (fewer bins on small tables)
ROWS_PER_BIN = 120
#: ...but never fewer bins than this (nor than asked for)
MIN_BINS = 8
#: a binned column gets its second token only if each value is seen this often on average
MIN_REPEATS = 5


def bins_for_rows(n_rows: int, numeric_bins: int) -> int:
    """Bins of a table of ``n_rows`` rows: ``numeric_bins``, or one per ``ROWS_PER_BIN`` rows
    where that is fewer (at least ``MIN_BINS``).

    >>> [bins_for_rows(n, 64) for n in (30_000, 7_680, 2_000, 480)], bins_for_rows(480, 4)
    ([64, 64, 16, 8], 4)
    """
    return min(int(numeric_bins), max(MIN_BINS, int(n_rows) // ROWS_PER_BIN))


class Tokenizer:
    """Fitted per-column token maps; ``names_`` in network order and ``sizes_`` (vocabularies).

    ``source_`` maps every token column to the encoded column it comes from (a ``#sub`` token
    to its numeric column, every other token column to itself).
    """

    def __init__(self, *, numeric_bins: int = 64, sub_bins: int = 1, max_categories: int = 512,
                 marginal_resolution: int = 1000, sub_bins_for: str = "few-valued",
                 exact: tuple[str, ...] | list[str] = (), min_count: int = 1,
                 copies: bool = False) -> None:
        if sub_bins_for not in ("few-valued", "all"):
            raise ValueError(f"sub_bins_for must be 'few-valued' or 'all', got {sub_bins_for!r}")
        self.numeric_bins = numeric_bins
        self.sub_bins = sub_bins
        self.sub_bins_for = sub_bins_for
        self.exact = [str(e) for e in exact]  # numbers that keep a token per value if they can
        self.max_categories = max_categories
        self.marginal_resolution = marginal_resolution
        self.min_count = min_count  # value protection: see marginals.fit_marginal
        self.copies = copies
        self.copies_: dict[str, list[str]] = {}  # binned column -> the columns it may copy

    @classmethod
    def of_dp_codes(cls, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                    max_categories: int) -> tuple[Tokenizer, np.ndarray]:
        """``(tokenizer, tokens)`` of a table encoded with DP codes (under a privacy budget):
        every column's code is its token — a number's position within its bin is dropped
        (drawn again at sampling time, ``BinnedCodec.spread``), and no code is pooled with
        others (pooling rare codes would rank them by their true counts)."""
        codes = {c.name: np.floor(encoded[c.name]).astype(np.int64) for c in columns}
        discrete = [EncodedColumn(c.name, c.source, "discrete", c.cardinality) for c in columns]
        largest = max([int(max_categories), *(c.cardinality for c in discrete)])
        tokenizer = cls(max_categories=largest).fit(codes, discrete)
        return tokenizer, tokenizer.transform(codes)

    def fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn]) -> Tokenizer:
        self.names_: list[str] = []
        self.sizes_: list[int] = []
        self.kinds_: dict[str, str] = {}  # "codes" | "values" | "bins"
        self.keep_: dict[str, np.ndarray] = {}  # codes with their own token ("codes")
        self.pooled_: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # other codes, their counts
        self.marginals_: dict[str, Marginal] = {}
        self.source_: dict[str, str] = {}
        self.n_rows_ = len(np.asarray(encoded[columns[0].name])) if columns else 0
        for col in _network_order(columns):
            values = np.asarray(encoded[col.name])
            self.names_.append(col.name)
            self.source_[col.name] = col.name
            if col.output == "discrete":
                self._fit_codes(col.name, values.astype(np.int64), max(col.cardinality, 1))
            else:
                self._fit_numeric(col.name, values.astype(np.float64))
            if self.kinds_[col.name] == "bins" and self._two_digits(self.marginals_[col.name]):
                sub = col.name + SUB_SUFFIX
                self.names_.append(sub)
                self.sizes_.append(int(self.sub_bins))
                self.kinds_[sub] = "sub"
                self.source_[sub] = col.name
        if self.copies:
            self._fit_copies(encoded)
        return self

    def _fit_copies(self, encoded: dict[str, np.ndarray]) -> None:
        """Copy tokens after each binned column's bins (see :mod:`.copies`)."""
        numeric = [n for n in self.names_ if self.kinds_[n] in ("bins", "values")]
        targets = [n for n in numeric if self.kinds_[n] == "bins"]
        self.copies_ = find_copies({n: encoded[n] for n in numeric}, numeric, targets=targets,
                                   present=self._present(encoded, numeric))
        for name, sources in self.copies_.items():
            self.sizes_[self.names_.index(name)] += len(sources)

    @staticmethod
    def _present(encoded: dict[str, np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
        """Rows where each column has a value (its ``#null`` flag, when it has one, is 0)."""
        return {n: np.asarray(encoded[n + NULL_SUFFIX]) == 0 for n in names
                if n + NULL_SUFFIX in encoded}

    def _two_digits(self, marginal: Marginal) -> bool:
        """Whether bin and part tokens can tell the values apart: at most half as many values
        as cells (a value of average probability then spans two cells, one wholly its own),
        each seen ``MIN_REPEATS`` times on average (else a cell would hold one row)."""
        cells = self.numeric_bins * self.sub_bins
        if self.sub_bins > 1 and self.sub_bins_for == "all":
            return True
        if isinstance(marginal, DiscreteMarginal):
            distinct = len(marginal.values)
        elif marginal.probs is not None:  # frequent values kept, rare ones smoothed
            distinct = len(np.unique(marginal.quantiles))
        else:
            return False
        return (self.sub_bins > 1 and distinct <= cells // 2
                and distinct * MIN_REPEATS <= self.n_rows_)

    def _fit_codes(self, name: str, codes: np.ndarray, cardinality: int) -> None:
        self.kinds_[name] = "codes"
        counts = np.bincount(codes, minlength=cardinality)
        if cardinality <= self.max_categories:
            self.keep_[name] = np.arange(cardinality)
            self.sizes_.append(cardinality)
            return
        order = np.argsort(-counts, kind="stable")
        keep = np.sort(order[:self.max_categories - 1])
        rest = np.sort(order[self.max_categories - 1:])
        self.keep_[name] = keep
        self.pooled_[name] = (rest, counts[rest])
        self.sizes_.append(self.max_categories)

    def _fit_numeric(self, name: str, x: np.ndarray) -> None:
        distinct = np.unique(x)
        limit = self.max_categories if name in self.exact else self.numeric_bins
        if len(distinct) <= limit:
            self.kinds_[name] = "values"
            self.marginals_[name] = DiscreteMarginal.fit(x)
            self.sizes_.append(len(distinct))
            return
        self.kinds_[name] = "bins"
        self.marginals_[name] = fit_marginal(x, discrete=False,
                                             resolution=self.marginal_resolution,
                                             min_count=self.min_count)
        self.sizes_.append(self.numeric_bins)

    # -- transform ----------------------------------------------------------------------------
    def transform(self, encoded: dict[str, np.ndarray], *, copies: bool = True) -> np.ndarray:
        """``(n, len(names_))`` int64 tokens; ``copies=False`` writes every value with its own
        bins even where a copy token could stand for it (rows whose source is to be drawn
        again, as imputation does, must not point at it)."""
        n = len(encoded[self.names_[0]]) if self.names_ else 0
        out = np.zeros((n, len(self.names_)), dtype=np.int64)
        for j, name in enumerate(self.names_):
            kind = self.kinds_[name]
            if kind == "sub":
                continue  # written with its bin token
            values = np.asarray(encoded[name])
            if kind == "codes":
                keep = self.keep_[name]
                if name in self.pooled_:
                    pos = np.clip(np.searchsorted(keep, values), 0, len(keep) - 1)
                    out[:, j] = np.where(keep[pos] == values, pos, len(keep))
                else:
                    out[:, j] = np.clip(values.astype(np.int64), 0, len(keep) - 1)
            elif kind == "values":
                m = self.marginals_[name]
                out[:, j] = np.clip(np.searchsorted(m.values, values.astype(np.float64)), 0,
                                    len(m.values) - 1)
            else:
                left, right = self.marginals_[name].interval(values.astype(np.float64))
                sub = self._sub(name)
                cells = self.numeric_bins * sub
                cell = np.clip(np.floor((left + right) / 2 * cells).astype(np.int64), 0,
                               cells - 1)
                out[:, j], rest = np.divmod(cell, sub)
                if sub > 1:
                    out[:, j + 1] = rest
                if copies and name in self.copies_:
                    names = [name, *self.copies_[name]]
                    k = copy_tokens(encoded, name, self.copies_[name],
                                    self._present(encoded, names))
                    out[k >= 0, j] = self.numeric_bins + k[k >= 0]
        return out

    def positions(self) -> list[np.ndarray | None]:
        """Each token column's tokens placed in [-1, 1] by rank, ``None`` for unordered ones.

        Numbers (values, bins and parts of bins) are ordered: a token's position tells the
        network that neighbouring bins are alike (category codes carry no order).
        """
        out: list[np.ndarray | None] = []
        for name, size in zip(self.names_, self.sizes_, strict=True):
            size -= len(self.copies_.get(name, ()))  # copy tokens have no place in the order
            if self.kinds_[name] == "codes" or size < 2:
                out.append(None)
            else:
                out.append((np.arange(size) + 0.5) / size * 2 - 1)
        return out

    def token_of(self, name: str, code: int) -> int:
        """The token of discrete code ``code`` in ``"codes"`` column ``name``: its own, or the
        pooled token ``len(keep_[name])`` that rare codes share."""
        keep = self.keep_[name]
        hit = np.flatnonzero(keep == code)
        return int(hit[0]) if len(hit) else len(keep)

    def _sub(self, name: str) -> int:
        """Parts each bin of binned column ``name`` is cut into (1: no ``#sub`` token)."""
        return int(self.sub_bins) if name + SUB_SUFFIX in self.kinds_ else 1

    def inverse_transform(self, tokens: np.ndarray,
                          rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Encoded columns from tokens; pooled codes and within-bin values drawn from ``rng``."""
        out: dict[str, np.ndarray] = {}
        for j, name in enumerate(self.names_):
            t = tokens[:, j]
            kind = self.kinds_[name]
            if kind == "codes":
                keep = self.keep_[name]
                codes = keep[np.minimum(t, len(keep) - 1)]
                if name in self.pooled_:
                    rest, counts = self.pooled_[name]
                    other = t >= len(keep)
                    codes[other] = rng.choice(rest, int(other.sum()), p=counts / counts.sum())
                out[name] = codes.astype(np.int64)
            elif kind == "values":
                out[name] = self.marginals_[name].values[t]
            elif kind == "bins":
                sub = self._sub(name)
                copied = t - self.numeric_bins  # >= 0: a copy token
                t = np.minimum(t, self.numeric_bins - 1)
                cell = t * sub + (tokens[:, j + 1] if sub > 1 else 0)
                u = (cell + rng.random(len(t))) / (self.numeric_bins * sub)
                marginal = self.marginals_[name]
                values = marginal.from_uniform(u)
                if name in self.copies_:  # within the column's range, as every value is
                    low, high = marginal.from_uniform(np.array([0.0, 1.0]))
                    for k, source in enumerate(self.copies_[name]):
                        rows = copied == k
                        values[rows] = np.clip(out[source][rows], low, high)
                out[name] = values
        return out

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "params": {"numeric_bins": self.numeric_bins, "sub_bins": self.sub_bins,
                       "max_categories": self.max_categories,
                       "marginal_resolution": self.marginal_resolution,
                       "sub_bins_for": self.sub_bins_for, "exact": list(self.exact),
                       "copies": self.copies},
            "names": self.names_, "sizes": self.sizes_, "kinds": self.kinds_,
            "source": self.source_,
            "keep": self.keep_,
            "pooled": {k: {"codes": r, "counts": c} for k, (r, c) in self.pooled_.items()},
            "marginals": {k: m.get_state() for k, m in self.marginals_.items()},
            "copy_sources": self.copies_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Tokenizer:
        tok = cls(**state["params"])
        tok.names_ = [str(n) for n in state["names"]]
        tok.sizes_ = [int(s) for s in state["sizes"]]
        tok.kinds_ = {str(k): str(v) for k, v in state["kinds"].items()}
        # models saved before #sub tokens existed: every token column is its own source
        tok.source_ = {str(k): str(v)
                       for k, v in state.get("source", {n: n for n in tok.names_}).items()}
        tok.keep_ = {k: np.asarray(v, dtype=np.int64) for k, v in state["keep"].items()}
        tok.pooled_ = {k: (np.asarray(v["codes"], dtype=np.int64),
                           np.asarray(v["counts"], dtype=np.float64))
                       for k, v in state["pooled"].items()}
        tok.marginals_ = {k: marginal_from_state(s, k) for k, s in state["marginals"].items()}
        # models saved before copy tokens existed copy nothing
        tok.copies_ = {str(k): [str(s) for s in v]
                       for k, v in state.get("copy_sources", {}).items()}
        tok._check_copies()
        return tok

    def _check_copies(self) -> None:
        """A model file's copy tokens name a binned column, earlier numeric sources and
        the bins' count plus one token per source."""
        for name, sources in self.copies_.items():
            if self.kinds_.get(name) != "bins" or not sources:
                raise ValueError(f"copy tokens of {name!r}: not a binned column")
            j = self.names_.index(name)
            earlier = self.names_[:j]
            if any(s not in earlier or self.kinds_[s] not in ("bins", "values")
                   for s in sources) or self.sizes_[j] != self.numeric_bins + len(sources):
                raise ValueError(f"copy tokens of {name!r}: sources {sources[:3]} are not "
                                 "earlier numeric columns of the model, or its size is wrong")


def _network_order(columns: list[EncodedColumn]) -> list[EncodedColumn]:
    """Table order, each ``#null`` flag moved just before the column it flags."""
    order: list[EncodedColumn] = []
    for col in columns:
        if col.name.endswith(NULL_SUFFIX):  # before the first encoded column of its source
            at = next((i for i, c in enumerate(order) if c.source == col.source), len(order))
            order.insert(at, col)
        else:
            order.append(col)
    return order

