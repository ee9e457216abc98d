"""Keyed, consistent pseudonymization of PII columns."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra as sim
from simulacra.cli import app
from simulacra.metadata import Metadata


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame({
        "email": ["ann@corp.com", "bob@mail.org", "ann@corp.com", None],
        "phone": ["+1 (555) 010-2030", "555-0199", "+1 (555) 010-2030", "020 7946 0000"],
        "name": ["Ann Lee", "Bob Roy", "Ann Lee", "Cy Fox"],
        "visits": [3, 1, 4, 2],
    })


def md(df: pd.DataFrame) -> Metadata:
    return (Metadata.detect(df).update_column("email", "pii", pii_type="email")
            .update_column("phone", "pii", pii_type="phone")
            .update_column("name", "pii", pii_type="name"))


def test_same_value_same_fake_and_nothing_real_left(people):
    before = people.copy()
    out = sim.pseudonymize(people, md(people), key="k3y-one")
    pd.testing.assert_frame_equal(people, before)  # the caller's frame is untouched
    for col in ("email", "phone", "name"):
        assert out[col][0] == out[col][2], col
        assert not set(out[col].dropna()) & set(people[col].dropna()), col
        assert out[col].dropna().nunique() == people[col].dropna().nunique(), col
    assert pd.isna(out["email"][3])
    assert out["visits"].tolist() == [3, 1, 4, 2]


def test_formats_kept_and_key_matters(people):
    out = sim.pseudonymize(people, md(people), key="k3y-one")
    for real, fake in zip(people["phone"], out["phone"], strict=True):
        assert len(real) == len(fake)
        assert [c for c in real if not c.isdigit()] == [c for c in fake if not c.isdigit()]
    assert out["email"].dropna().str.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+").all()
    again = sim.pseudonymize(people, md(people), key="k3y-one")
    pd.testing.assert_frame_equal(out, again)
    other = sim.pseudonymize(people, md(people), key="k3y-two")
    assert (other["name"] != out["name"]).all()
    kept = sim.pseudonymize(people, md(people), key="k3y-one", keep_email_domain=True)
    assert kept["email"][0].endswith("@corp.com") and not kept["email"][0].startswith("ann@")


def test_bad_key_and_input(people):
    with pytest.raises(sim.ParameterError, match="'key' parameter"):
        sim.pseudonymize(people, md(people), key="")
    with pytest.raises(sim.ParameterError, match="expects a pandas DataFrame"):
        sim.pseudonymize(people.to_dict(), key="k3y-one")


def test_cli(people, tmp_path, monkeypatch):
    data, out, key = tmp_path / "p.csv", tmp_path / "out.csv", tmp_path / "key.txt"
    people.to_csv(data, index=False)
    path = tmp_path / "md.yaml"
    md(people).save(path)
    key.write_text("k3y-one\n")
    runner = CliRunner(env={"COLUMNS": "200"})
    r = runner.invoke(app, ["pseudonymize", str(data), "-o", str(out), "--key-file", str(key),
                            "--metadata", str(path)])
    assert r.exit_code == 0, r.output
    written = pd.read_csv(out)
    assert written["name"][0] == sim.pseudonymize(people, md(people), key="k3y-one")["name"][0]
    monkeypatch.delenv("SIMULACRA_PSEUDONYM_KEY", raising=False)
    r = runner.invoke(app, ["pseudonymize", str(data), "-o", str(out)])
    assert r.exit_code == 2 and "secret key is needed" in r.output
