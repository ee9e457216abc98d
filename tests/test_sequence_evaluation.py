"""Sequence evaluation: each figure on AR(1) event tables whose answer is known.

Real and "synthetic" tables are draws of one process (AR(1) values, exponential gaps, random
lengths), so every figure should sit near its ideal; a copy with each entity's values shuffled
over its times keeps lengths, gaps and marginals but loses the dynamics; a copy cut to four
events per entity loses the lengths.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.errors import DataError, ParameterError
from simulacra.evaluation.sequence import (
    autocorrelation_function,
    correlational_score,
    cross_correlation,
    discriminative_score,
    evaluate_sequences,
    inter_row_msas,
    predictive_score,
    prepare_sequences,
    statistic_msas,
)

sys.path.insert(0, str(Path(__file__).parent))
from sequences import ar1_events, shuffled_in_time

pytest.importorskip("torch")

#: TimeGAN's 2000 discriminator iterations (1000 do not reliably notice shuffled dynamics);
#: a tenth of its predictor iterations, enough here to come within 0.002 of the real reference.
QUICK = {"discriminator_iterations": 2000, "predictor_iterations": 500}
NAMES = ("sequence length similarity", "inter-event time similarity", "autocorrelation gap",
         "autocorrelation gap (max)", "statistic MSAS", "inter-row MSAS", "correlational score",
         "discriminative score", "predictive score")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    real, twin = ar1_events(500, 1), ar1_events(500, 2)
    return {"real": real, "twin": twin, "shuffled": shuffled_in_time(twin)}


@pytest.fixture(scope="module")
def metadata(tables) -> sim.Metadata:
    return sim.Metadata.detect(tables["real"], sequence_key="user")


@pytest.fixture(scope="module")
def scored(tables, metadata) -> dict[str, dict[str, sim.evaluation.Metric]]:
    """The real table against a second draw of its process, and against the shuffled copy."""
    out = {}
    for name in ("twin", "shuffled"):
        metrics = evaluate_sequences(tables["real"], tables[name], metadata, **QUICK)
        out[name] = {m.name: m for m in metrics}
    return out


def test_metadata_finds_key_and_index(metadata):
    assert (metadata.sequence_key, metadata.sequence_index) == ("user", "when")


def test_a_second_draw_of_the_process_scores_near_ideal(scored):
    twin = scored["twin"]
    assert set(twin) == set(NAMES)
    assert all(m.group == "sequence" and m.definition for m in twin.values())
    assert twin["sequence length similarity"].value > 0.9
    assert twin["inter-event time similarity"].value > 0.95
    assert twin["autocorrelation gap"].value < 0.05
    assert twin["statistic MSAS"].value > 0.85
    assert twin["inter-row MSAS"].value > 0.9
    assert twin["correlational score"].value < 0.05
    assert twin["discriminative score"].value < 0.08
    predictive = twin["predictive score"]
    assert predictive.reference_label == "trained on real"
    assert abs(predictive.value - predictive.reference) < 0.002


def test_shuffling_events_in_time_is_caught(scored):
    twin, shuffled = scored["twin"], scored["shuffled"]
    # lengths, times and per-entity statistics are untouched by the shuffle ...
    for name in ("sequence length similarity", "inter-event time similarity", "statistic MSAS"):
        assert shuffled[name].value == pytest.approx(twin[name].value)
    # ... the dynamics are not
    assert shuffled["autocorrelation gap"].value > 3 * twin["autocorrelation gap"].value
    assert shuffled["autocorrelation gap"].value > 0.1
    lag1 = shuffled["autocorrelation gap"].details["columns"][0]["lags"][0]
    assert lag1["real"] > 0.8 and lag1["real"] - lag1["synthetic"] > 0.2
    assert shuffled["inter-row MSAS"].value < twin["inter-row MSAS"].value - 0.1
    assert shuffled["discriminative score"].value > twin["discriminative score"].value + 0.1
    gap = shuffled["predictive score"].value - shuffled["predictive score"].reference
    assert gap > 0.008


def test_cut_sequences_score_low_length_similarity(tables, metadata):
    twin = tables["twin"]
    cut = twin[twin.groupby("user").cumcount() < 4]
    metrics = {m.name: m for m in evaluate_sequences(tables["real"], cut, metadata,
                                                     neural=False)}
    assert metrics["sequence length similarity"].value < 0.2
    real = metrics["sequence length similarity"].details["real"]
    assert real["max"] == 20 and metrics["sequence length similarity"].details[
        "synthetic"]["max"] == 4
    assert "discriminative score" not in metrics  # neural=False


def test_evaluate_adds_a_sequences_stage(tables, metadata, tmp_path):
    real, twin = tables["real"].iloc[:1500], tables["twin"].iloc[:1500]
    holdout = ar1_events(120, 7)
    result = sim.evaluate(real, twin, holdout, metadata=metadata,
                          metrics=["fidelity", "sequences"],
                          sequence_options={"discriminator_iterations": 60,
                                            "predictor_iterations": 60})
    for name in NAMES:
        assert result[name].group == "sequence"
    # the table figures still run, the key (an id) left out of the column comparisons
    assert {"shape", "trend", "alpha precision"} <= {m.name for m in result.metrics}
    assert result.value("shape") > 0.8
    assert "user" in result.info["columns_skipped"]
    assert "user" not in result.info["columns_compared"]
    assert "sequences" in result.info["stage_seconds"]
    # with a holdout every sequence figure has the holdout's own score beside it
    for name in NAMES:
        assert result[name].reference_label == "holdout", name
    assert "trained_on_real" in result["predictive score"].details
    assert "trained_on_holdout" in result["predictive score"].details
    html = result.to_html(tmp_path / "report.html")
    section = html[html.index('<section id="sequences">'):]
    section = section[: section.index("</section>")]
    assert "discriminative score" in section
    assert 'alt="real and synthetic sequences side by side"' in section
    assert result.to_json()  # JSON-safe


def test_without_index_the_gaps_are_not_computed(tables):
    real = tables["real"].drop(columns="when").iloc[:1200]
    twin = tables["twin"].drop(columns="when").iloc[:1200]
    md = sim.Metadata.detect(real, sequence_key="user")
    assert md.sequence_index is None
    result = sim.evaluate(real, twin, metadata=md, metrics=["sequences"],
                          sequence_options={"neural": False})
    assert "inter-event time similarity" not in result
    assert any(n.startswith("inter-event time similarity") for n in result.info["not_computed"])
    assert "sequence length similarity" in result


def test_sequences_asked_for_without_a_key_is_explained(tables):
    result = sim.evaluate(tables["real"].iloc[:300], tables["twin"].iloc[:300],
                          metrics=["sequences"])
    assert not result.metrics
    assert any("sequence_key" in n for n in result.info["not_computed"])


def test_same_seed_same_figures(tables, metadata):
    real, twin = tables["real"].iloc[:900], tables["twin"].iloc[:900]
    options = {"discriminator_iterations": 30, "predictor_iterations": 30, "max_entities": 40}
    first = evaluate_sequences(real, twin, metadata, random_state=4, **options)
    again = evaluate_sequences(real, twin, metadata, random_state=4, **options)
    assert [m.value for m in first] == [m.value for m in again]
    assert "40 of" in first[0].note  # the subsample is said


def test_bad_inputs_name_the_parameter(tables, metadata):
    real = tables["real"].iloc[:200]
    with pytest.raises(ParameterError, match="'metadata'"):
        evaluate_sequences(real, real, sim.Metadata.detect(real))
    with pytest.raises(ParameterError, match="unknown \\['epochs'\\]"):
        sim.evaluate(real, real, metadata=metadata, sequence_options={"epochs": 3})
    with pytest.raises(DataError, match="'user'"):
        prepare_sequences(real, real.drop(columns="user"), metadata)
    with pytest.raises(ParameterError, match="'window'"):
        evaluate_sequences(real, real, metadata, window=1)


def test_autocorrelation_of_one_long_series_is_phi_to_the_lag():
    series = ar1_events(1, 11, phi=0.6, low=20_000, high=20_001)
    seqs = prepare_sequences(series, series, sim.Metadata.detect(series, sequence_key="user"))
    acf, pairs = autocorrelation_function(seqs.real, "x", 3)
    assert acf == pytest.approx([0.6, 0.36, 0.216], abs=0.03)
    assert pairs.tolist() == [19_999, 19_998, 19_997]


def test_a_long_series_is_cut_into_windows():
    series = ar1_events(1, 12, low=2400, high=2401)
    md = sim.Metadata.detect(series, sequence_key="user")
    metrics = {m.name: m for m in evaluate_sequences(series, series.copy(), md,
                                                     discriminator_iterations=20,
                                                     predictor_iterations=20)}
    details = metrics["discriminative score"].details
    assert sum(details["train_units"]) + sum(details["test_units"]) == 2 * 100  # 2400 / 24
    assert metrics["predictive score"].details["window"] == 24


def test_fixed_windows_work_as_a_3d_array():
    rng = np.random.default_rng(0)
    real = rng.uniform(0, 1, (40, 8, 3)).astype(np.float32)
    result = discriminative_score(real, real[::-1].copy(), iterations=5, random_state=0)
    assert 0 <= result.score <= 0.5 and result.test_units == (8, 8)
    assert 0 < predictive_score(real, real, iterations=5, random_state=0) < 1


def test_cross_correlation_of_windows_is_diffusion_ts_formula():
    """For fixed windows the per-unit path equals the formula on the (N, T, F) array."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 10, 3)) @ np.array([[1, 0.5, 0], [0, 1, 0.3], [0, 0, 1]])
    z = (x - x.mean((0, 1))) / x.std((0, 1), ddof=1)
    rows, cols = np.tril_indices(3)
    direct = (z[..., rows] * z[..., cols]).mean(1).mean(0)
    assert cross_correlation(list(x)) == pytest.approx(direct)
    score, repeats = correlational_score(x, x, random_state=0)
    assert len(repeats) == 5 and score < 0.2


def test_msas_ports_on_hand_computed_values():
    keys = pd.Series(["a", "a", "a", "b", "b"])
    values = pd.Series([1.0, 2.0, 4.0, 10.0, 10.0])
    other = pd.Series([1.0, 2.0, 3.0, 10.0, 13.0])
    # means a=7/3, b=10 vs a=2, b=11.5: no value shared, interleaved → KS 0.5
    assert statistic_msas(keys, values, keys, other) == pytest.approx(0.5)
    assert statistic_msas(keys, values, keys, values, "std") == pytest.approx(1.0)
    # differences: real 1, 2, 0 vs synthetic 1, 1, 3
    assert inter_row_msas(keys, values, keys, other) == pytest.approx(1 - 1 / 3)
    # per-sequence means (sdmetrics < 0.32): real 1.5, 0 vs 1, 3 → KS 0.5
    assert inter_row_msas(keys, values, keys, other, aggregate="mean") == pytest.approx(0.5)
    with pytest.raises(ParameterError, match="'statistic'"):
        statistic_msas(keys, values, keys, values, "mode")
