"""A TS2Vec encoder, trained on the real windows, for Context-FID.

TS2Vec (Yue et al., "TS2Vec: Towards Universal Representation of Time Series", AAAI 2022)
learns a representation of every time step by contrastive learning between two overlapping
random crops of the same series, at several time scales. Diffusion-TS (Yuan & Qiao, ICLR 2024,
``Utils/context_fid.py``) embeds real and synthetic windows with a TS2Vec trained on the real
ones and reports the Fréchet distance of the two embeddings (:mod:`.context_fid`). Nothing is
downloaded: the encoder is trained here, from ``random_state``.

The network and its training follow TS2Vec's reference code at Diffusion-TS's settings:

* **encoder** — a linear map of the features to 64 channels; during training a random half of
  the time steps is zeroed there (timestamp masking); then 11 residual blocks of two
  ``same``-padded dilated convolutions (kernel 3, dilations 1, 2, …, 1024; GELU before each),
  the last widening to 320 channels (with a 1×1 projection on its residual path); dropout
  0.1 on the output;
* **training** — AdamW (learning rate 1e-3), batches of 8 windows, 200 iterations (600 when
  the data hold more than 100,000 values); each window is cropped twice, the two crops
  overlapping in a random stretch, and the loss is the hierarchical contrastive loss on the
  overlap: at each scale (max-pooling time by 2 until one step is left) half an *instance*
  loss (a step against the same step of the other windows in the batch) and half a
  *temporal* loss (a step against the other steps of its window); the weights used for
  encoding are the running average of all iterates (stochastic weight averaging);
* **encoding** — the full window without masking, max-pooled over time: one 320-vector per
  window.

This module imports torch; :mod:`.context_fid` imports it only when a score is computed.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812  (torch's own convention)
from torch import nn

#: TS2Vec's widths and depth, as Diffusion-TS runs it.
HIDDEN = 64
OUTPUT = 320
DEPTH = 10
BATCH_SIZE = 8
LEARNING_RATE = 1e-3
#: TS2Vec's default length of training: iterations for small and large data.
SMALL_ITERATIONS, LARGE_ITERATIONS, LARGE_DATA = 200, 600, 100_000


class _SamePadConv(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, dilation: int) -> None:
        super().__init__()
        field = 2 * dilation + 1                                   # kernel 3
        self.conv = nn.Conv1d(channels_in, channels_out, 3, padding=field // 2,
                              dilation=dilation)
        self.remove = 1 if field % 2 == 0 else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out[:, :, :-self.remove] if self.remove else out


class _ConvBlock(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, dilation: int,
                 final: bool) -> None:
        super().__init__()
        self.conv1 = _SamePadConv(channels_in, channels_out, dilation)
        self.conv2 = _SamePadConv(channels_out, channels_out, dilation)
        self.projector = nn.Conv1d(channels_in, channels_out, 1) \
            if channels_in != channels_out or final else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.projector is None else self.projector(x)
        x = self.conv2(F.gelu(self.conv1(F.gelu(x))))
        return x + residual


class TS2VecEncoder(nn.Module):
    """Windows ``(B, T, F)`` → per-step representations ``(B, T, 320)``."""

    def __init__(self, features: int, hidden: int = HIDDEN, output: int = OUTPUT,
                 depth: int = DEPTH) -> None:
        super().__init__()
        self.input_fc = nn.Linear(features, hidden)
        widths = [hidden] * depth + [output]
        self.blocks = nn.Sequential(*[
            _ConvBlock(widths[i - 1] if i else hidden, widths[i], 2 ** i, i == len(widths) - 1)
            for i in range(len(widths))])
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        observed = ~torch.isnan(x).any(dim=-1)
        h = self.input_fc(torch.nan_to_num(x))
        keep = observed if mask is None else observed & mask
        h = h * keep[..., None]
        return self.dropout(self.blocks(h.transpose(1, 2))).transpose(1, 2)


def hierarchical_contrastive_loss(z1: torch.Tensor, z2: torch.Tensor,
                                  alpha: float = 0.5) -> torch.Tensor:
    """TS2Vec's loss of two views ``(B, T, C)`` of the same steps, over halving time scales."""
    loss = torch.zeros((), device=z1.device)
    levels = 0
    while z1.shape[1] > 1:
        loss = loss + alpha * _instance_loss(z1, z2) + (1 - alpha) * _temporal_loss(z1, z2)
        levels += 1
        z1 = F.max_pool1d(z1.transpose(1, 2), kernel_size=2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), kernel_size=2).transpose(1, 2)
    if z1.shape[1] == 1:
        loss = loss + alpha * _instance_loss(z1, z2)
        levels += 1
    return loss / levels


def _contrast(z: torch.Tensor, half: int) -> torch.Tensor:
    """Mean cross-entropy of each of ``2 · half`` items picking its twin (``i`` ↔ ``half + i``)
    among the others; ``z`` is ``(G, 2 · half, C)``."""
    sim = z @ z.transpose(1, 2)                                    # (G, 2h, 2h)
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1] + torch.triu(sim, diagonal=1)[:, :, 1:]
    logits = -F.log_softmax(logits, dim=-1)
    i = torch.arange(half, device=z.device)
    return (logits[:, i, half + i - 1].mean() + logits[:, half + i, i].mean()) / 2


def _instance_loss(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    if z1.shape[0] == 1:
        return torch.zeros((), device=z1.device)
    return _contrast(torch.cat([z1, z2], dim=0).transpose(0, 1), z1.shape[0])


def _temporal_loss(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    if z1.shape[1] == 1:
        return torch.zeros((), device=z1.device)
    return _contrast(torch.cat([z1, z2], dim=1), z1.shape[1])


def train_ts2vec(windows: np.ndarray, rng: np.random.Generator,
                 iterations: int | None = None, device: torch.device | None = None
                 ) -> TS2VecEncoder:
    """A TS2Vec encoder trained on ``windows`` ``(N, T, F)`` (its averaged weights, in eval
    mode); torch's own seed must be set by the caller."""
    device = device or torch.device("cpu")
    n, length, features = windows.shape
    if iterations is None:
        iterations = LARGE_ITERATIONS if windows.size > LARGE_DATA else SMALL_ITERATIONS
    net = TS2VecEncoder(features).to(device)
    average = torch.optim.swa_utils.AveragedModel(net)
    opt = torch.optim.AdamW(net.parameters(), lr=LEARNING_RATE)
    data = torch.from_numpy(windows.astype(np.float32)).to(device)
    net.train()
    for _ in range(int(iterations)):
        x = data[torch.from_numpy(rng.choice(n, size=min(BATCH_SIZE, n), replace=False))]
        crop = int(rng.integers(2, length + 1))                    # the shared stretch
        left = int(rng.integers(length - crop + 1))
        right = left + crop
        outer_left = int(rng.integers(left + 1))
        outer_right = int(rng.integers(right, length + 1))
        offset = rng.integers(-outer_left, length - outer_right + 1, size=len(x))
        view1 = _take(x, offset + outer_left, right - outer_left)
        view2 = _take(x, offset + left, outer_right - left)
        z1 = net(view1, _mask(view1, rng, device))[:, -crop:]
        z2 = net(view2, _mask(view2, rng, device))[:, :crop]
        loss = hierarchical_contrastive_loss(z1, z2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        average.update_parameters(net)
    encoder = average.module
    encoder.eval()
    return encoder


def encode(encoder: TS2VecEncoder, windows: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """One vector per window ``(N, 320)``: the representation max-pooled over time."""
    device = next(encoder.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(0, len(windows), chunk):
            x = torch.from_numpy(windows[i:i + chunk].astype(np.float32)).to(device)
            out.append(encoder(x).amax(dim=1).cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def _take(x: torch.Tensor, starts: np.ndarray, width: int) -> torch.Tensor:
    """Rows of ``x`` ``(B, T, F)`` from their own start, ``width`` steps (NaN outside)."""
    padded = F.pad(x, (0, 0, x.shape[1], x.shape[1]), value=float("nan"))
    index = torch.from_numpy(starts[:, None] + np.arange(width)[None] + x.shape[1]).to(x.device)
    return padded[torch.arange(len(x), device=x.device)[:, None], index]


def _mask(x: torch.Tensor, rng: np.random.Generator, device: torch.device) -> torch.Tensor:
    """TS2Vec's binomial timestamp mask: each step kept with probability 0.5."""
    return torch.from_numpy(rng.random(x.shape[:2]) < 0.5).to(device)
