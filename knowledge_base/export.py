"""Exporting the knowledge base as records of the trial-log format.

What :func:`export_records` yields, :meth:`KnowledgeBase.contribute
<knowledge_base.KnowledgeBase.contribute>` accepts: exporting and contributing again to
another knowledge base round-trips every field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import select

from advisor_core import metafeature_schema as metafeatures
from advisor_core.spaces import builtin_spaces
from knowledge_base import schema
from knowledge_base.log_format import FORMAT, FORMAT_VERSION
from knowledge_base.stores import Store

__all__ = ["export_records"]


def export_records(store: Store, space: str | None = None) -> Iterator[dict[str, Any]]:
    """Every trial (of ``space``, or all) as a record of the trial-log format."""
    t, d, s, m = schema.trials, schema.datasets, schema.spaces, schema.dataset_meta_features
    with store.read() as conn:
        mf: dict[int, tuple[str, str]] = {}
        for did, version, values in conn.execute(
            select(m.c.dataset_id, m.c.version, m.c.meta_features)
        ):
            if did not in mf or version == metafeatures.VERSION:
                mf[did] = (version, values)
        q = (
            select(
                t,
                s.c.name.label("space_name"),
                s.c.version.label("space_version"),
                s.c.definition,
                d.c.fingerprint,
                d.c.name.label("dataset_name"),
                d.c.source,
                d.c.dataset_group,
                d.c.task,
                d.c.n_rows,
                d.c.n_features,
                d.c.n_classes,
            )
            .select_from(t.join(s, t.c.space_id == s.c.id).join(d, t.c.dataset_id == d.c.id))
            .order_by(t.c.id)
        )
        if space is not None:
            q = q.where(s.c.name == space)
        builtin = builtin_spaces()
        for row in conn.execute(q).mappings():
            version, values = mf.get(row["dataset_id"], (metafeatures.VERSION, "{}"))
            created = row["created_at"]
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.UTC)
            rec: dict[str, Any] = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "trial_id": row["trial_id"],
                "dataset": {
                    "fingerprint": row["fingerprint"],
                    "name": row["dataset_name"],
                    "source": row["source"],
                    "group": row["dataset_group"],
                    "task": row["task"],
                    "n_rows": row["n_rows"],
                    "n_features": row["n_features"],
                    "n_classes": row["n_classes"],
                    "meta_features_version": version,
                    "meta_features": orjson.loads(values),
                },
                "space": row["space_name"],
                "space_version": row["space_version"],
                "config": orjson.loads(row["config"]),
                "seed": row["seed"],
                "epochs": row["epochs"],
                "max_epochs": row["max_epochs"],
                "learning_curve": orjson.loads(row["learning_curve"]),
                "metrics": orjson.loads(row["metrics"]),
                "objective": row["objective"],
                "score": row["score"],
                "status": row["status"],
                "runtime_s": row["runtime_s"],
                "hardware": row["hardware"],
                "advisor_version": row["advisor_version"],
                "contributor": row["contributor"],
                "message": row["message"],
                "created_at": created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
            if row["space_name"] not in builtin:
                rec["space_definition"] = orjson.loads(row["definition"])
            yield {k: v for k, v in rec.items() if v is not None or k == "score"}
