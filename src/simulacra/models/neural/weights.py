"""Network weights to and from the model file (imports torch: imported only when used).

A model file stores a network's parameters and buffers as numpy arrays (safetensors); loading
builds the network of the fitted shape and puts them back.

>>> import torch
>>> net = torch.nn.Linear(3, 2)
>>> weights = weights_to_numpy(net)
>>> sorted(weights), weights["weight"].shape
(['bias', 'weight'], (2, 3))
>>> again = torch.nn.Linear(3, 2)
>>> load_weights(again, weights)
>>> bool(torch.equal(again.weight, net.weight))
True
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def weights_to_numpy(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's parameters and buffers as numpy arrays (for the safetensors model file)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_weights(module: nn.Module, weights: dict[str, np.ndarray]) -> None:
    """Put weights saved by :func:`weights_to_numpy` back into ``module``."""
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
