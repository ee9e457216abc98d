"""Free-text columns: the King James verses, ``text`` given ``book`` and chapter.

Usage::

    python benchmarks/text.py --out /tmp/text-bench --budget 540 --seed 0
    python benchmarks/text.py --out /tmp/text-bench --synthetic /tmp/textref/mostly_lstm_seed0.csv
    python benchmarks/text.py --out /tmp/text-bench \
        --synthetic /tmp/text-bench/simulacra_seed0.csv --score-rows 3000  # as many rows as MOSTLY
    python benchmarks/text.py --out /tmp/text-dp --model mst --epsilon 4 --budget 540 --epochs 3

The protocol: ``sacred_verses.csv.gz`` (``--datasets-dir``, see its README; 31,102 verses) with
the columns ``book``, ``psalm`` (the chapter) and ``text``; 80 % of the verses, drawn with the
seed, train, the other 20 % are the holdout (``--out`` keeps both, ``train.csv`` and
``holdout.csv``, so that another tool trains on the same rows). simulacra fits ``--model`` (the
table's model; ``auto`` by default) with the text column's language model
(``Text(generator="network", max_training_time=budget)``), then samples as many rows as train
has. ``--synthetic FILE`` scores another tool's rows instead (same columns, e.g. what
``benchmarks/text_reference.py`` writes for MOSTLY's LSTM).

Figures (``simulacra.evaluate`` with the holdout; the text column's own section): text detection
AUC (TF-IDF word and character n-grams, logistic regression, 5-fold ROC-AUC, holdout texts
against as many synthetic ones), coherence (``book`` predicted from the text, trained on
synthetic and scored on the holdout, beside the same classifier trained on train), exact copies
and 10-gram leakage beside the holdout's own rates, length similarity; shape and trend of the
other columns; fit and sample seconds, texts per second and peak memory (RSS of this process).
Seconds are only comparable with an anchor timed in the same run, nothing else running.

``--corpus debian`` runs the same protocol on a text column nothing here was tuned on: the
one-line synopsis of every package in the machine's Debian package lists (``/var/lib/apt/lists``,
bookworm main: ~63,000 unique synopses) given its ``section``, ``priority`` and installed size
(``size_kb``); ``--rows`` draws that many packages first. Coherence then predicts ``section``
(and ``priority``) from the text.

``--epsilon E`` fits ``--model`` (one with a DP mode, e.g. ``mst``) under ``PrivacyBudget(E)``:
the language model then trains with DP-SGD on the bytes of the texts (``epochs`` planned,
``--budget`` seconds at most) and the record adds the privacy report's ε and stage shares.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra as sim


@dataclass(frozen=True)
class Corpus:
    """A table with a ``text`` column: its categorical and integer columns (the context)."""

    categorical: tuple[str, ...]
    integer: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        return [*self.categorical, *self.integer, "text"]


CORPORA = {
    "verses": Corpus(("book",), ("psalm",)),
    # a text column none of the models was tuned on: every package of the machine's Debian
    # package lists (bookworm main: ~63,000), its one-line synopsis given section and priority
    "debian": Corpus(("section", "priority"), ("size_kb",)),
}


def load_verses(datasets: Path) -> pd.DataFrame:
    return pd.read_csv(datasets / "sacred_verses.csv.gz")


def load_debian(lists: Path = Path("/var/lib/apt/lists")) -> pd.DataFrame:
    """Package, section, priority, installed size (KiB) and synopsis of every package in the
    apt lists (``*_Packages`` or ``*_Packages.lz4``, read with ``lz4cat``)."""
    records, current = [], {}
    for path in sorted(lists.glob("*_Packages*")):
        raw = subprocess.run(["lz4cat", str(path)], capture_output=True, check=True).stdout \
            if path.suffix == ".lz4" else path.read_bytes()
        for line in raw.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                if current:
                    records.append(current)
                current = {}
            elif not line[0].isspace():
                key, _, value = line.partition(":")
                current[key] = value.strip()
        if current:
            records.append(current)
    if not records:
        raise SystemExit(f"no Debian package lists under {lists}")
    frame = pd.DataFrame({
        "section": [r.get("Section", "").split("/")[-1] or None for r in records],
        "priority": [r.get("Priority") for r in records],
        "size_kb": pd.to_numeric([r.get("Installed-Size") for r in records], errors="coerce"),
        "text": [r.get("Description") for r in records],
    })
    return frame.dropna(subset=["text"]).drop_duplicates("text").reset_index(drop=True)


def split(data: pd.DataFrame, seed: int, rows: int | None
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(data))
    if rows is not None:
        order = order[:rows]
    cut = int(0.8 * len(order))
    return (data.iloc[np.sort(order[:cut])].reset_index(drop=True),
            data.iloc[np.sort(order[cut:])].reset_index(drop=True))


def metadata(train: pd.DataFrame, corpus: Corpus, budget: float | None,
             epochs: int | None) -> sim.Metadata:
    md = sim.Metadata.detect(train)
    for name in corpus.categorical:
        md.update_column(name, kind="categorical")
    for name in corpus.integer:
        md.update_column(name, kind="numerical", integer=True)
    md.update_column("text", kind="text", generator="network", max_training_time=budget,
                     epochs=epochs)
    return md


def figures(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame,
            md: sim.Metadata, seed: int) -> dict[str, object]:
    """The text column's figures (each with the holdout's or real-trained reference), and the
    shape and trend of the table."""
    result = sim.evaluate(train, synthetic, holdout, metadata=md, random_state=seed)
    out: dict[str, object] = {
        m.name: [round(float(m.value), 4),
                 None if m.reference is None else round(float(m.reference), 4)]
        for m in result.for_column("text")}
    for name in ("shape", "trend"):
        with contextlib.suppress(KeyError):
            out[name] = round(float(result.value(name)), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="verses")
    parser.add_argument("--rows", type=int, default=None,
                        help="use this many rows of the corpus (drawn with the seed)")
    parser.add_argument("--model", default="auto")
    parser.add_argument("--budget", type=float, default=540.0,
                        help="seconds of training for the language model")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--epsilon", type=float, default=None,
                        help="fit --model under this privacy budget (DP-SGD text model)")
    parser.add_argument("--score-rows", type=int, default=None,
                        help="score only the first N synthetic rows (the same N for every tool)")
    parser.add_argument("--save", type=Path, default=None,
                        help="also save the fitted model to this file (to sample it again)")
    parser.add_argument("--synthetic", type=Path, default=None,
                        help="score this file's rows instead of fitting simulacra")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = CORPORA[args.corpus]
    data = load_verses(args.datasets_dir) if args.corpus == "verses" else load_debian()
    train, holdout = split(data[corpus.columns], args.seed, args.rows)
    train.to_csv(args.out / "train.csv", index=False)
    holdout.to_csv(args.out / "holdout.csv", index=False)
    md = metadata(train, corpus, args.budget, args.epochs)
    record: dict[str, object] = {"seed": args.seed, "train": len(train),
                                 "holdout": len(holdout)}
    if args.synthetic is None:
        started = time.perf_counter()
        factory = sim.AutoSynthesizer if args.model == "auto" else sim.MODELS[args.model]
        private = {} if args.epsilon is None else {"privacy": sim.PrivacyBudget(args.epsilon)}
        model = factory(md, random_state=args.seed, **private).fit(train)
        record["fit_s"] = round(time.perf_counter() - started, 1)
        if args.epsilon is not None:
            report = model.privacy_report_
            record["privacy"] = {"epsilon": round(report.epsilon, 4), "stages": {
                name: round(spent.share, 3) for name, spent in report.stages.items()}}
        if args.save is not None:
            model.save(args.save)
        record["text_model"] = model.codec_.encoders_["text"].network_.report \
            if hasattr(model.codec_, "encoders_") else \
            model.codec_.value_encoders_["text"].network_.report
        started = time.perf_counter()
        synthetic = model.sample(len(train), rng=args.seed + 1)
        seconds = time.perf_counter() - started
        record.update(model=type(model).__name__, sample_s=round(seconds, 1),
                      texts_per_s=round(len(train) / seconds))
        record["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        synthetic.to_csv(args.out / f"simulacra_seed{args.seed}.csv", index=False)
    else:
        synthetic = pd.read_csv(args.synthetic)[corpus.columns]
        record["synthetic"] = str(args.synthetic)
    if args.score_rows is not None:
        synthetic = synthetic.head(args.score_rows)
        record["scored_rows"] = len(synthetic)
    started = time.perf_counter()
    record["figures"] = figures(train, synthetic, holdout, md, args.seed)
    record["evaluate_s"] = round(time.perf_counter() - started, 1)
    name = "simulacra" if args.synthetic is None else args.synthetic.stem
    record["corpus"] = args.corpus
    (args.out / f"{name}_figures.json").write_text(json.dumps(record, indent=2))
    print(json.dumps(record, indent=2))
    for real, fake in zip(holdout["text"].head(3), synthetic["text"].head(3), strict=True):
        print("real:", real, "\n fake:", fake)


if __name__ == "__main__":
    main()
