"""WindowDiffusion: whole fixed-length windows of a numeric series, by diffusion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from events import assert_round_trip, tampered
from simulacra.cli import app
from simulacra.errors import DataError, ModelFileError, ParameterError
from simulacra.windows import cut_windows, frame_to_windows

pytest.importorskip("torch")

runner = CliRunner(env={"COLUMNS": "200"})
LENGTH = 16


def series(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """An hourly series: a daily wave with a little noise, its double, and its lagged copy."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    wave = np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.05, n)
    return pd.DataFrame({"date": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "load": wave, "double": 2 * wave + 5,
                         "lagged": np.roll(wave, 3)})


@pytest.fixture(scope="module")
def fitted():
    events = cut_windows(series(), LENGTH, stride=2, step=None)
    before = events.copy()
    md = sim.Metadata.detect(events, sequence_key="window", sequence_index="date")
    model = sim.WindowDiffusion(md, training_steps=2000, batch_size=64, embedding_dim=32,
                                layers=2, heads=2, sampling_steps=40, random_state=0)
    model.fit(events)
    pd.testing.assert_frame_equal(events, before)  # the caller's table is left alone
    return model, events


def test_windows_come_back_whole_with_their_dates(fitted):
    model, events = fitted
    out = model.sample(50, rng=1)
    assert list(out.columns) == list(events.columns)
    assert out["window"].nunique() == 50 and out.groupby("window").size().eq(LENGTH).all()
    hours = pd.to_datetime(out["date"]).groupby(out["window"]).diff().dropna()
    assert (hours == pd.Timedelta(hours=1)).all()
    for column in ("load", "double", "lagged"):  # never outside what training saw
        assert out[column].between(events[column].min(), events[column].max()).all()
    pd.testing.assert_frame_equal(model.sample(20, rng=3), model.sample(20, rng=3))


def test_the_windows_keep_the_waves_shape_and_the_columns_ties(fitted):
    model, events = fitted
    names = ["load", "double", "lagged"]
    real = frame_to_windows(events, names)
    synthetic = frame_to_windows(model.sample(300, rng=2), names)
    # the double is the load doubled: a noise generator would not tie them
    tie = np.corrcoef(synthetic[:, :, 0].ravel(), synthetic[:, :, 1].ravel())[0, 1]
    assert tie > 0.95
    # a smooth wave: step-to-step changes as small as the real ones, not the spread of noise
    real_step = np.abs(np.diff(real[:, :, 0], axis=1)).mean()
    synthetic_step = np.abs(np.diff(synthetic[:, :, 0], axis=1)).mean()
    assert synthetic_step < 2 * real_step
    assert synthetic_step < 0.5 * synthetic[:, :, 0].std()
    # the lagged copy lags: the load 3 steps back matches it better than the load now
    back = np.corrcoef(synthetic[:, :-3, 0].ravel(), synthetic[:, 3:, 2].ravel())[0, 1]
    now = np.corrcoef(synthetic[:, :, 0].ravel(), synthetic[:, :, 2].ravel())[0, 1]
    assert back > now + 0.1


def test_saved_and_loaded_it_samples_the_same(fitted, tmp_path):
    model, _ = fitted
    loaded = assert_round_trip(model, tmp_path)
    assert loaded.length_ == LENGTH and loaded.training_steps_ == model.training_steps_


def test_a_tampered_file_is_refused(fitted, tmp_path):
    model, _ = fitted
    for old, new in ((b'"length": 16', b'"length": 1'), (b'"length": 16', b'"length": 40'),
                     (b'"quantiles": [', b'"quantiles": [{}, ')):
        with pytest.raises(ModelFileError):
            sim.load(tampered(model, tmp_path, old, new))


def test_bad_input_gets_a_clear_error():
    events = cut_windows(series(200), 12, stride=4, step=None)
    with pytest.raises(DataError, match="same length"):
        sim.WindowDiffusion(sequence_key="window", sequence_index="date").fit(events.iloc[:-1])
    labelled = events.assign(kind=np.resize(["low", "mid", "high"], len(events)))
    with pytest.raises(DataError, match=r"kind.*SequentialNetwork"):
        sim.WindowDiffusion(sequence_key="window", sequence_index="date",
                            training_steps=1).fit(labelled)
    with pytest.raises(ParameterError, match="multiple of heads"):
        sim.WindowDiffusion(sequence_key="window", embedding_dim=30, heads=4).fit(events)
    with pytest.raises(ParameterError, match="sequence_key is required"):
        sim.WindowDiffusion().fit(events)
    with pytest.raises(ParameterError, match="no differentially private mode"):
        sim.WindowDiffusion(privacy=sim.PrivacyBudget(1.0))


def test_conditions_are_refused(fitted):
    model, _ = fitted
    with pytest.raises(ParameterError, match="SequentialNetwork"):
        model.sample(5, conditions={"load": 0.0})
    with pytest.raises(ParameterError, match="windows"):
        model.sample(0)


def test_cli_fits_windows_by_diffusion_and_samples_them(tmp_path):
    series(240).to_csv(tmp_path / "series.csv", index=False)
    fit = ["fit", str(tmp_path / "series.csv"), "--window", "12", "--stride", "3",
           "--sequence-index", "date", "--model", "window-diffusion", "-o",
           str(tmp_path / "w.simz"), "--seed", "0", "-p", "training_steps=30",
           "-p", "embedding_dim=16", "-p", "heads=2", "-p", "sampling_steps=10"]
    r = runner.invoke(app, fit)
    assert r.exit_code == 0, r.output
    assert "window-diffusion on 77 entities" in r.output
    r = runner.invoke(app, ["sample", str(tmp_path / "w.simz"), "-n", "5", "-o",
                            str(tmp_path / "out.csv"), "--seed", "1"])
    assert r.exit_code == 0, r.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["window", "date", "load", "double", "lagged"]
    assert out.groupby("window").size().tolist() == [12] * 5
    r = runner.invoke(app, ["sample", str(tmp_path / "w.simz"), "-n", "5", "-o",
                            str(tmp_path / "x.csv"), "-c", "load=0"])
    assert r.exit_code != 0 and "draws new windows" in r.output
    r = runner.invoke(app, [*fit[:-8], "-p", "numeric_bins=8"])
    assert r.exit_code != 0 and "window-diffusion has no hyperparameter" in r.output
    r = runner.invoke(app, [*fit, "--epsilon", "1"])
    assert r.exit_code != 0 and "--epsilon" in r.output


def gaussian_windows(n: int, length: int, channels: int, seed: int = 0) -> np.ndarray:
    """Correlated Gaussian windows: an AR(1) per channel, the channels mixed."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length, channels))
    x[:, 0] = rng.normal(size=(n, channels))
    for step in range(1, length):
        x[:, step] = 0.8 * x[:, step - 1] + 0.6 * rng.normal(size=(n, channels))
    mix = np.eye(channels) + 0.5 * np.triu(np.ones((channels, channels)), 1)
    return x @ mix + np.arange(channels)


@pytest.mark.parametrize("full", [True, False])
def test_the_gaussian_base_is_the_exact_denoiser_of_the_windows_gaussian(full, monkeypatch):
    torch = pytest.importorskip("torch")
    from simulacra.models.windows import gaussian_base

    if not full:  # the separable form: time ⊗ channels
        monkeypatch.setattr(gaussian_base, "MAX_FULL", 4)
    windows = gaussian_windows(4000, 6, 3)
    alpha_bar = np.array([0.9, 0.3])
    base = gaussian_base.GaussianBase.fit(windows, alpha_bar)
    assert base.full is full
    flat = windows.reshape(len(windows), -1)
    mean, cov = flat.mean(0), np.cov(flat, rowvar=False)
    rng = np.random.default_rng(1)
    x_t = rng.normal(size=(5, 6, 3))
    for t, a in enumerate(alpha_bar):  # E[x0 | x_t] = μ + √ᾱ Σ (ᾱ Σ + (1 − ᾱ) I)⁻¹ (x_t − √ᾱ μ)
        gain = np.sqrt(a) * cov @ np.linalg.inv(a * cov + (1 - a) * np.eye(len(cov)))
        want = mean + (x_t.reshape(5, -1) - np.sqrt(a) * mean) @ gain.T
        got = base(torch.tensor(x_t, dtype=torch.float32), torch.full((5,), t)).numpy()
        tolerance = 1e-3 if full else 0.25  # the AR(1) mix is nearly separable
        np.testing.assert_allclose(got.reshape(5, -1), want, atol=tolerance)


def test_an_untrained_window_model_samples_the_windows_gaussian_copula():
    windows = np.exp(gaussian_windows(3000, 8, 2) / 2)  # skewed marginals, tied steps
    events = pd.DataFrame({"window": np.repeat(np.arange(len(windows)), 8),
                           "step": np.tile(np.arange(8), len(windows)),
                           "a": windows[:, :, 0].ravel(), "b": windows[:, :, 1].ravel()})
    model = sim.WindowDiffusion(sequence_key="window", sequence_index="step",
                                training_steps=1, learning_rate=1e-12, embedding_dim=16,
                                heads=2, layers=1, random_state=0).fit(events)
    synthetic = frame_to_windows(model.sample(3000, rng=1), ["a", "b"])
    for j in range(2):  # the marginals through the quantile functions
        for q in (0.1, 0.5, 0.9):
            assert np.quantile(synthetic[:, :, j], q) == pytest.approx(
                np.quantile(windows[:, :, j], q), rel=0.1)
        lag = [np.corrcoef(w[:, :-1, j].ravel(), w[:, 1:, j].ravel())[0, 1]
               for w in (windows, synthetic)]
        assert lag[1] == pytest.approx(lag[0], abs=0.05)  # the steps' dependence
    cross = [np.corrcoef(w[:, :, 0].ravel(), w[:, :, 1].ravel())[0, 1]
             for w in (windows, synthetic)]
    assert cross[1] == pytest.approx(cross[0], abs=0.05)  # the columns' dependence
    # without the base, the same untrained network draws noise, not these windows
    plain = sim.WindowDiffusion(sequence_key="window", sequence_index="step",
                                training_steps=1, learning_rate=1e-12, embedding_dim=16,
                                heads=2, layers=1, gaussian_base=False,
                                random_state=0).fit(events)
    noise = frame_to_windows(plain.sample(1000, rng=1), ["a", "b"])
    assert np.corrcoef(noise[:, :-1, 0].ravel(), noise[:, 1:, 0].ravel())[0, 1] < 0.5


def test_standardised_channels_without_a_base_still_learn_windows(tmp_path):
    events = cut_windows(series(300), 12, stride=3, step=None)
    model = sim.WindowDiffusion(sequence_key="window", sequence_index="date",
                                marginals="standard", gaussian_base=False,
                                training_steps=200, embedding_dim=16, heads=2, layers=1,
                                sampling_steps=10, random_state=0).fit(events)
    assert model.quantiles_ is None
    assert_round_trip(model, tmp_path)
    with pytest.raises(ParameterError, match="marginals"):
        sim.WindowDiffusion(sequence_key="window", marginals="uniform").fit(events)
