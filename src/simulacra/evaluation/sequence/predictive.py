"""Predictive score: does a model trained on synthetic sequences predict real ones?

TimeGAN's post-hoc predictor (Yoon, Jarrett & van der Schaar, NeurIPS 2019,
``metrics/predictive_metrics.py``; Diffusion-TS ``Utils/predictive_metric.py`` is the same):

1. from each unit of ``T`` steps and ``F`` features (scaled to [0, 1]), the input is the first
   ``T − 1`` steps of all features but the last, the target the **last feature** one step
   ahead (steps ``2..T``);
2. a GRU (hidden size ``F // 2``) and a linear map with a sigmoid give a prediction at every
   step; it is trained on the *synthetic* units with Adam (learning rate 1e-3) for a fixed
   number of iterations (TimeGAN: 5000) on random batches of 128, loss the mean absolute
   error;
3. the score is its mean absolute error on the *real* units: each unit's MAE over its steps,
   averaged over units. Lower is better; there is no absolute ideal, so the same model
   trained on real units gives the reference a reader compares with.

Differences from TimeGAN's code, in the open: with a single feature the input is that feature
itself (TimeGAN's input would be empty); units may differ in length (padding is not scored);
null targets are not scored; the hidden size is at least 16; every draw from ``random_state``.

>>> rng = np.random.default_rng(0)
>>> def waves(n):
...     phase = rng.uniform(0, 6, n)
...     return [np.c_[np.sin(np.arange(16) / 2 + p), np.cos(np.arange(16) / 2 + p)] / 2 + 0.5
...             for p in phase]
>>> real, synthetic = waves(50), waves(50)
>>> noise = [rng.uniform(0, 1, (16, 2)) for _ in range(50)]
>>> good = predictive_score(synthetic, real, iterations=300, random_state=0)
>>> bad = predictive_score(noise, real, iterations=300, random_state=0)
>>> good < bad
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData
from simulacra.evaluation.sequence.features import (
    MAX_UNITS,
    WINDOW,
    SequenceFeatures,
    as_units,
    check_training,
)
from simulacra.neural.torch import require_torch
from simulacra.randomness import RandomState, child_seed, make_rng

#: TimeGAN's settings.
ITERATIONS = 5000
BATCH_SIZE = 128
LAYERS = 1
#: Fewer training units (of two steps or more) than this and the score is not computed.
MIN_UNITS = 10

DEFINITION = ("Mean absolute error on the real sequences of a GRU trained on the synthetic "
              "sequences to predict the next step of the target column (TimeGAN's post-hoc "
              "predictive score; features min-max scaled to [0, 1]). Reference: the same "
              "model trained on real sequences (the holdout's, given one).")


def predictive_score(
    train: Sequence[np.ndarray] | np.ndarray,
    test: Sequence[np.ndarray] | np.ndarray,
    *,
    iterations: int = ITERATIONS,
    batch_size: int = BATCH_SIZE,
    layers: int = LAYERS,
    hidden: int | None = None,
    random_state: RandomState = 0,
    device: str = "cpu",
) -> float:
    """MAE on ``test`` units of a one-step-ahead GRU predictor of the last feature trained on
    ``train`` units (each a ``(T, F)`` array scaled to [0, 1]; units shorter than 2 steps
    are skipped). NaN when no test unit has a target to score.
    """
    torch = require_torch()
    from simulacra.evaluation.sequence.networks import GRUPredictor, hidden_size, posthoc_session
    from simulacra.neural.optim import adam

    check_training(iterations=iterations, batch_size=batch_size, layers=layers)
    train_units = [u for u in as_units(train, "train") if len(u) >= 2]
    test_units = [u for u in as_units(test, "test") if len(u) >= 2]
    if not train_units or not test_units:
        return float("nan")
    features = train_units[0].shape[1]
    x_train, y_train = _pairs(train_units)
    x_test, y_test = _pairs(test_units)
    rng = make_rng(random_state)
    with posthoc_session(child_seed(rng), device) as dev:
        net = GRUPredictor(x_train.shape[2], hidden_size(features, hidden), layers).to(dev)
        opt = adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=0.0)
        xt, yt = torch.from_numpy(x_train).to(dev), torch.from_numpy(y_train).to(dev)
        net.train()
        for _ in range(int(iterations)):
            batch = torch.from_numpy(rng.permutation(len(train_units))[:batch_size])
            y = yt[batch]
            scored = ~torch.isnan(y)
            width = int(scored.any(0).nonzero().max()) + 1 if bool(scored.any()) else 1
            pred = net(xt[batch][:, :width])
            error = torch.where(scored[:, :width], (pred - y[:, :width].nan_to_num()).abs(),
                                torch.zeros((), device=dev))
            loss = error.sum() / scored.sum().clamp(min=1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            pred = np.concatenate([net(torch.from_numpy(x_test[i: i + 4096]).to(dev)).cpu()
                                   .numpy() for i in range(0, len(x_test), 4096)])
    errors = np.abs(pred - y_test)                     # NaN where padded or null
    scored = ~np.isnan(errors)
    per_unit = np.nansum(errors, axis=1)[scored.any(1)] / scored.sum(1)[scored.any(1)]
    return float(per_unit.mean()) if per_unit.size else float("nan")


def predictive_metric(data: SequenceData, features: SequenceFeatures,
                      rng: np.random.Generator, *, window: int = WINDOW,
                      iterations: int = ITERATIONS, layers: int = LAYERS,
                      max_units: int = MAX_UNITS, real_reference: bool = True,
                      device: str = "cpu") -> Metric:
    """:func:`predictive_score` trained on the synthetic units, scored on the real ones.

    With ``real_reference`` the same model trained on the real units themselves (scored on
    the same real units) is the ``reference``: what the real data's own dynamics allow.
    """
    real, real_note = features.sample_units(data.real, window, max_units, rng)
    synth, synth_note = features.sample_units(data.synth, window, max_units, rng)
    notes = [n for n in (data.note, real_note and f"real: {real_note}",
                         synth_note and f"synthetic: {synth_note}") if n]
    usable = min(sum(len(u) >= 2 for u in real), sum(len(u) >= 2 for u in synth))
    if features.target is None or usable < MIN_UNITS:
        why = ("no numerical event column to predict" if features.target is None else
               f"needs {MIN_UNITS} units of two events or more per side")
        return Metric("predictive score", "sequence", float("nan"), definition=DEFINITION,
                      direction="lower", note=f"not computed: {why}")
    settings = {"iterations": iterations, "layers": layers, "device": device}
    value = predictive_score(synth, real, random_state=rng, **settings)
    details = {"target": features.target, "inputs": features.names[:-1] or features.names,
               "window": window, "iterations": iterations, "layers": layers,
               "batch_size": BATCH_SIZE, "trained_on_synthetic": value}
    reference = None
    if real_reference:
        reference = predictive_score(real, real, random_state=rng, **settings)
        details["trained_on_real"] = reference
    return Metric(
        "predictive score", "sequence", value, definition=DEFINITION, direction="lower",
        reference=reference, reference_label="trained on real", note="; ".join(notes),
        details=details)


def _pairs(units: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(N, T − 1, F − 1)`` (all features but the last; the last alone when it is the
    only one), zero-padded, and targets ``(N, T − 1)``: the last feature one step ahead, NaN
    where padded or null."""
    width = max(len(u) for u in units) - 1
    features = units[0].shape[1]
    inputs = slice(0, features - 1) if features > 1 else slice(0, 1)
    x = np.zeros((len(units), width, inputs.stop), dtype=np.float32)
    y = np.full((len(units), width), np.nan, dtype=np.float32)
    for i, unit in enumerate(units):
        x[i, : len(unit) - 1] = unit[:-1, inputs]
        y[i, : len(unit) - 1] = unit[1:, -1]
    return np.nan_to_num(x, nan=0.0), y
