"""``CTGAN``: conditional tabular GAN (Xu, Skoularidou, Cuesta-Infante, Veeramachaneni,
"Modeling Tabular Data using Conditional GAN", NeurIPS 2019).

Algorithm (paper §4, defaults of the reference implementation):

1. Mode-specific normalization of continuous columns, one-hots for discrete ones
   (:class:`~simulacra.models.deep.mode_normalizer.ModeNormalizer`).
2. Training-by-sampling (§4.3, :class:`~simulacra.models.deep.sampler.ConditionalSampler`):
   a conditional vector picks a discrete column uniformly and one of its categories
   ∝ log(frequency + 1); the critic sees real rows having that category.
3. Generator ``G(z ⊕ cond)`` with residual blocks; outputs through tanh (α) and gumbel-softmax
   with τ = 0.2 (one-hots). Critic with PacGAN packing (pac = 10) and WGAN-GP (λ = 10).
4. Losses: critic ``E[D(fake)] − E[D(real)] + GP``; generator ``−E[D(fake)]`` plus the
   cross-entropy between the conditioned span and the asked-for category. Adam, lr 2e-4,
   betas (0.5, 0.9), weight decay 1e-6.
5. Sampling: the conditional vector picks a column uniformly and a category ∝ its empirical
   frequency; ``G`` in eval mode; α and argmax of each one-hot decode back to values.

Needs PyTorch (``pip install "simulacra[deep]"``); torch is imported only when used.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import numpy as np

from simulacra.encoders import EncodedColumn
from simulacra.errors import check_param
from simulacra.metadata import Metadata
from simulacra.models.deep.bin_normalizer import transformer_from_state
from simulacra.models.deep.mode_normalizer import ModeNormalizer
from simulacra.models.deep.sampler import ConditionalSampler
from simulacra.models.neural.base import NeuralSynthesizer
from simulacra.models.neural.private import PrivateNeuralMixin
from simulacra.neural.torch import require_torch, torch_session
from simulacra.params import Flag, Integer, Number, Widths, as_tuple
from simulacra.privacy import PrivacyBudget
from simulacra.randomness import RandomState, child_seed

logger = logging.getLogger(__name__)

GP_LAMBDA = 10.0
GUMBEL_TAU = 0.2


class CTGAN(PrivateNeuralMixin, NeuralSynthesizer):
    """Conditional tabular GAN (Xu et al., NeurIPS 2019); needs ``simulacra[deep]``.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw (numpy and torch); same seed → identical output on CPU.
    epochs, batch_size:
        Passes over the data and rows per step (``batch_size`` must be a multiple of ``pac``).
    embedding_dim, generator_dim, discriminator_dim:
        Noise width and hidden layer widths.
    generator_lr, generator_decay, discriminator_lr, discriminator_decay:
        Adam learning rates and weight decays.
    discriminator_steps:
        Critic updates per generator update.
    pac:
        Rows packed into one critic input (PacGAN).
    log_frequency:
        Training-by-sampling draws categories ∝ log(frequency + 1) (paper); ``False``: ∝ frequency.
    early_stopping, validation_fraction, patience:
        With ``early_stopping``, ``validation_fraction`` of the rows are held out of training;
        after every epoch, rows generated with fixed noise are compared with them (binned 1- and
        2-way distance, :mod:`~simulacra.neural.validation`), training stops after
        ``patience`` epochs without improvement and the best epoch's generator is kept.
    max_training_time:
        Stop training after this many seconds (checked between epochs); ``None``: no limit.
    verbose:
        Show a progress bar with the epoch and losses.
    device:
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …
    privacy:
        ``PrivacyBudget(epsilon, delta)`` for a differentially private fit (needs
        ``simulacra[dp]``): the table is transformed with DP bounds, bins and categories
        (:class:`~simulacra.encoders.binned.BinnedCodec`), the critic is trained with DP-SGD
        (the generator only sees the critic's scores), with the noise calibrated to the
        budget; ``privacy_report_`` gives the ε reached. Under privacy the critic neither packs
        rows (``pac`` is treated as 1) nor drops units out, real rows are Poisson-sampled
        and carry their own condition, and generated rows' conditions follow noisy category
        counts (:mod:`~simulacra.models.deep.private_training`). Not with early stopping.
    max_grad_norm:
        Under privacy, the bound every (real row, generated row) pair's critic gradient is
        clipped to.
    metadata_share:
        Under privacy, the share of the budget spent on the data transformation and the
        conditional vector's category counts.
    bins:
        Under privacy, the codes (frequent values and quantile bins) of a numeric column.
    """

    name: ClassVar[str] = "ctgan"
    params = {"pac": Integer(1), "generator_dim": Widths(), "discriminator_dim": Widths(),
              "generator_lr": Number(0, low_open=True),
              "discriminator_lr": Number(0, low_open=True),
              "generator_decay": Number(0), "discriminator_decay": Number(0),
              "discriminator_steps": Integer(1), "log_frequency": Flag(),
              "value_protection": Flag()}
    network_name: ClassVar[str] = "generator"
    #: Under privacy, the share of the metadata budget spent on noisy category counts.
    condition_share: ClassVar[float] = 0.25

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 generator_dim: tuple[int, ...] = (256, 256),
                 discriminator_dim: tuple[int, ...] = (256, 256),
                 generator_lr: float = 2e-4, generator_decay: float = 1e-6,
                 discriminator_lr: float = 2e-4, discriminator_decay: float = 1e-6,
                 discriminator_steps: int = 1, pac: int = 10, log_frequency: bool = True,
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
        self.generator_dim = as_tuple(generator_dim)
        self.discriminator_dim = as_tuple(discriminator_dim)
        self.generator_lr = generator_lr
        self.generator_decay = generator_decay
        self.discriminator_lr = discriminator_lr
        self.value_protection = value_protection
        self.discriminator_decay = discriminator_decay
        self.discriminator_steps = discriminator_steps
        self.pac = pac
        self.log_frequency = log_frequency

    def _validate_params(self) -> None:
        super()._validate_params()
        check_param("batch_size", self.batch_size,
                    f"a multiple of pac={self.pac} (rows are packed by pac)",
                    self.batch_size % self.pac == 0)
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
        discrete = [c for c in columns if c.output == "discrete"]
        self.sampler_ = ConditionalSampler().fit([encoded[c.name] for c in discrete],
                                                 [max(c.cardinality, 1) for c in discrete])
        self.preprocess_seconds_ = time.perf_counter() - started
        logger.info("ctgan: preprocessing %d rows -> %d features in %.2f s", len(data),
                    data.shape[1], self.preprocess_seconds_)

        seed = child_seed(rng)
        loop_rng = np.random.default_rng(seed)
        n, data_dim = data.shape
        cond_dim = self.sampler_.n_categories_
        batch, pac = int(self.batch_size), int(self.pac)
        with torch_session(seed, device) as gen:
            layout = nets.OutputLayout(self.transformer_.spans_,
                                       self.transformer_.discrete_spans_, device)
            G = self._network().to(device)
            D = nets.Discriminator(data_dim + cond_dim, self.discriminator_dim, pac).to(device)
            D.use_generator(gen)
            opt_g = adam(G.parameters(), lr=self.generator_lr, betas=(0.5, 0.9),
                         weight_decay=self.generator_decay)
            opt_d = adam(D.parameters(), lr=self.discriminator_lr, betas=(0.5, 0.9),
                         weight_decay=self.discriminator_decay)
            real_all = torch.from_numpy(data).to(device)

            def condition(size: int) -> tuple[Any, Any, Any]:
                """(cond tensor, column, category) for a batch; cond is None without columns."""
                if cond_dim == 0:
                    return None, None, None
                cond, col, cat = self.sampler_.sample_condvec(
                    size, loop_rng, log_frequency=self.log_frequency)
                return torch.from_numpy(cond).to(device), col, cat

            def generate(size: int, cond: Any) -> tuple[Any, Any]:
                z = torch.randn(size, self.embedding_dim, generator=gen, device=device)
                raw = G(z if cond is None else torch.cat([z, cond], dim=1))
                return raw, layout.activate(raw, tau=GUMBEL_TAU, generator=gen)

            def with_cond(x: Any, cond: Any) -> Any:
                return x if cond is None else torch.cat([x, cond], dim=1)

            def critic_step(fake: Any, cond: Any, col: Any, cat: Any) -> Any:
                """2-4. One critic update on fakes and real rows sharing their conditions."""
                if cond is None:
                    rows = loop_rng.integers(0, n, batch)
                    real, cond_real = real_all[torch.from_numpy(rows).to(device)], None
                else:
                    perm = loop_rng.permutation(batch)
                    rows = self.sampler_.sample_rows(col[perm], cat[perm], loop_rng)
                    real = real_all[torch.from_numpy(rows).to(device)]
                    cond_real = cond[torch.from_numpy(perm).to(device)]
                fake_in, real_in = with_cond(fake, cond), with_cond(real, cond_real)
                # one critic pass over both halves (packs never straddle them)
                score_fake, score_real = D(torch.cat([fake_in, real_in])).chunk(2)
                loss_d = score_fake.mean() - score_real.mean()
                penalty = D.gradient_penalty(real_in, fake_in, gen, GP_LAMBDA)
                opt_d.zero_grad(set_to_none=True)
                (loss_d + penalty).backward()
                opt_d.step()
                return loss_d

            steps = max(n // batch, 1)
            watched = G if distance is not None else None
            with self._epochs(["loss_g", "loss_d"], watched) as loop:
                for _ in loop:
                    for _ in range(steps):
                        for _ in range(int(self.discriminator_steps) - 1):
                            cond, col, cat = condition(batch)
                            with torch.no_grad():
                                _, fake = generate(batch, cond)
                            critic_step(fake, cond, col, cat)
                        # the last critic step's fakes also serve the generator step: G has not
                        # changed in between, so one forward pass of G does for both
                        cond, col, cat = condition(batch)
                        raw, fake = generate(batch, cond)
                        loss_d = critic_step(fake.detach(), cond, col, cat)
                        # 4. generator step: −E[D(fake)] + cross-entropy of the conditioned span
                        D.requires_grad_(False)
                        loss_g = -D(with_cond(fake, cond)).mean()
                        D.requires_grad_(True)
                        if cond is not None:
                            loss_g = loss_g + layout.conditional_cross_entropy(
                                raw, torch.from_numpy(col).to(device),
                                torch.from_numpy(cat).to(device))
                        opt_g.zero_grad(set_to_none=True)
                        loss_g.backward()
                        opt_g.step()
                    losses = {"loss_g": loss_g.item(), "loss_d": loss_d.item()}
                    if loop.end_epoch(losses, lambda: self._validate(distance, G, device, seed),
                                      "held-out distance"):
                        break
            self.generator_ = G.cpu().eval()

    def _fit_private(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        """DP mode-specific normalization, then DP-SGD on the critic (generator: post-processing).
        """
        from simulacra.models.deep.bin_normalizer import BinNormalizer
        from simulacra.models.deep.private_training import CTGANSettings, train_ctgan

        self.transformer_ = BinNormalizer().fit(columns)
        data = self.transformer_.transform(encoded)
        names = [s.column for s in self.transformer_.discrete_spans_]
        self.sampler_ = ConditionalSampler.from_counts([self.dp_counts_[name] for name in names])
        codes = np.stack([encoded[name] for name in names], axis=1) if names else \
            np.zeros((len(data), 0), dtype=np.int64)
        n = len(data)
        public = self._noisy_count
        batch = min(int(self.batch_size), public)
        steps = max(public // batch, 1)
        plan = self._dp_plan(n, public, batch, steps, int(self.discriminator_steps))
        settings = CTGANSettings(
            embedding_dim=int(self.embedding_dim), generator_dim=tuple(self.generator_dim),
            discriminator_dim=tuple(self.discriminator_dim),
            generator_lr=float(self.generator_lr), generator_decay=float(self.generator_decay),
            discriminator_lr=float(self.discriminator_lr),
            discriminator_decay=float(self.discriminator_decay),
            discriminator_steps=int(self.discriminator_steps), batch_size=int(self.batch_size))
        with self._epochs(["loss_g"]) as loop:
            result = train_ctgan(settings, data, codes, self.sampler_, self.transformer_.spans_,
                                 self.transformer_.discrete_spans_, plan=plan,
                                 seed=child_seed(rng), device=device, loop=loop)
        self._finish_private(plan, result)

    def _validate(self, distance: Any, G: Any, device: Any, seed: int) -> float:
        """Score rows generated with the same noise every epoch against the held-out rows."""
        torch = require_torch()
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        G.eval()
        with torch.no_grad():
            out = self._generate(G, self._n_validation, gen, device,
                                 np.random.default_rng(seed)).cpu().numpy()
        G.train()
        return distance(self.transformer_.inverse_transform(out))

    def _generate(self, G: Any, size: int, gen: Any, device: Any,
                  cond_rng: np.random.Generator, fixed: tuple[int, int] | None = None) -> Any:
        """Activated generator output for ``size`` rows (step 5).

        Conditions are drawn ∝ empirical frequencies, as the reference's sampling does, or all
        set to ``fixed = (discrete column, category)`` for conditional sampling.
        """
        torch = require_torch()
        from simulacra.models.deep import networks as nets

        layout = nets.OutputLayout(self.transformer_.spans_, self.transformer_.discrete_spans_,
                                   device)
        z = torch.randn(size, self.embedding_dim, generator=gen, device=device)
        if self.sampler_.n_categories_:
            if fixed is None:
                cond, _, _ = self.sampler_.sample_condvec(size, cond_rng, log_frequency=False)
            else:
                cond = self.sampler_.fixed_condvec(size, *fixed)
            z = torch.cat([z, torch.from_numpy(cond).to(device)], dim=1)
        return layout.activate(G(z), tau=GUMBEL_TAU, generator=gen)

    # -- sample -------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator,
                fixed: tuple[int, int] | None = None) -> dict[str, np.ndarray]:
        seed = child_seed(rng)
        cond_rng = np.random.default_rng(seed)

        def draw(G: Any, size: int, gen: Any, device: Any) -> Any:
            return self._generate(G, size, gen, device, cond_rng, fixed)

        return self.transformer_.inverse_transform(
            self._sample_chunks(n, seed, self.generator_, draw))

    def _sample_given(self, n: int, rng: np.random.Generator,
                      conditions: dict[str, Any]) -> dict[str, np.ndarray]:
        """Steer the generator with the conditional vector (paper §4.3) towards the condition.

        Of the equality conditions on discrete columns, the one whose category is rarest sets
        the conditional vector of every row; the base class then keeps the rows that match all
        conditions, so the vector only has to raise the acceptance rate.
        """
        codes = self.codec_.discrete_codes(conditions)
        names = [s.column for s in self.transformer_.discrete_spans_]
        options = [(self.sampler_.counts_[names.index(name)][code], names.index(name), code)
                   for name, code in codes.items()
                   if name in names and code < len(self.sampler_.counts_[names.index(name)])]
        if not options:
            return self._sample(n, rng)
        _, column, category = min(options)
        return self._sample(n, rng, fixed=(column, category))

    # -- state --------------------------------------------------------------------------------
    def _network(self) -> Any:
        """The generator: noise and the conditional vector in, the transformed row out."""
        from simulacra.models.deep import networks as nets

        return nets.Generator(self.embedding_dim + self.sampler_.n_categories_,
                              self.generator_dim, self.transformer_.output_dim_)

    def _data_state(self) -> dict[str, Any]:
        return {"transformer": self.transformer_.get_state(),
                "sampler": self.sampler_.get_state()}

    def _load_data_state(self, state: dict[str, Any]) -> None:
        self.transformer_ = transformer_from_state(state["transformer"])
        self.sampler_ = ConditionalSampler.from_state(state["sampler"])
