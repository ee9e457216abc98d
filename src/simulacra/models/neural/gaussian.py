"""Gaussian diffusion (Ho et al., NeurIPS 2020), shared by TabDDPM and WindowDiffusion.

TabDDPM's network predicts the noise ``ε`` that was mixed into the clean values;
WindowDiffusion's predicts the clean values, from which the noise follows. The diffusion step
``t`` reaches a network as a sinusoidal embedding (:func:`step_embedding`).

Forward: ``x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε``. Reverse step from ``x_t`` to the previous kept
step: the clean values implied by the predicted noise, ``x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t``
(clipped to the range the data transform can produce), then a draw from the Gaussian
posterior ``q(x_prev | x_t, x̂_0)``. At the first step (``ᾱ_prev = 1``) that posterior is
exactly ``x̂_0`` with no noise.

>>> import torch
>>> x0 = torch.zeros(4, 2)
>>> noise = torch.ones(4, 2)
>>> noisy(x0, torch.full((4,), 0.75), noise)[0].tolist()
[0.5, 0.5]
>>> x = reverse_step(torch.full((4, 2), 0.5), noise, alpha=torch.full((4,), 0.75),
...                  alpha_bar=torch.full((4,), 0.75), alpha_bar_prev=torch.ones(4),
...                  noise=torch.zeros(4, 2), clip=6.0)
>>> x.abs().max().item() < 1e-6
True
"""

from __future__ import annotations

import math

import torch
from torch import nn


def noisy(x0: torch.Tensor, alpha_bar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """``x_t`` for per-row ``ᾱ_t`` ``(B,)``."""
    a = alpha_bar.unsqueeze(1)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def reverse_step(x_t: torch.Tensor, eps_hat: torch.Tensor, *, alpha: torch.Tensor,
                 alpha_bar: torch.Tensor, alpha_bar_prev: torch.Tensor, noise: torch.Tensor,
                 clip: float) -> torch.Tensor:
    """One ancestral step ``x_t → x_prev`` (all schedule terms per row, ``(B,)``)."""
    a, ab, abp = alpha.unsqueeze(1), alpha_bar.unsqueeze(1), alpha_bar_prev.unsqueeze(1)
    beta = 1 - a
    x0 = ((x_t - (1 - ab).sqrt() * eps_hat) / ab.sqrt()).clamp(-clip, clip)
    mean = (abp.sqrt() * beta * x0 + a.sqrt() * (1 - abp) * x_t) / (1 - ab)
    var = beta * (1 - abp) / (1 - ab)
    return mean + var.sqrt() * noise


def step_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """``(B,)`` steps → ``(B, dim)`` sinusoidal embedding (Vaswani et al.)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device) / half)
    angles = t.float().unsqueeze(1) * freqs
    emb = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    return nn.functional.pad(emb, (0, dim - 2 * half))
