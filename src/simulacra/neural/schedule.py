"""The noise schedule: how much signal survives at each diffusion step.

Cosine schedule (Nichol & Dhariwal, ICML 2021), the one TabDDPM uses for both its Gaussian and
its multinomial processes: ``ᾱ(t) = f(t) / f(0)`` with ``f(t) = cos²((t/T + s) / (1 + s) · π/2)``
and per-step ``α_t = ᾱ_t / ᾱ_{t−1}`` (each β = 1 − α capped at 0.999).

Training draws steps from all ``T``; sampling may walk a shorter, evenly spaced subsequence
(:meth:`NoiseSchedule.respaced`, as in improved DDPM): the network predicts the clean data
whatever the spacing, and every step's ``α`` is recomputed as ``ᾱ_t / ᾱ_{previous kept step}``,
so a few hundred steps sample as well as a thousand at a fraction of the cost.

>>> s = NoiseSchedule.cosine(1000)
>>> float(s.alpha_bar[0]) > 0.9999, float(s.alpha_bar[-1]) < 1e-4
(True, True)
>>> steps, alpha_bar, alpha = s.respaced(100)
>>> len(steps), int(steps[0]), int(steps[-1])
(100, 0, 999)
>>> bool(np.allclose(np.cumprod(alpha), alpha_bar))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_BETA = 0.999


@dataclass(frozen=True)
class NoiseSchedule:
    """``alpha_bar[t]`` (T,): the fraction of signal variance left after step ``t`` (0-based)."""

    alpha_bar: np.ndarray

    @classmethod
    def cosine(cls, steps: int, offset: float = 0.008) -> NoiseSchedule:
        t = np.arange(steps + 1, dtype=np.float64) / steps
        f = np.cos((t + offset) / (1 + offset) * np.pi / 2) ** 2
        beta = np.minimum(1 - f[1:] / f[:-1], MAX_BETA)
        return cls(np.cumprod(1 - beta))

    @property
    def steps(self) -> int:
        return len(self.alpha_bar)

    def respaced(self, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``count`` evenly spaced steps (always the first and the last), their ``ᾱ`` and the
        per-step ``α`` between consecutive kept steps."""
        count = int(min(max(count, 1), self.steps))
        steps = np.unique(np.round(np.linspace(0, self.steps - 1, count)).astype(np.int64))
        alpha_bar = self.alpha_bar[steps]
        alpha = alpha_bar / np.concatenate([[1.0], alpha_bar[:-1]])
        return steps, alpha_bar, alpha
