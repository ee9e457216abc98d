"""The post-hoc GRU networks of the discriminative and predictive scores, and padding.

TimeGAN (Yoon et al., NeurIPS 2019) scores synthetic sequences with two small recurrent
networks trained after the fact: a classifier that reads a whole sequence and says real or
synthetic from its last hidden state, and a one-step-ahead predictor that reads a sequence and
emits a value in (0, 1) at every step. Sequences of different lengths are padded at the end;
a GRU's output at step ``t`` depends only on steps ``<= t``, so reading the classifier's output
at each sequence's own last step gives exactly what packing would.

This module imports torch; the score modules import it only when a score is computed.

>>> units = [np.ones((3, 2), np.float32), np.full((1, 2), np.nan, np.float32)]
>>> x, lengths = pad(units)
>>> x.shape, lengths.tolist(), float(x[1, 0, 0])
((2, 3, 2), [3, 1], 0.0)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from simulacra.neural.torch import resolve_device, torch_session

#: TimeGAN's hidden size is half the features. With few features that is a GRU of one or two
#: units, whose discriminative score on one table swings from run to run (0.03 to 0.30 over
#: five seeds for AR(1) sequences shuffled in time, at a floor of 4); a floor of 16 settles it
#: (0.29 to 0.32). Tables of 32 features or more get TimeGAN's size.
MIN_HIDDEN = 16


@contextmanager
def posthoc_session(seed: int, device: str) -> Iterator[torch.device]:
    """:func:`~simulacra.neural.torch.torch_session` on one thread; yields the device.

    The post-hoc networks are tiny (a few units per layer): one thread runs them several times
    faster than two, and dozens of times faster when other processes share the cores (threads
    then wait on each other at every step). The caller's thread count is restored afterwards.
    """
    dev = resolve_device(device)
    with torch_session(seed, dev):
        torch.set_num_threads(1)
        yield dev


def hidden_size(features: int, hidden: int | None = None) -> int:
    """``hidden`` if given, else TimeGAN's ``features // 2`` with a floor of ``MIN_HIDDEN``."""
    return int(hidden) if hidden is not None else max(features // 2, MIN_HIDDEN)


def pad(units: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Units ``(T_i, F)`` as one zero-padded ``(N, max T, F)`` float32 array (nulls as 0)."""
    lengths = np.array([len(u) for u in units], dtype=np.int64)
    features = units[0].shape[1] if units else 0
    out = np.zeros((len(units), int(lengths.max(initial=1)), features), dtype=np.float32)
    for i, unit in enumerate(units):
        out[i, : len(unit)] = unit
    return np.nan_to_num(out, nan=0.0), lengths


class GRUClassifier(nn.Module):
    """A GRU over the sequence, then a linear logit from the hidden state at its last step."""

    def __init__(self, features: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.gru = nn.GRU(features, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(x)                                       # (B, T, H)
        last = out[torch.arange(len(x), device=x.device), lengths - 1]   # (B, H)
        return self.head(last).squeeze(-1)                         # (B,) logits


class GRUPredictor(nn.Module):
    """A GRU over the sequence and a sigmoid of a linear map at every step."""

    def __init__(self, features: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.gru = nn.GRU(features, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(x)                                       # (B, T, H)
        return torch.sigmoid(self.head(out)).squeeze(-1)           # (B, T) in (0, 1)
