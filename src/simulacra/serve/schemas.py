"""The service's request and response bodies, as pydantic models (they make the OpenAPI
document too).

A sample request names how many rows, and optionally a seed, conditions and a rebalancing:

>>> SampleRequest.model_validate({"n": 10, "seed": 7, "conditions": {"age": [30, 40]}}).n
10
>>> sample_request_model(1_000).model_json_schema()["properties"]["n"]["maximum"]
1000
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

#: Model names: a file stem of letters, digits, ``_``, ``.`` and ``-``.
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
#: Largest seed (numpy takes any non-negative integer; this one fits a signed 64-bit int).
MAX_SEED = 2**63 - 1

Text = Annotated[str, Field(max_length=1_000)]
Number = Annotated[float, Field(allow_inf_nan=False, strict=True)]
Scalar = Annotated[bool, Field(strict=True)] | Annotated[int, Field(strict=True)] | Number \
    | Text | None
Point = Annotated[list[Number], Field(min_length=2, max_length=2)]
Bounds = Annotated[list[Scalar | Point], Field(
    min_length=2, max_length=2,
    description="An inclusive range [low, high] of a numerical or datetime column, or a box "
                "of two corners [[lat, lon], [lat, lon]] of a point column.")]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class SampleRequest(BaseModel):
    """What to generate: ``n`` rows, optionally reproducibly, conditioned or rebalanced."""

    model_config = ConfigDict(extra="forbid")

    n: Annotated[int, Field(ge=1, strict=True, description="Rows to generate.")]
    seed: Annotated[int | None, Field(
        ge=0, le=MAX_SEED, strict=True,
        description="Makes the rows reproducible: the same n, seed, conditions and rebalance "
                    "give the same bytes from the same model and service settings. Without "
                    "it a fresh seed is drawn and returned in the X-Simulacra-Seed header.")
    ] = None
    conditions: Annotated[dict[Text, Scalar | Bounds] | None, Field(
        max_length=64,
        description="Only rows with these values: column to a value (null: missing) or an "
                    "inclusive range [low, high].")] = None
    rebalance: Annotated[dict[Text, Annotated[dict[Text, Share], Field(
        min_length=1, max_length=1_000)]] | None, Field(
        min_length=1, max_length=1,
        description="Target shares of one column's categories, e.g. {\"income\": "
                    "{\">50K\": 0.5}}; the other categories share the rest as the model has "
                    "them.")] = None

    def library_conditions(self) -> dict[str, Any] | None:
        """The conditions as ``Synthesizer.sample`` takes them: ranges as tuples."""
        if not self.conditions:
            return None
        return {column: _as_tuple(value) for column, value in self.conditions.items()}


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(v) for v in value) if isinstance(value, list) else value


def sample_request_model(max_rows: int) -> type[SampleRequest]:
    """:class:`SampleRequest` with ``n`` bounded by the service's row limit (so the OpenAPI
    document states the limit)."""
    n = (Annotated[int, Field(ge=1, le=max_rows, strict=True,
                              description=f"Rows to generate (at most {max_rows:,}).")], ...)
    return create_model("SampleRequest", __base__=SampleRequest, __doc__=SampleRequest.__doc__,
                        n=n)


class ColumnCard(BaseModel):
    """One column a model generates."""

    name: str
    kind: str = Field(description="The column kind (numerical, categorical, datetime, ...).")
    dtype: str | None = Field(None, description="The pandas dtype of generated values.")


class StageCard(BaseModel):
    """What one stage of a private fit spent."""

    rho: float
    share: float
    delta: float


class PrivacyCard(BaseModel):
    """The differential-privacy guarantee of a model fitted with a budget."""

    epsilon: float = Field(description="ε reached.")
    delta: float = Field(description="δ reached.")
    budget_epsilon: float
    budget_delta: float | None = None
    rho: float = Field(description="Total ρ-zCDP spent.")
    accountant: str
    stages: dict[str, StageCard] = Field(default_factory=dict)


class MetricCard(BaseModel):
    """One figure of the model's evaluation (from its ``<name>.metrics.json`` sidecar)."""

    name: str
    group: str
    value: float | None
    ideal: float | None = None
    reference: float | None = None
    direction: str
    definition: str = ""


class ModelCard(BaseModel):
    """What a client may know about one model file."""

    name: str = Field(description="The model's name: its file name without .simz.")
    model: str | None = Field(description="The synthesizer (gaussian_copula, ctgan, ...); "
                                          "null if the file could not be read.")
    servable: bool = Field(description="Whether POST /v1/models/{name}/sample works.")
    reason: str | None = Field(None, description="Why the model cannot be served.")
    columns: list[ColumnCard] = Field(default_factory=list)
    training_rows: int | None = Field(None, description="Rows the model was fitted on.")
    hyperparameters: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    privacy: PrivacyCard | None = Field(None, description="Null: fitted without a privacy "
                                                          "budget.")
    metrics: list[MetricCard] | None = Field(None, description="Null: no metrics sidecar.")
    file_bytes: int


class ModelList(BaseModel):
    """Every model in the models folder."""

    models: list[ModelCard]


class ErrorBody(BaseModel):
    """An error: ``detail`` says what went wrong (a list of problems for a body that does not
    validate)."""

    detail: Any


class Health(BaseModel):
    """The service is up; ``models``: how many are servable."""

    status: str
    models: int
