"""``AutoregressiveNetwork``: the table's joint distribution by the chain rule, one column at a
time, in the spirit of TabularARGN (Tiwald et al., 2025).

Algorithm:

1. Tokens (:class:`~simulacra.models.autoregressive.tokenizer.Tokenizer`): category codes as
   they are; numbers as their value when they have few, else as one of ``numeric_bins``
   equal-probability bins (a second token, one of ``numeric_sub_bins`` parts of the bin, when
   the column has few enough distinct values to tell them apart: two digits of an age or an
   amount), decoded within the bin (or part) from the empirical quantile function.
2. Network (:class:`~simulacra.models.autoregressive.network.ColumnMADE`):
   ``p(x) = Π_j p(x_j | x_<j)``, all conditionals from one masked pass.
3. Training: Adam on the mean negative log-likelihood; ``validation_fraction`` of the rows are
   held out, the learning rate halves after 2 epochs without a better held-out loss, training
   stops after ``patience`` such epochs and keeps the best weights (early stopping is on by
   default: the model needs no epoch tuning, and stopping at the held-out optimum is what keeps
   it from memorizing rows).
4. Sampling: column by column, each token drawn exactly from its conditional (Gumbel-max),
   batched over rows.

Conditions on discrete columns that lead the column order (``column_order``) are imposed
directly — their tokens are fixed and the following columns drawn given them, an exact
conditional; other conditions are met by keeping matching rows.

With ``privacy=PrivacyBudget(ε, δ)`` (:mod:`~simulacra.models.autoregressive.private`): the
tokens are DP codes (:class:`~simulacra.encoders.binned.BinnedCodec`:
DP bounds, bins and category sets; numbers decoded within their bin by its noisy histogram),
the heads start from noisy token counts, and step 3 is DP-SGD (Poisson batches, per-row
clipping, Gaussian noise calibrated so that everything stays within ε) for a fixed number of
epochs, with no held-out rows.

Needs PyTorch (``pip install "simulacra[deep]"``); torch is imported only when used.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from simulacra.encoders import NULL_SUFFIX, EncodedColumn
from simulacra.errors import ParameterError
from simulacra.metadata import Metadata
from simulacra.models.autoregressive.pruning import allowed_tokens
from simulacra.models.autoregressive.tokenizer import Tokenizer, bins_for_rows
from simulacra.models.neural.base import NeuralSynthesizer
from simulacra.models.neural.private import PrivateNeuralMixin
from simulacra.neural.torch import require_torch, torch_session
from simulacra.params import Flag, Integer, Names, Number, Optional, as_tuple
from simulacra.privacy import PrivacyBudget
from simulacra.randomness import RandomState, child_seed

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)
#: Rows of ``known`` completed at once (each drawn as ``COMPLETION_DRAWS`` weighted copies).
COMPLETION_ROWS = 2_000
#: Weighted copies per row when completing given columns (as :meth:`impute`'s default).
COMPLETION_DRAWS = 64
#: Up to this many distinct combinations of known values (or one per ``ROWS_PER_COMBINATION``
#: rows), completion takes the exact path, one sampler per combination: as fast there.
EXACT_COMBINATIONS = 20
ROWS_PER_COMBINATION = 25

LR_PATIENCE = 2  # epochs without a better held-out loss before the learning rate halves
MIN_STEPS = 20  # steps per epoch at least (smaller batches for small tables)
MIN_DP_STEPS = 4  # under privacy: Poisson sample rate at most 1/4 (small tables)

#: Values of the parameters left at ``None``: (without a privacy budget, under one). DP-SGD
#: wants large batches (the noise is added once per batch), a fixed number of epochs and a
#: larger learning rate (fewer, less noisy steps).
AUTOMATIC: dict[str, tuple[Any, Any]] = {
    "epochs": (200, 40), "batch_size": (512, 2048), "learning_rate": (5e-4, 1e-2),
    "early_stopping": (True, False)}


class AutoregressiveNetwork(PrivateNeuralMixin, NeuralSynthesizer):
    """Chain-rule model of the table (one conditional per column); needs ``simulacra[deep]``.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw; same seed → identical output on CPU.
    epochs, batch_size:
        At most this many passes over the training rows, and rows per step (tables with fewer
        than 20 × ``batch_size`` rows use smaller batches, for at least 20 steps per epoch).
        ``None``: 200 and 512; under privacy 40 epochs exactly, and 2,048 as the *expected*
        size of the Poisson-sampled batch (at most a quarter of the rows).
    embedding_dim, hidden_dim:
        Width of each column's token embedding and of each column's hidden block.
    learning_rate, weight_decay:
        Adam's initial learning rate (halved on plateaus) and weight decay. ``None``: 5e-4;
        under privacy 1e-2, decayed along a cosine over the planned steps.
    numeric_bins, numeric_sub_bins:
        Numeric columns with more distinct values than ``numeric_bins`` become one of
        ``numeric_bins`` equal-probability bins; those with at most
        ``numeric_bins × numeric_sub_bins / 2`` distinct values (ages, hours, whole amounts)
        also get a second token, one of ``numeric_sub_bins`` equal parts of the bin, so their
        exact values are modelled (``1``: never). Small tables get a coarser vocabulary: one
        bin per 120 rows where that is fewer (at least 8: 8 bins for 480 rows, 16 for 2,000,
        all 64 from 7,680), and the second token only for values seen 5 times each on
        average — with finer tokens the network learns where each training row sits rather
        than how the columns depend on each other (``BENCHMARKS.md``, "Small tables").
    ordinal:
        Tell the network that a number's tokens are ordered: each token's position feeds
        smooth functions into its input and output (:mod:`network
        <simulacra.models.autoregressive.network>`), so neighbouring bins share what they
        learn: on six benchmark tables the detection AUC fell by up to .06 and California's
        TSTR R² rose from .756 to .776 (``BENCHMARKS.md``, "Ordered tokens"). ``False``:
        every token stands alone. Not under privacy (DP codes are tokens of their own).
    copies:
        Give a binned column one more token per earlier numeric column whose value it equals
        in clearly more rows than chance ("the same value as that column": a payment equal
        to last month's bill, :mod:`~simulacra.models.autoregressive.copies`), so such
        equalities are kept (credit-card clients: a payment equal to the next bill in 22 %
        of synthetic rows as in the real ones, 8 % without). Off by default: it moved neither
        detection nor TSTR on that table and cost detection on another (``BENCHMARKS.md``,
        "Frequent values kept exact"). Not under privacy.
    max_categories:
        Tokens per discrete column; rarer categories share one token (not under privacy:
        there every DP code has its own token).
    column_order:
        Source columns to model first (the rest follow in table order). Conditions on a
        leading run of discrete columns are exact and cost nothing.
    early_stopping, validation_fraction, patience:
        Hold out ``validation_fraction`` of the rows; stop after ``patience`` epochs without a
        better held-out loss and keep the best weights. With ``early_stopping=False`` all rows
        train for ``epochs`` epochs. ``None``: on, except under privacy (a held-out loss would
        look at rows outside the accountant; ``True`` with a budget is refused).
    max_training_time:
        Stop training after this many seconds (checked between epochs); ``None``: no limit.
    verbose:
        Show a progress bar with the training and held-out loss.
    device:
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, …
    privacy:
        ``PrivacyBudget(epsilon, delta)`` for a differentially private fit (needs
        ``simulacra[dp]``): every column becomes a DP code (DP bounds, bins of numbers, category
        sets; :class:`~simulacra.encoders.binned.BinnedCodec`), noisy token counts start the
        heads' biases and, after training, tilt them so that every column's marginal is the
        measured one, and the network is trained with DP-SGD
        (:mod:`~simulacra.models.autoregressive.private`) with the noise calibrated so that
        the whole fit stays within the budget; ``privacy_report_`` gives the ε reached.
        ``numeric_bins``, ``numeric_sub_bins`` and ``max_categories`` do not apply.
    max_grad_norm:
        Under privacy, the bound every row's gradient is clipped to.
    metadata_share:
        Under privacy, the share of the budget spent outside DP-SGD: half on bounds, bins and
        categories, half on the noisy token counts.
    bins:
        Under privacy, the codes (frequent values and quantile bins) of a numeric column.

    Examples
    --------
    >>> import simulacra as sim
    >>> df = sim.datasets.load_demo().head(2000)
    >>> model = sim.AutoregressiveNetwork(epochs=3, random_state=0).fit(df)
    >>> model.sample(5).shape
    (5, 15)
    >>> private = sim.AutoregressiveNetwork(privacy=sim.PrivacyBudget(1.0), epochs=2,
    ...                                     random_state=0).fit(df)
    >>> private.privacy_report_.epsilon <= 1.0, private.sample(5).shape
    (True, (5, 15))
    """

    name: ClassVar[str] = "autoregressive"
    params = {"hidden_dim": Integer(1), "learning_rate": Number(0, low_open=True),
              "weight_decay": Number(0), "numeric_bins": Integer(2, 100_000),
              "numeric_sub_bins": Integer(1, 1000), "max_categories": Integer(2, 100_000),
              "column_order": Optional(Names()), "ordinal": Flag(), "copies": Flag(),
              "value_protection": Flag()}
    automatic: ClassVar[dict[str, tuple[Any, Any]]] = AUTOMATIC
    #: Under privacy, the share of ``metadata_share`` spent on noisy token counts (the rest on
    #: bounds, bins and categories).
    condition_share: ClassVar[float] = 0.5
    streams: ClassVar[bool] = True

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 epochs: int | None = None, batch_size: int | None = None,
                 embedding_dim: int = 16, hidden_dim: int = 64,
                 learning_rate: float | None = None, weight_decay: float = 1e-3,
                 numeric_bins: int = 64, numeric_sub_bins: int = 16,
                 max_categories: int = 512,
                 column_order: tuple[str, ...] | None = None,
                 early_stopping: bool | None = None,
                 validation_fraction: float = 0.1, patience: int = 6,
                 max_training_time: float | None = None, verbose: bool = False,
                 device: str = "auto", privacy: PrivacyBudget | None = None,
                 max_grad_norm: float = 1.0, metadata_share: float = 0.2, bins: int = 32,
                 ordinal: bool = True, copies: bool = False,
                 value_protection: bool = True) -> None:
        super().__init__(metadata, random_state=random_state)
        self._set_private(privacy=privacy, max_grad_norm=max_grad_norm,
                          metadata_share=metadata_share, bins=bins)
        self._set_common(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                         early_stopping=early_stopping, validation_fraction=validation_fraction,
                         patience=patience, max_training_time=max_training_time,
                         verbose=verbose, device=device)
        self.hidden_dim = hidden_dim
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.numeric_bins = numeric_bins
        self.numeric_sub_bins = numeric_sub_bins
        self.max_categories = max_categories
        self.column_order = as_tuple(column_order)
        self.ordinal = ordinal
        self.copies = copies
        self.value_protection = value_protection

    def _validate_params(self) -> None:
        super()._validate_params()
        self._validate_private()

    def _counted_columns(self, encoder: Any) -> tuple[list[str], str]:
        """Under privacy, noisy counts of every column's codes start the heads' biases."""
        return list(encoder.domains_), "output biases"

    # -- fit --------------------------------------------------------------------------------
    def _fit_network(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        torch = require_torch()
        from simulacra.neural.optim import adam

        columns = self._ordered(columns)
        n_rows = len(np.asarray(encoded[columns[0].name])) if columns else 0
        self.tokenizer_ = Tokenizer(numeric_bins=bins_for_rows(n_rows, int(self.numeric_bins)),
                                    sub_bins=int(self.numeric_sub_bins),
                                    max_categories=int(self.max_categories),
                                    min_count=self._protection_threshold(),
                                    copies=bool(self.copies)).fit(encoded, columns)
        tokens = self.tokenizer_.transform(encoded)
        self.ordinal_ = bool(self.ordinal)
        n = len(tokens)
        train_rows, held_rows = self._split_rows(n, rng)
        self.preprocess_seconds_ = time.perf_counter() - started
        logger.info("autoregressive: %d columns, %d tokens in all, in %.2f s",
                    len(self.tokenizer_.names_), sum(self.tokenizer_.sizes_),
                    self.preprocess_seconds_)

        seed = child_seed(rng)
        # small tables get smaller batches: at least MIN_STEPS steps per epoch
        batch = min(int(self._setting("batch_size")), max(64, -(-len(train_rows) // MIN_STEPS)))
        with torch_session(seed, device) as gen:
            net = self._network()
            net.init_marginals([np.bincount(tokens[train_rows, j], minlength=k)
                                for j, k in enumerate(self.tokenizer_.sizes_)])
            net = net.to(device)
            opt = adam(net.parameters(), lr=float(self._setting("learning_rate")),
                       betas=(0.9, 0.999), weight_decay=float(self.weight_decay))
            train = torch.from_numpy(tokens[train_rows]).to(device)
            held = torch.from_numpy(tokens[held_rows]).to(device)
            fresh = None if self._row_stream is None else self._fresh_rows(
                lambda encoded: (self.tokenizer_.transform(encoded),), rng)
            with self._epochs(["loss"], net if len(held_rows) else None) as loop:
                for _ in loop:
                    net.train()
                    if fresh is not None:  # an epoch of new rows of the dataset
                        train = torch.from_numpy(fresh(len(train_rows))[0]).to(device)
                    order = torch.randperm(len(train), generator=gen, device=device)
                    total = 0.0
                    for start in range(0, len(train), batch):
                        x = train[order[start:start + batch]]
                        loss = net.nll(x).sum(1).mean()
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                        total += loss.item() * len(x)
                    if loop.end_epoch({"loss": total / len(train)},
                                      lambda: self._held_out_loss(net, held, batch * 8)):
                        break
                    if loop.epochs_since_best and loop.epochs_since_best % LR_PATIENCE == 0:
                        for group in opt.param_groups:
                            group["lr"] *= 0.5
            self.network_ = net.cpu().eval()

    def _fit_private(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        """DP codes as tokens, noisy token counts as the heads' biases, then DP-SGD."""
        from simulacra.models.autoregressive.private import NetworkSettings, train

        self.tokenizer_, tokens = Tokenizer.of_dp_codes(encoded, self._ordered(columns),
                                                        int(self.max_categories))
        self.ordinal_ = False  # DP codes are tokens of their own; DP-SGD clips the plain net
        counts = [self.dp_counts_[name] for name in self.tokenizer_.names_]
        n = len(tokens)
        public = self._noisy_count
        batch = min(int(self._setting("batch_size")), max(public // MIN_DP_STEPS, 1))
        plan = self._dp_plan(n, public, batch, max(round(public / batch), 1))
        self.preprocess_seconds_ = time.perf_counter() - started
        settings = NetworkSettings(
            embedding_dim=int(self.embedding_dim), hidden_dim=int(self.hidden_dim),
            learning_rate=float(self._setting("learning_rate")),
            weight_decay=float(self.weight_decay), epochs=int(self._setting("epochs")))
        with self._epochs([]) as loop:
            result = train(settings, tokens, self.tokenizer_.sizes_, counts,
                           self.dp_counts_sigma_, plan=plan, seed=child_seed(rng),
                           device=device, loop=loop)
        self._finish_private(plan, result)

    def _network(self) -> Any:
        """The masked network over the tokenizer's columns."""
        from simulacra.models.autoregressive.network import ColumnMADE

        return ColumnMADE(self.tokenizer_.sizes_, int(self.embedding_dim),
                          int(self.hidden_dim),
                          self.tokenizer_.positions() if self.ordinal_ else None)

    def _ordered(self, columns: list[EncodedColumn]) -> list[EncodedColumn]:
        """``column_order``'s columns first (with their ``#null`` flags), then the rest."""
        if not self.column_order:
            return columns
        sources = [c.source for c in columns]
        unknown = [c for c in self.column_order if c not in sources]
        if unknown:
            raise ParameterError(f"column_order names columns the model does not encode: "
                                 f"{unknown}; give columns of the training data (id, PII and "
                                 "text columns are generated, not modelled)")
        rank = {name: i for i, name in enumerate(self.column_order)}
        return sorted(columns, key=lambda c: rank.get(c.source, len(rank)))

    @staticmethod
    def _held_out_loss(net: Any, held: Any, chunk: int) -> float:
        torch = require_torch()
        net.eval()
        with torch.no_grad():
            total = sum(float(net.nll(held[s:s + chunk]).sum())
                        for s in range(0, len(held), chunk))
        net.train()
        return total / max(len(held), 1)

    # -- sample -------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator,
                fixed: dict[int, int] | None = None,
                allowed: dict[int, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Step 4; ``fixed`` maps leading column positions to tokens they are given.

        ``allowed`` maps a column position to the tokens a row may take there; a row that
        draws another is dropped at once (:mod:`~simulacra.models.autoregressive.pruning`),
        so fewer than ``n`` rows may come back.
        """
        torch = require_torch()
        seed = child_seed(rng)
        fixed = fixed or {}
        net = self.network_
        masks = {j: torch.as_tensor(m) for j, m in (allowed or {}).items() if j not in fixed}

        def draw(net: Any, size: int, gen: Any, device: Any) -> Any:
            tokens = torch.zeros((size, net.c), dtype=torch.int64, device=device)
            for j in range(net.c):
                if j in fixed:
                    tokens[:, j] = fixed[j]
                    continue
                logits = net.column_logits(tokens, j)
                u = torch.rand(logits.shape, generator=gen, device=device).clamp_(1e-12, 1.0)
                tokens[:, j] = torch.argmax(logits - torch.log(-torch.log(u)), dim=1)
                if j in masks:
                    tokens = tokens[masks[j].to(device)[tokens[:, j]]]
            return tokens

        tokens = self._sample_chunks(n, seed, net, draw)
        return self._from_tokens(tokens, np.random.default_rng(seed))

    def _from_tokens(self, tokens: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Encoded columns from tokens; under privacy numbers get a position in their DP bin."""
        encoded = self.tokenizer_.inverse_transform(tokens, rng)
        if self.privacy is not None:
            encoded = self.codec_.spread(encoded, rng)
        return encoded

    def _sample_given(self, n: int, rng: np.random.Generator,
                      conditions: dict[str, Any]) -> dict[str, np.ndarray]:
        """Fix the tokens of conditioned discrete columns that lead the column order, and drop
        rows as soon as a conditioned column's token rules them out (exact either way)."""
        codes = self.codec_.discrete_codes(conditions)
        tok = self.tokenizer_
        fixed: dict[int, int] = {}
        for j, name in enumerate(tok.names_):
            if name not in codes or tok.kinds_[name] != "codes":
                break
            token = tok.token_of(name, codes[name])
            if token >= len(tok.keep_[name]):  # a pooled code: its token does not pin it
                break
            fixed[j] = token
        if fixed:
            logger.info("autoregressive: conditions fix the leading columns %s",
                        [tok.names_[j] for j in fixed])
        return self._sample(n, rng, fixed, allowed_tokens(tok, self.codec_, conditions))

    # -- imputation ---------------------------------------------------------------------------
    def impute(self, data: pd.DataFrame, *, draws: int = 64,
               rng: RandomState = None) -> pd.DataFrame:
        """A copy of ``data`` with its missing values filled, each given the rest of its row.

        Every null in a modelled column (not id/PII/text) gets a value drawn from the model's
        conditional given all known values of the row, before and after it in the column order
        (sequential importance sampling over ``draws`` copies per row,
        :mod:`~simulacra.models.autoregressive.impute`). Known values are never changed and
        ``data`` is not modified.

        >>> import simulacra as sim
        >>> df = sim.datasets.load_demo().head(2000)
        >>> model = sim.AutoregressiveNetwork(epochs=3, random_state=0).fit(df)
        >>> holes = df.head(5).copy()
        >>> holes.loc[0, "age"] = None
        >>> int(model.impute(holes, rng=0)["age"].isna().sum())
        0
        """
        import pandas as pd

        from simulacra.errors import DataError
        from simulacra.randomness import make_rng

        self._check_fitted()
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"impute() expects a pandas DataFrame, got {type(data).__name__}")
        Integer(1).check("draws", draws)
        generator = self._sample_rng if rng is None else make_rng(rng)
        encoder, tok = self.codec_, self.tokenizer_
        missing_cols = [c for c in encoder.columns_ if c not in data.columns]
        if missing_cols:
            raise DataError(f"impute() needs every column the model was fitted on; missing: "
                            f"{missing_cols}")
        frame = data[list(encoder.columns_)]
        nulls = frame.isna()
        # holes get placeholder values the encoders accept (tokens drawn over them below)
        holes = [c for c in frame.columns if nulls[c].any()]
        if holes:
            frame = frame.copy()
            pool = self._sample_decoded(256, generator)
            for col in holes:
                present = pool[col].dropna()
                if len(present):
                    frame.loc[nulls[col].to_numpy(), col] = present.iloc[0]
        decoded = self._draw_cells(frame, nulls, generator, int(draws), allow_null=False)
        source = {c.name: c.source for c in encoder.encoded_columns_}
        out = data.copy()
        for col in encoder.columns_:
            rows = nulls[col].to_numpy()
            if rows.any() and any(source[tok.source_[n]] == col for n in tok.names_):
                fill = decoded[col].set_axis(out.index)
                out[col] = fill.where(pd.Series(rows, index=out.index), out[col])
        return out

    def _draw_cells(self, frame: pd.DataFrame, draw: pd.DataFrame, generator: np.random.Generator,
                    draws: int, *, allow_null: bool) -> pd.DataFrame:
        """``frame`` (every modelled column, values the encoders accept) decoded after the
        cells ``draw`` marks were drawn given the rest of their row (sequential importance
        sampling, :mod:`~simulacra.models.autoregressive.impute`); ``allow_null=False`` never
        draws a null (imputation fills a hole), ``True`` draws nulls as the model has them."""
        from simulacra.models.autoregressive.impute import impute_tokens

        encoder, tok = self.codec_, self.tokenizer_
        # no copy tokens: a known value must not point at a cell that is drawn again
        tokens = tok.transform(encoder.transform(self._as_learned(frame), generator),
                               copies=False)
        source = {c.name: c.source for c in encoder.encoded_columns_}
        known = np.ones(tokens.shape, dtype=bool)
        banned: dict[int, np.ndarray] = {}
        for j, name in enumerate(tok.names_):
            col = source[tok.source_[name]]
            rows = draw[col].to_numpy()
            if not rows.any():
                continue
            if name.endswith(NULL_SUFFIX):
                if allow_null:
                    known[rows, j] = False
                else:
                    tokens[rows, j] = tok.token_of(name, 0)  # the value is there: "not null"
                continue
            known[rows, j] = False
            null_code = encoder.null_code(col)
            if not allow_null and tok.kinds_[name] == "codes" and null_code is not None:
                banned[j] = np.array([tok.token_of(name, int(null_code))])
        torch = require_torch()
        seed = child_seed(generator)
        with torch_session(seed, torch.device("cpu")) as gen:
            filled = impute_tokens(self.network_.cpu().eval(), tokens, known, banned,
                                   draws, gen, np.random.default_rng(seed))
        return encoder.inverse_transform(self._from_tokens(filled, generator), len(frame),
                                         generator)

    def sample_remaining_columns(self, known: pd.DataFrame, *, rng: RandomState = None
                                 ) -> pd.DataFrame:
        """One synthetic row per row of ``known``, the other columns drawn given its values.

        Many distinct combinations of known values (more than :data:`EXACT_COMBINATIONS` and
        than one per :data:`ROWS_PER_COMBINATION` rows): all rows at once, the network drawing
        the missing columns of every row in one pass (sequential importance sampling over 64
        copies per row, as :meth:`impute`) — about a millisecond a row on a CPU where one exact
        rejection sampler per combination takes tens of milliseconds each, and cannot meet a
        combination the model finds very rare. Few combinations, nulls in ``known`` ("null
        here") or constraints in the metadata: the exact path of
        :meth:`Synthesizer.sample_remaining_columns`.

        >>> import simulacra as sim
        >>> df = sim.datasets.load_demo().head(2000)
        >>> model = sim.AutoregressiveNetwork(epochs=3, random_state=0).fit(df)
        >>> rows = model.sample_remaining_columns(df[["sex", "age"]].head(3), rng=0)
        >>> rows[["sex", "age"]].equals(df[["sex", "age"]].head(3)), rows.shape
        (True, (3, 15))
        """
        import pandas as pd

        from simulacra.randomness import make_rng

        self._check_fitted()
        modelled = set(self.codec_.columns_)
        batched = (isinstance(known, pd.DataFrame) and not known.empty
                   and known.shape[1] > 0 and self._constraint_set() is None
                   and set(known.columns) <= modelled and not known.isna().any().any()
                   and len(known.drop_duplicates()) > max(EXACT_COMBINATIONS,
                                                          len(known) // ROWS_PER_COMBINATION))
        if not batched:
            return super().sample_remaining_columns(known, rng=rng)
        generator = self._sample_rng if rng is None else make_rng(rng)
        learned = self._as_learned(known)
        for column in learned.columns:  # values the model can never meet fail at once
            for value in learned[column].drop_duplicates():
                self._check_conditions({column: value})
        parts = []
        for start in range(0, len(learned), COMPLETION_ROWS):
            given = learned.iloc[start:start + COMPLETION_ROWS]
            frame = self._sample_decoded(len(given), generator)  # every column, valid values
            for column in given.columns:
                frame[column] = pd.Series(given[column].to_numpy(), index=frame.index
                                          ).astype(frame[column].dtype, errors="ignore")
            drawn_columns = [c for c in self.codec_.columns_ if c not in given.columns]
            draw = pd.DataFrame({c: np.full(len(frame), c in drawn_columns)
                                 for c in self.codec_.columns_}, index=frame.index)
            decoded = self._draw_cells(frame[list(self.codec_.columns_)], draw, generator,
                                       COMPLETION_DRAWS, allow_null=True)
            for column in drawn_columns:
                frame[column] = decoded[column].set_axis(frame.index)
            parts.append(frame)
        return self._with_known(pd.concat(parts, ignore_index=True),
                                known.reset_index(drop=True), learned.reset_index(drop=True))

    # -- state --------------------------------------------------------------------------------
    def _data_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer_.get_state(), "ordinal": self.ordinal_}

    def _load_data_state(self, state: dict[str, Any]) -> None:
        self.tokenizer_ = Tokenizer.from_state(state["tokenizer"])
        ordinal = state.get("ordinal", False)  # files saved before ordinal tokens: False
        if not isinstance(ordinal, bool):
            raise ValueError(f"'ordinal' must be true or false in the file, got {ordinal!r}")
        self.ordinal_ = ordinal

    def _check_network_sizes(self, weights: dict[str, Any]) -> None:
        sizes = [int(s) for s in self.tokenizer_.sizes_]
        if not sizes or min(sizes) < 1:
            raise ValueError(f"the tokenizer's sizes {sizes[:5]} are not sizes of columns")
        c, d, h, k = len(sizes), self.embedding_dim, self.hidden_dim, max(sizes)
        expected = {"embed.weight": (sum(sizes), d), "w1": (c * d, c * h), "w2": (c, h, h),
                    "wo": (c, h, k)}
        if self.ordinal_:
            from simulacra.models.autoregressive.network import N_BASIS

            expected.update({"pin": (c, N_BASIS, d), "pout": (c, h, N_BASIS)})
        for name, shape in expected.items():
            got = np.shape(weights.get(name)) if isinstance(weights, dict) else None
            if got != shape:
                raise ValueError(f"the network's weight {name!r} has shape {got} in the file; "
                                 f"embedding_dim={d!r}, hidden_dim={h!r} and the tokenizer's "
                                 f"sizes make it {shape}")
