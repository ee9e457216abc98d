"""DatabaseMetadata: key detection with reasons, validation listing every problem, YAML."""

from __future__ import annotations

import pandas as pd
import pytest

from simulacra.errors import MetadataError
from simulacra.kinds import Id
from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata


def _shop() -> dict[str, pd.DataFrame]:
    users = pd.DataFrame({"id": [1, 2, 3, 4], "country": ["NO", "IT", "NO", "FR"]})
    products = pd.DataFrame({"product_id": ["p1", "p2", "p3"], "price": [3.5, 9.0, 1.25]})
    orders = pd.DataFrame({"order_id": [10, 11, 12, 13, 14], "user_id": [1, 1, 3, 2, 2],
                           "amount": [9.5, 3.0, 12.25, 7.0, 1.0]})
    # a link table: order x product, no key of its own
    items = pd.DataFrame({"order_id": [10, 10, 11, 12, 13, 14],
                          "product_id": ["p1", "p2", "p1", "p3", "p3", "p2"],
                          "quantity": [1, 2, 1, 5, 1, 1]})
    # a self-reference and two keys to one parent
    staff = pd.DataFrame({"id": [1, 2, 3], "manager_id": [None, 1, 1]})
    transfers = pd.DataFrame({"transfer_id": [1, 2], "users_id": [1, 2]})
    return {"users": users, "products": products, "orders": orders, "items": items,
            "staff": staff, "transfers": transfers}


def test_detect_finds_keys_link_tables_and_self_references_with_reasons():
    db = DatabaseMetadata.detect(_shop())
    assert db.primary_keys["users"] == ("id",)
    assert db.primary_keys["items"] == ("order_id", "product_id")
    assert "link table" in db.key_reasons["items"]
    found = {str(fk) for fk in db.foreign_keys}
    assert found == {"orders.user_id -> users.id", "items.order_id -> orders.order_id",
                     "items.product_id -> products.product_id",
                     "staff.manager_id -> staff.id", "transfers.users_id -> users.id"}
    assert all(fk.reason for fk in db.foreign_keys)
    assert isinstance(db["orders"]["user_id"], Id) and not db["orders"]["user_id"].unique
    assert db.table_order().index("users") < db.table_order().index("orders") \
        < db.table_order().index("items")
    assert db.children("users")[0].table in ("orders", "transfers")


def test_values_must_confirm_a_name():
    tables = _shop()
    tables["orders"]["user_id"] = [91, 92, 93, 94, 95]  # named for users, values are not theirs
    db = DatabaseMetadata.detect(tables)
    assert "orders.user_id -> users.id" not in {str(fk) for fk in db.foreign_keys}


def test_yaml_round_trip_and_file(tmp_path):
    db = DatabaseMetadata.detect(_shop())
    assert DatabaseMetadata.from_yaml(db.to_yaml()) == db
    path = tmp_path / "db.yaml"
    db.save(path)
    again = DatabaseMetadata.load(path)
    assert again == db and again.key_reasons["items"] == db.key_reasons["items"]
    assert DatabaseMetadata.from_json(db.to_json()) == db


def test_editing_keys():
    db = DatabaseMetadata.detect(_shop())
    db2 = db.remove_foreign_key("staff", "manager_id")
    assert "staff.manager_id" not in {fk.name for fk in db2.foreign_keys}
    db3 = db2.add_foreign_key("staff", "manager_id", "staff")
    assert "staff.manager_id -> staff.id" in {str(fk) for fk in db3.foreign_keys}
    with pytest.raises(MetadataError, match="already declared"):
        db3.add_foreign_key("staff", "manager_id", "staff")
    with pytest.raises(MetadataError, match="no foreign key"):
        db.remove_foreign_key("users", "country")
    with pytest.raises(MetadataError, match="'products' has no primary key"):
        db.set_primary_key("products", None)  # items.product_id refers to it
    db4 = db.set_primary_key("transfers", None)
    assert "transfers" not in db4.primary_keys and db.primary_keys["transfers"]


def test_every_problem_is_listed_at_once():
    meta = Metadata({"a": Id(), "b": Id(unique=False)}, primary_key="a")
    with pytest.raises(MetadataError) as err:
        DatabaseMetadata({"t": meta, "u": meta}, primary_keys={"t": ["a"], "x": ["a"]},
                         foreign_keys=[ForeignKey("u", ("b",), "t", ("zz",)),
                                       ForeignKey("u", ("nope",), "missing", ("a",))])
    text = str(err.value)
    for expected in ("'x', which is not a table", "'zz' is not a column of 't'",
                     "'nope' is not a column", "parent 'missing' is not a table",
                     "must refer to 't''s primary key"):
        assert expected in text
    assert len(err.value.problems) >= 5


def test_data_problems_and_orphans():
    tables = _shop()
    db = DatabaseMetadata.detect(tables)
    bad = dict(tables)
    bad["users"] = pd.DataFrame({"id": [1, 1, None, 4], "country": ["NO", "IT", "NO", "FR"]})
    bad["orders"] = tables["orders"].assign(user_id=[1, 1, 3, 2, 77])
    problems = db.problems(bad)
    assert any("null primary key" in p for p in problems)
    assert any("repeats in 1 rows" in p for p in problems)
    assert db.orphans(bad)["orders.user_id"] == pytest.approx(0.6)  # 2, 3 and 77 are gone
    assert db.orphans({**tables, "orders": bad["orders"]})["orders.user_id"] == \
        pytest.approx(0.2)
    assert db.orphans(tables)["orders.user_id"] == 0.0
    assert db.problems({"users": tables["users"]})[0].startswith("tables in the metadata")


def test_cycles_are_broken_by_deferring_one_key():
    a = pd.DataFrame({"a_id": [1, 2, 3], "b_id": [1, 2, 2]})
    b = pd.DataFrame({"b_id": [1, 2], "a_id": [1, 3]})
    db = DatabaseMetadata({"a": Metadata.detect(a), "b": Metadata.detect(b)},
                          primary_keys={"a": "a_id", "b": "b_id"},
                          foreign_keys=[ForeignKey("a", "b_id", "b", "b_id"),
                                        ForeignKey("b", "a_id", "a", "a_id")])
    assert [fk.name for fk in db.deferred_keys()] == ["b.a_id"]
    assert db.table_order() == ["b", "a"]


@pytest.mark.parametrize("text, expected", [
    ("tables: 3", "'tables' mapping"),
    ("database_metadata_version: 9\ntables: {}", "not supported"),
    ("database_metadata_version: 1\ntables: {t: {columns: {a: {kind: nope}}}}", "table 't'"),
    ("database_metadata_version: 1\ntables: {}\nforeign_keys: [{table: 3}]", "foreign key #1"),
    ("database_metadata_version: 1\ntables: {t: {columns: {}, primary_key: 5}}", "primary_key"),
    ("{{{", "not valid YAML"),
])
def test_untrusted_files_get_clear_errors(text, expected):
    with pytest.raises(MetadataError, match=expected):
        DatabaseMetadata.from_yaml(text)


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * 1024)
    from simulacra.io import read_text_bounded

    with pytest.raises(MetadataError, match="larger than"):
        read_text_bounded(path, what="database metadata file", limit=100)


def test_notes_say_what_to_know_before_synthesizing():
    tables = _shop()
    db = DatabaseMetadata.detect(tables)
    tables["orders"] = tables["orders"].assign(user_id=[1, 1, 3, None, 77])
    tables["log"] = pd.DataFrame({"x": [1, 2]})
    notes = db.notes(tables)
    assert any("orders.user_id: 25.0% of its keys name no parent row" in n for n in notes)
    assert any("orders.user_id: 20.0% of its keys are null" in n for n in notes)
    bare = DatabaseMetadata({"log": Metadata.detect(tables["log"])})
    assert "has no primary key" in bare.notes()[0]
