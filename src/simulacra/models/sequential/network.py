"""The sequence network: an entity's context, then its events one at a time.

``p(context, events) = p(context) · Π_t p(stop_t, event_t | context, events_<t)``:

1. the context (the entity's own columns, or its parent row in a database) is one row of
   tokens, modelled by a :class:`~simulacra.models.autoregressive.network.ColumnMADE` and
   summarised as a vector ``c`` (its token embeddings, projected);
2. a GRU reads the events so far (each event's token embeddings, projected) starting from
   ``c``; its output at step ``t``, plus ``c`` and an embedding of the position ``t``, is the
   *condition* of step ``t``;
3. a conditioned column MADE (:class:`ConditionedMADE`) gives step ``t``'s tokens one column
   at a time: first a stop token (does the sequence end here?), then the event's columns, each
   given the columns before it and the condition.

Training is teacher-forced over padded sequences (one pass of the GRU per batch); sampling runs
the GRU one step at a time for all entities at once, and a column at a time within a step.

This module imports torch; the model imports it only when it is fitted, sampled or loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from simulacra.models.autoregressive.network import ColumnMADE

#: Positions with their own embedding; later steps share the last one.
POSITIONS = 32
#: Periods (in steps) of the sine and cosine of an event's position that a network over
#: sequences longer than :data:`POSITIONS` also reads: hours in a day and a week, days in a
#: week and a year, months in a year, minutes in an hour, quarters. Past position 32 the
#: shared embedding says nothing of where in a day a reading falls; these do, at any length.
PERIODS = (4.0, 7.0, 12.0, 24.0, 60.0, 168.0, 365.25)


class ConditionedMADE(ColumnMADE):
    """A :class:`ColumnMADE` whose every column block also sees a condition vector."""

    def __init__(self, sizes: Sequence[int], embedding_dim: int, hidden_dim: int,
                 condition_dim: int) -> None:
        super().__init__(sizes, embedding_dim, hidden_dim)
        self.wc = nn.Parameter((torch.rand(condition_dim, self.c * self.h) * 2 - 1)
                               / np.sqrt(condition_dim))

    def conditioned_logits(self, tokens: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, C, K)`` of every column given the columns before it and ``condition``."""
        x = self._inputs(tokens)
        z1 = torch.addmm(self.b1, x, self.w1 * self.mask1) + condition @ self.wc
        h1 = torch.relu(z1).reshape(-1, self.c, self.h)
        h2 = torch.relu(torch.einsum("bch,chg->bcg", h1, self.w2) + self.b2) + h1
        return torch.einsum("bch,chk->bck", h2, self.wo) + self.bo

    def conditioned_column(self, tokens: torch.Tensor, j: int,
                           condition: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, sizes[j])`` of column ``j`` (columns ``< j`` of ``tokens`` matter)."""
        x = self._inputs(tokens)
        cols = slice(j * self.h, (j + 1) * self.h)
        z1 = torch.addmm(self.b1[cols], x, (self.w1 * self.mask1)[:, cols]) \
            + condition @ self.wc[:, cols]
        h1 = torch.relu(z1)
        h2 = torch.relu(h1 @ self.w2[j] + self.b2[j]) + h1
        return (h2 @ self.wo[j] + self.bo[j])[:, :self.sizes[j]]


class SequenceNet(nn.Module):
    """Context tokens ``(B, Cc)`` and step tokens ``(B, S, 1 + Ce)`` → negative log-likelihood.

    Step tokens hold, per step, the stop token (0: an event follows, 1: the sequence ends)
    and the event's tokens (anything, e.g. 0, on a stop step).
    """

    def __init__(self, context_sizes: Sequence[int], event_sizes: Sequence[int],
                 embedding_dim: int, hidden_dim: int, state_dim: int,
                 clock: Clock | None = None, counted: bool = False,
                 periodic: bool = False) -> None:
        super().__init__()
        d, g = embedding_dim, state_dim
        self.context_sizes = [int(s) for s in context_sizes]
        self.event_sizes = [int(s) for s in event_sizes]
        self.g = g
        self.context = ColumnMADE(self.context_sizes, d, hidden_dim) \
            if self.context_sizes else None
        if self.context_sizes:
            self.context_embed = nn.Embedding(sum(self.context_sizes), d)
            self.context_proj = nn.Linear(len(self.context_sizes) * d, g)
            self.register_buffer("context_offsets", _offsets(self.context_sizes),
                                 persistent=False)
        if self.event_sizes:
            self.event_embed = nn.Embedding(sum(self.event_sizes), d)
            self.event_proj = nn.Linear(len(self.event_sizes) * d, g)
            self.register_buffer("event_offsets", _offsets(self.event_sizes), persistent=False)
        self.start = nn.Parameter(torch.zeros(g))
        self.gru = nn.GRU(g, g, batch_first=True)
        #: Run the GRU step by step (``torch.func`` cannot batch the fused kernel: DP-SGD's
        #: per-entity gradients, :mod:`~simulacra.models.sequential.private`).
        self.unrolled = False
        self.position = nn.Embedding(POSITIONS, g)
        self.periodic = periodic
        if periodic:
            self.period_proj = nn.Linear(2 * len(PERIODS), g)
            self.register_buffer("frequencies", 2 * np.pi / torch.tensor(PERIODS),
                                 persistent=False)
        self.step = ConditionedMADE([2, *self.event_sizes], d, hidden_dim, g)
        self.clock = clock
        self.counted = counted and clock is not None
        if clock is not None:
            self.time_proj = nn.Linear(4 if self.counted else 2, g)
            self.register_buffer("gap_values", torch.tensor(clock.gap_values,
                                                            dtype=torch.float32),
                                 persistent=False)
            self.register_buffer("start_values", torch.tensor(clock.start_values,
                                                              dtype=torch.float32),
                                 persistent=False)

    # -- the clock ---------------------------------------------------------------------------
    def increments(self, events: torch.Tensor) -> torch.Tensor:
        """``(...)``: the time each event ``(..., Ce)`` adds (its gap's typical value)."""
        clock = self.clock
        assert clock is not None
        return self.gap_values[_code(events, clock.gap_columns, clock.gap_radix)]

    def start_time(self, context: torch.Tensor) -> torch.Tensor:
        """``(B,)``: each entity's first time, as its context tokens say."""
        clock = self.clock
        assert clock is not None
        return self.start_values[_code(context, clock.start_columns, clock.start_radix)]

    def clock_input(self, elapsed: torch.Tensor, start: torch.Tensor,
                    remaining: torch.Tensor | None = None) -> torch.Tensor:
        """``(..., g)``: what the GRU reads of the time since the entity's first event and of
        the time left before the data's last one; when the lengths are known (``counted``:
        drawn with the context), also of the events still to come (this one included) and
        of the time left per event to come."""
        clock = self.clock
        assert clock is not None
        left = (clock.last - start - elapsed) / clock.span
        features = [elapsed / clock.span, left]
        if self.counted:
            assert remaining is not None
            r = remaining.to(left.dtype).clamp_min(1.0)
            features += [torch.log(r) / 5.0, left / r]
        return self.time_proj(torch.stack(features, dim=-1))

    # -- pieces ------------------------------------------------------------------------------
    def context_vector(self, context: torch.Tensor) -> torch.Tensor:
        """``(B, g)``: the context summarised (zeros without context columns)."""
        if not self.context_sizes:
            return torch.zeros((context.shape[0], self.g), device=self.start.device)
        e = self.context_embed(context + self.context_offsets).reshape(context.shape[0], -1)
        return torch.tanh(self.context_proj(e))

    def event_input(self, events: torch.Tensor) -> torch.Tensor:
        """``(..., g)``: what the GRU reads of events ``(..., Ce)``."""
        if not self.event_sizes:
            return torch.zeros((*events.shape[:-1], self.g), device=self.start.device)
        e = self.event_embed(events + self.event_offsets)
        return self.event_proj(e.reshape(*events.shape[:-1], -1))

    def positions(self, steps: torch.Tensor) -> torch.Tensor:
        """``(..., g)``: what the step's condition reads of its position ``steps``."""
        out = self.position(steps.clamp(max=POSITIONS - 1))
        if self.periodic:
            angle = steps[..., None].to(self.frequencies.dtype) * self.frequencies
            out = out + self.period_proj(torch.cat([torch.sin(angle), torch.cos(angle)], -1))
        return out

    # -- training ----------------------------------------------------------------------------
    def nll(self, context: torch.Tensor, steps: torch.Tensor, valid: torch.Tensor,
            model_context: bool = True) -> torch.Tensor:
        """Sum of the negative log-likelihood of the valid step tokens (and of the context
        tokens when ``model_context``)."""
        b, s, _ = steps.shape
        c = self.context_vector(context)
        inputs = torch.cat([self.start.expand(b, 1, self.g),
                            self.event_input(steps[:, :-1, 1:])], dim=1)
        if self.clock is not None:  # the time after each event, read before the next
            after = torch.cumsum(self.increments(steps[:, :, 1:]), dim=1)
            elapsed = torch.cat([torch.zeros((b, 1), device=steps.device), after[:, :-1]],
                                dim=1)
            lengths = (steps[:, :, 0] == 0).sum(1, keepdim=True)
            remaining = lengths - torch.arange(s, device=steps.device)[None]
            inputs = inputs + self.clock_input(elapsed, self.start_time(context)[:, None],
                                               remaining)
        out = self.recur(inputs, c)
        condition = out + c[:, None, :] + self.positions(
            torch.arange(s, device=steps.device))[None]
        flat = steps.reshape(b * s, -1)
        logits = self.step.conditioned_logits(flat, condition.reshape(b * s, self.g))
        total = (self.step.token_nll(logits, flat) * valid.reshape(b * s, -1)).sum()
        if model_context and self.context is not None:
            total = total + self.context.nll(context).sum()
        return total

    def forward(self, context: torch.Tensor, steps: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        """:meth:`nll` (what ``torch.func.functional_call`` calls)."""
        return self.nll(context, steps, valid)

    def recur(self, inputs: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """The GRU's outputs ``(B, S, g)`` over ``inputs`` ``(B, S, g)`` from ``state``
        ``(B, g)``: the fused kernel, or (``unrolled``) the same equations a step at a time.
        """
        if not self.unrolled:
            out, _ = self.gru(inputs, state.unsqueeze(0).contiguous())
            return out
        gru = self.gru
        x = inputs @ gru.weight_ih_l0.T + gru.bias_ih_l0  # (B, S, 3g): reset, update, new
        h, out = state, []
        for t in range(inputs.shape[1]):
            xr, xz, xn = x[:, t].chunk(3, dim=-1)
            hr, hz, hn = (h @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3, dim=-1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            h = (1 - z) * torch.tanh(xn + r * hn) + z * h
            out.append(h)
        return torch.stack(out, dim=1)

    # -- sampling ----------------------------------------------------------------------------
    def begin(self, context: torch.Tensor, lengths: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(c, state, input)`` before the first step (``lengths``: of the sequences, when
        the network is ``counted``)."""
        c = self.context_vector(context)
        inputs = self.start.expand(context.shape[0], self.g).clone()
        if self.clock is not None:
            zero = torch.zeros(context.shape[0], device=context.device)
            inputs = inputs + self.clock_input(zero, self.start_time(context), lengths)
        return c, c.unsqueeze(0).clone(), inputs

    def advance(self, c: torch.Tensor, state: torch.Tensor, inputs: torch.Tensor,
                t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(condition, state)`` of step ``t`` after reading ``inputs`` ``(B, g)``."""
        out, state = self.gru(inputs[:, None, :], state)
        steps = torch.full((c.shape[0],), t, dtype=torch.int64, device=c.device)
        return out[:, 0] + c + self.positions(steps), state


@dataclass(frozen=True)
class Clock:
    """How the network reads time from tokens: the typical gap of each code of the gap
    column's tokens (``gap_columns`` among the event tokens, combined as digits of
    ``gap_radix``), the typical first time of each code of the first-time column's tokens
    (among the context tokens), the data's last time and its span (for scaling)."""

    gap_columns: tuple[int, ...]
    gap_radix: tuple[int, ...]
    gap_values: tuple[float, ...]
    start_columns: tuple[int, ...]
    start_radix: tuple[int, ...]
    start_values: tuple[float, ...]
    last: float
    span: float


def _code(tokens: torch.Tensor, columns: Sequence[int], radix: Sequence[int]) -> torch.Tensor:
    """Tokens of ``columns`` combined into one code (mixed-radix digits, first most
    significant)."""
    code = torch.zeros(tokens.shape[:-1], dtype=torch.int64, device=tokens.device)
    for column, size in zip(columns, radix, strict=True):
        code = code * int(size) + tokens[..., column]
    return code


def _offsets(sizes: Sequence[int]) -> torch.Tensor:
    return torch.from_numpy(np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64))
