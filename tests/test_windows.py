"""Fixed-length windows of a time series: cutting, the Sines data, the sequential model on
windows (every generated window keeps the learned length), Context-FID and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from events import assert_round_trip, tampered
from simulacra.cli import app
from simulacra.errors import DataError, ModelFileError, ParameterError
from simulacra.windows import (
    cut_windows,
    frame_to_windows,
    make_sines,
    minmax_scale,
    sliding_windows,
    windows_to_frame,
)

runner = CliRunner(env={"COLUMNS": "200"})


def series(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """An hourly two-column series: a daily wave with noise, and a lagged copy."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    wave = np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.1, n)
    return pd.DataFrame({"date": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "load": wave.round(3), "lagged": np.roll(wave, 2).round(3)})


def test_cut_windows_numbers_windows_and_steps_and_leaves_the_table_alone():
    table = series(30)
    before = table.copy()
    events = cut_windows(table, 24, stride=3)
    pd.testing.assert_frame_equal(table, before)
    assert list(events.columns) == ["window", "step", "date", "load", "lagged"]
    assert events["window"].nunique() == 3 and len(events) == 72
    second = events[events["window"] == 1]
    assert second["step"].tolist() == list(range(24))
    assert second["load"].tolist() == table["load"].iloc[3:27].tolist()
    no_step = cut_windows(table, 5, step=None)
    assert "step" not in no_step.columns and no_step["window"].nunique() == 26


def test_window_arrays_round_trip_through_an_event_table():
    table = series(60)
    arr = sliding_windows(table[["load", "lagged"]], 24, stride=4)
    assert arr.shape == (10, 24, 2)
    assert np.array_equal(arr[2, :, 0], table["load"].to_numpy()[8:32])
    events = windows_to_frame(arr, ["load", "lagged"])
    shuffled = events.sample(frac=1.0, random_state=0)
    assert np.array_equal(frame_to_windows(shuffled, ["load", "lagged"]), arr)
    scaled = minmax_scale(arr)
    assert scaled.min() == 0.0 and scaled.max() == 1.0


def test_bad_window_inputs_name_what_is_wrong():
    table = series(30)
    with pytest.raises(DataError, match="fewer than the window length"):
        cut_windows(table, 31)
    with pytest.raises(ParameterError, match="length must be an integer >= 1"):
        cut_windows(table, 0)
    with pytest.raises(ParameterError, match="already has columns"):
        cut_windows(table.rename(columns={"load": "step"}), 5)
    with pytest.raises(DataError, match=r"\['date'\] are not"):
        sliding_windows(table, 5)
    uneven = windows_to_frame(np.zeros((2, 3, 1)), ["x"]).iloc[:-1]
    with pytest.raises(DataError, match="differ in length"):
        frame_to_windows(uneven, ["x"])


def test_sines_follow_timegan_definition():
    x = make_sines(500, 24, 5, random_state=3)
    assert x.shape == (500, 24, 5)
    assert np.array_equal(x, make_sines(500, 24, 5, random_state=3))
    # step 0 is (sin(phase) + 1) / 2 with phase in [0, 0.1]; frequencies are at most 0.1
    assert x[:, 0].min() >= 0.5 and x[:, 0].max() <= (np.sin(0.1) + 1) / 2
    assert np.abs(np.diff(x, axis=1)).max() <= 0.05 + 1e-12


@pytest.fixture(scope="module")
def window_model():
    pytest.importorskip("torch")
    events = cut_windows(series(400), 24, stride=2, step=None)
    md = sim.Metadata.detect(events, sequence_key="window", sequence_index="date")
    model = sim.SequentialNetwork(md, epochs=3, random_state=0).fit(events)
    return model, events


def test_a_window_model_generates_windows_of_the_learned_length(window_model, tmp_path):
    model, _ = window_model
    assert model.fixed_length_ == 24
    out = model.sample(30, rng=1)
    assert out.groupby("window").size().eq(24).all() and out["window"].nunique() == 30
    hours = pd.to_datetime(out["date"]).groupby(out["window"]).diff().dropna()
    assert (hours == pd.Timedelta(hours=1)).mean() > 0.95  # the series' own step
    model.save(tmp_path / "w.simz")
    again = sim.load(tmp_path / "w.simz")
    assert again.fixed_length_ == 24
    pd.testing.assert_frame_equal(again.sample(5, rng=2), model.sample(5, rng=2))


def test_a_tampered_fixed_length_is_refused(window_model, tmp_path):

    model, _ = window_model
    broken = tampered(model, tmp_path, b'"fixed_length": 24', b'"fixed_length": 10000')
    with pytest.raises(ModelFileError, match="fixed_length"):
        sim.load(broken)


def test_context_fid_ranks_a_faithful_copy_above_shuffled_time():
    pytest.importorskip("torch")
    from simulacra.evaluation.sequence import context_fid, frechet_distance

    raw = sliding_windows(series(700, seed=1)[["load", "lagged"]], 24)
    real = minmax_scale(raw)
    other = minmax_scale(sliding_windows(series(700, seed=2)[["load", "lagged"]], 24), raw)
    rng = np.random.default_rng(0)
    shuffled = np.stack([w[rng.permutation(24)] for w in other])
    faithful = context_fid(real, other, iterations=80, random_state=0)
    broken = context_fid(real, shuffled, iterations=80, random_state=0)
    assert faithful < broken / 3
    assert context_fid(real, other, iterations=80, random_state=0) == faithful  # seeded
    x = rng.normal(size=(5000, 3))
    assert frechet_distance(x, x * 2.0) == pytest.approx(3.0, abs=0.15)  # 3 · (2 − 1)²
    with pytest.raises(ParameterError, match="same length and features"):
        context_fid(real, other[:, :12], iterations=5)


def test_evaluate_scores_window_tables_with_context_fid(window_model):
    model, events = window_model
    md = sim.Metadata.detect(events, sequence_key="window", sequence_index="date")
    synthetic = model.sample(150, rng=3)
    result = sim.evaluate(events, synthetic, metadata=md, metrics=["sequences"],
                          sequence_options={"discriminator_iterations": 50,
                                            "predictor_iterations": 50})
    fid = [m for m in result.metrics if m.name == "context-FID"]
    assert len(fid) == 1 and np.isfinite(fid[0].value) and fid[0].value >= 0
    assert fid[0].details["length"] == 24
    uneven = synthetic[synthetic["window"] != synthetic["window"].iloc[0]]
    uneven = pd.concat([uneven, synthetic[synthetic["window"] == synthetic["window"].iloc[0]]
                        .iloc[:10]])
    result = sim.evaluate(events, uneven, metadata=md, metrics=["sequences"],
                          sequence_options={"neural": True, "discriminator_iterations": 5,
                                            "predictor_iterations": 5})
    assert not [m for m in result.metrics if m.name == "context-FID"]
    assert any(note.startswith("context-FID") for note in result.info["not_computed"])


def test_cli_fits_a_series_as_windows_and_samples_windows(tmp_path):
    pytest.importorskip("torch")
    series(200).to_csv(tmp_path / "series.csv", index=False)
    r = runner.invoke(app, ["fit", str(tmp_path / "series.csv"), "--window", "12", "--stride",
                            "2", "--sequence-index", "date", "-o", str(tmp_path / "w.simz"),
                            "--seed", "0", "-p", "epochs=2"])
    assert r.exit_code == 0, r.output
    assert "95 entities" in r.output
    r = runner.invoke(app, ["sample", str(tmp_path / "w.simz"), "-n", "7", "-o",
                            str(tmp_path / "out.csv"), "--seed", "1"])
    assert r.exit_code == 0, r.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["window", "date", "load", "lagged"]
    assert out.groupby("window").size().tolist() == [12] * 7
    r = runner.invoke(app, ["sample", str(tmp_path / "w.simz"), "-n", "60", "-o",
                            str(tmp_path / "more.csv"), "--seed", "2"])
    assert r.exit_code == 0, r.output
    windows = cut_windows(series(200), 12, stride=2, step=None)
    windows.to_csv(tmp_path / "windows.csv", index=False)
    evaluate = ["evaluate", str(tmp_path / "windows.csv"), str(tmp_path / "more.csv"),
                "--sequence-key", "window", "--sequence-index", "date", "--metrics",
                "sequences", "--sequence-option", "discriminator_iterations=20",
                "--sequence-option", "predictor_iterations=20"]
    r = runner.invoke(app, evaluate)
    assert r.exit_code == 0, r.output
    assert "context-FID" in r.output and "discriminative score" in r.output
    r = runner.invoke(app, [*evaluate, "--sequence-option", "iterations=5"])
    assert r.exit_code != 0 and "sequence_options" in r.output and "iterations" in r.output
    r = runner.invoke(app, ["fit", str(tmp_path / "series.csv"), "--window", "12",
                            "--sequence-key", "load", "-o", str(tmp_path / "x.simz")])
    assert r.exit_code != 0 and "leave out --sequence-key" in r.output


def test_changes_split_join_and_extend_by_hand():
    from simulacra.models.sequential.changes import Changes

    frame = pd.DataFrame({"x": [1.0, 2.5, 4.0, 0.5, 0.0], "k": [1, 3, 2, 5, 5]})
    entity = np.array([0, 0, 0, 1, 1])
    changes = Changes(["x", "k"]).fit(frame)
    steps, firsts = changes.split(frame, entity)
    assert steps["k"].tolist() == [0, 2, -1, 0, 0] and firsts["k"].tolist() == [1, 1, 1, 5, 5]
    back = changes.join(steps, firsts, entity)
    assert back["x"].tolist() == frame["x"].tolist() and back["k"].dtype == np.int64
    drift = changes.join(steps * 10, firsts, entity)  # clipped to the training range
    assert drift["x"].max() == 4.0 and drift["x"].min() == 0.0
    more = changes.extend(pd.DataFrame({"x": [4.0, 0.0], "k": [2, 5]}),
                          pd.DataFrame({"x": [-0.5, -0.5, 0.2999], "k": [1, 1, -2]}),
                          np.array([0, 0, 1]))
    assert more["x"].tolist() == [3.5, 3.0, 0.3] and more["k"].tolist() == [3, 4, 3]
    assert Changes.from_state(changes.get_state()).get_state() == changes.get_state()
    with pytest.raises(DataError, match="'x' has null"):
        Changes(["x"]).fit(pd.DataFrame({"x": [1.0, None]}))


def test_differences_keep_a_smooth_series_smooth(tmp_path):
    pytest.importorskip("torch")
    real = make_sines(400, 24, 2, random_state=0)
    events = windows_to_frame(real, ["a", "b"])
    md = sim.Metadata.detect(events, sequence_key="window", sequence_index="step")
    model = sim.SequentialNetwork(md, differences=["a", "b"], epochs=8,
                                  random_state=0).fit(events)
    assert model.first_columns_ == ["a.first", "b.first"] and model.context_columns_ == []
    fake = frame_to_windows(model.sample(300, rng=1), ["a", "b"])
    assert fake.shape == (300, 24, 2)
    assert fake.min() >= real.min() and fake.max() <= real.max()  # within the range
    assert np.quantile(fake[:, 0], 0.99) < 0.56  # first values as the real ones (≤ 0.55)
    # the running sum of small changes: steps as small as the real ones (levels binned on
    # [0.5, 1] would jump by a bin or more)
    assert np.median(np.abs(np.diff(fake, axis=1))) < 3 * np.median(np.abs(np.diff(real,
                                                                                axis=1)))
    given = windows_to_frame(real[:2, :10], ["a", "b"])
    nxt = model.continue_sequences(given, events=2, rng=2)
    jump = np.abs(nxt.groupby("window")["a"].first().to_numpy() - real[:2, 9, 0])
    assert jump.max() < 0.05  # continues from the last given value
    assert_round_trip(model, tmp_path, 3)
    broken = tampered(model, tmp_path, b'"first_columns": ["a.first"',
                       b'"first_columns": ["nope"')
    with pytest.raises(ModelFileError, match="differences"):
        sim.load(broken)
    with pytest.raises(DataError, match="differences"):
        sim.SequentialNetwork(md, differences=["window"], epochs=1).fit(events)
