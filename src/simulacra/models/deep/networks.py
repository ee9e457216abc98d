"""The networks of CTGAN and TVAE (Xu et al., NeurIPS 2019), and vectorized per-span maths.

This module imports torch; the rest of simulacra imports it only when a deep model is fitted,
sampled or loaded.

* :class:`Generator`: residual blocks ``Linear → BatchNorm → ReLU`` whose output is concatenated
  with their input (paper §4.4), then a linear layer to the data width.
* :class:`Discriminator`: ``pac`` rows packed into one input (PacGAN), blocks
  ``Linear → LeakyReLU(0.2) → Dropout(0.5)``, one linear output (WGAN critic).
* :class:`Encoder` / :class:`Decoder`: TVAE's ReLU MLPs; the decoder holds learnable per-output
  standard deviations.
* :class:`OutputLayout`: index tensors built once from the spans, so that activations
  (tanh / gumbel-softmax), softmax log-normalizers and the conditional cross-entropy are a few
  tensor operations whatever the number of columns — no loop over spans or rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from simulacra.models.deep.transformer import Span


class _Residual(nn.Module):
    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """``(B, embedding + cond) → (B, data_dim)`` raw outputs (before activation)."""

    def __init__(self, input_dim: int, dims: Sequence[int], data_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = input_dim
        for d in dims:
            layers.append(_Residual(width, d))
            width += d
        layers.append(nn.Linear(width, data_dim))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)


class Discriminator(nn.Module):
    """``(B, data_dim + cond) → (B / pac, 1)`` critic scores of packs of ``pac`` rows."""

    def __init__(self, input_dim: int, dims: Sequence[int], pac: int) -> None:
        super().__init__()
        self.pac = pac
        self.pacdim = input_dim * pac
        layers: list[nn.Module] = []
        width = self.pacdim
        for d in dims:
            layers += [nn.Linear(width, d), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
            width = d
        layers.append(nn.Linear(width, 1))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x.reshape(-1, self.pacdim))

    def gradient_penalty(self, real: torch.Tensor, fake: torch.Tensor,
                         generator: torch.Generator, lambda_: float = 10.0) -> torch.Tensor:
        """WGAN-GP (Gulrajani et al., 2017) on packs: one interpolation weight per pack."""
        pac, dim = self.pac, real.shape[1]
        alpha = torch.rand(real.shape[0] // pac, 1, 1, generator=generator, device=real.device)
        alpha = alpha.expand(-1, pac, dim).reshape(-1, dim)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        score = self(mixed)
        (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
        norm = grad.reshape(-1, pac * dim).norm(2, dim=1)
        return ((norm - 1) ** 2).mean() * lambda_


class Encoder(nn.Module):
    """TVAE encoder: ``(B, data_dim) → (μ, log σ²)`` of the latent code."""

    def __init__(self, data_dim: int, dims: Sequence[int], embedding_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = data_dim
        for d in dims:
            layers += [nn.Linear(width, d), nn.ReLU()]
            width = d
        self.seq = nn.Sequential(*layers)
        self.fc_mu = nn.Linear(width, embedding_dim)
        self.fc_logvar = nn.Linear(width, embedding_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.seq(x)
        return self.fc_mu(h), self.fc_logvar(h)


class Decoder(nn.Module):
    """TVAE decoder: latent ``(B, embedding) → (B, data_dim)`` raw outputs; ``sigma`` learnable."""

    def __init__(self, embedding_dim: int, dims: Sequence[int], data_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = embedding_dim
        for d in dims:
            layers += [nn.Linear(width, d), nn.ReLU()]
            width = d
        layers.append(nn.Linear(width, data_dim))
        self.seq = nn.Sequential(*layers)
        self.sigma = nn.Parameter(torch.ones(data_dim) * 0.1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.seq(z)


class OutputLayout:
    """Index tensors over the transformed matrix, built once from its spans.

    ``tanh_idx`` (A,): positions of α values. ``soft_idx`` (S, W): the positions of each softmax
    span, padded to the widest with ``soft_mask`` False. ``cond_idx`` / ``cond_mask`` (D, K): the
    same for the discrete columns' spans only, in conditional-vector order.
    """

    def __init__(self, spans: Sequence[Span], discrete_spans: Sequence[Span],
                 device: torch.device) -> None:
        def padded(group: Sequence[Span]) -> tuple[torch.Tensor, torch.Tensor]:
            width = max((s.width for s in group), default=0)
            idx = np.zeros((len(group), width), dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=bool)
            for j, s in enumerate(group):
                idx[j, :s.width] = np.arange(s.start, s.start + s.width)
                mask[j, :s.width] = True
            return (torch.from_numpy(idx).to(device), torch.from_numpy(mask).to(device))

        dim = sum(s.width for s in spans)
        tanh = np.array([s.start for s in spans if s.activation == "tanh"], dtype=np.int64)
        soft = [s for s in spans if s.activation == "softmax"]
        self.tanh_idx = torch.from_numpy(tanh).to(device)
        self.soft_idx, self.soft_mask = padded(soft)
        self.cond_idx, self.cond_mask = padded(discrete_spans)
        soft_flat = self.soft_idx[self.soft_mask].cpu().numpy()
        order = np.concatenate([tanh, soft_flat])  # position of each column of cat(tanh, soft)
        inverse = np.empty(dim, dtype=np.int64)
        inverse[order] = np.arange(dim)
        self.inverse = torch.from_numpy(inverse).to(device)
        self.soft_flat = torch.from_numpy(soft_flat).to(device)
        keep = np.flatnonzero(self.soft_mask.cpu().numpy().reshape(-1))
        self.soft_keep = torch.from_numpy(keep).to(device)  # real entries of (S * W)

    def _gather(self, raw: torch.Tensor, idx: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(B, S, W)`` span values, padding filled with -inf (index_select: cheap backward)."""
        picked = raw.index_select(1, idx.reshape(-1)).reshape(raw.shape[0], *idx.shape)
        return picked.masked_fill(~mask, float("-inf"))

    def activate(self, raw: torch.Tensor, *, tau: float | None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """tanh on α; softmax on each span, with Gumbel noise at temperature ``tau`` if given.

        Gumbel noise is drawn from ``generator`` (never torch's global random state), only for
        the softmax positions.
        """
        logits = raw
        if tau is not None:
            u = torch.rand((raw.shape[0], len(self.soft_flat)), generator=generator,
                           device=raw.device)
            gumbel = -torch.log((-torch.log(u.clamp_min(1e-20))).clamp_min(1e-20))
            logits = raw.index_add(1, self.soft_flat, gumbel) / tau
        soft = torch.softmax(self._gather(logits, self.soft_idx, self.soft_mask), dim=-1)
        soft = soft.reshape(raw.shape[0], -1).index_select(1, self.soft_keep)
        out = torch.cat([torch.tanh(raw.index_select(1, self.tanh_idx)), soft], dim=1)
        return out.index_select(1, self.inverse)

    def softmax_cross_entropy_sum(self, raw: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Σ over rows and softmax spans of cross-entropy(raw span, one-hot target)."""
        lse = torch.logsumexp(self._gather(raw, self.soft_idx, self.soft_mask), dim=-1)
        target = (raw.index_select(1, self.soft_flat) * onehot.index_select(1, self.soft_flat))
        return lse.sum() - target.sum()

    def conditional_cross_entropy(self, raw: torch.Tensor, col: torch.Tensor,
                                  cat: torch.Tensor) -> torch.Tensor:
        """Mean over rows of cross-entropy between the conditioned span and its category."""
        idx, mask = self.cond_idx[col], self.cond_mask[col]  # (B, K)
        logits = raw.gather(1, idx).masked_fill(~mask, float("-inf"))
        return torch.nn.functional.cross_entropy(logits, cat, reduction="mean")


def adam(params: Any, *, lr: float, betas: tuple[float, float],
         weight_decay: float) -> torch.optim.Adam:
    """Adam, fused into one kernel where torch supports it (several times faster on CPU)."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay,
                                fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay)


def weights_to_numpy(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's parameters and buffers as numpy arrays (for the safetensors model file)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_weights(module: nn.Module, weights: dict[str, np.ndarray]) -> None:
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
