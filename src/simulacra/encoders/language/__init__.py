"""The language model of free-text columns (``Text(generator="network")``), trained here on the
column from scratch and conditioned on the row's other columns; torch and tokenizers are
imported only when it fits, writes or loads (the ``deep`` extra).

* :mod:`~simulacra.encoders.language.tokens`: byte-level BPE and rare-token protection;
* :mod:`~simulacra.encoders.language.context`: the row's other columns as codes;
* :mod:`~simulacra.encoders.language.network`: the LSTM;
* :mod:`~simulacra.encoders.language.training` and
  :mod:`~simulacra.encoders.language.sampling`: learning and writing;
* :mod:`~simulacra.encoders.language.copies`: no verbatim copies of rare training texts;
* :mod:`~simulacra.encoders.language.private`: DP-SGD under a privacy budget, each text's
  clipped gradient from :mod:`~simulacra.encoders.language.per_text` (one layer, with
  :mod:`~simulacra.encoders.language.recurrence`) or ``vmap``;
* :mod:`~simulacra.encoders.language.model`: ``LanguageModel``, all of it together.
"""
