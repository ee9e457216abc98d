"""Plot the utility–ε curve from `simulacra bench --epsilon ... --json runs.json`.

    python benchmarks/privacy_curve.py runs.json -o docs/privacy_utility.png [--reference ref.json]

One panel per figure (2-way TVD, trend, TSTR ROC-AUC), one line per DP model (mean over seeds,
bars = min..max), ε on a log axis; runs without a budget in either file are drawn as dashed
horizontal references (the best non-DP model).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PANELS = [("2-way TVD", "mean 2-way total variation distance (lower is better)"),
          ("trend", "trend (higher is better)"),
          ("TSTR ROC-AUC", "TSTR ROC-AUC (higher is better)")]


def value(run: dict, name: str) -> float | None:
    figs = run["figures"]
    if name == "2-way TVD":
        v = figs.get("bivariate accuracy")
        return None if v is None else 1 - v
    return figs.get(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    curves: dict[str, dict[float, list[dict]]] = defaultdict(lambda: defaultdict(list))
    references: dict[str, list[dict]] = defaultdict(list)
    for path in args.runs:
        for run in json.loads(path.read_text())["runs"]:
            m = re.fullmatch(r"(.+) ε=([0-9.e+-]+)", run["model"])
            if m:
                curves[m.group(1)][float(m.group(2))].append(run)
            else:
                references[run["model"]].append(run)
    fig, axes = plt.subplots(1, len(PANELS), figsize=(4.2 * len(PANELS), 3.6))
    for ax, (name, title) in zip(axes, PANELS, strict=True):
        for model, by_eps in sorted(curves.items()):
            eps = sorted(by_eps)
            vals = [[v for r in by_eps[e] if (v := value(r, name)) is not None] for e in eps]
            mean = [sum(v) / len(v) for v in vals]
            low = [m - min(v) for m, v in zip(mean, vals, strict=True)]
            high = [max(v) - m for m, v in zip(mean, vals, strict=True)]
            ax.errorbar(eps, mean, yerr=[low, high], marker="o", capsize=3, label=model)
        for model, runs in sorted(references.items()):
            vals = [v for r in runs if (v := value(r, name)) is not None]
            if vals:
                ax.axhline(sum(vals) / len(vals), linestyle="--", color="grey", linewidth=1)
                ax.annotate(f"{model} (no DP)", (0.02, sum(vals) / len(vals)),
                            xycoords=("axes fraction", "data"), fontsize=7, color="grey",
                            va="bottom")
        ax.set_xscale("log")
        ax.set_xlabel("ε (δ = min(1e-5, 0.1 / rows))")
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    tmp.replace(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
