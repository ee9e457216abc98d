"""Differentially private training of the neural models: DP encoding, then DP-SGD.

What a model with ``privacy=PrivacyBudget(ε, δ)`` does (:class:`PrivateNeuralMixin`):

1. ``metadata_share`` of the budget (in ρ-zCDP) goes to the private data transformation
   (:class:`~simulacra.encoders.binned.BinnedCodec` with positions within bins: DP bounds,
   bins and category sets; :class:`~simulacra.models.private.PrivateFit`);
2. the rest goes to DP-SGD (Abadi et al. 2016, :mod:`~simulacra.neural.dp_sgd`): each
   step trains on a Poisson sample of the rows (rate ``q = batch_size / ñ``, ``ñ`` a noisy
   count of the rows paid with ``COUNT_SHARE`` of the budget's ρ, ``_noisy_count``: the rate,
   the steps and the noise multiplier in the model file would give the exact row count
   back), every row's gradient is clipped to ``max_grad_norm`` and Gaussian noise of
   ``noise_multiplier × max_grad_norm`` is added to their sum (noise from the model's seeded
   torch generator).
   CTGAN's critic uses opacus's ``DPOptimizer`` on per-row gradients from ``torch.func``
   (``vmap`` of ``grad`` of the per-row loss, which covers the gradient penalty opacus's layer
   hooks cannot); the other networks clip without materializing per-row gradients (ghost
   clipping, :mod:`~simulacra.neural.clipping`, tested equal to ``DPOptimizer``'s
   clipping) and step with :func:`~simulacra.neural.dp_sgd.noisy_step`;
3. the noise multiplier is the smallest that keeps the composition of both stages (and of any
   RDP curve the ledger holds, e.g. a text column's DP-SGD) within ε
   (:func:`~simulacra.privacy.rdp.calibrate_noise` on the ledger's ``spent_rdp()``), and
   ``privacy_report_`` states the ε the steps actually taken reached
   (:func:`~simulacra.privacy.rdp.composed_report`).

No early stopping and no training losses under DP: both would look at the rows outside the
accountant. opacus is imported only when a private model is fitted.
"""

from __future__ import annotations

import logging

import numpy as np

from simulacra.encoders import BinnedCodec, CodecBudget, TableCodec
from simulacra.encoders.domains import CategoricalDomain
from simulacra.errors import ParameterError
from simulacra.metadata import Metadata
from simulacra.models.private import PrivateFit
from simulacra.neural.dp_sgd import DPPlan, DPResult
from simulacra.params import Number
from simulacra.privacy import PrivacyBudget, PrivacyLedger, PrivacyReport
from simulacra.privacy.accounting import gaussian_sigma
from simulacra.privacy.mechanisms import gaussian_counts
from simulacra.privacy.rdp import calibrate_noise, composed_report, require_opacus

logger = logging.getLogger(__name__)


class PrivateNeuralMixin(PrivateFit):
    """``privacy``, ``max_grad_norm``, ``metadata_share`` and ``bins`` for a neural model.

    Subclasses call :meth:`_set_private` in ``__init__`` and :meth:`_validate_private` in
    ``_validate_params``; a class with ``condition_share > 0`` also spends that share of the
    metadata budget on noisy code counts of its categorical columns (``dp_counts_``).
    """

    condition_share = 0.0
    params = {"max_grad_norm": Number(0, low_open=True,
                                      note="the per-row gradient clipping bound of DP-SGD")}
    privacy: PrivacyBudget | None

    def _set_private(self, *, privacy: PrivacyBudget | None, max_grad_norm: float,
                     metadata_share: float, bins: int) -> None:
        self.privacy = privacy
        self.max_grad_norm = max_grad_norm
        self.metadata_share = metadata_share
        self.bins = bins

    def _validate_private(self) -> None:
        early_stopping = self._setting("early_stopping")  # type: ignore[attr-defined]
        if self.privacy is not None and early_stopping:
            raise ParameterError("early_stopping=True cannot be combined with privacy=...: a "
                                 "held-out score looks at real rows outside the privacy "
                                 "accountant; set a number of epochs instead")

    # -- data transformation ------------------------------------------------------------------
    def _new_codec(self, metadata: Metadata) -> TableCodec:
        """Under a budget, DP codes with each number's position in its bin (the binned codec
        with ``positions``); without one, the model's own (exact) codec."""
        if self.privacy is None:
            return super()._new_codec(metadata)  # type: ignore[misc]
        return self._binned_codec(metadata, positions=True)

    def _codec_budget(self, n_rows: int, metadata: Metadata) -> CodecBudget | None:
        if self.privacy is not None:
            require_opacus()
        return super()._codec_budget(n_rows, metadata)

    def _measure(self, codec: TableCodec, encoded: dict[str, np.ndarray],
                 rng: np.random.Generator) -> None:
        """Under a budget, the noisy row count (:class:`~simulacra.models.private.PrivateFit`),
        then noisy counts of the codes of the columns ``_counted_columns`` names, paid with
        ``condition_share`` of the encoding stage's ρ (``dp_counts_``)."""
        super()._measure(codec, encoded, rng)
        self.privacy_report_: PrivacyReport | None = None
        if self.privacy is None:
            return
        self.dp_counts_: dict[str, np.ndarray] = {}
        self.dp_counts_sigma_ = 0.0  # the noise of each count
        names, purpose = self._counted_columns(codec)
        if self.condition_share and names:
            each = self._metadata_rho() * self.condition_share / len(names)
            self.dp_counts_ = _noisy_code_counts(codec, encoded, self._ledger, each, rng,
                                                 names, purpose)
            self.dp_counts_sigma_ = gaussian_sigma(each)

    def _counted_columns(self, codec: BinnedCodec) -> tuple[list[str], str]:
        """Columns whose noisy code counts ``condition_share`` pays for, and what they are for."""
        names = [n for n, d in codec.domains_.items() if isinstance(d, CategoricalDomain)]
        return names, "conditional vector"

    # -- DP-SGD schedule and report -----------------------------------------------------------
    def _dp_plan(self, n: int, public: int, batch: int, steps_per_epoch: int,
                 updates_per_step: int = 1) -> DPPlan:
        """Calibrate the noise for ``epochs × steps_per_epoch × updates_per_step`` DP steps
        on ``n`` rows, at the rate ``batch / public`` (``public``: the noisy count,
        ``_noisy_count``)."""
        ledger = self._ledger
        rate = min(1.0, batch / public)
        epochs = int(self._setting("epochs"))  # type: ignore[attr-defined]
        steps = epochs * steps_per_epoch * updates_per_step
        sigma = calibrate_noise(self.privacy.epsilon, ledger.conversion_delta,
                                sample_rate=rate, steps=steps, fixed=ledger.spent_rdp())
        logger.info("%s: DP-SGD with noise multiplier %.3f, sample rate %.4g, %d steps",
                    type(self).__name__, sigma, rate, steps)
        return DPPlan(rate, steps_per_epoch, sigma, float(self.max_grad_norm), n, public)

    def _finish_private(self, plan: DPPlan, result: DPResult) -> None:
        """Keep what a DP-SGD trainer returned: the network, the steps it took (``dp_steps_``),
        the learning rate it chose (``learning_rate_``, if it chose one), and the ε reached."""
        setattr(self, self.network_name + "_", result.network)  # type: ignore[attr-defined]
        if result.learning_rate is not None:
            self.learning_rate_ = result.learning_rate
        self.dp_steps_ = result.steps
        self.privacy_report_ = composed_report(
            ledger=self._ledger, sample_rate=plan.sample_rate,
            noise_multiplier=plan.noise_multiplier, steps=result.steps,
            max_grad_norm=plan.max_grad_norm)
        logger.info("%s: spent ε=%.3f (δ=%.2g) of ε=%.3f", type(self).__name__,
                    self.privacy_report_.epsilon, self._ledger.delta, self.privacy.epsilon)
        del self._ledger


def _noisy_code_counts(codec: BinnedCodec, encoded: dict[str, np.ndarray],
                       ledger: PrivacyLedger, each: float, rng: np.random.Generator,
                       names: list[str], purpose: str) -> dict[str, np.ndarray]:
    """Noisy counts (rounded, at least 1) of every code of columns ``names``: one Gaussian
    histogram per column, each ``each``-zCDP."""
    out = {}
    for name in names:
        size = codec.domains_[name].size
        ledger.spend("metadata", f"{name}: code counts ({purpose})", each)
        codes = np.floor(encoded[name]).astype(np.int64)  # numbers: code + position in bin
        counts = np.bincount(codes, minlength=size)[:size]
        out[name] = np.maximum(np.rint(gaussian_counts(counts, each, rng)), 1).astype(np.int64)
    return out
