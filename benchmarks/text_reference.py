"""MOSTLY AI's language model (``mostlyai-engine``, an LSTM from scratch): a text given context.

The reference for simulacra's free-text column model: an LSTM language model that MOSTLY's
engine trains from scratch (its own BPE tokenizer too, no pretrained weights) on one text column,
conditioned on the other columns of the same row. Kept out of simulacra's dependencies (it pins
its own torch, transformers and friends): run it with the python of a throw-away virtual
environment, nothing else running on the machine::

    python3 -m venv /tmp/mostly-venv
    /tmp/mostly-venv/bin/pip install torch==2.13.0      # first, so that no CUDA build is pulled
    /tmp/mostly-venv/bin/pip install mostlyai-engine
    /tmp/mostly-venv/bin/pip uninstall -y torchvision torchaudio   # builds for another torch
    /tmp/mostly-venv/bin/python benchmarks/text_reference.py --train /tmp/verses/train.csv \\
        --text text --context book --context psalm --budget 60 --seed 0 --out /tmp/textref

Writes ``<out>/mostly_lstm_seed<seed>.csv``: ``--rows`` rows (default: as many as the train
file has) with the context columns and the generated text column. The context of row i is the
context of train row i (train's rows in order, repeated from the top where ``--rows`` is larger),
so that text-given-context can be compared row by row. A same-named ``.json`` holds fit and
sample seconds, texts per second, peak memory, the engine's version and the settings used.

How the engine is driven (``mostlyai.engine.LanguageModel``, the engine's "two-table" setup with
the tabular part of the row as the context table, one context row per text):

- context table: the ``--context`` columns plus a row key ``__row`` (``ctx_primary_key``); their
  encoding types are the engine's defaults for a context table (TABULAR_*), which only serve
  its analysis: the language model sees the raw values as a JSON prompt,
  `` {"tgt": {"book": "gen", "psalm": 1}}``;
- target table: the row key (``tgt_context_key``) and the text column, encoded as
  ``LANGUAGE_TEXT`` (a string column left to the engine's default would be
  LANGUAGE_CATEGORICAL, i.e. only the train texts could come out). The model learns the
  context prompt followed by `` {"text": "..."}``;
- ``model`` ``MOSTLY_AI/LSTMFromScratch-3m`` (the default: a 1-layer LSTM, 256 embedding and
  hidden units, a BPE vocabulary of at most 5,000 tokens trained on the train split); the engine
  keeps 20 % of the rows for validation; ``value_protection`` and ``enable_flexible_generation``
  at their defaults (True; the latter only shuffles the target's columns, and there is one);
- sampling: ``sample(ctx_data=...)`` with the engine's HuggingFace generate (no vLLM on CPU),
  JSON output enforced by xgrammar, ``--temperature`` 1.0 and ``--top-p`` 1.0 (the engine's
  defaults), batches of 128 (its default for the LSTM). A text whose JSON could not be parsed
  comes back as ``_INVALID_``; the ``.json`` counts them.

The budget (``--budget`` seconds of wall time for fitting) is ``max_training_time=budget / 60``:
the engine counts it in minutes, for its training loop only, and checks it after each optimizer
step, so the loop ends with the first step past it (then saves the weights). Splitting,
analysing, encoding, training the tokenizer and tokenizing come on top: ``fit_s`` is all of it,
``train_loop_s`` the loop alone and ``phases_s`` each phase. Training also stops at
``--max-epochs`` (the engine's default: 100) or by its early stopping: validation loss at the
end of each epoch, stop after 5 epochs in a row without a new best
(``EarlyStopper(val_loss_patience=4)``), learning rate halved after 3 (``ReduceLROnPlateau``,
down to a tenth). ``stopped_by`` in the ``.json`` says which. Generation uses the best
validation checkpoint; where the budget ends before the first epoch does, the weights at the stop.

Speed, from the engine's source: training pads each 1,000-row block of texts to its longest
and runs the LSTM over the padding too; generation keeps no LSTM state between tokens, so each
new token runs the whole sequence again (quadratic in the text's length), until every text of
the batch has ended or ``max_new_tokens`` (from the longest train text) is reached. Threads:
torch takes one per core; next to another job on the same cores, ``--threads 1`` can be several
times faster (2,000 verses, 2 cores shared with a 2-thread job: the first epoch took 59 s with
2 threads, 18 s with 1). The ``.json`` records ``torch_threads``.

Reproducibility: ``random_state=seed`` seeds python, numpy and torch before fitting, and the
script seeds them again before sampling. Texts come from the best epoch's checkpoint, so two
runs with the same seed write the same texts where they end the same count of epochs (two
60-second runs on 2,000 verses each did 1 epoch, and wrote the same 500 texts); a budget that
ends training at another epoch on a faster or busier machine gives other texts.

Nothing is downloaded: the LSTM and its tokenizer are made from scratch. To be sure, the script
sets ``HF_HUB_OFFLINE=1`` (any attempt fails at once) and points ``HF_HOME`` at a temporary
folder, so no cache outside it is read or written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

KEY = "__row"
INVALID = "_INVALID_"  # what the engine returns where a generated JSON could not be parsed


def peak_mb() -> int:
    """Peak resident memory of this process or any child it waited for, in MB."""
    usage = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(max(usage) / 1024)


def tables(train: pd.DataFrame, text: str, context: list[str],
           rows: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The context table and target table to fit on, and the context rows to sample for."""
    fit_context = train[context].copy()
    fit_context.insert(0, KEY, np.arange(len(train)))
    target = pd.DataFrame({KEY: np.arange(len(train)), text: train[text].to_numpy()})
    sample_context = fit_context.iloc[np.arange(rows) % len(train)].reset_index(drop=True)
    sample_context[KEY] = np.arange(rows)
    return fit_context, target, sample_context


class EngineLog(logging.Handler):
    """Keeps the engine's log lines (INFO and up) with their times, for the figures below."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.created, record.getMessage()))

    def first(self, prefix: str) -> tuple[float, str] | None:
        return next(((t, m) for t, m in self.lines if m.startswith(prefix)), None)


def training_figures(model_dir: Path, log: EngineLog, max_epochs: float) -> dict:
    """The engine's phases, its training loop's seconds, epochs, losses and why it stopped."""
    figures: dict = {"phases_s": {}}
    for _, message in log.lines:
        phase = re.fullmatch(r"(\w+) finished in ([\d.]+)s", message)
        if phase:
            figures["phases_s"][phase[1].lower()] = float(phase[2])
    loop_start, train_end = log.first("batch_size="), log.first("TRAIN_LANGUAGE finished")
    if loop_start and train_end:  # the loop starts right after the line of its batch sizes
        figures["train_loop_s"] = round(train_end[0] - loop_start[0], 2)
    figures["engine_batches"] = [m for _, m in log.lines
                                 if m.startswith(("trn_cnt=", "trn_batch_size=", "trn_steps=",
                                                  "batch_size=", "max_tokens="))]
    stops = [m for _, m in log.lines if m.startswith(("early stopping", "received STOP"))]
    progress_path = model_dir / "progress-messages.csv"
    progress = pd.read_csv(progress_path) if progress_path.exists() else pd.DataFrame()
    if not progress.empty:
        # one line per epoch's end (and the first step's): the steps after the last epoch's end
        # up to the stop are not in it
        last = progress.iloc[-1]
        val = progress["val_loss"].dropna()
        epochs = float(last["epoch"])
        if stops:
            stop = stops[-1]
        elif epochs >= max_epochs:
            stop = "max_epochs"
        else:
            stop = "budget (max_training_time)"
        figures |= {"epochs_at_last_message": round(epochs, 3), "steps_at_last_message":
                    int(last["steps"]), "samples_at_last_message": int(last["samples"]),
                    "best_val_loss": None if val.empty else round(float(val.min()), 4),
                    "last_val_loss": None if val.empty else round(float(val.iloc[-1]), 4),
                    "stopped_by": stop, "progress": progress.to_dict(orient="records")}
    config_path = model_dir / "config.json"
    if config_path.exists():
        config = json.loads(config_path.read_text())
        figures["lstm"] = {k: config.get(k) for k in
                           ("vocab_size", "embedding_size", "hidden_size", "num_layers", "dropout")}
        weights = model_dir / "model.safetensors"
        if weights.exists():
            from safetensors import safe_open

            with safe_open(weights, framework="pt") as tensors:
                figures["lstm"]["parameters"] = int(sum(
                    np.prod(tensors.get_slice(name).get_shape()) for name in tensors.keys()))  # noqa: SIM118
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, type=Path, help="CSV of the train rows")
    parser.add_argument("--text", required=True, help="the text column to generate")
    parser.add_argument("--context", action="append", default=[],
                        help="a column the text is conditioned on (repeat for several)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="wall seconds for the training loop (see the module's docstring)")
    parser.add_argument("--max-epochs", type=float, default=100.0,
                        help="the engine's max_epochs (its default: 100)")
    parser.add_argument("--rows", type=int, default=None,
                        help="texts to generate (default: as many as train has)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    parser.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling threshold")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's own, one per core)")
    parser.add_argument("--verbose", action="store_true", help="the engine's progress log")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    train = pd.read_csv(args.train)
    missing = [c for c in [args.text, *args.context] if c not in train.columns]
    if missing:
        parser.error(f"not in {args.train}: {missing}")
    if not args.context:
        parser.error("give at least one --context column")
    if args.text in args.context or KEY in train.columns:
        parser.error(f"--text may not be a --context column, and no column may be named {KEY}")
    rows = args.rows or len(train)
    fit_context, target, sample_context = tables(train, args.text, args.context, rows)
    print(f"{args.train}: {len(train):,} rows; text {args.text!r} given {args.context}; "
          f"budget {args.budget:g} s, {rows:,} texts to generate")

    with tempfile.TemporaryDirectory(prefix="mostly-text-") as scratch:
        # before the engine imports huggingface_hub and datasets, which read these at import
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["HF_DATASETS_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ["HF_HOME"] = str(Path(scratch) / "hf-home")
        import mostlyai.engine
        import torch
        from mostlyai.engine import LanguageModel, set_random_state

        if args.threads:
            torch.set_num_threads(args.threads)
        workspace = Path(scratch) / "workspace"
        model = LanguageModel(
            tgt_encoding_types={args.text: "LANGUAGE_TEXT"},
            ctx_data=fit_context, ctx_primary_key=KEY, tgt_context_key=KEY,
            max_training_time=args.budget / 60, max_epochs=args.max_epochs,
            device="cpu", workspace_dir=workspace, random_state=args.seed,
            verbose=int(args.verbose))
        engine_log = EngineLog()  # the engine's INFO lines reach it even when not verbose
        logging.getLogger("mostlyai.engine").setLevel(logging.INFO)
        logging.getLogger("mostlyai.engine").addHandler(engine_log)
        started = time.perf_counter()
        model.fit(target)
        fitted = time.perf_counter()
        fit_peak = peak_mb()
        set_random_state(args.seed)
        generated = model.sample(ctx_data=sample_context, sampling_temperature=args.temperature,
                                 sampling_top_p=args.top_p)
        sample_s = time.perf_counter() - fitted
        figures = training_figures(workspace / "ModelStore" / "model-data", engine_log,
                                   args.max_epochs)
        threads = torch.get_num_threads()

    generated = generated.set_index(KEY)[args.text]
    if len(generated) != rows or not generated.index.is_unique:
        raise RuntimeError(f"the engine returned {len(generated)} texts for {rows} contexts")
    synthetic = sample_context.drop(columns=KEY)
    synthetic[args.text] = generated.reindex(sample_context[KEY]).to_numpy()
    texts = synthetic[args.text]

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"mostly_lstm_seed{args.seed}"
    synthetic.to_csv(stem.with_suffix(".csv"), index=False)
    fit_s = fitted - started
    report = {
        "tool": "mostlyai-engine LanguageModel", "engine_version": mostlyai.engine.__version__,
        "torch_version": torch.__version__, "python": platform.python_version(),
        "train": str(args.train), "train_rows": len(train), "text": args.text,
        "context": args.context, "seed": args.seed, "budget_s": args.budget,
        "fit_s": round(fit_s, 2), "sample_s": round(sample_s, 2), "rows": rows,
        "texts_per_s": round(rows / sample_s, 2),
        "invalid_texts": int((texts == INVALID).sum()), "empty_texts": int(
            texts.isna().sum() + (texts.astype("string").str.len() == 0).sum()),
        "peak_mb_fit": fit_peak, "peak_mb": peak_mb(),
        "settings": {
            "model": "MOSTLY_AI/LSTMFromScratch-3m (default)",
            "max_training_time_minutes": args.budget / 60, "max_epochs": args.max_epochs,
            "tgt_encoding_types": {args.text: "LANGUAGE_TEXT"},
            "context_table": f"{args.context} + row key {KEY}, one row per text",
            "value_protection": model.value_protection,
            "enable_flexible_generation": model.enable_flexible_generation,
            "sampling_temperature": args.temperature, "sampling_top_p": args.top_p,
            "device": "cpu", "torch_threads": threads, "random_state": args.seed,
            **figures},
    }
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str))
    brief = {k: v for k, v in report.items() if k != "settings"}
    brief["settings"] = {k: v for k, v in report["settings"].items() if k != "progress"}
    print(json.dumps(brief, default=str))


if __name__ == "__main__":
    main()
