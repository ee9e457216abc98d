"""DP-SGD for TabDDPM (imports torch: imported only when used).

Under a privacy budget every column of the table comes from DP statistics
(:class:`~simulacra.encoders.binned.BinnedCodec`: DP bounds, bins and
category sets): numbers are normal scores through the quantile function of their DP codes'
noisy counts (:class:`~simulacra.models.quantile.BinQuantileNormal`), categories
are their DP codes, and nulls of a number are a flag column.

The denoiser is trained with DP-SGD (Abadi et al. 2016): each step takes a Poisson sample of
the rows, draws a step, noise and noisy categories for each row
(:meth:`~simulacra.models.diffusion.loss.DiffusionLoss.draw`), clips every row's gradient of
its diffusion loss (plus the clean categories' cross-entropy, :data:`X0_WEIGHT`) to
``max_grad_norm`` and adds Gaussian noise to their sum
(:func:`~simulacra.neural.dp_sgd.noisy_step`). The denoiser is an MLP whose every linear
layer is used once per row, so the clipping is exact ghost clipping
(:func:`~simulacra.neural.clipping.ghost_clipped_sum`): row norms from the
layers' inputs and output gradients, no per-row gradient materialized (tested equal to
opacus's ``DPOptimizer``). The learning rate decays linearly to 0 over the planned steps
(fixed in advance); no held-out loss, no early stopping, no training loss is looked at.

Left at ``None``, the learning rate follows the noise (:func:`automatic_learning_rate`): Adam's
steps are about ``lr`` long whatever the gradient's scale, and the share of them that follows
the gradient rather than DP-SGD's noise grows as the noise shrinks, so a rate that makes
progress through heavy noise (small ε) overshoots when the noise is small (large ε).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from simulacra.models.diffusion.loss import DiffusionLoss
from simulacra.neural.clipping import ghost_clipped_sum
from simulacra.neural.dp_sgd import DPPlan, DPResult, PoissonBatches, noisy_step
from simulacra.neural.schedule import NoiseSchedule
from simulacra.neural.torch import torch_session
from simulacra.neural.training import EpochLoop

#: Weight of the clean categories' cross-entropy added to the loss under DP (D3PM's hybrid
#: loss). The posterior KL alone gives the category logits gradients too weak to stand above
#: DP-SGD's noise: on 10,000 Adult rows at ε = 10⁴ (150 steps) the KL alone left categorical
#: marginals far off (shape 0.76, trend 0.60), with the cross-entropy 0.97, 0.93.
X0_WEIGHT = 1.0

#: The automatic DP learning rate at (and above) :data:`REFERENCE_NOISE`, and its floor (the
#: non-DP default).
DP_LEARNING_RATE, MIN_LEARNING_RATE = 5e-3, 2e-3
#: Noise of DP-SGD's mean gradient (noise multiplier / expected batch, in units of
#: ``max_grad_norm``) at which :data:`DP_LEARNING_RATE` was chosen: ε = 1 on 80 % of Adult's
#: train part, noise multiplier 18.1 over an expected batch of 4,096 rows.
REFERENCE_NOISE = 18.0 / 4096


def automatic_learning_rate(noise_multiplier: float, expected_batch: float) -> float:
    """AdamW's initial rate for DP-SGD at this noise: ``5e-3 · sqrt(min(1, s / s_ref))``, at
    least 2e-3, where ``s = noise_multiplier / expected_batch`` is the noise of the mean
    gradient and ``s_ref`` = 18 / 4,096 (:data:`REFERENCE_NOISE`).

    >>> automatic_learning_rate(18.1, 4096), round(automatic_learning_rate(6.8, 4096), 5)
    (0.005, 0.00307)
    >>> automatic_learning_rate(0.5, 4096)  # little noise: the non-DP default
    0.002
    """
    ratio = min(1.0, noise_multiplier / expected_batch / REFERENCE_NOISE)
    return max(MIN_LEARNING_RATE, DP_LEARNING_RATE * math.sqrt(ratio))



@dataclass(frozen=True)
class DenoiserSettings:
    """The hyperparameters of TabDDPM's DP-SGD training (``learning_rate``: the initial rate of
    the linear decay over ``epochs``, or ``None`` for :func:`automatic_learning_rate`)."""

    embedding_dim: int
    hidden_dims: tuple[int, ...]
    dropout: float
    diffusion_steps: int
    learning_rate: float | None
    weight_decay: float
    epochs: int


def train(settings: DenoiserSettings, numbers: np.ndarray, codes: np.ndarray,
          sizes: Sequence[int], *, plan: DPPlan, seed: int, device: Any,
          loop: EpochLoop) -> DPResult:
    """DP-SGD on a fresh denoiser of ``numbers`` (normal scores) and ``codes`` (``sizes``
    categories per column); the result holds it (on the CPU, in eval mode) and the initial
    learning rate (``learning_rate`` as given, or :func:`automatic_learning_rate` of the
    plan's noise).
    """
    from simulacra.models.diffusion.denoiser import MLPDenoiser

    loop_rng = np.random.default_rng(seed)
    alpha_bar = NoiseSchedule.cosine(settings.diffusion_steps).alpha_bar
    with torch_session(seed, device) as gen:
        d = numbers.shape[1] + sum(sizes)
        net = MLPDenoiser(d, d, width=settings.embedding_dim, hidden_dims=settings.hidden_dims,
                          dropout=settings.dropout).to(device)
        loss = DiffusionLoss(net, sizes, alpha_bar, device, X0_WEIGHT)
        params = [p for p in loss.parameters() if p.requires_grad]
        lr = float(settings.learning_rate if settings.learning_rate is not None
                   else automatic_learning_rate(plan.noise_multiplier, plan.expected_batch))
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=settings.weight_decay)
        x_num, x_cat = torch.from_numpy(numbers).to(device), torch.from_numpy(codes).to(device)
        total = settings.epochs * plan.steps_per_epoch
        net.train()
        batches = PoissonBatches(plan, loop_rng, loop)
        for step, rows in enumerate(batches):
            for group in opt.param_groups:  # linear decay to 0 over the planned steps
                group["lr"] = lr * (1 - step / total)
            index = torch.from_numpy(rows).to(device)
            num, cat = x_num[index], x_cat[index]
            draws = loss.draw(num, cat, gen)
            summed = ghost_clipped_sum(loss, lambda: loss(num, cat, *draws),  # noqa: B023
                                       plan.max_grad_norm)
            noisy_step(opt, params, summed, plan, gen)
    return DPResult(net.cpu().eval(), batches.steps, lr)
