"""``LanguageModel``: a text column learned from scratch, written given the rest of its row.

Fit: a byte-level BPE on the column (:mod:`~simulacra.encoders.language.tokens`), the row's
other columns as codes (:mod:`~simulacra.encoders.language.context`), an LSTM trained on the
texts (:mod:`~simulacra.encoders.language.training`) and the copy guard
(:mod:`~simulacra.encoders.language.copies`). Generate: the rows' context codes, batched
sampling (:mod:`~simulacra.encoders.language.sampling`), and copies of rare training texts
written again (at most ``REDRAWS`` times).

Every draw is seeded from the caller's ``numpy`` generator: same generator, same texts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.language.context import RowContext
from simulacra.encoders.language.copies import CopyGuard
from simulacra.encoders.language.lexicon import Lexicon, spaced
from simulacra.encoders.language.sampling import SamplingPlan, write
from simulacra.encoders.language.tokens import TextTokens
from simulacra.neural.torch import require_torch, resolve_device, torch_session

logger = logging.getLogger(__name__)


@contextmanager
def recurrent_cpu() -> Iterator[None]:
    """Torch's plain CPU kernels for the LSTM: its oneDNN path ran 5-8x slower on the 2-core
    machines of BENCHMARKS.md (batch 64, width 256: 0.46 s against 0.07 s a forward pass)."""
    torch = require_torch()
    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = previous


#: Times a generated copy of a rare training text is written again before it is kept.
REDRAWS = 8
#: Largest network a model file may ask for (an untrusted file allocates nothing bigger).
MAX_WIDTH, MAX_LAYERS, MAX_VOCABULARY = 2048, 4, 65_536


@dataclass(frozen=True)
class LanguageSettings:
    """The language model's hyperparameters (saved with it)."""

    width: int = 128
    layers: int = 1
    dropout: float = 0.1
    vocabulary: int | None = None  # None: 2,000, fewer for a small column
    min_rows: int = 5
    max_tokens: int = 256
    epochs: int = 30
    batch_size: int = 64
    private_batch_size: int = 256  # expected rows of a DP-SGD step
    private_learning_rate: float = 3e-2  # DP-SGD's (few, noisy steps: BENCHMARKS.md)
    max_grad_norm: float = 1.0  # DP-SGD's clipping bound of a text's gradient
    learning_rate: float = 3e-3
    max_training_time: float | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    row_prior: bool = True  # a logit bias per context value (not under a privacy budget)
    known_words: bool = True  # write only words min_rows rows use (not under a budget)
    decay: bool = True  # the learning rate cools to zero over the last quarter (epochs or time)

    def vocabulary_for(self, n_texts: int) -> int:
        """BPE vocabulary for a column of ``n_texts`` texts: bytes, specials, and merges.

        >>> LanguageSettings().vocabulary_for(30_000), LanguageSettings().vocabulary_for(300)
        (2000, 560)
        """
        if self.vocabulary is not None:
            return self.vocabulary
        return int(min(2000, 260 + n_texts))


class LanguageModel:
    """A fitted text model; build it with :meth:`fit` or :meth:`from_state`."""

    def __init__(self, settings: LanguageSettings, tokens: TextTokens, context: RowContext,
                 net: Any, guard: CopyGuard, report: dict[str, Any],
                 lexicon: Lexicon | None = None) -> None:
        self.settings, self.tokens, self.context = settings, tokens, context
        self.net, self.guard, self.report = net, guard, report
        self.lexicon = None if lexicon is None else \
            lexicon.bind(tokens.tokenizer.get_vocab())

    @classmethod
    def fit(cls, texts: pd.Series, rows: pd.DataFrame, rng: np.random.Generator,
            settings: LanguageSettings, *, verbose: bool = False,
            device: str = "auto") -> LanguageModel:
        """Learn ``texts`` (nulls allowed) given ``rows`` (the other columns, same length)."""
        require_torch()
        from simulacra.encoders.language.network import TextLSTM
        from simulacra.encoders.language.training import TrainingPlan, train

        values = [None if pd.isna(t) else str(t) for t in texts.tolist()]
        present = [t for t in values if t is not None]
        tokens = TextTokens.fit(present, vocabulary=settings.vocabulary_for(len(present)),
                                min_rows=settings.min_rows)
        context = RowContext.fit(rows.reset_index(drop=True))
        sequences = tokens.encode(values, max_tokens=settings.max_tokens)
        codes = context.transform(rows.reset_index(drop=True))
        guard = CopyGuard.fit(present, min_rows=settings.min_rows, rng=rng)
        lexicon = Lexicon.fit(present, tokens=tokens, min_rows=settings.min_rows) \
            if settings.known_words and spaced(present) else None
        if lexicon is None and settings.known_words:
            logger.info("text model: no lexicon of known words (a script without spaces)")
            settings = replace(settings, known_words=False)
        plan = TrainingPlan(epochs=settings.epochs, batch_size=settings.batch_size,
                            learning_rate=settings.learning_rate,
                            max_training_time=settings.max_training_time, verbose=verbose,
                            decay=settings.decay)
        seed = int(rng.integers(2**31 - 1))
        where = resolve_device(device)
        with torch_session(seed, where), recurrent_cpu():
            net = TextLSTM(tokens.size, context.sizes, width=settings.width,
                           layers=settings.layers, dropout=settings.dropout,
                           row_prior=settings.row_prior).to(where)
            result = train(net, sequences, codes, plan, rng)
        report = {"epochs": result.epochs, "held_out_loss": result.held_out_loss,
                  "seconds": round(result.seconds, 3), "tokens": tokens.size,
                  "allowed_tokens": int(tokens.allowed.sum()),
                  "known_words": None if lexicon is None else len(lexicon.words)}
        logger.info("text model: %d epochs in %.1f s, held-out loss %s", result.epochs,
                    result.seconds, result.held_out_loss)
        return cls(settings, tokens, context, net, guard, report, lexicon)

    @classmethod
    def fit_private(cls, texts: pd.Series, codes: pd.DataFrame, sizes: dict[str, int],
                    rng: np.random.Generator, settings: LanguageSettings, *, ledger: Any,
                    share: float, what: str, verbose: bool = False,
                    device: str = "auto") -> LanguageModel:
        """Learn ``texts`` under a privacy budget: DP-SGD paid in ``ledger`` with ``share`` of
        what it has left (:mod:`~simulacra.encoders.language.private`). ``codes`` are the
        rows' codes in the codec's DP domains (``sizes`` codes each); nulls are not written
        (the codec models them), nor is anything kept that was read outside DP-SGD."""
        require_torch()
        from simulacra.encoders.language.network import TextLSTM
        from simulacra.encoders.language.private import PrivateTextPlan, train_private

        tokens = TextTokens.bytes_only()
        context = RowContext.of_codes(sizes)
        values = [None if pd.isna(t) else str(t) for t in texts.tolist()]
        sequences = tokens.encode([v if v is not None else "" for v in values],
                                  max_tokens=settings.max_tokens)
        sequences = [None if v is None else s for v, s in zip(values, sequences, strict=True)]
        row_codes = context.transform(codes.reset_index(drop=True))
        plan = PrivateTextPlan(share=share, epochs=settings.epochs,
                               batch_size=settings.private_batch_size,
                               learning_rate=settings.private_learning_rate,
                               max_grad_norm=settings.max_grad_norm,
                               max_training_time=settings.max_training_time, verbose=verbose)
        seed = int(rng.integers(2**31 - 1))
        where = resolve_device(device)
        with torch_session(seed, where) as generator, recurrent_cpu():
            net = TextLSTM(tokens.size, context.sizes, width=settings.width,
                           layers=settings.layers, dropout=0.0).to(where)
            result = train_private(net, sequences, row_codes, plan, ledger, what, rng,
                                   generator)
        report = {"private": True, "steps": result.steps,
                  "noise_multiplier": round(result.noise_multiplier, 6),
                  "sample_rate": result.sample_rate, "seconds": round(result.seconds, 3),
                  "tokens": tokens.size}
        logger.info("text model under DP: %d steps in %.1f s, noise multiplier %.3g",
                    result.steps, result.seconds, result.noise_multiplier)
        return cls(replace(settings, row_prior=False, known_words=False), tokens, context,
                   net.eval(), CopyGuard.empty(), report)

    def generate(self, rows: pd.DataFrame, rng: np.random.Generator) -> list[str | None]:
        """One text (or null) for each of ``rows``."""
        codes = self.context.transform(rows.reset_index(drop=True))
        plan = SamplingPlan(temperature=self.settings.temperature, top_p=self.settings.top_p,
                            max_tokens=self.settings.max_tokens)
        seed = int(rng.integers(2**31 - 1))
        out: list[str | None] = [None] * len(codes)
        todo = np.arange(len(codes))
        with torch_session(seed, self.net.bias.device) as generator, recurrent_cpu():
            for round_ in range(REDRAWS + 1):
                bodies, nulls = write(self.net, codes[todo], self.tokens.allowed, plan,
                                      generator, self.lexicon)
                texts = self.tokens.decode(bodies)
                copies = self.guard.hits(texts) & ~nulls
                for k, i in enumerate(todo):
                    out[i] = None if nulls[k] else texts[k]
                if not copies.any() or round_ == REDRAWS:
                    if copies.any():
                        logger.info("%d texts still copy a rare training text after %d "
                                    "redraws", int(copies.sum()), REDRAWS)
                    break
                todo = todo[copies]
        return out

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        from simulacra.neural.weights import weights_to_numpy

        return {"settings": asdict(self.settings), "tokens": self.tokens.get_state(),
                "context": self.context.get_state(), "guard": self.guard.get_state(),
                "report": self.report, "weights": weights_to_numpy(self.net),
                **({} if self.lexicon is None else {"lexicon": self.lexicon.get_state()})}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LanguageModel:
        """Rebuild from :meth:`get_state` output (untrusted: sizes are checked before the
        network is built; a ``ValueError`` names what does not fit)."""
        require_torch()
        from simulacra.encoders.language.network import TextLSTM
        from simulacra.neural.weights import check_before_building, load_weights

        known = set(LanguageSettings.__dataclass_fields__)
        given = dict(state["settings"])
        given.setdefault("row_prior", False)  # files written before these had none
        given.setdefault("known_words", False)
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"unknown text model settings {unknown}")
        settings = replace(LanguageSettings(), **given)
        if not (0 < int(settings.width) <= MAX_WIDTH and 0 < int(settings.layers) <= MAX_LAYERS
                and 0 < int(settings.max_tokens) <= 4096):
            raise ValueError(f"text model of width {settings.width}, {settings.layers} layers, "
                             f"{settings.max_tokens} tokens is beyond what simulacra writes")
        tokens = TextTokens.from_state(state["tokens"])
        if tokens.size > MAX_VOCABULARY:
            raise ValueError(f"text model vocabulary of {tokens.size} tokens")
        context = RowContext.from_state(state["context"])
        if any(size > 100_000 for size in context.sizes):
            raise ValueError("a text model's context column has over 100,000 codes")
        def network() -> TextLSTM:
            return TextLSTM(tokens.size, context.sizes, width=int(settings.width),
                            layers=int(settings.layers), dropout=float(settings.dropout),
                            row_prior=bool(settings.row_prior))

        weights = dict(state["weights"])
        check_before_building(network, weights)  # nothing allocated before it fits the file
        net = network()
        load_weights(net, weights)
        net.eval()
        lexicon = Lexicon.from_state(state["lexicon"]) if "lexicon" in state else None
        if (lexicon is not None) != bool(settings.known_words):
            raise ValueError("the text model's known_words setting and its lexicon disagree")
        return cls(settings, tokens, context, net, CopyGuard.from_state(state["guard"]),
                   dict(state.get("report", {})), lexicon)
