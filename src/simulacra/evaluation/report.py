"""Rendering the metrics of an evaluation as one self-contained HTML file.

Everything the page needs is inside it: CSS inline, figures as base64 PNG, no scripts, no
network. Each section opens with one sentence on what it shows and what good looks like.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from simulacra._version import __version__
from simulacra.evaluation import figures as plots
from simulacra.evaluation.metric import Metric

#: Figures shown as cards at the top, in order, when present.
SCORECARD = ("shape", "trend", "detection AUC", "TSTR ROC-AUC", "TSTR R2", "DCR share",
             "exact copies", "membership inference AUC", "sequence length similarity",
             "discriminative score", "predictive score")
#: Figures of each free-text column shown as cards too (the n-gram leakage by its suffix).
TEXT_SCORECARD = ("text detection AUC", "-gram leakage")
#: Reference label of a text figure that is a model trained on synthetic data beside trained on
#: real (a text's coherence), read like TSTR.
TRAINED_ON_REAL = "trained on real"


def status(metric: Metric) -> str:
    """'good', 'fair' or 'poor' — a plain-language reading of a figure for the scorecard."""
    v, ref = metric.value, metric.reference
    if v != v:  # NaN
        return "unknown"
    if (metric.name.startswith("TSTR") or (metric.group == "text"  # a text's coherence
                                           and metric.reference_label == TRAINED_ON_REAL)) \
            and ref is not None:
        gap = (ref - v) if metric.direction == "higher" else (v - ref) / max(abs(ref), 1e-12)
        return "good" if gap <= 0.02 else "fair" if gap <= 0.05 else "poor"
    if metric.group == "fairness" and metric.direction == "lower" and ref is not None:
        # a gap: does the synthetic data widen the real one (amplify a bias)?
        over = v - ref
        return "good" if over <= 0.02 else "fair" if over <= 0.05 else "poor"
    if metric.name in ("exact copies", "text exact copies") or (
            metric.group == "text" and metric.name.endswith("-gram leakage")):
        # shares that real unseen records reach too: compared with that base rate
        base = ref if ref is not None else 0.0
        return "good" if v <= base + 0.001 else "fair" if v <= 2 * base + 0.01 else "poor"
    if metric.direction == "closer" and metric.ideal is None and ref is not None:
        # no absolute ideal (a text's type-token ratio): as close to the holdout's as can be
        off = abs(v - ref) / max(abs(ref), 1e-3)
        return "good" if off <= 0.1 else "fair" if off <= 0.5 else "poor"
    if metric.group == "sequence" and metric.direction == "lower" and metric.ideal is None \
            and ref is not None:
        # an error with no absolute ideal (the predictive score): compared with the reference
        over = v - ref
        return "good" if over <= 0.005 else "fair" if over <= 0.02 else "poor"
    if metric.direction == "closer" and metric.ideal is not None:
        off = abs(v - metric.ideal)
        return "good" if off <= 0.05 else "fair" if off <= 0.15 else "poor"
    if metric.direction == "lower" and metric.ideal is not None:
        return "good" if v <= 0.05 else "fair" if v <= 0.2 else "poor"
    if metric.direction == "higher" and ref is not None:
        # compared with what real unseen rows score (the holdout), not with the ideal
        short = ref - v
        return "good" if short <= 0.02 else "fair" if short <= 0.08 else "poor"
    if metric.direction == "higher" and metric.ideal is not None:
        return "good" if v >= 0.9 * metric.ideal else "fair" if v >= 0.8 * metric.ideal \
            else "poor"
    return "unknown"


#: The keys of an evaluation's ``info`` that hold clock readings.
TIMINGS = ("seconds", "stage_seconds", "sequence_seconds", "text_seconds")


def without_timings(info: dict[str, Any]) -> dict[str, Any]:
    """``info`` without the clock readings (``seconds``, ``stage_seconds`` and the seconds
    of each sequence and text figure)."""
    return {k: v for k, v in info.items() if k not in TIMINGS}


def render_report(metrics: list[Metric], *, info: dict[str, Any], figures: dict[str, Any],
                  title: str = "Synthetic data quality report", reproducible: bool = False
                  ) -> str:
    """The report page: ``metrics`` with the run's ``info`` and the plots' data (``figures``).

    ``reproducible=True`` leaves out the clock (when it was made, how long each stage took),
    so that the same inputs give the same bytes.

    ``figures`` holds ``distributions``, ``association`` and (for an event table)
    ``sequences`` as :func:`simulacra.evaluate` computes them; any may be absent.
    """
    env = Environment(loader=PackageLoader("simulacra.evaluation", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = _fmt
    env.filters["plain"] = plain_name
    env.filters["question"] = question
    by_name = {m.name: m for m in metrics if m.column is None}
    cards = [(by_name[name], status(by_name[name])) for name in SCORECARD if name in by_name]
    cards += [(m, status(m)) for m in metrics if m.group == "text"
              and any(m.name.endswith(card) for card in TEXT_SCORECARD)]
    cards += [(m, status(m)) for m in metrics if m.group == "fairness"
              and m.name == "target parity gap"]

    shapes = {row["column"]: row["score"] for row in
              by_name["shape"].details.get("columns", [])} if "shape" in by_name else {}
    distributions = [
        {"column": column, "score": shapes.get(column), "anchor": f"dist-{i}",
         "img": plots.distribution_figure(column, dist)}
        for i, (column, dist) in enumerate(figures.get("distributions", {}).items(), 1)
    ]
    anchors = {d["column"]: d["anchor"] for d in distributions}
    association = figures.get("association", {})
    heatmaps, heatmap_note = [], ""
    if association.get("columns"):
        order = plots.heatmap_order(association)
        heatmaps = plots.heatmaps_figure(association, order)
        if len(order) < len(association["columns"]):
            heatmap_note = (f"The {len(order)} of {len(association['columns'])} columns whose "
                            "association with some column differs most between the tables.")
    pairs = worst_pairs(by_name.get("trend"), association)
    pair_images = [{"columns": view["columns"], "img": plots.pair_figure(view)}
                   for view in figures.get("pairs", [])]
    similarity = figures.get("similarity") or {}
    similarity_img = plots.similarity_figure(similarity) if similarity.get("real") else None
    dcr = by_name.get("DCR share")
    hist = dcr.details.get("histograms") if dcr is not None else None
    distance_img = plots.distance_figure(hist) if hist else None
    groups: dict[str, list[tuple[Metric, str]]] = {"fidelity": [], "utility": [], "privacy": [],
                                                   "fairness": [], "sequence": []}
    for m in metrics:
        groups.setdefault(m.group, []).append((m, status(m)))
    samples = figures.get("sequences") or {}
    sequences_img = plots.sequences_figure(samples) if samples.get("columns") else None
    notes = [f"{m.label}: {m.note}" for m in metrics if m.note]
    return env.get_template("report.html.j2").render(
        title=title,
        generated=None if reproducible else
        dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        info=without_timings(info) if reproducible else info,
        cards=cards,
        groups=groups,
        distributions=distributions,
        columns=[{**row, "anchor": anchors.get(row["column"])} for row in column_table(by_name)],
        heatmaps=heatmaps,
        heatmaps_wide=len(association.get("columns", [])) > 20,
        heatmap_note=heatmap_note,
        pairs=pairs,
        pair_images=pair_images,
        similarity_img=similarity_img,
        similarity_rows=similarity.get("rows", {}),
        distance_img=distance_img,
        sequences_img=sequences_img,
        texts=text_sections(metrics, info, figures),
        fairness=fairness_sections(metrics),
        notes=notes,
    )


#: Plain names of the trend figure's two pair measures.
_PAIR_MEASURES = {"CorrelationSimilarity": "correlation (Pearson ρ)",
                  "ContingencySimilarity": "association (Cramér's V)"}


def worst_pairs(trend: Metric | None, association: dict[str, Any], count: int = 10
                ) -> list[dict[str, Any]]:
    """The ``count`` pairs the trend figure scores worst, each with its measure in plain words
    and the real and synthetic value of that measure (a correlation, or Cramér's V from the
    report's association matrices for a pair of categories)."""
    if trend is None:
        return []
    position = {c: i for i, c in enumerate(association.get("columns", []))}
    out = []
    ranked = sorted(trend.details.get("pairs", []),
                    key=lambda p: p["score"] if p["score"] == p["score"] else 2.0)
    for pair in ranked[:count]:
        row = {**pair, "measure": _PAIR_MEASURES.get(pair["metric"], pair["metric"])}
        if pair["metric"] == "ContingencySimilarity":
            i, j = position.get(pair["column_1"]), position.get(pair["column_2"])
            if i is not None and j is not None:
                row["real"] = association["real"][i][j]
                row["synthetic"] = association["synthetic"][i][j]
        out.append(row)
    return out


def column_table(by_name: dict[str, Metric]) -> list[dict[str, Any]]:
    """One row per compared column, worst shape first: its kind, shape score and measure,
    binned accuracy, coverage and null shares (from the fidelity figures' details)."""
    def per_column(name: str) -> dict[str, dict[str, Any]]:
        metric = by_name.get(name)
        rows = metric.details.get("columns", []) if metric is not None else []
        return {row["column"]: row for row in rows}

    shape, accuracy = per_column("shape"), per_column("univariate accuracy")
    categories, ranges = per_column("category coverage"), per_column("range coverage")
    missing = per_column("missing-share similarity")
    out = []
    for column, row in shape.items():
        cover = categories.get(column) or ranges.get(column) or {}
        nulls = missing.get(column, {})
        out.append({"column": column, "kind": row.get("kind", ""),
                    "measure": {"KSComplement": "1 − KS", "TVComplement": "1 − TVD"}.get(
                        row.get("metric", ""), row.get("metric", "")),
                    "shape": row.get("score"),
                    "accuracy": accuracy.get(column, {}).get("score"),
                    "coverage": cover.get("score"),
                    "coverage_kind": "categories" if column in categories else "range",
                    "null_real": nulls.get("real"), "null_synthetic": nulls.get("synthetic")})
    out.sort(key=lambda r: r["shape"] if r["shape"] == r["shape"] and r["shape"] is not None
             else 2.0)
    return out


def fairness_sections(metrics: list[Metric]) -> list[dict[str, Any]]:
    """Per sensitive column: the target in each group, real beside synthetic, and the
    per-group figures of the models trained on each (as the fairness figures' ``details``)."""
    out = []
    for gap in (m for m in metrics if m.group == "fairness" and m.name == "target parity gap"):
        details = gap.details
        positive, target = details.get("positive_class"), details.get("target")
        what = (f"Share of {target} = {positive!r}" if positive is not None else
                f"Share of each class of {target}" if details.get("classes") else
                f"Mean of {target} in real standard deviations")
        data = [{**row, "real": _shares_text(row.get("real")),
                 "synthetic": _shares_text(row.get("synthetic"))}
                for row in details.get("groups", [])]
        model = next((m for m in metrics if m.group == "fairness" and m.column == gap.column
                      and m.name == "worst-group TSTR"), None)
        keys, labels = [], []
        if model is not None:
            rows = model.details.get("groups", [])
            score = model.details.get("score", "score")
            for key, label in (("selection", "predicted positive" if positive is not None
                                else "mean prediction"), ("tpr", "true positive rate"),
                               ("score", score)):
                if rows and rows[0].get(f"real_{key}") is not None:
                    keys.append(key)
                    labels.append(label)
        out.append({"column": gap.column, "what": what, "data": data,
                    "model": model.details.get("groups", []) if model is not None else [],
                    "model_keys": keys, "model_columns": labels})
    return out


def _shares_text(value: Any) -> str:
    if isinstance(value, dict):
        return " · ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    return _fmt(value)


#: Plain names of the text figures (by name, or by the name's start or end).
_PLAIN = {"text length similarity": "length in characters, as real texts",
          "text word count similarity": "length in words, as real texts",
          "type-token ratio": "distinct words per word (type-token ratio)",
          "novel word share": "words never seen in the training texts",
          "text detection AUC": "can a classifier tell synthetic texts from real ones?",
          "text exact copies": "texts identical to a training text"}


#: What the table-wide headline figures ask, in plain words (the scorecard's second line).
QUESTIONS = {
    "shape": "does each column look like the real one?",
    "trend": "do pairs of columns move together as in the real data?",
    "detection AUC": "can a classifier tell synthetic rows from real ones? (0.5: no)",
    "TSTR ROC-AUC": "does a model trained on synthetic rows predict real ones?",
    "TSTR R2": "does a model trained on synthetic rows predict real ones?",
    "DCR share": "are synthetic rows nearer training rows than unseen ones? (0.5: no)",
    "exact copies": "how many synthetic rows copy a training row?",
    "membership inference AUC": "can an attacker tell who was in the training data?",
    "target parity gap": "how far apart are the groups' target shares?",
    "sequence length similarity": "do entities have as many events as real ones?",
    "discriminative score": "can a network tell synthetic sequences from real ones?",
    "predictive score": "do synthetic sequences predict real ones' next steps?",
}


def question(metric: Metric) -> str:
    """The plain question a headline figure answers ('' when none is written)."""
    if metric.group == "text":
        return plain_name(metric)
    return QUESTIONS.get(metric.name, "")


def plain_name(metric: Metric) -> str:
    """A text figure's name in plain words (other figures keep their name)."""
    if metric.group != "text":
        return metric.name
    if metric.name in _PLAIN:
        return _PLAIN[metric.name]
    if metric.name.endswith("-gram leakage"):
        n = metric.details.get("n", metric.name.split("-")[0])
        return f"texts sharing a run of {n} words with a training text"
    target = metric.details.get("target")
    if target is not None and metric.name.startswith("coherence ROC-AUC"):
        return f"does the text predict {target}? (ROC-AUC)"
    if target is not None and metric.name.startswith("coherence accuracy"):
        return f"does the text predict {target}? (accuracy)"
    return metric.name


def text_sections(metrics: list[Metric], info: dict[str, Any], figures: dict[str, Any]
                  ) -> list[dict[str, Any]]:
    """What the report shows of each free-text column: its figures with their readings, its
    statistics side by side, the n-grams that give synthetic texts away, and sampled texts
    (plain strings: the template escapes every one)."""
    columns = list(dict.fromkeys(m.column for m in metrics
                                 if m.group == "text" and m.column is not None))
    out = []
    for column in columns:
        found = [m for m in metrics if m.group == "text" and m.column == column]
        stats = info.get("text", {}).get(column, {}).get("statistics", {})
        detection = next((m for m in found if m.name == "text detection AUC"), None)
        telling = detection.details.get("telling", {}) if detection is not None else {}
        out.append({
            "column": column,
            "metrics": [(m, status(m)) for m in found],
            "sides": [side for side in ("train", "holdout", "synthetic") if side in stats],
            "statistics": [(label, digits, {side: values.get(key)
                                            for side, values in stats.items()})
                           for key, label, digits in _TEXT_STATISTICS],
            "telling": telling,
            "samples": figures.get("text", {}).get(column, {}).get("samples", {}),
        })
    return out


#: The statistics rows of a text column's section: key of TextStatistics, plain name, digits.
_TEXT_STATISTICS = (("texts", "texts (non-null)", 0), ("null_share", "null share", 3),
                    ("mean_chars", "mean characters", 1), ("median_chars", "median characters", 1),
                    ("mean_words", "mean words", 1), ("median_words", "median words", 1),
                    ("words", "words in all", 0), ("vocabulary", "distinct words", 0))


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:
            return "n/a"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
