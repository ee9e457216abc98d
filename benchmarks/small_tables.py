"""Small tables: a few hundred to a few thousand rows drawn from the benchmark tables.

Every table of ``simulacra bench`` (and Berka's 682 loans, ``loan``, target ``status``) is cut
down to ``--rows`` rows drawn from its *train* part; ``--rare SHARE`` keeps only that share of
positive rows of a binary target (a rare class, as in credit or fraud tables). The model fits
the small table and is scored

* ``--split validation`` (how defaults are chosen): against a 30 % of the drawn rows that the
  model did not fit on — the fit uses the other 70 %; nothing of the test part is read;
* ``--split test`` (the figures BENCHMARKS.md quotes): against the table's test part (for
  ``loan``, a seeded 30 % of the loans never drawn), the positives thinned the same way.

Fidelity, detection, DCR share and exact copies (privacy), and TSTR beside TRTR, one line per
(table, rows, variant, seed) and a table of the means. ``--full-vocabulary`` fits the
autoregressive network with the vocabulary it had before small tables got a coarser one
(64 bins and a second token wherever 512 values fit), for the comparison in BENCHMARKS.md;
``--rows-per-bin N`` tries another number of rows per bin.

    python benchmarks/small_tables.py -d default -d shoppers -d magic -d loan \\
        --rows 500 --rows 2000 --seeds 3 --split validation
    python benchmarks/small_tables.py -d default -d shoppers --rows 8000 --rare 0.04 \\
        --seeds 3 --split test
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import simulacra as sim
from simulacra.bench import DATASETS, default_datasets_dir
from simulacra.io import read_table
from simulacra.models import get_model

FIGURES = ("shape", "trend", "detection AUC", "DCR share", "exact copies")


def load(name: str, root: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """``(train part, test part, target)`` of a benchmark table or of Berka's loans."""
    if name == "loan":
        loans = read_table(root / "berka" / "loan.csv").drop(columns=["loan_id", "account_id"])
        order = np.random.default_rng(0).permutation(len(loans))
        cut = round(0.7 * len(loans))
        return (loans.iloc[order[:cut]].reset_index(drop=True),
                loans.iloc[order[cut:]].reset_index(drop=True), "status")
    spec = DATASETS[name]
    train, test = spec.load(root)
    return train, test, spec.target


def thin_positives(frame: pd.DataFrame, target: str, share: float | None,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Keep ``share`` of the rows in the target's rarer class (binary targets only)."""
    if share is None:
        return frame
    counts = frame[target].value_counts()
    if len(counts) != 2:
        raise SystemExit(f"--rare needs a binary target; {target!r} has {len(counts)} values")
    rare = counts.index[-1]
    positives = np.flatnonzero((frame[target] == rare).to_numpy())
    negatives = np.flatnonzero((frame[target] != rare).to_numpy())
    keep = round(share * len(negatives) / (1 - share))
    chosen = rng.choice(positives, size=min(keep, len(positives)), replace=False)
    return frame.iloc[np.sort(np.concatenate([negatives, chosen]))].reset_index(drop=True)


def draw(frame: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    picked = rng.choice(len(frame), size=min(rows, len(frame)), replace=False)
    return frame.iloc[np.sort(picked)].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--dataset", action="append", required=True,
                        help=f"one of {', '.join([*DATASETS, 'loan'])} (repeatable)")
    parser.add_argument("--rows", type=int, action="append", required=True,
                        help="rows drawn from the train part (repeatable)")
    parser.add_argument("--rare", type=float, default=None,
                        help="share of the binary target's rarer class to keep")
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("-m", "--model", default="autoregressive")
    parser.add_argument("-p", "--param", action="append", default=[],
                        help="model parameter KEY=VALUE, the value in YAML (repeatable)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--full-vocabulary", action="store_true",
                        help="the autoregressive network's vocabulary before small tables "
                             "got a coarser one")
    parser.add_argument("--rows-per-bin", type=int, default=None,
                        help="the autoregressive network's rows per numeric bin on small "
                             "tables (the default is how this was chosen)")
    parser.add_argument("--datasets-dir", type=Path, default=None)
    args = parser.parse_args()
    from simulacra.models.autoregressive import tokenizer

    if args.full_vocabulary:
        tokenizer.ROWS_PER_BIN, tokenizer.MIN_REPEATS = 1, 0
    elif args.rows_per_bin is not None:
        tokenizer.ROWS_PER_BIN = args.rows_per_bin
    warnings.simplefilter("ignore")
    root = args.datasets_dir or default_datasets_dir()
    params = {key: yaml.safe_load(value)
              for key, _, value in (item.partition("=") for item in args.param)}
    label = args.model + (" (full vocabulary)" if args.full_vocabulary else
                          f" ({tokenizer.ROWS_PER_BIN} rows per bin)") + "".join(
                              f" {item}" for item in args.param)
    records = []
    for name in args.dataset:
        train_part, test_part, target = load(name, root)
        for rows in sorted({min(r, len(train_part)) for r in args.rows}):
            for seed in range(args.seeds):
                rng = np.random.default_rng([seed, rows])
                drawn = draw(thin_positives(train_part, target, args.rare, rng), rows, rng)
                if args.split == "validation":
                    cut = round(0.7 * len(drawn))
                    fit, scored = drawn.iloc[:cut], drawn.iloc[cut:].reset_index(drop=True)
                else:
                    fit, scored = drawn, thin_positives(test_part, target, args.rare, rng)
                model = get_model(args.model)(random_state=seed, **params)
                started = time.perf_counter()
                fitted = model.fit(fit)
                fit_s = time.perf_counter() - started
                synth = fitted.sample(len(fit))
                result = sim.evaluate(fit, synth, holdout=scored, target=target,
                                      random_state=seed)
                tstr = next(m for m in result.metrics if m.name.startswith("TSTR")
                            and m.name.endswith(("ROC-AUC", "R2")))
                record = {"table": name, "rows": len(fit), "variant": label, "seed": seed,
                          "fit s": fit_s,
                          "epochs": getattr(fitted, "epochs_trained_", None),
                          **{f: result.value(f) for f in FIGURES},
                          tstr.name.split()[-1]: tstr.value, "TRTR": tstr.reference,
                          "gap": tstr.reference - tstr.value}
                records.append(record)
                print(" · ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                 for k, v in record.items()), flush=True)
    frame = pd.DataFrame(records)
    numbers = [c for c in frame.columns if c not in ("table", "rows", "variant", "seed")]
    frame[numbers] = frame[numbers].astype(float)
    print(frame.groupby(["table", "rows", "variant"], sort=False)[numbers].mean()
          .round(3).to_string())


if __name__ == "__main__":
    main()
