"""Run a pipeline: a table's run or a database's, chosen by its source."""

from __future__ import annotations

from pathlib import Path

from simulacra.pipeline.database import DatabaseRun
from simulacra.pipeline.loading import Pipeline, load_config
from simulacra.pipeline.runner import Progress, Run, RunResult


def run_pipeline(config: str | Path | Pipeline, *, output_dir: str | Path | None = None,
                 progress: Progress | None = None) -> RunResult:
    """Run the pipeline in ``config`` (a YAML file or a loaded :class:`Pipeline`).

    ``output_dir`` overrides the config's (relative to the current folder). Returns what the
    run did; a failed gate is reported in :attr:`RunResult.failed_gates`, not raised.
    """
    pipeline = config if isinstance(config, Pipeline) else load_config(config)
    out = Path(output_dir) if output_dir is not None else \
        pipeline.resolve(pipeline.config.output_dir)
    kind = DatabaseRun if pipeline.is_database else Run
    return kind(pipeline, out, progress=progress).execute()
