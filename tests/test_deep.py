"""CTGAN and TVAE: mechanics on tiny settings, learning on small correlated data."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.models import MODELS

pytest.importorskip("torch")

DEEP = ["ctgan", "tvae"]
TINY = {"ctgan": {"epochs": 2, "batch_size": 100, "embedding_dim": 16,
                  "generator_dim": (32, 32), "discriminator_dim": (32, 32)},
        "tvae": {"epochs": 2, "batch_size": 100, "embedding_dim": 16,
                 "compress_dims": (32,), "decompress_dims": (32,)}}


def tiny(name: str, seed: int = 0, **kw) -> sim.Synthesizer:
    return MODELS[name](random_state=seed, **{**TINY[name], **kw})


@pytest.fixture(scope="module")
def related() -> pd.DataFrame:
    """2,000 rows: a strongly correlated numeric pair, a category tied to a number, a 2% one."""
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    group = np.where(x + rng.normal(scale=0.3, size=n) > 0, "hi", "lo")
    rare = np.where(rng.random(n) < 0.02, "rare", rng.choice(["a", "b", "c"], n))
    return pd.DataFrame({"x": x, "y": 3 * x + rng.normal(scale=0.5, size=n) + 10,
                         "group": group, "kind": rare})


# CTGAN learns slowly on 2,000 rows: ~5,000 steps at the paper's settings reach Spearman 0.68;
# a small pac and a higher learning rate get past 0.6 in ~2,000 steps (~12 s on 2 cores).
LEARN = {"ctgan": {"epochs": 100, "batch_size": 200, "pac": 2, "generator_lr": 5e-4,
                   "discriminator_lr": 5e-4},
         "tvae": {"epochs": 60, "batch_size": 100}}
MIN_SPEARMAN = {"ctgan": 0.5, "tvae": 0.7}


@pytest.fixture(scope="module")
def learned_models(related) -> dict[str, sim.Synthesizer]:
    return {name: MODELS[name](random_state=0, **LEARN[name]).fit(related) for name in DEEP}


@pytest.fixture(scope="module")
def learned(learned_models, related) -> dict[str, pd.DataFrame]:
    return {name: m.sample(len(related), rng=0) for name, m in learned_models.items()}


@pytest.mark.parametrize("name", DEEP)
def test_learns_numeric_and_category_number_dependence(name, learned):
    synth = learned[name]
    assert synth[["x", "y"]].corr(method="spearman").iloc[0, 1] > MIN_SPEARMAN[name]
    hi = synth["group"] == "hi"
    assert synth.loc[hi, "x"].mean() - synth.loc[~hi, "x"].mean() > 0.8
    assert 0.35 < hi.mean() < 0.65


def test_rare_category_still_appears_with_training_by_sampling(learned):
    # CTGAN's conditional training keeps a 2% category; TVAE is known to drop such categories
    share = (learned["ctgan"]["kind"] == "rare").mean()
    assert 0.005 < share < 0.06


def test_ctgan_conditions_steer_the_conditional_vector(learned_models, monkeypatch):
    model = learned_models["ctgan"]
    rare = model.sample(300, conditions={"kind": "rare"}, rng=1)
    assert (rare["kind"] == "rare").all() and len(rare) == 300
    steered = model.conditional_acceptance_
    hi = model.sample(300, conditions={"group": "hi"}, rng=1)
    assert (hi["group"] == "hi").all() and hi["x"].mean() > 0.3  # the dependence is kept
    # the same model with plain rejection sampling accepts far fewer rows
    monkeypatch.setattr(model, "_sample_given", lambda n, rng, conditions: model._sample(n, rng))
    model.sample(300, conditions={"kind": "rare"}, rng=1)
    assert steered > 0.5 and steered > 5 * model.conditional_acceptance_


@pytest.mark.parametrize("name", DEEP)
def test_early_stopping_keeps_the_best_epoch(name, related):
    model = MODELS[name](random_state=0, **{**LEARN[name], "epochs": 40},
                         early_stopping=True, patience=5).fit(related)
    history = model.validation_history_
    distances = [d for _, d in history]
    assert len(history) == model.epochs_trained_ <= 40
    assert [e for e, _ in history] == list(range(model.epochs_trained_))
    assert distances[model.best_epoch_ - 1] == min(distances)
    if model.epochs_trained_ < 40:  # stopped by patience, not by the epoch count
        assert model.epochs_trained_ - model.best_epoch_ == 5
    assert 0 <= min(distances) < distances[0]  # training brought samples closer to held-out rows
    assert len(model.sample(100)) == 100


def test_early_stopping_restores_the_best_weights():
    import torch

    from simulacra.neural.validation import Watch

    module = torch.nn.Linear(2, 1)
    watch = Watch(patience=2, module=module)
    saved = {}
    for epoch, d in enumerate([0.5, 0.3, 0.4, 0.45]):
        with torch.no_grad():
            module.weight.fill_(epoch)
        saved[epoch] = module.weight.clone()
        stop = watch.update(epoch, d)
    assert stop and watch.stopper.best_epoch == 1
    watch.restore()
    assert torch.equal(module.weight, saved[1])


def test_early_stopping_needs_enough_rows(mixed):
    with pytest.raises(sim.ParameterError, match="validation_fraction"):
        tiny("tvae", early_stopping=True).fit(mixed.head(300))


def test_segment_softmax_and_cross_entropies_match_torch():
    import torch

    from simulacra.models.deep.mode_normalizer import Span
    from simulacra.models.deep.networks import OutputLayout

    spans = [Span(0, 1, "tanh", "x"), Span(1, 3, "softmax", "x"), Span(4, 4, "softmax", "c"),
             Span(8, 2, "softmax", "d")]
    layout = OutputLayout(spans, spans[2:], torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    raw = torch.randn(64, 10, generator=gen) * 30  # wide logits: deep underflow territory
    out = layout.activate(raw, tau=None)
    assert torch.allclose(out[:, 0], torch.tanh(raw[:, 0]))
    for s in spans[1:]:
        assert torch.allclose(out[:, s.start:s.start + s.width],
                              torch.softmax(raw[:, s.start:s.start + s.width], dim=1), atol=1e-6)
    target = torch.zeros(64, 10)
    cats = {s.start: torch.randint(0, s.width, (64,), generator=gen) for s in spans[1:]}
    for s in spans[1:]:
        target[torch.arange(64), s.start + cats[s.start]] = 1
    expected = sum(torch.nn.functional.cross_entropy(
        raw[:, s.start:s.start + s.width], cats[s.start], reduction="sum") for s in spans[1:])
    assert torch.allclose(layout.softmax_cross_entropy_sum(raw, target), expected, rtol=1e-5)
    col = torch.randint(0, 2, (64,), generator=gen)
    cat = torch.where(col == 0, cats[4], cats[8])
    picked = [torch.nn.functional.cross_entropy(
        raw[i:i + 1, spans[2 + c].start:spans[2 + c].start + spans[2 + c].width], cat[i:i + 1])
        for i, c in enumerate(col.tolist())]
    assert torch.allclose(layout.conditional_cross_entropy(raw, col, cat),
                          torch.stack(picked).mean(), rtol=1e-5)
    # gumbel-softmax rows are distributions whatever the temperature
    soft = layout.activate(raw, tau=0.2, generator=gen)[:, 1:4]
    assert torch.allclose(soft.sum(1), torch.ones(64)) and bool((soft >= 0).all())


def test_session_flushes_subnormals_on_every_thread_then_restores():
    import torch

    from simulacra.neural.denormals import denormals_flushed
    from simulacra.neural.torch import torch_session

    tiny = torch.full((2_000_000,), 1e-40)  # float32 subnormals
    torch.set_num_threads(2)
    assert bool((tiny * 1.0 != 0).all())  # the thread pool exists before the session
    before = denormals_flushed()
    with torch_session(0, torch.device("cpu")):
        # the product is split over the pool's threads: every one of them flushes
        assert int((tiny * 1.0 != 0).sum()) == 0
    assert denormals_flushed() == before
    assert bool((tiny * 1.0 != 0).all())


def test_half_dropout_masks_half_from_its_generator():
    import torch

    from simulacra.models.deep.networks import HalfDropout

    drop = HalfDropout()
    drop.generator = torch.Generator().manual_seed(3)
    state = torch.random.get_rng_state()
    x = torch.ones(300, 257)
    y = drop(x)
    assert set(y.unique().tolist()) == {0.0, 2.0}
    assert 0.47 < (y == 0).float().mean().item() < 0.53
    assert torch.equal(torch.random.get_rng_state(), state)  # global state untouched
    drop.generator.manual_seed(3)
    assert torch.equal(drop(x), y)
    assert torch.equal(drop.eval()(x), x)


@pytest.mark.parametrize("name", DEEP)
def test_output_columns_dtypes_nulls_and_datetimes(name, mixed):
    synth = tiny(name).fit(mixed).sample(400)
    assert list(synth.columns) == list(mixed.columns)
    assert synth.dtypes.astype(str).to_dict() == mixed.dtypes.astype(str).to_dict()
    assert synth["price"].isna().any() and synth["price"].notna().any()
    assert pd.api.types.is_datetime64_any_dtype(synth["last_seen"])
    assert synth["last_seen"].notna().all()


@pytest.mark.parametrize("name", DEEP)
def test_save_load_same_samples(name, mixed, tmp_path):
    model = tiny(name, seed=5).fit(mixed)
    path = tmp_path / "m.simz"
    model.save(path)
    loaded = sim.load(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.sample(300, rng=2), model.sample(300, rng=2))


@pytest.mark.parametrize("name", DEEP)
def test_same_seed_same_samples_other_seed_differs(name, mixed):
    import torch

    state = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    a = tiny(name, seed=3).fit(mixed).sample(200)
    b = tiny(name, seed=3).fit(mixed).sample(200)
    c = tiny(name, seed=4).fit(mixed).sample(200)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    # the user's global torch state is untouched
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize(("name", "param", "value"), [
    ("ctgan", "epochs", 0), ("ctgan", "batch_size", 105), ("ctgan", "pac", 0),
    ("ctgan", "generator_dim", (256, -1)), ("ctgan", "discriminator_dim", "256"),
    ("ctgan", "generator_lr", 0.0), ("ctgan", "discriminator_decay", -1.0),
    ("ctgan", "discriminator_steps", 1.5), ("ctgan", "embedding_dim", True),
    ("ctgan", "max_training_time", -3), ("ctgan", "verbose", "yes"),
    ("ctgan", "log_frequency", 1), ("ctgan", "device", "tpu-ish"),
    ("ctgan", "early_stopping", "yes"), ("ctgan", "validation_fraction", 0.0),
    ("ctgan", "validation_fraction", 0.8), ("ctgan", "patience", 0),
    ("tvae", "patience", 2.5), ("tvae", "validation_fraction", "0.1"),
    ("tvae", "epochs", -1), ("tvae", "batch_size", 0), ("tvae", "compress_dims", ()),
    ("tvae", "decompress_dims", [0]), ("tvae", "l2scale", -1e-5),
    ("tvae", "learning_rate", float("nan")), ("tvae", "loss_factor", 0),
    ("tvae", "max_training_time", 0), ("tvae", "device", ""),
])
def test_bad_hyperparameters_name_the_parameter(name, param, value, mixed):
    with pytest.raises(sim.ParameterError, match=param):
        MODELS[name](**{param: value}).fit(mixed)


@pytest.mark.parametrize("name", DEEP)
def test_max_training_time_stops_early(name, mixed):
    started = time.perf_counter()
    model = tiny(name, epochs=100_000, max_training_time=1.0).fit(mixed)
    assert time.perf_counter() - started < 15
    assert 1 <= model.epochs_trained_ < 100_000
    assert len(model.sample(50)) == 50


@pytest.mark.parametrize("name", DEEP)
def test_verbose_progress_and_dims_survive_round_trip(name, mixed, tmp_path):
    model = tiny(name, verbose=True).fit(mixed)
    model.save(tmp_path / "m.simz")
    loaded = sim.load(tmp_path / "m.simz")
    assert loaded.get_params()["epochs"] == 2 and loaded.epochs_trained_ == 2


def test_ctgan_without_discrete_columns():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    df = pd.DataFrame({"x": x, "y": x + rng.normal(scale=0.1, size=300)})
    out = tiny("ctgan").fit(df).sample(100)
    assert list(out.columns) == ["x", "y"] and out.notna().all().all()


def test_torch_is_not_imported_by_simulacra():
    import subprocess

    code = "import sys, simulacra, simulacra.models; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_missing_torch_explains_the_extra(mixed, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(sim.SimulacraError, match=r"simulacra\[deep\]"):
        tiny("ctgan").fit(mixed)


def test_training_threads_follow_omp_num_threads(monkeypatch):
    import torch

    from simulacra.neural.torch import torch_session, training_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert training_threads() == 1
    with torch_session(0, torch.device("cpu")):
        assert torch.get_num_threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert 1 <= training_threads() <= (os.cpu_count() or 1)
