"""Limits on what a received file can make the parsers do (issue 23, item 6): nesting depth of
formulas, expressions, patterns and documents, the size of what a pattern generates, and Faker
providers reached through templates. Each case gets a clean error or a correct result quickly,
never a RecursionError or gigabytes of memory."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.constraints import formula
from simulacra.constraints.formula import Formula
from simulacra.errors import MetadataError

DEEP = 1000
FLAT = 100_000


def _nested(depth: int, inner: str = "a") -> str:
    return "(" * depth + inner + ")" * depth


# -- formulas: constraints, schema expressions ---------------------------------------------------
@pytest.mark.parametrize("expression", [_nested(DEEP), "-" * DEEP + "a", "-(" * DEEP + "a"
                                        + ")" * DEEP])
def test_formula_nested_too_deep_is_a_parse_error(expression):
    with pytest.raises(MetadataError, match=f"nest more than {formula.MAX_NESTING} deep"):
        Formula(f"x = {expression}")


def test_formula_nested_within_the_limit_is_computed():
    f = Formula(f"x = {_nested(formula.MAX_NESTING - 1)} + 1")
    assert f.check(pd.DataFrame({"a": [1.0, 2.0], "x": [2.0, 0.0]})).tolist() == [True, False]


def test_formula_long_flat_chain_is_computed_quickly():
    start = time.perf_counter()
    f = Formula("x = " + " + ".join(["1"] * FLAT) + " - a * 2 / 4")
    df = pd.DataFrame({"a": [4.0, 0.0], "x": [FLAT - 2.0, 0.0]})
    assert f.check(df).tolist() == [True, False] and f.operands == ("a",)
    assert time.perf_counter() - start < 5


def test_formula_chain_keeps_left_to_right_order():
    df = pd.DataFrame({"a": [8.0], "b": [2.0], "c": [2.0]})
    derived, _ = Formula("x = a / b / c - b - c + -a * b").derive(df, {}, "float64", None)
    assert derived.tolist() == [8 / 2 / 2 - 2 - 2 + -8 * 2]


def test_formula_error_quotes_a_long_formula_shortly():
    with pytest.raises(MetadataError) as err:
        Formula("x = " + " + ".join(["1"] * FLAT) + " +")
    assert "ends too early" in str(err.value) and len(str(err.value)) < 300


@pytest.mark.parametrize("expression", [_nested(DEEP, "a + 1"), "-" * DEEP + "a"])
def test_schema_expression_nested_too_deep_names_the_column(expression):
    schema = {"columns": {"a": {"kind": "integer", "min": 0, "max": 9},
                          "b": {"expression": expression}}}
    with pytest.raises(MetadataError, match=r"column 'b': formula .*nest more than"):
        sim.GenerationSchema.from_dict(schema)


def test_schema_expression_long_flat_chain_generates():
    schema = {"columns": {"a": {"kind": "integer", "min": 0, "max": 9},
                          "b": {"expression": "a" + " + 1" * FLAT}}}
    df = sim.generate(schema, n=5, random_state=0)
    assert (df["b"] == df["a"] + FLAT).all()


def test_constraint_formula_in_metadata_nested_too_deep_is_a_metadata_error():
    md = {"metadata_version": 1,
          "columns": {"a": {"kind": "numerical"}, "x": {"kind": "numerical"}},
          "constraints": [{"type": "formula", "formula": f"x = {_nested(DEEP)}"}]}
    with pytest.raises(MetadataError, match="nest more than"):
        sim.Metadata.from_dict(md)



@pytest.mark.parametrize(("pattern", "message"), [
    (_nested(DEEP), "nests its groups too deeply"),
    ("a{" + "9" * 5000 + "}", "not a valid regular expression"),
    ("a{99999999999}", "not a valid regular expression"),
])
def test_regex_constraint_that_python_cannot_compile_is_a_metadata_error(pattern, message):
    md = {"metadata_version": 1, "columns": {"a": {"kind": "text"}},
          "constraints": [{"type": "regex", "column": "a", "pattern": pattern}]}
    with pytest.raises(MetadataError, match=f"constraint #1: regex.*{message}") as err:
        sim.Metadata.from_dict(md)
    assert len(str(err.value)) < 500

# -- schema patterns -------------------------------------------------------------------------------
def _pattern_problem(pattern: str) -> str:
    with pytest.raises(MetadataError) as err:
        sim.GenerationSchema.from_dict({"columns": {"code": {"pattern": pattern}}})
    return str(err.value)


@pytest.mark.parametrize(("pattern", "message"), [
    ("a{300000000}", "repeats more than 1,000 times"),
    ("a{" + "9" * 5000 + "}", "repeats more than 1,000 times"),
    ("x{2,300000000}", "repeats more than 1,000 times"),
    ("((a{1000}){1000}){1000}", "values of up to 1,000,000,000 characters"),
    ("[A-Z]{600}-[0-9]{600}", "values of up to 1,201 characters"),
    ("((a{0}){1000}){1000}", "expands to 1,001,001 pieces"),
    (_nested(DEEP), "groups nest more than 100 deep"),
    ("(?:" * DEEP + "a" + ")" * DEEP, "groups nest more than 100 deep"),
    ("a|" * FLAT + "a", "longer than the 100,000 characters"),
    ("a|" * 20_000 + "a", "expands to 20,002 pieces"),
    ("[ -\U0010ffff][ -\U0010ffff]", "character classes hold more than 100,000"),
])
def test_pattern_limits_are_checked_when_the_schema_is_loaded(pattern, message):
    start = time.perf_counter()
    problem = _pattern_problem(pattern)
    assert "column 'code': pattern" in problem and message in problem, problem
    assert len(problem) < 400 and time.perf_counter() - start < 2


def test_pattern_within_the_limits_generates_matching_values():
    pattern = "(" * 99 + "[A-Z]{2}-[0-9]{996}" + ")" * 99
    df = sim.generate({"columns": {"code": {"pattern": pattern}}}, n=50, random_state=0)
    assert df["code"].map(lambda v: re.fullmatch(pattern, v) is not None).all()


def test_pattern_draws_large_samples_in_batches(monkeypatch):
    from simulacra.schema import patterns

    text = r"[A-Z]{2}-\d{3}(-X)?"
    monkeypatch.setattr(patterns, "BATCH_CODES", 64)  # batches of 8 rows
    values = patterns.compile_pattern(text).generate(np.random.default_rng(0), 500)
    assert values.shape == (500,) and values.dtype == object and len(set(values)) > 400
    assert all(re.fullmatch(text, v) for v in values)


# -- Faker providers reached through templates and arguments ---------------------------------
TEMPLATE_PAYLOADS = [
    ("pystr_format", {"string_format": "{{seed_instance}}"}, "seed_instance"),
    ("pystr_format", {"string_format": "{{__class__}}"}, "__class__"),
    ("pystr_format", {"string_format": "{{ random_int }}-{{seed}}"}, "seed"),
    ("pystr_format", {"string_format": "{{parse}}"}, "parse"),
    ("json", {"data_columns": {"a": "seed_instance"}, "num_rows": 1}, "seed_instance"),
    ("json", {"data_columns": {"a": "{{__class__}}"}, "num_rows": 1}, "__class__"),
    ("pylist", {"value_types": ["seed_instance"]}, "seed_instance"),
]


@pytest.mark.parametrize(("provider", "args", "name"), TEMPLATE_PAYLOADS)
def test_faker_templates_reach_only_allowed_providers(provider, args, name):
    schema = {"columns": {"code": {"faker": provider, "args": args}}}
    with pytest.raises(MetadataError) as err:
        sim.GenerationSchema.from_dict(schema)
    text = str(err.value)
    assert f"column 'code': Faker {provider}(" in text
    assert f"{name!r} is not a Faker provider" in text


@pytest.mark.parametrize("provider", ["seed_instance", "seed", "parse", "format", "__class__",
                                      "get_formatter", "add_provider"])
def test_faker_machinery_is_not_a_provider(provider):
    with pytest.raises(MetadataError, match=f"column 'code': unknown Faker provider "
                                            f"'{provider}'") as err:
        sim.GenerationSchema.from_dict({"columns": {"code": {"faker": provider}}})
    assert "did you mean 'seed_instance'" not in str(err.value)


@pytest.mark.parametrize(("provider", "args", "name"), TEMPLATE_PAYLOADS)
def test_faker_templates_are_refused_while_drawing_too(provider, args, name):
    """A template may pick its names at random, so drawing checks them as well."""
    from simulacra.schema import faker_pool

    with pytest.raises(MetadataError, match=f"column 'code': Faker {provider}.*{name!r} is not"):
        faker_pool.pool(provider, args, "en_US", 3, np.random.default_rng(0), column="code")
    with pytest.raises(MetadataError, match=f"column 'code': Faker {provider}"):
        faker_pool.unique_values(provider, args, "en_US", 3, np.random.default_rng(0),
                                 suffix=True, column="code")


def test_faker_templates_of_providers_are_reproducible():
    columns = {"code": {"faker": "pystr_format",
                        "args": {"string_format": "{{first_name}}-{{random_int}}-??"}},
               "rows": {"faker": "json", "args": {"data_columns": {"n": "first_name"},
                                                  "num_rows": 1}}}
    first = sim.generate({"columns": columns}, n=30, random_state=4)
    again = sim.generate({"columns": columns}, n=30, random_state=4)
    other = sim.generate({"columns": columns}, n=30, random_state=5)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other) and first["code"].str.fullmatch(r"\w+-\d+-\w\w").all()


@pytest.mark.parametrize(("column", "message"), [
    ({"faker": "pystr", "args": {"max_chars": 10**9}}, "max_chars=1,000,000,000 is larger than"),
    ({"faker": "pydecimal", "args": {"left_digits": 10**6}}, "left_digits=1,000,000 is larger"),
    ({"faker": "bothify", "args": {"text": "#" * 20_000}}, "a text of 20,000 characters"),
    ({"faker": "json", "args": {"data_columns": {"a": "x" * 5000}}}, "a text of 5,000"),
    ({"faker": "binary"}, "makes values of 1,048,576 characters"),
])
def test_faker_arguments_cannot_ask_for_huge_values(column, message):
    start = time.perf_counter()
    with pytest.raises(MetadataError, match=f"column 'code': Faker .*{message}"):
        sim.GenerationSchema.from_dict({"columns": {"code": column}})
    assert time.perf_counter() - start < 2


def test_pii_fakers_are_guarded_too():
    from simulacra.encoders.pii import make_faker

    fake = make_faker("en_US", np.random.default_rng(0))
    assert fake.pystr_format("{{first_name}}")
    with pytest.raises(MetadataError, match="'seed_instance' is not a Faker provider"):
        fake.pystr_format("{{seed_instance}}")


# -- metadata, schema and pipeline documents -------------------------------------------------------
DEEP_YAML = "columns: " + "[" * DEEP + "]" * DEEP + "\n"
DEEP_JSON = '{"columns": ' + "[" * DEEP + "]" * DEEP + "}"


@pytest.mark.parametrize(("load", "text"), [
    (sim.Metadata.from_yaml, DEEP_YAML), (sim.Metadata.from_json, DEEP_JSON),
    (sim.DatabaseMetadata.from_yaml, DEEP_YAML), (sim.DatabaseMetadata.from_json, DEEP_JSON),
    (sim.GenerationSchema.from_yaml, DEEP_YAML), (sim.GenerationSchema.from_yaml, DEEP_JSON),
])
def test_documents_nested_too_deep_are_refused(load, text):
    with pytest.raises(MetadataError, match="nest more than 64 deep"):
        load(text)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_files_nested_too_deep_are_refused_by_every_loader(tmp_path, suffix):
    path = tmp_path / f"deep{suffix}"
    path.write_text(DEEP_JSON if suffix == ".json" else DEEP_YAML)
    for load in (sim.Metadata.load, sim.DatabaseMetadata.load, sim.GenerationSchema.load):
        with pytest.raises(MetadataError, match="nest more than 64 deep"):
            load(path)


def test_draw_plans_and_database_evaluations_nested_too_deep_are_refused():
    """A partitioned draw's plan and a saved database evaluation may come from another
    machine: their JSON is bounded in depth like every other document."""
    import json

    from simulacra.evaluation.database.result import DatabaseEvaluation
    from simulacra.scale.plan import SamplePlan

    for load in (SamplePlan.from_json, DatabaseEvaluation.from_json):
        with pytest.raises(json.JSONDecodeError, match="nest more than 64 deep"):
            load(DEEP_JSON)


def test_pipeline_config_nested_too_deep_gives_its_line():
    from simulacra.errors import ConfigError
    from simulacra.pipeline.document import parse_document

    with pytest.raises(ConfigError, match=r"x.yaml: line 2, column \d+: not valid YAML "
                                          r"\(lists and mappings nest more than 64 deep\)"):
        parse_document("model: {name: gaussian_copula}\nsample: " + "[" * DEEP, "x.yaml")


def test_documents_within_the_depth_limit_load():
    from simulacra.io import MAX_DOCUMENT_DEPTH, load_json, load_yaml

    value = "[" * (MAX_DOCUMENT_DEPTH - 1) + "]" * (MAX_DOCUMENT_DEPTH - 1)
    assert load_yaml(f"a: {value}") == load_json(f'{{"a": {value}}}')


def test_schema_file_is_read_bounded(tmp_path):
    from simulacra.io import MAX_DOCUMENT_BYTES

    path = tmp_path / "huge.yaml"
    path.write_bytes(b"columns:\n  a: {kind: boolean}\n" + b"#" * MAX_DOCUMENT_BYTES)
    with pytest.raises(MetadataError, match=r"Invalid generation schema[\s\S]*schema file "
                                            r".*huge.yaml' is larger than 16,777,216 bytes"):
        sim.GenerationSchema.load(path)
    with pytest.raises(MetadataError, match=r"Invalid generation schema[\s\S]*cannot read "
                                            r"schema file .*missing.yaml'"):
        sim.GenerationSchema.load(tmp_path / "missing.yaml")


def test_cli_generate_with_a_deep_schema_exits_2_without_traceback(tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    path = tmp_path / "deep.yaml"
    path.write_text(DEEP_YAML)
    result = CliRunner().invoke(app, ["generate", str(path), "-n", "3"])
    assert result.exit_code == 2 and "nest more than 64 deep" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, RecursionError)


def test_cli_condition_values_nested_too_deep_stay_text():
    from simulacra.cli.common import parse_pairs

    deep = "[" * DEEP + "]" * DEEP
    assert parse_pairs([f"a={deep}", "b=[1, 2]"], "--condition") == {"a": deep, "b": (1, 2)}
