"""One LSTM layer run a step at a time, and its backward pass written out (imports torch).

The per-text gradients of DP-SGD (:mod:`~simulacra.encoders.language.per_text`) need the
gradient of the loss with respect to every step's gate pre-activations, ``dZ``. Autograd can
give it, but spends as much time gathering the per-step pieces as multiplying; here the forward
pass keeps the gates' activations in one ``(texts, steps, 4 × width)`` tensor and the backward
pass writes ``dZ`` into one, step by step, with torch's ``nn.LSTM`` equations (gates in the
order input, forget, cell, output)::

    a_t = z_t + h_{t-1} W_hhᵀ        i, f, o = σ(a_i), σ(a_f), σ(a_o)     g = tanh(a_g)
    c_t = f c_{t-1} + i g            h_t = o tanh(c_t)

>>> import torch
>>> z, h0, c0, w_hh = torch.randn(3, 5, 8), torch.randn(3, 2), torch.randn(3, 2), torch.randn(8, 2)
>>> run = forward(z, h0, c0, w_hh)
>>> d_out = torch.randn(3, 5, 2)
>>> d_z, d_h0, d_c0 = run.backward(d_out)
>>> leaves = [t.clone().requires_grad_() for t in (z, h0, c0)]
>>> autograd = torch.autograd.grad((forward_autograd(*leaves, w_hh) * d_out).sum(), leaves)
>>> all(bool(torch.allclose(a, b, atol=1e-5)) for a, b in zip((d_z, d_h0, d_c0), autograd))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Run:
    """A forward pass kept for its backward pass: ``acts`` the activated gates ``(texts,
    steps, 4 × width)``, ``cells`` ``c_0 … c_T``, ``tanh_cells`` ``tanh(c_1) … tanh(c_T)``,
    ``out`` ``h_1 … h_T``, ``h0`` the first state."""

    acts: torch.Tensor
    cells: torch.Tensor
    tanh_cells: torch.Tensor
    out: torch.Tensor
    h0: torch.Tensor
    w_hh: torch.Tensor

    def before(self) -> torch.Tensor:
        """``(texts, steps, width)``: the state each step starts from, ``h_0 … h_{T-1}``."""
        return torch.cat([self.h0[:, None], self.out[:, :-1]], dim=1)

    def backward(self, d_out: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(dZ, dh_0, dc_0)`` given the loss's gradient ``d_out`` with respect to ``out``."""
        acts, width = self.acts, self.out.shape[2]
        derivative = acts * (1 - acts)  # σ' of the input, forget and output gates
        derivative[..., 2 * width:3 * width] = 1 - acts[..., 2 * width:3 * width].square()
        o = acts[..., 3 * width:]
        via_cell = o * (1 - self.tanh_cells.square())  # ∂h_t / ∂c_t
        d_z = torch.empty_like(acts)
        d_h = torch.zeros_like(self.h0)
        d_c = torch.zeros_like(self.h0)
        for t in range(acts.shape[1] - 1, -1, -1):
            i, f, g, _ = acts[:, t].chunk(4, dim=1)
            d_h = d_out[:, t] + d_h
            d_c = torch.addcmul(d_c, d_h, via_cell[:, t])
            d_a = d_z[:, t]
            torch.mul(d_c, g, out=d_a[:, :width])
            torch.mul(d_c, self.cells[:, t], out=d_a[:, width:2 * width])
            torch.mul(d_c, i, out=d_a[:, 2 * width:3 * width])
            torch.mul(d_h, self.tanh_cells[:, t], out=d_a[:, 3 * width:])
            d_a.mul_(derivative[:, t])
            d_c = d_c * f
            d_h = d_a @ self.w_hh
        return d_z, d_h, d_c


def forward(z: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, w_hh: torch.Tensor) -> Run:
    """The layer over every step: ``z`` ``(texts, steps, 4 × width)`` the input's share of
    the gate pre-activations (biases included), from state ``(h0, c0)``."""
    texts, steps, gates = z.shape
    width = gates // 4
    acts = torch.empty_like(z)
    cells = z.new_empty(texts, steps + 1, width)
    tanh_cells = z.new_empty(texts, steps, width)
    out = z.new_empty(texts, steps, width)
    cells[:, 0] = c0
    h, w = h0, w_hh.T
    with torch.no_grad():
        for t in range(steps):
            a = torch.addmm(z[:, t], h, w)
            act = acts[:, t]
            g = torch.tanh(a[:, 2 * width:3 * width])
            torch.sigmoid(a, out=act)
            act[:, 2 * width:3 * width] = g
            c = cells[:, t + 1]
            torch.mul(act[:, width:2 * width], cells[:, t], out=c)
            c.addcmul_(act[:, :width], g)
            torch.tanh(c, out=tanh_cells[:, t])
            h = torch.mul(act[:, 3 * width:], tanh_cells[:, t], out=out[:, t])
    return Run(acts, cells, tanh_cells, out, h0, w_hh)


def forward_autograd(z: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor,
                     w_hh: torch.Tensor) -> torch.Tensor:
    """The same layer's ``out`` in plain differentiable operations (what the tests compare)."""
    h, c, outs = h0, c0, []
    for z_t in z.unbind(1):
        i, f, g, o = (z_t + h @ w_hh.T).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, dim=1)
