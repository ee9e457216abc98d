"""Encoding: one reversible encoder per column kind, and the table codecs built on them.

* Column encoders (:mod:`~simulacra.encoders.base`), one per kind, found through
  :data:`ENCODERS` (:func:`encoder_for`, :func:`encoder_from_state`).
* Table codecs follow one written contract (:mod:`~simulacra.encoders.codec`) and are found
  through :data:`CODECS`: ``"exact"`` (:class:`ExactCodec`: one column encoder per column,
  nulls composed with a :class:`MissingIndicator`) and ``"binned"`` (:class:`BinnedCodec`:
  every column as integer codes over DP-ready domains, optionally with the position within a
  numeric bin, with or without a privacy budget).

>>> sorted(CODECS)
['binned', 'exact']
>>> import numpy as np, pandas as pd
>>> from simulacra.metadata import Metadata
>>> df = pd.DataFrame({"x": [1.5, None, 3.0], "c": ["a", "b", "a"]})
>>> codec = codec_for("exact", Metadata.detect(df)).fit(df, np.random.default_rng(0))
>>> [c.name for c in codec.encoded_columns_]
['x', 'x#null', 'c']
"""

from __future__ import annotations

from typing import Any

from simulacra.encoders.base import Encoder
from simulacra.encoders.binned import BinnedCodec
from simulacra.encoders.boolean import BooleanEncoder
from simulacra.encoders.categorical import CategoricalEncoder
from simulacra.encoders.codec import (
    NULL_SUFFIX,
    CodecBudget,
    ConditionDomain,
    EncodedColumn,
    TableCodec,
)
from simulacra.encoders.columns import ENCODERS, encoder_class, encoder_for, encoder_from_state
from simulacra.encoders.datetime import DatetimeEncoder
from simulacra.encoders.exact import ExactCodec
from simulacra.encoders.identifier import IdEncoder
from simulacra.encoders.missing import GeneratedEncoder, MissingIndicator
from simulacra.encoders.numerical import NumericalEncoder
from simulacra.encoders.pii import PIIEncoder
from simulacra.encoders.text import TextEncoder
from simulacra.errors import ParameterError
from simulacra.metadata import Metadata

#: Table codecs by the name a model file records.
CODECS: dict[str, type[TableCodec]] = {cls.name: cls for cls in (ExactCodec, BinnedCodec)}


def codec_for(name: str, metadata: Metadata, **options: Any) -> TableCodec:
    """A new (unfitted) table codec registered under ``name``, with its ``options``."""
    cls = CODECS.get(name)
    if cls is None:
        raise ParameterError(f"The 'codec' parameter must be one of {', '.join(sorted(CODECS))}."
                             f" Got {name!r} instead.")
    return cls(metadata, **options)


__all__ = [
    "CODECS",
    "ENCODERS",
    "NULL_SUFFIX",
    "BinnedCodec",
    "BooleanEncoder",
    "CategoricalEncoder",
    "CodecBudget",
    "ConditionDomain",
    "DatetimeEncoder",
    "EncodedColumn",
    "Encoder",
    "ExactCodec",
    "GeneratedEncoder",
    "IdEncoder",
    "MissingIndicator",
    "NumericalEncoder",
    "PIIEncoder",
    "TableCodec",
    "TextEncoder",
    "codec_for",
    "encoder_class",
    "encoder_for",
    "encoder_from_state",
]
