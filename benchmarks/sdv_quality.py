"""SDV's default CTGANSynthesizer / TVAESynthesizer on a benchmark train split, for comparison.

SDV, ctgan, rdt and copulas are BSL-licensed: simulacra never depends on them. Run this with
the python of a throw-away virtual environment (nothing else running on the machine)::

    python -m venv /tmp/sdv-venv && /tmp/sdv-venv/bin/pip install torch==2.13.0 sdv
    /tmp/sdv-venv/bin/python benchmarks/sdv_quality.py --out /tmp/sdv --seed 0

For each model: fit at SDV's defaults (300 epochs, batch 500, …) on ``adult_train.csv``,
timing every epoch (the epoch loop's ``tqdm`` is wrapped), then sample as many rows as the
train split has. Writes ``<out>/sdv_<model>_seed<seed>.csv`` and a ``.json`` with the times;
score the samples under simulacra's protocol with
``simulacra bench --dataset adult --synthetic <csv> --label sdv_<model>``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch


class _EpochClock:
    """A stand-in for ``tqdm(range(epochs))`` that records when each epoch ends."""

    stamps: list[float] = []

    def __init__(self, iterable, *args, **kwargs):
        self.iterable = iterable

    def __iter__(self):
        _EpochClock.stamps = [time.perf_counter()]
        for item in self.iterable:
            yield item
            _EpochClock.stamps.append(time.perf_counter())

    def set_description(self, *args, **kwargs):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/datasets/adult_train.csv")
    parser.add_argument("--out", default="/tmp/sdv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", action="append", choices=["ctgan", "tvae"])
    args = parser.parse_args()

    import ctgan.synthesizers.ctgan as ctgan_module
    import ctgan.synthesizers.tvae as tvae_module
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, TVAESynthesizer

    ctgan_module.tqdm = tvae_module.tqdm = _EpochClock
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df = pd.read_csv(args.data)
    metadata = Metadata.detect_from_dataframes({"adult": df})
    classes = {"ctgan": CTGANSynthesizer, "tvae": TVAESynthesizer}
    for name in args.model or ["ctgan", "tvae"]:
        random.seed(args.seed)
        np.random.seed(args.seed)  # noqa: NPY002 (SDV draws from the global state)
        torch.manual_seed(args.seed)
        synth = classes[name](metadata)
        t0 = time.perf_counter()
        synth.fit({"adult": df})
        fit_s = time.perf_counter() - t0
        stamps = np.array(_EpochClock.stamps)
        epochs = np.diff(stamps)
        t0 = time.perf_counter()
        fake = synth.sample(len(df))
        if isinstance(fake, dict):  # SDV 2 returns {table name: DataFrame}
            fake = fake["adult"]
        sample_s = time.perf_counter() - t0
        fake.to_csv(out / f"sdv_{name}_seed{args.seed}.csv", index=False)
        record = {
            "model": f"sdv_{name}", "seed": args.seed, "torch_threads": torch.get_num_threads(),
            "fit_s": fit_s, "sample_s": sample_s, "epochs": len(epochs),
            "outside_epochs_s": fit_s - float(epochs.sum()),
            "s_per_epoch_mean": float(epochs.mean()),
            "s_per_epoch_first10": float(epochs[:10].mean()),
            "s_per_epoch_last10": float(epochs[-10:].mean()),
        }
        (out / f"sdv_{name}_seed{args.seed}.json").write_text(json.dumps(record, indent=1))
        print(json.dumps(record))


if __name__ == "__main__":
    main()
