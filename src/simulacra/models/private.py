"""What every model that fits under a privacy budget shares: the budget, its ledger, and the
binned codec it encodes its table with.

A model with ``privacy=PrivacyBudget(ε, δ)``:

1. opens a :class:`~simulacra.privacy.PrivacyLedger` for the rows it learns from;
2. spends ``metadata_share`` of the budget's ρ on its encoding — the
   :class:`~simulacra.encoders.binned.BinnedCodec`'s DP bounds, bins, category sets and null
   shares (and, when ``condition_share`` > 0, that share of it on noisy counts of codes the
   model measures itself);
3. spends the rest in its own fit, and reports the (ε, δ) reached as ``privacy_report_``.

Without a budget nothing here applies (``_codec_budget`` gives ``None``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from simulacra.encoders import BinnedCodec, CodecBudget
from simulacra.metadata import Metadata
from simulacra.params import InstanceOf, Integer, Number, Optional, Rule
from simulacra.privacy import PrivacyBudget, PrivacyLedger


class PrivateFit:
    """``privacy``, ``metadata_share`` and ``bins``, and the ledger of a fit under a budget.

    ``_ledger`` is the fit's open ledger (``None`` without a budget) until the model closes
    it.
    """

    supports_privacy: ClassVar[bool] = True
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
