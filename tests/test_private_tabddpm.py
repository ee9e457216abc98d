"""TabDDPM under a privacy budget: DP codes, noisy quantile functions, DP-SGD."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.errors import ParameterError

pytest.importorskip("torch")
pytest.importorskip("opacus")

SMALL = {"epochs": 3, "embedding_dim": 8, "hidden_dims": (16, 16), "diffusion_steps": 50,
         "sampling_steps": 10}


def private(epsilon: float = 3.0, seed: int = 0, **kw) -> sim.TabDDPM:
    return sim.TabDDPM(random_state=seed, privacy=sim.PrivacyBudget(epsilon),
                       **{**SMALL, **kw})


@pytest.fixture(scope="module")
def model(dp_table) -> sim.TabDDPM:
    return private(10.0).fit(dp_table)  # enough ε for y's 60 nulls to pass their noisy count


def test_private_fit_spends_the_budget_and_samples_valid_frames(model, dp_table):
    out = model.sample(500)
    assert list(out.columns) == list(dp_table.columns)
    assert dict(out.dtypes) == dict(dp_table.dtypes)
    assert set(out["c"]) <= {"high", "low"} and out["k"].nunique() > 1
    assert not out["x"].isna().any()  # a column without nulls gets no null flag
    report = model.privacy_report_
    assert 0.95 * 10.0 <= report.epsilon <= 10.0
    assert report.delta == pytest.approx(1e-5) and report.budget.epsilon == 10.0
    assert set(report.stages) == {"metadata", "model"}
    assert report.stages["model"].share > report.stages["metadata"].share > 0
    assert "Rényi" in report.accountant and "zCDP" in report.accountant
    assert report.steps == 3 * 4 and report.sample_rate == pytest.approx(0.25)
    paid = [m.what for m in report.mechanisms if m.stage == "metadata"]
    # the numbers' code counts are paid for: they give the quantile functions
    assert {w.split(":")[0] for w in paid if "code counts (quantile transform)" in w} == \
        {"x", "y", "k", "d"}
    # every number goes through the quantile function of its DP codes; nulls are a flag
    assert {type(q).__name__ for q in model.quantiles_.values()} == {"BinQuantileNormal"}
    assert model.null_flags_ == ["y"] and "y#null" in model.discrete_
    assert out["y"].isna().any()


def test_defaults_under_a_budget_need_no_settings(dp_table):
    """``TabDDPM(privacy=...)``: DP epochs, batch, learning rate and widths, no hold-out."""
    from simulacra.models.diffusion.model import AUTOMATIC

    model = sim.TabDDPM(random_state=0, privacy=sim.PrivacyBudget(1.0), diffusion_steps=50,
                        sampling_steps=5).fit(dp_table.head(200))
    params = model.get_params()
    assert params["epochs"] is None and params["early_stopping"] is None
    epochs = AUTOMATIC["epochs"][1]
    assert model.epochs_trained_ == epochs and model.best_epoch_ is None
    assert model.privacy_report_.steps == epochs * 4  # small table: batch 50 of 200 rows
    assert model.privacy_report_.epsilon <= 1.0
    widths = [m.out_features for m in model.network_.mlp if hasattr(m, "out_features")]
    assert tuple(widths[:-1]) == AUTOMATIC["hidden_dims"][1]
    plain = sim.TabDDPM()  # without a budget the defaults are as before
    assert [plain._setting(p) for p in ("epochs", "batch_size", "learning_rate",
                                        "hidden_dims", "early_stopping")] == \
        [100, 1024, 2e-3, (512, 512, 512), True]


def test_automatic_learning_rate_follows_the_noise_and_a_given_one_is_kept(model, dp_table):
    """Left at None, the DP learning rate shrinks with DP-SGD's noise (a larger ε), from 5e-3
    at the noise it was chosen at down to the non-DP 2e-3; a given rate is used as it is."""
    from simulacra.models.diffusion.private import (
        DP_LEARNING_RATE,
        MIN_LEARNING_RATE,
        automatic_learning_rate,
    )

    rates = [automatic_learning_rate(sigma, 4096) for sigma in (50.0, 18.0, 6.8, 3.0, 0.5)]
    assert rates[0] == rates[1] == DP_LEARNING_RATE
    assert rates[1] > rates[2] > rates[3] > rates[4] == MIN_LEARNING_RATE
    # the noise of the mean gradient counts: a larger batch, a smaller rate
    assert automatic_learning_rate(6.8, 8192) < automatic_learning_rate(6.8, 4096)
    # in a fit: the rate of the calibrated noise, smaller under a larger ε
    report = model.privacy_report_  # ε = 10
    assert model.learning_rate_ == automatic_learning_rate(
        report.noise_multiplier, report.sample_rate * len(dp_table))
    larger = private(100.0).fit(dp_table)
    assert larger.privacy_report_.noise_multiplier < report.noise_multiplier
    assert MIN_LEARNING_RATE < larger.learning_rate_ < model.learning_rate_
    assert larger.get_params()["learning_rate"] is None
    given = private(100.0, learning_rate=1e-2).fit(dp_table)
    assert given.learning_rate_ == 1e-2 and given.get_params()["learning_rate"] == 1e-2


def test_conditions_and_remaining_columns_work_under_privacy(model):
    low = model.sample(100, conditions={"c": "low"}, rng=1)
    assert (low["c"] == "low").all()
    rows = model.sample_remaining_columns(pd.DataFrame({"c": ["high", "low", "high"]}), rng=2)
    assert rows["c"].tolist() == ["high", "low", "high"]


def test_report_and_samples_survive_save_load(model, tmp_path):
    path = tmp_path / "ddpm.simz"
    model.save(path)
    back = sim.load(path)
    assert back.privacy_report_ == model.privacy_report_ and back.privacy == model.privacy
    assert back.null_flags_ == model.null_flags_
    pd.testing.assert_frame_equal(back.sample(300, rng=3), model.sample(300, rng=3))


@pytest.mark.parametrize(("param", "value"), [
    ("max_grad_norm", 0), ("metadata_share", 0.9), ("bins", 1), ("epochs", 0),
    ("learning_rate", -1.0), ("hidden_dims", (0,)),
])
def test_bad_private_parameters_name_the_parameter(param, value, dp_table):
    with pytest.raises(ParameterError, match=param):
        private(**{param: value}).fit(dp_table)
    with pytest.raises(ParameterError, match="'privacy' parameter"):
        sim.TabDDPM(privacy=1.0).fit(dp_table)


def test_privacy_refuses_early_stopping_and_a_large_delta(dp_table):
    with pytest.raises(ParameterError, match="early_stopping"):
        private(early_stopping=True).fit(dp_table)
    with pytest.raises(ParameterError, match="'delta' parameter must be below 1/rows"):
        sim.TabDDPM(privacy=sim.PrivacyBudget(1.0, delta=1e-2), **SMALL).fit(dp_table)


def test_cli_fit_with_epsilon(dp_table, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    data = tmp_path / "t.csv"
    dp_table.to_csv(data, index=False)
    out = tmp_path / "m.simz"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "fit", str(data), "--model", "tabddpm", "--epsilon", "3", "--delta", "1e-4",
        "-o", str(out), "-p", "epochs=1", "-p", "hidden_dims=[16]", "-p", "sampling_steps=5"])
    assert result.exit_code == 0, result.output
    assert "Differential privacy" in result.output and "metadata" in result.output
    report = sim.load(out).privacy_report_
    assert report.epsilon <= 3.0 and report.delta == 1e-4


# -- the quantile function of DP codes -------------------------------------------------------------
def test_code_quantiles_round_trip_codes_in_value_order():
    """Scores follow the values (a frequent value where it lies among the bins) and decode to
    the same code and position."""
    from scipy.special import ndtr

    from simulacra.encoders.domains import NumericDomain
    from simulacra.models.quantile import BinQuantileNormal

    rng = np.random.default_rng(0)
    x = pd.Series(np.concatenate([np.full(400, 50.0), rng.uniform(0, 100, 600), [np.nan] * 50]))
    domain = NumericDomain.fit(x, bins=6, integer=False, declared=(0.0, 100.0), budget=None,
                               rng=rng)
    assert domain.atoms_ == [50.0] and domain.nullable_
    counts = np.bincount(domain.transform(x.to_numpy()), minlength=domain.size)
    q = BinQuantileNormal.fit(domain, counts)
    values = x.dropna().to_numpy()[400:]
    codes = domain.transform(values)
    edges = domain.edges_
    position = (values - edges[codes - 1]) / (edges[codes] - edges[codes - 1])
    z = q.transform(codes + position, rng)
    assert np.all(np.diff(z[np.argsort(values)]) >= 0)  # monotone in the value
    back = q.inverse_transform(z)
    np.testing.assert_array_equal(np.floor(back), codes)
    np.testing.assert_allclose(back - codes, position, atol=1e-6)
    # the frequent value spreads over its probability interval (0.4 wide), where 50 lies
    # among the bins (up to the bin that holds 50, ~0.1 of the mass)
    u = ndtr(q.transform(np.zeros(400), rng))
    below = np.sum(values < 50) / 1000
    assert below - 0.12 < u.min() and u.max() < below + 0.52 and u.max() - u.min() > 0.38
    null = q.transform(np.full(2000, float(domain.null_code)), rng)  # nulls: random scores
    assert abs(null.mean()) < 0.1 and abs(null.std() - 1) < 0.1
    assert not np.any(np.floor(q.inverse_transform(rng.normal(size=5000))) == domain.null_code)


# -- per-row clipping -----------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:There is a performance drop")  # vmap over scatter_
def test_ghost_clipping_gives_opacus_dp_optimizer_step():
    """The clipped sums of the diffusion loss give the step of opacus's DPOptimizer on per-row
    gradients of the same loss (same steps, noise and noisy categories per row)."""
    import torch

    from conftest import assert_same_step_as_opacus
    from simulacra.models.diffusion.denoiser import MLPDenoiser
    from simulacra.models.diffusion.loss import DiffusionLoss
    from simulacra.neural.clipping import ghost_clipped_sum
    from simulacra.neural.schedule import NoiseSchedule

    torch.manual_seed(0)
    sizes = [3, 2, 4]
    d = 2 + sum(sizes)
    loss = DiffusionLoss(MLPDenoiser(d, d, width=8, hidden_dims=(16, 12)), sizes,
                         NoiseSchedule.cosine(40).alpha_bar, x0_weight=1.0)
    num = torch.randn(30, 2)
    cat = torch.stack([torch.randint(0, s, (30,)) for s in sizes], 1)
    draws = loss.draw(num, cat, torch.Generator().manual_seed(1))
    assert_same_step_as_opacus(
        loss, lambda norm: ghost_clipped_sum(loss, lambda: loss(num, cat, *draws), norm),
        lambda call, *rows: call(*rows), num, cat, *draws, norms=(0.05, 1e9))


def test_ghost_clipping_refuses_a_layer_used_twice():
    import torch
    from torch import nn

    from simulacra.neural.clipping import ghost_clipped_sum

    layer = nn.Linear(3, 3)
    x = torch.randn(5, 3)
    with pytest.raises(TypeError, match="once"):
        ghost_clipped_sum(layer, lambda: layer(layer(x)).sum(1), 1.0)
