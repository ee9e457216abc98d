"""The language model of a text column: an LSTM over the tokens, given the row (imports torch).

The row's context codes are embedded column by column and summed into one vector ``c``; ``c``
sets the LSTM's first state and is added to every token's embedding, so every step reads the
row. The output layer shares its weights with the token embedding (tied weights: fewer numbers
to learn and to store).

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
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.width, self.layers = width, layers
        self.embed = nn.Embedding(vocabulary, width)
        self.context = nn.ModuleList(nn.Embedding(size, width) for size in context_sizes)
        self.start = nn.Linear(width, 2 * layers * width)
        self.lstm = nn.LSTM(width, width, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.bias = nn.Parameter(torch.zeros(vocabulary))

    def row_vector(self, codes: torch.Tensor) -> torch.Tensor:
        """``(batch, width)``: the sum of the context columns' embeddings (zeros without)."""
        out = torch.zeros(codes.shape[0], self.width, device=codes.device)
        for j, embedding in enumerate(self.context):
            out = out + embedding(codes[:, j])
        return out

    def initial_state(self, row: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The LSTM's first ``(h, c)`` from the row vector."""
        start = torch.tanh(self.start(row)).view(row.shape[0], 2, self.layers, self.width)
        h, c = start[:, 0].transpose(0, 1), start[:, 1].transpose(0, 1)
        return h.contiguous(), c.contiguous()

    def step(self, tokens: torch.Tensor, row: torch.Tensor,
             state: tuple[torch.Tensor, torch.Tensor]
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits ``(batch, steps, vocabulary)`` after ``tokens`` from ``state``, and the new
        state (sampling runs one step at a time)."""
        x = self.drop(self.embed(tokens) + row[:, None, :])
        out, state = self.lstm(x, state)
        return self.drop(out) @ self.embed.weight.T + self.bias, state

    def forward(self, tokens: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        row = self.row_vector(codes)
        logits, _ = self.step(tokens, row, self.initial_state(row))
        return logits
