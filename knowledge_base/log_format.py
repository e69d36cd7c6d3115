"""The trial-log format: its constants, documented limits, and :class:`TrialRecord`.

A record of the format is one JSON object per trial (JSON Lines in files); it carries the
dataset's meta-features, never its data. :mod:`knowledge_base.records` validates records,
``knowledge_base/README.md`` and ``knowledge_base/trial_log.schema.json`` document them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from advisor_core.errors import ValidationError
from advisor_core.spaces import MLP_SPACE

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LIMITS",
    "STATUSES",
    "SYNTHETIC_PREFIX",
    "TASKS",
    "TrialRecord",
]

#: Groups of generated datasets start with this prefix; every other group counts as real.
SYNTHETIC_PREFIX = "synthetic:"
FORMAT = "tuning-advisor-trial"
FORMAT_VERSION = 1
STATUSES = ("complete", "pruned", "failed", "diverged", "timeout")
TASKS = ("classification", "regression")

#: Documented limits on contributed records.
LIMITS = {
    "batch_records": 100_000,  # records per contribute() call (the service allows fewer)
    "name_chars": 200,  # dataset name, source, group, hardware, contributor
    "trial_id_chars": 64,
    "message_chars": 2_000,
    "curve_epochs": 1_000,
    "metrics": 32,
    "line_bytes": 1_000_000,  # one JSON line
}

#: The fields of a record, in the order records are written.
RECORD_KEYS = (
    "format",
    "format_version",
    "trial_id",
    "dataset",
    "space",
    "space_version",
    "config",
    "seed",
    "epochs",
    "max_epochs",
    "learning_curve",
    "metrics",
    "objective",
    "score",
    "status",
    "runtime_s",
    "hardware",
    "advisor_version",
    "contributor",
    "created_at",
    "message",
    "space_definition",
)
DATASET_KEYS = (
    "fingerprint",
    "name",
    "source",
    "group",
    "task",
    "n_rows",
    "n_features",
    "n_classes",
    "meta_features_version",
    "meta_features",
)
#: The fields of a learning-curve point, in canonical order.
CURVE_KEYS = ("epoch", "objective", "train_loss", "valid_loss")


@dataclass(frozen=True, kw_only=True)
class TrialRecord:
    """One trial of the log format, as the advisor's own writers build it (immutable).

    :meth:`to_dict` gives the JSON record that :meth:`KnowledgeBase.contribute
    <knowledge_base.KnowledgeBase.contribute>` accepts (which also accepts a ``TrialRecord``
    itself). Nothing is validated here: the knowledge base validates every record it is sent.

    ``dataset`` is the dataset part (fingerprint, sizes, task, meta-features; ``None`` entries
    are left out of the record); ``score`` is ``None`` for failed and diverged trials;
    ``max_epochs`` ``None`` means ``max(epochs, 1)``; ``created_at`` is an ISO 8601 UTC
    timestamp (``None``: the time of writing); ``space_definition`` comes with a declared
    (not built-in) space.
    """

    trial_id: str
    dataset: Mapping[str, Any]
    space: str = "mlp"
    space_version: int = MLP_SPACE.version
    config: Mapping[str, Any]
    seed: int = 0
    epochs: int
    max_epochs: int | None = None
    learning_curve: Sequence[Mapping[str, Any]] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)
    objective: str
    score: float | None
    status: str
    runtime_s: float = 0.0
    hardware: str | None = None
    advisor_version: str | None = None
    contributor: str | None = None
    created_at: str | None = None
    message: str | None = None
    space_definition: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON record: ``None`` fields are left out, except ``score`` (``null``)."""
        rec: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "trial_id": self.trial_id,
            "dataset": {k: v for k, v in self.dataset.items() if v is not None},
            "space": self.space,
            "space_version": self.space_version,
            "config": dict(self.config),
            "seed": self.seed,
            "epochs": self.epochs,
            "max_epochs": self.max_epochs,
            "learning_curve": [dict(p) for p in self.learning_curve],
            "metrics": dict(self.metrics),
            "objective": self.objective,
            "score": self.score,
            "status": self.status,
            "runtime_s": self.runtime_s,
            "hardware": self.hardware,
            "advisor_version": self.advisor_version,
            "contributor": self.contributor,
            "created_at": self.created_at,
            "message": self.message,
            "space_definition": None
            if self.space_definition is None
            else dict(self.space_definition),
        }
        return {k: v for k, v in rec.items() if v is not None or k == "score"}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> TrialRecord:
        """The record of a JSON object of the format (``format`` fields are not kept).

        Only the field names are checked (:class:`ValidationError`); values are checked when
        the record is contributed.
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(record) - set(known) - {"format", "format_version"})
        missing = [
            n
            for n, f in known.items()
            if n not in record and f.default is MISSING and f.default_factory is MISSING
        ]
        if unknown or missing:
            reason = f"unknown field {unknown[0]!r}" if unknown else f"{missing[0]} is missing"
            raise ValidationError(f"not a trial record: {reason}", [(0, reason)])
        return cls(**{k: v for k, v in record.items() if k in known})
