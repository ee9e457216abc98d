"""Teaching the language model a column: next-token cross-entropy, texts batched by length.

Texts of similar length share a batch (sorted with a random jitter, then the batches shuffled),
so little is padding; the output layer runs on the real tokens only, and a batch's loss is its
summed cross-entropy over the tokens an average batch has, so every token weighs the same
whichever batch it is in. A tenth of the texts (at
most 2,000, when there are at least 50) is held out: their loss after each epoch drives early
stopping (the floor's patience rule, best weights restored) and is reported. The time budget
is checked after every batch. With ``decay``, the learning rate falls linearly to zero over the
last quarter of the planned epochs or of the time budget, whichever is further along (a
constant rate, then a cool-down: what a budget that ends training mid-way still gets).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from simulacra.encoders.language.network import TextLSTM
from simulacra.encoders.language.tokens import PAD
from simulacra.neural.optim import adam, decay_groups
from simulacra.neural.training import EpochLoop
from simulacra.neural.validation import Watch

#: The share of training (epochs or time) over which the learning rate falls to zero.
COOL_DOWN = 0.25


@dataclass(frozen=True)
class TrainingPlan:
    """How long and how fast to learn."""

    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-5
    patience: int = 3
    max_training_time: float | None = None
    verbose: bool = False
    decay: bool = True  # the learning rate cools to zero over the last quarter (epochs or time)


@dataclass(frozen=True)
class TrainingResult:
    epochs: int
    held_out_loss: float | None
    seconds: float


def batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Row positions in batches of similar length, in random order.

    >>> out = batches(np.array([3, 9, 4, 8, 3, 9]), 2, np.random.default_rng(0))
    >>> sorted(sorted(b.tolist()) for b in out)
    [[0, 4], [1, 5], [2, 3]]
    """
    order = np.argsort(lengths + rng.uniform(0, 1, len(lengths)), kind="stable")
    out = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def pad(sequences: Sequence[np.ndarray], rows: np.ndarray) -> torch.Tensor:
    """The ``rows`` of ``sequences`` as one ``(len(rows), longest)`` tensor padded with PAD."""
    longest = max(len(sequences[i]) for i in rows)
    out = np.full((len(rows), longest), PAD, dtype=np.int64)
    for k, i in enumerate(rows):
        out[k, :len(sequences[i])] = sequences[i]
    return torch.from_numpy(out)


def batch_nll(net: TextLSTM, tokens: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """The batch's next-token cross-entropy summed over its real (non-padding) targets."""
    row = net.row_vector(codes)
    x = net.drop(net.embed(tokens[:, :-1]) + row[:, None, :])
    out, _ = net.recur(x, net.initial_state(row))
    targets = tokens[:, 1:]
    real = targets != PAD
    logits = net.drop(out[real]) @ net.embed.weight.T + net.bias
    bias = net.row_bias(codes)
    if bias is not None:
        logits = logits + bias[real.nonzero(as_tuple=True)[0]]
    return nn.functional.cross_entropy(logits, targets[real], reduction="sum")


def batch_loss(net: TextLSTM, tokens: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """:func:`batch_nll` per real target of the batch."""
    return batch_nll(net, tokens, codes) / (tokens[:, 1:] != PAD).sum().clamp(min=1)


def held_out_loss(net: TextLSTM, sequences: Sequence[np.ndarray], codes: np.ndarray,
                  rows: np.ndarray, batch_size: int = 256) -> float:
    """Mean per-token loss on ``rows`` (evaluation mode, no gradients)."""
    net.eval()
    device = net.bias.device
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            tokens = pad(sequences, chunk).to(device)
            n = int((tokens[:, 1:] != PAD).sum())
            total += float(batch_loss(net, tokens, torch.from_numpy(codes[chunk]).to(device))) * n
            count += n
    net.train()
    return total / max(count, 1)


def progress(loop: EpochLoop, done: int, total: int) -> float:
    """How far training is, 0 … 1: the share of the planned epochs (``done`` of ``total``
    batches into the current one) or of the time budget, whichever is further.

    >>> loop = EpochLoop("text", 4, None, False, ["loss"])
    >>> loop.epoch = 1
    >>> progress(loop, 5, 10)
    0.375
    """
    share = (max(loop.epoch, 0) + done / max(total, 1)) / max(loop.epochs, 1)
    if loop.budget is not None:
        share = max(share, (time.perf_counter() - loop.started) / max(loop.budget, 1e-9))
    return min(share, 1.0)


def out_of_time(loop: EpochLoop) -> bool:
    """Whether the loop's time budget is spent: checked after every batch, as one epoch of a
    large column can take minutes (the last epoch is then a partial one)."""
    return loop.budget is not None and time.perf_counter() - loop.started >= loop.budget


def train(net: TextLSTM, sequences: Sequence[np.ndarray], codes: np.ndarray,
          plan: TrainingPlan, rng: np.random.Generator) -> TrainingResult:
    """Fit ``net`` to the token ``sequences`` given their rows' context ``codes``."""
    n = len(sequences)
    device = net.bias.device
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=n)
    rows = rng.permutation(n)
    held = rows[:min(n // 10, 2000)] if n >= 50 else rows[:0]
    fit_rows = np.sort(rows[len(held):])
    per_text = float(np.mean(lengths[fit_rows] - 1)) if fit_rows.size else 1.0  # targets
    watch = Watch(plan.patience, net) if held.size else None
    optimizer = adam(decay_groups(net, plan.weight_decay), lr=plan.learning_rate,
                     betas=(0.9, 0.99), weight_decay=0.0)
    loop = EpochLoop("text", plan.epochs, plan.max_training_time, plan.verbose, ["loss"],
                     watch=watch)
    held_loss = None
    net.train()
    try:
        for _ in loop:
            total, count = 0.0, 0
            order = batches(lengths[fit_rows], plan.batch_size, rng)
            for b, chunk in enumerate(order):
                if plan.decay:
                    for group in optimizer.param_groups:
                        group["lr"] = plan.learning_rate * min(
                            1.0, (1.0 - progress(loop, b, len(order))) / COOL_DOWN)
                chosen = fit_rows[chunk]
                # per token of an average batch, whatever this one's lengths: batches are of
                # similar texts, and dividing by a batch's own tokens made a short text's
                # tokens weigh more than a long one's (the model then wrote short texts)
                loss = batch_nll(net, pad(sequences, chosen).to(device),
                                 torch.from_numpy(codes[chosen]).to(device)) / \
                    (len(chosen) * per_text)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                optimizer.step()
                total += loss.item() * len(chosen)
                count += len(chosen)
                if out_of_time(loop):
                    break
            score = (lambda: held_out_loss(net, sequences, codes, held)) if watch else None
            stop = loop.end_epoch({"loss": total / max(count, 1)}, score)
            if watch is not None:
                held_loss = loop.last["held-out loss"]
            if stop or out_of_time(loop):
                break
    finally:
        loop.close()
    if watch is not None:
        watch.restore()
        held_loss = watch.stopper.best
    net.eval()
    return TrainingResult(loop.done, held_loss, time.perf_counter() - loop.started)
