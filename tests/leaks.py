"""What a saved model file holds, for the privacy tests: its JSON text and its arrays."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from safetensors.numpy import load as load_arrays


def assert_file_keeps_none_of(path: Path, texts: list[str], values: list[float]) -> None:
    """Neither ``texts`` in the file's JSON members nor any of ``values`` (within 1e-6,
    relatively) in its arrays."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            if name.endswith(".safetensors"):
                arrays = load_arrays(raw) if raw else {}
                for key, array in arrays.items():
                    if np.issubdtype(array.dtype, np.number) and array.size:
                        flat = array.astype(np.float64).ravel()
                        for value in values:
                            near = np.isclose(flat, value, rtol=1e-6, atol=0)
                            assert not near.any(), f"{value} is in array {key!r} of {name}"
            else:
                text = raw.decode("utf-8", errors="replace")
                for planted in texts:
                    assert planted not in text, f"{planted!r} is in {name}"
