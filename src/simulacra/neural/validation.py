"""Early stopping for the neural models: a held-out fidelity signal and a patience rule.

The signal is the binned distance between rows the model generates and real rows it never
trained on — the same 1-way / 2-way binned total-variation idea as the evaluation's
``binned_accuracy``, computed on the encoded arrays so that it costs a few milliseconds:

1. every encoded column is cut into at most ``bins`` bins: quantile edges of the held-out rows
   for continuous columns; the ``bins - 1`` most frequent codes plus "other" for discrete ones;
2. ``distance = ½ (mean TV over columns + mean TV over column pairs)``, where TV is the total
   variation distance between the held-out and generated bin frequencies (at most
   ``max_pairs`` pairs, chosen once with a seeded generator). 0 is a perfect match, 1 the worst.

GAN and VAE training losses say little about sample quality; this does, and it is what the
model is finally judged on.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> real = {"x": rng.normal(size=2000), "c": rng.integers(0, 3, 2000)}
>>> score = BinnedDistance(real, {"x": False, "c": True}, rng)
>>> same = {"x": rng.normal(size=2000), "c": rng.integers(0, 3, 2000)}
>>> shifted = {"x": rng.normal(2, 1, 2000), "c": np.zeros(2000, dtype=int)}
>>> bool(score(same) < 0.1 < 0.5 < score(shifted))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class BinnedDistance:
    """``score(synthetic) -> float``: binned 1- and 2-way TV distance to held-out rows."""

    def __init__(self, real: Mapping[str, np.ndarray], discrete: Mapping[str, bool],
                 rng: np.random.Generator, *, bins: int = 10, max_pairs: int = 300) -> None:
        self.bins = bins
        self.names = list(real)
        self._edges: dict[str, np.ndarray] = {}
        self._keep: dict[str, np.ndarray] = {}
        for name in self.names:
            values = np.asarray(real[name])
            if discrete[name]:
                codes, counts = np.unique(values.astype(np.int64), return_counts=True)
                self._keep[name] = np.sort(codes[np.argsort(-counts, kind="stable")][:bins - 1])
            else:
                qs = np.quantile(values.astype(np.float64), np.linspace(0, 1, bins + 1)[1:-1])
                self._edges[name] = np.unique(qs)
        c = len(self.names)
        pairs = [(i, j) for i in range(c) for j in range(i + 1, c)]
        if len(pairs) > max_pairs:
            pairs = [pairs[k] for k in np.sort(rng.choice(len(pairs), max_pairs, replace=False))]
        self.pairs = pairs
        real_bins = self._bin(real)
        self._real_1 = [_frequencies(b, bins) for b in real_bins]
        self._real_2 = [_frequencies(real_bins[i] * bins + real_bins[j], bins * bins)
                        for i, j in pairs]

    def _bin(self, data: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        out = []
        for name in self.names:
            values = np.asarray(data[name])
            if name in self._keep:
                keep = self._keep[name]
                pos = np.searchsorted(keep, values.astype(np.int64))
                pos = np.minimum(pos, len(keep) - 1)
                hit = keep[pos] == values
                out.append(np.where(hit, pos, self.bins - 1))
            else:
                out.append(np.searchsorted(self._edges[name], values.astype(np.float64)))
        return out

    def __call__(self, synthetic: Mapping[str, np.ndarray]) -> float:
        b = self._bin(synthetic)
        uni = [_tv(r, _frequencies(s, self.bins)) for r, s in zip(self._real_1, b, strict=True)]
        bi = [_tv(r, _frequencies(b[i] * self.bins + b[j], self.bins * self.bins))
              for r, (i, j) in zip(self._real_2, self.pairs, strict=True)]
        return float(0.5 * (np.mean(uni) + (np.mean(bi) if bi else np.mean(uni))))


def _frequencies(codes: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(codes, minlength=size) / max(len(codes), 1)


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


@dataclass
class EarlyStopping:
    """Stop when the validation distance has not improved for ``patience`` checks.

    >>> stop = EarlyStopping(patience=2)
    >>> [stop.update(epoch, d) for epoch, d in enumerate([0.5, 0.4, 0.45, 0.41, 0.42])]
    [False, False, False, True, True]
    >>> stop.best_epoch, stop.best
    (1, 0.4)
    """

    patience: int
    best: float = float("inf")
    best_epoch: int = -1
    history: list[tuple[int, float]] = field(default_factory=list)

    def update(self, epoch: int, distance: float) -> bool:
        """Record the distance after ``epoch``; ``True`` when training should stop."""
        self.history.append((epoch, distance))
        if distance < self.best:
            self.best, self.best_epoch = distance, epoch
        return epoch - self.best_epoch >= self.patience

    @property
    def improved(self) -> bool:
        """Whether the last recorded distance is the best so far."""
        return bool(self.history) and self.history[-1][0] == self.best_epoch


class Watch:
    """Early stopping during training: a held-out score after each epoch, best weights kept.

    ``module`` is the network that generates (CTGAN's generator, TVAE's decoder, the
    autoregressive network); its weights at the best epoch are restored by :meth:`restore`.
    """

    def __init__(self, patience: int, module: Any) -> None:
        self.stopper = EarlyStopping(patience)
        self.module = module
        self._best_state: dict[str, Any] | None = None

    def update(self, epoch: int, score: float) -> bool:
        """Record ``score`` (lower is better); ``True`` when training should stop."""
        stop = self.stopper.update(epoch, score)
        if self.stopper.improved:
            self._best_state = {k: v.detach().clone()
                                for k, v in self.module.state_dict().items()}
        return stop

    @property
    def epochs_since_best(self) -> int:
        return self.stopper.history[-1][0] - self.stopper.best_epoch

    def restore(self) -> None:
        """Put the best epoch's weights back into the module."""
        if self._best_state is not None:
            self.module.load_state_dict(self._best_state)


def split_rows(n: int, fraction: float, rng: np.random.Generator,
               minimum: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """``(train, validation)`` row indices, both sorted; at least ``minimum`` validation rows."""
    from simulacra.errors import ParameterError

    n_val = round(n * fraction)
    if n_val < minimum or n - n_val < minimum:
        raise ParameterError(
            f"early_stopping holds out validation_fraction={fraction} of the {n:,} rows, "
            f"{n_val:,} rows; it needs at least {minimum} held-out and {minimum} training rows. "
            "Raise validation_fraction, fit on more rows, or set early_stopping=False")
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])
