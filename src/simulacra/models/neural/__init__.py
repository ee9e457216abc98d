"""The floor every torch synthesizer stands on (CTGAN, TVAE, the autoregressive network, TabDDPM),
above the model-free torch floor of :mod:`simulacra.neural` (sessions, the epoch loop, early
stopping, weights, the optimizer, DP-SGD and per-row clipping):

* :mod:`~simulacra.models.neural.base`: ``NeuralSynthesizer``, the shared hyperparameters,
  the opening of ``fit``, the epoch loop of a fit, chunked sampling and the saved state every
  torch model has;
* :mod:`~simulacra.models.neural.private`: the ``privacy=`` half of a model (DP encoding,
  calibrating the plan, the privacy report);
* :mod:`~simulacra.models.neural.gaussian`: Gaussian helpers of the diffusion models.

Importing this package does not import torch.
"""
