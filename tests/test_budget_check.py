"""The budget check: a fit whose privacy budget is too small for its table says so, with advice,
from public and noisy figures only."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from leaks import assert_file_keeps_none_of
from simulacra.privacy.accounting import cdp_rho
from simulacra.privacy.adequacy import (
    ADEQUATE_SHAPE,
    ONE_WAY_SHARE,
    TARGET_SHAPE,
    BudgetWarning,
    check_budget,
    expected_shape,
)

OUTLIER = 987_654_321.0


def table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, n)
    return pd.DataFrame({
        "x": x.round(2),
        "y": (x * 2 + rng.normal(0, 5, n)).round(2),
        "c": np.where(x > 50, "high", "low"),
        "k": rng.integers(0, 20, n),
    })


def budget_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, BudgetWarning)]


# -- the estimate ----------------------------------------------------------------------------
def test_the_expected_shape_grows_with_rows_and_budget_and_falls_with_cells():
    base = check_budget(rho=0.01, cells=[32] * 10, rows=2000, delta=1e-5)
    assert check_budget(rho=0.01, cells=[32] * 10, rows=20_000, delta=1e-5).expected_shape > \
        base.expected_shape
    assert check_budget(rho=0.1, cells=[32] * 10, rows=2000, delta=1e-5).expected_shape > \
        base.expected_shape
    assert check_budget(rho=0.01, cells=[8] * 10, rows=2000, delta=1e-5).expected_shape > \
        base.expected_shape
    assert 0 <= check_budget(rho=1e-9, cells=[32] * 10, rows=10, delta=1e-5).expected_shape < 0.01


def test_the_noise_is_a_quarter_of_the_budget_spread_over_the_columns():
    check = check_budget(rho=0.5, cells=[4] * 25, rows=1000, delta=1e-5)
    assert check.noise == pytest.approx(np.sqrt(25 / (2 * ONE_WAY_SHARE * 0.5)))
    assert check.columns == 25 and check.cell_rows == pytest.approx(250)


def test_the_advised_epsilon_reaches_the_target_shape():
    delta = 1e-5
    check = check_budget(rho=cdp_rho(0.1, delta), cells=[32] * 15, rows=3000, delta=delta)
    assert not check.adequate and check.epsilon_needed > 0.1
    again = check_budget(rho=cdp_rho(check.epsilon_needed, delta), cells=[32] * 15, rows=3000,
                         delta=delta)
    assert again.expected_shape == pytest.approx(TARGET_SHAPE, abs=2e-3)
    assert again.adequate


def test_an_uncertain_row_count_gives_no_epsilon_but_says_why():
    check = check_budget(rho=1e-5, cells=[32] * 15, rows=2500, delta=1e-5, count_noise=1400)
    assert not check.adequate and check.epsilon_needed is None
    assert "even the row count is uncertain by ±1,400 rows" in check.message(0.03)
    sure = check_budget(rho=1e-5, cells=[32] * 15, rows=2500, delta=1e-5, count_noise=100)
    fewer = check_budget(rho=1e-5, cells=[32] * 15, rows=2300, delta=1e-5)
    assert sure.epsilon_needed == pytest.approx(fewer.epsilon_needed)  # advised for 2σ fewer


def test_expected_shape_saturates_per_column():
    assert expected_shape([2, 1000], rows=100, noise=50.0) == pytest.approx(
        0.5 * (1 - 2 * 50 * np.sqrt(2 / np.pi) / 2 / 100))


# -- in a fit --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mst", "aim", "privbayes"])
def test_a_tiny_budget_warns_with_advice_and_an_ample_one_does_not(name):
    small = table(6000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sim.MODELS[name](privacy=sim.PrivacyBudget(0.05), random_state=0).fit(small)
    said = budget_warnings(caught)
    assert len(said) == 1, said
    assert "epsilon=0.05 is too small for this table" in said[0]
    assert "raise epsilon to about" in said[0] and "bins=" in said[0]
    assert model.budget_check_.expected_shape < ADEQUATE_SHAPE
    assert model.budget_check_.epsilon_needed > 0.05
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sim.MODELS[name](privacy=sim.PrivacyBudget(3.0), random_state=0).fit(table(20_000))
    assert budget_warnings(caught) == []
    assert model.budget_check_.adequate


def test_no_check_without_a_budget():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sim.GaussianCopula(random_state=0).fit(table(300))
    assert budget_warnings(caught) == [] and not hasattr(model, "budget_check_")


def test_a_network_under_dp_sgd_checks_too_and_plans_from_the_same_noisy_count():
    pytest.importorskip("torch")
    pytest.importorskip("opacus")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sim.AutoregressiveNetwork(privacy=sim.PrivacyBudget(0.05), epochs=1,
                                          random_state=0).fit(table(300))
    assert len(budget_warnings(caught)) == 1
    assert model.budget_check_.rows == model._noisy_count
    counts = [m for m in model.privacy_report_.mechanisms if "noisy count" in m.what]
    assert len(counts) == 1  # one count, for the schedule and the check


def test_the_warning_keeps_nothing_of_the_rows_and_the_count_is_noisy(tmp_path, caplog):
    df = table(300)
    df.loc[7, "x"] = OUTLIER
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sim.MST(privacy=sim.PrivacyBudget(0.05), random_state=0).fit(df)
    said = budget_warnings(caught) + [r.getMessage() for r in caplog.records]
    assert said and all(str(int(OUTLIER)) not in text and "987" not in text for text in said)
    assert model.budget_check_.rows != len(df)  # ρ of 1 % of ε = 0.05: noise of ~800 rows
    path = tmp_path / "m.simz"
    model.save(path)
    assert_file_keeps_none_of(path, [str(int(OUTLIER)), f"{OUTLIER:g}"], [OUTLIER])


def test_the_command_line_shows_the_warning_as_one_line(tmp_path):
    """Through the console entry point, as a user runs it: ``warning:`` and the message, not
    Python's file-and-line format."""
    data = tmp_path / "small.csv"
    table(300).to_csv(data, index=False)
    result = subprocess.run(
        [sys.executable, "-c", "from simulacra_launcher import main; main()", "fit", str(data),
         "-m", "mst", "--epsilon", "0.05",
         "-o", str(tmp_path / "m.simz"), "--seed", "0"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "warning: epsilon=0.05 is too small for this table" in said
    assert "BudgetWarning" not in said and "private.py" not in said
