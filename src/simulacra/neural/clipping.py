"""Per-row gradient clipping for DP-SGD (imports torch: imported only when used).

DP-SGD needs each row's gradient clipped to ``max_grad_norm`` before the noisy sum
(:func:`~simulacra.neural.dp_sgd.noisy_step`). Two ways, both tested equal to opacus's
``DPOptimizer`` on materialized per-row gradients:

* :func:`per_row_grads` materializes them with ``torch.func`` (``vmap`` of ``grad`` of the
  per-row loss), which covers any loss, a gradient penalty included; :func:`dp_step` hands
  them to a ``DPOptimizer``;
* :func:`ghost_clipped_sum` never materializes them (ghost clipping): for networks whose
  every trainable parameter is in a linear layer used once per row, or copied per row.

>>> layer = nn.Linear(3, 1)
>>> x = torch.randn(8, 3)
>>> summed = ghost_clipped_sum(layer, lambda: layer(x).square().sum(1), max_norm=1e9)
>>> plain = torch.autograd.grad(layer(x).square().sum(), list(layer.parameters()))
>>> all(torch.allclose(a, b, atol=1e-5) for a, b in zip(summed, plain))  # nothing clipped
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad, vmap


def per_row_grads(module: Any, row_loss: Callable[..., Any], *batch: Any) -> dict[str, Any]:
    """Gradients of ``row_loss`` for every row of ``batch``, per trainable parameter.

    ``row_loss(call, *rows)`` gets ``call(*inputs)`` (the module with the parameters being
    differentiated) and a batch of one row of each input; it returns that row's loss.
    """
    named = {n: p for n, p in module.named_parameters() if p.requires_grad}
    if len(batch[0]) == 0:
        return {n: torch.zeros((0, *p.shape), dtype=p.dtype, device=p.device)
                for n, p in named.items()}
    params = {n: p.detach() for n, p in named.items()}
    buffers = {n: b.detach() for n, b in module.named_buffers()}

    def one(p: dict[str, Any], *row: Any) -> Any:
        def call(*inputs: Any) -> Any:
            return functional_call(module, (p, buffers), inputs)

        return row_loss(call, *(r.unsqueeze(0) for r in row)).sum()

    return vmap(grad(one), in_dims=(None, *([0] * len(batch))))(params, *batch)


def dp_step(module: Any, optimizer: Any, row_loss: Callable[..., Any], *batch: Any) -> None:
    """One DP-SGD step of ``optimizer`` (a ``DPOptimizer`` over ``module``'s parameters)."""
    grads = per_row_grads(module, row_loss, *batch)
    for name, p in module.named_parameters():
        if p.requires_grad:
            p.grad_sample = grads[name]
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


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
