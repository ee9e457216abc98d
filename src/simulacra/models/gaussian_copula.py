"""``GaussianCopula``: empirical marginals joined by a Gaussian dependence structure.

Algorithm (Nelsen, *An Introduction to Copulas*, 2006, ch. 2; Sklar's theorem):

1. Encode the table (:class:`~simulacra.encoders.table.TableEncoder`): numbers and datetimes
   as floats, categories, booleans and null indicators as codes.
2. Map every encoded column to uniform scores with its empirical marginal. Ties (codes,
   repeated numbers) are spread over their probability mass (the distributional transform,
   Rüschendorf 2009), so scores of discrete columns are exactly uniform too.
3. Normal scores ``z = Φ⁻¹(u)``; their correlation matrix Σ, repaired to the nearest valid
   correlation matrix if needed (eigenvalues clipped, unit diagonal restored).
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

from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from simulacra.encoders.table import EncodedColumn
from simulacra.models._marginal_base import MarginalModel


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
    """

    name: ClassVar[str] = "gaussian_copula"

    def _fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
             rng: np.random.Generator) -> None:
        super()._fit(encoded, columns, rng)  # 1-2: marginals
        names = list(self.marginals_)
        n = len(next(iter(encoded.values()))) if encoded else 0
        z = np.empty((n, len(names)))
        for j, name in enumerate(names):
            # 2-3: uniform then normal scores, column by column: one (n, d) matrix in memory
            z[:, j] = ndtri(self.marginals_[name].to_uniform(encoded[name], rng))
        corr = np.eye(len(names))
        if names and n > 1:
            varying = z.std(axis=0) > 1e-12
            if varying.sum() > 1:
                sub = np.corrcoef(z[:, varying], rowvar=False)
                corr[np.ix_(varying, varying)] = np.nan_to_num(sub)
        self.correlation_ = nearest_correlation(corr) if names else corr

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        # 4: z ~ N(0, Σ) via the Cholesky factor, then each quantile function
        names = list(self.marginals_)
        if not names:
            return {}
        chol = np.linalg.cholesky(self.correlation_)
        z = rng.standard_normal((n, len(names))) @ chol.T
        u = ndtr(z)
        return {name: self.marginals_[name].from_uniform(u[:, j]) for j, name in enumerate(names)}

    def _get_state(self) -> dict[str, Any]:
        return {**super()._get_state(), "correlation": self.correlation_}

    def _set_state(self, state: dict[str, Any]) -> None:
        super()._set_state(state)
        self.correlation_ = np.asarray(state["correlation"], dtype=np.float64)
