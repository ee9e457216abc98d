"""``IndependentMarginals``: every column drawn on its own from its empirical distribution.

The baseline every other model must beat: column shapes are reproduced almost exactly, while
every relation between columns is lost (trend and detection scores show it).

>>> import pandas as pd
>>> df = pd.DataFrame({"a": [1, 2, 3, 4] * 25, "b": list("xxyz") * 25})
>>> synth = IndependentMarginals(random_state=0).fit(df).sample(5)
>>> synth.shape, [str(t) for t in synth.dtypes]
((5, 2), ['int64', 'str'])
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from simulacra.models.marginal_base import MarginalModel


class IndependentMarginals(MarginalModel):
    """Independent empirical marginals (baseline).

    Parameters
    ----------
    metadata:
        Column kinds; detected from the data when ``None``.
    random_state:
        Seed for every random draw.
    marginal_resolution:
        Columns with at most this many distinct values keep their exact distribution; others
        are represented by this many quantiles.
    """

    name: ClassVar[str] = "independent"

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {name: m.from_uniform(rng.random(n)) for name, m in self.marginals_.items()}
