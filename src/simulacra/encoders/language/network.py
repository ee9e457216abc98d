"""The language model of a text column: an LSTM over the tokens, given the row (imports torch).

The row's context codes are embedded column by column and summed into one vector ``c``; ``c``
sets the LSTM's first state and is added to every token's embedding, so every step reads the
row. With ``row_prior``, each context value also has a bias on every token's logit (a table of
``size × vocabulary`` per column, starting at zero): which words a book uses is read off the
row directly. The output layer shares its weights with the token embedding (tied weights:
fewer numbers to learn and to store). ``unrolled`` runs the same LSTM equations a step at a
time in plain tensor operations, which ``torch.func.vmap`` can take per-text gradients of
(DP-SGD, :mod:`~simulacra.encoders.language.private`).

>>> import torch
>>> net = TextLSTM(vocabulary=50, context_sizes=[4, 3], width=16, layers=1)
>>> tokens = torch.tensor([[1, 7, 9, 2], [1, 3, 2, 0]])
>>> net(tokens, torch.tensor([[0, 1], [3, 2]])).shape
torch.Size([2, 4, 50])
"""

from __future__ import annotations

import torch
from torch import nn


class TextLSTM(nn.Module):
    """Tokens ``(batch, steps)`` and context codes ``(batch, columns)`` → next-token logits."""

    def __init__(self, vocabulary: int, context_sizes: list[int], *, width: int, layers: int,
                 dropout: float = 0.0, row_prior: bool = False) -> None:
        super().__init__()
        self.width, self.layers = width, layers
        self.embed = nn.Embedding(vocabulary, width)
        self.context = nn.ModuleList(nn.Embedding(size, width) for size in context_sizes)
        # a logit bias per context value (starts at zero): which words a book uses, read
        # directly instead of through the LSTM's state
        self.prior = nn.ModuleList(nn.Embedding(size, vocabulary) for size in context_sizes) \
            if row_prior else None
        if self.prior is not None:
            for table in self.prior:
                nn.init.zeros_(table.weight)
        self.start = nn.Linear(width, 2 * layers * width)
        self.lstm = nn.LSTM(width, width, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.bias = nn.Parameter(torch.zeros(vocabulary))
        self.unrolled = False

    def row_vector(self, codes: torch.Tensor) -> torch.Tensor:
        """``(batch, width)``: the sum of the context columns' embeddings (zeros without)."""
        out = torch.zeros(codes.shape[0], self.width, device=codes.device)
        for j, embedding in enumerate(self.context):
            out = out + embedding(codes[:, j])
        return out

    def row_bias(self, codes: torch.Tensor) -> torch.Tensor | None:
        """``(batch, vocabulary)``: the context values' logit biases summed (None without)."""
        if not self.prior:  # no bias, or no context column
            return None
        return sum(table(codes[:, j]) for j, table in enumerate(self.prior))

    def initial_state(self, row: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The LSTM's first ``(h, c)`` from the row vector."""
        start = torch.tanh(self.start(row)).view(row.shape[0], 2, self.layers, self.width)
        h, c = start[:, 0].transpose(0, 1), start[:, 1].transpose(0, 1)
        return h.contiguous(), c.contiguous()

    def step(self, tokens: torch.Tensor, row: torch.Tensor,
             state: tuple[torch.Tensor, torch.Tensor], bias: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits ``(batch, steps, vocabulary)`` after ``tokens`` from ``state``, and the new
        state (sampling runs one step at a time); ``bias`` is :meth:`row_bias`."""
        x = self.drop(self.embed(tokens) + row[:, None, :])
        out, state = self.recur(x, state)
        logits = self.drop(out) @ self.embed.weight.T + self.bias
        return (logits if bias is None else logits + bias[:, None, :]), state

    def recur(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
              ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """The LSTM over ``x`` ``(batch, steps, width)`` from ``state``: the fused kernel, or
        (``unrolled``) the same equations a step and a layer at a time.

        >>> net = TextLSTM(vocabulary=9, context_sizes=[], width=4, layers=2)
        >>> x, state = torch.randn(3, 5, 4), (torch.randn(2, 3, 4), torch.randn(2, 3, 4))
        >>> fused, _ = net.recur(x, state)
        >>> net.unrolled = True
        >>> bool(torch.allclose(fused, net.recur(x, state)[0], atol=1e-6))
        True
        """
        if not self.unrolled:
            return self.lstm(x, state)
        hs, cs = [], []
        for layer in range(self.layers):
            w_ih = getattr(self.lstm, f"weight_ih_l{layer}")
            w_hh = getattr(self.lstm, f"weight_hh_l{layer}")
            b = getattr(self.lstm, f"bias_ih_l{layer}") + getattr(self.lstm, f"bias_hh_l{layer}")
            gates_x = x @ w_ih.T + b  # (batch, steps, 4 width): input, forget, cell, output
            h, c = state[0][layer], state[1][layer]
            out = []
            for t in range(x.shape[1]):
                i, f, g, o = (gates_x[:, t] + h @ w_hh.T).chunk(4, dim=-1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                out.append(h)
            x = torch.stack(out, dim=1)
            hs.append(h)
            cs.append(c)
        return x, (torch.stack(hs), torch.stack(cs))

    def forward(self, tokens: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        row = self.row_vector(codes)
        logits, _ = self.step(tokens, row, self.initial_state(row), self.row_bias(codes))
        return logits
