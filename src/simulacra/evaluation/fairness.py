"""Fairness: does the synthetic table treat the groups of a sensitive column as the real one?

Synthetic data can keep, shrink or amplify the disparities of the real table. For each
sensitive column (``sex``, ``race``: declared in the metadata's ``sensitive`` or passed to
:func:`~simulacra.evaluate`), with the utility ``target``:

* **target parity gap** — the demographic parity gap of the data: how far apart the groups'
  target distributions are. Binary target: the largest minus the smallest share of the
  positive class (the real data's minority class) across groups; several classes: the largest
  such spread over classes; a number: the spread of the groups' means in real standard
  deviations. ``value`` is the synthetic table's gap, ``reference`` the real one's: a faithful
  synthesizer reproduces the real gap; fairness-aware sampling
  (``model.sample(n, fairness=...)``) brings it to about 0.
* **prediction parity gap (TSTR)** — the same gap of a model's *predictions* on the real
  holdout (the share predicted positive, or the mean prediction): the model trained on the
  synthetic table beside the same model trained on the real one (as :mod:`.utility`).
* **score distribution gap (TSTR)** (binary targets) — the largest Kolmogorov–Smirnov distance
  between two groups' predicted probabilities on the holdout: 0 when the model selects the
  groups at the same rate at every threshold (strong statistical parity);
* **equal opportunity gap (TSTR)** (binary targets) — the spread across groups of the true
  positive rate on the holdout (Hardt, Price & Srebro 2016, "Equality of opportunity in
  supervised learning"), TSTR beside TRTR.
* **worst-group TSTR** — the lowest per-group ROC-AUC (binary), accuracy (several classes) or
  R² (a number) on the holdout, beside the real-trained model's lowest: a synthesizer that
  serves a small group badly shows here before it shows in the overall TSTR.

Groups with fewer than :data:`MIN_GROUP_ROWS` rows (in the real training table; in the holdout
for the model figures) are left out, and the note says which. Every figure's ``details`` holds
the per-group table the HTML report shows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import r2_score

from simulacra.errors import ParameterError
from simulacra.evaluation.fidelity.statistics import ks_statistic
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import EvalData, Featurizer
from simulacra.evaluation.utility import (
    MAX_ROWS,
    auc_or_nan,
    fit_predict_proba,
    fit_predict_values,
    subsample,
)
from simulacra.evaluation.views import FrameView
from simulacra.randomness import child_seed

#: Fewest rows a group needs to be compared (its shares are too noisy below).
MIN_GROUP_ROWS = 30
_SIDES = ("real", "synthetic")


def check_sensitive(data: EvalData, sensitive: Sequence[str], target: str | None) -> list[str]:
    """The sensitive columns, checked: evaluated, discrete, not the target."""
    out = []
    for column in sensitive:
        if column not in data.kinds:
            raise ParameterError(f"The 'sensitive' column {column!r} is not an evaluated column "
                                 f"of the table; columns are {list(data.kinds)}")
        if data.kinds[column].family != "discrete":
            raise ParameterError(f"The 'sensitive' column {column!r} is "
                                 f"{data.kinds[column].kind!r}; a sensitive column names "
                                 "groups, so it must be categorical or boolean (bin a number "
                                 "such as age into a categorical column first)")
        if column == target:
            raise ParameterError(f"The 'sensitive' column {column!r} is also the target; "
                                 "choose a target the groups should not decide")
        out.append(column)
    return list(dict.fromkeys(out))


def fairness(data: EvalData, featurizer: Featurizer, target: str, sensitive: Sequence[str],
             rng: np.random.Generator, *, max_rows: int = MAX_ROWS) -> list[Metric]:
    """The fairness figures of ``target`` for every column of ``sensitive`` (see the module
    docstring); the model figures only when ``data`` has a holdout."""
    if target not in data.kinds:
        raise ParameterError(f"fairness needs a 'target' among the evaluated columns "
                             f"{list(data.kinds)}. Got {target!r} instead.")
    discrete = data.kinds[target].family == "discrete"
    classes, positive = _classes(data.real_view, target) if discrete else ([], None)
    out = []
    for column in sensitive:
        out.append(_data_gap(data, target, column, classes, positive))
    if data.holdout is not None and len(data.kinds) > 1:
        predictions = _predictions(data, featurizer, target, classes, rng, max_rows)
        for column in sensitive:
            out += _model_gaps(data, predictions, target, column, classes, positive)
    return out


# --------------------------------------------------------------------------------------------
# The data's own gap
# --------------------------------------------------------------------------------------------


def _classes(view: FrameView, target: str) -> tuple[list[str], str | None]:
    labels = view.labels(target)
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise ParameterError(f"The 'target' column {target!r} has a single class in the real "
                             "training data; fairness needs a target with two or more")
    positive = str(classes[np.argmin(counts)]) if len(classes) == 2 else None
    return [str(c) for c in classes], positive


def _data_gap(data: EvalData, target: str, column: str, classes: list[str],
              positive: str | None) -> Metric:
    views = {"real": data.real_view, "synthetic": data.synth_view}
    groups = _groups(views["real"].labels(column))
    rows, small = [], _small(views["real"].labels(column))
    spread: dict[str, list[np.ndarray]] = {side: [] for side in _SIDES}
    scale = _scale(views["real"], target) if not classes else 1.0
    for group in groups:
        row: dict[str, Any] = {"group": group}
        for side, view in views.items():
            members = view.labels(column) == group
            row[f"{side}_rows"] = int(members.sum())
            shares = _shares(view, target, members, classes) if classes else \
                _mean(view, target, members, scale)
            row[side] = _shown(shares, classes, positive)
            if shares is not None:
                spread[side].append(shares)
        rows.append(row)
    gaps = {side: _gap(spread[side]) for side in _SIDES}
    missing = [r["group"] for r in rows if r["synthetic_rows"] == 0]
    notes = _notes(small, "real training")
    if missing:
        notes.append(f"groups absent from the synthetic data: {missing}")
    what = (f"the share of {target} = {positive!r}" if positive is not None else
            f"the share of each class of {target} (the largest spread over classes)"
            if classes else f"the mean of {target} in real standard deviations")
    return Metric(
        "target parity gap", "fairness", gaps["synthetic"],
        definition=f"demographic parity gap of the data: the largest minus the smallest of "
                   f"{what} across the groups of {column}; reference: the real training "
                   "data's gap (a faithful synthesizer reproduces it; fairness-aware sampling "
                   "brings it to about 0)",
        direction="lower", ideal=0.0, reference=gaps["real"], reference_label="real",
        note="; ".join(notes), column=column,
        details={"target": target, "sensitive": column, "positive_class": positive,
                 "classes": classes, "groups": rows, "real_gap": gaps["real"],
                 "synthetic_gap": gaps["synthetic"]},
    )


def _groups(labels: np.ndarray) -> list[str]:
    values, counts = np.unique(labels, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [str(values[i]) for i in order if counts[i] >= MIN_GROUP_ROWS]


def _small(labels: np.ndarray) -> list[str]:
    values, counts = np.unique(labels, return_counts=True)
    return [str(v) for v, c in zip(values, counts, strict=True) if c < MIN_GROUP_ROWS]


def _notes(small: list[str], where: str) -> list[str]:
    return [f"groups with fewer than {MIN_GROUP_ROWS} rows in the {where} data left out: "
            f"{small}"] if small else []


def _shares(view: FrameView, target: str, members: np.ndarray, classes: list[str]
            ) -> np.ndarray | None:
    labels = view.labels(target)[members]
    if len(labels) == 0:
        return None
    return np.array([np.mean(labels == c) for c in classes])


def _scale(view: FrameView, target: str) -> float:
    std = float(np.nanstd(view.floats(target)))
    return std if std > 0 else 1.0


def _mean(view: FrameView, target: str, members: np.ndarray, scale: float
          ) -> np.ndarray | None:
    values = view.floats(target)[members]
    values = values[~np.isnan(values)]
    return np.array([values.mean() / scale]) if len(values) else None


def _shown(shares: np.ndarray | None, classes: list[str], positive: str | None) -> Any:
    """What the per-group table shows: the positive share, every class's share, or the
    standardized mean."""
    if shares is None:
        return None
    if positive is not None:
        return float(shares[classes.index(positive)])
    if classes:
        return {c: float(s) for c, s in zip(classes, shares, strict=True)}
    return float(shares[0])


def _gap(values: list[np.ndarray]) -> float:
    if len(values) < 2:
        return float("nan")
    stacked = np.vstack(values)
    return float((stacked.max(axis=0) - stacked.min(axis=0)).max())


# --------------------------------------------------------------------------------------------
# Models trained on synthetic and on real, scored per group on the holdout
# --------------------------------------------------------------------------------------------


def _predictions(data: EvalData, featurizer: Featurizer, target: str, classes: list[str],
                 rng: np.random.Generator, max_rows: int) -> dict[str, Any]:
    """Holdout rows with a usable target, their truth and each model's predictions."""
    views = {"synthetic": data.synth_view, "real": data.real_view,
             "holdout": data.holdout_view}
    rows = {name: subsample(len(view), max_rows, rng) for name, view in views.items()}
    seed = child_seed(rng)
    keep = [c != target for c in featurizer.kinds]
    X, y, kept = {}, {}, {}
    for name, view in views.items():
        if classes:
            values = np.asarray(view.labels(target))[rows[name]]
            codes = np.array([classes.index(v) if v in classes else -1 for v in values])
            ok = codes >= 0
        else:
            codes = view.floats(target)[rows[name]]
            ok = ~np.isnan(codes)
        X[name] = featurizer.ordinal(view, rows[name])[ok][:, keep]
        y[name], kept[name] = codes[ok], rows[name][ok]
    out: dict[str, Any] = {"rows": kept["holdout"], "truth": y["holdout"]}
    for source in _SIDES:
        if len(y[source]) < 2:
            raise ParameterError(f"fairness: the {source} table has too few rows with a known "
                                 f"{target!r} to train a model on")
        if classes:
            out[source] = fit_predict_proba(X[source], y[source], X["holdout"], len(classes),
                                            featurizer, target, seed)
        else:
            out[source] = fit_predict_values(X[source], y[source], X["holdout"], featurizer,
                                             target, seed)
    return out


def _model_gaps(data: EvalData, predictions: dict[str, Any], target: str, column: str,
                classes: list[str], positive: str | None) -> list[Metric]:
    groups_of = np.asarray(data.holdout_view.labels(column))[predictions["rows"]]
    truth = predictions["truth"]
    groups = _groups(groups_of)
    notes = _notes(_small(groups_of), "holdout")
    if len(groups) < 2:
        return []
    scale = float(np.std(truth)) or 1.0
    rows = []
    per_side: dict[str, dict[str, list[Any]]] = {
        side: {"selection": [], "tpr": [], "score": []} for side in _SIDES}
    for group in groups:
        members = groups_of == group
        row: dict[str, Any] = {"group": group, "holdout_rows": int(members.sum())}
        for side in _SIDES:
            selection, figures = _group_figures(predictions[side][members], truth[members],
                                                classes, positive, scale)
            per_side[side]["selection"].append(selection)
            if len(selection) == 1:  # one number to show (not a share per class)
                row[f"{side}_selection"] = float(selection[0])
            for key, value in figures.items():
                row[f"{side}_{key}"] = value
                if value is not None and value == value:
                    per_side[side][key].append(value)
        rows.append(row)
    score_name = ("ROC-AUC" if positive is not None else "accuracy" if classes else "R²")
    details = {"target": target, "sensitive": column, "positive_class": positive,
               "score": score_name, "groups": rows}
    note = "; ".join(notes)
    trained = "a gradient-boosted model trained on the synthetic data (TSTR)"
    common = {"group": "fairness", "column": column, "note": note,
              "reference_label": "trained on real"}

    def spread(side: str, key: str) -> float:
        values = per_side[side][key]
        if key == "selection":
            return _gap(values)
        return float(max(values) - min(values)) if len(values) >= 2 else float("nan")

    what = (f"the share predicted {positive!r}" if positive is not None else
            "the share predicted in each class (the largest spread over classes)" if classes
            else "the mean prediction in standard deviations of the holdout target")
    out = [Metric(
        "prediction parity gap (TSTR)", value=spread("synthetic", "selection"),
        definition=f"the largest minus the smallest of {what} across the groups of {column} "
                   f"on the real holdout, for {trained}; reference: the same model trained "
                   "on the real data",
        direction="lower", ideal=0.0, reference=spread("real", "selection"),
        details={**details, "figure": "selection"}, **common)]
    if positive is not None:
        code = classes.index(positive)
        scores = {side: [predictions[side][groups_of == g][:, code] for g in groups]
                  for side in _SIDES}
        out.append(Metric(
            "score distribution gap (TSTR)", value=_largest_ks(scores["synthetic"]),
            definition=f"the largest Kolmogorov–Smirnov distance between two groups of {column} "
                       f"in the predicted probability of {target} = {positive!r} on the real "
                       f"holdout, for {trained}: 0 means the model selects the groups at the "
                       "same rate at every threshold (strong statistical parity); reference: "
                       "the same model trained on the real data",
            direction="lower", ideal=0.0, reference=_largest_ks(scores["real"]),
            details={**details, "figure": "scores"}, **common))
        out.append(Metric(
            "equal opportunity gap (TSTR)", value=spread("synthetic", "tpr"),
            definition=f"the largest minus the smallest true positive rate ({target} = "
                       f"{positive!r}) across the groups of {column} on the real holdout, for "
                       f"{trained}; reference: the same model trained on the real data",
            direction="lower", ideal=0.0, reference=spread("real", "tpr"),
            details={**details, "figure": "tpr"}, **common))
    worst = {side: min(per_side[side]["score"], default=float("nan")) for side in _SIDES}
    out.append(Metric(
        "worst-group TSTR", value=worst["synthetic"],
        definition=f"the lowest {score_name} on the real holdout over the groups of {column}, "
                   f"for {trained}; reference: the same model trained on the real data",
        direction="higher", reference=worst["real"],
        details={**details, "figure": "score"}, **common))
    return out


def _largest_ks(samples: list[np.ndarray]) -> float:
    """The largest two-sample Kolmogorov–Smirnov distance between any two of ``samples``."""
    return max((ks_statistic(a, b) for a, b in itertools.combinations(samples, 2)
                if len(a) and len(b)), default=0.0)


def _group_figures(predicted: np.ndarray, truth: np.ndarray, classes: list[str],
                   positive: str | None, scale: float
                   ) -> tuple[np.ndarray, dict[str, float | None]]:
    """One group's holdout rows: the selection (share predicted positive; per class with
    several; the standardized mean prediction for a number), true positive rate and score."""
    if not classes:
        score = float(r2_score(truth, predicted)) if len(truth) > 1 and np.var(truth) > 0 \
            else float("nan")
        return np.array([predicted.mean() / scale]), {"tpr": None, "score": score}
    chosen = predicted.argmax(axis=1)
    if positive is None:
        shares = np.bincount(chosen, minlength=len(classes)) / len(chosen)
        return shares, {"tpr": None, "score": float(np.mean(chosen == truth))}
    code = classes.index(positive)
    actual = truth == code
    tpr = float(np.mean(chosen[actual] == code)) if actual.any() else float("nan")
    return np.array([np.mean(chosen == code)]), {
        "tpr": tpr, "score": auc_or_nan(actual, predicted[:, code])}
