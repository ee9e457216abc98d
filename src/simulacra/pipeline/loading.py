"""Read a pipeline config: YAML → :class:`PipelineConfig`, every problem listed with its line.

Two passes, both collecting rather than stopping at the first problem: the schema (pydantic:
types, ranges, unknown keys) and then what the schema cannot know — a model name this
simulacra has, hyperparameters that model takes, files that exist.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "p.yaml").write_text("source: {path: t.csv}\\nmodel: {name: nope}\\n")
>>> load_config(folder / "p.yaml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
simulacra.errors.ConfigError: Invalid pipeline config ... (2 problems):
  - line 1, source.path: no file ...
  - line 2, model.name: no synthesizer 'nope'; ...
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulacra.errors import ConfigError
from simulacra.pipeline.config import PipelineConfig
from simulacra.pipeline.document import Lines, line_of, read_document


@dataclass(frozen=True)
class Pipeline:
    """A validated config, the file it came from and where its relative paths start."""

    config: PipelineConfig
    path: Path
    lines: Lines

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def is_database(self) -> bool:
        """Whether the source is a database of related tables (a folder, or a database URL
        without ``table``) rather than one table."""
        source = self.config.source
        if source.path is not None:
            return self.resolve(source.path).is_dir()
        return source.table is None

    def resolve(self, value: str) -> Path:
        """A path of the config, relative to the config file's folder."""
        return self.folder / Path(value).expanduser()

    def where(self, *path: Any) -> str:
        """``"line N, a.b[0].c"`` for an error message."""
        line = line_of(self.lines, path)
        return f"line {line}, {dotted(path)}" if line else dotted(path)


def dotted(path: Sequence[Any]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}" if out else str(step)
    return out or "(top)"


def load_config(path: str | Path) -> Pipeline:
    """Read and check the pipeline config at ``path`` (a :class:`ConfigError` lists all
    problems, each with its line)."""
    path = Path(path)
    data, lines = read_document(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a pipeline config is a mapping with at least 'source:' "
                          "(write a starter one with `simulacra init TABLE -o pipeline.yaml`)")
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_schema_problems(err, lines),
                          header=f"Invalid pipeline config {path}") from None
    pipeline = Pipeline(config, path, lines)
    problems = semantic_problems(pipeline)
    if problems:
        raise ConfigError(problems, header=f"Invalid pipeline config {path}")
    return pipeline


def _schema_problems(err: ValidationError, lines: Lines) -> list[str]:
    out = []
    for problem in err.errors(include_url=False):
        loc = tuple(problem["loc"])
        # unions add the branch tried ("literal['all']", "list[...]"): keep the document's path
        while loc and loc not in lines and isinstance(loc[-1], str) and "[" in loc[-1]:
            loc = loc[:-1]
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key (see `simulacra run --schema` for the keys allowed here)"
        elif problem["type"] == "missing":
            message = "required, missing"
        line = line_of(lines, loc)
        where = f"line {line}, {dotted(loc)}" if line else dotted(loc)
        out.append(f"{where}: {message}")
    return list(dict.fromkeys(out))


def semantic_problems(pipeline: Pipeline) -> list[str]:
    """What the schema cannot check: names this simulacra knows, files that exist."""
    from simulacra.models import MODELS, get_model

    cfg, where = pipeline.config, pipeline.where
    problems: list[str] = []
    if cfg.source.path is not None and not pipeline.resolve(cfg.source.path).exists():
        problems.append(f"{where('source', 'path')}: no file or folder "
                        f"{str(pipeline.resolve(cfg.source.path))!r}")
    for section, env in (("source", cfg.source.url_env),
                         *((("sinks", i), s.url_env) for i, s in enumerate(cfg.sinks))):
        if env is not None and not os.environ.get(env):
            path = section if isinstance(section, tuple) else (section,)
            problems.append(f"{where(*path, 'url_env')}: the environment variable {env} is not "
                            "set (it should hold the database URL)")
    if cfg.metadata.file is not None and not pipeline.resolve(cfg.metadata.file).is_file():
        problems.append(f"{where('metadata', 'file')}: no file "
                        f"{str(pipeline.resolve(cfg.metadata.file))!r}")
    if cfg.monitor is not None and not pipeline.resolve(cfg.monitor.current).is_file():
        problems.append(f"{where('monitor', 'current')}: no file "
                        f"{str(pipeline.resolve(cfg.monitor.current))!r}")
    name = cfg.model.name
    if name not in MODELS:
        problems.append(f"{where('model', 'name')}: no synthesizer {name!r}; single-table "
                        f"models: {', '.join(MODELS)}")
    else:
        problems += _param_problems(pipeline, name, cfg.model.params, ("model", "params"))
        if cfg.model.privacy is not None and "privacy" not in get_model(name)._param_names():
            private = [m for m, c in MODELS.items() if "privacy" in c._param_names()]
            problems.append(f"{where('model', 'privacy')}: {name} cannot fit under a privacy "
                            f"budget; models that can: {', '.join(private)}")
    problems += _database_problems(pipeline) if pipeline.is_database else \
        _table_problems(pipeline)
    return problems


def _param_problems(pipeline: Pipeline, name: str, params: dict[str, Any],
                    at: tuple[Any, ...]) -> list[str]:
    from simulacra.models import get_model

    known = [p for p in get_model(name)._param_names() if p not in ("random_state", "privacy")]
    return [f"{pipeline.where(*at, param)}: {name} has no hyperparameter {param!r}; it has: "
            f"{', '.join(known)}" for param in params if param not in known]


_TABLE_FILE = (".csv", ".parquet", ".pq", ".gz", ".tsv")


def _table_problems(pipeline: Pipeline) -> list[str]:
    """Settings that only a database takes, given for a single table."""
    from simulacra.pipeline.config import DATABASE_ONLY_GROUPS

    cfg, where = pipeline.config, pipeline.where
    problems = []
    if cfg.source.tables is not None:
        problems.append(f"{where('source', 'tables')}: 'tables' is for a database (a folder, "
                        "or a database URL without 'table'); this source is one table")
    for key in ("tables", "keep"):
        if getattr(cfg.model, key):
            problems.append(f"{where('model', key)}: '{key}' is for a database source (a "
                            "folder, or a database URL without 'table')")
    if cfg.evaluation is not None:
        if cfg.evaluation.subject is not None:
            problems.append(f"{where('evaluation', 'subject')}: 'subject' is for a database "
                            "source; a table's holdout is a random share of its rows")
        if isinstance(cfg.evaluation.metrics, list):
            for i, group in enumerate(cfg.evaluation.metrics):
                if group in DATABASE_ONLY_GROUPS:
                    problems.append(f"{where('evaluation', 'metrics', i)}: {group!r} figures "
                                    "are a database's; a table has fidelity, detection, "
                                    "utility, privacy and text")
    for i, gate in enumerate(cfg.gates):
        for key in ("table", "relation", "path"):
            if getattr(gate, key) is not None:
                problems.append(f"{where('gates', i, key)}: '{key}' is for a database "
                                "source; a table's figures have no place")
    for i, sink in enumerate(cfg.sinks):
        if sink.path is not None and Path(sink.path).suffix.lower() not in _TABLE_FILE:
            problems.append(f"{where('sinks', i, 'path')}: write .csv or .parquet, got "
                            f"{sink.path!r}")
        if sink.path is None and sink.table is None:
            problems.append(f"{where('sinks', i)}: a database sink needs 'table': the table "
                            "to write")
    return problems


def _database_problems(pipeline: Pipeline) -> list[str]:
    """Settings that a database does not take, and the per-table ones it does."""
    from simulacra.models import MODELS

    cfg, where = pipeline.config, pipeline.where
    problems = []
    what = "a database (its tables' keys and constraints go in a metadata file: " \
        "`simulacra metadata SOURCE -o db.yaml`, then `metadata: {file: db.yaml}`)"
    if cfg.metadata.primary_key is not None:
        problems.append(f"{where('metadata', 'primary_key')}: not for {what}")
    for column in cfg.metadata.columns:
        if "." not in column:
            problems.append(f"{where('metadata', 'columns', column)}: in a database, name "
                            "columns TABLE.COLUMN")
    for i, spec in enumerate(cfg.constraints):
        if not isinstance(spec.get("table"), str):
            problems.append(f"{where('constraints', i)}: in a database, say which table the "
                            "rule is about: {table: TABLE, type: ...}")
    if cfg.model.params:
        problems.append(f"{where('model', 'params')}: in a database, hyperparameters go per "
                        "table: model: {tables: {TABLE: {params: {...}}}}")
    if cfg.model.privacy is not None:
        problems.append(f"{where('model', 'privacy')}: a database cannot be fitted under a "
                        "privacy budget yet; fit its tables one by one")
    for table in set(cfg.model.tables) & set(cfg.model.keep):
        problems.append(f"{where('model', 'tables', table)}: {table} is in 'keep' (copied as "
                        "it is, not modelled); give it a model or keep it, not both")
    for table, spec in cfg.model.tables.items():
        name = spec.name or cfg.model.name
        if name not in MODELS:
            problems.append(f"{where('model', 'tables', table, 'name')}: no synthesizer "
                            f"{name!r}; models: {', '.join(MODELS)}")
        else:
            problems += _param_problems(pipeline, name, spec.params,
                                        ("model", "tables", table, "params"))
    if cfg.sampling.n is not None:
        problems.append(f"{where('sampling', 'n')}: a database is sized by 'scale' (its top "
                        "tables' rows as a multiple of the real ones; children follow)")
    if cfg.sampling.rebalance is not None:
        problems.append(f"{where('sampling', 'rebalance')}: not for a database yet; use "
                        "'conditions' on a table")
    if cfg.sampling.fairness is not None:
        problems.append(f"{where('sampling', 'fairness')}: not for a database; evaluate and "
                        "make one table fair with `simulacra sample --fair-target`")
    if cfg.metadata.sensitive is not None:
        problems.append(f"{where('metadata', 'sensitive')}: not for {what}")
    for table, given in cfg.sampling.conditions.items():
        if not isinstance(given, dict):
            problems.append(f"{where('sampling', 'conditions', table)}: in a database, "
                            "conditions are per table: TABLE: {COLUMN: VALUE}")
    if cfg.evaluation is not None and cfg.evaluation.target is not None \
            and "." not in cfg.evaluation.target:
        problems.append(f"{where('evaluation', 'target')}: in a database, name the column "
                        "TABLE.COLUMN")
    if cfg.monitor is not None:
        problems.append(f"{where('monitor')}: drift monitoring takes one table; a database "
                        "cannot be monitored yet")
    for i, sink in enumerate(cfg.sinks):
        if sink.table is not None:
            problems.append(f"{where('sinks', i, 'table')}: a database sink gets every table "
                            "under its own name; remove 'table'")
        if sink.path is not None and Path(sink.path).suffix.lower() in _TABLE_FILE:
            problems.append(f"{where('sinks', i, 'path')}: a database goes to a folder (one "
                            f"file per table), got {sink.path!r}")
    return problems
