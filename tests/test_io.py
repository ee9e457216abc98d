"""Reading and writing tables: formats, clear errors, atomic writes."""

from __future__ import annotations

import pandas as pd
import pytest

import simulacra as sim
from simulacra.io import write_text_atomic


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.parquet"])
def test_round_trip(tmp_path, mixed, name):
    frame = mixed.drop(columns=["last_seen"])
    sim.write_table(frame, tmp_path / name)
    back = sim.read_table(tmp_path / name)
    assert back.shape == frame.shape
    assert list(back.columns) == list(frame.columns)


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
