"""TabDDPM: schedule, the two diffusion processes, learning, early stopping, files, params."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.models.quantile import QuantileNormal
from simulacra.neural.schedule import NoiseSchedule

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def related() -> pd.DataFrame:
    """3,000 rows: a category driving a number, a number driving another, nulls, a rare value."""
    rng = np.random.default_rng(0)
    n = 3000
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    base = {"a": 0.0, "b": 5.0, "c": 10.0}
    x = np.array([base[g] for g in group]) + rng.normal(size=n)
    y = np.round(2 * x + rng.normal(scale=0.5, size=n), 1)
    y[rng.random(n) < 0.1] = np.nan
    rare = np.where(rng.random(n) < 0.02, "rare", rng.choice(["u", "v"], n))
    zeros = np.where(rng.random(n) < 0.7, 0.0, rng.exponential(100, n).round())
    return pd.DataFrame({"group": group, "x": x, "y": y, "kind": rare, "gain": zeros})


@pytest.fixture(scope="module")
def model(related) -> sim.TabDDPM:
    return sim.TabDDPM(random_state=0, epochs=150, hidden_dims=(256, 256),
                       sampling_steps=100).fit(related)


def test_schedule_is_cosine_and_respacing_keeps_alpha_bar():
    s = NoiseSchedule.cosine(100)
    assert np.all(np.diff(s.alpha_bar) < 0) and s.alpha_bar[0] > 0.999
    steps, alpha_bar, alpha = s.respaced(10)
    assert steps[0] == 0 and steps[-1] == 99 and len(steps) == 10
    assert np.allclose(alpha_bar, s.alpha_bar[steps]) and np.allclose(np.cumprod(alpha),
                                                                       alpha_bar)


def test_multinomial_process_marginal_posterior_and_kl():
    from simulacra.models.diffusion.multinomial import Categories

    cats = Categories([2, 4])
    x0 = cats.one_hot(torch.tensor([[1, 3]] * 20000))
    gen = torch.Generator().manual_seed(0)
    drawn = cats.sample(cats.marginal(x0, torch.full((20000,), 0.6)), gen)
    # kept with probability 0.6, else uniform: P(x_t = x_0) = 0.6 + 0.4 / K
    assert abs((drawn[:, 0] == 1).float().mean().item() - 0.8) < 0.01
    assert abs((drawn[:, 1] == 3).float().mean().item() - 0.7) < 0.01
    assert int(drawn[:, 1].max()) <= 3  # padding is never drawn
    # the posterior is a distribution and agrees with Bayes' rule computed by hand
    x_t = cats.one_hot(torch.tensor([[0, 0]]))
    post = cats.posterior(x_t, x0[:1], torch.tensor([0.5]), torch.tensor([0.8]))
    a, ab = 0.5, 0.8
    by_hand = np.array([(a + (1 - a) / 4) * ((1 - ab) / 4), (1 - a) / 4 * ((1 - ab) / 4),
                        (1 - a) / 4 * ((1 - ab) / 4), (1 - a) / 4 * (ab + (1 - ab) / 4)])
    assert np.allclose(post[0, 1].numpy(), by_hand / by_hand.sum(), atol=1e-6)
    assert torch.allclose(post.sum(-1), torch.ones(1, 2))
    assert float(cats.kl(post, post).abs().max()) < 1e-6
    assert float(cats.kl(post, cats.posterior(x_t, cats.one_hot(torch.tensor([[0, 0]])),
                                              torch.tensor([0.5]), torch.tensor([0.8])))[0, 1]) > 0


def test_gaussian_reverse_step_recovers_clean_values_from_exact_noise():
    from simulacra.models.neural import gaussian

    gen = torch.Generator().manual_seed(0)
    x0 = torch.randn(1000, 3, generator=gen)
    noise = torch.randn(1000, 3, generator=gen)
    ab = torch.full((1000,), 0.3)
    x_t = gaussian.noisy(x0, ab, noise)
    # at the last step (previous ᾱ = 1) the step returns x̂_0, exact when ε̂ is exact
    back = gaussian.reverse_step(x_t, noise, alpha=ab, alpha_bar=ab,
                                 alpha_bar_prev=torch.ones(1000),
                                 noise=torch.randn(1000, 3, generator=gen), clip=10.0)
    assert torch.allclose(back, x0, atol=1e-5)


def test_quantile_transform_round_trips_values_and_spreads_ties():
    rng = np.random.default_rng(1)
    x = np.concatenate([np.zeros(600), rng.gamma(2.0, 50.0, 400).round()])
    q = QuantileNormal().fit(x)
    z = q.transform(x, rng)
    assert z[:600].std() > 0.3  # the tied zeros are spread over their interval
    back = q.inverse_transform(z)
    assert np.mean(back == 0) == pytest.approx(0.6, abs=0.001)
    assert np.abs(np.sort(back) - np.sort(x)).max() < 3.0
    again = QuantileNormal.from_state(q.get_state())
    assert np.array_equal(again.inverse_transform(z), back)


def test_learns_dependencies_marginals_nulls_and_rare_values(model, related):
    synth = model.sample(3000, rng=0)
    assert list(synth.columns) == list(related.columns)
    means = synth.groupby("group")["x"].mean()
    assert means["a"] < 1.5 < 3.5 < means["b"] < 6.5 < 8.5 < means["c"]
    assert synth[["x", "y"]].corr().iloc[0, 1] > 0.9
    assert abs(synth["y"].isna().mean() - related["y"].isna().mean()) < 0.04
    assert 0.005 < (synth["kind"] == "rare").mean() < 0.05
    assert abs((synth["gain"] == 0).mean() - (related["gain"] == 0).mean()) < 0.05
    shares = synth["group"].value_counts(normalize=True)
    assert abs(shares["a"] - 0.5) < 0.05 and abs(shares["c"] - 0.2) < 0.05


def test_early_stopping_records_the_held_out_loss(model):
    losses = [d for _, d in model.validation_history_]
    assert model.best_epoch_ is not None and losses[model.best_epoch_ - 1] == min(losses)
    assert min(losses) < losses[0]


def test_save_load_and_seeds(model, tmp_path):
    path = tmp_path / "ddpm.simz"
    model.save(path)
    loaded = sim.load(path)
    pd.testing.assert_frame_equal(loaded.sample(300, rng=4), model.sample(300, rng=4))
    assert not model.sample(300, rng=5).equals(model.sample(300, rng=4))


def test_same_seed_same_model(related):
    small = related.head(400)
    kw = {"epochs": 3, "hidden_dims": (32,), "sampling_steps": 10}
    a = sim.TabDDPM(random_state=3, **kw).fit(small).sample(100, rng=0)
    b = sim.TabDDPM(random_state=3, **kw).fit(small).sample(100, rng=0)
    pd.testing.assert_frame_equal(a, b)


def test_only_numeric_or_only_discrete_columns():
    rng = np.random.default_rng(0)
    nums = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    cats = pd.DataFrame({"c": rng.choice(["x", "y"], 300), "d": rng.choice(["p", "q"], 300)})
    for df in (nums, cats):
        out = sim.TabDDPM(random_state=0, epochs=2, hidden_dims=(16,),
                          sampling_steps=5).fit(df).sample(50)
        assert list(out.columns) == list(df.columns) and len(out) == 50


@pytest.mark.parametrize(("param", "value"), [
    ("hidden_dims", (0,)), ("diffusion_steps", 1), ("sampling_steps", 2000),
    ("dropout", 1.0), ("learning_rate", 0), ("weight_decay", -1.0), ("epochs", 0),
])
def test_bad_hyperparameters_name_the_parameter(param, value, related):
    with pytest.raises(sim.ParameterError, match=param):
        sim.TabDDPM(**{param: value}).fit(related)
