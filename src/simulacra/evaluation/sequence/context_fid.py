"""Context-FID: the Fréchet distance between real and synthetic windows, embedded by TS2Vec.

Diffusion-TS (Yuan & Qiao, ICLR 2024, ``Utils/context_fid.py``; first proposed by Jeha et al.,
"PSA-GAN", ICLR 2022) scores fixed-length windows as FID scores images:

1. train a TS2Vec encoder on the real windows (:mod:`.ts2vec`; nothing downloaded);
2. embed every real and every synthetic window (one 320-vector each);
3. fit a Gaussian to each set of embeddings and report their Fréchet distance
   ``‖μ_r − μ_s‖² + tr(Σ_r + Σ_s − 2 (Σ_r Σ_s)^{1/2})``.

Lower is better, 0 is ideal; the scale depends on the data (Diffusion-TS reports .006 on
Sines, .116 on ETTh1 and .089 on Energy for windows of 24 scaled to [0, 1]).

Windows are ``(N, T, F)`` with features scaled to [0, 1]; the same number of windows on each
side is best (Diffusion-TS compares equally many).

>>> rng = np.random.default_rng(0)
>>> t = np.arange(24)
>>> def waves(n):
...     return np.sin(t[None, :, None] / 3 + rng.uniform(0, 6, (n, 1, 2))) / 2 + 0.5
>>> same = context_fid(waves(200), waves(200), iterations=60, random_state=0)
>>> noise = context_fid(waves(200), rng.uniform(0, 1, (200, 24, 2)), iterations=60,
...                     random_state=0)
>>> same < noise
True
"""

from __future__ import annotations

import numpy as np

from simulacra.errors import ParameterError, check_param
from simulacra.evaluation.metric import Metric
from simulacra.evaluation.sequence.data import SequenceData
from simulacra.evaluation.sequence.features import MAX_UNITS, WINDOW, SequenceFeatures
from simulacra.neural.torch import require_torch
from simulacra.randomness import RandomState, child_seed, make_rng

DEFINITION = ("Fréchet distance between the real and synthetic windows' embeddings by a "
              "TS2Vec encoder trained on the real windows (Diffusion-TS's Context-FID).")
NOT_WINDOWS = ("not computed: needs fixed-length windows (every real and synthetic sequence "
               "of one length, at most the evaluation's window)")


def context_fid(real: np.ndarray, synthetic: np.ndarray, *, iterations: int | None = None,
                random_state: RandomState = 0, device: str = "cpu") -> float:
    """Context-FID of ``synthetic`` windows against ``real`` ones, both ``(N, T, F)``.

    ``iterations`` trains the encoder for that many batches (TS2Vec's default: 200, or 600
    when the real windows hold more than 100,000 values).
    """
    require_torch()
    from simulacra.evaluation.sequence.networks import posthoc_session
    from simulacra.evaluation.sequence.ts2vec import encode, train_ts2vec

    real = _windows(real, "real")
    synthetic = _windows(synthetic, "synthetic")
    if real.shape[1:] != synthetic.shape[1:]:
        raise ParameterError(f"real and synthetic windows must have the same length and "
                             f"features; got {real.shape[1:]} and {synthetic.shape[1:]}")
    if iterations is not None:
        check_param("iterations", iterations, "an integer >= 1",
                    isinstance(iterations, int) and iterations >= 1)
    rng = make_rng(random_state)
    with posthoc_session(child_seed(rng), device) as dev:
        encoder = train_ts2vec(real, rng, iterations, dev)
        real_z, synth_z = encode(encoder, real), encode(encoder, synthetic)
    return frechet_distance(real_z, synth_z)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the rows of ``a`` and of ``b``.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(4000, 2))
    >>> round(frechet_distance(x, x + [3.0, 0.0]), 1)
    9.0
    """
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = np.real(linalg.sqrtm(cov_a @ cov_b))
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2.0 * root))
    return max(value, 0.0)


def _windows(x: np.ndarray, label: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim != 3 or min(arr.shape) < 1:
        raise ParameterError(f"{label} windows must be a (windows, steps, features) array, "
                             f"got shape {arr.shape}")
    if len(arr) < 2:
        raise ParameterError(f"{label}: Context-FID needs at least 2 windows, got {len(arr)}")
    return arr


def context_fid_metric(data: SequenceData, features: SequenceFeatures,
                       rng: np.random.Generator, *, window: int = WINDOW,
                       max_units: int = MAX_UNITS, device: str = "cpu") -> Metric:
    """:func:`context_fid` of the synthetic table's sequences against the real table's, when
    both are fixed-length windows (every sequence of both tables of one length, at most
    ``window`` events); features as
    :class:`~simulacra.evaluation.sequence.features.SequenceFeatures`."""
    if not fixed_windows(data, window) or features.size == 0:
        return Metric("context-FID", "sequence", float("nan"), definition=DEFINITION,
                      direction="lower", ideal=0.0, note=NOT_WINDOWS)
    real, real_note = features.sample_units(data.real, window, max_units, rng)
    synth, synth_note = features.sample_units(data.synth, window, max_units, rng)
    notes = [n for n in (data.note, real_note and f"real: {real_note}",
                         synth_note and f"synthetic: {synth_note}") if n]
    value = context_fid(np.nan_to_num(np.stack(real)), np.nan_to_num(np.stack(synth)),
                        random_state=rng, device=device)
    return Metric("context-FID", "sequence", value, definition=DEFINITION, direction="lower",
                  ideal=0.0, note="; ".join(notes),
                  details={"windows": [len(real), len(synth)], "length": len(real[0]),
                           "features": features.names})


def fixed_windows(data: SequenceData, window: int) -> bool:
    """Whether every real and synthetic sequence has one length, 2 to ``window`` events (a
    table of fixed windows, where Context-FID applies)."""
    lengths = np.concatenate([data.real.lengths, data.synth.lengths])
    return len(lengths) > 0 and bool((lengths == lengths[0]).all()) and 2 <= lengths[0] <= window
