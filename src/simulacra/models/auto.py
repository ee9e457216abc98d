"""``AutoSynthesizer`` (``model="auto"``): the best default synthesizer for the data at hand.

The choice rests on the benchmarks in BENCHMARKS.md (Adult and five more tables, 2 CPU cores):

* the autoregressive network is the most faithful model measured (shape, trend, detection,
  TSTR) and among the fastest deep models, so it is the default whenever PyTorch is installed
  and the table has at least ``MIN_ROWS_FOR_NETWORK`` rows;
* otherwise the Gaussian copula: it needs no torch, fits in seconds, and on a few dozen rows a
  network has too little to learn from (it could only memorize);
* but a table of more than ``MAX_COLUMNS_FOR_JOINT`` columns gets independent marginals: a
  joint model of every pair of columns would take minutes and gigabytes (10,000 columns of 10
  rows: 13 s and 164 MB independent), and a warning says that correlations are not kept.

``AutoSynthesizer`` is a factory, not a model: its ``fit`` returns the chosen synthesizer,
fitted, so sampling, saving and loading are that model's own (``max_training_time`` is passed
to a chosen network; the copula needs far less than any budget).

>>> import simulacra as sim
>>> df = sim.datasets.load_demo().head(100)
>>> model = sim.AutoSynthesizer(random_state=0).fit(df)
>>> type(model).__name__, model.sample(3).shape
('GaussianCopula', (3, 15))
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from typing import Any, ClassVar

import pandas as pd

from simulacra.metadata import Metadata
from simulacra.models.base import Synthesizer
from simulacra.params import EstimatorParams, Flag, Number, Optional, Rule, check_all
from simulacra.randomness import RandomState

logger = logging.getLogger(__name__)

#: below this many rows the Gaussian copula is chosen even when torch is available
MIN_ROWS_FOR_NETWORK = 200
#: above this many columns each column is modelled on its own (2,000 columns of 10 rows: the
#: Gaussian copula fits in 8 s and 360 MB; its cost grows as the cube of the columns)
MAX_COLUMNS_FOR_JOINT = 2_000


def choose_model(n_rows: int, *, n_columns: int = 0, torch_available: bool | None = None
                 ) -> str:
    """Name of the synthesizer ``model="auto"`` picks for a table of ``n_rows`` rows and
    ``n_columns`` columns.

    >>> choose_model(50, torch_available=True), choose_model(30_000, torch_available=True)
    ('gaussian_copula', 'autoregressive')
    >>> choose_model(30_000, torch_available=False)
    'gaussian_copula'
    >>> choose_model(10, n_columns=10_000)
    'independent'
    """
    if n_columns > MAX_COLUMNS_FOR_JOINT:
        return "independent"
    if torch_available is None:
        torch_available = importlib.util.find_spec("torch") is not None
    if torch_available and n_rows >= MIN_ROWS_FOR_NETWORK:
        return "autoregressive"
    return "gaussian_copula"


class AutoSynthesizer(EstimatorParams):
    """Chooses the best default synthesizer for a table (:func:`choose_model`) and fits it.

    ``fit`` returns the fitted chosen synthesizer — an
    :class:`~simulacra.models.autoregressive.AutoregressiveNetwork` or a
    :class:`~simulacra.models.gaussian_copula.GaussianCopula` —, not ``self``; ``choose``
    returns it unfitted, for a look before fitting.

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
    value_protection:
        Passed to the chosen model: no rare category or extreme value of the table comes
        back (:mod:`simulacra.models.protection`); default on.
    """

    name: ClassVar[str] = "auto"
    #: The factory takes no privacy budget (``model="auto"`` is for non-private fits).
    supports_privacy: ClassVar[bool] = False

    def __init__(self, metadata: Metadata | None = None, *, random_state: RandomState = None,
                 max_training_time: float | None = None, verbose: bool = False,
                 value_protection: bool = True) -> None:
        self.metadata = metadata
        self.random_state = random_state
        self.max_training_time = max_training_time
        self.verbose = verbose
        self.value_protection = value_protection

    #: What the factory's own parameters may be (``random_state`` is the chosen model's).
    params: ClassVar[dict[str, Rule]] = {
        "max_training_time": Optional(Number(0, low_open=True, unit="seconds")),
        "verbose": Flag(), "value_protection": Flag(),
    }

    @classmethod
    def _param_names(cls) -> list[str]:
        """The constructor's arguments but ``metadata`` (what ``-p KEY=VALUE`` may set)."""
        return ["random_state", *cls.params]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"AutoSynthesizer({args})"

    def choose(self, data: pd.DataFrame) -> Synthesizer:
        """The synthesizer chosen for ``data``, configured with these parameters, unfitted.

        >>> import pandas as pd
        >>> type(AutoSynthesizer(random_state=0).choose(pd.DataFrame({"x": range(10)}))).__name__
        'GaussianCopula'
        """
        from simulacra.models.autoregressive import AutoregressiveNetwork
        from simulacra.models.gaussian_copula import GaussianCopula
        from simulacra.models.independent import IndependentMarginals

        check_all(self.params, self.get_params())
        n_rows, n_columns = data.shape if isinstance(data, pd.DataFrame) else (0, 0)
        chosen = choose_model(n_rows, n_columns=n_columns)
        logger.info("auto: %d rows, %d columns -> %s", n_rows, n_columns, chosen)
        if chosen == "independent":
            warnings.warn(f"auto: {n_columns:,} columns are more than a joint model takes in "
                          f"reasonable time ({MAX_COLUMNS_FOR_JOINT:,}), so each column is "
                          "modelled on its own: correlations between columns are not kept. "
                          "For those, fit a model on the columns that matter together",
                          UserWarning, stacklevel=3)
        cls: type[Synthesizer] = {"autoregressive": AutoregressiveNetwork,
                                  "gaussian_copula": GaussianCopula,
                                  "independent": IndependentMarginals}[chosen]
        params: dict[str, Any] = {"value_protection": self.value_protection}
        if "max_training_time" in cls._param_names():
            params |= {"max_training_time": self.max_training_time, "verbose": self.verbose}
        return cls(self.metadata, random_state=self.random_state, **params)

    def fit(self, data: pd.DataFrame, *, on_violation: str = "drop") -> Synthesizer:
        """Choose a synthesizer for ``data`` (never modified), fit it and return it."""
        return self.choose(data).fit(data, on_violation=on_violation)
