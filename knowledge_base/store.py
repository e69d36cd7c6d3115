"""``KnowledgeBase``: the one interface to the store, whichever database is behind it.

A thin facade over the modules that do the work: :mod:`knowledge_base.upgrade` (schema
revision, migrations), :mod:`knowledge_base.writer` (contributions),
:mod:`knowledge_base.removal` (taking contributed trials back),
:mod:`knowledge_base.declared_spaces` (search spaces), :mod:`knowledge_base.queries` and
:mod:`knowledge_base.export` (reading).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from advisor_core import metafeature_schema as metafeatures
from advisor_core.errors import KnowledgeBaseError
from advisor_core.spaces import SearchSpace
from knowledge_base import export, queries
from knowledge_base.declared_spaces import SpaceRegistry
from knowledge_base.records import NormalizedRecord
from knowledge_base.removal import SEED_CONTRIBUTOR, RemovalReport, remove
from knowledge_base.stores import Store, open_store
from knowledge_base.upgrade import ensure_schema, revision, upgrade_schema
from knowledge_base.writer import ContributionReport, TrialWriter

__all__ = [
    "ENV_URL",
    "SEED_CONTRIBUTOR",
    "SEED_FILE",
    "ContributionReport",
    "KnowledgeBase",
    "RemovalReport",
    "default_url",
]

ENV_URL = "ADVISOR_KB_URL"
#: The seed trials shipped with the package (built by the repository's seed-build tooling).
SEED_FILE = Path(__file__).parent / "seed" / "trials.parquet"


def default_url() -> str:
    """``$ADVISOR_KB_URL`` or a SQLite file in the user's data directory."""
    env = os.environ.get(ENV_URL)
    if env:
        return env
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('tuning-advisor')) / 'knowledge_base.sqlite'}"


class KnowledgeBase:
    """Datasets (keyed by meta-features and fingerprint) and trial outcomes.

    ``url`` is a SQLAlchemy URL (``sqlite:///path`` or ``postgresql://user@host/db``); ``None``
    means :func:`default_url`. A new database is created at the current schema (the default
    store, no URL given, starts from the shipped seed unless ``seed=False``; a named one empty
    unless ``seed=True``); an older one raises :class:`SchemaVersionError` until
    :meth:`upgrade` (``advisor kb upgrade``) runs. ``create=False`` refuses an empty database.
    """

    def __init__(
        self, url: str | None = None, *, create: bool = True, seed: bool | None = None
    ) -> None:
        self.url = url or default_url()
        self.store: Store = open_store(self.url)
        self._spaces = SpaceRegistry(self.store)
        self._writer = TrialWriter(self.store, self._spaces)
        seed_on_create = (url is None) if seed is None else seed
        try:
            ensure_schema(
                self.store,
                self.display_url,
                create=create,
                on_create=self._load_shipped_seed if seed_on_create else None,
            )
        except Exception:
            self.store.dispose()
            raise

    # -- schema and lifetime --------------------------------------------------------------------
    @property
    def display_url(self) -> str:
        """The URL without its password."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def schema_revision(self) -> str | None:
        return revision(self.store)

    @classmethod
    def upgrade(cls, url: str | None = None) -> tuple[str | None, str]:
        """Migrate the database at ``url`` to the current schema; return (from, to).

        See :func:`knowledge_base.upgrade.upgrade_schema`.
        """
        return upgrade_schema(url or default_url())

    def close(self) -> None:
        self.store.dispose()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------------
    def load_seed(self, path: str | Path | None = None) -> ContributionReport:
        """Contribute the shipped seed trials (``knowledge_base/seed/trials.parquet``).

        Idempotent: trials already present are reported as duplicates.
        """
        from knowledge_base.logfiles import read_records

        p = Path(path) if path is not None else SEED_FILE
        if not p.is_file():
            raise KnowledgeBaseError(f"no seed data at {p}")
        return self.contribute(list(read_records(p)))

    def _load_shipped_seed(self) -> None:
        if SEED_FILE.is_file():
            self.load_seed()

    def declare_space(self, space: SearchSpace) -> None:
        """Store a declared space (idempotent; a different definition is a conflict)."""
        self._spaces.declare(space)

    def validate(self, records: Iterable[Any]) -> list[NormalizedRecord]:
        """Validate records without writing; raises :class:`ValidationError`."""
        return self._writer.validate(records)

    def contribute(self, records: Iterable[Any]) -> ContributionReport:
        """Write a batch of trial records atomically: all of them, or none.

        A record is a JSON object of the trial-log format or a :class:`TrialRecord`. Every
        record is validated first (:class:`ValidationError` lists each bad record with its
        index and reason). Re-sending a trial id with the same values is a no-op reported as
        ``duplicate``; the same id with different values raises :class:`ConflictError`.
        """
        return self._writer.contribute(records)

    def remove_trials(
        self,
        trial_ids: Iterable[str] = (),
        *,
        datasets: Iterable[str] = (),
        dry_run: bool = False,
    ) -> RemovalReport:
        """Take contributed trials back: the trials named and the contributed trials of the
        datasets named (by fingerprint or name), in one transaction, all or none.

        Datasets left without trials are removed with their meta-features. An unknown or
        ambiguous value raises :class:`ValidationError`; a trial of the shipped seed
        (contributor ``seed-build``), or a dataset with seed trials only,
        :class:`ConflictError`; either way nothing is removed. ``dry_run`` reports what
        would be removed without writing. See :mod:`knowledge_base.removal`.
        """
        return remove(self.store, trial_ids, datasets, dry_run=dry_run)

    # -- reading --------------------------------------------------------------------------------
    def spaces(self) -> list[SearchSpace]:
        """The built-in spaces and the declared ones."""
        return self._spaces.all()

    def trials(
        self,
        space: str = "mlp",
        *,
        version: int | None = None,
        statuses: Iterable[str] | None = None,
        with_curves: bool = False,
        expand_config: bool = True,
        meta_features_version: str = metafeatures.VERSION,
    ) -> pd.DataFrame:
        """Trials of ``space`` (at ``version``; default: the newest version with trials) with
        their datasets and meta-features, one row per trial (columns:
        :func:`knowledge_base.queries.trials`)."""
        return queries.trials(
            self.store,
            space,
            version=version,
            statuses=statuses,
            with_curves=with_curves,
            expand_config=expand_config,
            meta_features_version=meta_features_version,
        )

    def snapshot(self, space: str = "mlp", version: int | None = None) -> dict[str, Any]:
        """What identifies the knowledge base's trials of ``space`` at ``version``: counts, a
        digest and the number of removals (:func:`knowledge_base.queries.snapshot`)."""
        return queries.snapshot(self.store, space, version)

    def space_version(self, space: str = "mlp") -> int | None:
        """The newest version of ``space`` that has trials (``None``: none)."""
        return queries.space_version(self.store, space)

    def datasets(self) -> pd.DataFrame:
        """One row per dataset: name, source, group, task, rows, features, classes, trials."""
        return queries.datasets(self.store)

    def meta_features(
        self, fingerprints: Iterable[str] | None = None, version: str = metafeatures.VERSION
    ) -> pd.DataFrame:
        """Meta-feature vectors (one row per dataset, index = fingerprint)."""
        return queries.meta_features(self.store, fingerprints, version)

    def stats(self) -> dict[str, Any]:
        """Counts of datasets, groups, trials; by task, by space, by status."""
        return queries.stats(self.store, self.display_url)

    def export_records(self, space: str | None = None) -> Iterator[dict[str, Any]]:
        """Every trial as a record of the trial-log format (what :meth:`contribute` accepts)."""
        return export.export_records(self.store, space)
