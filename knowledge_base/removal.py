"""Taking contributed trials back: remove trials by id or by dataset, all of them or none.

Every value is resolved first: a trial id, or a dataset's fingerprint or name (a name that
several datasets share must be given as a fingerprint). An unknown or ambiguous value, or a
trial of the shipped seed (contributor :data:`SEED_CONTRIBUTOR`), raises and removes nothing.
Naming a dataset removes its contributed trials; its seed trials stay. Then, in one
transaction: the trials go, the datasets left without trials go with their meta-features, and
one row per space touched is added to the ``removals`` table, which
:func:`knowledge_base.queries.snapshot` counts (so a ranker trained before a removal is stale
even when later contributions restore the trial and dataset counts).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select

from advisor_core.errors import ConflictError, KnowledgeBaseError, ValidationError
from knowledge_base import schema
from knowledge_base._common import IN_CHUNK, utc_now
from knowledge_base.stores import Store, with_retries

__all__ = ["MAX_REMOVE_VALUES", "SEED_CONTRIBUTOR", "RemovalReport", "RemovedDataset", "remove"]

#: The contributor of the shipped seed's trials (``seedbuild``): they cannot be removed.
SEED_CONTRIBUTOR = "seed-build"
#: Trial ids plus datasets one removal may name.
MAX_REMOVE_VALUES = 10_000
_SHOWN = 3


@dataclass(frozen=True)
class RemovedDataset:
    """One dataset a removal touched: its trials removed, those left, whether it is gone."""

    fingerprint: str
    name: str | None
    removed: int
    left: int

    @property
    def deleted(self) -> bool:
        """No trials left: the dataset and its meta-features were removed too."""
        return self.left == 0


@dataclass
class RemovalReport:
    """What a removal did (or, with ``dry_run``, would do)."""

    removed: int = 0
    trial_ids: list[str] = field(default_factory=list)
    datasets: list[RemovedDataset] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "removed": self.removed,
            "dry_run": self.dry_run,
            "datasets": [{**asdict(d), "deleted": d.deleted} for d in self.datasets],
            "trial_ids": list(self.trial_ids),
        }


@dataclass
class _Plan:
    trials: dict[int, tuple[str, int, int]]  # trial pk -> (trial id, dataset pk, space pk)
    datasets: dict[int, tuple[str, str | None]]  # dataset pk -> (fingerprint, name)
    left: dict[int, int]  # dataset pk -> trials left after the removal

    def report(self, dry_run: bool) -> RemovalReport:
        per_dataset = Counter(ds for _, ds, _ in self.trials.values())
        return RemovalReport(
            removed=len(self.trials),
            trial_ids=sorted(tid for tid, _, _ in self.trials.values()),
            datasets=[
                RemovedDataset(fp, name, per_dataset.get(pk, 0), self.left[pk])
                for pk, (fp, name) in sorted(self.datasets.items(), key=lambda kv: kv[1])
            ],
            dry_run=dry_run,
        )


def _values(values: Iterable[str], what: str) -> list[str]:
    out: list[str] = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            raise ValidationError(f"{what} is {v!r}, but must be a non-empty string")
        if v not in out:
            out.append(v)
    return out


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(values), IN_CHUNK):
        yield values[i : i + IN_CHUNK]


def _named(values: list[str], what: str, verb: tuple[str, str] = ("is", "are")) -> str:
    """``dataset 'a' is`` or ``datasets 'a', 'b' and 3 more are``."""
    shown = ", ".join(repr(v) for v in values[:_SHOWN])
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    if len(values) == 1:
        return f"{what} {shown} {verb[0]}"
    return f"{what}s {shown}{more} {verb[1]}"


def _resolve_datasets(
    conn: Connection, values: list[str], lock: bool
) -> dict[int, tuple[str, str | None]]:
    d = schema.datasets
    rows: list[Any] = []
    for chunk in _chunks(values):
        q = select(d.c.id, d.c.fingerprint, d.c.name).where(
            or_(d.c.fingerprint.in_(chunk), d.c.name.in_(chunk))
        )
        rows += conn.execute(q.with_for_update() if lock else q).all()
    by_fp = {r.fingerprint: r for r in rows}
    by_name: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_name[r.name].append(r)
    found: dict[int, tuple[str, str | None]] = {}
    unknown, ambiguous = [], []
    for v in values:
        hits = [by_fp[v]] if v in by_fp else by_name.get(v, [])
        if not hits:
            unknown.append(v)
        elif len(hits) > 1:
            ambiguous.append((v, sorted(h.fingerprint for h in hits)))
        else:
            found[int(hits[0].id)] = (hits[0].fingerprint, hits[0].name)
    if unknown:
        raise ValidationError(
            f"{_named(unknown, 'dataset')} not in the knowledge base: give a dataset's name "
            "or fingerprint (`advisor kb datasets` lists them); nothing was removed"
        )
    if ambiguous:
        v, fps = ambiguous[0]
        raise ValidationError(
            f"dataset name {v!r} matches {len(fps)} datasets (fingerprints "
            f"{', '.join(fps[:_SHOWN])}): give a fingerprint instead; nothing was removed"
        )
    return found


def _trial_rows(conn: Connection, column: Any, keys: list[Any], lock: bool) -> list[Any]:
    t = schema.trials
    rows: list[Any] = []
    for chunk in _chunks(keys):
        q = select(t.c.id, t.c.trial_id, t.c.dataset_id, t.c.space_id, t.c.contributor).where(
            column.in_(chunk)
        )
        rows += conn.execute(q.with_for_update() if lock else q).all()
    return rows


def _plan(conn: Connection, trial_ids: list[str], datasets: list[str], lock: bool) -> _Plan:
    t, d = schema.trials, schema.datasets
    named = _resolve_datasets(conn, datasets, lock)
    by_id = _trial_rows(conn, t.c.trial_id, trial_ids, lock)
    missing = sorted(set(trial_ids) - {r.trial_id for r in by_id})
    if missing:
        raise ValidationError(
            f"{_named(missing, 'trial id')} not in the knowledge base: give the id of a "
            "stored trial (`advisor kb export` lists them); nothing was removed"
        )
    seed = sorted(r.trial_id for r in by_id if r.contributor == SEED_CONTRIBUTOR)
    if seed:
        raise ConflictError(
            f"{_named(seed, 'trial', ('belongs', 'belong'))} to the shipped seed (contributor "
            f"{SEED_CONTRIBUTOR!r}), which cannot be removed; nothing was removed"
        )
    rows = list(by_id)
    of_named = _trial_rows(conn, t.c.dataset_id, list(named), lock)
    contributed = {r.dataset_id for r in of_named if r.contributor != SEED_CONTRIBUTOR}
    seed_only = sorted(
        named[pk][1] or named[pk][0] for pk in {r.dataset_id for r in of_named} - contributed
    )
    if seed_only:
        raise ConflictError(
            f"{_named(seed_only, 'dataset', ('holds', 'hold'))} only trials of the shipped seed "
            f"(contributor {SEED_CONTRIBUTOR!r}), which cannot be removed; nothing was removed"
        )
    rows += [r for r in of_named if r.contributor != SEED_CONTRIBUTOR]
    trials = {int(r.id): (r.trial_id, int(r.dataset_id), int(r.space_id)) for r in rows}
    touched = set(named) | {ds for _, ds, _ in trials.values()}
    info = dict(named)
    extra = sorted(touched - set(info))
    for chunk in _chunks(extra):
        q = select(d.c.id, d.c.fingerprint, d.c.name).where(d.c.id.in_(chunk))
        for r in conn.execute(q.with_for_update() if lock else q):
            info[int(r.id)] = (r.fingerprint, r.name)
    total: dict[int, int] = {}
    for chunk in _chunks(sorted(touched)):
        counts = select(t.c.dataset_id, func.count()).where(t.c.dataset_id.in_(chunk))
        total.update({int(ds): int(n) for ds, n in conn.execute(counts.group_by(t.c.dataset_id))})
    removed = Counter(ds for _, ds, _ in trials.values())
    left = {pk: total.get(pk, 0) - removed.get(pk, 0) for pk in touched}
    return _Plan(trials, {pk: info[pk] for pk in touched}, left)


def _apply(conn: Connection, plan: _Plan) -> None:
    t, d, m = schema.trials, schema.datasets, schema.dataset_meta_features
    deleted = 0
    for chunk in _chunks(sorted(plan.trials)):
        deleted += conn.execute(delete(t).where(t.c.id.in_(chunk))).rowcount
    if deleted != len(plan.trials):  # rolled back: another removal took some of them
        raise KnowledgeBaseError(
            "the knowledge base changed during the removal; nothing was removed, try again"
        )
    gone = sorted(pk for pk, n in plan.left.items() if n == 0)
    for chunk in _chunks(gone):
        conn.execute(delete(m).where(m.c.dataset_id.in_(chunk)))
        conn.execute(delete(d).where(d.c.id.in_(chunk)))
    per_space: dict[int, tuple[int, set[int]]] = {}
    for _, ds, sp in plan.trials.values():
        n, dss = per_space.get(sp, (0, set()))
        per_space[sp] = (n + 1, dss | {ds})
    if per_space:
        now = utc_now()
        conn.execute(
            schema.removals.insert(),
            [
                {"space_id": sp, "trials": n, "datasets": len(dss), "removed_at": now}
                for sp, (n, dss) in sorted(per_space.items())
            ],
        )


def remove(
    store: Store,
    trial_ids: Iterable[str] = (),
    datasets: Iterable[str] = (),
    *,
    dry_run: bool = False,
) -> RemovalReport:
    """Remove the named trials and the contributed trials of the named datasets, atomically.

    See the module docstring. ``dry_run`` resolves and reports without writing. Raises
    :class:`ValidationError` (nothing named, an unknown or ambiguous value),
    :class:`ConflictError` (a seed trial, a dataset with seed trials only).
    """
    ids = _values(trial_ids, "trial id")
    names = _values(datasets, "dataset")
    if not ids and not names:
        raise ValidationError("name at least one trial id or dataset to remove")
    if len(ids) + len(names) > MAX_REMOVE_VALUES:
        raise ValidationError(
            f"{len(ids) + len(names)} trial ids and datasets named, but one removal takes at "
            f"most {MAX_REMOVE_VALUES}"
        )
    if dry_run:
        with store.read() as conn:
            report = _plan(conn, ids, names, lock=False).report(dry_run=True)
            conn.rollback()
            return report

    def attempt() -> RemovalReport:
        with store.write_transaction() as conn:
            plan = _plan(conn, ids, names, lock=True)
            _apply(conn, plan)
            return plan.report(dry_run=False)

    return with_retries(store, attempt)
