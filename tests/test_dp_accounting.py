"""The privacy core: the accountant, budgets and ledgers, and each mechanism's noise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulacra as sim
from simulacra.privacy import PrivacyBudget, PrivacyLedger, cdp_delta, cdp_epsilon, cdp_rho
from simulacra.privacy.accounting import gaussian_exact_delta, gaussian_sigma
from simulacra.privacy.mechanisms import (
    exponential_mechanism,
    frequent_values,
    gaussian_counts,
    threshold,
)

# -- accountant ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0, 5.0, 20.0])
@pytest.mark.parametrize("epsilon", [0.1, 0.5, 1.0, 3.0, 10.0])
def test_zcdp_never_claims_less_than_the_exact_gaussian_delta(sigma, epsilon):
    """Balle & Wang's exact δ(ε) of the Gaussian mechanism is a floor no accountant may beat."""
    claimed = cdp_delta(1 / (2 * sigma ** 2), epsilon)  # the Gaussian mechanism is ρ-zCDP
    exact = gaussian_exact_delta(sigma, epsilon)
    assert claimed >= exact * (1 - 1e-9)
    # and it is tight enough to be worth using: within 10x of exact where δ is small
    if exact > 1e-12:
        assert claimed <= 10 * exact + 1e-12


@pytest.mark.parametrize(("rho", "delta"), [(0.01, 1e-5), (0.1, 1e-6), (1.0, 1e-5), (5.0, 1e-9)])
def test_conversion_beats_the_classic_bound_and_inverts(rho, delta):
    eps = cdp_epsilon(rho, delta)
    classic = rho + 2 * math.sqrt(rho * math.log(1 / delta))  # Bun & Steinke 2016, Prop. 1.3
    assert eps < classic
    assert cdp_delta(rho, eps) <= delta * (1 + 1e-6)
    assert cdp_delta(rho, eps * 0.99) > delta  # smallest such ε
    assert cdp_rho(eps, delta) == pytest.approx(rho, rel=1e-6)


@pytest.mark.parametrize("epsilon", [1e3, 1e6, 1e9])
def test_very_large_epsilon_converts_without_overflow(epsilon):
    """δ is capped in log space (exp of a large ρ's exponent overflowed: 'math range error'),
    and the minimising order may lie close to 1, so the round trip stays exact."""
    rho = cdp_rho(epsilon, 1e-5)
    assert cdp_epsilon(rho, 1e-5) == pytest.approx(epsilon, rel=1e-9)
    assert cdp_delta(rho, 0.0) == 1.0
    ledger = PrivacyLedger(PrivacyBudget(epsilon), 1000)
    ledger.spend("metadata", "everything", ledger.total_rho)
    assert ledger.report().epsilon <= epsilon * (1 + 1e-9)


def test_regression_values():
    """Values of the tight conversion (the same figures as the doctests of accounting.py)."""
    assert cdp_epsilon(0.5, 1e-5) == pytest.approx(4.728, abs=1e-3)
    assert cdp_rho(1.0, 1e-5) == pytest.approx(0.0306, abs=1e-4)
    assert cdp_rho(1.0, 1e-9) == pytest.approx(0.01497, abs=1e-5)


@settings(max_examples=40, deadline=None)
@given(rho=st.floats(1e-4, 20.0), delta=st.floats(1e-12, 1e-2))
def test_epsilon_grows_with_rho(rho, delta):
    assert cdp_epsilon(rho, delta) < cdp_epsilon(rho * 1.5, delta)


# -- budget and ledger --------------------------------------------------------------------------


@pytest.mark.parametrize("eps", [0, -1, float("nan"), float("inf"), "1", True, None])
def test_budget_refuses_bad_epsilon(eps):
    with pytest.raises(sim.ParameterError, match="'epsilon' parameter"):
        PrivacyBudget(eps)


@pytest.mark.parametrize("delta", [0, 1, 1.5, -1e-5, "1e-5"])
def test_budget_refuses_bad_delta(delta):
    with pytest.raises(sim.ParameterError, match="'delta' parameter"):
        PrivacyBudget(1.0, delta)


def test_delta_must_stay_below_one_over_n():
    with pytest.raises(sim.ParameterError, match=r"below 1/rows = 0\.01"):
        PrivacyBudget(1.0, delta=0.01).resolve_delta(100)


def test_default_delta_is_never_derived_from_the_row_count():
    """δ = 0.1/rows would publish the row count in every model file's privacy report."""
    assert {PrivacyBudget(1.0).resolve_delta(n) for n in (600, 999, 1000, 12_345, 99_999)} \
        == {1e-5}
    with pytest.raises(sim.ParameterError, match=r"defaults to 1e-05; give e\.g\. delta=1e-07"):
        PrivacyBudget(1.0).resolve_delta(10**6)  # too large a δ for a table this size


def test_ledger_spends_exactly_the_budget_and_refuses_more():
    ledger = PrivacyLedger(PrivacyBudget(2.0, 1e-6), n_rows=5000)
    ledger.spend("metadata", "bounds", ledger.total_rho * 0.1, delta=ledger.threshold_delta / 2)
    ledger.spend("model", "marginals", ledger.remaining_rho)
    report = ledger.report()
    assert report.epsilon == pytest.approx(2.0, rel=1e-6)
    assert report.delta == 1e-6
    assert report.stages["metadata"].share == pytest.approx(0.1)
    assert report.stages["model"].share == pytest.approx(0.9)
    assert "zCDP" in report.accountant
    with pytest.raises(RuntimeError, match="overspent"):
        ledger.spend("model", "one more", 1e-3)
    with pytest.raises(RuntimeError, match="threshold δ overspent"):
        ledger.spend("metadata", "categories", 0.0, delta=ledger.threshold_delta)


# -- mechanisms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.01, 0.5, 8.0])
def test_gaussian_noise_has_the_stated_scale(rho):
    rng = np.random.default_rng(0)
    noisy = gaussian_counts(np.full(200_000, 10.0), rho, rng)
    assert np.std(noisy - 10.0) == pytest.approx(1 / math.sqrt(2 * rho), rel=0.01)
    assert abs(np.mean(noisy - 10.0)) < 0.01 / math.sqrt(rho)


def test_exponential_mechanism_probabilities():
    """P(i) ∝ exp(ε·score_i / (2Δ)) with ε = √(8ρ): check the odds of two candidates."""
    rng = np.random.default_rng(1)
    rho = 0.5
    eps = math.sqrt(8 * rho)
    scores = np.array([0.0, 1.0, -50.0])
    picks = np.bincount([exponential_mechanism(scores, 1.0, rho, rng) for _ in range(20_000)],
                        minlength=3)
    assert picks[2] == 0
    assert picks[1] / picks[0] == pytest.approx(math.exp(eps / 2), rel=0.06)
    # doubling the sensitivity halves the exponent
    picks = np.bincount([exponential_mechanism(scores, 2.0, rho, rng) for _ in range(20_000)],
                        minlength=3)
    assert picks[1] / picks[0] == pytest.approx(math.exp(eps / 4), rel=0.06)


def test_stable_histogram_publishes_a_unique_value_at_most_delta_often():
    rho, delta = 0.05, 0.05  # a large δ so the rare event is measurable
    rng = np.random.default_rng(2)
    values = pd.Series(["common"] * 500 + ["unique"])
    hits = sum("unique" in frequent_values(values, rho, delta, rng) for _ in range(4000))
    assert hits / 4000 <= delta * 1.3
    assert threshold(rho, delta) == pytest.approx(1 + 1.6449 * gaussian_sigma(rho), rel=1e-4)
    kept = frequent_values(values, rho, delta, rng)
    assert set(kept) == {"common"} and abs(kept["common"] - 500) < 6 * gaussian_sigma(rho)


def test_non_private_models_refuse_a_budget():
    with pytest.raises(sim.ParameterError, match=r"no differentially private mode.*use one of aim"):
        sim.GaussianCopula(privacy=PrivacyBudget(1.0))
