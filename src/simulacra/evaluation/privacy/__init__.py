"""Privacy of synthetic data: how much it gives away about the records it was learned from.

Every figure here is set beside what records the synthesizer never saw (the real *holdout*)
score, because a synthetic table that is faithful to a population is *meant* to resemble its
members: what matters is whether it resembles the training records more than other records
of the same population.

* :func:`exact_copies` — synthetic rows identical to a training row, beside the holdout's own
  rate of rows identical to a training row.
* :func:`distance_to_closest_record` — "DCR share" (is a synthetic row's closest real record a
  training record or a holdout record?), "DCR median" and "NNDR" (nearest-neighbour distance
  ratio), each with the holdout's value as reference (Platzer & Reutterer 2021).
* :func:`membership_inference` — a distance-based membership attack (Hayes et al. 2019, Chen
  et al. 2020): can closeness to a synthetic row tell training records from holdout records?
* :func:`singling_out`, :func:`linkability`, :func:`attribute_inference` — the three attacks
  of Anonymeter (Giomi et al. 2023, "A Unified Framework for Quantifying Privacy Risk in
  Synthetic Data", PoPETs), each run against training records (attack) and holdout records
  (control); risk = (attack − control) / (1 − control), clipped to [0, 1], with a 95% interval
  from Wilson score intervals on both rates.
* :func:`privacy` — all of the above.

Distances are Euclidean on :meth:`Featurizer.distance` rows (a category mismatch or a whole
numeric range counts about 1), with the featurization refitted on training ∪ holdout rows so
that neither side is favoured (see :func:`symmetric_featurizer`). Nearest neighbours are found by
brute force in row chunks, so memory stays bounded; large tables are subsampled (the
``note`` of each figure says when).

>>> import pandas as pd
>>> from simulacra.evaluation.prepare import prepare
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
>>> exact_copies(prepare(real, real.iloc[[0, 0, 1, 2]])).value
1.0
"""

from __future__ import annotations

import numpy as np

from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.evaluation.privacy.attack_tools import (
    HISTOGRAM_BINS,
    MAX_MEMBERS,
    MAX_QUERIES,
    MAX_REFERENCE,
    N_ATTACKS,
    symmetric_featurizer,
)
from simulacra.evaluation.privacy.distances import (
    distance_to_closest_record,
    exact_copies,
    membership_inference,
)
from simulacra.evaluation.privacy.inference import attribute_inference
from simulacra.evaluation.privacy.linkability import linkability
from simulacra.evaluation.privacy.singling_out import singling_out


def privacy(
    data: EvalData,
    featurizer: Featurizer,
    rng: np.random.Generator,
    *,
    n_attacks: int = N_ATTACKS,
    max_queries: int = MAX_QUERIES,
    max_reference: int = MAX_REFERENCE,
    secret: str | None = None,
) -> list[Metric]:
    """Every privacy figure. Without ``data.holdout`` only "exact copies" can be computed
    (every other figure compares training records with unseen ones), and only it is returned.
    """
    out = [exact_copies(data)]
    if data.holdout is None:
        return out
    featurizer = symmetric_featurizer(featurizer, data, rng, 2 * max_reference)
    out += distance_to_closest_record(data, featurizer, rng, max_queries=max_queries,
                                      max_reference=max_reference)
    out.append(membership_inference(data, featurizer, rng, max_reference=max_reference))
    out.append(singling_out(data, rng, n_attacks=n_attacks, max_reference=max_reference))
    out.append(linkability(data, featurizer, rng, n_attacks=n_attacks,
                           max_reference=max_reference))
    out.append(attribute_inference(data, featurizer, rng, secret=secret, n_attacks=n_attacks,
                                   max_reference=max_reference))
    return out


__all__ = [
    "HISTOGRAM_BINS",
    "MAX_MEMBERS",
    "MAX_QUERIES",
    "MAX_REFERENCE",
    "N_ATTACKS",
    "attribute_inference",
    "distance_to_closest_record",
    "exact_copies",
    "linkability",
    "membership_inference",
    "privacy",
    "singling_out",
    "symmetric_featurizer",
]
