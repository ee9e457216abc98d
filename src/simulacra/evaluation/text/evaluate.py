"""``evaluate_text``: every figure of every free-text column of a table in one call.

The table's text columns are those whose kind is ``text`` (:class:`~simulacra.kinds.Text`).
Each gets its lengths, vocabulary, detection AUC, coherence with the row's categorical columns
(with a holdout), exact copies and n-gram leakage, its statistics per side and a few sampled
texts for the report; :func:`simulacra.evaluate` runs this as its ``"text"`` stage.

>>> import pandas as pd
>>> import simulacra as sim
>>> rng = np.random.default_rng(0)
>>> mood = rng.choice(["glad", "sad"], 600)
>>> words = {"glad": "sun joy smile bright warm", "sad": "rain tears grey cold alone"}
>>> note = [" ".join(rng.choice(words[m].split(), rng.integers(4, 9))) for m in mood]
>>> table = pd.DataFrame({"mood": mood, "note": note})
>>> md = sim.Metadata.detect(table)
>>> md = md.update_column("note", kind="text")
>>> out = evaluate_text(table.iloc[:300], table.iloc[300:450], table.iloc[450:], metadata=md,
...                     settings={"char_features": 0, "folds": 3})
>>> sorted({m.name for m in out.metrics})[:3]
['10-gram leakage', 'coherence ROC-AUC (mood)', 'coherence accuracy (mood)']
>>> out.value("coherence ROC-AUC (mood)", "note") > 0.95
True
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.prepare import compared_kind, is_free_text
from simulacra.evaluation.text.coherence import EPOCHS, MAX_CLASSES, text_coherence
from simulacra.evaluation.text.coherence import MAX_TEXTS as COHERENCE_TEXTS
from simulacra.evaluation.text.copies import text_exact_copies
from simulacra.evaluation.text.data import Texts, TextStatistics
from simulacra.evaluation.text.detection import MAX_TEXTS, text_detection_auc
from simulacra.evaluation.text.features import CHAR_FEATURES, WORD_FEATURES
from simulacra.evaluation.text.leakage import N, ngram_leakage
from simulacra.evaluation.text.lengths import length_similarity
from simulacra.evaluation.text.samples import MAX_CHARS, PER_SIDE, text_samples
from simulacra.evaluation.text.vocabulary import MAX_TOKENS, vocabulary
from simulacra.metadata import Metadata
from simulacra.randomness import RandomState, child_seed, make_rng

#: Categorical columns a text is checked against by default, at most (in table order).
MAX_COHERENCE_COLUMNS = 10
#: One random stream per figure, so adding a figure changes no other.
_STREAMS = {"detection": 0, "coherence": 1, "samples": 2}


@dataclass(frozen=True)
class TextSettings:
    """How the text figures bound their work (every field has a safe default).

    ``columns``: the text columns to evaluate (default every column of kind ``text``);
    ``coherence``: the columns each text is asked to predict (default the table's categorical
    and boolean columns of 2 to ``max_classes`` classes, the first
    ``max_coherence_columns``; ``()`` for none); ``folds``, ``max_texts`` (per side),
    ``word_features`` and ``char_features``: the detection classifier's cross-validation and
    bounds; ``coherence_texts`` (per table), ``max_classes`` and ``epochs``: the coherence
    classifier's; ``ngram``: the words of a leaked run; ``max_tokens``: the words a
    type-token ratio is computed at, at most; ``samples`` texts of each side (``0``: no real
    text in the report), each cut at ``sample_chars`` characters.
    """

    columns: tuple[str, ...] | None = None
    coherence: tuple[str, ...] | None = None
    folds: int = 5
    max_texts: int = MAX_TEXTS
    word_features: int = WORD_FEATURES
    char_features: int = CHAR_FEATURES
    coherence_texts: int = COHERENCE_TEXTS
    max_classes: int = MAX_CLASSES
    max_coherence_columns: int = MAX_COHERENCE_COLUMNS
    epochs: int = EPOCHS
    ngram: int = N
    max_tokens: int = MAX_TOKENS
    samples: int = PER_SIDE
    sample_chars: int = MAX_CHARS

    def __post_init__(self) -> None:
        lowest = {"folds": 2, "max_texts": 2, "word_features": 1, "char_features": 0,
                  "coherence_texts": 2, "max_classes": 2, "max_coherence_columns": 0,
                  "epochs": 1, "ngram": 1, "max_tokens": 1, "samples": 0, "sample_chars": 2}
        for name, low in lowest.items():
            value = getattr(self, name)
            check_param(name, value, f"an integer >= {low}",
                        isinstance(value, int) and not isinstance(value, bool) and value >= low)
        for name in ("columns", "coherence"):
            value = getattr(self, name)
            check_param(name, value, "None or a list of column names",
                        value is None or (isinstance(value, tuple)
                                          and all(isinstance(c, str) for c in value)))

    @classmethod
    def from_options(cls, options: TextSettings | Mapping[str, Any] | None) -> TextSettings:
        """Settings from a mapping of field names (unknown names are an error naming them); a
        single column name stands for a list of one."""
        if isinstance(options, TextSettings):
            return options
        options = dict(options or {})
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ParameterError(f"The 'text_options' parameter takes {known}. Got unknown "
                                 f"{unknown} instead.")
        for name in ("columns", "coherence"):
            value = options.get(name)
            if isinstance(value, str):
                options[name] = (value,)
            elif isinstance(value, list | tuple):
                options[name] = tuple(value)
        return cls(**options)


@dataclass
class TextEvaluation:
    """The text figures of a table, with what the report and the JSON show beside them.

    ``statistics[column][side]`` (sides ``train``, ``synthetic``, ``holdout``), ``samples``
    (``{column: {"real": [...], "synthetic": [...]}}``), the ``coherence`` targets of each
    column, the ``seconds`` each figure took, and what could not be computed and why.
    """

    metrics: list[Metric]
    statistics: dict[str, dict[str, TextStatistics]] = field(default_factory=dict)
    samples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    coherence: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    not_computed: list[str] = field(default_factory=list)

    def value(self, name: str, column: str) -> float:
        """The value of figure ``name`` of text column ``column``."""
        for metric in self.metrics:
            if metric.name == name and metric.column == column:
                return metric.value
        raise KeyError(f"no text figure {name!r} for column {column!r}")

    def info(self) -> dict[str, Any]:
        """Per column: its statistics per side and its coherence targets (JSON-safe)."""
        return {column: {"statistics": {side: s.to_dict() for side, s in sides.items()},
                         "coherence_targets": self.coherence.get(column, [])}
                for column, sides in self.statistics.items()}


def text_columns(frame: pd.DataFrame, metadata: Metadata) -> list[str]:
    """The columns of ``frame`` whose kind in ``metadata`` is free text, in table order."""
    return [c for c in frame.columns if c in metadata and is_free_text(metadata[c])]


def evaluate_text(real: pd.DataFrame, synthetic: pd.DataFrame,
                  holdout: pd.DataFrame | None = None, *, metadata: Metadata | None = None,
                  random_state: RandomState = 0,
                  settings: TextSettings | Mapping[str, Any] | None = None,
                  progress: Callable[[str], None] | None = None) -> TextEvaluation:
    """Every text figure of every free-text column (or of ``settings.columns``).

    ``metadata`` names the text columns (detected from ``real`` when omitted). Each column's
    figures draw from random streams of their own, derived from ``random_state`` and the
    column's position in the table, so evaluating one column alone gives the same figures.
    ``progress`` is called with ``"<column>: <figure>"`` as each figure starts.
    """
    chosen = TextSettings.from_options(settings)
    metadata = metadata if metadata is not None else Metadata.detect(real)
    found = text_columns(real, metadata)
    if chosen.columns is not None:
        wrong = [c for c in chosen.columns if c not in found]
        if wrong:
            raise ParameterError(f"The 'columns' text setting must name columns of kind "
                                 f"'text'; the table's are {found}. Got {wrong} instead.")
        found = [c for c in found if c in chosen.columns]
    base = random_state if isinstance(random_state, int | np.integer) and not isinstance(
        random_state, bool) else child_seed(make_rng(random_state))
    out = TextEvaluation([])
    for column in found:
        position = list(real.columns).index(column)
        _column(out, real, synthetic, holdout, column, metadata, chosen,
                lambda stream, p=position: np.random.default_rng(
                    np.random.SeedSequence(int(base), spawn_key=(p, _STREAMS[stream]))),
                progress)
    return out


def _column(out: TextEvaluation, real: pd.DataFrame, synthetic: pd.DataFrame,
            holdout: pd.DataFrame | None, column: str, metadata: Metadata,
            settings: TextSettings, stream: Callable[[str], np.random.Generator],
            progress: Callable[[str], None] | None) -> None:
    """Every figure of one text column, appended to ``out``."""
    train, synth = Texts.of(real[column]), Texts.of(synthetic[column])
    held = None if holdout is None else Texts.of(holdout[column])
    sides = {"train": train, "synthetic": synth,
             **({"holdout": held} if held is not None else {})}
    seconds = out.seconds.setdefault(column, {})
    started = time.perf_counter()  # reading: words and lengths, computed once for every figure
    out.statistics[column] = {side: texts.statistics() for side, texts in sides.items()}
    seconds["reading"] = round(time.perf_counter() - started, 3)
    empty = [side for side in ("train", "synthetic") if len(sides[side]) == 0]
    if empty:
        out.not_computed.append(f"text figures of {column!r}: every {empty[0]} value is null")
        return

    def step(name: str, run: Callable[[], Metric | list[Metric]]) -> None:
        if progress is not None:
            progress(f"{column}: {name}")
        started = time.perf_counter()
        found = run()
        out.metrics.extend([found] if isinstance(found, Metric) else found)
        seconds[name] = round(time.perf_counter() - started, 3)

    step("lengths", lambda: length_similarity(train, synth, held, column=column))
    step("vocabulary", lambda: vocabulary(train, synth, held, column=column,
                                          max_tokens=settings.max_tokens))
    step("detection", lambda: text_detection_auc(
        train, synth, held, random_state=stream("detection"), folds=settings.folds,
        max_texts=settings.max_texts, word_features=settings.word_features,
        char_features=settings.char_features, column=column))
    targets, notes = coherence_targets(real, column, metadata, settings)
    out.not_computed.extend(notes)
    out.coherence[column] = targets
    if targets and held is not None and len(held):
        step("coherence", lambda: text_coherence(
            real, synthetic, holdout, text=column, targets=targets,
            random_state=stream("coherence"), max_texts=settings.coherence_texts,
            max_classes=settings.max_classes, epochs=settings.epochs,
            word_features=settings.word_features))
    elif targets:
        out.not_computed.append(f"text coherence of {column!r}: needs a holdout table (the "
                                "classifiers are scored on real rows neither saw)")
    step("exact copies", lambda: text_exact_copies(train, synth, held, column=column))
    step(f"{settings.ngram}-gram leakage", lambda: ngram_leakage(
        train, synth, held, n=settings.ngram, column=column))
    if settings.samples:
        out.samples[column] = text_samples(train, synth, per_side=settings.samples,
                                           max_chars=settings.sample_chars,
                                           random_state=stream("samples"))


def coherence_targets(real: pd.DataFrame, text: str, metadata: Metadata,
                      settings: TextSettings) -> tuple[list[str], list[str]]:
    """The columns ``text`` is asked to predict, and notes on the ones left out.

    Given ``settings.coherence``: those (any kind but the text itself). Otherwise the
    table's compared categorical and boolean columns with 2 to ``settings.max_classes``
    classes in ``real``, the first ``settings.max_coherence_columns``.
    """
    if settings.coherence is not None:
        wrong = [c for c in settings.coherence if c not in real.columns or c == text]
        if wrong:
            raise ParameterError(f"The 'coherence' text setting must name other columns of the "
                                 f"table {list(real.columns)}. Got {wrong} instead.")
        return list(settings.coherence), []
    candidates: list[str] = []
    notes: list[str] = []
    for column in real.columns:
        if column == text or column == metadata.sequence_key or column not in metadata:
            continue
        kind = metadata[column]
        if not (compared_kind(kind) and kind.family == "discrete"):
            continue
        classes = real[column].nunique(dropna=False)
        if classes < 2:
            continue
        if classes > settings.max_classes:
            notes.append(f"text coherence of {text!r} with {column!r}: {classes} classes, more "
                         f"than max_classes={settings.max_classes}")
            continue
        candidates.append(column)
    if len(candidates) > settings.max_coherence_columns:
        notes.append(f"text coherence of {text!r}: the first {settings.max_coherence_columns} "
                     f"of {len(candidates)} categorical columns (max_coherence_columns)")
    return candidates[:settings.max_coherence_columns], notes
