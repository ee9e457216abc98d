"""Shared fixtures: small tables with every column kind, and a slice of the demo data.

Tests of the benchmark tables (``../shared/datasets`` beside the checkout, or
``$SIMULACRA_DATASETS``, which the package does not ship) ask for the ``shared_datasets``
fixture: they carry the ``shared_data`` marker and, where the folder is absent, are skipped with
a reason that names it (listed in the summary: ``-ra`` is on).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

# The CLI's messages are checked as text: give its consoles a wide, fixed width, whatever the
# process's terminal (none under pytest-xdist's workers, where rich would wrap at 80 columns).
os.environ["COLUMNS"] = "200"

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from simulacra.datasets import load_demo

#: The benchmark tables: ``$SIMULACRA_DATASETS`` (as ``simulacra bench``), else the project's
#: ``../shared/datasets`` beside this checkout.
SHARED_DATASETS = Path(os.environ.get("SIMULACRA_DATASETS")
                       or Path(__file__).resolve().parents[2] / "shared" / "datasets")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reads the benchmark tables ``shared_data`` (``-m "not
    shared_data"`` leaves them out)."""
    for item in items:
        if "shared_datasets" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The folder of benchmark tables; the test is skipped, saying which folder is missing,
    where it is absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"!!! shared benchmark data NOT RUN: {SHARED_DATASETS} is absent (set "
                    "SIMULACRA_DATASETS to the folder of benchmark tables) !!!")
    return SHARED_DATASETS


def make_mixed(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table with every column kind, nulls, and a strong numeric correlation."""
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, n)
    price = np.round(rng.gamma(2.0, 30.0, n), 2)
    price[rng.random(n) < 0.1] = np.nan
    city = rng.choice(["Oslo", "Rome", "Zürich", "São Paulo"], n, p=[0.4, 0.3, 0.2, 0.1])
    city = pd.Series(city, dtype="str")
    city[rng.random(n) < 0.05] = np.nan
    days = rng.integers(0, 3650, n)
    start = pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")
    words = np.array(["alpha", "beta", "gamma", "delta", "omega", "sigma"])
    text = [" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(n)]
    return pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "age": np.clip(np.round(x), 18, 90).astype("int64"),
        "score": np.round(x * 2 + rng.normal(0, 1, n), 1),
        "price": price,
        "city": city,
        "member": rng.random(n) < 0.3,
        "signup": start.strftime("%Y-%m-%d"),
        "last_seen": start + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
        "email": [f"user{i}@example.org" for i in rng.permutation(n)],
        "notes": text,
    })


@pytest.fixture
def mixed() -> pd.DataFrame:
    return make_mixed()


@pytest.fixture(scope="session")
def adult_small() -> pd.DataFrame:
    return load_demo().sample(3000, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def dp_table() -> pd.DataFrame:
    """600 rows for the DP-SGD tests: related numbers (one with nulls), an integer, a
    category, a date."""
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(50, 10, n)
    return pd.DataFrame({
        "x": x,
        "y": np.where(rng.random(n) < 0.1, np.nan, 2 * x + rng.normal(0, 2, n)),
        "k": rng.integers(0, 6, n),
        "c": np.where(x > 50, "high", "low").astype(object),
        "d": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
    })


def assert_same_step_as_opacus(module, clipped_sum, row_loss, *rows, norms) -> None:
    """Our noisy step on ``clipped_sum(norm)`` (the clipped per-row gradient sums, in
    ``module.parameters()`` order) equals opacus's ``DPOptimizer`` step on per-row gradients
    of ``row_loss`` over ``rows``, for every clipping bound in ``norms``."""
    import torch
    from opacus.optimizers import DPOptimizer

    from simulacra.neural.clipping import per_row_grads
    from simulacra.neural.dp_sgd import DPPlan, noisy_step

    params = list(module.parameters())

    class Record:  # an optimizer that keeps the gradients it is asked to step on
        def step(self) -> None:
            self.grads = [p.grad.clone() for p in params]

        def zero_grad(self, set_to_none: bool = True) -> None:
            pass

    batch = len(rows[0])
    for norm in norms:  # the expected batch is the batch given, as opacus is told below
        plan = DPPlan(sample_rate=0.1, steps_per_epoch=10, noise_multiplier=0.8,
                      max_grad_norm=norm, n_rows=10 * batch)
        ours = Record()
        noisy_step(ours, params, clipped_sum(norm), plan, torch.Generator().manual_seed(3))
        opacus = DPOptimizer(torch.optim.SGD(params, lr=0.0), noise_multiplier=0.8,
                             max_grad_norm=norm, expected_batch_size=batch,
                             generator=torch.Generator().manual_seed(3))
        grads = per_row_grads(module, row_loss, *rows)
        for name, p in module.named_parameters():
            p.grad_sample = grads[name].clone()  # autograd may give two parameters one tensor
        opacus.pre_step()
        for a, p in zip(ours.grads, params, strict=True):
            torch.testing.assert_close(a, p.grad, rtol=1e-4, atol=1e-5)
        opacus.zero_grad()


@pytest.fixture
def pg_url():
    """A fresh database on the test server, dropped afterwards."""
    base = os.environ.get("SIMULACRA_TEST_POSTGRES_URL")
    if not base:
        message = ("PostgreSQL tests NOT RUN: SIMULACRA_TEST_POSTGRES_URL is not set (start a "
                   "server with `. .ci/postgres.sh; pg_start /tmp/pg-io 54329`)")
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run them")
        pytest.skip(f"!!! {message} !!!")
    name = f"simulacra_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {quoted} WITH (FORCE)")
    admin.dispose()
