"""A few texts of each side, drawn at random, for the report to show side by side.

Reading a handful of synthetic texts beside as many real ones tells more about fluency than
any figure. The real ones are training texts: the report is for the data's owner (set
``samples=0`` in the text settings to leave real texts out of a report meant to travel).
Texts are returned as plain strings; the report escapes them (a text is never markup).

>>> text_samples(["a", "b", "c"], ["x" * 10, "y"], per_side=2, max_chars=4, random_state=0)
{'real': ['b', 'c'], 'synthetic': ['xxx…', 'y']}
"""

from __future__ import annotations

import numpy as np

from simulacra.errors import check_param
from simulacra.evaluation.text.data import Texts, TextsLike
from simulacra.randomness import RandomState, make_rng

#: Texts shown per side, and characters shown of each at most.
PER_SIDE = 5
MAX_CHARS = 400


def text_samples(train: TextsLike, synthetic: TextsLike, *, per_side: int = PER_SIDE,
                 max_chars: int = MAX_CHARS, random_state: RandomState = 0
                 ) -> dict[str, list[str]]:
    """``per_side`` distinct non-null texts of each side (fewer if a side has fewer), drawn
    with ``random_state`` and kept in their table order; a text longer than ``max_chars``
    is cut there and ends with "…"."""
    check_param("per_side", per_side, "an integer >= 0",
                isinstance(per_side, int | np.integer) and per_side >= 0)
    check_param("max_chars", max_chars, "an integer >= 2",
                isinstance(max_chars, int | np.integer) and max_chars >= 2)
    rng = make_rng(random_state)
    out = {}
    for side, values in (("real", train), ("synthetic", synthetic)):
        texts = Texts.of(values).values
        k = min(per_side, len(texts))
        picked = np.sort(rng.choice(len(texts), size=k, replace=False)) if k else []
        out[side] = [_cut(str(texts[i]), max_chars) for i in picked]
    return out


def _cut(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars - 1].rstrip() + "…"
