"""Where a column ends under a privacy budget: the GPD tail fitted to a noisy histogram."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.encoders.domains import Budget, NumericDomain
from simulacra.encoders.private_tails import (
    fit_lower_tail,
    fit_tail,
    gpd_quantile_beyond,
    gpd_survival,
)

SIGMA = 100.0
FLOOR = 300.0


def _exponential(rows: float = 30_000, scale: float = 6.0, cells: int = 64) -> tuple:
    edges = np.arange(0.0, cells + 1.0)
    return edges, rows * np.diff(-np.exp(-edges / scale))


def test_survival_and_quantile_agree():
    for shape in (-0.5, 0.0, 0.3):
        x = gpd_quantile_beyond(1000.0, 10.0, shape, 2.0)
        assert gpd_survival(np.array([x]), shape, 2.0)[0] == pytest.approx(0.01)


def test_an_exponential_tail_reaches_past_the_cells_above_the_noise():
    edges, true = _exponential()
    ends, solid = [], []
    for seed in range(10):
        noisy = true + np.random.default_rng(seed).normal(0, SIGMA, len(true))
        new_edges, mass = fit_tail(edges, noisy, sigma=SIGMA, floor=FLOOR, limit=128.0)
        ends.append(new_edges[-1])
        solid.append(np.flatnonzero(noisy >= FLOOR)[-1] + 1)
        assert np.all(np.diff(new_edges) > 0) and len(mass) == len(new_edges) - 1
        assert np.all(mass >= 0) and np.all(np.isfinite(mass))
        assert np.allclose(mass[: solid[-1]], np.maximum(noisy[: solid[-1]], 0))
        # past the solid cells the counts are the fitted tail's, decreasing, not noise
        assert np.all(np.diff(mass[solid[-1]:]) <= 1e-9)
    assert np.mean(ends) > np.mean(solid) + 5  # cutting at the noise would stop at `solid`


def test_a_sharp_end_is_not_extrapolated():
    edges = np.arange(0.0, 65.0)
    true = np.where(edges[:-1] < 30, 1000.0, 0.0)  # uniform, then nothing
    for seed in range(5):
        noisy = true + np.random.default_rng(seed).normal(0, SIGMA, 64)
        new_edges, _ = fit_tail(edges, noisy, sigma=SIGMA, floor=FLOOR, limit=128.0)
        assert 29 <= new_edges[-1] <= 32


def test_rows_counted_past_the_last_edge_bound_the_extension():
    edges, true = _exponential(cells=12)  # the histogram stops while the tail is solid
    noisy = true + np.random.default_rng(1).normal(0, SIGMA, len(true))
    closed, _ = fit_tail(edges, noisy, sigma=SIGMA, floor=FLOOR, limit=24.0, rows_past=0.0)
    assert closed[-1] == edges[-1]  # nothing counted past the edge: no cells are added
    opened, mass = fit_tail(edges, noisy, sigma=SIGMA, floor=FLOOR, limit=24.0,
                            rows_past=1e6)
    assert opened[-1] > edges[-1] and np.allclose(np.diff(opened)[:-1], 1.0)
    assert len(mass) == len(opened) - 1


def test_the_lower_tail_mirrors_the_upper_one():
    edges, true = _exponential()
    noisy = true + np.random.default_rng(2).normal(0, SIGMA, len(true))
    upper, upper_mass = fit_tail(edges, noisy, sigma=SIGMA, floor=FLOOR, limit=128.0)
    lower, lower_mass = fit_lower_tail(-edges[::-1], noisy[::-1], sigma=SIGMA, floor=FLOOR,
                                       limit=-128.0)
    assert np.allclose(lower, -upper[::-1]) and np.allclose(lower_mass, upper_mass[::-1])


def test_integer_ends_fall_between_whole_numbers():
    edges = np.linspace(0.0, 112.0, 65)  # cells 1.75 wide over an integer column
    true = 30_000 * np.diff(-np.exp(-edges / 10.0))
    noisy = true + np.random.default_rng(3).normal(0, SIGMA, 64)
    new_edges, _ = fit_tail(edges, noisy, sigma=SIGMA, floor=FLOOR, limit=224.0, integer=True)
    assert new_edges[-1] % 1 == 0.5


def test_without_a_solid_cell_nothing_is_cut():
    edges = np.arange(0.0, 11.0)
    noise = np.random.default_rng(4).normal(0, 1, 10)
    new_edges, mass = fit_tail(edges, noise, sigma=SIGMA, floor=FLOOR, limit=20.0)
    assert np.array_equal(new_edges, edges) and np.all(mass >= 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(4, 80), st.floats(0.5, 30.0),
       st.floats(0.0, 5e4), st.booleans())
def test_any_noisy_histogram_gives_a_valid_one(seed, cells, scale, rows, integer):
    rng = np.random.default_rng(seed)
    edges = np.arange(cells + 1) * 1.5 + 0.5
    true = rows * np.diff(-np.exp(-(edges - edges[0]) / scale))
    noisy = true + rng.normal(0, SIGMA, cells)
    limit = edges[-1] * 2
    new_edges, mass = fit_tail(edges, noisy, sigma=SIGMA, floor=FLOOR, limit=limit,
                               rows_past=float(rng.uniform(0, 500)), integer=integer)
    assert len(mass) == len(new_edges) - 1 >= 1
    assert np.all(np.diff(new_edges) > 0) and new_edges[0] == edges[0]
    assert np.all(mass >= 0) and np.all(np.isfinite(mass))
    solid = np.flatnonzero(noisy >= FLOOR)
    if solid.size:
        assert edges[solid[-1]] <= new_edges[-1] <= limit + 1.5
        assert math.isfinite(new_edges[-1])


class _Ledger:
    def __init__(self) -> None:
        self.spent: list[tuple] = []

    def spend(self, *entry) -> None:
        self.spent.append(entry)


def test_private_domain_of_an_age_like_column_reaches_its_old_ages():
    """Integer ages 17–90 with a thinning tail: the private domain reaches past where the noise
    swallows the counts (cutting there ended Adult's ages at 72) and not far past the truth."""
    rng = np.random.default_rng(5)
    ages = np.clip(np.round(17 + rng.gamma(3.0, 7.0, 30_000)), 17, 90)
    ends = []
    for seed in range(12):
        ledger = _Ledger()
        domain = NumericDomain.fit(pd.Series(ages), bins=32, integer=True,
                                   declared=(None, None), budget=Budget(ledger, 2e-4, 1e-6, "age"),
                                   rng=np.random.default_rng(seed))
        ends.append((domain.minimum_, domain.maximum_))
        assert [entry[0] for entry in ledger.spent] == ["metadata"] * 4
    lows, highs = np.array(ends).T  # over 200 noise draws: 80 % of lows within 2, median 77
    assert np.median(lows) in (15, 16, 17, 18) and np.mean(np.abs(lows - 17) <= 2) >= 0.75, lows
    assert 74 <= np.median(highs) <= 105, highs


def test_a_column_of_frequent_values_only_decodes_within_them():
    """Five years, each an atom, and nothing else: no cell of the fine histogram stands above
    the noise, so the interval code spans the atoms instead of their power-of-two bucket
    (before, a private fit decoded it anywhere from 1024 to 2048, 1 % of Beijing's rows)."""
    years = pd.Series(np.repeat(np.arange(2010.0, 2015.0), 6_000))
    for seed in range(4):
        domain = NumericDomain.fit(years, bins=32, integer=True, declared=(None, None),
                                   budget=Budget(_Ledger(), 2e-4, 1e-6, "year"),
                                   rng=np.random.default_rng(seed))
        assert domain.atoms_ == [2010.0, 2011.0, 2012.0, 2013.0, 2014.0]
        assert (domain.minimum_, domain.maximum_) == (2010.0, 2014.0)
        assert domain.size == 6  # the atoms and one interval code
        decoded = domain.inverse_transform(np.arange(domain.size), np.random.default_rng(0))
        assert np.all((decoded >= 2010) & (decoded <= 2014)), decoded


def test_values_beyond_the_frequent_ones_keep_their_range():
    """Atoms at 0..2 and 1,200 rows spread over 3..8 (about 200 a value, near the noise):
    the buckets that counted them keep the range past the atoms."""
    rng = np.random.default_rng(1)
    values = pd.Series(np.r_[np.repeat([0.0, 1.0, 2.0], 8_000), rng.integers(3, 9, 1_200)])
    highs = []
    for seed in range(6):
        domain = NumericDomain.fit(values, bins=32, integer=True, declared=(None, None),
                                   budget=Budget(_Ledger(), 2e-4, 1e-6, "x"),
                                   rng=np.random.default_rng(seed))
        highs.append(domain.maximum_)
    assert min(highs) >= 6, highs


def test_values_far_from_zero_are_counted_again_where_they_are():
    """Air pressure around 1015 hPa lies in the power-of-two buckets 512–1024 and 1024–2048:
    64 cells over them are 24 hPa wide and three held every reading. The fine histogram's
    second release counts 64 cells over where the first found the values, within the same
    budget."""
    rng = np.random.default_rng(3)
    pressure = pd.Series(np.round(rng.normal(1015.0, 10.0, 30_000), 1))
    for seed in range(3):
        ledger = _Ledger()
        domain = NumericDomain.fit(pressure, bins=32, integer=False, declared=(None, None),
                                   budget=Budget(ledger, 2e-4, 1e-6, "pressure"),
                                   rng=np.random.default_rng(seed))
        assert np.diff(domain.fine_edges_).max() < 4.0, np.diff(domain.fine_edges_).max()
        assert 960.0 < domain.minimum_ < 1000.0 and 1030.0 < domain.maximum_ < 1070.0
        assert len(domain.edges_) - 1 >= 20  # interval bins, not the two or three of before
        assert math.isclose(sum(entry[2] for entry in ledger.spent), 2e-4)
        decoded = domain.inverse_transform(domain.transform(pressure.to_numpy()),
                                           np.random.default_rng(0))
        assert abs(np.std(decoded) - 10.0) < 1.0
