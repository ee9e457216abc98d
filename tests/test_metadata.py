"""The Metadata container: detection driver, editing, validation, YAML/JSON round trip."""

from __future__ import annotations

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
