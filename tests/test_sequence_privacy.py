"""SequentialNetwork under a privacy budget: DP per entity (an entity with all its events)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from events import bursts
from leaks import assert_file_keeps_none_of
from simulacra.cli import app
from simulacra.errors import ParameterError

pytest.importorskip("torch")
pytest.importorskip("opacus")

EPSILON = 3.0
OUTLIER, PERSON, KEY = 987_654_321.5, "unique-person", 424_242_424


def private(**kw) -> sim.SequentialNetwork:
    settings = {"sequence_key": "user", "max_sequence_length": 8,
                "context_columns": ["kind"], "privacy": sim.PrivacyBudget(EPSILON),
                "epochs": 3, "random_state": 0, **kw}
    return sim.SequentialNetwork(**settings)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """Shoppers, one of whom (key ``KEY``, kind ``PERSON``) bought for ``OUTLIER`` in 2099,
    twenty times."""
    real = bursts(n=500)
    one = pd.DataFrame({"user": KEY, "kind": PERSON,
                        "date": [f"2099-01-{d:02d}" for d in range(1, 21)],
                        "amount": OUTLIER})
    return pd.concat([real, one], ignore_index=True)


@pytest.fixture(scope="module")
def fitted(planted) -> sim.SequentialNetwork:
    return private().fit(planted)


def test_spends_within_the_budget_per_entity(fitted):
    report = fitted.privacy_report_
    assert 0.5 * EPSILON <= report.epsilon <= EPSILON * (1 + 1e-9)
    assert {"metadata", "model"} <= set(report.stages) and report.steps == fitted.dp_steps_ > 0
    assert fitted.clock_ is None
    # neither the entity count (a noisy one is kept) nor the sampling rate gives 501 back
    assert fitted.n_entities_ != 501 and abs(fitted.n_entities_ - 501) < 60
    assert abs(report.sample_rate * 501 - round(report.sample_rate * 501)) > 1e-6
    # the context's codes are counted once per entity; the length's counts sum to ~501
    assert fitted.length_column_ in fitted.dp_counts_
    assert abs(fitted.dp_counts_[fitted.length_column_].sum() - 501) < 60
    assert report.stages["metadata"].share > 0


def test_the_planted_entity_leaves_nothing_in_the_file_or_the_samples(fitted, planted,
                                                                       tmp_path):
    path = tmp_path / "dp-events.simz"
    fitted.save(path)
    assert_file_keeps_none_of(path, [str(int(OUTLIER)), PERSON, str(KEY), "2099-"],
                              [OUTLIER, float(KEY)])
    out = fitted.sample(2000, rng=1)
    assert list(out.columns) == list(planted.columns)
    assert out["amount"].max() < 1e4 and PERSON not in set(out["kind"])
    assert KEY not in set(out["user"]) and not out["date"].str.startswith("2099").any()
    # entities are cut at max_sequence_length
    assert out.groupby("user").size().max() <= 8


def test_same_seed_same_sequences_and_a_round_trip(fitted, planted, tmp_path):
    first = fitted.sample(100, rng=2)
    pd.testing.assert_frame_equal(first, private().fit(planted).sample(100, rng=2))
    assert not first.equals(private(random_state=5).fit(planted).sample(100, rng=2))
    path = tmp_path / "again.simz"
    fitted.save(path)
    back = sim.load(path)
    assert back.privacy_report_ == fitted.privacy_report_
    pd.testing.assert_frame_equal(back.sample(100, rng=2), first)
    # conditions work on a private model too (post-processing)
    loyal = back.sample(30, conditions={"kind": "loyal"}, rng=3)
    assert set(loyal["kind"]) == {"loyal"} and loyal["user"].nunique() == 30


def test_fewer_steps_report_the_smaller_epsilon(planted):
    report = private(max_training_time=1e-9).fit(planted).privacy_report_
    assert report.steps == 0 and 0 < report.epsilon < 0.5 * EPSILON


@pytest.mark.parametrize(("settings", "message"), [
    ({"max_sequence_length": None}, "needs max_sequence_length"),
    ({"context_columns": None}, "needs context_columns"),
    ({"differences": ["amount"]}, "differences=... is not available"),
    ({"early_stopping": True}, "early_stopping=True cannot be combined"),
])
def test_what_privacy_needs_is_named(planted, settings, message):
    with pytest.raises(ParameterError, match=message):
        private(**settings).fit(planted)


def test_running_sums_are_refused_under_privacy(planted):
    frame = planted.assign(balance=planted.groupby("user")["amount"].cumsum())
    md = sim.Metadata.detect(frame, sequence_key="user").add_constraint(
        sim.RunningSum("balance", "amount"))
    with pytest.raises(ParameterError, match="running_sum constraints are not available"):
        private(metadata=md).fit(frame)


def test_the_command_line_fits_an_event_table_privately(planted, tmp_path):
    runner = CliRunner(env={"COLUMNS": "200"})
    planted.to_csv(tmp_path / "events.csv", index=False)
    args = ["fit", str(tmp_path / "events.csv"), "--sequence-key", "user", "--epsilon", "3",
            "-p", "max_sequence_length=8", "-p", "context_columns=[kind]", "-p", "epochs=2",
            "-o", str(tmp_path / "m.simz"), "--seed", "0"]

    def no_detection(*args, **kwargs):
        raise AssertionError("detection reads values; under a budget the kinds come from dtypes")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.Metadata, "detect", no_detection)
        r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "Metadata from the column types" in r.output
    assert "Differential privacy" in r.output and "withheld" in r.output
    assert "2099" not in r.output and str(int(OUTLIER)) not in r.output
    assert "501 entities" not in r.output and f"{len(planted):,} events" not in r.output
    assert_file_keeps_none_of(tmp_path / "m.simz", [PERSON, "2099-"], [OUTLIER])
    r = runner.invoke(app, ["sample", str(tmp_path / "m.simz"), "-n", "20", "-o",
                            str(tmp_path / "out.csv"), "--seed", "1"])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "out.csv")["user"].nunique() == 20
    r = runner.invoke(app, [*args[:4], "--epsilon", "3", "-o", str(tmp_path / "x.simz")])
    assert r.exit_code == 2 and "needs max_sequence_length and context_columns" in r.output
    assert not (tmp_path / "x.simz").exists()


def test_each_entity_is_clipped_whole_as_plain_autograd_does(fitted):
    """The per-entity sums of vmapped gradients (the GRU unrolled) equal clipping each
    entity's gradient from an ordinary backward pass through the fused GRU."""
    import numpy as np
    import torch

    from simulacra.models.sequential.model import _Padded
    from simulacra.models.sequential.private import clipped_entity_sum

    net = fitted.network_
    ctx, ev = fitted._positions()
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 9, 12)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    sizes = fitted.tokenizer_.sizes_
    tokens = np.stack([rng.integers(0, sizes[j], lengths.sum()) for j in range(len(sizes))], 1)
    data = _Padded(tokens[starts][:, ctx], tokens[:, ev], starts, lengths, "cpu")
    rows = np.array([3, 0, 7, 11, 5])
    for max_norm in (1e-3, 1e6):  # every entity clipped, none clipped
        net.unrolled = True
        got = clipped_entity_sum(net, data, rows, max_norm)
        net.unrolled = False
        params = [p for p in net.parameters() if p.requires_grad]
        want = [torch.zeros_like(p) for p in params]
        for row in rows:
            grads = torch.autograd.grad(net.nll(*data.tensors(np.array([row]))), params)
            norm = torch.sqrt(sum(g.square().sum() for g in grads))
            factor = min(1.0, max_norm / (float(norm) + 1e-6))
            want = [w + factor * g for w, g in zip(want, grads, strict=True)]
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
