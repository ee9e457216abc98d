"""Declared parameter checks: every hyperparameter of every model has a rule, and it holds."""

from __future__ import annotations

import numpy as np
import pytest

import simulacra as sim
from simulacra.errors import ParameterError
from simulacra.params import (
    Either,
    Flag,
    Integer,
    Names,
    Number,
    OneOf,
    Optional,
    Widths,
    as_tuple,
    check_all,
)

SYNTHESIZERS = sorted(n for n, cls in sim.MODELS.items() if issubclass(cls, sim.Synthesizer))


@pytest.mark.parametrize("name", SYNTHESIZERS)
def test_every_hyperparameter_has_a_declared_rule(name):
    cls = sim.MODELS[name]
    assert set(cls._param_names()) <= set(cls._rules()), \
        f"{name}: no rule for {set(cls._param_names()) - set(cls._rules())}"


def test_the_auto_factory_declares_its_own_parameters():
    auto = sim.MODELS["auto"]
    assert set(auto._param_names()) - {"random_state"} == set(auto.params)
    with pytest.raises(ParameterError, match="'verbose' parameter must be True or False"):
        auto(verbose="yes").choose(sim.datasets.load_demo().head(10))


@pytest.mark.parametrize("name", SYNTHESIZERS)
def test_a_wrong_value_of_any_parameter_is_refused_by_name(name):
    cls = sim.MODELS[name]
    needs_budget = getattr(cls, "requires_privacy", False)
    for param in cls._param_names():
        kwargs = {param: object()}
        if needs_budget and param != "privacy":
            kwargs["privacy"] = sim.PrivacyBudget(1.0)
        model = cls(**kwargs)
        with pytest.raises(ParameterError, match=rf"The '{param}' parameter must be"):
            model._validate_params()


def test_rules_say_what_they_accept():
    assert Integer(1).description == "an integer >= 1"
    assert Integer(2, 1000).description == "an integer between 2 and 1000"
    assert Number(0, low_open=True).description == "a number > 0"
    assert Number(0, 1, high_open=True).description == "a number in [0, 1)"
    assert Optional(Number(0, low_open=True, unit="seconds")).description == \
        "None or a number of seconds > 0"
    assert OneOf("drop", "keep", "error").description == "one of 'drop', 'keep', 'error'"
    assert Number(0, low_open=True, note="a bound").description == "a number > 0 (a bound)"


@pytest.mark.parametrize(("rule", "good", "bad"), [
    (Integer(1), [1, np.int64(7)], [0, True, 1.0, "1", None]),
    (Number(0, 0.5, low_open=True), [0.5, 1e-9, np.float32(0.25)], [0, 0.6, np.nan, True]),
    (Flag(), [True, False], [1, "true", None]),
    (OneOf("auto"), ["auto"], ["Auto", 1]),
    (Widths(), [(1,), (64, 32)], [(), (0,), [64], (64.0,)]),
    (Names(), [(), ("a", "b")], [("a", 1), "ab"]),
    (Either(OneOf("auto"), Integer(1, 10)), ["auto", 3], [11, "x"]),
])
def test_rules_accept_and_refuse(rule, good, bad):
    assert all(rule.accepts(v) for v in good)
    assert not any(rule.accepts(v) for v in bad)


def test_check_all_names_the_first_bad_parameter():
    rules = {"a": Integer(1), "b": Flag()}
    check_all(rules, {"a": 2, "b": True})
    with pytest.raises(ParameterError, match=r"The 'b' parameter must be True or False\. Got 3"):
        check_all(rules, {"a": 2, "b": 3})
    assert as_tuple([1, 2]) == (1, 2) and as_tuple("x") == "x"
