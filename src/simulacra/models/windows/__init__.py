"""Fixed-length windows of a multivariate time series, learned by diffusion
(:class:`WindowDiffusion`)."""

from simulacra.models.windows.model import WindowDiffusion

__all__ = ["WindowDiffusion"]
