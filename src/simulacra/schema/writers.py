"""Writing generated tables: one file for one table, one file per table in a directory.

Every file is written atomically (:func:`simulacra.io.write_table`: a temporary file beside
the target, renamed on success), so an interrupted run never leaves a half-written table.

>>> import tempfile, pandas as pd
>>> folder = Path(tempfile.mkdtemp())
>>> tables = {"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": [2]})}
>>> [p.name for p in write_generated(tables, folder / "out", file_format="parquet")]
['a.parquet', 'b.parquet']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from simulacra.errors import ParameterError
from simulacra.io import TABLE_FORMATS, write_table

#: File formats a directory of tables can be written in.
FORMATS = ("csv", "csv.gz", "parquet")


def is_table_file(path: str | Path) -> bool:
    """Whether ``path`` names one table file (by its suffix) rather than a directory."""
    return str(path).lower().endswith((*TABLE_FORMATS, ".tsv"))


def write_generated(tables: Mapping[str, pd.DataFrame], output: str | Path, *,
                    file_format: str = "csv") -> list[Path]:
    """Write ``tables``; return the files written.

    One table and an ``output`` ending in ``.csv``/``.csv.gz``/``.tsv``/``.parquet``: that
    file. Otherwise ``output`` is a directory (created if needed) receiving
    ``<table>.<file_format>`` for every table.
    """
    output = Path(output)
    if is_table_file(output):
        if len(tables) != 1:
            raise ParameterError(f"the schema has {len(tables)} tables ({', '.join(tables)}); "
                                 f"give a directory to write one file per table, not "
                                 f"{str(output)!r}")
        write_table(next(iter(tables.values())), output)
        return [output]
    if file_format not in FORMATS:
        raise ParameterError(f"The 'file_format' parameter must be one of {', '.join(FORMATS)}. "
                             f"Got {file_format!r} instead.")
    if output.exists() and not output.is_dir():
        raise ParameterError(f"{str(output)!r} is a file; give a directory for the tables or a "
                             "file ending in .csv or .parquet for one table")
    paths = []
    for name, frame in tables.items():
        path = output / f"{name}.{file_format}"
        write_table(frame, path)
        paths.append(path)
    return paths
