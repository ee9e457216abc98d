"""Event sequences end to end: split entities, fit, sample, evaluate.

Usage::

    python benchmarks/sequences.py --data ../shared/datasets/cdnow/purchases.csv.gz \\
        --key users_id --index date --seed 0 --out /tmp/cdnow-seq
    python benchmarks/sequences.py --data ../shared/datasets/cdnow/purchases.csv.gz \\
        --key users_id --index date --synthetic /tmp/par.csv --label "SDV PAR"
    python benchmarks/sequences.py --data ../shared/datasets/beijing_multisite_air_quality.csv.gz \\
        --weeks --seed 0 -p max_training_time=540 --out /tmp/beijing-weeks
    python benchmarks/sequences.py --data ../shared/datasets/cdnow/purchases.csv.gz \\
        --key users_id --index date --epsilon 3 -p max_sequence_length=50 \\
        -p 'context_columns=[]'

The protocol: ``--holdout`` (30 %) of the entities are held out with all their events; the
model sees the rest and generates as many entities; the evaluation (:func:`simulacra.evaluate`
with the sequence metadata) compares them with the training entities, the holdout giving the
real-vs-real reference. ``--synthetic`` evaluates another tool's output on the same split.

``--weeks`` reads the Beijing multi-site air-quality table as station-weeks: each station's
hourly series cut into whole weeks of 168 hours from its first Monday 00:00 (the entity
``week``, the station its context, ``time`` the order), 2,496 weeks of 12 stations.

Prints the fit and sample seconds, the events sampled per second, the peak memory and the
figures; ``--out`` keeps train, holdout, synthetic and ``figures.json``.
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


def split_entities(events: pd.DataFrame, key: str, share: float,
                   seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout): ``share`` of the entities held out, with all their events."""
    entities = events[key].unique()
    rng = np.random.default_rng(seed)
    held = set(entities[rng.random(len(entities)) < share].tolist())
    mask = events[key].isin(held).to_numpy()
    return (events[~mask].reset_index(drop=True), events[mask].reset_index(drop=True))


def station_weeks(raw: pd.DataFrame) -> pd.DataFrame:
    """The Beijing multi-site table as whole station-weeks of 168 hours (see the module)."""
    time = pd.to_datetime(raw[["year", "month", "day", "hour"]])
    frame = raw.drop(columns=["No", "year", "month", "day", "hour"]).assign(time=time)
    monday = (time - pd.to_timedelta(time.dt.day_of_week, unit="D")).dt.normalize()
    frame["week"] = frame["station"].astype(str) + "/" + monday.dt.strftime("%Y-%m-%d")
    sizes = frame.groupby("week")["time"].transform("size")
    frame = frame[sizes == 168]
    columns = ["week", "station", "time"] + [c for c in frame.columns
                                             if c not in ("week", "station", "time")]
    return frame[columns].sort_values(["week", "time"]).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--key", default=None, help="the entity column")
    parser.add_argument("--index", default=None, help="the order column (detected if absent)")
    parser.add_argument("--holdout", type=float, default=0.3)
    parser.add_argument("--weeks", action="store_true",
                        help="the data is Beijing multi-site air quality: use station-weeks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--param", "-p", action="append", default=[],
                        help="SequentialNetwork hyperparameter KEY=VALUE (JSON value)")
    parser.add_argument("--synthetic", type=Path, default=None,
                        help="evaluate this file instead of fitting")
    parser.add_argument("--label", default="simulacra sequential")
    parser.add_argument("--epsilon", type=float, default=None,
                        help="fit under this privacy budget (DP per entity; give -p "
                        "max_sequence_length=... and -p context_columns=[...])")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    events = sim.read_table(args.data)
    if args.weeks:
        events = station_weeks(events)
        args.key, args.index = "week", "time"
    if args.key is None:
        parser.error("--key is required (the entity column), unless --weeks")
    train, holdout = split_entities(events, args.key, args.holdout, args.seed)
    metadata = sim.Metadata.detect(train, sequence_key=args.key, sequence_index=args.index)
    n_entities = train[args.key].nunique()
    print(f"{args.data}: {len(events):,} events, {events[args.key].nunique():,} entities (read "
          f"in {time.perf_counter() - started:.1f} s); train {n_entities:,} entities "
          f"({len(train):,} events), holdout {holdout[args.key].nunique():,}")
    print(metadata.explain().splitlines()[-1])
    figures: dict[str, object] = {"label": args.label, "data": str(args.data),
                                  "seed": args.seed}
    if args.synthetic is None:
        params = {k: json.loads(v) for k, v in (p.split("=", 1) for p in args.param)}
        if args.epsilon is not None:
            params["privacy"] = sim.PrivacyBudget(args.epsilon)
            figures["epsilon"] = args.epsilon
        t0 = time.perf_counter()
        model = sim.SequentialNetwork(metadata, random_state=args.seed, **params).fit(train)
        fit_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        synthetic = model.sample(n_entities, rng=args.seed + 1)
        sample_seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        epochs = f"{model.epochs_trained_} epochs, best {model.best_epoch_}"
        if args.epsilon is not None:
            report = model.privacy_report_
            epochs += f", ε reached {report.epsilon:.3f}, {report.steps} DP-SGD steps"
        print(f"fit {fit_seconds:.1f} s ({epochs}), sample "
              f"{sample_seconds:.1f} s ({len(synthetic) / sample_seconds:,.0f} events/s, "
              f"{len(synthetic):,} events); peak {peak:,.0f} MiB")
        figures.update(fit_seconds=round(fit_seconds, 1),
                       sample_seconds=round(sample_seconds, 2),
                       events_per_second=round(len(synthetic) / sample_seconds),
                       peak_mib=round(peak))
    else:
        synthetic = sim.read_table(args.synthetic)
    t0 = time.perf_counter()
    result = sim.evaluate(train, synthetic, holdout, metadata=metadata,
                          metrics=["fidelity", "detection", "sequences"],
                          random_state=args.seed)
    print(f"evaluated in {time.perf_counter() - t0:.1f} s")
    table = result.summary()[["group", "metric", "value", "ideal", "reference"]]
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(table)
    figures["metrics"] = [m.to_dict() for m in result.metrics]
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        train.to_csv(args.out / "train.csv", index=False)
        holdout.to_csv(args.out / "holdout.csv", index=False)
        synthetic.to_csv(args.out / "synthetic.csv", index=False)
        (args.out / "figures.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
