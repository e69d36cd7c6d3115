"""``KnowledgeBase``: the one interface to the store, whichever database is behind it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import Connection, func, inspect, select

from advisor_core import metafeature_schema as metafeatures
from advisor_core.errors import ConfigError, ConflictError, KnowledgeBaseError, SchemaVersionError
from advisor_core.spaces import SearchSpace, builtin_spaces
from knowledge_base import schema
from knowledge_base.records import (
    FORMAT,
    FORMAT_VERSION,
    SYNTHETIC_PREFIX,
    NormalizedRecord,
    default_space_resolver,
    validate_records,
)
from knowledge_base.stores import MAX_ATTEMPTS, Store, open_store, with_retries

__all__ = ["ENV_URL", "SEED_FILE", "ContributionReport", "KnowledgeBase", "default_url"]

ENV_URL = "ADVISOR_KB_URL"
_KNOWN_REVISIONS = ("0001", "0002", "0003")
#: Scopes of API keys: ``read`` < ``write`` < ``admin``.
API_SCOPES = ("read", "write", "admin")
#: The seed trials shipped with the package (built by scripts/build_knowledge_base.py).
SEED_FILE = Path(__file__).parent / "seed" / "trials.parquet"
_IN_CHUNK = 500


def default_url() -> str:
    """``$ADVISOR_KB_URL`` or a SQLite file in the user's data directory."""
    env = os.environ.get(ENV_URL)
    if env:
        return env
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('tuning-advisor')) / 'knowledge_base.sqlite'}"


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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def _revision(conn: Connection) -> str | None:
    """The Alembic revision stamped in the database (``None`` for an empty one). Read with
    plain SQL: importing Alembic costs more than opening the knowledge base."""
    from sqlalchemy import text

    if "alembic_version" not in inspect(conn).get_table_names():
        conn.rollback()
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    conn.rollback()
    return str(rows[0]) if len(rows) == 1 else (None if not rows else ",".join(rows))


def _dumps(v: Any) -> str:
    return orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()


class KnowledgeBase:
    """Datasets (keyed by meta-features and fingerprint) and trial outcomes.

    ``url`` is a SQLAlchemy URL (``sqlite:///path`` or ``postgresql://user@host/db``); ``None``
    means :func:`default_url`. A new database is created at the current schema; an older one
    raises :class:`SchemaVersionError` until :meth:`upgrade` (``advisor kb upgrade``) runs.
    """

    def __init__(
        self, url: str | None = None, *, create: bool = True, seed: bool | None = None
    ) -> None:
        self.url = url or default_url()
        self.store: Store = open_store(self.url)
        self._space_cache: dict[tuple[str, int], SearchSpace] = {}
        # the default store (no URL given) starts from the shipped seed; a named one empty
        self._seed_on_create = (url is None) if seed is None else seed
        try:
            self._check_schema(create)
        except Exception:
            self.store.dispose()
            raise

    # -- seed ---------------------------------------------------------------------------------
    def load_seed(self, path: str | Path | None = None) -> ContributionReport:
        """Contribute the shipped seed trials (``knowledge_base/seed/trials.parquet``).

        Idempotent: trials already present are reported as duplicates.
        """
        from knowledge_base.logfiles import read_records

        p = Path(path) if path is not None else SEED_FILE
        if not p.is_file():
            raise KnowledgeBaseError(f"no seed data at {p}")
        return self.contribute(list(read_records(p)))

    # -- schema -------------------------------------------------------------------------------
    @property
    def display_url(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def schema_revision(self) -> str | None:
        with self.store.read() as conn:
            return _revision(conn)

    def _check_schema(self, create: bool) -> None:
        try:
            rev = self.schema_revision()
            if rev == schema.HEAD_REVISION:
                return
            with self.store.init_lock():
                rev = self.schema_revision()
                if rev is None:
                    tables = set(inspect(self.store.engine).get_table_names())
                    if tables & {"datasets", "trials"}:
                        raise KnowledgeBaseError(
                            f"{self.display_url} has tables but no schema version: "
                            "not a knowledge base of this advisor"
                        )
                    if not create:
                        raise KnowledgeBaseError(f"{self.display_url} has no knowledge base")
                    self._migrate("head")
                    if self._seed_on_create and SEED_FILE.is_file():
                        self.load_seed()
                    return
        except KnowledgeBaseError:
            raise
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise KnowledgeBaseError(
                f"cannot open knowledge base {self.display_url}: {first[:300]}"
            ) from None
        if rev == schema.HEAD_REVISION:
            return
        if rev in _KNOWN_REVISIONS:
            raise SchemaVersionError(
                f"knowledge base {self.display_url} has schema revision {rev}, this advisor "
                f"needs {schema.HEAD_REVISION}: run `advisor kb upgrade`"
            )
        raise SchemaVersionError(
            f"knowledge base {self.display_url} has schema revision {rev!r}, unknown to this "
            "advisor (created by a newer version?); upgrade the advisor"
        )

    def _migrate(self, target: str) -> None:
        from alembic import command

        with self.store.migration_connection() as conn:
            command.upgrade(_alembic_config(conn), target)
            conn.commit()

    @classmethod
    def upgrade(cls, url: str | None = None) -> tuple[str | None, str]:
        """Migrate the database at ``url`` to the current schema; return (from, to)."""
        store = open_store(url or default_url())
        kb = cls.__new__(cls)
        kb.url, kb.store, kb._space_cache = url or default_url(), store, {}
        try:
            with store.init_lock():
                before = kb.schema_revision()
                if before is not None and before not in _KNOWN_REVISIONS:
                    raise SchemaVersionError(
                        f"schema revision {before!r} is newer than this advisor's"
                    )
                kb._migrate("head")
            return before, schema.HEAD_REVISION
        finally:
            store.dispose()

    def close(self) -> None:
        self.store.dispose()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- spaces -------------------------------------------------------------------------------
    def _stored_space(self, conn: Connection, name: str, version: int) -> SearchSpace | None:
        row = conn.execute(
            select(schema.spaces.c.definition).where(
                schema.spaces.c.name == name, schema.spaces.c.version == version
            )
        ).first()
        return None if row is None else SearchSpace.from_dict(orjson.loads(row[0]))

    def _resolver(self, conn: Connection) -> Any:
        def resolve(name: str, version: int, definition: Any) -> SearchSpace:
            key = (name, version)
            if key in self._space_cache and definition is None:
                return self._space_cache[key]
            space = None if name in builtin_spaces() else self._stored_space(conn, name, version)
            if space is None:
                space = default_space_resolver(name, version, definition)
            elif definition is not None:
                given = default_space_resolver(name, version, definition)
                if given.to_dict() != space.to_dict():
                    raise ConfigError(
                        f"space {name!r} version {version} is already stored "
                        "with a different definition; bump its version"
                    )
            self._space_cache[key] = space
            return space

        return resolve

    def declare_space(self, space: SearchSpace) -> None:
        """Store a declared space (idempotent; a different definition is a conflict)."""

        def run() -> None:
            with self.store.write_transaction() as conn:
                self._ensure_spaces(conn, {(space.name, space.version): space})

        with_retries(self.store, run)

    def spaces(self) -> list[SearchSpace]:
        with self.store.read() as conn:
            rows = conn.execute(select(schema.spaces.c.definition)).all()
        stored = [SearchSpace.from_dict(orjson.loads(r[0])) for r in rows]
        names = {(s.name, s.version) for s in stored}
        return [s for s in builtin_spaces().values() if (s.name, s.version) not in names] + stored

    def _ensure_spaces(
        self,
        conn: Connection,
        wanted: Mapping[tuple[str, int], SearchSpace],
    ) -> dict[tuple[str, int], int]:
        t = schema.spaces
        out: dict[tuple[str, int], int] = {}
        for (name, version), space in wanted.items():
            row = conn.execute(
                select(t.c.id, t.c.definition).where(t.c.name == name, t.c.version == version)
            ).first()
            if row is None:
                conn.execute(
                    self.store.insert_ignore(t, ["name", "version"]).values(
                        name=name,
                        version=version,
                        definition=_dumps(space.to_dict()),
                        created_at=_now(),
                    )
                )
                row = conn.execute(
                    select(t.c.id, t.c.definition).where(t.c.name == name, t.c.version == version)
                ).first()
            assert row is not None
            if orjson.loads(row[1]) != space.to_dict():
                raise ConflictError(
                    f"space {name!r} version {version} is stored with a different definition"
                )
            out[(name, version)] = int(row[0])
        return out

    # -- contributing ---------------------------------------------------------------------------
    def validate(self, records: Iterable[Any]) -> list[NormalizedRecord]:
        """Validate records without writing; raises :class:`ValidationError`."""
        with self.store.read() as conn:
            return validate_records(records, self._resolver(conn))

    def contribute(self, records: Iterable[Any]) -> ContributionReport:
        """Write a batch of trial records atomically: all of them, or none.

        Every record is validated first (:class:`ValidationError` lists each bad record with
        its index and reason). Re-sending a trial id with the same values is a no-op reported
        as ``duplicate``; the same id with different values raises :class:`ConflictError`.
        """
        normalized = self.validate(records)
        if not normalized:
            return ContributionReport()
        for _ in range(MAX_ATTEMPTS):
            try:
                return with_retries(self.store, lambda: self._write(normalized))
            except _Raced:
                continue  # rolled back; the next attempt sees the other writer's rows
        raise KnowledgeBaseError("could not write the batch: too many concurrent writers")

    def _ensure_datasets(self, conn: Connection, recs: list[NormalizedRecord]) -> dict[str, int]:
        t, m = schema.datasets, schema.dataset_meta_features
        wanted = {r.dataset["fingerprint"]: r.dataset for r in recs}
        ids: dict[str, int] = {}
        fps = list(wanted)
        for i in range(0, len(fps), _IN_CHUNK):
            chunk = fps[i : i + _IN_CHUNK]
            for fp, did in conn.execute(
                select(t.c.fingerprint, t.c.id).where(t.c.fingerprint.in_(chunk))
            ):
                ids[fp] = int(did)
        missing = [fp for fp in fps if fp not in ids]
        if missing:
            now = _now()
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
            for i in range(0, len(missing), _IN_CHUNK):
                chunk = missing[i : i + _IN_CHUNK]
                for fp, did in conn.execute(
                    select(t.c.fingerprint, t.c.id).where(t.c.fingerprint.in_(chunk))
                ):
                    ids[fp] = int(did)
        conn.execute(
            self.store.insert_ignore(m, ["dataset_id", "version"]),
            [
                {
                    "dataset_id": ids[fp],
                    "version": d["meta_features_version"],
                    "meta_features": _dumps(d["meta_features"]),
                }
                for fp, d in wanted.items()
            ],
        )
        return ids

    def _write(self, recs: list[NormalizedRecord]) -> ContributionReport:
        t = schema.trials
        with self.store.write_transaction() as conn:
            space_ids = self._ensure_spaces(
                conn, {(r.space.name, r.space.version): r.space for r in recs}
            )
            existing: dict[str, str] = {}
            ids = list({r.trial_id for r in recs})
            for i in range(0, len(ids), _IN_CHUNK):
                chunk = ids[i : i + _IN_CHUNK]
                for tid, h in conn.execute(
                    select(t.c.trial_id, t.c.content_hash).where(t.c.trial_id.in_(chunk))
                ):
                    existing[tid] = h
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
            now = _now()
            for r in recs:
                report.trial_ids.append(r.trial_id)
                if r.trial_id in existing or r.trial_id in first_seen:
                    report.statuses.append("duplicate")
                    continue
                first_seen.add(r.trial_id)
                report.statuses.append("added")
                b = r.body
                created = b["created_at"]
                rows.append(
                    {
                        "trial_id": r.trial_id,
                        "dataset_id": dataset_ids[r.dataset["fingerprint"]],
                        "space_id": space_ids[(r.space.name, r.space.version)],
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
                        "created_at": dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
                        if created
                        else now,
                    }
                )
            if rows:
                inserted = len(self.store.insert_new(conn, t, rows, "trial_id"))
                if inserted != len(rows):
                    # another writer stored some of these ids in the meantime: re-classify
                    raise _Raced()
            report.added = report.statuses.count("added")
            report.duplicates = report.statuses.count("duplicate")
            return report

    # -- API keys -------------------------------------------------------------------------------
    def create_api_key(self, scope: str, name: str | None = None) -> str:
        """A new key ``adv_<id>_<secret>`` with ``scope`` (read, write or admin); only its
        hash is stored, so the returned string is the only copy of the secret."""
        import hashlib
        import secrets

        if scope not in API_SCOPES:
            raise ConfigError(f"scope is {scope!r}, but must be one of {', '.join(API_SCOPES)}")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).hexdigest()

        def run() -> None:
            with self.store.write_transaction() as conn:
                conn.execute(
                    schema.api_keys.insert().values(
                        key_id=key_id, name=name, scope=scope, secret_hash=digest, created_at=_now()
                    )
                )

        with_retries(self.store, run)
        return f"adv_{key_id}_{secret}"

    def verify_api_key(self, key: str) -> str | None:
        """The key's scope, or ``None`` for an unknown, revoked or malformed key (the secret
        is compared in constant time)."""
        import hashlib
        import hmac

        parts = key.split("_", 2) if isinstance(key, str) else []
        if len(parts) != 3 or parts[0] != "adv" or len(parts[1]) != 12:
            return None
        k = schema.api_keys
        with self.store.read() as conn:
            row = conn.execute(
                select(k.c.secret_hash, k.c.scope, k.c.revoked_at).where(k.c.key_id == parts[1])
            ).first()
        digest = hashlib.sha256(parts[2].encode()).hexdigest()
        stored = row[0] if row is not None else "0" * 64
        ok = hmac.compare_digest(stored, digest)
        if row is None or not ok or row[2] is not None:
            return None
        return str(row[1])

    def api_keys(self) -> pd.DataFrame:
        k = schema.api_keys
        with self.store.read() as conn:
            res = conn.execute(
                select(k.c.key_id, k.c.name, k.c.scope, k.c.created_at, k.c.revoked_at).order_by(
                    k.c.id
                )
            )
            return pd.DataFrame(res.fetchall(), columns=list(res.keys()))

    def revoke_api_key(self, key_id: str) -> bool:
        k = schema.api_keys

        def run() -> int:
            with self.store.write_transaction() as conn:
                res = conn.execute(
                    k.update()
                    .where(k.c.key_id == key_id, k.c.revoked_at.is_(None))
                    .values(revoked_at=_now())
                )
                return int(res.rowcount or 0)

        return with_retries(self.store, run) > 0

    # -- queries --------------------------------------------------------------------------------
    def trials(
        self,
        space: str = "mlp",
        *,
        statuses: Iterable[str] | None = None,
        with_curves: bool = False,
        expand_config: bool = True,
        meta_features_version: str = metafeatures.VERSION,
    ) -> pd.DataFrame:
        """Trials of ``space`` with their datasets and meta-features, one row per trial.

        Columns: trial fields (``trial_id``, ``config`` as a dict, ``config_hash``, ``seed``,
        ``epochs``, ``max_epochs``, ``objective``, ``score``, ``status``, ``runtime_s``),
        dataset fields (``dataset_id``, ``fingerprint``, ``dataset_name``, ``dataset_source``,
        ``dataset_group``, ``task``, ``n_rows``, ``n_features``, ``n_classes``), one ``hp.NAME``
        column per hyperparameter (``expand_config``) and one ``mf.NAME`` column per
        meta-feature; with ``with_curves`` also ``learning_curve`` and ``metrics``.
        """
        t, d, s, m = schema.trials, schema.datasets, schema.spaces, schema.dataset_meta_features
        cols = [
            t.c.trial_id,
            t.c.config_hash,
            t.c.seed,
            t.c.epochs,
            t.c.max_epochs,
            t.c.objective,
            t.c.score,
            t.c.status,
            t.c.runtime_s,
            t.c.dataset_id,
        ]
        if with_curves:
            cols += [t.c.learning_curve, t.c.metrics]
        space_ids = select(s.c.id).where(s.c.name == space).scalar_subquery()
        q = select(*cols).where(t.c.space_id.in_(space_ids)).order_by(t.c.id)
        if statuses is not None:
            q = q.where(t.c.status.in_(list(statuses)))
        cq = (
            select(t.c.config_hash, func.min(t.c.config))
            .where(t.c.space_id.in_(space_ids))
            .group_by(t.c.config_hash)
        )
        dq = select(
            d.c.id.label("dataset_id"),
            d.c.fingerprint,
            d.c.name.label("dataset_name"),
            d.c.source.label("dataset_source"),
            d.c.dataset_group,
            d.c.task,
            d.c.n_rows,
            d.c.n_features,
            d.c.n_classes,
        )
        with self.store.read() as conn:
            rows = conn.execute(q).all()
            configs = {h: orjson.loads(c) for h, c in conn.execute(cq)}
            dres = conn.execute(dq)
            dframe = pd.DataFrame(dres.fetchall(), columns=list(dres.keys()))
            mrows = conn.execute(
                select(m.c.dataset_id, m.c.meta_features).where(
                    m.c.version == meta_features_version
                )
            ).all()
        frame = pd.DataFrame(rows, columns=[c.name for c in cols])
        frame.insert(1, "config", frame["config_hash"].map(configs))
        frame.insert(len(frame.columns), "space", space)
        frame = frame.merge(dframe, on="dataset_id", how="left")
        if expand_config and configs:
            hp = pd.DataFrame.from_dict(configs, orient="index")
            hp.columns = [f"hp.{c}" for c in hp.columns]
            frame = frame.join(hp, on="config_hash")
        if with_curves:
            frame["learning_curve"] = [orjson.loads(c) for c in frame["learning_curve"]]
            frame["metrics"] = [orjson.loads(c) for c in frame["metrics"]]
        names = metafeatures.feature_names(meta_features_version)
        mf = pd.DataFrame(
            [[(orjson.loads(r[1]).get(n)) for n in names] for r in mrows],
            index=pd.Index([int(r[0]) for r in mrows], name="dataset_id"),
            columns=[f"mf.{n}" for n in names],
            dtype=float,
        )
        return frame.join(mf, on="dataset_id")

    def snapshot(self, space: str = "mlp") -> dict[str, Any]:
        """What identifies the knowledge base's trials of ``space``: counts and a digest."""
        import hashlib

        t, s = schema.trials, schema.spaces
        space_ids = select(s.c.id).where(s.c.name == space).scalar_subquery()
        with self.store.read() as conn:
            rows = conn.execute(
                select(t.c.trial_id, t.c.dataset_id).where(t.c.space_id.in_(space_ids))
            ).all()
        ids = sorted(r[0] for r in rows)
        digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
        return {
            "space": space,
            "trials": len(ids),
            "datasets": len({r[1] for r in rows}),
            "digest": digest,
        }

    def datasets(self) -> pd.DataFrame:
        """One row per dataset: name, source, group, task, rows, features, classes, trials."""
        t, d = schema.trials, schema.datasets
        n_trials = (
            select(t.c.dataset_id, func.count().label("trials")).group_by(t.c.dataset_id).subquery()
        )
        q = (
            select(
                d.c.id,
                d.c.fingerprint,
                d.c.name,
                d.c.source,
                d.c.dataset_group.label("group"),
                d.c.task,
                d.c.n_rows,
                d.c.n_features,
                d.c.n_classes,
                func.coalesce(n_trials.c.trials, 0).label("trials"),
            )
            .select_from(d.outerjoin(n_trials, n_trials.c.dataset_id == d.c.id))
            .order_by(d.c.name, d.c.id)
        )
        with self.store.read() as conn:
            res = conn.execute(q)
            return pd.DataFrame(res.fetchall(), columns=list(res.keys()))

    def meta_features(
        self, fingerprints: Iterable[str] | None = None, version: str = metafeatures.VERSION
    ) -> pd.DataFrame:
        """Meta-feature vectors (one row per dataset, index = fingerprint)."""
        d, m = schema.datasets, schema.dataset_meta_features
        q = (
            select(d.c.fingerprint, m.c.meta_features)
            .select_from(d.join(m, m.c.dataset_id == d.c.id))
            .where(m.c.version == version)
        )
        if fingerprints is not None:
            q = q.where(d.c.fingerprint.in_(list(fingerprints)))
        with self.store.read() as conn:
            rows = conn.execute(q).all()
        names = metafeatures.feature_names(version)
        return pd.DataFrame(
            [[orjson.loads(r[1]).get(n) for n in names] for r in rows],
            index=[r[0] for r in rows],
            columns=names,
            dtype=float,
        )

    def stats(self) -> dict[str, Any]:
        """Counts of datasets, groups, trials; by task, by space, by status."""
        t, d, s = schema.trials, schema.datasets, schema.spaces
        with self.store.read() as conn:
            n_datasets = conn.execute(select(func.count()).select_from(d)).scalar_one()
            n_groups = conn.execute(
                select(func.count(func.distinct(func.coalesce(d.c.dataset_group, d.c.fingerprint))))
            ).scalar_one()
            n_trials = conn.execute(select(func.count()).select_from(t)).scalar_one()
            by_task = {
                task: {"datasets": nd, "trials": 0}
                for task, nd in conn.execute(select(d.c.task, func.count()).group_by(d.c.task))
            }
            for task, nt in conn.execute(
                select(d.c.task, func.count())
                .select_from(t.join(d, t.c.dataset_id == d.c.id))
                .group_by(d.c.task)
            ):
                by_task.setdefault(task, {"datasets": 0, "trials": 0})["trials"] = nt
            by_space: dict[str, Any] = {}
            for name, version, nt, nd, nc in conn.execute(
                select(
                    s.c.name,
                    s.c.version,
                    func.count(t.c.id),
                    func.count(func.distinct(t.c.dataset_id)),
                    func.count(func.distinct(t.c.config_hash)),
                )
                .select_from(s.outerjoin(t, t.c.space_id == s.c.id))
                .group_by(s.c.name, s.c.version)
            ):
                per_config = (
                    conn.execute(
                        select(func.count(func.distinct(t.c.dataset_id)))
                        .select_from(t.join(s, t.c.space_id == s.c.id))
                        .where(s.c.name == name, s.c.version == version)
                        .group_by(t.c.config_hash)
                    )
                    .scalars()
                    .all()
                )
                by_space[f"{name}@{version}"] = {
                    "trials": nt,
                    "datasets": nd,
                    "configs": nc,
                    "configs_on_every_dataset": sum(1 for c in per_config if c == nd and nd),
                }
            by_status: dict[str, int] = dict(
                conn.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
            )
            groups = conn.execute(select(d.c.dataset_group, d.c.fingerprint, d.c.task)).all()
        real = [
            (g or fp, task) for g, fp, task in groups if not (g or "").startswith(SYNTHETIC_PREFIX)
        ]
        synthetic = [(g, task) for g, _, task in groups if (g or "").startswith(SYNTHETIC_PREFIX)]
        return {
            "url": self.display_url,
            "schema_revision": schema.HEAD_REVISION,
            "datasets": n_datasets,
            "groups": n_groups,
            "trials": n_trials,
            "by_task": by_task,
            "by_space": by_space,
            "by_status": by_status,
            "real": {
                "datasets": len(real),
                "groups": len({g for g, _ in real}),
                "classification_datasets": sum(1 for _, t in real if t == "classification"),
                "regression_datasets": sum(1 for _, t in real if t == "regression"),
            },
            "synthetic": {"datasets": len(synthetic), "groups": len({g for g, _ in synthetic})},
        }

    def export_records(self, space: str | None = None) -> Iterator[dict[str, Any]]:
        """Every trial as a record of the trial-log format (what :meth:`contribute` accepts)."""
        t, d, s, m = schema.trials, schema.datasets, schema.spaces, schema.dataset_meta_features
        with self.store.read() as conn:
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


class _Raced(KnowledgeBaseError):
    """Another writer inserted some of the same trial ids concurrently; retry the batch."""
