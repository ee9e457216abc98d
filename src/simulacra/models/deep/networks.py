"""The networks of CTGAN and TVAE (Xu et al., NeurIPS 2019), and vectorized per-span maths.

This module imports torch; the rest of simulacra imports it only when a deep model is fitted,
sampled or loaded.

* :class:`Generator`: residual blocks ``Linear → BatchNorm → ReLU`` whose output is concatenated
  with their input (paper §4.4), then a linear layer to the data width.
* :class:`Discriminator`: ``pac`` rows packed into one input (PacGAN), blocks
  ``Linear → LeakyReLU(0.2) → Dropout(0.5)``, one linear output (WGAN critic); dropout masks
  come from random bits of the training generator (:class:`HalfDropout`).
* :class:`Encoder` / :class:`Decoder`: TVAE's ReLU MLPs; the decoder holds learnable per-output
  standard deviations.
* :class:`OutputLayout`: index tensors built once from the spans, so that activations
  (tanh / gumbel-softmax), softmax log-normalizers and the conditional cross-entropy are a few
  tensor operations whatever the number of columns — no loop over spans or rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from simulacra.models.deep.mode_normalizer import Span
from simulacra.neural.denormals import EXP_FLOOR


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


class HalfDropout(nn.Module):
    """Dropout with p = 0.5 whose mask comes from random bits of an explicit generator.

    One 32-bit draw gives 32 mask bits, so this is about 15x faster on a CPU than
    ``nn.Dropout(0.5)`` (one Bernoulli draw per element) and never touches torch's global random
    state. Kept units are scaled by 2; identity in eval mode. Set ``generator`` before training.
    """

    def __init__(self) -> None:
        super().__init__()
        self.generator: torch.Generator | None = None
        self.register_buffer("_shifts", torch.arange(32, dtype=torch.int32), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        words = -(-x.numel() // 32)
        draws = torch.randint(-2**31, 2**31 - 1, (words, 1), dtype=torch.int32,
                              generator=self.generator, device=x.device)
        bits = ((draws >> self._shifts) & 1).reshape(-1)[:x.numel()].reshape(x.shape)
        return x * (bits.to(x.dtype) * 2)


class Discriminator(nn.Module):
    """``(B, data_dim + cond) → (B / pac, 1)`` critic scores of packs of ``pac`` rows."""

    def __init__(self, input_dim: int, dims: Sequence[int], pac: int) -> None:
        super().__init__()
        self.pac = pac
        self.pacdim = input_dim * pac
        layers: list[nn.Module] = []
        width = self.pacdim
        for d in dims:
            layers += [nn.Linear(width, d), nn.LeakyReLU(0.2), HalfDropout()]
            width = d
        layers.append(nn.Linear(width, 1))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x.reshape(-1, self.pacdim))

    def use_generator(self, generator: torch.Generator) -> None:
        """Draw dropout masks from ``generator``."""
        for module in self.modules():
            if isinstance(module, HalfDropout):
                module.generator = generator

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

    ``tanh_idx`` (A,): positions of α values. ``soft_flat`` (P,): positions of all softmax
    spans, and ``soft_seg`` (P,) the span each belongs to — softmaxes of every span are flat
    segment operations (one ``scatter_reduce`` for the maxima, one ``index_add`` for the sums),
    with no padding and no loop over spans. ``cond_idx`` / ``cond_mask`` (D, K): the positions of
    the discrete columns' spans, padded to the widest, in conditional-vector order.
    """

    def __init__(self, spans: Sequence[Span], discrete_spans: Sequence[Span],
                 device: torch.device) -> None:
        width = max((s.width for s in discrete_spans), default=0)
        idx = np.zeros((len(discrete_spans), width), dtype=np.int64)
        mask = np.zeros((len(discrete_spans), width), dtype=bool)
        for j, s in enumerate(discrete_spans):
            idx[j, :s.width] = np.arange(s.start, s.start + s.width)
            mask[j, :s.width] = True
        self.cond_idx = torch.from_numpy(idx).to(device)
        self.cond_mask = torch.from_numpy(mask).to(device)

        dim = sum(s.width for s in spans)
        tanh = np.array([s.start for s in spans if s.activation == "tanh"], dtype=np.int64)
        soft = [s for s in spans if s.activation == "softmax"]
        soft_flat = np.concatenate([np.arange(s.start, s.start + s.width) for s in soft]
                                   or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        seg = np.repeat(np.arange(len(soft), dtype=np.int64), [s.width for s in soft])
        order = np.concatenate([tanh, soft_flat])  # position of each column of cat(tanh, soft)
        inverse = np.empty(dim, dtype=np.int64)
        inverse[order] = np.arange(dim)
        self.n_soft = len(soft)
        self.tanh_idx = torch.from_numpy(tanh).to(device)
        self.soft_flat = torch.from_numpy(soft_flat).to(device)
        self.soft_seg = torch.from_numpy(seg).to(device)
        self.inverse = torch.from_numpy(inverse).to(device)

    def _segment_exp(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(exp(logits − span max) floored at EXP_FLOOR, span max)`` for flat softmax logits."""
        b = logits.shape[0]
        with torch.no_grad():  # the shift cancels out of softmax and logsumexp alike
            peak = logits.new_full((b, self.n_soft), float("-inf")).scatter_reduce(
                1, self.soft_seg.expand(b, -1), logits, "amax")
        shifted = logits - peak.index_select(1, self.soft_seg)
        return torch.exp(shifted.clamp_min(EXP_FLOOR)), peak

    def _segment_sum(self, values: torch.Tensor) -> torch.Tensor:
        return values.new_zeros(values.shape[0], self.n_soft).index_add_(1, self.soft_seg, values)

    def activate(self, raw: torch.Tensor, *, tau: float | None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """tanh on α; softmax on each span, with Gumbel noise at temperature ``tau`` if given.

        Gumbel noise is drawn from ``generator`` (never torch's global random state), only for
        the softmax positions.
        """
        logits = raw.index_select(1, self.soft_flat)
        if tau is not None:
            u = torch.rand(logits.shape, generator=generator, device=raw.device)
            gumbel = -torch.log((-torch.log(u.clamp_min(1e-20))).clamp_min(1e-20))
            logits = (logits + gumbel) / tau
        e, _ = self._segment_exp(logits)
        soft = e / self._segment_sum(e).index_select(1, self.soft_seg)
        out = torch.cat([torch.tanh(raw.index_select(1, self.tanh_idx)), soft], dim=1)
        return out.index_select(1, self.inverse)

    def softmax_cross_entropy_sum(self, raw: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Σ over rows and softmax spans of cross-entropy(raw span, one-hot target)."""
        logits = raw.index_select(1, self.soft_flat)
        e, peak = self._segment_exp(logits)
        lse = torch.log(self._segment_sum(e)) + peak
        return lse.sum() - (logits * onehot.index_select(1, self.soft_flat)).sum()

    def softmax_cross_entropy_rows(self, raw: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Per row, Σ over softmax spans of cross-entropy(raw span, one-hot target): (B,)."""
        logits = raw.index_select(1, self.soft_flat)
        e, peak = self._segment_exp(logits)
        lse = torch.log(self._segment_sum(e)) + peak
        return lse.sum(1) - (logits * onehot.index_select(1, self.soft_flat)).sum(1)

    def conditional_cross_entropy(self, raw: torch.Tensor, col: torch.Tensor,
                                  cat: torch.Tensor) -> torch.Tensor:
        """Mean over rows of cross-entropy between the conditioned span and its category."""
        idx, mask = self.cond_idx[col], self.cond_mask[col]  # (B, K)
        logits = raw.gather(1, idx)
        with torch.no_grad():
            peak = logits.masked_fill(~mask, float("-inf")).amax(1, keepdim=True)
        shifted = (logits - peak).clamp_min(EXP_FLOOR)
        lse = torch.log((torch.exp(shifted) * mask).sum(1)) + peak.squeeze(1)
        return (lse - logits.gather(1, cat.unsqueeze(1)).squeeze(1)).mean()
