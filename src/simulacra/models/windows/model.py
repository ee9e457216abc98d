"""``WindowDiffusion``: fixed-length windows of a multivariate time series, by diffusion.

The windows of a series (:mod:`simulacra.windows`: every ``length`` consecutive rows, one
entity each) are all the same length and all numeric — the case the time-series generation
literature benchmarks (TimeGAN, Diffusion-TS). :class:`~simulacra.SequentialNetwork` draws
every value of every step as a token, one after another: exact, but a window of 28 columns is
28 × 24 draws and its training slows in proportion. This model generates a whole window at
once, the way Diffusion-TS (Yuan & Qiao, ICLR 2024) does, sized for a CPU:

1. The table codec encodes the event columns (the codec contract every model shares); each
   encoded column is a *channel*, mapped to normal scores through its quantile function
   (``marginals="normal"``, :class:`~simulacra.models.quantile.QuantileNormal`) or only
   standardised (``"standard"``). A datetime or numeric
   ``sequence_index`` is split as in the sequential network
   (:class:`~simulacra.models.sequential.timing.EventTimes`) into the gap since the previous
   step and the window's first time, each a channel — except the gaps of a regular series
   (the same at every step of every window), which are kept as they are, and its windows then
   start on the series' own grid.
2. Training: Gaussian diffusion on the window ``(length, channels)`` with a cosine schedule;
   a small transformer over the steps (:mod:`~simulacra.models.windows.denoiser`) predicts
   the clean window — by default as a correction to the exact denoiser of the windows'
   Gaussian (``gaussian_base``, :mod:`~simulacra.models.windows.gaussian_base`), so that
   before any training the model samples a Gaussian copula of the windows; loss: mean
   absolute error plus Diffusion-TS's Fourier term (:mod:`~simulacra.models.windows.loss`).
   AdamW with a cosine learning-rate decay over the planned steps (or the time budget,
   whichever ends first) and an exponential moving average of the weights, which is what
   samples.
3. Sampling: ``sampling_steps`` ancestral steps evenly spaced over the schedule, all windows
   of a chunk at once; channels are clipped to the range seen in training, mapped back
   through their quantile functions and decoded by the codec; keys are fresh, the index is
   rebuilt from the gaps and the first time.

Every window of the training table must have the same number of steps, and every event
column must be numeric (or yes/no); categories and ragged sequences are the sequential
network's job.

Needs PyTorch (``pip install "simulacra[deep]"``); torch is imported only when used.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders import EncodedColumn
from simulacra.encoders.identifier import IdEncoder
from simulacra.errors import DataError, ParameterError
from simulacra.kinds import Id, Numerical
from simulacra.metadata import Metadata
from simulacra.models.neural.base import NeuralSynthesizer
from simulacra.models.quantile import QuantileNormal
from simulacra.models.sequential.tables import (
    by_entity,
    fresh_name,
    load_sequence_state,
    sequence_columns,
    sequence_state,
)
from simulacra.models.sequential.timing import EventTimes
from simulacra.neural.schedule import NoiseSchedule
from simulacra.neural.torch import require_torch, torch_session
from simulacra.params import Flag, Integer, Number, OneOf, Optional
from simulacra.randomness import RandomState, child_seed, make_rng

logger = logging.getLogger(__name__)

CHUNK = 4_096  # windows sampled at once
MIN_STEPS_PER_EPOCH = 10  # smaller batches for few windows
SPREAD_FLOOR = 1e-8  # a channel with less spread than this is constant


class WindowDiffusion(NeuralSynthesizer):
    """Diffusion over whole fixed-length windows of numeric columns; needs ``simulacra[deep]``.

    Parameters
    ----------
    metadata:
        Column kinds with ``sequence_key`` (the window) and, optionally, ``sequence_index``
        (the step or time); detected from the data when ``None``.
    sequence_key, sequence_index:
        The window column and the order column, when the metadata does not set them.
    random_state:
        Seed for every random draw; same seed → identical output on CPU.
    epochs, training_steps:
        Passes over the windows; ``None``: as many as ``training_steps`` optimizer steps take.
    batch_size:
        Windows per step (fewer for small tables: at least 10 steps per epoch).
    embedding_dim, layers, heads:
        The denoiser's width, transformer layers and attention heads.
    diffusion_steps, sampling_steps:
        Steps of the training schedule, and (evenly spaced) reverse steps when sampling.
    learning_rate, weight_decay:
        AdamW's initial learning rate (cosine decay to 0) and weight decay.
    fourier_weight:
        Weight of the Fourier term of the loss; ``None``: Diffusion-TS's √length / 5.
    marginals:
        ``"normal"``: each channel diffused as normal scores of its empirical quantiles (every
        value it had comes back with its frequency); ``"standard"``: minus its mean, over its
        standard deviation.
    gaussian_base:
        Add the network's output to the exact denoiser of a Gaussian fitted to the windows
        (the full covariance of a window up to 2,048 numbers, else time ⊗ channels);
        ``False``: the network alone.
    ema_decay:
        Decay of the moving average of the weights that samples (0: the last weights).
    max_training_time:
        Stop training after this many seconds (checked between batches); ``None``: no limit.
        The learning rate decays over whichever ends first, the steps or the time.
    verbose:
        Show a progress bar with the training loss.
    device:
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …

    Examples
    --------
    >>> import simulacra as sim
    >>> from simulacra.windows import cut_windows, make_sines
    >>> series = pd.DataFrame(make_sines(1, 400, 2, random_state=0)[0], columns=["a", "b"])
    >>> events = cut_windows(series, 12, stride=4)
    >>> model = sim.WindowDiffusion(sequence_key="window", sequence_index="step",
    ...                             training_steps=20, sampling_steps=10,
    ...                             random_state=0).fit(events)
    >>> out = model.sample(3)
    >>> out.shape, out.groupby("window").size().tolist()
    ((36, 4), [12, 12, 12])
    """

    name: ClassVar[str] = "window-diffusion"
    params = {"training_steps": Integer(1), "layers": Integer(1, 32), "heads": Integer(1, 64),
              "diffusion_steps": Integer(2, 100_000), "sampling_steps": Integer(1),
              "learning_rate": Number(0, low_open=True), "weight_decay": Number(0),
              "fourier_weight": Optional(Number(0)), "ema_decay": Number(0, 1, high_open=True),
              "epochs": Optional(Integer(1)), "marginals": OneOf("normal", "standard"),
              "gaussian_base": Flag()}

    def __init__(self, metadata: Metadata | None = None, *, sequence_key: str | None = None,
                 sequence_index: str | None = None, random_state: RandomState = None,
                 epochs: int | None = None, training_steps: int = 10_000,
                 batch_size: int = 64, embedding_dim: int = 64, layers: int = 3,
                 heads: int = 4, diffusion_steps: int = 500, sampling_steps: int = 50,
                 learning_rate: float = 1e-3, weight_decay: float = 0.0,
                 fourier_weight: float | None = None, ema_decay: float = 0.995,
                 marginals: str = "normal", gaussian_base: bool = True,
                 max_training_time: float | None = None, verbose: bool = False,
                 device: str = "auto") -> None:
        super().__init__(metadata, random_state=random_state)
        self._set_common(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                         early_stopping=False, validation_fraction=0.1, patience=1,
                         max_training_time=max_training_time, verbose=verbose, device=device)
        self.sequence_key = sequence_key
        self.sequence_index = sequence_index
        self.training_steps = training_steps
        self.layers = layers
        self.heads = heads
        self.diffusion_steps = diffusion_steps
        self.sampling_steps = sampling_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.fourier_weight = fourier_weight
        self.ema_decay = ema_decay
        self.marginals = marginals
        self.gaussian_base = gaussian_base

    def _setting(self, name: str) -> Any:
        if name == "epochs" and self.epochs is None:
            return 1  # the rule's stand-in; the fit plans its epochs from training_steps
        return super()._setting(name)

    def _validate_params(self) -> None:
        super()._validate_params()
        if int(self.embedding_dim) % int(self.heads):
            raise ParameterError(f"embedding_dim ({self.embedding_dim}) must be a multiple of "
                                 f"heads ({self.heads})")
        if int(self.sampling_steps) > int(self.diffusion_steps):
            raise ParameterError(f"sampling_steps ({self.sampling_steps}) must be at most "
                                 f"diffusion_steps ({self.diffusion_steps})")

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, on_violation: str = "drop") -> WindowDiffusion:
        """Learn the windows of ``data`` (one per ``sequence_key`` value, all of the same
        length; ``data`` is never modified)."""
        self._validate_params()
        metadata, key, index = sequence_columns(data, self.metadata, self.sequence_key,
                                                self.sequence_index)
        if metadata.constraints:
            raise ParameterError("window-diffusion does not take constraints; remove them from "
                                 "the metadata, or use SequentialNetwork")
        frame, entities, uniques = by_entity(data, key, index)
        lengths = np.bincount(entities)
        if len(lengths) < 2 or lengths.min() != lengths.max() or lengths[0] < 2:
            raise DataError(f"window-diffusion needs at least two windows of the same length "
                            f"(2 steps or more); the {key!r} values have {len(lengths)} "
                            f"windows of {int(lengths.min())} to {int(lengths.max())} rows. "
                            "Cut a series with simulacra.windows.cut_windows, or use "
                            "SequentialNetwork for sequences of varying length")
        self.sequence_key_, self.sequence_index_ = str(key), index
        self.length_ = int(lengths[0])
        kinds = {c: metadata[c] for c in metadata if c != key}
        self.times_, self.start_column_, self.gaps_ = None, None, None
        self.grid_: tuple[float, float] | None = None
        if index is not None:
            self.times_ = EventTimes(metadata[index]).fit(frame[index])
            gaps, start = self.times_.split(frame[index], entities)
            self.start_column_ = fresh_name(f"{index}.start", frame.columns)
            pattern = gaps.reshape(-1, self.length_)
            self.gaps_ = None
            if (pattern == pattern[0]).all():  # a regular series: the same steps everywhere
                self.gaps_ = pattern[0].copy()
                if (self.gaps_ > 0).any():  # its windows start on the series' own grid
                    self.grid_ = (float(start.min()), float(self.gaps_[self.gaps_ > 0].min()))
                frame = frame.drop(columns=[index])
                del kinds[index]
            else:
                frame[index] = gaps
                kinds[index] = Numerical(minimum=0.0).with_reason("gap since the previous step")
            frame[self.start_column_] = start[entities]
            kinds[self.start_column_] = Numerical().with_reason("the window's first time")
        self.columns_ = [str(c) for c in data.columns]
        self.key_encoder_ = IdEncoder(Id(unique=True)).fit(
            pd.Series(uniques, name=key).astype(data[key].dtype))
        self.n_entities_ = len(uniques)
        given = self.metadata
        self.metadata = Metadata({c: kinds[c] for c in frame.columns})
        try:
            super().fit(frame, on_violation=on_violation)
        finally:
            self.metadata = given
        return self

    def _fit_private(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        raise ParameterError("window-diffusion has no differentially private mode")

    def _fit_network(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        torch = require_torch()
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        from simulacra.models.windows.loss import WindowLoss

        self._channels_of(columns)
        windows = self._standardised(encoded)
        n = len(windows)
        batch = min(int(self.batch_size), max(1, n // MIN_STEPS_PER_EPOCH))
        per_epoch = -(-n // batch)
        planned = int(self.epochs) if self.epochs is not None else \
            max(1, -(-int(self.training_steps) // per_epoch))
        total_steps = planned * per_epoch
        budget = self.max_training_time
        self.preprocess_seconds_ = time.perf_counter() - started
        weight = float(self.fourier_weight) if self.fourier_weight is not None else \
            math.sqrt(self.length_) / 5
        schedule = NoiseSchedule.cosine(int(self.diffusion_steps))
        epochs_were = self.epochs
        self.epochs = planned  # the epoch loop's count
        try:
            with torch_session(child_seed(rng), device) as gen:
                net = self._network(windows).to(device)
                average = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(
                    float(self.ema_decay)), use_buffers=True)
                opt = torch.optim.AdamW(net.parameters(), lr=float(self.learning_rate),
                                        weight_decay=float(self.weight_decay))
                loss_of = WindowLoss(net, schedule.alpha_bar, fourier_weight=weight,
                                     device=device)
                x = torch.from_numpy(windows).to(device)
                step = 0
                with self._epochs(["loss"]) as loop:
                    for _ in loop:
                        net.train()
                        order = torch.randperm(n, generator=gen, device=device)
                        total = 0.0
                        for start in range(0, n, batch):
                            progress = step / total_steps
                            if budget is not None:
                                progress = max(progress, (time.perf_counter() - loop.started)
                                               / budget)
                            if progress >= 1:
                                break
                            for group in opt.param_groups:
                                group["lr"] = float(self.learning_rate) * 0.5 * (
                                    1 + math.cos(math.pi * progress))
                            rows = order[start:start + batch]
                            loss = loss_of(x[rows], gen).mean()
                            opt.zero_grad(set_to_none=True)
                            loss.backward()
                            opt.step()
                            average.update_parameters(net)
                            total += loss.item() * len(rows)
                            step += 1
                        loop.end_epoch({"loss": total / n})
                        if progress >= 1:
                            break
                self.training_steps_ = step
                self.network_ = (average.module if self.ema_decay > 0 else net).cpu().eval()
        finally:
            self.epochs = epochs_were

    def _channels_of(self, columns: list[EncodedColumn]) -> None:
        """The encoded columns as channels: numbers, and yes/no codes (rounded back)."""
        bad = [f"{c.source} ({c.cardinality} values)" for c in columns
               if c.output == "discrete" and int(c.cardinality) > 2]
        if bad:
            what = "is a category" if len(bad) == 1 else "are categories"
            raise DataError(f"window-diffusion models numbers and yes/no columns; "
                            f"{', '.join(bad)} {what}: use SequentialNetwork for windows "
                            "with categories")
        self.channels_ = [c.name for c in columns]
        self.flags_ = [c.name for c in columns if c.output == "discrete"]

    def _standardised(self, encoded: dict[str, np.ndarray]) -> np.ndarray:
        """``(windows, length, channels)``: each channel's normal scores (or values) minus
        their mean, over their spread."""
        values = np.stack([np.asarray(encoded[c], dtype=np.float64) for c in self.channels_],
                          axis=1)
        if not np.isfinite(values).all():
            bad = [c for j, c in enumerate(self.channels_) if not np.isfinite(values[:, j]).all()]
            raise DataError(f"channels {bad} have values that are not finite numbers")
        self.low_, self.high_ = values.min(0), values.max(0)
        self.quantiles_: list[QuantileNormal] | None = None
        if self.marginals == "normal":
            self.quantiles_ = [QuantileNormal().fit(values[:, j])
                               for j in range(values.shape[1])]
            values = np.stack([q.scores(values[:, j])
                               for j, q in enumerate(self.quantiles_)], axis=1)
        self.mean_ = values.mean(0)
        spread = values.std(0)
        self.scale_ = np.where(spread > SPREAD_FLOOR, spread, 1.0)
        z = (values - self.mean_) / self.scale_
        self.clip_ = float(np.abs(z).max()) + 1.0
        return z.reshape(-1, self.length_, len(self.channels_)).astype(np.float32)

    def _network(self, windows: np.ndarray | None = None) -> Any:
        """The denoiser; with ``windows``, its Gaussian base fitted to them (else a base of the
        right shape whose values are loaded)."""
        from simulacra.models.windows.denoiser import WindowTransformer
        from simulacra.models.windows.gaussian_base import GaussianBase

        base = None
        if self.gaussian_base:
            steps = int(self.diffusion_steps)
            base = GaussianBase(int(self.length_), len(self.channels_), steps) if \
                windows is None else \
                GaussianBase.fit(windows, NoiseSchedule.cosine(steps).alpha_bar)
        return WindowTransformer(channels=len(self.channels_), length=int(self.length_),
                                 width=int(self.embedding_dim), layers=int(self.layers),
                                 heads=int(self.heads), base=base)

    # -- sample -------------------------------------------------------------------------------
    def sample(self, n: int, *, conditions: Mapping[str, Any] | None = None,
               rebalance: Mapping[str, Mapping[Any, float]] | None = None,
               rng: RandomState = None) -> pd.DataFrame:
        """``n`` windows (one row per step, the training data's columns). ``rng`` makes this
        call reproducible on its own; without it, draws continue the model's own stream."""
        self._check_fitted()
        ok = isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1
        if not ok:
            raise ParameterError(f"n must be an integer >= 1 (windows), got {n!r}")
        if conditions or rebalance is not None:
            raise ParameterError("window-diffusion has no window-level columns to condition "
                                 "on; use SequentialNetwork for conditions and rebalancing")
        generator = self._sample_rng if rng is None else make_rng(rng)
        n = int(n)
        windows = self._draw(n, generator)
        flat = windows.reshape(n * self.length_, -1)
        encoded = {c: flat[:, j] for j, c in enumerate(self.channels_)}
        for c in self.flags_:
            encoded[c] = np.rint(encoded[c]).astype(np.int64)
        frame = self.codec_.inverse_transform(encoded, len(flat), generator)
        entity = np.repeat(np.arange(n), self.length_)
        if self.times_ is not None:
            start = pd.to_numeric(frame.pop(self.start_column_)).to_numpy(np.float64)
            start = start.reshape(n, -1).mean(1)
            if self.grid_ is not None:
                origin, step = self.grid_
                start = origin + np.rint((start - origin) / step) * step
            start = np.repeat(start, self.length_)
            gaps = np.tile(self.gaps_, n) if self.gaps_ is not None else \
                pd.to_numeric(frame[self.sequence_index_]).to_numpy(np.float64)
            times, _ = self.times_.join(gaps, start, entity, generator)
            frame[self.sequence_index_] = times.set_axis(frame.index)
        keys = self.key_encoder_.generate(n, generator).to_numpy()
        frame.insert(0, self.sequence_key_, keys[entity])
        return frame[self.columns_]

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        raise NotImplementedError("window-diffusion samples windows through sample()")

    def _draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` windows ``(n, length, channels)`` in the codec's units."""
        torch = require_torch()
        from simulacra.models.neural import gaussian

        steps, alpha_bar, alpha = NoiseSchedule.cosine(int(self.diffusion_steps)).respaced(
            int(self.sampling_steps))
        alpha_bar_prev = np.concatenate([[1.0], alpha_bar[:-1]])
        shape = (self.length_, len(self.channels_))
        clip = self.clip_

        def draw(net: Any, size: int, gen: Any, device: Any) -> Any:
            x = torch.randn((size, *shape), generator=gen, device=device)
            for i in range(len(steps) - 1, -1, -1):
                def per_row(v: float) -> Any:
                    return torch.full((size,), float(v), device=device)

                t = torch.full((size,), int(steps[i]), dtype=torch.int64, device=device)
                x0 = net(x, t).clamp(-clip, clip).flatten(1)
                flat = x.flatten(1)
                eps = (flat - math.sqrt(alpha_bar[i]) * x0) / math.sqrt(1 - alpha_bar[i])
                noise = torch.randn(flat.shape, generator=gen, device=device)
                x = gaussian.reverse_step(
                    flat, eps, alpha=per_row(alpha[i]), alpha_bar=per_row(alpha_bar[i]),
                    alpha_bar_prev=per_row(alpha_bar_prev[i]), noise=noise,
                    clip=clip).view(size, *shape)
            return x

        z = self._sample_chunks(n, child_seed(rng), self.network_, draw, chunk=CHUNK)
        values = (z * self.scale_ + self.mean_).reshape(-1, len(self.channels_))
        if self.quantiles_ is not None:
            values = np.stack([q.inverse_transform(values[:, j])
                               for j, q in enumerate(self.quantiles_)], axis=1)
        return np.clip(values, self.low_, self.high_).reshape(z.shape)

    # -- state --------------------------------------------------------------------------------
    def _data_state(self) -> dict[str, Any]:
        return {"columns": list(self.columns_), "channels": list(self.channels_),
                "flags": list(self.flags_), "length": int(self.length_),
                "mean": self.mean_, "scale": self.scale_, "low": self.low_,
                "high": self.high_, "clip": float(self.clip_),
                "quantiles": None if self.quantiles_ is None else
                [q.get_state() for q in self.quantiles_],
                **sequence_state(self),
                "gaps": None if self.gaps_ is None else np.asarray(self.gaps_, np.float64),
                "grid": None if self.grid_ is None else list(self.grid_),
                "n_entities": int(self.n_entities_),
                "training_steps": int(self.training_steps_)}

    def _load_data_state(self, state: dict[str, Any]) -> None:
        self.columns_ = [str(c) for c in state["columns"]]
        self.channels_ = [str(c) for c in state["channels"]]
        self.flags_ = [str(c) for c in state["flags"]]
        self.length_ = int(state["length"])
        k = len(self.channels_)
        arrays = {}
        for name in ("mean", "scale", "low", "high"):
            value = np.asarray(state[name], dtype=np.float64)
            if value.shape != (k,) or not np.isfinite(value).all():
                raise DataError(f"the model file's channel {name} is not {k} finite numbers; "
                                "the file is corrupted")
            arrays[name] = value
        self.mean_, self.scale_, self.low_, self.high_ = (arrays[k_] for k_ in
                                                          ("mean", "scale", "low", "high"))
        quantiles = state.get("quantiles")
        self.quantiles_ = None
        if quantiles is not None:
            if not isinstance(quantiles, list) or len(quantiles) != k:
                raise DataError(f"the model file's quantile functions are not one per channel "
                                f"({k}); the file is corrupted")
            self.quantiles_ = [QuantileNormal.from_state(q) for q in quantiles]
        self.clip_ = float(state["clip"])
        if not (np.isfinite(self.clip_) and self.clip_ > 0):
            raise DataError("the model file's clip is not a positive number; the file is "
                            "corrupted")
        load_sequence_state(self, state)
        gaps = state.get("gaps")
        self.gaps_ = None if gaps is None else np.asarray(gaps, dtype=np.float64)
        if self.gaps_ is not None and (self.gaps_.shape != (self.length_,) or self.times_ is None
                                       or not np.isfinite(self.gaps_).all()):
            raise DataError("the model file's steps are not one gap per step of its windows; "
                            "the file is corrupted")
        grid = state.get("grid")
        self.grid_ = None
        if grid is not None:
            origin, step = (float(v) for v in grid)
            if self.gaps_ is None or not (np.isfinite(origin) and np.isfinite(step) and step > 0):
                raise DataError("the model file's time grid is not a start and a positive step; "
                                "the file is corrupted")
            self.grid_ = (origin, step)
        if (self.times_ is None) != (self.start_column_ is None) or \
                self.sequence_key_ not in self.columns_ or self.length_ < 2 or \
                not set(self.flags_) <= set(self.channels_) or \
                {c.name for c in self.codec_.encoded_columns_} != set(self.channels_):
            raise DataError("the model file's window columns do not fit together; the file is "
                            "corrupted")
        self.n_entities_ = int(state["n_entities"])
        self.training_steps_ = int(state["training_steps"])
