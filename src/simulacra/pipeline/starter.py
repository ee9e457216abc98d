"""``simulacra init``: a commented starter config for a table, which ``simulacra run`` accepts
as it is.

The table is read once to detect its columns (listed as comments, with the reason for each
kind) and to guess a utility target: the last column when it is categorical or boolean with at
most :data:`MAX_TARGET_CLASSES` values, as class labels usually are.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import yaml

from simulacra.pipeline.config import PipelineConfig

MAX_TARGET_CLASSES = 20


def starter_config(table: str | Path, config_path: str | Path, *, model: str = "gaussian_copula",
                   target: str | None = None) -> str:
    """The YAML text of a starter pipeline for ``table``, to be saved at ``config_path``."""
    from simulacra.errors import ParameterError
    from simulacra.io import read_table
    from simulacra.metadata import Metadata
    from simulacra.models import MODELS

    if model not in MODELS:
        raise ParameterError(f"--model: no synthesizer {model!r}; single-table models: "
                             f"{', '.join(MODELS)}")
    if Path(table).is_dir():
        return starter_database_config(table, config_path, model=model, target=target)
    frame = read_table(table)
    md = Metadata.detect(frame)
    if target is not None and target not in md:
        raise ParameterError(f"--target: the table has no column {target!r}; it has: "
                             f"{', '.join(md)}")
    guessed = target is None
    target = target or _guess_target(frame, md)
    folder = Path(config_path).resolve().parent
    source = os.path.relpath(Path(table).resolve(), folder)
    name = Path(table).name.split(".")[0] or "pipeline"
    kinds = "\n".join(f"#   {column}: {kind.kind}" + (f"  ({kind.reason})" if kind.reason else "")
                      for column, kind in md.items())
    q = _quote
    target_line = (f"  target: {q(target)}" + ("   # guessed: the last column, a class label"
                                               if guessed else "")) if target else \
        "  target: null        # a column to predict, for utility (TSTR vs TRTR)"
    tstr = "TSTR accuracy" if target else None
    gap = tstr_tolerance(round(len(frame) * 0.2))
    text = f"""\
# simulacra pipeline for {Path(table).name}: source -> metadata -> fit -> sample -> evaluate ->
# gates -> outputs. Run it with `simulacra run {Path(config_path).name}`; every key is listed,
# with its meaning, by `simulacra run --schema`. Paths are relative to this file's folder.
version: 1
name: {q(name)}
seed: 0                 # every random draw comes from it: same seed, same bytes
output_dir: out         # model, synthetic table, metrics, report and run record go here

source:
  path: {q(source)}
  # or a table of a database: {{url_env: DATABASE_URL, table: NAME}}

metadata:
  # file: metadata.yaml # a metadata file (`simulacra metadata TABLE -o metadata.yaml`)
  columns: {{}}           # edits, e.g. {{age: {{kind: numerical, minimum: 0}}, zip: categorical}}
# Detected kinds:
{kinds}

constraints: []         # business rules, e.g. [{{type: positive, column: amount}}]

model:
  name: {model}  # `simulacra models` lists them
  params: {{}}            # hyperparameters, e.g. {{epochs: 100}}
  # privacy: {{epsilon: 1.0}}   # differential privacy (aim, mst, privbayes, ...)

sampling:
  # n: 10000            # rows to generate; default: as many as the training rows
  format: csv           # or parquet
  # conditions: {{COLUMN: VALUE}}
  # rebalance: {{COLUMN: {{CATEGORY: 0.5}}}}

evaluation:
  holdout: 0.2          # real rows kept out of the fit, to measure utility and privacy
  metrics: all          # or some of [fidelity, detection, utility, privacy]
{target_line}
  report: true          # out/report.html

# A failed gate fails the run (exit status 3) and says by how much.
gates:
  - {{metric: trend, min: 0.85}}          # pairwise correlations kept (1 = all)
  - {{metric: detection AUC, max: 0.8}}   # real vs synthetic classifier (0.5: can't tell)
  - {{metric: DCR share, max: 0.6}}       # nearer the training rows than the holdout (0.5)
{f"  - {{metric: {tstr}, max_gap: {gap:g}}}  # trained on synthetic vs on real rows; about 3 "
 f"standard errors of the accuracy on {round(len(frame) * 0.2):,} holdout rows"
 if tstr else "  # - {metric: TSTR accuracy, max_gap: 0.02}   # with a target"}

sinks: []               # more copies: [{{path: s.parquet}}, {{url_env: DB, table: t}}]

# monitor:              # new real rows: drift test against the source; refit when it drifted
#   current: new_rows.csv
#   alpha: 0.05
#   on_drift: refit
"""
    PipelineConfig.model_validate(yaml.safe_load(text))  # the starter must be a valid config
    return text


def starter_database_config(folder: str | Path, config_path: str | Path, *,
                            model: str = "gaussian_copula", target: str | None = None) -> str:
    """The YAML text of a starter pipeline for the database in ``folder`` (one CSV/Parquet
    file per table), to be saved at ``config_path``."""
    from simulacra.errors import ParameterError
    from simulacra.multitable.sources import read_database
    from simulacra.multitable.split import default_subject

    frames, meta = read_database(folder)
    if target is not None:
        table, _, column = target.partition(".")
        if table not in meta or column not in meta[table]:
            raise ParameterError(f"--target: give TABLE.COLUMN of the database; {target!r} is "
                                 f"not one (tables: {', '.join(meta)})")
    home = Path(config_path).resolve().parent
    source = os.path.relpath(Path(folder).resolve(), home)
    q = _quote
    tables = "\n".join(
        f"#   {t}: {len(frames[t]):,} rows" + (
            f", key {', '.join(meta.primary_keys[t])}" if t in meta.primary_keys else "") +
        "".join(f"; {', '.join(fk.columns)} -> {fk.parent}" for fk in meta.parents(t))
        for t in meta.table_order())
    subject = default_subject(meta, frames)
    target_line = f"  target: {q(target)}" if target else \
        "  target: null        # TABLE.COLUMN to predict across tables (TSTR vs TRTR)"
    text = f"""\
# simulacra pipeline for the database {Path(folder).name}: tables -> metadata -> fit -> sample ->
# evaluate -> gates -> outputs. Run it with `simulacra run {Path(config_path).name}`; every key
# is listed, with its meaning, by `simulacra run --schema`. Paths are relative to this file.
version: 1
name: {q(Path(folder).name or "database")}
seed: 0                 # every random draw comes from it: same seed, same bytes
output_dir: out         # model, synthetic database, metrics, report and run record go here

source:
  path: {q(source)}
  # tables: [A, B]      # only these tables
  # or a whole SQL database: {{url_env: DATABASE_URL}}
# Tables (parents first), with their keys as read or detected:
{tables}

metadata:
  # file: db.yaml       # database metadata (`simulacra metadata FOLDER -o db.yaml`)
  columns: {{}}           # edits, e.g. {{users.age: {{kind: numerical, minimum: 0}}}}

constraints: []         # business rules, e.g. [{{table: orders, type: positive, column: amount}}]

model:
  name: {model}  # every table's model (`simulacra models`)
  tables: {{}}            # per table, e.g. {{orders: {{name: bayesian_network, params: {{}}}}}}
  keep: []              # public lookup tables copied as they are

sampling:
  scale: 1.0            # the top tables' rows as a multiple of the training ones
  format: csv           # or parquet
  # conditions: {{TABLE: {{COLUMN: VALUE}}}}

evaluation:
  holdout: 0.2          # a share of the subject's rows kept out, with every row below them
  subject: {q(subject)}
  metrics: all          # or some of [integrity, fidelity, cardinality, trends, detection,
                        # utility, privacy, sequences, text]
{target_line}
  report: true          # out/report.html

# A failed gate fails the run (exit status 3) and says by how much. A figure of one table,
# relation or key path: add table: T, relation: CHILD.COLUMN or path: 'A > B > C'.
gates:
  - {{metric: foreign key resolution, min: 1.0}}   # every key of the synthetic rows resolves
  - {{metric: shape, min: 0.8}}                    # column distributions, over the tables
  - {{metric: cardinality shape, min: 0.8}}        # children per parent

sinks: []               # more copies: [{{path: copy}}, {{url_env: TARGET_DATABASE_URL}}]
"""
    PipelineConfig.model_validate(yaml.safe_load(text))  # the starter must be a valid config
    return text


def tstr_tolerance(holdout_rows: int) -> float:
    """A starter's TSTR gap gate: about three standard errors of an accuracy measured on
    ``holdout_rows`` rows (a real difference, not the luck of a small holdout), at least .02.

    >>> tstr_tolerance(240), tstr_tolerance(6_500)
    (0.1, 0.02)
    """
    return max(0.02, math.ceil(150 / math.sqrt(max(holdout_rows, 1))) / 100)


def _guess_target(frame: object, md: object) -> str | None:
    columns = list(md)  # type: ignore[call-overload]
    if not columns:
        return None
    last = columns[-1]
    kind = md[last].kind  # type: ignore[index]
    distinct = frame[last].nunique(dropna=True)  # type: ignore[index]
    return last if kind in ("categorical", "boolean") and 2 <= distinct <= MAX_TARGET_CLASSES \
        else None


def _quote(value: str) -> str:
    """``value`` as a YAML scalar that reads back as the same string."""
    return yaml.safe_dump(value, default_style=None, width=10_000).removesuffix("\n...\n") \
        .strip()
