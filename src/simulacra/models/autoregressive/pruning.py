"""Which tokens can still meet a condition: conditional sampling drops doomed rows early.

Conditional sampling draws rows and keeps those that match (exactly, in the decoded table).
The network draws a row column by column, so a row whose ``age`` token already lies outside
``age ∈ [60, 70]`` can be dropped before its later columns are drawn: the rows that survive
are the same rows, drawn the same way, only fewer doomed ones are finished. Each mask here is
conservative — it keeps every token that could decode to a matching value (a bin that merely
overlaps the range, a pooled token that may stand for the wanted category) — so the final
exact check still decides and the conditional distribution is unchanged.

>>> import numpy as np
>>> edges = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
>>> overlapping_bins(edges, 12.0, 25.0).tolist()
[False, True, True, False]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.encoders import TableCodec
from simulacra.models.autoregressive.tokenizer import Tokenizer


def overlapping_bins(edges: np.ndarray, low: float, high: float) -> np.ndarray:
    """Bins ``[edges[t], edges[t + 1]]`` that meet the closed interval ``[low, high]``."""
    return (edges[1:] >= low) & (edges[:-1] <= high)


def allowed_tokens(tokenizer: Tokenizer, codec: TableCodec,
                   conditions: dict[str, Any]) -> dict[int, np.ndarray]:
    """Token position → boolean mask of the tokens that may still satisfy ``conditions``.

    Equality conditions on discrete columns (and ``None`` through a null flag) use the
    codec's codes; ``(low, high)`` ranges use the tokenizer's bins or values where the codec
    can say which encoded values may decode into the range (numbers). Anything else
    (datetimes, text, columns a constraint rewrote) gets no mask and is left to the exact
    check.
    """
    masks: dict[int, np.ndarray] = {}
    position = {name: j for j, name in enumerate(tokenizer.names_)}
    for name, code in codec.discrete_codes(conditions).items():
        if name in position and tokenizer.kinds_.get(name) == "codes":
            masks[position[name]] = _code_mask(tokenizer, name, code)
    for name, value in conditions.items():
        if not (isinstance(value, tuple) and name in position
                and tokenizer.kinds_.get(name) in ("bins", "values")):
            continue
        interval = codec.encoded_interval(name, value[0], value[1])
        if interval is not None:
            masks[position[name]] = _range_mask(tokenizer, name, *interval)
    return masks


def _code_mask(tokenizer: Tokenizer, name: str, code: int) -> np.ndarray:
    """Only the code's token (the pooled token, for a rare code)."""
    mask = np.zeros(tokenizer.sizes_[tokenizer.names_.index(name)], dtype=bool)
    mask[tokenizer.token_of(name, code)] = True
    return mask


def _range_mask(tokenizer: Tokenizer, name: str, low: float, high: float) -> np.ndarray:
    marginal = tokenizer.marginals_[name]
    if tokenizer.kinds_[name] == "values":
        values = np.asarray(marginal.values, dtype=np.float64)
        return (values >= low) & (values <= high)
    # token t decodes through u in [t / bins, (t + 1) / bins) and a non-decreasing quantile
    # function, so into [Q(t / bins), Q((t + 1) / bins)]
    edges = marginal.from_uniform(np.linspace(0.0, 1.0, tokenizer.numeric_bins + 1))
    bins = overlapping_bins(np.asarray(edges, dtype=np.float64), low, high)
    # a copy token takes another column's value: it may match, the exact check decides
    return np.concatenate([bins, np.ones(len(tokenizer.copies_.get(name, ())), dtype=bool)])
