"""The ``Synthesizer`` contract every model follows.

* ``Model(metadata=None, *, random_state=None, **hyperparameters)`` only stores its arguments;
* ``fit(data) -> self`` detects metadata if none was given, checks the metadata's constraints
  on the data and applies their reversible transforms (:mod:`simulacra.constraints`), encodes
  the table with the model's table codec (:mod:`simulacra.encoders.codec`: the ``"exact"``
  codec unless the model declares another in ``_new_codec``) and calls the subclass's
  ``_fit``;
* ``sample(n, *, conditions=None, rng=None) -> DataFrame`` draws encoded rows with ``_sample``,
  decodes them to the input's columns, order and dtypes, undoes the constraint transforms and
  re-samples only the rows that break a condition or a constraint;
* ``save(path)`` / :func:`simulacra.load` use the ``.simz`` format (JSON + safetensors).

Subclasses implement ``_fit(encoded, columns, rng)``, ``_sample(n, rng)``, ``_get_state()`` and
``_set_state(state)``; fitted attributes end in ``_``.
"""

from __future__ import annotations

import inspect
import logging
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.constraints.report import ConstraintReport, dump_report, load_report
from simulacra.dataframes import KINDS, from_pandas, to_pandas
from simulacra.encoders import (
    CodecBudget,
    EncodedColumn,
    ExactCodec,
    TableCodec,
    encoder_class,
)
from simulacra.encoders.codec import reversed_range
from simulacra.errors import DataError, NotFittedError, ParameterError, check_param
from simulacra.metadata import Metadata
from simulacra.models.protection import (
    RARE_LABEL,
    RARE_THRESHOLD,
    ProtectionWarning,
    protect_values,
)
from simulacra.params import Either, EstimatorParams, InstanceOf, Integer, Optional, Rule
from simulacra.randomness import RandomState, make_rng
from simulacra.serialization import dump_model

#: Candidate rows for conditional sampling: ``draw(n, rng, steer) -> DataFrame``.
Draw = Callable[[int, np.random.Generator, dict[str, Any]], pd.DataFrame]
#: Rows at least that fairness-aware and rebalanced sampling read their shares from.
PILOT_ROWS = 2_000

logger = logging.getLogger(__name__)


class Synthesizer(EstimatorParams, ABC):
    """Base class of all single-table synthesizers."""

    name: ClassVar[str]
    #: Whether the model takes ``privacy=PrivacyBudget(...)`` (differential privacy).
    supports_privacy: ClassVar[bool] = False
    #: The widest table the model fits in reasonable time and memory (None: no limit); a
    #: wider one is refused before any work (:meth:`_check_width`).
    max_columns: ClassVar[int | None] = None
    #: What this class's own hyperparameters may be (:mod:`simulacra.params`); the rules of
    #: every base class apply as well, and are checked together before fitting.
    params: ClassVar[dict[str, Rule]] = {
        "random_state": Optional(Either(Integer(0), InstanceOf(np.random.Generator,
                                                               "a numpy Generator"))),
    }

    def __new__(cls, *args: Any, **kwargs: Any) -> Synthesizer:
        if kwargs.get("privacy") is not None and not cls.supports_privacy:
            private = sorted(m.name for m in _descendants(Synthesizer)
                             if m.supports_privacy and "name" in vars(m))
            raise ParameterError(f"{cls.__name__} has no differentially private mode, so it "
                                 f"cannot take privacy=...; use one of {', '.join(private)}")
        return super().__new__(cls)

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None):
        self.metadata = metadata
        self.random_state = random_state

    # -- parameters -----------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p not in ("self", "metadata")]

    @classmethod
    def _rules(cls) -> dict[str, Rule]:
        """Every declared rule of the class and its bases (a subclass's rule wins)."""
        rules: dict[str, Rule] = {}
        for klass in reversed(cls.__mro__):
            rules.update(vars(klass).get("params", {}))
        return rules

    def _setting(self, name: str) -> Any:
        """The value hyperparameter ``name`` takes in this fit (the parameter as given)."""
        return getattr(self, name)

    def _validate_params(self) -> None:
        """Check every declared rule; subclasses add checks that tie parameters together."""
        if self.metadata is not None and not isinstance(self.metadata, Metadata):
            raise ParameterError(f"The 'metadata' parameter must be a simulacra Metadata or None. "
                                 f"Got {type(self.metadata).__name__} instead.")
        for name, rule in self._rules().items():
            rule.check(name, self._setting(name))

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, on_violation: str = "drop") -> Synthesizer:
        """Learn the shape of ``data`` (never modified). Returns ``self``.

        Rows that break one of the metadata's constraints are reported (a warning, and
        ``constraint_report_``) and, by ``on_violation``, dropped (``"drop"``), kept for
        learning (``"keep"``; sampled rows still follow the rules) or refused (``"error"``).

        Without a privacy budget, a model with ``value_protection=True`` (the default) learns
        from a copy of ``data`` whose rare categories and extreme values are replaced
        (:mod:`simulacra.models.protection`; what was done per column: ``protection_report_``)
        and keeps no detection reasons (they quote the extremes).

        Under a privacy budget nothing the budget does not cover is kept: no detection
        reasons, no constraint report (``constraint_report_`` is None; the warning gives no
        count or row) and no row count (``n_rows_`` is None).
        """
        self._validate_params()
        data, self.frame_kind_, self.frame_types_ = to_pandas(data, "fit()")
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise DataError(f"cannot fit on an empty table ({data.shape[0]} rows, "
                            f"{data.shape[1]} columns); give at least one row and one column")
        self._check_width(data.shape[1])
        started = time.perf_counter()
        metadata = self.metadata if self.metadata is not None else Metadata.detect(data)
        private = getattr(self, "privacy", None) is not None
        threshold = self._protection_threshold()
        if private or threshold > 1:  # reasons quote the rows' ranges: not kept
            metadata = metadata.without_reasons()
        metadata.validate_data(data)
        check_param("on_violation", on_violation, "one of 'drop', 'keep', 'error'",
                    on_violation in ("drop", "keep", "error"))
        rng = make_rng(self.random_state)
        constraints, model_data, model_metadata = None, data, metadata
        self.constraint_report_: ConstraintReport | None = None
        if metadata.constraints:
            from simulacra.constraints import ConstraintSet

            constraints, kept, self.constraint_report_ = ConstraintSet.fit(
                metadata, data, on_violation=on_violation, private=private)
            model_data, model_metadata = constraints.transform(kept), constraints.model_metadata
        self.protection_report_: dict[str, str] = {}
        if threshold > 1:
            model_data, self.protection_report_ = protect_values(
                model_data, model_metadata, threshold=threshold)
            for column, what in self.protection_report_.items():
                logger.info("value protection: %r %s", column, what)
        elif not private and len(data) < 2 * RARE_THRESHOLD:
            rows = f"{len(data)} row" + ("" if len(data) == 1 else "s")
            warnings.warn(f"fitting on {rows} without value protection or a privacy budget: "
                          f"synthetic rows will reproduce real ones. Fit on more rows.",
                          ProtectionWarning, stacklevel=2)
        codec, encoded, columns = self._encode(model_data, model_metadata, rng)
        self.metadata_ = metadata
        self.constraints_ = constraints
        self.codec_ = codec
        # the exact row count is private too: under DP ``sample`` needs ``n`` (no default)
        self.n_rows_: int | None = None if private else len(data)
        self._fit(encoded, columns, rng)
        self._reset_sample_rng()
        self.fit_seconds_ = time.perf_counter() - started
        size = f"{data.shape[1]} columns" if private else \
            f"{data.shape[0]} rows x {data.shape[1]} columns"
        logger.info("%s fitted on %s in %.2f s", self.name, size, self.fit_seconds_)
        return self

    def _protection_threshold(self) -> int:
        """Rows a value must share to be learned as it is (:mod:`simulacra.models.protection`):
        ``RARE_THRESHOLD`` for a model with ``value_protection=True`` and no privacy budget,
        else 1 (no protection; differential privacy covers every value)."""
        if getattr(self, "privacy", None) is not None or \
                not getattr(self, "value_protection", False):
            return 1
        return RARE_THRESHOLD

    def _check_width(self, columns: int) -> None:
        """Refuse a table of more than :attr:`max_columns` columns, with advice."""
        limit = self.max_columns
        if limit is not None and columns > limit:
            raise ParameterError(
                f"{self.name} learns how every pair of columns varies together (memory grows "
                f"as the square of the columns, time as the cube), so it takes at most "
                f"{limit:,} columns; this table has {columns:,}. Fit it on the columns that "
                "matter together, or use the model 'independent' (each column on its own, in "
                "linear time), which 'auto' picks for a table this wide")

    def _encode(self, data: pd.DataFrame, metadata: Metadata, rng: np.random.Generator
                ) -> tuple[TableCodec, dict[str, np.ndarray], list[EncodedColumn]]:
        """Fit the model's codec (under its privacy budget, if any); return it, the encoded
        table and its columns."""
        codec = self._new_codec(metadata)
        codec.fit(data, rng, budget=self._codec_budget(len(data), metadata))
        encoded = codec.transform(data, rng)
        self._measure(codec, encoded, rng)
        return codec, encoded, codec.encoded_columns_

    def _new_codec(self, metadata: Metadata) -> TableCodec:
        """The (unfitted) table codec this model encodes its table with."""
        return ExactCodec(metadata)

    def _codec_budget(self, n_rows: int, metadata: Metadata) -> CodecBudget | None:
        """The privacy budget the codec may spend (models with a privacy budget)."""
        return None

    def _measure(self, codec: TableCodec, encoded: dict[str, np.ndarray],
                 rng: np.random.Generator) -> None:
        """Statistics of the encoded table a model measures before ``_fit`` (none here)."""
        return None

    def _reset_sample_rng(self) -> None:
        seed = self.random_state if isinstance(self.random_state, int | np.integer) else None
        self._sample_rng = np.random.default_rng(None if seed is None else [int(seed), 1])

    # -- sample --------------------------------------------------------------------------------
    def sample(
        self,
        n: int,
        *,
        conditions: Mapping[str, Any] | None = None,
        rebalance: Mapping[str, Mapping[Any, float]] | None = None,
        fairness: Mapping[str, Any] | None = None,
        rng: RandomState = None,
    ) -> pd.DataFrame:
        """Generate ``n`` synthetic rows with the columns and dtypes of the training data.

        ``rng`` (a seed or Generator) makes this call reproducible on its own; without it,
        draws continue the model's own stream, seeded by ``random_state``.
        ``conditions`` fixes column values; rows are re-sampled until ``n`` rows match (see
        :meth:`_sample_conditions`). ``rebalance={"income": {">50K": 0.5}}`` sets target
        shares for one column's categories (:mod:`simulacra.models.rebalance`).
        ``fairness={"target": "income", "sensitive": ["sex"]}`` gives every group of the
        sensitive columns (default: the metadata's ``sensitive``) the target distribution of
        the whole sample: by drawing each group's rows given its target values
        (``"method": "draw"``, the default for classes) or by changing the target of as few
        rows as it can (``"relabel"``, :func:`simulacra.make_fair`; numbers and dates);
        see :mod:`simulacra.models.fairness`.
        """
        self._check_fitted()
        ok = isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1
        check_param("n", n, "an integer >= 1", ok)
        self._check_fits_in_memory(int(n))
        generator = self._sample_rng if rng is None else make_rng(rng)
        fair = None if fairness is None else self._fairness(fairness, conditions, rebalance)
        if fair is not None and rebalance is None:
            out = self._sample_fair(int(n), dict(conditions or {}), fair, generator)
        elif rebalance is not None:
            out = self._sample_rebalanced(int(n), dict(conditions or {}), rebalance, generator)
        else:
            out = self._sample_plain(int(n), dict(conditions or {}), generator)
        if fair is not None and rebalance is not None:  # 'draw' was refused by _fairness
            out = self._relabelled(out, fair, generator)
        return from_pandas(out, getattr(self, "frame_kind_", "pandas"),
                           getattr(self, "frame_types_", None))

    def _sample_fair(self, n: int, conditions: dict[str, Any], fair: Any,
                     rng: np.random.Generator) -> pd.DataFrame:
        """``n`` rows whose target has one distribution in every group of the sensitive
        columns: ``n`` rows drawn as without fairness, relabelled at once when ``"relabel"``
        is asked for; else more up to ``PILOT_ROWS`` (the pilot) tell the method
        (:meth:`~simulacra.models.fairness.Fairness.resolve`) and, to draw, the pilot's
        shares give the rows to draw per group and target value
        (:func:`~simulacra.models.fairness.parity_cells`). A cell takes the
        pilot's own rows of it first (each already a draw given that group and value) and
        draws only what it lacks."""
        from simulacra.models.fairness import parity_cells

        rows = self._sample_plain(n, conditions, rng)
        if fair.method == "relabel":  # asked for: no pilot needed to choose the method
            return self._relabelled(rows, fair, rng)
        pilot = rows if n >= PILOT_ROWS else pd.concat(
            [rows, self._sample_plain(PILOT_ROWS - n, conditions, rng)], ignore_index=True)
        if fair.resolve(pilot[fair.target]) == "relabel":
            return self._relabelled(rows, fair, rng)
        parts = []
        for cell, count in parity_cells(pilot, fair, n):
            have = pilot[self._matches(pilot, cell)].iloc[:count]
            parts.append(have)
            if len(have) == count:
                continue
            try:
                parts.append(self._sample_conditions(count - len(have), {**conditions, **cell},
                                                     rng))
            except DataError as error:
                raise DataError(f"fairness by drawing needs rows of every group with every "
                                f"target value, and this model rarely or never gives {cell}: "
                                f"{error}. Use fairness method 'relabel' (targets changed, "
                                "other columns kept), or fewer sensitive columns.") from None
        frame = pd.concat(parts, ignore_index=True)
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    def _sample_plain(self, n: int, conditions: dict[str, Any], rng: np.random.Generator
                      ) -> pd.DataFrame:
        """``n`` rows meeting ``conditions`` and the constraints (exact conditional sampling
        when there are any, a plain draw otherwise)."""
        if conditions or self._constraint_set() is not None:
            return self._sample_conditions(n, conditions, rng)
        return self._sample_decoded(n, rng)

    @staticmethod
    def _relabelled(rows: pd.DataFrame, fair: Any, rng: np.random.Generator) -> pd.DataFrame:
        from simulacra.models.fairness import make_fair

        return make_fair(rows, fair.target, fair.sensitive, strength=fair.strength,
                         strong=fair.strong, random_state=rng)

    def _check_fits_in_memory(self, n: int) -> None:
        """Refuse at once a draw of ``n`` rows that this machine's memory cannot hold."""
        from simulacra.memory import check_draw_fits

        width = len(self.metadata_) + len(self.codec_.encoded_columns_)
        check_draw_fits(n, width, what=f"sample(n={n:,})",
                        advice="draw it in chunks, to files: sim.sample_partitioned(model, n, "
                        "'folder') or `simulacra sample MODEL -n ROWS -o FILE` (which streams "
                        "chunks to the file); or draw fewer rows")

    def _fairness(self, fairness: Any, conditions: Mapping[str, Any] | None,
                  rebalance: Mapping[str, Any] | None) -> Any:
        """The checked fairness request; it may not fight a condition, a rebalanced column or
        a constraint over the target."""
        from simulacra.models.fairness import Fairness

        metadata = self.metadata_
        spec = Fairness.parse(fairness, list(metadata), metadata.sensitive)
        if rebalance is not None:  # 'draw' would undo the shares: refused before any draw
            spec.resolve(pd.Series(dtype=object), rebalanced=True)
        fixed = {*(conditions or {}), *(rebalance or {})}
        clash = sorted(fixed & {spec.target, *spec.sensitive})
        if clash:
            raise ParameterError(f"fairness changes {spec.target!r} across the groups of "
                                 f"{list(spec.sensitive)}, so it cannot be combined with "
                                 f"conditions or rebalancing of {clash}")
        rules = self._constraint_set()
        bound = [str(c) for c in (self.metadata_.constraints if rules is not None else [])
                 if spec.target in c.columns]
        if bound:
            raise ParameterError(f"fairness would change {spec.target!r}, which constraints "
                                 f"{bound} bind to other columns; it applies to a target no "
                                 "constraint names")
        return spec

    def sample_remaining_columns(self, known: pd.DataFrame, *, rng: RandomState = None
                                 ) -> pd.DataFrame:
        """One synthetic row per row of ``known``, with ``known``'s values and the other
        columns drawn given them (exact conditional sampling per distinct combination).

        ``known`` holds some of the model's columns (nulls mean "null here"); the result has
        all of them, in ``known``'s row order. Values on a continuous column must be ones
        the model can meet (a range is not accepted here; use ``conditions``).

        >>> import simulacra as sim
        >>> model = sim.GaussianCopula(random_state=0).fit(sim.datasets.load_demo().head(2000))
        >>> rows = model.sample_remaining_columns(pd.DataFrame({"sex": ["Male", "Female"]}))
        >>> rows["sex"].tolist(), rows.shape
        (['Male', 'Female'], (2, 15))
        """
        self._check_fitted()
        if not isinstance(known, pd.DataFrame) or known.empty or known.shape[1] == 0:
            raise ParameterError("sample_remaining_columns() expects a non-empty DataFrame of "
                                 "known values (some of the model's columns)")
        generator = self._sample_rng if rng is None else make_rng(rng)
        columns = list(known.columns)
        self._check_conditions({c: None for c in columns})  # every column is the model's
        learned = self._as_learned(known)
        keys = learned.astype(object).where(learned.notna(), None)
        groups = keys.groupby(columns, dropna=False, sort=False).indices
        parts, order = [], []
        for values, positions in groups.items():
            values = values if isinstance(values, tuple) else (values,)
            conditions = {c: (None if pd.isna(v) else v) for c, v in zip(columns, values,
                                                                         strict=True)}
            parts.append(self._sample_conditions(len(positions), conditions, generator))
            order.append(positions)
        frame = pd.concat(parts, ignore_index=True)
        frame.index = np.concatenate(order)
        return self._with_known(frame.sort_index().reset_index(drop=True), known, learned)

    def _encode_more(self, rows: pd.DataFrame, rng: np.random.Generator
                     ) -> dict[str, np.ndarray]:
        """More rows of the training data (a chunk of a dataset read in a stream), encoded as
        the fitted codec encoded the table: rows that break a constraint dropped, then the
        columns as the constraints rewrite them, then value protection's mapping of what the
        model never saw as such (:meth:`_as_learned`); a row with a category the model has no
        place for (one too rare to be in the training table) is skipped."""
        rows = rows[list(self.metadata_)]
        if self.constraints_ is not None:
            rows = self.constraints_.transform(rows[self.constraints_.valid(rows)])
        rows = self._as_learned(rows.reset_index(drop=True))
        known = np.ones(len(rows), dtype=bool)
        for column in rows.columns:
            if column in self.codec_.columns_:
                categories = self.codec_.condition_domain(column).categories
                if categories is not None:
                    values = rows[column]
                    known &= (values.isna() | values.isin(list(categories))).to_numpy()
        return self.codec_.transform(rows[known].reset_index(drop=True), rng)

    def _as_learned(self, known: pd.DataFrame) -> pd.DataFrame:
        """``known`` as value protection made the training table: a category the model never
        saw becomes ``_RARE_`` where the model has that category, a number beyond the
        generated range its nearest end. Without protection, ``known`` itself."""
        if self._protection_threshold() <= 1:
            return known
        out = known.copy()
        for column in known.columns:
            if column not in self.codec_.columns_:
                continue
            domain, values = self.codec_.condition_domain(column), known[column]
            if domain.categories is not None and RARE_LABEL in domain.categories:
                unseen = values.notna() & ~values.isin(domain.categories)
                if unseen.any():
                    out[column] = values.astype(object).where(~unseen, RARE_LABEL)
            elif domain.low is not None and domain.high is not None and \
                    pd.api.types.is_numeric_dtype(values) and \
                    not pd.api.types.is_bool_dtype(values):
                out[column] = values.clip(domain.low, domain.high)
        return out

    @staticmethod
    def _with_known(rows: pd.DataFrame, known: pd.DataFrame, learned: pd.DataFrame
                    ) -> pd.DataFrame:
        """``rows`` (one per row of ``known``, in order) with ``known``'s own values back
        where :meth:`_as_learned` changed them."""
        if learned is known:
            return rows
        for column in known.columns:
            changed = ~(known[column].eq(learned[column]) |
                        (known[column].isna() & learned[column].isna())).to_numpy()
            if changed.any():
                rows[column] = rows[column].astype(object)
                rows.loc[changed, column] = known[column].to_numpy()[changed]
                rows[column] = rows[column].astype(known[column].dtype, errors="ignore")
        return rows

    def _sample_rebalanced(self, n: int, conditions: dict[str, Any],
                           rebalance: Mapping[str, Mapping[Any, float]],
                           rng: np.random.Generator, draw: Draw | None = None) -> pd.DataFrame:
        """Rows per category of the rebalanced column by target share, each part drawn with
        exact conditional sampling (``draw``: as :meth:`_sample_conditions`), then
        shuffled."""
        from simulacra.models.rebalance import allocate, check_rebalance

        column, targets = check_rebalance(rebalance, conditions)
        self._check_conditions({**conditions, column: None})  # the column exists
        for value in targets:
            self._check_conditions({**conditions, column: value})
        pilot = self._sample_conditions(max(n, PILOT_ROWS), conditions, rng, draw=draw)[column]
        counts = pilot.value_counts(dropna=False, normalize=True)
        frequencies = {(None if pd.isna(v) else v): float(f) for v, f in counts.items()}
        parts = [self._sample_conditions(count, {**conditions, column: value}, rng, draw=draw)
                 for value, count in allocate(n, targets, frequencies).items()]
        frame = pd.concat(parts, ignore_index=True)
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    def _constraint_set(self) -> Any:
        """The fitted :class:`~simulacra.constraints.ConstraintSet`, or None."""
        rules = getattr(self, "constraints_", None)
        return rules if rules is not None and len(rules) else None

    def _sample_decoded(self, n: int, rng: np.random.Generator,
                        conditions: dict[str, Any] | None = None) -> pd.DataFrame:
        encoded = self._sample(n, rng) if not conditions else \
            self._sample_given(n, rng, conditions)
        if conditions and encoded:  # steering may already have dropped rows that cannot match
            n = len(next(iter(encoded.values())))
        frame = self.codec_.inverse_transform(encoded, n, rng)
        rules = self._constraint_set()
        return frame if rules is None else rules.reverse(frame)

    def _sample_given(self, n: int, rng: np.random.Generator,
                      conditions: dict[str, Any]) -> dict[str, np.ndarray]:
        """Encoded rows aimed at ``conditions``, for :meth:`_sample_conditions` to filter.

        The base draws unconditionally; models that can steer generation (CTGAN's conditional
        vector) override this to raise the acceptance rate. The rows are still checked. A model
        may return fewer than ``n`` rows when it drops, early, rows that cannot match (the
        autoregressive network); they count as drawn and rejected.
        """
        return self._sample(n, rng)

    def _sample_conditions(
        self, n: int, conditions: dict[str, Any], rng: np.random.Generator,
        max_draws: int = 20_000_000, give_up_after: int = 1_000_000, draw: Draw | None = None,
    ) -> pd.DataFrame:
        """Exact conditional and constrained sampling: re-sample only the rows still missing.

        Each condition is a value (equality; ``None`` matches nulls) or a ``(low, high)``
        tuple (inclusive range); every row must also satisfy every constraint (uniqueness
        counts duplicates of rows already kept). ``conditional_acceptance_`` records the share
        of drawn rows that were kept. A value the model has never seen fails at once;
        otherwise sampling stops with a clear error, naming the rule that rejects the most
        rows, after ``give_up_after`` draws with no match, or ``max_draws`` in all.
        ``draw(n, rng, steer)`` gives the candidate rows (:meth:`_sample_decoded` unless
        given: a sequential model draws its entities' contexts).
        """
        draw = self._sample_decoded if draw is None else draw
        self._check_conditions(conditions)
        rules = self._constraint_set()
        # conditions on columns that a transform rewrote are checked after reversing only
        steer = {c: v for c, v in conditions.items() if rules is None or c not in rules.rewritten}
        kept: list[pd.DataFrame] = []
        have, drawn = 0, 0
        passed = np.zeros(1 + (len(rules) if rules is not None else 0), dtype=np.int64)
        while have < n:
            if drawn >= max_draws or (have == 0 and drawn >= give_up_after):
                raise DataError(self._give_up_message(n, conditions, rules, have, drawn, passed))
            rate = have / drawn if have else 0.0
            first = 4 * (n - have) if conditions else int(1.1 * (n - have)) + 10
            needed = (n - have) / rate * 1.2 if rate else first
            batch = int(min(max(needed, 1_000), 1_000_000))
            rows = draw(batch, rng, steer)
            drawn += batch
            masks = [self._matches(rows, conditions)]
            if rules is not None:
                accepted = pd.concat(kept, ignore_index=True) if kept else None
                checks = rules.valid(rows, accepted)
                masks += [checks[:, j] for j in range(checks.shape[1])]
            passed += np.array([int(m.sum()) for m in masks], dtype=np.int64)
            match = np.logical_and.reduce(masks)
            if match.any():
                kept.append(rows[match])
                have += int(match.sum())
        self.conditional_acceptance_ = have / drawn
        logger.info("conditional sampling accepted %.2f%% of %d drawn rows", 100 * have / drawn,
                    drawn)
        return pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True)

    @staticmethod
    def _give_up_message(n: int, conditions: dict[str, Any], rules: Any, have: int, drawn: int,
                         passed: np.ndarray) -> str:
        wanted = f"matching {conditions}" if conditions else "that follow the constraints"
        message = (f"could not find {n:,} rows {wanted} after drawing {drawn:,} rows "
                   f"({have:,} matched, acceptance {have / drawn:.4%}); ")
        if rules is None:
            return message + "the condition is impossible or too rare for this model"
        rates = passed / drawn
        names = ["the conditions"] + [f"constraint {c}" for c in rules.constraints]
        worst = int(np.argmin(rates[1:]) + 1) if not conditions else int(np.argmin(rates))
        return message + (f"{names[worst]} accepts only {rates[worst]:.4%} of generated rows; "
                          "the rule (with these conditions) is impossible or too rare for this "
                          "model")

    def _check_conditions(self, conditions: Mapping[str, Any]) -> None:
        """Fail fast on unknown columns and on values the model can never generate."""
        known = getattr(self, "metadata_", None) or self.codec_.columns_
        unknown = [c for c in conditions if c not in known]
        if unknown:
            raise ParameterError(f"conditions name columns that are not in the model: {unknown}")
        rules = self._constraint_set()
        for column, value in conditions.items():
            if isinstance(value, list | set | dict | np.ndarray | pd.Series) or (
                    isinstance(value, tuple) and len(value) != 2):
                shown = f"a tuple of {len(value)}" if isinstance(value, tuple) else \
                    f"a {type(value).__name__}"
                raise ParameterError(
                    f"condition on {column!r} is {shown}; give one value, or a (low, high) "
                    "tuple for a range, e.g. {'age': (30, 40)} (to draw rows for several "
                    "values, sample once per value or use rebalance=)")
            reason = reversed_range(value, column)
            if reason is None and rules is not None and column in rules.rewritten:
                reason = rules.impossible(column, value)
            elif reason is None:
                reason = self.codec_.condition_domain(column).problem(value, column)
            if reason is not None:
                raise DataError(reason)
        reason = None if rules is None else rules.contradiction(conditions)
        if reason is not None:
            raise DataError(reason)

    def _matches(self, rows: pd.DataFrame, conditions: Mapping[str, Any]) -> np.ndarray:
        """Rows that meet every condition, each read the way its column's kind reads values."""
        mask = np.ones(len(rows), dtype=bool)
        for column, condition in conditions.items():
            mask &= encoder_class(self.metadata_[column]).matches(rows[column], condition)
        return mask

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the fitted model to ``path`` (``.simz``: JSON + safetensors, no pickle)."""
        dump_model(path, self.name, self.to_payload())

    def to_payload(self) -> dict[str, Any]:
        """The fitted model as JSON-safe values and numpy arrays (what :meth:`save` writes;
        :meth:`from_payload` reads it back)."""
        self._check_fitted()
        params = self.get_params()
        if isinstance(params.get("random_state"), np.random.Generator):
            params["random_state"] = None
        if params.get("privacy") is not None:
            params["privacy"] = params["privacy"].to_dict()
        payload = {
            "params": params,
            "metadata": self.metadata_.to_dict(),
            "n_rows": self.n_rows_,
            "table_encoder": self.codec_.get_state(),
            "model": self._get_state(),
        }
        if getattr(self, "frame_kind_", "pandas") != "pandas":
            payload["frame"] = {"kind": self.frame_kind_, "types": dict(self.frame_types_)}
        rules = getattr(self, "constraints_", None)
        if rules is not None:
            payload["constraints"] = rules.get_state()
        if getattr(self, "constraint_report_", None) is not None:
            payload["constraint_report"] = dump_report(self.constraint_report_)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Synthesizer:
        """The model :meth:`to_payload` gave (``KeyError``/``TypeError``/``ValueError`` on a
        payload that is not one)."""
        metadata = Metadata.from_dict(payload["metadata"])
        params = dict(payload["params"])
        if isinstance(params.get("privacy"), dict):
            from simulacra.privacy import PrivacyBudget

            params["privacy"] = PrivacyBudget(**params["privacy"])
        model = cls(metadata, **params)
        model.metadata_ = metadata
        model.n_rows_ = None if payload["n_rows"] is None else int(payload["n_rows"])
        model.constraints_ = None
        model.constraint_report_ = load_report(payload.get("constraint_report"))
        model_metadata = metadata
        if payload.get("constraints") is not None:
            from simulacra.constraints import ConstraintSet

            model.constraints_ = ConstraintSet.from_state(metadata, payload["constraints"])
            model_metadata = model.constraints_.model_metadata
        model.codec_ = model._new_codec(model_metadata).set_state(payload["table_encoder"])
        model._set_state(payload["model"])
        model.frame_kind_, model.frame_types_ = _frame_of(payload.get("frame"), metadata)
        model._reset_sample_rng()
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "codec_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call "
                                 "fit(data) before sample() or save()")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _repr_html_(self) -> str:
        """The model, whether it is fitted, and its parameters, as a table (notebooks)."""
        from simulacra.htmlrepr import html_table

        state = "not fitted"
        if hasattr(self, "codec_"):
            rows = "" if self.n_rows_ is None else f"{self.n_rows_:,} rows × "
            state = f"fitted on {rows}{len(self.metadata_)} columns"
        return html_table(f"{type(self).__name__} ({state})", ["parameter", "value"],
                          [[k, repr(v)] for k, v in self.get_params().items()])

    # -- the model's own maths ---------------------------------------------------------------------
    @abstractmethod
    def _fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
             rng: np.random.Generator) -> None: ...

    @abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _get_state(self) -> dict[str, Any]: ...

    @abstractmethod
    def _set_state(self, state: dict[str, Any]) -> None: ...


def _descendants(cls: type) -> list[type]:
    """Every subclass of ``cls``, at any depth."""
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_descendants(sub)]
    return out


def _frame_of(state: Any, metadata: Metadata) -> tuple[str, dict[str, str]]:
    """The kind of table a model file says it was fitted on, and its columns' arrow types
    (a file from elsewhere: anything but a known kind and the metadata's own columns with
    short type names is refused)."""
    if state is None:
        return "pandas", {}
    kind, types = state.get("kind"), state.get("types")
    if kind not in KINDS or not isinstance(types, dict) or not all(
            name in metadata and isinstance(t, str) and len(t) <= 64
            for name, t in types.items()):
        raise ValueError("the model file's table kind is not one simulacra writes")
    if kind == "numpy" and not all(_plain_numpy_type(t) for t in types.values()):
        raise ValueError("the model file's numpy field types are not plain ones simulacra "
                         "writes")
    return kind, dict(types)


def _plain_numpy_type(text: str) -> bool:
    """A numpy dtype string of a plain kind (``"<i8"``, ``"<U12"``, ``"<M8[ns]"``)."""
    import re

    from simulacra.dataframes import NUMPY_KINDS

    if not re.fullmatch(r"[<>|=]?[a-zA-Z]\d{0,5}(\[[a-z]{1,2}\])?", text):
        return False
    try:
        return np.dtype(text).kind in NUMPY_KINDS
    except TypeError:
        return False
