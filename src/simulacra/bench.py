"""``simulacra bench``: a model on the benchmark datasets under the evaluation protocol.

Protocol (../shared/DESIGN.md): the real data is split before fitting — Adult by its official
train/test files, every other table by a fixed seeded 80/20 split (seed 0, whatever the model
seeds) — the model sees train only and generates as many rows as train has; figures come from
:func:`simulacra.evaluate` against the held-out part. Fit and sampling run in a child process so
that its peak memory is the model's own.

The package does not ship these datasets: point ``datasets_dir`` at a folder holding them
(the project's own ``../shared/datasets`` in development). :func:`run_benchmark` runs a whole
sweep (datasets × models × budgets × seeds, plus rows other tools generated) and
:func:`report_block` writes its BENCHMARKS.md section; ``simulacra bench`` is a thin layer over
the two.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import multiprocessing as mp
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulacra.errors import DataError, ParameterError
from simulacra.io import read_table

if TYPE_CHECKING:
    from simulacra.metadata import Metadata


@dataclass(frozen=True)
class BenchDataset:
    """One benchmark table: its file(s), target and columns to drop (row numbers, ids)."""

    name: str
    train: str
    target: str
    test: str | None = None
    drop: tuple[str, ...] = ()
    description: str = ""

    def load(self, root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(train, holdout) under the protocol's split."""
        path = root / self.train
        if not path.exists():
            raise DataError(f"benchmark dataset {self.name!r} needs {str(path)!r}; pass "
                            "--datasets-dir pointing at the folder that holds it")
        data = read_table(path).drop(columns=list(self.drop))
        if self.test is not None:
            test = read_table(root / self.test).drop(columns=list(self.drop))
            return data, test
        order = np.random.default_rng(0).permutation(len(data))
        cut = round(0.8 * len(data))
        return (data.iloc[order[:cut]].reset_index(drop=True),
                data.iloc[order[cut:]].reset_index(drop=True))


DATASETS: dict[str, BenchDataset] = {d.name: d for d in (
    BenchDataset("adult", "adult_train.csv", "income", test="adult_test.csv",
                 description="UCI Adult census, official train/test split"),
    BenchDataset("default", "default_of_credit_card_clients.csv", "default_payment_next_month",
                 drop=("ID",), description="UCI default of credit card clients (Taiwan)"),
    BenchDataset("shoppers", "online_shoppers_intention.csv", "Revenue",
                 description="UCI online shoppers purchasing intention"),
    BenchDataset("magic", "magic04.csv", "class", description="UCI MAGIC gamma telescope"),
    BenchDataset("california", "california_housing.csv", "median_house_value",
                 description="California housing (regression)"),
    BenchDataset("beijing", "beijing_pm25.csv", "pm2.5", drop=("No",),
                 description="Beijing PM2.5 hourly (regression)"),
)}


@dataclass
class BenchRun:
    """Figures of one (dataset, model, seed) run."""

    dataset: str
    model: str
    seed: int
    fit_s: float
    sample_s: float
    peak_mb: float
    figures: dict[str, float] = field(default_factory=dict)
    epochs: int | None = None
    seconds_per_epoch: float | None = None


def default_datasets_dir() -> Path:
    env = os.environ.get("SIMULACRA_DATASETS")
    return Path(env) if env else Path("../shared/datasets")


def _fit_and_sample(model: str, seed: int, train_path: str, out_path: str,
                    params: dict[str, Any], queue: Any) -> None:
    """Child process: fit, sample len(train) rows, report times and peak RSS."""
    from simulacra.models import get_model

    train = pd.read_parquet(train_path)
    t0 = time.perf_counter()
    synth = get_model(model)(random_state=seed, **params).fit(train)
    t1 = time.perf_counter()
    fake = synth.sample(len(train))
    t2 = time.perf_counter()
    fake.to_parquet(out_path, index=False)
    epochs = getattr(synth, "epochs_trained_", None)
    per_epoch = synth.training_seconds_ / epochs if epochs else None
    queue.put((t1 - t0, t2 - t1, peak_rss_mb(), epochs, per_epoch))


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    On Linux this reads VmHWM, the high-water mark of the process's own address space:
    ``ru_maxrss`` would also count the parent's memory at the time of the fork, because the
    kernel folds the old address space's peak into it on ``exec``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(dataset: BenchDataset, model: str, seed: int, root: Path,
            params: dict[str, Any] | None = None, metrics: Sequence[str] | str = "all"
            ) -> BenchRun:
    """Fit ``model`` on the dataset's train part, evaluate against its holdout."""
    train, holdout = dataset.load(root)
    with tempfile.TemporaryDirectory() as tmp:
        train_path, out_path = Path(tmp) / "train.parquet", Path(tmp) / "synth.parquet"
        train.to_parquet(train_path, index=False)
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        child = ctx.Process(target=_fit_and_sample, args=(model, seed, str(train_path),
                                                          str(out_path), params or {}, queue))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise DataError(f"fitting {model} on {dataset.name} failed in the child process "
                            f"(exit code {child.exitcode}); run `simulacra fit` on the data to "
                            "see the error")
        fit_s, sample_s, peak, epochs, per_epoch = queue.get()
        synth = pd.read_parquet(out_path)
    return BenchRun(dataset.name, model, seed, fit_s, sample_s, peak,
                    _figures(train, synth, holdout, dataset, seed, metrics), epochs, per_epoch)


def run_external(dataset: BenchDataset, label: str, synthetic: Path, seed: int, root: Path,
                 timing: dict[str, Any] | None = None, metrics: Sequence[str] | str = "all"
                 ) -> BenchRun:
    """Score rows another tool generated from the dataset's train part (e.g. SDV's models).

    ``timing`` may give ``fit_s``, ``sample_s``, ``peak_mb``, ``epochs`` and ``s_per_epoch_mean``
    as that tool's own run measured them.
    """
    train, holdout = dataset.load(root)
    synth = read_table(synthetic)
    missing = [c for c in train.columns if c not in synth.columns]
    if missing:
        raise DataError(f"{synthetic} lacks the {dataset.name} columns {missing}; it must be "
                        f"generated from {dataset.train} with every column")
    synth = synth[list(train.columns)].astype(train.dtypes.to_dict(), errors="ignore")
    t = timing or {}
    nan = float("nan")
    return BenchRun(dataset.name, label, seed, t.get("fit_s", nan), t.get("sample_s", nan),
                    t.get("peak_mb", nan),
                    _figures(train, synth, holdout, dataset, seed, metrics),
                    t.get("epochs"), t.get("s_per_epoch_mean"))


def _timing(synthetic: Path) -> dict[str, Any] | None:
    """The timing in the ``.json`` beside ``synthetic`` (None: there is none); a clear error
    when it is not a JSON object."""
    path = Path(synthetic).with_suffix(".json")
    if not path.exists():
        return None
    try:
        timing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"cannot read the timing of {synthetic} from {path}: {err}; fix or "
                        "remove that file") from None
    if not isinstance(timing, dict):
        raise DataError(f"the timing of {synthetic} in {path} must be a JSON object such as "
                        f'{{"fit_s": 1.5, "sample_s": 0.2}}, got {type(timing).__name__}')
    return timing


def _figures(train: pd.DataFrame, synth: pd.DataFrame, holdout: pd.DataFrame,
             dataset: BenchDataset, seed: int, metrics: Sequence[str] | str = "all"
             ) -> dict[str, float]:
    from simulacra.evaluation.evaluate import evaluate

    result = evaluate(train, synth, holdout=holdout, target=dataset.target, random_state=seed,
                      metrics=metrics)
    figures = {m.label: m.value for m in result.metrics}  # a text column's: "notes: ..."
    figures.update({f"{m.label} (reference)": m.reference for m in result.metrics
                    if m.reference is not None})
    return figures


def summarize(runs: list[BenchRun]) -> list[dict[str, str]]:
    """Mean ± std over seeds per (dataset, model), in the BENCHMARKS.md column set."""
    rows = []
    keys = sorted({(r.dataset, r.model) for r in runs}, key=lambda k: (k[0], k[1]))
    for dataset, model in keys:
        group = [r for r in runs if r.dataset == dataset and r.model == model]

        def stat(values: list[float], digits: int = 3) -> str:
            arr = np.array([v for v in values if v is not None], dtype=float)
            if len(arr) == 0 or np.all(np.isnan(arr)):
                return "n/a"
            if len(arr) == 1:
                return f"{arr[0]:.{digits}f}"
            return f"{np.nanmean(arr):.{digits}f} ± {np.nanstd(arr):.{digits}f}"

        def fig(name: str, group: list[BenchRun] = group) -> list[float]:
            return [r.figures.get(name) for r in group]

        tstr_name = next((name for name in ("TSTR ROC-AUC", "TSTR R2")
                          if any(name in r.figures for r in group)), None)
        tstr = ("not computed" if tstr_name is None else
                f"{stat(fig(tstr_name))} vs {stat(fig(tstr_name + ' (reference)'))}"
                f" ({'AUC' if 'AUC' in tstr_name else 'R²'})")
        rows.append({
            "dataset": dataset,
            "model": model,
            "seeds": str(len(group)),
            "fit s": stat([r.fit_s for r in group], 2),
            "sample s": stat([r.sample_s for r in group], 2),
            "peak MB": stat([r.peak_mb for r in group], 0),
            "epochs (s/epoch)": (f"{stat([r.epochs for r in group], 0)} "
                                 f"({stat([r.seconds_per_epoch for r in group], 2)})"
                                 if group[0].epochs else "–"),
            "shape": stat(fig("shape")),
            "trend": stat(fig("trend")),
            "2-way TVD": stat([1 - v if v is not None else None
                               for v in fig("bivariate accuracy")]),
            "detection AUC": stat(fig("detection AUC")),
            "TSTR vs TRTR": tstr,
            "DCR share": stat(fig("DCR share")),
            "exact copies (holdout)": (f"{stat(fig('exact copies'), 4)} "
                                       f"({stat(fig('exact copies (reference)'), 4)})"),
        })
    return rows


def markdown_table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return ""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row[h] for h in header) + " |" for row in rows]
    return "\n".join(lines)


def machine_line() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}, pandas {pd.__version__}")


def resolve_datasets(names: list[str]) -> list[BenchDataset]:
    if names == ["all"] or not names:
        return list(DATASETS.values())
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise ParameterError(f"unknown benchmark dataset(s) {unknown}; choose from "
                             f"{', '.join(DATASETS)} or 'all'")
    return [DATASETS[n] for n in names]


def run_benchmark(
    datasets: Sequence[str],
    models: Sequence[str] = (),
    *,
    seeds: int = 3,
    root: Path | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    epsilons: Sequence[float] = (),
    delta: float | None = None,
    metadata: Metadata | None = None,
    metrics: Sequence[str] | str = "all",
    synthetic: Sequence[Path] = (),
    starting: Callable[[str], None] | None = None,
    finished: Callable[[BenchRun], None] | None = None,
) -> list[BenchRun]:
    """Every run of a sweep: the rows of ``synthetic`` files first, then each model.

    ``datasets`` are names of :data:`DATASETS` (or ``["all"]``); ``models`` default to the
    Gaussian copula unless ``synthetic`` files are given. Each model is fitted with its
    ``params``, on ``metadata`` when given, under each budget ε of ``epsilons`` (labelled
    "name ε=…"; none: without privacy), for seeds ``0..seeds-1``. A ``synthetic`` file named
    ``NAME_seedK`` is seed K of NAME; a same-named ``.json`` beside it gives its timing.
    ``starting`` is told what runs next, ``finished`` gets each finished model run.
    """
    from simulacra.models import get_model
    from simulacra.privacy import PrivacyBudget

    if seeds < 1:
        raise ParameterError(f"The 'seeds' parameter must be at least 1. Got {seeds} instead.")
    model_names = list(models) or ([] if synthetic else ["gaussian_copula"])
    for name in model_names:
        get_model(name)
    root = root or default_datasets_dir()
    chosen = resolve_datasets(list(datasets))
    if synthetic and len(chosen) != 1:
        raise ParameterError("--synthetic scores one dataset's rows: give one --dataset")
    timings = {path: _timing(path) for path in synthetic}  # all checked before any run
    runs = []
    for path in synthetic:
        timing = timings[path]
        # "<label>_seed<k>" files are seed k of one label, summarized together
        label, _, seed_text = path.stem.rpartition("_seed")
        ext_seed = int(seed_text) if label and seed_text.isdigit() else 0
        label = label if label and seed_text.isdigit() else path.stem
        if starting is not None:
            starting(f"{chosen[0].name} · {path.stem}")
        runs.append(run_external(chosen[0], label, path, ext_seed, root, timing, metrics))
    budgets: list[float | None] = list(epsilons) or [None]
    for ds in chosen:
        for name, eps in itertools.product(model_names, budgets):
            kwargs = dict((params or {}).get(name, {}))
            if metadata is not None:
                kwargs["metadata"] = metadata
            if eps is not None:
                kwargs["privacy"] = PrivacyBudget(eps, delta)
            label = name if eps is None else f"{name} ε={eps:g}"
            for seed in range(seeds):
                if starting is not None:
                    starting(f"{ds.name} · {label} · seed {seed}")
                run = dataclasses.replace(run_one(ds, name, seed, root, kwargs, metrics),
                                          model=label)
                runs.append(run)
                if finished is not None:
                    finished(run)
    return runs


def report_block(runs: list[BenchRun], command: str) -> str:
    """The BENCHMARKS.md section of a sweep: the command, the machine, the date, the table."""
    return (f"\n### `{command}`\n\nMachine: {machine_line()}; "
            f"{time.strftime('%Y-%m-%d')}.\n\n{markdown_table(summarize(runs))}\n")


def runs_json(runs: list[BenchRun], command: str) -> str:
    """Every run's figures (one record per dataset, model and seed) as JSON, e.g. for plots."""
    records = [dataclasses.asdict(r) for r in runs]
    return json.dumps({"command": command, "runs": records}, indent=1, default=float) + "\n"
