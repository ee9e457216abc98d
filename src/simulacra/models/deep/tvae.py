"""``TVAE``: tabular variational autoencoder (Xu et al., NeurIPS 2019, §3 and appendix).

Algorithm (defaults of the reference implementation):

1. The same mode-specific normalization as CTGAN
   (:class:`~simulacra.models.deep.mode_normalizer.ModeNormalizer`).
2. Encoder ``q(z | x) = N(μ(x), σ²(x))`` and decoder, ReLU MLPs 128-128, latent width 128.
3. Loss per row (the negative ELBO): ``loss_factor ×`` [ Σ over α values of
   (α − tanh(out))² / (2σ_j²) + log σ_j  +  Σ over one-hot spans of cross-entropy ]
   + KL(q ‖ N(0, I)),
   with learnable per-output σ_j clamped to [0.01, 1] after every step.
   Adam, lr 1e-3, weight decay (l2scale) 1e-5; rows shuffled each epoch.
4. Sampling: ``z ~ N(0, I)``; α = tanh(out) + N(0, σ_j²); each one-hot by argmax.

Needs PyTorch (``pip install "simulacra[deep]"``); torch is imported only when used.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import numpy as np

from simulacra.encoders import EncodedColumn
from simulacra.metadata import Metadata
from simulacra.models.deep.bin_normalizer import transformer_from_state
from simulacra.models.deep.mode_normalizer import ModeNormalizer
from simulacra.models.neural.base import NeuralSynthesizer
from simulacra.models.neural.private import PrivateNeuralMixin
from simulacra.neural.denormals import EXP_FLOOR
from simulacra.neural.torch import require_torch, torch_session
from simulacra.params import Flag, Number, Widths, as_tuple
from simulacra.privacy import PrivacyBudget
from simulacra.randomness import RandomState, child_seed

logger = logging.getLogger(__name__)


class TVAE(PrivateNeuralMixin, NeuralSynthesizer):
    """Tabular variational autoencoder (Xu et al., NeurIPS 2019); needs ``simulacra[deep]``.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw (numpy and torch); same seed → identical output on CPU.
    epochs, batch_size:
        Passes over the data and rows per step.
    embedding_dim, compress_dims, decompress_dims:
        Latent width and the encoder's / decoder's hidden layer widths.
    l2scale:
        Adam weight decay.
    learning_rate:
        Adam learning rate.
    loss_factor:
        Weight of the reconstruction term against the KL term.
    early_stopping, validation_fraction, patience:
        With ``early_stopping``, ``validation_fraction`` of the rows are held out of training;
        after every epoch, rows decoded from fixed noise are compared with them (binned 1- and
        2-way distance, :mod:`~simulacra.neural.validation`), training stops after
        ``patience`` epochs without improvement and the best epoch's decoder is kept.
    max_training_time:
        Stop training after this many seconds (checked between epochs); ``None``: no limit.
    verbose:
        Show a progress bar with the epoch and loss.
    device:
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …
    privacy:
        ``PrivacyBudget(epsilon, delta)`` for a differentially private fit (needs
        ``simulacra[dp]``): the table is transformed with DP bounds, bins and categories
        (:class:`~simulacra.encoders.binned.BinnedCodec`), the encoder and decoder are
        trained with DP-SGD (:mod:`~simulacra.neural.dp_sgd`) with the noise calibrated
        to the budget, and ``privacy_report_`` gives the ε reached. Sampling then draws each
        one-hot from the decoder's softmax (not its argmax). Not with early stopping.
    max_grad_norm:
        Under privacy, the bound every row's gradient is clipped to.
    metadata_share:
        Under privacy, the share of the budget spent on the data transformation.
    bins:
        Under privacy, the codes (frequent values and quantile bins) of a numeric column.

    >>> import pandas as pd
    >>> import simulacra as sim
    >>> df = pd.DataFrame({"x": range(600), "c": list("ab") * 300})
    >>> model = TVAE(random_state=0, epochs=2, privacy=sim.PrivacyBudget(3.0)).fit(df)
    >>> model.privacy_report_.epsilon <= 3.0, model.sample(5).shape
    (True, (5, 2))
    """

    name: ClassVar[str] = "tvae"
    params = {"compress_dims": Widths(), "decompress_dims": Widths(), "l2scale": Number(0),
              "learning_rate": Number(0, low_open=True),
              "loss_factor": Number(0, low_open=True), "value_protection": Flag()}
    network_name: ClassVar[str] = "decoder"
    streams: ClassVar[bool] = True

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 compress_dims: tuple[int, ...] = (128, 128),
                 decompress_dims: tuple[int, ...] = (128, 128), l2scale: float = 1e-5,
                 learning_rate: float = 1e-3, loss_factor: float = 2.0,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 patience: int = 30, max_training_time: float | None = None,
                 verbose: bool = False, device: str = "auto",
                 privacy: PrivacyBudget | None = None, max_grad_norm: float = 1.0,
                 metadata_share: float = 0.1, bins: int = 16,
                 value_protection: bool = True) -> None:
        super().__init__(metadata, random_state=random_state)
        self._set_private(privacy=privacy, max_grad_norm=max_grad_norm,
                          metadata_share=metadata_share, bins=bins)
        self._set_common(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                         early_stopping=early_stopping, validation_fraction=validation_fraction,
                         patience=patience, max_training_time=max_training_time,
                         verbose=verbose, device=device)
        self.compress_dims = as_tuple(compress_dims)
        self.decompress_dims = as_tuple(decompress_dims)
        self.l2scale = l2scale
        self.learning_rate = learning_rate
        self.loss_factor = loss_factor
        self.value_protection = value_protection

    def _validate_params(self) -> None:
        super()._validate_params()
        self._validate_private()

    # -- fit --------------------------------------------------------------------------------
    def _fit_network(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        torch = require_torch()
        from simulacra.models.deep import networks as nets
        from simulacra.neural.optim import adam

        encoded, distance = self._hold_out(encoded, columns, rng)
        # 1. mode-specific normalization
        self.transformer_ = ModeNormalizer().fit(encoded, columns, rng)
        data = self.transformer_.transform(encoded, rng)
        self.preprocess_seconds_ = time.perf_counter() - started
        logger.info("tvae: preprocessing %d rows -> %d features in %.2f s", len(data),
                    data.shape[1], self.preprocess_seconds_)

        seed = child_seed(rng)
        n, data_dim = data.shape
        batch = int(self.batch_size)
        with torch_session(seed, device) as gen:
            layout = nets.OutputLayout(self.transformer_.spans_, [], device)
            enc = nets.Encoder(data_dim, self.compress_dims, self.embedding_dim).to(device)
            dec = self._network().to(device)
            opt = adam([*enc.parameters(), *dec.parameters()], lr=self.learning_rate,
                       betas=(0.9, 0.999), weight_decay=self.l2scale)
            x_all = torch.from_numpy(data).to(device)
            tanh_idx = layout.tanh_idx
            fresh = None if self._row_stream is None else self._fresh_rows(
                lambda encoded: (self.transformer_.transform(encoded, rng),), rng)
            with self._epochs(["loss"], dec if distance is not None else None) as loop:
                for _ in loop:
                    if fresh is not None:  # an epoch of new rows of the dataset
                        x_all = torch.from_numpy(fresh(n)[0]).to(device)
                    order = torch.randperm(n, generator=gen, device=device)
                    total = 0.0
                    for start in range(0, n, batch):
                        x = x_all[order[start:start + batch]]
                        b = x.shape[0]
                        # 2. reparameterized latent draw
                        mu, logvar = enc(x)
                        # exp of a very negative input is ~100x slower on x86 (even with
                        # flush-to-zero); σ² below e^-30 is 0 to float precision
                        var = logvar.clamp_min(EXP_FLOOR).exp()
                        eps = torch.randn(mu.shape, generator=gen, device=device)
                        raw = dec(eps * var.sqrt() + mu)
                        # 3. reconstruction (α: Gaussian with learnable σ; one-hots: CE) + KL
                        sigma = dec.sigma[tanh_idx]
                        err = x[:, tanh_idx] - torch.tanh(raw[:, tanh_idx])
                        rec = ((err ** 2) / (2 * sigma ** 2)).sum() + torch.log(sigma).sum() * b
                        rec = rec + layout.softmax_cross_entropy_sum(raw, x)
                        kld = -0.5 * torch.sum(1 + logvar - mu ** 2 - var)
                        loss = (rec * self.loss_factor + kld) / b
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                        with torch.no_grad():
                            dec.sigma.clamp_(0.01, 1.0)
                        total += loss.item() * b
                    losses = {"loss": total / n}
                    if loop.end_epoch(losses, lambda: self._validate(distance, dec, device, seed),
                                      "held-out distance"):
                        break
            self.decoder_ = dec.cpu().eval()

    def _fit_private(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        """DP mode-specific normalization, then DP-SGD on the encoder and decoder."""
        from simulacra.models.deep.bin_normalizer import BinNormalizer
        from simulacra.models.deep.private_training import TVAESettings, train_tvae

        self.transformer_ = BinNormalizer().fit(columns)
        data = self.transformer_.transform(encoded)
        n = len(data)
        public = self._noisy_count
        batch = min(int(self.batch_size), public)
        plan = self._dp_plan(n, public, batch, max(round(public / batch), 1))
        settings = TVAESettings(
            embedding_dim=int(self.embedding_dim), compress_dims=tuple(self.compress_dims),
            decompress_dims=tuple(self.decompress_dims), learning_rate=float(self.learning_rate),
            l2scale=float(self.l2scale), loss_factor=float(self.loss_factor))
        with self._epochs([]) as loop:
            result = train_tvae(settings, data, self.transformer_.spans_, plan=plan,
                                seed=child_seed(rng), device=device, loop=loop)
        self._finish_private(plan, result)

    def _validate(self, distance: Any, dec: Any, device: Any, seed: int) -> float:
        """Score rows decoded from the same noise every epoch against the held-out rows."""
        torch = require_torch()
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        with torch.no_grad():
            out = self._decode(dec, self._n_validation, gen, device).cpu().numpy()
        return distance(self.transformer_.inverse_transform(out))

    def _decode(self, dec: Any, size: int, gen: Any, device: Any) -> Any:
        """Step 4: z ~ N(0, I); α = tanh(out) + σ noise; one-hots are decoded by argmax later.

        Under privacy each one-hot is drawn from the decoder's softmax instead (Gumbel-max):
        trained on noisy gradients, the decoder depends on z only weakly, and argmax would
        turn every categorical column into its mode.
        """
        torch = require_torch()
        from simulacra.models.deep import networks as nets

        layout = nets.OutputLayout(self.transformer_.spans_, [], device)
        tanh_idx = layout.tanh_idx
        z = torch.randn(size, self.embedding_dim, generator=gen, device=device)
        if self.privacy is None:
            out = torch.tanh(dec(z))
        else:
            out = layout.activate(dec(z), tau=1.0, generator=gen)
        noise = torch.randn((size, len(tanh_idx)), generator=gen, device=device)
        out[:, tanh_idx] += noise * dec.sigma[tanh_idx]
        return out

    # -- sample -------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return self.transformer_.inverse_transform(
            self._sample_chunks(n, child_seed(rng), self.decoder_, self._decode))

    # -- state --------------------------------------------------------------------------------
    def _network(self) -> Any:
        """The decoder: a latent code in, the transformed row out (with its output scales)."""
        from simulacra.models.deep import networks as nets

        return nets.Decoder(self.embedding_dim, self.decompress_dims,
                            self.transformer_.output_dim_)

    def _data_state(self) -> dict[str, Any]:
        return {"transformer": self.transformer_.get_state()}

    def _load_data_state(self, state: dict[str, Any]) -> None:
        self.transformer_ = transformer_from_state(state["transformer"])
