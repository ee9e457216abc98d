"""Running sums in event tables: ``balance = previous balance + amount`` by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from events import assert_round_trip, tampered
from simulacra.errors import DataError, MetadataError, ModelFileError, ParameterError

pytest.importorskip("torch")


def ledger(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Accounts of 1-7 transactions; each balance is the previous one plus the amount."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 8, n)
    rows = []
    for e in range(n):
        balance = round(float(rng.uniform(0, 1000)), 2)
        for t in range(sizes[e]):
            amount = round(float(rng.normal(20, 50)), 2)
            if t:
                balance = round(balance + amount, 2)
            rows.append((f"A{e:04d}", t, amount, balance))
    return pd.DataFrame(rows, columns=["account", "step", "amount", "balance"])


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return ledger()


@pytest.fixture(scope="module")
def metadata(events):
    md = sim.Metadata.detect(events, sequence_key="account", sequence_index="step")
    return md.add_constraint(sim.RunningSum(column="balance", increment="amount"))


@pytest.fixture(scope="module")
def fitted(events, metadata):
    return sim.SequentialNetwork(metadata, epochs=15, random_state=0).fit(events)


def _holds(frame: pd.DataFrame) -> bool:
    frame = frame.sort_values(["account", "step"], kind="stable")
    moved = frame.groupby("account", sort=False)["balance"].diff()
    later = moved.notna()
    return bool(np.allclose(moved[later], frame.loc[later, "amount"], atol=0.006))


def test_the_check_reads_entities_in_order(events, metadata):
    rule = sim.RunningSum(column="balance", increment="amount")
    assert rule.check(events, metadata).all()
    shuffled = events.sample(frac=1.0, random_state=0)  # order comes from the index
    assert rule.check(shuffled, metadata).all()
    broken = events.copy()
    broken.loc[1, "balance"] += 5.0
    ok = rule.check(broken, metadata)
    assert not ok[1] and not ok[2] and ok.sum() == len(events) - 2  # its move and the next
    assert sim.constraints.constraint_from_dict(rule.to_dict()) == rule
    assert rule.to_dict() == {"type": "running_sum", "column": "balance", "increment": "amount"}


def test_generated_balances_are_running_sums(events, fitted, metadata, tmp_path):
    assert "balance" not in fitted.codec_.columns_ and "balance.first" in fitted.codec_.columns_
    fake = fitted.sample(300, rng=1)
    assert list(fake.columns) == list(events.columns)
    assert _holds(fake)
    rule = metadata.constraints[0]
    assert rule.check(fake, metadata).all()
    first = fake.sort_values(["account", "step"]).groupby("account")["balance"].first()
    assert first.min() >= 0 and first.max() <= 1000 * 1.05  # first balances as the real ones
    assert_round_trip(fitted, tmp_path, 30, rng=2)


def test_contexts_and_continuations_keep_the_sum(events, fitted):
    out = fitted.sample_sequences(pd.DataFrame({"account": ["x", "y"]}), lengths=[5, 3],
                                  rng=3)
    assert out.groupby("account").size().to_dict() == {"x": 5, "y": 3} and _holds(out)
    prefixes = events[events["account"].isin(["A0001", "A0002"])].groupby("account").head(1)
    more = fitted.continue_sequences(prefixes, events=3, rng=4)
    assert _holds(pd.concat([prefixes, more]))


def test_bad_running_sums_get_clear_errors(events, tmp_path, fitted):
    def md(rule):
        return sim.Metadata.detect(events, sequence_key="account",
                                   sequence_index="step").add_constraint(rule)

    with pytest.raises(DataError, match="sequence key or index"):
        sim.SequentialNetwork(md(sim.RunningSum("step", "amount")), epochs=1).fit(events)
    with pytest.raises(MetadataError, match="no column 'nope'"):
        md(sim.RunningSum("balance", "nope"))
    with pytest.raises(ParameterError, match="running_sum constraints only"):
        sim.SequentialNetwork(md(sim.Positive("amount")), epochs=1).fit(events)
    with pytest.raises(ParameterError, match="SequentialNetwork"):  # rows one by one cannot
        sim.GaussianCopula(md(sim.RunningSum("balance", "amount"))).fit(events)
    wrong = tampered(fitted, tmp_path, b'"increment": "amount"', b'"increment": "zzz"')
    with pytest.raises(ModelFileError, match="running sums"):
        sim.load(wrong)


def test_the_command_line_holds_a_declared_running_sum(events, metadata, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    events.to_csv(tmp_path / "ledger.csv", index=False)
    metadata.save(tmp_path / "ledger.yaml")
    assert "type: running_sum" in (tmp_path / "ledger.yaml").read_text()
    runner = CliRunner()
    r = runner.invoke(app, ["fit", str(tmp_path / "ledger.csv"), "--metadata",
                            str(tmp_path / "ledger.yaml"), "-p", "epochs=3", "--seed", "0",
                            "-o", str(tmp_path / "ledger.simz")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sample", str(tmp_path / "ledger.simz"), "-n", "40", "--seed", "1",
                            "-o", str(tmp_path / "fake.csv")])
    assert r.exit_code == 0, r.output
    fake = pd.read_csv(tmp_path / "fake.csv")
    assert fake["account"].nunique() == 40 and _holds(fake)
