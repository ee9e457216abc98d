"""Notebook views: ``_repr_html_`` of metadata, models and evaluation results, escaped."""

from __future__ import annotations

import pandas as pd

import simulacra as sim


def test_metadata_model_and_result_show_as_escaped_tables():
    df = pd.DataFrame({"<script>": [1.0, 2.0, 3.0, 4.0] * 10, "c": ["a", "b"] * 20})
    md = sim.Metadata.detect(df)
    page = md._repr_html_()
    assert "Metadata: 2 columns" in page and "&lt;script&gt;" in page and "<script>" not in page
    model = sim.GaussianCopula(md, random_state=0)
    assert "GaussianCopula (not fitted)" in model._repr_html_()
    model.fit(df)
    page = model._repr_html_()
    assert "fitted on 40 rows × 2 columns" in page and "<td>random_state</td><td>0</td>" in page
    result = sim.evaluate(df, model.sample(40), metrics=["fidelity"])
    page = result._repr_html_()
    assert page.count("<tr>") == len(result.metrics) + 1 and "shape" in page


def test_database_metadata_and_evaluation_show_keys_and_scopes():
    tables = {"parent": pd.DataFrame({"id": range(1, 21), "x": range(20)}),
              "child": pd.DataFrame({"id": range(1, 41), "parent_id": [1, 2] * 20,
                                     "y": [0.5, 1.5] * 20})}
    md = sim.DatabaseMetadata.detect(tables)
    page = md._repr_html_()
    assert "2 tables, 1 foreign keys" in page and "parent_id → parent" in page
    fake = sim.RelationalSynthesizer(md, random_state=0).fit(tables).sample()
    result = sim.evaluate(tables, fake, metadata=md)
    page = result._repr_html_()
    assert "<td>relation</td>" in page and page.count("<tr>") == len(result.metrics) + 1
