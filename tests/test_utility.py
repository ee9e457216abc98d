"""Utility (TSTR beside TRTR): synthetic data from the true distribution must do as well as
the real data; synthetic data whose target carries no signal must score like a coin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra.errors import ParameterError
from simulacra.evaluation.prepare import EvalData, Featurizer, prepare
from simulacra.evaluation.utility import utility
from simulacra.kinds import Categorical

N = 800


def population(n: int, seed: int) -> pd.DataFrame:
    """A known distribution: correlated gaussians, a 3-class colour, a date, and targets
    (binary ``bought``, numeric ``spend``) that depend on them."""
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal([0, 0], [[1.0, 0.5], [0.5, 1.0]], size=n)
    colour = np.where(x[:, 0] > 0.4, "red", np.where(x[:, 1] > 0, "green", "blue"))
    logit = -1.5 + 3.5 * x[:, 0] - 2.5 * x[:, 1] + 1.5 * (colour == "green")
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(
        np.round(200 + 60 * x[:, 1] + rng.normal(0, 10, n)), unit="D")
    return pd.DataFrame({
        "x1": x[:, 0],
        "x2": x[:, 1],
        "colour": pd.Series(colour, dtype="str"),
        "member": rng.random(n) < 1 / (1 + np.exp(-2 * x[:, 1])),
        "day": day,
        "spend": 50 + 10 * x[:, 0] + 5 * x[:, 1] ** 2 + rng.normal(0, 2, n),
        "bought": pd.Series(np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no"),
                            dtype="str"),
    })


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, pd.DataFrame]:
    return population(N, seed=1), population(N, seed=2)


def run(synth: pd.DataFrame, real: tuple[pd.DataFrame, pd.DataFrame], target: str,
        seed: int = 0, **kw) -> dict[str, object]:
    train, holdout = real
    data = prepare(train, synth, holdout)
    found = utility(data, Featurizer(data), target, np.random.default_rng(seed), **kw)
    return {m.name: m for m in found}


def shuffled(frame: pd.DataFrame, column: str, seed: int = 0) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].sample(frac=1.0, random_state=seed).to_numpy()
    return out


def test_true_distribution_gives_tstr_close_to_trtr(real):
    got = run(population(N, seed=3), real, "bought")
    assert set(got) == {"TSTR ROC-AUC", "TSTR F1", "TSTR accuracy"}
    auc = got["TSTR ROC-AUC"]
    assert auc.reference > 0.8  # the signal is real
    assert auc.value == pytest.approx(auc.reference, abs=0.04)
    assert got["TSTR accuracy"].value == pytest.approx(got["TSTR accuracy"].reference, abs=0.05)
    for m in got.values():
        assert m.group == "utility" and m.direction == "higher"
        assert m.reference_label == "trained on real" and m.definition
        d = m.details
        assert d["task"] == "binary classification" and d["positive_class"] == "yes"
        assert d["tstr"] == m.value and d["trtr"] == m.reference
        assert d["gap"] == pytest.approx(d["trtr"] - d["tstr"])
        m.to_dict()  # JSON-safe


def test_a_target_without_signal_scores_like_a_coin(real):
    got = run(shuffled(population(N, seed=3), "bought"), real, "bought")
    auc = got["TSTR ROC-AUC"]
    # a model fitted to noise scatters around 0.5 with sd ~0.04 at 800 rows
    assert abs(auc.value - 0.5) < 0.12 and auc.reference > 0.8
    assert auc.details["gap"] > 0.2


def test_a_copy_of_train_reproduces_trtr_exactly(real):
    got = run(real[0].copy(), real, "bought")
    for m in got.values():
        assert m.value == m.reference and m.details["gap"] == 0.0


def test_regression(real):
    good = run(population(N, seed=3), real, "spend")
    assert set(good) == {"TSTR R2", "TSTR RMSE"}
    r2, rmse = good["TSTR R2"], good["TSTR RMSE"]
    assert r2.reference > 0.8 and r2.value == pytest.approx(r2.reference, abs=0.05)
    assert rmse.direction == "lower" and rmse.value == pytest.approx(rmse.reference, rel=0.2)
    assert rmse.details["gap"] == pytest.approx(rmse.value - rmse.reference)
    assert r2.details["task"] == "regression" and r2.details["positive_class"] is None
    bad = run(shuffled(population(N, seed=3), "spend"), real, "spend")
    assert bad["TSTR R2"].value < 0.05 and bad["TSTR RMSE"].value > rmse.value


def test_regression_on_dates_and_null_targets(real):
    synth = population(N, seed=3)
    synth.loc[:49, "day"] = pd.NaT
    got = run(synth, real, "day")
    assert got["TSTR R2"].value > 0.6
    assert got["TSTR RMSE"].details["unit"] == "seconds"
    assert got["TSTR R2"].details["rows"]["synthetic"] == N - 50
    assert "null target left out: 50 synthetic" in got["TSTR R2"].note


def test_multiclass(real):
    got = run(population(N, seed=3), real, "colour")
    auc = got["TSTR ROC-AUC"]
    assert auc.details["task"] == "multiclass classification"
    assert auc.details["positive_class"] is None
    assert auc.details["classes"] == ["blue", "green", "red"]
    assert auc.reference > 0.9 and auc.value == pytest.approx(auc.reference, abs=0.03)
    assert got["TSTR F1"].value == pytest.approx(got["TSTR F1"].reference, abs=0.06)
    # a synthesizer that never makes one class still gets a score, not an error
    missing = population(N, seed=3).query("colour != 'blue'").reset_index(drop=True)
    partial = run(missing, real, "colour")["TSTR ROC-AUC"]
    assert 0.5 < partial.value < auc.value


def test_boolean_target_uses_the_minority_class(real):
    got = run(population(N, seed=3), real, "member")
    minority = real[0]["member"].value_counts().idxmin()
    assert got["TSTR F1"].details["positive_class"] == str(minority)


def test_single_class_synthetic_target(real):
    synth = population(N, seed=3).assign(bought="no")
    got = run(synth, real, "bought")
    assert got["TSTR ROC-AUC"].value == 0.5
    assert got["TSTR F1"].value == 0.0  # never predicts the minority class
    assert "single class" in got["TSTR ROC-AUC"].note


def test_holdout_and_target_are_checked(real):
    train, _ = real
    data = prepare(train, population(N, seed=3))
    with pytest.raises(ParameterError, match="holdout"):
        utility(data, Featurizer(data), "bought", np.random.default_rng(0))
    data = prepare(train, population(N, seed=3), real[1])
    with pytest.raises(ParameterError, match=r"target.*'x1'.*'bought'"):
        utility(data, Featurizer(data), "nope", np.random.default_rng(0))
    constant = train.assign(bought="no")
    data = prepare(constant, constant, real[1])
    with pytest.raises(ParameterError, match="single class"):
        utility(data, Featurizer(data), "bought", np.random.default_rng(0))
    only = EvalData(train[["bought"]], train[["bought"]], real[1][["bought"]],
                    {"bought": Categorical()}, data.metadata)
    with pytest.raises(ParameterError, match="besides the target"):
        utility(only, Featurizer(only), "bought", np.random.default_rng(0))


def test_same_seed_same_figures_and_subsampling(real):
    synth = population(N, seed=3)
    a = run(synth, real, "bought", seed=4, max_rows=500)
    b = run(synth, real, "bought", seed=4, max_rows=500)
    assert [m.value for m in a.values()] == [m.value for m in b.values()]
    assert [m.reference for m in a.values()] == [m.reference for m in b.values()]
    auc = a["TSTR ROC-AUC"]
    assert auc.details["rows"] == {"synthetic": 500, "real": 500, "holdout": 500}
    assert "500 of 800 synthetic rows" in auc.note
