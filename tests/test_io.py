"""Reading and writing tables: formats, clear errors, atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.io import write_text_atomic

CSV_NAMES = ["t.csv", "t.tsv", "t.csv.gz", "t.csv.bz2", "t.csv.xz", "t.csv.zip"]
PARQUET_NAMES = ["t.parquet", "t.pq"]
#: The dtype pandas gives text it reads (``str`` from pandas 3, ``object`` before).
TEXT = pd.Series(["a"]).dtype


def typed_frame() -> pd.DataFrame:
    """A column of every dtype a table may hold, each with a missing value where the dtype
    has one, and texts a CSV writer must quote."""
    return pd.DataFrame({
        "int": np.array([3, -(2**62), 2**62], dtype="int64"),
        "nullable_int": pd.array([1, None, -7], dtype="Int64"),
        "float": [0.1 + 0.2, np.nan, -1e-300],
        "bool": [True, False, True],
        "nullable_bool": pd.array([True, None, False], dtype="boolean"),
        "category": pd.Categorical(["b", None, "a"], categories=["a", "b"]),
        "text": ['comma, "quoted"', "new\nline\ttab", None],
        "when": pd.to_datetime(["2020-01-01 10:00:00", None, "2021-05-06 00:00:01.5"],
                               format="ISO8601"),
        "zoned": pd.to_datetime(["2020-01-01 10:00", None, "2021-07-06 00:00"],
                                format="ISO8601").tz_localize("Europe/Oslo"),
        "day": pd.to_datetime(["2020-01-01", "2020-02-29", None]),
    })


@pytest.mark.parametrize("name", PARQUET_NAMES)
def test_parquet_round_trip_keeps_values_and_dtypes(tmp_path, mixed, name):
    frame = typed_frame().assign(span=pd.to_timedelta(["1 day", None, "2h"]),
                                 edge=["", "NA", None])  # CSV would read all three as missing
    sim.write_table(frame, tmp_path / name)
    pd.testing.assert_frame_equal(sim.read_table(tmp_path / name), frame)
    sim.write_table(mixed, tmp_path / name)
    pd.testing.assert_frame_equal(sim.read_table(tmp_path / name), mixed)


@pytest.mark.parametrize("name", CSV_NAMES)
def test_csv_round_trip_keeps_values_and_the_dtypes_csv_can_say(tmp_path, name):
    frame = typed_frame()
    sim.write_table(frame, tmp_path / name)
    back = sim.read_table(tmp_path / name)
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(back.isna(), frame.isna())  # missing stays missing, only
    exact = ["int", "float", "bool"]
    pd.testing.assert_frame_equal(back[exact], frame[exact], check_exact=True)
    # CSV has no nullable integers or booleans: the values come back as floats, objects
    pd.testing.assert_series_equal(back["nullable_int"], frame["nullable_int"].astype("float64"))
    assert back["nullable_bool"].dtype == object
    assert back["nullable_bool"].tolist()[::2] == [True, False]
    for column in ["category", "text", "when", "zoned", "day"]:  # as text
        assert back[column].dtype == TEXT, column
    assert back["category"].tolist()[::2] == ["b", "a"]
    assert back["text"].tolist()[:2] == frame["text"].tolist()[:2]
    # datetimes as ISO 8601 text that parses back to the same instants
    for column in ["when", "day"]:
        pd.testing.assert_series_equal(pd.to_datetime(back[column], format="ISO8601"),
                                       frame[column], check_dtype=False)
    zoned = pd.to_datetime(back["zoned"], format="ISO8601", utc=True)
    pd.testing.assert_series_equal(zoned.dt.tz_convert("Europe/Oslo"), frame["zoned"],
                                   check_dtype=False)


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.tsv"])
def test_csv_round_trip_of_the_mixed_table(tmp_path, mixed, name):
    sim.write_table(mixed, tmp_path / name)
    back = sim.read_table(tmp_path / name)
    expected = mixed.assign(last_seen=mixed["last_seen"].astype(str).astype(TEXT))
    pd.testing.assert_frame_equal(back, expected, check_exact=True)


def test_floats_come_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=500) * 10.0 ** rng.integers(-300, 300, 500)
    frame = pd.DataFrame({"x": np.r_[x, np.inf, -np.inf, -0.0, 5e-324, np.nan]})
    for name in ["t.csv", "t.parquet"]:
        sim.write_table(frame, tmp_path / name)
        back = sim.read_table(tmp_path / name)
        np.testing.assert_array_equal(back["x"].to_numpy(), frame["x"].to_numpy())
        assert np.signbit(back["x"].iloc[-3])  # -0.0 keeps its sign


MAGIC = {".gz": b"\x1f\x8b", ".bz2": b"BZh", ".xz": b"\xfd7zXZ", ".zip": b"PK"}


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.csv.gz", "t.csv.bz2", "t.csv.xz",
                                  "t.csv.zip", "t.parquet"])
def test_values_come_back_in_every_format(tmp_path, name):
    frame = pd.DataFrame({"n": [1, 2, 3], "x": [0.5, -1.25, 1e6],
                          "s": ["a, b", "tab\there", "plain"]})
    sim.write_table(frame, tmp_path / name)
    pd.testing.assert_frame_equal(sim.read_table(tmp_path / name), frame,
                                  check_dtype=False, check_column_type=False)
    head = (tmp_path / name).read_bytes()[:6]
    for suffix, magic in MAGIC.items():  # compressed as the name says, not plain text
        assert head.startswith(magic) == name.endswith(suffix)
    if name == "t.tsv":
        assert (tmp_path / name).read_text().splitlines()[0] == "n\tx\ts"


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.csv.gz"])
def test_texts_with_carriage_returns_and_newlines_stay_one_row(tmp_path, name):
    frame = pd.DataFrame({"n": [1, 2, 3], "s": ["a\rb", "line\nbreak", "win\r\ndows"],
                          "t": ["plain", None, "x"]})
    sim.write_table(frame, tmp_path / name)
    pd.testing.assert_frame_equal(sim.read_table(tmp_path / name), frame,
                                  check_dtype=False, check_column_type=False)
    plain = pd.DataFrame({"n": [1], "s": ["no return"]})
    sim.write_table(plain, tmp_path / "plain.csv")  # the usual minimal quoting otherwise
    assert (tmp_path / "plain.csv").read_text() == "n,s\n1,no return\n"


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(sim.DataError, match=r"\.csv"):
        sim.read_table(tmp_path / "t.xlsx")
    with pytest.raises(sim.DataError, match="no such file"):
        sim.read_table(tmp_path / "none.csv")


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.parquet"
    write_text_atomic(target, "old")
    bad = pd.DataFrame({"a": [object()]})
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error type
        sim.write_table(bad, target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_written_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    sim.write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "t.csv").stat().st_mode) == 0o666 & ~mask


def _duplicated(tmp_path, name: str):
    """A table file whose header names 'a' and 'b' twice (as written, copies and all)."""
    path = tmp_path / name
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table([[1], [2], [3], [4], [5]], names=["a", "b", "a", "c", "b"]), path)
    else:
        sep = "\t" if name.endswith(".tsv") else ","
        pd.DataFrame([[1, 2, 3, 4, 5]]).to_csv(path, index=False, sep=sep,
                                               header=["a", "b", "a", "c", "b"])
    return path


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.csv.gz", "t.parquet"])
def test_duplicate_headers_are_refused_with_their_names(tmp_path, name):
    path = _duplicated(tmp_path, name)
    with pytest.raises(sim.DataError, match=r"names the columns 'a', 'b' more than once"):
        sim.read_table(path)
    from simulacra.scale.dataset import read_chunks

    with pytest.raises(sim.DataError, match=r"'a', 'b' more than once"):
        next(read_chunks(path, sim.io.table_format(path)))


def test_headers_that_only_look_renamed_are_kept(tmp_path):
    frame = pd.DataFrame({"a": [1], "a.1": [2], "b": ["x"]})
    for name in ["t.csv", "t.parquet"]:
        sim.write_table(frame, tmp_path / name)
        pd.testing.assert_frame_equal(sim.read_table(tmp_path / name), frame,
                                      check_dtype=False)
    headerless = tmp_path / "headerless.csv"  # the caller names the columns: nothing to check
    headerless.write_text("1,2\n3,4\n")
    back = sim.read_table(headerless, header=None, names=["x", "x2"])
    assert back["x"].tolist() == [1, 3]


@pytest.mark.parametrize("name", ["t.csv", "t.parquet"])
def test_a_table_with_repeated_column_names_is_not_written(tmp_path, name):
    frame = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"])
    with pytest.raises(sim.DataError, match=r"more than one column named 'a'"):
        sim.write_table(frame, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
