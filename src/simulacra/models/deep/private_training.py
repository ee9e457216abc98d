"""The DP-SGD training loops of TVAE and CTGAN (imports torch: imported only when used).

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
>>> from simulacra.models.deep.transformer import Span
>>> layout = OutputLayout([Span(0, 1, "tanh", "x"), Span(1, 2, "softmax", "x")], [], "cpu")
>>> vae = VAELoss(Encoder(3, (8,), 4), Decoder(4, (8,), 3), layout, loss_factor=2.0)
>>> vae(torch.zeros(5, 3), torch.zeros(5, 4)).shape  # one loss per row
torch.Size([5])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from simulacra.models.deep import networks as nets
from simulacra.models.deep.dp_sgd import (
    DPPlan,
    dp_optimizer,
    dp_step,
    noisy_step,
    poisson_batches,
    poisson_rows,
)
from simulacra.models.neural.denormals import EXP_FLOOR
from simulacra.models.neural.optim import adam
from simulacra.models.neural.torch import torch_session

GP_LAMBDA = 10.0
GUMBEL_TAU = 0.2


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


def train_tvae(model: Any, data: np.ndarray, plan: DPPlan, seed: int, device: Any) -> Any:
    """DP-SGD on TVAE; returns the decoder. Sets ``model.dp_steps_`` to the steps taken."""
    data_dim = data.shape[1]
    loop_rng = np.random.default_rng(seed)
    with torch_session(seed, device) as gen:
        layout = nets.OutputLayout(model.transformer_.spans_, [], device)
        enc = nets.Encoder(data_dim, model.compress_dims, model.embedding_dim).to(device)
        dec = nets.Decoder(model.embedding_dim, model.decompress_dims, data_dim).to(device)
        vae = VAELoss(enc, dec, layout, model.loss_factor)
        params = [p for p in vae.parameters() if p.requires_grad]
        opt = adam(params, lr=model.learning_rate, betas=(0.9, 0.999),
                        weight_decay=model.l2scale)
        x_all = torch.from_numpy(data).to(device)
        for rows in poisson_batches(model, plan, loop_rng):
            x = x_all[torch.from_numpy(rows).to(device)]
            eps = torch.randn((len(rows), model.embedding_dim), generator=gen, device=device)
            summed = ghost_clipped_grads(vae, x, eps, plan.max_grad_norm)
            noisy_step(opt, params, summed, plan, gen)
            with torch.no_grad():
                dec.sigma.clamp_(0.01, 1.0)
    return dec.cpu().eval()


def train_ctgan(model: Any, data: np.ndarray, codes: np.ndarray, plan: DPPlan, seed: int,
                device: Any) -> Any:
    """DP-SGD on CTGAN's critic, plain Adam on its generator; returns the generator.

    ``codes`` (n, discrete columns) are the rows' categorical codes, for their own conditions.
    """
    n, data_dim = data.shape
    sampler = model.sampler_
    cond_dim = sampler.n_categories_
    loop_rng = np.random.default_rng(seed)
    batch = int(model.batch_size)
    model.dp_steps_ = 0
    with torch_session(seed, device) as gen:
        layout = nets.OutputLayout(model.transformer_.spans_, model.transformer_.discrete_spans_,
                                   device)
        G = nets.Generator(model.embedding_dim + cond_dim, model.generator_dim,
                           data_dim).to(device)
        D = nets.Discriminator(data_dim + cond_dim, model.discriminator_dim, 1).to(device)
        D.eval()  # no dropout: per-row gradients are taken through the critic
        opt_g = adam(G.parameters(), lr=model.generator_lr, betas=(0.5, 0.9),
                          weight_decay=model.generator_decay)
        opt_d = dp_optimizer(adam(D.parameters(), lr=model.discriminator_lr,
                                       betas=(0.5, 0.9), weight_decay=model.discriminator_decay),
                             plan, gen)
        real_all = torch.from_numpy(data).to(device)

        def fake_rows(size: int) -> tuple[Any, Any, Any, Any]:
            """(raw output, activated rows ⊕ condition, column, category) for ``size`` rows."""
            z = torch.randn(size, model.embedding_dim, generator=gen, device=device)
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
            rows = poisson_rows(n, plan.sample_rate, loop_rng)
            real = real_rows(rows)
            with torch.no_grad():
                _, fake, _, _ = fake_rows(len(rows))
            alpha = torch.rand((len(rows), 1), generator=gen, device=device)
            dp_step(D, opt_d, _critic_pair, real, fake, alpha)
            model.dp_steps_ += 1

        steps = max(n // batch, 1)
        with model._epochs(["loss_g"]) as loop:
            for _ in loop:
                for _ in range(steps):
                    for _ in range(int(model.discriminator_steps)):
                        critic_step()
                    raw, fake, col, cat = fake_rows(batch)
                    D.requires_grad_(False)
                    loss_g = -D(fake).mean()
                    D.requires_grad_(True)
                    if cond_dim:
                        loss_g = loss_g + layout.conditional_cross_entropy(
                            raw, torch.from_numpy(col).to(device),
                            torch.from_numpy(cat).to(device))
                    opt_g.zero_grad(set_to_none=True)
                    loss_g.backward()
                    opt_g.step()
                loop.end_epoch({"loss_g": loss_g.item()})
    return G.cpu().eval()


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


def ghost_clipped_sum(module: nn.Module, row_losses: Callable[[], torch.Tensor],
                      max_norm: float,
                      row_copies: Callable[[], list[tuple[nn.Parameter, torch.Tensor]]]
                      = lambda: []) -> list[torch.Tensor]:
    """Σ over rows of each row's gradient clipped to ``max_norm``, per parameter of ``module``.

    Ghost clipping (Goodfellow 2015; Li et al. 2022): a row's gradient of a linear layer is the
    outer product of the layer's output gradient and input for that row, so its norm is
    ``‖g‖·‖(a, 1)‖`` — no per-row gradient is ever materialized. One backward pass gives the
    rows' norms, a second one the sum of the rows' losses weighted by their clipping factors.
    Equal to opacus's clipping of materialized per-row gradients (tested).

    ``row_losses()`` runs the forward pass and returns one loss per row. Every trainable
    parameter must be in a biased ``nn.Linear`` called once per forward pass on ``(rows,
    features)``, or be given by ``row_copies()`` (called after the forward pass) as
    ``(parameter, its copy expanded to (rows, …))``, whose gradient holds each row's share.
    """
    inputs: list[torch.Tensor] = []
    outputs: list[torch.Tensor] = []

    def keep(layer: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        inputs.append(args[0].detach())
        outputs.append(out)

    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    hooks = [m.register_forward_hook(keep) for m in linears]
    try:
        losses = row_losses()
    finally:
        for h in hooks:
            h.remove()
    copies = row_copies()
    covered = {id(p) for m in linears for p in m.parameters()} | {id(p) for p, _ in copies}
    if any(id(p) not in covered for p in module.parameters() if p.requires_grad) or \
            any(m.bias is None for m in linears) or len(inputs) != len(linears) or \
            any(a.dim() != 2 for a in inputs):
        raise TypeError("ghost clipping covers biased linear layers, each called once on "
                        "(rows, features), and parameters copied per row only")
    rows = [c for _, c in copies]
    grads = torch.autograd.grad(losses.sum(), [*outputs, *rows], retain_graph=True)
    norm2 = torch.zeros(len(losses), device=losses.device)
    for g in grads[len(outputs):]:
        norm2 = norm2 + (g ** 2).flatten(1).sum(1)
    for a, g in zip(inputs, grads[:len(outputs)], strict=True):
        norm2 = norm2 + (g ** 2).sum(1) * ((a ** 2).sum(1) + 1)
    factor = (max_norm / (norm2.sqrt() + 1e-6)).clamp(max=1.0)
    params = [p for p in module.parameters() if p.requires_grad]
    summed = torch.autograd.grad((losses * factor.detach()).sum(), params, allow_unused=True)
    return [torch.zeros_like(p) if s is None else s for p, s in zip(params, summed, strict=True)]
