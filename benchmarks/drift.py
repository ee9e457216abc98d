"""Drift detection: false-alarm rate and power of ``detect_drift``, beside Evidently's defaults.

On the shared single tables (``$SIMULACRA_DATASETS`` or ``../shared/datasets``), for each
``n`` (rows per side):

* **false alarms** — ``--trials`` same-distribution splits: two disjoint random samples of
  ``n`` rows without replacement when the table has at least ``2n`` rows; otherwise both sides
  are drawn *with* replacement from the whole table (i.i.d. from its empirical distribution,
  so "no drift" holds exactly). The rate is the share of splits whose dataset verdict is
  "drift" (target: ≤ alpha = 0.05).
* **power** — ``--power-trials`` splits whose current side is shifted in one column by a
  population PSI of ``--psi`` (0.1): the column's rows are binned (deciles of the table for a
  number, labels for a category) and the current side is drawn with replacement from the rows
  not in the reference (the whole table when bootstrapping) with weights ``q_k / p_k`` per
  bin, where ``q ∝ p · exp(θ s)`` tilts the shares ``p`` (``s``: the standardised decile index
  for a number — mass moves up the quantile bins; 1 for the most frequent label, 0 for the
  others) and ``θ`` is solved so that ``PSI(p, q) = psi``. The achieved PSI between the two
  samples is printed (its mean over the trials, beside the same figure on the null splits,
  the noise floor).

Evidently (Apache-2.0; not a simulacra dependency) runs in its own interpreter — give it with
``--evidently-python`` or ``$EVIDENTLY_PYTHON``, e.g. after
``python3 -m venv /tmp/venv-evidently && /tmp/venv-evidently/bin/pip install evidently
"pandas<3" pyarrow`` — on the very same row positions (benchmarks/drift_evidently.py), with
its ``DataDriftPreset`` defaults and the columns simulacra tests, typed as simulacra types them.

Usage::

    python benchmarks/drift.py [--sizes 500 5000 30000] [--trials 200] [--power-trials 100]
        [--datasets adult_train california_housing ...] [--permutations 499]

Prints one markdown block per figure and the time per test at each ``n`` (wall time, measured
while other work ran on the machine unless said otherwise).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim
from simulacra.drift import DEFAULT_PERMUTATIONS, detect_drift
from simulacra.drift.effects import label_shares, numeric_shares, psi
from simulacra.evaluation.views import as_float, as_labels

HERE = Path(__file__).parent
#: Per dataset: the numeric and the categorical column that the power splits shift.
SHIFTED = {
    "adult_train": ("age", "occupation"),
    "california_housing": ("median_income", "ocean_proximity"),
    "default_of_credit_card_clients": ("LIMIT_BAL", "PAY_0"),
    "online_shoppers_intention": ("ProductRelated_Duration", "VisitorType"),
    "magic04": ("fLength", "class"),
}


@dataclass
class Shift:
    """Weights per table row that tilt one column's bins to a population PSI."""

    column: str
    weights: np.ndarray
    design_psi: float


@dataclass
class Cell:
    """The results of one (dataset, n, condition)."""

    ours: list[bool] = field(default_factory=list)
    ours_column: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    achieved_psi: dict[str, list[float]] = field(default_factory=dict)
    evidently: list[dict] = field(default_factory=list)


def tilt(bins: np.ndarray, scores: np.ndarray, target: float) -> tuple[np.ndarray, float]:
    """Row weights q_k / p_k with q ∝ p exp(θ s) and PSI(p, q) = target (bisection on θ)."""
    p = np.bincount(bins) / len(bins)

    def shifted(theta: float) -> np.ndarray:
        q = p * np.exp(theta * scores)
        return q / q.sum()

    def index(theta: float) -> float:
        q = shifted(theta)
        keep = p > 0
        return float(np.sum((q[keep] - p[keep]) * np.log(q[keep] / p[keep])))

    low, high = 0.0, 1.0
    while index(high) < target:
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if index(mid) < target else (low, mid)
    q = shifted(high)
    ratio = np.divide(q, p, out=np.zeros_like(q), where=p > 0)
    return ratio[bins], index(high)


def make_shift(table: pd.DataFrame, column: str, continuous: bool, target: float) -> Shift:
    if continuous:
        values = as_float(table[column])
        present = values[~np.isnan(values)]
        edges = np.unique(np.quantile(present, np.linspace(0, 1, 11)[1:-1]))
        bins = np.where(np.isnan(values), len(edges) + 1,
                        np.searchsorted(edges, values, side="right"))
        k = np.arange(bins.max() + 1, dtype=float)
        scores = (k - k.mean()) / k.std()
    else:
        labels = pd.Series(as_labels(table[column]))
        bins, uniques = pd.factorize(labels)
        top = labels.value_counts().index[0]
        scores = (np.asarray(uniques) == top).astype(float)
    weights, achieved = tilt(np.asarray(bins), scores, target)
    return Shift(column, weights, achieved)


def split(rows: int, n: int, rng: np.random.Generator, shift: Shift | None
          ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Row positions of the reference and current sides; True when bootstrapped."""
    bootstrap = rows < 2 * n
    if bootstrap:
        ref = rng.choice(rows, n, replace=True)
        pool = np.arange(rows)
    else:
        order = rng.permutation(rows)
        ref, pool = order[:n], order[n:]
    if shift is None:
        cur = rng.choice(pool, n, replace=True) if bootstrap else pool[:n]
    else:
        weights = shift.weights[pool]
        cur = rng.choice(pool, n, replace=True, p=weights / weights.sum())
    return ref, cur, bootstrap


def sample_psi(table: pd.DataFrame, column: str, continuous: bool, ref: np.ndarray,
               cur: np.ndarray) -> float:
    if continuous:
        values = as_float(table[column])
        r, c = numeric_shares(values[ref], values[cur])
    else:
        labels = as_labels(table[column])
        r, c = label_shares(labels[ref], labels[cur])
    return psi(r, c)


def run_evidently(python: str, csv: Path, numerical: list[str], categorical: list[str],
                  refs: list[np.ndarray], curs: list[np.ndarray], work: Path, tag: str
                  ) -> subprocess.Popen:
    np.savez(work / f"{tag}.npz", reference=np.stack(refs), current=np.stack(curs))
    job = {"table": str(csv), "numerical": numerical, "categorical": categorical,
           "splits": str(work / f"{tag}.npz")}
    (work / f"{tag}.json").write_text(json.dumps(job))
    out = open(work / f"{tag}.out", "w")  # noqa: SIM115 (closed by the caller's wait)
    return subprocess.Popen([python, str(HERE / "drift_evidently.py"), str(work / f"{tag}.json")],
                            stdout=out, stderr=subprocess.PIPE, text=True)


def rate(flags: list[bool]) -> str:
    """``share (count/trials)``."""
    if not flags:
        return "—"
    return f"{sum(flags) / len(flags):.3f} ({sum(flags)}/{len(flags)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=Path(
        os.environ.get("SIMULACRA_DATASETS", HERE.parent.parent / "shared" / "datasets")))
    parser.add_argument("--datasets", nargs="+", default=list(SHIFTED))
    parser.add_argument("--sizes", nargs="+", type=int, default=[500, 5_000, 30_000])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--power-trials", type=int, default=100)
    parser.add_argument("--psi", type=float, default=0.1)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--evidently-python", default=os.environ.get("EVIDENTLY_PYTHON"))
    parser.add_argument("--evidently-trials", type=int, default=None,
                        help="Give Evidently only the first K splits of each condition "
                        "(it is much slower); default: all.")
    parser.add_argument("--json", type=Path, default=None, help="Write every figure here.")
    args = parser.parse_args()

    results: dict[tuple[str, int, str], Cell] = {}
    notes: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="drift-bench-"))
    for name in args.datasets:
        csv = args.datasets_dir / f"{name}.csv"
        table = pd.read_csv(csv)
        md = sim.Metadata.detect(table)
        tested = [c for c, k in md.items() if k.learned]
        numerical = [c for c in tested if md[c].family == "continuous"]
        categorical = [c for c in tested if md[c].family == "discrete"]
        num_col, cat_col = SHIFTED[name]
        shifts = {"null": None}
        for column in (num_col, cat_col):
            shift = make_shift(table, column, md[column].family == "continuous", args.psi)
            shifts[f"shift {column}"] = shift
            notes.append(f"{name}: `{column}` ({md[column].kind}) tilted to population PSI "
                         f"{shift.design_psi:.3f}")
        for n in args.sizes:
            jobs = []
            for condition, shift in shifts.items():
                trials = args.trials if shift is None else args.power_trials
                cell = results.setdefault((name, n, condition), Cell())
                refs, curs = [], []
                bootstrapped = False
                for trial in range(trials):
                    rng = np.random.default_rng([args.seed, n, trial, len(condition)])
                    ref, cur, bootstrapped = split(len(table), n, rng, shift)
                    refs.append(ref)
                    curs.append(cur)
                if args.evidently_python:
                    k = args.evidently_trials or len(refs)
                    jobs.append((cell, run_evidently(args.evidently_python, csv, numerical,
                                                     categorical, refs[:k], curs[:k], work,
                                                     f"{name}-{n}-{condition.replace(' ', '_')}")))
                for trial, (ref, cur) in enumerate(zip(refs, curs, strict=True)):
                    started = time.perf_counter()
                    report = detect_drift(table.iloc[ref], table.iloc[cur], metadata=md,
                                          alpha=args.alpha, permutations=args.permutations,
                                          random_state=trial)
                    cell.seconds.append(time.perf_counter() - started)
                    cell.ours.append(report.drifted)
                    columns = [shift.column] if shift is not None else [num_col, cat_col]
                    cell.ours_column.append(report[columns[0]].drifted)
                    for column in columns:
                        cell.achieved_psi.setdefault(column, []).append(sample_psi(
                            table, column, md[column].family == "continuous", ref, cur))
                psis = ", ".join(f"`{c}` {np.mean(v):.4f}" for c, v in cell.achieved_psi.items())
                print(f"{name} n={n} {condition}: ours {rate(cell.ours)}"
                      f" ({np.mean(cell.seconds):.2f} s/test), sample PSI {psis}"
                      + (" [both sides bootstrapped]" if bootstrapped else ""), flush=True)
            for cell, job in jobs:
                _, err = job.communicate()
                if job.returncode != 0:
                    raise SystemExit(f"evidently failed: {err[-2000:]}")
                tag = Path(job.args[-1]).stem
                found = json.loads((work / f"{tag}.out").read_text())
                cell.evidently = found["trials"]
                version = f"Evidently {found['evidently_version']}, DataDriftPreset() defaults"
                if version not in notes:
                    notes.append(version)
    report_tables(results, args, notes)
    if args.json is not None:
        args.json.write_text(json.dumps({
            f"{d}|{n}|{c}": {"ours": cell.ours, "ours_column": cell.ours_column,
                             "seconds": cell.seconds, "achieved_psi": cell.achieved_psi,
                             "evidently": cell.evidently}
            for (d, n, c), cell in results.items()}, indent=1))


def report_tables(results: dict[tuple[str, int, str], Cell], args: argparse.Namespace,
                  notes: list[str]) -> None:
    print("\nFalse alarms (same-distribution splits; share of trials whose verdict is drift):\n")
    print("| dataset | n per side | trials | simulacra (dataset verdict) | Evidently: dataset "
          "drift (≥ half the columns) | Evidently: any column drifted | s/test simulacra | "
          "s/test Evidently |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, n, condition), cell in results.items():
        if condition != "null":
            continue
        ev = cell.evidently
        print(f"| {name} | {n:,} | {len(cell.ours)} | {rate(cell.ours)} | "
              f"{rate([t['dataset_drift'] for t in ev])} | "
              f"{rate([bool(t['drifted']) for t in ev])} | {np.mean(cell.seconds):.2f} | "
              f"{np.mean([t['seconds'] for t in ev]) if ev else math.nan:.2f} |")
    print(f"\nPower against a PSI-{args.psi:g} shift of one column (share of trials detecting "
          "it):\n")
    print("| dataset | n per side | shifted column | trials | PSI between the samples (null) | "
          "simulacra: dataset verdict | simulacra: the column | Evidently: dataset drift | "
          "Evidently: the column |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, n, condition), cell in results.items():
        if condition == "null":
            continue
        column = condition.removeprefix("shift ")
        null = results[(name, n, "null")]
        ev = cell.evidently
        print(f"| {name} | {n:,} | `{column}` | {len(cell.ours)} | "
              f"{np.mean(cell.achieved_psi[column]):.3f} "
              f"({np.mean(null.achieved_psi[column]):.3f}) | {rate(cell.ours)} | "
              f"{rate(cell.ours_column)} | {rate([t['dataset_drift'] for t in ev])} | "
              f"{rate([column in t['drifted'] for t in ev])} |")
    print("\n" + "\n".join(f"- {note}" for note in notes))


if __name__ == "__main__":
    main()
