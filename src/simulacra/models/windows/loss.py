"""The window diffusion's training loss (Diffusion-TS, Yuan & Qiao, ICLR 2024).

For each window a diffusion step ``t`` is drawn and Gaussian noise mixed in
(:func:`~simulacra.models.neural.gaussian.noisy`); the denoiser predicts the clean window
and the loss is the mean absolute error of that prediction plus ``fourier_weight`` times the
mean absolute error of its Fourier coefficients along time (real and imaginary parts,
``norm="forward"``): the frequency term keeps the predicted windows' periodic structure, the
way Diffusion-TS's does (its weight: √L / 5).

>>> import torch
>>> from simulacra.neural.schedule import NoiseSchedule
>>> from simulacra.models.windows.denoiser import WindowTransformer
>>> net = WindowTransformer(channels=2, length=8, width=16, layers=1, heads=2)
>>> loss = WindowLoss(net, NoiseSchedule.cosine(50).alpha_bar, fourier_weight=0.5)
>>> loss(torch.zeros(4, 8, 2), torch.Generator().manual_seed(0)).shape
torch.Size([4])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from simulacra.models.neural import gaussian


class WindowLoss(nn.Module):
    """``(clean windows (B, L, C), generator) → (B,)`` losses of ``net``."""

    def __init__(self, net: nn.Module, alpha_bar: np.ndarray, *, fourier_weight: float,
                 device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.net = net
        self.fourier_weight = float(fourier_weight)
        self.register_buffer("alpha_bar",
                             torch.tensor(alpha_bar, dtype=torch.float32, device=device))

    def forward(self, x0: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        b, device = len(x0), x0.device
        t = torch.randint(0, len(self.alpha_bar), (b,), generator=gen, device=device)
        noise = torch.randn(x0.shape, generator=gen, device=device)
        x_t = gaussian.noisy(x0.flatten(1), self.alpha_bar[t], noise.flatten(1)).view_as(x0)
        x0_hat = self.net(x_t, t)
        loss = (x0_hat - x0).abs().mean((1, 2))
        if self.fourier_weight:
            f_hat = torch.fft.rfft(x0_hat, dim=1, norm="forward")
            f = torch.fft.rfft(x0, dim=1, norm="forward")
            gap = (f_hat.real - f.real).abs() + (f_hat.imag - f.imag).abs()
            loss = loss + self.fourier_weight * gap.mean((1, 2))
        return loss
