"""What each pipeline step does, given its inputs; the runner decides whether it runs.

Each function takes plain inputs (frames, a metadata, settings) and returns plain outputs, so
the steps are the library's public calls in order: :meth:`Metadata.detect`, a model's ``fit``
and ``sample``, :func:`simulacra.evaluate`, :func:`simulacra.detect_drift`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulacra.errors import ConfigError, MetadataError

if TYPE_CHECKING:
    from simulacra.metadata import Metadata
    from simulacra.models import Synthesizer
    from simulacra.pipeline.config import Evaluation, ModelSection, Sampling, Sink, Source
    from simulacra.pipeline.loading import Pipeline


def database_url(url: str | None, url_env: str | None) -> str:
    """The URL given, or the one in the environment variable named."""
    return url if url is not None else os.environ[str(url_env)]


def read_source(pipeline: Pipeline, source: Source) -> pd.DataFrame:
    """The real table: a file, or one table of a database (read-only)."""
    from simulacra.io import read_table

    if source.path is not None:
        return read_table(pipeline.resolve(source.path))
    from simulacra.multitable.sources import read_database

    url = database_url(source.url, source.url_env)
    frames, _ = read_database(url, tables=[str(source.table)])
    return frames[str(source.table)]


def build_metadata(pipeline: Pipeline, frame: pd.DataFrame) -> Metadata:
    """Detected (or read) metadata with the config's edits and constraints applied; every
    problem reported at once, each at its line. Under a privacy budget without a metadata
    file, the kinds come from the column types alone (:meth:`Metadata.from_structure`)."""
    from simulacra.constraints import constraint_from_dict
    from simulacra.metadata import Metadata

    cfg, where = pipeline.config, pipeline.where
    section = cfg.metadata
    if section.file:
        md = Metadata.load(pipeline.resolve(section.file))
    elif cfg.model.privacy is not None:  # detection reads values: under a budget, dtypes only
        md = Metadata.from_structure(frame)
    else:
        md = Metadata.detect(frame)
    problems: list[str] = []
    for name, edit in section.columns.items():
        if name not in md:
            problems.append(f"{where('metadata', 'columns', name)}: the table has no column "
                            f"{name!r}; it has: {', '.join(md)}")
            continue
        try:
            edit_column(md, name, edit)
        except (MetadataError, TypeError) as err:
            problems.append(f"{where('metadata', 'columns', name)}: {problem_text(err)}")
    if section.primary_key is not None:
        if section.primary_key not in md:
            problems.append(f"{where('metadata', 'primary_key')}: no column "
                            f"{section.primary_key!r}")
        else:
            md = Metadata.from_dict({**md.to_dict(), "primary_key": section.primary_key})
    if section.sensitive is not None:
        missing = [c for c in section.sensitive if c not in md]
        if missing:
            problems.append(f"{where('metadata', 'sensitive')}: no column {missing}; the table "
                            f"has: {', '.join(md)}")
        else:
            try:
                md = Metadata.from_dict({**md.to_dict(), "sensitive": section.sensitive})
            except MetadataError as err:
                problems.append(f"{where('metadata', 'sensitive')}: {problem_text(err)}")
    for index, spec in enumerate(cfg.constraints):
        try:
            md.add_constraint(constraint_from_dict(spec))
        except MetadataError as err:
            problems.append(f"{where('constraints', index)}: {problem_text(err)}")
    if problems:
        raise ConfigError(problems, header=f"Invalid pipeline config {pipeline.path}")
    md.validate_data(frame)
    return md


def column_problems(pipeline: Pipeline, md: Metadata) -> list[str]:
    """Columns the config names for sampling and evaluation that the table lacks."""
    cfg, where = pipeline.config, pipeline.where
    names = list(md)
    out = []
    if cfg.evaluation is not None and cfg.evaluation.target is not None \
            and cfg.evaluation.target not in names:
        out.append(f"{where('evaluation', 'target')}: no column {cfg.evaluation.target!r}; "
                   f"columns: {', '.join(names)}")
    for column in cfg.sampling.conditions:
        if column not in names:
            out.append(f"{where('sampling', 'conditions', column)}: no column {column!r}")
    for column in cfg.sampling.rebalance or {}:
        if column not in names:
            out.append(f"{where('sampling', 'rebalance', column)}: no column {column!r}")
    fairness = cfg.sampling.fairness
    if fairness is not None:
        for key, column in [("target", fairness.target),
                            *(("sensitive", c) for c in fairness.sensitive or [])]:
            if column not in names:
                out.append(f"{where('sampling', 'fairness', key)}: no column {column!r}")
        if not fairness.sensitive and not md.sensitive:
            out.append(f"{where('sampling', 'fairness')}: needs 'sensitive' columns here or "
                       "in metadata.sensitive")
    return out


def edit_column(md: Metadata, column: str, edit: str | dict[str, Any]) -> None:
    """Apply a config's column edit (``KIND`` or ``{kind: KIND, field: value}``) to ``md``."""
    fields = {"kind": edit} if isinstance(edit, str) else dict(edit)
    md.update_column(column, fields.pop("kind", None), **fields)


def problem_text(err: Exception) -> str:
    """An error's problems on one line (a :class:`MetadataError` may list several)."""
    problems = getattr(err, "problems", None)
    return "; ".join(problems) if problems else str(err)


def tuples(values: Mapping[str, Any]) -> dict[str, Any]:
    """YAML lists as tuples, as the library's parameters and conditions take them.

    >>> tuples({"range": [1, 5], "name": "x"})
    {'range': (1, 5), 'name': 'x'}
    """
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def split_rows(n_rows: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions for training and holdout: a seeded random split.

    >>> train, test = split_rows(10, 0.2, 0)
    >>> len(train), len(test), sorted([*train, *test]) == list(range(10))
    (8, 2, True)
    """
    order = np.random.default_rng(seed).permutation(n_rows)
    cut = round(n_rows * holdout)
    return np.sort(order[cut:]), np.sort(order[:cut])


def fit_model(md: Metadata, train: pd.DataFrame, section: ModelSection, seed: int
              ) -> Synthesizer:
    from simulacra.models import get_model
    from simulacra.privacy import PrivacyBudget

    extra: dict[str, Any] = {}
    if section.privacy is not None:
        extra["privacy"] = PrivacyBudget(section.privacy.epsilon, section.privacy.delta)
    params = tuples(section.params)
    maker = get_model(section.name)(md, random_state=seed, **params, **extra)
    return maker.fit(train, on_violation=section.on_violation)


def sample_rows(synth: Synthesizer, section: Sampling, seed: int) -> pd.DataFrame:
    if section.n is None and synth.n_rows_ is None:
        raise ConfigError("sampling.n is needed for a model fitted under a privacy budget: the "
                          "model keeps no row count (it would reveal the table's size); set "
                          "sampling: {n: ROWS}")
    rows = section.n if section.n is not None else \
        max(1, round(synth.n_rows_ * (section.scale or 1.0)))
    conditions = tuples(section.conditions)
    fairness = None if section.fairness is None else section.fairness.model_dump()
    return synth.sample(rows, rng=seed, conditions=conditions or None,
                        rebalance=section.rebalance, fairness=fairness)


def evaluate_rows(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None,
                  md: Metadata, section: Evaluation, seed: int) -> Any:
    from simulacra.evaluation import evaluate

    return evaluate(train, synthetic, holdout=holdout, metadata=md, target=section.target,
                    metrics=section.metrics, random_state=seed)


def write_sink(pipeline: Pipeline, sink: Sink, frame: pd.DataFrame, md: Metadata,
               output_dir: Path) -> str:
    """Write ``frame`` to a sink; returns where it went (a URL with its password hidden)."""
    if sink.path is not None:
        from simulacra.io import write_table

        target = output_dir / sink.path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_table(frame, target)
        return str(target)
    from simulacra.metadata import DatabaseMetadata
    from simulacra.multitable.sources import write_database
    from simulacra.multitable.sql_engine import redact

    url = database_url(sink.url, sink.url_env)
    table = str(sink.table)
    write_database({table: frame}, DatabaseMetadata({table: md}), url, replace=sink.replace)
    return f"{redact(url)} table {table}"
