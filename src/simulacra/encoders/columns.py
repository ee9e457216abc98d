"""One encoder per column kind: the registry, and how to make or rebuild an encoder.

>>> import pandas as pd
>>> from simulacra.kinds import Categorical, Numerical
>>> type(encoder_for(Numerical())).__name__
'NumericalEncoder'
>>> encoder_for(Categorical(), min_frequency=5).min_frequency
5
>>> enc = encoder_for(Numerical()).fit(pd.Series([1, 2, 3], name="n"))
>>> type(encoder_from_state(enc.get_state())).__name__
'NumericalEncoder'

Options that some other encoder accepts are ignored by the encoders that do not (so one set
of options can be passed for a whole table); an option no encoder accepts raises.
"""

from __future__ import annotations

import inspect
from typing import Any

from simulacra.encoders.base import Encoder, State
from simulacra.encoders.boolean import BooleanEncoder
from simulacra.encoders.categorical import CategoricalEncoder
from simulacra.encoders.datetime import DatetimeEncoder
from simulacra.encoders.identifier import IdEncoder
from simulacra.encoders.latlon import LatLonEncoder
from simulacra.encoders.numerical import NumericalEncoder
from simulacra.encoders.pii import PIIEncoder
from simulacra.encoders.text import TextEncoder
from simulacra.errors import ModelFileError, ParameterError
from simulacra.kinds import ColumnKind

#: Encoder classes by name; a column kind's encoder has the kind's name.
ENCODERS: dict[str, type[Encoder]] = {
    cls.name: cls
    for cls in (NumericalEncoder, CategoricalEncoder, BooleanEncoder, DatetimeEncoder,
                LatLonEncoder, IdEncoder, PIIEncoder, TextEncoder)
}


def _options(cls: type[Encoder]) -> frozenset[str]:
    params = inspect.signature(cls.__init__).parameters
    return frozenset(p.name for p in params.values() if p.kind is p.KEYWORD_ONLY)


_OPTIONS: dict[str, frozenset[str]] = {name: _options(cls) for name, cls in ENCODERS.items()}
_ALL_OPTIONS: frozenset[str] = frozenset().union(*_OPTIONS.values())


def encoder_class(spec: ColumnKind) -> type[Encoder]:
    """The encoder class of column kind ``spec``.

    >>> from simulacra.kinds import Datetime
    >>> encoder_class(Datetime()).name
    'datetime'
    """
    cls = ENCODERS.get(spec.kind)
    if cls is None:
        raise ParameterError(f"The 'spec' parameter must be a column kind with an encoder "
                             f"({', '.join(ENCODERS)}). Got {spec!r} instead.")
    return cls


def encoder_for(spec: ColumnKind, **options: Any) -> Encoder:
    """A new (unfitted) encoder for a column of kind ``spec``.

    ``options`` are the encoders' keyword options (``min_frequency``, ``handle_unknown``,
    ``locale``, ``min_word_count``); each encoder takes those it knows.
    """
    cls = encoder_class(spec)
    unknown = sorted(set(options) - _ALL_OPTIONS)
    if unknown:
        raise ParameterError(f"The encoder options {unknown} are not known; use "
                             f"{', '.join(sorted(_ALL_OPTIONS))}.")
    return cls(spec, **{k: v for k, v in options.items() if k in _OPTIONS[spec.kind]})


def encoder_from_state(state: State) -> Encoder:
    """Rebuild a fitted encoder from :meth:`Encoder.get_state` output (registry lookup only)."""
    name = state.get("encoder") if isinstance(state, dict) else None
    cls = ENCODERS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ModelFileError(f"unknown encoder {name!r} in the model file; known encoders: "
                             f"{', '.join(ENCODERS)} (was it written by a newer simulacra?)")
    try:
        return cls.from_state(state)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the state of the {name} encoder for column "
                             f"{state.get('column')!r} is incomplete or corrupted ({exc!r})") \
            from exc
