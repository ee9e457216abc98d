"""model="auto": the choice, the factory that returns the chosen model fitted, and its file."""

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


def test_small_table_gets_the_copula_fitted():
    df = _table(100)
    model = sim.AutoSynthesizer(random_state=0).fit(df)
    assert type(model) is sim.GaussianCopula
    direct = sim.GaussianCopula(random_state=0).fit(df)
    pd.testing.assert_frame_equal(model.sample(50, rng=1), direct.sample(50, rng=1))


def test_choose_gives_the_model_unfitted_with_the_parameters():
    auto = sim.AutoSynthesizer(random_state=3, max_training_time=30, verbose=False)
    chosen = auto.choose(_table(MIN_ROWS_FOR_NETWORK))
    assert type(chosen) is (sim.AutoregressiveNetwork if choose_model(MIN_ROWS_FOR_NETWORK)
                            == "autoregressive" else sim.GaussianCopula)
    assert chosen.random_state == 3 and not hasattr(chosen, "codec_")
    assert auto.get_params() == {"random_state": 3, "max_training_time": 30, "verbose": False,
                                 "value_protection": True}
    assert sim.MODELS["auto"] is sim.AutoSynthesizer


def test_larger_table_gets_the_network_with_the_time_budget(tmp_path):
    pytest.importorskip("torch")
    df = _table(1500)
    model = sim.AutoSynthesizer(random_state=0, max_training_time=30).fit(df)
    assert type(model) is sim.AutoregressiveNetwork and model.max_training_time == 30
    rows = model.sample(200, conditions={"group": "b"}, rng=0)
    assert (rows["group"] == "b").all() and rows["x"].mean() > 3.5
    path = tmp_path / "auto.simz"
    model.save(path)
    loaded = sim.load(path)  # the chosen model's own file
    assert isinstance(loaded, sim.AutoregressiveNetwork)
    pd.testing.assert_frame_equal(loaded.sample(100, rng=3), model.sample(100, rng=3))


def test_bad_parameters():
    with pytest.raises(sim.ParameterError, match="max_training_time"):
        sim.AutoSynthesizer(max_training_time=0).fit(_table(50))
    with pytest.raises(sim.ParameterError, match="random_state"):
        sim.AutoSynthesizer(random_state=-1).fit(_table(50))
