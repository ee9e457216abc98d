"""DP-SGD for the neural models (Abadi et al. 2016): the plan, Poisson batches, the noisy step.

A fit under a privacy budget lays its DP-SGD steps out in advance in a frozen :class:`DPPlan`
(the noise multiplier is calibrated to the budget before training,
:meth:`~simulacra.models.neural.private.PrivateNeuralMixin._dp_plan`). Each step trains on a
Poisson sample of the rows (:class:`PoissonBatches`: every row independently with rate
``q = batch_size / n``), every row's gradient is clipped to ``max_grad_norm``
(:mod:`~simulacra.neural.clipping`), and Gaussian noise of ``noise_multiplier ×
max_grad_norm`` from the fit's seeded torch generator is added to their sum
(:func:`noisy_step`, or opacus's ``DPOptimizer`` through :func:`dp_optimizer`).

A trainer takes the plan, never the model, and hands back a :class:`DPResult`: what it trained
and what the model records (the steps taken, from which the privacy report is computed).
opacus is imported only when a private model is fitted.

>>> rows = poisson_rows(1000, 0.05, np.random.default_rng(0))
>>> 20 < len(rows) < 80, bool(np.all(np.diff(rows) > 0))
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simulacra.privacy.rdp import require_opacus

if TYPE_CHECKING:
    from simulacra.neural.training import EpochLoop


@dataclass(frozen=True)
class DPPlan:
    """The DP-SGD schedule of a fit: Poisson rate, steps and calibrated noise."""

    sample_rate: float
    steps_per_epoch: int
    noise_multiplier: float
    max_grad_norm: float
    n_rows: int
    #: The noisy row count the rate was planned from (None: ``n_rows``).
    public_rows: int | None = None

    @property
    def expected_batch(self) -> float:
        """``sample_rate`` times the public row count: the batch size asked for, never a
        figure of the exact row count."""
        return self.sample_rate * (self.n_rows if self.public_rows is None
                                   else self.public_rows)


@dataclass(frozen=True)
class DPResult:
    """What a DP-SGD trainer hands back: the trained network (on the CPU, in eval mode), the
    DP-SGD steps taken (fewer than planned when ``max_training_time`` stops training; the
    report then states the smaller ε reached) and, from a trainer that chooses it, the initial
    learning rate it used."""

    network: Any
    steps: int
    learning_rate: float | None = None


def poisson_rows(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Rows of a Poisson sample: each of ``n`` rows independently with probability ``rate``."""
    return np.flatnonzero(rng.random(n) < rate)


class PoissonBatches:
    """The rows of every DP-SGD step of ``plan``, epoch by epoch in ``loop`` (progress,
    ``max_training_time``); :attr:`steps` counts the steps taken.

    >>> from simulacra.neural.training import EpochLoop
    >>> plan = DPPlan(0.1, steps_per_epoch=3, noise_multiplier=1.0, max_grad_norm=1.0,
    ...               n_rows=100)
    >>> loop = EpochLoop("demo", epochs=2, budget=None, verbose=False, loss_names=[])
    >>> batches = PoissonBatches(plan, np.random.default_rng(0), loop)
    >>> sizes = [len(rows) for rows in batches]
    >>> len(sizes), batches.steps, loop.done
    (6, 6, 2)
    """

    def __init__(self, plan: DPPlan, rng: np.random.Generator, loop: EpochLoop) -> None:
        self.plan, self.rng, self.loop = plan, rng, loop
        self.steps = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for _ in self.loop:
            for _ in range(self.plan.steps_per_epoch):
                yield poisson_rows(self.plan.n_rows, self.plan.sample_rate, self.rng)
                self.steps += 1
            self.loop.end_epoch({})


def dp_optimizer(optimizer: Any, plan: DPPlan, generator: Any) -> Any:
    """opacus's ``DPOptimizer`` around ``optimizer``: clip per row, add seeded noise, average."""
    require_opacus()
    from opacus.optimizers import DPOptimizer

    return DPOptimizer(optimizer, noise_multiplier=plan.noise_multiplier,
                       max_grad_norm=plan.max_grad_norm,
                       expected_batch_size=max(plan.expected_batch, 1.0),
                       loss_reduction="mean", generator=generator, secure_mode=False)


def noisy_step(optimizer: Any, params: list[Any], summed: list[Any], plan: DPPlan,
               generator: Any) -> None:
    """A step of ``optimizer`` on clipped gradient sums plus noise, as opacus's DPOptimizer.

    Noise of ``noise_multiplier × max_grad_norm`` is drawn per parameter from ``generator`` in
    the order of ``params`` (as ``DPOptimizer`` draws it), then the sum is divided by the
    expected batch size.
    """
    import torch

    std = plan.noise_multiplier * plan.max_grad_norm
    scale = max(plan.expected_batch, 1.0)
    for p, s in zip(params, summed, strict=True):
        noise = torch.normal(mean=0, std=std, size=s.shape, device=s.device, generator=generator)
        p.grad = (s + noise).view_as(p) / scale
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
