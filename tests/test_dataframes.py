"""pyarrow Tables and polars DataFrames in, the same kind out (types kept, files too)."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import simulacra as sim
from simulacra.errors import DataError
from simulacra.models import get_model


@pytest.fixture
def table() -> pa.Table:
    return pa.table({
        "age": pa.array([23, 35, None, 51, 44, 29] * 40, pa.int32()),
        "income": pa.array([1.5, 2.0, 3.25, None, 2.5, 1.0] * 40),
        "city": pa.array(["a", "b", "a", None, "c", "b"] * 40),
        "member": pa.array([True, False, None, True, True, False] * 40)})


@pytest.mark.parametrize("name", ["gaussian_copula", "bayesian_network"])
def test_pyarrow_in_pyarrow_out_with_its_types_also_after_loading(name, table, tmp_path):
    model = get_model(name)(random_state=0)
    model.fit(table)
    out = model.sample(50)
    assert isinstance(out, pa.Table) and out.schema.types == table.schema.types
    assert set(out["city"].drop_null().to_pylist()) <= {"a", "b", "c"}
    assert out["age"].null_count > 0  # nulls kept as nulls, the column still int32
    model.save(tmp_path / "m.simz")
    again = sim.load(tmp_path / "m.simz").sample(50, rng=1)
    assert isinstance(again, pa.Table) and again.schema.types == table.schema.types


def test_polars_in_polars_out(table):
    frame = pl.from_arrow(table)
    out = sim.GaussianCopula(random_state=0).fit(frame).sample(30)
    assert isinstance(out, pl.DataFrame) and out.schema == frame.schema


def test_pandas_stays_pandas_and_anything_else_is_refused(table):
    out = sim.GaussianCopula(random_state=0).fit(table.to_pandas()).sample(5)
    assert isinstance(out, pd.DataFrame)
    with pytest.raises(DataError, match=r"numpy structured array, got ndarray; a numpy array "
                                        r"needs column names"):
        sim.GaussianCopula().fit(table.to_pandas().to_numpy())


def test_a_model_file_with_a_strange_table_kind_is_refused(table, tmp_path):
    from simulacra.models.base import _frame_of

    metadata = sim.Metadata.detect(table.to_pandas())
    assert _frame_of({"kind": "pyarrow", "types": {"age": "int32"}}, metadata)[0] == "pyarrow"
    for bad in ({"kind": "pickle", "types": {}}, {"kind": "polars", "types": {"zz": "int8"}},
                {"kind": "polars", "types": {"age": "x" * 65}}, {"kind": "polars"}):
        with pytest.raises(ValueError, match="table kind"):
            _frame_of(bad, metadata)
    assert _frame_of({"kind": "numpy", "types": {"age": "<i8"}}, metadata)[0] == "numpy"
    for odd in ("<V8", "int8; rm -rf", "<M8[ns]x"):
        with pytest.raises(ValueError, match="numpy field types"):
            _frame_of({"kind": "numpy", "types": {"age": odd}}, metadata)


def test_numpy_structured_arrays_in_the_same_dtype_out(tmp_path):
    import numpy as np

    frame = sim.datasets.load_demo().head(600)
    records = frame.to_records(index=False)  # strings as objects, numbers as int64
    plain = np.array([(i % 7, f"k{i % 3}", i % 2 == 0, 0.5 * i) for i in range(400)],
                     dtype=[("n", "<i4"), ("key", "<U3"), ("flag", "?"), ("x", "<f8")])
    for array in (records, plain):
        model = sim.GaussianCopula(random_state=0).fit(array)
        out = model.sample(20)
        assert isinstance(out, np.ndarray) and out.dtype == array.dtype and len(out) == 20
        model.save(tmp_path / "m.simz")
        again = sim.load(tmp_path / "m.simz").sample(20, rng=1)
        assert again.dtype == array.dtype
    assert set(np.unique(out["key"])) <= {"k0", "k1", "k2"}
    with pytest.raises(DataError, match="one-dimensional"):
        sim.GaussianCopula().fit(plain.reshape(20, 20))
