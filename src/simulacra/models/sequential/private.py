"""DP-SGD for the sequence network: the unit of privacy is the entity, all its events together.

Under ``privacy=PrivacyBudget(ε, δ)`` two tables that differ by one entity — a customer with
every one of their purchases — must give nearly the same model. So:

1. every entity contributes at most ``max_sequence_length`` events (its first ones);
2. the DP codec (bounds, bins, category sets, null shares) is fitted on *one* event per entity,
   drawn at random, so each entity moves its statistics as one row does;
3. DP-SGD samples entities (Poisson, rate ``q``), clips each entity's gradient — the sum over
   its context and all its events — to ``max_grad_norm``, and adds Gaussian noise to the sum
   (:func:`~simulacra.neural.dp_sgd.noisy_step`);
4. noisy counts of the context codes (the number of events, the first time, the entity's own
   columns), counted once per entity, start the context network's biases and, after training,
   tilt its marginals back to them
   (:func:`~simulacra.models.autoregressive.private.calibrate_marginals`, post-processing).
   Clipping an entity's *whole* gradient scales long sequences down the most, so without this
   the network learns too few of them (CDNOW at ε = 3: 33,241 events drawn for 49,598).

Each entity's gradient comes from ``torch.func`` (``vmap`` of ``grad`` of its negative
log-likelihood, :func:`~simulacra.neural.clipping.per_row_grads`) with the GRU run a
step at a time (:meth:`~simulacra.models.sequential.network.SequenceNet.recur`): the fused
kernel cannot be batched that way. Entities are taken in chunks of similar length, so padding
costs little and the per-entity gradients stay within memory. Nothing else looks at the rows:
no held-out loss, no early stopping, no training loss; the learning rate follows a cosine
decay fixed in advance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from simulacra.neural.clipping import per_row_grads
from simulacra.neural.dp_sgd import DPPlan, DPResult, PoissonBatches, noisy_step
from simulacra.neural.optim import adam, decay_groups
from simulacra.neural.torch import torch_session
from simulacra.neural.training import EpochLoop

#: Padded steps per chunk of entities whose gradients are taken together.
CHUNK_STEPS = 4_096
#: Per-entity gradient values per chunk at most (entities × parameters).
CHUNK_VALUES = 1 << 25


@dataclass(frozen=True)
class Settings:
    """The optimizer of the private fit: Adam at ``learning_rate`` decayed along a cosine over
    ``epochs`` × the plan's steps per epoch, with ``weight_decay`` on the weights."""

    learning_rate: float
    weight_decay: float
    epochs: int


def clipped_entity_sum(net: Any, data: Any, rows: np.ndarray,
                       max_norm: float) -> list[torch.Tensor]:
    """Σ over the entities ``rows`` of ``data`` (the model's padded tokens) of each entity's
    gradient of its negative log-likelihood, clipped to ``max_norm``; one tensor per
    trainable parameter of ``net`` (zeros for an empty batch)."""
    named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    sums = [torch.zeros_like(p) for _, p in named]
    size = sum(p.numel() for _, p in named)
    ordered = rows[np.argsort(data.lengths[rows], kind="stable")]
    begin = 0
    while begin < len(ordered):
        longest = int(data.lengths[ordered[min(len(ordered), begin + 64) - 1]]) + 1
        take = max(1, min(CHUNK_STEPS // longest, CHUNK_VALUES // max(size, 1)))
        chunk = ordered[begin:begin + take]
        begin += len(chunk)
        grads = per_row_grads(net, _entity_loss, *data.tensors(chunk))
        norm2 = sum(grads[n].flatten(1).square().sum(1) for n, _ in named)
        factor = (max_norm / (norm2.sqrt() + 1e-6)).clamp(max=1.0)
        for k, (name, _) in enumerate(named):
            sums[k] += torch.tensordot(factor, grads[name], dims=1)
    return sums


def _entity_loss(call: Any, context: torch.Tensor, steps: torch.Tensor,
                 valid: torch.Tensor) -> torch.Tensor:
    return call(context, steps, valid)


def train(net: Any, data: Any, settings: Settings, *, plan: DPPlan, seed: int, device: Any,
          loop: EpochLoop) -> DPResult:
    """DP-SGD on ``net`` over the entities of ``data``; the result holds the network."""
    loop_rng = np.random.default_rng(seed)
    with torch_session(seed, device) as gen:
        net = net.to(device)
        net.unrolled = True
        params = [p for p in net.parameters() if p.requires_grad]
        opt = adam(decay_groups(net, settings.weight_decay), lr=settings.learning_rate,
                   betas=(0.9, 0.999), weight_decay=0.0)
        total = max(settings.epochs * plan.steps_per_epoch, 1)
        batches = PoissonBatches(plan, loop_rng, loop)
        for step, rows in enumerate(batches):
            for group in opt.param_groups:  # cosine decay over the planned steps
                group["lr"] = settings.learning_rate * 0.5 * (1 + math.cos(math.pi * step
                                                                           / total))
            summed = clipped_entity_sum(net, data, rows, plan.max_grad_norm)
            noisy_step(opt, params, summed, plan, gen)
    net.unrolled = False
    return DPResult(net.cpu().eval(), batches.steps)
