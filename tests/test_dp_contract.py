"""The differential-privacy contract, checked on every model that takes ``privacy=``.

Every DP-capable model of the registry (the discrete ones and the networks alike) is fitted on
the same small table with a planted outlier, a one-row category and dates, and must:

* stay within the budget, and say how it was spent by stage;
* give frames with the table's columns and dtypes, the same for the same seed;
* keep nothing of the planted rows: bounds from DP, no one-row category, no first and last day;
* give the same report and samples after a save and a load;
* (networks) report the smaller ε of fewer DP-SGD steps, and refuse early stopping.

A model added to the registry with ``supports_privacy`` is checked here without a new test.
"""

from __future__ import annotations

import pandas as pd
import pytest

import simulacra as sim
from leaks import assert_file_keeps_none_of
from simulacra.errors import ParameterError
from simulacra.models.neural.base import NeuralSynthesizer

pytest.importorskip("torch")
pytest.importorskip("opacus")

PRIVATE = sorted(n for n, cls in sim.MODELS.items() if cls.supports_privacy)
#: Small settings, so that every model fits in a few seconds.
SMALL: dict[str, dict] = {
    "autoregressive": {"epochs": 1},
    "tabddpm": {"epochs": 1, "sampling_steps": 10},
    "tvae": {"epochs": 1, "batch_size": 100, "embedding_dim": 16, "compress_dims": (32,),
             "decompress_dims": (32,)},
    "ctgan": {"epochs": 1, "batch_size": 100, "embedding_dim": 16, "generator_dim": (32,),
              "discriminator_dim": (32,)},
}
EPSILON = 3.0
OUTLIER, PERSON = 987_654_321.0, "unique-person"


def private(name: str, seed: int = 0, **kw) -> sim.Synthesizer:
    return sim.MODELS[name](random_state=seed, privacy=sim.PrivacyBudget(EPSILON),
                            **{**SMALL.get(name, {}), **kw})


@pytest.fixture(scope="module")
def planted(dp_table) -> pd.DataFrame:
    df = dp_table.copy()
    df.loc[17, "x"] = OUTLIER
    df.loc[0, "c"] = PERSON
    return df


@pytest.fixture(scope="module")
def fitted(planted) -> dict[str, sim.Synthesizer]:
    return {name: private(name).fit(planted) for name in PRIVATE}


def test_the_registry_has_private_models_of_every_family():
    assert {"aim", "mst", "privbayes", "bayesian_network", "autoregressive", "tabddpm",
            "ctgan", "tvae"} <= set(PRIVATE)


@pytest.mark.parametrize("name", PRIVATE)
def test_spends_within_the_budget_and_reports_it_by_stage(name, fitted):
    report = fitted[name].privacy_report_
    assert 0.5 * EPSILON <= report.epsilon <= EPSILON * (1 + 1e-9)
    assert report.budget.epsilon == EPSILON and report.delta <= 1 / 600
    assert {"metadata"} < set(report.stages)
    assert all(stage.share > 0 for stage in report.stages.values())
    assert sum(stage.share for stage in report.stages.values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name", PRIVATE)
def test_samples_keep_the_columns_and_dtypes(name, fitted, planted):
    out = fitted[name].sample(300, rng=1)
    assert list(out.columns) == list(planted.columns)
    assert dict(out.dtypes) == dict(planted.dtypes)
    assert set(out["c"].dropna()) <= {"high", "low"}


@pytest.mark.parametrize("name", PRIVATE)
def test_planted_outlier_rare_category_and_dates_do_not_leak(name, fitted, planted, tmp_path):
    model = fitted[name]
    domain = model.codec_.domains_["x"]
    assert domain.maximum_ < 1e3 and domain.minimum_ != planted["x"].min()
    assert PERSON not in model.codec_.domains_["c"].values_
    state = repr(model.codec_.get_state()) + repr(model._get_state())
    assert str(int(OUTLIER)) not in state and PERSON not in state
    out = model.sample(3000, rng=2)
    assert out["x"].max() <= domain.maximum_ and PERSON not in set(out["c"])
    path = tmp_path / f"{name}.simz"  # the whole file: metadata, report, arrays
    model.save(path)
    assert_file_keeps_none_of(path, [str(int(OUTLIER)), f"{OUTLIER:g}", PERSON], [OUTLIER])
    assert (out["d"].min(), out["d"].max()) != (planted["d"].min(), planted["d"].max())


@pytest.mark.parametrize("name", PRIVATE)
def test_same_seed_same_samples_and_another_seed_others(name, fitted, planted):
    first = fitted[name].sample(200, rng=1)
    pd.testing.assert_frame_equal(first, private(name).fit(planted).sample(200, rng=1))
    assert not first.equals(private(name, seed=6).fit(planted).sample(200, rng=1))


@pytest.mark.parametrize("name", PRIVATE)
def test_report_and_samples_survive_save_and_load(name, fitted, tmp_path):
    path = tmp_path / f"{name}.simz"
    fitted[name].save(path)
    back = sim.load(path)
    assert back.privacy == fitted[name].privacy
    assert back.privacy_report_ == fitted[name].privacy_report_
    pd.testing.assert_frame_equal(back.sample(200, rng=3), fitted[name].sample(200, rng=3))


NETWORKS = [n for n in PRIVATE if issubclass(sim.MODELS[n], NeuralSynthesizer)]


@pytest.mark.parametrize("name", NETWORKS)
def test_fewer_steps_report_the_smaller_epsilon_reached(name, dp_table):
    report = private(name, max_training_time=1e-9).fit(dp_table).privacy_report_
    assert report.steps == 0 and report.stages["model"].share == 0
    assert 0 < report.epsilon < 0.5 * EPSILON


@pytest.mark.parametrize("name", NETWORKS)
def test_privacy_refuses_early_stopping(name, dp_table):
    with pytest.raises(ParameterError, match="early_stopping=True cannot be combined"):
        private(name, early_stopping=True).fit(dp_table)
