"""The window denoiser: a small transformer over the steps of a window.

``(noisy window (B, L, C), diffusion step t (B,)) → the clean window (B, L, C)``, as
Diffusion-TS (Yuan & Qiao, ICLR 2024) predicts the clean signal rather than the noise. Each
step's channels are projected to ``width``; a learned position per step and the diffusion
step's sinusoidal embedding (through a small MLP) are added; ``layers`` pre-norm transformer
encoder layers (``heads`` heads, GELU, a feed-forward of 4 × ``width``) mix the steps; a layer
norm and a linear map give the channels back. With a ``base``
(:class:`~simulacra.models.windows.gaussian_base.GaussianBase`, the exact denoiser of the
windows' Gaussian) the network's output is a correction added to the base's, and starts at
zero. Sized for a CPU: width 64–96 and 3–4 layers train
at tens of milliseconds per batch of 128 windows of 24 steps on two cores.

>>> import torch
>>> net = WindowTransformer(channels=3, length=24, width=16, layers=1, heads=2)
>>> net(torch.zeros(5, 24, 3), torch.tensor([0, 1, 2, 3, 999])).shape
torch.Size([5, 24, 3])
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from simulacra.models.neural.gaussian import step_embedding
from simulacra.models.windows.gaussian_base import GaussianBase


class WindowTransformer(nn.Module):
    """``(x_t (B, L, C), t (B,)) → x̂_0 (B, L, C)``."""

    def __init__(self, *, channels: int, length: int, width: int, layers: int,
                 heads: int, base: GaussianBase | None = None) -> None:
        super().__init__()
        self.width = width
        self.project = nn.Linear(channels, width)
        self.position = nn.Parameter(torch.zeros(length, width))
        nn.init.normal_(self.position, std=0.02)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
        with warnings.catch_warnings():  # pre-norm layers cannot use the nested-tensor path
            warnings.simplefilter("ignore", UserWarning)
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, channels))
        self.base = base
        if base is not None:  # the untrained model is the base
            nn.init.zeros_(self.out[-1].weight)
            nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        time = self.time(step_embedding(t, self.width)).unsqueeze(1)
        correction = self.out(self.encoder(self.project(x) + self.position + time))
        return correction if self.base is None else self.base(x, t) + correction
