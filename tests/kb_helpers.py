"""Helpers for knowledge-base tests: valid records and per-test databases on every backend."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from advisor.metafeatures import VERSION, feature_names
from advisor_core.spaces import named_config

MF = {n: (0.5 if i % 7 else None) for i, n in enumerate(feature_names())}


def dataset(fp: str = "0123456789abcdef", **over: Any) -> dict[str, Any]:
    d = {
        "fingerprint": fp,
        "name": "toy",
        "source": "tests",
        "group": "toy",
        "task": "classification",
        "n_rows": 120,
        "n_features": 4,
        "n_classes": 2,
        "meta_features_version": VERSION,
        "meta_features": dict(MF),
    }
    d.update(over)
    return d


def record(i: int | str = 0, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "format": "tuning-advisor-trial",
        "format_version": 1,
        "trial_id": f"trial-{i}",
        "dataset": dataset(),
        "space": "mlp",
        "space_version": 2,
        "config": named_config("default"),
        "seed": 0,
        "epochs": 3,
        "max_epochs": 3,
        "learning_curve": [
            {"epoch": e, "objective": 0.5 + e / 10, "train_loss": 1.0 / e, "valid_loss": 1.1 / e}
            for e in (1, 2, 3)
        ],
        "metrics": {"accuracy": 0.8, "balanced_accuracy": 0.8},
        "objective": "balanced_accuracy",
        "score": 0.8,
        "status": "complete",
        "runtime_s": 1.25,
        "hardware": "cpu",
        "advisor_version": "0.1.0",
        "contributor": "tests",
        "created_at": "2026-11-28T12:00:00.000000Z",
    }
    for k, v in over.items():
        rec[k] = v
    return rec


def mutate(rec: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``rec`` with ``a.b.c`` set to ``value`` (``...`` deletes it)."""
    out = copy.deepcopy(rec)
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    if value is ...:
        del node[keys[-1]]
    elif isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return out


def unique_schema() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def contribute_worker(url: str, worker: int, n: int, resend_share: float, batch: int) -> tuple:
    """One concurrent contributor: ``n`` new trials in batches, then re-sends ``resend_share``."""
    from knowledge_base import KnowledgeBase

    kb = KnowledgeBase(url)
    recs = [record(f"w{worker}-{i}", seed=i) for i in range(n)]
    added = duplicates = 0
    for start in range(0, n, batch):
        rep = kb.contribute(recs[start : start + batch])
        added += rep.added
        duplicates += rep.duplicates
    resend = recs[: int(n * resend_share)]
    if resend:
        rep = kb.contribute(resend)
        added += rep.added
        duplicates += rep.duplicates
    kb.close()
    return added, duplicates
