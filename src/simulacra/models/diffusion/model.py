"""``TabDDPM``: denoising diffusion for mixed-type tables (Kotelnikov et al., ICML 2023).

Algorithm:

1. Numeric columns become standard normal scores through their quantile function
   (:class:`~simulacra.models.quantile.QuantileNormal`); discrete columns (categories,
   booleans, ``#null`` flags) keep their codes.
2. Training: for a random step ``t`` of the cosine schedule
   (:mod:`~simulacra.neural.schedule`), numbers get Gaussian noise
   (:mod:`~simulacra.models.neural.gaussian`) and categories are partly redrawn at random
   (:mod:`~simulacra.models.diffusion.multinomial`); the MLP denoiser
   (:mod:`~simulacra.models.diffusion.denoiser`) predicts the noise and the clean categories.
   Loss: noise MSE plus the categories' posterior KL, averaged over columns.
3. The learning rate decays linearly to 0 over ``epochs`` (as in TabDDPM); early stopping on
   the same loss over held-out rows (fixed steps and noise, so epochs are compared on equal
   terms) with a long patience, since the diffusion loss improves slowly.
4. Sampling: from pure noise, ``sampling_steps`` reverse steps evenly spaced over the schedule,
   all rows of a chunk at once; numbers decode through the quantile function, so marginals
   come back exactly in distribution.

With ``privacy=PrivacyBudget(ε, δ)`` (:mod:`~simulacra.models.diffusion.private`): the columns
are DP codes (:class:`~simulacra.encoders.binned.BinnedCodec`: DP
bounds, bins and category sets), step 1's quantile function is that of the numbers' DP codes
(:class:`~simulacra.models.quantile.BinQuantileNormal`, from noisy code counts), nulls
of a number are a flag column, and step 3 is DP-SGD (Poisson batches, exact per-row clipping,
Gaussian noise calibrated so that everything stays within ε) for a fixed number of epochs,
with no held-out rows.

Needs PyTorch (``pip install "simulacra[deep]"``); torch is imported only when used.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import numpy as np

from simulacra.encoders import NULL_SUFFIX, EncodedColumn
from simulacra.errors import check_param
from simulacra.metadata import Metadata
from simulacra.models.neural.base import NeuralSynthesizer
from simulacra.models.neural.private import PrivateNeuralMixin
from simulacra.models.quantile import (
    LIMIT,
    BinQuantileNormal,
    QuantileNormal,
    quantile_from_state,
)
from simulacra.neural.schedule import NoiseSchedule
from simulacra.neural.torch import require_torch, torch_session
from simulacra.params import Flag, Integer, Number, Widths, as_tuple
from simulacra.privacy import PrivacyBudget
from simulacra.randomness import RandomState, child_seed

logger = logging.getLogger(__name__)

MIN_STEPS = 30  # steps per epoch at least (smaller batches for small tables)
HELD_OUT_REPEATS = 4  # noise draws per held-out row: a steadier early-stopping signal
MIN_DP_STEPS = 4  # under privacy: Poisson sample rate at most 1/4 (small tables)

#: Values of the parameters left at ``None``: (without a privacy budget, under one). DP-SGD
#: adds its noise once per batch, so it wants large batches, and a smaller network (fewer
#: weights to add noise to, and faster per-row clipping). Under privacy the learning rate here
#: is the largest one: the rate follows DP-SGD's noise
#: (:func:`~simulacra.models.diffusion.private.automatic_learning_rate`).
AUTOMATIC: dict[str, tuple[Any, Any]] = {
    "epochs": (100, 100), "batch_size": (1024, 4096), "learning_rate": (2e-3, 5e-3),
    "hidden_dims": ((512, 512, 512), (256, 256)), "early_stopping": (True, False)}


class TabDDPM(PrivateNeuralMixin, NeuralSynthesizer):
    """Gaussian + multinomial diffusion with an MLP denoiser; needs ``simulacra[deep]``.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw; same seed → identical output on CPU.
    epochs, batch_size:
        At most this many passes over the training rows, and rows per step (small tables use
        smaller batches, for at least 30 steps per epoch). ``None``: 100 and 1,024; under
        privacy 100 epochs exactly, and 4,096 as the *expected* size of the Poisson-sampled
        batch (at most a quarter of the rows).
    embedding_dim:
        Width of the input projection and of the step embedding.
    hidden_dims:
        Widths of the denoiser's hidden layers. ``None``: (512, 512, 512); under privacy
        (256, 256).
    diffusion_steps, sampling_steps:
        Steps of the training schedule, and (evenly spaced) reverse steps when sampling.
    learning_rate, weight_decay, dropout:
        AdamW's initial learning rate (decaying linearly to 0), its weight decay, and dropout in
        the denoiser. ``None``: 2e-3; under privacy it follows DP-SGD's noise,
        ``5e-3 · sqrt(min(1, s / s_ref))`` and at least 2e-3, where ``s`` is the noise
        multiplier over the expected batch and ``s_ref`` = 18 / 4,096 (ε = 1 on Adult, where
        5e-3 was chosen): on Adult 5e-3 at ε = 1, about 3e-3 at ε = 3, 2e-3 at ε = 10
        (:func:`~simulacra.models.diffusion.private.automatic_learning_rate`). The rate used
        is ``learning_rate_``.
    early_stopping, validation_fraction, patience:
        Hold out ``validation_fraction`` of the rows; stop after ``patience`` epochs without a
        better held-out loss and keep the best weights. ``None``: on, except under privacy (a
        held-out loss would look at rows outside the accountant; ``True`` with a budget is
        refused).
    max_training_time:
        Stop training after this many seconds (checked between epochs); ``None``: no limit.
    verbose:
        Show a progress bar with the training and held-out loss.
    device:
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …
    privacy:
        ``PrivacyBudget(epsilon, delta)`` for a differentially private fit (needs
        ``simulacra[dp]``): every column becomes a DP code (DP bounds, bins of numbers,
        category sets; :class:`~simulacra.encoders.binned.BinnedCodec`), numbers are
        mapped to normal scores by the quantile function of their codes' noisy counts, and
        the denoiser is trained with DP-SGD (:mod:`~simulacra.models.diffusion.private`) with
        the noise calibrated so that the whole fit stays within the budget;
        ``privacy_report_`` gives the ε reached.
    max_grad_norm:
        Under privacy, the bound every row's gradient is clipped to.
    metadata_share:
        Under privacy, the share of the budget spent outside DP-SGD: half on bounds, bins and
        categories, half on noisy counts of the numbers' codes (their quantile functions).
    bins:
        Under privacy, the codes (frequent values and quantile bins) of a numeric column.

    Examples
    --------
    >>> import simulacra as sim
    >>> df = sim.datasets.load_demo().head(1000)
    >>> model = sim.TabDDPM(epochs=2, sampling_steps=20, random_state=0).fit(df)
    >>> model.sample(5).shape
    (5, 15)
    >>> private = sim.TabDDPM(privacy=sim.PrivacyBudget(1.0), epochs=2, sampling_steps=20,
    ...                       random_state=0).fit(df)
    >>> private.privacy_report_.epsilon <= 1.0, private.sample(5).shape
    (True, (5, 15))
    """

    name: ClassVar[str] = "tabddpm"
    params = {"hidden_dims": Widths(), "diffusion_steps": Integer(2, 100_000),
              "sampling_steps": Integer(1), "learning_rate": Number(0, low_open=True),
              "weight_decay": Number(0), "dropout": Number(0, 1, high_open=True),
              "value_protection": Flag()}
    automatic: ClassVar[dict[str, tuple[Any, Any]]] = AUTOMATIC
    #: Under privacy, the share of ``metadata_share`` spent on noisy code counts of the
    #: numeric columns (the rest on bounds, bins and categories).
    condition_share: ClassVar[float] = 0.5
    streams: ClassVar[bool] = True

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 epochs: int | None = None, batch_size: int | None = None,
                 embedding_dim: int = 128, hidden_dims: tuple[int, ...] | None = None,
                 diffusion_steps: int = 1000, sampling_steps: int = 100,
                 learning_rate: float | None = None, weight_decay: float = 1e-5,
                 dropout: float = 0.0, early_stopping: bool | None = None,
                 validation_fraction: float = 0.1, patience: int = 30,
                 max_training_time: float | None = None, verbose: bool = False,
                 device: str = "auto", privacy: PrivacyBudget | None = None,
                 max_grad_norm: float = 1.0, metadata_share: float = 0.2,
                 bins: int = 32, value_protection: bool = True) -> None:
        super().__init__(metadata, random_state=random_state)
        self._set_private(privacy=privacy, max_grad_norm=max_grad_norm,
                          metadata_share=metadata_share, bins=bins)
        self._set_common(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                         early_stopping=early_stopping, validation_fraction=validation_fraction,
                         patience=patience, max_training_time=max_training_time,
                         verbose=verbose, device=device)
        self.hidden_dims = as_tuple(hidden_dims)
        self.diffusion_steps = diffusion_steps
        self.sampling_steps = sampling_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.value_protection = value_protection
        self.dropout = dropout

    def _validate_params(self) -> None:
        super()._validate_params()
        check_param("sampling_steps", self.sampling_steps,
                    "an integer between 1 and diffusion_steps",
                    self.sampling_steps <= int(self.diffusion_steps))
        self._validate_private()

    def _counted_columns(self, encoder: Any) -> tuple[list[str], str]:
        """Under privacy, noisy counts of the numbers' codes give their quantile functions."""
        return [c.name for c in encoder.encoded_columns_ if c.output == "continuous"], \
            "quantile transform"

    # -- fit --------------------------------------------------------------------------------
    def _fit_network(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        torch = require_torch()
        from simulacra.models.diffusion.loss import DiffusionLoss

        self._split_columns(columns)
        self.quantiles_ = {name: QuantileNormal(min_count=self._protection_threshold()).fit(
            encoded[name]) for name in self.numeric_}
        numbers, codes = self._to_arrays(encoded, rng)
        n = len(numbers)
        train_rows, held_rows = self._split_rows(n, rng)
        self.preprocess_seconds_ = time.perf_counter() - started

        seed = child_seed(rng)
        batch = min(int(self._setting("batch_size")), max(64, -(-len(train_rows) // MIN_STEPS)))
        schedule = NoiseSchedule.cosine(int(self.diffusion_steps))
        with torch_session(seed, device) as gen:
            net = self._network().to(device)
            learning_rate = self.learning_rate_ = float(self._setting("learning_rate"))
            opt = torch.optim.AdamW(net.parameters(), lr=learning_rate,
                                    weight_decay=float(self.weight_decay))
            diffusion = DiffusionLoss(net, self.sizes_, schedule.alpha_bar, device)
            x_num = torch.from_numpy(numbers).to(device)
            x_cat = torch.from_numpy(codes).to(device)
            train = torch.from_numpy(train_rows).to(device)
            held = torch.from_numpy(held_rows).to(device)

            def loss_of(rows: Any, g: Any, num_all: Any = x_num, cat_all: Any = x_cat) -> Any:
                num, cat = num_all[rows], cat_all[rows]
                return diffusion(num, cat, *diffusion.draw(num, cat, g))

            fresh = None if self._row_stream is None else self._fresh_rows(
                lambda encoded: self._to_arrays(encoded, rng), rng)
            epoch_num, epoch_cat = x_num, x_cat
            epochs = int(self._setting("epochs"))
            with self._epochs(["loss"], net if len(held_rows) else None) as loop:
                for epoch in loop:
                    net.train()
                    if fresh is not None:  # an epoch of new rows of the dataset
                        epoch_num, epoch_cat = (torch.from_numpy(a).to(device)
                                                for a in fresh(len(train_rows)))
                        train = torch.arange(len(epoch_num), device=device)
                    order = train[torch.randperm(len(train), generator=gen, device=device)]
                    total = 0.0
                    for start in range(0, len(order), batch):
                        rows = order[start:start + batch]
                        loss = loss_of(rows, gen, epoch_num, epoch_cat).mean()
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                        total += loss.item() * len(rows)
                    if loop.end_epoch({"loss": total / len(train)},
                                      lambda: self._held_out_loss(net, loss_of, held, seed,
                                                                  device)):
                        break
                    for group in opt.param_groups:  # linear decay to 0 over `epochs`
                        group["lr"] = learning_rate * (1 - (epoch + 1) / epochs)
            self.network_ = net.cpu().eval()

    def _fit_private(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        """DP codes; numbers through their codes' noisy quantile functions; then DP-SGD."""
        from simulacra.models.diffusion.private import DenoiserSettings, train

        self._split_columns(columns)
        domains = self.codec_.domains_
        self.quantiles_ = {name: BinQuantileNormal.fit(domains[name], self.dp_counts_[name])
                           for name in self.numeric_}
        # nulls of a number: a flag column of their own (its score is drawn at random)
        self.null_flags_ = [name for name in self.numeric_ if domains[name].nullable_]
        encoded = dict(encoded)
        for name in self.null_flags_:
            code = np.floor(encoded[name]).astype(np.int64)
            encoded[name + NULL_SUFFIX] = (code == domains[name].null_code).astype(np.int64)
        self.discrete_ += [name + NULL_SUFFIX for name in self.null_flags_]
        self.sizes_ += [2] * len(self.null_flags_)
        numbers, codes = self._to_arrays(encoded, rng)
        n = len(numbers)
        public = self._noisy_count
        batch = min(int(self._setting("batch_size")), max(public // MIN_DP_STEPS, 1))
        plan = self._dp_plan(n, public, batch, max(round(public / batch), 1))
        self.preprocess_seconds_ = time.perf_counter() - started
        settings = DenoiserSettings(
            embedding_dim=int(self.embedding_dim),
            hidden_dims=tuple(self._setting("hidden_dims")), dropout=float(self.dropout),
            diffusion_steps=int(self.diffusion_steps),
            learning_rate=None if self.learning_rate is None else float(self.learning_rate),
            weight_decay=float(self.weight_decay), epochs=int(self._setting("epochs")))
        with self._epochs([]) as loop:
            result = train(settings, numbers, codes, self.sizes_, plan=plan,
                           seed=child_seed(rng), device=device, loop=loop)
        self._finish_private(plan, result)

    def _to_arrays(self, encoded: dict[str, np.ndarray],
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n = len(next(iter(encoded.values())))
        numbers = np.zeros((n, len(self.numeric_)), dtype=np.float32)
        for j, name in enumerate(self.numeric_):
            numbers[:, j] = self.quantiles_[name].transform(encoded[name], rng)
        codes = np.zeros((n, len(self.discrete_)), dtype=np.int64)
        for j, (name, k) in enumerate(zip(self.discrete_, self.sizes_, strict=True)):
            codes[:, j] = np.clip(np.asarray(encoded[name], dtype=np.int64), 0, k - 1)
        return numbers, codes

    def _split_columns(self, columns: list[EncodedColumn]) -> None:
        """Numbers (``numeric_``) and categories (``discrete_``, of ``sizes_`` codes)."""
        self.numeric_ = [c.name for c in columns if c.output == "continuous"]
        self.discrete_ = [c.name for c in columns if c.output == "discrete"]
        self.sizes_ = [max(int(c.cardinality), 1) for c in columns if c.output == "discrete"]
        self.null_flags_: list[str] = []  # under privacy: numbers whose nulls are a flag

    def _network(self) -> Any:
        """The denoiser: numbers and one-hots of the categories in, noise and logits out."""
        from simulacra.models.diffusion.denoiser import MLPDenoiser

        d = len(self.numeric_) + sum(self.sizes_)
        return MLPDenoiser(d, d, width=int(self.embedding_dim),
                           hidden_dims=self._setting("hidden_dims"), dropout=float(self.dropout))

    @staticmethod
    def _held_out_loss(net: Any, loss_of: Any, held: Any, seed: int, device: Any) -> float:
        torch = require_torch()
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)  # the same steps and noise every epoch
        net.eval()
        with torch.no_grad():
            total = sum(float(loss_of(held[s:s + 8192], gen).sum())
                        for _ in range(HELD_OUT_REPEATS) for s in range(0, len(held), 8192))
        net.train()
        return total / max(len(held) * HELD_OUT_REPEATS, 1)

    # -- sample -------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        torch = require_torch()
        from simulacra.models.diffusion.multinomial import Categories
        from simulacra.models.neural import gaussian

        seed = child_seed(rng)
        steps, alpha_bar, alpha = NoiseSchedule.cosine(int(self.diffusion_steps)).respaced(
            int(self.sampling_steps))
        alpha_bar_prev = np.concatenate([[1.0], alpha_bar[:-1]])
        k = len(self.numeric_)

        def draw(net: Any, size: int, gen: Any, device: Any) -> Any:
            cats = Categories(self.sizes_, device)
            x_num = torch.randn((size, k), generator=gen, device=device)
            x_cat = cats.sample(cats.uniform.expand(size, -1, -1), gen)
            for i in range(len(steps) - 1, -1, -1):
                def per_row(v: float) -> Any:
                    return torch.full((size,), float(v), device=device)

                t = torch.full((size,), int(steps[i]), dtype=torch.int64, device=device)
                out = net(torch.cat([x_num, cats.flat_one_hot(x_cat)], dim=1), t)
                noise = torch.randn((size, k), generator=gen, device=device)
                x_num = gaussian.reverse_step(
                    x_num, out[:, :k], alpha=per_row(alpha[i]), alpha_bar=per_row(alpha_bar[i]),
                    alpha_bar_prev=per_row(alpha_bar_prev[i]), noise=noise, clip=LIMIT)
                if cats.sizes:
                    post = cats.posterior(cats.one_hot(x_cat), cats.probabilities(out[:, k:]),
                                          per_row(alpha[i]), per_row(alpha_bar_prev[i]))
                    x_cat = cats.sample(post, gen)
            return torch.cat([x_num, x_cat.float()], dim=1)

        out = self._sample_chunks(n, seed, self.network_, draw)
        result: dict[str, np.ndarray] = {}
        for j, name in enumerate(self.numeric_):
            result[name] = self.quantiles_[name].inverse_transform(out[:, j])
        for j, name in enumerate(self.discrete_):
            result[name] = np.rint(out[:, k + j]).astype(np.int64)
        for name in self.null_flags_:  # under privacy: the null code
            null = result.pop(name + NULL_SUFFIX) == 1
            result[name][null] = self.codec_.domains_[name].null_code
        return result

    # -- state --------------------------------------------------------------------------------
    def _data_state(self) -> dict[str, Any]:
        return {"numeric": self.numeric_, "discrete": self.discrete_, "sizes": self.sizes_,
                "quantiles": {k: q.get_state() for k, q in self.quantiles_.items()},
                "null_flags": self.null_flags_}

    def _load_data_state(self, state: dict[str, Any]) -> None:
        self.numeric_ = [str(c) for c in state["numeric"]]
        self.discrete_ = [str(c) for c in state["discrete"]]
        self.sizes_ = [int(s) for s in state["sizes"]]
        self.quantiles_ = {k: quantile_from_state(s) for k, s in state["quantiles"].items()}
        self.null_flags_ = [str(c) for c in state.get("null_flags", [])]
