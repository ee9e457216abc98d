"""The torch floor under every network of simulacra, nothing model-specific: the tabular models
(:mod:`simulacra.models.neural`), the sequence and window models, and the language model of
free-text columns (:mod:`simulacra.encoders.language`).

* :mod:`~simulacra.neural.torch`: lazy torch import, devices, threads and the reproducible
  torch session (with :mod:`~simulacra.neural.denormals`: flush-to-zero, and ``EXP_FLOOR``
  for the networks' exponentials);
* :mod:`~simulacra.neural.training` and :mod:`~simulacra.neural.validation`: the epoch loop
  (time budget, progress bar) and early stopping on held-out rows;
* :mod:`~simulacra.neural.weights`: network weights to and from the model file;
  :mod:`~simulacra.neural.optim`: the optimizer; :mod:`~simulacra.neural.schedule`: the
  learning-rate schedule;
* :mod:`~simulacra.neural.dp_sgd` and :mod:`~simulacra.neural.clipping`: DP-SGD's frozen
  plan, Poisson batches, per-row (or ghost) clipping and the noisy step.

Importing this package does not import torch.
"""
