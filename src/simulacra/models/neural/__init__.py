"""The floor every torch model stands on (CTGAN, TVAE, the autoregressive network, TabDDPM).

One concern per module, nothing model-specific:

* :mod:`~simulacra.models.neural.base`: ``NeuralSynthesizer``, the shared hyperparameters,
  the opening of ``fit``, the epoch loop of a fit, chunked sampling and the saved state every
  torch model has;
* :mod:`~simulacra.models.neural.torch`: lazy torch import, devices, threads and the
  reproducible torch session (with :mod:`~simulacra.models.neural.denormals`: flush-to-zero,
  and ``EXP_FLOOR`` for the networks' exponentials);
* :mod:`~simulacra.models.neural.training` and :mod:`~simulacra.models.neural.validation`:
  the epoch loop (time budget, progress bar) and early stopping on held-out rows;
* :mod:`~simulacra.models.neural.dp_sgd` and :mod:`~simulacra.models.neural.clipping`: DP-SGD
  (the frozen plan, Poisson batches, per-row clipping, the noisy step);
* :mod:`~simulacra.models.neural.private`: the ``privacy=`` half of a model (DP encoding,
  calibrating the plan, the privacy report);
* :mod:`~simulacra.models.neural.weights`: network weights to and from the model file;
  :mod:`~simulacra.models.neural.optim`: the optimizer.

Importing this package does not import torch.
"""
