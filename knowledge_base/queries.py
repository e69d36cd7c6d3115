"""Reading the knowledge base: trials as a DataFrame, datasets, meta-features, counts.

Every function takes the :class:`Store` to read; :class:`knowledge_base.KnowledgeBase`
exposes them as methods.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import func, select

from advisor_core import metafeature_schema as metafeatures
from knowledge_base import schema
from knowledge_base.log_format import SYNTHETIC_PREFIX
from knowledge_base.stores import Store

__all__ = ["datasets", "meta_features", "snapshot", "space_version", "stats", "trials"]


def _space_ids(space: str, version: int | None) -> Any:
    """The id of ``space`` at ``version`` (``None``: its newest version in the store)."""
    s = schema.spaces
    if version is None:
        newest = select(func.max(s.c.version)).where(s.c.name == space).scalar_subquery()
        return select(s.c.id).where(s.c.name == space, s.c.version == newest).scalar_subquery()
    return select(s.c.id).where(s.c.name == space, s.c.version == version).scalar_subquery()


def space_version(store: Store, space: str, version: int | None = None) -> int | None:
    """``version``, or the newest version of ``space`` that has trials (``None``: none)."""
    if version is not None:
        return version
    s, t = schema.spaces, schema.trials
    with store.read() as conn:
        v = conn.execute(
            select(func.max(s.c.version))
            .select_from(s.join(t, t.c.space_id == s.c.id))
            .where(s.c.name == space)
        ).scalar()
    return None if v is None else int(v)


def trials(
    store: Store,
    space: str = "mlp",
    *,
    version: int | None = None,
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
    meta-feature; with ``with_curves`` also ``learning_curve`` and ``metrics``. ``version``:
    the space's version (default: the newest one with trials).
    """
    t, d, m = schema.trials, schema.datasets, schema.dataset_meta_features
    version = space_version(store, space, version)
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
    space_ids = _space_ids(space, version)
    q = select(*cols).where(t.c.space_id == space_ids).order_by(t.c.id)
    if statuses is not None:
        q = q.where(t.c.status.in_(list(statuses)))
    cq = (
        select(t.c.config_hash, func.min(t.c.config))
        .where(t.c.space_id == space_ids)
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
    with store.read() as conn:
        rows = conn.execute(q).all()
        configs = {h: orjson.loads(c) for h, c in conn.execute(cq)}
        dres = conn.execute(dq)
        dframe = pd.DataFrame(dres.fetchall(), columns=list(dres.keys()))
        mrows = conn.execute(
            select(m.c.dataset_id, m.c.meta_features).where(m.c.version == meta_features_version)
        ).all()
    frame = pd.DataFrame(rows, columns=[c.name for c in cols])
    frame.insert(1, "config", frame["config_hash"].map(configs))
    frame.insert(len(frame.columns), "space", space)
    frame.insert(len(frame.columns), "space_version", version)
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


def snapshot(store: Store, space: str = "mlp", version: int | None = None) -> dict[str, Any]:
    """What identifies the knowledge base's trials of ``space`` (at ``version``, default the
    newest with trials): counts, a digest, and ``removals`` (how many times trials of the
    space were taken back: it only grows, so a removal is seen even when later contributions
    restore the counts)."""
    t, r = schema.trials, schema.removals
    version = space_version(store, space, version)
    with store.read() as conn:
        rows = conn.execute(
            select(t.c.trial_id, t.c.dataset_id).where(t.c.space_id == _space_ids(space, version))
        ).all()
        removals = conn.execute(
            select(func.count()).select_from(r).where(r.c.space_id == _space_ids(space, version))
        ).scalar_one()
    ids = sorted(r[0] for r in rows)
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
    return {
        "space": space,
        "version": version,
        "trials": len(ids),
        "datasets": len({r[1] for r in rows}),
        "digest": digest,
        "removals": int(removals),
    }


def datasets(store: Store) -> pd.DataFrame:
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
    with store.read() as conn:
        res = conn.execute(q)
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


def meta_features(
    store: Store, fingerprints: Iterable[str] | None = None, version: str = metafeatures.VERSION
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
    with store.read() as conn:
        rows = conn.execute(q).all()
    names = metafeatures.feature_names(version)
    return pd.DataFrame(
        [[orjson.loads(r[1]).get(n) for n in names] for r in rows],
        index=[r[0] for r in rows],
        columns=names,
        dtype=float,
    )


def stats(store: Store, display_url: str) -> dict[str, Any]:
    """Counts of datasets, groups, trials; by task, by space, by status."""
    t, d, s = schema.trials, schema.datasets, schema.spaces
    with store.read() as conn:
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
                "seeds": _seed_counts(conn, name, version),
            }
        by_status: dict[str, int] = dict(
            conn.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
        )
        groups = conn.execute(select(d.c.dataset_group, d.c.fingerprint, d.c.task)).all()
        rows = conn.execute(select(d.c.n_rows)).scalars().all()
    real = [(g or fp, task) for g, fp, task in groups if not (g or "").startswith(SYNTHETIC_PREFIX)]
    synthetic = [(g, task) for g, _, task in groups if (g or "").startswith(SYNTHETIC_PREFIX)]
    return {
        "url": display_url,
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
        "datasets_by_rows": {
            label: sum(1 for n in rows if lo <= n < hi) for label, lo, hi in ROW_BANDS
        },
    }


#: The row bands of ``stats()["datasets_by_rows"]``.
ROW_BANDS = (
    ("under_1000", 0, 1000),
    ("1000_to_4999", 1000, 5000),
    ("5000_to_19999", 5000, 20000),
    ("20000_or_more", 20000, 2**63),
)


def _seed_counts(conn: Any, name: str, version: int) -> dict[str, int]:
    """Seeds per (dataset, configuration, budget) of one space: how many such pairs, the
    fewest seeds of any, how many have 3 or more, and on how many datasets every pair has."""
    t, s = schema.trials, schema.spaces
    pairs = conn.execute(
        select(t.c.dataset_id, func.count(func.distinct(t.c.seed)))
        .select_from(t.join(s, t.c.space_id == s.c.id))
        .where(s.c.name == name, s.c.version == version)
        .group_by(t.c.dataset_id, t.c.config_hash, t.c.max_epochs)
    ).all()
    fewest: dict[int, int] = {}
    for dataset_id, n in pairs:
        fewest[dataset_id] = min(n, fewest.get(dataset_id, n))
    return {
        "pairs": len(pairs),
        "min_per_pair": min((n for _, n in pairs), default=0),
        "pairs_with_3_or_more": sum(1 for _, n in pairs if n >= 3),
        "datasets_with_3_or_more_everywhere": sum(1 for n in fewest.values() if n >= 3),
    }
