"""``simulacra init``: a commented starter config for a table, which ``simulacra run`` accepts
as it is.

The table is read once to detect its columns (listed as comments, with the reason for each
kind) and to guess a utility target: the last column when it is categorical or boolean with at
most :data:`MAX_TARGET_CLASSES` values, as class labels usually are.
"""

from __future__ import annotations

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
{f"  - {{metric: {tstr}, max_gap: 0.05}}  # trained on synthetic vs on real rows"
 if tstr else "  # - {metric: TSTR accuracy, max_gap: 0.02}   # with a target"}

sinks: []               # more copies: [{{path: s.parquet}}, {{url_env: DB, table: t}}]

# monitor:              # new real rows: drift test against the source; refit when it drifted
#   current: new_rows.csv
#   alpha: 0.05
#   on_drift: refit
"""
    PipelineConfig.model_validate(yaml.safe_load(text))  # the starter must be a valid config
    return text


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
