"""Model files: portable, checked, never pickle."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

import simulacra as sim
from simulacra.serialization import FORMAT_VERSION


@pytest.fixture
def saved(mixed, tmp_path):
    path = tmp_path / "m.simz"
    sim.GaussianCopula(random_state=0).fit(mixed).save(path)
    return path


def rewrite(path, edit):
    """Rewrite the archive at ``path`` after ``edit(members)`` changes its members."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    edit(members)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def test_archive_holds_only_json_and_safetensors(saved):
    with zipfile.ZipFile(saved) as zf:
        assert sorted(zf.namelist()) == ["arrays.safetensors", "manifest.json", "model.json"]
        manifest = json.loads(zf.read("manifest.json"))
        model = json.loads(zf.read("model.json"))
    assert manifest["format"] == "simulacra-model" and manifest["model"] == "gaussian_copula"
    assert model["metadata"]["metadata_version"] == 1
    raw = saved.read_bytes()
    assert b"pickle" not in raw.lower()
    # PII values never reach the model file
    assert b"@example.org" not in zipfile.ZipFile(saved).read("model.json")


def test_truncated_file(saved):
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(sim.ModelFileError, match="corrupted or truncated"):
        sim.load(saved)


def test_corrupted_member_fails_checksum(saved):
    def edit(members):
        members["model.json"] = members["model.json"].replace(b'"n_rows": 600', b'"n_rows": 601')

    rewrite(saved, edit)
    with pytest.raises(sim.ModelFileError, match="checksum"):
        sim.load(saved)


def test_newer_format_version_names_the_upgrade(saved):
    def edit(members):
        manifest = json.loads(members["manifest.json"])
        manifest["format_version"] = FORMAT_VERSION + 1
        manifest["simulacra_version"] = "9.0.0"
        members["manifest.json"] = json.dumps(manifest).encode()

    rewrite(saved, edit)
    with pytest.raises(sim.ModelFileError, match=r"written by simulacra 9\.0\.0.*upgrade"):
        sim.load(saved)


def test_unknown_model_name(saved):
    def edit(members):
        manifest = json.loads(members["manifest.json"])
        manifest["model"] = "os.system"
        members["manifest.json"] = json.dumps(manifest).encode()

    rewrite(saved, edit)
    with pytest.raises(sim.ModelFileError, match="does not know"):
        sim.load(saved)


def test_not_a_model_file(tmp_path):
    path = tmp_path / "x.simz"
    path.write_text("hello")
    with pytest.raises(sim.ModelFileError):
        sim.load(path)
    with pytest.raises(sim.ModelFileError, match="cannot read"):
        sim.load(tmp_path / "missing.simz")


def test_failed_save_leaves_nothing_behind(tmp_path, mixed):
    model = sim.GaussianCopula(random_state=0).fit(mixed)
    target = tmp_path / "out.simz"
    target.write_bytes(b"previous")
    model.codec_.encoders_["age"].dtype_ = object()  # not JSON-serializable
    with pytest.raises(TypeError):
        model.save(target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.simz"]
