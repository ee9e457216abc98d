"""The pipeline configuration: one validated document from source to sinks.

Every section is a strict pydantic model (an unknown key is an error, not a silent no-op), so
that :func:`simulacra.pipeline.load_config` can list every problem of a file at once, each with
its line. :data:`SCHEMA_ID` names the published JSON schema (``docs/pipeline.schema.json``,
``simulacra run --schema``), which editors use to complete and check a config as it is typed.

>>> config = PipelineConfig.model_validate({"source": {"path": "adult.csv"}})
>>> config.model.name, config.evaluation.holdout, config.seed
('gaussian_copula', 0.2, 0)
"""

from __future__ import annotations

import math
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_ID = "https://simulacra.dev/schemas/pipeline-1.json"
#: Figure groups of a table's evaluation, and those only a database's has.
TABLE_GROUPS = ("fidelity", "detection", "utility", "privacy", "fairness", "text")
DATABASE_ONLY_GROUPS = ("integrity", "cardinality", "trends", "sequences")
Group = Literal["fidelity", "detection", "utility", "privacy", "fairness", "text",
                "integrity", "cardinality", "trends", "sequences"]

Name = Annotated[str, Field(min_length=1, max_length=200)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]


class Section(BaseModel):
    """A config section: unknown keys are errors, values are never coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


def relative_inside(value: str, what: str) -> str:
    """``value`` as a relative path that stays inside its base folder (no ``..``, no drive)."""
    for pure in (PurePosixPath(value), PureWindowsPath(value)):
        if pure.is_absolute() or pure.drive or ".." in pure.parts:
            raise ValueError(f"{what} must be a relative path inside the pipeline's folder "
                             f"(no '..', not absolute), got {value!r}; give another folder "
                             "with `simulacra run --output-dir`")
    if not value.strip() or "\x00" in value:
        raise ValueError(f"{what} must be a non-empty path")
    return value


class Source(Section):
    """Where the real data comes from: a CSV/Parquet file or one table of a SQL database (a
    table), or a folder of CSV/Parquet files or a whole SQL database (a database of related
    tables)."""

    path: str | None = Field(None, description="CSV or Parquet file (a table), or a folder "
                             "of them (a database), relative to the config file's folder (or "
                             "absolute).")
    url: str | None = Field(None, description="SQLAlchemy URL of a database: with `table`, "
                            "that table; without, the whole database.")
    url_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$",
                                description="Name of an environment variable holding the "
                                "database URL, so that no password is written in the config.")
    table: str | None = Field(None, min_length=1, max_length=200,
                              description="The one table to read from the database "
                              "(single-table pipeline).")
    tables: list[Name] | None = Field(None, min_length=1, description="Only these tables of "
                                      "a database (a folder, or a URL without `table`).")

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        given = [k for k in ("path", "url", "url_env") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of 'path' (a file or a folder), 'url' or "
                             f"'url_env' (a database); got {given or 'none'}")
        if self.path is not None and self.table is not None:
            raise ValueError("'table' is for database sources ('url'/'url_env'), not files")
        if self.table is not None and self.tables is not None:
            raise ValueError("give 'table' (one table) or 'tables' (a database), not both")
        return self


class MetadataSection(Section):
    """Column kinds: detected from the data, or read from a file; then edited."""

    file: str | None = Field(None, description="Metadata YAML/JSON (from `simulacra "
                             "metadata`); detected from the data when absent.")
    columns: dict[Name, str | dict[str, Any]] = Field(
        default_factory=dict, description="Edits: COLUMN: KIND (e.g. categorical) or COLUMN: "
        "{kind: numerical, minimum: 0}; applied after detection or the file.")
    primary_key: str | None = Field(None, description="The table's key column (never "
                                    "modelled; generated unique).")
    sensitive: list[Name] | None = Field(None, description="Sensitive columns (sex, race, "
                                         "...): the evaluation compares their groups on the "
                                         "target, and sampling.fairness evens the target out "
                                         "across them.")


class Privacy(Section):
    """A differential-privacy budget for the fit."""

    epsilon: float = Field(gt=0, description="Total ε of the fit (smaller is more private).")
    delta: float | None = Field(None, gt=0, lt=1,
                                 description="δ; default 1e-5 (never derived from the rows).")

    @field_validator("epsilon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("epsilon must be a finite number > 0")
        return value


class TableModel(Section):
    """One table's synthesizer in a database."""

    name: str | None = Field(None, description="Synthesizer name; default: the model's "
                             "`name`.")
    params: dict[Name, Any] = Field(default_factory=dict, description="Hyperparameters.")


class ModelSection(Section):
    """The synthesizer and its hyperparameters."""

    name: str = Field("gaussian_copula", description="Synthesizer name (`simulacra models`); "
                      "in a database, every table's.")
    params: dict[Name, Any] = Field(default_factory=dict, description="Hyperparameters, "
                                    "checked against the model's constructor (a table; in a "
                                    "database, use `tables`).")
    tables: dict[Name, TableModel] = Field(
        default_factory=dict, description="A database: TABLE: {name: MODEL, params: {...}} "
        "for tables that differ from `name`.")
    keep: list[Name] = Field(default_factory=list, description="A database: public lookup "
                             "tables copied as they are (their rows are in the model file).")
    privacy: Privacy | None = Field(None, description="Differential privacy (models that "
                                    "support it).")
    on_violation: Literal["drop", "keep", "error"] = Field(
        "drop", description="Real rows that break the constraints.")


class Fairness(Section):
    """Fairness-aware sampling: the target made independent of the sensitive columns."""

    target: Name = Field(description="The column every group of the sensitive columns gets "
                         "the whole sample's distribution of.")
    sensitive: list[Name] | None = Field(None, min_length=1, description="The sensitive "
                                         "columns; default: metadata.sensitive.")
    strength: float = Field(1.0, ge=0, le=1, description="Share of each group's gap closed "
                            "(1: parity).")
    strong: bool = Field(False, description="A binary target: equal distributions of its "
                         "probability across groups, not only equal shares (relabelling).")
    method: Literal["draw", "relabel"] | None = Field(
        None, description="'draw': each group's rows drawn given its target values (default "
        "for classes); 'relabel': the targets of as few rows as possible changed, the other "
        "columns kept (default for numbers and dates).")


class Sampling(Section):
    """How many rows to generate, and which."""

    n: int | None = Field(None, ge=1, le=1_000_000_000, description="Rows to generate.")
    scale: float | None = Field(None, gt=0, le=1000, description="Rows as a multiple of the "
                                "training rows (default 1).")
    conditions: dict[Name, Any] = Field(default_factory=dict, description="COLUMN: VALUE "
                                        "(or [low, high]) that every row must have; in a "
                                        "database, TABLE: {COLUMN: VALUE}.")
    rebalance: dict[Name, dict[str, float]] | None = Field(
        None, description="{COLUMN: {CATEGORY: SHARE}}: target shares of one column.")
    fairness: Fairness | None = Field(None, description="Make the target independent of the "
                                      "sensitive columns (demographic parity).")
    format: Literal["csv", "parquet"] = Field("csv", description="Format of the synthetic "
                                              "table (or tables) written to the output "
                                              "folder.")

    @model_validator(mode="after")
    def _n_or_scale(self) -> Sampling:
        if self.n is not None and self.scale is not None:
            raise ValueError("give 'n' or 'scale', not both")
        if self.rebalance is not None and len(self.rebalance) != 1:
            raise ValueError("'rebalance' takes exactly one column: {COLUMN: {CATEGORY: "
                             "SHARE}}")
        return self


class Evaluation(Section):
    """Hold real rows out of the fit, and measure the synthetic table against them."""

    holdout: float = Field(0.2, ge=0, lt=1, description="Share of the real rows kept out of "
                           "the fit (0: none; then no utility or privacy figures).")
    metrics: Literal["all"] | list[Group] = Field(
        "all", description="'all' or some of fidelity, detection, utility, privacy, fairness "
        "(with metadata.sensitive and a target), text (a "
        "table's free-text columns; for a database integrity, cardinality, trends, "
        "sequences).")
    target: str | None = Field(None, description="Column to predict (utility: TSTR vs TRTR); "
                               "in a database TABLE.COLUMN.")
    subject: Name | None = Field(None, description="A database: the table whose rows are held "
                                 "out, with every row below them (default: the top table "
                                 "with the most rows below it).")
    report: bool = Field(True, description="Write report.html.")


class Gate(Section):
    """A quality gate: a figure of the evaluation that must lie within bounds."""

    metric: Name = Field(description="A figure's name as `simulacra evaluate` prints it, "
                         "e.g. 'trend', 'detection AUC', 'DCR share', 'TSTR accuracy'.")
    min: float | None = Field(None, description="The figure must be >= this.")
    max: float | None = Field(None, description="The figure must be <= this.")
    max_gap: float | None = Field(None, ge=0, description="The figure's reference (e.g. the "
                                  "model trained on real rows) minus the figure must be <= "
                                  "this: the TSTR gap.")
    table: Name | None = Field(None, description="A database: the figure of this table "
                               "(default: of the whole database).")
    relation: Name | None = Field(None, description="A database: the figure of this foreign "
                                  "key, named CHILD.COLUMN (e.g. orders.user_id).")
    path: Name | None = Field(None, description="A database: the figure of this key path, "
                              "e.g. 'items > orders > users'.")
    column: Name | None = Field(None, description="The figure of this column: a free-text "
                                "column (e.g. 'text detection AUC' of column 'notes') or a "
                                "sensitive one ('target parity gap' of column 'sex'); a "
                                "database: with 'table', the column of that table.")

    @model_validator(mode="after")
    def _a_bound(self) -> Gate:
        if self.min is None and self.max is None and self.max_gap is None:
            raise ValueError(f"gate {self.metric!r} needs 'min', 'max' or 'max_gap'")
        if sum(x is not None for x in (self.table, self.relation, self.path)) > 1 or (
                self.column is not None and (self.relation or self.path) is not None):
            raise ValueError(f"gate {self.metric!r}: give at most one of 'table', "
                             "'relation', 'path' and 'column' (or 'table' with 'column')")
        return self

    @property
    def figure(self) -> str:
        """The name of the gated figure among the run's figures (see :func:`figure_name`)."""
        if self.table is not None and self.column is not None:
            return figure_name(self.metric, "column", f"{self.table}.{self.column}")
        if self.table is not None:
            return figure_name(self.metric, "table", self.table)
        if self.relation is not None:
            return figure_name(self.metric, "relation", self.relation)
        if self.path is not None:
            return figure_name(self.metric, "path", self.path)
        if self.column is not None:
            return figure_name(self.metric, "column", self.column)
        return self.metric


def figure_name(metric: str, scope: str = "database", where: str = "") -> str:
    """A figure's name among a run's figures: the metric's own for a table or a whole
    database, with its place for a figure of one table, relation or key path, or of one
    free-text column of a table.

    >>> figure_name("shape"), figure_name("cardinality shape", "relation", "orders.user_id")
    ('shape', 'cardinality shape (relation orders.user_id)')
    >>> figure_name("text detection AUC", "column", "notes")
    'text detection AUC (column notes)'

    A database's free-text column is named ``TABLE.COLUMN``:
    ``'text detection AUC (column reviews.note)'``.
    """
    return metric if scope == "database" or not where else f"{metric} ({scope} {where})"


class Sink(Section):
    """A further place the synthetic table (or database) is written to."""

    path: str | None = Field(None, description="CSV or Parquet file (a database: a folder), "
                             "inside the output folder.")
    url: str | None = Field(None, description="SQLAlchemy URL of a database (a table: with "
                            "`table`).")
    url_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$",
                                description="Environment variable holding the database URL.")
    table: str | None = Field(None, min_length=1, max_length=200,
                              description="The table to write (a single-table pipeline).")
    replace: bool = Field(False, description="Database: replace the tables that exist.")

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        return None if value is None else relative_inside(value, "a sink's 'path'")

    @model_validator(mode="after")
    def _one_target(self) -> Sink:
        given = [k for k in ("path", "url", "url_env") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a sink takes exactly one of 'path', 'url' or 'url_env'")
        if self.path is not None and self.table is not None:
            raise ValueError("'table' is for database sinks ('url'/'url_env'), not files")
        return self


class Monitor(Section):
    """Check new real data for drift against the training table; refit when it drifted."""

    current: str = Field(description="CSV or Parquet of new real rows.")
    alpha: float = Field(0.05, gt=0, lt=1, description="False-alarm rate of the drift verdict.")
    on_drift: Literal["report", "refit"] = Field(
        "refit", description="refit: fit the model again on the new rows, sample, evaluate "
        "and gate them (in refit/); report: only record the drift.")


class PipelineConfig(Section):
    """A whole pipeline: source → metadata → split → fit → sample → evaluate → gates → sinks."""

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"$id": SCHEMA_ID,
                                                 "title": "simulacra pipeline"})

    version: Literal[1] = Field(1, description="Config format version.")
    name: Name = Field("pipeline", description="A name for the run record.")
    seed: Seed = Field(0, description="Seed of every random draw: same seed, same bytes.")
    output_dir: str = Field("out", description="Where outputs go, relative to the config "
                            "file's folder (and inside it).")
    source: Source
    metadata: MetadataSection = Field(default_factory=MetadataSection)
    constraints: list[dict[str, Any]] = Field(
        default_factory=list, description="Business rules, as in a metadata file, e.g. "
        "{type: inequality, low: start, high: end}.")
    model: ModelSection = Field(default_factory=ModelSection)
    sampling: Sampling = Field(default_factory=Sampling)
    evaluation: Evaluation | None = Field(default_factory=Evaluation,
                                          description="null: no holdout, no evaluation.")
    gates: list[Gate] = Field(default_factory=list, description="Quality gates: a failed "
                              "gate fails the run with exit status 3.")
    sinks: list[Sink] = Field(default_factory=list, description="Further targets of the "
                              "synthetic table.")
    monitor: Monitor | None = None

    @field_validator("output_dir")
    @classmethod
    def _inside(cls, value: str) -> str:
        return relative_inside(value, "'output_dir'")

    @model_validator(mode="after")
    def _gates_need_evaluation(self) -> PipelineConfig:
        if self.gates and self.evaluation is None:
            raise ValueError("'gates' need an 'evaluation' section (they gate its figures)")
        return self


def json_schema() -> dict[str, Any]:
    """The published JSON schema of a pipeline config."""
    schema = PipelineConfig.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
