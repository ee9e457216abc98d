"""DP-SGD for the autoregressive network: exact per-row clipping without per-row gradients.

Under a privacy budget every column of the table is a DP code
(:class:`~simulacra.encoders.binned.BinnedCodec`), the codes are the
tokens, and :class:`~simulacra.models.autoregressive.network.ColumnMADE` is trained with
DP-SGD (Abadi et al. 2016): each step takes a Poisson sample of the rows, clips every row's
gradient of its negative log-likelihood to ``max_grad_norm`` and adds Gaussian noise to their
sum (:func:`~simulacra.neural.dp_sgd.noisy_step`).

Per-row clipping (:func:`clipped_grad_sum`) needs each row's gradient norm. Every parameter of
the network is used linearly once per row, so the norms follow from one backward pass to the
layers' outputs (Goodfellow 2015, "ghost" norms; Li et al. 2022):

1. a dense weight ``W`` of row ``b`` has gradient ``a_b ⊗ g_b`` (layer input, output gradient),
   of squared norm ``‖a_b‖²·‖g_b‖²``; the per-column weights ``w2``, ``wo`` add this over
   columns; biases contribute ``‖g_b‖²``;
2. the masked first layer's gradient is ``(x_b ⊗ g_b) ⊙ mask``: block ``j`` of hidden units
   sees the embeddings of columns ``i < j``, so its squared norm is
   ``Σ_j ‖g_bj‖² · Σ_{i<j} ‖x_bi‖²``;
3. the embedding table's gradient of row ``b`` is the input gradient of each column placed at
   that column's token; tokens of different columns are different rows of the table, so its
   squared norm is ``‖∂ℓ_b/∂x_b‖²``.

The clipped sum is then the same products weighted by each row's clipping factor
``min(1, C / ‖∇ℓ_b‖)`` — one forward and one backward pass, whatever the batch; equal to
clipping materialized per-row gradients (tested against opacus's ``DPOptimizer``).

Noisy token counts, paid for in the metadata stage, start the heads' biases at the measured
marginals and, after training, :func:`calibrate_marginals` tilts them so that every column's
marginal is the measured one again (DP-SGD's noise moves marginals by a few percent; on Adult
at ε = 1 this lifts shape from about 0.980 to 0.990 and trend from 0.957 to 0.969). Nothing else
looks at the rows: no held-out loss, no early stopping, no training loss. The learning rate
follows a cosine decay fixed in advance (post-processing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from simulacra.models.autoregressive.network import ColumnMADE
from simulacra.neural.dp_sgd import DPPlan, DPResult, PoissonBatches, noisy_step
from simulacra.neural.optim import adam
from simulacra.neural.torch import torch_session
from simulacra.neural.training import EpochLoop

#: Rows × columns × vocabulary size above which a batch is clipped in several chunks.
CHUNK_CELLS = 1 << 23
#: Rows drawn to match the network's marginals to the noisy counts after training.
CALIBRATION_ROWS = 20_000


def clipped_grad_sum(net: ColumnMADE, tokens: torch.Tensor, max_norm: float
                     ) -> dict[str, torch.Tensor]:
    """Σ over rows of each row's gradient of ``net.nll(row).sum()`` clipped to ``max_norm``.

    Returns one tensor per parameter name of ``net``; rows are taken in chunks that keep the
    ``(rows, C, K)`` logits bounded. An empty batch gives zeros.
    """
    sums = {name: torch.zeros_like(p) for name, p in net.named_parameters()}
    chunk = max(1, CHUNK_CELLS // max(net.c * net.k, 1))
    for start in range(0, len(tokens), chunk):
        _add_clipped(net, tokens[start:start + chunk], max_norm, sums)
    return sums


def _add_clipped(net: ColumnMADE, tokens: torch.Tensor, max_norm: float,
                 sums: dict[str, torch.Tensor]) -> None:
    b, c, d, h = len(tokens), net.c, net.d, net.h
    x, z1, h1, z2, h2, logits = net.trace(tokens)
    loss = net.token_nll(logits, tokens).sum()
    gx, g1, g2, go = torch.autograd.grad(loss, [x, z1, z2, logits])
    with torch.no_grad():
        g1 = g1.reshape(b, c, h)
        xs = x.reshape(b, c, d).square().sum(-1)  # (B, C) ‖x_bi‖²
        seen = torch.cumsum(xs, 1) - xs  # Σ_{i<j} ‖x_bi‖²
        g1s, g2s, gos = g1.square().sum(-1), g2.square().sum(-1), go.square().sum(-1)
        norm2 = (gx.square().sum(1)  # embedding rows
                 + (g1s * (seen + 1)).sum(1)  # w1 (masked) and b1
                 + (g2s * (h1.square().sum(-1) + 1)).sum(1)  # w2 and b2
                 + (gos * (h2.square().sum(-1) + 1)).sum(1))  # wo and bo
        f = (max_norm / (norm2.sqrt() + 1e-6)).clamp(max=1.0)  # (B,)
        fx = x * f[:, None]
        sums["embed.weight"].index_add_(
            0, (tokens + net.offsets).reshape(-1), (gx * f[:, None]).reshape(b * c, d))
        sums["w1"] += (fx.T @ g1.reshape(b, c * h)) * net.mask1
        sums["b1"] += (g1.reshape(b, c * h) * f[:, None]).sum(0)
        sums["w2"] += torch.einsum("b,bch,bcg->chg", f, h1, g2)
        sums["b2"] += torch.einsum("b,bch->ch", f, g2)
        sums["wo"] += torch.einsum("b,bch,bck->chk", f, h2, go)
        sums["bo"] += torch.einsum("b,bck->ck", f, go)


@dataclass(frozen=True)
class NetworkSettings:
    """The hyperparameters of the network's DP-SGD training (``learning_rate``: the initial
    rate of the cosine decay over ``epochs``)."""

    embedding_dim: int
    hidden_dim: int
    learning_rate: float
    weight_decay: float
    epochs: int


def train(settings: NetworkSettings, tokens: np.ndarray, sizes: Sequence[int],
          counts: list[np.ndarray], sigma: float, *, plan: DPPlan, seed: int, device: Any,
          loop: EpochLoop) -> DPResult:
    """DP-SGD on a network over ``tokens`` (``sizes`` tokens per column), started and finished
    by ``counts`` (noisy token counts of noise ``sigma``): they set the heads' biases first,
    and the marginals last (:func:`calibrate_marginals`). The result holds the network.
    """
    loop_rng = np.random.default_rng(seed)
    with torch_session(seed, device) as gen:
        net = ColumnMADE(sizes, settings.embedding_dim, settings.hidden_dim)
        net.init_marginals(counts)
        net = net.to(device)
        names = [name for name, _ in net.named_parameters()]
        params = [p for _, p in net.named_parameters()]
        lr = settings.learning_rate
        opt = adam(params, lr=lr, betas=(0.9, 0.999), weight_decay=settings.weight_decay)
        data = torch.from_numpy(tokens).to(device)
        total = settings.epochs * plan.steps_per_epoch
        batches = PoissonBatches(plan, loop_rng, loop)
        for step, rows in enumerate(batches):
            for group in opt.param_groups:  # cosine decay over the planned steps
                group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / total))
            summed = clipped_grad_sum(net, data[torch.from_numpy(rows).to(device)],
                                      plan.max_grad_norm)
            noisy_step(opt, params, [summed[name] for name in names], plan, gen)
    net = net.cpu().eval()
    calibrate_marginals(net, counts, sigma, CALIBRATION_ROWS, torch.Generator().manual_seed(seed))
    return DPResult(net, batches.steps)


def calibrate_marginals(net: ColumnMADE, counts: list[np.ndarray], sigma: float, rows: int,
                        generator: torch.Generator, iterations: int = 30) -> None:
    """Shift every head's bias so that its column's marginal is the noisy one (post-processing).

    Noise in DP-SGD's updates moves each column's marginal by a few percent; the noisy token
    counts measured the marginals directly. Column by column in the network's order, over
    ``rows`` rows drawn from the network so far, the bias shift ``s`` of column ``j`` solves
    ``mean over rows of softmax(logits_j + s) = target`` (the one-margin case of iterative
    proportional fitting: every conditional is tilted the same way, its shape kept), then the
    column is drawn with it. Targets: the codes whose noisy count stands above ``3 sigma``
    share their part of the column by their counts; the others keep the network's mass.
    """
    with torch.no_grad():
        tokens = torch.zeros((rows, net.c), dtype=torch.int64)
        for j, size in enumerate(net.sizes):
            logits = net.column_logits(tokens, j).double()  # (rows, size)
            c = torch.from_numpy(np.asarray(counts[j], dtype=np.float64))
            sure = c >= 3 * sigma
            shift = torch.zeros(size, dtype=torch.float64)
            if sure.any():
                for _ in range(iterations):
                    p = torch.softmax(logits + shift, 1).mean(0)
                    rest = p[~sure].sum()
                    target = torch.where(sure, (1 - rest) * c / c[sure].sum(), p)
                    shift += torch.log(target.clamp_min(1e-12)) - torch.log(p.clamp_min(1e-12))
                net.bo[j, :size] += shift.float()
            probs = torch.softmax(logits + shift, 1)
            tokens[:, j] = torch.multinomial(probs, 1, generator=generator).squeeze(1)
