"""Cross-check ``shape`` and ``trend`` against SDMetrics' own QualityReport, and the sequence
ports (StatisticMSAS, InterRowMSAS, sequence-length similarity) against SDMetrics' metrics.

SDMetrics needs pandas < 3, so it runs in a separate interpreter named by the environment
variable ``SDMETRICS_PYTHON`` (a throw-away venv with ``sdmetrics`` and ``pyarrow``); the test
writes each table pair to Parquet, runs ``tests/sdmetrics_reference.py`` there, and compares.
Without ``SDMETRICS_PYTHON`` the tests are skipped.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.evaluation.fidelity import column_pair_trends, column_shapes
from simulacra.evaluation.prepare import EvalData, prepare
from simulacra.evaluation.sequence import (
    inter_row_msas,
    inter_row_msas_metric,
    prepare_sequences,
    sequence_length_similarity,
    statistic_msas,
    statistic_msas_metric,
)

sys.path.insert(0, str(Path(__file__).parent))
from conftest import make_mixed
from sequences import ar1_events, shuffled_in_time

SDMETRICS_PYTHON = os.environ.get("SDMETRICS_PYTHON")
REFERENCE_SCRIPT = Path(__file__).with_name("sdmetrics_reference.py")
OVERALL_TOLERANCE = 0.005
ITEM_TOLERANCE = 0.01
#: Both sides compute the same sums in the same order up to floating point.
EXACT_TOLERANCE = 1e-9

pytestmark = pytest.mark.skipif(
    not SDMETRICS_PYTHON,
    reason="set SDMETRICS_PYTHON to a python with sdmetrics + pyarrow (it needs pandas<3, so "
           "it lives in its own venv) to cross-check shape/trend against SDMetrics",
)


def _adult(n: int, seed: int) -> pd.DataFrame:
    return sim.datasets.load_demo().sample(n, random_state=seed).reset_index(drop=True)


def _mixed_with_nulls() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every kind, nulls, a string datetime, a nullable boolean; synthetic from a copula."""
    real = make_mixed(1500, seed=3)
    rng = np.random.default_rng(3)
    flag = pd.Series(rng.random(len(real)) < 0.6, dtype=object)
    flag[rng.random(len(real)) < 0.1] = None
    real["flag"] = flag
    synth = sim.GaussianCopula(random_state=0).fit(real).sample(1200)
    return real, synth


def _edge_cases() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unseen synthetic categories, a constant synthetic column, NaT, exact bin edges."""
    rng = np.random.default_rng(5)
    n = 900
    real = pd.DataFrame({
        "x": rng.normal(size=n).round(3),
        "y": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 11, n).astype(float)),
        "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 11, n) * 36,
                                                             unit="D"),
        "kind": pd.Series(rng.choice(["a", "b", "c"], n), dtype="str"),
        "ok": rng.random(n) < 0.5,
    })
    real.loc[rng.random(n) < 0.1, "when"] = pd.NaT
    synth = real.sample(700, random_state=1).reset_index(drop=True)
    synth["x"] = synth["x"] * 1.3 + 0.2
    synth["y"] = 4.0
    synth.loc[:40, "kind"] = "zzz"
    synth["ok"] = rng.random(len(synth)) < 0.7
    return real, synth


def _shuffled() -> tuple[pd.DataFrame, pd.DataFrame]:
    real = _adult(3000, seed=11)
    rng = np.random.default_rng(11)
    synth = pd.DataFrame({c: real[c].to_numpy()[rng.permutation(len(real))] for c in real})
    return real, synth


def _copula_adult() -> tuple[pd.DataFrame, pd.DataFrame]:
    real = _adult(4000, seed=7)
    return real, sim.GaussianCopula(random_state=0).fit(real).sample(4000)


CASES = {
    "adult_copula": _copula_adult,
    "mixed_nulls": _mixed_with_nulls,
    "edge_cases": _edge_cases,
    "adult_shuffled": _shuffled,
}


def _write_case(directory: Path, real: pd.DataFrame, synth: pd.DataFrame) -> EvalData:
    """Write the compared columns as SDMetrics sees them (string datetimes stay strings)."""
    data = prepare(real, synth)
    directory.mkdir(parents=True)
    columns = {}
    for column, kind in data.kinds.items():
        meta = {"sdtype": kind.kind}
        fmt = getattr(kind, "format", None)
        if kind.temporal and not pd.api.types.is_datetime64_any_dtype(real[column].dtype):
            meta["datetime_format"] = fmt
        columns[column] = meta
    (directory / "metadata.json").write_text(json.dumps({"columns": columns}))
    real[list(data.kinds)].to_parquet(directory / "real.parquet")
    synth[list(data.kinds)].to_parquet(directory / "synthetic.parquet")
    return data


@pytest.fixture(scope="module")
def agreement(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[EvalData, dict]]:
    root = tmp_path_factory.mktemp("sdmetrics")
    datas = {name: _write_case(root / name, *make()) for name, make in CASES.items()}
    proc = subprocess.run(
        [SDMETRICS_PYTHON, str(REFERENCE_SCRIPT), *[str(root / name) for name in CASES]],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"sdmetrics_reference.py failed:\n{proc.stderr[-4000:]}"
    out = json.loads(proc.stdout)
    return {name: (datas[name], out["results"][str(root / name)]) for name in CASES}


def _close(ours: float | None, theirs: float | None, tolerance: float) -> bool:
    return _gap(ours, theirs) <= tolerance


def _gap(ours: float | None, theirs: float | None) -> float:
    """|ours − theirs|; 0 when both are undefined, inf when only one is."""
    ours = None if ours is None or math.isnan(ours) else ours
    if ours is None or theirs is None:
        return 0.0 if ours is None and theirs is None else math.inf
    return abs(ours - theirs)


def _differences(data: EvalData, ref: dict) -> dict[str, float]:
    """Largest gap between our figures and SDMetrics', overall and per column / pair."""
    shape, trend = column_shapes(data), column_pair_trends(data)
    cols = [_gap(a["score"], b["score"])
            for a, b in zip(shape.details["columns"], ref["columns"], strict=True)]
    pairs = [_gap(a[key], b[key]) for a, b in zip(trend.details["pairs"], ref["pairs"],
                                                  strict=True)
             for key in ("score", "real", "synthetic")]
    return {"shape": _gap(shape.value, ref["shape"]), "trend": _gap(trend.value, ref["trend"]),
            "trend_default_thresholds": _gap(trend.details["sdmetrics_defaults"]["value"],
                                             ref["trend_default_thresholds"]),
            "column": max(cols, default=0.0), "pair": max(pairs, default=0.0)}


@pytest.mark.parametrize("case", list(CASES))
def test_column_shapes_agree(agreement: dict, case: str) -> None:
    data, ref = agreement[case]
    ours = column_shapes(data)
    assert abs(ours.value - ref["shape"]) <= OVERALL_TOLERANCE, (ours.value, ref["shape"])
    assert [c["column"] for c in ours.details["columns"]] == [c["column"] for c in ref["columns"]]
    for mine, theirs in zip(ours.details["columns"], ref["columns"], strict=True):
        assert mine["metric"] == theirs["metric"]
        assert _close(mine["score"], theirs["score"], ITEM_TOLERANCE), (mine, theirs)


@pytest.mark.parametrize("case", list(CASES))
def test_column_pair_trends_agree(agreement: dict, case: str) -> None:
    data, ref = agreement[case]
    ours = column_pair_trends(data)
    assert abs(ours.value - ref["trend"]) <= OVERALL_TOLERANCE, (ours.value, ref["trend"])
    assert len(ours.details["pairs"]) == len(ref["pairs"])
    for mine, theirs in zip(ours.details["pairs"], ref["pairs"], strict=True):
        assert (mine["column_1"], mine["column_2"], mine["metric"]) == (
            theirs["column_1"], theirs["column_2"], theirs["metric"])
        assert _close(mine["score"], theirs["score"], ITEM_TOLERANCE), (mine, theirs)
        if mine["metric"] == "CorrelationSimilarity":
            assert _close(mine["real"], theirs["real"], ITEM_TOLERANCE), (mine, theirs)
            assert _close(mine["synthetic"], theirs["synthetic"], ITEM_TOLERANCE), (mine, theirs)


@pytest.mark.parametrize("case", list(CASES))
def test_default_thresholds_agree(agreement: dict, case: str) -> None:
    """SDMetrics >= 0.32 counts only strongly associated real pairs by default."""
    data, ref = agreement[case]
    ours = column_pair_trends(data).details["sdmetrics_defaults"]["value"]
    assert _close(ours, ref["trend_default_thresholds"], OVERALL_TOLERANCE), (
        ours, ref["trend_default_thresholds"])


@pytest.mark.parametrize("case", list(CASES))
def test_agreement_is_exact_to_floating_point(agreement: dict, case: str) -> None:
    """Not just close: the same definition, so the same number up to rounding error."""
    data, ref = agreement[case]
    worst = _differences(data, ref)
    print(case, worst)
    assert max(worst.values()) <= EXACT_TOLERANCE, worst


def test_shuffled_columns_keep_shape_lose_trend(agreement: dict) -> None:
    data, ref = agreement["adult_shuffled"]
    assert ref["shape"] == pytest.approx(1.0)
    assert column_shapes(data).value == pytest.approx(1.0)
    assert ref["trend"] < 0.95
    assert column_pair_trends(data).value == pytest.approx(ref["trend"], abs=EXACT_TOLERANCE)


# -- sequences: StatisticMSAS, InterRowMSAS, SequenceLengthSimilarity --------------------------

STATISTICS = ["mean", "median", "std", "min", "max"]
ROWS_DIFF = [1, 2, 5]
LOGS = [False, True]


def _with_columns(events: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Plus a positive column (for apply_log), one with zeros and negatives, and nulls."""
    rng = np.random.default_rng(seed)
    out = events.copy()
    out["amount"] = np.exp(out["x"] / 3).round(6)
    out["level"] = np.round(out["y"], 0)            # zeros and negatives: log gives -inf, NaN
    out.loc[rng.random(len(out)) < 0.05, "x"] = np.nan
    return out


def _short_sequences() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One- to three-event sequences (std undefined, n_rows_diff beyond most), null keys."""
    real = _with_columns(ar1_events(200, 21, low=1, high=4), 21)
    synth = _with_columns(ar1_events(150, 22, low=1, high=6), 22)
    synth.loc[synth.index[::37], "user"] = None
    return real, synth


SEQUENCE_CASES = {
    "ar1_twin": lambda: (_with_columns(ar1_events(300, 11), 11),
                         _with_columns(ar1_events(250, 12), 12)),
    "ar1_shuffled": lambda: (_with_columns(ar1_events(300, 13), 13),
                             _with_columns(shuffled_in_time(ar1_events(300, 14)), 14)),
    "short_sequences": _short_sequences,
}


@pytest.fixture(scope="module")
def sequence_agreement(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each case's tables (rows grouped by entity in time order) and SDMetrics' figures."""
    root = tmp_path_factory.mktemp("sdmetrics_sequences")
    cases = {}
    spec = {"key": "user", "columns": ["x", "amount", "level"], "statistics": STATISTICS,
            "n_rows_diff": ROWS_DIFF, "apply_log": LOGS}
    for name, make in SEQUENCE_CASES.items():
        real, synth = make()
        directory = root / name
        directory.mkdir()
        (directory / "metadata.json").write_text(json.dumps({"columns": {},
                                                             "sequences": spec}))
        real.to_parquet(directory / "real.parquet")
        synth.to_parquet(directory / "synthetic.parquet")
        cases[name] = (real, synth)
    proc = subprocess.run(
        [SDMETRICS_PYTHON, str(REFERENCE_SCRIPT), *[str(root / name) for name in cases]],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"sdmetrics_reference.py failed:\n{proc.stderr[-4000:]}"
    out = json.loads(proc.stdout)
    return {name: (*cases[name], out["results"][str(root / name)]) for name in cases}


@pytest.mark.parametrize("case", list(SEQUENCE_CASES))
def test_statistic_msas_agrees(sequence_agreement: dict, case: str) -> None:
    real, synth, ref = sequence_agreement[case]
    for column, theirs in ref["statistic"].items():
        for stat in STATISTICS:
            ours = statistic_msas(real["user"], real[column], synth["user"], synth[column],
                                  stat)
            assert _gap(ours, theirs[stat]) <= EXACT_TOLERANCE, (column, stat, ours, theirs)


@pytest.mark.parametrize("case", list(SEQUENCE_CASES))
def test_inter_row_msas_agrees(sequence_agreement: dict, case: str) -> None:
    real, synth, ref = sequence_agreement[case]
    for column, theirs in ref["inter_row"].items():
        for n in ROWS_DIFF:
            for log in LOGS:
                ours = inter_row_msas(real["user"], real[column], synth["user"], synth[column],
                                      n_rows_diff=n, apply_log=log)
                assert _gap(ours, theirs[f"{n}-{log}"]) <= EXACT_TOLERANCE, (
                    column, n, log, ours, theirs)


@pytest.mark.parametrize("case", list(SEQUENCE_CASES))
def test_sequence_figures_agree(sequence_agreement: dict, case: str) -> None:
    """The Metrics evaluate() reports: events ordered by the index, as written here."""
    real, synth, ref = sequence_agreement[case]
    data = prepare_sequences(real, synth, sim.Metadata.detect(real, sequence_key="user"))
    assert data.index == "when" and data.numeric == ["x", "y", "amount", "level"]
    assert _gap(sequence_length_similarity(data).value, ref["length"]) <= EXACT_TOLERANCE
    checked = 0
    for row in statistic_msas_metric(data).details["columns"]:
        if row["column"] in ref["statistic"]:
            checked += 1
            assert _gap(row["score"], ref["statistic"][row["column"]]["mean"]) \
                <= EXACT_TOLERANCE, row
    for row in inter_row_msas_metric(data).details["columns"]:
        if row["column"] in ref["inter_row"]:
            checked += 1
            assert _gap(row["score"], ref["inter_row"][row["column"]]["1-False"]) \
                <= EXACT_TOLERANCE, row
    assert checked == 6


def test_shuffled_sequences_keep_statistics_lose_steps(sequence_agreement: dict) -> None:
    """Not a vacuous agreement: SDMetrics itself tells the shuffled copy apart."""
    *_, twin = sequence_agreement["ar1_twin"]
    *_, shuffled = sequence_agreement["ar1_shuffled"]
    assert shuffled["inter_row"]["x"]["1-False"] < twin["inter_row"]["x"]["1-False"] - 0.1
    assert shuffled["statistic"]["x"]["mean"] > 0.8
