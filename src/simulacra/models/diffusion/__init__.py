"""Tabular diffusion: Gaussian diffusion for numbers, multinomial diffusion for categories.

Needs PyTorch (``pip install "simulacra[deep]"``); importing this package does not import torch
(the schedule and the quantile transform are numpy; the rest is imported when fitted).
"""

from simulacra.models.diffusion.model import TabDDPM

__all__ = ["TabDDPM"]
