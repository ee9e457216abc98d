"""Explicit random generators: simulacra never touches global random state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


def chunk_plan(n: int, seed: int, chunk_rows: int) -> list[tuple[int, np.random.SeedSequence]]:
    """``(rows, seed sequence)`` of each chunk of an ``n``-row draw.

    Chunk ``i`` draws from the ``i``-th child of ``seed``'s :class:`numpy.random.SeedSequence`,
    so a draw split into chunks gives the same rows wherever each chunk is drawn: the HTTP
    service's responses (:mod:`simulacra.serve`) and partitioned files
    (:mod:`simulacra.scale`) both follow this plan.

    >>> [rows for rows, _ in chunk_plan(120_000, 7, 50_000)]
    [50000, 50000, 20000]
    >>> chunk_plan(10, 7, 4)[2][1].spawn_key
    (2,)
    """
    return list(iter_chunks(n, seed, chunk_rows))


def iter_chunks(n: int, seed: int, chunk_rows: int
                ) -> Iterator[tuple[int, np.random.SeedSequence]]:
    """:func:`chunk_plan`, one chunk at a time: memory stays small whatever ``n``.

    >>> [rows for rows, _ in iter_chunks(10, 7, 4)]
    [4, 4, 2]
    """
    for i in range(-(-n // chunk_rows)):
        yield min(chunk_rows, n - i * chunk_rows), chunk_seed(seed, i)


def sample_in_chunks(model: Any, n: int, seed: int, chunk_rows: int,
                     **options: Any) -> Iterator[Any]:
    """``n`` rows of ``model.sample`` as chunks of at most ``chunk_rows``, drawn one at a time.

    Chunk ``i`` is ``model.sample(rows, rng=Generator(chunk i's seed), **options)`` (the plan
    of :func:`chunk_plan`), so a streamed draw gives the rows of the HTTP service and of a
    partitioned draw with the same seed and chunk size; ``options`` (``conditions``,
    ``rebalance``) apply to every chunk.
    """
    for rows, sequence in iter_chunks(n, seed, chunk_rows):
        yield model.sample(rows, rng=np.random.default_rng(sequence), **options)


def chunk_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of chunk ``index`` of a draw seeded by ``seed`` (the ``index``-th
    child of ``SeedSequence(seed)``, made directly)."""
    return np.random.SeedSequence(seed, spawn_key=(index,))
