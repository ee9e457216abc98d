"""Small test databases with known structure, made from a seed (no file is read).

Each function returns ``{table: DataFrame}`` whose keys and cross-table dependencies are known,
so that tests can check the synthetic database keeps them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def shop(seed: int = 0, n_users: int = 300) -> dict[str, pd.DataFrame]:
    """users → orders → items ← products (a link table, composite key), stores ← orders
    (a second parent), a self-referencing referrer, and childless users.

    * a user's tier sets how many orders they place (gold 4-8, basic 0-2: some have none) and
      how much each order is (gold ~ 200, basic ~ 40);
    * an order's store is in the user's region (a second foreign key that must not be uniform);
    * ``referrer_id`` points at an earlier user (a tree), null for 40% of users.
    """
    rng = np.random.default_rng(seed)
    regions = np.array(["north", "south", "east"])
    users = pd.DataFrame({
        "user_id": np.arange(1, n_users + 1),
        "tier": rng.choice(["gold", "basic"], size=n_users, p=[0.3, 0.7]),
        "region": rng.choice(regions, size=n_users),
        "age": rng.integers(18, 80, size=n_users),
    })
    referrer = [None if i == 0 or rng.random() < 0.4 else int(rng.integers(1, i + 1))
                for i in range(n_users)]
    users["referrer_id"] = pd.array(referrer, dtype="Int64")
    stores = pd.DataFrame({"store_id": [f"S{i:03d}" for i in range(12)],
                           "region": np.repeat(regions, 4),
                           "size": rng.choice(["small", "large"], size=12)})
    rows = []
    order_id = 1000
    for user in users.itertuples():
        gold = user.tier == "gold"
        count = int(rng.integers(4, 9)) if gold else int(rng.integers(0, 3))
        local = stores[stores.region == user.region].store_id.to_numpy()
        for _ in range(count):
            amount = rng.normal(200 if gold else 40, 15 if gold else 8)
            day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
            rows.append((order_id, user.user_id, str(rng.choice(local)),
                         round(max(amount, 1), 2), str(day)[:10]))
            order_id += 1
    orders = pd.DataFrame(rows, columns=["order_id", "user_id", "store_id", "amount", "day"])
    products = pd.DataFrame({"product_id": np.arange(1, 21),
                             "category": rng.choice(["book", "game", "tool"], size=20),
                             "price": rng.uniform(2, 90, size=20).round(2)})
    items = []
    for order in orders.itertuples():
        chosen = rng.choice(products.product_id, size=int(rng.integers(1, 4)), replace=False)
        items += [(order.order_id, int(p), int(rng.integers(1, 4))) for p in chosen]
    items = pd.DataFrame(items, columns=["order_id", "product_id", "quantity"])
    return {"users": users, "stores": stores, "orders": orders, "products": products,
            "items": items}


def chain(seed: int = 0, n_top: int = 60) -> dict[str, pd.DataFrame]:
    """A 4-level chain country → city → shop → sale; a sale's price follows its country's
    ``rich`` flag (information three levels up)."""
    rng = np.random.default_rng(seed)
    country = pd.DataFrame({"country_id": np.arange(n_top),
                            "rich": rng.choice([True, False], size=n_top)})
    city = pd.DataFrame({"city_id": np.arange(3 * n_top),
                         "country_id": np.repeat(country.country_id, 3),
                         "coastal": rng.choice(["yes", "no"], size=3 * n_top)})
    shop_ = pd.DataFrame({"shop_id": np.arange(6 * n_top),
                          "city_id": np.repeat(city.city_id, 2),
                          "kind": rng.choice(["bakery", "grocer"], size=6 * n_top)})
    rich = country.set_index("country_id").rich
    city_country = city.set_index("city_id").country_id
    sales = []
    for s in shop_.itertuples():
        wealthy = bool(rich[city_country[s.city_id]])
        for _ in range(int(rng.integers(1, 5))):
            sales.append((len(sales), s.shop_id,
                          round(float(rng.normal(100 if wealthy else 20, 5)), 1)))
    sale = pd.DataFrame(sales, columns=["sale_id", "shop_id", "price"])
    return {"country": country, "city": city, "shop": shop_, "sale": sale}


def with_orphans(seed: int = 0) -> dict[str, pd.DataFrame]:
    """accounts ← payments where 10% of payment keys are orphans and 10% are null (an
    unenforced key in the source)."""
    rng = np.random.default_rng(seed)
    accounts = pd.DataFrame({"account_id": np.arange(1, 201),
                             "kind": rng.choice(["a", "b"], size=200)})
    n = 1000
    keys = rng.integers(1, 201, size=n).astype(float)
    state = rng.random(n)
    keys[state < 0.1] = rng.integers(5000, 6000, size=int((state < 0.1).sum()))
    keys[(state >= 0.1) & (state < 0.2)] = np.nan
    payments = pd.DataFrame({"payment_id": np.arange(n), "account_id": keys,
                             "value": rng.gamma(2.0, 10.0, size=n).round(2)})
    return {"accounts": accounts, "payments": payments}


def bank(seed: int = 0, n_accounts: int = 400) -> dict[str, pd.DataFrame]:
    """Berka's shape: district (a public lookup) → client and account, and disp, a link table
    whose first key is its client (one disposition each) and whose second is its account
    (every account has one or more).

    * a district's size sets how many accounts and clients it has;
    * a personal account (80%) has one disposition (the owner), 10% a second one; a business
      account has one, or five for 30% of them: the second key's counts are mostly 1 with a
      tail, and every account has at least one.
    """
    rng = np.random.default_rng(seed)
    n_districts = 12
    inhabitants = rng.integers(20, 200, size=n_districts) * 1000
    district = pd.DataFrame({
        "district_id": np.arange(1, n_districts + 1),
        "name": [f"District {chr(65 + i)}" for i in range(n_districts)],
        "region": rng.choice(["north", "south", "west"], size=n_districts),
        "inhabitants": inhabitants,
        "unemployment": rng.uniform(1, 9, size=n_districts).round(2),
    })
    home = rng.choice(district["district_id"], size=n_accounts, p=inhabitants / inhabitants.sum())
    kind = rng.choice(["personal", "business"], size=n_accounts, p=[0.8, 0.2])
    business = kind == "business"
    holders = np.where(business, np.where(rng.random(n_accounts) < 0.3, 5, 1),
                       np.where(rng.random(n_accounts) < 0.1, 2, 1))
    account = pd.DataFrame({"account_id": np.arange(1, n_accounts + 1), "district_id": home,
                            "kind": kind,
                            "balance": np.where(business, rng.normal(9000, 900, n_accounts),
                                                rng.normal(1500, 300, n_accounts)).round(2)})
    owner = np.repeat(account["account_id"].to_numpy(), holders)
    n = len(owner)
    first = np.r_[True, owner[1:] != owner[:-1]]
    disp = pd.DataFrame({"disp_id": np.arange(1, n + 1), "client_id": np.arange(1, n + 1),
                         "account_id": owner,
                         "type": np.where(first, "OWNER", "DISPONENT")})
    client = pd.DataFrame({"client_id": np.arange(1, n + 1),
                           "district_id": np.repeat(home, holders),
                           "birth_year": rng.integers(1940, 2000, size=n)})
    return {"district": district, "client": client, "account": account, "disp": disp}


def dispositions(seed: int = 0, n_accounts: int = 300) -> dict[str, pd.DataFrame]:
    """account ← disp → client, as in Berka: every account has exactly one OWNER disposition
    (listed first) and, for 30 % of accounts, one DISPONENT; every disposition has a client
    of its own (a one-to-one key). Owners are older than disponents."""
    rng = np.random.default_rng(seed)
    account = pd.DataFrame({"account_id": np.arange(1, n_accounts + 1),
                            "frequency": rng.choice(["monthly", "weekly"], n_accounts,
                                                    p=[0.8, 0.2])})
    sizes = 1 + (rng.random(n_accounts) < 0.3)
    owner = np.repeat(account["account_id"].to_numpy(), sizes)
    first = np.r_[True, owner[1:] != owner[:-1]]
    n = len(owner)
    client = pd.DataFrame({"client_id": np.arange(5000, 5000 + n),
                           "age": np.where(first, rng.normal(50, 8, n),
                                           rng.normal(25, 4, n)).round()})
    disp = pd.DataFrame({"disp_id": np.arange(n) + 1, "client_id": client["client_id"],
                         "account_id": owner,
                         "type": np.where(first, "OWNER", "DISPONENT")})
    return {"account": account, "client": client, "disp": disp}


def lending(seed: int = 0, n_accounts: int = 600) -> dict[str, pd.DataFrame]:
    """account → order and account → loan, as in Berka: how many standing orders an account has
    (0–5, independent of the account's own columns) tells whether its loan (40 % of accounts
    have one) goes bad — 80 % of loans of accounts with at most one order, 5 % of the others.
    Only the number of the loan's siblings in another table carries that signal."""
    rng = np.random.default_rng(seed)
    account = pd.DataFrame({"account_id": np.arange(1, n_accounts + 1),
                            "frequency": rng.choice(["monthly", "weekly"], n_accounts,
                                                    p=[0.7, 0.3])})
    n_orders = rng.integers(0, 6, size=n_accounts)
    owner = np.repeat(account["account_id"].to_numpy(), n_orders)
    order = pd.DataFrame({"order_id": np.arange(1, len(owner) + 1), "account_id": owner,
                          "amount": rng.gamma(2.0, 1500.0, size=len(owner)).round(2)})
    has_loan = rng.random(n_accounts) < 0.4
    few = n_orders[has_loan] <= 1
    bad = rng.random(int(has_loan.sum())) < np.where(few, 0.8, 0.05)
    loan = pd.DataFrame({"loan_id": np.arange(1, int(has_loan.sum()) + 1),
                         "account_id": account["account_id"].to_numpy()[has_loan],
                         "amount": rng.normal(90_000, 20_000, int(has_loan.sum())).round(),
                         "status": np.where(bad, "bad", "good")})
    return {"account": account, "order": order, "loan": loan}
