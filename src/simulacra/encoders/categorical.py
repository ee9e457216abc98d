"""Categories: integer codes by descending frequency, nulls and rare values as their own codes.

>>> s = pd.Series(["b", "a", "b", None, "c", "b", "a"], name="colour")
>>> enc = CategoricalEncoder().fit(s)
>>> enc.categories_, enc.frequencies_.tolist(), enc.null_code_
(['b', 'a', 'c'], [3, 2, 1, 1], 3)
>>> codes = enc.transform(s)
>>> codes.tolist()
[0, 1, 0, 3, 2, 0, 1]
>>> enc.inverse_transform(codes, np.random.default_rng(0)).equals(s)
True

Categories are compared by type as well as value, so ``True``, ``1`` and ``'1'`` in one object
column stay three categories (``1`` and ``1.0`` are the same number and share one).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import ArrayLike, Encoder, Output, State, array_of
from simulacra.encoders.codec import ConditionDomain
from simulacra.encoders.missing import NULL_VALUES, null_kind
from simulacra.errors import DataError, check_param
from simulacra.kinds import Categorical, ColumnKind, column_from_dict

#: Type tags: values are only ever matched against categories of the same tag.
_BOOL, _NUM, _STR = "bool", "num", "str"
_INFERRED_TAGS = {"string": _STR, "integer": _NUM, "floating": _NUM,
                  "mixed-integer-float": _NUM, "boolean": _BOOL}
_HANDLE_UNKNOWN = ("error", "rare")
_SHOWN = 5  # how many offending values an error message lists


def type_tag(t: type) -> str | None:
    if issubclass(t, bool | np.bool_):
        return _BOOL
    if issubclass(t, int | float | np.integer | np.floating):
        return _NUM
    if issubclass(t, str):
        return _STR
    return None


def _py(value: Any) -> Any:
    """A JSON-safe Python scalar for a numpy scalar; other values unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def show_values(values: list[Any]) -> str:
    shown = ", ".join(repr(_py(v))[:60] for v in values[:_SHOWN])
    return shown + (f", … ({len(values)} in all)" if len(values) > _SHOWN else "")


def _object_array(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


class CategoricalEncoder(Encoder):
    """Encode a column of categories as ``int64`` codes.

    Codes ``0 .. len(categories_) - 1`` are the categories by descending frequency (ties by
    type, then string form) or in the order of ``spec.categories``; then, when present, the
    ``rare_code_`` (categories seen fewer than ``min_frequency`` times, pooled) and the
    ``null_code_`` (nulls are encoded, not refused: ``handles_nulls`` is True).

    Decoding the rare code draws one of the pooled categories by frequency with ``rng``;
    decoding the null code restores the column's own null object (``None``, NaN, ``pd.NA``).

    ``handle_unknown`` says what ``transform`` does with a value not seen at fit (or a null
    when the column had none): ``"error"`` raises :class:`~simulacra.errors.DataError`,
    ``"rare"`` maps it to the rare code, or to the least frequent category if nothing was pooled.
    """

    name: ClassVar[str] = "categorical"
    output: ClassVar[Output] = "discrete"
    handles_nulls: ClassVar[bool] = True

    def __init__(self, spec: Categorical | None = None, *, min_frequency: int = 1,
                 handle_unknown: str = "error") -> None:
        super().__init__()
        self.spec: ColumnKind = spec if spec is not None else Categorical()
        self.min_frequency = min_frequency
        self.handle_unknown = handle_unknown

    # -- fit: count (analyze), then lay out the codes (reduce) ---------------------------------
    def fit(self, series: pd.Series) -> CategoricalEncoder:
        check_param("min_frequency", self.min_frequency, "an integer >= 1",
                    isinstance(self.min_frequency, int | np.integer)
                    and not isinstance(self.min_frequency, bool) and self.min_frequency >= 1)
        check_param("handle_unknown", self.handle_unknown, "'error' or 'rare'",
                    self.handle_unknown in _HANDLE_UNKNOWN)
        self._null_count = int(series.isna().sum())
        self.null_kind_ = null_kind(series)
        self._dtype_categories = self._dtype_categories_dtype = None
        self._dtype_ordered = False
        super().fit(series)
        return self

    def _fit(self, values: pd.Series) -> None:
        uniques, tags, counts = self._count(values)
        fixed = getattr(self.spec, "categories", None)
        self._layout(uniques, tags, counts, None if fixed is None else list(fixed))

    def _count(self, values: pd.Series) -> tuple[list[Any], list[str], np.ndarray]:
        """Distinct non-null values (as Python scalars), their type tags and counts."""
        if isinstance(values.dtype, pd.CategoricalDtype):
            dtype = values.dtype
            self._dtype_categories = [_py(v) for v in dtype.categories.tolist()]
            self._check_tags(self._dtype_categories,
                             [type_tag(type(v)) for v in self._dtype_categories])
            self._dtype_categories_dtype = str(dtype.categories.dtype)
            self._dtype_ordered = bool(dtype.ordered)
            counts = np.bincount(values.cat.codes.to_numpy(), minlength=len(dtype.categories))
            used = np.flatnonzero(counts)
            uniques = [_py(v) for v in dtype.categories[used].tolist()]
            tags = self._check_tags(uniques, [type_tag(type(v)) for v in uniques])
            return uniques, tags, counts[used]
        uniques, tags, counts = [], [], []
        for tag, mask in self._groups(values):
            codes, found = pd.factorize(values if mask is None else values[mask])
            uniques += [_py(v) for v in found.tolist()]
            tags += [tag] * len(found)
            counts.append(np.bincount(codes, minlength=len(found)))
        return uniques, tags, np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)

    def _groups(self, values: pd.Series) -> list[tuple[str, np.ndarray | None]]:
        """Split non-null, non-categorical ``values`` by type tag: (tag, row mask or None=all)."""
        dtype = values.dtype
        if not pd.api.types.is_object_dtype(dtype):
            if pd.api.types.is_bool_dtype(dtype):
                return [(_BOOL, None)]
            if pd.api.types.is_numeric_dtype(dtype) and dtype.kind != "c":
                return [(_NUM, None)]
            if pd.api.types.is_string_dtype(dtype):
                return [(_STR, None)]
            raise DataError(f"column {self.column_!r} has dtype {dtype}, which cannot be a "
                            f"{self.name} column; cast it to str (e.g. df[col].astype(str)) or "
                            "declare another kind")
        if values.empty:
            return []
        tag = _INFERRED_TAGS.get(pd.api.types.infer_dtype(values, skipna=True))
        if tag is not None:
            return [(tag, None)]
        # Mixed object column: one Python call per row to get the types, the rest vectorized.
        types = values.map(type)
        tag_of = {t: type_tag(t) for t in types.unique()}
        bad = [t for t, tag in tag_of.items() if tag is None]
        if bad:
            examples = values[types.isin(bad)].unique().tolist()
            types_seen = ", ".join(sorted(t.__name__ for t in bad))
            raise DataError(f"column {self.column_!r} holds values of type "
                            f"{types_seen} ({show_values(examples)}); "
                            f"{self.name} values must be str, int, float or bool: cast the "
                            "column to str (e.g. df[col].astype(str))")
        tags = types.map(tag_of).to_numpy()
        return [(tag, tags == tag) for tag in (_BOOL, _NUM, _STR) if (tags == tag).any()]

    def _check_tags(self, values: list[Any], tags: list[str | None]) -> list[str]:
        bad = [v for v, t in zip(values, tags, strict=True) if t is None]
        if bad:
            raise DataError(f"column {self.column_!r}: categories must be str, int, float or "
                            f"bool, got {show_values(bad)}; cast the column to str "
                            "(e.g. df[col].astype(str))")
        return tags  # type: ignore[return-value]

    def _layout(self, uniques: list[Any], tags: list[str], counts: np.ndarray,
                fixed: list[Any] | None) -> None:
        """Order the categories, pool the rare ones and assign codes."""
        counts = np.asarray(counts, dtype=np.int64)
        if fixed is None:
            text = [str(v) for v in uniques]
            order = sorted(range(len(uniques)), key=lambda i: (-counts[i], tags[i], text[i]))
            cats = [uniques[i] for i in order]
            cat_tags = [tags[i] for i in order]
            freqs = counts[order]
        else:
            cats = [_py(v) for v in fixed]
            cat_tags = self._check_tags(cats, [type_tag(type(v)) for v in cats])
            codes = _Lookup(cats, cat_tags, np.arange(len(cats))).codes_of_scalars(uniques, tags)
            outside = [u for u, c in zip(uniques, codes, strict=True) if c < 0]
            if outside:
                raise DataError(f"column {self.column_!r} has values outside the declared "
                                f"categories: {show_values(outside)}; add them to the column's "
                                "categories in the metadata or clean the data")
            freqs = np.zeros(len(cats), dtype=np.int64)
            np.add.at(freqs, codes, counts)
        rare = (freqs > 0) & (freqs < self.min_frequency)
        keep = ~rare
        self.categories_: list[Any] = [c for c, k in zip(cats, keep, strict=True) if k]
        self.rare_categories_: list[Any] = [c for c, r in zip(cats, rare, strict=True) if r]
        self.rare_frequencies_ = freqs[rare]
        parts = [freqs[keep]]
        code = len(self.categories_)
        self.rare_code_: int | None = None
        if rare.any():
            self.rare_code_ = code
            parts.append(np.array([freqs[rare].sum()]))
            code += 1
        self.null_code_: int | None = code if self._null_count else None
        if self._null_count:
            parts.append(np.array([self._null_count]))
        self.frequencies_ = np.concatenate(parts).astype(np.int64)
        self._cat_tags = [t for t, k in zip(cat_tags, keep, strict=True) if k]
        self._rare_tags = [t for t, r in zip(cat_tags, rare, strict=True) if r]
        self._prepare()

    def _prepare(self) -> None:
        """Build the lookup tables used by transform / inverse_transform."""
        n = len(self.categories_)
        codes = np.concatenate([np.arange(n), np.full(len(self.rare_categories_),
                                                      -1 if self.rare_code_ is None
                                                      else self.rare_code_)])
        self._lookup = _Lookup(self.categories_ + self.rare_categories_,
                               self._cat_tags + self._rare_tags, codes.astype(np.int64))
        self._rare_p = self.rare_frequencies_ / max(self.rare_frequencies_.sum(), 1)
        # what decoding picks from: the categories, the rare ones, then the null (if any) ...
        nulls = [NULL_VALUES[self.null_kind_]] if self.null_code_ is not None else []
        self._decode = _object_array([*self.categories_, *self.rare_categories_, *nulls])
        self._null_position = n + len(self.rare_categories_)
        # ... and the same already in the fitted dtype
        self._decoded = self._cast_table()

    def _cast_table(self) -> ArrayLike | None:
        """The decoding table in the fitted dtype; None when the dtype cannot hold all of it
        (then only the values picked are cast, as they are decoded)."""
        try:
            return array_of(self._restore(self._decode))
        except (TypeError, ValueError, OverflowError):
            return None

    @property
    def cardinality(self) -> int:
        return len(self.frequencies_)

    # -- transform ------------------------------------------------------------------------------
    def _transform(self, values: pd.Series) -> np.ndarray:
        nulls = values.isna().to_numpy()
        codes = np.full(len(values), -1, dtype=np.int64)
        present = values[~nulls]
        if isinstance(present.dtype, pd.CategoricalDtype):
            categories = pd.Series(present.dtype.categories, dtype=object)
            mapping = self._lookup.codes_of(categories, self._groups(categories))
            codes[~nulls] = mapping[present.cat.codes.to_numpy()]
        elif len(present):
            codes[~nulls] = self._lookup.codes_of(present, self._groups(present))
        if self.null_code_ is not None:
            codes[nulls] = self.null_code_
        unknown = codes < 0
        if unknown.any():
            if self.handle_unknown == "error":
                seen = values[unknown].unique().tolist()
                raise DataError(f"column {self.column_!r} has values not seen at fit: "
                                f"{show_values(seen)}; refit on data that contains them or use "
                                "handle_unknown='rare'")
            codes[unknown] = self._unknown_code()
        return codes

    def _unknown_code(self) -> int:
        if self.rare_code_ is not None:
            return self.rare_code_
        if not self.categories_:
            raise DataError(f"column {self.column_!r} had no values at fit, so unseen values "
                            "have no code to map to; refit on data with values")
        kept = self.frequencies_[: len(self.categories_)]
        return int(len(kept) - 1 - np.argmin(kept[::-1]))  # the last of the least frequent

    def _inverse_transform(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        return self._series(self._inverse_array(values, rng))

    def _inverse_array(self, values: np.ndarray, rng: np.random.Generator) -> ArrayLike:
        positions = self._positions(self._checked_codes(values), rng)
        if self._decoded is not None:
            return self._decoded.take(positions)
        return array_of(self._restore(self._decode[positions]))

    def _checked_codes(self, values: np.ndarray) -> np.ndarray:
        """``values`` as a new ``int64`` array of codes; DataError unless all are codes."""
        codes = np.asarray(values).reshape(-1)
        if codes.size and ((codes.dtype.kind not in "iu" and not np.all(np.mod(codes, 1) == 0))
                           or codes.min() < 0 or codes.max() >= self.cardinality):
            raise DataError(f"column {self.column_!r}: codes must be integers in "
                            f"[0, {self.cardinality}); got values from {codes.min()} to "
                            f"{codes.max()}")
        return codes.astype(np.int64)

    def _positions(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each code's position in the decoding table (in place): a category's is its code,
        the rare code's one of the pooled categories drawn by frequency with ``rng``, the
        null code's the null's."""
        kept = len(self.categories_)
        null = codes == self.null_code_ if self.null_code_ is not None else None
        if self.rare_code_ is not None:
            rare = codes == self.rare_code_
            codes[rare] = kept + rng.choice(len(self._rare_p), size=int(rare.sum()),
                                            p=self._rare_p)
        if null is not None:
            codes[null] = self._null_position
        return codes

    def _restore(self, out: np.ndarray) -> pd.Series:
        """An object array of categories as a Series of the fitted dtype."""
        if self.dtype_ == "category":
            cats = pd.Index(self._dtype_categories, dtype=self._dtype_categories_dtype)
            dtype = pd.CategoricalDtype(cats, ordered=self._dtype_ordered)
            return pd.Series(pd.Categorical(out, dtype=dtype), name=self.column_)
        series = pd.Series(out, dtype=object, name=self.column_)
        return series if self.dtype_ == "object" else series.astype(self.dtype_)

    # -- what table codecs ask ------------------------------------------------------------------
    def condition_domain(self) -> ConditionDomain:
        self._check_fitted()
        return ConditionDomain(categories=(*self.categories_, *self.rare_categories_))

    def null_code(self) -> int | None:
        self._check_fitted()
        return self.null_code_

    def declared_categories(self, series: pd.Series) -> tuple[Any, ...] | None:
        """The categories known without looking at the values (the metadata's), if any."""
        return getattr(self.spec, "categories", None)

    # -- state ----------------------------------------------------------------------------------
    def _get_state(self) -> State:
        return {"spec": self.spec.to_dict(), "min_frequency": int(self.min_frequency),
                "handle_unknown": self.handle_unknown, "categories": self.categories_,
                "category_tags": self._cat_tags, "frequencies": self.frequencies_,
                "rare_categories": self.rare_categories_, "rare_tags": self._rare_tags,
                "rare_frequencies": self.rare_frequencies_, "rare_code": self.rare_code_,
                "null_code": self.null_code_, "null_kind": self.null_kind_,
                "dtype_categories": self._dtype_categories,
                "dtype_categories_dtype": self._dtype_categories_dtype,
                "dtype_ordered": self._dtype_ordered}

    def _set_state(self, state: State) -> None:
        self.spec = column_from_dict(state["spec"], name=self.column_ or "?")
        self.min_frequency = int(state["min_frequency"])
        self.handle_unknown = state["handle_unknown"]
        self.categories_ = list(state["categories"])
        self._cat_tags = list(state["category_tags"])
        self.frequencies_ = np.asarray(state["frequencies"], dtype=np.int64)
        self.rare_categories_ = list(state["rare_categories"])
        self._rare_tags = list(state["rare_tags"])
        self.rare_frequencies_ = np.asarray(state["rare_frequencies"], dtype=np.int64)
        self.rare_code_ = state["rare_code"]
        self.null_code_ = state["null_code"]
        self.null_kind_ = state["null_kind"]
        self._dtype_categories = state["dtype_categories"]
        self._dtype_categories_dtype = state["dtype_categories_dtype"]
        self._dtype_ordered = bool(state["dtype_ordered"])
        self._check_codes()
        self._prepare()

    def _check_codes(self) -> None:
        """The codes a saved state says it has are the codes its tables decode: the categories
        ``0..n-1``, then the rare code (if any) ``n``, then the null code (if any)."""
        n = len(self.categories_)
        rare = None if self.rare_code_ is None else n
        null = None if self.null_code_ is None else n + (rare is not None)
        if (self.rare_code_ != rare or self.null_code_ != null
                or bool(self.rare_categories_) != (rare is not None)
                or len(self._cat_tags) != n
                or not len(self.rare_categories_) == len(self._rare_tags)
                == len(self.rare_frequencies_)
                or len(self.frequencies_) != n + (rare is not None) + (null is not None)):
            raise ValueError(f"column {self.column_!r}: the categorical state's codes disagree "
                             f"({n} categories, rare code {self.rare_code_!r}, null code "
                             f"{self.null_code_!r}, {len(self.frequencies_)} frequencies)")


class _Lookup:
    """Category → code tables, one :class:`pandas.Index` per type tag."""

    def __init__(self, categories: list[Any], tags: list[str], codes: np.ndarray) -> None:
        self.tables: dict[str, tuple[pd.Index, np.ndarray]] = {}
        tag_arr = np.asarray(tags, dtype=object)
        cats = _object_array(categories)
        for tag in dict.fromkeys(tags):
            mask = tag_arr == tag
            # ints mixed with floats stay Python objects: a float index would round big ints
            mixed = len({type(v) for v in cats[mask]}) > 1
            index = pd.Index(list(cats[mask]), dtype=object if mixed else None)
            first = ~index.duplicated()  # a code may decode a repeated raw value (booleans)
            self.tables[tag] = (index[first], np.asarray(codes)[mask][first])

    def codes_of(self, values: pd.Series,
                 groups: list[tuple[str, np.ndarray | None]]) -> np.ndarray:
        """Codes of ``values`` (split by tag into ``groups`` of row masks); -1 where unknown."""
        result = np.full(len(values), -1, dtype=np.int64)
        for tag, mask in groups:
            table = self.tables.get(tag)
            if table is None:
                continue
            index, codes = table
            pos = index.get_indexer(values if mask is None else values[mask])
            found = np.where(pos >= 0, codes[pos], -1)
            if mask is None:
                result = found
            else:
                result[mask] = found
        return result

    def codes_of_scalars(self, values: list[Any], tags: list[str]) -> np.ndarray:
        """Codes of a short list of scalars with known tags (for validation at fit)."""
        series = pd.Series(_object_array(values), dtype=object)
        tag_arr = np.asarray(tags, dtype=object)
        return self.codes_of(series, [(t, tag_arr == t) for t in dict.fromkeys(tags)])
