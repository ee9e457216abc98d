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
        "metadata_share": Number(0, 0.5, low_open=True),
    }
    privacy: PrivacyBudget | None
    metadata_share: float
    bins: int

    def _binned_codec(self, metadata: Metadata, *, positions: bool = False) -> BinnedCodec:
        return BinnedCodec(metadata, bins=int(self.bins), positions=positions)

    def _codec_budget(self, n_rows: int) -> CodecBudget | None:
        """Open the fit's ledger; the codec gets ``metadata_share`` of its ρ, less the
        ``condition_share`` of that which the model spends on its own counts."""
        self._ledger: Any = PrivacyLedger(self.privacy, n_rows) if self.privacy else None
        if self._ledger is None:
            return None
        return CodecBudget(self._ledger, self._metadata_rho() * (1 - self.condition_share))

    def _metadata_rho(self) -> float:
        """ρ of the encoding stage: the codec's part and the model's own counts."""
        return self._ledger.total_rho * float(self.metadata_share)
