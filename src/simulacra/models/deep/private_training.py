"""The DP-SGD training loops of TVAE and CTGAN (imports torch: imported only when used).

Each trainer takes a frozen settings object (:class:`TVAESettings`, :class:`CTGANSettings`:
the hyperparameters it needs), the data and its span layout, the plan, a seed, the device and
the model's epoch loop, and hands back a :class:`~simulacra.neural.dp_sgd.DPResult`.

* TVAE: the whole encoder + decoder (and the decoder's learnable output scales) is trained
  with DP-SGD on the per-row negative ELBO, clipped by ghost clipping
  (:func:`ghost_clipped_grads`: no per-row gradient is materialized).
* CTGAN: only the critic sees real rows, so only its updates are DP-SGD; the generator learns
  from the critic's scores of generated rows (post-processing). Under DP the critic does not
  pack rows (``pac`` is treated as 1: a pack would mix rows, so one row could move several
  clipped terms), has no dropout, and each of its per-row terms is a *pair*: a real row, a
  generated row and the WGAN-GP gradient penalty at a point between them, clipped together.
  Training-by-sampling would pick real rows by category; instead real rows are Poisson
  sampled and carry their own condition (a random categorical column and the row's own
  category in it), while generated rows get conditions drawn from the DP code counts
  (∝ frequency, so the two match; ``log_frequency`` does not apply).

>>> import torch
>>> from simulacra.models.deep.networks import Decoder, Encoder, OutputLayout
>>> from simulacra.models.deep.mode_normalizer import Span
>>> layout = OutputLayout([Span(0, 1, "tanh", "x"), Span(1, 2, "softmax", "x")], [], "cpu")
>>> vae = VAELoss(Encoder(3, (8,), 4), Decoder(4, (8,), 3), layout, loss_factor=2.0)
>>> vae(torch.zeros(5, 3), torch.zeros(5, 4)).shape  # one loss per row
torch.Size([5])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from simulacra.models.deep import networks as nets
from simulacra.models.deep.mode_normalizer import Span
from simulacra.models.deep.sampler import ConditionalSampler
from simulacra.neural.clipping import dp_step, ghost_clipped_sum
from simulacra.neural.denormals import EXP_FLOOR
from simulacra.neural.dp_sgd import (
    DPPlan,
    DPResult,
    PoissonBatches,
    dp_optimizer,
    noisy_step,
    poisson_rows,
)
from simulacra.neural.optim import adam
from simulacra.neural.torch import torch_session
from simulacra.neural.training import EpochLoop

GP_LAMBDA = 10.0
GUMBEL_TAU = 0.2


@dataclass(frozen=True)
class TVAESettings:
    """The hyperparameters of TVAE's DP-SGD training."""

    embedding_dim: int
    compress_dims: tuple[int, ...]
    decompress_dims: tuple[int, ...]
    learning_rate: float
    l2scale: float
    loss_factor: float


@dataclass(frozen=True)
class CTGANSettings:
    """The hyperparameters of CTGAN's DP-SGD training (``pac`` is 1 under DP)."""

    embedding_dim: int
    generator_dim: tuple[int, ...]
    discriminator_dim: tuple[int, ...]
    generator_lr: float
    generator_decay: float
    discriminator_lr: float
    discriminator_decay: float
    discriminator_steps: int
    batch_size: int


class VAELoss(nn.Module):
    """TVAE's negative ELBO per row, for ``(rows, standard normal draws)``."""

    def __init__(self, enc: nn.Module, dec: nn.Module, layout: nets.OutputLayout,
                 loss_factor: float) -> None:
        super().__init__()
        self.enc, self.dec = enc, dec
        self.layout = layout
        self.loss_factor = float(loss_factor)

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.enc(x)
        var = logvar.clamp_min(EXP_FLOOR).exp()
        raw = self.dec(eps * var.sqrt() + mu)
        tanh_idx = self.layout.tanh_idx
        # the output scales, one copy per row: their gradient then holds each row's share
        sigma = self.dec.sigma[tanh_idx].expand(x.shape[0], -1)
        self.sigma_rows = sigma
        err = x[:, tanh_idx] - torch.tanh(raw[:, tanh_idx])
        rec = ((err ** 2) / (2 * sigma ** 2)).sum(1) + torch.log(sigma).sum(1)
        rec = rec + self.layout.softmax_cross_entropy_rows(raw, x)
        kld = -0.5 * torch.sum(1 + logvar - mu ** 2 - var, dim=1)
        return rec * self.loss_factor + kld


def train_tvae(settings: TVAESettings, data: np.ndarray, spans: Sequence[Span], *,
               plan: DPPlan, seed: int, device: Any, loop: EpochLoop) -> DPResult:
    """DP-SGD on TVAE over ``data`` (laid out in ``spans``); the result holds the decoder."""
    data_dim = data.shape[1]
    loop_rng = np.random.default_rng(seed)
    with torch_session(seed, device) as gen:
        layout = nets.OutputLayout(spans, [], device)
        enc = nets.Encoder(data_dim, settings.compress_dims, settings.embedding_dim).to(device)
        dec = nets.Decoder(settings.embedding_dim, settings.decompress_dims,
                           data_dim).to(device)
        vae = VAELoss(enc, dec, layout, settings.loss_factor)
        params = [p for p in vae.parameters() if p.requires_grad]
        opt = adam(params, lr=settings.learning_rate, betas=(0.9, 0.999),
                   weight_decay=settings.l2scale)
        x_all = torch.from_numpy(data).to(device)
        batches = PoissonBatches(plan, loop_rng, loop)
        for rows in batches:
            x = x_all[torch.from_numpy(rows).to(device)]
            eps = torch.randn((len(rows), settings.embedding_dim), generator=gen, device=device)
            summed = ghost_clipped_grads(vae, x, eps, plan.max_grad_norm)
            noisy_step(opt, params, summed, plan, gen)
            with torch.no_grad():
                dec.sigma.clamp_(0.01, 1.0)
    return DPResult(dec.cpu().eval(), batches.steps)


def train_ctgan(settings: CTGANSettings, data: np.ndarray, codes: np.ndarray,
                sampler: ConditionalSampler, spans: Sequence[Span], discrete_spans: Sequence[Span],
                *, plan: DPPlan, seed: int, device: Any, loop: EpochLoop) -> DPResult:
    """DP-SGD on CTGAN's critic, plain Adam on its generator; the result holds the generator.

    ``data`` is laid out in ``spans`` (``discrete_spans`` in conditional-vector order, as in
    ``sampler``, which draws generated rows' conditions from the DP counts); ``codes``
    (n, discrete columns) are the rows' categorical codes, for their own conditions. The
    result's steps are the critic's DP-SGD steps.
    """
    n, data_dim = data.shape
    cond_dim = sampler.n_categories_
    loop_rng = np.random.default_rng(seed)
    batch = settings.batch_size
    dp_steps = 0
    with torch_session(seed, device) as gen:
        layout = nets.OutputLayout(spans, discrete_spans, device)
        G = nets.Generator(settings.embedding_dim + cond_dim, settings.generator_dim,
                           data_dim).to(device)
        D = nets.Discriminator(data_dim + cond_dim, settings.discriminator_dim, 1).to(device)
        D.eval()  # no dropout: per-row gradients are taken through the critic
        opt_g = adam(G.parameters(), lr=settings.generator_lr, betas=(0.5, 0.9),
                     weight_decay=settings.generator_decay)
        opt_d = dp_optimizer(adam(D.parameters(), lr=settings.discriminator_lr,
                                  betas=(0.5, 0.9), weight_decay=settings.discriminator_decay),
                             plan, gen)
        real_all = torch.from_numpy(data).to(device)

        def fake_rows(size: int) -> tuple[Any, Any, Any, Any]:
            """(raw output, activated rows ⊕ condition, column, category) for ``size`` rows."""
            z = torch.randn(size, settings.embedding_dim, generator=gen, device=device)
            if not cond_dim:
                raw = G(z)
                return raw, layout.activate(raw, tau=GUMBEL_TAU, generator=gen), None, None
            cond, col, cat = sampler.sample_condvec(size, loop_rng, log_frequency=False)
            cond_t = torch.from_numpy(cond).to(device)
            raw = G(torch.cat([z, cond_t], dim=1))
            fake = layout.activate(raw, tau=GUMBEL_TAU, generator=gen)
            return raw, torch.cat([fake, cond_t], dim=1), col, cat

        def real_rows(rows: np.ndarray) -> Any:
            real = real_all[torch.from_numpy(rows).to(device)]
            if not cond_dim:
                return real
            col = loop_rng.integers(0, sampler.n_columns_, len(rows))
            cond = np.zeros((len(rows), cond_dim), dtype=np.float32)
            cond[np.arange(len(rows)), sampler.offsets_[col] + codes[rows, col]] = 1.0
            return torch.cat([real, torch.from_numpy(cond).to(device)], dim=1)

        def critic_step() -> None:
            nonlocal dp_steps
            rows = poisson_rows(n, plan.sample_rate, loop_rng)
            real = real_rows(rows)
            with torch.no_grad():
                _, fake, _, _ = fake_rows(len(rows))
            alpha = torch.rand((len(rows), 1), generator=gen, device=device)
            dp_step(D, opt_d, _critic_pair, real, fake, alpha)
            dp_steps += 1

        steps = max(n // batch, 1)
        for _ in loop:
            for _ in range(steps):
                for _ in range(settings.discriminator_steps):
                    critic_step()
                raw, fake, col, cat = fake_rows(batch)
                D.requires_grad_(False)
                loss_g = -D(fake).mean()
                D.requires_grad_(True)
                if cond_dim:
                    loss_g = loss_g + layout.conditional_cross_entropy(
                        raw, torch.from_numpy(col).to(device), torch.from_numpy(cat).to(device))
                opt_g.zero_grad(set_to_none=True)
                loss_g.backward()
                opt_g.step()
            loop.end_epoch({"loss_g": loss_g.item()})
    return DPResult(G.cpu().eval(), dp_steps)


def _critic_pair(call: Any, real: Any, fake: Any, alpha: Any) -> Any:
    """Critic loss of one (real row, generated row) pair, with the gradient penalty between."""
    from torch.func import grad

    mixed = alpha * real + (1 - alpha) * fake
    slope = grad(lambda m: call(m).sum())(mixed)
    penalty = GP_LAMBDA * (slope.norm(2) - 1) ** 2
    return call(fake).sum() - call(real).sum() + penalty


def ghost_clipped_grads(vae: VAELoss, x: torch.Tensor, eps: torch.Tensor,
                        max_norm: float) -> list[torch.Tensor]:
    """TVAE's clipped gradient sum (:func:`ghost_clipped_sum` of the negative ELBO); the
    decoder's output scales are copied per row in the forward pass (``vae.sigma_rows``)."""
    sigma = vae.dec.sigma

    def copies() -> list[tuple[nn.Parameter, torch.Tensor]]:
        return [(sigma, vae.sigma_rows)] if sigma.requires_grad else []

    return ghost_clipped_sum(vae, lambda: vae(x, eps), max_norm, copies)
