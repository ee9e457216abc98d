"""Run SDMetrics' single-table QualityReport on tables written by test_sdmetrics_agreement.py.

Run by a separate interpreter that has sdmetrics installed (it needs pandas < 3, so it cannot
live in simulacra's environment); it imports only sdmetrics, pandas and the standard library.

    $SDMETRICS_PYTHON tests/sdmetrics_reference.py DIR [DIR ...]

Each DIR holds ``real.parquet``, ``synthetic.parquet`` and ``metadata.json`` (SDV single-table
metadata: ``{"columns": {name: {"sdtype": ..., "datetime_format": ...}}}``). Prints one JSON
object: ``{"sdmetrics_version": ..., "results": {DIR: {...}}}`` where each result holds the
Column Shapes and Column Pair Trends scores with SDMetrics' default pair thresholds and with
both thresholds set to 0 (every pair counts), plus per-column and per-pair details.

A DIR whose ``metadata.json`` has a ``"sequences"`` entry (``{"key": ..., "columns": [...],
"statistics": [...], "n_rows_diff": [...], "apply_log": [...]}``) is an event table instead:
its result holds SequenceLengthSimilarity and, per column, StatisticMSAS for each statistic
and InterRowMSAS for each ``n_rows_diff`` and ``apply_log`` (rows in the order written).
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import pandas as pd

# sdmetrics is imported inside the functions: pytest's --doctest-modules imports this file in
# simulacra's own environment, where sdmetrics is (deliberately) absent.


def _clean(value):
    """JSON-safe: NaN/inf and pandas NA to None, numpy scalars to Python."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _load(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    metadata = json.loads((directory / "metadata.json").read_text())
    real = pd.read_parquet(directory / "real.parquet")
    synth = pd.read_parquet(directory / "synthetic.parquet")
    for name, column in metadata["columns"].items():
        if column["sdtype"] != "datetime":
            continue
        for frame in (real, synth):
            if pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
                # Parquet keeps the writer's unit (e.g. microseconds); SDMetrics users on
                # pandas 2 usually hold nanoseconds, which is what simulacra compares.
                frame[name] = frame[name].astype("datetime64[ns]")
    return real, synth, metadata


def _report(real: pd.DataFrame, synth: pd.DataFrame, metadata: dict, zero_thresholds: bool):
    from sdmetrics.reports.single_table import QualityReport

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = QualityReport()
        if zero_thresholds:
            report.real_correlation_threshold = 0
            report.real_association_threshold = 0
        report.generate(real, synth, metadata, verbose=False)
    return report


def sequences(real: pd.DataFrame, synth: pd.DataFrame, spec: dict) -> dict:
    """SDMetrics' sequence metrics of the event tables ``real`` and ``synth``."""
    from sdmetrics.column_pairs import InterRowMSAS, StatisticMSAS
    from sdmetrics.single_column import SequenceLengthSimilarity

    key = spec["key"]
    out = {"length": _clean(SequenceLengthSimilarity.compute(real[key], synth[key])),
           "statistic": {}, "inter_row": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for column in spec["columns"]:
            pair_r, pair_s = (real[key], real[column]), (synth[key], synth[column])
            out["statistic"][column] = {
                stat: _clean(StatisticMSAS.compute(pair_r, pair_s, statistic=stat))
                for stat in spec["statistics"]}
            out["inter_row"][column] = {
                f"{n}-{log}": _clean(InterRowMSAS.compute(pair_r, pair_s, n_rows_diff=n,
                                                          apply_log=log))
                for n in spec["n_rows_diff"] for log in spec["apply_log"]}
    return out


def run(directory: Path) -> dict:
    real, synth, metadata = _load(directory)
    if "sequences" in metadata:
        return sequences(real, synth, metadata["sequences"])
    plain = _report(real, synth, metadata, zero_thresholds=True)
    default = _report(real, synth, metadata, zero_thresholds=False)
    properties = plain.get_properties().set_index("Property")["Score"]
    shapes = plain.get_details("Column Shapes")
    pairs = plain.get_details("Column Pair Trends")
    return {
        "shape": _clean(properties["Column Shapes"]),
        "trend": _clean(properties["Column Pair Trends"]),
        "trend_default_thresholds": _clean(
            default.get_properties().set_index("Property")["Score"]["Column Pair Trends"]),
        "columns": [{"column": row["Column"], "metric": row["Metric"],
                     "score": _clean(row["Score"])} for _, row in shapes.iterrows()],
        "pairs": [{"column_1": row["Column 1"], "column_2": row["Column 2"],
                   "metric": row["Metric"], "score": _clean(row["Score"]),
                   "real": _clean(row["Real Correlation"]),
                   "synthetic": _clean(row["Synthetic Correlation"]),
                   "error": _clean(row.get("Error"))} for _, row in pairs.iterrows()],
    }


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    import sdmetrics

    results = {directory: run(Path(directory)) for directory in argv}
    json.dump({"sdmetrics_version": sdmetrics.__version__, "pandas_version": pd.__version__,
               "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
