"""evaluate_database: small hand-made databases where the right answer is known."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.errors import DataError, ParameterError
from simulacra.evaluation.database import DatabaseEvaluation, evaluate_database
from simulacra.evaluation.database.paths import key_paths
from simulacra.metadata import DatabaseMetadata
from simulacra.metadata.keys import parent_positions

NO_DETECTION = ["integrity", "fidelity", "cardinality", "trends"]


def make_db(seed: int, users: int = 300, *, mean_orders: float = 2.0) -> dict[str, pd.DataFrame]:
    """countries → users → orders, with columns tied across every key.

    A user's age follows its country's wealth; an order's amount follows its user's age and
    its channel the user's segment; richer segments place more orders.
    """
    rng = np.random.default_rng(seed)
    countries = pd.DataFrame({"country_id": np.arange(8), "gdp": np.linspace(10, 80, 8)})
    country = rng.integers(0, 8, users)
    age = 20 + countries["gdp"].to_numpy()[country] / 2 + rng.normal(0, 3, users)
    segment = np.where(age > 40, "gold", "basic")
    users_ = pd.DataFrame({"user_id": np.arange(users) + 1000, "country_id": country,
                           "age": age.round(1), "segment": segment})
    n_orders = rng.poisson(np.where(segment == "gold", 2 * mean_orders, mean_orders / 2))
    owner = np.repeat(np.arange(users), n_orders)
    amount = 10 * age[owner] + rng.normal(0, 5, owner.size)
    channel = np.where((segment[owner] == "gold") ^ (rng.random(owner.size) < 0.1), "web", "shop")
    orders = pd.DataFrame({"order_id": np.arange(owner.size), "user_id": owner + 1000,
                           "amount": amount.round(2), "channel": channel})
    return {"countries": countries, "users": users_, "orders": orders}


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    return make_db(0)


@pytest.fixture(scope="module")
def metadata(real) -> DatabaseMetadata:
    md = DatabaseMetadata.detect(real)
    assert {str(fk) for fk in md.foreign_keys} == {"users.country_id -> countries.country_id",
                                                   "orders.user_id -> users.user_id"}
    return md


def copy(db: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name: frame.copy() for name, frame in db.items()}


@pytest.fixture(scope="module")
def identical(real, metadata) -> DatabaseEvaluation:
    return evaluate_database(real, copy(real), metadata, metrics=NO_DETECTION)


# -- identical databases ---------------------------------------------------------------------


def test_identical_databases_score_perfectly(identical):
    assert identical.value("primary key integrity") == 1.0
    assert identical.value("foreign key resolution") == 1.0
    assert identical.value("cardinality shape") == 1.0
    assert identical.value("parent-child trend") == pytest.approx(1.0)
    assert identical.value("2-hop trend") == pytest.approx(1.0)
    assert identical.value("AVG 2-way") == pytest.approx(1.0)
    for table in ("users", "orders"):
        assert identical.value("shape", table=table) == pytest.approx(1.0)
    assert identical.value("parent-child trend", relation="orders.user_id") == pytest.approx(1.0)
    assert identical.value("2-hop trend", path="orders > users > countries") == pytest.approx(1.0)


def test_crossing_pairs_only_cross_the_end_tables(identical):
    pairs = identical.get("2-hop trend", path="orders > users > countries").details["pairs"]
    assert {(p["column_1"], p["column_2"]) for p in pairs} == {
        ("orders.amount", "countries.gdp"), ("orders.channel", "countries.gdp")}
    one_hop = identical.get("parent-child trend", relation="orders.user_id").details["pairs"]
    assert len(one_hop) == 4  # (amount, channel) x (age, segment)
    assert all(p["column_1"].startswith("orders.") and p["column_2"].startswith("users.")
               for p in one_hop)


# -- each figure reacts to what it measures --------------------------------------------------


def test_orphans_lower_foreign_key_resolution(real, metadata):
    fake = copy(real)
    orders = fake["orders"]
    broken = np.arange(len(orders)) % 10 == 0
    orders.loc[broken, "user_id"] = 99_999
    result = evaluate_database(real, fake, metadata, metrics=["integrity"])
    fk = result.get("foreign key resolution", relation="orders.user_id")
    assert fk.value == pytest.approx(1 - broken.mean())
    assert fk.reference == 1.0
    assert fk.details["orphans"] == broken.sum()
    assert result.value("foreign key resolution") == pytest.approx(1 - broken.mean())
    assert result.value("foreign key resolution", relation="users.country_id") == 1.0


def test_repeated_primary_keys_lower_primary_key_integrity(real, metadata):
    fake = copy(real)
    fake["users"].loc[:9, "user_id"] = 1000  # ten rows share one key
    result = evaluate_database(real, fake, metadata, metrics=["integrity"])
    assert result.value("primary key integrity", table="users") == pytest.approx(
        1 - 10 / len(fake["users"]))


def test_changed_children_counts_lower_cardinality_shape(real, metadata):
    fake = copy(real)
    users = fake["users"]["user_id"].to_numpy()
    # every user gets the average number of orders: totals and table shapes stay the same
    fake["orders"]["user_id"] = users[np.arange(len(fake["orders"])) % len(users)]
    result = evaluate_database(real, fake, metadata, metrics=["fidelity", "cardinality"])
    assert result.value("cardinality shape", relation="orders.user_id") < 0.7
    assert result.value("cardinality shape", relation="users.country_id") == 1.0
    assert result.value("shape", table="orders") == pytest.approx(1.0)


def test_broken_parent_child_correlation_lowers_the_trend_not_the_shapes(real, metadata):
    fake = copy(real)
    rng = np.random.default_rng(1)
    fake["orders"]["user_id"] = rng.permutation(fake["orders"]["user_id"].to_numpy())
    result = evaluate_database(real, fake, metadata, metrics=NO_DETECTION)
    assert result.value("parent-child trend", relation="orders.user_id") < 0.8
    assert result.value("2-hop trend") < 0.9
    # each table alone is untouched, and so is every parent's number of children
    for table in ("users", "orders"):
        assert result.value("shape", table=table) == pytest.approx(1.0)
    assert result.value("trend", table="orders") == pytest.approx(1.0)
    assert result.value("cardinality shape", relation="orders.user_id") == 1.0
    assert result.value("parent-child trend", relation="users.country_id") == pytest.approx(1.0)


def test_c2st_agg_tells_a_different_database_from_a_resample(real, metadata):
    same = evaluate_database(real, make_db(1), metadata, metrics=["detection"])
    other = evaluate_database(real, make_db(1, mean_orders=5.0), metadata, metrics=["detection"])
    assert 0.35 < same.value("C2ST-Agg AUC", table="users") < 0.65
    assert other.value("C2ST-Agg AUC", table="users") > 0.8
    assert other.value("C2ST-Agg AUC") > same.value("C2ST-Agg AUC")
    features = same.get("C2ST-Agg AUC", table="users").details["features"]
    assert {"orders:count", "orders.amount:mean", "orders.channel:top_share"} <= set(features)
    assert "C2ST-Agg AUC" not in [m.metric.name for m in same.scoped("table", "orders")]


def test_c2st_agg_ignores_a_holdout_that_shares_the_parent_rows(real, metadata):
    """A table above the split (here users, copied whole into both parts) has only the
    held-out share of its children in the holdout: comparing it with a synthetic database of
    the training data's size would flag every parent by its child count."""
    other = make_db(1)
    holdout = {"countries": real["countries"], "users": real["users"],
               "orders": real["orders"].sample(frac=0.3, random_state=0)}
    result = evaluate_database(real, other, metadata, holdout=holdout, metrics=["detection"])
    assert 0.3 < result.value("C2ST-Agg AUC", table="users") < 0.7
    # a holdout of other users (a real split) is still the real side
    split = make_db(2)  # other users (keys of their own)
    split["users"] = split["users"].assign(user_id=split["users"]["user_id"] + 10_000)
    split["orders"] = split["orders"].assign(user_id=split["orders"]["user_id"] + 10_000)
    result = evaluate_database(real, other, metadata, holdout=split, metrics=["detection"])
    assert 0.3 < result.value("C2ST-Agg AUC", table="users") < 0.7
    thinned = {**split, "orders": split["orders"].sample(frac=0.3, random_state=0)}
    flagged = evaluate_database(real, other, metadata, holdout=thinned, metrics=["detection"])
    assert flagged.value("C2ST-Agg AUC", table="users") > 0.75


# -- utility and privacy -----------------------------------------------------------------------


def test_cross_table_utility_uses_parents_and_children(real, metadata):
    holdout = make_db(2)
    result = evaluate_database(real, make_db(1), metadata, holdout=holdout,
                               target="orders.channel", metrics=["utility"])
    auc = result.get("TSTR ROC-AUC")
    assert "users.segment" in auc.details["features"]
    assert "users.countries.gdp" in auc.details["features"]
    # the channel follows the user's segment (10 % of labels flipped): a fresh sample of the
    # same database is as useful as the real one
    assert auc.value > 0.7 and auc.reference > 0.7
    assert abs(auc.value - auc.reference) < 0.1
    on_users = evaluate_database(real, copy(real), metadata, target="users.age",
                                 metrics=["utility"])
    r2 = on_users.get("TSTR R2")
    assert "orders:count" in r2.details["features"] and "countries.gdp" in r2.details["features"]
    assert "seeded 30%" in r2.note


def test_cross_table_utility_sees_the_parents_other_children(real):
    """A loan's account's standing orders help predict the loan: the parent's other child
    tables are aggregated too — never the target's own table (its rows hold the target)."""
    def with_tickets(db: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
        rng = np.random.default_rng(seed)
        users = db["users"]
        web = db["orders"].groupby("user_id")["channel"].apply(lambda s: (s == "web").sum())
        per_user = web.reindex(users["user_id"], fill_value=0).to_numpy()
        owner = np.repeat(users["user_id"].to_numpy(), per_user)
        tickets = pd.DataFrame({"ticket_id": np.arange(owner.size), "user_id": owner,
                                "minutes": rng.gamma(2.0, 5.0, owner.size).round(1)})
        return {**db, "tickets": tickets}

    real4, fake4, held4 = with_tickets(real, 0), with_tickets(make_db(1), 1), \
        with_tickets(make_db(2), 2)
    md = DatabaseMetadata.detect(real4)
    result = evaluate_database(real4, fake4, md, holdout=held4, target="orders.channel",
                               metrics=["utility"])
    features = result.get("TSTR ROC-AUC").details["features"]
    assert {"users.tickets:count", "users.tickets.minutes:mean"} <= set(features)
    assert not [f for f in features if f.startswith("users.orders")]


def test_privacy_per_table_with_a_holdout(real, metadata):
    holdout = make_db(2)
    result = evaluate_database(real, copy(real), metadata, holdout=holdout,
                               metrics=["privacy"])
    assert result.value("exact copies", table="orders") == 1.0
    assert result.value("DCR share", table="orders") > 0.9  # copies sit on training rows
    fresh = evaluate_database(real, make_db(1), metadata, holdout=holdout, metrics=["privacy"])
    assert fresh.value("DCR share", table="orders") < 0.7
    assert fresh.value("exact copies", table="orders") < 0.1


# -- keys --------------------------------------------------------------------------------------


def test_keys_match_across_dtypes():
    parent = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "x"]})
    child = pd.DataFrame({"a": ["3", "1", None, "7"], "b": ["x", "x", "y", "x"]})
    assert parent_positions(child, ["a"], parent, ["a"]).tolist() == [2, 0, -1, -2]
    assert parent_positions(child, ["a", "b"], parent, ["a", "b"]).tolist() == [2, 0, -1, -2]
    floats = pd.DataFrame({"a": [3.0, 2.0, np.nan]})
    assert parent_positions(floats, ["a"], parent, ["a"]).tolist() == [2, 1, -1]


def test_synthetic_keys_read_back_as_text_still_resolve(real, metadata):
    fake = copy(real)
    for name in fake:
        fake[name] = fake[name].astype({c: str for c in fake[name].columns
                                         if c.endswith("_id")})
    result = evaluate_database(real, fake, metadata, metrics=["integrity", "cardinality"])
    assert result.value("foreign key resolution") == 1.0
    assert result.value("cardinality shape") == 1.0


def test_self_reference_paths_end():
    staff = pd.DataFrame({"staff_id": range(20), "boss_id": [None] + [i // 3 for i in range(19)],
                          "salary": np.linspace(1, 2, 20)})
    md = DatabaseMetadata.detect({"staff": staff})
    assert [str(fk) for fk in md.foreign_keys] == ["staff.boss_id -> staff.staff_id"]
    assert [p.name for p in key_paths(md)] == ["staff > staff"]
    result = evaluate_database({"staff": staff}, {"staff": staff}, md, metrics=NO_DETECTION)
    assert result.value("parent-child trend", relation="staff.boss_id") == pytest.approx(1.0)


# -- results -----------------------------------------------------------------------------------


def test_json_round_trip(identical, tmp_path):
    text = identical.to_json(tmp_path / "db.json")
    back = DatabaseEvaluation.from_json((tmp_path / "db.json").read_text(encoding="utf-8"))
    assert back == identical and text == back.to_json()
    assert back.value("cardinality shape", relation="orders.user_id") == 1.0
    assert json.loads(text)["info"]["tables"] == ["countries", "users", "orders"]
    assert set(identical.summary()["scope"]) == {"database", "table", "relation", "path"}
    assert "cardinality shape" in identical.summary_text()


def test_html_has_a_section_per_table_relation_and_path(identical, tmp_path):
    path = tmp_path / "report.html"
    identical.save_html(path)
    html = path.read_text(encoding="utf-8")
    ids = set(re.findall(r'<section id="([^"]+)"', html))
    assert {"table-countries", "table-users", "table-orders", "relation-orders-user_id",
            "relation-users-country_id", "path-orders-users-countries"} <= ids
    assert "data:image/png;base64," in html  # the children-per-parent chart
    assert not list(tmp_path.glob("*.tmp*"))


def test_same_seed_same_figures(real, metadata):
    fake = make_db(1)
    one = evaluate_database(real, fake, metadata, random_state=3, max_rows=100)
    two = evaluate_database(real, fake, metadata, random_state=3, max_rows=100)
    assert one == two
    assert "100 of" in one.get("2-hop trend", path="orders > users > countries").note


# -- errors ------------------------------------------------------------------------------------


def test_a_table_missing_from_synthetic_is_named(real, metadata):
    fake = copy(real)
    del fake["orders"]
    with pytest.raises(DataError, match=r"synthetic database lacks the tables \['orders'\]"):
        evaluate_database(real, fake, metadata)


def test_a_column_missing_from_synthetic_is_named(real, metadata):
    fake = copy(real)
    fake["users"] = fake["users"].drop(columns="segment")
    with pytest.raises(DataError, match=r"synthetic table 'users' lacks the columns \['segment'\]"):
        evaluate_database(real, fake, metadata)


@pytest.mark.parametrize(("target", "message"), [
    ("nope.age", "must name a table of the database"),
    ("users.height", "non-key column of 'users'"),
    ("users.user_id", "non-key column of 'users'"),
    ("age", "must be 'table.column'"),
])
def test_bad_targets_are_refused(real, metadata, target, message):
    with pytest.raises(ParameterError, match=message):
        evaluate_database(real, real, metadata, target=target)


def test_bad_parameters_are_refused(real, metadata):
    with pytest.raises(ParameterError, match="'metrics'"):
        evaluate_database(real, real, metadata, metrics=["shapes"])
    with pytest.raises(ParameterError, match="'max_rows'"):
        evaluate_database(real, real, metadata, max_rows=0)
    with pytest.raises(ParameterError, match="'metadata'"):
        evaluate_database(real, real, metadata["users"])


def test_evaluate_dispatches_on_databases(real, metadata):
    result = sim.evaluate(real, copy(real), metadata=metadata, metrics=["integrity"])
    assert isinstance(result, DatabaseEvaluation)
    assert result.value("foreign key resolution") == 1.0
    detected = sim.evaluate(real, copy(real), metrics="integrity")
    assert detected.value("primary key integrity") == 1.0
    with pytest.raises(ParameterError, match="DatabaseMetadata"):
        sim.evaluate(real["users"], real["users"], metadata=metadata)
    with pytest.raises(ParameterError, match="'synthetic' parameter must be a database"):
        sim.evaluate(real, real["users"])




# -- a child table's rows per parent as sequences ---------------------------------------------

def dated(db: dict[str, pd.DataFrame], seed: int, *, weekly: bool = True
          ) -> dict[str, pd.DataFrame]:
    """``db`` with a day per order: each user's orders a week apart from the user's first
    (``weekly``), or on days drawn at random within the same quarter."""
    rng = np.random.default_rng(seed)
    orders = db["orders"].copy()
    nth = orders.groupby("user_id").cumcount().to_numpy()
    start = rng.integers(0, 30, orders["user_id"].max() + 1)[orders["user_id"].to_numpy()]
    days = start + 7 * nth if weekly else rng.integers(0, 90, len(orders))
    orders.insert(2, "day", pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D"))
    return {**db, "orders": orders}


def sequence_figures(result: DatabaseEvaluation) -> dict[str, float]:
    table = result.summary()
    rows = table[(table["scope"] == "relation") & (table["group"] == "sequence")]
    assert set(rows["where"]) == {"orders.user_id"}
    return dict(zip(rows["metric"], rows["value"], strict=True))


def test_orders_per_user_are_judged_as_sequences(real):
    weekly = dated(real, 0)
    md = DatabaseMetadata.detect(weekly)
    same = sequence_figures(evaluate_database(weekly, copy(weekly), md,
                                              metrics=["sequences"]))
    assert same["sequence length similarity"] == 1.0
    assert same["inter-event time similarity"] == pytest.approx(1.0)
    assert same["autocorrelation gap"] == pytest.approx(0.0, abs=1e-9)
    scattered = sequence_figures(evaluate_database(weekly, dated(real, 1, weekly=False), md,
                                                   metrics=["sequences"]))
    assert scattered["sequence length similarity"] == 1.0  # the same orders per user ...
    assert scattered["inter-event time similarity"] < 0.8  # ... on scattered days
    fewer = copy(weekly)
    fewer["orders"] = weekly["orders"].groupby("user_id").head(1)
    assert sequence_figures(evaluate_database(weekly, fewer, md, metrics=["sequences"]))[
        "sequence length similarity"] < 0.8


def test_children_without_an_order_are_not_sequences(real, metadata):
    result = evaluate_database(real, copy(real), metadata, metrics=["integrity", "sequences"])
    assert not [f for f in result.metrics if f.metric.group == "sequence"]
    assert any("orders.user_id" in n and "no order" in n for n in result.info["notes"])
