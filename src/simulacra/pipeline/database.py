"""A pipeline over a database of related tables: the same steps, every key kept.

When the source is a folder of CSV/Parquet files or a database URL without ``table``, the run
reads every table (or ``source.tables``), detects or reads the database metadata, holds out a
share of one *subject* table's rows with everything below them
(:func:`~simulacra.multitable.split.split_database`), fits a
:class:`~simulacra.multitable.synthesizer.RelationalSynthesizer`, samples a database of
``sampling.scale`` times the size into ``synthetic/`` (one file per table and its metadata),
and evaluates it with :func:`~simulacra.evaluation.database.evaluate_database`: integrity,
per-table fidelity, cardinality, trends along key paths, C2ST-Agg, utility on
``TABLE.COLUMN`` and privacy. Gates may name a figure of one table, relation or key path.

>>> import simulacra as sim, tempfile, pathlib, pandas as pd
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "shop").mkdir()
>>> users = pd.DataFrame({"user_id": range(80), "age": [20 + i % 50 for i in range(80)]})
>>> orders = pd.DataFrame({"order_id": range(200), "user_id": [i % 80 for i in range(200)],
...                        "amount": [5.0 + i % 17 for i in range(200)]})
>>> users.to_csv(folder / "shop" / "users.csv", index=False)
>>> orders.to_csv(folder / "shop" / "orders.csv", index=False)
>>> _ = (folder / "p.yaml").write_text(
...     "source: {path: shop}\\nevaluation: {metrics: [integrity, cardinality]}\\n"
...     "gates: [{metric: foreign key resolution, min: 1.0}]\\n")
>>> result = sim.pipeline.run_pipeline(folder / "p.yaml")
>>> result.passed, sorted(p.name for p in (folder / "out" / "synthetic").iterdir())
(True, ['metadata.yaml', 'orders.csv', 'users.csv'])
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import ConfigError, MetadataError
from simulacra.pipeline.cache import file_hash
from simulacra.pipeline.runner import Run
from simulacra.pipeline.steps import database_url, edit_column, problem_text, tuples

Tables = dict[str, pd.DataFrame]


class DatabaseRun(Run):
    """One execution of a pipeline whose source is a database (see the module's docstring)."""

    @property
    def source_location(self) -> str | Path:
        source = self.cfg.source
        if source.path is not None:
            return self.pipeline.resolve(source.path)
        return database_url(source.url, source.url_env)

    def _source_digest(self) -> str:
        source = self.cfg.source
        if source.path is None:  # a live database: its content, read
            return _tables_hash(self.frame)
        from simulacra.multitable.folders import METADATA_FILE, table_files

        folder = Path(self.source_location)
        files = table_files(folder)
        chosen = [t for t in files if source.tables is None or t in source.tables]
        digest = hashlib.sha256(json.dumps(source.tables).encode("utf-8"))
        for table in sorted(chosen):
            digest.update(f"{table}\0{file_hash(files[table])}\0".encode())
        if (folder / METADATA_FILE).is_file():
            digest.update(file_hash(folder / METADATA_FILE).encode("utf-8"))
        return digest.hexdigest()

    def _read_source(self) -> Tables:
        """Every table of the source (or ``source.tables``), read-only."""
        from simulacra.multitable.sources import read_database

        frames, self._source_metadata = read_database(self.source_location,
                                                      tables=self.cfg.source.tables)
        return frames

    # -- the steps ------------------------------------------------------------------------
    def _write_metadata(self, folder: Path) -> None:
        meta = build_database_metadata(self, self.frame)
        meta.save(folder / "metadata.yaml")

    def _read_metadata(self, path: Path) -> Any:
        from simulacra.metadata import DatabaseMetadata

        return DatabaseMetadata.load(path)

    def _column_problems(self) -> list[str]:
        return database_column_problems(self)

    def _write_split(self, folder: Path) -> None:
        from simulacra.multitable.split import split_masks

        train, hold = split_masks(self.frame, self.metadata, self.holdout_share,
                                  subject=self.subject, seed=self.cfg.seed)
        for part, masks in (("train", train), ("holdout", hold)):
            np.savez(folder / f"{part}.npz",
                     **{f"t{i}": masks[t] for i, t in enumerate(self.metadata)})

    @property
    def subject(self) -> str:
        from simulacra.multitable.split import default_subject

        section = self.cfg.evaluation
        if section is not None and section.subject is not None:
            return section.subject
        return default_subject(self.metadata, self.frame)

    def rows(self, part: str) -> Tables:
        from simulacra.multitable.split import apply_split

        with np.load(self.split_entry / f"{part}.npz", allow_pickle=False) as saved:
            masks = {t: saved[f"t{i}"] for i, t in enumerate(self.metadata)}
        return apply_split(self.frame, self.metadata, masks)

    def _write_fit(self, folder: Path) -> None:
        from simulacra.multitable.synthesizer import RelationalSynthesizer

        section = self.cfg.model
        models = {t: spec.name for t, spec in section.tables.items() if spec.name}
        modelled = [t for t in self.metadata if t not in section.keep]  # kept: copied
        synth = RelationalSynthesizer(
            self.metadata, model={**dict.fromkeys(modelled, section.name), **models},
            model_params={t: tuples(spec.params) for t, spec in section.tables.items()
                          if spec.params},
            keep=section.keep, random_state=self.cfg.seed)
        synth.fit(self.rows("train"))
        synth.save(folder / "model.simz")
        info = {"model": synth.name, "rows": {t: int(n) for t, n in synth.n_rows_.items()},
                "tables": {t: ("(kept)" if t in synth.kept_ else
                               m.name if m is not None else "(keys)")
                           for t, m in synth.models_.items()},
                "privacy": None}
        (folder / "fit.json").write_text(json.dumps(info, indent=2), encoding="utf-8")

    def _write_sample(self, folder: Path) -> None:
        from simulacra.multitable.folders import write_folder
        from simulacra.multitable.synthesizer import RelationalSynthesizer

        synth = RelationalSynthesizer.load(self.fit_entry / "model.simz")
        section = self.cfg.sampling
        conditions = {t: tuples(given) for t, given in section.conditions.items()}
        frames = synth.sample(section.scale or 1.0, conditions=conditions or None,
                              rng=self.cfg.seed)
        write_folder(frames, synth.metadata_, folder / self.synthetic_name,
                     format=section.format)

    @property
    def synthetic_name(self) -> str:
        return "synthetic"

    def _read_synthetic(self) -> Tables:
        from simulacra.multitable.folders import read_folder

        frames, _ = read_folder(self.sample_entry / self.synthetic_name)
        return frames

    def _write_evaluation(self, folder: Path) -> None:
        from simulacra.evaluation.database import evaluate_database

        section = self.cfg.evaluation
        assert section is not None
        holdout = self.rows("holdout")
        has_holdout = self.holdout_share > 0 and len(holdout[self.subject]) > 0
        result = evaluate_database(
            self.rows("train"), self._read_synthetic(), self.metadata,
            holdout=holdout if has_holdout else None, target=section.target,
            metrics=section.metrics, random_state=self.cfg.seed)
        self._write_result(result, folder)

    def _write_to_sink(self, sink: Any) -> str:
        from simulacra.multitable.sources import write_database
        from simulacra.multitable.sql_engine import redact

        frames = self._read_synthetic()
        if sink.path is not None:
            target: str | Path = self.output_dir / sink.path
            write_database(frames, self.metadata, target, replace=True,
                           format=self.cfg.sampling.format)
            return str(target)
        url = database_url(sink.url, sink.url_env)
        orphans = self.metadata.orphans(frames)  # as the source had: nulls where keys are kept
        write_database(frames, self.metadata, url, replace=sink.replace,
                       orphans="null" if any(orphans.values()) else None)
        return redact(url)


def build_database_metadata(run: DatabaseRun, frames: Tables) -> Any:
    """The database metadata (detected, from the source folder's own file, or from
    ``metadata.file``) with the config's column edits and constraints applied; every problem
    reported at once, each at its line."""
    from simulacra.constraints import constraint_from_dict
    from simulacra.metadata import DatabaseMetadata

    pipeline, cfg = run.pipeline, run.cfg
    where = pipeline.where
    section = cfg.metadata
    meta = DatabaseMetadata.load(pipeline.resolve(section.file)) if section.file else \
        run._source_metadata
    problems: list[str] = []
    tables = {t: meta[t] for t in meta}
    for name, edit in section.columns.items():
        table, _, column = name.partition(".")
        if table not in tables or column not in tables[table]:
            problems.append(f"{where('metadata', 'columns', name)}: the database has no "
                            f"column {name!r}" + (f"; {table} has: {', '.join(tables[table])}"
                                                  if table in tables else
                                                  f"; tables: {', '.join(tables)}"))
            continue
        try:
            edit_column(tables[table], column, edit)
        except (MetadataError, TypeError) as err:
            problems.append(f"{where('metadata', 'columns', name)}: {problem_text(err)}")
    for index, spec in enumerate(cfg.constraints):
        spec = dict(spec)
        table = spec.pop("table", None)
        if table not in tables:
            problems.append(f"{where('constraints', index, 'table')}: no table {table!r}; "
                            f"tables: {', '.join(tables)}")
            continue
        try:
            tables[table].add_constraint(constraint_from_dict(spec))
        except MetadataError as err:
            problems.append(f"{where('constraints', index)}: {problem_text(err)}")
    if problems:
        raise ConfigError(problems, header=f"Invalid pipeline config {pipeline.path}")
    for table, md in tables.items():
        meta = meta.set_table(table, md)
    meta.validate_data(frames)
    return meta


def database_column_problems(run: DatabaseRun) -> list[str]:
    """Tables and columns the config names that the database lacks."""
    cfg, where, meta = run.cfg, run.pipeline.where, run.metadata
    tables = list(meta)
    out = []

    def no_table(table: str, *at: Any) -> None:
        out.append(f"{where(*at)}: no table {table!r}; tables: {', '.join(tables)}")

    for table in [*cfg.model.tables]:
        if table not in meta:
            no_table(table, "model", "tables", table)
    for i, table in enumerate(cfg.model.keep):
        if table not in meta:
            no_table(table, "model", "keep", i)
    for table, given in cfg.sampling.conditions.items():
        if table not in meta:
            no_table(table, "sampling", "conditions", table)
            continue
        for column in given:
            if column not in meta[table]:
                out.append(f"{where('sampling', 'conditions', table, column)}: {table} has "
                           f"no column {column!r}")
    section = cfg.evaluation
    if section is not None:
        if section.subject is not None and section.subject not in meta:
            no_table(section.subject, "evaluation", "subject")
        if section.target is not None:
            table, _, column = section.target.partition(".")
            if table not in meta or column not in meta[table]:
                out.append(f"{where('evaluation', 'target')}: no column {section.target!r} "
                           "(TABLE.COLUMN)")
    for i, gate in enumerate(cfg.gates):
        if gate.table is not None and gate.table not in meta:
            no_table(gate.table, "gates", i, "table")
    return out


def _tables_hash(frames: Tables) -> str:
    digest = hashlib.sha256()
    for table in sorted(frames):
        frame = frames[table]
        digest.update(f"{table}\0{','.join(map(str, frame.columns))}\0".encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()

