"""The autoregressive network: every column's conditional given the columns before it.

A MADE-style masked MLP (Germain et al., ICML 2015) with one block of hidden units per column:

1. each column's token is embedded (``embedding_dim`` wide) and the embeddings are concatenated;
   a token of a number (a value, a bin, a part of a bin) also adds a learned linear map of
   smooth functions of its position in the column's order (:func:`basis`), so neighbouring
   bins start alike and share what they learn;
2. a masked linear layer gives column ``j``'s hidden block only the embeddings of columns
   ``< j`` (the first column's block sees nothing: its bias learns the marginal);
3. a per-column residual layer (``hidden_dim`` → ``hidden_dim``) refines each block;
4. a per-column head gives the logits of column ``j``'s tokens; for a number, plus a learned
   combination of the same smooth functions of each token's position, so that a shift or a
   spread of the column's distribution is a few weights rather than one per bin.

One forward pass yields ``log p(x_j | x_<j)`` for every ``j`` (training); sampling runs the
blocks one column at a time (:meth:`ColumnMADE.column_logits`). Shared einsum weights for
steps 3-4 keep the work a few dense tensor operations whatever the number of columns.

This module imports torch; the model imports it only when it is fitted, sampled or loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from simulacra.neural.denormals import EXP_FLOOR

#: smooth functions of an ordinal token's position in [-1, 1]
N_BASIS = 4


def basis(pos: np.ndarray) -> np.ndarray:
    """``(len(pos), N_BASIS)``: ``p``, ``p²``, ``sin πp`` and ``cos πp`` of positions in [-1, 1].

    >>> basis(np.array([0.0, 0.5])).round(3).tolist()
    [[0.0, 0.0, 0.0, 1.0], [0.5, 0.25, 1.0, 0.0]]
    """
    return np.stack([pos, pos ** 2, np.sin(np.pi * pos), np.cos(np.pi * pos)], axis=1)


class ColumnMADE(nn.Module):
    """``tokens (B, C) → logits (B, C, K)`` with column ``j`` depending only on columns ``< j``."""

    def __init__(self, sizes: Sequence[int], embedding_dim: int, hidden_dim: int,
                 positions: Sequence[np.ndarray | None] | None = None) -> None:
        super().__init__()
        c, d, h, k = len(sizes), embedding_dim, hidden_dim, max(sizes)
        self.sizes = [int(s) for s in sizes]
        self.c, self.d, self.h, self.k = c, d, h, k
        offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.register_buffer("offsets", torch.from_numpy(offsets), persistent=False)
        valid = np.zeros((c, k), dtype=bool)
        for j, s in enumerate(self.sizes):
            valid[j, :s] = True
        self.register_buffer("valid", torch.from_numpy(valid), persistent=False)
        block = np.arange(c)
        # input col i → block j; the (c·d, c·h) mask and the bounds built by torch, so that on
        # the meta device (a model file's sizes checked before loading) nothing is allocated
        before = torch.tensor((block[:, None] < block[None, :]).astype(np.float32))
        self.register_buffer("mask1", torch.kron(before, torch.ones(d, h)), persistent=False)

        self.embed = nn.Embedding(int(sum(self.sizes)), d)
        fan_in = np.maximum(block, 1) * d  # inputs each block really sees
        bound1 = torch.tensor(1 / np.sqrt(fan_in), dtype=torch.float32).repeat_interleave(h)
        self.w1 = nn.Parameter((torch.rand(c * d, c * h) * 2 - 1) * bound1)
        self.b1 = nn.Parameter(torch.zeros(c * h))
        self.w2 = nn.Parameter((torch.rand(c, h, h) * 2 - 1) / np.sqrt(h))
        self.b2 = nn.Parameter(torch.zeros(c, h))
        self.wo = nn.Parameter((torch.rand(c, h, k) * 2 - 1) / np.sqrt(h))
        self.bo = nn.Parameter(torch.zeros(c, k))
        self.ordinal = positions is not None
        if self.ordinal:
            phi = np.zeros((c, k, N_BASIS), dtype=np.float32)  # per column and token
            for j, pos in enumerate(positions):
                if pos is not None:  # tokens past the ordered ones (copies) get no position
                    phi[j, :len(pos)] = basis(np.asarray(pos, dtype=np.float64))
            owner = np.repeat(np.arange(c), self.sizes)  # the column of every token
            rank = np.arange(sum(self.sizes)) - offsets[owner]  # its token within the column
            self.register_buffer("phi_out", torch.from_numpy(phi), persistent=False)
            self.register_buffer("phi_in", torch.from_numpy(phi[owner, rank]), persistent=False)
            self.register_buffer("owner", torch.from_numpy(owner), persistent=False)
            self.pin = nn.Parameter(torch.zeros(c, N_BASIS, d))
            self.pout = nn.Parameter(torch.zeros(c, h, N_BASIS))

    def init_marginals(self, counts: Sequence[np.ndarray]) -> None:
        """Start every head's bias at the log of its column's token frequencies.

        The first column's conditional is its marginal and its head sees no input, so this
        alone makes it right from the start; every other column starts from its marginal too.
        """
        with torch.no_grad():
            for j, c in enumerate(counts):
                c = np.asarray(c, dtype=np.float64)
                freq = (c + 0.5) / (c.sum() + 0.5 * len(c))
                self.bo[j, :len(c)] = torch.from_numpy(np.log(freq).astype(np.float32))

    def _inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        table = self.embed.weight
        if self.ordinal:  # each token's embedding plus its column's map of its position
            table = table + torch.einsum("tf,tfd->td", self.phi_in, self.pin[self.owner])
        x = nn.functional.embedding(tokens + self.offsets, table)
        return x.reshape(tokens.shape[0], self.c * self.d)

    def _head(self, j: int | None = None) -> torch.Tensor:
        """Output weights ``(C, h, K)`` (of column ``j`` only: ``(h, K)``): per token, plus
        for numbers the map of the hidden block to smooth functions of the token's position."""
        if not self.ordinal:
            return self.wo if j is None else self.wo[j]
        if j is None:
            return self.wo + torch.einsum("chf,ckf->chk", self.pout, self.phi_out)
        return self.wo[j] + self.pout[j] @ self.phi_out[j].T

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, C, K)`` of every column; padding positions are meaningless."""
        return self.trace(tokens)[-1]

    def trace(self, tokens: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(x, z1, h1, z2, h2, logits)``: every layer's input and pre-activation.

        What exact per-row gradient norms need (DP-SGD,
        :mod:`~simulacra.models.autoregressive.private`); :meth:`forward` returns the last.
        """
        x = self._inputs(tokens)  # (B, C·d)
        z1 = torch.addmm(self.b1, x, self.w1 * self.mask1)  # (B, C·h)
        h1 = torch.relu(z1).reshape(-1, self.c, self.h)  # (B, C, h)
        z2 = torch.einsum("bch,chg->bcg", h1, self.w2) + self.b2  # (B, C, h)
        h2 = torch.relu(z2) + h1
        logits = torch.einsum("bch,chk->bck", h2, self._head()) + self.bo  # (B, C, K)
        return x, z1, h1, z2, h2, logits

    def column_logits(self, tokens: torch.Tensor, j: int) -> torch.Tensor:
        """Logits ``(B, sizes[j])`` of column ``j`` (only columns ``< j`` of ``tokens`` matter)."""
        x = self._inputs(tokens)
        cols = slice(j * self.h, (j + 1) * self.h)
        h1 = torch.relu(torch.addmm(self.b1[cols], x, (self.w1 * self.mask1)[:, cols]))
        h2 = torch.relu(h1 @ self.w2[j] + self.b2[j]) + h1
        return (h2 @ self._head(j) + self.bo[j])[:, :self.sizes[j]]

    def nll(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, C)`` negative log-likelihood of each row's token in each column."""
        return self.token_nll(self(tokens), tokens)

    def token_nll(self, logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, C)`` negative log-likelihood of ``tokens`` under ``logits`` ``(B, C, K)``."""
        with torch.no_grad():  # the shift cancels out of the log-softmax
            peak = logits.masked_fill(~self.valid, float("-inf")).amax(-1, keepdim=True)
        shifted = (logits - peak).clamp_min(EXP_FLOOR)
        lse = torch.log((torch.exp(shifted) * self.valid).sum(-1)) + peak.squeeze(-1)
        return lse - logits.gather(2, tokens.unsqueeze(-1)).squeeze(-1)
