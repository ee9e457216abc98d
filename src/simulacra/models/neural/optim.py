"""The optimizer of the neural models (imports torch: imported only when used)."""

from __future__ import annotations

from typing import Any

import torch


def adam(params: Any, *, lr: float, betas: tuple[float, float],
         weight_decay: float) -> torch.optim.Adam:
    """Adam, fused into one kernel where torch supports it (several times faster on CPU).

    >>> opt = adam(torch.nn.Linear(2, 1).parameters(), lr=1e-3, betas=(0.9, 0.999),
    ...            weight_decay=0.0)
    >>> type(opt).__name__
    'Adam'
    """
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay,
                                fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay)
