"""Run Evidently's ``DataDriftPreset`` with its defaults on splits written by benchmarks/drift.py.

Run by a separate interpreter that has evidently installed (it is not a simulacra dependency);
it imports only evidently, pandas, numpy and the standard library.

    $EVIDENTLY_PYTHON benchmarks/drift_evidently.py JOB.json

``JOB.json`` holds ``{"table": CSV path, "numerical": [...], "categorical": [...],
"splits": NPZ path, "shifted": [column, ...]}``; the NPZ holds ``reference`` and ``current``,
each ``(trials, n)`` row positions of the table. Prints one JSON object: the evidently version
and per trial ``{"dataset_drift", "drifted": [columns], "share", "seconds"}``. A column is
drifted by Evidently's own rule for its default method: a p-value below the threshold (KS,
chi-square, Z-test: small references) or a distance at or above it (Wasserstein normed,
Jensen-Shannon: references over 1,000 rows); the dataset drifts when at least half the columns
do (``drift_share=0.5``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    import evidently
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    job = json.loads(Path(sys.argv[1]).read_text())
    table = pd.read_csv(job["table"])[job["numerical"] + job["categorical"]]
    splits = np.load(job["splits"])
    definition = DataDefinition(numerical_columns=job["numerical"],
                                categorical_columns=job["categorical"])
    trials = []
    for ref_rows, cur_rows in zip(splits["reference"], splits["current"], strict=True):
        started = time.perf_counter()
        ref = Dataset.from_pandas(table.iloc[ref_rows].reset_index(drop=True),
                                  data_definition=definition)
        cur = Dataset.from_pandas(table.iloc[cur_rows].reset_index(drop=True),
                                  data_definition=definition)
        snapshot = Report([DataDriftPreset()]).run(reference_data=ref, current_data=cur)
        seconds = time.perf_counter() - started
        drifted, count, share, threshold_share = [], None, None, 0.5
        for metric in snapshot.dict()["metrics"]:
            config = metric["config"]
            if config["type"].endswith("DriftedColumnsCount"):
                count, share = metric["value"]["count"], metric["value"]["share"]
                threshold_share = config["drift_share"]
            elif config["type"].endswith("ValueDrift"):
                value, threshold = metric["value"], config["threshold"]
                is_p_value = "p_value" in config["method"]
                if (value < threshold) if is_p_value else (value >= threshold):
                    drifted.append(config["column"])
        if count is not None and int(count) != len(drifted):
            raise SystemExit(f"drifted columns {drifted} disagree with Evidently's count {count}")
        trials.append({"dataset_drift": bool(share is not None and share >= threshold_share),
                       "drifted": drifted, "share": share, "seconds": seconds})
    print(json.dumps({"evidently_version": evidently.__version__, "trials": trials}))


if __name__ == "__main__":
    main()
