"""Evaluation: fidelity, utility and privacy of synthetic data, and the HTML report.

One table: :func:`evaluate` → :class:`EvaluationResult`. A database (related tables):
:func:`evaluate_database` (or :func:`evaluate` given mappings of tables) →
:class:`DatabaseEvaluation`.
"""

from simulacra.evaluation.database import DatabaseEvaluation, evaluate_database
from simulacra.evaluation.evaluate import GROUPS, evaluate
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.result import EvaluationResult

__all__ = ["GROUPS", "DatabaseEvaluation", "EvaluationResult", "Metric", "evaluate",
           "evaluate_database"]
