"""Inter-event time similarity: are the gaps between an entity's events like the real ones?

>>> import pandas as pd
>>> from simulacra.metadata import Metadata
>>> from simulacra.evaluation.sequence.data import prepare_sequences
>>> real = pd.DataFrame({"user": [1, 1, 1, 2, 2], "day": [0, 1, 2, 0, 1]})
>>> synth = pd.DataFrame({"user": [1, 1, 1, 2, 2], "day": [0, 5, 6, 3, 4]})
>>> md = Metadata.detect(real, sequence_key="user", sequence_index="day")
>>> m = inter_event_time_similarity(prepare_sequences(real, synth, md))
>>> m.name, m.value    # real gaps 1, 1, 1; synthetic 5, 1, 1
('inter-event time similarity', 0.6666666666666666)
"""

from __future__ import annotations

import numpy as np

from simulacra.errors import DataError
from simulacra.evaluation.fidelity.statistics import ks_statistic
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData

NOT_COMPUTED = ("inter-event time similarity: the metadata names no sequence_index, so events "
                "are ordered by row and have no time between them")


def inter_event_time_similarity(data: SequenceData) -> Metric:
    """1 − KS statistic between the real and synthetic gaps between consecutive events.

    A gap is the difference of the ``sequence_index`` between an event and the entity's
    previous event (index sorted within each entity; datetimes in seconds, numbers in their
    own unit), pooled over all entities; gaps with a null end are left out. Raises
    ``DataError`` without an index (the caller lists the figure as not computed).
    """
    if data.index is None:
        raise DataError(NOT_COMPUTED)
    real, synth = data.real.gaps(), data.synth.gaps()
    real, synth = real[~np.isnan(real)], synth[~np.isnan(synth)]
    unit = "seconds" if data.index_is_datetime else f"units of {data.index!r}"
    return Metric(
        "inter-event time similarity", "sequence", 1.0 - ks_statistic(real, synth),
        definition=("1 − two-sample KS statistic between the real and the synthetic times "
                    f"between consecutive events of one entity (gaps of {data.index!r}, "
                    "pooled over entities)."),
        direction="higher", ideal=1.0, note=data.note,
        details={"unit": unit, "real": _summary(real), "synthetic": _summary(synth)})


def _summary(gaps: np.ndarray) -> dict[str, float]:
    if gaps.size == 0:
        return {"gaps": 0}
    q = np.quantile(gaps, [0.1, 0.5, 0.9])
    return {"gaps": int(gaps.size), "p10": float(q[0]), "median": float(q[1]),
            "p90": float(q[2]), "mean": float(gaps.mean())}
