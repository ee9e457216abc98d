"""``RelationalSynthesizer``: a synthetic database with every key intact.

Each table gets one single-table model of the registry (``"auto"`` by default) fitted on its
own columns, its parents' rows (the *context*, grandparents included), the state of its keys
and its rows' numbers of children (see :mod:`simulacra.multitable.context`). Generation goes
parents-first:

1. a table without parents draws ``round(rows × scale)`` rows;
2. a child table draws as many rows as its parents' generated child counts ask for — each row
   with the parent context it was learned with — and each row is given the parent whose
   profile is nearest its context while that parent has room for it
   (:mod:`simulacra.multitable.matching`); a second foreign key (another parent, a lookup table)
   is chosen the same way, never uniformly;
3. self-references link rows of one table without a cycle; keys that close a cycle of tables
   are linked once every table exists;
4. primary keys are fresh values in the source's format; foreign keys are the chosen parents'
   keys, null or orphan where the source's were (at the source's rates).

A kept table (``keep=[...]``: a public lookup table) is not modelled: its rows are written as
they are, and its children are generated for them (:mod:`simulacra.multitable.kept`).

>>> import pandas as pd
>>> users = pd.DataFrame({"id": range(1, 41), "plan": ["free", "pro"] * 20})
>>> orders = pd.DataFrame({"order_id": range(1, 101), "user_id": [1 + i % 40 for i in range(100)],
...                        "amount": [float(10 + i % 7) for i in range(100)]})
>>> model = RelationalSynthesizer(model="gaussian_copula", random_state=0)
>>> fake = model.fit({"users": users, "orders": orders}).sample()
>>> len(fake["users"]), bool(fake["orders"]["user_id"].isin(fake["users"]["id"]).all())
(40, True)
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.encoders.identifier import IdEncoder
from simulacra.errors import DataError, MetadataError, ModelFileError, ParameterError, check_param
from simulacra.kinds import Id
from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
from simulacra.metadata.keys import parent_positions
from simulacra.models import MODELS, SEQUENCE_MODELS, TRIAL_ROWS, get_model
from simulacra.models.auto import choose_model
from simulacra.models.base import Synthesizer
from simulacra.models.protection import ProtectionWarning, protect_values
from simulacra.multitable.context import LINK, LINKED, NULL, ORPHAN, Layout, take
from simulacra.multitable.frames import cast_like, numbers_from_text, numbers_to_text
from simulacra.multitable.kept import check_keep, counts_from_state, rows_from_state, rows_state
from simulacra.multitable.matching import adjust, match_rows
from simulacra.multitable.parts import apportion, partition_keys, share_of
from simulacra.multitable.relevance import select_columns
from simulacra.multitable.sequences import (
    SEQUENCE_MODEL,
    check_table_params,
    choose_primary,
    draw_sequences,
    fit_sequences,
    wants_sequences,
)
from simulacra.params import EstimatorParams
from simulacra.randomness import RandomState, child_seed, make_rng
from simulacra.serialization import decoding, dump_model, read_model

logger = logging.getLogger(__name__)
#: A table of at most this many rows, with no parent and with children, is said to be a lookup.
LOOKUP_ROWS = 1_000

MODEL_NAME = "relational"


class RelationalSynthesizer(EstimatorParams):
    """Learns a database (several related tables) and generates a synthetic one.

    Parameters
    ----------
    metadata:
        A :class:`~simulacra.metadata.DatabaseMetadata`; detected from the tables when ``None``.
    model:
        The registry name of every table's model (``"auto"``, ``"autoregressive"``,
        ``"gaussian_copula"`` ...), or a mapping of table name to model name (tables left out
        get ``"auto"``).
    model_params:
        Hyperparameters per table: ``{"order": {"epochs": 50}}``.
    context_depth:
        How many levels of parents a child row is learned with (1: its parent; 2: also the
        parent's parents, so grandparent information reaches grandchildren).
    max_context_columns:
        Most parent columns one foreign key brings into a child table's model: those sharing
        most information with the table's own columns (:mod:`.relevance`).
    oversample:
        A child table's model draws this many times the rows it needs; each parent then takes
        the drawn rows nearest its own profile (more: closer children, slower sampling).
    keep:
        Tables copied as they are — public lookup tables only: their rows are in the saved
        model (countries, a product catalogue, census figures per district). A kept table is
        not modelled: the synthetic database has its rows and keys unchanged whatever
        ``scale``, and its children are generated for its rows, each row getting as many as it
        really has (times ``scale``); its real child counts are in the saved model too. A kept
        table's parents must be kept as well.
    random_state:
        Seed of every random draw (fitting and sampling).
    """

    name = MODEL_NAME

    def __init__(self, metadata: DatabaseMetadata | None = None, *,
                 model: str | Mapping[str, str] = "auto",
                 model_params: Mapping[str, Mapping[str, Any]] | None = None,
                 context_depth: int = 3, max_context_columns: int = 8,
                 oversample: float = 3.0, keep: Sequence[str] = (),
                 random_state: RandomState = None):
        self.metadata = metadata
        self.model = model
        self.model_params = model_params
        self.context_depth = context_depth
        self.max_context_columns = max_context_columns
        self.oversample = oversample
        self.keep = keep
        self.random_state = random_state

    @classmethod
    def _param_names(cls) -> list[str]:
        return ["model", "model_params", "context_depth", "max_context_columns", "oversample",
                "keep", "random_state"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"model": self.model if isinstance(self.model, str) else dict(self.model),
                "model_params": {t: dict(p) for t, p in (self.model_params or {}).items()},
                "context_depth": self.context_depth,
                "max_context_columns": self.max_context_columns,
                "oversample": self.oversample,
                "keep": self.keep if isinstance(self.keep, str) else list(self.keep),
                "random_state": self.random_state}

    def __repr__(self) -> str:
        return f"RelationalSynthesizer(model={self.model!r}, random_state={self.random_state!r})"

    # -- fit -------------------------------------------------------------------------------
    def _protect(self, frames: dict[str, pd.DataFrame], metadata: DatabaseMetadata
                 ) -> dict[str, pd.DataFrame]:
        """Every table whose model protects values (``value_protection``, on by default)
        without its rare categories and extreme values (:mod:`simulacra.models.protection`),
        before any context is built: a child learns from the parent values its generated
        parents can have. Keys and kept tables are left as they are."""
        keys: dict[str, set[str]] = {t: set() for t in metadata}
        for fk in metadata.foreign_keys:
            keys[fk.table].update(fk.columns)
            keys[fk.parent].update(fk.parent_columns)
        out = dict(frames)
        self.protection_report_: dict[str, dict[str, str]] = {}
        for table in metadata:
            params = (self.model_params or {}).get(table, {})
            if table in self.kept_ or not params.get("value_protection", True):
                continue
            columns = [c for c in frames[table].columns if c not in keys[table]]
            protected, report = protect_values(frames[table][columns], metadata[table])
            if report:
                out[table] = frames[table].assign(**{c: protected[c] for c in report})
                self.protection_report_[table] = report
                _hint_at_lookup(table, len(report), frames, metadata)
        return out

    def _check_params(self, tables: Mapping[str, Any]) -> None:
        depth_ok = isinstance(self.context_depth, int) and not isinstance(
            self.context_depth, bool) and 1 <= self.context_depth <= 4
        check_param("context_depth", self.context_depth, "an integer from 1 to 4", depth_ok)
        width_ok = isinstance(self.max_context_columns, int) and not isinstance(
            self.max_context_columns, bool) and self.max_context_columns >= 1
        check_param("max_context_columns", self.max_context_columns, "an integer >= 1",
                    width_ok)
        over_ok = isinstance(self.oversample, int | float) and not isinstance(
            self.oversample, bool) and 1 <= self.oversample <= 20
        check_param("oversample", self.oversample, "a number from 1 to 20", over_ok)
        names = [self.model] if isinstance(self.model, str) else (
            list(self.model.values()) if isinstance(self.model, Mapping) else None)
        if names is None:
            raise ParameterError("The 'model' parameter must be a model name or a mapping of "
                                 f"table name to model name. Got {self.model!r} instead.")
        for name in names:
            if name == SEQUENCE_MODEL:
                continue
            cls = get_model(name)
            if getattr(cls, "requires_privacy", False):
                raise ParameterError(f"model {name!r} is differentially private; a database "
                                     "under a privacy budget is not supported yet (its child "
                                     "counts and parent context would need a budget of their "
                                     "own): choose a model that needs no budget")
        for table, params in (self.model_params or {}).items():
            if isinstance(params, Mapping) and params.get("privacy") is not None:
                raise ParameterError(f"model_params of {table!r} sets a privacy budget; a "
                                     "database under a privacy budget is not supported yet")
        if self.model_params is not None and not isinstance(self.model_params, Mapping):
            raise ParameterError("The 'model_params' parameter must be a mapping of table name "
                                 "to hyperparameters, e.g. {'order': {'epochs': 50}}. Got "
                                 f"{self.model_params!r} instead.")
        for label, mapping in (("model", self.model), ("model_params", self.model_params)):
            if isinstance(mapping, Mapping):
                unknown = sorted(set(mapping) - set(tables))
                if unknown:
                    raise ParameterError(f"{label} names tables that are not in the data: "
                                         f"{unknown}; tables are {sorted(tables)}")

    def fit(self, tables: Mapping[str, pd.DataFrame]) -> RelationalSynthesizer:
        """Learn every table and how the tables hang together. ``tables`` are never modified.

        Returns ``self``.
        """
        started = time.perf_counter()
        if not isinstance(tables, Mapping) or not tables:
            raise DataError("fit() expects a mapping of table name to DataFrame, e.g. "
                            "{'users': users, 'orders': orders}")
        self._check_params(tables)
        metadata = self.metadata if self.metadata is not None else \
            DatabaseMetadata.detect(tables)
        if not isinstance(metadata, DatabaseMetadata):
            raise ParameterError("metadata must be a DatabaseMetadata (see "
                                 "DatabaseMetadata.detect), got "
                                 f"{type(metadata).__name__}")
        missing = [t for t in metadata if t not in tables]
        if missing:
            raise DataError(f"tables {missing} are in the metadata but not in the data")
        frames, self.text_numbers_ = {}, {}
        for table in metadata:
            frames[table], self.text_numbers_[table] = numbers_from_text(tables[table],
                                                                         metadata[table])
        metadata.validate_data(frames)
        self.kept_ = self._check_keep(metadata)
        empty = [t for t in metadata if len(tables[t]) == 0]
        if empty:
            raise DataError(f"tables {empty} have no rows; give every table at least one row "
                            "or leave it out of the metadata")
        rng = make_rng(self.random_state)
        frames = {t: frames[t][list(metadata[t])] for t in metadata}
        frames = self._protect(frames, metadata)
        self.link_states_ = {}
        self.linked_shares_ = {}
        for fk in metadata.foreign_keys:
            rows = parent_positions(frames[fk.table], fk.columns, frames[fk.parent],
                                    fk.parent_columns)
            self.linked_shares_[fk.name] = float((rows >= 0).mean())
            self.link_states_[fk.name] = bool((rows < 0).any())
        self.metadata_ = metadata
        self.layout_ = Layout(metadata, depth=self.context_depth,
                              max_columns=self.max_context_columns,
                              link_states=self.link_states_)
        self.n_rows_ = {t: len(frames[t]) for t in metadata}
        self.dtypes_ = {t: {c: str(tables[t][c].dtype) for c in metadata[t]} for t in metadata}
        self.key_encoders_: dict[str, dict[str, IdEncoder]] = {}
        self.models_: dict[str, Synthesizer | None] = {}
        self.fit_seconds_: dict[str, float] = {}
        self.primary_parents_: dict[str, str | None] = {}
        self.kept_rows_: dict[str, pd.DataFrame] = {}
        self.kept_counts_: dict[str, dict[str, np.ndarray]] = {}
        memo: dict = {}
        for table in metadata.table_order():
            t0 = time.perf_counter()
            if table in self.kept_:
                self._fit_kept(table, tables[table], frames)
                self.fit_seconds_[table] = time.perf_counter() - t0
                continue
            self._choose_context(frames, table, memo, rng)
            self.key_encoders_[table] = self._fit_keys(table, frames[table])
            primary = choose_primary(metadata, self.layout_, table, frames)
            self.primary_parents_[table] = None if primary is None else primary.name
            kinds = self.layout_.model_kinds(table)
            train = self.layout_.training_frame(frames, table, memo)[list(kinds)]
            seed = child_seed(rng)
            if train.shape[1] and wants_sequences(
                    self._model_name(table), table, primary, frames,
                    primary is not None and self.link_states_.get(primary.name, False)):
                spec = next(s for s in self.layout_.contexts(table) if s.fk == primary)
                params = (self.model_params or {}).get(table, {})
                self.models_[table] = fit_sequences(table, train, kinds, spec, frames, params,
                                                    seed)
            else:
                self.models_[table] = self._fit_table(table, train, kinds, seed)
            self.fit_seconds_[table] = time.perf_counter() - t0
            logger.info("table %s: %d rows x %d model columns fitted in %.1f s", table,
                        len(train), train.shape[1], self.fit_seconds_[table])
        self._sample_rng = np.random.default_rng(
            None if not isinstance(self.random_state, int | np.integer)
            else [int(self.random_state), 1])
        self.total_fit_seconds_ = time.perf_counter() - started
        return self

    def _check_keep(self, metadata: DatabaseMetadata) -> tuple[str, ...]:
        kept = check_keep(self.keep, metadata)
        for label, mapping in (("model", self.model), ("model_params", self.model_params)):
            named = sorted(set(mapping) & set(kept)) if isinstance(mapping, Mapping) else []
            if named:
                raise ParameterError(f"{label} names kept tables {named}: a kept table is "
                                     f"copied as it is, not modelled; leave them out of {label}"
                                     " (or out of keep)")
        return kept

    def _fit_kept(self, table: str, frame: pd.DataFrame,
                  frames: Mapping[str, pd.DataFrame]) -> None:
        """A kept table: its rows as they are, and each row's real number of children per
        foreign key pointing at it."""
        rows = frame[list(self.metadata_[table])].reset_index(drop=True).copy()
        rows_state(rows, table)  # a column the model file cannot hold fails here, not on save
        counts = self.layout_.counts(frames, table)
        self.kept_rows_[table] = rows
        self.kept_counts_[table] = {
            fk.name: counts[self.layout_.count_name(fk)].to_numpy(dtype=np.int64)
            for fk in self.metadata_.children(table) if not fk.self_reference}
        self.key_encoders_[table] = {}
        self.models_[table] = None
        logger.info("table %s: %d rows kept as they are", table, len(rows))

    def _choose_context(self, frames: Mapping[str, pd.DataFrame], table: str, memo: dict,
                        rng: np.random.Generator) -> None:
        """Per foreign key of ``table``, the ``max_context_columns`` parent columns that tell
        most about the table's own columns and child counts."""
        specs = self.layout_.candidates(table)
        if not specs:
            return
        candidates = self.layout_.context(frames, table, memo, candidates=True)
        own = pd.concat([frames[table][self.layout_.own_columns(table)].reset_index(drop=True),
                         self.layout_.counts(frames, table)], axis=1)
        for spec in specs:
            chosen = select_columns(candidates[spec.names()], own, self.max_context_columns,
                                    rng)
            prefix = f"{spec.label}."
            self.layout_.selected[spec.fk.name] = [c[len(prefix):] for c in chosen]

    def _model_name(self, table: str) -> str:
        if isinstance(self.model, str):
            return self.model
        return self.model.get(table, "auto")

    def _fit_table(self, table: str, train: pd.DataFrame, kinds: Mapping[str, Any],
                   seed: int) -> Synthesizer | None:
        if train.shape[1] == 0:
            return None
        constraints = self.metadata_[table].constraints
        metadata = Metadata(dict(kinds), constraints=constraints)
        params = dict((self.model_params or {}).get(table, {}))
        name = self._model_name(table)
        if name == "auto":  # hyperparameters go to the model auto picks for this table
            name = choose_model(len(train), n_columns=train.shape[1])
        cls = get_model(name)
        check_table_params(table, name, cls, params)
        return cls(metadata, random_state=seed, **params).fit(train)

    def _fit_keys(self, table: str, frame: pd.DataFrame) -> dict[str, IdEncoder]:
        """An id generator per primary-key column that no foreign key fills."""
        fk_columns = {c for fk in self.metadata_.parents(table) for c in fk.columns}
        key = self.metadata_.primary_keys.get(table, ())
        out = {}
        for column in key:
            if column in fk_columns:
                continue
            spec = Id(unique=len(key) == 1)
            out[column] = IdEncoder(spec).fit(frame[column])
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            from simulacra.errors import NotFittedError

            raise NotFittedError("this RelationalSynthesizer is not fitted yet; call "
                                 "fit(tables) before sample() or save()")

    # -- sample ----------------------------------------------------------------------------
    def sample(self, scale: float = 1.0, *,
               conditions: Mapping[str, Mapping[str, Any]] | None = None,
               rng: RandomState = None,
               partition: tuple[int, int] | None = None) -> dict[str, pd.DataFrame]:
        """A synthetic database: every table, parents first, with every key resolving.

        ``scale`` multiplies the number of rows of the tables without parents (their children
        follow their generated counts, so the whole database scales) and the children of kept
        tables (which stay as they are). ``conditions`` fix
        column values per table, ``{"account": {"frequency": "monthly"}}``; a table's
        conditions flow to its children's models through their context columns.

        ``partition=(p, P)`` draws part ``p`` of ``P`` of a database at ``scale``, a database
        of its own that never needs to see the other parts (so they can be drawn anywhere,
        each from its own ``rng``): tables without parents get their share of the rows and
        each kept row its share of children (the shares of the ``P`` parts add up to the
        whole), and every generated id is shifted so that no part's ids meet another's
        (:mod:`simulacra.multitable.parts`). :func:`simulacra.sample_database_partitioned`
        writes such parts as files on a Dask cluster.
        """
        self._check_fitted()
        ok = isinstance(scale, int | float) and not isinstance(scale, bool) and scale > 0 \
            and np.isfinite(scale)
        check_param("scale", scale, "a number > 0", ok)
        part = (0, 1) if partition is None else partition
        whole = lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool)  # noqa: E731
        ok = isinstance(part, tuple | list) and len(part) == 2 and all(map(whole, part)) \
            and 0 <= part[0] < part[1]
        check_param("partition", partition, "a pair (p, P) of integers with 0 <= p < P", ok)
        part = (int(part[0]), int(part[1]))
        conditions = dict(conditions or {})
        unknown = sorted(set(conditions) - set(self.metadata_))
        if unknown:
            raise ParameterError(f"conditions name tables that are not in the model: {unknown}"
                                 f"; tables are {list(self.metadata_)}")
        kept = sorted(set(conditions) & set(self.kept_))
        if kept:
            raise ParameterError(f"conditions name kept tables {kept}: a kept table is written "
                                 "as it is, all its rows; put the conditions on its children's "
                                 "own columns, or fit without keeping it")
        generator = self._sample_rng if rng is None else make_rng(rng)
        state = _Generation(self, float(scale), conditions, generator, part)
        return partition_keys(self, state.run(), *part)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the fitted database model to ``path`` (``.simz``: JSON + safetensors)."""
        dump_model(path, MODEL_NAME, self.to_payload())

    def to_payload(self) -> dict[str, Any]:
        self._check_fitted()
        params = self.get_params()
        if isinstance(params.get("random_state"), np.random.Generator):
            params["random_state"] = None
        tables = {}
        for table in self.metadata_:
            model = self.models_[table]
            tables[table] = {
                "n_rows": self.n_rows_[table],
                "dtypes": self.dtypes_[table],
                "text_numbers": self.text_numbers_[table],
                "keys": {c: enc.get_state() for c, enc in self.key_encoders_[table].items()},
                "model_name": None if model is None else model.name,
                "model": None if model is None else model.to_payload(),
                "kept": None if table not in self.kept_ else {
                    "rows": rows_state(self.kept_rows_[table], table),
                    "children": dict(self.kept_counts_[table])},
            }
        return {"params": params, "metadata": self.metadata_.to_dict(reasons=False),
                "linked_shares": self.linked_shares_, "link_states": self.link_states_,
                "context_columns": self.layout_.selected,
                "primary_parents": self.primary_parents_,
                "tables": tables}

    @classmethod
    def load(cls, path: str | Path) -> RelationalSynthesizer:
        """A database model saved with :meth:`save` (no code in the file is ever run)."""
        name, payload = read_model(path)
        if name != MODEL_NAME:
            raise ModelFileError(f"{str(path)!r} holds a single-table {name!r} model; load it "
                                 "with simulacra.load")
        with decoding(str(path), "relational model"):
            try:
                model = cls.from_payload(payload)
            except MetadataError as err:
                raise ModelFileError(f"{str(path)!r} has invalid database metadata: "
                                     f"{err}") from None
            model.sample(model._trial_scale(), rng=0)  # a model that loads samples
        return model

    def _trial_scale(self) -> float:
        """The scale of the trial draw at load: about ``TRIAL_ROWS`` rows of the largest table
        (a table without parents draws at least one row; children follow their parents)."""
        return min(1.0, TRIAL_ROWS / max([*self.n_rows_.values(), 1]))

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> RelationalSynthesizer:
        metadata = DatabaseMetadata.from_dict(payload["metadata"])
        params = dict(payload["params"])
        model = cls(metadata, **params)
        model.metadata_ = metadata
        model.linked_shares_ = {str(k): float(v) for k, v in payload["linked_shares"].items()}
        model.link_states_ = {str(k): bool(v) for k, v in payload["link_states"].items()}
        model.layout_ = Layout(metadata, depth=int(params["context_depth"]),
                               max_columns=int(params["max_context_columns"]),
                               link_states=model.link_states_,
                               selected={str(k): [str(c) for c in v] for k, v in
                                         payload.get("context_columns", {}).items()})
        model.n_rows_, model.dtypes_, model.text_numbers_ = {}, {}, {}
        model.key_encoders_, model.models_ = {}, {}
        try:
            model.kept_ = check_keep(params.get("keep", []), metadata)
        except ParameterError as err:
            raise ModelFileError(f"the model's kept tables are invalid ({err}); the file is "
                                 "corrupted") from None
        model.kept_rows_, model.kept_counts_ = {}, {}
        for table in metadata:
            spec = payload["tables"][table]
            model.n_rows_[table] = int(spec["n_rows"])
            model.dtypes_[table] = {str(k): str(v) for k, v in spec["dtypes"].items()}
            model.text_numbers_[table] = {
                str(k): {"decimals": int(v["decimals"]),
                         "marker": None if v.get("marker") is None else str(v["marker"])}
                for k, v in spec["text_numbers"].items()}
            model.key_encoders_[table] = {str(c): IdEncoder.from_state(s)
                                          for c, s in spec["keys"].items()}
            model._load_kept(table, spec.get("kept"))
            name = spec["model_name"]
            known = {**MODELS, **SEQUENCE_MODELS}
            if name is None:
                model.models_[table] = None
            elif name not in known or name == "auto":
                raise ModelFileError(f"table {table!r} has an unknown model {name!r}")
            else:
                model.models_[table] = known[name].from_payload(spec["model"])
        seed = params.get("random_state")
        model._sample_rng = np.random.default_rng(None if seed is None else [int(seed), 1])
        names = {fk.name for fk in metadata.foreign_keys}
        model.primary_parents_ = {}
        for table, key in payload.get("primary_parents", {}).items():
            if key is not None and str(key) not in names:
                raise ModelFileError(f"table {table!r} names an unknown foreign key {key!r}")
            model.primary_parents_[str(table)] = None if key is None else str(key)
        return model

    def _load_kept(self, table: str, spec: Any) -> None:
        """A kept table's rows and child counts from a model file, checked."""
        if (spec is not None) != (table in self.kept_):
            raise ModelFileError(f"table {table!r} is {'' if table in self.kept_ else 'not '}"
                                 "kept, yet the model file has "
                                 f"{'no' if spec is None else 'its'} rows; the file is "
                                 "corrupted")
        if spec is None:
            return
        if not isinstance(spec, Mapping):
            raise ModelFileError(f"kept table {table!r} in the model file is not a mapping; "
                                 "the file is corrupted")
        rows = rows_from_state(spec.get("rows"), table, list(self.metadata_[table]))
        if len(rows) != self.n_rows_[table]:
            raise ModelFileError(f"kept table {table!r} in the model file has {len(rows)} rows, "
                                 f"not {self.n_rows_[table]}; the file is corrupted")
        fks = [fk.name for fk in self.metadata_.children(table) if not fk.self_reference]
        self.kept_rows_[table] = rows
        self.kept_counts_[table] = counts_from_state(spec.get("children"), table, fks,
                                                     len(rows))


class _Generation:
    """One call of :meth:`RelationalSynthesizer.sample`: the tables as they are made."""

    def __init__(self, owner: RelationalSynthesizer, scale: float,
                 conditions: dict[str, Mapping[str, Any]], rng: np.random.Generator,
                 part: tuple[int, int] = (0, 1)):
        self.owner = owner
        self.part = part
        self.metadata = owner.metadata_
        self.layout = owner.layout_
        self.scale = scale
        self.conditions = conditions
        self.rng = rng
        self.tables: dict[str, pd.DataFrame] = {}
        self.contexts: dict[str, pd.DataFrame] = {}
        self.counts: dict[str, pd.DataFrame] = {}

    def run(self) -> dict[str, pd.DataFrame]:
        pending: list[ForeignKey] = []
        for table in self.metadata.table_order():
            if table in self.owner.kept_:
                self._copy(table)
                continue
            primary = self._generate(table)
            for fk in self.layout.context_keys(table):
                if fk == primary:
                    continue
                if fk.parent in self.tables:
                    self._link(fk)
                else:
                    pending.append(fk)
            for fk in self.metadata.parents(table):
                if fk.self_reference:
                    self._link_self(fk)
        for fk in pending:
            self._link(fk)
        return {t: self._output(t) for t in self.metadata}

    # -- rows ------------------------------------------------------------------------------
    def _primary(self, table: str) -> ForeignKey | None:
        """The foreign key whose parents decide how many rows ``table`` gets, and which
        (chosen at fit time, :func:`~simulacra.multitable.sequences.choose_primary`)."""
        chosen = self.owner.primary_parents_.get(table)
        keys = [fk for fk in self.layout.context_keys(table) if fk.parent in self.tables]
        return next((fk for fk in keys if fk.name == chosen), keys[0] if keys else None)

    def _row_count(self, table: str, primary: ForeignKey | None) -> int:
        """Rows of ``table``: ``rows × scale`` for a table without parents; otherwise as many
        as its primary parents' generated child counts ask for (plus the unlinked rows at the
        source's share), so each parent keeps the number of children its model gave it."""
        if primary is None:
            total = max(1, round(self.owner.n_rows_[table] * self.scale))
            return int(share_of(np.array([total]), *self.part)[0])
        wanted = int(self.counts[primary.parent][self.layout.count_name(primary)].sum())
        share = self.owner.linked_shares_[primary.name]
        if share > 0:
            return round(wanted / share)
        return round(self.owner.n_rows_[table] * self.scale)

    def _table_conditions(self, table: str, kinds: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(self.conditions.get(table, {}))
        for column in kinds:
            origin = self._origin(table, column)
            if origin is not None and origin[0] != table \
                    and origin[1] in self.conditions.get(origin[0], {}):
                out[column] = self.conditions[origin[0]][origin[1]]
        return out

    def _origin(self, table: str, column: str) -> tuple[str, str] | None:
        """The table and column a context column of ``table`` copies (``None``: not one)."""
        if column in self.metadata[table]:
            return table, column
        for fk in self.layout.context_keys(table):
            prefix = f"{self.layout.label(fk)}."
            if column.startswith(prefix):
                return self._origin(fk.parent, column[len(prefix):])
        return None

    def _draw(self, table: str, n: int) -> pd.DataFrame:
        model = self.owner.models_[table]
        kinds = self.layout.model_kinds(table)
        if n == 0:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in kinds})
        if model is None:
            return pd.DataFrame(index=range(n))
        conditions = self._table_conditions(table, kinds)
        return model.sample(n, conditions=conditions or None, rng=self.rng).reset_index(drop=True)

    def _generate(self, table: str) -> ForeignKey | None:
        """Draw ``table``'s rows; with a generated parent, each parent picks its children.

        The table's model draws ``oversample`` times the rows needed; each parent row then takes
        as many of them as its own generated child count says — those whose context is nearest
        its profile — so the children a parent gets are the ones drawn for a parent like it.
        Returns the foreign key linked this way (``None`` for a table without parents).
        """
        primary = self._primary(table)
        model = self.owner.models_[table]
        if primary is not None and getattr(model, "name", None) == SEQUENCE_MODEL:
            return self._generate_sequences(table, primary, model)
        n = self._row_count(table, primary)
        if primary is None or len(self.tables[primary.parent]) == 0 or n == 0 \
                or self.owner.models_[table] is None:
            drawn = self._draw(table, n)
            self._keep(table, drawn)
            return None
        drawn = self._draw(table, max(n, int(np.ceil(n * self.owner.oversample))))
        self._keep(table, drawn)
        states = self._states(table, primary)
        share = self.owner.linked_shares_[primary.name]
        n_linked = round(n * share)
        linked_pool = np.flatnonzero(states == LINKED)
        other_pool = np.flatnonzero(states != LINKED)
        if linked_pool.size < n_linked:  # the model drew too few linked rows: use what it drew
            n_linked = linked_pool.size
        n_other = min(n - n_linked, other_pool.size)
        parents = self.tables[primary.parent]
        capacity = self.counts[primary.parent][self.layout.count_name(primary)].to_numpy()
        slots = np.repeat(np.arange(len(parents)), adjust(n_linked, capacity, self.rng))
        spec = next(s for s in self.layout.contexts(table) if s.fk == primary)
        profile = self.layout.profile(self.tables, primary.parent, self.layout.depth,
                                           counts=self.counts)[
            list(spec.columns)]
        wanted = profile.iloc[slots].reset_index(drop=True)
        pool = self.contexts[table].iloc[linked_pool][spec.names()].reset_index(drop=True)
        pool.columns = list(spec.columns)
        picked = linked_pool[match_rows(wanted, pool, np.ones(len(pool), dtype=np.int64),
                                        self.rng)] if len(slots) else np.array([], np.int64)
        rows = np.r_[picked, other_pool[:n_other]].astype(np.int64)
        order = self.rng.permutation(len(rows))
        rows, parent_rows = rows[order], np.r_[slots, np.full(n_other, -1)][order]
        self._subset(table, rows)
        states = self._states(table, primary)
        self._write_keys(primary, np.flatnonzero(parent_rows >= 0),
                         parent_rows[parent_rows >= 0], states)
        return primary

    def _generate_sequences(self, table: str, primary: ForeignKey, model: Any) -> ForeignKey:
        """Each parent's children drawn together, as many as its generated count
        (:mod:`simulacra.multitable.sequences`)."""
        if self.conditions.get(table):
            raise ParameterError(
                f"conditions on table {table!r} are not supported while it is modelled as "
                f"sequences; fit with model={{{table!r}: 'autoregressive'}} to condition it")
        counts = self.counts[primary.parent][self.layout.count_name(primary)].to_numpy()
        spec = next(s for s in self.layout.contexts(table) if s.fk == primary)
        profile = self.layout.profile(self.tables, primary.parent, self.layout.depth,
                                           counts=self.counts)
        drawn, parent_rows = draw_sequences(model, profile, spec, counts, self.rng)
        self._keep(table, drawn)
        states = np.full(len(drawn), LINKED, dtype=object)
        self._write_keys(primary, np.arange(len(drawn)), parent_rows, states)
        return primary

    def _copy(self, table: str) -> None:
        """A kept table's rows as they are; each row asks for its real number of children per
        foreign key, times ``scale`` (:func:`adjust` makes them whole numbers adding up to the
        real total times ``scale``)."""
        rows = self.owner.kept_rows_[table]
        self.tables[table] = numbers_from_text(rows, self.metadata[table])[0]
        self.contexts[table] = pd.DataFrame(index=range(len(rows)))
        counts = {}
        for fk in self.metadata.children(table):
            if fk.self_reference:
                continue
            real = self.owner.kept_counts_[table][fk.name]
            total = round(int(real.sum()) * self.scale)
            if self.part[1] == 1:
                counts[self.layout.count_name(fk)] = adjust(total, real, self.rng)
            else:  # the whole draw's counts, the same in every part; this part's share
                counts[self.layout.count_name(fk)] = share_of(apportion(total, real),
                                                              *self.part)
        self.counts[table] = pd.DataFrame(counts, index=range(len(rows)))

    def _keep(self, table: str, drawn: pd.DataFrame) -> None:
        """Split drawn model rows into the table, its rows' context and their child counts."""
        own = drawn[self.layout.own_columns(table)]
        context_names = [c for spec in self.layout.contexts(table) for c in spec.names()]
        context_names += [self.layout.link_name(s) for s in self.layout.contexts(table)
                          if self.owner.link_states_.get(s.fk.name)]
        self.contexts[table] = drawn[[c for c in context_names if c in drawn.columns]]
        count_names = [self.layout.count_name(fk) for fk in self.metadata.children(table)]
        counts = drawn[count_names].apply(pd.to_numeric, errors="coerce") if count_names \
            else pd.DataFrame(index=range(len(drawn)))
        self.counts[table] = counts.fillna(0).clip(lower=0).round().astype(np.int64)
        frame = own.copy()
        for column, encoder in self.owner.key_encoders_[table].items():
            frame[column] = encoder.generate(len(frame), self.rng).to_numpy() if len(frame) \
                else pd.Series(dtype=object)
        for fk in self.metadata.parents(table):
            for column in fk.columns:
                if column not in frame.columns:
                    frame[column] = pd.Series([None] * len(frame), dtype=object)
        self.tables[table] = frame

    def _subset(self, table: str, rows: np.ndarray) -> None:
        """Keep only ``rows`` (positions) of ``table``'s drawn rows, in that order."""
        for store in (self.tables, self.contexts, self.counts):
            store[table] = store[table].iloc[rows].reset_index(drop=True)
        keys = self.owner.key_encoders_[table]
        for column, encoder in keys.items():  # fresh keys for the kept rows, in order
            self.tables[table][column] = encoder.generate(len(rows), self.rng).to_numpy() \
                if len(rows) else pd.Series(dtype=object)

    # -- keys ------------------------------------------------------------------------------
    def _states(self, table: str, fk: ForeignKey) -> np.ndarray:
        name = f"{self.layout.label(fk)}{LINK}"
        n = len(self.tables[table])
        if self.owner.link_states_.get(fk.name) and name in self.contexts[table].columns:
            return self.contexts[table][name].astype(object).fillna(NULL).to_numpy()
        if fk.self_reference:
            share = self.owner.linked_shares_[fk.name]
            states = np.full(n, LINKED, dtype=object)
            states[self.rng.random(n) >= share] = NULL
            return states
        return np.full(n, LINKED, dtype=object)

    def _link(self, fk: ForeignKey) -> None:
        """Give every row of ``fk.table`` a parent by :func:`match_rows` (a second parent, a
        lookup table, or a key that closed a cycle)."""
        table, parent = fk.table, fk.parent
        parents = self.tables[parent]
        states = self._states(table, fk)
        linked = np.flatnonzero(states == LINKED)
        if len(parents) == 0:
            linked = np.array([], dtype=np.int64)
            states = np.where(states == LINKED, NULL, states)
        spec = next(s for s in self.layout.contexts(table) if s.fk == fk)
        profile = self.layout.profile(self.tables, parent, self.layout.depth,
                                      counts=self.counts)[list(spec.columns)]
        wanted = self.contexts[table].iloc[linked][spec.names()].reset_index(drop=True)
        wanted.columns = list(spec.columns)
        capacity = adjust(len(linked), self.counts[parent][self.layout.count_name(fk)].to_numpy(),
                          self.rng)
        chosen = match_rows(wanted, profile, capacity, self.rng) if len(linked) else \
            np.array([], dtype=np.int64)
        self._write_keys(fk, linked, chosen, states)

    def _link_self(self, fk: ForeignKey) -> None:
        """Link rows to rows of their own table, without a cycle: a row's parent always comes
        earlier in a random order that puts the unlinked rows (the roots) first."""
        frame = self.tables[fk.table]
        n = len(frame)
        if n == 0:
            return
        states = self._states(fk.table, fk)
        capacity = self.counts[fk.table][self.layout.count_name(fk)].to_numpy().copy()
        order = self.rng.permutation(n)
        order = np.r_[order[states[order] != LINKED], order[states[order] == LINKED]]
        chosen = np.full(n, -1, dtype=np.int64)
        open_slots: list[int] = []
        placed: list[int] = []
        draws = self.rng.random(n)
        for i, row in enumerate(order):
            if states[row] == LINKED:
                if open_slots:
                    pick = int(draws[i] * len(open_slots))
                    chosen[row] = open_slots[pick]
                    open_slots[pick] = open_slots[-1]
                    open_slots.pop()
                elif placed:
                    chosen[row] = placed[int(draws[i] * len(placed))]
                else:
                    states[row] = NULL
            placed.append(int(row))
            open_slots.extend([int(row)] * int(capacity[row]))
        linked = np.flatnonzero(chosen >= 0)
        self._write_keys(fk, linked, chosen[linked], states)

    def _write_keys(self, fk: ForeignKey, rows: np.ndarray, chosen: np.ndarray,
                    states: np.ndarray) -> None:
        frame = self.tables[fk.table]
        parents = self.tables[fk.parent]
        keys = take(parents[list(fk.parent_columns)], chosen) if len(rows) else None
        orphans = np.flatnonzero(states == ORPHAN)
        fresh = self._orphan_keys(fk, len(orphans)) if len(orphans) else None
        for i, (column, parent_column) in enumerate(zip(fk.columns, fk.parent_columns,
                                                        strict=True)):
            values = np.full(len(frame), None, dtype=object)
            if keys is not None:
                values[rows] = keys[parent_column].to_numpy(dtype=object)
            if fresh is not None:
                values[orphans] = fresh[i]
            frame[column] = values

    def _orphan_keys(self, fk: ForeignKey, n: int) -> list[np.ndarray]:
        """Key values that no parent row has (the source had such orphans)."""
        parents = self.tables[fk.parent]
        out = []
        for column in fk.parent_columns:
            existing = parents[column]
            numeric = pd.to_numeric(existing, errors="coerce")
            if len(existing) and numeric.notna().all():
                start = int(numeric.max()) + 1
                out.append(np.arange(start, start + n, dtype=np.int64).astype(object))
            else:
                out.append(np.array([f"orphan-{i}" for i in range(n)], dtype=object))
        return out

    # -- output ----------------------------------------------------------------------------
    def _output(self, table: str) -> pd.DataFrame:
        if table in self.owner.kept_:
            return self.owner.kept_rows_[table].copy()
        frame = self.tables[table]
        columns = list(self.metadata[table])
        out = numbers_to_text(frame[columns], self.owner.text_numbers_[table])
        for column in self.metadata.key_columns(table):
            out[column] = cast_like(pd.Series(out[column].to_numpy(), index=out.index),
                                    self.owner.dtypes_[table][column])
        key = list(self.metadata.primary_keys.get(table, ()))
        if len(key) > 1:
            duplicated = out[key].duplicated().to_numpy()
            if duplicated.any():
                logger.info("table %s: %d rows dropped whose composite key repeated another's",
                            table, int(duplicated.sum()))
                out = out[~duplicated].reset_index(drop=True)
        return out


def _hint_at_lookup(table: str, changed: int, frames: Mapping[str, pd.DataFrame],
                    metadata: DatabaseMetadata) -> None:
    """A :class:`~simulacra.models.protection.ProtectionWarning` when value protection changed
    a table that looks like a lookup (no parent, children, at most :data:`LOOKUP_ROWS` rows):
    there every value is a one-off and the extremes are a large share of the rows, so the
    table and every path through it lose most (Berka's 77 districts: 2-hop trends .84 → .75).
    Whether its rows are public is the user's call: the warning says how to keep it."""
    children = metadata.children(table)
    rows = len(frames[table])
    if metadata.parents(table) or not children or rows > LOOKUP_ROWS:
        return
    referring = sum(len(frames[fk.table]) for fk in children)
    warnings.warn(
        f"table {table!r} ({rows:,} rows, no parent, {referring:,} child rows refer to it) looks "
        f"like a lookup table, and value protection changed {changed} of its columns: in a "
        "table this small every value is rare and a tenth of the rows are extremes, so it and "
        "every path through it lose fidelity. If its rows are public reference data, keep them "
        f"as they are (keep=[{table!r}], `--keep {table}`) or model it without protection "
        f"(model_params={{{table!r}: {{'value_protection': False}}}})",
        ProtectionWarning, stacklevel=4)
