"""The Metadata container: detection driver, editing, validation, YAML/JSON round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simulacra as sim


def test_detect_records_a_reason_for_every_column(mixed):
    md = sim.Metadata.detect(mixed)
    assert list(md) == list(mixed.columns)
    assert all(kind.reason for kind in md.values())
    explained = md.explain()
    for col in mixed.columns:
        assert col in explained
    assert md["customer_id"].kind == "id" and md.primary_key == "customer_id"
    assert md["signup"].kind == "datetime" and md["signup"].format == "%Y-%m-%d"
    assert md["email"] == sim.PII(pii_type="email")


def test_overrides_replace_detection(mixed):
    md = sim.Metadata.detect(mixed, overrides={"age": "categorical", "score": sim.Numerical(
        decimals=1)})
    assert md["age"].kind == "categorical" and md["age"].reason == "set by the user"
    assert md["score"].decimals == 1
    with pytest.raises(sim.MetadataError, match="not a column"):
        sim.Metadata.detect(mixed, overrides={"nope": "numerical"})


def test_yaml_and_json_round_trip(mixed, tmp_path):
    md = sim.Metadata.detect(mixed)
    assert sim.Metadata.from_yaml(md.to_yaml()) == md
    assert sim.Metadata.from_json(md.to_json()) == md
    for name in ("m.yaml", "m.json"):
        md.save(tmp_path / name)
        assert sim.Metadata.load(tmp_path / name) == md
    assert "metadata_version: 1" in md.to_yaml()


def test_update_column_and_validation_lists_every_problem():
    md = sim.Metadata({"a": sim.Numerical(), "b": sim.Categorical()})
    md.update_column("a", maximum=10)
    assert md["a"].maximum == 10
    with pytest.raises(sim.MetadataError, match="greater than maximum"):
        md.update_column("a", minimum=20)
    with pytest.raises(sim.MetadataError) as err:
        sim.Metadata({"a": sim.Numerical(minimum=5, maximum=1), "p": sim.PII(pii_type="dna"),
                      "d": sim.Datetime(format="YYYY")}, primary_key="zz")
    assert len(err.value.problems) == 4
    assert "4 problems" in str(err.value)


def test_from_dict_reports_all_bad_columns_and_version():
    bad = {"metadata_version": 1, "columns": {"a": {"kind": "nonsense"},
                                              "b": {"kind": "numerical", "colour": 1}}}
    with pytest.raises(sim.MetadataError) as err:
        sim.Metadata.from_dict(bad)
    assert len(err.value.problems) == 2
    assert "nonsense" in str(err.value) and "colour" in str(err.value)
    with pytest.raises(sim.MetadataError, match="metadata_version 99"):
        sim.Metadata.from_dict({"metadata_version": 99, "columns": {}})
    with pytest.raises(sim.MetadataError, match="not valid YAML"):
        sim.Metadata.from_yaml("a: [")


def test_validate_data_lists_missing_extra_and_bad_values():
    md = sim.Metadata({"a": sim.Numerical(), "b": sim.Categorical()})
    df = pd.DataFrame({"a": ["1", "x", "y"], "c": [1, 2, 3]})
    with pytest.raises(sim.MetadataError) as err:
        md.validate_data(df)
    text = str(err.value)
    assert "['b']" in text and "['c']" in text and "non-numeric" in text


# --------------------------------------------------------------------------------------------
# Field types checked up front, every problem at once; the published JSON Schema
# --------------------------------------------------------------------------------------------


def test_wrong_field_types_are_named_all_at_once():
    spec = {"metadata_version": 1, "sequnce_key": "x", "columns": {
        "a": {"kind": "categorical", "categories": 5, "ordered": "perhaps"},
        "b": {"kind": "numerical", "minimum": "x", "maximum": 10},
        "c": {"kind": "id", "unique": "sometimes"}}}
    with pytest.raises(sim.MetadataError) as err:
        sim.Metadata.from_dict(spec)
    problems = err.value.problems
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "unknown key 'sequnce_key' (did you mean 'sequence_key'?)" in text
    assert "column 'a': categorical field categories: should be a list, got 5" in text
    assert "column 'a': categorical field ordered" in text and "'perhaps'" in text
    assert "column 'b': numerical field minimum: should be a valid number" in text
    assert "column 'c': id field unique" in text


def test_whole_numbers_stay_whole_and_lists_become_categories():
    md = sim.Metadata.from_dict({"metadata_version": 1, "columns": {
        "age": {"kind": "numerical", "minimum": 17, "maximum": 90.5},
        "grade": {"kind": "categorical", "categories": ["A", "B"]}}})
    assert md.to_dict()["columns"]["age"] == {"kind": "numerical", "minimum": 17,
                                              "maximum": 90.5}
    assert isinstance(md.to_dict()["columns"]["age"]["minimum"], int)
    assert md["grade"].categories == ("A", "B")


def test_the_published_json_schema_is_current_and_checks_real_files(tmp_path):
    import json

    import jsonschema

    from simulacra.metadata.json_schema import metadata_json_schema

    schema = metadata_json_schema()
    published = json.loads((Path(__file__).parents[1] / "docs" / "metadata.schema.json")
                           .read_text(encoding="utf-8"))
    assert published == schema, "run: simulacra metadata --schema > docs/metadata.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    md = sim.Metadata.detect(sim.datasets.load_demo().head(300))
    md.sensitive = ["sex"]
    md.add_constraint(sim.Positive("age"))
    assert not list(validator.iter_errors(md.to_dict()))  # what simulacra writes is valid
    bad = md.to_dict()
    bad["columns"]["age"] = {"kind": "numerical", "minimum": "x"}
    bad["columns"]["sex"] = {"kind": "categorical", "categories": 5}
    bad["colums"] = {}
    found = {e.json_path for e in validator.iter_errors(bad)}
    assert {"$.columns.age", "$.columns.sex", "$"} <= found, found
