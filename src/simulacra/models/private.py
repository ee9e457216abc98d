"""What every model that fits under a privacy budget shares: the budget, its ledger, and the
binned codec it encodes its table with.

A model with ``privacy=PrivacyBudget(ε, δ)``:

1. opens a :class:`~simulacra.privacy.PrivacyLedger` for the rows it learns from;
2. spends ``metadata_share`` of the budget's ρ on its encoding — the
   :class:`~simulacra.encoders.binned.BinnedCodec`'s DP bounds, bins, category sets and null
   shares (and, when ``condition_share`` > 0, that share of it on noisy counts of codes the
   model measures itself);
3. pays :data:`~simulacra.privacy.mechanisms.COUNT_SHARE` of the budget's ρ for a noisy count of
   its rows (or entities: ``privacy_unit``), ``_noisy_count``: DP-SGD plans its schedule from it,
   and it tells whether the budget is large enough for the table at all
   (:mod:`~simulacra.privacy.adequacy`: a :class:`~simulacra.privacy.adequacy.BudgetWarning`
   when it is not);
4. spends the rest in its own fit, and reports the (ε, δ) reached as ``privacy_report_``.

Without a budget nothing here applies (``_codec_budget`` gives ``None``).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar

import numpy as np

from simulacra.encoders import NULL_SUFFIX, BinnedCodec, CodecBudget, TableCodec
from simulacra.kinds import Boolean
from simulacra.metadata import Metadata
from simulacra.params import InstanceOf, Integer, Number, Optional, Rule
from simulacra.privacy import PrivacyBudget, PrivacyLedger
from simulacra.privacy.accounting import gaussian_sigma
from simulacra.privacy.adequacy import BudgetWarning, check_budget
from simulacra.privacy.mechanisms import COUNT_SHARE, schedule_count

logger = logging.getLogger(__name__)


class PrivateFit:
    """``privacy``, ``metadata_share`` and ``bins``, and the ledger of a fit under a budget.

    ``_ledger`` is the fit's open ledger (``None`` without a budget) until the model closes
    it.
    """

    supports_privacy: ClassVar[bool] = True
    #: What one person contributes under the budget (one row; a sequence model: one entity).
    privacy_unit: ClassVar[str] = "rows"
    #: Share of the metadata budget the model spends on its own noisy code counts (the rest
    #: goes to the codec).
    condition_share: ClassVar[float] = 0.0
    params: ClassVar[dict[str, Rule]] = {
        "privacy": Optional(InstanceOf(PrivacyBudget, "a simulacra PrivacyBudget (e.g. "
                                                      "sim.PrivacyBudget(epsilon=1.0))")),
        "bins": Integer(2, 1000),
        "metadata_share": Optional(Number(0, 0.5, low_open=True)),
    }
    privacy: PrivacyBudget | None
    metadata_share: float | None
    bins: int

    def _binned_codec(self, metadata: Metadata, *, positions: bool = False) -> BinnedCodec:
        return BinnedCodec(metadata, bins=int(self.bins), positions=positions)

    def _codec_budget(self, n_rows: int, metadata: Metadata) -> CodecBudget | None:
        """Open the fit's ledger; the codec gets ``metadata_share`` of its ρ (``None``:
        :func:`auto_metadata_share` of ``metadata``), less the ``condition_share`` of that which
        the model spends on its own counts."""
        self._ledger: Any = PrivacyLedger(self.privacy, n_rows) if self.privacy else None
        if self._ledger is None:
            return None
        self._metadata_share = auto_metadata_share(metadata) if self.metadata_share is None \
            else float(self.metadata_share)
        return CodecBudget(self._ledger, self._metadata_rho() * (1 - self.condition_share))

    def _metadata_rho(self) -> float:
        """ρ of the encoding stage: the codec's part and the model's own counts."""
        return self._ledger.total_rho * self._metadata_share

    def _measure(self, codec: TableCodec, encoded: dict[str, np.ndarray],
                 rng: np.random.Generator) -> None:
        """Under a budget: a noisy count of the rows of ``encoded`` (one per
        ``privacy_unit``), ``_noisy_count``, and a :class:`BudgetWarning` if the budget is too
        small for the table's encoded columns; then the model's own measures."""
        if getattr(self, "privacy", None) is not None:
            n = len(next(iter(encoded.values()))) if encoded else 0
            self._noisy_count = schedule_count(n, self._ledger, rng, stage="metadata",
                                               unit=self.privacy_unit)
            self._check_budget(codec)
        super()._measure(codec, encoded, rng)  # type: ignore[misc]

    def _check_budget(self, codec: TableCodec) -> None:
        """Warn when the noise would leave the columns' own distributions below the adequate
        shape (:func:`~simulacra.privacy.adequacy.check_budget`; public and noisy figures
        only, so the text may be shown)."""
        cells = planned_cells(codec, int(self.bins))
        ledger = self._ledger
        check = check_budget(rho=ledger.total_rho, cells=cells, rows=self._noisy_count,
                             delta=ledger.conversion_delta,
                             count_noise=gaussian_sigma(COUNT_SHARE * ledger.total_rho))
        self.budget_check_ = check
        if not check.adequate:
            message = check.message(self.privacy.epsilon)
            logger.info("%s: %s", type(self).__name__, message)
            warnings.warn(message, BudgetWarning, stacklevel=2)


def planned_cells(codec: TableCodec, bins: int) -> list[int]:
    """The cells of each encoded column the budget check assumes: a declared category set's
    size (and one for the rest), 2 for a boolean or a column's null flag, else ``bins`` — the
    resolution the model aims at. The codec's own DP domains are not used: under too small a
    budget they collapse (a category set down to its "other" code), and would look easy.

    >>> import pandas as pd
    >>> from simulacra.encoders import ExactCodec
    >>> from simulacra.metadata import Metadata
    >>> df = pd.DataFrame({"age": [30, 41, None], "ok": [True, False, True]})
    >>> codec = ExactCodec(Metadata.detect(df))
    >>> codec = codec.fit(df, np.random.default_rng(0))
    >>> [c.name for c in codec.encoded_columns_], planned_cells(codec, 32)
    (['age', 'age#null', 'ok'], [32, 2, 2])
    """
    cells = []
    for column in codec.encoded_columns_:
        kind = codec.metadata[column.source]
        declared = getattr(kind, "categories", None)
        if column.name.endswith(NULL_SUFFIX) or isinstance(kind, Boolean):
            cells.append(2)
        elif declared is not None:
            cells.append(len(declared) + 1)
        else:
            cells.append(bins)
    return cells


#: ``metadata_share`` when every column's domain is declared, and when none is.
AUTO_SHARE = (0.1, 0.5)


def auto_metadata_share(metadata: Metadata) -> float:
    """The share of the budget the encoding gets by default: 0.1 when every column's domain
    (a number's ``minimum`` and ``maximum``, a category set) is declared in a public schema, up
    to 0.5 when none is, in proportion to the columns whose domain must be learned privately.

    Learning a domain privately is what needs the budget: where a column's values end is what
    measures binned over each table's own range see first (BENCHMARKS.md "Where a private
    column ends"); with a public schema the marginals keep nearly all of it.

    >>> from simulacra.metadata import Categorical, Numerical
    >>> md = Metadata({"age": Numerical(), "job": Categorical()})
    >>> auto_metadata_share(md)
    0.5
    >>> md = md.update_column("age", minimum=0, maximum=120)
    >>> auto_metadata_share(md)
    0.3
    """
    names = list(metadata.keys())
    undeclared = sum(not _declared(metadata[name]) for name in names)
    share = AUTO_SHARE[0] + (AUTO_SHARE[1] - AUTO_SHARE[0]) * undeclared / max(len(names), 1)
    return round(share, 4)


def _declared(kind: Any) -> bool:
    """Whether a column's domain needs nothing learned (declared, fixed, or none at all)."""
    if hasattr(kind, "categories"):
        return kind.categories is not None
    if hasattr(kind, "minimum"):
        return kind.minimum is not None and kind.maximum is not None
    return True
