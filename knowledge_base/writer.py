"""Contributing trials: validate a batch, then write it atomically (all of it, or nothing).

Datasets and spaces a batch needs are created in the same transaction. A trial id sent again
with the same values is a ``duplicate``; with different values a :class:`ConflictError`. When
another writer stores some of the same ids concurrently, or a removal deletes one of the
batch's datasets, the batch is rolled back and classified again (bounded), so every trial ends
up stored exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from advisor_core.errors import ConflictError, KnowledgeBaseError
from knowledge_base import schema
from knowledge_base._common import IN_CHUNK, dumps_sorted, utc_now
from knowledge_base.declared_spaces import SpaceRegistry
from knowledge_base.records import NormalizedRecord, validate_records
from knowledge_base.stores import MAX_ATTEMPTS, Store, with_retries

__all__ = ["ContributionReport", "TrialWriter"]


@dataclass
class ContributionReport:
    """What a contribution did: one status per record (``added`` or ``duplicate``)."""

    added: int = 0
    duplicates: int = 0
    statuses: list[str] = field(default_factory=list)
    trial_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "errors": 0,
            "records": [
                {"index": i, "trial_id": t, "status": s}
                for i, (t, s) in enumerate(zip(self.trial_ids, self.statuses, strict=True))
            ],
        }


class _Raced(KnowledgeBaseError):
    """Another writer inserted some of the same trial ids concurrently; retry the batch."""


def _foreign_key_violation(exc: IntegrityError) -> bool:
    """A row of the batch refers to a dataset a concurrent removal deleted (PostgreSQL)."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "23503" or "foreign key" in str(orig).lower()


class TrialWriter:
    """Validates and writes batches of trial records to one store."""

    def __init__(self, store: Store, spaces: SpaceRegistry) -> None:
        self.store = store
        self.spaces = spaces

    def validate(self, records: Iterable[Any]) -> list[NormalizedRecord]:
        """Validate records without writing; raises :class:`ValidationError`."""
        with self.store.read() as conn:
            return validate_records(records, self.spaces.resolver(conn))

    def contribute(self, records: Iterable[Any]) -> ContributionReport:
        """Validate, then write the batch atomically (see the module docstring)."""
        normalized = self.validate(records)
        if not normalized:
            return ContributionReport()
        for _ in range(MAX_ATTEMPTS):
            try:
                return with_retries(self.store, lambda: self._write(normalized))
            except _Raced:
                continue  # rolled back; the next attempt sees the other writer's rows
            except IntegrityError as exc:
                if not _foreign_key_violation(exc):
                    raise
                continue  # a removal took one of the batch's datasets meanwhile: write it anew
        raise KnowledgeBaseError("could not write the batch: too many concurrent writers")

    def _dataset_ids(self, conn: Connection, fingerprints: list[str]) -> dict[str, int]:
        t = schema.datasets
        ids: dict[str, int] = {}
        for i in range(0, len(fingerprints), IN_CHUNK):
            chunk = fingerprints[i : i + IN_CHUNK]
            for fp, did in conn.execute(
                select(t.c.fingerprint, t.c.id).where(t.c.fingerprint.in_(chunk))
            ):
                ids[fp] = int(did)
        return ids

    def _ensure_datasets(self, conn: Connection, recs: list[NormalizedRecord]) -> dict[str, int]:
        t, m = schema.datasets, schema.dataset_meta_features
        wanted = {r.dataset["fingerprint"]: r.dataset for r in recs}
        fps = list(wanted)
        ids = self._dataset_ids(conn, fps)
        missing = [fp for fp in fps if fp not in ids]
        if missing:
            now = utc_now()
            conn.execute(
                self.store.insert_ignore(t, ["fingerprint"]),
                [
                    {
                        "fingerprint": fp,
                        "name": wanted[fp]["name"],
                        "source": wanted[fp]["source"],
                        "dataset_group": wanted[fp]["group"],
                        "task": wanted[fp]["task"],
                        "n_rows": wanted[fp]["n_rows"],
                        "n_features": wanted[fp]["n_features"],
                        "n_classes": wanted[fp]["n_classes"],
                        "created_at": now,
                    }
                    for fp in missing
                ],
            )
            ids.update(self._dataset_ids(conn, missing))
        conn.execute(
            self.store.insert_ignore(m, ["dataset_id", "version"]),
            [
                {
                    "dataset_id": ids[fp],
                    "version": d["meta_features_version"],
                    "meta_features": dumps_sorted(d["meta_features"]),
                }
                for fp, d in wanted.items()
            ],
        )
        return ids

    def _stored_hashes(self, conn: Connection, recs: list[NormalizedRecord]) -> dict[str, str]:
        t = schema.trials
        existing: dict[str, str] = {}
        ids = list({r.trial_id for r in recs})
        for i in range(0, len(ids), IN_CHUNK):
            chunk = ids[i : i + IN_CHUNK]
            for tid, h in conn.execute(
                select(t.c.trial_id, t.c.content_hash).where(t.c.trial_id.in_(chunk))
            ):
                existing[tid] = h
        return existing

    def _write(self, recs: list[NormalizedRecord]) -> ContributionReport:
        with self.store.write_transaction() as conn:
            space_ids = self.spaces.ensure(
                conn, {(r.space.name, r.space.version): r.space for r in recs}
            )
            existing = self._stored_hashes(conn, recs)
            conflicts = [
                (i, r.trial_id)
                for i, r in enumerate(recs)
                if r.trial_id in existing and existing[r.trial_id] != r.content_hash
            ]
            if conflicts:
                shown = ", ".join(repr(tid) for _, tid in conflicts[:5])
                raise ConflictError(
                    f"{len(conflicts)} trial id(s) already stored with different values "
                    f"({shown}); nothing was written",
                    [
                        (i, f"trial_id {tid!r} is stored with different values")
                        for i, tid in conflicts
                    ],
                )
            dataset_ids = self._ensure_datasets(conn, recs)
            report = ContributionReport()
            rows: list[dict[str, Any]] = []
            first_seen: set[str] = set()
            now = utc_now()
            for r in recs:
                report.trial_ids.append(r.trial_id)
                if r.trial_id in existing or r.trial_id in first_seen:
                    report.statuses.append("duplicate")
                    continue
                first_seen.add(r.trial_id)
                report.statuses.append("added")
                rows.append(
                    _trial_row(
                        r,
                        dataset_ids[r.dataset["fingerprint"]],
                        space_ids[(r.space.name, r.space.version)],
                        now,
                    )
                )
            if rows:
                inserted = len(self.store.insert_new(conn, schema.trials, rows, "trial_id"))
                if inserted != len(rows):
                    # another writer stored some of these ids in the meantime: re-classify
                    raise _Raced()
            report.added = report.statuses.count("added")
            report.duplicates = report.statuses.count("duplicate")
            return report


def _trial_row(
    r: NormalizedRecord, dataset_id: int, space_id: int, now: dt.datetime
) -> dict[str, Any]:
    b = r.body
    created = b["created_at"]
    return {
        "trial_id": r.trial_id,
        "dataset_id": dataset_id,
        "space_id": space_id,
        "config": r.config_json,
        "config_hash": r.config_hash,
        "seed": b["seed"],
        "epochs": b["epochs"],
        "max_epochs": b["max_epochs"],
        "learning_curve": r.curve_json,
        "metrics": r.metrics_json,
        "objective": b["objective"],
        "score": b["score"],
        "status": b["status"],
        "runtime_s": b["runtime_s"],
        "hardware": b["hardware"],
        "advisor_version": b["advisor_version"],
        "contributor": b["contributor"],
        "message": b["message"],
        "content_hash": r.content_hash,
        "created_at": dt.datetime.fromisoformat(created.replace("Z", "+00:00")) if created else now,
    }
