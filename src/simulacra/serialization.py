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
from collections.abc import Iterator
from contextlib import contextmanager
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

# Caps on what a model file may unpack to, checked before anything is decompressed (a file is
# untrusted input: a few hundred KiB of deflate can claim gigabytes). The largest models the
# tests and README write are a few MB (TabDDPM on Adult: 2.8 MB of arrays, 12 KB of JSON).
#: The file itself.
MAX_FILE_BYTES = 2 * 1024 ** 3
#: Members in the archive (a model file holds 3).
MAX_MEMBERS = 8
#: ``arrays.safetensors`` (and any member without a cap of its own).
MAX_MEMBER_BYTES = 2 * 1024 ** 3
#: ``model.json``: parsed into Python objects, about 10 times its size in memory.
MAX_JSON_BYTES = 128 * 1024 ** 2
#: ``manifest.json``.
MAX_MANIFEST_BYTES = 64 * 1024
#: All members together.
MAX_UNPACKED_BYTES = MAX_MEMBER_BYTES + MAX_JSON_BYTES + MAX_MANIFEST_BYTES
#: Compression ratio of any member larger than ``RATIO_FLOOR_BYTES`` (weights compress about
#: 1.1 to 1, JSON about 5 to 1, sparse tables about 30 to 1; deflate at most about 1,000 to 1).
MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR_BYTES = 4 * 1024 ** 2
#: All members together unpack to at most ``UNPACKED_FLOOR_BYTES`` or ``MAX_EXPANSION`` times
#: the file's own size, whichever is more. Loading holds the arrays about twice (unpacked, then
#: as numpy arrays) and a network's weights once more, so a file under 10 MB loads in about
#: 200 MB above the interpreter and torch (about 500 MB in all), whatever it claims.
UNPACKED_FLOOR_BYTES = 40 * 1024 ** 2
MAX_EXPANSION = 4
#: Values in ``model.json``, counted before parsing as its ``[``, ``{`` and ``,`` (an upper
#: bound): a parsed value costs up to about 70 bytes where ``[{},{}]`` writes it in 3.
MAX_JSON_VALUES = 1_000_000
#: Nesting depth of ``model.json`` (models write 6 levels).
MAX_DEPTH = 64
#: What building a model from an edited payload can raise: each becomes a ModelFileError that
#: names the file (RuntimeError: torch's errors, and RecursionError; OSError: a time zone is
#: looked up as a file by its name).
PAYLOAD_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError,
                  RuntimeError, OSError)
_MEMBER_CAPS = {"manifest.json": MAX_MANIFEST_BYTES, "model.json": MAX_JSON_BYTES,
                "arrays.safetensors": MAX_MEMBER_BYTES}


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


def _join_arrays(tree: Any, arrays: dict[str, np.ndarray], where: str = "the model file"
                 ) -> Any:
    """``tree`` with its array references replaced by ``arrays`` (in place: the tree is the
    caller's own freshly parsed JSON, so it is not copied). An array referred to twice is
    refused: a model file never repeats one, and a reference edited to another array must not
    sample silently."""
    return _put_arrays(tree, arrays, where, set(), 0)


def _put_arrays(tree: Any, arrays: dict[str, np.ndarray], where: str, used: set[str],
                depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ModelFileError(f"{where!r} has model.json nested more than {MAX_DEPTH} levels "
                             "deep; the file is corrupted")
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY_KEY}:
            key = tree[_ARRAY_KEY]
            if not isinstance(key, str) or key not in arrays:
                raise ModelFileError(f"{where!r} refers to a missing array {key!r}; the file "
                                     "is corrupted")
            if key in used:
                raise ModelFileError(f"{where!r} refers to array {key!r} twice; the file is "
                                     "corrupted")
            used.add(key)
            return arrays[key]
        for k, v in tree.items():
            tree[k] = _put_arrays(v, arrays, where, used, depth + 1)
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            tree[i] = _put_arrays(v, arrays, where, used, depth + 1)
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
    """Return ``(model_name, payload)`` from a ``.simz`` file, checking it thoroughly.

    A model file is untrusted input: sizes are checked against the caps above before anything
    is decompressed, and members are read in a bounded way (a zip's declared sizes can lie)."""
    path = Path(path)
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ModelFileError(f"{where!r} is {size:,} bytes, more than a model file may be "
                                 f"({MAX_FILE_BYTES:,}); it is not a simulacra model file")
        raw = path.read_bytes()
    except ModelFileError:
        raise
    except OSError as err:
        raise ModelFileError(f"cannot read model file {where!r}: {err.strerror}") from None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = _checked_members(zf, where, len(raw))
            if "manifest.json" not in infos:
                raise ModelFileError(f"{where!r} is not a simulacra model file (no manifest)")
            manifest = json.loads(_read_member(zf, infos["manifest.json"], where))
            _check_manifest(manifest, where)
            members = {name: _read_member(zf, infos[name], where)
                       for name in _MEMBERS if name in infos}
    except ModelFileError:
        raise  # a subclass of OSError: keep its own message
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise ModelFileError(f"{where!r} has an unreadable manifest; "
                             "the file is corrupted") from None
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError, ValueError,
            RuntimeError) as err:  # RuntimeError: encrypted, NotImplementedError: compression
        raise ModelFileError(f"{where!r} is corrupted or truncated ({err}); save the model "
                             "again from the fitted synthesizer") from None
    for name in _MEMBERS:
        expected = manifest["sha256"].get(name)
        if name not in members or hashlib.sha256(members[name]).hexdigest() != expected:
            raise ModelFileError(f"{where!r} is corrupted: checksum of {name} does not match")
    _check_json_values(members["model.json"], where)
    try:
        tree = json.loads(members["model.json"])
        arrays = st_load(members["arrays.safetensors"]) if members["arrays.safetensors"] else {}
    except Exception as err:  # safetensors raises its own error types
        raise ModelFileError(f"{where!r} is corrupted: {err}") from None
    return manifest["model"], _join_arrays(tree, arrays, where)


def _checked_members(zf: zipfile.ZipFile, where: str, size: int
                     ) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by name, once their count, declared sizes and compression ratios
    are within the caps for a file of ``size`` bytes (checked before anything is decompressed;
    reading a member stops at its declared size)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{where!r} holds {len(infos):,} files; a model file holds "
                             f"{len(_MEMBERS) + 1} (at most {MAX_MEMBERS} are read)")
    total = 0
    for info in infos:
        cap = _MEMBER_CAPS.get(info.filename, MAX_MEMBER_BYTES)
        if info.file_size > cap:
            raise ModelFileError(f"{where!r}: {info.filename} would unpack to "
                                 f"{info.file_size:,} bytes, more than the {cap:,} a model "
                                 "file may hold; refused")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise ModelFileError(f"{where!r}: {info.filename} is compressed {ratio:,.0f} to 1 "
                                 f"(at most {MAX_COMPRESSION_RATIO} to 1 in a model file); "
                                 "refused as a likely zip bomb")
        total += info.file_size
    allowed = min(MAX_UNPACKED_BYTES, max(UNPACKED_FLOOR_BYTES, MAX_EXPANSION * size))
    if total > allowed:
        raise ModelFileError(f"{where!r} would unpack to {total:,} bytes, more than the "
                             f"{allowed:,} a model file of {size:,} bytes may hold (the larger "
                             f"of {UNPACKED_FLOOR_BYTES:,} and {MAX_EXPANSION} times its size); "
                             "refused as a likely zip bomb")
    return {info.filename: info for info in infos}


def _check_json_values(data: bytes, where: str) -> None:
    """Refuse a ``model.json`` of more than :data:`MAX_JSON_VALUES` values before parsing it
    (counted from its bytes: every value but the first follows a ``[``, ``{`` or ``,``)."""
    count = data.count(b",") + data.count(b"[") + data.count(b"{")
    if count > MAX_JSON_VALUES:
        raise ModelFileError(f"{where!r}: model.json holds about {count:,} values, more than "
                             f"the {MAX_JSON_VALUES:,} a model file may hold; refused")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """A member's bytes, reading at most its cap + 1 (its declared size may be a lie)."""
    cap = _MEMBER_CAPS.get(info.filename, MAX_MEMBER_BYTES)
    with zf.open(info) as member:
        data = member.read(cap + 1)
    if len(data) > cap:
        raise ModelFileError(f"{where!r}: {info.filename} unpacks to more than {cap:,} bytes, "
                             "more than a model file may hold; refused")
    return data


def _check_manifest(manifest: Any, where: str) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{where!r} is not a simulacra model file")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{where!r} has an invalid format_version {version!r} (an integer "
                             ">= 1); the file is corrupted")
    if version > FORMAT_VERSION:
        made_by = manifest.get("simulacra_version")
        made_by = made_by if isinstance(made_by, str) else "an unknown version"
        raise ModelFileError(
            f"{where!r} was written by a newer simulacra (format {version}, simulacra "
            f"{made_by[:40]}); this simulacra ({__version__}) reads format {FORMAT_VERSION} "
            "or older: upgrade simulacra"
        )
    if not isinstance(manifest.get("sha256"), dict) or not isinstance(manifest.get("model"), str):
        raise ModelFileError(f"{where!r} has an incomplete manifest; the file is corrupted")


@contextmanager
def decoding(where: str, what: str) -> Iterator[None]:
    """Turn what building ``what`` from the payload of the file at ``where`` raises (one of
    :data:`PAYLOAD_ERRORS`, or a ModelFileError that does not name the file) into a
    :class:`ModelFileError` naming the file."""
    try:
        yield
    except ModelFileError as err:
        if where in str(err):
            raise
        raise ModelFileError(f"{where!r}: {err}") from None
    except PAYLOAD_ERRORS as err:
        detail = str(err)
        detail = detail if len(detail) <= 300 else detail[:300] + "..."
        raise ModelFileError(f"{where!r} has an incomplete or invalid {what} "
                             f"({type(err).__name__}: {detail}); the file is corrupted") from None
