"""Free text: a language model learned on the column and written given the row, or its words.

The text kind's ``generator`` chooses (:class:`~simulacra.kinds.Text`):

* ``"network"``: :class:`~simulacra.encoders.language.model.LanguageModel` — a byte-level BPE
  and an LSTM trained here from scratch on the column, conditioned on the row's other columns
  (the codec decodes them first and passes them on), with rare-token protection and no
  verbatim copies of rare training texts; nulls are one of the things it writes, so they too
  depend on the row;
* ``"words"``: :class:`~simulacra.encoders.language.words.WordBag` — frequent words to the
  column's length distribution (no whole value kept), nulls at the column's share;
* ``"auto"``: the network when torch and tokenizers are installed and the column has at least
  :data:`MIN_TEXTS_FOR_NETWORK` texts, else the words.

Under a privacy budget (the binned codec) the network is trained with DP-SGD on the bytes of the
texts, given the row's codes in the codec's DP domains, and takes ``privacy_share`` of what the
fit has left (:meth:`TextEncoder.fit_private`); with ``privacy_share=0``, the words generator,
fewer than :data:`MIN_TEXTS_FOR_NETWORK` rows or without torch, the column is written from a
public stand-in instead (:meth:`fit_public`): Faker's lorem words, nothing real.

>>> s = pd.Series(["red fox", "red dog", "a red fox", "fox", None] * 3, name="note")
>>> enc = TextEncoder(min_word_count=3).fit(s)
>>> enc.generator_, enc.vocabulary_
('words', ['fox', 'red', 'a', 'dog'])
>>> out = enc.generate(5, np.random.default_rng(0))
>>> int(out.isna().sum()), set(" ".join(out.dropna()).split()) <= set(enc.vocabulary_)
(1, True)
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulacra.encoders.base import State
from simulacra.encoders.language.words import WordBag
from simulacra.encoders.missing import GeneratedEncoder
from simulacra.errors import ModelFileError, ParameterError, check_param
from simulacra.kinds import Text, column_from_dict

#: ``generator="auto"`` trains the language model on a column with at least this many texts.
MIN_TEXTS_FOR_NETWORK = 1000


def network_available() -> bool:
    """Whether torch and tokenizers are installed (the ``deep`` extra)."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "tokenizers"))


def choose_generator(spec: Text, n_texts: int, *, available: bool | None = None) -> str:
    """``"network"`` or ``"words"`` for a column of ``n_texts`` non-null texts.

    >>> choose_generator(Text(), 5000, available=True), choose_generator(Text(), 50, available=True)
    ('network', 'words')
    >>> choose_generator(Text(generator="words"), 5000, available=True)
    'words'
    """
    if spec.generator != "auto":
        return spec.generator
    if available is None:
        available = network_available()
    return "network" if available and n_texts >= MIN_TEXTS_FOR_NETWORK else "words"


class TextEncoder(GeneratedEncoder):
    """Write a text column with a language model given the row, or from its frequent words."""

    name: ClassVar[str] = "text"

    def __init__(self, spec: Text | None = None, *, min_word_count: int = 5) -> None:
        super().__init__()
        self.spec = spec if spec is not None else Text()
        self.min_word_count = min_word_count
        self._public = False

    @property
    def reads_rows(self) -> bool:
        return getattr(self, "network_", None) is not None

    @property
    def reads_codes(self) -> bool:
        network = getattr(self, "network_", None)
        return network is not None and bool(network.report.get("private", False))

    def private_network(self, n_rows: int) -> bool:
        """Whether, under a privacy budget, a table of ``n_rows`` rows (public: the count of
        texts is not) trains this column's network with DP-SGD."""
        return float(self.spec.privacy_share) > 0 and \
            choose_generator(self.spec, n_rows) == "network"

    def fit_private(self, series: pd.Series, codes: pd.DataFrame, sizes: dict[str, int],
                    ledger: Any, rng: np.random.Generator) -> TextEncoder:
        """Fit under a privacy budget: the public stand-in, then (where
        :meth:`private_network`) the network trained with DP-SGD on ``series`` given
        ``codes``, the rows' codes in the codec's DP domains (``sizes`` codes each), paid in
        ``ledger`` with the spec's ``privacy_share`` of what it has left. Nulls are the
        codec's to model: the network writes a text for every row it is asked for."""
        self.fit_public(series)
        if not self.private_network(len(series)):
            return self
        from simulacra.encoders.language.model import LanguageModel

        self._require_network()
        self.network_ = LanguageModel.fit_private(
            series.reset_index(drop=True), codes, sizes, rng, self._settings(),
            ledger=ledger, share=float(self.spec.privacy_share),
            what=f"text column {self.column_!r}")
        self.generator_ = "network"
        return self

    def fit_with_rows(self, series: pd.Series, rows: pd.DataFrame,
                      rng: np.random.Generator) -> TextEncoder:
        self._given = (series, rows, rng)
        try:
            return self.fit(series)
        finally:
            self._given = None

    def fit_public(self, series: pd.Series) -> TextEncoder:
        self._public = True
        try:
            return self.fit(self._stand_in(series))
        finally:
            self._public = False

    def _stand_in(self, series: pd.Series) -> pd.Series:
        """No words at all (a vocabulary would leak): generated text is Faker's lorem words."""
        return pd.Series([], name=series.name, dtype=object).astype(series.dtype)

    def _fit(self, values: pd.Series) -> None:
        check_param("min_word_count", self.min_word_count, "an integer >= 1",
                    isinstance(self.min_word_count, int | np.integer)
                    and not isinstance(self.min_word_count, bool) and self.min_word_count >= 1)
        problems = self.spec.problems(self.column_ or "?")
        if problems:
            raise ParameterError("; ".join(problems))
        public = getattr(self, "_public", False)
        generator = "words" if public else choose_generator(self.spec, len(values))
        self.generator_ = generator
        self.network_ = None
        self.words_ = WordBag.fit(values, min_word_count=self.min_word_count)
        if generator == "network":
            self.network_ = self._fit_network(values)

    def _fit_network(self, values: pd.Series) -> Any:
        from simulacra.encoders.language.model import LanguageModel

        self._require_network()
        series, rows, rng = getattr(self, "_given", None) or (values, None, None)
        rows = pd.DataFrame(index=range(len(series))) if rows is None \
            else rows.reset_index(drop=True)
        return LanguageModel.fit(series.reset_index(drop=True), rows,
                                 rng if rng is not None else np.random.default_rng(0),
                                 self._settings())

    def _require_network(self) -> None:
        if not network_available():
            raise ParameterError(f"column {self.column_!r}: generator='network' needs torch "
                                 'and tokenizers: pip install "simulacra[deep]", or set the '
                                 "column's generator to 'words'")

    def _settings(self) -> Any:
        """The language model's settings from the column's spec."""
        from simulacra.encoders.language.model import LanguageSettings

        epochs = LanguageSettings().epochs if self.spec.epochs is None else self.spec.epochs
        return replace(LanguageSettings(), max_training_time=self.spec.max_training_time,
                       epochs=int(epochs), temperature=float(self.spec.temperature),
                       top_p=float(self.spec.top_p), min_rows=int(self.min_word_count),
                       known_words=bool(self.spec.known_words),
                       vocabulary=None if self.spec.vocabulary is None
                       else int(self.spec.vocabulary))

    @property
    def vocabulary_(self) -> list[str]:
        return self.words_.vocabulary

    def generate_for(self, rows: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
        """One value for each of ``rows`` (the other columns of the generated rows)."""
        if self.network_ is None:
            return self.generate(len(rows), rng)
        texts = self.network_.generate(rows, rng)
        series = pd.Series(texts, dtype=object, name=self.column_)
        null = series.isna().to_numpy()
        if null.any():
            return self.missing_.apply(series.where(~null, "").astype(self.dtype_), null)
        return series.astype(self.dtype_)

    def generate(self, n: int, rng: np.random.Generator) -> pd.Series:
        if getattr(self, "network_", None) is not None:
            check_param("n", n, "an integer >= 0",
                        isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 0)
            return self.generate_for(pd.DataFrame(index=range(int(n))), rng)
        return super().generate(n, rng)

    def _generate(self, k: int, rng: np.random.Generator) -> pd.Series:
        return pd.Series(self.words_.generate(k, rng), dtype=object).astype(self.dtype_)

    def _get_state(self) -> State:
        state = {"spec": self.spec.to_dict(), "min_word_count": int(self.min_word_count),
                 "generator": self.generator_, **self.words_.get_state()}
        if self.network_ is not None:
            state["network"] = self.network_.get_state()
        return state

    def _set_state(self, state: State) -> None:
        spec = column_from_dict(state["spec"], name=self.column_ or "?")
        if not isinstance(spec, Text):
            raise ModelFileError(f"column {self.column_!r}: a text encoder with a {spec.kind} "
                                 "spec; the model file is corrupted")
        self.spec = spec
        self.min_word_count = int(state["min_word_count"])
        self.words_ = WordBag.from_state(state)
        self.generator_ = str(state.get("generator", "words"))  # files before the network
        self.network_ = None
        if self.generator_ == "network":
            from simulacra.encoders.language.model import LanguageModel

            try:
                self.network_ = LanguageModel.from_state(state["network"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelFileError(f"the language model of text column {self.column_!r} "
                                     f"cannot be read: {exc}") from None
        elif self.generator_ != "words":
            raise ModelFileError(f"column {self.column_!r}: unknown text generator "
                                 f"{self.generator_!r} in the model file")
