"""``AutoSynthesizer`` (``model="auto"``): the best default synthesizer for the data at hand.

The choice rests on the benchmarks in BENCHMARKS.md (Adult and five more tables, 2 CPU cores):

* the autoregressive network is the most faithful model measured (shape, trend, detection,
  TSTR) and among the fastest deep models, so it is the default whenever PyTorch is installed
  and the table has at least ``MIN_ROWS_FOR_NETWORK`` rows;
* otherwise the Gaussian copula: it needs no torch, fits in seconds, and on a few dozen rows a
  network has too little to learn from (it could only memorize).

``max_training_time`` is passed to the chosen network (the copula needs far less than any
budget). The fitted chooser delegates ``sample`` to the chosen model, and ``save`` writes that
model's own file, so ``sim.load`` gives it back directly.

>>> import simulacra as sim
>>> df = sim.datasets.load_demo().head(100)
>>> auto = sim.AutoSynthesizer(random_state=0).fit(df)
>>> auto.chosen_
'gaussian_copula'
>>> auto.sample(3).shape
(3, 15)
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra._random import RandomState
from simulacra.errors import check_param
from simulacra.metadata import Metadata
from simulacra.models.base import Synthesizer

logger = logging.getLogger(__name__)

#: below this many rows the Gaussian copula is chosen even when torch is available
MIN_ROWS_FOR_NETWORK = 200


def choose_model(n_rows: int, *, torch_available: bool | None = None) -> str:
    """Name of the synthesizer ``model="auto"`` picks for a table of ``n_rows`` rows.

    >>> choose_model(50, torch_available=True), choose_model(30_000, torch_available=True)
    ('gaussian_copula', 'autoregressive')
    >>> choose_model(30_000, torch_available=False)
    'gaussian_copula'
    """
    if torch_available is None:
        torch_available = importlib.util.find_spec("torch") is not None
    if torch_available and n_rows >= MIN_ROWS_FOR_NETWORK:
        return "autoregressive"
    return "gaussian_copula"


class AutoSynthesizer(Synthesizer):
    """Chooses and fits the best default model (:func:`choose_model`), then acts as it.

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw of the chosen model.
    max_training_time:
        Seconds the chosen model may train (networks stop between epochs); ``None``: no limit.
    verbose:
        Progress bar while a network trains.

    Attributes
    ----------
    chosen_:
        Name of the chosen synthesizer; ``model_`` is the fitted synthesizer itself.
    """

    name: ClassVar[str] = "auto"

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 max_training_time: float | None = None, verbose: bool = False) -> None:
        super().__init__(metadata, random_state=random_state)
        self.max_training_time = max_training_time
        self.verbose = verbose

    def _validate_params(self) -> None:
        super()._validate_params()
        t = self.max_training_time
        check_param("max_training_time", t, "None or a number of seconds > 0",
                    t is None or (isinstance(t, int | float | np.floating)
                                  and not isinstance(t, bool) and t > 0))
        check_param("verbose", self.verbose, "True or False", isinstance(self.verbose, bool))

    def fit(self, data: pd.DataFrame, *, on_violation: str = "drop") -> AutoSynthesizer:
        """Choose a model for ``data`` (never modified), fit it, and return ``self``."""
        from simulacra.models import get_model

        self._validate_params()
        n_rows = len(data) if isinstance(data, pd.DataFrame) else 0
        self.chosen_ = choose_model(n_rows)
        cls = get_model(self.chosen_)
        params: dict[str, Any] = {}
        if "max_training_time" in cls._param_names():
            params = {"max_training_time": self.max_training_time, "verbose": self.verbose}
        logger.info("auto: %d rows -> %s", n_rows, self.chosen_)
        self.model_ = cls(self.metadata, random_state=self.random_state, **params).fit(
            data, on_violation=on_violation)
        for attribute in ("metadata_", "codec_", "n_rows_", "fit_seconds_",
                          "constraints_", "constraint_report_"):
            setattr(self, attribute, getattr(self.model_, attribute))
        return self

    def sample(self, n: int, *, conditions: Mapping[str, Any] | None = None,
               rebalance: Mapping[str, Mapping[Any, float]] | None = None,
               rng: RandomState = None) -> pd.DataFrame:
        self._check_fitted()
        return self.model_.sample(n, conditions=conditions, rebalance=rebalance, rng=rng)

    def sample_remaining_columns(self, known: pd.DataFrame, *, rng: RandomState = None
                                 ) -> pd.DataFrame:
        self._check_fitted()
        return self.model_.sample_remaining_columns(known, rng=rng)

    def save(self, path: str | Path) -> None:
        """Write the chosen model's own file (``sim.load`` returns that model)."""
        self._check_fitted()
        self.model_.save(path)

    @property
    def conditional_acceptance_(self) -> float | None:  # type: ignore[override]
        return getattr(self.model_, "conditional_acceptance_", None)

    # the chosen model does the work; these are never reached through the public API
    def _fit(self, encoded: dict[str, np.ndarray], columns: list, rng: Any) -> None:
        raise NotImplementedError("AutoSynthesizer fits through the model it chooses")

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return self.model_._sample(n, rng)

    def _get_state(self) -> dict[str, Any]:
        return self.model_._get_state()

    def _set_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError("a saved auto model loads as the model it chose")
