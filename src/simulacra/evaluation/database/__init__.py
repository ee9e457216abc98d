"""Evaluating a synthetic database against the real one: keys, tables, relations, key paths.

:func:`evaluate_database` returns a :class:`DatabaseEvaluation`. One figure family per module:

* :mod:`.integrity` — primary keys unique and present, foreign keys resolved;
* :mod:`.tables` — each table's own shape, trend, detection AUC and privacy (the single-table
  functions on its non-key columns);
* :mod:`.cardinality` — children per parent (SDMetrics' CardinalityShapeSimilarity);
* :mod:`.trends` — parent–child trends, k-hop trends along key paths and AVG 2-way
  (ClavaDDPM), on joins built by :mod:`.paths`;
* :mod:`.detection` — C2ST-Agg (SyntheRela), on parent rows with their children's aggregates
  (:mod:`.aggregates`);
* :mod:`.utility` — cross-table TSTR vs TRTR;
* :mod:`.report` — the HTML report; :mod:`.data` and :mod:`.keys` — checked inputs, key
  matching.
"""

from simulacra.evaluation.database.evaluate import DATABASE_GROUPS, MAX_ROWS, evaluate_database
from simulacra.evaluation.database.result import DatabaseEvaluation
from simulacra.evaluation.database.scoped import Scoped

__all__ = ["DATABASE_GROUPS", "MAX_ROWS", "DatabaseEvaluation", "Scoped", "evaluate_database"]
