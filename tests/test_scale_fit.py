"""Datasets larger than memory (simulacra.scale.dataset / fitting): exact statistics merged
across files, a uniform sample that does not depend on the workers, domains pinned."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from partitions import write_parts
from simulacra.cli import app
from simulacra.errors import DataError, ParameterError
from simulacra.scale.cluster import local_cluster
from simulacra.scale.dataset import dataset_files, is_dataset, read_dataset
from simulacra.scale.fitting import fit_dataset

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 9_000
    frame = pd.DataFrame({
        "x": rng.normal(50, 10, n).round(2),
        "k": rng.integers(0, 1_000, n),
        "c": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        "d": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
    })
    frame.loc[rng.choice(n, 300, replace=False), "x"] = np.nan
    frame.loc[8_765, ["x", "c"]] = [1e6, "rare"]  # one row the sample will likely miss
    return frame


def test_summary_is_exact_and_the_sample_uniform(table, tmp_path):
    folder = write_parts(table, tmp_path / "p")
    sample, summary = read_dataset(folder, sample_rows=1_000, seed=3, workers=1)
    assert summary.rows == len(table)
    x = summary.columns["x"]
    assert (x.nulls, x.minimum, x.maximum, x.whole) == (
        300, table["x"].min(), 1e6, False)
    assert summary.columns["c"].counts == table["c"].value_counts().to_dict()
    assert summary.columns["k"].whole and summary.columns["k"].counts is None  # many values
    assert summary.columns["d"].maximum == table["d"].max()
    assert len(sample) == 1_000 and list(sample.columns) == list(table.columns)
    # rows of the table, without repeats, in the table's order
    found = sample.merge(table.reset_index(), on=list(table.columns), how="left")
    assert len(found) == 1_000 and found["index"].notna().all()
    assert found["index"].is_monotonic_increasing and found["index"].is_unique
    shares = sample["c"].value_counts(normalize=True)
    assert abs(shares["a"] - 0.6) < 0.05 and abs(shares["c"] - 0.1) < 0.03


def test_sample_does_not_depend_on_workers_format_or_chunks(table, tmp_path):
    parquet = write_parts(table, tmp_path / "p")
    csv = write_parts(table, tmp_path / "c", fmt="csv")
    alone, _ = read_dataset(parquet, sample_rows=700, seed=1, workers=1)
    with local_cluster(2) as client:
        spread, summary = read_dataset(f"{parquet}/*.parquet", sample_rows=700, seed=1,
                                       client=client)
    pd.testing.assert_frame_equal(alone, spread)
    from_csv, _ = read_dataset(csv, sample_rows=700, seed=1, workers=1)
    assert from_csv["k"].tolist() == alone["k"].tolist()  # the same rows
    other, _ = read_dataset(parquet, sample_rows=700, seed=2, workers=1)
    assert other["k"].tolist() != alone["k"].tolist()
    everything, _ = read_dataset(parquet, sample_rows=20_000, seed=1, workers=1)
    assert len(everything) == len(table) == summary.rows


def test_fit_pins_the_domain_to_the_whole_dataset(table, tmp_path):
    folder = write_parts(table, tmp_path / "p")
    sample, _ = read_dataset(folder, sample_rows=500, seed=0, workers=1)
    assert "rare" not in set(sample["c"]) and sample["x"].max() < 1e6  # the sample missed it
    given = sim.Metadata.detect(table)
    snapshot = given.to_dict()
    model = fit_dataset(sim.GaussianCopula(given, random_state=0, value_protection=False),
                        folder, sample_rows=500, workers=1)
    assert model.n_rows_ == len(table)
    assert model.metadata is given and given.to_dict() == snapshot  # the caller's is kept
    assert "rare" in model.codec_.encoders_["c"].categories_
    assert model.metadata_["x"].maximum == 1e6
    assert model.metadata_["d"].maximum == table["d"].max().isoformat()
    rows = model.sample(2_000, rng=0)
    assert rows["c"].isin(["a", "b", "c", "rare"]).all()


def test_value_protection_keeps_the_exact_extremes_and_rare_categories_out(table, tmp_path):
    folder = write_parts(table, tmp_path / "p")
    model = fit_dataset(sim.GaussianCopula(random_state=0), folder, sample_rows=9_000,
                        workers=1)  # every row in the sample: the planted row too
    assert model.n_rows_ == len(table)
    assert model.metadata_["x"].maximum is None and model.metadata_["x"].integer is False
    assert model.metadata_["c"].categories is None
    rows = model.sample(5_000, rng=0)
    assert rows["x"].max() < 1_000 and not rows["c"].eq("rare").any()
    path = tmp_path / "copula.simz"
    model.save(path)
    from leaks import assert_file_keeps_none_of

    assert_file_keeps_none_of(path, ['"rare"'], [1e6, float(table["d"].max().value)])
    common = table[table["c"] != "rare"]  # every category seen 5 times: pinned (not rare)
    pinned = fit_dataset(sim.GaussianCopula(random_state=0),
                         write_parts(common, tmp_path / "q"), sample_rows=500, workers=1)
    assert pinned.metadata_["c"].categories == ("a", "b", "c")


def test_under_a_budget_nothing_from_the_exact_pass_is_kept(table, tmp_path):
    folder = write_parts(table, tmp_path / "p")
    model = fit_dataset(sim.MST(privacy=sim.PrivacyBudget(5.0), random_state=0), folder,
                        sample_rows=2_000, workers=1)
    assert model.n_rows_ is None  # no row count under a budget (sample with an explicit n)
    path = tmp_path / "mst.simz"
    model.save(path)
    from leaks import assert_file_keeps_none_of

    assert_file_keeps_none_of(path, ["rare"], [1e6, float(len(table))])
    with zipfile.ZipFile(path) as archive:
        tree = json.loads(archive.read("model.json"))
    assert len(table) not in list(numbers(tree))  # the exact row count is nowhere


def numbers(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from numbers(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from numbers(value)
    elif isinstance(tree, int | float) and not isinstance(tree, bool):
        yield tree


def test_bad_datasets_are_refused_clearly(tmp_path):
    assert not is_dataset(tmp_path) and is_dataset(f"{tmp_path}/*.parquet")
    with pytest.raises(DataError, match="no such file"):
        dataset_files(tmp_path / "missing")
    with pytest.raises(DataError, match="no files match"):
        dataset_files(f"{tmp_path}/*.parquet")
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(DataError, match="mixes CSV and Parquet"):
        dataset_files(tmp_path)
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read"):
        read_dataset(f"{tmp_path}/bad.parquet", workers=1)


def test_cli_fits_a_glob_the_same_on_one_or_two_workers(table, tmp_path):
    folder = write_parts(table, tmp_path / "p")
    runner = CliRunner()
    files = []
    for workers in ("1", "2"):
        out = tmp_path / f"m{workers}.simz"
        result = runner.invoke(app, ["fit", f"{folder}/*.parquet", "-o", str(out), "--seed",
                                     "0", "--sample-rows", "3000", "--workers", workers])
        assert result.exit_code == 0, result.output
        assert "on a dataset of 9,000 rows" in result.output
        files.append(out.read_bytes())
    assert files[0] == files[1]
    assert sim.load(tmp_path / "m1.simz").n_rows_ == 9_000
    result = runner.invoke(app, ["fit", str(tmp_path / "x.csv"), "-o", str(tmp_path / "y.simz"),
                                 "--workers", "2"])
    assert result.exit_code == 2 and "dataset larger than memory" in result.output


def test_a_file_named_with_brackets_is_a_table_not_a_pattern(tmp_path):
    odd = tmp_path / "sales[2024].csv"
    pd.DataFrame({"a": [1, 2, 3] * 20, "b": list("xyz") * 20}).to_csv(odd, index=False)
    assert not is_dataset(odd)
    runner = CliRunner()
    result = runner.invoke(app, ["fit", str(odd), "-o", str(tmp_path / "m.simz")])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(app, ["fit", str(tmp_path / "gone[deep].csv"), "-o",
                                  str(tmp_path / "n.simz")])
    assert missing.exit_code == 2
    assert "gone[deep].csv" in " ".join(missing.output.split())  # not eaten as markup


@pytest.mark.parametrize("cls", [sim.AutoregressiveNetwork, sim.TabDDPM, sim.TVAE])
def test_a_streamed_network_trains_on_fresh_rows_every_epoch(cls, table, tmp_path,
                                                             monkeypatch):
    folder = write_parts(table, tmp_path / "p")
    seen: list[np.ndarray] = []
    original = cls._encode_more

    def spy(self, rows, rng):
        seen.append(rows["k"].to_numpy())
        return original(self, rows, rng)

    monkeypatch.setattr(cls, "_encode_more", spy)

    def fit():
        network = cls(random_state=0, epochs=4, early_stopping=False)
        return fit_dataset(network, folder, sample_rows=600, stream=True, workers=1)

    model = fit()
    streamed = np.concatenate(seen)
    sample, _ = read_dataset(folder, sample_rows=600, seed=0, workers=1)
    assert len(streamed) >= 4 * 600  # an epoch of the sample's size, four times
    # rows the sample does not hold: the planted one's neighbourhood and beyond
    assert len(set(streamed.tolist()) - set(sample["k"].tolist())) > 300
    assert "_row_stream" not in vars(model) and model._row_stream is None  # nothing kept
    rows = model.sample(500, rng=1)
    assert not rows["c"].eq("rare").any() and rows["x"].max() < 1_000
    seen.clear()
    again = fit()
    pd.testing.assert_frame_equal(again.sample(200, rng=2), model.sample(200, rng=2))


def test_streaming_is_refused_where_it_does_not_apply(table, tmp_path):
    folder = write_parts(table, tmp_path / "p")
    with pytest.raises(ParameterError, match="learns from the sample"):
        fit_dataset(sim.GaussianCopula(random_state=0), folder, sample_rows=500, stream=True,
                    workers=1)
    private = sim.AutoregressiveNetwork(privacy=sim.PrivacyBudget(3.0), random_state=0)
    with pytest.raises(ParameterError, match="privacy budget"):
        fit_dataset(private, folder, sample_rows=500, stream=True, workers=1)
    table.head(100).to_csv(tmp_path / "small.csv", index=False)
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "small.csv"), "-o",
                                      str(tmp_path / "m.simz"), "--stream"])
    assert result.exit_code == 2 and "--stream" in result.output


def test_the_stream_mixes_row_groups_of_every_file_in_each_pass(tmp_path):
    import itertools

    from simulacra.scale.dataset import stream_rows

    for i in range(2):  # a dataset sorted by time: one file per period, sorted inside
        pd.DataFrame({"t": np.arange(i * 1_000, (i + 1) * 1_000)}).to_parquet(
            tmp_path / f"period-{i}.parquet", row_group_size=100)
    chunks = list(itertools.islice(stream_rows(tmp_path, seed=0), 40))
    first, second = pd.concat(chunks[:20])["t"], pd.concat(chunks[20:])["t"]
    assert sorted(first) == list(range(2_000)) == sorted(second)  # each pass: every row once
    early = pd.concat(chunks[:5])["t"]  # the first "epoch" of 500 rows spans both periods
    assert early.min() < 1_000 <= early.max()
    assert first.tolist() != second.tolist()  # each pass in its own order
    again = list(itertools.islice(stream_rows(tmp_path, seed=0), 40))
    assert all(a.equals(b) for a, b in zip(chunks, again, strict=True))  # the seed decides


def test_a_stream_without_a_usable_row_stops_with_a_clear_error(table, monkeypatch):
    import itertools

    import simulacra.models.neural.base as neural_base

    monkeypatch.setattr(neural_base, "MAX_EMPTY_CHUNKS", 3)
    network = sim.AutoregressiveNetwork(random_state=0, epochs=1, early_stopping=False)
    unusable = table.head(50).assign(c="never seen")  # a category the model has no place for
    with pytest.raises(DataError, match="had no row the model could learn from"):
        network.fit_streaming(table.head(2_000), itertools.repeat(unusable))
    with pytest.raises(ParameterError, match="learns from one table"):
        sim.CTGAN(random_state=0).fit_streaming(table.head(200), itertools.repeat(unusable))
