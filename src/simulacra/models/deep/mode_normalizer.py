"""Mode-specific normalization of an encoded table (Xu et al., NeurIPS 2019, §4.2).

Each continuous column is modelled by a variational Gaussian mixture (scikit-learn's
``BayesianGaussianMixture``, at most 10 modes, Dirichlet-process prior 1e-3; modes with weight
below 0.005 are dropped). A value ``x`` becomes

* a mode ``k`` drawn from its posterior ``p(k | x)`` (a one-hot, "softmax" span), and
* a scalar ``α = (x − μ_k) / (4 σ_k)`` clipped to [-0.99, 0.99] (a "tanh" span).

Discrete columns (categories, booleans, ``<col>#null`` indicators) become one-hots. Every
operation is vectorized over rows; the fitted state is plain arrays.

>>> import numpy as np
>>> from simulacra.encoders import EncodedColumn
>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([rng.normal(-5, 1, 500), rng.normal(5, 1, 500)])
>>> cols = [EncodedColumn("x", "x", "continuous"), EncodedColumn("c", "c", "discrete", 3)]
>>> data = {"x": x, "c": rng.integers(0, 3, 1000)}
>>> mn = ModeNormalizer().fit(data, cols, rng)
>>> m = mn.transform(data, rng)
>>> m.shape[1] == mn.output_dim_, [s.activation for s in mn.spans_]
(True, ['tanh', 'softmax', 'softmax'])
>>> back = mn.inverse_transform(m)
>>> bool(np.allclose(back["x"], x, atol=1e-4)), bool((back["c"] == data["c"]).all())
(True, True)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from simulacra.encoders import EncodedColumn
from simulacra.randomness import child_seed


@dataclass(frozen=True)
class Span:
    """A block of the transformed matrix that one output activation covers."""

    start: int
    width: int
    activation: Literal["tanh", "softmax"]
    column: str


@dataclass
class _Modes:
    """The valid modes of one continuous column, in the column's own units."""

    means: np.ndarray  # (k,)
    stds: np.ndarray  # (k,)
    weights: np.ndarray  # (k,), sum to 1


def fit_modes(x: np.ndarray, rng: np.random.Generator, *, n_components: int = 10,
              weight_concentration_prior: float = 1e-3, weight_threshold: float = 0.005,
              max_fit_rows: int = 10_000) -> _Modes:
    """Fit the variational mixture on at most ``max_fit_rows`` values of ``x``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture

    x = np.asarray(x, dtype=np.float64)
    if len(x) > max_fit_rows:
        x = rng.choice(x, max_fit_rows, replace=False)
    # standardize first: the mixture's priors and reg_covar then suit any unit (e.g. epoch s)
    center, scale = float(x.mean()), float(x.std())
    if not np.isfinite(scale) or scale <= 0:
        return _Modes(np.array([center]), np.array([1e-3 * max(abs(center), 1.0)]),
                      np.array([1.0]))
    z = (x - center) / scale
    k = int(min(n_components, len(np.unique(z))))
    bgm = BayesianGaussianMixture(
        n_components=k, weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=weight_concentration_prior, max_iter=100, n_init=1,
        random_state=child_seed(rng))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bgm.fit(z.reshape(-1, 1))
    weights = bgm.weights_
    valid = weights > weight_threshold
    if not valid.any():
        valid = weights == weights.max()
    means = bgm.means_[valid, 0] * scale + center
    stds = np.sqrt(bgm.covariances_[valid].reshape(-1)) * scale
    w = weights[valid] / weights[valid].sum()
    return _Modes(means.astype(np.float64), np.maximum(stds, 1e-12), w.astype(np.float64))


class ModeNormalizer:
    """Reversible map between encoded columns and the matrix the deep models train on.

    ``spans_`` lists the output blocks in order: per continuous column an α span (tanh, width 1)
    then a mode span (softmax, width = its number of modes); per discrete column one softmax span
    of width = its cardinality. ``discrete_spans_`` are the spans of discrete columns only (the
    ones CTGAN's conditional vector refers to).
    """

    def __init__(self, *, n_components: int = 10, weight_concentration_prior: float = 1e-3,
                 weight_threshold: float = 0.005, max_fit_rows: int = 10_000) -> None:
        self.n_components = n_components
        self.weight_concentration_prior = weight_concentration_prior
        self.weight_threshold = weight_threshold
        self.max_fit_rows = max_fit_rows

    # -- fit --------------------------------------------------------------------------------
    def fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
            rng: np.random.Generator) -> ModeNormalizer:
        self.columns_: list[tuple[str, str, int]] = []  # (name, output, cardinality)
        self.modes_: dict[str, _Modes] = {}
        for col in columns:
            if col.output == "continuous":
                self.modes_[col.name] = fit_modes(
                    encoded[col.name], rng, n_components=self.n_components,
                    weight_concentration_prior=self.weight_concentration_prior,
                    weight_threshold=self.weight_threshold, max_fit_rows=self.max_fit_rows)
            self.columns_.append((col.name, col.output, int(col.cardinality)))
        self._build_spans()
        return self

    def _build_spans(self) -> None:
        spans: list[Span] = []
        start = 0
        for name, output, cardinality in self.columns_:
            if output == "continuous":
                k = len(self.modes_[name].means)
                spans += [Span(start, 1, "tanh", name), Span(start + 1, k, "softmax", name)]
                start += 1 + k
            else:
                spans.append(Span(start, max(cardinality, 1), "softmax", name))
                start += max(cardinality, 1)
        self.spans_ = spans
        self.output_dim_ = start
        discrete = {name for name, output, _ in self.columns_ if output != "continuous"}
        self.discrete_spans_ = [s for s in spans if s.column in discrete]

    # -- transform -------------------------------------------------------------------------
    def transform(self, encoded: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        """The ``(n, output_dim_)`` float32 matrix; each row's mode is drawn from ``rng``."""
        n = len(encoded[self.columns_[0][0]]) if self.columns_ else 0
        out = np.zeros((n, self.output_dim_), dtype=np.float32)
        rows = np.arange(n)
        by_column = {s.column: [] for s in self.spans_}
        for s in self.spans_:
            by_column[s.column].append(s)
        for name, output, _ in self.columns_:
            spans = by_column[name]
            values = np.asarray(encoded[name])
            if output == "continuous":
                alpha, mode = self._normalize(name, values.astype(np.float64), rng)
                out[:, spans[0].start] = alpha
                out[rows, spans[1].start + mode] = 1.0
            else:
                out[rows, spans[0].start + values.astype(np.int64)] = 1.0
        return out

    def _normalize(self, name: str, x: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        m = self.modes_[name]
        # posterior p(k | x) ∝ w_k N(x; μ_k, σ_k²), (n, k); as the reference, + 1e-6 smoothing
        z = (x[:, None] - m.means[None, :]) / m.stds[None, :]
        logp = np.log(m.weights)[None, :] - np.log(m.stds)[None, :] - 0.5 * z * z
        logp -= logp.max(axis=1, keepdims=True)
        post = np.exp(logp)
        post /= post.sum(axis=1, keepdims=True)
        post += 1e-6
        cum = np.cumsum(post, axis=1)
        u = rng.random(len(x)) * cum[:, -1]
        mode = np.minimum((cum < u[:, None]).sum(axis=1), len(m.means) - 1)
        alpha = (x - m.means[mode]) / (4.0 * m.stds[mode])
        return np.clip(alpha, -0.99, 0.99), mode

    def inverse_transform(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Encoded columns from a matrix of activated outputs (α in [-1, 1], one-hot scores)."""
        matrix = np.asarray(matrix)
        by_column: dict[str, list[Span]] = {s.column: [] for s in self.spans_}
        for s in self.spans_:
            by_column[s.column].append(s)
        out: dict[str, np.ndarray] = {}
        for name, output, _ in self.columns_:
            spans = by_column[name]
            if output == "continuous":
                m = self.modes_[name]
                alpha = np.clip(matrix[:, spans[0].start].astype(np.float64), -1.0, 1.0)
                s = spans[1]
                mode = matrix[:, s.start:s.start + s.width].argmax(axis=1)
                out[name] = alpha * 4.0 * m.stds[mode] + m.means[mode]
            else:
                s = spans[0]
                out[name] = matrix[:, s.start:s.start + s.width].argmax(axis=1).astype(np.int64)
        return out

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "params": {"n_components": self.n_components,
                       "weight_concentration_prior": self.weight_concentration_prior,
                       "weight_threshold": self.weight_threshold,
                       "max_fit_rows": self.max_fit_rows},
            "columns": [list(c) for c in self.columns_],
            "modes": {name: {"means": m.means, "stds": m.stds, "weights": m.weights}
                      for name, m in self.modes_.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ModeNormalizer:
        mn = cls(**state["params"])
        mn.columns_ = [(str(n), str(o), int(c)) for n, o, c in state["columns"]]
        mn.modes_ = {name: _Modes(*(np.asarray(m[k], dtype=np.float64)
                                    for k in ("means", "stds", "weights")))
                     for name, m in state["modes"].items()}
        mn._build_spans()
        return mn
