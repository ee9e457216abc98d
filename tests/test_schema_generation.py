"""Schema-only generation: every column kind, distributions, seeds, constraints, references,
uniqueness, bad input, and the `simulacra generate` command end to end."""

from __future__ import annotations

import math
import re
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.errors import DataError, MetadataError, ParameterError
from simulacra.schema import generate_tables
from simulacra.schema.faker_pool import DIRECT

EXAMPLE = Path(__file__).parents[1] / "docs" / "examples" / "schema_customers_orders.yaml"
runner = CliRunner(env={"COLUMNS": "200"})


def one(columns: dict, n: int = 2000, seed: int = 0, **table) -> pd.DataFrame:
    """Generate one table from its column specs."""
    return sim.generate({"columns": columns, **table}, n=n, random_state=seed)


# -- every column kind --------------------------------------------------------------------------
def test_numbers_booleans_and_categories():
    df = one({
        "die": {"kind": "integer", "min": 1, "max": 6},
        "price": {"kind": "float", "min": 0, "max": 100, "decimals": 2},
        "flag": {"kind": "boolean", "p": 0.3},
        "plan": {"categories": ["free", "pro", "team"], "weights": [6, 3, 1]},
        "tier": {"categories": {"a": 1, "b": 1}, "ordered": True},
    }, n=20_000)
    assert str(df["die"].dtype) == "int64" and set(df["die"]) == set(range(1, 7))
    counts = df["die"].value_counts(normalize=True)
    assert (counts - 1 / 6).abs().max() < 0.02  # endpoints keep their share
    assert df["price"].between(0, 100).all()
    assert (df["price"] == df["price"].round(2)).all()
    assert str(df["flag"].dtype) == "bool" and abs(df["flag"].mean() - 0.3) < 0.02
    assert isinstance(df["plan"].dtype, pd.CategoricalDtype)
    assert list(df["plan"].cat.categories) == ["free", "pro", "team"]
    shares = df["plan"].value_counts(normalize=True)
    assert abs(shares["free"] - 0.6) < 0.02 and abs(shares["team"] - 0.1) < 0.015
    assert df["tier"].cat.ordered


def test_datetimes_dates_and_formats():
    df = one({
        "at": {"kind": "datetime", "min": "2024-01-01", "max": "2024-01-31 23:59:59"},
        "hour": {"kind": "datetime", "min": "2024-01-01", "max": "2024-01-02",
                 "resolution": "h"},
        "day": {"kind": "date", "min": "2020-02-01", "max": "2020-02-29"},
        "shown": {"kind": "date", "min": "2020-02-01", "max": "2020-02-29",
                  "format": "%d/%m/%Y"},
        "iso": {"kind": "date", "min": "2020-02-01", "max": "2020-02-29",
                "format": "%Y-%m-%d"},
    }, n=3000)
    assert str(df["at"].dtype) == "datetime64[ns]"
    assert df["at"].between("2024-01-01", "2024-01-31 23:59:59").all()
    assert (df["at"].dt.microsecond == 0).all()
    assert (df["hour"].dt.minute == 0).all() and df["hour"].nunique() == 25
    assert (df["day"] == df["day"].dt.normalize()).all() and df["day"].nunique() == 29
    assert df["shown"].str.fullmatch(r"\d\d/02/2020").all()
    assert df["iso"].str.fullmatch(r"2020-02-\d\d").all()


def test_ids_uuids_constants_and_patterns():
    df = one({
        "n": {"kind": "id"},
        "code": {"kind": "id", "start": 100, "step": 5, "format": "CUST-{:06d}"},
        "pre": {"kind": "id", "prefix": "X"},
        "u": {"kind": "uuid"},
        "country": {"value": "NO"},
        "version": {"value": 3},
        "sku": {"pattern": r"SKU-[A-F0-9]{4}(-[a-z]{2,3})?"},
        "any": {"pattern": r"^\w+\.\d?[^a-z0-9 ]$"},
    }, n=500)
    assert df["n"].tolist() == list(range(1, 501)) and str(df["n"].dtype) == "int64"
    assert df["code"].iloc[:2].tolist() == ["CUST-000100", "CUST-000105"]
    assert df["pre"].iloc[-1] == "X500"
    assert df["u"].is_unique and all(uuid.UUID(u).version == 4 for u in df["u"])
    assert (df["country"] == "NO").all() and str(df["version"].dtype) == "int64"
    assert df["sku"].str.fullmatch(r"SKU-[A-F0-9]{4}(-[a-z]{2,3})?").all()
    assert df["sku"].str.len().nunique() == 3
    assert df["any"].map(lambda v: bool(re.fullmatch(r"\w+\.\d?[^a-z0-9 ]", v))).all()


def test_faker_columns_locale_args_and_pool():
    df = sim.generate({"locale": "de_DE", "columns": {
        "name": {"faker": "name"},
        "email": {"faker": "email"},
        "phone": {"faker": "phone"},  # the PII type names are aliases
        "n": {"faker": "pyint", "args": {"min_value": 5, "max_value": 9}},
        "us_city": {"faker": "city", "locale": "en_US", "pool": 7},
    }}, n=300, random_state=0)
    assert df["email"].str.contains("@").all() and df["name"].str.len().min() > 3
    assert str(df["n"].dtype) == "int64" and df["n"].between(5, 9).all()
    assert df["us_city"].nunique() <= 7
    german = sim.generate({"columns": {"name": {"faker": "name"}}}, n=300, random_state=0)
    assert set(german["name"]).isdisjoint(set(df["name"]))  # en_US names differ from de_DE


def test_nulls_hidden_columns_and_expressions():
    df = one({
        "qty": {"kind": "integer", "min": 1, "max": 9, "null_rate": 0.25},
        "price": {"kind": "float", "min": 1, "max": 10, "decimals": 2},
        "fee": {"kind": "float", "min": 0, "max": 1, "hidden": True},
        "total": {"expression": "price * qty + fee", "decimals": 2},
        "whole": {"expression": "price * 2", "integer": True},
        "start": {"kind": "date", "min": "2024-01-01", "max": "2024-12-31"},
        "days": {"kind": "integer", "min": 0, "max": 30},
        "end": {"expression": "start + days"},
        "span": {"expression": "end - start", "unit": "h"},
        "note": {"faker": "word", "null_rate": 0.5},
    }, n=4000)
    assert "fee" not in df.columns
    assert str(df["qty"].dtype) == "Int64" and abs(df["qty"].isna().mean() - 0.25) < 0.03
    assert df["total"].isna().equals(df["qty"].isna())  # null operand, null result
    ok = df["qty"].notna()
    assert ((df["total"][ok] - df["price"][ok] * df["qty"][ok]).between(-0.006, 1.006)).all()
    assert str(df["whole"].dtype) == "int64"
    assert (df["whole"] == (df["price"] * 2).round()).all()
    assert str(df["end"].dtype) == "datetime64[ns]"
    assert ((df["end"] - df["start"]).dt.days == df["days"]).all()
    assert (df["span"] == df["days"] * 24).all()
    assert abs(df["note"].isna().mean() - 0.5) < 0.04


def test_conditional_columns_given_cases():
    df = one({
        "segment": {"categories": ["retail", "vip"], "weights": [3, 1]},
        "spend": {"kind": "float", "distribution": "normal", "mean": 100, "std": 10,
                  "given": "segment", "cases": {"vip": {"mean": 500, "std": 50}}},
        "country": {"categories": ["NO", "DE"]},
        "region": {"categories": ["Oslo", "Bergen"], "given": "country",
                   "cases": {"DE": {"categories": ["Bayern", "Berlin", "Hessen"]}}},
        "vat": {"value": 0.25, "given": "country", "cases": {"DE": {"value": 0.19}}},
        "member": {"kind": "boolean", "p": 0.1, "given": "segment",
                   "cases": {"vip": {"p": 0.9}}},
    }, n=8000)
    means = df.groupby("segment", observed=True)["spend"].mean()
    assert abs(means["retail"] - 100) < 1 and abs(means["vip"] - 500) < 5
    regions = df.groupby("country", observed=True)["region"].agg(lambda s: set(s))
    assert regions["NO"] == {"Oslo", "Bergen"} and regions["DE"] == {"Bayern", "Berlin",
                                                                      "Hessen"}
    assert (df["vat"] == df["country"].map({"NO": 0.25, "DE": 0.19}).astype(float)).all()
    member = df.groupby("segment", observed=True)["member"].mean()
    assert member["retail"] < 0.15 and member["vip"] > 0.85


def test_conditional_faker_locale_and_expression_cases():
    df = one({
        "country": {"categories": ["US", "DE"]},
        "name": {"faker": "last_name", "given": "country",
                 "cases": {"DE": {"locale": "de_DE"}}},
        "x": {"kind": "integer", "min": 1, "max": 9},
        "y": {"expression": "x * 2", "given": "country",
              "cases": {"DE": {"expression": "x + 100"}}},
    }, n=600)
    us, de = (df[df["country"] == c] for c in ("US", "DE"))
    assert de["name"].str.contains("[äöüß]").any()  # German names from the de_DE pool
    assert not us["name"].str.contains("[äöüß]").any()
    assert (us["y"] == us["x"] * 2).all() and (de["y"] == de["x"] + 100).all()


def test_python_predicate_constraints_are_resampled():
    df = sim.generate({"columns": {
        "age": {"kind": "integer", "min": 16, "max": 70},
        "years_employed": {"kind": "integer", "min": 0, "max": 50}},
        "constraints": [sim.Predicate(lambda f: f["age"] >= f["years_employed"] + 16,
                                      ("age", "years_employed"), name="career")]},
        n=1000, random_state=0)
    assert (df["age"] >= df["years_employed"] + 16).all()


# -- distributions ------------------------------------------------------------------------------
SE = 6  # tolerances in standard errors: loose enough to pass, tight enough to catch a bug


@pytest.mark.parametrize(("spec", "mean", "var"), [
    ({"distribution": "uniform", "min": 2, "max": 8}, 5, 3),
    ({"distribution": "normal", "mean": 3, "std": 2}, 3, 4),
    ({"distribution": "lognormal", "mu": 0.5, "sigma": 0.4},
     math.exp(0.5 + 0.08), (math.exp(0.16) - 1) * math.exp(1 + 0.16)),
    ({"distribution": "exponential", "scale": 4}, 4, 16),
    ({"distribution": "gamma", "shape": 3, "scale": 2}, 6, 12),
    ({"distribution": "weibull", "shape": 2, "scale": 3},
     3 * math.gamma(1.5), 9 * (math.gamma(2) - math.gamma(1.5) ** 2)),
    ({"distribution": "beta", "a": 2, "b": 6, "min": 0, "max": 10}, 2.5, 100 * 12 / 576),
    ({"distribution": "triangular", "min": 0, "max": 6, "mode": 3}, 3, 1.5),
])
def test_continuous_distributions_have_their_moments(spec, mean, var):
    n = 40_000
    x = one({"x": {"kind": "float", **spec}}, n=n)["x"]
    assert abs(x.mean() - mean) < SE * math.sqrt(var / n)
    assert abs(x.var() / var - 1) < 0.05


@pytest.mark.parametrize(("spec", "mean", "var"), [
    ({"distribution": "poisson", "lam": 3.5}, 3.5, 3.5),
    ({"distribution": "binomial", "trials": 20, "p": 0.3}, 6, 4.2),
    ({"distribution": "geometric", "p": 0.25}, 4, 12),
])
def test_discrete_distributions_have_their_moments(spec, mean, var):
    n = 40_000
    x = one({"x": {"kind": "integer", **spec}}, n=n)["x"]
    assert str(x.dtype) == "int64"
    assert abs(x.mean() - mean) < SE * math.sqrt(var / n)
    assert abs(x.var() / var - 1) < 0.05


def test_truncation_is_exact_not_clipping():
    x = one({"x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1,
                   "min": 1}}, n=40_000)["x"]
    assert x.min() >= 1 and abs(x.mean() - 1.5251) < 0.01  # E[X | X >= 1]
    assert (x == 1).sum() == 0  # nothing piled on the bound
    tail = one({"x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1,
                      "min": 4, "max": 5}}, n=5000)["x"]  # P = 3e-5: by the inverse CDF
    assert tail.between(4, 5).all() and abs(tail.mean() - 4.2198) < 0.01
    k = one({"k": {"kind": "integer", "distribution": "poisson", "lam": 2, "min": 1,
                   "max": 3}}, n=40_000)["k"]
    p = np.array([2, 2, 4 / 3])  # Poisson(2) pmf at 1, 2, 3 (up to e^-2)
    assert abs(k.mean() - (p @ [1, 2, 3]) / p.sum()) < 0.02
    ages = one({"age": {"kind": "integer", "distribution": "normal", "mean": 40, "std": 15,
                        "min": 18, "max": 90}}, n=40_000)["age"]
    assert ages.min() == 18 and ages.max() <= 90


def test_datetime_distributions():
    df = one({
        "t": {"kind": "datetime", "min": "2024-01-01", "max": "2024-12-31",
              "distribution": "normal", "mean": "2024-07-01", "std": "10D"},
        "e": {"kind": "date", "min": "2024-01-01", "max": "2025-12-31",
              "distribution": "exponential", "scale": "30D"},
    }, n=20_000)
    center = (df["t"] - pd.Timestamp("2024-07-01")).dt.total_seconds() / 86400
    assert abs(center.mean()) < 0.5 and abs(center.std() - 10) < 0.5
    days = (df["e"] - pd.Timestamp("2024-01-01")).dt.days
    assert abs(days.mean() - 29.5) < 1.5  # whole days of an exponential with mean 30


# -- reproducibility ----------------------------------------------------------------------------
def test_same_seed_same_data_and_columns_are_independent_streams():
    spec = {"tables": {
        "p": {"rows": 50, "columns": {"id": {"kind": "id"}, "name": {"faker": "name"}}},
        "c": {"rows": 300, "columns": {
            "p_id": {"references": "p.id"},
            "x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1},
            "s": {"pattern": "[a-z]{5}"}, "u": {"kind": "uuid"}}}}}
    first = sim.generate(spec, random_state=7)
    again = sim.generate(spec, random_state=7)
    for table in first:
        pd.testing.assert_frame_equal(first[table], again[table])
    other = sim.generate(spec, random_state=8)
    assert not first["c"]["x"].equals(other["c"]["x"])
    spec["tables"]["c"]["columns"]["extra"] = {"kind": "boolean"}
    more = sim.generate(spec, random_state=7)
    pd.testing.assert_frame_equal(more["c"].drop(columns="extra"), first["c"])


# -- constraints --------------------------------------------------------------------------------
def test_inequality_is_exact_rejection_sampling():
    df = one({"low": {"kind": "float", "min": 0, "max": 1},
              "high": {"kind": "float", "min": 0, "max": 1}},
             n=30_000, constraints=[{"type": "inequality", "low": "low", "high": "high"}])
    assert (df["low"] <= df["high"]).all()
    # (min, max) of two uniforms: means 1/3 and 2/3, as rejection sampling gives
    assert abs(df["low"].mean() - 1 / 3) < 0.01 and abs(df["high"].mean() - 2 / 3) < 0.01


def test_constraints_by_construction_and_by_resampling():
    df = one({
        "a": {"kind": "integer", "distribution": "normal", "mean": 0, "std": 10},
        "b": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1},
        "start": {"kind": "datetime", "min": "2024-01-01", "max": "2024-12-31"},
        "end": {"kind": "datetime", "min": "2024-01-01", "max": "2024-12-31"},
        "net": {"kind": "float", "min": 0, "max": 100, "decimals": 2},
        "tax": {"kind": "float", "min": 0, "max": 20, "decimals": 2},
        "gross": {"kind": "float", "min": 0, "max": 1, "decimals": 2},
        "edu": {"categories": ["BSc", "MSc", "PhD"]},
        "years": {"categories": [16, 18, 21]},
        "red": {"kind": "boolean"}, "green": {"kind": "boolean"}, "blue": {"kind": "boolean"},
        "code": {"faker": "bothify", "args": {"text": "??-##"}},
        "first": {"categories": ["a", "b", "c"]}, "last": {"categories": list("vwxyz")},
    }, n=12, constraints=[
        {"type": "range", "column": "a", "low": -5, "high": 5, "strict": True},
        {"type": "positive", "column": "b", "strict": True},
        {"type": "inequality", "low": "start", "high": "end", "strict": True},
        {"type": "formula", "formula": "gross = net + tax"},
        {"type": "fixed_combinations", "columns": ["edu", "years"],
         "combinations": [["BSc", 16], ["MSc", 18], ["PhD", 21]]},
        {"type": "one_hot", "columns": ["red", "green", "blue"]},
        {"type": "regex", "column": "code", "pattern": "[A-M].*"},
        {"type": "unique", "columns": ["first", "last"]},
        {"type": "range", "column": "a", "low": "a", "high": None},
    ])
    assert df["a"].between(-4, 4).all() and (df["b"] > 0).all()
    assert (df["start"] < df["end"]).all()
    assert (df["gross"] == (df["net"] + df["tax"]).round(2)).all()
    assert set(zip(df["edu"], df["years"], strict=True)) <= {("BSc", 16), ("MSc", 18),
                                                              ("PhD", 21)}
    assert (df[["red", "green", "blue"]].sum(axis=1) == 1).all()
    assert df["code"].str.match("[A-M]").all()
    assert not df.duplicated(["first", "last"]).any()


def test_fixed_combinations_keep_the_columns_own_weights():
    df = one({"edu": {"categories": {"BSc": 3, "MSc": 1}},
              "years": {"categories": {16: 1, 18: 1, 20: 2}}},
             n=20_000, constraints=[{"type": "fixed_combinations", "columns": ["edu", "years"],
                                     "combinations": [["BSc", 16], ["MSc", 18], ["MSc", 20]]}])
    # rejection of a product law: P ∝ 3*1, 1*1, 1*2
    shares = df.value_counts(["edu", "years"], normalize=True)
    assert abs(shares[("BSc", 16)] - 0.5) < 0.015 and abs(shares[("MSc", 20)] - 1 / 3) < 0.015


def test_impossible_constraints_fail_clearly():
    with pytest.raises(DataError, match="accepts only"):
        one({"x": {"kind": "float", "min": 0, "max": 1}, "y": {"kind": "float", "min": 2,
                                                              "max": 3}},
            n=50, constraints=[{"type": "inequality", "low": "y", "high": "x"}])
    with pytest.raises(DataError, match="never re-drawn"):
        one({"k": {"kind": "integer", "min": 1, "max": 100, "unique": True}}, n=50,
            constraints=[{"type": "range", "column": "k", "high": 10}])
    with pytest.raises(MetadataError, match="none of its combinations can occur"):
        one({"a": {"categories": ["x"]}, "b": {"categories": ["y"]}}, n=5,
            constraints=[{"type": "fixed_combinations", "columns": ["a", "b"],
                          "combinations": [["x", "z"]]}])
    with pytest.raises(MetadataError, match=r"leaves no possible value.*puts no probability"):
        one({"x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1}}, n=5,
            constraints=[{"type": "range", "column": "x", "low": 50, "high": 60}])
    with pytest.raises(DataError, match="could not draw 150 distinct values"):
        one({"x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1,
                   "decimals": 1, "unique": True}}, n=150)


# -- references ---------------------------------------------------------------------------------
def shop(**orders) -> dict:
    return {"tables": {
        "customers": {"rows": 400, "primary_key": "customer_id", "columns": {
            "customer_id": {"kind": "id", "format": "C{:05d}"},
            "segment": {"categories": ["retail", "vip"]},
            "since": {"kind": "date", "min": "2020-01-01", "max": "2020-12-31"},
            "deleted": {"kind": "boolean", "p": 0.1}}},
        "orders": {"columns": {
            "order_id": {"kind": "id"},
            "customer_id": {"references": "customers.customer_id", **orders},
            "segment": {"lookup": "customers.segment", "via": "customer_id"},
            "since": {"lookup": "customers.since", "via": "customer_id", "hidden": True},
            "at": {"kind": "date", "min": "2020-01-01", "max": "2021-12-31"}},
            "constraints": [{"type": "inequality", "low": "since", "high": "at"}]}}}


def test_references_per_parent_and_lookups():
    data = sim.generate(shop(per_parent={"distribution": "poisson", "lam": 3}),
                        random_state=0)
    customers, orders = data["customers"], data["orders"]
    assert orders["customer_id"].isin(customers["customer_id"]).all()
    per = orders["customer_id"].value_counts().reindex(customers["customer_id"], fill_value=0)
    assert abs(per.mean() - 3) < 0.3 and len(orders) == per.sum()
    joined = orders.merge(customers, on="customer_id", suffixes=("", "_c"))
    assert (joined["segment"].astype(str) == joined["segment_c"].astype(str)).all()
    assert (joined["since"] <= joined["at"]).all()  # a constraint through a hidden lookup
    assert "since" not in orders.columns


def test_reference_options_unique_skew_self_and_nulls():
    data = sim.generate(shop(), n=400, random_state=1)  # orders: n scales from customers
    assert len(data["orders"]) == 400
    one_to_one = sim.generate(shop(unique=True), {"customers": 400, "orders": 400},
                              random_state=0)["orders"]
    assert one_to_one["customer_id"].is_unique
    with pytest.raises(DataError, match="only 400 values"):
        sim.generate(shop(unique=True), {"customers": 400, "orders": 401}, random_state=0)
    skewed = sim.generate(shop(skew=1.5), {"customers": 400, "orders": 5000},
                          random_state=0)["orders"]
    assert skewed["customer_id"].value_counts(normalize=True).iloc[0] > 0.2
    staff = one({"id": {"kind": "id", "format": "E{}"},
                 "boss": {"references": "id", "null_rate": 0.3},
                 "boss_id_again": {"lookup": "id", "via": "boss"}}, n=1000)
    present = staff["boss"].notna()
    assert staff["boss"][present].isin(staff["id"]).all()
    assert abs((~present).mean() - 0.3) < 0.05
    assert (staff["boss_id_again"][present] == staff["boss"][present]).all()


def test_integer_reference_with_nulls_is_nullable():
    data = sim.generate({"tables": {
        "a": {"rows": 10, "columns": {"id": {"kind": "id"}}},
        "b": {"rows": 500, "columns": {"a_id": {"references": "a.id", "null_rate": 0.5}}}}},
        random_state=0)
    assert str(data["b"]["a_id"].dtype) == "Int64"
    assert data["b"]["a_id"].dropna().isin(data["a"]["id"]).all()


# -- uniqueness ---------------------------------------------------------------------------------
def test_unique_columns_of_every_kind():
    df = one({
        "k": {"kind": "integer", "min": 1, "max": 3000, "unique": True},
        "f": {"kind": "float", "distribution": "normal", "mean": 0, "std": 100,
              "decimals": 1, "unique": True, "null_rate": 0.9},
        "cat": {"categories": list("abcdefghij"), "unique": True, "null_rate": 0.995},
        "pat": {"pattern": "[A-C]{2}[0-9]{2}", "unique": True, "null_rate": 0.9},
        "t": {"kind": "datetime", "min": "2024-01-01", "max": "2024-01-02", "unique": True},
        "mail": {"faker": "email", "unique": True},
    }, n=2000)
    for column in df.columns:
        values = df[column].dropna()
        assert values.is_unique, column
    assert df["k"].between(1, 3000).all()


def test_unique_faker_beyond_the_pool_and_its_limits():
    n = DIRECT + 500
    df = one({"mail": {"faker": "email", "unique": True},
              "phone": {"faker": "msisdn", "unique": True}}, n=n)
    assert df["mail"].is_unique and df["mail"].str.contains("@").all()
    assert df["phone"].is_unique and df["phone"].str.fullmatch(r"\d{13}").all()
    with pytest.raises(DataError, match="unique_suffix"):
        one({"c": {"faker": "country_code", "unique": True}}, n=1000)
    codes = one({"c": {"faker": "country_code", "unique": True, "unique_suffix": True}},
                n=1000)["c"]
    assert codes.is_unique and codes.str.fullmatch(r"[A-Z]{2}(-\d+)?").all()
    with pytest.raises(DataError, match="only 4 distinct"):
        one({"p": {"pattern": "[AB]{2}", "unique": True}}, n=5)
    with pytest.raises(DataError, match="only 3 distinct"):
        one({"c": {"categories": ["a", "b", "c"], "unique": True}}, n=4)


# -- schemas: loading, rows, bad input ----------------------------------------------------------
def test_schema_round_trip_and_row_rules(tmp_path):
    schema = sim.GenerationSchema.load(EXAMPLE)
    assert sim.GenerationSchema.from_yaml(schema.to_yaml()) == schema
    assert schema.rows() == {"customers": 1000, "orders": None, "order_lines": None}
    assert schema.rows(50)["customers"] == 50
    two = sim.GenerationSchema.from_dict({"tables": {
        "a": {"rows": 100, "columns": {"x": {"kind": "boolean"}}},
        "b": {"rows": 300, "columns": {"x": {"kind": "boolean"}}},
        "c": {"columns": {"x": {"kind": "boolean"}}}}})
    assert two.rows(10) == {"a": 10, "b": 30, "c": 10}
    assert two.rows({"b": 7, "c": 1}) == {"a": 100, "b": 7, "c": 1}
    assert two.rows(0) == {"a": 0, "b": 0, "c": 0}
    with pytest.raises(MetadataError, match="no row count"):
        two.rows()
    with pytest.raises(MetadataError, match="take their rows from per_parent"):
        schema.rows({"orders": 5})
    data = sim.generate(EXAMPLE, n=60, random_state=0)
    orders, lines = data["orders"], data["order_lines"]
    assert orders["customer_id"].isin(data["customers"]["customer_id"]).all()
    assert lines["order_id"].isin(orders["order_id"]).all()
    shipped = pd.to_datetime(orders["shipped_at"])
    assert (shipped >= orders["ordered_at"]).all() and (lines["line_total"] > 0).all()
    assert "lead_days" not in orders.columns and data["customers"]["email"].is_unique


BAD = [
    ({"columns": {"x": {"kind": "float", "distribution": "gausian", "mean": 0}}},
     "unknown distribution 'gausian'"),
    ({"columns": {"x": {"kind": "integer", "min": 9, "max": 1}}}, "min 9 is greater than max 1"),
    ({"columns": {"x": {"categories": ["a", "b"], "weights": [1, 2, 3]}}},
     "3 weights for 2 categories"),
    ({"columns": {"x": {"categories": ["a", "b"], "weights": {"c": 1}}}}, "not categories"),
    ({"columns": {"x": {"faker": "nmae"}}}, "unknown Faker provider 'nmae'"),
    ({"columns": {"x": {"faker": "pyint", "args": {"wrong": 1}}}}, "unexpected keyword"),
    ({"columns": {"x": {"references": "other.id"}}}, "not in the schema"),
    ({"tables": {"a": {"rows": 1, "columns": {"id": {"kind": "id"}}},
                 "b": {"rows": 1, "columns": {"a": {"references": "a.idd"}}}}},
     "has no column 'idd' (did you mean 'id'?)"),
    ({"tables": {"a": {"rows": 1, "columns": {"id": {"kind": "id"},
                                              "b": {"references": "b.id"}}},
                 "b": {"rows": 1, "columns": {"id": {"kind": "id"},
                                              "a": {"references": "a.id"}}}}},
     "cycle: a -> b -> a"),
    ({"columns": {"x": {"expression": "y + 1"}, "y": {"expression": "x * 2"}}},
     "cycle: x -> y -> x"),
    ({"columns": {"x": {"kind": "integr"}}}, "did you mean 'integer'"),
    ({"columns": {"x": {"kind": "integer", "mn": 1, "max": 2}}}, "did you mean 'min'"),
    ({"columns": {"x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 0}}},
     "std must be > 0"),
    ({"columns": {"x": {"kind": "float", "distribution": "normal", "mean": 0, "std": 1,
                        "min": 50, "max": 60}}}, "puts no probability"),
    ({"columns": {"x": {"kind": "date", "min": "2024-02-01", "max": "2024-01-01"}}},
     "is after max"),
    ({"columns": {"x": {"kind": "datetime", "min": "2024-01-01", "max": "2024-02-01",
                        "distribution": "normal", "std": 5}}}, "must be a duration"),
    ({"columns": {"x": {"kind": "id", "format": "{0.__class__}"}}}, "exactly one plain field"),
    ({"columns": {"x": {"pattern": "a(?=b)"}}}, "lookarounds"),
    ({"columns": {"s": {"categories": ["a"]}, "x": {"kind": "boolean", "given": "s",
                                                    "cases": {"b": {"p": 1}}}}},
     "are not values of 's'"),
    ({"columns": {"x": {"kind": "boolean", "given": "nope", "cases": {1: {"p": 1}}}}},
     "given 'nope' is not a column"),
    ({"columns": {"x": {"kind": "boolean", "null_rate": 2}}}, "null_rate must be"),
    ({"columns": {"x": {"kind": "boolean"}}, "constraints": [{"type": "inequality",
                                                              "low": "x", "high": "z"}]},
     "no column 'z'"),
    ({"columns": {"a": {"categories": ["x"]}, "b": {"categories": ["y"]}},
      "constraints": [{"type": "fixed_combinations", "columns": ["a", "b"]}]},
     "list them with combinations"),
    ({"columns": {"x": {"expression": "y * 2"}, "y": {"faker": "name"}}},
     "operand 'y' is text"),
    ({"columns": {"x": {"lookup": "y", "via": "y"}, "y": {"kind": "boolean"}}},
     "must be a reference column"),
    ({"columns": {"x": {"kind": "boolean"}}, "colums": {}}, "unknown top-level key 'colums'"),
    ({"tables": {"a": {"columns": {"x": {"kind": "boolean"}}}}, "columns": {}},
     "belong inside a table"),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_is_a_clear_error(data, message):
    with pytest.raises(MetadataError, match=re.escape(message)):
        sim.GenerationSchema.from_dict(data)


def test_every_problem_is_listed_at_once_and_bad_arguments():
    with pytest.raises(MetadataError) as err:
        sim.GenerationSchema.from_dict({"columns": {
            "a": {"kind": "integer", "min": 3, "max": 1},
            "b": {"categories": []}, "c": {"faker": "nope"}}})
    assert len(err.value.problems) == 3
    with pytest.raises(ParameterError, match="'n' parameter"):
        sim.generate({"columns": {"x": {"kind": "boolean"}}}, n=-1)
    with pytest.raises(ParameterError, match="'schema' parameter"):
        sim.generate(42)  # type: ignore[arg-type]
    with pytest.raises(MetadataError, match="cannot read schema file"):
        sim.generate("no/such/schema.yaml")


# -- the command line ---------------------------------------------------------------------------
def test_cli_generate_one_table_end_to_end(tmp_path):
    schema = tmp_path / "people.yaml"
    schema.write_text("columns:\n  id: {kind: id}\n  name: {faker: name}\n"
                      "  age: {kind: integer, min: 18, max: 99}\n"
                      "constraints:\n  - {type: range, column: age, low: 21}\n")
    out = tmp_path / "people.parquet"
    r = runner.invoke(app, ["generate", str(schema), "-n", "250", "-o", str(out),
                            "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert "250" in r.output and "Generated" in r.output
    first = pd.read_parquet(out)
    assert first.shape == (250, 3) and first["age"].min() >= 21
    runner.invoke(app, ["generate", str(schema), "-n", "250", "-o", str(out), "--seed", "3"])
    pd.testing.assert_frame_equal(pd.read_parquet(out), first)
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically: no temporary left


def test_cli_generate_tables_to_a_directory_and_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["generate", str(EXAMPLE), "-n", "30", "--seed", "0"])
    assert r.exit_code == 0, r.output
    folder = tmp_path / "schema_customers_orders"
    assert sorted(p.name for p in folder.iterdir()) == ["customers.csv", "order_lines.csv",
                                                         "orders.csv"]
    assert len(pd.read_csv(folder / "customers.csv")) == 30
    r = runner.invoke(app, ["generate", str(EXAMPLE), "-o", "x.csv"])
    assert r.exit_code == 2 and "give a directory" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  x: {kind: float, distribution: gausian}\n")
    r = runner.invoke(app, ["generate", str(bad)])
    assert r.exit_code == 2 and "unknown distribution" in r.output
    r = runner.invoke(app, ["generate", str(EXAMPLE), "-o", "d", "--format", "xlsx"])
    assert r.exit_code == 2 and "'--format'" in r.output and "'csv.gz'" in r.output


def test_generate_tables_always_returns_a_dict():
    frames = generate_tables({"columns": {"x": {"kind": "boolean"}}}, n=3, random_state=0)
    assert list(frames) == ["table"] and frames["table"].shape == (3, 1)
    empty = sim.generate({"columns": {"x": {"kind": "integer", "min": 0, "max": 1},
                                      "t": {"kind": "date", "min": "2024-01-01",
                                            "max": "2024-01-02"}}}, n=0)
    assert empty.shape == (0, 2)


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute", "a/b", "a\\b", "..", ".",
                                  "~", "C:x", "t.csv", "", " ", "con", "x" * 101, "-dash",
                                  "tab\tname", "new\nline"])
def test_table_names_must_be_plain_names(name):
    """Table names become file names in `simulacra generate -o DIR`: never a path."""
    data = {"tables": {name: {"rows": 3, "columns": {"x": {"kind": "boolean"}}}}}
    with pytest.raises(MetadataError, match=r"table name .* is not a plain name: .*rename"):
        sim.GenerationSchema.from_dict(data)
    table = sim.GenerationSchema.from_dict({"columns": {"x": {"kind": "boolean"}}}).tables
    with pytest.raises(MetadataError, match="is not a plain name"):  # built directly too
        sim.GenerationSchema({name: table["table"]})


@pytest.mark.parametrize("name", ["customers", "order_items", "Order-Lines 2", "données", "_t"])
def test_plain_table_names_are_accepted(name):
    data = {"tables": {name: {"rows": 3, "columns": {"x": {"kind": "boolean"}}}}}
    assert list(sim.GenerationSchema.from_dict(data).tables) == [name]


def test_cli_generate_writes_nothing_outside_the_output_for_a_table_named_as_a_path(tmp_path):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    schema = work / "s.yaml"
    schema.write_text("tables:\n  ../../escaped:\n    rows: 3\n    columns:\n"
                      "      x: {kind: integer, min: 1, max: 5}\n")
    r = runner.invoke(app, ["generate", str(schema), "-o", str(work / "out")])
    assert r.exit_code == 2 and "'../../escaped' is not a plain name" in r.output, r.output
    assert "Traceback" not in r.output
    assert not list(tmp_path.rglob("*.csv")) and not (work / "out").exists()


def test_the_published_json_schema_is_current_and_checks_schema_files():
    import json

    import jsonschema
    import yaml

    from simulacra.schema.json_schema import generation_json_schema

    schema = generation_json_schema()
    root = Path(__file__).parents[1]
    published = json.loads((root / "docs" / "generation.schema.json").read_text("utf-8"))
    assert published == schema, "run: simulacra generate --schema > docs/generation.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    example = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    assert not list(validator.iter_errors(json.loads(json.dumps(example, default=str))))
    written = sim.GenerationSchema.from_dict(example).to_dict()  # what simulacra writes
    assert not list(validator.iter_errors(json.loads(json.dumps(written, default=str))))
    bad = {"columns": {"age": {"kind": "integer", "min": "ten", "colour": 3},
                       "plan": {"categories": 5}, "who": {"faker": "name", "pool": "many"}}}
    found = {e.json_path for e in validator.iter_errors(bad)}
    assert {"$.columns.age", "$.columns.plan", "$.columns.who"} <= found, found
    assert list(validator.iter_errors({"columns": {"x": {"kind": "nope"}}}))
