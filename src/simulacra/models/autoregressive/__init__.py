"""The autoregressive network: the table's joint distribution by the chain rule.

Needs PyTorch (``pip install "simulacra[deep]"``); importing this package does not import torch.
"""

from simulacra.models.autoregressive.model import AutoregressiveNetwork

__all__ = ["AutoregressiveNetwork"]
