"""A few whole sequences of each table, as the HTML report draws them side by side.

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> from simulacra.evaluation.sequence.data import prepare_sequences
>>> events = pd.DataFrame({"user": [1, 1, 1, 2, 2], "x": [1.5, 2.5, 3.5, 4.5, 0.5]})
>>> md = Metadata.detect(events, sequence_key="user")
>>> samples = sequence_samples(prepare_sequences(events, events, md), np.random.default_rng(0))
>>> samples["columns"], samples["x_label"], len(samples["real"])
(['x'], 'event number', 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.evaluation.sequence.data import SequenceData, Sequences

#: Sequences drawn per table, numerical columns shown, points per sequence at most.
PER_SIDE = 4
COLUMNS = 3
POINTS = 200
DAY = 86_400.0


def sequence_samples(data: SequenceData, rng: np.random.Generator, *, per_side: int = PER_SIDE,
                     columns: int = COLUMNS, points: int = POINTS) -> dict[str, Any]:
    """``per_side`` random sequences of each table (two events or more where there are such),
    their first ``columns`` numerical columns against the time since the entity's first event
    (days for a datetime index) or the event number; ``{}`` without a numerical column."""
    shown = data.numeric[:columns]
    if not shown:
        return {}
    if data.index is None:
        x_label = "event number"
    elif data.index_is_datetime:
        x_label = "days since the entity's first event"
    else:
        x_label = f"{data.index} since the entity's first event"
    return {"columns": shown, "x_label": x_label,
            "real": _draw(data.real, shown, data, rng, per_side, points),
            "synthetic": _draw(data.synth, shown, data, rng, per_side, points)}


def _draw(seqs: Sequences, shown: list[str], data: SequenceData, rng: np.random.Generator,
          per_side: int, points: int) -> list[dict[str, Any]]:
    lengths = seqs.lengths
    candidates = np.flatnonzero(lengths >= 2)
    if candidates.size == 0:
        candidates = np.arange(len(lengths))
    picked = np.sort(rng.choice(candidates, size=min(per_side, candidates.size), replace=False))
    out = []
    for s in picked:
        start, stop = int(seqs.starts[s]), int(min(seqs.starts[s + 1], seqs.starts[s] + points))
        if seqs.time is None:
            x = np.arange(stop - start, dtype=np.float64)
        else:
            x = seqs.time[start:stop] - seqs.time[start]
            x = x / DAY if data.index_is_datetime else x
        out.append({"entity": str(seqs.keys[s]), "x": x.tolist(),
                    "y": {c: seqs.values[c][start:stop].tolist() for c in shown}})
    return out
