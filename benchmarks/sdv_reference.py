"""Seconds per epoch of SDV's CTGANSynthesizer / TVAESynthesizer, for comparison only.

SDV, ctgan, rdt and copulas are BSL-licensed: simulacra never depends on them. Run this with
the python of a throw-away virtual environment::

    python -m venv /tmp/sdv-venv && /tmp/sdv-venv/bin/pip install torch==2.13.0 sdv
    /tmp/sdv-venv/bin/python benchmarks/sdv_reference.py --epochs 5

Fits each model three times (a warm-up, 1 and ``--epochs`` epochs); the difference of the
last two gives seconds per epoch and the rest the preprocessing time, at SDV's defaults
(batch 500, pac 10, 256-256 layers for CTGAN; 128-128 for TVAE).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch
from sdv.metadata import Metadata
from sdv.single_table import CTGANSynthesizer, TVAESynthesizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/datasets/adult_train.csv")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    df = pd.read_csv(args.data)
    metadata = Metadata.detect_from_dataframes({"adult": df})
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for cls in (CTGANSynthesizer, TVAESynthesizer):
        seconds = {}
        for epochs in (1, 1, args.epochs):  # a warm-up fit (imports, threads), then two timed
            synth = cls(metadata, epochs=epochs)
            t0 = time.perf_counter()
            synth.fit({"adult": df})
            seconds[epochs] = time.perf_counter() - t0
        per_epoch = (seconds[args.epochs] - seconds[1]) / (args.epochs - 1)
        print(f"{cls.__name__}: {per_epoch:.2f} s/epoch; everything before the first epoch "
              f"(RDT + the ctgan data transformer) {seconds[1] - per_epoch:.1f} s")

if __name__ == "__main__":
    main()
