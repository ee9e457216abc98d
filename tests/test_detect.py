"""Column-kind detection: one test (or parametrized group) per rule, real data, properties."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.datasets import load_demo
from simulacra.errors import DataError, ParameterError
from simulacra.kinds import (
    PII,
    Boolean,
    Categorical,
    ColumnKind,
    Datetime,
    Id,
    Numerical,
    Text,
)
from simulacra.metadata.detect import SAMPLE_SIZE, detect_column, infer_datetime_format


def detect(values, name="x", dtype=None, **kwargs) -> ColumnKind:
    kind = detect_column(pd.Series(values, name=name, dtype=dtype), **kwargs)
    assert kind.reason, "every detection must state its evidence"
    assert kind.problems(str(name)) == []
    return kind


# -- nulls, booleans, native datetimes ----------------------------------------------------

def test_all_null_and_empty_columns_are_categorical():
    kind = detect([None, None, None], dtype=object)
    assert isinstance(kind, Categorical)
    assert kind.reason == "categorical: all 3 values are null"
    assert isinstance(detect([np.nan, np.nan]), Categorical)
    assert "empty" in detect([], dtype="float64").reason


@pytest.mark.parametrize("values, dtype", [
    ([True, False, True], "bool"),
    ([True, None, False], "boolean"),
    ([True, None, False], object),
    ([0, 1, 1, 0], "int64"),
    ([0.0, 1.0, np.nan], "float64"),
    ([1, 0, None], "Int64"),
])
def test_boolean_dtypes_and_zero_one_numbers(values, dtype):
    assert isinstance(detect(values, dtype=dtype), Boolean)


@pytest.mark.parametrize("pair", [
    ("yes", "no"), ("Yes", "No"), ("Y", "N"), ("t", "f"), ("TRUE", "false"),
    ("True", "False"), ("0", "1"),
])
def test_string_boolean_pairs(pair):
    kind = detect([pair[0], pair[1], pair[1], None] * 3)
    assert isinstance(kind, Boolean)
    assert kind.reason.startswith("boolean: 2 distinct values")


def test_two_values_that_are_not_a_boolean_pair_stay_categorical_or_numerical():
    kind = detect(["Male", "Female", "Male"])
    assert isinstance(kind, Categorical)
    assert "not a true/false pair" in kind.reason
    assert isinstance(detect(["yes", "no", "maybe"]), Categorical)
    assert isinstance(detect([1, 2, 2, 1]), Numerical)  # SEX coded 1/2 is not 0/1


@pytest.mark.parametrize("values", [
    pd.date_range("2020-01-01", periods=4, freq="D"),
    pd.date_range("2020-01-01", periods=4, freq="h", tz="Europe/Oslo"),
    pd.Series(pd.date_range("2020-01-01", periods=4)).astype("datetime64[s]"),
    pd.Series([pd.Timestamp("2020-01-01"), pd.NaT]),
])
def test_native_datetimes_have_no_format(values):
    kind = detect(values)
    assert kind == Datetime(format=None)
    assert "dtype" in kind.reason


# -- numbers ---------------------------------------------------------------------------------

def test_numerical_reason_states_range_and_distinct_count_and_leaves_bounds_unset():
    kind = detect(list(range(17, 91)) + [17] * 10, name="age")
    assert kind == Numerical()
    assert kind.reason == "numerical: integers 17..90, 74 distinct values"
    assert (kind.integer, kind.minimum, kind.maximum, kind.decimals) == (None,) * 4
    floats = detect([0.5, 1.25, np.nan], name="rate")
    assert floats.reason == "numerical: values 0.5..1.25, 2 distinct values; 1 missing"


def test_low_cardinality_integers_stay_numerical():
    kind = detect([0, 1, 2, 3, 2, 1] * 10, name="children")
    assert isinstance(kind, Numerical)


@pytest.mark.parametrize("name", ["id", "ID", "Id", "user_id", "customerId", "accountID", "key",
                                  "uuid", "No", "order_number", "id_person"])
def test_unique_integers_with_a_key_name_are_ids(name):
    kind = detect([5, 3, 9, 11, 1], name=name)
    assert kind == Id()
    assert "all 5 values unique" in kind.reason


def test_key_name_with_repeated_values_or_fractions_is_not_an_id():
    repeated = detect([1, 2, 2, 3], name="district_id")
    assert isinstance(repeated, Numerical)
    assert "repeat" in repeated.reason
    assert isinstance(detect([0.5, 1.5, 2.5], name="id"), Numerical)
    assert detect([1.0, 2.0, 3.0, np.nan], name="id") == Id()  # ints stored as floats
    assert isinstance(detect([5, 3, 9, 11], name="paid"), Numerical)  # 'paid' is not '*_id'
    assert isinstance(detect([5, 3, 9, 11], name="value"), Numerical)


def test_categorical_threshold_turns_few_valued_numbers_into_categories():
    values = [1, 2, 3, 2, 1] * 4
    kind = detect(values, categorical_threshold=3)
    assert isinstance(kind, Categorical)
    assert "categorical_threshold=3" in kind.reason
    assert isinstance(detect(values, categorical_threshold=2), Numerical)
    assert isinstance(detect([0, 1, 0], categorical_threshold=5), Boolean)
    assert isinstance(detect(["1.5", "2", "1.5"], categorical_threshold=5), Categorical)
    assert detect(list(range(5)), name="id", categorical_threshold=10) == Id()


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_categorical_threshold_is_validated(bad):
    with pytest.raises(ParameterError, match="categorical_threshold"):
        detect_column(pd.Series([1, 2]), categorical_threshold=bad)


def test_non_series_input_is_rejected():
    with pytest.raises(DataError, match="Series"):
        detect_column([1, 2, 3])  # type: ignore[arg-type]


# -- integer dates ---------------------------------------------------------------------------

def test_yyyymmdd_integers_are_dates():
    kind = detect([20200131, 19991231, 20000229, 18500101], name="anything")
    assert kind == Datetime(format="%Y%m%d")
    assert "YYYYMMDD" in kind.reason
    # 2019-02-29 does not exist: one invalid value keeps the column numerical
    assert isinstance(detect([20200131, 20190229, 20000101], name="anything"), Numerical)
    # 8 digits outside 1800..2200 are not dates
    assert isinstance(detect([87144583, 89597016, 13572468], name="account_to"), Numerical)


def test_yymmdd_integers_are_dates_only_when_the_name_says_so():
    values = [930101, 930102, 971229, 950615]
    kind = detect(values, name="date")
    assert kind == Datetime(format="%y%m%d")
    assert "YYMMDD" in kind.reason and "'date'" in kind.reason
    assert isinstance(detect(values, name="amount"), Numerical)


def test_berka_style_birth_numbers_are_not_dates():
    # Czech birth numbers: YYMMDD with month + 50 for women, so half are not valid dates
    values = [706213, 450204, 406009, 561201, 605703, 190922, 706213]
    kind = detect(values, name="birth_number")
    assert isinstance(kind, Numerical)
    assert "YYMMDD" in kind.reason


# -- datetime strings ------------------------------------------------------------------------

@pytest.mark.parametrize("values, fmt", [
    (["2024-01-31", "2023-12-01", None], "%Y-%m-%d"),
    (["2024-01-31 13:45:00", "2023-12-01 00:00:00"], "%Y-%m-%d %H:%M:%S"),
    (["2024-01-31T13:45:00", "2023-12-01T00:00:00"], "%Y-%m-%dT%H:%M:%S"),
    (["2024-01-31 13:45:00.123", "2023-12-01 00:00:00.5"], "%Y-%m-%d %H:%M:%S.%f"),
    (["2024-01-31T13:45:00Z", "2023-12-01T00:00:00Z"], "%Y-%m-%dT%H:%M:%SZ"),
    (["2024/01/31", "2023/12/01"], "%Y/%m/%d"),
    (["31/01/2024", "01/12/2023"], "%d/%m/%Y"),
    (["12/31/2024", "01/12/2023"], "%m/%d/%Y"),
    (["31.01.2024", "01.12.2023"], "%d.%m.%Y"),
    (["20240131", "20231201"], "%Y%m%d"),
    (["931107 00:00:00", "940119 00:00:00"], "%y%m%d %H:%M:%S"),
])
def test_datetime_strings_get_their_format(values, fmt):
    kind = detect(values, name="when")
    assert kind == Datetime(format=fmt)
    assert f"parse with format {fmt!r}" in kind.reason
    assert infer_datetime_format(pd.Series(values)) == fmt


def test_day_month_order_prefers_the_format_that_parses_every_value():
    day_first = ["13/01/2024", "01/02/2024", "02/03/2024"]  # 13 cannot be a month
    assert infer_datetime_format(pd.Series(day_first)) == "%d/%m/%Y"
    ambiguous = detect(["01/02/2024", "03/04/2024"])
    assert ambiguous.format == "%m/%d/%Y"
    assert "ambiguous" in ambiguous.reason and "%d/%m/%Y" in ambiguous.reason


def test_datetime_needs_95_percent_of_values_to_parse():
    good = [f"2024-01-{d:02d}" for d in range(1, 29)] * 4  # 112 dates
    assert isinstance(detect(good + ["soon"] * 4), Datetime)  # 96.6%
    assert not isinstance(detect(good + ["soon"] * 12), Datetime)  # 90.3%
    assert detect(good + ["?"] * 20).format == "%Y-%m-%d"  # markers do not count


def test_plain_numbers_are_never_read_as_dates():
    for values in (["1", "2", "3"], ["1.5", "3"], ["2020111", "2020101"], ["930101", "930102"]):
        assert infer_datetime_format(pd.Series(values)) is None
    assert infer_datetime_format(pd.Series(["930101", "930102"], name="date")) == "%y%m%d"
    assert isinstance(detect(["1", "22", "3"]), Numerical)


# -- PII -------------------------------------------------------------------------------------

@pytest.mark.parametrize("values, pii_type", [
    (["ann@example.com", "bo.b+x@mail.example.org", "c_d@ex-ample.co.uk"], "email"),
    (["192.168.0.1", "10.0.0.255", "8.8.8.8"], "ip"),
    (["2001:db8::1", "fe80::1ff:fe23:4567:890a", "2001:0db8:0000:0000:0000:ff00:0042:8329"],
     "ip"),
    (["123-45-6789", "987-65-4321", "111-22-3333"], "ssn"),
    (["4111111111111111", "5500 0000 0000 0004", "3400-0000-0000-009", "6011000000000004"],
     "credit_card"),
    (["DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606"],
     "iban"),
    (["+1 (555) 123-4567", "555-987-6543", "+44 20 7946 0958", "(030) 1234567"], "phone"),
])
def test_pii_by_value_pattern(values, pii_type):
    kind = detect(values, name="col")
    assert kind == PII(pii_type=pii_type)
    assert kind.reason.startswith(f"pii ({pii_type}): 100% of values")


def test_pii_patterns_check_checksums_and_shares():
    bad_luhn = ["4111111111111112", "5500000000000005", "6011000000000005"]
    assert not isinstance(detect(bad_luhn), PII)
    bad_iban = ["DE89370400440532013001", "GB82WEST12345698765433", "FR1420041010050500013M02607"]
    assert not isinstance(detect(bad_iban), PII)
    emails = [f"user{i}@example.com" for i in range(89)] + [f"note {i}" for i in range(11)]
    assert not isinstance(detect(emails), PII)  # 89% < 90%
    assert detect([*emails[:89], "note"]) == PII(pii_type="email")
    assert isinstance(detect(["5551234567", "5559876543", "5550001111"]), Numerical)


def test_card_numbers_stored_as_integers_are_pii():
    cards = [4111111111111111, 5500000000000004, 6011000000000004, 4012888888881881]
    assert detect(cards, name="card") == PII(pii_type="credit_card")
    assert isinstance(detect([4111111111111112, 5500000000000005], name="card"), Numerical)


@pytest.mark.parametrize("name, pii_type", [
    ("first_name", "first_name"), ("FirstName", "first_name"), ("given_name", "first_name"),
    ("last_name", "last_name"), ("surname", "last_name"),
    ("name", "name"), ("full_name", "name"), ("fullname", "name"), ("customer_name", "name"),
])
def test_person_names_need_a_name_hint_and_name_shaped_values(name, pii_type):
    values = ["Anna", "Bob", "Mary-Jane", "José", "Ó Briain", "Anna"]
    if pii_type == "name":
        values = ["Anna Smith", "Bob O'Neil", "Dr. J. R. Tolkien", "Zoë Ng", "Anna Smith"]
    kind = detect(values, name=name)
    assert kind == PII(pii_type=pii_type)
    assert repr(name) in kind.reason


def test_names_without_a_person_hint_or_shape_are_not_pii():
    values = ["Anna Smith", "Bob Jones", "Cy Twombly", "Anna Smith"]
    assert isinstance(detect(values, name="product_name"), Categorical)
    assert isinstance(detect(values, name="label"), Categorical)
    assert not isinstance(detect(["X-12", "Y-13", "Z-14", "X-12"], name="name"), PII)


def test_address_city_postcode_and_phone_by_name():
    streets = ["12 Main Street", "5 Rue de la Paix", "221B Baker Street"]
    assert detect(streets, name="street_address") == PII(pii_type="street_address")
    assert detect(streets, name="street") == PII(pii_type="street_address")
    assert detect(streets, name="address") == PII(pii_type="address")
    assert isinstance(detect(["10.0.0.1", "10.0.0.2"], name="ip_address"), PII)
    assert detect(["10.0.0.1", "10.0.0.2"], name="ip_address").pii_type == "ip"

    cities = [f"City{chr(65 + i % 26)}{'x' * (i // 26)}" for i in range(60)]
    assert detect(cities, name="city") == PII(pii_type="city")
    few = detect(["Oslo", "Rome", "São Paulo", "Oslo"], name="city")
    assert isinstance(few, Categorical) and "too few" in few.reason

    zips = [f"{i:05d}" for i in range(0, 6000, 100)]  # leading zeros: codes, not numbers
    assert detect(zips, name="zip_code") == PII(pii_type="postcode")
    assert detect(list(range(10000, 16000, 100)), name="zipcode") == PII(pii_type="postcode")
    assert detect(["5551234567", "5559876543"], name="phone") == PII(pii_type="phone")
    assert detect([5551234567, 5559876543], name="mobile_no") == PII(pii_type="phone")


# -- numbers as text, ids, text, categories --------------------------------------------------

def test_text_that_parses_as_numbers_is_numerical():
    kind = detect(["1.5", "3", " -2 ", None])
    assert kind == Numerical()
    assert "parses as numbers" in kind.reason and "-2..3" in kind.reason
    with_marker = detect(["0.29", "1.5", "?", "7.34"], name="A12")
    assert isinstance(with_marker, Numerical) and "'?'" in with_marker.reason
    assert not isinstance(detect(["007", "012", "123"]), Numerical)  # leading zeros: codes
    assert not isinstance(detect(["1.5", "3", "lots"]), Numerical)


def test_unique_strings_are_ids_when_named_as_keys_or_code_like():
    assert detect(["A001", "A002", "B107"], name="ref") == Id()
    assert detect(["alice", "bob", "carol"], name="user_id") == Id()
    uuids = ["123e4567-e89b-12d3-a456-426614174000", "00112233-4455-6677-8899-aabbccddeeff"]
    assert detect(uuids, name="token") == Id()
    assert detect(uuids + uuids[:1], name="token") == Id(unique=False)
    assert isinstance(detect(["alice", "bob", "carol"], name="who"), Categorical)
    assert not isinstance(detect(["A 001", "A 002", "B 107"], name="ref"), Id)  # spaces
    assert not isinstance(detect(["A001", "A001", "B107"], name="ref"), Id)  # repeats


def test_free_text_needs_many_words_or_long_values_and_high_cardinality():
    sentences = [f"the parcel number {i} arrived late and damaged" for i in range(20)]
    kind = detect(sentences, name="comment")
    assert kind == Text()
    assert "words" in kind.reason
    long_values = [f"{'x' * 55}{i}" for i in range(10)]
    assert isinstance(detect(long_values, name="blob"), Text)
    repeated = detect(sentences[:3] * 10, name="comment")  # 10% distinct
    assert isinstance(repeated, Categorical)


def test_many_short_distinct_values_are_still_categorical():
    rng = np.random.default_rng(0)
    values = pd.Series(rng.integers(0, 10_000, 100_000)).map("k{}".format)
    kind = detect_column(values.rename("segment"))
    assert isinstance(kind, Categorical)
    assert kind.reason.startswith("categorical: 10,000 distinct values in 100,000 rows")


def test_categorical_reason_and_missing_markers():
    kind = detect(["Private", "State-gov", "?", "Private", "?"], name="workclass")
    assert isinstance(kind, Categorical)
    assert kind.reason.startswith("categorical: 3 distinct values in 5 rows")
    assert "'?' (2 rows)" in kind.reason


def test_mixed_python_types():
    kind = detect([1, "a", 2, "b"] * 10, dtype=object)
    assert isinstance(kind, Categorical)
    assert "mixed types int, str" in kind.reason
    near_unique = [i if i % 2 else f"note number {i} is a longer sentence" for i in range(40)]
    assert isinstance(detect(near_unique, dtype=object), Text)
    codes = [i if i % 2 else f"C{i}" for i in range(40)]
    assert detect(codes, dtype=object) == Id()


def test_category_dtype_and_timedelta():
    cat = pd.Categorical(["lo", "hi", "mid", "lo"], categories=["lo", "mid", "hi"], ordered=True)
    kind = detect(cat)
    assert kind == Categorical(ordered=True, categories=("lo", "mid", "hi"))
    assert detect(pd.Categorical(["a", "b", "a"])) == Categorical()
    assert isinstance(detect(pd.to_timedelta([1, 2, 3], unit="D")), Numerical)


# -- speed, determinism, purity ---------------------------------------------------------------

def test_detection_samples_deterministically():
    rng = np.random.default_rng(1)
    n = 3 * SAMPLE_SIZE
    values = pd.Series(rng.choice(["2024-01-01", "2024-02-03", "?"], n), name="d")
    first, second = detect_column(values), detect_column(values)
    assert first == second and first.reason == second.reason
    assert "sampled values" in first.reason and "'?'" in first.reason
    plain = detect_column(values[values != "?"])
    assert f"100% of {SAMPLE_SIZE:,} sampled values" in plain.reason


@pytest.mark.slow
def test_a_million_rows_detect_quickly():
    rng = np.random.default_rng(0)
    n = 1_000_000
    columns = {
        "x": rng.normal(size=n),
        "customer_id": np.arange(n),
        "segment": pd.Series(rng.choice(["a", "b", "c"], n), dtype="str"),
        "when": pd.Series(pd.date_range("2000-01-01", periods=n, freq="min")
                          .strftime("%Y-%m-%d %H:%M:%S")),
        "email": pd.Series([f"u{i}@example.com" for i in range(n)]),
        "amount": pd.Series(rng.normal(size=n).round(2).astype(str)),
    }
    for name, values in columns.items():
        series = pd.Series(values, name=name)
        start = time.perf_counter()
        detect_column(series)
        # the budget is 1 s; the margin keeps slow CI machines from failing spuriously
        assert time.perf_counter() - start < 2.0, name


_scalars = st.one_of(st.integers(), st.floats(), st.text(max_size=12), st.none())


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_scalars, max_size=15),
       name=st.sampled_from(["x", "id", "date", "email", "phone", "first_name", "zip", "city",
                             "address", None]),
       as_object=st.booleans(),
       threshold=st.one_of(st.none(), st.integers(0, 5)))
def test_detection_never_raises_and_never_mutates(values, name, as_object, threshold):
    series = pd.Series(values, name=name, dtype=object if as_object else None)
    before = series.copy(deep=True)
    kind = detect_column(series, categorical_threshold=threshold)
    assert isinstance(kind, ColumnKind) and kind.reason
    assert kind.problems(str(name)) == []
    assert series.equals(before) and series.dtype == before.dtype and series.name == name
    assert series.index.equals(before.index)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=15))
def test_integer_columns_never_raise(values):
    assert isinstance(detect_column(pd.Series(values, dtype="int64", name="n")), ColumnKind)


def test_input_is_not_modified():
    series = pd.Series([" yes", "no ", None, "?"], name="flag")
    before = series.copy()
    detect_column(series)
    pd.testing.assert_series_equal(series, before)


# -- real datasets ----------------------------------------------------------------------------

def test_adult_census_columns():
    df = load_demo()  # the bundled Adult training table, as UCI publishes it
    kinds = {c: detect_column(df[c]) for c in df.columns}
    assert kinds["age"] == Numerical()
    assert "integers 17..90" in kinds["age"].reason
    assert kinds["education-num"] == Numerical()
    assert kinds["workclass"] == Categorical()
    assert kinds["workclass"].reason.startswith("categorical: 9 distinct values in 32,561 rows")
    assert "'?' (1,836 rows)" in kinds["workclass"].reason
    # '<=50K'/'>50K' is a two-class label, not a true/false pair
    assert kinds["income"] == Categorical()
    assert "2 distinct values" in kinds["income"].reason
    assert kinds["sex"] == Categorical()
    assert {c for c, k in kinds.items() if isinstance(k, Numerical)} == {
        "age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"}


# The benchmark tables the package does not ship (each rule has a small test above as well).

def test_berka_tables(shared_datasets):
    berka = shared_datasets / "berka"
    account = pd.read_csv(berka / "account.csv")
    assert detect_column(account["account_id"]) == Id()
    # account.date holds YYMMDD integers (930101); the name says date and every value is a
    # real date, so it is a datetime written back with '%y%m%d'
    assert detect_column(account["date"]) == Datetime(format="%y%m%d")
    district_id = detect_column(account["district_id"])  # a foreign key: repeats
    assert isinstance(district_id, Numerical) and "repeat" in district_id.reason
    assert detect_column(account["frequency"]) == Categorical()

    card = pd.read_csv(berka / "card.csv")
    assert detect_column(card["issued"]) == Datetime(format="%y%m%d %H:%M:%S")
    client = pd.read_csv(berka / "client.csv")
    assert isinstance(detect_column(client["birth_number"]), Numerical)  # month + 50: no date
    district = pd.read_csv(berka / "district.csv")
    a12 = detect_column(district["A12"])  # numbers as text with one '?'
    assert isinstance(a12, Numerical) and "'?'" in a12.reason


def test_other_shared_datasets(shared_datasets):
    credit = pd.read_csv(shared_datasets / "default_of_credit_card_clients.csv")
    assert detect_column(credit["ID"]) == Id()
    assert detect_column(credit["default_payment_next_month"]) == Boolean()
    shoppers = pd.read_csv(shared_datasets / "online_shoppers_intention.csv")
    assert detect_column(shoppers["Revenue"]) == Boolean()
    assert detect_column(shoppers["Month"]) == Categorical()
    pm25 = pd.read_csv(shared_datasets / "beijing_pm25.csv")
    assert detect_column(pm25["No"]) == Id()
    assert detect_column(pm25["pm2.5"]) == Numerical()
    assert detect_column(pm25["cbwd"]) == Categorical()
