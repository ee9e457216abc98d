"""Fidelity and detection metrics: known values, identities, and failure modes they must catch."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp
from scipy.stats.contingency import association

import simulacra as sim
from simulacra.evaluation import detection, fidelity
from simulacra.evaluation.prepare import EvalData, Featurizer, prepare

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

KINDS = {"numerical": sim.Numerical, "categorical": sim.Categorical, "boolean": sim.Boolean,
         "datetime": sim.Datetime}


def _data(real: pd.DataFrame, synth: pd.DataFrame, holdout: pd.DataFrame | None = None,
          **kinds: str) -> EvalData:
    """EvalData with explicit column kinds (default: numbers numerical, the rest categorical)."""
    columns = {}
    for column in real.columns:
        kind = kinds.get(column) or (
            "numerical" if pd.api.types.is_numeric_dtype(real[column].dtype) else "categorical")
        columns[column] = KINDS[kind]()
    return prepare(real, synth, holdout, sim.Metadata(columns))


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each column permuted independently: same marginals, no dependence between columns."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: frame[c].to_numpy()[rng.permutation(len(frame))] for c in frame})


def _pair(metric, a: str, b: str) -> dict:
    return next(p for p in metric.details["pairs"] if {p["column_1"], p["column_2"]} == {a, b})


@pytest.fixture(scope="module")
def mixed_data() -> EvalData:
    from conftest import make_mixed

    real = make_mixed(600, seed=1)
    return prepare(real, real.copy())


@pytest.fixture(scope="module")
def shuffled_data() -> EvalData:
    from conftest import make_mixed

    real = make_mixed(600, seed=1)
    return prepare(real, _shuffled(real, seed=2))


# ---------------------------------------------------------------------------------------------
# identical data: every figure at its ideal
# ---------------------------------------------------------------------------------------------

def test_identical_data_scores_ideal(mixed_data: EvalData) -> None:
    rng = np.random.default_rng(0)
    assert fidelity.column_shapes(mixed_data).value == pytest.approx(1.0)
    assert fidelity.column_pair_trends(mixed_data).value == pytest.approx(1.0)
    for metric in fidelity.binned_accuracy(mixed_data, rng):
        assert metric.value == pytest.approx(1.0), metric.name
    for metric in fidelity.coverage(mixed_data):
        assert metric.value == pytest.approx(1.0), metric.name
    assert fidelity.missing_share_similarity(mixed_data).value == 1.0
    precision, recall = fidelity.alpha_precision_beta_recall(
        mixed_data, Featurizer(mixed_data), rng)
    assert precision.value > 0.95
    assert recall.value > 0.95


def test_same_distribution_is_undetectable() -> None:
    from conftest import make_mixed

    data = prepare(make_mixed(600, seed=1), make_mixed(600, seed=2))   # fresh rows, same law
    metric = detection.detection_auc(data, Featurizer(data), np.random.default_rng(0), folds=4)
    assert metric.name == "detection AUC" and metric.ideal == 0.5
    assert metric.direction == "closer"
    assert metric.value == pytest.approx(0.5, abs=0.08)
    assert len(metric.details["fold_aucs"]) == 4
    assert "training table" in metric.note


def test_copies_of_the_real_rows_push_detection_below_half(mixed_data: EvalData) -> None:
    """Each row's twin sits in the other folds with the other label: AUC far below 0.5."""
    metric = detection.detection_auc(mixed_data, Featurizer(mixed_data),
                                     np.random.default_rng(0), folds=3)
    assert metric.value < 0.3


# ---------------------------------------------------------------------------------------------
# independent (shuffled) columns: shape stays, trend and detection catch it
# ---------------------------------------------------------------------------------------------

def test_shuffled_columns_keep_shape_lose_trend(shuffled_data: EvalData) -> None:
    shape = fidelity.column_shapes(shuffled_data)
    trend = fidelity.column_pair_trends(shuffled_data)
    assert shape.value == pytest.approx(1.0)
    assert trend.value < 0.95
    pair = _pair(trend, "age", "score")       # score = 2·age + noise in the real table
    assert pair["metric"] == "CorrelationSimilarity"
    assert pair["real"] > 0.95
    assert abs(pair["synthetic"]) < 0.15
    assert pair["score"] < 0.6
    accuracy = {m.name: m.value for m in fidelity.binned_accuracy(shuffled_data,
                                                                  np.random.default_rng(0))}
    assert accuracy["univariate accuracy"] == pytest.approx(1.0)
    assert accuracy["bivariate accuracy"] < 0.95


def test_shuffled_columns_are_detected(shuffled_data: EvalData) -> None:
    metric = detection.detection_auc(shuffled_data, Featurizer(shuffled_data),
                                     np.random.default_rng(0), folds=3)
    assert metric.value > 0.8
    assert metric.details["top_features"][0]["column"] in {"age", "score", "last_seen",
                                                           "signup"}


def test_detection_uses_holdout_when_given(adult_small: pd.DataFrame) -> None:
    train, holdout = adult_small.iloc[:2000], adult_small.iloc[2000:]
    synth = _shuffled(train, seed=3)
    data = prepare(train, synth, holdout)
    metric = detection.detection_auc(data, Featurizer(data), np.random.default_rng(1), folds=3)
    assert metric.details["real_rows"] == "holdout"
    assert metric.details["rows_per_side"] == 1000
    assert "holdout" in metric.note
    assert metric.value > 0.7
    honest = prepare(train, train.sample(frac=1.0, random_state=0), holdout)
    baseline = detection.detection_auc(honest, Featurizer(honest), np.random.default_rng(1),
                                       folds=3)
    assert abs(baseline.value - 0.5) < 0.1


# ---------------------------------------------------------------------------------------------
# hand-computed values
# ---------------------------------------------------------------------------------------------

def test_ks_complement_by_hand() -> None:
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, np.nan]})
    synth = pd.DataFrame({"x": [3.0, 4.0, 5.0, 6.0, 7.0]})
    metric = fidelity.column_shapes(_data(real, synth))
    # NaN dropped; the ECDF gap is largest at 4: F_real = 4/4, F_synth = 2/5 → D = 0.6
    assert metric.value == pytest.approx(0.4)
    assert metric.details["columns"][0] == {"column": "x", "kind": "numerical",
                                            "metric": "KSComplement",
                                            "score": pytest.approx(0.4)}


def test_ks_on_datetimes_uses_time_order() -> None:
    days = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03", None])
    real = pd.DataFrame({"d": days})
    synth = pd.DataFrame({"d": pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-04"])})
    assert fidelity.column_shapes(_data(real, synth, d="datetime")).value == pytest.approx(
        1 - 1 / 3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # scipy's p-value, not the statistic
@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40),
       st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_ks_statistic_matches_scipy(a: list[float], b: list[float]) -> None:
    a_, b_ = np.array(a), np.array(b)
    expected = ks_2samp(a_, b_, method="asymp").statistic
    assert fidelity.ks_statistic(a_, b_) == pytest.approx(expected, abs=1e-12)


def test_tv_complement_by_hand() -> None:
    real = pd.Series(["a", "a", "b", None])
    synth = pd.Series(["a", "b", "b", "b"])
    # real (nulls dropped) a 2/3, b 1/3; synthetic a 1/4, b 3/4 → TVD = 5/12
    assert fidelity.tv_complement(real, synth) == pytest.approx(7 / 12)
    # A category only the synthetic data has counts fully against it (real count 1e-6).
    assert fidelity.tv_complement(pd.Series(["a"]), pd.Series(["a", "z"])) == pytest.approx(
        0.5, abs=1e-5)
    assert math.isnan(fidelity.tv_complement(pd.Series(["a"]), pd.Series([None, None])))


def test_boolean_and_categorical_use_tv() -> None:
    real = pd.DataFrame({"b": [True, True, False, False], "c": ["x", "y", "x", "y"]})
    synth = pd.DataFrame({"b": [True, True, True, False], "c": ["x", "x", "x", "x"]})
    metric = fidelity.column_shapes(_data(real, synth, b="boolean"))
    scores = {c["column"]: (c["metric"], c["score"]) for c in metric.details["columns"]}
    assert scores == {"b": ("TVComplement", pytest.approx(0.75)),
                      "c": ("TVComplement", pytest.approx(0.5))}
    assert metric.value == pytest.approx(0.625)


def test_contingency_similarity_by_hand() -> None:
    real = pd.DataFrame({"u": ["a", "a", "b", "b"], "v": ["x", "y", "x", "x"]})
    synth = pd.DataFrame({"u": ["a", "a", "b", "b"], "v": ["x", "x", "y", "x"]})
    # cells real: ax .25, ay .25, bx .5; synthetic: ax .5, bx .25, by .25 → TVD 0.5
    trend = fidelity.column_pair_trends(_data(real, synth))
    pair = _pair(trend, "u", "v")
    assert pair["metric"] == "ContingencySimilarity"
    assert pair["score"] == pytest.approx(0.5)
    assert math.isnan(pair["real"]) and math.isnan(pair["synthetic"])


def test_contingency_counts_nulls_as_a_category() -> None:
    real = pd.DataFrame({"u": ["a", None, "a", None], "v": ["x", "x", "y", "y"]})
    synth = pd.DataFrame({"u": ["a", "a", "a", "a"], "v": ["x", "x", "y", "y"]})
    pair = _pair(fidelity.column_pair_trends(_data(real, synth)), "u", "v")
    assert pair["score"] == pytest.approx(0.5)


def test_correlation_similarity_by_hand() -> None:
    x = [1.0, 2.0, 3.0, 4.0]
    real = pd.DataFrame({"x": x, "y": [2.0, 4.0, 6.0, 8.0]})         # ρ = 1
    synth = pd.DataFrame({"x": x, "y": [1.0, -1.0, -1.0, 1.0]})      # ρ = 0
    pair = _pair(fidelity.column_pair_trends(_data(real, synth)), "x", "y")
    assert pair["metric"] == "CorrelationSimilarity"
    assert (pair["real"], pair["synthetic"]) == (pytest.approx(1.0), pytest.approx(0.0))
    assert pair["score"] == pytest.approx(0.5)
    flipped = pd.DataFrame({"x": x, "y": [8.0, 6.0, 4.0, 2.0]})     # ρ = −1 → score 0
    assert fidelity.column_pair_trends(_data(real, flipped)).value == pytest.approx(0.0)


def test_correlation_uses_rows_with_both_values_and_skips_constants() -> None:
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan, 5.0], "y": [1.0, 2.0, 3.0, 100.0, np.nan],
                         "k": [1.0, 2.0, 3.0, 4.0, 5.0]})
    synth = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [1.0, 2.0, 3.0, 4.0, 5.0],
                          "k": [7.0, 7.0, 7.0, 7.0, 7.0]})                 # constant
    trend = fidelity.column_pair_trends(_data(real, synth))
    assert _pair(trend, "x", "y")["real"] == pytest.approx(1.0)      # rows 0-2 only
    assert math.isnan(_pair(trend, "x", "k")["score"])               # undefined, left out
    assert trend.value == pytest.approx(1.0)


def test_continuous_columns_binned_over_each_tables_own_range() -> None:
    """SDMetrics bins real and synthetic separately: a rescaled column pairs up perfectly."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 200)
    group = np.where(x > 5, "hi", "lo")
    real = pd.DataFrame({"x": x, "g": group})
    synth = pd.DataFrame({"x": 2 * x + 100, "g": group})
    pair = _pair(fidelity.column_pair_trends(_data(real, synth)), "x", "g")
    assert pair["score"] == pytest.approx(1.0)
    codes = fidelity.sdmetrics_bins(np.array([0.0, 0.5, 9.99, 10.0, np.nan]))
    assert codes.tolist() == [1, 1, 10, 11, 11]      # maximum and null share bin 11


def test_thresholds_keep_only_strong_real_pairs() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=500)
    real = pd.DataFrame({"a": a, "b": a + 0.1 * rng.normal(size=500),
                         "c": rng.normal(size=500)})
    synth = pd.DataFrame({"a": a, "b": rng.normal(size=500), "c": rng.normal(size=500)})
    trend = fidelity.column_pair_trends(_data(real, synth), real_correlation_threshold=0.5)
    assert trend.value == pytest.approx(_pair(trend, "a", "b")["score"])   # only a–b counts
    assert "only pairs" in trend.note
    plain = fidelity.column_pair_trends(_data(real, synth))
    assert plain.details["sdmetrics_defaults"]["value"] == pytest.approx(trend.value)
    assert plain.value > trend.value


def test_cramers_v_matches_scipy_and_correction_shrinks_it() -> None:
    rng = np.random.default_rng(0)
    table = rng.integers(1, 30, size=(4, 3))
    assert fidelity.cramers_v(table) == pytest.approx(association(table, method="cramer"))
    assert fidelity.cramers_v(table, bias_correction=True) <= fidelity.cramers_v(table)
    assert math.isnan(fidelity.cramers_v(np.array([[3, 4]])))


# ---------------------------------------------------------------------------------------------
# binned accuracy
# ---------------------------------------------------------------------------------------------

def test_binned_accuracy_pools_rare_categories_into_other() -> None:
    rng = np.random.default_rng(0)
    common = [f"c{i}" for i in range(10)]
    rare = [f"r{i}" for i in range(5)]
    values = np.array(common * 50 + rare * 2)
    real = pd.DataFrame({"k": values})
    swapped = np.where(np.isin(values, rare), np.roll(values, 1), values)
    swapped[np.isin(values, rare)] = rng.permutation(rare * 2)
    synth = pd.DataFrame({"k": swapped})
    uni = fidelity.binned_accuracy(_data(real, synth), rng)[0]
    assert uni.name == "univariate accuracy"
    assert uni.value == pytest.approx(1.0)      # rare values only moved within "(other)"
    assert fidelity.column_shapes(_data(real, synth)).value == pytest.approx(1.0)


def test_binned_accuracy_by_hand() -> None:
    real = pd.DataFrame({"x": np.arange(100.0)})
    synth = pd.DataFrame({"x": np.concatenate([np.arange(50.0), np.full(50, np.nan)])})
    uni, bi, tri = fidelity.binned_accuracy(_data(real, synth), np.random.default_rng(0))
    # half the synthetic rows are null (a bin the real data leaves empty) → TVD 0.5
    assert uni.value == pytest.approx(0.5)
    assert math.isnan(bi.value) and math.isnan(tri.value)      # one column: no pairs


def test_binned_accuracy_is_deterministic_under_seed(adult_small: pd.DataFrame) -> None:
    data = prepare(adult_small, _shuffled(adult_small, seed=5))
    first = fidelity.binned_accuracy(data, np.random.default_rng(42), max_triples=20)
    again = fidelity.binned_accuracy(data, np.random.default_rng(42), max_triples=20)
    other = fidelity.binned_accuracy(data, np.random.default_rng(43), max_triples=20)
    assert [m.value for m in first] == [m.value for m in again]
    assert len(first[2].details["triples"]) == 20
    assert first[2].details["triples"] != other[2].details["triples"]
    assert "20 of 455" in first[2].note


# ---------------------------------------------------------------------------------------------
# coverage and missing values
# ---------------------------------------------------------------------------------------------

def test_coverage_known_cases() -> None:
    real = pd.DataFrame({"k": ["a", "b", "c", None], "x": [0.0, 10.0, 5.0, 5.0]})
    synth = pd.DataFrame({"k": ["a", "c", "z", "a"], "x": [2.0, 12.0, 5.0, 5.0]})
    category, value_range = fidelity.coverage(_data(real, synth))
    assert category.value == pytest.approx(2 / 3)
    assert value_range.value == pytest.approx(0.8)
    assert fidelity.range_coverage(np.array([0.0, 10.0]), np.array([-5.0, 15.0])) == 1.0
    assert fidelity.range_coverage(np.array([0.0, 10.0]), np.array([4.0, 6.0])) == \
        pytest.approx(0.2)
    assert fidelity.range_coverage(np.array([0.0, 10.0]), np.array([20.0, 30.0])) == 0.0
    assert fidelity.range_coverage(np.array([0.0, 10.0]), np.array([np.nan])) == 0.0
    assert math.isnan(fidelity.range_coverage(np.array([3.0, 3.0]), np.array([1.0])))


def test_missing_share_similarity_known_case() -> None:
    real = pd.DataFrame({"x": [1.0] * 9 + [np.nan], "k": list("ababababab")})
    synth = pd.DataFrame({"x": [1.0] * 7 + [np.nan] * 3, "k": list("ababababab")})
    metric = fidelity.missing_share_similarity(_data(real, synth))
    assert metric.value == pytest.approx(1 - (0.2 + 0.0) / 2)
    assert metric.details["columns"][0]["real"] == pytest.approx(0.1)


# ---------------------------------------------------------------------------------------------
# alpha-precision / beta-recall, association matrices, determinism
# ---------------------------------------------------------------------------------------------

def test_alpha_precision_drops_for_off_support_rows() -> None:
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=800), "y": rng.normal(size=800)})
    far = pd.DataFrame({"x": rng.normal(size=800) + 4, "y": rng.normal(size=800) + 4})
    data = _data(real, far)
    precision, recall = fidelity.alpha_precision_beta_recall(data, Featurizer(data), rng)
    assert precision.value < 0.5 and recall.value < 0.5
    assert precision.details["precision_curve"].shape == (30,)


def test_alpha_beta_and_detection_deterministic(shuffled_data: EvalData) -> None:
    featurizer = Featurizer(shuffled_data)
    runs = [fidelity.alpha_precision_beta_recall(shuffled_data, featurizer,
                                                 np.random.default_rng(7), max_rows=300)
            for _ in range(2)]
    assert [m.value for m in runs[0]] == [m.value for m in runs[1]]
    aucs = [detection.detection_auc(shuffled_data, featurizer, np.random.default_rng(7),
                                    folds=3, max_rows=300).value for _ in range(2)]
    assert aucs[0] == aucs[1]


def test_association_matrices(shuffled_data: EvalData) -> None:
    out = fidelity.association_matrices(shuffled_data)
    columns = out["columns"]
    assert columns == list(shuffled_data.kinds)
    real, synth = np.array(out["real"]), np.array(out["synthetic"])
    assert real.shape == synth.shape == (len(columns), len(columns))
    assert np.allclose(np.diag(real), 1.0)
    assert np.allclose(real, real.T, equal_nan=True)
    i, j = columns.index("age"), columns.index("score")
    assert real[i, j] > 0.95 and synth[i, j] < 0.15
    assert np.nanmax(real) <= 1.0 + 1e-12 and np.nanmin(real) >= 0.0


def test_metrics_carry_definitions(mixed_data: EvalData) -> None:
    metrics = [fidelity.column_shapes(mixed_data), fidelity.column_pair_trends(mixed_data),
               *fidelity.binned_accuracy(mixed_data, np.random.default_rng(0)),
               *fidelity.coverage(mixed_data), fidelity.missing_share_similarity(mixed_data)]
    names = [m.name for m in metrics]
    assert names == ["shape", "trend", "univariate accuracy", "bivariate accuracy",
                     "trivariate accuracy", "category coverage", "range coverage",
                     "missing-share similarity"]
    for metric in metrics:
        assert metric.group == "fidelity" and metric.definition.endswith(".")
        assert metric.direction == "higher" and metric.ideal == 1.0
        metric.to_dict()      # JSON-safe
