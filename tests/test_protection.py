"""Value protection: rare categories, extreme values and nearly unique numbers never come back."""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.kinds import Categorical, Datetime, Numerical
from simulacra.models import MODELS
from simulacra.models.protection import (
    RARE_LABEL,
    RARE_THRESHOLD,
    ProtectionWarning,
    protect_values,
)

#: Every model that learns without a budget, with settings that keep the tests fast.
PROTECTING = {"gaussian_copula": {}, "independent": {}, "bayesian_network": {},
              "autoregressive": {"epochs": 3}, "tabddpm": {"epochs": 3, "sampling_steps": 5,
                                                           "hidden_dims": (32, 32)},
              "ctgan": {"epochs": 1, "batch_size": 200}, "tvae": {"epochs": 2, "batch_size": 200}}
OUTLIER = 98_765_432.0
UNIQUE = "Atlantis"


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """600 rows: an outlier income, a one-off country, a nearly unique account number."""
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({
        "income": rng.lognormal(10, 0.5, n).round(0),
        "country": rng.choice(["FR", "DE", "IT"], n),
        "account": rng.choice(np.arange(10**6, 10**7), n, replace=False),
        "age": rng.integers(18, 80, n),
    })
    df.loc[7, "income"] = OUTLIER
    df.loc[11, "country"] = UNIQUE
    return df


def _fit(name: str, data: pd.DataFrame, **kw) -> sim.Synthesizer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MODELS[name](random_state=0, **PROTECTING[name], **kw).fit(data)


@pytest.mark.parametrize("name", sorted(PROTECTING))
def test_no_rare_category_extreme_or_unique_value_comes_back(name, planted, tmp_path):
    model = _fit(name, planted)
    synth = model.sample(2000)
    assert UNIQUE not in set(synth["country"])
    # the model learnt from the protected table: nothing beyond its range comes out
    safe, _ = protect_values(planted, model.metadata_)
    for column in ("income", "age"):
        assert safe[column].min() <= synth[column].min()
        assert synth[column].max() <= safe[column].max()
    assert safe["income"].max() < np.sort(planted["income"])[-2]  # the outlier is gone
    # inside its protected range (an untrained network piles rows on the bounds, which are the
    # 5th smallest and largest real values by design), a nearly unique column is not re-emitted
    ordered = np.sort(planted["account"])
    low, high = ordered[RARE_THRESHOLD - 1], ordered[-RARE_THRESHOLD]
    inner = synth["account"][(synth["account"] > low) & (synth["account"] < high)]
    assert inner.isin(planted["account"]).mean() < 0.1
    assert set(model.protection_report_) >= {"income", "country"}
    assert "98765432" not in repr(model.protection_report_)
    # the saved file holds neither the outlier nor the one-off category, as text or as floats
    path = tmp_path / "m.simz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        blobs = {n: archive.read(n) for n in archive.namelist()}
    for blob in blobs.values():
        assert b"98765432" not in blob and UNIQUE.encode() not in blob
        for dtype in (np.float64, np.float32):
            assert np.asarray(OUTLIER, dtype=dtype).tobytes() not in blob


@pytest.mark.parametrize("name", ["gaussian_copula", "autoregressive", "tabddpm"])
def test_without_protection_the_planted_values_come_back(name, planted):
    """The check above can fail: with ``value_protection=False`` the same fits re-emit them."""
    synth = _fit(name, planted, value_protection=False).sample(3000)
    assert synth["account"].isin(planted["account"]).mean() > 0.5
    if name != "tabddpm":  # 3 epochs of diffusion do not reach one row in 600
        assert (synth["income"] > np.sort(planted["income"])[-RARE_THRESHOLD]).any()


def test_auto_passes_protection_to_the_model_it_chooses(planted):
    chosen = sim.AutoSynthesizer(random_state=0, value_protection=False).choose(planted)
    assert chosen.value_protection is False
    assert sim.AutoSynthesizer(random_state=0).choose(planted).value_protection is True


def test_protection_keeps_no_detection_reason_quoting_the_extremes(planted, tmp_path):
    model = _fit("gaussian_copula", planted)
    assert all(model.metadata_[c].reason == "" for c in planted.columns)
    unprotected = _fit("gaussian_copula", planted, value_protection=False)
    assert "98765432" in unprotected.metadata_["income"].reason


def test_privacy_budget_replaces_protection():
    df = sim.datasets.load_demo().head(1000)
    model = sim.BayesianNetwork(privacy=sim.PrivacyBudget(1.0), random_state=0).fit(df)
    assert model.protection_report_ == {}


def test_categories_numbers_and_dates_are_replaced_as_documented():
    df = pd.DataFrame({
        "city": ["A"] * 6 + ["B"] * 5 + ["C", None],
        "grade": [1] * 6 + [5] * 5 + [4, 9],
        "flag": [True] * 12 + [False],
        "declared": ["x"] * 12 + ["y"],
        "when": pd.date_range("2020-01-01", periods=13, freq="D"),
        "stamp": [f"2021-03-{d:02d}" for d in range(1, 14)],
        "n": [np.nan, *range(12)],
    })
    original = df.copy()
    md = sim.Metadata({"city": Categorical(), "grade": Categorical(), "flag": sim.kinds.Boolean(),
                       "declared": Categorical(categories=("x", "y")), "when": Datetime(),
                       "stamp": Datetime(format="%Y-%m-%d"), "n": Numerical()})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 12 or 13 values each: no small-column warning
        safe, report = protect_values(df, md, threshold=2)
    pd.testing.assert_frame_equal(df, original)  # the caller's table is not modified
    assert safe["city"].iloc[-2] == RARE_LABEL and pd.isna(safe["city"].iloc[-1])
    assert safe["grade"].tolist()[-2:] == [5, 5]  # the nearest frequent value, dtype kept
    assert safe["grade"].dtype == df["grade"].dtype
    assert safe["flag"].equals(df["flag"]) and safe["declared"].equals(df["declared"])
    assert safe["when"].min() == pd.Timestamp("2020-01-02")
    assert safe["when"].max() == pd.Timestamp("2020-01-12")
    assert safe["stamp"].iloc[0] == "2021-03-02" and safe["stamp"].iloc[-1] == "2021-03-12"
    # numbers: the most extreme value of each end where an exponential tail through the
    # values inside puts it (10 + 3.5 at the top; 1 − 3.5 at the bottom, kept at zero)
    assert np.isnan(safe["n"].iloc[0]) and safe["n"].tolist()[1:] == [*range(11), 14]
    assert set(report) == {"city", "grade", "when", "stamp", "n"}
    assert "C" not in " ".join(report.values())


def test_pandas_categorical_columns_get_the_rare_label():
    s = pd.Series(pd.Categorical(["a"] * 5 + ["b"]), name="c")
    safe, _ = protect_values(s.to_frame(), sim.Metadata({"c": Categorical()}), threshold=5)
    assert safe["c"].tolist() == ["a"] * 5 + [RARE_LABEL]
    assert set(safe["c"].cat.categories) == {"a", RARE_LABEL}


def test_a_table_too_small_to_protect_is_warned_about():
    one = sim.datasets.load_demo().head(1)
    with pytest.warns(ProtectionWarning, match=r"'age'.*fewer than 10 values"):
        sim.GaussianCopula(random_state=0).fit(one)
    with pytest.warns(ProtectionWarning, match=r"1 row.*reproduce"):
        sim.GaussianCopula(random_state=0, value_protection=False).fit(one)


def test_the_cli_turns_protection_off_with_a_parameter(planted, tmp_path):
    data = tmp_path / "data.csv"
    planted.to_csv(data, index=False)
    for flag, expected in (("true", True), ("false", False)):
        out = tmp_path / f"m_{flag}.simz"
        result = CliRunner().invoke(app, ["fit", str(data), "-m", "gaussian_copula", "-p",
                                          f"value_protection={flag}", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert sim.load(out).value_protection is expected


def test_value_protection_must_be_a_flag():
    with pytest.raises(sim.errors.ParameterError, match="value_protection"):
        sim.GaussianCopula(value_protection="yes").fit(pd.DataFrame({"x": range(20)}))


def test_frequent_values_stay_exact_when_a_few_rare_ones_are_smoothed():
    rng = np.random.default_rng(0)
    limits = rng.choice(np.arange(1, 101) * 5_000, 3000)  # 100 round limits, each frequent
    limits[[5, 9, 13]] = [123_456, 234_567, 345_678]  # three one-offs inside the range
    table = pd.DataFrame({"limit": limits, "group": rng.choice(["x", "y"], 3000)})
    rounds = set(range(5_000, 500_001, 5_000))
    for name in ("gaussian_copula", "independent", "autoregressive"):
        model = MODELS[name](random_state=0, **PROTECTING[name]).fit(table)
        synth = model.sample(6000, rng=1)
        assert synth["limit"].isin(rounds).mean() > 0.99, name  # was a smoothed grid
        assert not synth["limit"].isin([123_456, 234_567, 345_678]).any(), name
    # more values than bins: a bin token and a part token spell each round limit exactly
    assert "limit#sub" in model.tokenizer_.names_
