"""Tables on their way into a model and back: numbers written as text, dtypes restored.

Exported databases often keep numbers as text with a marker for missing values (Berka's
``district.A12`` holds ``'0.29'`` ... and one ``'?'``). A table's model learns them as numbers;
the synthetic table writes them as text again, with the source's decimals.

>>> import pandas as pd
>>> from simulacra.kinds import Numerical
>>> frame = pd.DataFrame({"rate": ["0.29", "?", "1.5"]})
>>> numbers, decimals = numbers_from_text(frame, {"rate": Numerical()})
>>> numbers["rate"].tolist(), decimals
([0.29, nan, 1.5], {'rate': {'decimals': 2, 'marker': '?'}})
>>> numbers_to_text(numbers, decimals)["rate"].tolist()
['0.29', '?', '1.50']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulacra.kinds import ColumnKind, Numerical
from simulacra.metadata.detect.evidence import MISSING_MARKERS


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def numbers_from_text(frame: pd.DataFrame, kinds: Mapping[str, ColumnKind]
                      ) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """A copy of ``frame`` whose numerical columns stored as text are float64 (missing markers
    such as ``?`` or ``n/a`` become nulls), and how each such column was written: its decimals
    and its most common missing marker (``None`` when it had none)."""
    out = frame.copy()
    decimals: dict[str, dict[str, Any]] = {}
    for column, kind in kinds.items():
        if column not in out.columns or not isinstance(kind, Numerical) \
                or not _is_text(out[column]):
            continue
        text = out[column].astype("string").str.strip()
        markers = text.str.lower().isin(MISSING_MARKERS).fillna(False).to_numpy(dtype=bool)
        numbers = pd.to_numeric(text.mask(markers), errors="coerce").astype("float64")
        if numbers.notna().sum() != text.mask(markers).notna().sum():
            continue  # not every value is a number: the column is left for its model to refuse
        out[column] = numbers
        written = text.mask(markers).dropna()
        fraction = written.str.extract(r"\.(\d*)$", expand=False).fillna("")
        marker = text[markers].value_counts()
        decimals[column] = {"decimals": int(fraction.str.len().max()) if len(written) else 0,
                            "marker": str(marker.index[0]) if len(marker) else None}
    return out, decimals


def numbers_to_text(frame: pd.DataFrame, written: Mapping[str, Mapping[str, Any]]
                    ) -> pd.DataFrame:
    """``frame`` with the columns of :func:`numbers_from_text` written as text again (nulls as
    the column's missing marker)."""
    out = frame.copy()
    for column, how in written.items():
        if column in out.columns:
            places, marker = int(how["decimals"]), how.get("marker")
            values = pd.to_numeric(out[column], errors="coerce").to_numpy(dtype=np.float64,
                                                                          na_value=np.nan)
            out[column] = pd.Series([marker if np.isnan(v) else f"{v:.{places}f}"
                                     for v in values],
                                    index=out.index, dtype=object)
    return out


def cast_like(values: pd.Series, dtype: str) -> pd.Series:
    """``values`` as ``dtype`` when they fit it (integers with nulls become ``Int64``)."""
    try:
        target = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return values
    if target.kind in "iu" and values.isna().any():
        return values.astype("Int64")
    try:
        return values.astype(target)
    except (TypeError, ValueError):
        return values
