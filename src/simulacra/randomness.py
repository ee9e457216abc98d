"""Explicit random generators: simulacra never touches global random state."""

from __future__ import annotations

import numpy as np

from simulacra.errors import check_param

RandomState = int | np.random.Generator | None


def make_rng(random_state: RandomState) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``random_state``.

    ``None`` gives fresh OS entropy; an int gives a reproducible generator; a Generator is used
    as it is (shared, not copied).

    >>> bool(make_rng(7).integers(0, 1000) == make_rng(7).integers(0, 1000))
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    valid = isinstance(random_state, int | np.integer) and not isinstance(random_state, bool)
    check_param("random_state", random_state, "None, an int >= 0 or a numpy Generator",
                valid and int(random_state) >= 0)
    return np.random.default_rng(int(random_state))


def child_seed(rng: np.random.Generator) -> int:
    """Draw a seed for a sub-generator (e.g. Faker, torch) from ``rng``."""
    return int(rng.integers(0, 2**31 - 1))
