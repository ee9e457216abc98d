"""Data shipped with simulacra for demos and examples (see README.md here for attribution).

>>> df = load_demo()
>>> df.shape
(32561, 15)
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

DEMO_TARGET = "income"


def demo_path() -> str:
    """Filesystem path of the bundled Adult census table (CC BY 4.0, UCI)."""
    return str(resources.files(__package__).joinpath("adult.csv.gz"))


def load_demo() -> pd.DataFrame:
    """The Adult census training table: 32,561 rows x 15 columns, target ``income``."""
    return pd.read_csv(demo_path())
