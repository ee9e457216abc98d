"""Column kinds: what a column *means*, as frozen value objects.

A kind says how a column is modelled and generated, not how it is stored: the storage dtype
(int64, string, datetime64, …) is learned at fit time and restored on output.

Every kind carries its *traits* as class attributes, so code that treats families of kinds
alike asks the trait, never a list of kind names (a new kind then touches no such list):

* ``family`` — how models see the column: ``"continuous"`` (numbers on a scale),
  ``"discrete"`` (one of a set) or ``"generated"`` (made fresh, never learned);
* ``linear`` — the values lie on one line: ranges, inequalities, bounds and formulas apply;
* ``groupable`` — a value can be part of a fixed combination of values;
* ``temporal`` — a point in time.

A kind may stand for several numbers (a geographic point: latitude and longitude), which its
encoder encodes as parts of one column.

>>> Numerical.family, Datetime.linear and Datetime.temporal, Text.learned
('continuous', True, False)
>>> [k for k, cls in KINDS.items() if cls.groupable]
['numerical', 'categorical', 'boolean']

>>> Numerical(integer=True, minimum=17, maximum=90).to_dict()
{'kind': 'numerical', 'integer': True, 'minimum': 17, 'maximum': 90}
>>> column_from_dict({'kind': 'categorical'})
Categorical(ordered=False, categories=None)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from simulacra.errors import MetadataError

Family = Literal["continuous", "discrete", "generated"]

PII_TYPES: tuple[str, ...] = (
    "email",
    "name",
    "first_name",
    "last_name",
    "phone",
    "address",
    "street_address",
    "city",
    "postcode",
    "ip",
    "ssn",
    "credit_card",
    "iban",
)


@dataclass(frozen=True)
class ColumnKind:
    """Base of all column kinds. ``reason`` records why detection chose the kind."""

    kind: ClassVar[str] = ""
    #: How models see the column: numbers on a scale, one of a set, or made fresh.
    family: ClassVar[Family] = "discrete"
    #: Values on one line: ranges, inequalities, bounds and formulas apply.
    linear: ClassVar[bool] = False
    #: A value can be part of a fixed combination (``FixedCombinations``).
    groupable: ClassVar[bool] = False
    #: A point in time.
    temporal: ClassVar[bool] = False
    reason: str = field(default="", compare=False, repr=False, kw_only=True)

    #: Whether models learn the column (else it is generated fresh); set from ``family``.
    learned: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.learned = cls.family != "generated"

    def problems(self, name: str) -> list[str]:
        """Return what is inconsistent in this spec (empty when valid)."""
        return []

    def with_reason(self, reason: str) -> ColumnKind:
        return dataclasses.replace(self, reason=reason)

    def to_dict(self, *, reason: bool = False) -> dict[str, Any]:
        """JSON/YAML-ready dict; fields left at their default are omitted."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            if f.name == "reason":
                continue
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        if reason and self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Numerical(ColumnKind):
    """A number. ``integer``, bounds and ``decimals`` are kept on output.

    Fields left as ``None`` are learned from the data at fit time.
    """

    kind: ClassVar[str] = "numerical"
    family: ClassVar[Family] = "continuous"
    linear: ClassVar[bool] = True
    groupable: ClassVar[bool] = True
    integer: bool | None = None
    minimum: float | None = None
    maximum: float | None = None
    decimals: int | None = None

    def problems(self, name: str) -> list[str]:
        out = []
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            out.append(f"column {name!r}: minimum {self.minimum} is greater than maximum "
                       f"{self.maximum}; swap them or remove one")
        if self.decimals is not None and not 0 <= self.decimals <= 15:
            out.append(f"column {name!r}: decimals must be between 0 and 15, got {self.decimals}")
        if self.integer and self.decimals not in (None, 0):
            out.append(f"column {name!r}: an integer column cannot have decimals="
                       f"{self.decimals}; set decimals to 0 or integer to false")
        return out


@dataclass(frozen=True)
class Categorical(ColumnKind):
    """A value from a finite set. ``categories`` optionally fixes the allowed set and its order."""

    kind: ClassVar[str] = "categorical"
    groupable: ClassVar[bool] = True
    ordered: bool = False
    categories: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if self.categories is not None and not isinstance(self.categories, tuple):
            object.__setattr__(self, "categories", tuple(self.categories))

    def problems(self, name: str) -> list[str]:
        if self.categories is not None and len(set(self.categories)) != len(self.categories):
            return [f"column {name!r}: categories contain duplicates; list each category once"]
        return []


@dataclass(frozen=True)
class Boolean(ColumnKind):
    """True/False (stored as bool, 0/1, or two strings such as 'yes'/'no')."""

    kind: ClassVar[str] = "boolean"
    groupable: ClassVar[bool] = True


@dataclass(frozen=True)
class Datetime(ColumnKind):
    """A point in time.

    ``format`` is the strftime format of string (or YYYYMMDD-integer) columns; ``None`` for
    native datetime columns. ``minimum``/``maximum`` are ISO-8601 strings.
    """

    kind: ClassVar[str] = "datetime"
    family: ClassVar[Family] = "continuous"
    linear: ClassVar[bool] = True
    temporal: ClassVar[bool] = True
    format: str | None = None
    minimum: str | None = None
    maximum: str | None = None

    def problems(self, name: str) -> list[str]:
        out = []
        if self.format is not None and "%" not in self.format:
            out.append(f"column {name!r}: datetime format {self.format!r} has no % directive; "
                       "use strftime codes such as '%Y-%m-%d'")
        if self.minimum is not None and self.maximum is not None:
            import pandas as pd

            try:
                if pd.Timestamp(self.minimum) > pd.Timestamp(self.maximum):
                    out.append(f"column {name!r}: minimum {self.minimum} is after maximum "
                               f"{self.maximum}")
            except (ValueError, TypeError):
                out.append(f"column {name!r}: minimum/maximum must be ISO-8601 timestamps")
        return out


@dataclass(frozen=True)
class Id(ColumnKind):
    """A key or identifier: generated fresh, never copied, unique unless ``unique`` is False."""

    kind: ClassVar[str] = "id"
    family: ClassVar[Family] = "generated"
    unique: bool = True


@dataclass(frozen=True)
class PII(ColumnKind):
    """Personal data (``pii_type`` in :data:`PII_TYPES`): replaced by realistic fake values."""

    kind: ClassVar[str] = "pii"
    family: ClassVar[Family] = "generated"
    pii_type: str = "name"

    def problems(self, name: str) -> list[str]:
        if self.pii_type not in PII_TYPES:
            return [f"column {name!r}: unknown pii_type {self.pii_type!r}; "
                    f"use one of {', '.join(PII_TYPES)}"]
        return []


#: How a text column is written: a language model learned on it, its frequent words, or the
#: language model whenever torch and tokenizers are installed and the column has enough texts.
TEXT_GENERATORS: tuple[str, ...] = ("auto", "network", "words")
#: Bounds of a text column's tokenizer: the 256 bytes and the specials at least, at most about
#: what a model file's tokenizer may hold (its ``MAX_TOKENIZER_CHARS``: some 32k tokens).
MIN_TEXT_VOCABULARY, MAX_TEXT_VOCABULARY = 300, 32_768


@dataclass(frozen=True)
class Text(ColumnKind):
    """Free text, written fresh given the rest of its row.

    ``generator``: ``"network"`` trains a language model on the column (byte-level BPE and an
    LSTM, conditioned on the row's other columns; needs the ``deep`` extra); ``"words"`` draws
    the column's frequent words to its length distribution; ``"auto"`` (default) is the
    network when torch and tokenizers are installed and the column has at least 1,000 texts.
    ``max_training_time`` caps the network's training in seconds and ``epochs`` its passes
    over the texts (``None``: up to 30, stopping early when held-out texts stop improving; set
    ``epochs`` rather than a time for results that do not depend on the machine's speed);
    ``temperature`` and ``top_p`` shape its sampling (lower: safer, more repetitive text);
    ``known_words`` (default) lets it write only words at least 5 rows use (False: any
    spelling, for columns of codes or names meant to be new). ``vocabulary`` caps the
    tokenizer's size (``None``: chosen from the column's number of texts).
    Under a privacy budget the network is trained with DP-SGD on the bytes of the texts and
    takes ``privacy_share`` of what the fit has left after its metadata (the table's model gets
    the rest); ``privacy_share=0`` writes the column from public words instead.
    """

    kind: ClassVar[str] = "text"
    family: ClassVar[Family] = "generated"
    generator: str = "auto"
    max_training_time: float | None = None
    epochs: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    privacy_share: float = 0.3
    known_words: bool = True
    vocabulary: int | None = None

    def problems(self, name: str) -> list[str]:
        out = []
        if self.vocabulary is not None and not (
                _is_integer(self.vocabulary)
                and MIN_TEXT_VOCABULARY <= self.vocabulary <= MAX_TEXT_VOCABULARY):
            out.append(f"column {name!r}: vocabulary must be an integer from "
                       f"{MIN_TEXT_VOCABULARY} to {MAX_TEXT_VOCABULARY} tokens (or null: "
                       f"chosen from the column), got {self.vocabulary!r}")
        if not (_is_number(self.privacy_share) and 0 <= self.privacy_share < 1):
            out.append(f"column {name!r}: privacy_share must be a number in [0, 1), got "
                       f"{self.privacy_share!r}")
        if self.epochs is not None and not (_is_integer(self.epochs) and self.epochs >= 1):
            out.append(f"column {name!r}: epochs must be an integer >= 1, got {self.epochs!r}")
        if self.generator not in TEXT_GENERATORS:
            out.append(f"column {name!r}: unknown text generator {self.generator!r}; use one "
                       f"of {', '.join(TEXT_GENERATORS)}")
        if self.max_training_time is not None and not (
                _is_number(self.max_training_time) and self.max_training_time > 0):
            out.append(f"column {name!r}: max_training_time must be a number of seconds > 0, "
                       f"got {self.max_training_time!r}")
        if not (_is_number(self.temperature) and self.temperature > 0):
            out.append(f"column {name!r}: temperature must be a number > 0, got "
                       f"{self.temperature!r}")
        if not (_is_number(self.top_p) and 0 < self.top_p <= 1):
            out.append(f"column {name!r}: top_p must be a number in (0, 1], got {self.top_p!r}")
        return out


def _is_integer(value: Any) -> bool:
    """A Python ``int`` that is not a bool (``True`` is an ``int`` to Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and bool(np.isfinite(value))


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
#: One point: optional brackets, latitude, a separator (comma, semicolon or spaces), longitude.
_POINT = re.compile(rf"^(\s*[(\[]?\s*)({_NUMBER})(\s*[,;]\s*|\s+)({_NUMBER})(\s*[)\]]?\s*)$")


@dataclass(frozen=True)
class LatLon(ColumnKind):
    """A geographic point in decimal degrees, in one column: ``"48.8566, 2.3522"`` text
    (any brackets and separator, kept on output) or ``(lat, lon)`` tuples.

    Modelled as two numbers (latitude, longitude); ``decimals`` fixes the digits written
    after the point (learned from the text when ``None``).

    >>> lat, lon = LatLon.parse(pd.Series(["48.8566, 2.3522", "(-33.9, 151.2)", None]))
    >>> lat.tolist(), lon.tolist()
    ([48.8566, -33.9, nan], [2.3522, 151.2, nan])
    """

    kind: ClassVar[str] = "latlon"
    family: ClassVar[Family] = "continuous"
    decimals: int | None = None

    def problems(self, name: str) -> list[str]:
        if self.decimals is not None and not 0 <= self.decimals <= 10:
            return [f"column {name!r}: decimals must be between 0 and 10, got {self.decimals}"]
        return []

    @staticmethod
    def parse(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of every value; NaN where a value is null or not a point
        (text that does not read as two numbers, or numbers beyond ±90 / ±180)."""
        lat, lon = np.full(len(values), np.nan), np.full(len(values), np.nan)
        for i, value in enumerate(values.array):
            point = _point(value)
            if point is not None:
                lat[i], lon[i] = point
        return lat, lon

    @staticmethod
    def layout(value: str) -> tuple[str, str, str, int, int] | None:
        """How a text point is written: (before, separator, after, decimals of latitude,
        decimals of longitude), or ``None`` when it is not a point."""
        match = _POINT.match(value)
        if match is None:
            return None
        before, lat, sep, lon, after = match.groups()
        return before, sep, after, _decimals_of(lat), _decimals_of(lon)


def _decimals_of(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def _point(value: Any) -> tuple[float, float] | None:
    if isinstance(value, str):
        match = _POINT.match(value)
        if match is None:
            return None
        lat, lon = float(match.group(2)), float(match.group(4))
    elif isinstance(value, tuple | list) and len(value) == 2:
        try:
            lat, lon = float(value[0]), float(value[1])
        except (TypeError, ValueError):
            return None
    else:
        return None
    if not (abs(lat) <= 90 and abs(lon) <= 180):
        return None
    return lat, lon


#: Every public name of this module: the kinds and their registry, re-exported by
#: :mod:`simulacra.metadata` and :mod:`simulacra` (a new kind is added here and in ``KINDS``).
__all__ = ["KINDS", "PII", "PII_TYPES", "Boolean", "Categorical", "ColumnKind", "Datetime",
           "Family", "Id", "LatLon", "Numerical", "Text", "column_from_dict"]

KINDS: dict[str, type[ColumnKind]] = {
    cls.kind: cls for cls in (Numerical, Categorical, Boolean, Datetime, LatLon, Id, PII, Text)
}


def column_from_dict(data: dict[str, Any], *, name: str = "?") -> ColumnKind:
    """Build a column kind from its dict form, naming every unknown key at once."""
    if not isinstance(data, dict) or "kind" not in data:
        raise MetadataError(f"column {name!r}: expected a mapping with a 'kind' key, got {data!r}")
    kind = data["kind"]
    cls = KINDS.get(kind)
    if cls is None:
        raise MetadataError(f"column {name!r}: unknown kind {kind!r}; use one of "
                            f"{', '.join(KINDS)}")
    allowed = {f.name for f in dataclasses.fields(cls)}
    extra = sorted(set(data) - allowed - {"kind"})
    if extra:
        raise MetadataError([f"column {name!r}: {kind} has no field {k!r} (fields: "
                             f"{', '.join(sorted(allowed))})" for k in extra])
    kwargs = {k: v for k, v in data.items() if k != "kind"}
    return _validated(cls, kwargs, name)


def _validated(cls: type[ColumnKind], given: dict[str, Any], name: str) -> ColumnKind:
    """``cls(**given)`` with every field's type checked first (pydantic, lax: a YAML list for
    a tuple, ``3`` for ``3.0``), every wrong field named at once; whole numbers stay whole."""
    from pydantic import ValidationError

    try:
        built = _adapter(cls).validate_python(given)
    except ValidationError as err:
        raise MetadataError([
            f"column {name!r}: {cls.kind} field {'.'.join(map(str, e['loc'])) or '?'}: "
            f"{_plain(e['msg'])}, got {e.get('input')!r}" for e in err.errors()]) from None
    fixed = {key: value for key, value in given.items()
             if _is_integer(value) and isinstance(getattr(built, key, None), float)
             and getattr(built, key) == value}
    return dataclasses.replace(built, **fixed) if fixed else built


_ADAPTERS: dict[type, Any] = {}


def _adapter(cls: type) -> Any:
    if cls not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def _plain(message: str) -> str:
    """Pydantic's message in the words of a YAML file (a tuple is a list there)."""
    return message.replace("a valid tuple", "a list").replace("Input should be", "should be")


def kind_json_schema(cls: type[ColumnKind]) -> dict[str, Any]:
    """The JSON Schema of one kind's mapping in a metadata file: ``kind`` and its fields.

    >>> kind_json_schema(Boolean)["properties"]["kind"]
    {'const': 'boolean'}
    """
    schema = _adapter(cls).json_schema()
    properties = {"kind": {"const": cls.kind}, **schema.get("properties", {})}
    for field_schema in properties.values():
        field_schema.pop("title", None)
    return {"type": "object", "title": cls.kind, "description": (cls.__doc__ or "").strip()
            .split("\n\n")[0], "properties": properties, "required": ["kind"],
            "additionalProperties": False}
