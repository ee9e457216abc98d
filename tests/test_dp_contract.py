"""The differential-privacy contract, checked on every model that takes ``privacy=``.

Every DP-capable model of the registry (the discrete ones and the networks alike) is fitted on
the same small table with a planted outlier, a one-row category and dates, and must:

* stay within the budget, and say how it was spent by stage;
* give frames with the table's columns and dtypes, the same for the same seed;
* keep nothing of the planted rows: bounds from DP, no one-row category, no first and last day;
* give the same report and samples after a save and a load;
* fitted from the command line on a table with planted rows (an outlier, a one-row category,
  a row unlike any other) and a constraint they break, leave none of them — nor detection
  reasons, a constraint report or the row count — in the file, the printed output or the logs;
* (networks) report the smaller ε of fewer DP-SGD steps, and refuse early stopping.

A model added to the registry with ``supports_privacy`` is checked here without a new test.
"""

from __future__ import annotations

import json
import logging
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from leaks import assert_file_keeps_none_of
from simulacra.cli import app
from simulacra.errors import ParameterError
from simulacra.models.neural.base import NeuralSynthesizer

pytest.importorskip("torch")
pytest.importorskip("opacus")

PRIVATE = sorted(n for n, cls in sim.MODELS.items() if cls.supports_privacy)
#: Small settings, so that every model fits in a few seconds.
SMALL: dict[str, dict] = {
    "autoregressive": {"epochs": 1},
    "tabddpm": {"epochs": 1, "sampling_steps": 10},
    "tvae": {"epochs": 1, "batch_size": 100, "embedding_dim": 16, "compress_dims": (32,),
             "decompress_dims": (32,)},
    "ctgan": {"epochs": 1, "batch_size": 100, "embedding_dim": 16, "generator_dim": (32,),
              "discriminator_dim": (32,)},
}
EPSILON = 3.0
OUTLIER, PERSON = 987_654_321.0, "unique-person"


def invoke(*args: object):
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, [str(a) for a in args])


def private(name: str, seed: int = 0, **kw) -> sim.Synthesizer:
    return sim.MODELS[name](random_state=seed, privacy=sim.PrivacyBudget(EPSILON),
                            **{**SMALL.get(name, {}), **kw})


@pytest.fixture(scope="module")
def planted(dp_table) -> pd.DataFrame:
    df = dp_table.copy()
    df.loc[17, "x"] = OUTLIER
    df.loc[0, "c"] = PERSON
    return df


@pytest.fixture(scope="module")
def fitted(planted) -> dict[str, sim.Synthesizer]:
    return {name: private(name).fit(planted) for name in PRIVATE}


def test_the_registry_has_private_models_of_every_family():
    assert {"aim", "mst", "privbayes", "bayesian_network", "autoregressive", "tabddpm",
            "ctgan", "tvae"} <= set(PRIVATE)


@pytest.mark.parametrize("name", PRIVATE)
def test_spends_within_the_budget_and_reports_it_by_stage(name, fitted):
    report = fitted[name].privacy_report_
    assert 0.5 * EPSILON <= report.epsilon <= EPSILON * (1 + 1e-9)
    assert report.budget.epsilon == EPSILON and report.delta <= 1 / 600
    assert {"metadata"} < set(report.stages)
    assert all(stage.share > 0 for stage in report.stages.values())
    assert sum(stage.share for stage in report.stages.values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name", PRIVATE)
def test_samples_keep_the_columns_and_dtypes(name, fitted, planted):
    out = fitted[name].sample(300, rng=1)
    assert list(out.columns) == list(planted.columns)
    assert dict(out.dtypes) == dict(planted.dtypes)
    assert set(out["c"].dropna()) <= {"high", "low"}


@pytest.mark.parametrize("name", PRIVATE)
def test_planted_outlier_rare_category_and_dates_do_not_leak(name, fitted, planted, tmp_path):
    model = fitted[name]
    domain = model.codec_.domains_["x"]
    assert domain.maximum_ < 1e3 and domain.minimum_ != planted["x"].min()
    assert PERSON not in model.codec_.domains_["c"].values_
    state = repr(model.codec_.get_state()) + repr(model._get_state())
    assert str(int(OUTLIER)) not in state and PERSON not in state
    out = model.sample(3000, rng=2)
    assert out["x"].max() <= domain.maximum_ and PERSON not in set(out["c"])
    path = tmp_path / f"{name}.simz"  # the whole file: metadata, report, arrays
    model.save(path)
    assert_file_keeps_none_of(path, [str(int(OUTLIER)), f"{OUTLIER:g}", PERSON], [OUTLIER])
    assert (out["d"].min(), out["d"].max()) != (planted["d"].min(), planted["d"].max())


@pytest.mark.parametrize("name", PRIVATE)
def test_same_seed_same_samples_and_another_seed_others(name, fitted, planted):
    first = fitted[name].sample(200, rng=1)
    pd.testing.assert_frame_equal(first, private(name).fit(planted).sample(200, rng=1))
    assert not first.equals(private(name, seed=6).fit(planted).sample(200, rng=1))


@pytest.mark.parametrize("name", PRIVATE)
def test_report_and_samples_survive_save_and_load(name, fitted, tmp_path):
    path = tmp_path / f"{name}.simz"
    fitted[name].save(path)
    back = sim.load(path)
    assert back.privacy == fitted[name].privacy
    assert back.privacy_report_ == fitted[name].privacy_report_
    pd.testing.assert_frame_equal(back.sample(200, rng=3), fitted[name].sample(200, rng=3))


NETWORKS = [n for n in PRIVATE if issubclass(sim.MODELS[n], NeuralSynthesizer)]


@pytest.mark.parametrize("name", NETWORKS)
def test_fewer_steps_report_the_smaller_epsilon_reached(name, dp_table):
    report = private(name, max_training_time=1e-9).fit(dp_table).privacy_report_
    assert report.steps == 0 and report.stages["model"].share == 0
    assert 0 < report.epsilon < 0.5 * EPSILON


@pytest.mark.parametrize("name", NETWORKS)
def test_the_saved_dp_sgd_schedule_gives_no_row_count(name, fitted, planted, tmp_path):
    """DP-SGD's rate was ``batch / rows``: with the batch size in the file, the row count came
    back exactly. It is planned from a noisy count now: no batch size over the rate (nor
    the automatic learning rate it sets) gives the rows."""
    path = tmp_path / f"{name}.simz"
    fitted[name].save(path)
    with zipfile.ZipFile(path) as archive:
        report = json.loads(archive.read("model.json"))["model"]["privacy_report"]
    rows = len(planted)
    assert abs(report["sample_rate"] * rows - round(report["sample_rate"] * rows)) > 1e-6
    assert "metadata" in report["stages"]
    assert any("noisy count (schedule, budget check)" in m["what"] for m in report["mechanisms"])


@pytest.mark.parametrize("name", NETWORKS)
def test_privacy_refuses_early_stopping(name, dp_table):
    with pytest.raises(ParameterError, match="early_stopping=True cannot be combined"):
        private(name, early_stopping=True).fit(dp_table)


# -- the whole fit, as the command line runs it: file, printed output and logs ---------------
#: What the planted rows hold: an outlier, a one-row category, and one row unlike any other.
PLANTED_TEXTS = [str(int(OUTLIER)), f"{OUTLIER:g}", PERSON, "solo-row", "31337", "4242.4242",
                 "1999-12-31"]
PLANTED_VALUES = [OUTLIER, 31337.0, 4242.4242]


def _cli_params(name: str) -> list[str]:
    """``SMALL[name]`` as ``-p KEY=VALUE`` options."""
    out = []
    for key, value in SMALL.get(name, {}).items():
        value = list(value) if isinstance(value, tuple) else value
        out += ["-p", f"{key}={value}"]
    return out


@pytest.fixture(scope="module")
def planted_files(dp_table, tmp_path_factory) -> tuple[Path, Path]:
    """The planted table (also a '?' column) as CSV, and its detected metadata (with the
    detection's reasons, which quote the outlier) plus a constraint the outlier breaks."""
    from simulacra.constraints import Inequality
    from simulacra.io import read_table
    from simulacra.metadata import Metadata

    df = dp_table.copy()
    df["w"] = np.where(np.arange(len(df)) % 7 == 0, "?", np.where(df["x"] > 45, "u", "v"))
    df.loc[17, "x"] = OUTLIER  # breaks x <= y too
    df.loc[0, "c"] = PERSON
    df.loc[5, ["y", "k", "c", "d"]] = [4242.4242, 31337, "solo-row", pd.Timestamp("1999-12-31")]
    folder = tmp_path_factory.mktemp("planted")
    data, md_path = folder / "planted.csv", folder / "md.yaml"
    df.to_csv(data, index=False)
    md = Metadata.detect(read_table(data))
    assert str(int(OUTLIER)) in md["x"].reason  # what the model must not keep
    md.add_constraint(Inequality("x", "y"))
    md.save(md_path)
    return data, md_path


@pytest.mark.parametrize("name", PRIVATE)
def test_a_dp_fit_leaves_nothing_of_the_planted_rows_in_file_output_or_logs(
        name, planted_files, tmp_path, caplog):
    data, md_path = planted_files
    out = tmp_path / f"{name}.simz"
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = invoke("fit", data, "-m", name, "--epsilon", EPSILON, "--seed", 0, "--metadata",
                        md_path, "-o", out, *_cli_params(name))
    assert result.exit_code == 0, result.output
    said = [result.output, *(r.getMessage() for r in caplog.records),
            *(str(w.message) for w in caught)]
    for text in said:
        for planted in PLANTED_TEXTS:
            assert planted not in text, (planted, text)
    assert "break constraints were dropped" in " ".join(said)  # said, without rows or counts
    assert_file_keeps_none_of(out, PLANTED_TEXTS, PLANTED_VALUES)
    with zipfile.ZipFile(out) as archive:
        payload = json.loads(archive.read("model.json"))
    assert payload["n_rows"] is None and "constraint_report" not in payload
    assert not [c for c, spec in payload["metadata"]["columns"].items() if spec.get("reason")]
    model = sim.load(out)
    assert model.n_rows_ is None and model.constraint_report_ is None
    assert len(model.sample(50, rng=0)) == 50
    refused = invoke("sample", out, "-o", tmp_path / "s.csv")  # no row count to default to
    assert refused.exit_code == 2 and "give -n ROWS" in " ".join(refused.output.split())


def test_cli_detects_nothing_before_refusing_epsilon_and_prints_no_bounds(
        planted_files, tmp_path, caplog):
    data, _ = planted_files
    caplog.set_level(logging.DEBUG)
    refused = invoke("fit", data, "-m", "gaussian_copula", "--epsilon", 1, "-o",
                     tmp_path / "m.simz")
    assert refused.exit_code == 2 and "no differentially private mode" in refused.output
    assert "Metadata" not in refused.output and not caplog.records  # refused before reading
    assert not (tmp_path / "m.simz").exists()
    detected = invoke("fit", data, "-m", "mst", "--epsilon", EPSILON, "-o", tmp_path / "m.simz",
                      "-p", "iterations=50")
    assert detected.exit_code == 0, detected.output
    assert "column types only" in detected.output and "600 rows" not in detected.output
    for planted in PLANTED_TEXTS:
        assert planted not in detected.output
        assert not [r for r in caplog.records if planted in r.getMessage()]


def test_cli_under_epsilon_takes_kinds_from_the_column_types_reading_no_values(
        planted_files, tmp_path, monkeypatch):
    """Detection's choices depend on the rows (distinct counts, uniqueness, formats): with no
    public schema, fit --epsilon takes each kind from the column's type alone, and says so."""
    def reads_values(*args, **kwargs):
        raise AssertionError("detection read the private table's values")

    monkeypatch.setattr("simulacra.metadata.detect.detect_column", reads_values)
    data, _ = planted_files
    out = tmp_path / "m.simz"
    result = invoke("fit", data, "-m", "mst", "--epsilon", EPSILON, "-o", out,
                    "-p", "iterations=50")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Metadata from the column types only (no values read under --epsilon" in said
    kinds = {name: kind.kind for name, kind in sim.load(out).metadata_.items()}
    assert kinds == {"x": "numerical", "y": "numerical", "k": "numerical",
                     "c": "categorical", "d": "categorical", "w": "categorical"}
