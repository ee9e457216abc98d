"""Sequences of events per entity (:class:`SequentialNetwork`)."""

from simulacra.models.sequential.model import SequentialNetwork

__all__ = ["SequentialNetwork"]
