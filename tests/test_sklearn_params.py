"""scikit-learn's parameter protocol: get_params(deep=), set_params, sklearn.base.clone."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.base import clone

import simulacra as sim
from simulacra.errors import ParameterError
from simulacra.models import MODELS, SEQUENCE_MODELS, WINDOW_MODELS
from simulacra.multitable.synthesizer import RelationalSynthesizer

EVERY_MODEL = {**MODELS, **SEQUENCE_MODELS, **WINDOW_MODELS}


@pytest.mark.parametrize("name", sorted(EVERY_MODEL))
def test_clone_gives_an_unfitted_copy_with_the_same_metadata_and_parameters(name):
    metadata = sim.Metadata({"x": sim.Numerical(), "c": sim.Categorical()})
    model = EVERY_MODEL[name](metadata, random_state=7)
    copy = clone(model)
    assert type(copy) is type(model) and copy is not model
    assert copy.get_params(deep=False) == model.get_params(deep=True)
    assert copy.metadata is not metadata and copy.metadata.to_dict() == metadata.to_dict()


def test_clone_of_a_fitted_model_is_unfitted_and_fits_to_the_same_rows(mixed):
    model = sim.GaussianCopula(random_state=0).fit(mixed)
    copy = clone(model)
    with pytest.raises(sim.errors.NotFittedError):
        copy.sample(5)
    assert copy.fit(mixed).sample(20, rng=0).equals(model.sample(20, rng=0))


def test_set_params_changes_parameters_and_fit_checks_them(mixed):
    model = sim.AutoregressiveNetwork(random_state=0)
    assert model.set_params(epochs=2, hidden_dim=8) is model
    assert model.get_params()["epochs"] == 2 and model.hidden_dim == 8
    with pytest.raises(ParameterError, match=r"no parameter 'epoch'.*epochs"):
        model.set_params(epoch=3)
    with pytest.raises(ParameterError, match="'epochs' parameter must be an integer >= 1"):
        model.set_params(epochs=0).fit(mixed)


def test_relational_synthesizer_and_auto_follow_the_protocol():
    tables = {"parent": pd.DataFrame({"id": [1, 2]}),
              "child": pd.DataFrame({"id": [1, 2], "parent_id": [1, 2]})}
    metadata = sim.DatabaseMetadata.detect(tables)
    model = RelationalSynthesizer(metadata, model={"child": "gaussian_copula"}, random_state=3)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy.model is not model.model
    assert model.set_params(oversample=2).oversample == 2
    auto = clone(sim.AutoSynthesizer(random_state=1, max_training_time=30))
    assert auto.get_params(deep=True) == {"random_state": 1, "max_training_time": 30,
                                          "verbose": False, "value_protection": True}
