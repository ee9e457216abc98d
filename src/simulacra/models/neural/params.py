"""What the neural models' hyperparameter checks share: value tests and a JSON-safe form.

>>> positive_int(3), positive_int(True), positive_int(0)
(True, False, False)
>>> [bool(positive_float(v)) for v in (0.5, 0, float("inf"))]
[True, False, False]
>>> layer_widths([256, 256])
(256, 256)
"""

from __future__ import annotations

import numpy as np


def positive_int(value: object) -> bool:
    """Whether ``value`` is an integer >= 1 (not a bool)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 1


def positive_float(value: object) -> bool:
    """Whether ``value`` is a finite number > 0 (not a bool)."""
    return (isinstance(value, int | float | np.floating) and not isinstance(value, bool)
            and np.isfinite(value) and value > 0)


def layer_widths(value: object) -> object:
    """Tuples for sequences, so that parameters survive a JSON round trip unchanged."""
    return tuple(value) if isinstance(value, list | tuple) else value
