"""Subsetting with referential integrity: shares met, every key resolved, seeded."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulacra.errors import ParameterError
from simulacra.metadata import DatabaseMetadata, ForeignKey, Metadata
from simulacra.multitable.checks import orphan_rows
from simulacra.multitable.subset import parse_subset_spec, subset


def shop(seed: int = 0) -> tuple[dict[str, pd.DataFrame], DatabaseMetadata]:
    """regions → customers (self-reference) → orders (two keys to customers) → lines
    (composite key) → shipments (composite foreign key); products; a link table to tags."""
    rng = np.random.default_rng(seed)
    n = 400
    regions = pd.DataFrame({"id": range(1, 6)})  # region 5 has no customer
    customers = pd.DataFrame({
        "id": range(1, n + 1), "region_id": rng.integers(1, 5, n),
        "referred_by": pd.array([None if i < 10 else int(rng.integers(1, i)) for i in
                                 range(1, n + 1)], dtype="Int64")})
    products = pd.DataFrame({"sku": [f"P{i}" for i in range(20)]})
    tags = pd.DataFrame({"id": range(1, 6)})
    product_tags = pd.DataFrame({"sku": [f"P{i}" for i in range(10)],
                                 "tag_id": [1 + i % 5 for i in range(10)]})
    orders = pd.DataFrame({
        "id": range(1000, 1000 + 3 * n), "customer_id": rng.integers(1, n + 1, 3 * n),
        "ship_to": pd.array([None if i % 4 else int(rng.integers(1, n + 1))
                             for i in range(3 * n)], dtype="Int64")})
    lines = pd.DataFrame([(o, k, f"P{int(rng.integers(0, 20))}")
                          for o in orders["id"] for k in range(1, int(rng.integers(1, 4)) + 1)],
                         columns=["order_id", "line_no", "sku"])
    shipped = lines.iloc[::3]
    shipments = pd.DataFrame({"id": range(len(shipped)), "order_id": shipped["order_id"].values,
                              "line_no": shipped["line_no"].values})
    # an orphan: a shipment of a line that does not exist
    shipments.loc[len(shipments)] = [len(shipments), 999_999, 1]
    tables = {"regions": regions, "customers": customers, "products": products, "tags": tags,
              "product_tags": product_tags, "orders": orders, "lines": lines,
              "shipments": shipments}
    fks = [ForeignKey("customers", "region_id", "regions", "id"),
           ForeignKey("customers", "referred_by", "customers", "id"),
           ForeignKey("orders", "customer_id", "customers", "id"),
           ForeignKey("orders", "ship_to", "customers", "id"),
           ForeignKey("lines", "order_id", "orders", "id"),
           ForeignKey("lines", "sku", "products", "sku"),
           ForeignKey("shipments", ("order_id", "line_no"), "lines", ("order_id", "line_no")),
           ForeignKey("product_tags", "sku", "products", "sku"),
           ForeignKey("product_tags", "tag_id", "tags", "id")]
    keys = {"regions": "id", "customers": "id", "products": "sku", "tags": "id",
            "product_tags": ("sku", "tag_id"), "orders": "id",
            "lines": ("order_id", "line_no"), "shipments": "id"}
    meta = DatabaseMetadata({t: Metadata.detect(f) for t, f in tables.items()},
                            primary_keys=keys, foreign_keys=fks)
    return tables, meta


def unresolved(tables: dict[str, pd.DataFrame], meta: DatabaseMetadata) -> dict[str, int]:
    return {fk.name: int(orphan_rows(tables, fk).sum()) for fk in meta.foreign_keys
            if orphan_rows(tables, fk).any()}


@pytest.mark.parametrize("fractions", [{"customers": 0.05}, {"orders": 0.1},
                                       {"shipments": 0.2, "regions": 0.25},
                                       {"tags": 0.2}, {"lines": 0.01}])
def test_every_foreign_key_resolves_and_the_share_is_met(fractions):
    tables, meta = shop()
    small = subset(tables, meta, fractions, random_state=3)
    assert unresolved(tables, meta) == {"shipments.order_id+line_no": 1}
    assert set(unresolved(small, meta)) <= {"shipments.order_id+line_no"}  # only the source's
    for table, share in fractions.items():
        assert len(small[table]) >= math.ceil(share * len(tables[table]))
    for name, frame in small.items():  # rows of the source, in its order
        merged = frame.merge(tables[name], how="left", indicator=True)
        assert (merged["_merge"] == "both").all()


def test_children_of_the_chosen_rows_come_down_and_their_other_parents_up():
    tables, meta = shop()
    small = subset(tables, meta, {"customers": 0.02}, random_state=0)
    picked = np.random.default_rng(0).choice(400, size=8, replace=False)  # the targets
    targets = tables["customers"]["id"].iloc[picked]
    assert set(targets) <= set(small["customers"]["id"])
    orders = tables["orders"]
    of_targets = orders[orders["customer_id"].isin(targets) | orders["ship_to"].isin(targets)]
    assert set(of_targets["id"]) == set(small["orders"]["id"])  # downward, through both keys
    lines = tables["lines"][tables["lines"]["order_id"].isin(small["orders"]["id"])]
    assert len(small["lines"]) == len(lines)  # and on down
    assert set(small["lines"]["sku"]) <= set(small["products"]["sku"])  # other parents, up
    assert set(small["customers"]["region_id"]) == set(small["regions"]["id"])
    assert len(small["product_tags"]) == 0 and len(small["tags"]) == 0  # not reached


def test_a_self_reference_is_followed_up_not_down():
    tables, meta = shop()
    small = subset(tables, meta, {"customers": 0.01}, random_state=1)
    ids = set(small["customers"]["id"])
    assert set(small["customers"]["referred_by"].dropna()) <= ids
    # the few customers and their referrers; not everyone they referred (followed by others)
    assert len(small["customers"]) < len(tables["customers"]) / 2


def test_seeded_and_reproducible():
    tables, meta = shop()
    a = subset(tables, meta, "orders: 5%", random_state=11)
    b = subset(tables, meta, "orders: 5%", random_state=11)
    c = subset(tables, meta, "orders: 5%", random_state=12)
    assert all(a[t].equals(b[t]) for t in a)
    assert not a["orders"].equals(c["orders"])


def test_the_caller_tables_are_not_modified():
    tables, meta = shop()
    copies = {t: f.copy() for t, f in tables.items()}
    subset(tables, meta, {"lines": 0.5}, random_state=0)
    assert all(tables[t].equals(copies[t]) for t in tables)


def test_parse_subset_spec():
    assert parse_subset_spec("customers: 1%, orders: 0.5") == {"customers": 0.01, "orders": 0.5}
    assert parse_subset_spec("a:100%") == {"a": 1.0}
    for spec, message in [("customers 1%", "not 'table: share'"), ("a: 0", "not a share"),
                          ("a: 150%", "not a share"), ("a: 2", "not a share"),
                          ("a: x", "not a share"), ("a: 1%, a: 2%", "given twice"),
                          (": 1%", "not 'table: share'"), ("", "must be text"),
                          ("a/b: 1%", "path separator"), ("a: nan", "not a share")]:
        with pytest.raises(ParameterError, match=message):
            parse_subset_spec(spec)


def test_bad_fractions_are_refused():
    tables, meta = shop()
    with pytest.raises(ParameterError, match=r"names no table \['nope'\]"):
        subset(tables, meta, {"nope": 0.1})
    with pytest.raises(ParameterError, match="share in"):
        subset(tables, meta, {"orders": 1.5})
    with pytest.raises(ParameterError, match="names no table"):
        subset(tables, meta, {})
