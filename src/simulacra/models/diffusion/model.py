"""``TabDDPM``: denoising diffusion for mixed-type tables (Kotelnikov et al., ICML 2023).

Algorithm:

1. Numeric columns become standard normal scores through their quantile function
   (:class:`~simulacra.models.diffusion.quantile.QuantileNormal`); discrete columns (categories,
   booleans, ``#null`` flags) keep their codes.
2. Training: for a random step ``t`` of the cosine schedule
   (:mod:`~simulacra.models.diffusion.schedule`), numbers get Gaussian noise
   (:mod:`~simulacra.models.diffusion.gaussian`) and categories are partly redrawn at random
   (:mod:`~simulacra.models.diffusion.multinomial`); the MLP denoiser
   (:mod:`~simulacra.models.diffusion.denoiser`) predicts the noise and the clean categories.
   Loss: noise MSE plus the categories' posterior KL, averaged over columns.
3. The learning rate decays linearly to 0 over ``epochs`` (as in TabDDPM); early stopping on
   the same loss over held-out rows (fixed steps and noise, so epochs are compared on equal
   terms) with a long patience, since the diffusion loss improves slowly.
4. Sampling: from pure noise, ``sampling_steps`` reverse steps evenly spaced over the schedule,
   all rows of a chunk at once; numbers decode through the quantile function, so marginals
   come back exactly in distribution.

Needs PyTorch (``pip install "simulacra[deep]"``); torch is imported only when used.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import numpy as np

from simulacra._random import RandomState, child_seed
from simulacra.encoders.table import EncodedColumn
from simulacra.errors import check_param
from simulacra.metadata import Metadata
from simulacra.models.deep._base import (
    DeepSynthesizer,
    _positive_int,
    require_torch,
    resolve_device,
    torch_session,
)
from simulacra.models.diffusion.quantile import LIMIT, QuantileNormal
from simulacra.models.diffusion.schedule import NoiseSchedule

logger = logging.getLogger(__name__)

MIN_STEPS = 30  # steps per epoch at least (smaller batches for small tables)
HELD_OUT_REPEATS = 4  # noise draws per held-out row: a steadier early-stopping signal


class TabDDPM(DeepSynthesizer):
    """Gaussian + multinomial diffusion with an MLP denoiser; needs ``simulacra[deep]``.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw; same seed → identical output on CPU.
    epochs, batch_size:
        At most this many passes over the training rows, and rows per step (small tables use
        smaller batches, for at least 30 steps per epoch).
    embedding_dim:
        Width of the input projection and of the step embedding.
    hidden_dims:
        Widths of the denoiser's hidden layers.
    diffusion_steps, sampling_steps:
        Steps of the training schedule, and (evenly spaced) reverse steps when sampling.
    learning_rate, weight_decay, dropout:
        AdamW's initial learning rate (decaying linearly to 0), its weight decay, and dropout in
        the denoiser.
    early_stopping, validation_fraction, patience:
        Hold out ``validation_fraction`` of the rows; stop after ``patience`` epochs without a
        better held-out loss and keep the best weights.
    max_training_time:
        Stop training after this many seconds (checked between epochs); ``None``: no limit.
    verbose:
        Show a progress bar with the training and held-out loss.
    device:
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …

    Examples
    --------
    >>> import simulacra as sim
    >>> df = sim.datasets.load_demo().head(1000)
    >>> model = sim.TabDDPM(epochs=2, sampling_steps=20, random_state=0).fit(df)
    >>> model.sample(5).shape
    (5, 15)
    """

    name: ClassVar[str] = "tabddpm"

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 epochs: int = 100, batch_size: int = 1024, embedding_dim: int = 128,
                 hidden_dims: tuple[int, ...] = (512, 512, 512),
                 diffusion_steps: int = 1000, sampling_steps: int = 100,
                 learning_rate: float = 2e-3, weight_decay: float = 1e-5, dropout: float = 0.0,
                 early_stopping: bool = True, validation_fraction: float = 0.1,
                 patience: int = 30, max_training_time: float | None = None,
                 verbose: bool = False, device: str = "auto") -> None:
        super().__init__(metadata, random_state=random_state)
        self._set_common(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                         early_stopping=early_stopping, validation_fraction=validation_fraction,
                         patience=patience, max_training_time=max_training_time,
                         verbose=verbose, device=device)
        self.hidden_dims = tuple(hidden_dims) if isinstance(hidden_dims, list) else hidden_dims
        self.diffusion_steps = diffusion_steps
        self.sampling_steps = sampling_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.dropout = dropout

    def _validate_params(self) -> None:
        super()._validate_params()
        self._validate_common()
        self._check_dims("hidden_dims", self.hidden_dims)
        check_param("diffusion_steps", self.diffusion_steps, "an integer between 2 and 100000",
                    _positive_int(self.diffusion_steps) and 2 <= self.diffusion_steps <= 100_000)
        check_param("sampling_steps", self.sampling_steps,
                    "an integer between 1 and diffusion_steps",
                    _positive_int(self.sampling_steps)
                    and self.sampling_steps <= int(self.diffusion_steps))
        self._check_rate("learning_rate", self.learning_rate)
        self._check_nonnegative("weight_decay", self.weight_decay)
        d = self.dropout
        check_param("dropout", d, "a number in [0, 1)",
                    isinstance(d, int | float) and not isinstance(d, bool) and 0 <= d < 1)

    # -- fit --------------------------------------------------------------------------------
    def _fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
             rng: np.random.Generator) -> None:
        torch = require_torch()
        from simulacra.models.diffusion.denoiser import MLPDenoiser
        from simulacra.models.diffusion.multinomial import Categories

        device = resolve_device(self.device)
        started = time.perf_counter()
        self.numeric_ = [c.name for c in columns if c.output == "continuous"]
        self.discrete_ = [c.name for c in columns if c.output == "discrete"]
        self.sizes_ = [max(int(c.cardinality), 1) for c in columns if c.output == "discrete"]
        self.quantiles_ = {name: QuantileNormal().fit(encoded[name]) for name in self.numeric_}
        numbers, codes = self._to_arrays(encoded, rng)
        n = len(numbers)
        train_rows, held_rows = self._split_rows(n, rng)
        self.preprocess_seconds_ = time.perf_counter() - started

        seed = child_seed(rng)
        batch = min(int(self.batch_size), max(64, -(-len(train_rows) // MIN_STEPS)))
        schedule = NoiseSchedule.cosine(int(self.diffusion_steps))
        with torch_session(seed, device) as gen:
            cats = Categories(self.sizes_, device)
            net = self._network(MLPDenoiser).to(device)
            opt = torch.optim.AdamW(net.parameters(), lr=float(self.learning_rate),
                                    weight_decay=float(self.weight_decay))
            alpha_bar = torch.tensor(schedule.alpha_bar, dtype=torch.float32, device=device)
            x_num = torch.from_numpy(numbers).to(device)
            x_cat = torch.from_numpy(codes).to(device)
            train = torch.from_numpy(train_rows).to(device)
            held = torch.from_numpy(held_rows).to(device)
            watch = self._watch(len(held_rows) > 0, net)

            def loss_of(rows: Any, g: Any) -> Any:
                return self._loss(net, cats, alpha_bar, x_num[rows], x_cat[rows], g)

            epochs = int(self.epochs)
            with self._epochs(["loss"]) as loop:
                for epoch in loop:
                    net.train()
                    order = train[torch.randperm(len(train), generator=gen, device=device)]
                    total = 0.0
                    for start in range(0, len(order), batch):
                        rows = order[start:start + batch]
                        loss = loss_of(rows, gen).mean()
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                        total += loss.item() * len(rows)
                    if self._end_epoch(loop, {"loss": total / len(train)}, watch, epoch,
                                       lambda: self._held_out_loss(net, loss_of, held, seed,
                                                                   device),
                                       "held-out loss"):
                        break
                    for group in opt.param_groups:  # linear decay to 0 over `epochs`
                        group["lr"] = float(self.learning_rate) * (1 - (epoch + 1) / epochs)
            self._finish_watch(watch)
            self.network_ = net.cpu().eval()

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

    def _network(self, denoiser: Any) -> Any:
        d = len(self.numeric_) + sum(self.sizes_)
        return denoiser(d, d, width=int(self.embedding_dim), hidden_dims=self.hidden_dims,
                        dropout=float(self.dropout))

    def _loss(self, net: Any, cats: Any, alpha_bar: Any, x0_num: Any, x0_cat: Any,
              gen: Any) -> Any:
        """Per-row loss at random steps: noise MSE + categorical posterior KL, column mean."""
        torch = require_torch()
        from simulacra.models.diffusion import gaussian

        b, device = len(x0_num), x0_num.device
        t = torch.randint(0, len(alpha_bar), (b,), generator=gen, device=device)
        ab = alpha_bar[t]
        ab_prev = torch.where(t > 0, alpha_bar[(t - 1).clamp_min(0)], torch.ones_like(ab))
        alpha = ab / ab_prev
        noise = torch.randn(x0_num.shape, generator=gen, device=device)
        x_num = gaussian.noisy(x0_num, ab, noise)
        x0_onehot = cats.one_hot(x0_cat)
        x_cat = cats.sample(cats.marginal(x0_onehot, ab), gen)
        out = net(torch.cat([x_num, cats.flat_one_hot(x_cat)], dim=1), t)
        k = x0_num.shape[1]
        per_column = []
        if k:
            per_column.append(((out[:, :k] - noise) ** 2).sum(1))
        if cats.sizes:
            x_t = cats.one_hot(x_cat)
            true = cats.posterior(x_t, x0_onehot, alpha, ab_prev)
            pred = cats.posterior(x_t, cats.probabilities(out[:, k:]), alpha, ab_prev)
            per_column.append(cats.kl(true, pred).sum(1))
        return sum(per_column) / max(k + len(cats.sizes), 1)

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
        from simulacra.models.diffusion import gaussian
        from simulacra.models.diffusion.multinomial import Categories

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
        return result

    # -- state --------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        from simulacra.models.deep import networks as nets

        return {"numeric": self.numeric_, "discrete": self.discrete_, "sizes": self.sizes_,
                "quantiles": {k: q.get_state() for k, q in self.quantiles_.items()},
                "network": nets.weights_to_numpy(self.network_),
                "epochs_trained": int(self.epochs_trained_)}

    def _set_state(self, state: dict[str, Any]) -> None:
        require_torch()
        from simulacra.models.deep import networks as nets
        from simulacra.models.diffusion.denoiser import MLPDenoiser

        self.numeric_ = [str(c) for c in state["numeric"]]
        self.discrete_ = [str(c) for c in state["discrete"]]
        self.sizes_ = [int(s) for s in state["sizes"]]
        self.quantiles_ = {k: QuantileNormal.from_state(s)
                           for k, s in state["quantiles"].items()}
        net = self._network(MLPDenoiser)
        nets.load_weights(net, state["network"])
        self.network_ = net.eval()
        self.epochs_trained_ = int(state["epochs_trained"])
