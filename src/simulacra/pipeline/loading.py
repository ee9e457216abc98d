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
    if cfg.source.path is not None and not pipeline.resolve(cfg.source.path).is_file():
        problems.append(f"{where('source', 'path')}: no file "
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
        known = [p for p in get_model(name)._param_names() if p not in ("random_state",
                                                                        "privacy")]
        for param in cfg.model.params:
            if param not in known:
                problems.append(f"{where('model', 'params', param)}: {name} has no "
                                f"hyperparameter {param!r}; it has: {', '.join(known)}")
        if cfg.model.privacy is not None and "privacy" not in get_model(name)._param_names():
            private = [m for m, c in MODELS.items() if "privacy" in c._param_names()]
            problems.append(f"{where('model', 'privacy')}: {name} cannot fit under a privacy "
                            f"budget; models that can: {', '.join(private)}")
    for i, sink in enumerate(cfg.sinks):
        if sink.path is not None and Path(sink.path).suffix.lower() not in (
                ".csv", ".parquet", ".pq", ".gz"):
            problems.append(f"{where('sinks', i, 'path')}: write .csv or .parquet, got "
                            f"{sink.path!r}")
    return problems
