"""Awkward input either works sensibly or raises a clear simulacra error naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.models.protection import RARE_LABEL


@pytest.fixture(params=["gaussian_copula", "independent"])
def model(request):
    return sim.MODELS[request.param](random_state=0)


def test_empty_frame(model):
    with pytest.raises(sim.DataError, match="empty table"):
        model.fit(pd.DataFrame())
    with pytest.raises(sim.DataError, match="empty table"):
        model.fit(pd.DataFrame({"a": pd.Series([], dtype="float64")}))


def test_not_a_frame(model):
    with pytest.raises(sim.DataError, match="DataFrame"):
        model.fit([[1, 2], [3, 4]])


def test_all_null_column_stays_all_null(model):
    df = pd.DataFrame({"a": np.arange(50.0), "empty": [np.nan] * 50,
                       "none": pd.Series([None] * 50, dtype=object)})
    out = model.fit(df).sample(30)
    assert out["empty"].isna().all() and out["none"].isna().all()
    assert str(out["empty"].dtype) == "float64"


def test_constant_columns(model):
    df = pd.DataFrame({"k": [7] * 40, "s": ["same"] * 40, "x": np.linspace(0, 1, 40)})
    out = model.fit(df).sample(100)
    assert (out["k"] == 7).all() and (out["s"] == "same").all()
    assert out["k"].dtype == np.int64


def test_mixed_types_column(model):
    values = [1, "a", 2.5, "b", None] * 20
    df = pd.DataFrame({"m": pd.Series(values, dtype=object), "x": np.arange(100)})
    out = model.fit(df).sample(200)
    assert out["m"].dtype == object
    assert set(out["m"].dropna()) <= {1, "a", 2.5, "b"}
    assert out["m"].isna().any()


def test_unicode_and_very_long_strings(model):
    long = "x" * 10_000
    df = pd.DataFrame({"s": ["日本語", "emoji 🎉", long, "ü"] * 25, "x": np.arange(100)})
    out = model.fit(df).sample(200)
    assert set(out["s"]) <= {"日本語", "emoji 🎉", long, "ü"}
    assert (out["s"] == long).any()


def test_inf_names_the_column(model):
    df = pd.DataFrame({"ok": np.arange(10.0), "bad": [1.0, np.inf] * 5})
    with pytest.raises(sim.DataError, match="'bad'"):
        model.fit(df)


def test_nan_only_in_some_rows(model):
    df = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.nan] * 25})
    out = model.fit(df).sample(4000)
    assert abs(out["x"].isna().mean() - 0.5) < 0.05
    assert set(out["x"].dropna()) <= {1.0, 3.0}


def test_duplicated_and_non_string_column_names(model):
    dup = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    with pytest.raises(sim.MetadataError, match="'a' appears more than once"):
        model.fit(dup)
    numbered = pd.DataFrame([[1, 2], [3, 4]])
    with pytest.raises(sim.MetadataError, match="position 0 has a non-string name 0"):
        model.fit(numbered)


def test_ten_thousand_categories(model):
    rng = np.random.default_rng(0)
    cats = np.array([f"c{i:05d}" for i in range(10_000)])
    df = pd.DataFrame({"cat": rng.choice(cats, 50_000), "x": rng.normal(size=50_000)})
    out = model.fit(df).sample(50_000)
    assert set(out["cat"]) <= set(cats) | {RARE_LABEL}  # value protection: seen < 5 times
    assert out["cat"].nunique() > 5_000


def test_non_positive_n(model):
    model.fit(pd.DataFrame({"x": np.arange(10)}))
    for n in (0, -1):
        with pytest.raises(sim.ParameterError, match="'n' parameter must be an integer >= 1"):
            model.sample(n)


def test_metadata_mismatch_lists_everything(model):
    md = sim.Metadata({"x": sim.Numerical(), "y": sim.Categorical()})
    model.metadata = md
    with pytest.raises(sim.MetadataError, match="not in the data"):
        model.fit(pd.DataFrame({"x": [1, 2]}))
