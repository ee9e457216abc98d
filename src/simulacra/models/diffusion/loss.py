"""TabDDPM's training loss, one value per row (imports torch: imported only when used).

For each row a step ``t`` of the schedule is drawn, the numbers get Gaussian noise and the
categories are partly redrawn at random (:meth:`DiffusionLoss.draw`); the loss of the row
(:meth:`DiffusionLoss.forward`, deterministic given those draws) is the noise MSE of the
numeric columns plus the categories' posterior KL (and, with ``x0_weight``, the cross-entropy of
the predicted clean categories: the hybrid loss of Austin et al., NeurIPS 2021, which DP-SGD
needs), averaged over columns. Keeping the draws
apart lets DP-SGD clip each row's gradient of exactly this loss, and lets tests compare it
with per-row gradients taken one row at a time.

>>> import torch
>>> from simulacra.models.diffusion.denoiser import MLPDenoiser
>>> from simulacra.neural.schedule import NoiseSchedule
>>> net = MLPDenoiser(2 + 3, 2 + 3, width=8, hidden_dims=(16,))
>>> loss = DiffusionLoss(net, [3], NoiseSchedule.cosine(50).alpha_bar)
>>> x_num, x_cat = torch.zeros(4, 2), torch.tensor([[0], [1], [2], [0]])
>>> loss(x_num, x_cat, *loss.draw(x_num, x_cat, torch.Generator().manual_seed(0))).shape
torch.Size([4])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from simulacra.models.diffusion.multinomial import PROB_FLOOR, Categories
from simulacra.models.neural import gaussian


class DiffusionLoss(nn.Module):
    """``(clean numbers (B, k), clean codes (B, S), draws) → (B,)`` losses of ``net``."""

    def __init__(self, net: nn.Module, sizes: Sequence[int], alpha_bar: np.ndarray,
                 device: torch.device | str = "cpu", x0_weight: float = 0.0) -> None:
        super().__init__()
        self.net = net
        self.x0_weight = float(x0_weight)
        self.cats = Categories(sizes, device)
        self.register_buffer("alpha_bar",
                             torch.tensor(alpha_bar, dtype=torch.float32, device=device))

    def draw(self, x0_num: torch.Tensor, x0_cat: torch.Tensor, gen: torch.Generator
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per row: a step ``t``, the numbers' noise and the noisy codes ``x_t``."""
        b, device = len(x0_num), x0_num.device
        t = torch.randint(0, len(self.alpha_bar), (b,), generator=gen, device=device)
        noise = torch.randn(x0_num.shape, generator=gen, device=device)
        cats = self.cats
        x_cat = cats.sample(cats.marginal(cats.one_hot(x0_cat), self.alpha_bar[t]), gen)
        return t, noise, x_cat

    def forward(self, x0_num: torch.Tensor, x0_cat: torch.Tensor, t: torch.Tensor,
                noise: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        cats = self.cats
        ab = self.alpha_bar[t]
        ab_prev = torch.where(t > 0, self.alpha_bar[(t - 1).clamp_min(0)], torch.ones_like(ab))
        alpha = ab / ab_prev
        x_num = gaussian.noisy(x0_num, ab, noise)
        out = self.net(torch.cat([x_num, cats.flat_one_hot(x_cat)], dim=1), t)
        k = x0_num.shape[1]
        per_column = []
        if k:
            per_column.append(((out[:, :k] - noise) ** 2).sum(1))
        if cats.sizes:
            x_t = cats.one_hot(x_cat)
            true = cats.posterior(x_t, cats.one_hot(x0_cat), alpha, ab_prev)
            x0_hat = cats.probabilities(out[:, k:])
            pred = cats.posterior(x_t, x0_hat, alpha, ab_prev)
            per_column.append(cats.kl(true, pred).sum(1))
            if self.x0_weight:  # the clean categories' cross-entropy (D3PM's hybrid loss)
                log_p = torch.log(x0_hat.clamp_min(PROB_FLOOR))
                per_column.append(-self.x0_weight * (cats.one_hot(x0_cat) * log_p).sum((1, 2)))
        return sum(per_column) / max(k + len(cats.sizes), 1)
