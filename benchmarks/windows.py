"""Fixed-window time series under the Diffusion-TS protocol: fit, sample, score.

Usage::

    python benchmarks/windows.py --dataset sines --window 24 --seed 0
    python benchmarks/windows.py --dataset etth1 --window 24 --budget 540 --out /tmp/etth1-24
    python benchmarks/windows.py --dataset energy --window 24 --differences

The protocol (Yuan & Qiao, "Diffusion-TS", ICLR 2024, after TimeGAN): ETTh1 and Energy
(``--datasets-dir``, see its README) without their date column, each column min-max scaled
to [0, 1] over the whole series, cut into overlapping windows of ``--window`` steps (stride 1:
17,397 × 24 × 7 for ETTh1, 19,712 × 24 × 28 for Energy); Sines is generated
(:func:`simulacra.windows.make_sines`: 10,000 windows × 5 features). The model
(:class:`simulacra.SequentialNetwork`, one sequence per window, or with ``--model
window-diffusion`` :class:`simulacra.WindowDiffusion`, whole windows at once) trains on every
window for at most ``--budget`` seconds and generates as many windows as the real data has.
Scores, on the scaled windows, each the mean over ``--repeats`` runs of its own seed
(Diffusion-TS: 5):

* discriminative score — TimeGAN's post-hoc GRU classifier exactly as published (1 layer,
  hidden size ``features // 2``, 2000 iterations), and simulacra's stronger default (2
  layers, at least 16 units) in brackets;
* predictive score — TimeGAN's one-step-ahead GRU trained on the synthetic windows, MAE on
  the real ones; the same network trained on the real windows gives the reference;
* Context-FID — a TS2Vec encoder trained on the real windows (:mod:`.context_fid`);
* correlational score — Diffusion-TS's cross-correlation gap.

Prints one line per figure and ``--out`` keeps the synthetic windows (``synthetic.npy``) and
``figures.json``. Fit and sample seconds are only comparable with an anchor timed in the same
run (``benchmarks/speed.py``), nothing else running.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim
from simulacra.evaluation.sequence import (
    context_fid,
    correlational_score,
    discriminative_score,
    predictive_score,
)
from simulacra.windows import (
    frame_to_windows,
    make_sines,
    minmax_scale,
    sliding_windows,
    windows_to_frame,
)

FILES = {"etth1": "ETTh1.csv.gz", "energy": "energy.csv.gz"}
FIGURES = ("discriminative", "predictive", "context-fid", "correlational")


def real_windows(dataset: str, window: int, datasets_dir: Path, seed: int) -> np.ndarray:
    """The protocol's scaled windows ``(N, window, F)`` of ``dataset``."""
    if dataset == "sines":
        return make_sines(10_000, window, 5, random_state=seed)
    table = pd.read_csv(datasets_dir / FILES[dataset]).drop(columns="date").astype(float)
    return minmax_scale(sliding_windows(table, window))


def mean_score(run, repeats: int, seed: int) -> tuple[float, float]:
    """Mean and standard deviation of ``run(random_state)`` over ``repeats`` seeds."""
    values = [run(seed * 100 + r) for r in range(repeats)]
    return float(np.mean(values)), float(np.std(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["sines", *FILES], required=True)
    parser.add_argument("--window", type=int, default=24)
    parser.add_argument("--budget", type=float, default=540.0, help="fit seconds at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--datasets-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--model", choices=["sequential", "window-diffusion"],
                        default="sequential", help="SequentialNetwork (one token at a time) "
                        "or WindowDiffusion (whole windows)")
    parser.add_argument("--param", "-p", action="append", default=[],
                        help="the model's hyperparameter KEY=VALUE (JSON value)")
    parser.add_argument("--differences", action="store_true",
                        help="learn every feature as changes (SequentialNetwork differences)")
    parser.add_argument("--scored", type=int, default=None,
                        help="draw and score this many windows, against as many real ones "
                        "drawn with the seed (default: as many as the real data has); the "
                        "model still trains on every window")
    parser.add_argument("--synthetic", type=Path, default=None,
                        help="score these windows (.npy, scaled) instead of fitting")
    parser.add_argument("--only", action="append", choices=FIGURES, default=None,
                        help="compute only this figure (repeatable; default: all): long "
                        "windows make the predictive score slower than the fit")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    real = real_windows(args.dataset, args.window, args.datasets_dir, args.seed)
    n, length, features = real.shape
    names = [f"x{j}" for j in range(features)]
    figures: dict[str, object] = {"dataset": args.dataset, "window": length, "windows": n,
                                  "features": features}
    print(f"{args.dataset}: {n:,} windows x {length} steps x {features} features")
    if args.synthetic is None:
        params = {"max_training_time": args.budget, "random_state": args.seed}
        if args.model == "window-diffusion":  # the budget, not a count of steps, ends it
            params["training_steps"] = 10**9
        if args.differences:
            params["differences"] = names
        for item in args.param:
            key, _, value = item.partition("=")
            params[key] = json.loads(value)
        events = windows_to_frame(real, names)
        md = sim.Metadata.detect(events, sequence_key="window", sequence_index="step")
        started = time.perf_counter()
        model = sim.models.get_model(args.model)(md, **params).fit(events)
        fit = time.perf_counter() - started
        started = time.perf_counter()
        drawn = n if args.scored is None else min(args.scored, n)
        out = model.sample(drawn, rng=args.seed + 1)
        sample = time.perf_counter() - started
        synthetic = frame_to_windows(out, names)
        figures.update(model=args.model, fit_seconds=round(fit, 1),
                       epochs=model.epochs_trained_,
                       sample_seconds=round(sample, 2),
                       windows_per_second=round(drawn / sample),
                       params={k: v for k, v in params.items() if k != "random_state"})
        print(f"fit {fit:.1f} s ({model.epochs_trained_} epochs), sample {sample:.2f} s "
              f"({drawn * length / sample:,.0f} steps/s)")
    else:
        synthetic = np.load(args.synthetic)
        if synthetic.shape[1:] != real.shape[1:]:
            raise SystemExit(f"--synthetic has shape {synthetic.shape}, real {real.shape}")
    synthetic = synthetic[:n]
    if args.scored is not None and args.scored < n:  # score as many real windows as drawn
        real = real[np.sort(np.random.default_rng(args.seed).choice(n, args.scored,
                                                                   replace=False))]
        synthetic = synthetic[:args.scored]
        figures["scored_windows"] = len(real)
    hidden = max(1, features // 2)
    k, seed = args.repeats, args.seed
    wanted = set(args.only or FIGURES)

    def report(name: str, value: tuple[float, float]) -> None:
        figures[name] = {"mean": round(value[0], 4), "std": round(value[1], 4)}
        print(f"{name:<36} {value[0]:.4f} ± {value[1]:.4f}")

    if "discriminative" in wanted:
        report("discriminative (TimeGAN, 1 layer)", mean_score(lambda s: discriminative_score(
            real, synthetic, layers=1, hidden=hidden, random_state=s).score, k, seed))
        report("discriminative (2 layers, >=16)", mean_score(lambda s: discriminative_score(
            real, synthetic, random_state=s).score, k, seed))
    if "predictive" in wanted:
        report("predictive (trained on synthetic)", mean_score(lambda s: predictive_score(
            synthetic, real, hidden=hidden, random_state=s), k, seed))
        report("predictive (trained on real)", mean_score(lambda s: predictive_score(
            real, real, hidden=hidden, random_state=s), k, seed))
    if "context-fid" in wanted:
        report("context-FID", mean_score(lambda s: context_fid(real, synthetic,
                                                               random_state=s), k, seed))
    if "correlational" in wanted:
        figures["correlational"] = round(correlational_score(real, synthetic,
                                                             random_state=seed)[0], 4)
        print(f"{'correlational':<36} {figures['correlational']:.4f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["peak_mb"] = round(peak)
    print(f"peak memory {peak:,.0f} MB")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        np.save(args.out / "synthetic.npy", synthetic)
        (args.out / "figures.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
