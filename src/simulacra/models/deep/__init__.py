"""Deep synthesizers: CTGAN and TVAE (Xu et al., NeurIPS 2019).

They need PyTorch (``pip install "simulacra[deep]"``). Importing this package does not import
torch: the models import it when they are fitted, sampled or loaded.
"""

from simulacra.models.deep.ctgan import CTGAN
from simulacra.models.deep.tvae import TVAE

__all__ = ["CTGAN", "TVAE"]
