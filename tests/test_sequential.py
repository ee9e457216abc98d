"""SequentialNetwork: entities with their events, siblings drawn together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from events import assert_round_trip, bursts, tampered
from simulacra.errors import DataError, ModelFileError, ParameterError

pytest.importorskip("torch")


def accounts(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Per account (segment a: 1-2 events, b: 2-5), exactly one OWNER, always first, then
    DISPONENTs; each event's amount is the previous one + 10 around a per-segment level."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["a", "b"], n)
    sizes = np.where(segment == "a", rng.integers(1, 3, n), rng.integers(2, 6, n))
    rows = []
    for e in range(n):
        base = rng.normal(100 if segment[e] == "a" else 300, 20)
        for t in range(sizes[e]):
            rows.append((f"C{e:05d}", segment[e], "OWNER" if t == 0 else "DISPONENT",
                         round(base + 10 * t + rng.normal(0, 2), 1), t))
    return pd.DataFrame(rows, columns=["account", "segment", "type", "amount", "step"])


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return accounts()


@pytest.fixture(scope="module")
def fitted(events):
    return sim.SequentialNetwork(sequence_key="account", sequence_index="step",
                                 random_state=0).fit(events)


def _stats(frame: pd.DataFrame) -> dict[str, float]:
    by = frame.groupby("account", sort=False)
    sizes, segment = by.size(), by["segment"].first()
    owners = by["type"].apply(lambda s: int((s == "OWNER").sum()))
    return {"one_owner": float((owners == 1).mean()),
            "owner_first": float((by["type"].first() == "OWNER").mean()),
            "len_a": float(sizes[segment == "a"].mean()),
            "len_b": float(sizes[segment == "b"].mean()),
            "step_up": float(by["amount"].apply(lambda s: s.diff().mean()).mean()),
            "level_b": float(frame.loc[frame["segment"] == "b", "amount"].mean())}


def test_siblings_lengths_and_context_are_learned(events, fitted):
    assert fitted.context_columns_ == ["segment"]
    fake = fitted.sample(1500, rng=1)
    assert list(fake.columns) == list(events.columns)
    assert fake["account"].nunique() == 1500
    # the context is one value per entity
    assert (fake.groupby("account")["segment"].nunique() == 1).all()
    real, synth = _stats(events), _stats(fake)
    assert synth["one_owner"] > 0.97 and synth["owner_first"] > 0.97
    assert synth["len_a"] == pytest.approx(real["len_a"], rel=0.08)
    assert synth["len_b"] == pytest.approx(real["len_b"], rel=0.08)
    assert synth["step_up"] == pytest.approx(real["step_up"], abs=3.0)
    assert synth["level_b"] == pytest.approx(real["level_b"], rel=0.08)
    # a row-by-row model cannot keep one owner per account
    flat = sim.GaussianCopula(random_state=0).fit(events.drop(columns=["account", "step"]))
    assert (flat.sample(2000, rng=1)["type"] == "OWNER").mean() < 0.6


def test_sequences_for_given_contexts_and_lengths(fitted):
    context = pd.DataFrame({"segment": ["a", "b", "b", "a"], "account": ["x", "y", "z", "w"]})
    out, positions = fitted.sample_for(context, lengths=[1, 3, 0, 2], rng=0)
    assert positions.tolist() == [0, 1, 1, 1, 3, 3]
    assert out["account"].tolist() == ["x", "y", "y", "y", "w", "w"]
    assert out["segment"].tolist() == ["a", "b", "b", "b", "a", "a"]
    assert out.loc[out["segment"] == "b", "amount"].mean() > 200
    free = fitted.sample_sequences(context[["segment"]], rng=0)
    assert free["account"].nunique() == 4


def test_conditions_and_rebalancing_fix_the_entities_context(fitted, events):
    fake = fitted.sample(300, conditions={"segment": "b"}, rng=4)
    assert fake["account"].nunique() == 300 and set(fake["segment"]) == {"b"}
    real_b = events[events["segment"] == "b"].groupby("account").size().mean()
    # a b-entity's length and level come with its context (a: 1.5 events, level 100)
    assert fake.groupby("account").size().mean() == pytest.approx(real_b, rel=0.1)
    assert fake["amount"].mean() > 250
    assert 0 < fitted.conditional_acceptance_ < 0.8
    shares = fitted.sample(400, rebalance={"segment": {"a": 0.8}}, rng=5)
    per_entity = shares.groupby("account")["segment"].first()
    assert len(per_entity) == 400 and (per_entity == "a").mean() == pytest.approx(0.8)
    pd.testing.assert_frame_equal(fitted.sample(30, conditions={"segment": "a"}, rng=6),
                                  fitted.sample(30, conditions={"segment": "a"}, rng=6))
    with pytest.raises(ParameterError, match=r"context columns \['segment'\]; \['type'\]"):
        fitted.sample(5, conditions={"type": "OWNER"})
    with pytest.raises(ParameterError, match="rebalance sets the shares"):
        fitted.sample(5, rebalance={"amount": {1.0: 0.5}})
    with pytest.raises(DataError, match="segment"):
        fitted.sample(5, conditions={"segment": "c"})


def test_same_seed_same_sequences_and_files_round_trip(fitted, tmp_path):
    pd.testing.assert_frame_equal(fitted.sample(50, rng=3), fitted.sample(50, rng=3))
    path = tmp_path / "seq.simz"
    fitted.save(path)
    loaded = sim.load(path)
    assert isinstance(loaded, sim.SequentialNetwork)
    pd.testing.assert_frame_equal(loaded.sample(50, rng=3), fitted.sample(50, rng=3))


@pytest.mark.parametrize("lengths", ["context", "stop"])
def test_long_sequences_are_cut_at_max_sequence_length(events, lengths):
    model = sim.SequentialNetwork(sequence_key="account", max_sequence_length=2, epochs=2,
                                  sequence_lengths=lengths, random_state=0).fit(events)
    assert (model.length_column_ is not None) == (lengths == "context")
    sizes = model.sample(200, rng=0).groupby("account").size()
    assert sizes.max() <= 2 and sizes.min() >= 1


def test_bad_input_gets_a_clear_error(events):
    with pytest.raises(DataError, match="sequence_key 'nope'"):
        sim.SequentialNetwork(sequence_key="nope").fit(events)
    holes = events.copy()
    holes.loc[3, "account"] = None
    with pytest.raises(DataError, match="null"):
        sim.SequentialNetwork(sequence_key="account").fit(holes)
    with pytest.raises(ParameterError, match="sequence_key"):
        sim.SequentialNetwork().fit(events)
    with pytest.raises(DataError, match="context_columns"):
        sim.SequentialNetwork(sequence_key="account", context_columns=["zzz"]).fit(events)
    with pytest.raises(ParameterError, match="needs max_sequence_length"):
        sim.SequentialNetwork(sequence_key="account", privacy=sim.PrivacyBudget(1.0)).fit(events)
    model = sim.SequentialNetwork(sequence_key="account", epochs=1, random_state=0)
    model.fit(events.head(200))
    with pytest.raises(ParameterError, match="conditions"):
        model.sample(5, conditions={"type": "OWNER"})
    with pytest.raises(DataError, match="segment"):
        model.sample_for(pd.DataFrame({"other": [1]}))
    with pytest.raises(ParameterError, match="lengths"):
        model.sample_for(pd.DataFrame({"segment": ["a"]}), lengths=[1, 2])
    assert events["account"].notna().all()  # the caller's data is untouched


def test_a_file_with_a_broken_state_is_refused(fitted, tmp_path):
    """A file whose model state lacks a field gets a clear error, not a traceback."""
    broken = tampered(fitted, tmp_path, b'"max_length"', b'"max_lengthX"')
    with pytest.raises(ModelFileError, match="sequential"):
        sim.load(broken)


def _gaps(frame: pd.DataFrame) -> pd.Series:
    days = pd.to_datetime(frame["date"])
    return days.groupby(frame["user"], sort=False).diff().dt.days.dropna()


def test_event_times_are_learned_as_gaps(tmp_path):
    real = bursts()
    md = sim.Metadata.detect(real, sequence_key="user")
    assert md.sequence_index == "date"
    model = sim.SequentialNetwork(md, epochs=40, random_state=0).fit(real)
    assert model.context_columns_ == ["kind"]  # the first date is the model's own business
    clock = model.clock_  # the network is told the time since the first purchase
    assert clock is not None and clock.span >= 365 and max(clock.gap_values) >= 60
    fake = model.sample(800, rng=3)
    assert list(fake.columns) == list(real.columns) and fake["date"].dtype == real["date"].dtype
    gaps, real_gaps = _gaps(fake), _gaps(real)
    assert (gaps >= 0).all()  # dates never go back within a shopper
    for low, high in ((1, 3), (60, 90)):  # both kinds of gap, at their real shares
        share = gaps.between(low, high).mean()
        assert share == pytest.approx(real_gaps.between(low, high).mean(), abs=0.06), (low, high)
    assert gaps.between(10, 50).mean() < 0.05  # nothing in between, as in the real data
    first = pd.to_datetime(fake.groupby("user")["date"].first())
    assert first.dt.year.eq(1997).mean() > 0.95  # first purchases in 1997
    path = tmp_path / "bursts.simz"
    model.save(path)
    loaded = sim.load(path)
    assert loaded.clock_ == clock
    wrong = tampered(model, tmp_path, b'"gap_columns": [', b'"gap_columns": [7')
    with pytest.raises(ModelFileError, match="clock"):  # a token it does not have
        sim.load(wrong)
    pd.testing.assert_frame_equal(loaded.sample(50, rng=4), model.sample(50, rng=4))
    # given contexts: each shopper's first date is drawn given its kind
    context = pd.DataFrame({"user": [7, 8], "kind": ["loyal", "casual"]})
    out = model.sample_sequences(context, lengths=[4, 2], rng=5)
    assert out["user"].tolist() == [7, 7, 7, 7, 8, 8]
    assert (_gaps(out) >= 0).all()


def test_sequences_continue_after_given_prefixes(fitted, events):
    """Amounts climb by 10 per event around a per-account level: a continuation follows the
    given events' level, and its steps come after theirs."""
    chosen = events[events["account"].isin(["C00001", "C00002", "C00003"])]
    prefixes = chosen.groupby("account").head(2)
    prefixes = prefixes.assign(amount=np.where(prefixes["segment"] == "a", 170.0, 230.0)
                               + 10 * prefixes["step"])  # levels rare for their segment
    out = fitted.continue_sequences(prefixes, events=3, rng=0)
    assert list(out.columns) == list(events.columns)
    assert out.groupby("account").size().to_dict() == {a: 3 for a in prefixes["account"]}
    last = prefixes.groupby("account")["step"].max()
    assert (out.groupby("account")["step"].min() > last).all()
    segment = prefixes.groupby("account")["segment"].first()
    assert (out.groupby("account")["segment"].first() == segment).all()
    gone_up = out.groupby("account")["amount"].first() - prefixes.groupby("account")[
        "amount"].last()
    # the next amount follows the given level (the segments' own are ~100 and ~300)
    assert ((gone_up > -30) & (gone_up < 50)).mean() >= 2 / 3, gone_up.to_dict()
    again = fitted.continue_sequences(prefixes, events=3, rng=0)
    pd.testing.assert_frame_equal(out, again)
    with pytest.raises(ParameterError, match="events must be an integer"):
        fitted.continue_sequences(prefixes, events=0)
    with pytest.raises(DataError, match="lack the model's columns"):
        fitted.continue_sequences(prefixes.drop(columns="amount"))


def test_continued_dates_go_past_the_training_data():
    real = bursts(n=300)
    model = sim.SequentialNetwork(sequence_key="user", epochs=5, random_state=0).fit(real)
    late = pd.DataFrame({"user": ["x", "x"], "kind": ["loyal", "loyal"],
                         "date": ["1998-12-01", "1998-12-03"], "amount": [20.0, 31.5]})
    out = model.continue_sequences(late, events=4, rng=1)
    days = pd.to_datetime(out["date"])
    assert len(out) == 4 and days.min() >= pd.Timestamp("1998-12-03")
    assert days.is_monotonic_increasing and days.max() > pd.Timestamp(real["date"].max())


def test_lengths_drawn_with_the_context(events, tmp_path):
    """``sequence_lengths="context"``: each entity's number of events is a context column,
    drawn before its events (given its segment) — never longer than any seen — and kept out
    of the output; given lengths and continuations still work."""
    model = sim.SequentialNetwork(sequence_key="account", sequence_index="step",
                                  sequence_lengths="context", epochs=30,
                                  random_state=0).fit(events)
    assert model.length_column_ == "account.length"
    assert model.context_columns_ == ["segment"]
    assert model._model_context() == ["segment", "account.length", "step.start"]
    fake = model.sample(1500, rng=1)
    assert list(fake.columns) == list(events.columns)
    real, synth = _stats(events), _stats(fake)
    assert synth["len_a"] == pytest.approx(real["len_a"], rel=0.06)
    assert synth["len_b"] == pytest.approx(real["len_b"], rel=0.06)
    sizes = fake.groupby("account").size()
    assert sizes.max() <= 5 and sizes.min() >= 1
    real_share = events.groupby("account").size().value_counts(normalize=True).sort_index()
    share = sizes.value_counts(normalize=True).reindex(real_share.index, fill_value=0)
    assert (share - real_share).abs().max() < 0.04, share.to_dict()
    context = pd.DataFrame({"segment": ["a"] * 200 + ["b"] * 200})
    free = model.sample_for(context, rng=2)[0].groupby("account", sort=False).size()
    assert (free.iloc[:200] > 2).mean() < 0.05 and free.iloc[200:].mean() > 3  # by segment
    given, _ = model.sample_for(context.iloc[:3], lengths=[4, 0, 1], rng=2)
    assert given.groupby("account", sort=False).size().tolist() == [4, 1]
    prefixes = events[events["account"].isin(["C00001", "C00002"])].groupby("account").head(1)
    more = model.continue_sequences(prefixes, rng=3)
    counts = more.groupby("account").size()
    assert set(counts.index) == set(prefixes["account"]) and (counts >= 1).all()
    assert_round_trip(model, tmp_path, 40)
    wrong = tampered(model, tmp_path, b'"length_column": "account.length"',
                      b'"length_column": "segment"')
    with pytest.raises(ModelFileError, match="length column"):
        sim.load(wrong)
    with pytest.raises(ParameterError, match="sequence_lengths"):
        sim.SequentialNetwork(sequence_key="account", sequence_lengths="drawn").fit(events)


def test_sub_bins_for_all_keeps_values_persistent():
    """Each entity repeats one heavy-tailed level: with one token per number the value is
    redrawn anywhere in its bin at each event (the top bin spans a wide range); with a
    within-bin token for every binned number (``sub_bins_for="all"``) it stays close."""
    rng = np.random.default_rng(0)
    n, k = 600, 4
    level = rng.lognormal(3.0, 1.0, n)
    steps = pd.DataFrame({"unit": np.repeat(np.arange(n), k),
                          "value": np.repeat(level, k) * rng.normal(1.0, 0.01, n * k)})

    def spread(fake: pd.DataFrame) -> float:
        by = fake.groupby("unit")["value"]
        return float((by.std() / by.mean()).median())

    coarse = sim.SequentialNetwork(sequence_key="unit", numeric_bins=16, epochs=40,
                                   random_state=0).fit(steps)
    fine = sim.SequentialNetwork(sequence_key="unit", numeric_bins=16, sub_bins_for="all",
                                 epochs=40, random_state=0).fit(steps)
    assert "value#sub" not in coarse.tokenizer_.names_
    assert "value#sub" in fine.tokenizer_.names_
    assert spread(fine.sample(300, rng=1)) < 0.5 * spread(coarse.sample(300, rng=1))
    with pytest.raises(ParameterError, match="sub_bins_for"):
        sim.SequentialNetwork(sequence_key="unit", sub_bins_for="most").fit(steps)


def test_heavy_tailed_lengths_are_not_overdrawn():
    """Long sequences train in small batches (at most 8,192 padded steps); weighed as full
    batches they pulled the drawn lengths up (here a mean of 20.9 against 10.8)."""
    rng = np.random.default_rng(0)
    n = 3000
    sizes = np.minimum(rng.zipf(1.8, n) + 3, 300)
    segment = rng.choice(["a", "b", "c"], n)
    events = pd.DataFrame({"c": np.repeat(np.arange(n), sizes),
                           "segment": np.repeat(segment, sizes),
                           "v": rng.normal(size=sizes.sum()).round(2)})
    model = sim.SequentialNetwork(sequence_key="c", epochs=3, random_state=0).fit(events)
    assert model.tokenizer_.kinds_["c.length"] == "values"  # a token per length seen
    drawn = model.sample(n, rng=1).groupby("c").size()
    assert drawn.mean() == pytest.approx(sizes.mean(), rel=0.15)
    assert (drawn >= 100).mean() < 2 * (sizes >= 100).mean()


def _meals(n: int = 300, days: int = 4, seed: int = 0) -> pd.DataFrame:
    """Hourly records from midnight for ``days`` days: a meal at 7, 13 and 19 h, nothing
    otherwise (the values say nothing of the hour between meals), and noise."""
    rng = np.random.default_rng(seed)
    hours = np.tile(np.arange(24 * days), n)
    return pd.DataFrame({"unit": np.repeat(np.arange(n), 24 * days), "hour": hours,
                         "meal": np.where(np.isin(hours % 24, MEALS), "meal", "none"),
                         "x": rng.normal(0, 1, len(hours)).round(2)})


MEALS = [7, 13, 19]


def test_long_sequences_know_where_they_are_in_a_cycle(tmp_path):
    """Past the 32 embedded positions, periodic features of the position (a day of 24 steps
    among them) keep meals at their hours to the fourth day (without them, 12 epochs put
    80 % of late meals at the right hours and 3 % of other hours get one)."""
    series = _meals()
    model = sim.SequentialNetwork(sequence_key="unit", sequence_index="hour", epochs=12,
                                  random_state=0).fit(series)
    assert model.periodic_ and model.network_.periodic
    late = model.sample(200, rng=1).query("hour >= 48")  # the third and fourth days
    on_time = np.isin(late["hour"] % 24, MEALS)
    assert (late.loc[on_time, "meal"] == "meal").mean() > 0.9
    assert (late.loc[~on_time, "meal"] == "meal").mean() < 0.015
    assert_round_trip(model, tmp_path, 20)
    old = tampered(model, tmp_path, b'"periodic": true, ', b"")  # a file from before
    with pytest.raises(ModelFileError, match=r"unexpected .*period_proj"):  # not its weights
        sim.load(old)
    short = sim.SequentialNetwork(sequence_key="unit", epochs=1, random_state=0).fit(
        series[series["hour"] < 24])
    assert not short.periodic_
