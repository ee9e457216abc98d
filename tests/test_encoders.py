"""Column encoders: exact round trips (Hypothesis), state round trips, generated kinds, errors."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from simulacra.encoders import (
    ENCODERS,
    BooleanEncoder,
    CategoricalEncoder,
    DatetimeEncoder,
    Encoder,
    IdEncoder,
    MissingIndicator,
    NumericalEncoder,
    PIIEncoder,
    TextEncoder,
    encoder_for,
    encoder_from_state,
)
from simulacra.errors import DataError, ModelFileError, NotFittedError, ParameterError
from simulacra.kinds import (
    KINDS,
    PII,
    PII_TYPES,
    Categorical,
    Datetime,
    Id,
    Numerical,
)

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


# -- helpers ------------------------------------------------------------------------------------
def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def without_arrays(value: Any) -> Any:
    """The state with every ndarray leaf turned into a list."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: without_arrays(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_arrays(v) for v in value]
    return value


def assert_json_state(enc: Encoder | MissingIndicator) -> str:
    """The state must be JSON once ndarrays are taken out; returns the JSON text."""
    return json.dumps(without_arrays(enc.get_state()))


def typed(values: pd.Series) -> list[tuple[Any, ...]]:
    """Values with what the round trip must keep: bool vs number vs str, and nulls."""
    return [(type(v).__name__ if isinstance(v, bool | str) or v is None else "num",
             None if v is None else ("nan" if isinstance(v, float) and np.isnan(v) else v))
            for v in values.tolist()]


def round_trip(enc: Encoder, series: pd.Series, seed: int = 0) -> pd.Series:
    """Fit, encode, decode; check the decoded column and the state round trip; return codes."""
    enc.fit(series)
    encoded = enc.transform(series)
    assert encoded.shape == (len(series),)
    if enc.output == "discrete":
        assert encoded.dtype == np.int64
        assert encoded.size == 0 or 0 <= encoded.min() <= encoded.max() < enc.cardinality
    else:
        assert encoded.dtype == np.float64
    decoded = enc.inverse_transform(encoded, rng(seed))
    pd.testing.assert_series_equal(decoded, series, check_exact=True)
    if pd.api.types.is_object_dtype(series.dtype):
        assert typed(decoded) == typed(series)
    # state round trip: JSON-safe, and the rebuilt encoder behaves the same
    assert_json_state(enc)
    clone = encoder_from_state(enc.get_state())
    assert type(clone) is type(enc)
    np.testing.assert_array_equal(clone.transform(series), encoded)
    pd.testing.assert_series_equal(clone.inverse_transform(encoded, rng(seed)), decoded)
    return encoded


def series(values: list[Any], dtype: Any = None, name: str = "col") -> pd.Series:
    return pd.Series(values, dtype=dtype, name=name)


# -- numerical ----------------------------------------------------------------------------------
INT_DTYPES = {"int8": (-128, 127), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
              "int64": (-2**53, 2**53), "uint8": (0, 255), "uint16": (0, 2**16 - 1),
              "uint32": (0, 2**32 - 1), "uint64": (0, 2**53), "Int64": (-2**53, 2**53),
              "UInt16": (0, 2**16 - 1)}


@SETTINGS
@given(st.sampled_from(sorted(INT_DTYPES)).flatmap(
    lambda d: st.tuples(st.just(d), st.lists(st.integers(*INT_DTYPES[d]), min_size=1,
                                             max_size=40))))
def test_numerical_integers_round_trip(case: tuple[str, list[int]]) -> None:
    dtype, values = case
    enc = NumericalEncoder()
    round_trip(enc, series(values, dtype))
    assert enc.integer_ and enc.decimals_ == 0


@SETTINGS
@given(st.integers(0, 6), st.lists(st.integers(-10**9, 10**9), min_size=1, max_size=40),
       st.sampled_from(["float64", "Float64", "object"]))
def test_numerical_decimals_round_trip(decimals: int, ints: list[int], dtype: str) -> None:
    values = [round(i / 10**decimals, decimals) for i in ints]
    enc = NumericalEncoder()
    round_trip(enc, series(values, dtype))
    assert enc.decimals_ <= decimals


@SETTINGS
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_numerical_any_float64_round_trip(values: list[float]) -> None:
    round_trip(NumericalEncoder(), series(values, "float64"))


@SETTINGS
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1,
                max_size=40), st.sampled_from(["float32", "Float32"]))
def test_numerical_any_float32_round_trip(values: list[float], dtype: str) -> None:
    round_trip(NumericalEncoder(), series(values, dtype))


def test_numerical_clips_and_rounds_on_inverse() -> None:
    enc = NumericalEncoder().fit(series([1.25, 2.5, 10.0]))
    out = enc.inverse_transform(np.array([-5.0, 3.14159, 2.0000001, 100.0]), rng())
    assert out.tolist() == [1.25, 3.14, 2.0, 10.0]
    ints = NumericalEncoder().fit(series([3, 7, 5], "uint8"))
    out = ints.inverse_transform(np.array([0.4, 4.6, 1e9, -1e9]), rng())
    assert out.dtype == np.uint8 and out.tolist() == [3, 5, 7, 3]


def test_numerical_spec_overrides_learned_values() -> None:
    spec = Numerical(integer=False, minimum=0, maximum=100, decimals=1)
    enc = NumericalEncoder(spec).fit(series([10, 20, 30]))
    assert (enc.integer_, enc.decimals_, enc.minimum_, enc.maximum_) == (False, 1, 0.0, 100.0)
    assert enc.inverse_transform(np.array([-1.0, 55.55, 101.0]), rng()).tolist() == [0, 56, 100]


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_numerical_inf_is_a_data_error_naming_the_column(bad: float) -> None:
    with pytest.raises(DataError, match=r"'income'.*replace them with NaN or finite"):
        NumericalEncoder().fit(series([1.0, bad], name="income"))
    enc = NumericalEncoder().fit(series([1.0, 2.0], name="income"))
    with pytest.raises(DataError, match="'income'"):
        enc.transform(series([1.0, bad], name="income"))


def test_numerical_refuses_booleans_and_strings() -> None:
    with pytest.raises(DataError, match=r"'flag'.*boolean"):
        NumericalEncoder().fit(series([True, False], name="flag"))
    with pytest.raises(DataError, match="'txt'"):
        NumericalEncoder().fit(series(["1", "x"], object, name="txt"))


def test_numerical_refuses_nulls_in_transform() -> None:
    enc = NumericalEncoder().fit(series([1.0, None, 3.0]))
    with pytest.raises(DataError, match="MissingIndicator"):
        enc.transform(series([1.0, None]))


# -- categorical --------------------------------------------------------------------------------
SCALARS = st.one_of(st.text(max_size=12), st.integers(-2**70, 2**70), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False), st.just(None))


@SETTINGS
@given(st.lists(SCALARS, min_size=1, max_size=40))
@example([2**53 + 1, 0.0, 2**53, "x", True, 1, None])  # big ints next to floats stay exact
def test_categorical_mixed_object_round_trip(values: list[Any]) -> None:
    round_trip(CategoricalEncoder(), series(values, object))


@SETTINGS
@given(st.lists(st.one_of(st.text(), st.none()), min_size=1, max_size=40),
       st.sampled_from(["str", "string", "object", "category"]))
def test_categorical_strings_round_trip(values: list[str | None], dtype: str) -> None:
    round_trip(CategoricalEncoder(), series(values, dtype))


@SETTINGS
@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=40),
       st.sampled_from(["int64", "int16", "float64", "Int64", "bool", "boolean"]))
def test_categorical_numbers_and_bools_round_trip(values: list[int], dtype: str) -> None:
    if "bool" in dtype:
        values = [v % 2 == 0 for v in values]
    round_trip(CategoricalEncoder(), series(values, dtype))


def test_categorical_codes_by_frequency_nulls_last() -> None:
    s = series(["b", "a", "b", None, "c", "b", "a"])
    enc = CategoricalEncoder().fit(s)
    assert enc.categories_ == ["b", "a", "c"]
    assert enc.frequencies_.tolist() == [3, 2, 1, 1]
    assert enc.null_code_ == 3 and enc.cardinality == 4
    assert round_trip(CategoricalEncoder(), s).tolist() == [0, 1, 0, 3, 2, 0, 1]


@pytest.mark.parametrize(("values", "dtype", "null"), [
    (["a", None, "b"], object, None),
    (["a", np.nan, "b"], object, np.nan),
    (["a", None, "b"], "str", np.nan),
    (["a", None, "b"], "string", pd.NA),
    ([1, None, 2], "Int64", pd.NA),
    ([1.5, None, 2.5], "float64", np.nan),
])
def test_categorical_restores_the_null_object(values: list[Any], dtype: Any, null: Any) -> None:
    s = series(values, dtype)
    round_trip(CategoricalEncoder(), s)
    enc = CategoricalEncoder().fit(s)
    out = enc.inverse_transform(np.array([enc.null_code_]), rng())
    got = out.iloc[0]
    assert got is null or (null is np.nan and isinstance(got, float) and np.isnan(got))


def test_categorical_category_dtype_keeps_categories_and_order() -> None:
    dtype = pd.CategoricalDtype(["low", "mid", "high", "unused"], ordered=True)
    s = series(["mid", "low", None, "high", "mid"], dtype)
    round_trip(CategoricalEncoder(), s)
    out = CategoricalEncoder().fit(s).inverse_transform(np.array([0, 1]), rng())
    assert out.dtype == dtype


def test_categorical_keeps_true_one_and_string_one_apart() -> None:
    s = series([True, 1, "1", 1, True, True], object)
    enc = CategoricalEncoder().fit(s)
    assert enc.categories_ == [True, 1, "1"]
    round_trip(CategoricalEncoder(), s)


def test_categorical_unicode_and_very_long_strings() -> None:
    long = "ž" * 50_000
    s = series(["日本語", long, "🙂 emoji", long + "x", "", " ", "日本語", None])
    round_trip(CategoricalEncoder(), s)


def test_categorical_spec_categories_fix_order_and_set() -> None:
    spec = Categorical(categories=("small", "medium", "large"))
    s = series(["large", "small", "large"])
    enc = CategoricalEncoder(spec).fit(s)
    assert enc.categories_ == ["small", "medium", "large"]
    assert enc.frequencies_.tolist() == [1, 0, 2]
    round_trip(CategoricalEncoder(spec), s)
    with pytest.raises(DataError, match=r"'size'.*outside the declared categories.*'huge'"):
        CategoricalEncoder(spec).fit(series(["small", "huge"], name="size"))


def test_categorical_unseen_values_error_or_rare() -> None:
    s = series(["a"] * 5 + ["b"] * 3 + ["c"], name="grade")
    enc = CategoricalEncoder().fit(s)
    with pytest.raises(DataError, match=r"'grade'.*not seen at fit.*'z'"):
        enc.transform(series(["a", "z"], name="grade"))
    with pytest.raises(DataError, match="'grade'"):
        enc.transform(series(["a", None], name="grade"))
    lenient = CategoricalEncoder(handle_unknown="rare").fit(s)
    assert lenient.transform(series(["z", "a"])).tolist() == [2, 0]  # least frequent: 'c'
    pooled = CategoricalEncoder(min_frequency=4, handle_unknown="rare").fit(s)
    assert pooled.transform(series(["z", "b", "a"])).tolist() == [1, 1, 0]


def test_categorical_rare_pooling_decodes_only_to_pooled_categories() -> None:
    values = ["common"] * 50 + ["other"] * 30 + ["r1"] * 3 + ["r2"] * 1 + ["r3"] * 2
    s = series(values)
    enc = CategoricalEncoder(min_frequency=5).fit(s)
    assert enc.categories_ == ["common", "other"]
    assert sorted(enc.rare_categories_) == ["r1", "r2", "r3"]
    assert enc.rare_code_ == 2 and enc.frequencies_.tolist() == [50, 30, 6]
    codes = enc.transform(s)
    assert set(codes[80:].tolist()) == {2}
    decoded = enc.inverse_transform(np.full(6000, 2), rng())
    shares = decoded.value_counts(normalize=True)
    assert set(shares.index) == {"r1", "r2", "r3"}
    assert abs(shares["r1"] - 0.5) < 0.05 and abs(shares["r2"] - 1 / 6) < 0.05
    assert_json_state(enc)
    clone = encoder_from_state(enc.get_state())
    pd.testing.assert_series_equal(clone.inverse_transform(np.full(50, 2), rng(3)),
                                   enc.inverse_transform(np.full(50, 2), rng(3)))


@pytest.mark.parametrize("bad", [pd.Timestamp("2020-01-01"), b"bytes", dt.date(2020, 1, 1)])
def test_categorical_refuses_non_scalar_types(bad: Any) -> None:
    with pytest.raises(DataError, match=r"'when'.*cast the column to str"):
        CategoricalEncoder().fit(series(["a", bad, "b"], object, name="when"))


def test_categorical_refuses_datetime_dtype() -> None:
    with pytest.raises(DataError, match=r"'when'.*astype\(str\)"):
        CategoricalEncoder().fit(series(pd.to_datetime(["2020-01-01"]), name="when"))


def test_categorical_bad_codes_and_parameters() -> None:
    enc = CategoricalEncoder().fit(series(["a", "b"]))
    with pytest.raises(DataError, match=r"codes must be integers in \[0, 2\)"):
        enc.inverse_transform(np.array([0, 2]), rng())
    with pytest.raises(ParameterError, match="handle_unknown"):
        CategoricalEncoder(handle_unknown="ignore").fit(series(["a"]))
    with pytest.raises(ParameterError, match="min_frequency"):
        CategoricalEncoder(min_frequency=0).fit(series(["a"]))
    with pytest.raises(NotFittedError):
        CategoricalEncoder().transform(series(["a"]))


def test_categorical_ten_thousand_categories_is_fast() -> None:
    gen = rng()
    s = series([f"category-{i}" for i in gen.integers(0, 10_000, size=100_000)]
               + [f"category-{i}" for i in range(10_000)])
    start = time.perf_counter()
    enc = CategoricalEncoder().fit(s)
    codes = enc.transform(s)
    elapsed = time.perf_counter() - start
    assert enc.cardinality == 10_000
    assert elapsed < 1.0, f"fit + transform took {elapsed:.2f}s"
    pd.testing.assert_series_equal(enc.inverse_transform(codes, gen), s)


# -- boolean ------------------------------------------------------------------------------------
BOOL_CASES = [
    ((False, True), "bool"), ((False, True), "boolean"), ((0, 1), "int64"), ((0, 1), "Int64"),
    (("no", "yes"), "str"), (("N", "Y"), "object"), (("false", "true"), "string"),
    (("F", "T"), "str"), (("No", "Yes"), "object"), (("apple", "banana"), "str"),
    ((0.0, 1.0), "float64"),
]


@SETTINGS
@given(st.sampled_from(BOOL_CASES), st.lists(st.sampled_from([0, 1, None]), min_size=1,
                                             max_size=30))
def test_boolean_round_trip_and_codes(case: tuple[tuple[Any, Any], str],
                                      picks: list[int | None]) -> None:
    (false, true), dtype = case
    if dtype in ("bool", "int64") or all(p is None for p in picks):
        picks = [0 if p is None else p for p in picks]
    s = series([None if p is None else (false, true)[p] for p in picks], dtype)
    enc = BooleanEncoder()
    codes = round_trip(enc, s)
    if false != "apple" or {0, 1} <= set(picks):  # a lone unrecognised value counts as False
        assert codes.tolist() == [2 if p is None else p for p in picks]


def test_boolean_semantics_win_over_sorted_order() -> None:
    enc = BooleanEncoder().fit(series(["yes", "no", "yes"]))
    assert enc.categories_ == ["no", "yes"]
    enc = BooleanEncoder().fit(series(["Y", "N"]))  # sorted order would make 'N' False anyway
    assert enc.transform(series(["Y", "N"])).tolist() == [1, 0]
    enc = BooleanEncoder().fit(series(["TRUE", "FALSE"]))
    assert enc.transform(series(["TRUE"])).tolist() == [1]


def test_boolean_single_value_gets_its_counterpart() -> None:
    enc = BooleanEncoder().fit(series(["Yes", "Yes"]))
    assert enc.categories_ == ["No", "Yes"]
    assert enc.inverse_transform(np.array([0, 1]), rng()).tolist() == ["No", "Yes"]
    enc = BooleanEncoder().fit(series([True, True]))
    assert enc.inverse_transform(np.array([0]), rng()).tolist() == [False]


def test_boolean_refuses_more_than_two_values() -> None:
    with pytest.raises(DataError, match=r"'flag'.*at most two"):
        BooleanEncoder().fit(series(["a", "b", "c"], name="flag"))


# -- datetime -----------------------------------------------------------------------------------
DATETIMES = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
STRING_FORMATS = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y%m%d"]


@SETTINGS
@given(st.lists(DATETIMES, min_size=1, max_size=30), st.sampled_from(STRING_FORMATS),
       st.sampled_from(["str", "object", "string", "int64"]))
def test_datetime_strings_and_integers_round_trip(values: list[dt.datetime], fmt: str,
                                                  dtype: str) -> None:
    if dtype == "int64" and fmt != "%Y%m%d":
        dtype = "str"
    text = pd.Series(pd.to_datetime(values)).dt.strftime(fmt)
    s = series(text.astype(np.int64) if dtype == "int64" else text.tolist(), dtype)
    enc = DatetimeEncoder(Datetime(format=fmt))
    round_trip(enc, s)
    if fmt in ("%Y-%m-%d", "%Y%m%d"):
        assert enc.resolution_ == "day"


@SETTINGS
@given(st.lists(DATETIMES, min_size=1, max_size=30),
       st.sampled_from(["day", "hour", "minute", "second", "ms", "us"]),
       st.sampled_from(["s", "ms", "us", "ns"]),
       st.sampled_from([None, "UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]))
def test_datetime_native_round_trip(values: list[dt.datetime], floor: str, unit: str,
                                    tz: str | None) -> None:
    freq = {"day": "D", "hour": "h", "minute": "min", "second": "s", "ms": "ms", "us": "us"}
    index = pd.DatetimeIndex(values).floor(freq[floor]).as_unit(unit)
    span = (max(values) - min(values)) / pd.Timedelta(1, freq[floor]).to_pytimedelta()
    assume(span < 2**53)  # exactness is promised for spans under 2**53 steps
    if tz is not None:
        index = index.tz_localize("UTC").tz_convert(tz)
    s = series(index)
    enc = DatetimeEncoder()
    round_trip(enc, s)
    assert enc.unit_ == unit


def test_datetime_day_resolution_needs_midnight() -> None:
    midnight = series(pd.to_datetime(["2020-01-01", "2020-01-05"]))
    assert DatetimeEncoder().fit(midnight).resolution_ == "day"
    noon = series(pd.to_datetime(["2020-01-01 12:00", "2020-01-05 12:00"]))
    assert DatetimeEncoder().fit(noon).resolution_ == "hour"
    local = series(pd.to_datetime(["2020-01-01", "2020-01-09"]).tz_localize("Asia/Kolkata"))
    assert DatetimeEncoder().fit(local).resolution_ == "day"  # local midnight counts


def test_datetime_encoding_values_and_tz_kept() -> None:
    s = series(pd.to_datetime(["2024-01-01 06:00", "2024-01-03 18:00"]).tz_localize("UTC")
               .tz_convert("Europe/Oslo"))
    enc = DatetimeEncoder().fit(s)
    assert enc.resolution_ == "hour"
    assert enc.transform(s).tolist() == [0.0, 60.0]
    assert enc.minimum_ == s.iloc[0] and enc.maximum_ == s.iloc[1]
    out = enc.inverse_transform(np.array([1.4, 500.0, -3.0]), rng())
    assert str(out.dtype) == "datetime64[us, Europe/Oslo]"
    assert out.tolist() == [s.iloc[0] + pd.Timedelta(hours=1), s.iloc[1], s.iloc[0]]


def test_datetime_clips_to_spec_bounds() -> None:
    spec = Datetime(format="%Y-%m-%d", minimum="2020-01-01", maximum="2020-12-31")
    enc = DatetimeEncoder(spec).fit(series(["2020-03-01", "2020-04-01"]))
    assert enc.transform(series(["2020-03-01"])).tolist() == [60.0]  # days since the minimum
    out = enc.inverse_transform(np.array([-1000.0, 10_000.0, 60.4]), rng())
    assert out.tolist() == ["2020-01-01", "2020-12-31", "2020-03-01"]


def test_datetime_python_dates_and_datetimes() -> None:
    round_trip(DatetimeEncoder(), series([dt.date(2020, 1, 1), dt.date(1999, 12, 31)], object))
    round_trip(DatetimeEncoder(), series([dt.datetime(2020, 1, 1, 5), dt.datetime(2021, 1, 1)],
                                         object))


def test_datetime_strings_without_format_are_a_data_error() -> None:
    with pytest.raises(DataError, match=r"'signup'.*set the datetime format in the metadata"):
        DatetimeEncoder().fit(series(["2020-01-01"], name="signup"))
    with pytest.raises(DataError, match=r"'signup'.*format"):
        DatetimeEncoder(Datetime(format="%Y-%m-%d")).fit(series(["01/02/2020"], name="signup"))


# -- missing indicator --------------------------------------------------------------------------
MISSING_CASES = [
    ([1.5, None, 2.25, None, 4.0], "float64", NumericalEncoder, None),
    ([1, None, 3, 3, None], "Int64", NumericalEncoder, None),
    ([1.0, None, 3.0], "float32", NumericalEncoder, None),
    (["2020-01-01", None, "2021-06-30"], "str", DatetimeEncoder, "%Y-%m-%d"),
    (["2020-01-01", None, "2021-06-30"], "object", DatetimeEncoder, "%Y-%m-%d"),
    ([20200101, None, 20210630], "float64", DatetimeEncoder, "%Y%m%d"),
    ([pd.Timestamp("2020-01-01"), None, pd.Timestamp("2020-02-01 10:00")], "datetime64[s]",
     DatetimeEncoder, None),
    ([pd.Timestamp("2020-01-01", tz="UTC"), None], "datetime64[ns, UTC]", DatetimeEncoder, None),
]


@pytest.mark.parametrize(("values", "dtype", "cls", "fmt"), MISSING_CASES)
def test_missing_indicator_round_trip(values: list[Any], dtype: str, cls: type[Encoder],
                                      fmt: str | None) -> None:
    s = series(values, dtype)
    mi = MissingIndicator().fit(s)
    flags = mi.transform(s)
    assert flags.dtype == np.int64 and flags.tolist() == s.isna().astype(int).tolist()
    assert mi.null_share_ == pytest.approx(s.isna().mean())
    imputed = mi.impute(s, rng())
    assert not imputed.isna().any() and imputed.dtype == s.dtype
    assert set(imputed[flags == 1].tolist()) <= set(s.dropna().tolist())  # observed values
    assert s.isna().any()  # the caller's column is left alone
    pd.testing.assert_series_equal(mi.apply(imputed, flags), s)
    enc = cls(Datetime(format=fmt)) if cls is DatetimeEncoder else cls()
    enc.fit(s)
    decoded = enc.inverse_transform(enc.transform(imputed), rng())
    pd.testing.assert_series_equal(mi.apply(decoded, flags), s)
    clone = MissingIndicator.from_state(json.loads(assert_json_state(mi)))
    pd.testing.assert_series_equal(clone.apply(decoded, flags), s)


def test_missing_indicator_keeps_none_and_fitted_dtype() -> None:
    s = series(["a", None, "b"], object)
    mi = MissingIndicator().fit(s)
    out = mi.apply(series(["x", "y", "z"], object), np.array([0, 1, 0]))
    assert out.tolist() == ["x", None, "z"]
    ints = MissingIndicator().fit(series([1.0, None]))  # int column with nulls: float64
    out = mi.apply(series([1, 2]), np.array([0, 0]))
    assert out.dtype == np.int64  # no null to set: dtype untouched
    out = ints.apply(series([1, 2]), np.array([0, 1]))
    assert out.dtype == np.float64 and np.isnan(out.iloc[1])


def test_missing_indicator_all_null_column() -> None:
    s = series([None, None, None], "float64")
    mi = MissingIndicator().fit(s)
    assert mi.null_share_ == 1.0
    imputed = mi.impute(s, rng())
    assert imputed.notna().all()
    enc = NumericalEncoder().fit(s)
    decoded = enc.inverse_transform(enc.transform(imputed), rng())
    pd.testing.assert_series_equal(mi.apply(decoded, mi.transform(s)), s)
    assert MissingIndicator().fit(series([None, None], object)).null_value is None


# -- ids ----------------------------------------------------------------------------------------
@SETTINGS
@given(st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=50, unique=True),
       st.integers(0, 300), st.sampled_from(["int64", "Int64", "object", "uint32"]))
def test_id_integers_unique_even_beyond_fitted_count(values: list[int], n: int,
                                                     dtype: str) -> None:
    if dtype == "uint32":
        values = [abs(v) for v in values]
        values = list(dict.fromkeys(values))
    s = series(values, dtype)
    enc = IdEncoder().fit(s)
    out = enc.generate(n, rng())
    assert len(out) == n and out.is_unique and str(out.dtype) == dtype
    assert n == 0 or out.min() >= min(values)


@SETTINGS
@given(st.lists(st.integers(0, 999), min_size=1, max_size=60, unique=True),
       st.integers(0, 3000), st.sampled_from(["ORD-", "", "x_"]))
def test_id_prefixed_strings_never_copy_real_ids(numbers: list[int], n: int,
                                                 prefix: str) -> None:
    s = series([f"{prefix}{i:03d}" for i in numbers], "str")
    enc = IdEncoder().fit(s)
    assert enc.format_ == "prefixed" and enc.prefix_ == prefix
    out = enc.generate(n, rng())
    assert len(out) == n and out.is_unique and out.dtype == s.dtype
    assert not out.isin(s).any()
    assert out.str.startswith(prefix).all()
    assert n == 0 or out.str.fullmatch(rf"{prefix}\d{{3,}}").all()
    if prefix:  # the state holds the number range, never an id
        assert not any(v in assert_json_state(enc) for v in s)


def test_id_template_strings() -> None:
    gen = rng(5)
    hexdigits = np.array(list("0123456789abcdef"))
    real = ["-".join("".join(gen.choice(hexdigits, k)) for k in (8, 4, 4)) for _ in range(200)]
    s = series(real + [None] * 50, object)
    enc = IdEncoder().fit(s)
    assert enc.format_ == "template"
    out = enc.generate(1000, rng(1))
    values = out.dropna()
    assert values.is_unique and not values.isin(real).any()
    assert values.str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}").all()
    assert out.isna().sum() == 200  # 20 % nulls, as in the column
    assert all(v is None for v in out[out.isna()])
    state = assert_json_state(enc)
    assert not any(v in state for v in real)


def test_id_template_grows_when_the_space_is_small() -> None:
    enc = IdEncoder().fit(series(["A", "B", "C"]))
    out = enc.generate(500, rng())
    assert out.is_unique and len(out) == 500


def test_id_non_unique_and_determinism() -> None:
    enc = IdEncoder(Id(unique=False)).fit(series([1, 2, 3]))
    out = enc.generate(100, rng())
    assert out.between(1, 3).all() and not out.is_unique
    enc = IdEncoder().fit(series(["K-01", "K-02", None, "K-07"]))
    pd.testing.assert_series_equal(enc.generate(50, rng(9)), enc.generate(50, rng(9)))
    clone = encoder_from_state(enc.get_state())
    pd.testing.assert_series_equal(clone.generate(50, rng(9)), enc.generate(50, rng(9)))


# -- PII ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("pii_type", PII_TYPES)
def test_pii_every_type_generates_strings(pii_type: str) -> None:
    enc = PIIEncoder(PII(pii_type=pii_type)).fit(series(["x", "y"], "str"))
    out = enc.generate(20, rng())
    assert len(out) == 20 and out.dtype == "str" and out.str.len().gt(0).all()


def test_pii_copies_nothing_is_deterministic_and_keeps_null_share() -> None:
    real = [f"real.person.{i}@corp.invalid" for i in range(300)]
    s = series(real + [None] * 100, object, name="email")
    enc = PIIEncoder(PII(pii_type="email")).fit(s)
    state = assert_json_state(enc)
    assert "real.person" not in state
    out = enc.generate(400, rng(1))
    assert out.isna().sum() == 100 and not out.isin(real).any()
    assert out.dropna().str.contains("@").all()
    pd.testing.assert_series_equal(out, enc.generate(400, rng(1)))
    assert not out.equals(enc.generate(400, rng(2)))
    clone = encoder_from_state(enc.get_state())
    pd.testing.assert_series_equal(clone.generate(400, rng(1)), out)


def test_pii_large_samples_draw_from_a_pool() -> None:
    enc = PIIEncoder(PII(pii_type="city")).fit(series(["Oslo"]))
    start = time.perf_counter()
    out = enc.generate(20_000, rng())
    assert len(out) == 20_000 and time.perf_counter() - start < 5


def test_pii_numeric_column_keeps_dtype() -> None:
    enc = PIIEncoder(PII(pii_type="postcode")).fit(series([12345, 67890]))
    assert enc.generate(5, rng()).dtype == np.int64


# -- text ---------------------------------------------------------------------------------------
def test_text_vocabulary_lengths_and_privacy() -> None:
    gen = rng(2)
    words = np.array(["alpha", "beta", "gamma", "delta", "omega", "sigma"])
    rows = [" ".join(gen.choice(words, gen.integers(3, 9))) + f" secret{i}" for i in range(300)]
    s = series(rows + [None] * 100, "str", name="notes")
    enc = TextEncoder().fit(s)
    assert set(enc.vocabulary_) == set(words)  # 'secretN' appear in one row each
    state = assert_json_state(enc)
    assert "secret" not in state and not any(r in state for r in rows)
    out = enc.generate(2000, rng())
    assert out.dtype == "str" and out.isna().sum() == 500
    present = out.dropna()
    assert set(" ".join(present).split()) <= set(words)
    counts = present.str.split().str.len()
    assert counts.between(4, 9).all() and abs(counts.mean() - 6.5) < 0.3
    pd.testing.assert_series_equal(enc.generate(30, rng(4)), enc.generate(30, rng(4)))
    clone = encoder_from_state(enc.get_state())
    pd.testing.assert_series_equal(clone.generate(30, rng(4)), enc.generate(30, rng(4)))


def test_text_falls_back_to_lorem_words() -> None:
    enc = TextEncoder().fit(series(["only one row here"], object))
    assert enc.vocabulary_ == []
    out = enc.generate(10, rng())
    assert out.str.split().str.len().eq(4).all()
    assert not out.str.contains("only one row").any()
    pd.testing.assert_series_equal(out, enc.generate(10, rng()))


# -- registry -----------------------------------------------------------------------------------
def test_registry_covers_every_kind() -> None:
    specs = {name: cls() for name, cls in KINDS.items()}  # every kind has defaults
    assert set(specs) == set(ENCODERS)
    for kind, spec in specs.items():
        enc = encoder_for(spec, min_frequency=3, locale="en_US", min_word_count=2)
        assert isinstance(enc, ENCODERS[kind]) and enc.name == kind and enc.spec == spec
    assert encoder_for(Categorical(), min_frequency=3).min_frequency == 3
    with pytest.raises(ParameterError, match="min_frequenzy"):
        encoder_for(Numerical(), min_frequenzy=3)


def test_encoder_from_state_uses_the_registry_only() -> None:
    with pytest.raises(ModelFileError, match=r"unknown encoder 'os\.system'"):
        encoder_from_state({"encoder": "os.system", "column": "x", "dtype": "int64"})
    with pytest.raises(ModelFileError, match="'x'"):
        encoder_from_state({"encoder": "numerical", "column": "x", "dtype": "int64"})


def test_exact_codec_discrete_codes_for_steering():
    import numpy as np

    from simulacra.encoders import ExactCodec
    from simulacra.metadata import Metadata

    df = pd.DataFrame({"c": ["a", "b", "b", "b"], "x": [1.0, None, 2.0, 3.0],
                       "flag": [True, False, True, True]})
    enc = ExactCodec(Metadata.detect(df)).fit(df, np.random.default_rng(0))
    codes = enc.discrete_codes({"c": "a", "flag": False, "x": None})
    encoded = enc.transform(df, np.random.default_rng(0))
    assert codes == {"c": int(encoded["c"][0]), "flag": int(encoded["flag"][1]), "x#null": 1}
    assert encoded["c"][0] != encoded["c"][1]
    assert enc.discrete_codes({"x": 2.0}) == {"x#null": 0}  # a number pins only its null flag
    assert enc.discrete_codes({"c": "zzz", "x": (1.0, 2.0)}) == {}  # unknown value, range
