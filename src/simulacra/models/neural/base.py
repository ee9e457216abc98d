"""``NeuralSynthesizer``: what every torch model (CTGAN, TVAE, the autoregressive network,
TabDDPM) does the same way.

* the hyperparameters they all have (``epochs``, ``batch_size``, ``embedding_dim``, early
  stopping, ``max_training_time``, ``verbose``, ``device``), their checks, and the
  :attr:`~NeuralSynthesizer.automatic` values of those left at ``None``;
* the opening of ``fit``: torch, the device and the timer, then ``_fit_private`` under a
  privacy budget or ``_fit_network`` without one;
* the epoch loop of a fit (``_epochs``: time budget, progress, early stopping with the best
  weights restored) and its held-out rows;
* sampling in chunks in a reproducible torch session (``_sample_chunks``);
* the saved state every torch model has — its network's weights (under
  :attr:`~NeuralSynthesizer.network_name`), ``epochs_trained`` and the ``privacy_report`` —
  written and read here; a model adds what it learned about the data (``_data_state`` /
  ``_load_data_state``) and builds its network of the fitted shape (``_network``).

Torch is imported only when a model is fitted, sampled or loaded.
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from simulacra.encoders import EncodedColumn
from simulacra.errors import DataError, ParameterError
from simulacra.models.base import Synthesizer
from simulacra.neural.torch import require_torch, resolve_device, torch_session
from simulacra.neural.training import EpochLoop, progress_bar
from simulacra.neural.validation import BinnedDistance, Watch, split_rows
from simulacra.params import Flag, Integer, Number, Optional, Text
from simulacra.privacy import dump_report, load_report

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

MIN_ROWS_TO_HOLD_OUT = 20  # fewer rows than this: no hold-out, every row trains
#: Chunks of a training stream in a row without a usable row before the fit gives up.
MAX_EMPTY_CHUNKS = 1_000


class NeuralSynthesizer(Synthesizer):
    """A synthesizer trained with torch: budget, progress, device, batch size and epochs."""

    #: Values of the parameters left at ``None`` ("automatic"): ``name: (without a privacy
    #: budget, under one)``.
    automatic: ClassVar[dict[str, tuple[Any, Any]]] = {}
    #: The fitted network: the attribute ``<network_name>_`` and its key in the saved state.
    network_name: ClassVar[str] = "network"
    params = {
        "epochs": Integer(1), "batch_size": Integer(1), "embedding_dim": Integer(1),
        "max_training_time": Optional(Number(0, low_open=True, unit="seconds")),
        "verbose": Flag(),
        "device": Text("'auto', 'cpu' or a torch device name like 'cuda:0'"),
        "early_stopping": Flag(), "validation_fraction": Number(0, 0.5, low_open=True),
        "patience": Integer(1),
    }

    def _setting(self, name: str) -> Any:
        """The value hyperparameter ``name`` takes in this fit: the parameter as given, or its
        :attr:`automatic` value (with or without a privacy budget) when left at ``None``."""
        value = getattr(self, name)
        if value is None and name in self.automatic:
            return self.automatic[name][getattr(self, "privacy", None) is not None]
        return value

    def _set_common(self, *, epochs: int, batch_size: int, embedding_dim: int,
                    early_stopping: bool, validation_fraction: float, patience: int,
                    max_training_time: float | None, verbose: bool, device: str) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.max_training_time = max_training_time
        self.verbose = verbose
        self.device = device

    # -- fit ----------------------------------------------------------------------------------
    def _fit(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
             rng: np.random.Generator) -> None:
        """Torch, the device and the timer; then the private fit or the plain one."""
        require_torch()
        device = resolve_device(self.device)
        started = time.perf_counter()
        fit = self._fit_network if getattr(self, "privacy", None) is None else self._fit_private
        fit(encoded, columns, rng, device, started)

    @abstractmethod
    def _fit_network(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        """Fit without a privacy budget (``started``: when the fit began, for the timings)."""

    @abstractmethod
    def _fit_private(self, encoded: dict[str, np.ndarray], columns: list[EncodedColumn],
                     rng: np.random.Generator, device: Any, started: float) -> None:
        """Fit under the privacy budget: DP-SGD (:mod:`~simulacra.models.neural.private`)."""

    # -- training on a stream --------------------------------------------------------------------
    #: Whether the model can train on a stream of every row of a dataset
    #: (:meth:`fit_streaming`, :func:`simulacra.scale.fit_dataset` with ``stream=True``).
    streams: ClassVar[bool] = False
    #: During :meth:`fit_streaming` only: the stream's chunks, without end.
    _row_stream: Iterable[pd.DataFrame] | None = None

    def fit_streaming(self, data: pd.DataFrame, rows: Iterable[pd.DataFrame], *,
                      on_violation: str = "drop") -> NeuralSynthesizer:
        """Fit on ``data`` and train on ``rows``: ``data`` (a sample of the dataset) fixes
        the encoding, the vocabulary and the held-out rows as :meth:`fit` does, and each epoch
        trains on the next ``len(data)``-odd training rows of ``rows``, chunks of the whole
        dataset without end (:func:`simulacra.scale.dataset.stream_rows`). Nothing of the
        stream is kept. Returns ``self``.
        """
        if not self.streams:
            raise ParameterError(f"the {self.name} model learns from one table; "
                                 "autoregressive, tabddpm and tvae train on a stream")
        self._row_stream = rows
        try:
            return self.fit(data, on_violation=on_violation)  # type: ignore[return-value]
        finally:
            del self._row_stream  # back to the class's None

    def _fresh_rows(self, arrays_of: Callable[[dict[str, np.ndarray]], tuple[np.ndarray, ...]],
                    rng: np.random.Generator) -> Callable[[int], tuple[np.ndarray, ...]]:
        """``take(k)``: the next ``k`` rows of :attr:`_row_stream` as the model's training
        arrays (each chunk encoded by :meth:`_encode_more`, then ``arrays_of``; what is left of
        a chunk is kept for the next call)."""
        chunks = iter(self._row_stream or ())
        left: tuple[np.ndarray, ...] | None = None

        def take(k: int) -> tuple[np.ndarray, ...]:
            nonlocal left
            parts = [] if left is None else [left]
            have = 0 if left is None else len(left[0])
            empty = 0
            while have < k:
                arrays = arrays_of(self._encode_more(next(chunks), rng))
                parts.append(arrays)
                have += len(arrays[0])
                empty = 0 if len(arrays[0]) else empty + 1
                if empty > MAX_EMPTY_CHUNKS:
                    raise DataError(
                        f"{MAX_EMPTY_CHUNKS:,} chunks of the dataset in a row had no row the "
                        "model could learn from (each broke a constraint or held a category "
                        "the sample never had); fit without stream=True (--stream)")
            joined = tuple(np.concatenate(column) for column in zip(*parts, strict=True))
            left = tuple(a[k:] for a in joined)
            return tuple(a[:k] for a in joined)

        return take

    def _hold_out(self, encoded: dict[str, np.ndarray], columns: Sequence[EncodedColumn],
                  rng: np.random.Generator) -> tuple[dict[str, np.ndarray], Any]:
        """``(training rows, distance to held-out rows or None)``; no draws without early stopping.

        With ``early_stopping``, ``validation_fraction`` of the rows are held out and the
        returned :class:`~simulacra.neural.validation.BinnedDistance` scores generated
        rows against them.
        """
        if not self.early_stopping:
            return encoded, None
        train, held = split_rows(self.n_rows_, float(self.validation_fraction), rng)
        discrete = {c.name: c.output == "discrete" for c in columns}
        distance = BinnedDistance({k: v[held] for k, v in encoded.items()}, discrete, rng)
        self._n_validation = len(held)
        return {k: v[train] for k, v in encoded.items()}, distance

    def _split_rows(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(train rows, held-out rows)`` for models that early-stop on a held-out loss.

        Small tables still get a usable hold-out (at least ``min(50, n / 5)`` rows); below
        ``MIN_ROWS_TO_HOLD_OUT`` rows, or without early stopping, every row trains.
        """
        early_stopping = self._setting("early_stopping")
        if early_stopping and n >= MIN_ROWS_TO_HOLD_OUT:
            n_held = max(round(n * float(self.validation_fraction)), min(50, n // 5))
            perm = rng.permutation(n)
            return np.sort(perm[n_held:]), np.sort(perm[:n_held])
        if early_stopping:
            logger.warning("%s: %d rows are too few to hold any out; training on all of them "
                           "for %d epochs", self.name, n, self._setting("epochs"))
        return np.arange(n), np.zeros(0, dtype=np.int64)

    def _finish_watch(self, watch: Any) -> None:
        """Restore the best weights and record the validation history (empty without a watch)."""
        self.validation_history_: list[tuple[int, float]] = []
        self.best_epoch_: int | None = None
        if watch is None or not watch.stopper.history:
            return
        watch.restore()
        self.validation_history_ = list(watch.stopper.history)
        self.best_epoch_ = watch.stopper.best_epoch + 1
        logger.info("%s: best held-out score %.4f after epoch %d of %d", self.name,
                    watch.stopper.best, self.best_epoch_, len(self.validation_history_))

    # -- sampling scaffolding -----------------------------------------------------------------
    def _sample_chunks(self, n: int, seed: int, network: Any,
                       draw: Callable[[Any, int, Any, Any], Any],
                       chunk: int = 10_000) -> np.ndarray:
        """Rows of network output, ``chunk`` at a time, in a reproducible torch session.

        ``draw(net, size, generator, device)`` returns one chunk's output tensor; the network
        runs in eval mode without gradients and goes back to the CPU afterwards.
        """
        torch = require_torch()
        device = resolve_device(self.device)
        parts = []
        with torch_session(seed, device) as gen, torch.no_grad(), \
                _rows_progress(self.name, n, self.verbose and n > chunk) as advance:
            net = network.to(device).eval()
            for start in range(0, n, chunk):
                size = min(chunk, n - start)
                parts.append(draw(net, size, gen, device).cpu().numpy())
                advance(size)
            network.cpu()
        return np.concatenate(parts)

    # -- training loop scaffolding ------------------------------------------------------------
    @contextmanager
    def _epochs(self, loss_names: Sequence[str], watched: Any = None) -> Iterator[EpochLoop]:
        """The epoch loop of a fit (:class:`~simulacra.neural.training.EpochLoop`).

        With a ``watched`` module, a :class:`~simulacra.neural.validation.Watch` keeps
        its best weights (``patience``); they are restored when the loop ends. Records
        ``epochs_trained_``, ``training_seconds_``, ``losses_`` and the validation history.
        """
        watch = Watch(int(self.patience), watched) if watched is not None else None
        loop = EpochLoop(self.name, int(self._setting("epochs")), self.max_training_time,
                         self.verbose, loss_names, watch)
        try:
            yield loop
        finally:
            loop.close()
            self.epochs_trained_ = loop.done
            self.training_seconds_ = time.perf_counter() - loop.started
            self.losses_ = loop.last
        self._finish_watch(watch)

    # -- state --------------------------------------------------------------------------------
    @abstractmethod
    def _network(self) -> Any:
        """A fresh network of the fitted shape (its weights are then trained or loaded)."""

    @abstractmethod
    def _data_state(self) -> dict[str, Any]:
        """What the model learned about the data besides its weights (JSON-safe, arrays)."""

    @abstractmethod
    def _load_data_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_data_state` saved."""

    def _check_network_sizes(self, weights: dict[str, Any]) -> None:
        """Raise ``ValueError`` unless the hyperparameters that size the network agree with
        the ``weights`` in the file (a model file is untrusted: this runs before the network
        is built, so an edited size cannot make it allocate gigabytes).

        The network is first built on torch's meta device, which records shapes and allocates
        nothing; its weights must have exactly the names and shapes of those in the file, whose
        size the file's caps already bound."""
        require_torch()
        from simulacra.neural.weights import check_before_building

        check_before_building(self._network, weights)

    def _get_state(self) -> dict[str, Any]:
        from simulacra.neural.weights import weights_to_numpy

        state = self._data_state()
        state[self.network_name] = weights_to_numpy(getattr(self, self.network_name + "_"))
        state["epochs_trained"] = int(self.epochs_trained_)
        if getattr(self, "privacy", None) is not None:
            state["privacy_report"] = dump_report(self.privacy_report_)
        return state

    def _set_state(self, state: dict[str, Any]) -> None:
        require_torch()
        from simulacra.neural.weights import load_weights

        self._load_data_state(state)
        self.privacy_report_ = load_report(state.get("privacy_report"))
        self._check_network_sizes(state[self.network_name])
        network = self._network()
        load_weights(network, state[self.network_name])
        setattr(self, self.network_name + "_", network.eval())
        self.epochs_trained_ = int(state["epochs_trained"])


@contextmanager
def _rows_progress(name: str, n: int, show: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar of rows drawn, on standard error (standard output may be the rows
    themselves, ``sample -o -``), when ``show``; yields the function that advances it."""
    if not show:
        yield lambda rows: None
        return
    with progress_bar(f"{name}: sampling", stderr=True, transient=True) as progress:
        task = progress.add_task("", total=n)
        yield lambda rows: progress.update(task, advance=rows)
