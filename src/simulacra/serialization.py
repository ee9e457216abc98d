"""The ``.simz`` model file: a zip of JSON and safetensors, never pickle.

Layout of the archive::

    manifest.json        format name and version, simulacra version, model name, checksums
    model.json           hyperparameters, metadata and fitted state; arrays replaced by references
    arrays.safetensors   every numeric array of the fitted state (safetensors: no code, no pickle)

Loading checks the format version and every member's SHA-256 before parsing, so a truncated,
corrupted or foreign file fails with a :class:`~simulacra.errors.ModelFileError` that says so.
Classes are looked up in a fixed registry by name; nothing in a file is ever executed.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from simulacra._version import __version__
from simulacra.errors import ModelFileError
from simulacra.io import write_bytes_atomic

FORMAT_NAME = "simulacra-model"
FORMAT_VERSION = 1
_ARRAY_KEY = "__array__"
_MEMBERS = ("model.json", "arrays.safetensors")


def _split_arrays(tree: Any, arrays: dict[str, np.ndarray], path: str = "") -> Any:
    """Replace ndarray leaves by references, collecting them into ``arrays``."""
    if isinstance(tree, np.ndarray):
        if tree.dtype == object or tree.dtype.kind in "USV":
            raise ModelFileError(f"cannot save array at {path or '/'}: dtype {tree.dtype} is not "
                                 "numeric; keep strings in lists")
        key = f"a{len(arrays)}"
        arrays[key] = np.ascontiguousarray(tree)
        return {_ARRAY_KEY: key}
    if isinstance(tree, dict):
        return {str(k): _split_arrays(v, arrays, f"{path}/{k}") for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_split_arrays(v, arrays, f"{path}/{i}") for i, v in enumerate(tree)]
    if isinstance(tree, np.generic):
        return tree.item()
    return tree


def _join_arrays(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY_KEY}:
            try:
                return arrays[tree[_ARRAY_KEY]]
            except KeyError:
                raise ModelFileError(f"model file refers to a missing array "
                                     f"{tree[_ARRAY_KEY]!r}; the file is corrupted") from None
        return {k: _join_arrays(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_join_arrays(v, arrays) for v in tree]
    return tree


def dump_model(path: str | Path, model_name: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` (JSON-safe values and numpy arrays) as a ``.simz`` file, atomically."""
    arrays: dict[str, np.ndarray] = {}
    tree = _split_arrays(payload, arrays)
    members = {
        "model.json": json.dumps(tree, ensure_ascii=False, allow_nan=True).encode("utf-8"),
        "arrays.safetensors": st_save(arrays) if arrays else b"",
    }
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "simulacra_version": __version__,
        "model": model_name,
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        entries = {"manifest.json": json.dumps(manifest, indent=2).encode("utf-8"), **members}
        for name, data in entries.items():
            # a fixed date: the same model gives the same bytes (no clock in the file)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=6)
    write_bytes_atomic(path, buffer.getvalue())


def read_model(path: str | Path) -> tuple[str, dict[str, Any]]:
    """Return ``(model_name, payload)`` from a ``.simz`` file, checking it thoroughly."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ModelFileError(f"cannot read model file {where!r}: {err.strerror}") from None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            names = set(zf.namelist())
            if "manifest.json" not in names:
                raise ModelFileError(f"{where!r} is not a simulacra model file (no manifest)")
            manifest = json.loads(zf.read("manifest.json"))
            _check_manifest(manifest, where)
            members = {name: zf.read(name) for name in _MEMBERS if name in names}
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError) as err:
        raise ModelFileError(f"{where!r} is corrupted or truncated ({err}); save the model "
                             "again from the fitted synthesizer") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelFileError(f"{where!r} has an unreadable manifest; "
                             "the file is corrupted") from None
    for name in _MEMBERS:
        expected = manifest["sha256"].get(name)
        if name not in members or hashlib.sha256(members[name]).hexdigest() != expected:
            raise ModelFileError(f"{where!r} is corrupted: checksum of {name} does not match")
    try:
        tree = json.loads(members["model.json"])
        arrays = st_load(members["arrays.safetensors"]) if members["arrays.safetensors"] else {}
    except Exception as err:  # safetensors raises its own error types
        raise ModelFileError(f"{where!r} is corrupted: {err}") from None
    return manifest["model"], _join_arrays(tree, arrays)


def _check_manifest(manifest: Any, where: str) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{where!r} is not a simulacra model file")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        made_by = manifest.get("simulacra_version", "an unknown version")
        raise ModelFileError(
            f"{where!r} uses model format {version!r}, written by simulacra {made_by}; this "
            f"simulacra ({__version__}) reads format {FORMAT_VERSION} or older: upgrade simulacra"
        )
    if not isinstance(manifest.get("sha256"), dict) or not isinstance(manifest.get("model"), str):
        raise ModelFileError(f"{where!r} has an incomplete manifest; the file is corrupted")
