"""The autoregressive network under a privacy budget: DP codes, noisy biases, DP-SGD."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.errors import ParameterError

pytest.importorskip("torch")
pytest.importorskip("opacus")

SMALL = {"epochs": 3, "embedding_dim": 4, "hidden_dim": 16}


def private(epsilon: float = 3.0, seed: int = 0, **kw) -> sim.AutoregressiveNetwork:
    return sim.AutoregressiveNetwork(random_state=seed, privacy=sim.PrivacyBudget(epsilon),
                                     **{**SMALL, **kw})


@pytest.fixture(scope="module")
def model(dp_table) -> sim.AutoregressiveNetwork:
    return private(column_order=("c",)).fit(dp_table)


def test_private_fit_spends_the_budget_and_samples_valid_frames(model, dp_table):
    out = model.sample(500)
    assert list(out.columns) == list(dp_table.columns)
    assert dict(out.dtypes) == dict(dp_table.dtypes)
    assert set(out["c"]) == {"high", "low"} and out["k"].nunique() > 1
    assert not out["x"].isna().any()  # a column without nulls gets no null code
    report = model.privacy_report_
    assert 0.95 * 3.0 <= report.epsilon <= 3.0
    assert set(report.stages) == {"metadata", "model"}
    assert report.stages["model"].share > report.stages["metadata"].share > 0
    # the rate is planned from a noisy row count (the exact 600 would be readable from it)
    assert report.steps == 3 * 4 and report.sample_rate == pytest.approx(0.25, rel=0.1)
    paid = [m.what for m in report.mechanisms if m.stage == "metadata"]
    # every column's token counts are paid for: they start the heads' biases
    assert {w.split(":")[0] for w in paid if "code counts (output biases)" in w} == set(dp_table)
    # all columns are DP codes (numbers too), each with a token of its own
    assert model.tokenizer_.names_[0] == "c" and set(model.tokenizer_.kinds_.values()) == {"codes"}
    sizes = dict(zip(model.tokenizer_.names_, model.tokenizer_.sizes_, strict=True))
    assert sizes == {n: d.size for n, d in model.codec_.domains_.items()}


def test_defaults_under_a_budget_need_no_settings(dp_table):
    """``AutoregressiveNetwork(privacy=...)``: DP epochs, batch and learning rate, no hold-out."""
    from simulacra.models.autoregressive.model import AUTOMATIC

    model = sim.AutoregressiveNetwork(random_state=0, privacy=sim.PrivacyBudget(1.0),
                                      embedding_dim=4, hidden_dim=8).fit(dp_table.head(200))
    params = model.get_params()
    assert params["epochs"] is None and params["early_stopping"] is None
    epochs = AUTOMATIC["epochs"][1]
    assert model.epochs_trained_ == epochs and model.best_epoch_ is None
    assert model.privacy_report_.steps == epochs * 4  # small table: batch 50 of 200 rows
    assert model.privacy_report_.epsilon <= 1.0
    plain = sim.AutoregressiveNetwork()  # without a budget the defaults are as before
    assert [plain._setting(p) for p in ("epochs", "batch_size", "early_stopping")] == \
        [200, 512, True]


def test_conditions_and_imputation_work_under_privacy(model, dp_table):
    low = model.sample(200, conditions={"c": "low"}, rng=1)
    assert (low["c"] == "low").all()
    rows = model.sample_remaining_columns(pd.DataFrame({"c": ["high", "low", "high"]}), rng=2)
    assert rows["c"].tolist() == ["high", "low", "high"]
    holes = dp_table.dropna().head(40).copy()
    holes.loc[holes.index[:10], "x"] = np.nan
    holes.loc[holes.index[10:20], "c"] = None
    filled = model.impute(holes, rng=0)
    assert not filled[["x", "c"]].isna().any().any()
    pd.testing.assert_frame_equal(filled.iloc[20:], holes.iloc[20:])  # known values stay
    pd.testing.assert_frame_equal(filled.drop(columns=["x", "c"]), holes.drop(columns=["x", "c"]))


def test_report_and_samples_survive_save_load(model, tmp_path):
    path = tmp_path / "ar.simz"
    model.save(path)
    back = sim.load(path)
    assert back.privacy_report_ == model.privacy_report_ and back.privacy == model.privacy
    pd.testing.assert_frame_equal(back.sample(300, rng=3), model.sample(300, rng=3))
    pd.testing.assert_frame_equal(back.sample(50, conditions={"c": "high"}, rng=4),
                                  model.sample(50, conditions={"c": "high"}, rng=4))


@pytest.mark.parametrize(("param", "value"), [
    ("max_grad_norm", 0), ("metadata_share", 0.9), ("bins", 1), ("epochs", 0),
    ("learning_rate", -1.0), ("batch_size", 2.5),
])
def test_bad_private_parameters_name_the_parameter(param, value, dp_table):
    with pytest.raises(ParameterError, match=param):
        private(**{param: value}).fit(dp_table)
    with pytest.raises(ParameterError, match="'privacy' parameter"):
        sim.AutoregressiveNetwork(privacy=1.0).fit(dp_table)


def test_cli_fit_with_epsilon(dp_table, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    data = tmp_path / "t.csv"
    dp_table.to_csv(data, index=False)
    out = tmp_path / "m.simz"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "fit", str(data), "--model", "autoregressive", "--epsilon", "3", "-o", str(out),
        "-p", "epochs=1", "-p", "hidden_dim=8"])
    assert result.exit_code == 0, result.output
    assert "Differential privacy" in result.output and "metadata" in result.output
    assert sim.load(out).privacy_report_.epsilon <= 3.0


# -- per-row clipping -----------------------------------------------------------------------------
def test_clipped_sums_give_opacus_dp_optimizer_step():
    """Norms from layer outputs give the step of opacus's DPOptimizer on per-row gradients."""
    import torch

    from conftest import assert_same_step_as_opacus
    from simulacra.models.autoregressive.network import ColumnMADE
    from simulacra.models.autoregressive.private import clipped_grad_sum

    torch.manual_seed(0)
    sizes = [3, 5, 2, 7]
    net = ColumnMADE(sizes, 4, 6)
    with torch.no_grad():  # away from the initial zeros, so that every term matters
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    tokens = torch.stack([torch.randint(0, s, (40,)) for s in sizes], 1)
    names = [n for n, _ in net.named_parameters()]
    assert_same_step_as_opacus(
        net, lambda norm: [clipped_grad_sum(net, tokens, norm)[n] for n in names],
        lambda call, t: net.token_nll(call(t), t).sum(), tokens, norms=(0.5, 1e9))


def test_clipping_in_chunks_is_the_same_sum(monkeypatch):
    import torch

    from simulacra.models.autoregressive import private as dp
    from simulacra.models.autoregressive.network import ColumnMADE

    torch.manual_seed(1)
    net = ColumnMADE([4, 3, 6], 3, 5)
    tokens = torch.stack([torch.randint(0, s, (30,)) for s in (4, 3, 6)], 1)
    whole = dp.clipped_grad_sum(net, tokens, 0.3)
    monkeypatch.setattr(dp, "CHUNK_CELLS", 7 * 3 * 6)  # 7 rows a chunk
    chunked = dp.clipped_grad_sum(net, tokens, 0.3)
    for name, value in whole.items():
        torch.testing.assert_close(chunked[name], value, rtol=1e-5, atol=1e-6)
    assert all(not v.any() for v in dp.clipped_grad_sum(net, tokens[:0], 0.3).values())


def test_calibration_gives_the_measured_marginals():
    """After calibration every column's marginal is its noisy counts' (those above 3σ)."""
    import torch

    from simulacra.models.autoregressive.network import ColumnMADE
    from simulacra.models.autoregressive.private import calibrate_marginals

    torch.manual_seed(0)
    net = ColumnMADE([3, 4], 4, 8)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    counts = [np.array([600, 300, 100]), np.array([500, 5, 300, 200])]  # 5 is below 3σ
    first_only = copy.deepcopy(net)  # no count of the second column stands above the noise
    calibrate_marginals(first_only, [counts[0], np.zeros(4)], 10.0, 20_000,
                        torch.Generator().manual_seed(1))
    calibrate_marginals(net, counts, 10.0, 20_000, torch.Generator().manual_seed(1))
    after, before = _marginals(net, 40_000), _marginals(first_only, 40_000)
    np.testing.assert_allclose(after[0], [0.6, 0.3, 0.1], atol=0.01)
    np.testing.assert_allclose(before[0], after[0], atol=0.01)
    # the unsure code keeps the network's share; the others split the rest 5 : 3 : 2
    assert abs(after[1][1] - before[1][1]) < 0.02
    np.testing.assert_allclose(after[1][[0, 2, 3]] / (1 - after[1][1]), [0.5, 0.3, 0.2],
                               atol=0.015)


def _marginals(net, rows: int) -> list[np.ndarray]:
    import torch

    gen = torch.Generator().manual_seed(7)
    tokens = torch.zeros((rows, net.c), dtype=torch.int64)
    with torch.no_grad():
        for j in range(net.c):
            probs = torch.softmax(net.column_logits(tokens, j), 1)
            tokens[:, j] = torch.multinomial(probs, 1, generator=gen).squeeze(1)
    return [np.bincount(tokens[:, j].numpy(), minlength=s) / rows
            for j, s in enumerate(net.sizes)]
