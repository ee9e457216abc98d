"""The codec contract, checked on every registered table codec and every column kind."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from conftest import make_mixed
from simulacra.encoders import (
    CODECS,
    NULL_SUFFIX,
    BinnedCodec,
    CodecBudget,
    ConditionDomain,
    ExactCodec,
    TableCodec,
    codec_for,
)
from simulacra.errors import ModelFileError, NotFittedError, ParameterError
from simulacra.privacy import PrivacyBudget, PrivacyLedger

SETTINGS = [("exact", {}), ("binned", {}), ("binned", {"positions": True}),
            ("binned", {"bins": 8})]


def _fitted(name: str, options: dict, data: pd.DataFrame, budget=None) -> TableCodec:
    codec = codec_for(name, sim.Metadata.detect(data), **options)
    return codec.fit(data, np.random.default_rng(0), budget=budget)


def _plain(state):
    """The state as the model file keeps it (arrays as lists): JSON must take it."""
    return json.loads(json.dumps(state, default=lambda a: np.asarray(a).tolist()))


@pytest.mark.parametrize(("name", "options"), SETTINGS)
def test_round_trip_keeps_columns_dtypes_and_nulls(name, options):
    data = make_mixed(400)
    codec = _fitted(name, options, data)
    encoded = codec.transform(data, np.random.default_rng(1))
    layout = codec.encoded_columns_
    assert [c.name for c in layout] == list(encoded)  # the layout says what transform gives
    assert {c.source for c in layout} <= set(data.columns)
    for column in layout:
        values = encoded[column.name]
        assert len(values) == len(data)
        if column.output == "discrete":
            assert values.min() >= 0 and values.max() < column.cardinality
    back = codec.inverse_transform(encoded, len(data), np.random.default_rng(2))
    assert list(back.columns) == list(data.columns)
    assert [str(t) for t in back.dtypes] == [str(t) for t in data.dtypes]
    for column in ("city", "member", "age"):  # learned columns keep their null pattern kind
        assert back[column].isna().sum() == data[column].isna().sum()
    assert (back["city"].dropna().isin(data["city"].dropna())).all()
    assert data.equals(make_mixed(400))  # the caller's data is never touched


@pytest.mark.parametrize(("name", "options"), SETTINGS)
def test_state_round_trips_through_json(name, options):
    data = make_mixed(300)
    codec = _fitted(name, options, data)
    state = _plain(codec.get_state())
    assert state["codec"] == name and state["options"] == codec.options()
    loaded = codec_for(name, sim.Metadata.detect(data)).set_state(state)
    assert loaded.options() == codec.options()
    rng = np.random.default_rng(0)
    encoded = codec.transform(data, np.random.default_rng(5))
    pd.testing.assert_frame_equal(codec.inverse_transform(encoded, len(data), rng),
                                  loaded.inverse_transform(encoded, len(data),
                                                           np.random.default_rng(0)))


def test_a_state_of_another_codec_is_refused():
    data = make_mixed(200)
    state = _plain(_fitted("binned", {}, data).get_state())
    with pytest.raises(ModelFileError, match=r"'binned' codec.*'exact' codec"):
        ExactCodec(sim.Metadata.detect(data)).set_state(state)
    state["options"]["shrink"] = 3
    with pytest.raises(ModelFileError, match="no option 'shrink'"):
        BinnedCodec(sim.Metadata.detect(data)).set_state(state)


def test_a_state_written_before_codecs_had_names_takes_the_models_options():
    data = make_mixed(200)
    state = _plain(_fitted("binned", {"bins": 8, "positions": True}, data).get_state())
    legacy = {k: v for k, v in state.items() if k not in ("codec", "options")}
    legacy["bins"] = 8  # old files kept the bins in the state itself
    loaded = BinnedCodec(sim.Metadata.detect(data), positions=True).set_state(legacy)
    assert loaded.options() == {"bins": 8, "positions": True}


def test_registry_and_errors():
    assert set(CODECS) == {"exact", "binned"}
    assert all(issubclass(cls, TableCodec) and CODECS[n] is cls for n, cls in CODECS.items())
    data = make_mixed(100)
    with pytest.raises(ParameterError, match="'codec' parameter must be one of binned, exact"):
        codec_for("fancy", sim.Metadata.detect(data))
    with pytest.raises(NotFittedError):
        ExactCodec(sim.Metadata.detect(data)).encoded_columns_  # noqa: B018
    ledger = PrivacyLedger(PrivacyBudget(1.0), len(data))
    with pytest.raises(ParameterError, match=r"exact codec .* privacy budget"):
        _fitted("exact", {}, data, budget=CodecBudget(ledger, 0.1))


@pytest.mark.parametrize(("name", "options"), SETTINGS)
def test_what_conditions_may_ask(name, options):
    data = make_mixed(500)
    codec = _fitted(name, options, data)
    city = codec.condition_domain("city")
    assert set(city.categories) == set(data["city"].dropna())
    assert "Atlantis" in (city.problem("Atlantis", "city") or "")
    assert city.problem(None, "city") is None
    age = codec.condition_domain("age")
    assert (age.low, age.high) == (data["age"].min(), data["age"].max())
    assert age.problem((200, 300), "age") is not None and age.problem((30, 40), "age") is None
    assert codec.condition_domain("email") == ConditionDomain()  # generated: nothing to say
    assert codec.condition_domain("no such column") == ConditionDomain()
    codes = codec.discrete_codes({"city": "Rome", "age": (30, 40), "email": "x@y.z"})
    encoded = codec.transform(data, np.random.default_rng(0))
    rome = data["city"].eq("Rome").to_numpy()
    assert list(codes) == ["city"] and (encoded["city"][rome] == codes["city"]).all()
    null = codec.null_code("city")
    assert null is not None and (encoded["city"][data["city"].isna().to_numpy()] == null).all()
    assert codec.null_code("age") is None


def test_exact_codec_null_flags_and_encoded_intervals():
    data = make_mixed(300)
    codec = _fitted("exact", {}, data)
    names = [c.name for c in codec.encoded_columns_]
    assert names.index("price" + NULL_SUFFIX) == names.index("price") + 1
    low, high = codec.encoded_interval("score", 100.0, 110.0)
    assert low < 100.0 < 110.0 < high <= 110.06
    assert codec.encoded_interval("city", 1, 2) is None


def test_binned_codec_spends_its_budget_on_learned_columns_only():
    data = make_mixed(2000)
    md = sim.Metadata.detect(data).update_column("city", categories=["Oslo", "Rome", "Zürich",
                                                                     "São Paulo"])
    md = md.update_column("notes", privacy_share=0.0)  # the text stage: test_text_private.py
    ledger = PrivacyLedger(PrivacyBudget(1.0), len(data))
    rho = 0.2 * ledger.total_rho
    codec = BinnedCodec(md, positions=True).fit(data, np.random.default_rng(0),
                                                 budget=CodecBudget(ledger, rho))
    paid = {e["what"].split(":")[0] for e in ledger.entries}
    # declared categories and a bool dtype (member) need nothing from the data
    assert paid == {"age", "score", "price", "signup", "last_seen"}
    assert ledger.spent_rho == pytest.approx(rho)
    assert "customer_id" not in codec.domains_  # ids: generated, their nulls not modelled
    assert codec.domains_["email"].values_ == ["<value>"]  # PII: "value or null" only
    back = codec.inverse_transform(codec.transform(data, np.random.default_rng(0)), 50,
                                   np.random.default_rng(0))
    assert not back["email"].dropna().isin(data["email"]).any()
