"""The autoregressive network: tokens, the masked network, learning, conditions, files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.encoders import EncodedColumn
from simulacra.models.autoregressive.tokenizer import Tokenizer, bins_for_rows

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def related() -> pd.DataFrame:
    """3,000 rows: a category driving a number, a number driving another, nulls, a rare value."""
    rng = np.random.default_rng(0)
    n = 3000
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    base = {"a": 0.0, "b": 5.0, "c": 10.0}
    x = np.array([base[g] for g in group]) + rng.normal(size=n)
    y = np.round(2 * x + rng.normal(scale=0.5, size=n), 1)
    y[rng.random(n) < 0.1] = np.nan
    rare = np.where(rng.random(n) < 0.01, "rare", rng.choice(["u", "v"], n))
    return pd.DataFrame({"group": group, "x": x, "y": y, "kind": rare,
                         "flag": x > 5})


@pytest.fixture(scope="module")
def model(related) -> sim.AutoregressiveNetwork:
    return sim.AutoregressiveNetwork(random_state=0).fit(related)


def test_tokenizer_bins_values_pooling_and_null_flags_first():
    rng = np.random.default_rng(0)
    codes = np.concatenate([np.arange(10).repeat(50), np.arange(10, 20)])  # 10 common, 10 rare
    data = {"few": rng.choice([1.0, 2.5, 7.0], 510), "many": rng.gamma(2.0, size=510),
            "many#null": (rng.random(510) < 0.2).astype(np.int64), "cat": codes}
    cols = [EncodedColumn("few", "few", "continuous"), EncodedColumn("many", "many", "continuous"),
            EncodedColumn("many#null", "many", "discrete", 2),
            EncodedColumn("cat", "cat", "discrete", 20)]
    tok = Tokenizer(numeric_bins=8, max_categories=11).fit(data, cols)
    assert tok.names_ == ["few", "many#null", "many", "cat"]
    assert tok.sizes_ == [3, 2, 8, 11]
    tokens = tok.transform(data)
    assert tokens.max(axis=0).tolist() == [2, 1, 7, 10]
    back = tok.inverse_transform(tokens, rng)
    assert np.array_equal(back["few"], data["few"]) and np.array_equal(back["many#null"],
                                                                        data["many#null"])
    assert np.array_equal(back["cat"][:500], data["cat"][:500])  # common codes kept
    assert set(back["cat"][500:]) <= set(range(10, 20))  # rare ones drawn from the pool
    # a value decodes inside its own bin: same token again (bar float rounding at bin edges)
    assert (tok.transform({**data, **back})[:, 2] == tokens[:, 2]).mean() > 0.98
    again = Tokenizer.from_state(tok.get_state())
    assert np.array_equal(again.transform(data), tokens)


def test_sub_tokens_code_many_valued_integers_exactly_and_only_them():
    rng = np.random.default_rng(1)
    n = 4000
    # 74 ages and 99 hours, more than 16 bins: two digits, each value ≥ 2 / (16 × 16) of rows
    data = {"age": rng.permutation(np.resize(np.arange(17.0, 91.0), n)),
            "x": rng.normal(size=n),  # 4,000 distinct > marginal_resolution: one token
            "hours#null": (rng.random(n) < 0.1).astype(np.int64),
            "hours": rng.permutation(np.resize(np.arange(1.0, 100.0), n)),
            "cents": rng.permutation(np.resize(np.arange(300.0), n))}  # > 16 × 16 / 2 values
    cols = [EncodedColumn("age", "age", "continuous"), EncodedColumn("x", "x", "continuous"),
            EncodedColumn("hours#null", "hours", "discrete", 2),
            EncodedColumn("hours", "hours", "continuous"),
            EncodedColumn("cents", "cents", "continuous")]
    tok = Tokenizer(numeric_bins=16, sub_bins=16).fit(data, cols)
    assert tok.names_ == ["age", "age#sub", "x", "hours#null", "hours", "hours#sub", "cents"]
    assert tok.sizes_ == [16, 16, 16, 2, 16, 16, 16]
    assert tok.source_["hours#sub"] == "hours" and tok.source_["x"] == "x"
    tokens = tok.transform(data)
    back = tok.inverse_transform(tokens, rng)
    assert np.array_equal(back["age"], data["age"]) and np.array_equal(back["hours"],
                                                                        data["hours"])
    # one token alone cannot tell the 74 ages apart
    coarse = Tokenizer(numeric_bins=16).fit(data, cols)
    assert "age#sub" not in coarse.names_
    assert not np.array_equal(coarse.inverse_transform(coarse.transform(data), rng)["age"],
                              data["age"])
    # a state saved before sub tokens existed (no "sub_bins", no "source") still loads
    old = coarse.get_state()
    del old["params"]["sub_bins"], old["source"]
    assert np.array_equal(Tokenizer.from_state(old).transform(data), coarse.transform(data))


def test_sub_tokens_end_to_end_keep_integer_values_and_their_dependence(tmp_path):
    rng = np.random.default_rng(2)
    n = 3000
    age = rng.integers(18, 90, n)
    df = pd.DataFrame({"age": age, "retired": age + rng.normal(scale=3, size=n) > 65})
    model = sim.AutoregressiveNetwork(random_state=0, epochs=30, numeric_bins=8,
                                      numeric_sub_bins=32).fit(df)  # 72 ages ≤ 8 × 32 / 2
    assert model.tokenizer_.names_[:2] == ["age", "age#sub"]
    synth = model.sample(3000)
    assert set(synth["age"]) <= set(age)  # whole real values, never in between
    # the retirement flag follows age at a finer grain than the 8 bins (~9 years each)
    old = synth.loc[synth["age"].between(70, 89), "retired"].mean()
    young = synth.loc[synth["age"].between(18, 55), "retired"].mean()
    assert old > 0.9 and young < 0.1
    path = tmp_path / "ar.simz"
    model.save(path)
    assert sim.load(path).sample(50, rng=1).equals(model.sample(50, rng=1))


@pytest.mark.parametrize("ordinal", [False, True])
def test_column_depends_only_on_earlier_columns(ordinal):
    from simulacra.models.autoregressive.network import ColumnMADE

    torch.manual_seed(0)
    positions = [None, np.linspace(-0.8, 0.8, 5), np.linspace(-0.75, 0.75, 4), None]
    net = ColumnMADE([3, 5, 4, 2], embedding_dim=4, hidden_dim=8,
                     positions=positions if ordinal else None)
    if ordinal:  # the ordinal weights start at zero: give them values to check their paths
        with torch.no_grad():
            net.pin.normal_()
            net.pout.normal_()
    tokens = torch.tensor([[0, 1, 2, 1], [2, 4, 3, 0]])
    changed = tokens.clone()
    changed[:, 2] = torch.tensor([0, 1])  # column 2 changes
    a, b = net(tokens), net(changed)
    assert torch.equal(a[:, :3], b[:, :3])  # columns 0-2 do not see column 2
    assert not torch.equal(a[:, 3], b[:, 3])
    for j in range(4):  # the sampling path equals the training path
        assert torch.allclose(net.column_logits(tokens, j), a[:, j, :net.sizes[j]], atol=1e-6)
    nll = net.nll(tokens)
    logp = torch.log_softmax(a[:, 1, :5], dim=1)
    assert torch.allclose(nll[:, 1], -logp[torch.arange(2), tokens[:, 1]], atol=1e-5)


def test_ordinal_terms_reach_only_numbers_and_keep_the_files_readable(model, tmp_path):
    from simulacra.models.autoregressive.network import ColumnMADE

    positions = model.tokenizer_.positions()
    kinds = [model.tokenizer_.kinds_[n] for n in model.tokenizer_.names_]
    assert [p is None for p in positions] == [k == "codes" for k in kinds]
    for p in filter(lambda p: p is not None, positions):
        assert np.all(np.diff(p) > 0) and p[0] > -1 and p[-1] < 1
    assert model.ordinal_ and model.network_.pout.abs().sum() > 0  # trained, not left at zero
    net = ColumnMADE([3, 4], embedding_dim=2, hidden_dim=4, positions=[None, [-0.5, 0, .2, .6]])
    with torch.no_grad():
        net.pout.normal_()
    assert torch.equal(net.phi_out[0], torch.zeros_like(net.phi_out[0]))  # codes: no order
    plain = sim.AutoregressiveNetwork(random_state=0, epochs=2, ordinal=False).fit(
        pd.DataFrame({"x": np.arange(300.0), "c": ["a", "b", "c"] * 100}))
    path = tmp_path / "plain.simz"
    plain.save(path)
    loaded = sim.load(path)
    assert not loaded.ordinal_ and not hasattr(loaded.network_, "pin")
    pd.testing.assert_frame_equal(loaded.sample(50, rng=0), plain.sample(50, rng=0))


def test_ordered_tokens_generalize_across_neighbouring_bins():
    """y and z follow x closely: with each token alone, every (x bin, y bin) cell is learnt
    from its own few rows; with the tokens' order the network shares what neighbouring bins
    teach and reaches a lower held-out loss (10.50 against 10.55 nats a row)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=8000)
    frame = pd.DataFrame({"x": x, "y": x + rng.normal(scale=0.3, size=8000),
                          "z": np.sin(2 * x) + rng.normal(scale=0.3, size=8000)})
    best = {flag: min(loss for _, loss in sim.AutoregressiveNetwork(
        random_state=0, ordinal=flag).fit(frame).validation_history_)
        for flag in (False, True)}
    assert best[True] < best[False] - 0.025, best


def test_learns_dependencies_marginals_nulls_and_rare_values(model, related):
    synth = model.sample(len(related), rng=0)
    assert list(synth.columns) == list(related.columns)
    means = synth.groupby("group")["x"].mean()
    assert means["a"] < 1.5 < 3.5 < means["b"] < 6.5 < 8.5 < means["c"]
    assert synth[["x", "y"]].corr().iloc[0, 1] > 0.9
    assert abs(synth["y"].isna().mean() - related["y"].isna().mean()) < 0.03
    assert abs((synth["flag"] == (synth["x"] > 5)).mean()) > 0.9
    assert 0.002 < (synth["kind"] == "rare").mean() < 0.03
    shares = synth["group"].value_counts(normalize=True)
    assert abs(shares["a"] - 0.5) < 0.04 and abs(shares["c"] - 0.2) < 0.04


def test_early_stopping_on_held_out_loss(model):
    history = model.validation_history_
    losses = [d for _, d in history]
    assert model.best_epoch_ is not None and losses[model.best_epoch_ - 1] == min(losses)
    assert len(history) == model.epochs_trained_ < 200  # stopped well before the cap
    assert min(losses) < losses[0]


def test_conditions_on_leading_columns_are_imposed(model, related):
    rows = model.sample(400, conditions={"group": "c"}, rng=1)
    assert (rows["group"] == "c").all() and rows["x"].mean() > 8.5
    assert model.conditional_acceptance_ == 1.0  # fixed tokens, nothing discarded
    rows = model.sample(200, conditions={"kind": "rare"}, rng=1)  # not leading: kept rows
    assert (rows["kind"] == "rare").all() and model.conditional_acceptance_ < 0.1


def test_column_order_puts_a_column_first(related):
    m = sim.AutoregressiveNetwork(random_state=0, epochs=15, column_order=("kind",)).fit(related)
    assert m.tokenizer_.names_[0] == "kind"
    rows = m.sample(100, conditions={"kind": "rare"}, rng=0)
    assert (rows["kind"] == "rare").all() and m.conditional_acceptance_ == 1.0
    with pytest.raises(sim.ParameterError, match="column_order"):
        sim.AutoregressiveNetwork(column_order=("nope",)).fit(related)


def test_save_load_and_seeds(model, tmp_path):
    path = tmp_path / "ar.simz"
    model.save(path)
    loaded = sim.load(path)
    pd.testing.assert_frame_equal(loaded.sample(300, rng=4), model.sample(300, rng=4))
    assert not model.sample(300, rng=5).equals(model.sample(300, rng=4))


def test_small_tables_get_a_coarse_vocabulary():
    # one bin per 120 rows (at least 8), and unique amounts get no second digit of their own
    assert bins_for_rows(2_400, 64) == 20 and bins_for_rows(400, 64) == 8
    assert bins_for_rows(100_000, 64) == 64
    rng = np.random.default_rng(3)
    cols = [EncodedColumn("amount", "amount", "continuous"),
            EncodedColumn("age", "age", "continuous")]
    small = {"amount": rng.permutation(np.arange(100.0, 500.0)),  # 400 distinct in 400 rows
             "age": rng.permutation(np.resize(np.arange(18.0, 90.0), 400))}  # 72 ages, ~5.6 each
    tok = Tokenizer(numeric_bins=16, sub_bins=64).fit(small, cols)  # 512 values fit
    assert tok.names_ == ["amount", "age", "age#sub"]
    big = {"amount": np.tile(small["amount"], 5), "age": np.tile(small["age"], 5)}
    assert Tokenizer(numeric_bins=16, sub_bins=64).fit(big, cols).names_ == [
        "amount", "amount#sub", "age", "age#sub"]


def test_small_table_keeps_a_rule_between_columns_instead_of_learning_rows():
    """400 loans whose status follows start + term (Berka's loans: finished or running).

    With the full 64 × 16 vocabulary every unique amount owned a cell: the network stopped
    early on its held-out loss with the rule kept for ~.62 of the rows.
    """
    rng = np.random.default_rng(0)
    n = 400
    start, term = rng.integers(0, 2000, n), rng.choice([12, 24, 36, 48, 60], n)
    df = pd.DataFrame({"start": start, "amount": np.round(rng.lognormal(11, 0.6, n)),
                       "term": term,
                       "status": np.where(start + 30 * term < 2200, "done", "running")})
    model = sim.AutoregressiveNetwork(random_state=0).fit(df)
    assert model.tokenizer_.sizes_[0] == 8 and "amount#sub" not in model.tokenizer_.names_
    synth = model.sample(2000)
    kept = np.where(synth["start"] + 30 * synth["term"] < 2200, "done", "running")
    assert (kept == synth["status"]).mean() > 0.85
    assert len(synth.merge(df, how="inner")) / len(synth) < 0.01  # no rows learned by heart


def test_small_tables_and_no_early_stopping():
    df = pd.DataFrame({"a": ["x", "y"] * 6, "b": np.arange(12.0)})
    # without value protection, whose tail continuation may pass 11 on 12 rows
    out = sim.AutoregressiveNetwork(random_state=0, epochs=3, value_protection=False
                                    ).fit(df).sample(20)
    assert set(out["a"]) <= {"x", "y"} and out["b"].between(0, 11).all()
    m = sim.AutoregressiveNetwork(random_state=0, epochs=4, early_stopping=False).fit(df)
    assert m.epochs_trained_ == 4 and m.best_epoch_ is None


@pytest.mark.parametrize(("param", "value"), [
    ("hidden_dim", 0), ("numeric_bins", 1), ("max_categories", 1.5), ("weight_decay", -1.0),
    ("learning_rate", 0), ("column_order", "group"), ("patience", 0), ("epochs", 0),
])
def test_bad_hyperparameters_name_the_parameter(param, value, related):
    with pytest.raises(sim.ParameterError, match=param):
        sim.AutoregressiveNetwork(**{param: value}).fit(related)


def test_impute_fills_only_missing_values_from_the_rest_of_the_row(model, related):
    holes = related.head(600).copy()
    before = holes.copy()
    holes.loc[holes.index[:300], "group"] = None  # a leading column: needs the later ones
    holes.loc[holes.index[300:], "x"] = np.nan
    keep = holes.copy()
    out = model.impute(holes, rng=0)
    pd.testing.assert_frame_equal(holes, keep)  # the caller's frame is untouched
    assert out["group"].notna().all() and out["x"].notna().all()
    known = holes.notna()
    assert (out[known] == holes[known]).sum().sum() == known.sum().sum()
    # the group is recovered from x (clusters 0 / 5 / 10), and x from the group
    assert (out["group"].iloc[:300] == before["group"].iloc[:300]).mean() > 0.9
    err = (out["x"].iloc[300:] - before["x"].iloc[300:]).abs()
    assert err.median() < 1.5
    # y had nulls in training: a null there is filled with a value, never left null
    assert model.impute(related.head(50), rng=1)["y"].notna().all()


def test_impute_from_the_cli(model, related, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    path = tmp_path / "ar.simz"
    model.save(path)
    holes = related.head(100).copy()
    holes.loc[holes.index[:20], "x"] = np.nan
    holes.to_csv(tmp_path / "holes.csv", index=False)
    r = CliRunner().invoke(app, ["impute", str(path), str(tmp_path / "holes.csv"),
                                 "-o", str(tmp_path / "filled.csv"), "--seed", "0"])
    assert r.exit_code == 0, r.output
    expected = int(holes.isna().sum().sum())  # the 20 in x and y's own nulls
    assert f"Filled {expected} missing values" in r.output and "0 left" in r.output
    assert pd.read_csv(tmp_path / "filled.csv")["x"].notna().all()


def test_token_masks_keep_every_token_a_matching_row_can_have(model, related):
    from simulacra.models.autoregressive.pruning import allowed_tokens

    tok, encoder = model.tokenizer_, model.codec_
    tokens = tok.transform(encoder.transform(related, np.random.default_rng(0)))
    for conditions in ({"x": (4.2, 6.3)}, {"y": (-1.05, 3.0)}, {"kind": "rare"},
                       {"group": "b", "x": (-100.0, 0.5)}, {"y": None}):
        masks = allowed_tokens(tok, encoder, conditions)
        assert masks  # every one of these is steered
        match = np.ones(len(related), dtype=bool)
        for column, value in conditions.items():
            if value is None:
                match &= related[column].isna().to_numpy()
            elif isinstance(value, tuple):
                match &= related[column].between(*value).to_numpy()
            else:
                match &= (related[column] == value).to_numpy()
        for j, mask in masks.items():
            assert mask[tokens[match, j]].all(), (conditions, tok.names_[j])  # conservative
            assert not mask.all() or tok.names_[j].endswith("#null")  # and it prunes


def test_pruned_conditional_sampling_keeps_the_conditional_distribution(model, monkeypatch):
    from simulacra.models.autoregressive import model as module

    conditions = {"x": (4.0, 6.0), "kind": "v"}
    pruned = model.sample(3000, conditions=conditions, rng=3)
    assert model.conditional_acceptance_ < 0.5 and len(pruned) == 3000
    monkeypatch.setattr(module, "allowed_tokens", lambda *args: {})
    plain = model.sample(3000, conditions=conditions, rng=4)
    for rows in (pruned, plain):
        assert rows["x"].between(4.0, 6.0).all() and (rows["kind"] == "v").all()
    # same conditional law: group shares and y's distribution agree within sampling noise
    shares = [rows["group"].value_counts(normalize=True) for rows in (pruned, plain)]
    assert (shares[0] - shares[1]).abs().max() < 0.05
    from scipy.stats import ks_2samp

    assert ks_2samp(pruned["y"].dropna(), plain["y"].dropna()).pvalue > 0.001


def test_known_columns_are_completed_all_rows_at_once(model, related):
    import time

    known = related[["group"]].sample(1500, random_state=0, replace=True).reset_index(drop=True)
    known["x"] = related["x"].sample(1500, random_state=1, replace=True).to_numpy()
    started = time.perf_counter()
    out = model.sample_remaining_columns(known[["x"]], rng=0)
    took = time.perf_counter() - started
    assert list(out.columns) == list(related.columns) and len(out) == 1500
    assert np.array_equal(out["x"].to_numpy(), known["x"].to_numpy())  # in known's order
    # 1,500 distinct x values: the exact path would run 1,500 samplers; this is one pass
    assert took < 60
    # the other columns follow x as the model learned it: group from x's cluster, y ≈ 2x
    expected = np.select([known["x"] < 2.5, known["x"] < 7.5], ["a", "b"], "c")
    assert (out["group"].to_numpy() == expected).mean() > 0.9
    present = out["y"].notna()
    assert 0.03 < (~present).mean() < 0.2  # y's nulls are drawn as the model has them
    assert np.corrcoef(out.loc[present, "y"], known.loc[present, "x"])[0, 1] > 0.95
    again = model.sample_remaining_columns(known[["x"]], rng=0)
    pd.testing.assert_frame_equal(out, again)
    with pytest.raises(sim.DataError):
        model.sample_remaining_columns(pd.DataFrame({"group": ["zzz"]}))
    # few distinct combinations: the exact path (one sampler each) is as fast there
    calls = []
    original = type(model)._draw_cells
    try:
        type(model)._draw_cells = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
        few = model.sample_remaining_columns(known[["group"]].head(300), rng=0)
        assert not calls and few["group"].tolist() == known["group"].head(300).tolist()
        model.sample_remaining_columns(known[["x"]].head(300), rng=0)
        assert calls
    finally:
        type(model)._draw_cells = original
    # a null in known ("null here") takes the exact path, and keeps it null
    nulls = pd.DataFrame({"group": ["a", "b"], "y": [np.nan, 12.0]})
    exact = model.sample_remaining_columns(nulls, rng=0)
    assert exact["y"].isna().tolist() == [True, False] and exact["group"].tolist() == ["a", "b"]


def test_sampling_progress_goes_to_standard_error_only(model, capsys, monkeypatch):
    from simulacra.models.neural import base

    advanced = []
    real_progress = base._rows_progress

    def spy(name, n, show):
        ctx = real_progress(name, n, show)

        class Wrapped:
            def __enter__(self):
                step = ctx.__enter__()
                return lambda rows: (advanced.append(rows), step(rows))

            def __exit__(self, *exc):
                return ctx.__exit__(*exc)

        return Wrapped()

    monkeypatch.setattr(base, "_rows_progress", spy)
    model.verbose = True
    try:
        rows = model.sample(25_000, rng=0)
    finally:
        model.verbose = False
    assert len(rows) == 25_000 and advanced == [10_000, 10_000, 5_000]
    assert capsys.readouterr().out == ""  # `sample -o -` keeps standard output for the rows


def payments(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A bill and a payment that settles it in full in about a third of the rows."""
    rng = np.random.default_rng(seed)
    bill = rng.gamma(2.0, 800.0, n).round(2)
    full = rng.random(n) < 0.35
    paid = np.where(full, bill, (bill * rng.uniform(0.05, 0.9, n)).round(2))
    return pd.DataFrame({"segment": rng.choice(list("abc"), n), "bill": bill, "paid": paid,
                         "other": rng.gamma(2.0, 800.0, n).round(2)})


def test_copy_tokens_find_equal_columns_and_decode_them_exactly():
    table = payments()
    encoded = {c: table[c].to_numpy(dtype=float) for c in ("bill", "paid", "other")}
    columns = [EncodedColumn(c, c, "continuous") for c in encoded]
    tok = Tokenizer(numeric_bins=32, copies=True).fit(encoded, columns)
    assert tok.copies_ == {"paid": ["bill"]}  # `other` equals nothing beyond chance
    j = tok.names_.index("paid")
    assert tok.sizes_[j] == 33 and len(tok.positions()[j]) == 32
    tokens = tok.transform(encoded)
    equal = encoded["paid"] == encoded["bill"]
    assert ((tokens[:, j] == 32) == equal).all()
    back = tok.inverse_transform(tokens, np.random.default_rng(0))
    # (a copied bill beyond the largest payment is clipped to it, as every value is)
    assert (back["paid"] == back["bill"]).mean() == pytest.approx(equal.mean(), abs=0.003)
    assert (tok.transform(encoded, copies=False)[:, j] < 32).all()
    again = Tokenizer.from_state(tok.get_state())
    assert again.copies_ == tok.copies_
    state = tok.get_state()
    for broken in ({"paid": ["other"]}, {"bill": ["paid"]}, {"paid": ["nowhere"]}):
        with pytest.raises(ValueError, match="copy tokens"):
            Tokenizer.from_state({**state, "copy_sources": broken})


def test_a_payment_that_settles_the_bill_keeps_settling_it(tmp_path):
    table = payments()
    real = float((table["paid"] == table["bill"]).mean())
    model = sim.AutoregressiveNetwork(epochs=40, random_state=0, copies=True).fit(table)
    synth = model.sample(3000, rng=1)
    assert abs(float((synth["paid"] == synth["bill"]).mean()) - real) < 0.06
    assert (synth["paid"] <= synth["bill"] + 0.01).mean() > 0.9
    plain = sim.AutoregressiveNetwork(epochs=40, random_state=0).fit(table)  # the default
    assert float((plain.sample(3000, rng=1).pipe(lambda s: s["paid"] == s["bill"])).mean()) \
        < 0.05  # without copy tokens two binned values almost never meet
    model.save(tmp_path / "m.simz")
    pd.testing.assert_frame_equal(sim.load(tmp_path / "m.simz").sample(500, rng=2),
                                  model.sample(500, rng=2))
    # completing known rows never lets a known payment point at a bill drawn again
    known = table[["segment", "paid"]].head(50)
    filled = model.sample_remaining_columns(known, rng=0)
    assert (filled["paid"].to_numpy() == known["paid"].to_numpy()).all()
