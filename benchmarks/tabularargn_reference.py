"""MOSTLY AI's TabularARGN (``mostlyai-engine``, Apache-2.0) on a benchmark train split.

Kept out of simulacra's dependencies (it pins its own torch and friends): run it with the python
of a throw-away virtual environment, nothing else running on the machine::

    python -m venv /tmp/argn-venv
    /tmp/argn-venv/bin/pip install torch==2.13.0 mostlyai-engine
    /tmp/argn-venv/bin/pip uninstall -y torchvision torchaudio   # builds for another torch
    /tmp/argn-venv/bin/python benchmarks/tabularargn_reference.py --out /tmp/argn --seed 0

Fits ``TabularARGN()`` at its defaults on ``adult_train.csv``, samples as many rows as the
train split has, and writes ``<out>/tabularargn_seed<seed>.csv`` with a same-named ``.json``
of fit/sample seconds and peak memory. Score it under simulacra's protocol with
``simulacra bench --dataset adult --synthetic <out>/tabularargn_seed0.csv``.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from mostlyai.engine import TabularARGN  # imported late: the venv check above is cheap

    train = pd.read_csv(args.datasets_dir / "adult_train.csv")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workspace:
        model = TabularARGN(workspace_dir=workspace, random_state=args.seed)
        started = time.perf_counter()
        model.fit(train)
        fitted = time.perf_counter()
        synth = model.sample(n_samples=len(train))
        sampled = time.perf_counter()
    stem = args.out / f"tabularargn_seed{args.seed}"
    synth.to_csv(stem.with_suffix(".csv"), index=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timing = {"fit_s": fitted - started, "sample_s": sampled - fitted, "peak_mb": peak_mb}
    stem.with_suffix(".json").write_text(json.dumps(timing, indent=2))
    print(json.dumps(timing))


if __name__ == "__main__":
    main()
