"""Trial records of the knowledge-base log format, built from the advisor's own objects.

The glue between the trial runner and the knowledge base: a :class:`TrialResult` plus the
dataset's description become one :class:`~knowledge_base.TrialRecord` (meta-features, never
data); ``TrialRecord.to_dict()`` gives its JSON-ready form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from advisor._version import __version__
from advisor.data import Dataset
from advisor.metafeatures import MetaFeatures
from advisor.trials import TrialResult
from knowledge_base import TrialRecord

__all__ = ["dataset_info", "deterministic_trial_id", "trial_from_result"]


def dataset_info(
    dataset: Dataset,
    mf: MetaFeatures,
    *,
    name: str | None = None,
    source: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """The ``dataset`` part of a record: fingerprint, sizes, task and meta-features."""
    return {
        "fingerprint": dataset.fingerprint(),
        "name": name,
        "source": source,
        "group": group,
        "task": dataset.task,
        "n_rows": dataset.n_rows,
        "n_features": dataset.n_features,
        "n_classes": dataset.n_classes,
        "meta_features_version": mf.version,
        "meta_features": dict(mf.values),
    }


def deterministic_trial_id(*parts: object) -> str:
    """A trial id derived from what identifies a trial, so that re-running is idempotent."""
    text = "\x1f".join(map(str, parts))
    return "t-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def trial_from_result(
    result: TrialResult,
    dataset: dict[str, Any],
    *,
    space: str = "mlp",
    space_version: int | None = None,
    trial_id: str | None = None,
    contributor: str | None = None,
    hardware: str | None = None,
    created_at: dt.datetime | None = None,
) -> TrialRecord:
    """The trial record of ``result`` on ``dataset`` (see :func:`dataset_info`)."""
    return TrialRecord(
        trial_id=trial_id or f"t-{uuid.uuid4().hex}",
        dataset=dataset,
        space=space,
        space_version=space_version or result.space_version,
        config=result.config,
        seed=result.seed,
        epochs=result.epochs,
        max_epochs=result.max_epochs,
        learning_curve=result.curve(),
        metrics=result.metrics,
        objective=result.objective,
        score=result.score,
        status=result.status,
        runtime_s=round(result.runtime_s, 4),
        hardware=hardware or result.device,
        advisor_version=__version__,
        contributor=contributor,
        created_at=(created_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        message=result.message,
    )
