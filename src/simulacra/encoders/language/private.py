"""Teaching the language model under a privacy budget: DP-SGD on whole texts (imports torch).

What a text column learns under ``privacy=`` (the binned codec calls
:meth:`~simulacra.encoders.language.model.LanguageModel.fit_private`), all inside the fit's
privacy ledger:

* nothing outside DP-SGD: the tokens are the 256 bytes (no merges, no rare-token counts,
  :meth:`~simulacra.encoders.language.tokens.TextTokens.bytes_only`), the row context is the
  codes the codec's DP domains gave the row
  (:meth:`~simulacra.encoders.language.context.RowContext.of_codes`), and no copy guard is kept
  (its hashes would be of real texts; DP-SGD bounds what any one text changes instead);
* DP-SGD (Abadi et al. 2016): each step trains on a Poisson sample of the table's rows (rate
  ``q = batch_size / rows``; a sampled row whose text is null adds nothing), each text's
  gradient of its mean token loss is clipped to ``max_grad_norm`` (per text: for one layer
  from one batched backward pass, :func:`~simulacra.encoders.language.per_text.
  clipped_text_sum_fast`; for more, with ``torch.func`` over the LSTM run a step at a time,
  :func:`~simulacra.neural.clipping.per_row_grads`), and Gaussian noise of
  ``σ × max_grad_norm`` is added to the sum (:func:`~simulacra.neural.dp_sgd.noisy_step`,
  from the fit's seeded torch generator);
* σ is the smallest noise multiplier whose planned steps leave ``(1 - share)`` of the ledger's
  remaining ρ to the rest of the fit (:func:`noise_for`); the steps actually taken are spent in
  the ledger as their Rényi-DP curve, stage ``"text"`` (fewer than planned when
  ``max_training_time`` ends training: the rest of the fit then has more).

No held-out loss and no early stopping: both would read texts outside the accountant.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from simulacra.encoders.language.network import TextLSTM
from simulacra.encoders.language.per_text import clipped_text_sum_fast, fits
from simulacra.encoders.language.tokens import PAD
from simulacra.encoders.language.training import out_of_time, pad
from simulacra.neural.clipping import per_row_grads
from simulacra.neural.dp_sgd import DPPlan, PoissonBatches, noisy_step
from simulacra.neural.optim import adam
from simulacra.neural.training import EpochLoop
from simulacra.privacy.mechanisms import schedule_count
from simulacra.privacy.rdp import sgd_rdp

#: Per-text gradient values taken together at most (texts × parameters).
CHUNK_VALUES = 1 << 25


@dataclass(frozen=True)
class PrivateTextPlan:
    """How the language model trains under a budget: ``share`` of what the ledger has left."""

    share: float
    epochs: int
    batch_size: int = 256
    learning_rate: float = 3e-3
    max_grad_norm: float = 1.0
    max_training_time: float | None = None
    verbose: bool = False


@dataclass(frozen=True)
class PrivateTextResult:
    steps: int
    noise_multiplier: float
    sample_rate: float
    seconds: float


def noise_for(ledger: Any, share: float, sample_rate: float, steps: int) -> float:
    """Smallest noise multiplier (to 0.1 % relative) whose ``steps`` DP-SGD steps at
    ``sample_rate`` leave ``(1 - share)`` of ``ledger``'s remaining ρ."""
    target = (1 - share) * ledger.remaining_rho

    def leaves(sigma: float) -> bool:
        return ledger.remaining_rho_after(sgd_rdp(sample_rate, sigma, steps)) >= target

    low, high = 0.3, 1.0
    while not leaves(high):
        low, high = high, high * 2
        if high > 1e6:
            raise ValueError("no noise multiplier below 1e6 leaves the rest of the fit its "
                             "budget")
    while high / low > 1.001:
        mid = math.sqrt(low * high)
        low, high = (low, mid) if leaves(mid) else (mid, high)
    return high


class TextLoss(nn.Module):
    """``net``'s mean next-token loss of each text: what ``functional_call`` differentiates."""

    def __init__(self, net: TextLSTM) -> None:
        super().__init__()
        self.net = net

    def forward(self, tokens: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        logits = self.net(tokens[:, :-1], codes)
        targets = tokens[:, 1:]
        real = (targets != PAD).to(logits.dtype)
        loss = nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        return (loss * real).sum(1) / real.sum(1).clamp(min=1.0)


def clipped_text_sum(loss: TextLoss, sequences: Sequence[np.ndarray], codes: np.ndarray,
                     rows: np.ndarray, max_norm: float) -> list[torch.Tensor]:
    """Σ over the texts ``rows`` of each text's gradient of its mean token loss, clipped to
    ``max_norm``; one tensor per trainable parameter of ``loss.net`` (zeros for no rows).

    A net that :func:`~simulacra.encoders.language.per_text.fits` (one layer) takes the fast
    path, any other :func:`clipped_text_sum_vmap`."""
    if not fits(loss.net):
        return clipped_text_sum_vmap(loss, sequences, codes, rows, max_norm)
    if len(rows) == 0:
        return [torch.zeros_like(p) for p in loss.net.parameters()]
    device = loss.net.bias.device
    return clipped_text_sum_fast(loss.net, pad(sequences, rows).to(device),
                                 torch.from_numpy(codes[rows]).to(device), max_norm)


def clipped_text_sum_vmap(loss: TextLoss, sequences: Sequence[np.ndarray], codes: np.ndarray,
                          rows: np.ndarray, max_norm: float) -> list[torch.Tensor]:
    """:func:`clipped_text_sum` for any net: ``vmap`` of the gradient of each text's loss,
    with the LSTM run a step at a time (``net.unrolled``)."""
    named = [(n, p) for n, p in loss.named_parameters() if p.requires_grad]
    sums = [torch.zeros_like(p) for _, p in named]
    device = loss.net.bias.device
    size = sum(p.numel() for _, p in named)
    lengths = np.fromiter((len(sequences[i]) for i in rows), dtype=np.int64, count=len(rows))
    ordered = rows[np.argsort(lengths, kind="stable")]
    take = max(1, CHUNK_VALUES // max(size, 1))
    for begin in range(0, len(ordered), take):
        chunk = ordered[begin:begin + take]
        tokens = pad(sequences, chunk).to(device)
        grads = per_row_grads(loss, _text_loss, tokens,
                              torch.from_numpy(codes[chunk]).to(device))
        norm2 = sum(grads[n].flatten(1).square().sum(1) for n, _ in named)
        factor = (max_norm / (norm2.sqrt() + 1e-6)).clamp(max=1.0)
        for k, (name, _) in enumerate(named):
            sums[k] += torch.tensordot(factor, grads[name], dims=1)
    return sums


def _text_loss(call: Any, tokens: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """One text's mean next-token loss (``tokens`` ``(1, steps)``, padded)."""
    return call(tokens, codes)


def train_private(net: TextLSTM, sequences: Sequence[np.ndarray | None], codes: np.ndarray,
                  plan: PrivateTextPlan, ledger: Any, what: str, rng: np.random.Generator,
                  generator: Any) -> PrivateTextResult:
    """DP-SGD on ``net`` over the table's rows (``sequences[i]`` is ``None`` where row ``i``'s
    text is null), paid in ``ledger``; ``generator`` is the session's torch generator."""
    n = len(sequences)
    public = schedule_count(n, ledger, rng, stage="text")  # the exact n is private
    rate = min(1.0, plan.batch_size / public)
    steps_per_epoch = max(1, round(public / plan.batch_size))
    planned = plan.epochs * steps_per_epoch
    sigma = noise_for(ledger, plan.share, rate, planned)
    dp = DPPlan(rate, steps_per_epoch, sigma, float(plan.max_grad_norm), n, public)
    present = np.array([s is not None for s in sequences])
    texts = [s if s is not None else np.zeros(0, dtype=np.int64) for s in sequences]
    loss = TextLoss(net)
    net.eval()  # no dropout: vmap draws no randomness, and DP noise regularizes
    net.unrolled = True
    params = [p for p in net.parameters() if p.requires_grad]
    opt = adam(params, lr=plan.learning_rate, betas=(0.9, 0.999), weight_decay=0.0)
    loop = EpochLoop("text (DP)", plan.epochs, plan.max_training_time, plan.verbose, [])
    taken = 0
    try:
        for rows in PoissonBatches(dp, rng, loop):
            for group in opt.param_groups:  # cosine decay over the planned steps
                group["lr"] = plan.learning_rate * 0.5 * (1 + math.cos(math.pi * taken
                                                                       / planned))
            rows = rows[present[rows]]
            summed = clipped_text_sum(loss, texts, codes, rows, dp.max_grad_norm)
            noisy_step(opt, params, summed, dp, generator)
            taken += 1
            if out_of_time(loop):
                break
    finally:
        loop.close()
        net.unrolled = False
    ledger.spend_rdp("text", f"{what}: DP-SGD of the language model ({taken} steps, "
                             f"σ={sigma:.3g}, q={rate:.3g})", sgd_rdp(rate, sigma, taken))
    return PrivateTextResult(taken, sigma, rate, time.perf_counter() - loop.started)
