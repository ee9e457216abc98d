"""Torch access for the neural models: a lazy import, devices, threads, reproducible sessions.

Nothing here imports torch at import time: a model imports it (:func:`require_torch`) when it
is fitted, sampled or loaded, so that the rest of simulacra works without the extra.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from simulacra.errors import ParameterError, SimulacraError
from simulacra.neural.denormals import denormals_flushed, flush_denormals

if TYPE_CHECKING:
    import torch


def require_torch() -> Any:
    """Import torch, or explain how to install it."""
    try:
        import torch
    except ImportError:
        raise SimulacraError("the neural models (autoregressive, tabddpm, ctgan, tvae) need "
                             'PyTorch: pip install "simulacra[deep]"') from None
    return torch


def resolve_device(device: str) -> torch.device:
    """The torch device of the ``device`` parameter: ``"auto"`` is CUDA when present, else CPU.

    >>> str(resolve_device("cpu"))
    'cpu'
    """
    torch = require_torch()
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ParameterError(f"The 'device' parameter must be 'auto', 'cpu' or a torch device "
                             f"such as 'cuda:0'. Got {device!r} instead.") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r} was asked for but CUDA is not available; "
                             "use device='cpu' or 'auto'")
    return resolved


def training_threads() -> int:
    """Torch threads for a fit: ``$OMP_NUM_THREADS`` when set, else the cores this process may
    use (its CPU affinity, which container limits narrow, rather than the machine's count).

    >>> training_threads() >= 1
    True
    """
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # no affinity on macOS / Windows
        return os.cpu_count() or 1


@contextmanager
def torch_session(seed: int, device: torch.device) -> Iterator[torch.Generator]:
    """Reproducible, side-effect-free torch work: yields a seeded ``torch.Generator``.

    Torch's global random state (used by dropout) is forked and seeded, then restored; the
    thread count is set to :func:`training_threads` and restored afterwards.

    Subnormal floats are flushed to zero on every torch thread for the session
    (:mod:`~simulacra.neural.denormals`: up to 100x faster late in training), then the
    caller's setting is restored.
    """
    torch = require_torch()
    previous = torch.get_num_threads()
    flushed = denormals_flushed()
    torch.set_num_threads(training_threads())
    flush_denormals(torch, True)
    devices = [device.index or 0] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices, device_type=device.type):
            torch.manual_seed(seed)
            generator = torch.Generator(device=device)
            generator.manual_seed(seed)
            yield generator
    finally:
        if not flushed:
            flush_denormals(torch, False)
        torch.set_num_threads(previous)
