"""Conditions no row can meet are refused before any row is drawn (not after a million draws):
values outside a column's bounds or categories, fractions of a whole-number column, reversed
ranges, and conditions that break a constraint."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import simulacra as sim


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(25, 51, 200), "lo": rng.normal(size=200),
                          "c": rng.choice(["a", "b"], 200)})
    frame["hi"] = frame["lo"] + rng.random(200)
    frame["day"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30, 200), "D")
    return frame


def fitted(table: pd.DataFrame, *constraints: sim.constraints.Constraint) -> sim.Synthesizer:
    md = sim.Metadata.detect(table)
    for constraint in constraints:
        md.add_constraint(constraint)
    with warnings.catch_warnings():  # rows that break the constraint: expected, learned from
        warnings.simplefilter("ignore", sim.constraints.ConstraintViolationWarning)
        return sim.GaussianCopula(md, random_state=0).fit(table, on_violation="keep")


def never_sampled(model: sim.Synthesizer, monkeypatch) -> None:
    monkeypatch.setattr(type(model), "_sample", lambda *a: pytest.fail("the sampler ran"))


@pytest.mark.parametrize(("conditions", "message"), [
    ({"age": 200}, "'age' stay within [25, 50]"),
    ({"age": 30.5}, "'age' holds whole numbers"),
    ({"age": (40, 30)}, "its low end 40 is above its high end 30; write (30, 40)"),
    ({"day": ("2024-01-31", "2024-01-02")}, "is above its high end"),
    ({"lo": 50.0}, "generated values of 'lo' stay within"),
    ({"c": "zz"}, "the model saw 2 values in 'c'"),
])
def test_impossible_conditions_are_refused_before_sampling(table, monkeypatch, conditions,
                                                           message):
    model = fitted(table)
    never_sampled(model, monkeypatch)
    with pytest.raises(sim.DataError, match="impossible") as err:
        model.sample(5, conditions=conditions)
    assert message in str(err.value)


@pytest.mark.parametrize(("constraint", "conditions"), [
    (sim.Inequality("lo", "hi"), {"lo": 1.0, "hi": 0.0}),
    (sim.Inequality("lo", "hi"), {"lo": (1.0, 2.0), "hi": (-1.0, 0.5)}),
    (sim.Range("age", low=30), {"age": 28}),
    (sim.Positive("lo"), {"lo": -0.5}),
])
def test_conditions_that_break_a_constraint_are_refused_before_sampling(
        table, monkeypatch, constraint, conditions):
    model = fitted(table, constraint)
    never_sampled(model, monkeypatch)
    with pytest.raises(sim.DataError, match="impossible") as err:
        model.sample(5, conditions=conditions)
    assert f"impossible under {constraint}: no row can meet both" in str(err.value)


def test_possible_conditions_under_constraints_still_sample(table):
    model = fitted(table, sim.Inequality("lo", "hi"))
    rows = model.sample(5, conditions={"lo": (0.0, 1.0), "hi": (0.5, 2.0)}, rng=0)
    assert rows["lo"].between(0, 1).all() and rows["hi"].between(0.5, 2).all()


@pytest.mark.parametrize(("value", "shown"), [
    ([30, 40], "a list"), ((30, 35, 40), "a tuple of 3"), ({"a", "b"}, "a set"),
    (np.array([30, 40]), "a ndarray"),
])
def test_a_condition_that_is_not_a_value_or_a_range_is_named(table, monkeypatch, value, shown):
    model = fitted(table)
    never_sampled(model, monkeypatch)
    with pytest.raises(sim.ParameterError, match=f"condition on 'age' is {shown}; give one "
                                                 r"value, or a \(low, high\) tuple"):
        model.sample(5, conditions={"age": value})
