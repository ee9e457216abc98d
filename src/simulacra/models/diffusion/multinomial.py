"""Multinomial diffusion of the discrete columns (Hoogeboom et al., NeurIPS 2021).

Each step keeps a category with probability ``α_t`` and otherwise redraws it uniformly, so
``q(x_t | x_0) = ᾱ_t · onehot(x_0) + (1 − ᾱ_t) / K``. The network predicts the clean category's
probabilities ``x̂_0``; a reverse step draws from the posterior

    q(x_prev | x_t, x_0) ∝ (α_t · onehot(x_t) + (1 − α_t)/K) ⊙ (ᾱ_prev · x_0 + (1 − ᾱ_prev)/K)

with ``x̂_0`` in place of ``x_0``. The training loss is the KL divergence between the true and
the predicted posterior; at the first step (``ᾱ_prev = 1``) the true posterior is
``onehot(x_0)`` and the KL is the decoder's negative log-likelihood, so one formula covers
every step.

All columns are handled at once in a padded ``(B, columns, widest)`` layout
(:class:`Categories`); padding has probability 0 everywhere.

>>> import torch
>>> cats = Categories([2, 3])
>>> x0 = cats.one_hot(torch.tensor([[1, 2]]))
>>> p = cats.marginal(x0, torch.tensor([0.5]))  # half kept, half uniform
>>> [[round(v, 3) for v in row] for row in p[0].tolist()]
[[0.25, 0.75, 0.0], [0.167, 0.167, 0.667]]
>>> post = cats.posterior(x0, x0, torch.tensor([0.9]), torch.tensor([1.0]))
>>> torch.equal(post, x0)  # at the first step the posterior is the clean category
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from simulacra.neural.denormals import EXP_FLOOR

#: probabilities are floored here before logs (float32-normal, no subnormal arithmetic)
PROB_FLOOR = 1e-30


class Categories:
    """Padded layout of ``sizes`` categorical columns, and the multinomial process on it."""

    def __init__(self, sizes: Sequence[int], device: torch.device | str = "cpu") -> None:
        self.sizes = [int(s) for s in sizes]
        width = max(self.sizes, default=1)
        valid = np.zeros((len(self.sizes), width), dtype=bool)
        index = np.zeros((len(self.sizes), width), dtype=np.int64)
        start = 0
        for j, k in enumerate(self.sizes):
            valid[j, :k] = True
            index[j, :k] = np.arange(start, start + k)
            start += k
        self.total = start
        self.valid = torch.from_numpy(valid).to(device)
        self.index = torch.from_numpy(index).to(device)  # padded → flat position
        self.offsets = torch.from_numpy(index[:, 0].copy()).to(device)
        self.uniform = self.valid.float() / torch.tensor(
            np.maximum(self.sizes, 1), dtype=torch.float32, device=device).unsqueeze(1)

    def to(self, device: torch.device | str) -> Categories:
        return Categories(self.sizes, device)

    # -- layouts -----------------------------------------------------------------------------
    def one_hot(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, S)`` tokens → ``(B, S, K)`` padded one-hots."""
        width = self.valid.shape[1]  # a comparison, not F.one_hot: also under torch.func.vmap
        return (tokens.unsqueeze(-1) == torch.arange(width, device=tokens.device)).float()

    def flat_one_hot(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, S)`` tokens → ``(B, Σ sizes)`` concatenated one-hots (the network's input)."""
        out = tokens.new_zeros((tokens.shape[0], self.total), dtype=torch.float32)
        return out.scatter_(1, tokens + self.offsets, 1.0)

    def probabilities(self, flat_logits: torch.Tensor) -> torch.Tensor:
        """``(B, Σ sizes)`` logits → ``(B, S, K)`` per-column softmax (padding 0)."""
        logits = flat_logits[:, self.index]
        with torch.no_grad():
            peak = logits.masked_fill(~self.valid, float("-inf")).amax(-1, keepdim=True)
        e = torch.exp((logits - peak).clamp_min(EXP_FLOOR)) * self.valid
        return e / e.sum(-1, keepdim=True)

    # -- the process --------------------------------------------------------------------------
    def marginal(self, x0: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
        """``q(x_t | x_0)`` for per-row ``ᾱ_t`` ``(B,)``."""
        a = alpha_bar.view(-1, 1, 1)
        return a * x0 + (1 - a) * self.uniform

    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor, alpha: torch.Tensor,
                  alpha_bar_prev: torch.Tensor) -> torch.Tensor:
        """``q(x_prev | x_t, x_0)`` (``x0`` one-hot or predicted probabilities)."""
        a, abp = alpha.view(-1, 1, 1), alpha_bar_prev.view(-1, 1, 1)
        theta = (a * x_t + (1 - a) * self.uniform) * (abp * x0 + (1 - abp) * self.uniform)
        return theta / theta.sum(-1, keepdim=True).clamp_min(PROB_FLOOR)

    def sample(self, probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``(B, S)`` tokens drawn from ``(B, S, K)`` probabilities (Gumbel-max)."""
        u = torch.rand(probs.shape, generator=generator, device=probs.device)
        gumbel = -torch.log((-torch.log(u.clamp_min(1e-20))).clamp_min(1e-20))
        score = torch.log(probs.clamp_min(PROB_FLOOR)) + gumbel
        return score.masked_fill(~self.valid, float("-inf")).argmax(-1)

    @staticmethod
    def kl(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        """``(B, S)`` KL(q ‖ p) per column (``0 · log 0 = 0``)."""
        log_q = torch.log(q.clamp_min(PROB_FLOOR))
        log_p = torch.log(p.clamp_min(PROB_FLOOR))
        return (q * (log_q - log_p)).sum(-1)
