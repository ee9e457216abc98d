"""The epoch loop of the neural models: epochs until done or out of time, progress, stopping.

:class:`EpochLoop` yields epoch numbers until ``epochs`` are done or ``max_training_time`` is
spent (checked between epochs), shows a progress bar with the losses when ``verbose``, and, with
a :class:`~simulacra.neural.validation.Watch`, scores the held-out rows after every epoch
and says when training should stop (the patience rule; the watch keeps the best weights).

>>> loop = EpochLoop("demo", epochs=5, budget=None, verbose=False, loss_names=["loss"])
>>> for epoch in loop:
...     _ = loop.end_epoch({"loss": float(epoch)})
>>> loop.close()
>>> loop.done, loop.last
(5, {'loss': 4.0})
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from simulacra.neural.validation import Watch

logger = logging.getLogger(__name__)


def progress_bar(label: str, *, left: str = "left", extra: tuple[Any, ...] = (),
                 stderr: bool = False, transient: bool = False) -> Any:
    """A rich progress bar: ``label``, the bar, done of total, time spent and time ``left``,
    then any ``extra`` columns; on standard error when ``stderr``."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn(left), TimeRemainingColumn(), *extra,
                    console=Console(stderr=True) if stderr else None, transient=transient)


class EpochLoop:
    """Iterates epochs until done or out of time; shows a rich progress bar when verbose."""

    def __init__(self, name: str, epochs: int, budget: float | None, verbose: bool,
                 loss_names: Sequence[str], watch: Watch | None = None) -> None:
        self.name, self.epochs, self.budget = name, epochs, budget
        self.loss_names = list(loss_names)
        self.watch = watch
        self.epoch = -1  # the epoch under way
        self.done = 0
        self.last: dict[str, float] = {}
        self.started = time.perf_counter()
        self.progress = None
        if verbose:
            from rich.progress import TextColumn

            # the time left is an upper bound: early stopping may end the fit sooner
            self.progress = progress_bar(name, left="left ≤",
                                         extra=(TextColumn("{task.description}"),))
            self.progress.start()
            self.task = self.progress.add_task("", total=epochs)

    def __iter__(self) -> Iterator[int]:
        for epoch in range(self.epochs):
            if self.budget is not None and time.perf_counter() - self.started >= self.budget:
                logger.info("%s: max_training_time of %.1f s reached after %d of %d epochs",
                            self.name, self.budget, epoch, self.epochs)
                return
            self.epoch = epoch
            yield epoch

    def end_epoch(self, losses: dict[str, float], held_out: Callable[[], float] | None = None,
                  label: str = "held-out loss") -> bool:
        """Close an epoch with its ``losses``; True when training should stop.

        With a watch, ``held_out()`` scores the held-out rows (lower is better), the score joins
        ``losses`` as ``label`` and the watch's patience rule decides.
        """
        stop = False
        if self.watch is not None and held_out is not None:
            losses[label] = held_out()
            stop = self.watch.update(self.epoch, losses[label])
        self.done += 1
        self.last = losses
        text = " ".join(f"{k} {v:.4f}" if k.startswith("held-out") else f"{k} {v:+.3f}"
                        for k, v in losses.items())
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=text)
        logger.debug("%s epoch %d/%d: %s", self.name, self.done, self.epochs, text)
        return stop

    @property
    def epochs_since_best(self) -> int:
        """Epochs since the best held-out score (0 without a watch)."""
        return 0 if self.watch is None else self.watch.epochs_since_best

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
        logger.info("%s trained %d epochs in %.1f s", self.name, self.done,
                    time.perf_counter() - self.started)
