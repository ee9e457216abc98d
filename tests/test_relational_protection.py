"""Value protection in a database: every modelled table is protected before any context is
built (a child learns from parent values its generated parents can have), keys are left alone,
and ``model_params={table: {"value_protection": False}}`` turns it off for that table — also
for a table the network fits as sequences — while a kept table is copied as it is."""

from __future__ import annotations

import warnings

import pytest

import simulacra as sim
from databases import bank, dispositions
from simulacra.models.protection import ProtectionWarning

OUTLIER = 9_876_543.21
COPULA = {"district": "gaussian_copula", "client": "gaussian_copula",
          "account": "gaussian_copula", "disp": "gaussian_copula"}


def planted() -> dict:
    tables = bank()
    account = tables["account"].copy()
    account.loc[0, "balance"] = OUTLIER
    account.loc[[1, 2], "kind"] = "trust"  # a category of two rows
    return {**tables, "account": account}


def test_a_parent_tables_outlier_and_rare_category_reach_no_table():
    tables = planted()
    model = sim.RelationalSynthesizer(model=COPULA, random_state=0).fit(tables)
    assert {"balance", "kind"} <= set(model.protection_report_["account"])
    fake = model.sample()
    assert fake["account"]["balance"].max() < OUTLIER / 10
    assert "trust" not in set(fake["account"]["kind"])
    # keys are not protected: every account still has its district, every key resolves
    assert set(fake["account"]["district_id"]) <= set(fake["district"]["district_id"])
    assert tables["account"].loc[0, "balance"] == OUTLIER  # the caller's table untouched


def test_value_protection_off_for_one_table():
    model = sim.RelationalSynthesizer(
        model=COPULA, model_params={"account": {"value_protection": False}},
        random_state=0).fit(planted())
    assert "account" not in model.protection_report_
    assert "trust" in set(model.models_["account"].sample(5000, rng=0)["kind"])


def test_a_kept_lookup_table_is_copied_and_not_protected():
    tables = planted()
    model = sim.RelationalSynthesizer(model={k: v for k, v in COPULA.items() if k != "district"},
                                      keep=["district"], random_state=0).fit(tables)
    assert "district" not in model.protection_report_
    fake = model.sample()
    assert fake["district"]["name"].tolist() == tables["district"]["name"].tolist()


def test_a_table_fitted_as_sequences_takes_the_switch_too():
    pytest.importorskip("torch")
    tables = dispositions(n_accounts=120)
    model = sim.RelationalSynthesizer(
        model={"account": "gaussian_copula", "client": "gaussian_copula"},
        model_params={"disp": {"epochs": 2, "value_protection": False}},
        random_state=0).fit(tables)
    assert type(model.models_["disp"]).__name__ == "SequentialNetwork"
    assert "disp" not in model.protection_report_
    protected = sim.RelationalSynthesizer(
        model={"account": "gaussian_copula", "client": "gaussian_copula"},
        model_params={"disp": {"epochs": 2}}, random_state=0).fit(tables)
    assert type(protected.models_["disp"]).__name__ == "SequentialNetwork"


def lookup_hints(**kwargs) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.RelationalSynthesizer(random_state=0, **kwargs).fit(planted())
    return [str(w.message) for w in caught if issubclass(w.category, ProtectionWarning)
            and "looks like a lookup table" in str(w.message)]


def test_a_protected_lookup_table_is_pointed_out_with_how_to_keep_it():
    said = lookup_hints(model=COPULA)
    assert len(said) == 1 and "table 'district' (12 rows, no parent" in said[0]
    assert "keep=['district']" in said[0] and "--keep district" in said[0]
    assert lookup_hints(model={k: v for k, v in COPULA.items() if k != "district"},
                        keep=["district"]) == []
    assert lookup_hints(model=COPULA,
                        model_params={"district": {"value_protection": False}}) == []
