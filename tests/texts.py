"""A small generated corpus whose texts depend on their row: the animals on the habitat, the
adjective on the size; every text is (almost) unique, so each is a rare text to protect."""

from __future__ import annotations

import numpy as np
import pandas as pd

ANIMALS = {"farm": ["cow", "pig", "hen", "goat", "horse", "sheep"],
           "sea": ["fish", "crab", "seal", "whale", "squid", "shark"]}
VERBS = ["sees", "likes", "finds", "follows", "meets", "watches"]
COLOURS = ["red", "brown", "grey", "white", "black", "spotted"]
PLACES = {"farm": ["in the barn", "by the fence", "on the hill"],
          "sea": ["in the reef", "under the waves", "near the shore"]}


def animal_notes(n: int, seed: int = 0) -> pd.DataFrame:
    """``habitat`` (farm 60 %, sea), ``size`` (1-99) and ``note``: "the big red cow sees ..."."""
    rng = np.random.default_rng(seed)
    habitat = rng.choice(["farm", "sea"], n, p=[0.6, 0.4])
    size = rng.integers(1, 100, n)
    notes = []
    for h, s in zip(habitat, size, strict=True):
        a, b = rng.choice(ANIMALS[h], 2, replace=False)
        notes.append(f"the {'big' if s > 50 else 'small'} {rng.choice(COLOURS)} {a} "
                     f"{rng.choice(VERBS)} the {rng.choice(COLOURS)} {b} "
                     f"{rng.choice(PLACES[h])}" + (" again" if rng.random() < 0.3 else "") + ".")
    return pd.DataFrame({"habitat": habitat, "size": size, "note": notes})


def habitat_agreement(frame: pd.DataFrame) -> float:
    """Share of notes that name only animals of their row's habitat."""
    ok = [all(w not in note.split() for w in ANIMALS["sea" if h == "farm" else "farm"])
          and any(w in note.split() for w in ANIMALS[h])
          for h, note in zip(frame["habitat"], frame["note"], strict=True) if isinstance(note, str)]
    return float(np.mean(ok))
