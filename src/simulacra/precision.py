"""How finely stored values are written: datetime resolutions and decimal places.

Encoders restore both on output, and constraints that rebuild a column (an inequality's
difference, a formula's result) write it back with the precision the column had.

>>> fewest_decimals(np.array([0.5, 1.25]), None), fewest_decimals(np.array([1 / 3]), None)
(2, None)
>>> decimals_of(pd.Series([1.5, 2.25, None])), decimals_of(pd.Series([3, 4]))
(2, 0)
>>> RESOLUTIONS["hour"] // RESOLUTIONS["minute"]
60
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Candidate resolutions of datetimes, coarsest first, in nanoseconds.
RESOLUTIONS: dict[str, int] = {"day": 86_400 * 10**9, "hour": 3_600 * 10**9,
                               "minute": 60 * 10**9, "second": 10**9, "ms": 10**6,
                               "us": 10**3, "ns": 1}
#: Decimals beyond this are not looked for (float64 holds about 15 significant digits).
MAX_DECIMALS = 15


def float_precision(dtype: object) -> np.dtype | None:
    """The numpy float dtype values are stored in when narrower than float64."""
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind == "f" and numpy_dtype.itemsize < 8:
        return numpy_dtype
    return None


def fewest_decimals(x: np.ndarray, precision: np.dtype | None) -> int | None:
    """Smallest ``d`` in 0..15 such that rounding to ``d`` decimals reproduces every value
    (in ``precision``, when the values are stored narrower than float64); ``None``: none does.
    """
    unique = np.unique(x)
    with np.errstate(over="ignore", invalid="ignore"):  # huge values overflow, then mismatch
        for d in range(MAX_DECIMALS + 1):
            rounded = np.round(unique, d)
            if precision is not None:
                rounded = rounded.astype(precision).astype(np.float64)
            if np.array_equal(rounded, unique):
                return d
    return None


def decimals_of(values: pd.Series) -> int | None:
    """Decimals a column of numbers is written with: 0 when every value is whole, else
    :func:`fewest_decimals`; ``None`` for a column without values."""
    present = values.dropna()
    if present.empty:
        return None
    x = present.to_numpy(dtype="float64", na_value=np.nan)
    if np.all(x == np.round(x)):
        return 0
    return fewest_decimals(x, float_precision(values.dtype))
