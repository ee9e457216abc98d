"""model="auto": the choice, delegation to the chosen model, and its file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.models.auto import MIN_ROWS_FOR_NETWORK, choose_model


def _table(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    group = rng.choice(["a", "b"], n)
    return pd.DataFrame({"group": group, "x": np.where(group == "a", 0.0, 5.0)
                         + rng.normal(size=n)})


def test_choice_follows_rows_and_torch():
    assert choose_model(MIN_ROWS_FOR_NETWORK - 1, torch_available=True) == "gaussian_copula"
    assert choose_model(MIN_ROWS_FOR_NETWORK, torch_available=True) == "autoregressive"
    assert choose_model(10**6, torch_available=False) == "gaussian_copula"


def test_small_table_gets_the_copula_and_acts_as_it():
    df = _table(100)
    auto = sim.AutoSynthesizer(random_state=0).fit(df)
    assert auto.chosen_ == "gaussian_copula" and isinstance(auto.model_, sim.GaussianCopula)
    direct = sim.GaussianCopula(random_state=0).fit(df)
    pd.testing.assert_frame_equal(auto.sample(50, rng=1), direct.sample(50, rng=1))


def test_larger_table_gets_the_network_with_the_time_budget(tmp_path):
    pytest.importorskip("torch")
    df = _table(1500)
    auto = sim.AutoSynthesizer(random_state=0, max_training_time=30).fit(df)
    assert auto.chosen_ == "autoregressive" and auto.model_.max_training_time == 30
    rows = auto.sample(200, conditions={"group": "b"}, rng=0)
    assert (rows["group"] == "b").all() and rows["x"].mean() > 3.5
    path = tmp_path / "auto.simz"
    auto.save(path)
    loaded = sim.load(path)  # the chosen model's own file
    assert isinstance(loaded, sim.AutoregressiveNetwork)
    pd.testing.assert_frame_equal(loaded.sample(100, rng=3), auto.sample(100, rng=3))


def test_bad_parameters_and_unfitted():
    with pytest.raises(sim.ParameterError, match="max_training_time"):
        sim.AutoSynthesizer(max_training_time=0).fit(_table(50))
    with pytest.raises(sim.NotFittedError):
        sim.AutoSynthesizer().sample(5)
