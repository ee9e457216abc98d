"""Fairness-aware sampling: a target made independent of sensitive columns.

Synthetic data keeps a real table's disparities, and can amplify them: in Adult, about 31 % of
the men and 11 % of the women earn ">50K", and a faithful synthesizer says the same. Asked for
it, every group of the sensitive columns gets the target distribution of the whole sample
(demographic parity), in one of two ways:

* **draw** (``model.sample(n, fairness=...)``'s default for a categorical target): the model's
  own pilot sample gives each group's share of the rows and the whole sample's target
  distribution; :func:`parity_cells` turns them into row counts per (group, target value),
  and the model draws each cell's rows given its group and target value (exact conditional
  sampling). The other columns then follow the model's conditional distribution given both,
  as real rows of that group with that outcome do, so a model trained on the table keeps
  most of its accuracy on real data (on Adult TSTR ROC-AUC falls by .007 at parity, where
  relabelling costs .03: ``BENCHMARKS.md``, "Fairness-aware sampling"). The group's other
  columns move with its target (more women with the profile of women earning ">50K").
* **relabel** (:func:`make_fair`, on any table; ``method="relabel"``): the target of as few
  rows as possible changes and every other column keeps its values, so the table's other
  distributions stay as generated:

1. a classifier estimates each row's class probabilities ``q`` from its other columns (a
   histogram gradient-boosted model, out of fold: two halves of the table, each predicted by
   a model fitted on the other). It sees the synthetic rows only, never real ones, so under a
   privacy budget this is post-processing and spends nothing;
2. in each sensitive group, class weights ``w`` (a prior shift, Saerens, Latinne & Decaestecker
   2002) are found so that, with ``q' ∝ q·w``, the group's expected class shares after step 3
   are those of the whole table;
3. each row's target moves from ``q`` to ``q'`` by the maximal coupling: it keeps its class
   with probability ``min(1, q'ᵧ / qᵧ)``, else takes a class drawn in proportion to the excess
   ``(q' − q)⁺``. The rows that move are drawn systematically (each with its probability, as
   many as expected to within one); a last few moves, again by ``q'``, make every group's
   class counts those of the whole table's shares exactly (largest remainders). For a binary
   target, the rows whose class flips are those the classifier finds borderline: "massaging"
   (Kamiran & Calders 2012), drawn at random rather than by rank.

A numerical (more than 20 distinct values) or datetime target is mapped, within each group,
onto the whole table's quantiles (ranks within the group kept; every value one the table
already has); a numeric code with fewer values (0/1, a 1–5 rating) is relabelled as classes.
Rows with a null target keep it. ``strength`` below 1 closes only that share of each group's
gap (a trade-off: the fairer the table, the further a model trained on it is from the real
data's predictions).

>>> import simulacra as sim
>>> real = sim.datasets.load_demo().head(3000)
>>> synth = sim.GaussianCopula(random_state=0).fit(real).sample(3000)
>>> fair = make_fair(synth, target="income", sensitive="sex", random_state=0)
>>> rates = fair.groupby("sex")["income"].apply(lambda s: (s == ">50K").mean())
>>> bool(abs(rates["Male"] - rates["Female"]) < 0.02)
True
>>> fair.drop(columns="income").equals(synth.drop(columns="income"))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError
from simulacra.randomness import RandomState, child_seed, make_rng

#: Most distinct values a text-like column may have to be a categorical feature.
MAX_CATEGORIES = 250
#: Most distinct values a numeric target may have to be treated as classes.
MAX_CLASSES = 20
#: Iterations of the weight search per group (each is a few array operations).
WEIGHT_STEPS = 300
#: How a table is made fair: rows drawn per (group, target value), or targets relabelled.
METHODS = ("draw", "relabel")


@dataclass(frozen=True)
class Fairness:
    """What :func:`make_fair` is asked: the ``target``, the ``sensitive`` columns and the
    ``strength`` (share of the gap closed)."""

    target: str
    sensitive: tuple[str, ...]
    strength: float = 1.0
    strong: bool = False
    method: str | None = None

    @classmethod
    def parse(cls, value: Any, columns: Sequence[str], declared: Sequence[str] = ()
              ) -> Fairness:
        """``{"target": ..., "sensitive": [...]}`` (or a :class:`Fairness`), checked against
        the table's ``columns``; ``sensitive`` defaults to the metadata's ``declared`` ones.

        >>> Fairness.parse({"target": "y", "sensitive": "s"}, ["s", "x", "y"])
        Fairness(target='y', sensitive=('s',), strength=1.0, strong=False, method=None)
        """
        if isinstance(value, Fairness):
            value = {"target": value.target, "sensitive": list(value.sensitive),
                     "strength": value.strength, "strong": value.strong,
                     "method": value.method}
        if not isinstance(value, Mapping) or "target" not in value or set(value) - {
                "target", "sensitive", "strength", "strong", "method"}:
            raise ParameterError("The 'fairness' parameter must be a mapping with a 'target' "
                                 "column, 'sensitive' columns and optionally a 'strength' "
                                 "(share of the gap closed, default 1), 'strong' and "
                                 "'method' ('draw' or 'relabel'), e.g. {'target': "
                                 f"'income', 'sensitive': ['sex']}}. Got {value!r} instead.")
        strong = value.get("strong", False)
        if not isinstance(strong, bool):
            raise ParameterError(f"The fairness 'strong' setting must be true or false. Got "
                                 f"{strong!r} instead.")
        method = value.get("method")
        if method is not None and method not in METHODS:
            raise ParameterError(f"The fairness 'method' must be one of {list(METHODS)} "
                                 "('draw': rows drawn per group and target value; 'relabel': "
                                 f"targets changed, other columns kept) or left out. Got "
                                 f"{method!r} instead.")
        if strong and method == "draw":
            raise ParameterError("The fairness 'strong' setting moves each row's class "
                                 "probability, so it needs method 'relabel' (or no method); "
                                 "it cannot be combined with method 'draw'.")
        strength = value.get("strength", 1.0)
        if isinstance(strength, bool) or not isinstance(strength, int | float) or not (
                0 <= strength <= 1):
            raise ParameterError("The fairness 'strength' must be a number in [0, 1] (1: "
                                 f"parity, 0: no change). Got {strength!r} instead.")
        target = value["target"]
        sensitive = value.get("sensitive") or list(declared)
        if isinstance(sensitive, str):
            sensitive = [sensitive]
        if not isinstance(sensitive, Sequence) or not sensitive:
            raise ParameterError("fairness needs 'sensitive' columns (the groups that should "
                                 "all get the same target distribution), e.g. ['sex']; none "
                                 "were given and the metadata declares none")
        unknown = [c for c in [target, *sensitive] if c not in columns]
        if unknown:
            raise ParameterError(f"fairness names columns the table does not have: {unknown}; "
                                 f"columns are {list(columns)}")
        if target in sensitive:
            raise ParameterError(f"fairness: the target {target!r} cannot also be a "
                                 "sensitive column")
        return cls(str(target), tuple(dict.fromkeys(str(c) for c in sensitive)),
                   float(strength), strong, method)

    def resolve(self, column: pd.Series, rebalanced: bool = False) -> str:
        """The method to use for a target like ``column`` (a pilot sample's): the one asked
        for, else ``"draw"`` for classes and ``"relabel"`` for a number or a date (mapped
        onto the whole sample's quantiles), with ``strong`` or beside a rebalanced column.

        >>> Fairness("y", ("s",)).resolve(pd.Series(["a", "b"]))
        'draw'
        >>> Fairness("y", ("s",)).resolve(pd.Series(np.arange(100.0)))
        'relabel'
        """
        ordered = _is_ordered(column)
        if self.method == "draw" and ordered:
            raise ParameterError(f"fairness method 'draw' needs a target of classes; "
                                 f"{self.target!r} is a number or a date with more than "
                                 f"{MAX_CLASSES} values. Use method 'relabel' (each group "
                                 "mapped onto the whole sample's quantiles).")
        if self.method == "draw" and rebalanced:
            raise ParameterError("fairness method 'draw' sets the rows of every group and "
                                 "target value, which would undo rebalancing; use method "
                                 "'relabel' with rebalance=")
        if self.method is not None:
            return self.method
        return "relabel" if ordered or self.strong or rebalanced else "draw"


def parity_cells(pilot: pd.DataFrame, spec: Fairness, n: int
                 ) -> list[tuple[dict[str, Any], int]]:
    """Rows to draw per (group, target value) so that ``n`` rows have parity.

    Each group of ``spec.sensitive`` keeps its share of ``pilot``'s rows; its target shares
    move ``spec.strength`` of the way from its own to the whole pilot's. Null targets are
    left as they are (each group keeps its share of them). Returns ``(cell, count)`` pairs,
    ``cell`` mapping every sensitive column and the target to a value (``None``: null); the
    counts sum to ``n``.

    >>> pilot = pd.DataFrame({"s": ["a"] * 6 + ["b"] * 4,
    ...                       "y": ["hi"] * 3 + ["lo"] * 3 + ["lo"] * 4})
    >>> parity_cells(pilot, Fairness("y", ("s",)), 20)
    [({'s': 'a', 'y': 'hi'}, 4), ({'s': 'a', 'y': 'lo'}, 8), ({'s': 'b', 'y': 'hi'}, 2), \
({'s': 'b', 'y': 'lo'}, 6)]
    """
    groups = _group_codes(pilot, spec.sensitive)
    target = pilot[spec.target]
    known = target.notna().to_numpy()
    codes, classes = pd.factorize(target[known], sort=True)
    labels = np.full(len(pilot), -1)
    labels[known] = codes
    pooled = np.bincount(codes, minlength=len(classes)) / max(len(codes), 1)
    names, sizes = np.unique(groups, return_counts=True)
    cells: list[tuple[dict[str, Any], int]] = []
    for group, rows in zip(names, _apportion(sizes / sizes.sum(), n), strict=True):
        members = np.flatnonzero(groups == group)
        first = pilot.iloc[members[0]]
        values = {c: None if pd.isna(first[c]) else first[c] for c in spec.sensitive}
        own = labels[members]
        counts = np.bincount(own[own >= 0], minlength=len(classes)).astype(float)
        null_share = float((own < 0).mean())
        mine = counts / counts.sum() if counts.sum() else pooled
        wanted = (1 - null_share) * (mine + spec.strength * (pooled - mine))
        split = _apportion(np.append(wanted, null_share), int(rows))
        for value, count in zip([*classes, None], split, strict=True):
            if count > 0:
                cells.append(({**values, spec.target: value}, int(count)))
    return cells


def make_fair(
    synthetic: pd.DataFrame,
    target: str,
    sensitive: str | Sequence[str],
    *,
    strength: float = 1.0,
    strong: bool = False,
    random_state: RandomState = None,
) -> pd.DataFrame:
    """A copy of ``synthetic`` whose ``target`` has the same distribution in every group of
    the ``sensitive`` columns (their combinations when several), other columns unchanged.

    ``strength`` is the share of each group's distance to the whole table's distribution that
    is closed: 1 (the default) for parity, 0.5 for half the gap, 0 for nothing (a trade-off
    between fairness and faithfulness to the real data). ``strong=True`` (a binary target)
    equalizes the groups' whole distributions of the classifier's probability, not only their
    means ("strong statistical parity", Krchova, Platzer & Tiwald 2023): a model trained on
    the table then selects the groups at the same rate at every threshold. See the module
    docstring for how. This is the "relabel" method; a fitted model's ``sample(n,
    fairness=...)`` draws each group's rows given its target values instead (for classes),
    which keeps more of the table's predictive signal.
    ``synthetic`` is not changed. Raises :class:`~simulacra.errors.ParameterError` when a
    column is missing or the target is also sensitive.
    """
    if not isinstance(synthetic, pd.DataFrame):
        raise ParameterError("make_fair() expects a pandas DataFrame. Got "
                             f"{type(synthetic).__name__} instead.")
    spec = Fairness.parse({"target": target, "sensitive": sensitive, "strength": strength,
                           "strong": strong}, list(synthetic.columns))
    rng = make_rng(random_state)
    out = synthetic.copy()
    if len(out) == 0:
        return out
    groups = _group_codes(out, spec.sensitive)
    column = out[spec.target]
    if _is_ordered(column):
        out[spec.target] = _quantile_map(column, groups, spec.strength, rng)
    else:
        out[spec.target] = _relabel(out, spec.target, groups, spec.strength, spec.strong, rng)
    return out


# --------------------------------------------------------------------------------------------
# Categorical targets: prior shift per group, maximal coupling per row
# --------------------------------------------------------------------------------------------


def _relabel(frame: pd.DataFrame, target: str, groups: np.ndarray, strength: float,
             strong: bool, rng: np.random.Generator) -> pd.Series:
    column = frame[target]
    known = column.notna().to_numpy()
    codes, classes = pd.factorize(column[known], sort=True)
    if len(classes) < 2:
        return column.copy()
    labels = np.full(len(frame), -1)
    labels[known] = codes
    proba = np.zeros((len(frame), len(classes)))
    proba[known] = _out_of_fold_proba(frame.drop(columns=[target])[known], codes,
                                      len(classes), child_seed(rng))
    proba = np.clip(proba, 1e-6, None)
    proba /= proba.sum(axis=1, keepdims=True)
    shares = np.bincount(codes, minlength=len(classes)) / len(codes)
    pooled = np.sort(proba[known, 1]) if strong and len(classes) == 2 else None
    new = labels.copy()
    for group in np.unique(groups):
        rows = np.flatnonzero((groups == group) & known)
        if len(rows) == 0:
            continue
        own = np.bincount(labels[rows], minlength=len(classes)) / len(rows)
        wanted = own + strength * (shares - own)
        if pooled is not None:
            shifted = _quantile_matched(proba[rows], pooled, strength, rng)
        else:
            shifted = _shifted(proba[rows], labels[rows], wanted)
        moved = _couple(labels[rows], proba[rows], shifted, rng)
        new[rows] = _exact_counts(moved, shifted, _apportion(wanted, len(rows)), rng)
    values = column.to_numpy(dtype=object).copy()
    values[known] = np.asarray(classes, dtype=object)[new[known]]
    return pd.Series(values, index=column.index, name=column.name).astype(column.dtype)


def _quantile_matched(q: np.ndarray, pooled: np.ndarray, strength: float,
                      rng: np.random.Generator) -> np.ndarray:
    """A binary target's probabilities of one group moved onto the whole table's
    distribution of them, rank for rank (``strength`` of the way): the group's scores then
    have the same distribution as everyone's."""
    order = np.lexsort((rng.random(len(q)), q[:, 1]))
    ranks = np.empty(len(q))
    ranks[order] = (np.arange(len(q)) + 0.5) / len(q)
    mapped = pooled[np.minimum((ranks * len(pooled)).astype(int), len(pooled) - 1)]
    positive = np.clip(q[:, 1] + strength * (mapped - q[:, 1]), 1e-6, 1 - 1e-6)
    return np.column_stack([1 - positive, positive])


def _shifted(q: np.ndarray, labels: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """``q' ∝ q·w`` with ``w`` such that the coupling's expected class shares are ``shares``."""
    weights = np.ones(q.shape[1])
    for _ in range(WEIGHT_STEPS):
        moved = q * weights
        moved /= moved.sum(axis=1, keepdims=True)
        expected = _expected_shares(labels, q, moved)
        ratio = np.where(expected > 0, shares / np.maximum(expected, 1e-12), 1.0)
        if np.max(np.abs(expected - shares)) < 1e-5:
            break
        weights *= np.sqrt(ratio)  # damped: the coupling's response is not linear in w
        weights /= weights.max()
    moved = q * weights
    return moved / moved.sum(axis=1, keepdims=True)


def _transitions(labels: np.ndarray, q: np.ndarray, moved: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the probability of keeping its class and where it goes otherwise."""
    own = np.arange(len(labels))
    keep = np.minimum(1.0, moved[own, labels] / q[own, labels])
    excess = np.clip(moved - q, 0.0, None)
    total = excess.sum(axis=1, keepdims=True)
    where = np.divide(excess, total, out=np.zeros_like(excess), where=total > 0)
    return keep, where


def _expected_shares(labels: np.ndarray, q: np.ndarray, moved: np.ndarray) -> np.ndarray:
    keep, where = _transitions(labels, q, moved)
    counts = np.bincount(labels, weights=keep, minlength=q.shape[1])
    counts += ((1.0 - keep)[:, None] * where).sum(axis=0)
    return counts / len(labels)


def _couple(labels: np.ndarray, q: np.ndarray, moved: np.ndarray, rng: np.random.Generator
            ) -> np.ndarray:
    keep, where = _transitions(labels, q, moved)
    stays = ~_systematic(1.0 - keep, rng)
    out = labels.copy()
    go = np.flatnonzero(~stays)
    if len(go):
        cumulative = np.cumsum(where[go], axis=1)
        cumulative[:, -1] = 1.0
        drawn = (rng.random(len(go))[:, None] > cumulative).sum(axis=1)
        out[go] = drawn
    return out


def _apportion(shares: np.ndarray, n: int) -> np.ndarray:
    """Whole counts summing to ``n`` in proportion to ``shares`` (largest remainders).

    >>> _apportion(np.array([0.5, 0.3, 0.2]), 7).tolist()
    [4, 2, 1]
    """
    exact = shares * n
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _exact_counts(labels: np.ndarray, moved: np.ndarray, wanted: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """``labels`` with the few moves that make the class counts exactly ``wanted``: rows of a
    class in excess go to one short of rows, each drawn in proportion to how likely ``moved``
    finds that class for it (the coupling's draws leave a row or two of noise per class)."""
    out = labels.copy()
    counts = np.bincount(out, minlength=len(wanted))
    while (counts > wanted).any():
        excess, short = int(np.argmax(counts - wanted)), int(np.argmin(counts - wanted))
        k = int(min(counts[excess] - wanted[excess], wanted[short] - counts[short]))
        rows = np.flatnonzero(out == excess)
        weight = moved[rows, short] + 1e-12
        out[rng.choice(rows, size=k, replace=False, p=weight / weight.sum())] = short
        counts = np.bincount(out, minlength=len(wanted))
    return out


def _systematic(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows chosen each with probability ``p``, as many as ``p.sum()`` rounded up or down
    (systematic sampling in a random order): a group's flips then hit its target count
    rather than scatter around it."""
    order = rng.permutation(len(p))
    cumulative = np.concatenate([[0.0], np.cumsum(p[order])])
    start = rng.random()
    crossed = np.floor(cumulative[1:] - start) > np.floor(cumulative[:-1] - start)
    chosen = np.zeros(len(p), dtype=bool)
    chosen[order] = crossed
    return chosen


def _out_of_fold_proba(features: pd.DataFrame, codes: np.ndarray, n_classes: int, seed: int
                       ) -> np.ndarray:
    """Class probabilities of every row from a model fitted on the other half of the rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, categorical = _ordinal_features(features)
    proba = np.tile(np.bincount(codes, minlength=n_classes) / len(codes), (len(codes), 1))
    if X.shape[1] == 0 or len(codes) < 4:
        return proba  # nothing to tell rows apart: every row gets the table's shares
    fold = np.random.default_rng(seed).permutation(len(codes)) % 2
    for half in (0, 1):
        train, test = fold != half, fold == half
        seen = np.unique(codes[train])
        if len(seen) < 2:
            continue
        model = HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, early_stopping=False, random_state=seed,
            categorical_features=categorical if categorical.any() else None)
        model.fit(X[train], codes[train])
        part = np.zeros((int(test.sum()), n_classes))
        part[:, model.classes_] = model.predict_proba(X[test])
        proba[test] = part
    return proba


def _ordinal_features(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Floats per column (datetimes as seconds, categories as codes) and the categorical mask;
    columns of mostly distinct labels (identifiers, names, free text) are left out."""
    columns, categorical = [], []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            columns.append(pd.to_numeric(series, errors="coerce").astype("float64").to_numpy())
            categorical.append(False)
        elif pd.api.types.is_datetime64_any_dtype(series):
            stamps = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
            seconds = stamps.astype("int64").to_numpy() / 1e9
            columns.append(np.where(series.isna().to_numpy(), np.nan, seconds))
            categorical.append(False)
        else:
            codes, uniques = pd.factorize(series.astype(object), sort=True)
            if len(uniques) > MAX_CATEGORIES:
                continue
            columns.append(np.where(codes < 0, np.nan, codes).astype("float64"))
            categorical.append(True)
    if not columns:
        return np.empty((len(frame), 0)), np.zeros(0, dtype=bool)
    return np.column_stack(columns), np.array(categorical)


# --------------------------------------------------------------------------------------------
# Ordered targets: each group onto the whole table's quantiles
# --------------------------------------------------------------------------------------------


def _is_ordered(column: pd.Series) -> bool:
    """A number or a date with more than :data:`MAX_CLASSES` values (quantile mapping); a
    0/1 or 1–5 code is relabelled as classes, so which rows change follows their features."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column) \
        and column.nunique() > MAX_CLASSES


def _quantile_map(column: pd.Series, groups: np.ndarray, strength: float,
                  rng: np.random.Generator) -> pd.Series:
    known = column.notna().to_numpy()
    pool = column[known].sort_values(kind="stable").to_numpy()
    out = column.copy()
    positions = np.arange(len(column))
    for group in np.unique(groups):
        rows = positions[(groups == group) & known]
        if len(rows) == 0:
            continue
        values = column.iloc[rows].to_numpy()
        order = np.lexsort((rng.random(len(rows)), values))  # ties in random order
        ranks = np.empty(len(rows))
        ranks[order] = (np.arange(len(rows)) + 0.5) / len(rows)
        picks = np.minimum((ranks * len(pool)).astype(int), len(pool) - 1)
        if strength >= 1:
            out.iloc[rows] = pool[picks]
        else:  # each value moved that share of the way to its quantile's value
            mapped = pd.Series(pool[picks], index=column.index[rows])
            own = column.iloc[rows]
            out.iloc[rows] = _between(own, mapped, strength, column)
    return out


def _between(own: pd.Series, mapped: pd.Series, strength: float, column: pd.Series
             ) -> pd.Series:
    """``own + strength · (mapped − own)`` in the column's type (whole numbers stay whole)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return own + (mapped - own) * strength
    moved = own.astype("float64") + strength * (mapped.astype("float64") -
                                                own.astype("float64"))
    if pd.api.types.is_integer_dtype(column):
        moved = moved.round()
    return moved.astype(column.dtype)


def _group_codes(frame: pd.DataFrame, sensitive: Sequence[str]) -> np.ndarray:
    """One integer per row naming its group (the combination of its sensitive values; a
    null is a group of its own)."""
    keys = frame[list(sensitive)].astype(object).where(frame[list(sensitive)].notna(), None)
    return keys.groupby(list(sensitive), dropna=False, sort=False).ngroup().to_numpy()
