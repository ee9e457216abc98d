"""Differentially private training of the deep models: DP-SGD through opacus.

What a model with ``privacy=PrivacyBudget(ε, δ)`` does (:class:`PrivateDeepMixin`):

1. ``metadata_share`` of the budget (in ρ-zCDP) goes to the private data transformation
   (:mod:`~simulacra.models.deep.private_transformer`: DP bounds, bins and category sets);
2. the rest goes to DP-SGD (Abadi et al. 2016): each step trains on a Poisson sample of the
   rows (rate ``q = batch_size / n``), every row's gradient is clipped to ``max_grad_norm``
   and Gaussian noise of ``noise_multiplier × max_grad_norm`` is added to their sum (noise
   from the model's seeded torch generator). CTGAN's critic uses opacus's ``DPOptimizer`` on
   per-row gradients from ``torch.func`` (``vmap`` of ``grad`` of the per-row loss, which
   covers the gradient penalty opacus's layer hooks cannot); TVAE, an MLP, clips without
   materializing per-row gradients (ghost clipping,
   :func:`~simulacra.models.deep.private_training.ghost_clipped_grads`, tested equal to
   ``DPOptimizer``'s clipping) and steps with :func:`noisy_step`;
3. the noise multiplier is the smallest that keeps the composition of both stages within ε
   (:func:`~simulacra.privacy.rdp.calibrate_noise`), and ``privacy_report_`` states the ε the
   steps actually taken reached (:func:`~simulacra.privacy.rdp.composed_report`).

No early stopping and no training losses under DP: both would look at the rows outside the
accountant. opacus is imported only when a private model is fitted.

>>> rows = poisson_rows(1000, 0.05, np.random.default_rng(0))
>>> 20 < len(rows) < 80, bool(np.all(np.diff(rows) > 0))
(True, True)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.table import EncodedColumn, TableEncoder
from simulacra.errors import ParameterError, check_param
from simulacra.metadata import Metadata
from simulacra.models.deep._base import _positive_float
from simulacra.models.deep.private_transformer import PrivateTableEncoder
from simulacra.models.discrete.columns import CategoricalDomain
from simulacra.privacy import PrivacyBudget, PrivacyLedger, PrivacyReport
from simulacra.privacy.accounting import gaussian_sigma
from simulacra.privacy.mechanisms import gaussian_counts
from simulacra.privacy.rdp import calibrate_noise, composed_report, require_opacus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DPPlan:
    """The DP-SGD schedule of a fit: Poisson rate, steps and calibrated noise."""

    sample_rate: float
    steps_per_epoch: int
    noise_multiplier: float
    max_grad_norm: float
    n_rows: int

    @property
    def expected_batch(self) -> float:
        return self.sample_rate * self.n_rows


def poisson_rows(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Rows of a Poisson sample: each of ``n`` rows independently with probability ``rate``."""
    return np.flatnonzero(rng.random(n) < rate)


def poisson_batches(model: Any, plan: DPPlan, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The rows of every DP-SGD step of ``plan``, epoch by epoch, in ``model``'s epoch loop
    (progress, ``max_training_time``); ``model.dp_steps_`` counts the steps taken."""
    model.dp_steps_ = 0
    with model._epochs([]) as loop:
        for _ in loop:
            for _ in range(plan.steps_per_epoch):
                yield poisson_rows(plan.n_rows, plan.sample_rate, rng)
                model.dp_steps_ += 1
            loop.end_epoch({})


class PrivateDeepMixin:
    """``privacy``, ``max_grad_norm``, ``metadata_share`` and ``bins`` for a deep model.

    Subclasses call :meth:`_set_private` in ``__init__`` and :meth:`_validate_private` in
    ``_validate_params``; a class with ``condition_share > 0`` also spends that share of the
    metadata budget on noisy code counts of its categorical columns (``dp_counts_``).
    """

    supports_privacy = True
    condition_share = 0.0
    privacy: PrivacyBudget | None

    def _set_private(self, *, privacy: PrivacyBudget | None, max_grad_norm: float,
                     metadata_share: float, bins: int) -> None:
        self.privacy = privacy
        self.max_grad_norm = max_grad_norm
        self.metadata_share = metadata_share
        self.bins = bins

    def _validate_private(self) -> None:
        if self.privacy is not None and not isinstance(self.privacy, PrivacyBudget):
            raise ParameterError(f"The 'privacy' parameter must be a simulacra PrivacyBudget "
                                 f"(e.g. sim.PrivacyBudget(epsilon=1.0)) or None. Got "
                                 f"{self.privacy!r} instead.")
        check_param("max_grad_norm", self.max_grad_norm, "a number > 0 (the per-row gradient "
                    "clipping bound of DP-SGD)", _positive_float(self.max_grad_norm))
        s = self.metadata_share
        check_param("metadata_share", s, "a number in (0, 0.5]",
                    isinstance(s, int | float) and not isinstance(s, bool) and 0 < s <= 0.5)
        b = self.bins
        check_param("bins", b, "an integer between 2 and 1000",
                    isinstance(b, int) and not isinstance(b, bool) and 2 <= b <= 1000)
        early_stopping = self._setting("early_stopping")  # type: ignore[attr-defined]
        if self.privacy is not None and early_stopping:
            raise ParameterError("early_stopping=True cannot be combined with privacy=...: a "
                                 "held-out score looks at real rows outside the privacy "
                                 "accountant; set a number of epochs instead")

    # -- data transformation ------------------------------------------------------------------
    def _encode(self, data: pd.DataFrame, metadata: Metadata, rng: np.random.Generator
                ) -> tuple[Any, dict[str, np.ndarray], list[EncodedColumn]]:
        self.privacy_report_: PrivacyReport | None = None
        if self.privacy is None:
            return super()._encode(data, metadata, rng)  # type: ignore[misc]
        require_opacus()
        ledger = PrivacyLedger(self.privacy, len(data))
        rho = ledger.total_rho * float(self.metadata_share)
        encoder = PrivateTableEncoder(metadata, int(self.bins))
        encoder.fit(data, ledger, rng, rho * (1 - self.condition_share))
        self.dp_counts_: dict[str, np.ndarray] = {}
        self.dp_counts_sigma_ = 0.0  # the noise of each count
        names, purpose = self._counted_columns(encoder)
        if self.condition_share and names:
            each = rho * self.condition_share / len(names)
            self.dp_counts_ = _noisy_code_counts(encoder, data, ledger, each, rng, names,
                                                 purpose)
            self.dp_counts_sigma_ = gaussian_sigma(each)
        self._ledger = ledger
        return encoder, encoder.encode(data), encoder.encoded_columns_

    def _counted_columns(self, encoder: PrivateTableEncoder) -> tuple[list[str], str]:
        """Columns whose noisy code counts ``condition_share`` pays for, and what they are for."""
        names = [n for n, d in encoder.domains_.items() if isinstance(d, CategoricalDomain)]
        return names, "conditional vector"

    @classmethod
    def _encoder_from_state(cls, metadata: Metadata, state: dict[str, Any]) -> Any:
        if "domains" in state:
            return PrivateTableEncoder.from_state(metadata, state)
        return TableEncoder.from_state(metadata, state)

    # -- DP-SGD schedule and report -----------------------------------------------------------
    def _dp_plan(self, n: int, batch: int, steps_per_epoch: int, updates_per_step: int = 1
                 ) -> DPPlan:
        """Calibrate the noise for ``epochs × steps_per_epoch × updates_per_step`` DP steps."""
        ledger = self._ledger
        rate = min(1.0, batch / n)
        epochs = int(self._setting("epochs"))  # type: ignore[attr-defined]
        steps = epochs * steps_per_epoch * updates_per_step
        sigma = calibrate_noise(self.privacy.epsilon, ledger.delta - ledger.threshold_delta,
                                sample_rate=rate, steps=steps, rho=ledger.spent_rho)
        logger.info("%s: DP-SGD with noise multiplier %.3f, sample rate %.4g, %d steps",
                    type(self).__name__, sigma, rate, steps)
        return DPPlan(rate, steps_per_epoch, sigma, float(self.max_grad_norm), n)

    def _finish_private(self, plan: DPPlan, steps: int) -> None:
        self.privacy_report_ = composed_report(
            ledger=self._ledger, sample_rate=plan.sample_rate,
            noise_multiplier=plan.noise_multiplier, steps=steps,
            max_grad_norm=plan.max_grad_norm)
        logger.info("%s: spent ε=%.3f (δ=%.2g) of ε=%.3f", type(self).__name__,
                    self.privacy_report_.epsilon, self._ledger.delta, self.privacy.epsilon)
        del self._ledger


def _noisy_code_counts(encoder: PrivateTableEncoder, data: pd.DataFrame, ledger: PrivacyLedger,
                       each: float, rng: np.random.Generator, names: list[str], purpose: str
                       ) -> dict[str, np.ndarray]:
    """Noisy counts (rounded, at least 1) of every code of columns ``names``: one Gaussian
    histogram per column, each ``each``-zCDP."""
    codes = encoder.transform(data)
    out = {}
    for name in names:
        size = encoder.domains_[name].size
        ledger.spend("metadata", f"{name}: code counts ({purpose})", each)
        counts = np.bincount(codes[name], minlength=size)[:size]
        out[name] = np.maximum(np.rint(gaussian_counts(counts, each, rng)), 1).astype(np.int64)
    return out


# -- per-row gradients and the noisy step ----------------------------------------------------
def dp_optimizer(optimizer: Any, plan: DPPlan, generator: Any) -> Any:
    """opacus's ``DPOptimizer`` around ``optimizer``: clip per row, add seeded noise, average."""
    require_opacus()
    from opacus.optimizers import DPOptimizer

    return DPOptimizer(optimizer, noise_multiplier=plan.noise_multiplier,
                       max_grad_norm=plan.max_grad_norm,
                       expected_batch_size=max(plan.expected_batch, 1.0),
                       loss_reduction="mean", generator=generator, secure_mode=False)


def per_row_grads(module: Any, row_loss: Callable[..., Any], *batch: Any) -> dict[str, Any]:
    """Gradients of ``row_loss`` for every row of ``batch``, per trainable parameter.

    ``row_loss(call, *rows)`` gets ``call(*inputs)`` (the module with the parameters being
    differentiated) and a batch of one row of each input; it returns that row's loss.
    """
    import torch
    from torch.func import functional_call, grad, vmap

    named = {n: p for n, p in module.named_parameters() if p.requires_grad}
    if len(batch[0]) == 0:
        return {n: torch.zeros((0, *p.shape), dtype=p.dtype, device=p.device)
                for n, p in named.items()}
    params = {n: p.detach() for n, p in named.items()}
    buffers = {n: b.detach() for n, b in module.named_buffers()}

    def one(p: dict[str, Any], *row: Any) -> Any:
        def call(*inputs: Any) -> Any:
            return functional_call(module, (p, buffers), inputs)

        return row_loss(call, *(r.unsqueeze(0) for r in row)).sum()

    return vmap(grad(one), in_dims=(None, *([0] * len(batch))))(params, *batch)


def noisy_step(optimizer: Any, params: list[Any], summed: list[Any], plan: DPPlan,
               generator: Any) -> None:
    """A step of ``optimizer`` on clipped gradient sums plus noise, as opacus's DPOptimizer.

    Noise of ``noise_multiplier × max_grad_norm`` is drawn per parameter from ``generator`` in
    the order of ``params`` (as ``DPOptimizer`` draws it), then the sum is divided by the
    expected batch size.
    """
    import torch

    std = plan.noise_multiplier * plan.max_grad_norm
    scale = max(plan.expected_batch, 1.0)
    for p, s in zip(params, summed, strict=True):
        noise = torch.normal(mean=0, std=std, size=s.shape, device=s.device, generator=generator)
        p.grad = (s + noise).view_as(p) / scale
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def dp_step(module: Any, optimizer: Any, row_loss: Callable[..., Any], *batch: Any) -> None:
    """One DP-SGD step of ``optimizer`` (a ``DPOptimizer`` over ``module``'s parameters)."""
    grads = per_row_grads(module, row_loss, *batch)
    for name, p in module.named_parameters():
        if p.requires_grad:
            p.grad_sample = grads[name]
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
