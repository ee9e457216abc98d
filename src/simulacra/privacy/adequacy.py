"""Is the budget large enough for the table? An estimate made before the fit, from public and
noisy figures only, and the warning it gives when the answer is no.

The estimate assumes what a typical fit spends on the columns' own distributions — a quarter
of the budget (ρ-zCDP; :data:`ONE_WAY_SHARE`: MST spends a third of what the encoding leaves
on them, the encoding takes up to half) — split evenly over the ``d`` encoded columns. Each
cell count then carries Gaussian noise of ``σ = √(d / (2 · ρ / 4))`` rows, and a column of
``k`` cells seen in ``ñ`` rows (a noisy count) is off by about ``k · σ · √(2/π) / (2ñ)`` in
total variation distance (the expected absolute noise of its ``k`` cells, halved, over its
rows). One minus that, averaged over the columns, is the *expected shape*, on the scale of
SDMetrics' column-shape score. On subsamples of Adult, default, shoppers and California
(1,000 rows to whole tables, ε 0.03–1, MST and AIM) the measured shape fell within about .1 of
it either way, lower on heavy-tailed columns, whose private bounds cost more
(``BENCHMARKS.md``, "When the budget is too small"); below 0.9 the synthetic tables kept little
of the real ones (trend ≤ .85, TSTR far below the real data's).

Everything here is post-processing of figures the ledger already accounts for (the budget, the
public metadata and a noisy row count), so the warning's text may be printed and logged.

>>> check = check_budget(rho=0.03, cells=[32] * 15, rows=1000, delta=1e-5)
>>> round(check.noise), round(check.expected_shape, 2), check.adequate
(32, 0.6, False)
>>> check_budget(rho=0.03, cells=[32] * 15, rows=30_000, delta=1e-5).adequate
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulacra.privacy.accounting import cdp_epsilon

#: Below this expected shape the fit warns (:class:`BudgetWarning`).
ADEQUATE_SHAPE = 0.9
#: The share of the budget a fit is assumed to spend on the columns' own counts.
ONE_WAY_SHARE = 0.25
#: The expected shape the advice's ε aims at.
TARGET_SHAPE = 0.95
_HALF_MEAN_ABS = math.sqrt(2 / math.pi) / 2  # E|N(0, σ²)| / 2, per unit of σ


class BudgetWarning(UserWarning):
    """The privacy budget is too small for the table: the synthetic data will be mostly noise."""


@dataclass(frozen=True)
class BudgetCheck:
    """The estimate of :func:`check_budget`.

    ``noise``: rows of Gaussian noise on each cell count (σ) when :data:`ONE_WAY_SHARE` of the
    budget measures every column once; ``cell_rows``: the median column's rows per cell;
    ``expected_shape``: the column-shape score that noise allows (1 is perfect);
    ``epsilon_needed``: about the ε that would give :data:`TARGET_SHAPE` on two standard
    deviations fewer rows than the noisy count (``None`` when the budget already suffices, or
    when the count itself is too uncertain: ``count_noise``, its standard deviation, more than
    a quarter of it).
    """

    rows: int
    columns: int
    noise: float
    cell_rows: float
    expected_shape: float
    epsilon_needed: float | None
    count_noise: float = 0.0

    @property
    def adequate(self) -> bool:
        return self.expected_shape >= ADEQUATE_SHAPE

    def message(self, epsilon: float) -> str:
        """The warning's text (figures rounded; ``rows`` is a noisy count)."""
        if self.epsilon_needed is not None:
            advice = (f"raise epsilon to about {self.epsilon_needed:.2g} (expected shape "
                      f"{TARGET_SHAPE:g}), ")
        elif self.expected_shape < TARGET_SHAPE:
            advice = (f"raise epsilon a lot (at this one even the row count is uncertain by "
                      f"±{self.count_noise:,.0f} rows), ")
        else:
            advice = ""
        rows = float(f"{self.rows:.2g}")  # a noisy count, shown as the estimate it is
        expect = (f"column shapes near {self.expected_shape:.2f} (1 is a perfect match)"
                  if self.expected_shape >= 0.05 else
                  "columns that look nothing like the real ones (shapes near 0; 1 is a perfect "
                  "match)")
        return (f"epsilon={epsilon:g} is too small for this table: with about {rows:,.0f} rows "
                f"(a noisy count) and {self.columns} encoded columns, each column's counts carry "
                f"noise of about ±{self.noise:,.0f} rows per cell (with a quarter of the budget "
                f"on them, as a typical fit spends it) against {self.cell_rows:,.0f} rows in a "
                "typical cell. "
                f"Expect {expect} and little of how the columns vary together. To do better: "
                f"{advice}fit fewer "
                "columns, give numbers fewer bins (bins=...), merge rare categories, fit on more "
                "rows, or declare the columns' domains in a public schema")


def expected_shape(cells: Sequence[int], rows: float, noise: float) -> float:
    """Mean over columns of ``1 − min(1, k · noise · √(2/π) / (2 · rows))``."""
    k = np.asarray(cells, dtype=float)
    tvd = np.minimum(1.0, k * noise * _HALF_MEAN_ABS / max(rows, 1.0))
    return float(1.0 - tvd.mean())


def check_budget(*, rho: float, cells: Sequence[int], rows: int, delta: float,
                 count_noise: float = 0.0) -> BudgetCheck:
    """The estimate for a fit of total ``rho`` over columns of ``cells`` codes each, on about
    ``rows`` rows (a noisy count of standard deviation ``count_noise``); ``delta`` converts the
    advised ρ back to an ε."""
    cells = [int(k) for k in cells if int(k) > 1] or [2]
    d = len(cells)
    noise = math.sqrt(d / (2 * ONE_WAY_SHARE * rho))
    shape = expected_shape(cells, rows, noise)
    needed = None
    fewest = rows - 2 * count_noise  # advise for as few rows as the count makes plausible
    if shape < TARGET_SHAPE and count_noise <= rows / 4:
        # the shape is linear in the noise until a column saturates: bisect the noise on a log
        # scale for the target, then ρ = d / (2σ²) and its ε at delta
        low, high = 1e-9, noise
        for _ in range(60):
            mid = math.sqrt(low * high)
            low, high = (mid, high) if expected_shape(cells, fewest, mid) >= TARGET_SHAPE \
                else (low, mid)
        needed = cdp_epsilon(d / (2 * ONE_WAY_SHARE * low ** 2), delta)
    return BudgetCheck(rows=rows, columns=d, noise=noise,
                       cell_rows=float(np.median([rows / k for k in cells])),
                       expected_shape=shape, epsilon_needed=needed, count_noise=count_noise)
