"""``simulacra.load``: a saved model, one table's or a database's (``.simz``; no code runs)."""

from __future__ import annotations

from pathlib import Path

from simulacra.models import Synthesizer
from simulacra.models import load as load_table_model
from simulacra.multitable.synthesizer import MODEL_NAME, RelationalSynthesizer
from simulacra.serialization import read_model


def load(path: str | Path) -> Synthesizer | RelationalSynthesizer:
    """The model saved at ``path``: a single-table synthesizer or a
    :class:`~simulacra.multitable.synthesizer.RelationalSynthesizer`."""
    name = read_model(path)[0]  # the payload goes at once: the loader reads it again
    if name == MODEL_NAME:
        return RelationalSynthesizer.load(path)
    return load_table_model(path)
