"""Missing values filled from the chain-rule model, given everything else in the row.

A column order fixes which conditionals the network knows: ``p(x_j | x_<j)``. A value missing in
the middle of a row must also agree with the known columns after it, so imputation is
sequential importance sampling (the exact conditional as ``draws`` grows):

1. every incomplete row is copied ``draws`` times;
2. column by column, a missing token is drawn from its conditional (tokens the caller bans,
   such as the null code when a value must be filled, get probability 0), and a known token
   multiplies the copy's weight by its probability given the tokens before it;
3. one copy per row is kept, chosen in proportion to its weight.

Rows with nothing missing are returned unchanged.
"""

from __future__ import annotations

import numpy as np
import torch

from simulacra.models.autoregressive.network import ColumnMADE


def impute_tokens(net: ColumnMADE, tokens: np.ndarray, known: np.ndarray,
                  banned: dict[int, np.ndarray], draws: int,
                  generator: torch.Generator, rng: np.random.Generator) -> np.ndarray:
    """``tokens`` ``(n, C)`` with the ``~known`` entries drawn (see the module docstring).

    ``banned`` maps a column to tokens a drawn value may not take.
    """
    out = tokens.copy()
    rows = np.flatnonzero(~known.all(axis=1))
    if len(rows) == 0:
        return out
    c = net.c
    cur = torch.from_numpy(np.repeat(tokens[rows], draws, axis=0))
    unknown = torch.from_numpy(np.repeat(~known[rows], draws, axis=0))
    log_w = torch.zeros(len(cur), dtype=torch.float64)
    with torch.no_grad():
        for j in range(c):
            miss = unknown[:, j]
            if not bool(miss.any()) and not bool(unknown[:, :j].any()):
                continue  # every copy of a row is still identical: no weight to tell apart
            logits = net.column_logits(cur, j)
            logp = torch.log_softmax(logits, dim=1)
            seen = cur[:, j]
            log_w += torch.where(miss, 0.0, logp.gather(1, seen.unsqueeze(1)).squeeze(1)
                                 .clamp_min(-1e4).double())
            if j in banned and len(banned[j]):
                logits[:, torch.from_numpy(banned[j])] = float("-inf")
            u = torch.rand(logits.shape, generator=generator).clamp_(1e-12, 1.0)
            drawn = torch.argmax(logits - torch.log(-torch.log(u)), dim=1)
            cur[:, j] = torch.where(miss, drawn, seen)
    log_w = log_w.view(len(rows), draws)
    weights = torch.softmax(log_w, dim=1).numpy()
    cumulative = weights.cumsum(axis=1)
    pick = (cumulative < rng.random((len(rows), 1)) * cumulative[:, -1:]).sum(axis=1)
    pick = np.minimum(pick, draws - 1)
    chosen = cur.view(len(rows), draws, c).numpy()[np.arange(len(rows)), pick]
    out[rows] = chosen
    return out
