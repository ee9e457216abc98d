"""``DiscreteSynthesizer``: the base of models over a discretized table, with optional DP.

Subclasses implement ``_fit_codes(codes, sizes, ledger, rng)`` (``ledger`` is ``None``
without a privacy budget) and ``_sample(n, rng)`` returning codes per column, plus
``_get_state`` / ``_set_state``. The table is encoded by the binned codec
(:class:`~simulacra.encoders.binned.BinnedCodec`: categories, bounds, bins), which spends
``metadata_share`` of the budget (:class:`~simulacra.models.private.PrivateFit`); the base
records the ledger's report as ``privacy_report_``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from simulacra.encoders import EncodedColumn, TableCodec
from simulacra.errors import ParameterError
from simulacra.metadata import Metadata
from simulacra.models.base import Synthesizer
from simulacra.models.private import PrivateFit
from simulacra.privacy import (
    PrivacyBudget,
    PrivacyLedger,
    PrivacyReport,
    dump_report,
    load_report,
)
from simulacra.randomness import RandomState

logger = logging.getLogger(__name__)


class DiscreteSynthesizer(PrivateFit, Synthesizer):
    """Shared parameters: ``privacy``, ``bins``, ``metadata_share``."""

    #: Whether the model needs a budget (PrivBayes, MST, AIM) or only accepts one.
    requires_privacy = False

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 privacy: PrivacyBudget | None = None, bins: int = 32,
                 metadata_share: float | None = None) -> None:
        super().__init__(metadata, random_state=random_state)
        self.privacy = privacy
        self.bins = bins
        self.metadata_share = metadata_share

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.privacy is None and self.requires_privacy:
            raise ParameterError(f"{type(self).__name__} is a differentially private model and "
                                 "needs privacy=PrivacyBudget(epsilon=..., delta=...)")

    # -- fit ----------------------------------------------------------------------------------
    def _new_codec(self, metadata: Metadata) -> TableCodec:
        return self._binned_codec(metadata)

    def _fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
             rng: np.random.Generator) -> None:
        ledger = self._ledger
        self._fit_codes(encoded, {c.name: c.cardinality for c in columns}, ledger, rng)
        self.privacy_report_: PrivacyReport | None = ledger.report() if ledger else None
        if ledger is not None:
            logger.info("%s: spent ε=%.3f (δ=%.2g) of ε=%.3f", self.name,
                        self.privacy_report_.epsilon, ledger.delta, self.privacy.epsilon)
        del self._ledger

    def _fit_codes(self, codes: dict[str, np.ndarray], sizes: dict[str, int],
                   ledger: PrivacyLedger | None, rng: np.random.Generator) -> None:
        raise NotImplementedError

    # -- state --------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return {"privacy_report": dump_report(self.privacy_report_), **self._get_model_state()}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.privacy_report_ = load_report(state.get("privacy_report"))
        self._set_model_state(state)

    def _get_model_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _set_model_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError
