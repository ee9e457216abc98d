"""Sequence metadata: the entity key and the event order, detected with reasons, saved."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.errors import MetadataError


def _events(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, 80)
    n = int(sizes.sum())
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, 80), unit="D")
    gaps = rng.integers(1, 20, n)
    entity = np.repeat(np.arange(80), sizes)
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    offset = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], sizes)
    return pd.DataFrame({
        "user": entity + 1000,
        "when": start.to_numpy()[entity] + pd.to_timedelta(offset, unit="D").to_numpy(),
        "score": rng.normal(0, 1, n).round(3),  # unordered numbers: not an index
        "amount": rng.gamma(2.0, 10.0, n).round(2)})


def test_detect_finds_the_index_and_says_why(tmp_path):
    events = _events()
    md = sim.Metadata.detect(events, sequence_key="user")
    assert (md.sequence_key, md.sequence_index) == ("user", "when")
    assert md["user"].kind == "id" and not md["user"].unique
    assert md.primary_key is None
    assert "'when' is a datetime column" in md.sequence_reason
    assert "sequences: one per 'user', ordered by when" in md.explain()
    path = tmp_path / "events.yaml"
    md.save(path)
    again = sim.Metadata.load(path)
    assert again == md and again.sequence_reason == md.sequence_reason
    # shuffled rows: no column keeps its order, events are ordered as the rows are
    shuffled = events.sample(frac=1.0, random_state=1).drop(columns="when")
    assert sim.Metadata.detect(shuffled, sequence_key="user").sequence_index is None


def test_bad_sequence_metadata_is_named():
    events = _events()
    with pytest.raises(MetadataError, match="sequence_key 'who' is not a column"):
        sim.Metadata.detect(events, sequence_key="who")
    md = sim.Metadata.detect(events, sequence_key="user")
    spec = md.to_dict()
    with pytest.raises(MetadataError, match="sequence_index 'user' must be a numerical or "
                                            "datetime") as err:
        sim.Metadata.from_dict({**spec, "sequence_index": "user"})
    assert "cannot also be the sequence_key" in str(err.value)
    with pytest.raises(MetadataError, match="needs a sequence_key"):
        sim.Metadata.from_dict({**spec, "sequence_key": None})
    md.remove_column("when")
    assert md.sequence_index is None and md.sequence_key == "user"
    assert md.with_columns({"amount": sim.Numerical()}).sequence_key is None
