"""The ledger's RDP curves: a stage accounted in Rényi DP (DP-SGD of a text column's model)
spends its curve in the same ledger as the zCDP stages, and every later stage — the discrete
models spending ``remaining_rho``, the neural models' DP-SGD — accounts for it soundly."""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.privacy import PrivacyBudget, PrivacyLedger, cdp_epsilon, cdp_rho
from simulacra.privacy.budget import ACCOUNTANT, RDP_ACCOUNTANT
from simulacra.privacy.renyi import DEFAULT_ORDERS, rdp_epsilon, zcdp_rdp, zcdp_room

needs_opacus = pytest.mark.skipif(importlib.util.find_spec("opacus") is None,
                                  reason="sgd_rdp needs opacus")


def sgd(q: float = 0.01, sigma: float = 2.0, steps: int = 400) -> np.ndarray:
    from simulacra.privacy.rdp import sgd_rdp

    return sgd_rdp(q, sigma, steps)


def ledger_with_metadata(epsilon: float = 2.0, share: float = 0.1) -> PrivacyLedger:
    ledger = PrivacyLedger(PrivacyBudget(epsilon, 1e-6), n_rows=5000)
    ledger.spend("metadata", "bounds", share * ledger.total_rho,
                 delta=ledger.threshold_delta / 2)
    return ledger


# -- without curves: nothing changes ------------------------------------------------------------


def test_a_ledger_without_curves_reports_exactly_the_zcdp_conversion():
    """Expected values from the cdp formulas (ρ's exact in binary, shares 1/4 and 3/4),
    compared byte for byte in the JSON form model files keep."""
    ledger = PrivacyLedger(PrivacyBudget(1.0), n_rows=1000)
    assert ledger.conversion_delta == pytest.approx(9e-6, rel=1e-12)
    assert ledger.total_rho == cdp_rho(1.0, 1e-5 - 1e-6)
    assert ledger.total_rho == pytest.approx(0.030208, abs=1e-6)
    meta, model = 2.0 ** -9, 3 * 2.0 ** -9
    ledger.spend("metadata", "bounds", meta, delta=1e-7)
    ledger.spend("model", "marginals", model)
    assert ledger.spent_rho == ledger.spent_rho_equivalent == 2.0 ** -7
    assert ledger.remaining_rho == ledger.total_rho - 2.0 ** -7
    assert not ledger.has_curves
    assert np.array_equal(ledger.spent_rdp(), 2.0 ** -7 * DEFAULT_ORDERS)
    expected = {
        "epsilon": cdp_epsilon(2.0 ** -7, 1e-5 - 1e-6), "delta": 1e-5,
        "budget": {"epsilon": 1.0, "delta": None}, "rho": 2.0 ** -7, "accountant": ACCOUNTANT,
        "stages": {"metadata": {"rho": meta, "delta": 1e-7, "share": 0.25},
                   "model": {"rho": model, "delta": 0.0, "share": 0.75}},
        "mechanisms": [
            {"stage": "metadata", "what": "bounds", "rho": meta, "delta": 1e-7},
            {"stage": "model", "what": "marginals", "rho": model, "delta": 0.0}],
    }
    report = ledger.report()
    assert json.dumps(report.to_dict()) == json.dumps(expected)
    # ρ = 1/128 at δ = 9e-6: under the classic bound ρ + 2√(ρ log 1/δ) ≈ 0.617
    assert 0.45 < report.epsilon < 2.0 ** -7 + 2 * math.sqrt(2.0 ** -7 * math.log(1 / 9e-6))
    assert "zCDP" in report.accountant and report.rdp_order is None


def test_a_zero_curve_changes_nothing_of_the_accounting():
    """DP-SGD that took no step spends an all-zero curve: the ledger stays analytic."""
    ledger = ledger_with_metadata()
    before = ledger.remaining_rho
    ledger.spend_rdp("text", "no step taken", np.zeros(len(DEFAULT_ORDERS)))
    assert not ledger.has_curves
    assert ledger.remaining_rho == before == ledger.total_rho - ledger.spent_rho
    assert ledger.remaining_rho_after(np.zeros(len(DEFAULT_ORDERS))) == before
    ledger.spend("model", "marginals", ledger.remaining_rho)
    report = ledger.report()
    assert report.epsilon == cdp_epsilon(ledger.spent_rho, ledger.conversion_delta)
    assert report.stages["text"].rho == 0.0 and report.rdp_order is None


# -- with curves ---------------------------------------------------------------------------------


@needs_opacus
def test_report_with_a_curve_is_the_rdp_conversion_of_the_sum():
    ledger = ledger_with_metadata()
    meta = ledger.spent_rho
    curve = sgd()
    ledger.spend_rdp("text", "language model of notes", curve)
    assert ledger.has_curves
    total = zcdp_rdp(meta) + curve
    assert np.allclose(ledger.spent_rdp(), total, rtol=1e-15, atol=0)
    epsilon, order = rdp_epsilon(total, DEFAULT_ORDERS, ledger.conversion_delta)
    report = ledger.report()
    assert report.epsilon == pytest.approx(epsilon, rel=1e-12)
    assert report.rdp_order == order
    at = int(np.flatnonzero(order == DEFAULT_ORDERS)[0])
    assert report.rho == pytest.approx(total[at] / order, rel=1e-12)
    assert report.stages["metadata"].rho == meta  # a zCDP stage: exactly its ρ
    assert report.stages["metadata"].delta == ledger.threshold_delta / 2
    assert report.stages["text"].rho == pytest.approx(curve[at] / order, rel=1e-12)
    assert report.stages["text"].epsilon_alone == pytest.approx(
        rdp_epsilon(curve, DEFAULT_ORDERS, ledger.conversion_delta)[0], rel=1e-12)
    assert report.stages["metadata"].share == pytest.approx(meta * order / total[at], abs=1e-6)
    assert sum(s.share for s in report.stages.values()) == pytest.approx(1.0, abs=1e-5)
    assert [(m.stage, m.what) for m in report.mechanisms] == [
        ("metadata", "bounds"), ("text", "language model of notes")]
    assert report.mechanisms[1].rho == report.stages["text"].rho
    assert report.accountant == RDP_ACCOUNTANT
    assert type(report).from_dict(json.loads(json.dumps(report.to_dict()))) == report


@needs_opacus
def test_spending_what_remains_after_a_curve_lands_on_the_budget():
    ledger = ledger_with_metadata()
    before = ledger.remaining_rho
    curve = sgd()
    ledger.spend_rdp("text", "language model", curve)
    remaining = ledger.remaining_rho
    assert 0 < remaining < before
    # the largest ρ that fits: a little more would not
    spent = ledger.spent_rdp()
    delta = ledger.conversion_delta
    assert rdp_epsilon(spent + zcdp_rdp(remaining), DEFAULT_ORDERS, delta)[0] <= 2.0
    assert rdp_epsilon(spent + zcdp_rdp(remaining * (1 + 1e-6)), DEFAULT_ORDERS, delta)[0] > 2.0
    # curves count in the budget's progress
    assert ledger.spent_rho_equivalent == pytest.approx(ledger.total_rho - remaining)
    assert ledger.spent_rho_equivalent > ledger.spent_rho
    ledger.spend("model", "marginals", remaining)
    report = ledger.report()
    assert report.epsilon <= 2.0
    assert report.epsilon == pytest.approx(2.0, rel=1e-3)
    assert list(report.stages) == ["metadata", "text", "model"]
    assert report.stages["model"].rho == remaining
    assert ledger.remaining_rho == pytest.approx(0.0, abs=1e-12 * ledger.total_rho)
    with pytest.raises(RuntimeError, match="overspent"):
        ledger.spend("model", "one more", 1e-3 * ledger.total_rho)


@needs_opacus
def test_many_small_zcdp_spends_after_a_curve_add_up_to_the_budget():
    """remaining_rho is exact on the grid, so after a curve zCDP spends take from it one for
    one (as MST's thirds and PrivBayes' shares do)."""
    ledger = ledger_with_metadata(epsilon=1.0)
    ledger.spend_rdp("text", "language model", sgd(0.02, 3.0, 200))
    start = ledger.remaining_rho
    for k in range(30, 0, -1):
        rho = ledger.remaining_rho / k
        ledger.spend("model", f"marginal {k}", rho)
        assert ledger.remaining_rho == pytest.approx(start * (k - 1) / 30, rel=1e-6,
                                                     abs=1e-12)
    assert ledger.report().epsilon == pytest.approx(1.0, rel=1e-6)
    assert ledger.report().epsilon <= 1.0 * (1 + 1e-9)


@needs_opacus
def test_remaining_rho_after_a_curve_is_what_spending_it_leaves():
    ledger = ledger_with_metadata()
    first, second = sgd(0.01, 2.0, 300), sgd(0.05, 4.0, 100)
    for curve in (first, second):
        predicted = ledger.remaining_rho_after(curve)
        assert predicted < ledger.remaining_rho
        ledger.spend_rdp("text", "language model", curve)
        assert ledger.remaining_rho == pytest.approx(predicted, rel=1e-12)
    assert ledger.remaining_rho_after(zcdp_rdp(10 * ledger.total_rho)) == 0.0


def test_overspending_with_a_curve_raises_and_records_nothing():
    ledger = ledger_with_metadata(epsilon=1.0)
    with pytest.raises(RuntimeError, match="overspent"):
        ledger.spend_rdp("text", "language model", zcdp_rdp(ledger.total_rho))
    assert len(ledger.entries) == 1 and not ledger.has_curves
    # a spend of everything zCDP left is then refused even a tiny curve
    ledger.spend("model", "marginals", ledger.remaining_rho)
    with pytest.raises(RuntimeError, match="overspent"):
        ledger.spend_rdp("text", "language model", zcdp_rdp(1e-6 * ledger.total_rho))


@pytest.mark.parametrize("curve", [np.zeros(3), np.zeros((len(DEFAULT_ORDERS), 1)),
                                   np.full(len(DEFAULT_ORDERS), -1e-3),
                                   np.full(len(DEFAULT_ORDERS), np.nan)])
def test_a_curve_off_the_grid_negative_or_nan_is_refused(curve):
    ledger = ledger_with_metadata()
    with pytest.raises(ValueError, match="RDP curve"):
        ledger.spend_rdp("text", "language model", curve)
    with pytest.raises(ValueError, match="RDP curve"):
        ledger.remaining_rho_after(curve)
    assert len(ledger.entries) == 1


def test_an_infinite_order_is_a_valid_curve_and_the_ledger_keeps_a_copy():
    ledger = ledger_with_metadata()
    curve = zcdp_rdp(0.05 * ledger.total_rho)
    curve[-5:] = np.inf  # opacus gives inf where an order bounds nothing
    ledger.spend_rdp("text", "language model", curve)
    curve[:] = 0.0  # the caller's array is not the ledger's
    assert ledger.has_curves and np.isinf(ledger.spent_rdp()[-1])
    assert 0 < ledger.remaining_rho < 0.85 * ledger.total_rho
    assert math.isfinite(ledger.report().epsilon)


def test_zcdp_room_is_the_grid_version_of_cdp_rho():
    """With nothing spent the grid's room is the exact conversion's, a hair less."""
    for epsilon in (0.1, 1.0, 8.0):
        room = zcdp_room(np.zeros(len(DEFAULT_ORDERS)), epsilon, 1e-6)
        assert 0.99 * cdp_rho(epsilon, 1e-6) < room <= cdp_rho(epsilon, 1e-6)
        assert rdp_epsilon(zcdp_rdp(room), DEFAULT_ORDERS, 1e-6)[0] <= epsilon


@needs_opacus
@settings(max_examples=25, deadline=None)
@given(spends=st.lists(st.tuples(st.floats(0.001, 0.1), st.floats(0.8, 8.0),
                                 st.integers(1, 300)), min_size=1, max_size=4),
       epsilon=st.sampled_from([0.5, 1.0, 4.0]))
def test_remaining_rho_never_grows_as_curves_are_added(spends, epsilon):
    ledger = ledger_with_metadata(epsilon=epsilon)
    for q, sigma, steps in spends:
        before = ledger.remaining_rho
        curve = sgd(q, sigma, steps)
        predicted = ledger.remaining_rho_after(curve)
        assert predicted <= before
        try:
            ledger.spend_rdp("text", "language model", curve)
        except RuntimeError:
            assert predicted == 0.0
            continue
        assert ledger.remaining_rho <= before
        assert ledger.remaining_rho == pytest.approx(predicted, rel=1e-9, abs=1e-15)
    remaining = ledger.remaining_rho
    ledger.spend("model", "marginals", remaining)
    reached = ledger.report().epsilon
    assert reached <= epsilon * (1 + 1e-9)
    if remaining > 0:
        assert reached == pytest.approx(epsilon, rel=1e-6)


# -- DP-SGD after the ledger: calibrate_noise and composed_report -------------------------------


@needs_opacus
def test_calibrate_noise_counts_a_fixed_curve():
    from simulacra.privacy.rdp import calibrate_noise

    ledger = ledger_with_metadata(epsilon=3.0)
    ledger.spend_rdp("text", "language model", sgd(0.02, 1.5, 300))
    fixed, delta = ledger.spent_rdp(), ledger.conversion_delta

    def reached(sigma: float) -> float:
        return rdp_epsilon(fixed + sgd(0.01, sigma, 500), DEFAULT_ORDERS, delta)[0]

    sigma = calibrate_noise(3.0, delta, sample_rate=0.01, steps=500, fixed=fixed)
    assert 0.99 * 3.0 < reached(sigma) <= 3.0
    assert reached(sigma * 0.99) > 3.0  # the smallest noise that fits
    # the curve costs noise: ρ alone (the old call) asks for less
    assert calibrate_noise(3.0, delta, sample_rate=0.01, steps=500,
                           rho=ledger.spent_rho) < sigma
    # rho= and fixed= are the same thing for a zCDP stage, and add up
    assert calibrate_noise(3.0, delta, sample_rate=0.01, steps=500, rho=0.01) == \
        calibrate_noise(3.0, delta, sample_rate=0.01, steps=500, fixed=zcdp_rdp(0.01))
    assert calibrate_noise(3.0, delta, sample_rate=0.01, steps=500, rho=0.01,
                           fixed=zcdp_rdp(0.01)) == \
        calibrate_noise(3.0, delta, sample_rate=0.01, steps=500, rho=0.02)
    with pytest.raises(ValueError, match="alone"):
        calibrate_noise(3.0, delta, sample_rate=0.01, steps=10, fixed=zcdp_rdp(10.0))
    with pytest.raises(ValueError, match="RDP curve"):
        calibrate_noise(3.0, delta, sample_rate=0.01, steps=10, fixed=np.zeros(4))


@needs_opacus
def test_composed_report_shows_the_text_stage_beside_metadata_and_model():
    from simulacra.privacy.rdp import STAGED_ACCOUNTANT, calibrate_noise, composed_report

    ledger = ledger_with_metadata(epsilon=3.0)
    text = sgd(0.02, 1.5, 300)
    ledger.spend_rdp("text", "language model of notes", text)
    delta = ledger.conversion_delta
    sigma = calibrate_noise(3.0, delta, sample_rate=0.01, steps=500, fixed=ledger.spent_rdp())
    report = composed_report(ledger=ledger, sample_rate=0.01, noise_multiplier=sigma,
                             steps=500, max_grad_norm=1.0)
    model = sgd(0.01, sigma, 500)
    epsilon, order = rdp_epsilon(ledger.spent_rdp() + model, DEFAULT_ORDERS, delta)
    assert report.epsilon == pytest.approx(epsilon, rel=1e-12) and report.rdp_order == order
    assert 0.99 * 3.0 < report.epsilon <= 3.0
    assert list(report.stages) == ["metadata", "text", "model"]
    assert sum(s.share for s in report.stages.values()) == pytest.approx(1.0, abs=1e-5)
    assert all(s.share > 0 for s in report.stages.values())
    at = int(np.flatnonzero(order == DEFAULT_ORDERS)[0])
    assert report.stages["metadata"].rho == ledger.spent_rho
    assert report.stages["text"].rho == pytest.approx(text[at] / order, rel=1e-12)
    assert report.stages["model"].rho == pytest.approx(model[at] / order, rel=1e-12)
    assert report.stages["text"].epsilon_alone == pytest.approx(
        rdp_epsilon(text, DEFAULT_ORDERS, delta)[0], rel=1e-12)
    assert [m.stage for m in report.mechanisms] == ["metadata", "text", "model"]
    assert report.accountant == STAGED_ACCOUNTANT
    assert (report.noise_multiplier, report.steps, report.sample_rate) == (sigma, 500, 0.01)


@needs_opacus
def test_composed_report_without_curves_is_as_before():
    """The composition of the metadata ρ and DP-SGD, as composed_report always gave it."""
    from simulacra.privacy.rdp import ACCOUNTANT as SGD_ACCOUNTANT
    from simulacra.privacy.rdp import composed_report

    ledger = ledger_with_metadata(epsilon=3.0)
    meta, model = zcdp_rdp(ledger.spent_rho), sgd(0.01, 1.2, 500)
    report = composed_report(ledger=ledger, sample_rate=0.01, noise_multiplier=1.2,
                             steps=500, max_grad_norm=1.0)
    epsilon, order = rdp_epsilon(meta + model, DEFAULT_ORDERS, ledger.conversion_delta)
    at = int(np.flatnonzero(order == DEFAULT_ORDERS)[0])
    total = meta[at] + model[at]
    assert report.to_dict() == {
        "epsilon": epsilon, "delta": 1e-6, "budget": {"epsilon": 3.0, "delta": 1e-6},
        "rho": total / order, "accountant": SGD_ACCOUNTANT, "rdp_order": order,
        "stages": {
            "metadata": {"rho": ledger.spent_rho, "delta": ledger.threshold_delta / 2,
                         "share": round(meta[at] / total, 6)},
            "model": {"rho": model[at] / order, "delta": 0.0,
                      "share": round(model[at] / total, 6),
                      "epsilon_alone": rdp_epsilon(model, DEFAULT_ORDERS,
                                                   ledger.conversion_delta)[0]}},
        "mechanisms": [
            {"stage": "metadata", "what": "bounds", "rho": ledger.spent_rho,
             "delta": ledger.threshold_delta / 2},
            {"stage": "model", "what": "DP-SGD (subsampled Gaussian)", "rho": model[at] / order,
             "delta": 0.0}],
        "noise_multiplier": 1.2, "max_grad_norm": 1.0, "sample_rate": 0.01, "steps": 500}


@needs_opacus
def test_the_neural_models_plan_their_noise_with_the_ledgers_curves():
    from simulacra.models.neural.private import PrivateNeuralMixin
    from simulacra.privacy.rdp import composed_report

    class Model(PrivateNeuralMixin):
        def _setting(self, name: str) -> int:
            return {"epochs": 5}[name]

    def plan(with_text: bool):
        model = Model()
        model._set_private(privacy=PrivacyBudget(3.0, 1e-6), max_grad_norm=1.0,
                           metadata_share=0.1, bins=8)
        model._ledger = ledger_with_metadata(epsilon=3.0)
        if with_text:
            model._ledger.spend_rdp("text", "language model", sgd(0.02, 1.5, 300))
        return model._ledger, model._dp_plan(n=5000, public=5000, batch=50,
                                              steps_per_epoch=100)

    _, without = plan(False)
    ledger, with_text = plan(True)
    assert with_text.noise_multiplier > without.noise_multiplier
    report = composed_report(ledger=ledger, sample_rate=with_text.sample_rate,
                             noise_multiplier=with_text.noise_multiplier, steps=500,
                             max_grad_norm=1.0)
    assert 0.99 * 3.0 < report.epsilon <= 3.0


# -- the discrete models spend what a curve leaves -----------------------------------------------


def _codes(n: int = 600) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, n)
    codes = {"a": a, "b": (a + rng.integers(0, 2, n)) % 5, "c": rng.integers(0, 3, n)}
    return codes, {"a": 4, "b": 5, "c": 3}


@pytest.mark.parametrize("name", ["mst", "aim", "privbayes"])
def test_discrete_models_spend_exactly_what_a_curve_leaves(name):
    from simulacra.models.discrete.aim import AIM
    from simulacra.models.discrete.bayesian_network import PrivBayes
    from simulacra.models.discrete.mst import MST

    budget = PrivacyBudget(1.0, 1e-6)
    model = {"mst": lambda: MST(privacy=budget, iterations=20),
             "aim": lambda: AIM(privacy=budget, rounds=6, iterations=10, workload_degree=2),
             "privbayes": lambda: PrivBayes(privacy=budget)}[name]()
    ledger = ledger_with_metadata(epsilon=1.0)
    text = zcdp_rdp(0.2 * ledger.total_rho)  # any RDP curve: a Gaussian's
    text[-10:] += 0.01  # not zCDP: no ρ gives this curve
    ledger.spend_rdp("text", "language model", text)
    codes, sizes = _codes()
    model._fit_codes(codes, sizes, ledger, np.random.default_rng(0))
    report = ledger.report()
    assert report.epsilon <= 1.0 * (1 + 1e-9)
    assert report.epsilon == pytest.approx(1.0, rel=1e-3)
    assert list(report.stages) == ["metadata", "text", "model"]
    assert ledger.remaining_rho <= 1e-9 * ledger.total_rho
