"""The denoiser: TabDDPM's MLP (Kotelnikov et al., ICML 2023).

``(noisy row, step t) → (predicted noise of the numeric columns, logits of the clean
categories)``. The noisy row (numbers and category one-hots) is projected to ``width``, the
step's sinusoidal embedding (through a small MLP) is added, and an MLP of ``hidden_dims``
(ReLU, optional dropout) maps the sum to the outputs.

>>> import torch
>>> net = MLPDenoiser(5, 7, width=16, hidden_dims=(32, 32))
>>> net(torch.zeros(3, 5), torch.tensor([0, 10, 999])).shape
torch.Size([3, 7])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from simulacra.models.neural.gaussian import step_embedding


class MLPDenoiser(nn.Module):
    """``(x_t (B, d_in), t (B,)) → (B, d_out)``."""

    def __init__(self, d_in: int, d_out: int, *, width: int, hidden_dims: Sequence[int],
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.width = width
        self.project = nn.Linear(d_in, width)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        layers: list[nn.Module] = []
        previous = width
        for d in hidden_dims:
            layers += [nn.Linear(previous, d), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            previous = d
        layers.append(nn.Linear(previous, d_out))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.project(x) + self.time(step_embedding(t, self.width)))
