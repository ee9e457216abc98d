"""A text column's language model under a privacy budget: DP-SGD paid in the fit's ledger, and
nothing read outside it kept in the model file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from leaks import assert_file_keeps_none_of
from simulacra.privacy import PrivacyBudget, PrivacyLedger
from simulacra.privacy.rdp import sgd_rdp
from texts import animal_notes

pytest.importorskip("torch")
pytest.importorskip("tokenizers")
pytest.importorskip("opacus")

SECRET = "zebulonqx"
EPSILON = 8.0


def metadata(df: pd.DataFrame, **text: object) -> sim.Metadata:
    md = sim.Metadata.detect(df)
    md.update_column("note", **{"kind": "text", "generator": "network", "epochs": 2, **text})
    return md


@pytest.fixture(scope="module")
def notes() -> pd.DataFrame:
    df = animal_notes(1200, seed=0)
    df.loc[5, "note"] = f"the tiny {SECRET} cow sees the hen in the barn."  # one row's word
    return df


def mst(notes: pd.DataFrame, **text: object) -> sim.Synthesizer:
    return sim.MODELS["mst"](metadata(notes, **text), random_state=0, iterations=200,
                             privacy=PrivacyBudget(EPSILON, delta=1e-6)).fit(notes)


@pytest.fixture(scope="module")
def private(notes) -> sim.Synthesizer:
    return mst(notes)


def test_the_text_stage_is_paid_in_the_ledger(private, notes):
    report = private.privacy_report_
    assert report.epsilon <= EPSILON * (1 + 1e-6)
    assert report.epsilon == pytest.approx(EPSILON, rel=1e-2)  # MST spends what is left
    assert set(report.stages) == {"metadata", "text", "model"}
    assert 0.05 < report.stages["text"].share < 0.9
    assert any(m.stage == "text" and "'note'" in m.what for m in report.mechanisms)
    network = private.codec_.value_encoders_["note"].network_
    assert network.report["private"] and network.report["steps"] >= 1
    assert network.report["noise_multiplier"] > 0.3
    # its schedule is planned from a noisy row count: the rate gives the table's rows no more
    rows, rate = len(notes), network.report["sample_rate"]
    assert abs(rate * rows - round(rate * rows)) > 1e-6


def test_nothing_read_outside_dp_sgd_is_kept(private, tmp_path):
    network = private.codec_.value_encoders_["note"].network_
    assert network.tokens.size == 260  # the bytes and the specials: no merges learned
    assert network.guard.hashes.size == 0  # no hashes of real texts
    assert all(c.given is not None for c in network.context.columns)  # the codec's DP codes
    private.save(tmp_path / "dp.simz")
    assert_file_keeps_none_of(tmp_path / "dp.simz", [SECRET, "spotted", "whale", "the big"], [])


def test_texts_are_written_for_the_rows_and_reproducible(private, tmp_path):
    out = private.sample(200, rng=1)
    texts = out["note"].dropna()
    assert len(texts) >= 150 and all(isinstance(t, str) for t in texts)
    assert texts.str.len().between(1, 260).mean() > 0.9
    again = private.sample(200, rng=1)
    pd.testing.assert_frame_equal(out, again)
    private.save(tmp_path / "dp.simz")
    pd.testing.assert_frame_equal(sim.load(tmp_path / "dp.simz").sample(200, rng=1), out)


def test_a_share_of_zero_writes_public_words(notes):
    model = mst(notes, privacy_share=0.0)
    encoder = model.codec_.value_encoders_["note"]
    assert encoder.generator_ == "words" and encoder.network_ is None
    assert set(model.privacy_report_.stages) == {"metadata", "model"}


def test_a_neural_model_composes_with_the_text_stage(notes):
    model = sim.MODELS["tvae"](metadata(notes, epochs=1), random_state=0, epochs=1,
                               privacy=PrivacyBudget(3.0, delta=1e-6)).fit(notes)
    report = model.privacy_report_
    assert {"metadata", "text", "model"} <= set(report.stages)
    assert report.epsilon <= 3.0 * (1 + 1e-6)
    assert len(model.sample(20)) == 20


@pytest.mark.parametrize("share", [0.1, 0.5])
def test_the_noise_leaves_the_rest_of_the_fit_its_share(share):
    from simulacra.encoders.language.private import noise_for  # imports torch: after the skips

    ledger = PrivacyLedger(PrivacyBudget(2.0, delta=1e-6), 10_000)
    ledger.spend("metadata", "bounds", 0.1 * ledger.total_rho)
    before = ledger.remaining_rho
    sigma = noise_for(ledger, share, 0.01, 500)
    curve = sgd_rdp(0.01, sigma, 500)
    assert ledger.remaining_rho_after(curve) >= (1 - share) * before
    assert ledger.remaining_rho_after(sgd_rdp(0.01, sigma * 0.99, 500)) < (1 - share) * before
    less = noise_for(ledger, min(share * 2, 0.9), 0.01, 500)
    assert less < sigma  # a bigger share buys less noise
    assert np.isfinite(sigma)


def test_fit_epsilon_on_the_command_line_prints_the_text_stage(notes, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    notes.to_csv(tmp_path / "notes.csv", index=False)
    metadata(notes, epochs=1).save(tmp_path / "notes.yaml")
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "fit", str(tmp_path / "notes.csv"), "--metadata", str(tmp_path / "notes.yaml"),
        "--model", "mst", "--epsilon", "4", "-p", "iterations=100", "--seed", "0",
        "-o", str(tmp_path / "dp.simz")])
    assert result.exit_code == 0, result.output
    assert "text" in result.output and "model" in result.output and SECRET not in result.output
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "sample", str(tmp_path / "dp.simz"), "-n", "20", "--seed", "1",
        "-o", str(tmp_path / "fake.csv")])
    assert result.exit_code == 0, result.output
    fake = pd.read_csv(tmp_path / "fake.csv")
    assert len(fake) == 20 and fake["note"].notna().sum() >= 10
