"""Run a pipeline: each step computed only when the hash of its inputs is new.

The steps form a chain — source → metadata → split → fit → sample → evaluate — whose keys are
computed from the config and the source file's bytes before anything is read, so a re-run with
nothing changed opens no data at all, and a changed ``sampling.n`` re-runs sampling and what
follows. Outputs are published into the output folder from the cache (atomically, and only
when their bytes changed); gates, sinks and the run record (``run.json``) follow.

>>> import simulacra as sim, tempfile, pathlib
>>> from simulacra.pipeline import run_pipeline
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> sim.datasets.load_demo().head(600).to_csv(folder / "adult.csv", index=False)
>>> _ = (folder / "p.yaml").write_text(
...     "source: {path: adult.csv}\\nevaluation: {metrics: [fidelity]}\\n"
...     "gates: [{metric: shape, min: 0.8}]\\n")
>>> first = run_pipeline(folder / "p.yaml")
>>> first.passed, [s.name for s in first.steps if not s.cached]
(True, ['metadata', 'split', 'fit', 'sample', 'evaluate'])
>>> [s.name for s in run_pipeline(folder / "p.yaml").steps if not s.cached]
[]
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra._version import __version__
from simulacra.errors import ConfigError
from simulacra.pipeline import steps
from simulacra.pipeline.cache import StepCache, file_hash, key
from simulacra.pipeline.config import figure_name
from simulacra.pipeline.gates import GateResult, UnknownMetricError, check_gates
from simulacra.pipeline.loading import Pipeline

Progress = Callable[[str, str, float], None]  # (step, "running" | "cached" | "done", seconds)


@dataclass
class StepRun:
    """One step of a run: its key, whether the cache had it, and the time it took."""

    name: str
    key: str
    cached: bool
    seconds: float  # in this run
    computed_seconds: float  # when it was computed (the same as seconds when not cached)


@dataclass
class RunResult:
    """What a run did and found; ``passed`` is False when a gate failed."""

    output_dir: Path
    steps: list[StepRun] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    gates: list[GateResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    drift: dict[str, Any] | None = None
    refit: RunResult | None = None
    #: fitted under a privacy budget: the figures (not covered by ε) stay out of run.json and
    #: printed output; they are in metrics.json and report.html, for the data's owner
    private: bool = False

    @property
    def failed_gates(self) -> list[GateResult]:
        own = [g for g in self.gates if not g.passed]
        return own + (self.refit.failed_gates if self.refit is not None else [])

    @property
    def passed(self) -> bool:
        return not self.failed_gates


class Run:
    """One execution of a pipeline into ``output_dir`` (its cache in ``output_dir/.cache``).

    The run of a single table; :class:`~simulacra.pipeline.database.DatabaseRun` overrides
    what each step does with the data (the ``_write_*``/``_read_*`` hooks) for a database.
    """

    def __init__(self, pipeline: Pipeline, output_dir: Path, *, progress: Progress | None = None,
                 source: tuple[str, Callable[[], pd.DataFrame]] | None = None,
                 monitor: bool = True) -> None:
        self.pipeline, self.cfg = pipeline, pipeline.config
        self.output_dir = output_dir
        self.cache = StepCache(output_dir / ".cache")
        self.progress = progress or (lambda step, state, seconds: None)
        self.result = RunResult(output_dir, private=self.cfg.model.privacy is not None)
        self._source = source
        self._monitor = monitor and self.cfg.monitor is not None
        self._inputs: dict[str, str] = {}

    # -- the steps' keys: known before any data is read ------------------------------------
    @cached_property
    def source_key(self) -> str:
        if self._source is not None:
            return self._source[0]
        digest = self._source_digest()
        self._inputs["source"] = digest
        return key("source", digest)

    @cached_property
    def metadata_key(self) -> str:
        section = self.cfg.metadata
        given = file_hash(self.pipeline.resolve(section.file)) if section.file else None
        if given:
            self._inputs["metadata"] = given
        return key("metadata", self.source_key, section.model_dump(mode="json"), given,
                   self.cfg.constraints, self.cfg.model.privacy is not None)

    @cached_property
    def split_key(self) -> str:
        subject = self.cfg.evaluation.subject if self.cfg.evaluation is not None else None
        return key("split", self.metadata_key, self.holdout_share, subject, self.cfg.seed)

    @cached_property
    def fit_key(self) -> str:
        return key("fit", self.split_key, self.cfg.model.model_dump(mode="json"), self.cfg.seed)

    @cached_property
    def sample_key(self) -> str:
        return key("sample", self.fit_key, self.cfg.sampling.model_dump(mode="json"),
                   self.cfg.seed)

    @cached_property
    def evaluate_key(self) -> str:
        section = self.cfg.evaluation.model_dump(mode="json") if self.cfg.evaluation else None
        return key("evaluate", self.sample_key, section, self.cfg.seed)

    # -- the steps' values: computed or read from the cache, only when asked for ------------
    @cached_property
    def frame(self) -> pd.DataFrame:
        if self._source is not None:
            return self._source[1]()
        return self._read_source()

    @cached_property
    def metadata_entry(self) -> Path:
        return self._step("metadata", self.metadata_key, self._write_metadata)

    @cached_property
    def metadata(self) -> Any:
        return self._read_metadata(self.metadata_entry / "metadata.yaml")

    @cached_property
    def split_entry(self) -> Path:
        return self._step("split", self.split_key, self._write_split)

    @cached_property
    def fit_entry(self) -> Path:
        return self._step("fit", self.fit_key, self._write_fit)

    @cached_property
    def sample_entry(self) -> Path:
        return self._step("sample", self.sample_key, self._write_sample)

    @cached_property
    def evaluate_entry(self) -> Path:
        return self._step("evaluate", self.evaluate_key, self._write_evaluation)

    @property
    def holdout_share(self) -> float:
        return self.cfg.evaluation.holdout if self.cfg.evaluation is not None else 0.0

    # -- what the steps do with one table (a database's run overrides these) ---------------
    def _source_digest(self) -> str:
        """The source's content hash: a file's bytes, or a database table's rows (read)."""
        if self.cfg.source.path is not None:
            return file_hash(self.pipeline.resolve(self.cfg.source.path))
        return _frame_hash(self.frame)

    def _read_source(self) -> Any:
        return steps.read_source(self.pipeline, self.cfg.source)

    def _write_metadata(self, folder: Path) -> None:
        md = steps.build_metadata(self.pipeline, self.frame)
        private = self.cfg.model.privacy is not None
        (md.without_reasons() if private else md).save(folder / "metadata.yaml")

    def _read_metadata(self, path: Path) -> Any:
        from simulacra.metadata import Metadata

        return Metadata.load(path)

    def _column_problems(self) -> list[str]:
        return steps.column_problems(self.pipeline, self.metadata)

    def _write_split(self, folder: Path) -> None:
        train, test = steps.split_rows(len(self.frame), self.holdout_share, self.cfg.seed)
        np.save(folder / "train.npy", train)
        np.save(folder / "holdout.npy", test)

    def rows(self, part: str) -> Any:
        """The training (``"train"``) or held-out (``"holdout"``) real rows."""
        index = np.load(self.split_entry / f"{part}.npy", allow_pickle=False)
        return self.frame.iloc[index].reset_index(drop=True)

    def _write_fit(self, folder: Path) -> None:
        synth = steps.fit_model(self.metadata, self.rows("train"), self.cfg.model,
                                self.cfg.seed)
        synth.save(folder / "model.simz")
        report = getattr(synth, "privacy_report_", None)
        info = {"model": synth.name, "rows": synth.n_rows_,  # None under DP
                "privacy": None if report is None else
                {"epsilon": report.epsilon, "delta": report.delta,
                 "budget": report.budget.epsilon}}
        (folder / "fit.json").write_text(json.dumps(info, indent=2), encoding="utf-8")

    def _write_sample(self, folder: Path) -> None:
        from simulacra.io import write_table
        from simulacra.models import load

        synth = load(self.fit_entry / "model.simz")
        frame = steps.sample_rows(synth, self.cfg.sampling, self.cfg.seed)
        write_table(frame, folder / self.synthetic_name)

    @property
    def synthetic_name(self) -> str:
        return f"synthetic.{self.cfg.sampling.format}"

    def _read_synthetic(self) -> Any:
        from simulacra.io import read_table

        return read_table(self.sample_entry / self.synthetic_name)

    def _write_evaluation(self, folder: Path) -> None:
        section = self.cfg.evaluation
        assert section is not None
        holdout = self.rows("holdout")
        result = steps.evaluate_rows(self.rows("train"), self._read_synthetic(),
                                     holdout if len(holdout) else None, self.metadata,
                                     section, self.cfg.seed)
        self._write_result(result, folder)

    def _write_result(self, result: Any, folder: Path) -> None:
        """An evaluation's figures (and report) without the clock; its timings apart."""
        result.to_json(folder / "metrics.json", reproducible=True)
        if self.cfg.evaluation is not None and self.cfg.evaluation.report:
            result.to_html(folder / "report.html", reproducible=True)
        timings = {"seconds": result.info.get("seconds"),
                   "stage_seconds": result.info.get("stage_seconds")}
        (folder / "timings.json").write_text(json.dumps(timings), encoding="utf-8")

    def _write_to_sink(self, sink: Any) -> str:
        return steps.write_sink(self.pipeline, sink, self._read_synthetic(), self.metadata,
                                self.output_dir)

    def _step(self, name: str, step_key: str, write: Callable[[Path], None]) -> Path:
        started = time.perf_counter()
        cached = self.cache.has(name, step_key)
        if cached:
            entry = self.cache.get(name, step_key)
        else:
            self.progress(name, "running", 0.0)

            def timed(folder: Path) -> None:
                write(folder)
                took = round(time.perf_counter() - started, 3)
                (folder / "step.json").write_text(json.dumps({"seconds": took}), "utf-8")

            entry = self.cache.put(name, step_key, timed)
        took = round(time.perf_counter() - started, 3)
        try:
            computed = float(json.loads((entry / "step.json").read_text("utf-8"))["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            computed = took
        self.progress(name, "cached" if cached else "done", computed)
        self.result.steps.append(StepRun(name, step_key, cached, took, computed))
        return entry

    # -- the run ---------------------------------------------------------------------------
    def execute(self) -> RunResult:
        started = time.perf_counter()
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self._publish(self.metadata_entry / "metadata.yaml", "metadata.yaml")
        problems = self._column_problems()
        if problems:
            raise ConfigError(problems, header=f"Invalid pipeline config {self.pipeline.path}")
        self.split_entry  # noqa: B018 (the split is a step of its own in the record)
        self._publish(self.fit_entry / "model.simz", "model.simz")
        self._publish(self.sample_entry / self.synthetic_name, self.synthetic_name)
        if self.cfg.evaluation is not None:
            entry = self.evaluate_entry
            self._publish(entry / "metrics.json", "metrics.json")
            if (entry / "report.html").exists():
                self._publish(entry / "report.html", "report.html")
            self.result.metrics = _figures(entry / "metrics.json")
            self.result.gates = self._gates()
        self._sinks()
        if self._monitor:
            self._run_monitor()
        self.cache.prune()
        self._write_record(time.perf_counter() - started)
        return self.result

    def _publish(self, source: Path, name: str) -> None:
        """Copy a cached output into the output folder unless it is there already (a folder:
        file by file)."""
        if source.is_dir():
            files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
            for path in files:
                self._publish(source / path, f"{name}/{path.as_posix()}")
            stale = (p for p in (self.output_dir / name).rglob("*")
                     if p.is_file() and p.relative_to(self.output_dir / name) not in files)
            for path in list(stale):  # from a run with other tables
                path.unlink()
            return
        target = self.output_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = file_hash(source)
        if not (target.is_file() and target.stat().st_size == source.stat().st_size
                and file_hash(target) == digest):
            scratch = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(source, scratch)
            scratch.replace(target)
        self.result.outputs[name] = digest

    def _gates(self) -> list[GateResult]:
        try:
            return check_gates(self.cfg.gates, self.result.metrics)
        except UnknownMetricError as err:
            gate = self.cfg.gates[err.index]
            want = "figure with a reference (for max_gap)" if gate.max_gap is not None \
                else "figure"
            known = err.known
            if len(known) > 20:  # a database's: its own, and a count of the places' ones
                own = [k for k in known if not k.endswith(")")]
                known = [*own, f"and {len(known) - len(own)} figures of tables, relations "
                         "and key paths (in metrics.json: give 'table', 'relation' or 'path')"]
            raise ConfigError(
                f"{self.pipeline.where('gates', err.index, 'metric')}: the evaluation has "
                f"no {want} named {err.metric!r}; it has: {', '.join(known)}",
                header=f"Invalid pipeline config {self.pipeline.path}") from None

    def _sinks(self) -> None:
        for index, sink in enumerate(self.cfg.sinks):
            sink_key = key("sink", self.sample_key, sink.model_dump(mode="json"))
            target = self.output_dir / sink.path if sink.path is not None else None
            if self.cache.has("sink", sink_key) and (target is None or target.exists()):
                self.cache.get("sink", sink_key)
                self.progress(f"sink {index + 1}", "cached", 0.0)
                self.result.steps.append(StepRun(f"sink {index + 1}", sink_key, True, 0.0, 0.0))
                continue

            def write(folder: Path, sink: Any = sink) -> None:
                where = self._write_to_sink(sink)
                (folder / "target.txt").write_text(where, encoding="utf-8")

            self._step("sink", sink_key, write)
            self.result.steps[-1].name = f"sink {index + 1}"

    def _run_monitor(self) -> None:
        from simulacra.io import read_table

        monitor = self.cfg.monitor
        assert monitor is not None
        current_path = self.pipeline.resolve(monitor.current)
        current_hash = file_hash(current_path)
        self._inputs["monitor.current"] = current_hash
        monitor_key = key("monitor", self.source_key, current_hash,
                          monitor.model_dump(mode="json"), self.cfg.seed)

        def write(folder: Path) -> None:
            from simulacra.drift import detect_drift

            report = detect_drift(self.frame, read_table(current_path), metadata=self.metadata,
                                  alpha=monitor.alpha, random_state=self.cfg.seed)
            report.to_json(folder / "drift.json", reproducible=True)
            report.to_html(folder / "drift.html", reproducible=True)

        entry = self._step("monitor", monitor_key, write)
        self._publish(entry / "drift.json", "drift.json")
        if (entry / "drift.html").is_file():
            self._publish(entry / "drift.html", "drift.html")
        self.result.drift = json.loads((entry / "drift.json").read_text(encoding="utf-8"))
        if self.result.drift.get("drifted") and monitor.on_drift == "refit":
            refit = Run(self.pipeline, self.output_dir / "refit", progress=self._refit_progress,
                        source=(key("source", current_hash),
                                lambda: read_table(current_path)), monitor=False)
            self.result.refit = refit.execute()

    def _refit_progress(self, step: str, state: str, seconds: float) -> None:
        self.progress(f"refit {step}", state, seconds)

    def _write_record(self, seconds: float) -> None:
        from simulacra.io import write_text_atomic

        fitted = json.loads((self.fit_entry / "fit.json").read_text(encoding="utf-8"))
        timings = {}
        if self.cfg.evaluation is not None:
            timings = json.loads((self.evaluate_entry / "timings.json").read_text("utf-8"))
        record = {
            "pipeline": self.cfg.name,
            "config": str(self.pipeline.path),
            "config_sha256": file_hash(self.pipeline.path),
            "status": "passed" if self.result.passed else "failed",
            "seed": self.cfg.seed,
            "versions": _versions(),
            "inputs": {name: {"sha256": digest} for name, digest in self._inputs.items()},
            "model": fitted,
            "steps": [vars(s) for s in self.result.steps],
            "seconds": round(seconds, 3),
            "evaluation_seconds": timings,
            "metrics": "withheld: fitted under a privacy budget (see metrics.json)"
            if self.result.private else
            {name: f["value"] for name, f in self.result.metrics.items()},
            "gates": [g.to_dict(private=self.result.private) for g in self.result.gates],
            "outputs": {name: {"sha256": digest} for name, digest in self.result.outputs.items()},
            "drift": None if self.result.drift is None else
            {"drifted": self.result.drift.get("drifted"),
             "refit": self.result.refit is not None},
        }
        write_text_atomic(self.output_dir / "run.json", json.dumps(record, indent=2) + "\n")


def _figures(path: Path) -> dict[str, dict[str, Any]]:
    """Every figure of ``metrics.json`` by its name (:func:`figure_name`: a database's figures
    of one table, relation or key path carry their place, a free-text column's its column)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {figure_name(m["name"], *_place(m)):
            {"value": m["value"], "reference": m.get("reference")} for m in data["metrics"]}


def _place(metric: dict[str, Any]) -> tuple[str, str]:
    """``(scope, where)`` of a figure of ``metrics.json`` (a database's free-text column:
    ``("column", "table.column")``)."""
    if metric.get("column"):
        table = metric.get("where") if metric.get("scope") == "table" else None
        return "column", f"{table}.{metric['column']}" if table else metric["column"]
    return metric.get("scope", "database"), metric.get("where") or ""


def _frame_hash(frame: pd.DataFrame) -> str:
    import hashlib

    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    import importlib.metadata as meta

    out = {"simulacra": __version__, "python": platform.python_version(),
           "platform": sys.platform}
    for package in ("numpy", "pandas", "scipy", "scikit-learn", "torch", "opacus"):
        try:
            out[package] = meta.version(package)
        except meta.PackageNotFoundError:
            continue
    return out
