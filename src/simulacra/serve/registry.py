"""The models a service offers: every ``*.simz`` file of one folder, loaded once, with a card.

A model's name is its file name without ``.simz`` (letters, digits, ``_``, ``.``, ``-``; at most
64 characters — other files are skipped with a warning). Each file is loaded when the service
starts; one that cannot be loaded, a database model and an event-table model are listed as not
servable, with the reason. A ``<name>.metrics.json`` file beside a model (what
``simulacra evaluate --json`` writes) adds its figures to the card; it is read no further than
:data:`MAX_SIDECAR_BYTES` and checked, and ignored with a warning when it does not hold
figures.
"""

from __future__ import annotations

import json
import logging
import numbers
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulacra.errors import SimulacraError
from simulacra.serve.schemas import (
    NAME_PATTERN,
    ColumnCard,
    MetricCard,
    ModelCard,
    PrivacyCard,
    StageCard,
)

logger = logging.getLogger(__name__)

#: Largest metrics sidecar read (an evaluation's figures with their details).
MAX_SIDECAR_BYTES = 4 * 1024 * 1024
SUFFIX = ".simz"
SIDECAR_SUFFIX = ".metrics.json"
_NAME = re.compile(NAME_PATTERN)
# sampling that goes through torch changes torch's process-wide state for the call (seed,
# threads), so such calls run one at a time; every other model only reads its fitted state
_TORCH_LOCK = threading.Lock()


@dataclass(frozen=True)
class ServedModel:
    """One model file: its card and, when it can be served, the loaded model."""

    card: ModelCard
    model: Any = None
    #: Held while sampling (a torch model's session); ``None``: calls may run together.
    lock: threading.Lock | None = None

    @property
    def name(self) -> str:
        return self.card.name


class ModelRegistry(Mapping[str, ServedModel]):
    """The models of one folder by name (read once, when built).

    >>> import tempfile
    >>> len(ModelRegistry.from_folder(tempfile.mkdtemp()))
    0
    """

    def __init__(self, models: Mapping[str, ServedModel]) -> None:
        self._models = dict(sorted(models.items()))

    @classmethod
    def from_folder(cls, folder: str | Path) -> ModelRegistry:
        folder = Path(folder)
        if not folder.is_dir():
            raise SimulacraError(f"models folder {str(folder)!r} is not a folder")
        found = {}
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            name = path.name[:-len(SUFFIX)]
            if not path.is_file():
                continue
            if not _NAME.match(name):
                logger.warning("skipped %r: a model name is 1 to 64 letters, digits, '_', '.' "
                               "or '-'", path.name)
                continue
            found[name] = load_model(name, path)
        return cls(found)

    def __getitem__(self, name: str) -> ServedModel:
        return self._models[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def cards(self) -> list[ModelCard]:
        return [served.card for served in self._models.values()]

    def servable(self) -> int:
        return sum(served.card.servable for served in self._models.values())


def load_model(name: str, path: Path) -> ServedModel:
    """The model at ``path`` with its card (a card saying why, if it cannot be served)."""
    from simulacra.multitable.loading import load

    size = path.stat().st_size
    try:
        model = load(path)
    except SimulacraError as err:
        reason = str(err).replace(repr(str(path)), repr(path.name))
        logger.warning("model %r is not served: %s", name, reason)
        return ServedModel(ModelCard(name=name, model=None, servable=False,
                                     reason=f"the file cannot be loaded: {reason}",
                                     file_bytes=size))
    card = model_card(name, model, size, read_metrics(path.with_name(name + SIDECAR_SUFFIX)))
    if not card.servable:
        return ServedModel(card)
    return ServedModel(card, model, _TORCH_LOCK if _uses_torch(model) else None)


def model_card(name: str, model: Any, size: int,
               metrics: list[MetricCard] | None = None) -> ModelCard:
    """The card of a loaded model: what it is, its columns, training rows, privacy, metrics."""
    kind = str(model.name)
    reason = _not_servable(model)
    metadata = getattr(model, "metadata_", None)
    dtypes = getattr(getattr(model, "codec_", None), "dtypes_", None) or {}
    columns = [] if metadata is None or reason else [
        ColumnCard(name=str(column), kind=str(k.kind), dtype=_text(dtypes.get(column)))
        for column, k in metadata.items()]
    rows = getattr(model, "n_rows_", None)
    return ModelCard(
        name=name, model=kind, servable=reason is None, reason=reason, columns=columns,
        training_rows=int(rows) if isinstance(rows, numbers.Integral) else None,
        hyperparameters=_hyperparameters(model), privacy=_privacy(model), metrics=metrics,
        file_bytes=size)


def _not_servable(model: Any) -> str | None:
    kind = str(model.name)
    if kind == "relational":
        return ("a database model generates related tables together; use `simulacra sample "
                "MODEL -o TARGET --scale S`")
    metadata = getattr(model, "metadata_", None)
    if getattr(metadata, "sequence_key", None) is not None or kind in ("sequential",
                                                                       "window-diffusion"):
        return (f"a {kind} model generates event sequences (n counts entities, each with its "
                "own rows); use `simulacra sample`")
    if not callable(getattr(model, "sample", None)) or metadata is None:
        return f"a {kind} model cannot be sampled row by row"
    return None


def _uses_torch(model: Any) -> bool:
    from simulacra.models.neural.base import NeuralSynthesizer

    return isinstance(model, NeuralSynthesizer)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _hyperparameters(model: Any) -> dict[str, Any]:
    try:
        params = model.get_params()
    except (AttributeError, TypeError):
        return {}
    return {k: v for k, v in params.items()
            if isinstance(v, str | int | float | bool) or v is None}


def _privacy(model: Any) -> PrivacyCard | None:
    report = getattr(model, "privacy_report_", None)
    if report is None:
        return None
    return PrivacyCard(
        epsilon=report.epsilon, delta=report.delta, budget_epsilon=report.budget.epsilon,
        budget_delta=report.budget.delta, rho=report.rho, accountant=report.accountant,
        stages={stage: StageCard(rho=s.rho, share=s.share, delta=s.delta)
                for stage, s in report.stages.items()})


def read_metrics(path: Path) -> list[MetricCard] | None:
    """The figures of an evaluation's JSON (``EvaluationResult.to_json``) at ``path``; None
    when there is no such file or it does not hold figures (with a warning: the file is
    untrusted input)."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SIDECAR_BYTES + 1)
        if len(data) > MAX_SIDECAR_BYTES:
            raise ValueError(f"larger than {MAX_SIDECAR_BYTES:,} bytes")
        document = json.loads(data.decode("utf-8"))
        figures = document["metrics"] if isinstance(document, dict) else None
        if not isinstance(figures, list):
            raise ValueError("no list of 'metrics'")
        return [MetricCard.model_validate(_metric_fields(f)) for f in figures]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError,
            RecursionError) as err:
        # ValidationError and JSONDecodeError are ValueErrors
        what = "does not hold valid metrics" if isinstance(err, ValidationError) else str(err)
        logger.warning("ignored %s: %s (expected the JSON of `simulacra evaluate --json`)",
                       path.name, what)
        return None


def _metric_fields(figure: Any) -> Any:
    """The card's fields of one figure (its per-column details are left out)."""
    if not isinstance(figure, dict):
        raise TypeError("a figure is not an object")
    return {k: figure[k] for k in MetricCard.model_fields if k in figure}
