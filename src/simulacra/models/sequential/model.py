"""``SequentialNetwork``: entities and their sequences of events, generated together.

An event table (purchases, orders, sensor readings) holds a ``sequence_key`` column (the
entity each event belongs to) and, optionally, a ``sequence_index`` that orders an entity's
events. Columns constant within every entity (a customer's segment, a station's region) are the
entity's *context*: modelled once per entity, not once per event (detected unless
``context_columns`` is given). Everything else is an event column.

Algorithm (:mod:`~simulacra.models.sequential.network`):

1. Tokens as the autoregressive network's
   (:class:`~simulacra.models.autoregressive.tokenizer.Tokenizer`): category codes, numbers in
   equal-probability bins (with a second, within-bin token for few-valued numbers).
2. ``p(context) · Π_t p(stop_t, event_t | context, events_<t)``: a column MADE for the
   context; a GRU over the events so far, started from the context; per step a conditioned
   column MADE that draws a stop token (the sequence length is learned) and then the event's
   columns one by one. Siblings are therefore generated *together*: a customer's second
   purchase knows the first, and how many there will be follows the customer.
3. Training: Adam on the negative log-likelihood per entity, batches of entities of similar
   length; ``validation_fraction`` of the entities are held out for early stopping (the best
   weights are kept).
4. Sampling: ``sample(n)`` gives ``n`` entities (context drawn, then their events);
   :meth:`SequentialNetwork.sample_sequences` completes given contexts (each row of a context
   table gets a sequence, optionally of a given length) — what the relational synthesizer does
   for a child table whose parents are already generated. When every training sequence has
   the same length (fixed windows of a time series, :mod:`simulacra.windows`), every
   generated one has it too (``fixed_length_``).

Needs PyTorch (``pip install "simulacra[deep]"``); torch is imported only when used.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders import EncodedColumn
from simulacra.encoders.identifier import IdEncoder
from simulacra.errors import DataError, ParameterError
from simulacra.kinds import Id, Numerical
from simulacra.metadata import Metadata
from simulacra.models.autoregressive.tokenizer import Tokenizer
from simulacra.models.neural.base import NeuralSynthesizer
from simulacra.models.neural.private import PrivateNeuralMixin
from simulacra.models.sequential.tables import (
    by_entity,
    fresh_name,
    load_sequence_state,
    sequence_columns,
    sequence_state,
)
from simulacra.models.sequential.timing import EventTimes, first_of
from simulacra.neural.torch import require_torch, resolve_device, torch_session
from simulacra.params import Integer, Names, Number, OneOf, Optional, Text, as_tuple
from simulacra.privacy import PrivacyBudget
from simulacra.randomness import RandomState, child_seed, make_rng

logger = logging.getLogger(__name__)

LR_PATIENCE = 2  # epochs without a better held-out loss before the learning rate halves
MIN_BATCHES = 10  # batches per epoch at least (smaller batches for few entities)
STEPS_PER_BATCH = 8_192  # most padded steps (entities × longest sequence) in one batch
CHUNK = 16_384  # entities sampled at once
MAX_CLOCK_CODES = 1_000_000  # most codes of a time column's tokens the clock tabulates
MIN_DP_STEPS = 4  # under privacy: Poisson sample rate at most 1/4 (few entities)

#: Values of the parameters left at ``None``: (without a privacy budget, under one). DP-SGD
#: wants large batches (its noise is added once per batch), a fixed number of epochs and a
#: larger learning rate.
AUTOMATIC: dict[str, tuple[Any, Any]] = {
    "epochs": (200, 20), "batch_size": (256, 512), "learning_rate": (1e-3, 5e-3),
    "early_stopping": (True, False)}


class SequentialNetwork(PrivateNeuralMixin, NeuralSynthesizer):
    """Sequences of events per entity, with the entity's context; needs ``simulacra[deep]``.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    sequence_key:
        The column naming each event's entity (a customer id, a station); ``None``: the
        metadata's ``sequence_key``.
    sequence_index:
        A column ordering an entity's events (a date, a counter); ``None``: the metadata's
        (detected when no metadata is given), or the rows' order. It is learned as the
        entity's first time plus the gaps between its events
        (:mod:`~simulacra.models.sequential.timing`): generated dates never go back.
    context_columns:
        Columns constant within each entity, modelled once per entity; ``None``: every column
        constant within every entity that has two events or more.
    differences:
        Numerical event columns learned as the entity's first value plus the change at each
        event (:mod:`~simulacra.models.sequential.changes`): for smooth signals — a load, a
        temperature, the windows of a time series — whose steps are small next to their
        range. Generated values stay within the column's training range.
    sequence_lengths:
        How a sequence's length is drawn. ``"context"``: with the entity's context, before any
        event (a context column of its own, as TabularARGN does), so every event knows how
        many follow and no sequence runs past the lengths seen; ``"stop"``: by a stop token
        drawn before each event (the length emerges step by step). Fixed-length data (every
        training sequence one length) needs neither.
    max_sequence_length:
        Longest sequence learned and generated; longer ones are cut (their first events kept).
        ``None``: the longest in the data.
    random_state:
        Seed for every random draw; same seed → identical output on CPU.
    epochs, batch_size:
        At most this many passes over the entities, and entities per step (fewer for long
        sequences: at most 8,192 padded steps per batch, so a week of hours is 48 entities;
        at least 10 batches per epoch). ``None``: 200 and 256; under privacy 20 epochs
        exactly, and 512 as the *expected* Poisson batch.
    embedding_dim, hidden_dim, state_dim:
        Width of each token's embedding, of each column's hidden block, and of the GRU state
        that carries an entity's history.
    learning_rate, weight_decay:
        Adam's initial learning rate (halved on plateaus; under privacy decayed along a
        cosine) and weight decay. ``None``: 1e-3, under privacy 5e-3.
    numeric_bins, numeric_sub_bins, max_categories:
        The tokens, as :class:`~simulacra.AutoregressiveNetwork`'s.
    sub_bins_for:
        Which binned numbers get a second, within-bin token: ``"few-valued"`` ones (as the
        autoregressive network), or ``"all"`` — for values that persist from one event to
        the next, which one token would redraw anywhere in their bin at every event.
    early_stopping, validation_fraction, patience, max_training_time, verbose, device:
        As every neural model's (:class:`~simulacra.AutoregressiveNetwork`); the held-out
        share is of entities. ``early_stopping=None``: on, except under privacy.
    privacy:
        A :class:`~simulacra.PrivacyBudget`: differential privacy *per entity* — an entity
        and all its events (:mod:`~simulacra.models.sequential.private`). Needs
        ``max_sequence_length`` (each entity's events are cut there) and ``context_columns``
        (``[]`` for none: detecting them would look at the rows); ``differences`` and running
        sums are not available under it. ``privacy_report_`` gives the ε reached.
    max_grad_norm, metadata_share, bins:
        Under privacy: the bound each entity's gradient is clipped to, the share of the
        budget spent on the DP codes (bounds, bins, categories), and their bins per number.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import simulacra as sim
    >>> rng = np.random.default_rng(0)
    >>> sizes = rng.integers(1, 5, 300)
    >>> events = pd.DataFrame({
    ...     "customer": np.repeat(np.arange(300), sizes),
    ...     "segment": np.repeat(rng.choice(["retail", "business"], 300), sizes),
    ...     "amount": rng.gamma(2.0, 30.0, sizes.sum()).round(2)})
    >>> model = sim.SequentialNetwork(sequence_key="customer", epochs=3,
    ...                               random_state=0).fit(events)
    >>> model.context_columns_
    ['segment']
    >>> out = model.sample(10)
    >>> out["customer"].nunique(), list(out.columns)
    (10, ['customer', 'segment', 'amount'])
    """

    privacy_unit: ClassVar[str] = "entities"
    name: ClassVar[str] = "sequential"
    automatic = AUTOMATIC
    #: Under privacy, the share of ``metadata_share`` spent on noisy counts of the context
    #: codes, one per entity (the rest on bounds, bins and categories).
    condition_share: ClassVar[float] = 0.5
    params = {"sequence_key": Optional(Text("a column name")),
              "sequence_index": Optional(Text("a column name")),
              "context_columns": Optional(Names()),
              "differences": Optional(Names()),
              "sequence_lengths": OneOf("context", "stop"),
              "max_sequence_length": Optional(Integer(1)),
              "hidden_dim": Integer(1), "state_dim": Integer(1),
              "learning_rate": Optional(Number(0, low_open=True)), "weight_decay": Number(0),
              "numeric_bins": Integer(2, 100_000), "numeric_sub_bins": Integer(1, 1000),
              "sub_bins_for": OneOf("few-valued", "all"),
              "max_categories": Integer(2, 100_000)}

    def __init__(self, metadata: Metadata | None = None, *, sequence_key: str | None = None,
                 sequence_index: str | None = None,
                 context_columns: Sequence[str] | None = None,
                 differences: Sequence[str] | None = None,
                 sequence_lengths: str = "context",
                 max_sequence_length: int | None = None,
                 random_state: RandomState = None, epochs: int | None = None,
                 batch_size: int | None = None,
                 embedding_dim: int = 16, hidden_dim: int = 64, state_dim: int = 64,
                 learning_rate: float | None = None, weight_decay: float = 1e-4,
                 numeric_bins: int = 64, numeric_sub_bins: int = 16,
                 sub_bins_for: str = "few-valued",
                 max_categories: int = 512, early_stopping: bool | None = None,
                 validation_fraction: float = 0.1, patience: int = 6,
                 max_training_time: float | None = None, verbose: bool = False,
                 device: str = "auto", privacy: PrivacyBudget | None = None,
                 max_grad_norm: float = 1.0, metadata_share: float = 0.2,
                 bins: int = 32) -> None:
        super().__init__(metadata, random_state=random_state)
        self._set_private(privacy=privacy, max_grad_norm=max_grad_norm,
                          metadata_share=metadata_share, bins=bins)
        self._set_common(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                         early_stopping=early_stopping, validation_fraction=validation_fraction,
                         patience=patience, max_training_time=max_training_time,
                         verbose=verbose, device=device)
        self.sequence_key = sequence_key
        self.sequence_index = sequence_index
        self.context_columns = as_tuple(context_columns)
        self.differences = as_tuple(differences)
        self.sequence_lengths = sequence_lengths
        self.max_sequence_length = max_sequence_length
        self.hidden_dim = hidden_dim
        self.state_dim = state_dim
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.numeric_bins = numeric_bins
        self.numeric_sub_bins = numeric_sub_bins
        self.sub_bins_for = sub_bins_for
        self.max_categories = max_categories

    def _validate_params(self) -> None:
        super()._validate_params()
        self._validate_private()
        if self.privacy is None:
            return
        missing = [name for name, given in (("max_sequence_length", self.max_sequence_length),
                                            ("context_columns", self.context_columns))
                   if given is None]
        if missing:
            raise ParameterError(f"privacy=... needs {' and '.join(missing)}: each entity's "
                                 "events are cut at a public max_sequence_length, and the "
                                 "context columns are given (context_columns=[] for none) "
                                 "rather than found by looking at the rows")
        if self.differences:
            raise ParameterError("differences=... is not available under privacy=...; model "
                                 "the columns' levels instead")

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, on_violation: str = "drop") -> SequentialNetwork:
        """Learn the entities of ``data`` and their events (``data`` is never modified)."""
        self._validate_params()
        metadata, key, index = sequence_columns(data, self.metadata, self.sequence_key,
                                                self.sequence_index)
        self.sequence_key_, self.sequence_index_ = str(key), index
        running = self._running_constraints(metadata)
        private = self.privacy is not None
        if running and private:
            raise ParameterError("running_sum constraints are not available under "
                                 "privacy=...; remove them from the metadata")
        frame, entities, uniques = by_entity(data, key, index)
        if private:  # each entity's first max_sequence_length events: its contribution bound
            kept = np.arange(len(entities)) - first_of(entities) < int(self.max_sequence_length)
            frame, entities = frame.loc[kept].reset_index(drop=True), entities[kept]
        kinds = {c: metadata[c] for c in metadata if c != key}
        self.changes_, self.first_columns_ = None, []
        if self.differences:
            self._learn_changes(frame, entities, kinds, metadata)
        self.sums_: list[dict[str, Any]] = []
        self._learn_sums(running, data, frame, entities, kinds, metadata)
        self.times_, self.start_column_ = None, None
        if index is not None:
            self.times_ = EventTimes(metadata[index], private=private).fit(frame[index])
            gaps, start = self.times_.split(frame[index], entities)
            start_name = self.start_column_ = fresh_name(f"{index}.start", frame.columns)
            frame[index] = gaps
            frame[start_name] = start
            self._times = (gaps, start)
            kinds[index] = Numerical(minimum=0.0).with_reason("gap since the previous event")
            kinds[start_name] = Numerical().with_reason("the entity's first time")
        self.length_column_ = None
        counts = np.bincount(entities)
        if self.max_sequence_length is not None:
            counts = np.minimum(counts, int(self.max_sequence_length))
        varied = private or (len(counts) > 1 and counts.min() < counts.max())
        if self.sequence_lengths == "context" and varied:
            # before the first values and the first time: the length is drawn from the
            # entity's own context alone (given a rare first-time token, a network learns
            # spurious lengths from the one entity it saw there)
            self.length_column_ = fresh_name(f"{key}.length", frame.columns)
            drawn = [*self.first_columns_, *self._sum_firsts(),
                     *([self.start_column_] if self.start_column_ else [])]
            frame.insert(min((frame.columns.get_loc(c) for c in drawn), default=frame.shape[1]),
                         self.length_column_, counts[entities])
            kinds[self.length_column_] = Numerical(
                integer=True, minimum=1.0, maximum=float(self.max_sequence_length)
                if private else None).with_reason("the entity's number of events")
        self.columns_ = [str(c) for c in data.columns]
        self.context_columns_ = self._find_context(frame, entities)
        keys = pd.Series(uniques, name=key).astype(data[key].dtype)
        self.key_encoder_ = IdEncoder(Id(unique=True)).fit_public(keys) if private else \
            IdEncoder(Id(unique=True)).fit(keys)
        inner = Metadata({c: kinds[c] for c in frame.columns})
        self._entities = entities
        given = self.metadata
        self.metadata = inner
        try:
            super().fit(frame, on_violation=on_violation)
        finally:
            self.metadata = given
            del self._entities
            self.__dict__.pop("_times", None)
        if not private:  # under a budget, the noisy count _fit_private planned DP-SGD with
            self.n_entities_ = len(uniques)
        return self

    def _learn_changes(self, frame: pd.DataFrame, entities: np.ndarray,
                       kinds: dict[str, Any], metadata: Metadata) -> None:
        """Replace each ``differences`` column of ``frame`` by its changes and add its first
        value per entity (a context column), with their kinds."""
        from simulacra.models.sequential.changes import Changes

        columns = list(self.differences)
        bad = [c for c in columns if c not in frame.columns or c == self.sequence_index_
               or not isinstance(metadata[c], Numerical)]
        if bad:
            raise DataError(f"differences {bad} must be numerical event columns of the data "
                            "(not the sequence_key or sequence_index)")
        clash = sorted(set(columns) & set(self.context_columns or ()))
        if clash:
            raise ParameterError(f"{clash} are both context_columns and differences; a "
                                 "context column is constant within an entity")
        self.changes_ = Changes(columns).fit(frame)
        steps, firsts = self.changes_.split(frame, entities)
        for column in columns:
            name = fresh_name(f"{column}.first", frame.columns)
            self.first_columns_.append(name)
            frame[column] = steps[column].to_numpy()
            frame[name] = firsts[column].to_numpy()
            kinds[column] = Numerical().with_reason("change since the previous event")
            kinds[name] = metadata[column]

    def _running_constraints(self, metadata: Metadata) -> list[Any]:
        """The metadata's ``running_sum`` constraints, checked (the only kind this model
        takes: it makes them hold by construction)."""
        from simulacra.constraints import RunningSum

        others = [c for c in metadata.constraints if not isinstance(c, RunningSum)]
        if others:
            raise ParameterError(f"SequentialNetwork holds running_sum constraints only, not "
                                 f"{others}; remove them from the metadata (and check them on "
                                 "the output with their .check(frame, metadata))")
        running = [c for c in metadata.constraints if isinstance(c, RunningSum)]
        problems = [p for c in running for p in c.problems(metadata)]
        reserved = {self.sequence_key_, self.sequence_index_, *(self.context_columns or ()),
                    *(self.differences or ())}
        columns = [c.column for c in running]
        for c in running:
            if c.column in reserved:
                problems.append(f"{c}: {c.column!r} is the sequence key or index, a context "
                                "column or a differences column; a running sum is an event "
                                "column of its own")
            if c.increment in columns or c.increment == self.sequence_key_:
                problems.append(f"{c}: its increment {c.increment!r} is the key or another "
                                "running sum")
        if len(set(columns)) < len(columns):
            problems.append(f"a column is the running sum of two increments: {columns}")
        if problems:
            raise DataError("; ".join(problems))
        return running

    def _learn_sums(self, running: list[Any], data: pd.DataFrame, frame: pd.DataFrame,
                    entities: np.ndarray, kinds: dict[str, Any], metadata: Metadata) -> None:
        """Replace each running sum's column of ``frame`` by its entity's first value (a
        context column); the column is written back as the running sum of its increment."""
        from simulacra.precision import decimals_of

        first = first_of(entities)
        for c in running:
            broken = int((~c.check(data, metadata)).sum())
            if broken:
                logger.warning("sequential: %d events of the training data break %s; the "
                               "generated ones hold it", broken, c)
            values = pd.to_numeric(frame[c.column], errors="coerce")
            name = fresh_name(f"{c.column}.first", frame.columns)
            frame[name] = values.to_numpy(np.float64)[first]
            kinds[name] = metadata[c.column]
            self.sums_.append({"column": c.column, "increment": c.increment, "first": name,
                               "decimals": decimals_of(values),
                               "integer": bool(pd.api.types.is_integer_dtype(
                                   frame[c.column]))})
            del frame[c.column]
            kinds.pop(c.column, None)

    def _sum_firsts(self) -> list[str]:
        return [s["first"] for s in self.sums_]

    @staticmethod
    def _running(spec: dict[str, Any], base: np.ndarray, increments: pd.Series,
                 entity: np.ndarray, *, from_first: bool = False) -> np.ndarray:
        """A running sum's column: ``base`` (per event) plus its ``increments``
        (:func:`~simulacra.models.sequential.changes.running_sums`), in its storage."""
        from simulacra.models.sequential.changes import running_sums

        values = running_sums(base, pd.to_numeric(increments, errors="coerce").to_numpy(
            np.float64), entity, from_first=from_first)
        if spec["decimals"] is not None:
            values = np.round(values, spec["decimals"])
        return values.astype(np.int64) if spec["integer"] and np.isfinite(values).all() \
            else values

    def _find_context(self, frame: pd.DataFrame, entities: np.ndarray) -> list[str]:
        if self.context_columns is not None:
            unknown = [c for c in self.context_columns if c not in frame.columns]
            if unknown:
                raise DataError(f"context_columns {unknown} are not columns of the data (or "
                                f"name the sequence_key); columns are {list(frame.columns)}")
            return [c for c in self.context_columns if c != self.sequence_index_]
        own = {self.sequence_index_, self.start_column_, self.length_column_,
               *self.first_columns_, *self._sum_firsts()}
        lengths = np.bincount(entities)
        several = lengths[entities] > 1
        if not several.any():
            return []
        out = []
        for column in frame.columns:
            if column in own:
                continue
            values = frame[column][several]
            distinct = values.groupby(entities[several]).nunique(dropna=False)
            if (distinct <= 1).all():
                out.append(str(column))
        return out

    def _fit_network(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        torch = require_torch()
        from simulacra.neural.optim import adam, decay_groups

        self.tokenizer_ = Tokenizer(numeric_bins=int(self.numeric_bins),
                                    sub_bins=int(self.numeric_sub_bins),
                                    sub_bins_for=str(self.sub_bins_for),
                                    exact=[c.name for c in columns
                                           if c.source == self.length_column_],
                                    max_categories=int(self.max_categories)).fit(encoded, columns)
        tokens = self.tokenizer_.transform(encoded)
        ctx, ev = self._positions()
        lengths, starts = _spans(self._entities)
        self.clock_ = self._make_clock(tokens, starts) if self.times_ is not None else None
        cap = int(self.max_sequence_length or lengths.max())
        if lengths.max() > cap:
            logger.warning("sequential: %d entities have more than %d events; only their "
                           "first %d are learned", int((lengths > cap).sum()), cap, cap)
        self.max_length_ = int(min(lengths.max(), cap))
        self.periodic_ = self._periodic()
        lengths = np.minimum(lengths, cap)
        fixed = len(lengths) > 1 and bool((lengths == lengths[0]).all())
        self.fixed_length_ = int(lengths[0]) if fixed else None
        context = tokens[starts][:, ctx]
        events = tokens[:, ev]
        train_rows, held_rows = self._split_rows(len(lengths), rng)
        self.preprocess_seconds_ = time.perf_counter() - started
        logger.info("sequential: %d entities, %d events, %d context and %d event token "
                    "columns", len(lengths), len(tokens), len(ctx), len(ev))
        seed = child_seed(rng)
        batch = min(int(self._setting("batch_size")),
                    max(16, -(-len(train_rows) // MIN_BATCHES)))
        with torch_session(seed, device):
            net = self._network()
            net.step.init_marginals([np.bincount(np.r_[np.zeros(len(events), np.int64),
                                                       np.ones(len(lengths), np.int64)],
                                                 minlength=2)]
                                    + [np.bincount(events[:, j], minlength=k)
                                       for j, k in enumerate(net.event_sizes)])
            if net.context is not None:
                net.context.init_marginals([np.bincount(context[:, j], minlength=k)
                                            for j, k in enumerate(net.context_sizes)])
            net = net.to(device)
            opt = adam(decay_groups(net, float(self.weight_decay)),
                       lr=float(self._setting("learning_rate")), betas=(0.9, 0.999),
                       weight_decay=0.0)
            data = _Padded(context, events, starts, lengths, device)
            held_batches = data.batches(held_rows, batch * 4, None)
            with self._epochs(["loss"], net if len(held_rows) else None) as loop:
                for _ in loop:
                    net.train()
                    total = 0.0
                    for rows in data.batches(train_rows, batch, rng):
                        # over the nominal batch, not the rows: long sequences come in
                        # smaller batches, and an update per batch at full weight would
                        # over-weigh them (their lengths drawn several times too often)
                        summed = net.nll(*data.tensors(rows))
                        opt.zero_grad(set_to_none=True)
                        (summed / batch).backward()
                        opt.step()
                        total += summed.item()

                    def held_loss() -> float:
                        net.eval()
                        with torch.no_grad():
                            out = sum(float(net.nll(*data.tensors(r))) for r in held_batches)
                        net.train()
                        return out / max(len(held_rows), 1)

                    if loop.end_epoch({"loss": total / max(len(train_rows), 1)}, held_loss):
                        break
                    if loop.epochs_since_best and loop.epochs_since_best % LR_PATIENCE == 0:
                        for group in opt.param_groups:
                            group["lr"] *= 0.5
            self.network_ = net.cpu().eval()

    def _encode(self, data: pd.DataFrame, metadata: Metadata, rng: np.random.Generator
                ) -> tuple[Any, dict[str, np.ndarray], list[EncodedColumn]]:
        """The codec, fitted under privacy on one event per entity drawn at random (so that
        an entity moves the DP statistics as one row does), then every event encoded; the
        noisy counts of the context codes are counted once per entity too."""
        if self.privacy is None:
            return super()._encode(data, metadata, rng)
        lengths, starts = _spans(self._entities)
        one = starts + np.floor(rng.random(len(lengths)) * lengths).astype(np.int64)
        codec = self._new_codec(metadata)
        codec.fit(data.iloc[one].reset_index(drop=True), rng,
                  budget=self._codec_budget(len(lengths), metadata))
        encoded = codec.transform(data, rng)
        self._measure(codec, {k: v[starts] for k, v in encoded.items()}, rng)
        return codec, encoded, codec.encoded_columns_

    def _counted_columns(self, codec: Any) -> tuple[list[str], str]:
        """Under privacy, noisy counts of the context codes (the number of events, the first
        time, the entity's own columns) start and finish the context's marginals."""
        context = set(self._model_context())
        return [c.name for c in codec.encoded_columns_ if c.source in context], \
            "context marginals"

    def _fit_private(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        """The DP codes as tokens, then DP-SGD per entity
        (:mod:`~simulacra.models.sequential.private`)."""
        from simulacra.models.autoregressive.private import CALIBRATION_ROWS, calibrate_marginals
        from simulacra.models.sequential.private import Settings, train

        self.tokenizer_, tokens = Tokenizer.of_dp_codes(encoded, columns,
                                                        int(self.max_categories))
        ctx, ev = self._positions()
        lengths, starts = _spans(self._entities)
        self.clock_ = None  # its typical times per token would be read off the rows
        self.max_length_ = int(self.max_sequence_length)
        self.periodic_ = self._periodic()
        self.fixed_length_ = None
        data = _Padded(tokens[starts][:, ctx], tokens[:, ev], starts, lengths, device)
        n = len(lengths)
        public = self._noisy_count
        self.n_entities_ = public  # the exact count is private: the file keeps the noisy one
        batch = min(int(self._setting("batch_size")), max(public // MIN_DP_STEPS, 1))
        plan = self._dp_plan(n, public, batch, max(round(public / batch), 1))
        self.preprocess_seconds_ = time.perf_counter() - started
        settings = Settings(learning_rate=float(self._setting("learning_rate")),
                            weight_decay=float(self.weight_decay),
                            epochs=int(self._setting("epochs")))
        seed = child_seed(rng)
        names = self.tokenizer_.names_
        counts = [self.dp_counts_[names[j]] for j in ctx]
        torch = require_torch()
        with torch_session(seed, device):
            net = self._network()
            if net.context is not None:
                net.context.init_marginals(counts)
        with self._epochs([]) as loop:
            result = train(net, data, settings, plan=plan, seed=seed, device=device, loop=loop)
        if result.network.context is not None:  # DP-SGD's noise and clipping move them
            calibrate_marginals(result.network.context, counts, self.dp_counts_sigma_,
                                CALIBRATION_ROWS, torch.Generator().manual_seed(seed))
        self._finish_private(plan, result)

    def _periodic(self) -> bool:
        """Whether the network reads periodic features of positions: for sequences longer
        than the positions it embeds one by one (``network.PERIODS``)."""
        from simulacra.models.sequential.network import POSITIONS

        return self.max_length_ > POSITIONS

    def _tokens_of(self, encoded: dict[str, np.ndarray]) -> np.ndarray:
        """Tokens of encoded columns (under privacy the DP codes, their positions dropped)."""
        if self.privacy is not None:
            encoded = {k: np.floor(v).astype(np.int64) for k, v in encoded.items()}
        return self.tokenizer_.transform(encoded)

    def _encoded_of(self, tokens: np.ndarray, rng: np.random.Generator
                    ) -> dict[str, np.ndarray]:
        """Encoded columns of tokens (under privacy a number gets a position in its DP
        bin)."""
        encoded = self.tokenizer_.inverse_transform(tokens, rng)
        return self.codec_.spread(encoded, rng) if self.privacy is not None else encoded

    def _token_sources(self) -> list[str]:
        """The table column each token column comes from."""
        source = {c.name: c.source for c in self.codec_.encoded_columns_}
        return [source[self.tokenizer_.source_[n]] for n in self.tokenizer_.names_]

    def _positions(self) -> tuple[list[int], list[int]]:
        """Token columns of the context and of the events."""
        context = set(self._model_context())
        ctx = [j for j, source in enumerate(self._token_sources()) if source in context]
        return ctx, [j for j in range(len(self.tokenizer_.names_)) if j not in set(ctx)]

    def _columns_of(self, positions: list[int], column: str | None) -> list[int]:
        """Which of the token columns at ``positions`` (their indices in it) come from
        ``column``."""
        sources = self._token_sources()
        return [k for k, j in enumerate(positions) if sources[j] == column]

    def _network(self) -> Any:
        from simulacra.models.sequential.network import SequenceNet

        ctx, ev = self._positions()
        sizes = self.tokenizer_.sizes_
        return SequenceNet([sizes[j] for j in ctx], [sizes[j] for j in ev],
                           int(self.embedding_dim), int(self.hidden_dim), int(self.state_dim),
                           clock=getattr(self, "clock_", None),
                           counted=self.length_column_ is not None,
                           periodic=self.periodic_)

    def _clock_fits(self) -> bool:
        """Whether the clock reads the gap and first-time columns' tokens, of their sizes."""
        clock, sizes = self.clock_, self.tokenizer_.sizes_
        ctx, ev = self._positions()
        return (list(clock.gap_columns) == self._columns_of(ev, self.sequence_index_)
                and list(clock.start_columns) == self._columns_of(ctx, self.start_column_)
                and list(clock.gap_radix) == [sizes[ev[k]] for k in clock.gap_columns]
                and list(clock.start_radix) == [sizes[ctx[k]] for k in clock.start_columns])

    def _make_clock(self, tokens: np.ndarray, starts: np.ndarray) -> Any:
        """The network's clock (:class:`~simulacra.models.sequential.network.Clock`): the
        typical gap of each code of the gap column's tokens and the typical first time of each
        code of the first-time column's, from the training events; ``None`` when the tokens
        have too many codes to tabulate."""
        from simulacra.models.sequential.network import Clock

        gaps, start = self._times
        ctx, ev = self._positions()
        sizes = self.tokenizer_.sizes_
        gap_columns = self._columns_of(ev, self.sequence_index_)
        start_columns = self._columns_of(ctx, self.start_column_)
        gap_radix = [int(sizes[ev[k]]) for k in gap_columns]
        start_radix = [int(sizes[ctx[k]]) for k in start_columns]
        if not gap_columns or not start_columns or max(np.prod(gap_radix),
                                                       np.prod(start_radix)) > MAX_CLOCK_CODES:
            return None
        gap_values = _typical(_codes(tokens[:, ev][:, gap_columns], gap_radix), gaps,
                              int(np.prod(gap_radix)))
        start_values = _typical(_codes(tokens[starts][:, ctx][:, start_columns], start_radix),
                                start[starts], int(np.prod(start_radix)))
        last = float(self.times_.last_)
        span = max(last - float(start.min()), 1.0)
        return Clock(tuple(gap_columns), tuple(gap_radix), tuple(gap_values.tolist()),
                     tuple(start_columns), tuple(start_radix), tuple(start_values.tolist()),
                     last, span)

    # -- sample -------------------------------------------------------------------------------
    def sample(self, n: int, *, conditions: Mapping[str, Any] | None = None,
               rebalance: Mapping[str, Mapping[Any, float]] | None = None,
               rng: RandomState = None) -> pd.DataFrame:
        """``n`` entities with their events (one row per event, the training data's columns).

        ``conditions`` fixes entity-level (context) columns — a value, ``None`` for nulls, or
        an inclusive ``(low, high)`` range — and ``rebalance={"segment": {"business": 0.5}}``
        sets the share of entities per category of one context column. Contexts are drawn
        until ``n`` match (exact conditional sampling: the entity's context given the
        conditions, then its length and events given its context). ``rng`` makes this call
        reproducible on its own; without it, draws continue the model's own stream, seeded by
        ``random_state``.

        >>> import numpy as np, pandas as pd
        >>> import simulacra as sim
        >>> rng = np.random.default_rng(0)
        >>> sizes = rng.integers(1, 4, 400)
        >>> events = pd.DataFrame({
        ...     "customer": np.repeat(np.arange(400), sizes),
        ...     "segment": np.repeat(rng.choice(["retail", "business"], 400), sizes),
        ...     "amount": rng.gamma(2.0, 30.0, sizes.sum()).round(2)})
        >>> model = sim.SequentialNetwork(sequence_key="customer", epochs=2,
        ...                               random_state=0).fit(events)
        >>> out = model.sample(20, conditions={"segment": "business"}, rng=0)
        >>> out["customer"].nunique(), out["segment"].unique().tolist()
        (20, ['business'])
        """
        self._check_fitted()
        ok = isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1
        if not ok:
            raise ParameterError(f"n must be an integer >= 1 (entities), got {n!r}")
        generator = self._sample_rng if rng is None else make_rng(rng)
        if conditions or rebalance is not None:
            conditions = dict(conditions or {})
            named = [*conditions, *(rebalance if isinstance(rebalance, Mapping) else [])]
            self._check_context_names(named, "conditions fix" if conditions else
                                      "rebalance sets the shares of")
            if rebalance is not None:
                contexts = self._sample_rebalanced(int(n), conditions, rebalance, generator,
                                                   draw=self._context_rows)
            else:
                contexts = self._sample_conditions(int(n), conditions, generator,
                                                   draw=self._context_rows)
            return self.sample_sequences(contexts[self.context_columns_], rng=generator)
        entity, tokens = self._draw(int(n), None, None, generator)
        fixed = self.fixed_length_ is not None
        return self._decode(entity, tokens, None, generator, window=not fixed)[0]

    def _check_context_names(self, names: Sequence[str], what: str) -> None:
        """Conditions and rebalancing fix context columns only: a clear error otherwise."""
        context = self.context_columns_
        wrong = [c for c in names if c not in context]
        if not wrong:
            return
        if not context:
            raise ParameterError(f"{what} {wrong}: this model has no context (entity-level) "
                                 "columns; filter the generated events instead")
        raise ParameterError(f"{what} an entity's context columns {context}; {wrong} "
                             f"{'is not one' if len(wrong) == 1 else 'are not'} (event columns "
                             "change from event to event: filter the generated events, or "
                             "give whole contexts to sample_sequences)")

    def _context_rows(self, n: int, rng: np.random.Generator,
                      steer: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """``n`` entities' context columns drawn by the network (candidates for conditional
        sampling: their lengths and events are drawn later, given the kept contexts)."""
        torch = require_torch()
        parts = []
        with torch_session(child_seed(rng), torch.device("cpu")) as gen, torch.no_grad():
            for begin in range(0, n, CHUNK):
                size = min(CHUNK, n - begin)
                parts.append(_draw_made(self.network_.context, size, gen,
                                        torch.device("cpu")).numpy())
        return self._context_frame(np.concatenate(parts), rng)[self.context_columns_]

    def _context_frame(self, context: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """The table columns context tokens ``(B, Cc)`` stand for (event columns decoded
        from stand-in tokens: only the context columns mean anything)."""
        ctx, _ = self._positions()
        full = np.zeros((len(context), len(self.tokenizer_.names_)), dtype=np.int64)
        full[:, ctx] = context
        return self.codec_.inverse_transform(self._encoded_of(full, rng), len(full), rng)

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The encoded events of ``n`` entities (their number of rows varies)."""
        _, tokens = self._draw(n, None, None, rng)
        return self._encoded_of(tokens, rng)

    def sample_sequences(self, context: pd.DataFrame, *, lengths: Sequence[int] | None = None,
                         rng: RandomState = None) -> pd.DataFrame:
        """One sequence per row of ``context`` (the model's context columns), of ``lengths``
        events each when given (else as many as the model draws).

        The sequence key of each sequence is ``context``'s value in that column when it has
        one, else a fresh key.
        """
        frame, _ = self.sample_for(context, lengths=lengths, rng=rng)
        return frame

    def sample_for(self, context: pd.DataFrame, *, lengths: Sequence[int] | None = None,
                   rng: RandomState = None) -> tuple[pd.DataFrame, np.ndarray]:
        """:meth:`sample_sequences`, and per output row the position of its context row."""
        self._check_fitted()
        if not isinstance(context, pd.DataFrame):
            raise DataError(f"context must be a DataFrame, got {type(context).__name__}")
        missing = [c for c in self.context_columns_ if c not in context.columns]
        if missing:
            raise DataError(f"context lacks the model's context columns {missing}")
        n = len(context)
        counts = None
        if lengths is not None:
            counts = np.asarray(lengths, dtype=np.int64)
            if counts.shape != (n,) or (counts < 0).any():
                raise ParameterError(f"lengths must give a non-negative length per context row "
                                     f"({n}), got shape {counts.shape}")
        generator = self._sample_rng if rng is None else make_rng(rng)
        tokens = self._context_tokens(context, generator, counts) if n else None
        if n == 0:
            return self._decode(np.zeros(0, np.int64), np.zeros((0, len(
                self.tokenizer_.names_)), np.int64), None, generator)[0], np.zeros(0, np.int64)
        entity, full = self._draw(n, tokens, counts, generator,
                                  complete=self._drawn_context_tokens(counts is None))
        key = self.sequence_key_
        keys = context[key] if key in context.columns else None
        frame, kept = self._decode(entity, full, keys, generator,
                                   window=lengths is None and self.fixed_length_ is None)
        return frame, entity[kept]

    def continue_sequences(self, prefixes: pd.DataFrame, *, events: int | None = None,
                           rng: RandomState = None) -> pd.DataFrame:
        """What comes next: ``prefixes`` holds the first events of some entities (the
        training data's columns); each entity's sequence is continued after them — by
        ``events`` more events each when given, else until the model stops it — and the new
        events are returned (their dates after the last given one, not bounded by the
        training data's last date: a forecast).

        >>> import numpy as np, pandas as pd
        >>> import simulacra as sim
        >>> steps = pd.DataFrame({"unit": np.repeat(np.arange(200), 4),
        ...                       "t": np.tile(np.arange(4), 200),
        ...                       "level": np.tile(np.arange(4), 200) * 10.0})
        >>> model = sim.SequentialNetwork(sequence_key="unit", epochs=2,
        ...                               random_state=0).fit(steps)
        >>> given = pd.DataFrame({"unit": [7, 7], "t": [0, 1], "level": [0.0, 10.0]})
        >>> nxt = model.continue_sequences(given, events=2, rng=0)
        >>> nxt["unit"].tolist(), nxt["t"].tolist()
        ([7, 7], [2, 3])
        """
        self._check_fitted()
        if not isinstance(prefixes, pd.DataFrame):
            raise DataError(f"prefixes must be a DataFrame, got {type(prefixes).__name__}")
        missing = [c for c in self.columns_ if c not in prefixes.columns]
        if missing:
            raise DataError(f"prefixes lack the model's columns {missing}")
        key, index = self.sequence_key_, self.sequence_index_
        if prefixes[key].isna().any():
            raise DataError(f"prefixes: sequence_key column {key!r} has null values")
        bad_count = events is not None and not (isinstance(events, int | np.integer)
                                                and not isinstance(events, bool) and events >= 1)
        if bad_count:
            raise ParameterError(f"events must be an integer >= 1 (new events per entity), "
                                 f"got {events!r}")
        generator = self._sample_rng if rng is None else make_rng(rng)
        frame, entity, keys = by_entity(prefixes[self.columns_], key, index)
        if len(frame) == 0:
            return prefixes[self.columns_].iloc[:0].copy()
        first = np.r_[0, np.flatnonzero(np.diff(entity)) + 1]
        last = np.r_[first[1:], len(entity)] - 1
        counts = np.diff(np.r_[first, len(entity)]).astype(np.int64)
        if self.times_ is not None:
            last_time = self.times_.steps(frame[index])[last]
            gaps, start = self.times_.split(frame[index], entity)
            frame[index] = gaps
            frame[self.start_column_] = start
        if self.changes_ is not None:
            columns = self.changes_.columns
            last_values = frame[columns].iloc[last].reset_index(drop=True)
            steps, firsts = self.changes_.split(frame, entity)
            for column, name in zip(columns, self.first_columns_, strict=True):
                frame[column] = steps[column].to_numpy()
                frame[name] = firsts[column].to_numpy()
        sum_last = []
        for spec in self.sums_:
            given = pd.to_numeric(frame[spec["column"]], errors="coerce").to_numpy(np.float64)
            sum_last.append(given[last])
            frame[spec["first"]] = given[first][entity]
        lengths = None if events is None else counts + int(events)
        if self.length_column_ is not None:
            frame[self.length_column_] = np.clip(counts + (events or 1), 1,
                                                 self.max_length_)[entity]
        tokens = self._tokens_of(self.codec_.transform(
            frame[self.codec_.columns_], generator))
        ctx, ev = self._positions()
        forced = np.zeros((len(first), int(counts.max()), len(ev)), dtype=np.int64)
        step = np.arange(len(entity)) - first[entity]
        forced[entity, step] = tokens[:, ev]
        context = tokens[first][:, ctx]
        if self.length_column_ is not None and lengths is None:
            context, lengths = self._longer(context, counts, generator)
        drawn_entity, drawn = self._draw(len(first), context, lengths, generator,
                                         forced=forced, forced_len=counts)
        out, _ = self._decode(drawn_entity, drawn, pd.Series(keys), generator)
        rank = np.arange(len(drawn_entity)) - first_of(drawn_entity)
        new = rank >= counts[drawn_entity]
        out = out.loc[new].reset_index(drop=True)
        who = drawn_entity[new]
        for column in self.context_columns_:  # the entity's own values, as given
            out[column] = frame[column].to_numpy()[first][who]
        if self.times_ is not None or self.changes_ is not None:
            raw = self.codec_.inverse_transform(self._encoded_of(
                drawn[new], generator), int(new.sum()), generator)
        if self.times_ is not None:
            gaps = pd.to_numeric(raw[index]).to_numpy(np.float64)
            out[index] = self.times_.extend(last_time[who], gaps, who).set_axis(
                out.index)
        if self.changes_ is not None:
            values = self.changes_.extend(last_values, raw[self.changes_.columns], who)
            for column in self.changes_.columns:
                out[column] = values[column].to_numpy()
        for spec, base in zip(self.sums_, sum_last, strict=True):  # after the last given
            out[spec["column"]] = self._running(spec, base[who], out[spec["increment"]], who,
                                                from_first=True)
        return out[self.columns_]

    def _model_context(self) -> list[str]:
        """The network's context columns: the entity's own ones, then its number of events,
        the first values of the ``differences`` columns and of the running sums, and its
        first time (the last context columns, so they can be drawn given the others)."""
        length = [self.length_column_] if self.length_column_ is not None else []
        start = [self.start_column_] if self.start_column_ is not None else []
        return [*self.context_columns_, *length, *self.first_columns_, *self._sum_firsts(),
                *start]

    def _context_tokens(self, context: pd.DataFrame, rng: np.random.Generator,
                        lengths: np.ndarray | None = None) -> np.ndarray:
        """The context rows as the model's context tokens (event columns get stand-ins; the
        length column, when the model has one, is ``lengths`` when given)."""
        ctx, _ = self._positions()
        tokens = self._draw(1, None, np.ones(1, np.int64), rng)[1]  # one event
        filler = self.codec_.inverse_transform(self._encoded_of(tokens, rng),
                                               len(tokens), rng)
        given = self.context_columns_
        frame = pd.DataFrame({c: (context[c].to_numpy() if c in given
                                  else np.repeat(filler[c].to_numpy()[:1], len(context)))
                              for c in self.codec_.columns_})
        for c in frame.columns:
            if c not in given:
                frame[c] = frame[c].astype(filler[c].dtype)
        if lengths is not None and self.length_column_ is not None:
            frame[self.length_column_] = np.clip(lengths, 1, self.max_length_).astype(
                filler[self.length_column_].dtype)
        tokens = self._tokens_of(self.codec_.transform(frame, rng))
        return tokens[:, ctx]

    def _draw(self, n: int, context: np.ndarray | None, lengths: np.ndarray | None,
              rng: np.random.Generator, *, complete: int = 0,
              forced: np.ndarray | None = None,
              forced_len: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(entity of each event, tokens of each event)``: contexts drawn when not given;
        ``complete``: how many of the given contexts' last token columns are drawn given the
        rest (:meth:`_drawn_context_tokens`). Without ``lengths`` (and ``forced`` events), a
        model with a length column gives each entity the length its context tokens say."""
        torch = require_torch()
        seed = child_seed(rng)
        ctx, ev = self._positions()
        device = resolve_device(self.device)
        net = self.network_
        if lengths is None and forced is None and self.fixed_length_ is not None:
            lengths = np.full(n, self.fixed_length_, dtype=np.int64)
        entity_parts, token_parts = [], []
        with torch_session(seed, device) as gen, torch.no_grad():
            net = net.to(device).eval()
            for begin in range(0, n, CHUNK):
                size = min(CHUNK, n - begin)
                if context is None:
                    given = _draw_made(net.context, size, gen, device) if net.context \
                        is not None else torch.zeros((size, 0), dtype=torch.int64, device=device)
                else:
                    given = torch.from_numpy(context[begin:begin + size]).to(device)
                    if complete:
                        given = _complete_made(net.context, given, complete, gen, device)
                limit = None if lengths is None else \
                    torch.from_numpy(lengths[begin:begin + size]).to(device)
                if limit is None and forced is None and self.length_column_ is not None:
                    limit = torch.from_numpy(self._lengths_of(given.cpu().numpy(), rng)).to(
                        device)
                prefix = prefix_len = None
                if forced is not None and forced_len is not None:
                    prefix = torch.from_numpy(forced[begin:begin + size]).to(device)
                    prefix_len = torch.from_numpy(forced_len[begin:begin + size]).to(device)
                who, steps = _draw_steps(net, given, limit, self.max_length_, gen, device,
                                         prefix, prefix_len)
                full = torch.zeros((len(who), len(ctx) + len(ev)), dtype=torch.int64,
                                   device=device)
                if ctx:
                    full[:, ctx] = given[who]
                if ev:
                    full[:, ev] = steps
                entity_parts.append(who.cpu().numpy() + begin)
                token_parts.append(full.cpu().numpy())
            self.network_.cpu()
        return np.concatenate(entity_parts), np.concatenate(token_parts)

    def _drawn_context_tokens(self, length: bool = True) -> int:
        """How many of the last context tokens are drawn for given contexts: the sequence
        length's (with ``length``), the first values of the ``differences`` columns and the
        entity's first time."""
        ctx = self._positions()[0]
        drawn = [self.length_column_] if length else []
        return sum(len(self._columns_of(ctx, c))
                   for c in [*drawn, *self.first_columns_, *self._sum_firsts(),
                             self.start_column_] if c is not None)

    def _longer(self, context: np.ndarray, counts: np.ndarray, rng: np.random.Generator,
                tries: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """``(context tokens, lengths)``: each entity's length redrawn given its other context
        tokens until it exceeds its ``counts`` events so far (after ``tries`` draws: one more
        event than it has)."""
        torch = require_torch()
        ctx, _ = self._positions()
        columns = self._columns_of(ctx, self.length_column_)
        out, lengths = context.copy(), counts + 1
        todo = np.arange(len(counts))
        cpu = torch.device("cpu")
        with torch_session(child_seed(rng), cpu) as gen, torch.no_grad():
            for _ in range(tries):
                if not len(todo):
                    break
                drawn = _complete_made(self.network_.context, torch.from_numpy(out[todo]),
                                       columns, gen, cpu).numpy()
                total = self._lengths_of(drawn, rng)
                ok = total > counts[todo]
                out[todo[ok]] = drawn[ok]
                lengths[todo[ok]] = total[ok]
                todo = todo[~ok]
        return out, lengths

    def _lengths_of(self, context: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each entity's number of events, as its context tokens ``(B, Cc)`` say."""
        frame = self._context_frame(context, rng)
        values = pd.to_numeric(frame[self.length_column_]).to_numpy(np.float64)
        return np.clip(np.rint(np.nan_to_num(values, nan=1.0)), 1, self.max_length_).astype(
            np.int64)

    def _decode(self, entity: np.ndarray, tokens: np.ndarray, keys: pd.Series | None,
                rng: np.random.Generator, *,
                window: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
        """The events as a table, and which of them it keeps: with ``window``, events drawn
        past the last time of the training data are dropped (its sequences were cut there;
        an entity keeps its first event)."""
        encoded = self._encoded_of(tokens, rng)
        frame = self.codec_.inverse_transform(encoded, len(tokens), rng)
        first = first_of(entity)
        if len(entity):
            for column in self._model_context():  # one value per entity
                frame[column] = frame[column].to_numpy()[first]
        if self.changes_ is not None and len(entity):
            columns = self.changes_.columns
            firsts = frame[self.first_columns_].set_axis(columns, axis=1)
            values = self.changes_.join(frame[columns], firsts, entity)
            for column in columns:
                frame[column] = values[column].to_numpy()
        for spec in self.sums_:
            first_value = pd.to_numeric(frame[spec["first"]]).to_numpy(np.float64)
            frame[spec["column"]] = self._running(spec, first_value, frame[spec["increment"]],
                                                  entity)
        n_entities = int(entity.max()) + 1 if len(entity) else 0
        if keys is not None:
            values = keys.to_numpy()[entity]
        else:
            values = self.key_encoder_.generate(n_entities, rng).to_numpy()[entity]
        frame.insert(0, self.sequence_key_, values)
        if self.times_ is not None:
            index = self.sequence_index_
            times, inside = self.times_.join(
                pd.to_numeric(frame[index]).to_numpy(np.float64),
                pd.to_numeric(frame[self.start_column_]).to_numpy(np.float64), entity, rng)
            frame[index] = times.set_axis(frame.index)
            if window and len(frame):
                kept = inside | (first == np.arange(len(entity)))
                return frame.loc[kept, self.columns_].reset_index(drop=True), kept
        return frame[self.columns_], np.ones(len(frame), dtype=bool)

    # -- state --------------------------------------------------------------------------------
    def _data_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer_.get_state(), "columns": list(self.columns_),
                "context_columns": list(self.context_columns_),
                **sequence_state(self), "length_column": self.length_column_,
                "clock": None if getattr(self, "clock_", None) is None
                else dataclasses.asdict(self.clock_),
                "max_length": int(self.max_length_), "n_entities": int(self.n_entities_),
                "periodic": bool(self.periodic_),
                "fixed_length": self.fixed_length_,
                "changes": None if self.changes_ is None else self.changes_.get_state(),
                "first_columns": list(self.first_columns_),
                "running_sums": list(self.sums_)}

    def _load_data_state(self, state: dict[str, Any]) -> None:
        self.tokenizer_ = Tokenizer.from_state(state["tokenizer"])
        self.columns_ = [str(c) for c in state["columns"]]
        self.context_columns_ = [str(c) for c in state["context_columns"]]
        length = state.get("length_column")
        if length is not None and not (isinstance(length, str) and length in self.codec_.columns_
                                       and length not in self.columns_
                                       and state.get("fixed_length") is None):
            raise DataError("the model file's length column is not one of its own columns; "
                            "the file is corrupted")
        self.length_column_ = length
        self._load_changes(state.get("changes"), state.get("first_columns") or [])
        self.sums_ = self._checked_sums(state.get("running_sums") or [])
        load_sequence_state(self, state)
        self.clock_ = _clock_from_state(state.get("clock"))
        if self.clock_ is not None and not self._clock_fits():
            raise DataError("the model file's clock does not name the time columns' tokens; "
                            "the file is corrupted")
        if (self.times_ is None) != (self.start_column_ is None) or (
                self.start_column_ is not None and self.start_column_ in
                self.context_columns_) or self.sequence_key_ not in self.columns_:
            raise DataError("the model file's sequence columns do not fit together; the file "
                            "is corrupted")
        self.max_length_ = int(state["max_length"])
        periodic = state.get("periodic", False)  # files from before periodic positions
        if not isinstance(periodic, bool):
            raise DataError("the model file's periodic flag is not true or false; the file is "
                            "corrupted")
        self.periodic_ = periodic
        self.n_entities_ = int(state["n_entities"])
        fixed = state.get("fixed_length")
        if fixed is not None and not (isinstance(fixed, int) and 1 <= fixed <= self.max_length_):
            raise DataError("the model file's fixed_length is not a length from 1 to its "
                            "max_length; the file is corrupted")
        self.fixed_length_ = fixed

    def _checked_sums(self, sums: Any) -> list[dict[str, Any]]:
        """The model file's running sums, checked (a model file is untrusted)."""
        known, out = set(self.codec_.columns_), []
        ok = isinstance(sums, list) and len(sums) <= 10_000
        for spec in sums if ok else []:
            ok = (isinstance(spec, dict) and set(spec) == {"column", "increment", "first",
                                                          "decimals", "integer"}
                  and isinstance(spec["column"], str) and spec["column"] in self.columns_
                  and spec["column"] not in known
                  and isinstance(spec["increment"], str) and spec["increment"] in self.columns_
                  and isinstance(spec["first"], str) and spec["first"] in known
                  and (spec["decimals"] is None or (type(spec["decimals"]) is int
                                                    and 0 <= spec["decimals"] <= 15))
                  and isinstance(spec["integer"], bool))
            if not ok:
                break
            out.append(dict(spec))
        if not ok:
            raise DataError("the model file's running sums do not fit its columns; the file "
                            "is corrupted")
        return out

    def _load_changes(self, changes: Any, firsts: Any) -> None:
        from simulacra.models.sequential.changes import Changes

        self.changes_ = None if changes is None else Changes.from_state(changes)
        columns = [] if self.changes_ is None else self.changes_.columns
        known = set(self.codec_.columns_)
        fits = (isinstance(firsts, list) and len(firsts) == len(columns)
                and all(isinstance(f, str) and f in known for f in firsts)
                and all(c in self.columns_ and c in known for c in columns))
        if not fits:
            raise DataError("the model file's differences columns do not fit its columns; the "
                            "file is corrupted")
        self.first_columns_ = [str(f) for f in firsts]


class _Padded:
    """The entities' tokens as padded step tensors, a batch at a time."""

    def __init__(self, context: np.ndarray, events: np.ndarray, starts: np.ndarray,
                 lengths: np.ndarray, device: Any) -> None:
        self.context, self.events = context, events
        self.starts, self.lengths = starts, lengths
        self.device = device

    def batches(self, rows: np.ndarray, size: int,
                rng: np.random.Generator | None) -> list[np.ndarray]:
        """``rows`` in batches of similar length (shuffled within and across when ``rng``)."""
        if len(rows) == 0:
            return []
        jitter = rng.random(len(rows)) if rng is not None else np.zeros(len(rows))
        ordered = rows[np.lexsort((jitter, self.lengths[rows]))]
        out, begin = [], 0
        while begin < len(ordered):
            longest = int(self.lengths[ordered[min(begin + size, len(ordered)) - 1]]) + 1
            take = max(1, min(size, STEPS_PER_BATCH // longest))
            out.append(ordered[begin:begin + take])
            begin += take
        if rng is not None:
            out = [out[i] for i in rng.permutation(len(out))]
        return out

    def tensors(self, rows: np.ndarray) -> tuple[Any, Any, Any]:
        torch = require_torch()
        lengths = self.lengths[rows]
        s = int(lengths.max()) + 1
        t = np.arange(s)[None, :]
        inside = t < lengths[:, None]
        index = np.where(inside, self.starts[rows][:, None] + t, 0)
        c_e = self.events.shape[1]
        steps = np.zeros((len(rows), s, 1 + c_e), dtype=np.int64)
        steps[:, :, 0] = (t >= lengths[:, None])
        if c_e:
            steps[:, :, 1:] = np.where(inside[..., None], self.events[index], 0)
        valid = np.zeros_like(steps, dtype=np.float32)
        valid[:, :, 1:] = inside[..., None]
        valid[:, :, 0] = t <= lengths[:, None]
        to = self.device
        return (torch.from_numpy(self.context[rows]).to(to), torch.from_numpy(steps).to(to),
                torch.from_numpy(valid).to(to))


def _spans(entities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(events per entity, position of its first event)`` of events grouped by entity."""
    lengths = np.bincount(entities)
    return lengths, np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)


def _gumbel(logits: Any, gen: Any, device: Any) -> Any:
    torch = require_torch()
    u = torch.rand(logits.shape, generator=gen, device=device).clamp_(1e-12, 1.0)
    return torch.argmax(logits - torch.log(-torch.log(u)), dim=1)


def _draw_made(made: Any, size: int, gen: Any, device: Any) -> Any:
    torch = require_torch()
    tokens = torch.zeros((size, made.c), dtype=torch.int64, device=device)
    for j in range(made.c):
        tokens[:, j] = _gumbel(made.column_logits(tokens, j), gen, device)
    return tokens


def _clock_from_state(spec: Any) -> Any:
    """The clock of a model file, checked (``None``: the model has none)."""
    if spec is None:
        return None
    from simulacra.models.sequential.network import Clock

    try:
        clock = Clock(**{k: tuple(int(v) for v in spec[k]) for k in
                         ("gap_columns", "gap_radix", "start_columns", "start_radix")},
                      gap_values=tuple(float(v) for v in spec["gap_values"]),
                      start_values=tuple(float(v) for v in spec["start_values"]),
                      last=float(spec["last"]), span=float(spec["span"]))
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"the model file's clock is malformed ({err}); the file is "
                        "corrupted") from None
    ok = (len(clock.gap_columns) == len(clock.gap_radix)
          and len(clock.start_columns) == len(clock.start_radix)
          and len(clock.gap_values) == int(np.prod(clock.gap_radix))
          and len(clock.start_values) == int(np.prod(clock.start_radix)) and clock.span > 0)
    if not ok:
        raise DataError("the model file's clock does not fit together; the file is corrupted")
    return clock


def _codes(tokens: np.ndarray, radix: Sequence[int]) -> np.ndarray:
    """Token columns combined into one code (mixed-radix digits, first most significant)."""
    code = np.zeros(len(tokens), dtype=np.int64)
    for k, size in enumerate(radix):
        code = code * int(size) + tokens[:, k]
    return code


def _typical(code: np.ndarray, values: np.ndarray, n_codes: int) -> np.ndarray:
    """The mean value of each code; codes never seen get values interpolated between their
    neighbours' (codes of a number's tokens are ordered like the number)."""
    counts = np.bincount(code, minlength=n_codes)
    sums = np.bincount(code, weights=np.asarray(values, dtype=np.float64), minlength=n_codes)
    seen = np.flatnonzero(counts)
    if not seen.size:
        return np.zeros(n_codes)
    return np.interp(np.arange(n_codes), seen, sums[seen] / counts[seen])


def _complete_made(made: Any, given: Any, last: int | Sequence[int], gen: Any,
                   device: Any) -> Any:
    """``given`` context tokens with their ``last`` columns (a count, or these columns)
    drawn given the others."""
    tokens = given.clone()
    columns = range(made.c - last, made.c) if isinstance(last, int) else last
    for j in columns:
        tokens[:, j] = _gumbel(made.column_logits(tokens, j), gen, device)
    return tokens


def _draw_steps(net: Any, context: Any, lengths: Any, max_length: int, gen: Any,
                device: Any, forced: Any = None, forced_len: Any = None) -> tuple[Any, Any]:
    """Every entity's events: ``(entity of each event, event tokens)``, by entity then step.

    ``forced`` ``(B, L, Ce)`` with ``forced_len`` ``(B,)``: each entity's first events are
    given (read, not drawn), and the draws continue after them.
    """
    torch = require_torch()
    b = context.shape[0]
    c, state, inputs = net.begin(context, lengths)
    if net.clock is not None:
        start_time = net.start_time(context)
        elapsed = torch.zeros(b, device=device)
    active = torch.ones(b, dtype=torch.bool, device=device)
    if forced is not None and b:
        max_length = max_length + int(forced_len.max().item())
    limit = max_length if lengths is None else int(lengths.max().item()) if b else 0
    who_parts, step_parts, when_parts = [], [], []
    c_e = len(net.event_sizes)
    for t in range(limit + 1):
        idx = torch.nonzero(active).squeeze(1)
        if idx.numel() == 0:
            break
        condition, new_state = net.advance(c[idx], state[:, idx].contiguous(), inputs[idx], t)
        state[:, idx] = new_state
        tokens = torch.zeros((len(idx), 1 + c_e), dtype=torch.int64, device=device)
        if lengths is not None:
            stop = t >= lengths[idx]
        elif t >= max_length:
            stop = torch.ones(len(idx), dtype=torch.bool, device=device)
        elif t == 0:  # an entity has one event at least: it exists through its events
            stop = torch.zeros(len(idx), dtype=torch.bool, device=device)
        else:
            stop = _gumbel(net.step.conditioned_column(tokens, 0, condition), gen,
                           device).bool()
        given = None
        if forced is not None:
            given = t < forced_len[idx]
            stop = stop & ~given
        go = torch.nonzero(~stop).squeeze(1)
        if go.numel():
            moving, cond = tokens[go], condition[go]
            who = idx[go]
            if given is not None:
                read = given[go]
                row = forced[who, min(t, forced.shape[1] - 1)]
            for j in range(1, 1 + c_e):
                drawn = _gumbel(net.step.conditioned_column(moving, j, cond), gen, device)
                moving[:, j] = drawn if given is None else torch.where(read, row[:, j - 1],
                                                                       drawn)
            who_parts.append(who)
            step_parts.append(moving[:, 1:])
            when_parts.append(torch.full((len(who),), t, dtype=torch.int64, device=device))
            inputs[who] = net.event_input(moving[:, 1:])
            if net.clock is not None:
                elapsed[who] += net.increments(moving[:, 1:])
                inputs[who] += net.clock_input(
                    elapsed[who], start_time[who],
                    None if lengths is None else lengths[who] - t - 1)
        active[idx[stop]] = False
    if not who_parts:
        return (torch.zeros(0, dtype=torch.int64, device=device),
                torch.zeros((0, c_e), dtype=torch.int64, device=device))
    who = torch.cat(who_parts)
    steps = torch.cat(step_parts)
    when = torch.cat(when_parts)
    order = torch.from_numpy(np.lexsort((when.cpu().numpy(), who.cpu().numpy()))).to(device)
    return who[order], steps[order]
