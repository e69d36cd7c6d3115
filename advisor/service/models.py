"""Request and response models: strict (no extra fields, no coercion, finite numbers only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from advisor_core.metafeature_schema import feature_names

__all__ = [
    "MAX_BATCH_RECORDS",
    "MAX_CURVE_POINTS",
    "MAX_REMOVE_DATASETS",
    "MAX_REMOVE_TRIALS",
    "MAX_STUDY_TRIALS",
    "SPACE_PATTERN",
    "STUDY_ID_PATTERN",
    "AdviceResponse",
    "AskResponse",
    "ContributeRequest",
    "ContributionResponse",
    "CreateStudyRequest",
    "CurvePoint",
    "HealthResponse",
    "MetaFeatureVector",
    "RemovalResponse",
    "RemoveTrialsRequest",
    "SpacesResponse",
    "StudyResponse",
    "SuggestRequest",
    "TellRequest",
    "TellResponse",
]

#: Records per ``POST /v1/trials`` request (the client splits larger uploads).
MAX_BATCH_RECORDS = 1_000
MAX_CURVE_POINTS = 1_000
MAX_STUDY_TRIALS = 10_000
#: Trial ids and datasets per ``POST /v1/trials/remove`` request.
MAX_REMOVE_TRIALS = 5_000
MAX_REMOVE_DATASETS = 1_000
#: Largest magnitude of a meta-feature value (counts go up to 1e12 rows).
MAX_META_FEATURE = 1e15
SPACE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}(@[1-9][0-9]{0,5})?$"
STUDY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
METRIC_PATTERN = r"^[a-z][a-z0-9_@]{0,27}$"

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

Task = Literal["classification", "regression"]
Finite = Annotated[float, Field(allow_inf_nan=False)]
SpaceName = Annotated[
    str,
    Field(
        pattern=SPACE_PATTERN,
        description="search space, optionally with its version (`mlp@1`; default: current)",
    ),
]
MetaValue = Annotated[
    float | None, Field(ge=-MAX_META_FEATURE, le=MAX_META_FEATURE, allow_inf_nan=False)
]

#: Exactly the names of the current meta-feature version; each a finite number or null.
MetaFeatureVector: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "MetaFeatureVector",
    __config__=_STRICT,
    __doc__="The dataset's meta-features (`advisor meta-features --json`): exactly these names, "
    "each a finite number or null (not applicable).",
    **dict.fromkeys(feature_names(), (MetaValue, ...)),
)


class SuggestRequest(BaseModel):
    """Suggestions for a dataset described by its meta-features (computed client-side)."""

    model_config = _STRICT

    meta_features: MetaFeatureVector  # type: ignore[valid-type]
    task: Task
    space: SpaceName = "mlp"
    k: int = Field(5, ge=1, le=50, description="number of suggestions")
    epochs: int = Field(20, ge=1, le=1000, description="the training budget the advice is for")


class Neighbor(BaseModel):
    name: str
    distance: float | None
    normalized_score: float | None
    objective: float | None


class SuggestionOut(BaseModel):
    rank: int
    config: dict[str, Any]
    score: float | None
    predicted: float | None
    interval: list[float | None]
    failure_chance: float | None
    gain_over_default: float | None
    gain_interval: list[float | None] | None
    explanation: str
    source: str
    neighbors: list[Neighbor]


class AdviceResponse(BaseModel):
    """Exactly ``Advisor.suggest(...).to_dict()`` (what ``advisor suggest --json`` prints)."""

    task: str
    objective: str
    epochs: int
    rule: str
    reason: str
    meta_features: dict[str, float | None]
    out_of_distribution: bool
    distance_to_knowledge_base: float | None
    ood_threshold: float | None
    suggestions: list[SuggestionOut]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    version: str
    schema_revision: str | None


class SpacesResponse(BaseModel):
    spaces: list[dict[str, Any]]


class ContributeRequest(BaseModel):
    """A batch of trial records of the knowledge base's log format (validated as a whole)."""

    model_config = _STRICT

    records: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH_RECORDS,
        description=f"1 to {MAX_BATCH_RECORDS} trial records (knowledge_base/README.md)",
    )


class RecordStatus(BaseModel):
    index: int
    trial_id: str
    status: Literal["added", "duplicate"]


class ContributionResponse(BaseModel):
    added: int
    duplicates: int
    errors: int
    records: list[RecordStatus]


class RemoveTrialsRequest(BaseModel):
    """Contributed trials to take back: by dataset and/or by trial id (all or none)."""

    model_config = _STRICT

    datasets: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=MAX_REMOVE_DATASETS,
        description="datasets (fingerprint or name) whose contributed trials to remove",
    )
    trial_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=MAX_REMOVE_TRIALS, description="trials to remove"
    )
    dry_run: bool = Field(False, description="report what would be removed, remove nothing")


class RemovedDatasetOut(BaseModel):
    fingerprint: str
    name: str | None
    removed: int = Field(description="its trials removed")
    left: int = Field(description="its trials left (the seed's, or others not named)")
    deleted: bool = Field(description="no trials left: the dataset was removed too")


class RemovalResponse(BaseModel):
    removed: int = Field(description="trials removed (with dry_run: that would be)")
    dry_run: bool
    datasets: list[RemovedDatasetOut]
    trial_ids: list[str]


class CreateStudyRequest(BaseModel):
    """A warm-started study for a client's own tuner (ask/tell)."""

    model_config = _STRICT

    meta_features: MetaFeatureVector  # type: ignore[valid-type]
    task: Task
    space: SpaceName = "mlp"
    direction: Literal["maximize", "minimize"] = "maximize"
    n_trials: int = Field(20, ge=1, le=MAX_STUDY_TRIALS, description="the budget of trials")
    name: str | None = Field(
        None,
        pattern=STUDY_ID_PATTERN,
        description="the study's id (default: a generated one); an existing name is a 409",
    )
    objective: str | None = Field(
        None,
        pattern=METRIC_PATTERN,
        description="what the values measure (default: balanced_accuracy or r2 when "
        "maximizing, loss when minimizing)",
    )
    warm_start: int = Field(5, ge=0, le=50, description="the ranker's suggestions to try first")


class CurvePoint(BaseModel):
    model_config = _STRICT

    epoch: int = Field(ge=1, le=MAX_CURVE_POINTS)
    objective: Finite | None = None
    train_loss: Finite | None = None
    valid_loss: Finite | None = None


class TellRequest(BaseModel):
    """The outcome of an asked trial."""

    model_config = _STRICT

    trial: int = Field(ge=0, le=10 * MAX_STUDY_TRIALS, description="the number ask returned")
    value: Finite | None = Field(None, description="the objective (null unless complete)")
    status: Literal["complete", "pruned", "failed", "diverged", "timeout"] = "complete"
    learning_curve: list[CurvePoint] | None = Field(None, max_length=MAX_CURVE_POINTS)
    metrics: dict[str, Finite] | None = Field(None, max_length=32)
    epochs: int | None = Field(None, ge=0, le=MAX_CURVE_POINTS)
    max_epochs: int | None = Field(None, ge=1, le=MAX_CURVE_POINTS)
    runtime_s: Finite | None = Field(None, ge=0, le=1e9)


class AskResponse(BaseModel):
    study_id: str
    trial: int
    config: dict[str, Any]
    warm_start: bool


class TellResponse(BaseModel):
    study_id: str
    trial: int
    status: str
    state: str
    value: float | None
    trial_id: str = Field(description="the trial's id in the knowledge base")


class StudyTrial(BaseModel):
    number: int
    state: str
    status: str | None
    value: float | None
    config: dict[str, Any]
    warm_start: bool


class StudyResponse(BaseModel):
    study_id: str
    space: str
    task: str
    direction: str
    objective: str
    budget: int
    n_trials: int
    n_complete: int
    n_pruned: int
    n_failed: int
    n_running: int
    remaining: int
    best_value: float | None
    best_config: dict[str, Any] | None
    trials: list[StudyTrial]
