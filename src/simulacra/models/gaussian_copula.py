"""``GaussianCopula``: empirical marginals joined by a Gaussian dependence structure.

Algorithm (Nelsen, *An Introduction to Copulas*, 2006, ch. 2; Sklar's theorem):

1. Encode the table (:class:`~simulacra.encoders.table.TableEncoder`): numbers and datetimes
   as floats, categories, booleans and null indicators as codes.
2. Order each categorical column's codes along its strongest association with the other
   columns (:mod:`~simulacra.models.category_order`), so the copula can see it.
3. Normal scores: each value gets E[Z | Z in its probability interval] under its column's
   empirical marginal (tied values share one score, no noise is added); their correlation
   matrix Σ, repaired to the nearest valid correlation matrix if needed.
4. Sampling: ``z ~ N(0, Σ)``, ``u = Φ(z)``, each column through its quantile function, decode.

Marginals are nonparametric, so every column's shape is kept; Σ keeps pairwise monotone
dependence, across mixed kinds.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=2000)
>>> df = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(scale=0.3, size=2000)})
>>> synth = GaussianCopula(random_state=0).fit(df).sample(2000)
>>> round(float(synth.corr().iloc[0, 1]), 1)
1.0
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from scipy.special import ndtr

from simulacra._random import RandomState
from simulacra.encoders.table import EncodedColumn
from simulacra.errors import check_param
from simulacra.metadata import Metadata
from simulacra.models._marginal_base import MarginalModel
from simulacra.models.category_order import association_order
from simulacra.models.marginals import fit_marginal, normal_scores


def nearest_correlation(corr: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """Clip eigenvalues at ``floor`` and rescale to a unit diagonal.

    >>> c = nearest_correlation(np.array([[1.0, 1.2], [1.2, 1.0]]))
    >>> bool(np.all(np.linalg.eigvalsh(c) > 0)), np.allclose(np.diag(c), 1)
    (True, True)
    """
    corr = (corr + corr.T) / 2
    values, vectors = np.linalg.eigh(corr)
    if values.min() >= floor:
        return corr
    fixed = (vectors * np.maximum(values, floor)) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(fixed))
    return fixed * scale[:, None] * scale[None, :]


class GaussianCopula(MarginalModel):
    """Gaussian copula over empirical marginals, for mixed-type tables.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw.
    marginal_resolution:
        Columns with at most this many distinct values keep their exact distribution; others
        are represented by this many quantiles.
    category_order:
        ``"association"`` (default) orders each categorical column's codes along its strongest
        association with the other columns before the copula is fitted, so that relations
        such as education ↔ years of education become monotone and are kept (on Adult:
        trend 0.936 → 0.947, detection AUC 0.986 → 0.937); ``"frequency"`` keeps the
        most-frequent-first order.
    """

    name: ClassVar[str] = "gaussian_copula"

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 marginal_resolution: int = 1000,
                 category_order: Literal["association", "frequency"] = "association") -> None:
        super().__init__(metadata, random_state=random_state,
                         marginal_resolution=marginal_resolution)
        self.category_order = category_order

    def _validate_params(self) -> None:
        super()._validate_params()
        check_param("category_order", self.category_order, "'association' or 'frequency'",
                    self.category_order in ("association", "frequency"))

    def _fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
             rng: np.random.Generator) -> None:
        super()._fit(encoded, columns, rng)  # 1-2: marginals
        names = list(self.marginals_)
        n = len(next(iter(encoded.values()))) if encoded else 0
        z = np.empty((n, len(names)))
        for j, name in enumerate(names):
            # 2-3: normal scores, column by column: one (n, d) matrix in memory
            z[:, j] = normal_scores(self.marginals_[name], encoded[name])
        self.orders_: dict[str, np.ndarray] = {}
        if self.category_order == "association":
            self._order_categories(encoded, columns, z)
        corr = np.eye(len(names))
        if names and n > 1:
            varying = z.std(axis=0) > 1e-12
            if varying.sum() > 1:
                sub = np.corrcoef(z[:, varying], rowvar=False)
                corr[np.ix_(varying, varying)] = np.nan_to_num(sub)
        self.correlation_ = nearest_correlation(corr) if names else corr

    def _order_categories(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                          z: np.ndarray, passes: int = 2) -> None:
        """Re-code categorical columns along their strongest association (see category_order).

        Each pass re-ranks every column with three or more codes against the current scores of
        all other columns, refits its marginal on the new ranks and refreshes its scores.
        """
        names = list(self.marginals_)
        discrete = [(names.index(c.name), c) for c in columns
                    if c.output == "discrete" and c.cardinality >= 3]
        for _ in range(passes):
            for j, col in discrete:
                others = np.delete(z, j, axis=1)
                rank = association_order(encoded[col.name], col.cardinality, others)
                self.orders_[col.name] = rank
                ranked = rank[encoded[col.name]]
                self.marginals_[col.name] = fit_marginal(ranked, discrete=True,
                                                         resolution=self.marginal_resolution)
                z[:, j] = normal_scores(self.marginals_[col.name], ranked)

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        # 4: z ~ N(0, Σ) via the Cholesky factor, then each quantile function
        names = list(self.marginals_)
        if not names:
            return {}
        chol = np.linalg.cholesky(self.correlation_)
        z = rng.standard_normal((n, len(names))) @ chol.T
        u = ndtr(z)
        out = {name: self.marginals_[name].from_uniform(u[:, j]) for j, name in enumerate(names)}
        for name, rank in self.orders_.items():
            out[name] = np.argsort(rank)[out[name]]  # ranks back to the encoder's codes
        return out

    def _get_state(self) -> dict[str, Any]:
        return {**super()._get_state(), "correlation": self.correlation_,
                "orders": self.orders_}

    def _set_state(self, state: dict[str, Any]) -> None:
        super()._set_state(state)
        self.correlation_ = np.asarray(state["correlation"], dtype=np.float64)
        self.orders_ = {n: np.asarray(r, dtype=np.int64) for n, r in state["orders"].items()}
