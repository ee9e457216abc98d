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

import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn


def weights_to_numpy(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's parameters and buffers as numpy arrays (for the safetensors model file)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_weights(module: nn.Module, weights: dict[str, np.ndarray]) -> None:
    """Put weights saved by :func:`weights_to_numpy` back into ``module``; a ``ValueError``
    that names the difference when they are not a network of its shape (a model file is
    untrusted: :func:`simulacra.load` reports it as a corrupted file). Each weight is copied
    straight from its array into the module's tensor: loading holds no third copy.

    >>> load_weights(torch.nn.Linear(3, 2), {"weight": np.zeros((2, 2)), "bias": np.zeros(2)})
    Traceback (most recent call last):
    ...
    ValueError: the network's weight 'weight' has shape (2, 2) in the file, (2, 3) in the model
    """
    expected = module.state_dict()
    check_weights(expected, weights)
    with torch.no_grad(), warnings.catch_warnings():
        # the arrays of a loaded file are read-only; torch only reads them here
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        for name, value in weights.items():
            target = expected[name]
            target.copy_(torch.from_numpy(np.asarray(value)).reshape(target.shape))


def check_weights(expected: dict[str, torch.Tensor], weights: dict[str, np.ndarray]) -> None:
    """Raise a ``ValueError`` naming the difference unless ``weights`` has exactly the names
    and shapes of ``expected`` (a module's ``state_dict``, possibly on the meta device: then
    nothing has been allocated yet)."""
    if not isinstance(weights, dict):
        raise ValueError("the network's weights in the file are not a table of arrays")
    missing, extra = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    if missing or extra:
        raise ValueError(f"the network's weights do not fit it: missing {missing[:5]}, "
                         f"unexpected {extra[:5]}")
    for name, value in weights.items():
        shape, want = tuple(np.shape(value)), tuple(expected[name].shape)
        scalar = np.size(value) == 1 and expected[name].numel() == 1  # stored as (1,)
        if shape != want and not scalar:
            raise ValueError(f"the network's weight {name!r} has shape {shape} in the file, "
                             f"{want} in the model")



def check_before_building(build: Callable[[], nn.Module], weights: dict[str, np.ndarray]) -> None:
    """Raise a ``ValueError`` unless the network ``build()`` makes has exactly the names and
    shapes of ``weights``, checked on torch's meta device, which records shapes and allocates
    nothing: sizes read from an untrusted file cannot make it allocate gigabytes before they
    are found not to fit the file's weights (whose size the file's caps already bound).

    >>> huge = lambda: torch.nn.Linear(10**6, 10**6)  # 4 TB if it were allocated
    >>> small = {"weight": np.zeros((2, 2)), "bias": np.zeros(2)}
    >>> check_before_building(huge, small)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the network's weight 'weight' has shape (2, 2) in the file, ... in the model
    """
    with torch.device("meta"):
        expected = build().state_dict()
    check_weights(expected, weights)
