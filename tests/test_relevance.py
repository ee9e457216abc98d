"""Which parent columns a child's model sees (:mod:`simulacra.multitable.relevance`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulacra.multitable.relevance import select_columns


def test_a_telling_column_of_two_values_beats_many_valued_noise_on_few_rows():
    """On 480 rows, 77-valued parent columns that tell nothing share more *plain* mutual
    information with a child's columns than a two-valued count that makes a quarter of a
    fifth of them "bad"; the score adjusted for chance keeps the count."""
    rng = np.random.default_rng(0)
    n = 480
    holders = rng.choice([1, 2], size=n, p=[0.8, 0.2])
    status = np.where((holders == 2) & (rng.random(n) < 0.25), "bad",
                      rng.choice(["good", "ok", "bad"], size=n, p=[0.6, 0.3, 0.1]))
    context = pd.DataFrame({f"district.A{i}": rng.integers(0, 77, size=n) * 1.0
                            for i in range(6)})
    context["#disp"] = holders
    own = pd.DataFrame({"status": status, "amount": rng.normal(size=n)})
    assert select_columns(context, own, 1) == ["#disp"]
    assert "#disp" in select_columns(context, own, 3)


def test_fewer_candidates_than_asked_are_all_kept_in_order():
    context = pd.DataFrame({"b": [1, 2, 3], "a": [3, 2, 1]})
    own = pd.DataFrame({"x": [1, 1, 2]})
    assert select_columns(context, own, 5) == ["b", "a"]
    assert select_columns(context, pd.DataFrame(index=range(3)), 1) == ["b"]
