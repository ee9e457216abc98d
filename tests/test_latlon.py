"""The geographic ``latlon`` kind, end to end: detected, encoded, modelled by every model,
conditioned on, constrained, evaluated and reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra as sim
from simulacra.encoders.latlon import LatLonEncoder
from simulacra.errors import DataError, MetadataError

CITIES = {"Paris": (48.8566, 2.3522), "Lyon": (45.7640, 4.8357), "Marseille": (43.2965, 5.3698)}
POINT = r"-?\d+\.\d{4}, -?\d+\.\d{4}"
SMALL = {"autoregressive": {"epochs": 3}, "tabddpm": {"epochs": 2, "sampling_steps": 20},
         "ctgan": {"epochs": 2}, "tvae": {"epochs": 2}}


def places(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Visits around three cities: the point depends on the city, the price on both."""
    rng = np.random.default_rng(seed)
    city = rng.choice(list(CITIES), n, p=[0.5, 0.3, 0.2])
    centre = np.array([CITIES[c] for c in city])
    point = centre + rng.normal(0, 0.08, (n, 2))
    at = [f"{a:.4f}, {b:.4f}" for a, b in point]
    frame = pd.DataFrame({"city": city, "at": at, "price": np.round(10 + point[:, 1] * 3, 2)})
    frame.loc[rng.random(n) < 0.05, "at"] = None
    return frame


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return places()


def _points(series: pd.Series) -> np.ndarray:
    lat, lon = sim.LatLon.parse(series)
    return np.column_stack([lat, lon])


def test_detected_with_its_reason(table):
    kind = sim.Metadata.detect(table)["at"]
    assert isinstance(kind, sim.LatLon) and kind.family == "continuous" and not kind.linear
    assert kind.reason.startswith("latlon: 100% of values are 'lat, lon' points")
    # whole-number pairs and text that is not a point stay what they were
    assert not isinstance(sim.Metadata.detect(pd.DataFrame({"p": ["3, 4", "5, 6"] * 30}))["p"],
                          sim.LatLon)
    assert sim.column_from_dict({"kind": "latlon", "decimals": 3}) == sim.LatLon(decimals=3)
    with pytest.raises(MetadataError, match="decimals must be between 0 and 10"):
        sim.Metadata({"at": sim.LatLon(decimals=12)}).validate()


def test_encoder_keeps_the_writing_and_refuses_what_is_not_a_point():
    s = pd.Series(["(48.85, 2.35)", "(45.76, 4.84)"], name="at")
    enc = LatLonEncoder().fit(s)
    assert (enc.before_, enc.separator_, enc.after_, enc.decimals_) == ("(", ", ", ")", [2, 2])
    back = enc.inverse_transform(np.array([[47.0, 3.0]]), np.random.default_rng(0))
    assert back.tolist() == ["(47.00, 3.00)"]
    pairs = pd.Series([(48.85, 2.35), (45.76, 4.84)], name="at")
    assert LatLonEncoder().fit(pairs).inverse_transform(
        np.array([[47.0, 3.0]]), np.random.default_rng(0)).tolist() == [(47.0, 3.0)]
    with pytest.raises(DataError, match=r"column 'at' has values that are not 'lat, lon'"):
        LatLonEncoder().fit(pd.Series(["48.85, 2.35", "somewhere", "95.0, 2.0"], name="at"))


@pytest.mark.parametrize("name", sorted(sim.MODELS))
def test_every_model_generates_points_written_like_the_real_ones(name, table):
    params = dict(SMALL.get(name, {}))
    if getattr(sim.MODELS[name], "requires_privacy", False):
        params["privacy"] = sim.PrivacyBudget(3.0)
    model = sim.MODELS[name](random_state=0, **params).fit(table)
    out = model.sample(1000, rng=1)
    present = out["at"].dropna()
    assert present.str.fullmatch(POINT).all()
    points = _points(present)
    real = _points(table["at"].dropna())
    if params.get("privacy") is None:  # within the box of the real points
        assert (points.min(0) >= real.min(0) - 1e-9).all()
        assert (points.max(0) <= real.max(0) + 1e-9).all()
    if name not in ("ctgan", "tvae", "tabddpm"):  # two epochs teach a GAN or VAE little
        assert 0 < out["at"].isna().mean() < 0.15


@pytest.mark.parametrize("name", ["gaussian_copula", "autoregressive", "bayesian_network"])
def test_the_point_follows_the_city(name, table):
    params = {"epochs": 40} if name == "autoregressive" else {}
    model = sim.MODELS[name](random_state=0, **params).fit(table)
    out = model.sample(3000, rng=2).dropna()
    points = _points(out["at"])
    for city, (lat, _) in CITIES.items():
        assert abs(points[(out["city"] == city).to_numpy(), 0].mean() - lat) < 0.6


def test_conditions_take_a_box_and_nulls(table):
    model = sim.GaussianCopula(random_state=0).fit(table)
    box = ("45.0, 4.0", (46.5, 5.5))  # around Lyon: two corners, as text or as a pair
    out = model.sample(200, conditions={"at": box}, rng=3)
    points = _points(out["at"])
    assert len(out) == 200 and not np.isnan(points).any()
    assert ((points[:, 0] >= 45.0) & (points[:, 0] <= 46.5)).all()
    assert (out["city"] == "Lyon").mean() > 0.8  # the copula blurs the city-point link a little
    assert model.sample(20, conditions={"at": None}, rng=4)["at"].isna().all()


def test_constraints_apply_where_they_mean_something(table):
    md = sim.Metadata.detect(table).add_constraint(sim.Unique("at"))
    out = sim.GaussianCopula(md, random_state=0).fit(table).sample(1000, rng=5)
    assert out["at"].dropna().is_unique
    with pytest.raises(MetadataError, match="'at' is latlon"):
        sim.Metadata.detect(table).add_constraint(sim.Range("at", low=0, high=1))
    with pytest.raises(MetadataError, match="'at' is latlon"):
        sim.Metadata.detect(table).add_constraint(sim.FixedCombinations(["city", "at"]))


def test_evaluated_part_by_part_and_reported(table, tmp_path):
    synth = sim.GaussianCopula(random_state=0).fit(table).sample(len(table), rng=6)
    result = sim.evaluate(table, synth, metrics=["fidelity"])
    shapes = {row["column"]: row["score"] for row in result["shape"].details["columns"]}
    assert {"at#lat", "at#lon"} <= set(shapes) and "at" not in shapes
    assert min(shapes["at#lat"], shapes["at#lon"]) > 0.8
    report = tmp_path / "r.html"
    result.to_html(report)
    assert "at#lat" in report.read_text()


def test_saved_and_loaded_and_through_the_cli(table, tmp_path):
    from typer.testing import CliRunner

    from simulacra.cli import app

    data, model, out = tmp_path / "places.csv", tmp_path / "m.simz", tmp_path / "out.csv"
    table.to_csv(data, index=False)
    runner = CliRunner(env={"COLUMNS": "200"})
    fitted = runner.invoke(app, ["fit", str(data), "-m", "gaussian_copula", "-o", str(model)])
    assert fitted.exit_code == 0, fitted.output
    sampled = runner.invoke(app, ["sample", str(model), "-n", "300", "-o", str(out)])
    assert sampled.exit_code == 0, sampled.output
    written = pd.read_csv(out)
    assert written["at"].dropna().str.fullmatch(POINT).all()
    loaded = sim.load(model)
    assert isinstance(loaded.metadata_["at"], sim.LatLon)
    pd.testing.assert_frame_equal(loaded.sample(50, rng=7), sim.load(model).sample(50, rng=7))
