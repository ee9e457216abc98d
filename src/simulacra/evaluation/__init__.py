"""Evaluation: fidelity, utility and privacy of synthetic data, and the HTML report."""

from simulacra.evaluation.evaluate import GROUPS, evaluate
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.result import EvaluationResult

__all__ = ["GROUPS", "EvaluationResult", "Metric", "evaluate"]
