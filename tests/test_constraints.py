"""Constraints: checks, reversible transforms, violations at fit, and every model × every rule."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulacra as sim
from simulacra.constraints import (
    CONSTRAINTS,
    ConstraintSet,
    ConstraintViolationWarning,
    FixedCombinations,
    Formula,
    Inequality,
    Negative,
    OneHot,
    Positive,
    Predicate,
    Range,
    Regex,
    Unique,
    constraint_from_dict,
)
from simulacra.models import MODELS
from test_models import FAST, PRIVATE

CODES = {"A": 1, "B": 2, "C": 3}


def make_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A table where every constraint below holds, with numbers, dates and categories."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 50, n)
    b = rng.integers(0, 50, n)
    low = np.round(rng.normal(10, 2, n).clip(1, None), 2)
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    duration = rng.integers(1, 60, n)
    cat = rng.choice(list(CODES), n, p=[0.5, 0.3, 0.2])
    hot = rng.integers(0, 3, n)
    return pd.DataFrame({
        "uid": rng.permutation(10 * n)[:n] + 10_000,
        "cat": pd.Series(cat, dtype="str"),
        "code": np.array([CODES[c] for c in cat], dtype="int64"),
        "a": a,
        "b": b,
        "total": a + b,
        "neg": -b,
        "low": low,
        "high": np.round(low + rng.gamma(2.0, 2.0, n), 2),
        "start": start.strftime("%Y-%m-%d"),
        "duration": duration,
        "end": (start + pd.to_timedelta(duration, unit="D")).strftime("%Y-%m-%d"),
        "red": (hot == 0).astype("int64"),
        "green": (hot == 1).astype("int64"),
        "blue": (hot == 2).astype("int64"),
        "tag": pd.Series(rng.choice([f"T-{i:02d}" for i in range(12)], n), dtype="str"),
    })


def all_constraints() -> list[sim.constraints.Constraint]:
    """One of each type; the formula on ``end`` comes before the inequality that reads it."""
    return [
        FixedCombinations(("cat", "code"), combinations=[(k, v) for k, v in CODES.items()]),
        OneHot(("red", "green", "blue")),
        Formula("total = a + b"),
        Formula("end = start + duration"),
        Inequality("low", "high"),
        Inequality("start", "end", strict=True),
        Range("low", 0, "high"),
        Positive("a"),
        Negative("neg"),
        Unique(("uid",)),
        Regex("tag", r"T-\d{2}"),
        Predicate(lambda f: f["b"] < 50, ("b",), name="b below 50"),
    ]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_table()


def metadata_for(data: pd.DataFrame, constraints) -> sim.Metadata:
    overrides = {c: "categorical" for c in ("cat", "tag") if c in data.columns}
    md = sim.Metadata.detect(data, overrides=overrides)
    for constraint in constraints:
        md.add_constraint(constraint)
    return md


def assert_valid(frame: pd.DataFrame, md: sim.Metadata) -> None:
    for constraint in md.constraints:
        bad = ~constraint.check(frame, md)
        assert not bad.any(), f"{constraint}: {int(bad.sum())} violations\n{frame[bad].head()}"


# -- checks ---------------------------------------------------------------------------------------
def test_the_table_satisfies_every_constraint(table):
    md = metadata_for(table, all_constraints())
    assert_valid(table, md)


def test_checks_find_violations_and_nulls_pass():
    df = pd.DataFrame({"lo": [1.0, 5.0, None, 2.0], "hi": [2.0, 4.0, 1.0, 2.0]})
    assert Inequality("lo", "hi").check(df).tolist() == [True, False, True, True]
    assert Inequality("lo", "hi", strict=True).check(df).tolist() == [True, False, True, False]
    assert Range("hi", "lo", 3).check(df).tolist() == [True, False, True, True]
    assert Positive("lo", strict=True).check(pd.DataFrame({"lo": [0, 1, -1]})).tolist() == \
        [False, True, False]
    assert Negative("lo").check(pd.DataFrame({"lo": [0, 1, -1]})).tolist() == [True, False, True]
    dates = pd.DataFrame({"s": ["2020-01-02", "2020-01-05"], "e": ["2020-01-03", "2020-01-04"]})
    md = sim.Metadata.detect(dates)
    assert Inequality("s", "e").check(dates, md).tolist() == [True, False]
    assert Range("s", "2020-01-03", None).check(dates, md).tolist() == [False, True]
    assert Unique(("x", "y")).check(pd.DataFrame({"x": [1, 1, 1, None], "y": [1, 1, 2, 1]})
                                    ).tolist() == [True, False, True, True]


def test_formula_parser_is_restricted():
    f = Formula("`net-pay` = (gross - tax) * 2 / 4 + -1")
    assert f.target == "net-pay" and f.operands == ("gross", "tax")
    df = pd.DataFrame({"gross": [10.0, 6.0], "tax": [2.0, 2.0], "net-pay": [3.0, 1.0]})
    assert f.check(df).tolist() == [True, True]
    for bad in ("total", "total = a +", "total = __import__('os')", "total = a ** 2",
                "= a + b", "total = (a + b", "total = a; b"):
        with pytest.raises(sim.MetadataError, match="formula"):
            Formula(bad)


def test_formula_datetime_plus_days_is_exact_to_the_second():
    # measured from 1970, float64 loses hundreds of nanoseconds: 2024-10-18 23:58:36 + 1 day
    # used to come out as 23:58:35.9999997 and print a second early
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366 * 86400, 5000),
                                                         unit="s")
    df = pd.DataFrame({"start": start, "days": rng.integers(0, 30, 5000)})
    values, null = Formula("end = start + days").derive(df, {}, "datetime64[ns]", None)
    assert not null.any()
    assert (values - df["start"] == pd.to_timedelta(df["days"], unit="D")).all()
    gap = Formula("gap = end - start").derive(df.assign(end=values), {}, "float64", None)[0]
    assert np.abs(gap - df["days"]).max() < 1e-9


# -- transforms: reverse(transform(df)) == df ---------------------------------------------------
def _round_trip(constraint, data: pd.DataFrame, md: sim.Metadata, private: bool = False):
    learned = constraint.learn(data, md, private=private)
    transform = learned.transformer(data, md, private=private)
    assert transform is not None
    before = data.copy(deep=True)
    back = transform.reverse(transform.transform(data))[list(data.columns)]
    pd.testing.assert_frame_equal(data, before)  # never mutated
    pd.testing.assert_frame_equal(back, data)
    return transform


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-10**6, 10**6), st.integers(0, 10**6)), min_size=1,
                max_size=30),
       st.booleans())
def test_inequality_transform_round_trips_numbers(pairs, as_float):
    low = np.array([p[0] for p in pairs])
    high = low + np.array([p[1] for p in pairs])
    data = pd.DataFrame({"low": low, "high": high})
    if as_float:
        data = data / 100
    md = sim.Metadata.detect(data, overrides={"low": "numerical", "high": "numerical"})
    _round_trip(Inequality("low", "high"), data, md)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 5000)), min_size=1,
                max_size=20),
       st.sampled_from(["%Y-%m-%d", "%Y-%m-%d %H:%M", None]))
def test_inequality_transform_round_trips_datetimes(pairs, fmt):
    unit = "D" if fmt == "%Y-%m-%d" else "min"
    start = pd.Timestamp("2000-01-01") + pd.to_timedelta([p[0] for p in pairs], unit=unit)
    end = start + pd.to_timedelta([p[1] for p in pairs], unit=unit)
    data = pd.DataFrame({"s": start, "e": end})
    if fmt is not None:
        data = data.apply(lambda s: s.dt.strftime(fmt)).astype("str")
    md = sim.Metadata(
        {"s": sim.Datetime(format=fmt), "e": sim.Datetime(format=fmt)})
    _round_trip(Inequality("s", "e"), data, md)


def test_merge_and_formula_transforms_round_trip(table):
    md = metadata_for(table, [])
    t = _round_trip(FixedCombinations(("cat", "code")), table, md)
    assert t.adds == {"cat#code#combination": sim.Categorical(categories=(0, 1, 2))}
    _round_trip(OneHot(("red", "green", "blue")), table, md)
    _round_trip(Formula("total = a + b"), table, md)
    _round_trip(Formula("end = start + duration"), table, md)


def test_a_column_rewritten_once_then_held_by_resampling(table):
    md = metadata_for(table, [Formula("end = start + duration"),
                              Inequality("start", "end", strict=True)])
    rules, _, report = ConstraintSet.fit(md, table)
    assert [t is not None for t in rules.transforms] == [True, False]
    assert report.by_construction == (str(md.constraints[0]),)
    assert list(rules.model_metadata) == [c for c in table.columns if c != "end"]


# -- fit: violations ------------------------------------------------------------------------------
def test_violations_are_reported_and_dropped_kept_or_refused(table):
    broken = table.copy()
    broken.loc[[3, 7, 11], "high"] = broken.loc[[3, 7, 11], "low"] - 1
    md = metadata_for(broken, [Inequality("low", "high"), Positive("a")])
    with pytest.warns(ConstraintViolationWarning, match=r"3 of 300 rows.*dropped"):
        model = sim.GaussianCopula(md, random_state=0).fit(broken)
    entry = model.constraint_report_.checks[0]
    assert entry.violations == 3 and entry.rows == (3, 7, 11)
    assert entry.examples[0] == {"low": broken.loc[3, "low"], "high": broken.loc[3, "high"]}
    assert model.constraint_report_.rows_used == 297
    assert model.constraint_report_.checks[1].violations == 0
    assert_valid(model.sample(500), md)
    with pytest.warns(ConstraintViolationWarning, match="kept"):
        kept = sim.GaussianCopula(md, random_state=0).fit(broken, on_violation="keep")
    assert kept.constraint_report_.rows_used == 300
    assert_valid(kept.sample(500), md)
    with pytest.raises(sim.DataError, match=r"inequality\(low='low', high='high'\): 3 of 300"):
        sim.GaussianCopula(md).fit(broken, on_violation="error")
    with pytest.raises(sim.ParameterError, match="on_violation"):
        sim.GaussianCopula(md).fit(broken, on_violation="ignore")
    pd.testing.assert_frame_equal(broken, broken.copy())


def test_clean_data_gives_no_warning(table):
    md = metadata_for(table, [Inequality("low", "high")])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstraintViolationWarning)
        sim.GaussianCopula(md, random_state=0).fit(table)


# -- declaration ----------------------------------------------------------------------------------
def test_yaml_round_trip_keeps_every_declarative_constraint(table, tmp_path):
    # a running sum spans an entity's events: declared here, fitted by SequentialNetwork only
    md = metadata_for(table, [*all_constraints()[:-1], sim.RunningSum("total", "a")])
    assert {type(c).type for c in md.constraints} == set(CONSTRAINTS)
    again = sim.Metadata.from_yaml(md.to_yaml())
    assert again == md and again.constraints == md.constraints
    md.save(tmp_path / "md.json")
    assert sim.Metadata.load(tmp_path / "md.json") == md
    assert all(constraint_from_dict(c.to_dict()) == c for c in md.constraints)


def test_yaml_declaration_reads_plain_mappings(table):
    md = sim.Metadata.detect(table)
    text = md.to_yaml() + (
        "constraints:\n"
        "- {type: inequality, low: start, high: end, strict: true}\n"
        "- {type: fixed_combinations, columns: [cat, code]}\n"
        "- {type: formula, formula: 'total = a + b'}\n"
        "- {type: range, column: low, low: 0, high: high}\n")
    loaded = sim.Metadata.from_yaml(text)
    assert loaded.constraints == [Inequality("start", "end", strict=True),
                                  FixedCombinations(("cat", "code")), Formula("total = a + b"),
                                  Range("low", 0, "high")]


def test_bad_declarations_list_every_problem(table):
    md = sim.Metadata.detect(table)
    text = md.to_yaml() + (
        "constraints:\n"
        "- {type: inequality, low: start, high: nope}\n"
        "- {type: inequality, low: cat, high: code}\n"
        "- {type: formula, formula: 'total = a +'}\n"
        "- {type: regex, column: tag, pattern: '[unclosed'}\n"
        "- {type: mystery}\n"
        "- {type: range, column: low, lo: 0}\n"
        "- {type: predicate}\n")
    with pytest.raises(sim.MetadataError) as err:
        sim.Metadata.from_yaml(text)
    problems = err.value.problems
    assert len(problems) == 7, problems
    text = "\n".join(problems)
    assert "no column 'nope'" in text and "column 'cat' is categorical" in text
    assert "formula 'total = a +' ends too early" in text and "not a valid regular" in text
    assert "unknown constraint type 'mystery'" in text and "no field 'lo'" in text
    assert "Python code" in text
    with pytest.raises(sim.MetadataError, match=r"inequality\(low='a', high='nope'\): no column"):
        md.add_constraint(Inequality("a", "nope"))
    with pytest.raises(sim.MetadataError, match="used by constraints"):
        metadata_for(table, [Positive("a")]).remove_column("a")


def test_predicate_is_python_only(table, tmp_path):
    md = metadata_for(table, [Predicate(lambda f: f["a"] >= 0, ("a",))])
    model = sim.GaussianCopula(md, random_state=0).fit(table)
    assert (model.sample(100)["a"] >= 0).all()
    with pytest.raises(sim.ParameterError, match=r"Python code.*never writes"):
        model.save(tmp_path / "m.simz")
    with pytest.raises(sim.ParameterError, match="Python code"):
        md.to_yaml()


def test_fixed_combinations_under_privacy_need_declared_combinations(table):
    md = metadata_for(table, [FixedCombinations(("cat", "code"))])
    with pytest.raises(sim.ParameterError, match=r"differential privacy.*declare"):
        sim.MST(md, privacy=sim.PrivacyBudget(epsilon=1.0), iterations=50).fit(table)


def test_private_fits_read_nothing_more_from_the_data(table):
    md = metadata_for(table, [])
    dated = Inequality("start", "end", strict=True)
    assert dated.transformer(table, md, private=False) is not None
    assert dated.transformer(table, md, private=True) is None  # resolution would be learned
    assert Inequality("low", "high").transformer(table, md, private=True) is not None
    declared = FixedCombinations(("cat", "code"), combinations=[("A", 1), ("B", 2), ("C", 3)])
    assert declared.learn(table, md, private=True) is declared


# -- sampling -------------------------------------------------------------------------------------
def test_save_load_keeps_constraints_and_output(table, tmp_path):
    md = metadata_for(table, all_constraints()[:-1])
    model = sim.GaussianCopula(md, random_state=0).fit(table)
    model.save(tmp_path / "m.simz")
    loaded = sim.load(tmp_path / "m.simz")
    assert loaded.metadata_.constraints == md.constraints
    assert loaded.constraint_report_ == model.constraint_report_
    out = loaded.sample(300, rng=4)
    pd.testing.assert_frame_equal(out, model.sample(300, rng=4))
    assert_valid(out, md)


def test_rules_that_cannot_be_met_name_the_constraint(table):
    md = metadata_for(table, [Range("a", 100, 200)])
    with pytest.raises(sim.DataError, match="every row breaks"), \
            pytest.warns(ConstraintViolationWarning):
        sim.GaussianCopula(md).fit(table)
    with pytest.warns(ConstraintViolationWarning):
        model = sim.GaussianCopula(md, random_state=0).fit(table, on_violation="keep")
    with pytest.raises(sim.DataError, match=r"constraint range\(column='a'.*accepts only 0\.0000%"):
        model._sample_conditions(10, {}, np.random.default_rng(0), give_up_after=5_000)
    unique = sim.GaussianCopula(metadata_for(table[["cat", "a"]], [Unique(("cat",))]),
                                random_state=0, value_protection=False
                                ).fit(table[["cat", "a"]].drop_duplicates("cat"))
    assert sorted(unique.sample(3)["cat"]) == ["A", "B", "C"]
    with pytest.raises(sim.DataError, match="constraint unique"):
        unique._sample_conditions(4, {}, np.random.default_rng(0), max_draws=20_000)


def test_conditions_on_rewritten_columns(table):
    md = metadata_for(table, all_constraints())
    model = sim.GaussianCopula(md, random_state=0).fit(table)
    out = model.sample(100, conditions={"code": 2, "total": (20, 60), "end": ("2021-01-01",
                                                                                "2021-06-30")})
    assert len(out) == 100 and (out["cat"] == "B").all() and out["total"].between(20, 60).all()
    assert out["end"].between("2021-01-01", "2021-06-30").all()
    assert_valid(out, md)
    with pytest.raises(sim.DataError, match="impossible under fixed_combinations"):
        model.sample(5, conditions={"code": 7})


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_follows_every_constraint_with_conditions(name, table):
    md = metadata_for(table, all_constraints())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstraintViolationWarning)
        params = dict(FAST.get(name, {}))
        if "epochs" in params:  # mechanics, not quality: a few epochs are enough
            params["epochs"] = min(params["epochs"], 5)
        model = MODELS[name](md, random_state=0, **params).fit(table)
    out = model.sample(200)
    assert len(out) == 200 and list(out.columns) == list(table.columns)
    assert out.dtypes.astype(str).to_dict() == table.dtypes.astype(str).to_dict()
    assert_valid(out, md)
    given_ = model.sample(40, conditions={"cat": "A", "a": (10, 40)})
    assert len(given_) == 40 and (given_["cat"] == "A").all()
    assert given_["a"].between(10, 40).all() and (given_["code"] == 1).all()
    assert_valid(given_, md)
    if name in PRIVATE:
        assert model.privacy_report_ is not None


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_follows_each_constraint_alone(name, table):
    """Each rule on its own too: a rule whose transform the combination above hides (another
    rule rewrote its columns first) still holds when it is the only one."""
    params = dict(FAST.get(name, {}))
    if "epochs" in params:
        params["epochs"] = min(params["epochs"], 2)
    for constraint in all_constraints():
        md = metadata_for(table, [constraint])
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConstraintViolationWarning)
            model = MODELS[name](md, random_state=0, **params).fit(table)
        out = model.sample(100)
        assert len(out) == 100, f"{name} with {constraint}"
        assert_valid(out, md)


def test_cli_fit_and_sample_follow_constraints_from_the_metadata_file(table, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    data, md_path = tmp_path / "t.csv", tmp_path / "md.yaml"
    table.to_csv(data, index=False)
    broken = pd.read_csv(data)
    metadata_for(broken, all_constraints()[:-1]).save(md_path)
    runner = CliRunner(env={"COLUMNS": "200"})
    model, out = tmp_path / "m.simz", tmp_path / "s.csv"
    r = runner.invoke(app, ["fit", str(data), "-o", str(model), "--metadata", str(md_path),
                            "-m", "gaussian_copula"])
    assert r.exit_code == 0, r.output
    assert "Constraints (300 of 300 rows used" in r.output and "construction" in r.output
    r = runner.invoke(app, ["sample", str(model), "-n", "500", "-o", str(out), "-c", "code=3"])
    assert r.exit_code == 0, r.output
    synth = pd.read_csv(out)
    assert len(synth) == 500 and (synth["cat"] == "C").all()
    assert_valid(synth, sim.Metadata.load(md_path))
    r = runner.invoke(app, ["metadata", str(data), "-o", str(md_path)])
    assert r.exit_code == 0 and "Kept 11 constraints" in r.output, r.output
    assert len(sim.Metadata.load(md_path).constraints) == 11
    r = runner.invoke(app, ["fit", str(data), "-o", str(model), "--metadata", str(md_path),
                            "--on-violation", "nope"])
    assert r.exit_code == 2 and "'--on-violation'" in r.output
    assert "'drop', 'keep', 'error'" in r.output
