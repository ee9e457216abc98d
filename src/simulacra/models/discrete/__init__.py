"""Models over a discretized table: Bayesian networks, PrivBayes, MST and AIM."""

from simulacra.models.discrete.discretizer import Discretizer

__all__ = ["Discretizer"]
