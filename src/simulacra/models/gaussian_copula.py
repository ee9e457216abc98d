"""``GaussianCopula``: empirical marginals joined by a Gaussian dependence structure.

Algorithm (Nelsen, *An Introduction to Copulas*, 2006, ch. 2; Sklar's theorem):

1. Encode the table (:class:`~simulacra.encoders.exact.ExactCodec`): numbers and datetimes
   as floats, categories, booleans and null indicators as codes.
2. Order each categorical column's codes along its strongest association with the other
   columns (:mod:`~simulacra.models.category_order`), so the copula can see it.
3. Normal scores: each value gets E[Z | Z in its probability interval] under its column's
   empirical marginal (tied values share one score, no noise is added); their correlation
   matrix Σ, repaired to the nearest valid correlation matrix if needed.
4. Sampling: ``z ~ N(0, Σ)``, ``u = Φ(z)``, each column through its quantile function, decode.

Marginals are nonparametric, so every column's shape is kept; Σ keeps pairwise monotone
dependence, across mixed kinds.

With ``components > 1`` (the default on tables of a few thousand rows or more) the single
Gaussian of step 3 becomes a mixture of Gaussians over the same scores, and nominal columns
(no strong monotone tie to any other column) a categorical table per component
(:mod:`~simulacra.models.copula_mixture`): the model then also keeps non-monotone and
higher-order dependence, so conditional distributions (``sample(conditions=...)``) follow
the data (Adult, ``income = ">50K"`` and age 60-70: shape 0.913 → 0.960; unconditionally
trend 0.954 → 0.980 and detection AUC 0.884 → 0.694, fit in 2 s; see BENCHMARKS.md).

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

from simulacra.encoders import EncodedColumn
from simulacra.metadata import Metadata
from simulacra.models.category_order import association_order
from simulacra.models.copula_mixture import Mixture, fit_mixture
from simulacra.models.marginal_base import MarginalModel
from simulacra.models.marginals import fit_marginal, normal_scores
from simulacra.params import Either, Integer, OneOf
from simulacra.randomness import RandomState


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
    components:
        Gaussians in the mixture over normal scores; ``1`` is the classic Gaussian copula.
        ``"auto"`` (default): one per ``ROWS_PER_COMPONENT`` rows, at most
        ``MAX_COMPONENTS`` (Adult's 32,561 rows: 100; tables under 1,200 rows: 1), and on wide
        tables few enough that an EM iteration stays within ``EM_BUDGET`` multiply-adds
        (an iteration costs rows × components × d(d+1)/2 for d Gaussian coordinates); fewer
        than 4 fall back to 1.
    value_protection:
        Learn from a copy of the table whose categories seen in fewer than 5 rows and whose
        values beyond the 5th smallest or largest are replaced, and smooth nearly unique
        numbers, so none of them comes back (:mod:`simulacra.models.protection`); default on.

    Examples
    --------
    >>> import simulacra as sim
    >>> df = sim.datasets.load_demo().head(3000)
    >>> model = sim.GaussianCopula(random_state=0).fit(df)
    >>> model.n_components_, sorted(model.nominal_)[:2]
    (10, ['marital-status', 'native-country'])
    >>> model.sample(5, conditions={"income": ">50K"})["income"].unique().tolist()
    ['>50K']
    """

    name: ClassVar[str] = "gaussian_copula"
    #: The correlation matrix is columns x columns and its eigendecomposition takes time as
    #: their cube: 4,000 columns of 10 rows fit in 26 s and 1 GB (2 cores), 10,000 would take
    #: minutes and several GB
    max_columns: ClassVar[int | None] = 4_000
    #: ``components="auto"``: one mixture component per this many rows ...
    ROWS_PER_COMPONENT: ClassVar[int] = 300
    #: ... and at most this many
    MAX_COMPONENTS: ClassVar[int] = 100
    #: rows the mixture is fitted on at most (a seeded subsample of larger tables)
    MIXTURE_ROWS: ClassVar[int] = 100_000
    #: ``components="auto"`` keeps one EM iteration under this many multiply-adds (about a
    #: quarter of a second on one core); Adult needs 1.5e8 at 100 components
    EM_BUDGET: ClassVar[float] = 5e8
    #: a categorical column correlated at least this much with another stays in the Gaussian
    #: part (its order carries the relation, e.g. education ↔ years of education); the others
    #: are nominal and get a table per component
    NOMINAL_MAX_CORRELATION: ClassVar[float] = 0.95

    params = {"category_order": OneOf("association", "frequency"),
              "components": Either(OneOf("auto"), Integer(1, 1000))}

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 marginal_resolution: int = 1000,
                 category_order: Literal["association", "frequency"] = "association",
                 components: int | Literal["auto"] = "auto",
                 value_protection: bool = True) -> None:
        super().__init__(metadata, random_state=random_state,
                         marginal_resolution=marginal_resolution,
                         value_protection=value_protection)
        self.category_order = category_order
        self.components = components

    def _n_components(self, n_rows: int, n_gaussian: int) -> int:
        """Components for ``n_rows`` rows with ``n_gaussian`` Gaussian coordinates."""
        if self.components != "auto":
            return int(self.components)
        by_rows = n_rows // self.ROWS_PER_COMPONENT
        cost = min(n_rows, self.MIXTURE_ROWS) * max(n_gaussian * (n_gaussian + 1) // 2, 1)
        components = int(min(by_rows, self.EM_BUDGET // cost, self.MAX_COMPONENTS))
        # two or three components cost a wide table most of a larger mixture's time (the
        # pairwise products of its columns) for little gain: the classic copula then
        return components if components >= 4 else 1

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
        self.nominal_: list[str] = []
        self.mixture_: Mixture | None = None
        strength = np.abs(self.correlation_ - np.eye(len(names)))
        nominal = [c.name for c in columns
                   if c.output == "discrete" and c.cardinality >= 3
                   and strength[names.index(c.name)].max() < self.NOMINAL_MAX_CORRELATION]
        self.n_components_ = self._n_components(n, len(names) - len(nominal))
        if self.n_components_ > 1 and names:
            self.nominal_ = nominal
            self._fit_mixture(encoded, columns, z, rng)
        self._prepare_ranks()

    def _prepare_ranks(self) -> None:
        """Each ordered column's codes by rank (the inverse of its order), for sampling."""
        self._code_of_rank = {name: np.argsort(rank) for name, rank in self.orders_.items()}

    def _fit_mixture(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     z: np.ndarray, rng: np.random.Generator) -> None:
        """Mixture over the scores of the ordered columns and the codes of the nominal ones."""
        names = list(self.marginals_)
        latent = [j for j, name in enumerate(names) if name not in self.nominal_]
        rows = np.arange(len(z))
        if len(rows) > self.MIXTURE_ROWS:
            rows = np.sort(rng.choice(len(rows), self.MIXTURE_ROWS, replace=False))
        codes = np.column_stack([encoded[name][rows] for name in self.nominal_]
                                ) if self.nominal_ else np.empty((len(rows), 0), dtype=np.int64)
        cards = [next(c.cardinality for c in columns if c.name == name) for name in self.nominal_]
        self.mixture_ = fit_mixture(z[np.ix_(rows, latent)], codes.astype(np.int64), cards,
                                    components=self.n_components_, rng=rng)

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
        if self.mixture_ is not None:
            u, codes = self.mixture_.sample(n, rng)
            latent = [name for name in names if name not in self.nominal_]
            out = {name: self.marginals_[name].from_uniform(u[:, j])
                   for j, name in enumerate(latent)}
            out.update({name: codes[:, j] for j, name in enumerate(self.nominal_)})
            out = {name: out[name] for name in names}
        else:
            chol = np.linalg.cholesky(self.correlation_)
            u = ndtr(rng.standard_normal((n, len(names))) @ chol.T)
            out = {name: self.marginals_[name].from_uniform(u[:, j])
                   for j, name in enumerate(names)}
        for name, code in self._code_of_rank.items():
            if name not in self.nominal_:  # nominal codes come straight from their tables
                out[name] = code[out[name]]  # ranks back to the encoder's codes
        return out

    def _get_state(self) -> dict[str, Any]:
        state = {**super()._get_state(), "correlation": self.correlation_,
                 "orders": self.orders_}
        if self.mixture_ is not None:
            state["mixture"] = {**self.mixture_.get_state(), "nominal": list(self.nominal_)}
        return state

    def _set_state(self, state: dict[str, Any]) -> None:
        super()._set_state(state)
        self.correlation_ = np.asarray(state["correlation"], dtype=np.float64)
        k = len(self.marginals_)
        if self.correlation_.shape != (k, k) or not np.isfinite(self.correlation_).all():
            raise ValueError(f"the model file's correlation has shape {self.correlation_.shape}"
                             f", not ({k}, {k}) finite numbers for its {k} encoded columns")
        self.orders_ = {n: _order(n, r, self.codec_.encoded_columns_)
                        for n, r in state["orders"].items()}
        mixture = state.get("mixture")  # absent in classic models and files before mixtures
        self.mixture_ = Mixture.from_state(mixture) if mixture is not None else None
        self.nominal_ = [str(name) for name in mixture["nominal"]] if mixture else []
        self.n_components_ = self.mixture_.n_components if self.mixture_ is not None else 1
        self._prepare_ranks()


def _order(name: str, rank: Any, columns: list[EncodedColumn]) -> np.ndarray:
    """A saved category order: a permutation of the codes of discrete column ``name`` (else
    a ``ValueError``: a model file is untrusted)."""
    rank = np.asarray(rank)
    cards = [c.cardinality for c in columns if c.name == name and c.output == "discrete"]
    if not cards or rank.ndim != 1 or rank.dtype.kind not in "iu" \
            or not np.array_equal(np.sort(rank), np.arange(cards[0])):
        raise ValueError(f"the model file's category order of {name!r} is not an order of "
                         "that column's codes")
    return rank.astype(np.int64)
