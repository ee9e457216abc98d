"""DP-SGD for TVAE and CTGAN: the private transformation, the accountant, the guarantee reported."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import simulacra as sim
from simulacra.errors import ParameterError, SimulacraError
from simulacra.models import MODELS
from simulacra.privacy.rdp import (
    DEFAULT_ORDERS,
    calibrate_noise,
    rdp_epsilon,
    sgd_rdp,
    zcdp_rdp,
)

pytest.importorskip("torch")
pytest.importorskip("opacus")

SMALL = {"tvae": {"epochs": 2, "batch_size": 100, "embedding_dim": 16,
                  "compress_dims": (32,), "decompress_dims": (32,)},
         "ctgan": {"epochs": 2, "batch_size": 100, "embedding_dim": 16,
                   "generator_dim": (32,), "discriminator_dim": (32,)}}


def private(name: str, epsilon: float = 3.0, seed: int = 0, **kw) -> sim.Synthesizer:
    return MODELS[name](random_state=seed, privacy=sim.PrivacyBudget(epsilon),
                        **{**SMALL[name], **kw})


@pytest.fixture(scope="module")
def tvae(dp_table) -> sim.Synthesizer:
    return private("tvae").fit(dp_table)


# -- the models ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tvae", "ctgan"])
def test_private_fit_samples_valid_frames_and_spends_the_budget(name, dp_table, tvae):
    model = tvae if name == "tvae" else private(name).fit(dp_table)
    out = model.sample(300)
    assert list(out.columns) == list(dp_table.columns)
    assert dict(out.dtypes) == dict(dp_table.dtypes)
    assert set(out["c"].dropna()) <= {"high", "low"}
    assert out["c"].nunique() == 2 and out["k"].nunique() > 1  # no collapse to the mode
    report = model.privacy_report_
    assert 0.9 * 3.0 <= report.epsilon <= 3.0
    assert report.delta == pytest.approx(1e-5) and report.budget.epsilon == 3.0
    assert set(report.stages) == {"metadata", "model"}
    assert report.stages["model"].share > report.stages["metadata"].share > 0
    assert "Rényi" in report.accountant and "zCDP" in report.accountant
    assert report.steps > 0 and report.noise_multiplier > 0
    assert report.max_grad_norm == 1.0 and 0 < report.sample_rate < 1


def test_ctgan_private_conditions_and_packing(dp_table):
    model = private("ctgan", pac=10).fit(dp_table)  # packs are not used under privacy
    out = model.sample(50, conditions={"c": "low"})
    assert (out["c"] == "low").all()
    counts = model.sampler_.counts_
    assert all(np.all(c >= 1) for c in counts)  # noisy counts, floored


def test_without_privacy_nothing_changes(dp_table):
    model = MODELS["tvae"](random_state=0, **SMALL["tvae"]).fit(dp_table)
    assert model.privacy_report_ is None
    assert type(model.transformer_).__name__ == "ModeNormalizer"


# -- parameters -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tvae", "ctgan"])
@pytest.mark.parametrize(("param", "value"), [
    ("max_grad_norm", 0), ("max_grad_norm", -1.0), ("max_grad_norm", float("nan")),
    ("max_grad_norm", "1"), ("max_grad_norm", True), ("metadata_share", 0.0),
    ("metadata_share", 0.9), ("bins", 1), ("privacy", 1.0),
])
def test_bad_private_parameters_name_the_parameter(name, param, value, dp_table):
    kw = {"privacy": sim.PrivacyBudget(1.0), param: value}
    with pytest.raises(ParameterError, match=param):
        MODELS[name](**{**SMALL[name], **kw}).fit(dp_table)


def test_missing_opacus_explains_the_extra(dp_table, monkeypatch):
    monkeypatch.setitem(sys.modules, "opacus", None)  # makes `import opacus` fail
    with pytest.raises(SimulacraError, match=r"simulacra\[dp\]"):
        private("tvae").fit(dp_table)


# -- the accountant -------------------------------------------------------------------------------
@pytest.mark.parametrize(("q", "sigma", "steps"), [(0.01, 1.1, 1000), (0.2, 3.0, 50),
                                                    (0.004, 0.7, 5000)])
def test_rdp_matches_opacus_accountant(q, sigma, steps):
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    for _ in range(steps):
        accountant.step(noise_multiplier=sigma, sample_rate=q)
    alphas = np.array(RDPAccountant.DEFAULT_ALPHAS, dtype=float)
    expected, order = accountant.get_privacy_spent(delta=1e-5)
    ours, our_order = rdp_epsilon(sgd_rdp(q, sigma, steps, alphas), alphas, 1e-5)
    assert ours == pytest.approx(expected, rel=1e-9) and our_order == order
    # our grid holds opacus's orders and more: never a larger ε
    assert rdp_epsilon(sgd_rdp(q, sigma, steps), DEFAULT_ORDERS, 1e-5)[0] <= expected + 1e-12


def test_epsilon_is_monotone_and_calibration_meets_the_budget():
    def eps(q=0.01, sigma=1.0, steps=500, rho=0.0):
        return rdp_epsilon(zcdp_rdp(rho) + sgd_rdp(q, sigma, steps), DEFAULT_ORDERS, 1e-5)[0]

    base = eps()
    assert eps(sigma=1.5) < base < eps(sigma=0.8)
    assert eps(steps=250) < base < eps(steps=1000)
    assert eps(q=0.005) < base < eps(q=0.02)
    assert base < eps(rho=0.01)
    for target, rho in [(1.0, 0.001), (3.0, 0.02), (10.0, 0.1)]:
        sigma = calibrate_noise(target, 1e-5, sample_rate=0.01, steps=500, rho=rho)
        assert 0.99 * target < eps(sigma=sigma, rho=rho) <= target
        assert eps(sigma=sigma * 0.99, rho=rho) > target  # the smallest noise that fits
    with pytest.raises(ValueError, match="alone"):
        calibrate_noise(0.1, 1e-5, sample_rate=0.01, steps=10, rho=1.0)


def test_cli_fit_prints_the_privacy_table(dp_table, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    data = tmp_path / "t.csv"
    dp_table.to_csv(data, index=False)
    out = tmp_path / "m.simz"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [
        "fit", str(data), "--model", "tvae", "--epsilon", "3", "-o", str(out),
        "-p", "epochs=1", "-p", "compress_dims=[32]", "-p", "decompress_dims=[32]"])
    assert result.exit_code == 0, result.output
    assert "Differential privacy" in result.output
    assert "metadata" in result.output and "model" in result.output
    assert sim.load(out).privacy_report_.epsilon <= 3.0


# -- the noisy step -------------------------------------------------------------------------------
def test_ghost_clipping_step_equals_opacus_dp_optimizer():
    """TVAE's ghost-clipped step gives the gradients of opacus's DPOptimizer on per-row grads."""
    import torch

    from conftest import assert_same_step_as_opacus
    from simulacra.models.deep import networks as nets
    from simulacra.models.deep.mode_normalizer import Span
    from simulacra.models.deep.private_training import VAELoss, ghost_clipped_grads

    spans = [Span(0, 1, "tanh", "a"), Span(1, 3, "softmax", "a"), Span(4, 2, "softmax", "b")]
    layout = nets.OutputLayout(spans, [], torch.device("cpu"))
    torch.manual_seed(0)
    vae = VAELoss(nets.Encoder(6, (16,), 4), nets.Decoder(4, (16,), 6), layout, 2.0)
    x = torch.zeros(40, 6)
    x[:, 0] = torch.rand(40) * 2 - 1
    x[torch.arange(40), 1 + torch.randint(0, 3, (40,))] = 1
    x[torch.arange(40), 4 + torch.randint(0, 2, (40,))] = 1
    eps = torch.randn(40, 4)
    assert_same_step_as_opacus(vae, lambda norm: ghost_clipped_grads(vae, x, eps, norm),
                               lambda call, *rows: call(*rows), x, eps, norms=(5.0, 1e9))
