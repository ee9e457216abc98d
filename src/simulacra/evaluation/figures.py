"""Figures for the HTML report, drawn with matplotlib and embedded as base64 PNG.

Drawn at :data:`DPI` (sharp on high-density screens; the page scales them to its width), with
few, short tick labels so that heavy-tailed columns stay legible, and real and synthetic told
apart by shape as well as colour (a filled area beside a line; paired bars).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

REAL_COLOUR = "#4C72B0"
SYNTH_COLOUR = "#DD8452"
HOLDOUT_COLOUR = "#55A868"
#: Dots per inch of every figure (the page shows them at about 90).
DPI = 150
#: Colours of a figure's palette.
COLOURS = 96
#: Most columns a heatmap shows (those whose association differs most between the tables).
HEATMAP_COLUMNS = 40


def _subplots(*grid: int, **kwargs: Any) -> tuple[Any, Any]:
    """A figure of its own (not pyplot's: drawing a report leaves the caller's backend and
    open figures alone, so plots in a notebook still show) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=kwargs.pop("figsize"))
    return fig, fig.subplots(*grid, **kwargs)


def _png(fig: Any, dpi: int = DPI) -> str:
    """The figure as a PNG data URI, in a palette of at most :data:`COLOURS` colours (a few
    flat colours and their anti-aliasing: a third of the bytes of a full-colour PNG, the same
    to the eye)."""
    from PIL import Image

    rendered = io.BytesIO()
    fig.savefig(rendered, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    rendered.seek(0)
    with Image.open(rendered) as image:
        palette = image.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def short_number(value: float, _position: Any = None) -> str:
    """A tick label of at most a few characters: ``1.2M``, ``35k``, ``0.25``.

    >>> short_number(1_234_567), short_number(35_000), short_number(2400), short_number(0.25)
    ('1.23M', '35k', '2,400', '0.25')
    """
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:.3g}G"
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.3g}k"
    if magnitude >= 1e3:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _few_ticks(axis: Any, count: int = 5) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(count))
    axis.set_major_formatter(FuncFormatter(short_number))


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
            steps = np.append(edges, edges[-1])
            real = np.concatenate([[0.0], dist["real"], [0.0]])
            synth = np.concatenate([[0.0], dist["synthetic"], [0.0]])
            ax.fill_between(steps[:-1], real[:-1], step="post", color=REAL_COLOUR, alpha=0.35,
                            lw=0, label=names[0])
            ax.step(steps[:-1], synth[:-1], where="post", color=SYNTH_COLOUR, lw=1.8,
                    label=names[1])
            _few_ticks(ax.xaxis)
        ax.set_ylabel("share of rows", fontsize=8)
    else:
        labels = [label if len(label) <= 18 else label[:17] + "…" for label in dist["labels"]]
        y = np.arange(len(labels))
        ax.barh(y - 0.2, dist["real"], height=0.4, color=REAL_COLOUR, label=names[0])
        ax.barh(y + 0.2, dist["synthetic"], height=0.4, color=SYNTH_COLOUR, label=names[1])
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("share of rows", fontsize=8)
        fig.set_figheight(max(2.2, 0.22 * len(labels) + 0.8))
    ax.set_title(column, fontsize=10)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def heatmap_order(assoc: dict[str, Any], limit: int = HEATMAP_COLUMNS) -> list[int]:
    """Positions of the columns a heatmap shows, in the order it shows them: at most
    ``limit`` (those whose association with some column differs most between the tables),
    grouped by hierarchical clustering of the real association so related columns sit
    together."""
    real = np.nan_to_num(np.asarray(assoc["real"], dtype=float))
    synth = np.nan_to_num(np.asarray(assoc["synthetic"], dtype=float))
    keep = np.arange(len(real))
    if len(keep) > limit:
        worst = np.abs(real - synth).max(axis=1)
        keep = np.sort(np.argsort(-worst, kind="stable")[:limit])
    if len(keep) < 3:
        return keep.tolist()
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    distance = 1.0 - np.clip(real[np.ix_(keep, keep)], 0, 1)
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2
    order = leaves_list(linkage(squareform(distance, checks=False), method="average"))
    return keep[order].tolist()


def heatmaps_figure(assoc: dict[str, Any], order: list[int] | None = None) -> list[str]:
    """Two heatmaps, each its own image so either can fill the page's width: the real
    association below the diagonal beside the synthetic above it, and their absolute
    difference; columns in ``order`` (default :func:`heatmap_order`)."""
    order = heatmap_order(assoc) if order is None else order
    columns = [assoc["columns"][i] for i in order]
    real = np.asarray(assoc["real"], dtype=float)[np.ix_(order, order)]
    synth = np.asarray(assoc["synthetic"], dtype=float)[np.ix_(order, order)]
    k = len(columns)
    lower = np.tril(np.ones((k, k), dtype=bool), -1)
    both = np.where(lower, real, synth)
    np.fill_diagonal(both, np.nan)
    short = [c if len(c) <= 18 else c[:17] + "…" for c in columns]
    side = max(3.2, 0.2 * k + 1.6)
    images = []
    for title, matrix, cmap, vmax in (
            ("real (below the diagonal) · synthetic (above)", both, "Blues", 1.0),
            ("|real − synthetic|", np.abs(real - synth), "Reds", 0.5)):
        fig, ax = _subplots(figsize=(side + 1.0, side))
        im = ax.imshow(matrix, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(k), short, rotation=90, fontsize=8)
        ax.set_yticks(range(k), short, fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=8)
        images.append(_png(fig))
    return images


def pair_figure(view: dict[str, Any]) -> str:
    """One column pair, real beside synthetic, on one colour scale (:func:`~simulacra.
    evaluation.fidelity.pair_views`): a grid of shares for two numbers, a table of shares of
    each combination otherwise."""
    first, second = view["columns"]
    real, synth = np.asarray(view["real"]), np.asarray(view["synthetic"])
    vmax = max(float(real.max()), float(synth.max()), 1e-9)
    fig, axes = _subplots(1, 2, figsize=(8.4, 3.6), sharey=True)
    for ax, (title, matrix) in zip(axes, (("real", real), ("synthetic", synth)), strict=True):
        ax.imshow(matrix, cmap="Blues" if title == "real" else "Oranges", vmin=0, vmax=vmax,
                  origin="lower", aspect="auto", interpolation="nearest")
        ax.set_title(title, fontsize=10)
        x_labels, y_labels = view["x_labels"], view["y_labels"]
        step_x = max(1, len(x_labels) // 6) if view["continuous"] else 1
        step_y = max(1, len(y_labels) // 6) if view["continuous"] else 1
        ax.set_xticks(range(0, len(x_labels), step_x),
                      [_short(x) for x in x_labels[::step_x]], rotation=45, ha="right",
                      fontsize=8)
        ax.set_yticks(range(0, len(y_labels), step_y),
                      [_short(y) for y in y_labels[::step_y]], fontsize=8)
        ax.set_xlabel(first, fontsize=9)
        if not view["continuous"] and matrix.size <= 100:
            for (row, col), share in np.ndenumerate(matrix):
                ax.text(col, row, f"{share:.2f}", ha="center", va="center", fontsize=6.5,
                        color="white" if share > 0.6 * vmax else "#1f2328")
    axes[0].set_ylabel(second, fontsize=9)
    fig.tight_layout()
    return _png(fig)


def similarity_figure(view: dict[str, Any]) -> str:
    """Real and synthetic rows on the real table's two principal components, side by side on
    one grid and colour scale (:func:`~simulacra.evaluation.fidelity.embedding_view`)."""
    real, synth = np.asarray(view["real"]), np.asarray(view["synthetic"])
    vmax = max(float(real.max()), float(synth.max()), 1e-9)
    explained = view.get("explained", [0.0, 0.0])
    fig, axes = _subplots(1, 2, figsize=(8.4, 3.8), sharex=True, sharey=True)
    for ax, (title, matrix, cmap) in zip(axes, (("real", real, "Blues"),
                                                ("synthetic", synth, "Oranges")), strict=True):
        ax.imshow(matrix, cmap=cmap, vmin=0, vmax=vmax, origin="lower", aspect="auto",
                  extent=view["extent"], interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"component 1 ({explained[0]:.0%} of the variance)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel(f"component 2 ({explained[1]:.0%})", fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _short(label: str, size: int = 14) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


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
    ax.set_xlabel("distance", fontsize=9)
    ax.set_ylabel("share of rows", fontsize=9)
    ax.tick_params(labelsize=8)
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
