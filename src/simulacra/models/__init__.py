"""Synthesizers behind one ``Synthesizer`` contract, and the registry that names them."""

from __future__ import annotations

from pathlib import Path

from simulacra.errors import ModelFileError, ParameterError
from simulacra.models.auto import AutoSynthesizer
from simulacra.models.autoregressive import AutoregressiveNetwork
from simulacra.models.base import Synthesizer
from simulacra.models.deep import CTGAN, TVAE
from simulacra.models.diffusion import TabDDPM
from simulacra.models.discrete.aim import AIM
from simulacra.models.discrete.bayesian_network import BayesianNetwork, PrivBayes
from simulacra.models.discrete.mst import MST
from simulacra.models.fairness import make_fair
from simulacra.models.gaussian_copula import GaussianCopula
from simulacra.models.independent import IndependentMarginals
from simulacra.models.sequential import SequentialNetwork
from simulacra.models.windows import WindowDiffusion
from simulacra.serialization import decoding, read_model

#: Every synthesizer by name, and ``"auto"``: the factory that picks one of them for the data.
MODELS: dict[str, type[Synthesizer] | type[AutoSynthesizer]] = {
    cls.name: cls for cls in (AutoSynthesizer, IndependentMarginals, GaussianCopula,
                                AutoregressiveNetwork, TabDDPM, CTGAN, TVAE, BayesianNetwork,
                                PrivBayes, MST, AIM)
}
#: Models of event sequences (they need a ``sequence_key``, so they are not single-table models
#: of :data:`MODELS`); :func:`load` and the relational synthesizer know them too.
SEQUENCE_MODELS: dict[str, type[Synthesizer]] = {SequentialNetwork.name: SequentialNetwork}
#: Models of fixed-length windows of a time series (event tables whose entities all have the
#: same length; not a child table's model in a database).
WINDOW_MODELS: dict[str, type[Synthesizer]] = {WindowDiffusion.name: WindowDiffusion}
#: Rows drawn once at :func:`load`, with a seed of their own: a file whose state cannot
#: generate rows fails there, as a ModelFileError, not at the caller's first ``sample``.
TRIAL_ROWS = 5


def get_model(name: str) -> type[Synthesizer] | type[AutoSynthesizer]:
    """The synthesizer class registered under ``name`` (``"auto"``: the factory whose ``fit``
    returns the synthesizer it chose, fitted)."""
    known = {**MODELS, **SEQUENCE_MODELS, **WINDOW_MODELS}
    try:
        return known[name]
    except KeyError:
        raise ParameterError(f"unknown model {name!r}; choose one of "
                             f"{', '.join(sorted(known))}") from None


def load(path: str | Path) -> Synthesizer:
    """Load a model saved with ``Synthesizer.save`` (``.simz``; no code is ever executed)."""
    name, payload = read_model(path)
    known = {**MODELS, **SEQUENCE_MODELS, **WINDOW_MODELS}
    if name not in known:
        raise ModelFileError(f"{str(path)!r} holds a {name!r} model, which this simulacra does "
                             f"not know (known: {', '.join(sorted(known))}); upgrade simulacra")
    with decoding(str(path), f"{name} model"):
        model = known[name].from_payload(payload)
        rows = model.sample(TRIAL_ROWS, rng=0)  # a model that loads samples (its stream untouched)
    if name in MODELS and len(rows) != TRIAL_ROWS:
        raise ModelFileError(f"{str(path)!r} has an invalid {name} model: it draws {len(rows)} "
                             f"rows when asked for {TRIAL_ROWS}; the file is corrupted")
    return model


__all__ = [
    "AIM",
    "CTGAN",
    "MODELS",
    "MST",
    "SEQUENCE_MODELS",
    "TVAE",
    "WINDOW_MODELS",
    "AutoSynthesizer",
    "AutoregressiveNetwork",
    "BayesianNetwork",
    "GaussianCopula",
    "IndependentMarginals",
    "PrivBayes",
    "SequentialNetwork",
    "Synthesizer",
    "TabDDPM",
    "WindowDiffusion",
    "get_model",
    "load",
    "make_fair",
]
