"""Flush-to-zero for torch's CPU threads: subnormal floats cost up to 100x on x86.

Late in training, weight decay drives the weights of dead ReLU units (and Adam's moments for
them) towards zero; once products of such numbers underflow into the float32 subnormal range,
every matrix product that touches them takes a microcode assist. On this project's benchmark
machine TVAE's epochs grew from 0.25 s to 1.15 s that way (SDV's TVAE shows the same drift).
Setting the CPU's flush-to-zero / denormals-are-zero flags (TensorFlow's default on CPUs) makes
those numbers exact zeros instead, which changes no result that float32 can tell apart.

``torch.set_flush_denormal`` sets the flags of the calling thread only; threads of the OpenMP
pool inherit them only if created afterwards. :func:`flush_denormals` therefore also runs the
setting once on every thread of torch's OpenMP team (through libgomp's ``GOMP_parallel``), and
:func:`denormals_flushed` reads the current state so a caller can restore it.

The other guard, :data:`EXP_FLOOR`, keeps the networks' exponentials out of that range.

>>> import torch
>>> before = denormals_flushed()
>>> flush_denormals(torch, True)
>>> denormals_flushed()
True
>>> flush_denormals(torch, before)
>>> denormals_flushed() == before
True
"""

from __future__ import annotations

import ctypes
import logging
import re
from functools import cache
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_SUBNORMAL = np.float32(1e-40)

#: Logit gaps below this are treated as probability 0. exp(-30) ≈ 9e-14 is far below float32
#: resolution next to a softmax's largest term (1), so results equal the exact softmax to float
#: precision, while no exp ever underflows into the subnormal range — on x86 CPUs exp of large
#: negative numbers and arithmetic on subnormals are up to 100x slower than normal floats.
#: Every network's softmax, log-softmax and ``exp`` of a log-variance is floored here.
EXP_FLOOR = -30.0


def denormals_flushed() -> bool:
    """Whether the calling thread treats subnormal floats as zero (DAZ is set)."""
    with np.errstate(all="ignore"):
        return bool(_SUBNORMAL * np.float32(1.0) == 0)


def flush_denormals(torch: Any, on: bool) -> None:
    """Set flush-to-zero on the calling thread and on every thread of torch's OpenMP pool."""
    torch.set_flush_denormal(on)
    parallel = _gomp_parallel()
    threads = torch.get_num_threads()
    if parallel is None or threads <= 1:
        return
    callback_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p)

    def body(_: Any) -> None:
        torch.set_flush_denormal(on)

    callback = callback_type(body)
    parallel.argtypes = [callback_type, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    parallel.restype = None
    parallel(callback, None, threads, 0)


@cache
def _gomp_parallel() -> Any:
    """libgomp's ``GOMP_parallel`` as loaded by torch, or ``None`` where it cannot be found
    (not Linux, or another threading backend): then only the calling thread is set."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = re.findall(r"(/\S*torch\S*/libgomp[^/\s]*\.so[.\d]*)", maps.read())
        if not paths:
            return None
        return ctypes.CDLL(paths[0]).GOMP_parallel
    except (OSError, AttributeError) as error:
        logger.debug("flush-to-zero only on the calling thread: %s", error)
        return None
