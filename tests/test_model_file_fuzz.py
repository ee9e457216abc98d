"""Model files are untrusted input: an edited ``model.json`` or manifest, with checksums that
match (so the edit reaches the decoding), loads a model that samples, or fails with a
``ModelFileError`` -- never another exception."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulacra as sim
from conftest import make_mixed
from simulacra.models import get_model

KINDS = {
    "gaussian_copula": {},
    "bayesian_network": {},
    "autoregressive": {"epochs": 1, "hidden_dim": 16, "embedding_dim": 4},
}

#: A string that :func:`_dumps` writes as lists nested that many levels deep.
_DEEP = "\u0000deep:"

#: JSON values of every type, among them the troublesome ones: huge and negative numbers,
#: non-finite floats, deep nesting.
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.text(max_size=8),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.sampled_from([0, -1, -5, 10 ** 12, 2 ** 63, 2 ** 64 + 1, 10 ** 400]),
    st.floats(allow_nan=True, allow_infinity=True),
)
_VALUES = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=5), _SCALARS, max_size=3),
    st.integers(min_value=50, max_value=5000).map(lambda d: f"{_DEEP}{d}"),
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Each model kind's members, fitted on a tiny table."""
    table = make_mixed(120)
    out = {}
    for kind, params in KINDS.items():
        path = tmp_path_factory.mktemp("fuzz") / f"{kind}.simz"
        get_model(kind)(random_state=0, **params).fit(table).save(path)
        with zipfile.ZipFile(path) as zf:
            out[kind] = {name: zf.read(name) for name in zf.namelist()}
    return out


def _paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node of a JSON tree (the root excluded)."""
    out = []
    items = tree.items() if isinstance(tree, dict) else \
        enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


def _mutate(tree: Any, data: st.DataObject) -> Any:
    """``tree`` with one node replaced by another value, or dropped."""
    paths = _paths(tree)
    path = data.draw(st.sampled_from(paths), label="path")
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans(), label="drop") and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(_VALUES, label="value")
    return tree


def _dumps(tree: Any) -> bytes:
    """``tree`` as JSON, with :data:`_DEEP` strings as deeply nested lists."""
    text = json.dumps(tree)
    marker = json.dumps(_DEEP)[:-1]
    while marker in text:
        start = text.index(marker)
        end = text.index('"', start + 1)
        depth = int(text[start + len(marker):end])
        text = text[:start] + "[" * depth + "]" * depth + text[end + 1:]
    return text.encode()


def _checksummed(members: dict[str, bytes]) -> dict[str, Any]:
    """The members' manifest with checksums that match them."""
    manifest = json.loads(members["manifest.json"])
    manifest["sha256"] = {name: hashlib.sha256(data).hexdigest()
                          for name, data in members.items() if name != "manifest.json"}
    return manifest


def _write(path: Path, members: dict[str, bytes], manifest: Any) -> None:
    """A ``.simz`` of these members and this manifest."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", _dumps(manifest))
        for name, data in members.items():
            if name != "manifest.json":
                zf.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def _loads_cleanly(path: Path) -> None:
    """Loads and samples, or fails with a ModelFileError."""
    try:
        model = sim.load(path)
    except sim.ModelFileError as err:
        assert str(path) in str(err)
        return
    assert len(model.sample(5)) == 5


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_an_edited_model_json_loads_or_fails_cleanly(saved, kind, tmp_path_factory, data):
    members = dict(saved[kind])
    tree = _mutate(json.loads(members["model.json"]), data)
    members["model.json"] = _dumps(tree)
    path = tmp_path_factory.mktemp("edited") / "model.simz"
    _write(path, members, _checksummed(members))
    _loads_cleanly(path)


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_an_edited_manifest_loads_or_fails_cleanly(saved, kind, tmp_path_factory, data):
    members = dict(saved[kind])
    manifest = _mutate(_checksummed(members), data)
    path = tmp_path_factory.mktemp("edited") / "model.simz"
    _write(path, members, manifest)
    _loads_cleanly(path)


def _references(tree: Any) -> list[dict]:
    """Every array reference (``{"__array__": key}``) of a model.json tree."""
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return [tree]
        return [ref for value in tree.values() for ref in _references(value)]
    if isinstance(tree, list):
        return [ref for value in tree for ref in _references(value)]
    return []


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_swapped_or_repeated_array_references_load_or_fail_cleanly(saved, kind,
                                                                   tmp_path_factory, data):
    """Two array references exchanged (each array still used once), or one pointed at
    another's array: a clean ModelFileError or a model that samples."""
    members = dict(saved[kind])
    tree = json.loads(members["model.json"])
    refs = _references(tree)
    first, second = (data.draw(st.sampled_from(refs), label=label) for label in ("a", "b"))
    if data.draw(st.booleans(), label="swap"):
        first["__array__"], second["__array__"] = second["__array__"], first["__array__"]
    else:
        first["__array__"] = second["__array__"]
    members["model.json"] = _dumps(tree)
    path = tmp_path_factory.mktemp("swapped") / "model.simz"
    _write(path, members, _checksummed(members))
    _loads_cleanly(path)


def test_an_edited_hidden_dim_is_refused_before_the_network_is_built(saved, tmp_path):
    members = dict(saved["autoregressive"])
    tree = json.loads(members["model.json"])
    tree["params"]["hidden_dim"] = 2 ** 22  # the old code allocated c² × d × 2²² floats
    members["model.json"] = _dumps(tree)
    path = tmp_path / "model.simz"
    _write(path, members, _checksummed(members))
    with pytest.raises(sim.ModelFileError, match=r"'w1' has shape .* hidden_dim=4194304"):
        sim.load(path)


def _small_fit(kind: str) -> Any:
    """A tiny fitted model of each torch kind whose network a hyperparameter sizes."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    if kind in ("sequential", "window-diffusion"):
        events = pd.DataFrame({"entity": np.repeat(np.arange(30), 4),
                               "step": np.tile(np.arange(4), 30),
                               "a": rng.normal(size=120), "b": rng.normal(size=120)})
        params = {"hidden_dim": 8, "epochs": 1} if kind == "sequential" else \
            {"embedding_dim": 8, "heads": 2, "layers": 1, "training_steps": 1}
        return get_model(kind)(sequence_key="entity", sequence_index="step", random_state=0,
                               **params).fit(events)
    params = {"ctgan": {"generator_dim": (8,), "discriminator_dim": (8,), "batch_size": 20},
              "tvae": {"compress_dims": (8,), "decompress_dims": (8,)},
              "tabddpm": {"hidden_dims": (8,)}}[kind]
    return get_model(kind)(epochs=1, random_state=0, **params).fit(make_mixed(60))


@pytest.mark.parametrize("kind, old, new", [
    ("ctgan", b'"generator_dim": [8]', b'"generator_dim": [4194304, 4194304]'),
    ("tvae", b'"decompress_dims": [8]', b'"decompress_dims": [4194304, 4194304]'),
    ("tabddpm", b'"hidden_dims": [8]', b'"hidden_dims": [4194304, 4194304]'),
    ("sequential", b'"hidden_dim": 8', b'"hidden_dim": 4194304'),
    ("window-diffusion", b'"embedding_dim": 8', b'"embedding_dim": 4194304'),
])
def test_an_edited_network_size_is_refused_before_the_network_is_built(kind, old, new,
                                                                       tmp_path):
    """Each torch model's network is built on the meta device first (shapes, no memory) and
    checked against the weights in the file: the old code tried to allocate terabytes."""
    pytest.importorskip("torch")
    from events import tampered

    path = tampered(_small_fit(kind), tmp_path, old, new)
    with pytest.raises(sim.ModelFileError, match=r"network's weight|weights do not fit") as err:
        sim.load(path)
    assert "allocate" not in str(err.value)
