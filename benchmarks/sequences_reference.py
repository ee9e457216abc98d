"""SDV's PARSynthesizer or MOSTLY AI's TabularARGN on an event-sequence train split.

Neither tool is a dependency of simulacra (SDV is under the Business Source License, and both pin
their own torch and friends): run each with the python of its own throw-away virtual environment,
nothing else running on the machine::

    python3 -m venv /tmp/sdv-venv
    /tmp/sdv-venv/bin/pip install torch==2.13.0      # first, so that no CUDA build is pulled
    /tmp/sdv-venv/bin/pip install sdv
    /tmp/sdv-venv/bin/python benchmarks/sequences_reference.py --tool par \\
        --train /tmp/cdnow-seq/train.csv --key users_id --index date --budget 60 \\
        --seed 0 --out /tmp/seqref

    python3 -m venv /tmp/argn-venv
    /tmp/argn-venv/bin/pip install torch==2.13.0 mostlyai-engine
    /tmp/argn-venv/bin/pip uninstall -y torchvision torchaudio   # builds for another torch
    /tmp/argn-venv/bin/python benchmarks/sequences_reference.py --tool tabularargn \\
        --train /tmp/cdnow-seq/train.csv --key users_id --index date --budget 60 \\
        --seed 0 --out /tmp/seqref

The train split is the ``train.csv`` that ``benchmarks/sequences.py --out DIR`` keeps. Writes
``<out>/<tool>_seed<seed>.csv`` (the train file's columns, the index in the train file's format)
and a same-named ``.json`` of fit and sample seconds, events sampled, peak memory, the budget and
the settings used. Score it on the same split with ``benchmarks/sequences.py --synthetic FILE``.

The budget (``--budget`` seconds of wall time for fitting):

- TabularARGN: ``max_training_time=budget / 60`` (the engine counts it in minutes, for its
  training loop only, so splitting, analysing and encoding come on top); the other settings are
  the engine's defaults (``MOSTLY_AI/Medium``, ``max_epochs=100``, its early stopping). The
  context table is the unique entities (the key alone); the target table is the events, keyed
  to it by ``tgt_context_key``. Sampling passes a context of ``--entities`` new keys.
  ``--epsilon E``: the engine's DP-SGD (``differential_privacy={"max_epsilon": E}``, its
  other DP defaults: noise multiplier 1.5, clipping 1.0; training stops when ε would pass E).
- PAR: one PAR epoch is one full-batch gradient step, and ``fit`` always starts anew (no way to
  go on epoch by epoch), so the epochs are chosen before the real fit: a calibration fit of
  ``--calibration-epochs`` (1) epochs is timed with torch's global hooks (the first module
  forward starts the first epoch, each optimizer step ends one), which gives the seconds per
  epoch and the fixed cost before the first (preprocessing, the context model, tensors); the
  real fit gets ``epochs = round((budget - fixed) / per_epoch)``, at least 1. Where that is
  the calibration's own count, the calibration fit is kept as the fit; otherwise its seconds
  are reported apart and not counted in ``fit_s``. ``context_columns`` none; sampling is
  ``sample_sequences(num_sequences=entities)``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def read_train(path: Path, key: str, index: str) -> tuple[pd.DataFrame, str | None]:
    """The train events sorted by entity then index, the index parsed; and its text format."""
    train = pd.read_csv(path)
    index_format = None
    if not pd.api.types.is_numeric_dtype(train[index]):
        parsed = pd.to_datetime(train[index])
        index_format = "%Y-%m-%d" if (parsed == parsed.dt.normalize()).all() else None
        train[index] = parsed
    train = train.sort_values([key, index], kind="stable").reset_index(drop=True)
    return train, index_format


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the tools draw from the global generators
    torch.manual_seed(seed)


class EpochClock:
    """Times PAR's epochs while active: one forward pass and one optimizer step each.

    Uses torch's global hooks, so no PAR internals: ``first_forward`` is when the first epoch
    starts, ``steps`` when each epoch ends.
    """

    def __enter__(self) -> EpochClock:
        from torch.nn.modules.module import register_module_forward_pre_hook
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self.started = time.perf_counter()
        self.first_forward: float | None = None
        self.steps: list[float] = []
        self._handles = [
            register_optimizer_step_post_hook(lambda *_: self.steps.append(time.perf_counter())),
            register_module_forward_pre_hook(self._forward)]
        return self

    def _forward(self, *_: object) -> None:
        if self.first_forward is None:
            self.first_forward = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()

    def before_first_epoch(self) -> float:
        return self.first_forward - self.started

    def per_epoch(self) -> float:
        """The median epoch's seconds."""
        return float(statistics.median(np.diff([self.first_forward, *self.steps])))


def par_metadata(train: pd.DataFrame, key: str, index: str):
    from sdv.metadata import Metadata

    columns: dict[str, dict] = {}
    for column in train.columns:
        if column == key:
            columns[column] = {"sdtype": "id"}
        elif column == index:
            columns[column] = ({"sdtype": "numerical"}
                               if pd.api.types.is_numeric_dtype(train[column])
                               else {"sdtype": "datetime"})
        elif pd.api.types.is_numeric_dtype(train[column]):
            columns[column] = {"sdtype": "numerical"}
        else:
            columns[column] = {"sdtype": "categorical"}
    table = {"columns": columns, "sequence_key": key, "sequence_index": index}
    return Metadata.load_from_dict({"METADATA_SPEC_VERSION": "V1",
                                    "tables": {"events": table}})


def run_par(train: pd.DataFrame, args: argparse.Namespace, entities: int):
    from sdv.sequential import PARSynthesizer

    metadata = par_metadata(train, args.key, args.index)
    fixed = {"context_columns": None, "cuda": False, "verbose": False}

    seed_everything(args.seed)
    model = PARSynthesizer(metadata, epochs=args.calibration_epochs, **fixed)
    with EpochClock() as clock:
        model.fit({"events": train})
    fitted = time.perf_counter()
    calibration = {"epochs": args.calibration_epochs, "seconds": round(fitted - clock.started, 2),
                   "seconds_per_epoch": round(clock.per_epoch(), 2),
                   "seconds_before_first_epoch": round(clock.before_first_epoch(), 2)}
    epochs = max(1, round((args.budget - clock.before_first_epoch()) / clock.per_epoch()))
    print(f"PAR calibration: {calibration} -> {epochs} epochs")
    if epochs != args.calibration_epochs:
        seed_everything(args.seed)
        model = PARSynthesizer(metadata, epochs=epochs, **fixed)
        with EpochClock() as clock:
            model.fit({"events": train})
        fitted = time.perf_counter()
        calibration["reused"] = False
    else:
        calibration["reused"] = True  # the calibration fit is the fit
    seed_everything(args.seed + 1)
    synthetic = model.sample_sequences(num_sequences=entities)
    sample_s = time.perf_counter() - fitted
    settings = {"epochs": epochs, **fixed, "sample_size": 1, "calibration": calibration,
                "epochs_run": len(clock.steps),
                "seconds_per_epoch": round(clock.per_epoch(), 2),
                "seconds_before_first_epoch": round(clock.before_first_epoch(), 2),
                "final_loss": float(model._model.loss_values["Loss"].iloc[-1])}
    return synthetic, fitted - clock.started, sample_s, settings


def run_tabularargn(train: pd.DataFrame, args: argparse.Namespace, entities: int):
    from mostlyai.engine import TabularARGN

    context = pd.DataFrame({args.key: train[args.key].unique()})
    with tempfile.TemporaryDirectory() as workspace:
        private = None
        if args.epsilon is not None:
            from mostlyai.engine.domain import DifferentialPrivacyConfig

            private = DifferentialPrivacyConfig(max_epsilon=args.epsilon)
        model = TabularARGN(tgt_context_key=args.key, ctx_data=context,
                            ctx_primary_key=args.key, max_training_time=args.budget / 60,
                            workspace_dir=workspace, random_state=args.seed,
                            differential_privacy=private)
        started = time.perf_counter()
        model.fit(train)
        fitted = time.perf_counter()
        new_keys = pd.DataFrame({args.key: np.arange(1, entities + 1)})
        synthetic = model.sample(ctx_data=new_keys)
        sample_s = time.perf_counter() - fitted
        progress_path = Path(workspace) / "ModelStore" / "model-data" / "progress-messages.csv"
        progress = pd.read_csv(progress_path) if progress_path.exists() else pd.DataFrame()
    settings = {"max_training_time_minutes": args.budget / 60, "max_epochs": model.max_epochs,
                "model": model.model or "MOSTLY_AI/Medium (default)",
                "context": f"{len(context)} unique {args.key}, key only",
                "differential_privacy": None if private is None else private.model_dump()}
    if not progress.empty:
        last = progress.iloc[-1]
        settings.update(epochs_run=round(float(last["epoch"]), 2), steps=int(last["steps"]),
                        final_val_loss=(None if pd.isna(last.get("val_loss"))
                                        else float(last["val_loss"])),
                        progress=progress.to_dict(orient="records"))
    return synthetic, fitted - started, sample_s, settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True, choices=["par", "tabularargn"])
    parser.add_argument("--train", required=True, type=Path)
    parser.add_argument("--key", required=True, help="the entity column")
    parser.add_argument("--index", required=True, help="the order column")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="wall seconds for fitting (see the module's docstring)")
    parser.add_argument("--entities", type=int, default=None,
                        help="entities to generate (default: as many as train has)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calibration-epochs", type=int, default=1,
                        help="PAR: epochs of the calibration fit")
    parser.add_argument("--epsilon", type=float, default=None,
                        help="TabularARGN: train with its DP-SGD up to this ε")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.epsilon is not None and args.tool != "tabularargn":
        parser.error("--epsilon is for --tool tabularargn")

    train, index_format = read_train(args.train, args.key, args.index)
    entities = args.entities or train[args.key].nunique()
    print(f"{args.train}: {len(train):,} events, {train[args.key].nunique():,} entities; "
          f"{args.tool}, budget {args.budget:g} s, {entities:,} entities to generate")
    run = run_par if args.tool == "par" else run_tabularargn
    synthetic, fit_s, sample_s, settings = run(train, args, entities)
    if isinstance(synthetic, dict):
        (synthetic,) = synthetic.values()
    synthetic = synthetic[list(train.columns)]
    if index_format is not None:
        synthetic[args.index] = pd.to_datetime(synthetic[args.index]).dt.strftime(index_format)

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{args.tool}_seed{args.seed}"
    synthetic.to_csv(stem.with_suffix(".csv"), index=False)
    report = {"tool": args.tool, "train": str(args.train), "seed": args.seed,
              "budget_s": args.budget, "fit_s": round(fit_s, 2), "sample_s": round(sample_s, 2),
              "entities_sampled": int(synthetic[args.key].nunique()),
              "events_sampled": len(synthetic),
              "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
              "settings": settings}
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str))
    brief = {k: v for k, v in report.items() if k != "settings"}
    brief["settings"] = {k: v for k, v in settings.items() if k != "progress"}
    print(json.dumps(brief, default=str))


if __name__ == "__main__":
    main()
