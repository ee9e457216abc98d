"""Figures for the HTML report, drawn with matplotlib and embedded as base64 PNG."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

REAL_COLOUR = "#4C72B0"
SYNTH_COLOUR = "#DD8452"
HOLDOUT_COLOUR = "#55A868"


def _subplots(*grid: int, **kwargs: Any) -> tuple[Any, Any]:
    """A figure of its own (not pyplot's: drawing a report leaves the caller's backend and
    open figures alone, so plots in a notebook still show) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=kwargs.pop("figsize"))
    return fig, fig.subplots(*grid, **kwargs)


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def distribution_figure(column: str, dist: dict[str, Any],
                        names: tuple[str, str] = ("real", "synthetic")) -> str:
    """Real vs synthetic (or the two ``names``): overlaid histograms (continuous) or paired
    bars (categories)."""
    fig, ax = _subplots(figsize=(4.2, 2.6))
    if "edges" in dist:
        edges = np.asarray(dist["edges"])
        centres = (edges[:-1] + edges[1:]) / 2
        width = edges[1] - edges[0]
        x = centres
        if dist.get("temporal"):
            x = (centres * 1e9).astype("datetime64[ns]")
            width = np.timedelta64(int(width * 1e9), "ns")
            ax.plot(x, dist["real"], color=REAL_COLOUR, label=names[0], lw=1.6)
            ax.plot(x, dist["synthetic"], color=SYNTH_COLOUR, label=names[1], lw=1.6)
            fig.autofmt_xdate()
        else:
            ax.bar(x, dist["real"], width=width, color=REAL_COLOUR, alpha=0.55, label=names[0])
            ax.bar(x, dist["synthetic"], width=width, color=SYNTH_COLOUR, alpha=0.55,
                   label=names[1])
        ax.set_ylabel("share of rows")
    else:
        labels = [label if len(label) <= 18 else label[:17] + "…" for label in dist["labels"]]
        y = np.arange(len(labels))
        ax.barh(y - 0.2, dist["real"], height=0.4, color=REAL_COLOUR, label=names[0])
        ax.barh(y + 0.2, dist["synthetic"], height=0.4, color=SYNTH_COLOUR, label=names[1])
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("share of rows")
        fig.set_figheight(max(2.2, 0.22 * len(labels) + 0.8))
    ax.set_title(column, fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def heatmaps_figure(assoc: dict[str, Any]) -> str:
    """Association matrices: real, synthetic and their absolute difference."""
    columns = assoc["columns"]
    real = np.asarray(assoc["real"], dtype=float)
    synth = np.asarray(assoc["synthetic"], dtype=float)
    size = max(4.0, 0.32 * len(columns) + 2)
    fig, axes = _subplots(1, 3, figsize=(3 * size, size))
    panels = [("real", real, "Blues", 1.0), ("synthetic", synth, "Blues", 1.0),
              ("|real − synthetic|", np.abs(real - synth), "Reds", 0.5)]
    short = [c if len(c) <= 14 else c[:13] + "…" for c in columns]
    for ax, (title, matrix, cmap, vmax) in zip(axes, panels, strict=True):
        im = ax.imshow(matrix, cmap=cmap, vmin=0, vmax=vmax)
        ax.set_title(title)
        ax.set_xticks(range(len(columns)), short, rotation=90, fontsize=7)
        ax.set_yticks(range(len(columns)), short, fontsize=7)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return _png(fig)


def distance_figure(hist: dict[str, Any]) -> str:
    """Distances to the closest training record: synthetic vs holdout rows."""
    edges = np.asarray(hist["edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    fig, ax = _subplots(figsize=(6.5, 3))
    styles = {"synthetic_to_train": (SYNTH_COLOUR, "synthetic → closest train row"),
              "synthetic_to_holdout": (HOLDOUT_COLOUR, "synthetic → closest holdout row"),
              "holdout_to_train": (REAL_COLOUR, "holdout → closest train row (normal)")}
    for key, (colour, label) in styles.items():
        if key in hist:
            counts = np.asarray(hist[key], dtype=float)
            share = counts / max(counts.sum(), 1)
            ax.plot(centres, share, color=colour, label=label, lw=1.8)
    ax.set_xlabel("distance")
    ax.set_ylabel("share of rows")
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def sequences_figure(samples: dict[str, Any]) -> str:
    """A few real sequences beside a few synthetic ones: one row per column, shared y-axis."""
    columns = samples["columns"]
    fig, axes = _subplots(len(columns), 2, figsize=(8.4, 2.3 * len(columns) + 0.4),
                          sharey="row", squeeze=False)
    for side, colour, col in (("real", REAL_COLOUR, 0), ("synthetic", SYNTH_COLOUR, 1)):
        drawn = samples[side]
        for row, column in enumerate(columns):
            ax = axes[row][col]
            for i, seq in enumerate(drawn):
                ax.plot(seq["x"], seq["y"][column], color=colour, lw=1.3, marker=".", ms=3,
                        alpha=1.0 - 0.6 * i / max(len(drawn), 1))
            ax.spines[["top", "right"]].set_visible(False)
            if col == 0:
                ax.set_ylabel(column if len(column) <= 18 else column[:17] + "…", fontsize=8)
            if row == 0:
                ax.set_title(f"{side} ({len(drawn)} entities)", fontsize=10)
            if row == len(columns) - 1:
                ax.set_xlabel(samples["x_label"], fontsize=8)
    fig.tight_layout()
    return _png(fig)
