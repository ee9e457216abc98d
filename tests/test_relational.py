"""RelationalSynthesizer: keys intact, cross-table structure kept, scale, conditions, files."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulacra as sim
from databases import bank, chain, lending, shop, with_orphans
from simulacra.errors import DataError, ModelFileError, NotFittedError, ParameterError
from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
from simulacra.multitable.matching import adjust
from simulacra.serialization import dump_model


def _check_keys(real: dict, fake: dict, db: DatabaseMetadata) -> None:
    """Same tables and columns as the source; every primary key unique; every foreign key
    resolving (beside the source's own orphans)."""
    assert list(fake) == list(db)
    for table in db:
        assert list(fake[table].columns) == list(real[table].columns)
        key = list(db.primary_keys.get(table, ()))
        if key:
            assert not fake[table][key].duplicated().any(), table
            assert fake[table][key].notna().all(axis=None), table
    real_orphans = db.orphans(real)
    for fk, rate in db.orphans(fake).items():
        assert rate == pytest.approx(real_orphans[fk], abs=0.05), fk


@pytest.fixture(scope="module")
def shop_fit():
    tables = shop()
    # 12 stores, 4 per region: value protection would make every region _RARE_
    model = sim.RelationalSynthesizer(model="bayesian_network", random_state=0,
                                      model_params={"stores": {"value_protection": False}}
                                      ).fit(tables)
    return tables, model


def test_every_key_holds_and_tables_keep_their_shape(shop_fit):
    tables, model = shop_fit
    fake = model.sample()
    _check_keys(tables, fake, model.metadata_)
    for name in ("users", "stores", "orders", "products"):
        assert fake[name].dtypes.to_dict() == tables[name].dtypes.to_dict()
    for name in ("users", "stores", "products"):  # no parent: rows x scale
        assert len(fake[name]) == len(tables[name])
    # a child table gets what its parents' generated child counts ask for
    assert len(fake["orders"]) == pytest.approx(len(tables["orders"]), rel=0.15)
    # the link table's composite key: duplicates are dropped, so a few rows fewer at most
    assert len(fake["items"]) == pytest.approx(len(tables["items"]), rel=0.2)
    # no synthetic primary key is a real one for string keys generated fresh
    assert not fake["stores"]["store_id"].isin(tables["stores"]["store_id"]).any()


def test_children_follow_their_parents(shop_fit):
    tables, model = shop_fit
    fake = model.sample(rng=1)

    def by_tier(t: dict) -> tuple[pd.Series, pd.Series]:
        users, orders = t["users"], t["orders"]
        joined = orders.merge(users, on="user_id")
        per_user = orders["user_id"].value_counts().reindex(users["user_id"], fill_value=0)
        return (joined.groupby("tier")["amount"].mean(),
                per_user.groupby(users.set_index("user_id")["tier"]).mean())

    amount, count = by_tier(fake)
    real_amount, _real_count = by_tier(tables)
    # gold users' orders are ~5x larger and ~5x more numerous: both kept
    assert amount["gold"] > 3 * amount["basic"]
    assert count["gold"] > 2 * count["basic"]
    assert amount["basic"] == pytest.approx(real_amount["basic"], rel=0.35)
    # some basic users have no order at all, as in the source
    assert (fake["orders"]["user_id"].value_counts().reindex(fake["users"]["user_id"],
                                                             fill_value=0) == 0).any()


def test_second_parent_is_chosen_by_fit_not_uniformly(shop_fit):
    _tables, model = shop_fit
    fake = model.sample(rng=2)
    joined = fake["orders"].merge(fake["users"], on="user_id").merge(
        fake["stores"], on="store_id", suffixes=("_user", "_store"))
    same = (joined["region_user"] == joined["region_store"]).mean()
    assert same > 0.6  # uniform choice gives 1/3; the source has 1.0


def test_self_reference_is_a_forest(shop_fit):
    tables, model = shop_fit
    users = model.sample(rng=3)["users"]
    parent = dict(zip(users["user_id"], users["referrer_id"], strict=True))
    for start in users["user_id"]:
        seen, node = set(), start
        while pd.notna(node):
            assert node not in seen, "a cycle of referrers"
            seen.add(node)
            node = parent[node]
    share = users["referrer_id"].isna().mean()
    assert share == pytest.approx(tables["users"]["referrer_id"].isna().mean(), abs=0.12)


def test_scale_reproducibility_and_conditions(shop_fit):
    tables, model = shop_fit
    half = model.sample(0.5, rng=4)
    assert len(half["users"]) == 150
    assert len(half["orders"]) == pytest.approx(len(tables["orders"]) / 2, rel=0.2)
    _check_keys(tables, half, model.metadata_)
    again = model.sample(0.5, rng=4)
    for name in half:
        pd.testing.assert_frame_equal(half[name], again[name])
    gold = model.sample(0.5, conditions={"users": {"tier": "gold"}}, rng=5)
    assert (gold["users"]["tier"] == "gold").all()
    # the condition flows down: orders are drawn for gold users, hence large
    assert gold["orders"]["amount"].mean() > 150
    assert len(gold["orders"]) > 3 * len(gold["users"])


def test_grandparent_information_reaches_grandchildren():
    tables = chain()
    model = sim.RelationalSynthesizer(model="bayesian_network", random_state=0).fit(tables)
    fake = model.sample()
    _check_keys(tables, fake, model.metadata_)
    joined = fake["sale"].merge(fake["shop"], on="shop_id").merge(
        fake["city"], on="city_id").merge(fake["country"], on="country_id")
    price = joined.groupby("rich")["price"].mean()
    assert price[True] > price[False] + 30  # the source: 100 against 20


def test_a_child_knows_how_many_rows_its_parent_has_in_another_table():
    """A loan's status follows its account's number of standing orders (a sibling table):
    the parent's child counts are part of its profile, so the loans' model learns it and each
    loan goes to an account with that many orders."""
    tables = lending()
    model = sim.RelationalSynthesizer(model="bayesian_network", random_state=0).fit(tables)
    assert "account.#order.account_id" in model.models_["loan"].metadata_
    assert "#loan.account_id" not in model.layout_.selected["loan.account_id"]  # its own count

    def bad_share(t: dict) -> pd.Series:
        orders = t["order"]["account_id"].value_counts()
        few = t["loan"]["account_id"].map(orders).fillna(0) <= 1
        return (t["loan"]["status"] == "bad").groupby(few).mean()

    real, fake = bad_share(tables), bad_share(model.sample())
    assert real[True] - real[False] > 0.6
    assert fake[True] - fake[False] > 0.4  # drawn without the counts: about 0


def test_orphans_and_null_keys_at_the_source_rates():
    tables = with_orphans()
    model = sim.RelationalSynthesizer(model="gaussian_copula", random_state=0).fit(tables)
    fake = model.sample()
    payments = fake["payments"]
    assert payments["account_id"].isna().mean() == pytest.approx(0.1, abs=0.04)
    linked = payments["account_id"].dropna()
    orphan = (~linked.isin(fake["accounts"]["account_id"])).sum() / len(payments)
    assert orphan == pytest.approx(0.1, abs=0.04)


def test_a_cycle_of_tables_is_linked_after_both_exist():
    rng = np.random.default_rng(0)
    teams = pd.DataFrame({"team_id": np.arange(30), "captain_id": rng.permutation(90)[:30],
                          "league": rng.choice(["a", "b"], size=30)})
    players = pd.DataFrame({"player_id": np.arange(90), "team_id": np.repeat(np.arange(30), 3),
                            "skill": rng.normal(size=90)})
    db = DatabaseMetadata({"teams": Metadata.detect(teams), "players": Metadata.detect(players)},
                          primary_keys={"teams": "team_id", "players": "player_id"},
                          foreign_keys=[ForeignKey("players", "team_id", "teams", "team_id"),
                                        ForeignKey("teams", "captain_id", "players",
                                                   "player_id")])
    tables = {"teams": teams, "players": players}
    fake = sim.RelationalSynthesizer(db, model="gaussian_copula", random_state=0).fit(
        tables).sample()
    _check_keys(tables, fake, db)
    assert fake["teams"]["captain_id"].notna().all()


def test_save_and_load_give_the_same_database(shop_fit, tmp_path):
    _tables, model = shop_fit
    path = tmp_path / "shop.simz"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["arrays.safetensors", "manifest.json", "model.json"]
    loaded = sim.load(path)
    assert isinstance(loaded, sim.RelationalSynthesizer)
    a, b = model.sample(rng=7), loaded.sample(rng=7)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    broken = tmp_path / "broken.simz"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelFileError):
        sim.load(broken)


@pytest.mark.parametrize("field, key, value", [
    ("context_columns", "sale.shop_id", ["nope"]),
    ("linked_shares", "sale.shop_id", -5.0),
])
def test_a_relational_file_that_cannot_sample_is_refused_at_load(tmp_path, field, key, value):
    """Like a single table's, a database model draws a few rows at load: an edited file that
    loaded and then failed at sampling with a KeyError is refused as corrupted."""
    import hashlib
    import json

    path = tmp_path / "chain.simz"
    sim.RelationalSynthesizer(model="independent", random_state=0).fit(chain(n_top=10)
                                                                        ).save(path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    tree = json.loads(members["model.json"])
    tree[field][key] = value
    members["model.json"] = json.dumps(tree).encode()
    manifest = json.loads(members["manifest.json"])
    manifest["sha256"]["model.json"] = hashlib.sha256(members["model.json"]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError, match=r"invalid relational model.*corrupted"):
        sim.load(path)


def test_every_table_model_of_the_registry_can_be_used():
    tables = chain(n_top=20)
    model = sim.RelationalSynthesizer(
        model={"country": "independent", "city": "gaussian_copula", "shop": "bayesian_network",
               "sale": "autoregressive"}, model_params={"sale": {"epochs": 2}},
        random_state=0).fit(tables)
    assert {t: m.name for t, m in model.models_.items()} == {
        "country": "independent", "city": "gaussian_copula", "shop": "bayesian_network",
        "sale": "autoregressive"}
    _check_keys(tables, model.sample(), model.metadata_)


def test_clear_errors():
    tables = chain(n_top=10)
    with pytest.raises(DataError, match="mapping of table name"):
        sim.RelationalSynthesizer().fit(tables["sale"])
    with pytest.raises(ParameterError, match="not in the data"):
        sim.RelationalSynthesizer(model={"nope": "auto"}).fit(tables)
    with pytest.raises(ParameterError, match="unknown model"):
        sim.RelationalSynthesizer(model="nope").fit(tables)
    with pytest.raises(ParameterError, match="differentially private"):
        sim.RelationalSynthesizer(model="mst").fit(tables)
    with pytest.raises(ParameterError, match="context_depth"):
        sim.RelationalSynthesizer(context_depth=0).fit(tables)
    with pytest.raises(NotFittedError):
        sim.RelationalSynthesizer().sample()
    model = sim.RelationalSynthesizer(model="independent", random_state=0).fit(tables)
    with pytest.raises(ParameterError, match="scale"):
        model.sample(0)
    with pytest.raises(ParameterError, match="not in the model"):
        model.sample(conditions={"planet": {"x": 1}})


def test_the_caller_tables_are_not_modified():
    tables = with_orphans()
    before = {t: f.copy() for t, f in tables.items()}
    sim.RelationalSynthesizer(model="independent", random_state=0).fit(tables).sample()
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], before[name])


def test_the_context_keeps_the_parent_columns_that_matter():
    tables = shop()
    rng = np.random.default_rng(1)
    for i in range(6):  # parent columns that tell nothing about orders
        tables["users"][f"noise{i}"] = rng.normal(size=len(tables["users"]))
    model = sim.RelationalSynthesizer(model="bayesian_network", max_context_columns=2,
                                      random_state=0).fit(tables)
    assert "tier" in model.layout_.selected["orders.user_id"]
    assert len(model.layout_.selected["orders.user_id"]) == 2
    assert "users.tier" in model.models_["orders"].metadata_
    fake = model.sample()
    _check_keys(tables, fake, model.metadata_)
    amount = fake["orders"].merge(fake["users"], on="user_id").groupby("tier")["amount"].mean()
    assert amount["gold"] > 3 * amount["basic"]


def test_a_parent_with_nothing_but_its_key():
    rng = np.random.default_rng(0)
    users = pd.DataFrame({"id": np.arange(1, 401)})
    purchases = pd.DataFrame({"users_id": rng.integers(1, 401, size=1500),
                              "amt": rng.gamma(2.0, 10.0, size=1500).round(2)})
    tables = {"users": users, "purchases": purchases}
    model = sim.RelationalSynthesizer(model="gaussian_copula", random_state=0).fit(tables)
    assert model.models_["users"] is not None  # the count of purchases is all it learns
    fake = model.sample()
    _check_keys(tables, fake, model.metadata_)
    counts = fake["purchases"]["users_id"].value_counts().reindex(fake["users"]["id"],
                                                                  fill_value=0)
    real = purchases["users_id"].value_counts().reindex(users["id"], fill_value=0)
    assert abs(counts.mean() - real.mean()) < 0.5 and counts.std() > 0.5 * real.std()


# -- children drawn together (sequences) --------------------------------------------------------
@pytest.fixture(scope="module")
def bank_fit():
    pytest.importorskip("torch")
    from databases import dispositions

    tables = dispositions()
    model = sim.RelationalSynthesizer(
        model={"account": "gaussian_copula", "client": "gaussian_copula"},
        model_params={"disp": {"epochs": 60}}, random_state=0).fit(tables)
    return tables, model


def _owners(fake: dict) -> pd.Series:
    disp = fake["disp"]
    per = disp.groupby("account_id")["type"].apply(lambda s: int((s == "OWNER").sum()))
    return per.reindex(fake["account"]["account_id"], fill_value=0)


def test_auto_draws_a_parents_children_together(bank_fit):
    tables, model = bank_fit
    # the one-to-one client key is passed over: a disposition belongs to its account
    assert model.primary_parents_["disp"] == "disp.account_id"
    assert model.models_["disp"].name == "sequential"
    fake = model.sample(rng=1)
    _check_keys(tables, fake, model.metadata_)
    assert (_owners(fake) == 1).mean() > 0.95  # one owner per account, as in the source
    # every client has its one disposition
    per_client = fake["disp"]["client_id"].value_counts()
    assert (per_client.reindex(fake["client"]["client_id"], fill_value=0) == 1).mean() > 0.9
    # drawn row by row, siblings do not know each other
    flat = sim.RelationalSynthesizer(model="gaussian_copula", random_state=0).fit(tables)
    assert (_owners(flat.sample(rng=1)) == 1).mean() < 0.9


def test_sequences_survive_a_file_and_refuse_conditions_on_their_table(bank_fit, tmp_path):
    _, model = bank_fit
    path = tmp_path / "bank.simz"
    model.save(path)
    loaded = sim.RelationalSynthesizer.load(path)
    assert loaded.primary_parents_ == model.primary_parents_
    for table, frame in model.sample(rng=4).items():
        pd.testing.assert_frame_equal(loaded.sample(rng=4)[table], frame)
    with pytest.raises(ParameterError, match="sequences"):
        model.sample(conditions={"disp": {"type": "OWNER"}})
    # conditions on the parent reach the children through their context
    weekly = model.sample(conditions={"account": {"frequency": "weekly"}}, rng=0)
    assert (weekly["account"]["frequency"] == "weekly").all()
    assert len(weekly["disp"]) > 0


def test_sequential_needs_every_row_linked():
    pytest.importorskip("torch")
    tables = with_orphans()
    with pytest.raises(ParameterError, match="sequences"):
        sim.RelationalSynthesizer(model={"payments": "sequential"}, random_state=0).fit(tables)


@settings(max_examples=300, deadline=None)
@given(counts=st.lists(st.integers(0, 12), min_size=1, max_size=40),
       total=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_adjust_changes_the_counts_as_little_as_possible(counts, total, seed):
    counts = np.array(counts, dtype=np.int64)
    out = adjust(total, counts, np.random.default_rng(seed))
    assert out.dtype == np.int64 and out.sum() == total and (out >= 0).all()
    np.testing.assert_array_equal(out, adjust(total, counts, np.random.default_rng(seed)))
    have = int(counts.sum())
    if have == 0:  # nothing to go by: evenly
        assert out.max() - out.min() <= 1
        return
    assert np.abs(out - counts).sum() == abs(total - have)  # one child at a time, one way
    assert (out[counts == 0] == 0).all()  # a parent without children gets none
    if total <= have:
        assert (out <= counts).all()
    if total >= (counts > 0).sum():  # enough for every parent that had one: none goes to 0
        assert (out[counts >= 1] >= 1).all()


def test_adjust_refuses_what_it_cannot_do():
    rng = np.random.default_rng(0)
    assert adjust(0, np.array([], dtype=np.int64), rng).size == 0
    with pytest.raises(ValueError, match="no parents"):
        adjust(3, np.array([], dtype=np.int64), rng)
    with pytest.raises(ValueError, match="integers >= 0"):
        adjust(3, np.array([1, -1]), rng)
    with pytest.raises(ValueError, match="total"):
        adjust(-1, np.array([1, 2]), rng)


def test_a_second_key_leaves_no_parent_without_children():
    """disp's first key gives one disposition per client; its second key (the account) is
    matched within the accounts' generated counts, rescaled to the dispositions there are.
    Business accounts ask for more than there are (a third of them for 5): they give up their
    extra ones, and no account is left with none — every real account has one."""
    tables = bank()
    real = tables["disp"]["account_id"].value_counts().reindex(tables["account"]["account_id"],
                                                               fill_value=0)
    assert real.min() == 1
    model = sim.RelationalSynthesizer(model="bayesian_network", random_state=0).fit(tables)
    for rng in range(3):
        fake = model.sample(conditions={"account": {"kind": "business"}}, rng=rng)
        _check_keys(tables, fake, model.metadata_)
        counts = fake["disp"]["account_id"].value_counts().reindex(
            fake["account"]["account_id"], fill_value=0)
        assert len(fake["disp"]) >= len(fake["account"])  # enough for one each
        assert (counts == 0).mean() <= 0.01, rng  # rescaled by proportional shares: 15-30 %


@pytest.fixture(scope="module")
def bank_kept():
    tables = bank()
    model = sim.RelationalSynthesizer(model="bayesian_network", keep=["district"],
                                      random_state=0).fit(tables)
    return tables, model


def _children_per_row(frames: dict, child: str, key: str, parent: str) -> pd.Series:
    return frames[child][key].value_counts().reindex(frames[parent][key], fill_value=0)


def test_a_kept_table_is_written_as_it_is(bank_kept, tmp_path):
    tables, model = bank_kept
    assert model.kept_ == ("district",) and model.models_["district"] is None
    fake = model.sample(rng=1)
    pd.testing.assert_frame_equal(fake["district"], tables["district"])
    _check_keys(tables, fake, model.metadata_)
    assert all(rate == 0 for rate in model.metadata_.orphans(fake).values())
    # its children are generated for its rows, as many per row as it really has
    for child in ("client", "account"):
        pd.testing.assert_series_equal(
            _children_per_row(fake, child, "district_id", "district"),
            _children_per_row(tables, child, "district_id", "district"))
        assert not fake[child]["district_id"].isna().any()
    path = tmp_path / "bank.simz"
    model.save(path)
    loaded = sim.load(path)
    assert loaded.kept_ == ("district",) and loaded.get_params()["keep"] == ["district"]
    pd.testing.assert_frame_equal(loaded.kept_rows_["district"], tables["district"])
    a, b = model.sample(0.5, rng=7), loaded.sample(0.5, rng=7)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    pd.testing.assert_frame_equal(b["district"], tables["district"])


def test_scale_scales_the_children_of_a_kept_table_not_the_table(bank_kept):
    tables, model = bank_kept
    half = model.sample(0.5, rng=2)
    pd.testing.assert_frame_equal(half["district"], tables["district"])
    assert len(half["client"]) == round(len(tables["client"]) / 2)
    assert len(half["account"]) == round(len(tables["account"]) / 2)
    _check_keys(tables, half, model.metadata_)
    real = _children_per_row(tables, "account", "district_id", "district")
    fake = _children_per_row(half, "account", "district_id", "district")
    assert (fake <= real).all() and ((fake - real / 2).abs() <= real / 2 * 0.35 + 2).all()
    # a large district keeps more accounts than a small one
    assert np.corrcoef(real, fake)[0, 1] > 0.9
    double = model.sample(2, rng=2)
    assert len(double["district"]) == len(tables["district"])
    assert len(double["account"]) == 2 * len(tables["account"])
    _check_keys(tables, double, model.metadata_)


def test_a_kept_table_is_the_context_of_its_descendants():
    tables = chain()
    model = sim.RelationalSynthesizer(model="bayesian_network", keep=["country"],
                                      random_state=0).fit(tables)
    fake = model.sample()
    pd.testing.assert_frame_equal(fake["country"], tables["country"])
    _check_keys(tables, fake, model.metadata_)
    joined = fake["sale"].merge(fake["shop"], on="shop_id").merge(
        fake["city"], on="city_id").merge(fake["country"], on="country_id")
    price = joined.groupby("rich")["price"].mean()
    assert price[True] > price[False] + 30  # the source: 100 against 20


def test_kept_tables_every_column_kind_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    country = pd.DataFrame({
        "country_id": ["NO", "IT", "FR", "DE"],
        "name": pd.Series(["Norway", "Italy", None, "Germany"], dtype="string"),
        "eu": [False, True, True, True],
        "population": pd.array([5_500_000, 59_000_000, None, 84_000_000], dtype="Int64"),
        "gdp": [0.48, 2.1, np.nan, 4.5],
        "zone": pd.Series(["north", "south", "west", "west"], dtype="category"),
        "joined": pd.to_datetime(["1905-06-07", "1861-03-17", None, "1990-10-03"]),
        "founded": pd.Series([1905, "1861", None, 1990.0], dtype=object),
    })
    city = pd.DataFrame({"city_id": np.arange(60),
                         "country_id": rng.choice(country["country_id"], size=60),
                         "people": rng.integers(1_000, 90_000, size=60)})
    tables = {"country": country, "city": city}
    model = sim.RelationalSynthesizer(model="independent", keep=["country"],
                                      random_state=0).fit(tables)
    model.save(tmp_path / "m.simz")
    fake = sim.load(tmp_path / "m.simz").sample()
    pd.testing.assert_frame_equal(fake["country"], country)
    assert fake["city"]["country_id"].isin(country["country_id"]).all()


def test_kept_tables_clear_errors(bank_kept, tmp_path):
    tables = bank()
    with pytest.raises(ParameterError, match=r"keep names tables .*\['nope'\].*tables are"):
        sim.RelationalSynthesizer(keep=["nope"]).fit(tables)
    with pytest.raises(ParameterError, match=r"kept table 'account' refers to 'district'.*"
                                             r"keep=\['account', 'district'\]"):
        sim.RelationalSynthesizer(keep=["account"]).fit(tables)
    with pytest.raises(ParameterError, match="list of table names"):
        sim.RelationalSynthesizer(keep="district").fit(tables)
    with pytest.raises(ParameterError, match="model_params names kept tables"):
        sim.RelationalSynthesizer(keep=["district"],
                                  model_params={"district": {"bins": 5}}).fit(tables)
    _tables, model = bank_kept
    with pytest.raises(ParameterError, match="kept tables \\['district'\\]"):
        model.sample(conditions={"district": {"region": "north"}})
    # a model file whose kept rows do not fit its metadata is refused, saying which table
    payload = model.to_payload()
    payload["tables"]["district"]["kept"]["rows"]["columns"][1]["values"].pop()
    with pytest.raises(ModelFileError, match=r"kept table 'district'.*11 values, not 12"):
        sim.RelationalSynthesizer.from_payload(payload)
    payload = model.to_payload()
    payload["tables"]["district"]["kept"]["children"]["account.district_id"] = np.zeros(3)
    with pytest.raises(ModelFileError, match="child counts"):
        sim.RelationalSynthesizer.from_payload(payload)
    payload = model.to_payload()
    payload["tables"]["district"]["kept"] = None
    path = tmp_path / "broken.simz"
    dump_model(path, "relational", payload)
    with pytest.raises(ModelFileError, match="'district' is kept"):
        sim.load(path)


def test_children_keep_a_parent_category_they_copy():
    """One categorical parent column: thousands of drawn children share each of its two
    values, so nearest-neighbour ties must not leave most children to a random parent."""
    rng = np.random.default_rng(2)
    places = pd.DataFrame({"place_id": range(300), "habitat": rng.choice(["farm", "sea"], 300)})
    owner = rng.integers(0, 300, 1500)
    notes = pd.DataFrame({"note_id": range(1500), "place_id": owner,
                          "size": rng.integers(1, 100, 1500),
                          "zone": places["habitat"].to_numpy()[owner]})
    tables = {"places": places, "notes": notes}
    for name in ("gaussian_copula", "bayesian_network"):
        fake = sim.RelationalSynthesizer(DatabaseMetadata.detect(tables), model=name,
                                         random_state=0).fit(tables).sample()
        joined = fake["notes"].merge(fake["places"], on="place_id")
        assert (joined["zone"] == joined["habitat"]).mean() > 0.97, name
