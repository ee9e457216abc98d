"""A table written as a dataset of several files, for the scale-out tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_parts(frame: pd.DataFrame, folder: Path, parts: int = 3,
                fmt: str = "parquet") -> Path:
    """``frame`` split into ``parts`` files ``part-I.<fmt>`` (Parquet or CSV) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        piece = frame.iloc[rows]
        if fmt == "parquet":
            piece.to_parquet(folder / f"part-{i}.parquet", index=False)
        else:
            piece.to_csv(folder / f"part-{i}.csv", index=False)
    return folder
